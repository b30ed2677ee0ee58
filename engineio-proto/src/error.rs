//! Errors: decoding failures and the protocol's HTTP error codes.

use alloc::string::String;
use core::fmt;

/// Why bytes could not be decoded into Engine.IO packets.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// A packet with no type digit (an empty frame or payload segment).
    #[error("empty packet")]
    Empty,
    /// The type digit is not one of `0` to `6`; in revision 3, also a binary packet whose type is not
    /// `message`.
    #[error("unknown packet type {0:#04x}")]
    UnknownType(u8),
    /// Text that is not UTF-8.
    #[error("invalid UTF-8")]
    InvalidUtf8,
    /// A `b`-prefixed binary packet whose base64 does not decode.
    #[error("invalid base64 in binary packet")]
    InvalidBase64,
    /// A payload or frame larger than the configured maximum.
    #[error("payload larger than {limit} bytes")]
    TooLarge {
        /// The configured maximum, in bytes.
        limit: usize,
    },
    /// An `open` packet whose JSON is not a valid handshake.
    #[error("invalid handshake")]
    InvalidHandshake,
    /// A revision 3 payload whose length header is malformed, or does not match the packet after it
    /// (cut short, or ending inside a character).
    #[error("invalid packet length in payload")]
    InvalidLength,
}

/// The Engine.IO server's error codes, sent as `{"code":N,"message":"..."}` in an HTTP error response.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// 0: the `transport` query parameter is missing, unknown or not enabled.
    UnknownTransport = 0,
    /// 1: the `sid` query parameter names no open session.
    UnknownSid = 1,
    /// 2: a handshake that is not a GET.
    BadHandshakeMethod = 2,
    /// 3: any other malformed request (transport mismatch, overlapping requests, ...).
    BadRequest = 3,
    /// 4: refused by the application's `allow_request` hook.
    Forbidden = 4,
    /// 5: the `EIO` query parameter is not `4` (nor `3` with revision 3 allowed).
    UnsupportedProtocolVersion = 5,
}

impl ErrorCode {
    /// The numeric code.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The reference server's message for this code.
    pub fn message(self) -> &'static str {
        match self {
            ErrorCode::UnknownTransport => "Transport unknown",
            ErrorCode::UnknownSid => "Session ID unknown",
            ErrorCode::BadHandshakeMethod => "Bad handshake method",
            ErrorCode::BadRequest => "Bad request",
            ErrorCode::Forbidden => "Forbidden",
            ErrorCode::UnsupportedProtocolVersion => "Unsupported protocol version",
        }
    }

    /// The HTTP status the reference server answers with: 403 for `Forbidden`, 400 otherwise.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::Forbidden => 403,
            _ => 400,
        }
    }
}

/// A refused HTTP request: the code and, where the application gave one, its own message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestError {
    /// The protocol error code.
    pub code: ErrorCode,
    /// A message replacing the code's default one (the reference lets `allowRequest` set it).
    pub message: Option<String>,
}

impl RequestError {
    /// An error with the code's default message.
    pub fn new(code: ErrorCode) -> Self {
        RequestError {
            code,
            message: None,
        }
    }

    /// An error with a message of the application's.
    pub fn with_message(code: ErrorCode, message: impl Into<String>) -> Self {
        RequestError {
            code,
            message: Some(message.into()),
        }
    }

    /// The message sent to the client.
    pub fn message(&self) -> &str {
        self.message.as_deref().unwrap_or(self.code.message())
    }

    /// The HTTP status of the response.
    pub fn http_status(&self) -> u16 {
        self.code.http_status()
    }

    /// The JSON body of the response (`Content-Type: application/json`), e.g.
    /// `{"code":1,"message":"Session ID unknown"}`.
    pub fn json_body(&self) -> String {
        let message = serde_json::to_string(self.message()).unwrap_or_else(|_| "\"\"".into());
        alloc::format!("{{\"code\":{},\"message\":{}}}", self.code.code(), message)
    }
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "engine.io error {}: {}",
            self.code.code(),
            self.message()
        )
    }
}

impl core::error::Error for RequestError {}

impl From<ErrorCode> for RequestError {
    fn from(code: ErrorCode) -> Self {
        RequestError::new(code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_bodies_match_the_reference() {
        assert_eq!(
            RequestError::new(ErrorCode::UnknownSid).json_body(),
            r#"{"code":1,"message":"Session ID unknown"}"#
        );
        let forbidden = RequestError::with_message(ErrorCode::Forbidden, "no \"entry\"");
        assert_eq!(
            forbidden.json_body(),
            r#"{"code":4,"message":"no \"entry\""}"#
        );
        assert_eq!(forbidden.http_status(), 403);
        assert_eq!(
            RequestError::new(ErrorCode::UnknownTransport).http_status(),
            400
        );
    }
}
