//! Just enough HTTP/1.1 for Engine.IO: request heads parsed within a bound, and the few responses
//! the server gives. Bodies are not buffered here: the server streams them into the session.

use engineio_proto::RequestError;
use engineio_proto::server::{Method, POLL_CONTENT_TYPE, POST_OK_BODY};

/// Most header lines a request head may have.
const MAX_HEADERS: usize = 64;

/// A request line and the headers the server reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestHead {
    /// The method.
    pub method: Method,
    /// The target up to `?`.
    pub path: String,
    /// The target after `?` (empty without one).
    pub query: String,
    /// Whether the connection stays open after the response (HTTP/1.1 unless `Connection: close`).
    pub keep_alive: bool,
    /// How the body is delimited.
    pub body: Body,
    /// `Expect: 100-continue`: the client waits for a `100` before it sends the body.
    pub expects_continue: bool,
    /// `Upgrade: websocket` with `Connection: upgrade`: the client asks for a WebSocket.
    pub wants_websocket: bool,
    /// The `Sec-WebSocket-Key`, if the request is a valid version-13 WebSocket handshake.
    pub websocket_key: Option<String>,
}

/// How a request body is delimited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Body {
    /// `Content-Length` bytes (zero without the header).
    Length(usize),
    /// A `Transfer-Encoding`, which this server does not decode (it answers `411`).
    Encoded,
}

/// Why a request head was refused; the connection is answered, then closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeadError {
    /// Longer than the bound, or too many headers: `431`.
    TooLarge,
    /// Not an HTTP/1.x request head: `400`.
    Malformed,
}

impl HeadError {
    /// The response to the refused request.
    pub fn response(self) -> Vec<u8> {
        match self {
            HeadError::TooLarge => plain(431),
            HeadError::Malformed => plain(400),
        }
    }
}

/// Parses the request head at the start of `input`, if all of it has arrived: the head and its
/// length. A head longer than `max_bytes` is refused without waiting for its end.
pub fn parse_head(
    input: &[u8],
    max_bytes: usize,
) -> Result<Option<(RequestHead, usize)>, HeadError> {
    let Some(end) = input.windows(4).position(|window| window == b"\r\n\r\n") else {
        return if input.len() >= max_bytes {
            Err(HeadError::TooLarge)
        } else {
            Ok(None)
        };
    };
    let length = end + 4;
    if length > max_bytes {
        return Err(HeadError::TooLarge);
    }
    let text = std::str::from_utf8(&input[..end]).map_err(|_| HeadError::Malformed)?;
    let mut lines = text.split("\r\n");
    let mut head = request_line(lines.next().unwrap_or_default())?;
    let mut headers = Headers::default();
    for (count, line) in lines.enumerate() {
        if count == MAX_HEADERS {
            return Err(HeadError::TooLarge);
        }
        headers.read(line, &mut head)?;
    }
    if headers.transfer_encoding {
        head.body = Body::Encoded;
    }
    head.wants_websocket = headers.upgrade_websocket && headers.connection_upgrade;
    if head.wants_websocket && headers.version_13 {
        head.websocket_key = headers.websocket_key.filter(|key| !key.is_empty());
    }
    Ok(Some((head, length)))
}

/// `METHOD /target HTTP/1.x`.
fn request_line(line: &str) -> Result<RequestHead, HeadError> {
    let mut parts = line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(HeadError::Malformed);
    };
    let keep_alive = match version {
        "HTTP/1.1" => true,
        "HTTP/1.0" => false,
        _ => return Err(HeadError::Malformed),
    };
    if method.is_empty() || !target.starts_with('/') {
        return Err(HeadError::Malformed);
    }
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    Ok(RequestHead {
        method: Method::parse(method),
        path: path.to_owned(),
        query: query.to_owned(),
        keep_alive,
        body: Body::Length(0),
        expects_continue: false,
        wants_websocket: false,
        websocket_key: None,
    })
}

/// What the header lines said, as they are read.
#[derive(Default)]
struct Headers {
    content_length: Option<usize>,
    transfer_encoding: bool,
    upgrade_websocket: bool,
    connection_upgrade: bool,
    version_13: bool,
    websocket_key: Option<String>,
}

impl Headers {
    fn read(&mut self, line: &str, head: &mut RequestHead) -> Result<(), HeadError> {
        let (name, value) = line.split_once(':').ok_or(HeadError::Malformed)?;
        if name.is_empty() || name.contains([' ', '\t']) {
            return Err(HeadError::Malformed);
        }
        let value = value.trim_matches([' ', '\t']);
        let is = |wanted: &str| name.eq_ignore_ascii_case(wanted);
        if is("content-length") {
            if value.is_empty() || !value.bytes().all(|byte| byte.is_ascii_digit()) {
                return Err(HeadError::Malformed);
            }
            let length = value.parse().map_err(|_| HeadError::Malformed)?;
            if self.content_length.is_some_and(|earlier| earlier != length) {
                return Err(HeadError::Malformed);
            }
            self.content_length = Some(length);
            head.body = Body::Length(length);
        } else if is("expect") {
            head.expects_continue = value.eq_ignore_ascii_case("100-continue");
        } else if is("transfer-encoding") {
            self.transfer_encoding = true;
        } else if is("connection") {
            for token in value.split(',').map(str::trim) {
                if token.eq_ignore_ascii_case("close") {
                    head.keep_alive = false;
                } else if token.eq_ignore_ascii_case("keep-alive") {
                    head.keep_alive = true;
                } else if token.eq_ignore_ascii_case("upgrade") {
                    self.connection_upgrade = true;
                }
            }
        } else if is("upgrade") {
            self.upgrade_websocket = value.eq_ignore_ascii_case("websocket");
        } else if is("sec-websocket-version") {
            self.version_13 = value == "13";
        } else if is("sec-websocket-key") {
            self.websocket_key = Some(value.to_owned());
        }
        Ok(())
    }
}

/// A complete response with a body.
pub fn response(status: u16, content_type: &str, body: &[u8], keep_alive: bool) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n",
        reason(status),
        body.len()
    )
    .into_bytes();
    if !keep_alive {
        out.extend_from_slice(b"Connection: close\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    out
}

/// The answer to a long-polling GET: the payload the session gave.
pub fn poll_response(payload: &[u8], keep_alive: bool) -> Vec<u8> {
    response(200, POLL_CONTENT_TYPE, payload, keep_alive)
}

/// The answer to a long-polling POST whose body the session took in.
pub fn post_ok(keep_alive: bool) -> Vec<u8> {
    response(200, "text/html", POST_OK_BODY.as_bytes(), keep_alive)
}

/// An Engine.IO error: its status, and `{"code":N,"message":".."}`.
pub fn engine_error(error: &RequestError, keep_alive: bool) -> Vec<u8> {
    let body = error.json_body();
    response(
        error.http_status(),
        "application/json",
        body.as_bytes(),
        keep_alive,
    )
}

/// A status with its reason phrase as the body; the connection closes after it.
pub fn plain(status: u16) -> Vec<u8> {
    response(
        status,
        "text/plain; charset=UTF-8",
        reason(status).as_bytes(),
        false,
    )
}

/// The interim answer to `Expect: 100-continue`: send the body.
pub const CONTINUE: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n";

/// The `101` that turns the connection into a WebSocket.
pub fn switching_protocols(websocket_key: &str) -> Vec<u8> {
    let accept = tungstenite::handshake::derive_accept_key(websocket_key.as_bytes());
    format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {accept}\r\n\r\n"
    )
    .into_bytes()
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        411 => "Length Required",
        413 => "Payload Too Large",
        431 => "Request Header Fields Too Large",
        _ => "Error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Option<(RequestHead, usize)>, HeadError> {
        parse_head(text.as_bytes(), 1024)
    }

    #[test]
    fn reads_a_polling_post() {
        let text = "POST /socket.io/?EIO=4&transport=polling&sid=abc HTTP/1.1\r\n\
                    Host: x\r\nContent-Length: 5\r\nConnection: close\r\nExpect: 100-Continue\r\n\r\n\
                    4helloGET";
        let (head, length) = parse(text).unwrap().unwrap();
        assert_eq!(&text[length..], "4helloGET");
        assert_eq!(head.method, Method::Post);
        assert_eq!(head.path, "/socket.io/");
        assert_eq!(head.query, "EIO=4&transport=polling&sid=abc");
        assert_eq!(head.body, Body::Length(5));
        assert!(head.expects_continue);
        assert!(!head.keep_alive);
        assert!(!head.wants_websocket);
    }

    #[test]
    fn reads_a_websocket_handshake() {
        let text = "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nupgrade: WebSocket\r\n\
                    Connection: keep-alive, Upgrade\r\nSec-WebSocket-Version: 13\r\n\
                    Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
        let (head, _) = parse(text).unwrap().unwrap();
        assert!(head.wants_websocket && head.keep_alive);
        assert_eq!(
            head.websocket_key.as_deref(),
            Some("dGhlIHNhbXBsZSBub25jZQ==")
        );
        let without_version = text.replace("Sec-WebSocket-Version: 13\r\n", "");
        let (head, _) = parse(&without_version).unwrap().unwrap();
        assert!(head.wants_websocket && head.websocket_key.is_none());
        // RFC 6455's example key and answer.
        let answer = String::from_utf8(switching_protocols("dGhlIHNhbXBsZSBub25jZQ==")).unwrap();
        assert!(answer.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"));
    }

    #[test]
    fn waits_for_the_whole_head_within_the_bound() {
        assert_eq!(parse("GET / HTTP/1.1\r\nHost: x\r\n"), Ok(None));
        assert_eq!(
            parse_head(&[b'a'; 1024], 1024),
            Err(HeadError::TooLarge),
            "no end in sight at the bound"
        );
        let long = format!("GET / HTTP/1.1\r\nX: {}\r\n\r\n", "y".repeat(1024));
        assert_eq!(parse(&long), Err(HeadError::TooLarge));
        let many = format!("GET / HTTP/1.1\r\n{}\r\n", "A: b\r\n".repeat(65));
        assert_eq!(parse_head(many.as_bytes(), 4096), Err(HeadError::TooLarge));
    }

    #[test]
    fn refuses_what_is_not_http() {
        for text in [
            "\u{1}\u{2} hello\r\n\r\n",
            "GET /x HTTP/2\r\n\r\n",
            "GET x HTTP/1.1\r\n\r\n",
            "GET  / HTTP/1.1\r\n\r\n",
            "GET / HTTP/1.1\r\nno colon\r\n\r\n",
            "GET / HTTP/1.1\r\nBad Name: x\r\n\r\n",
            "POST / HTTP/1.1\r\nContent-Length: +5\r\n\r\n",
            "POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
            "POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n",
        ] {
            assert_eq!(parse(text), Err(HeadError::Malformed), "{text:?}");
        }
        assert_eq!(
            parse_head(b"GET / HTTP/1.1\r\nX: \xff\r\n\r\n", 1024),
            Err(HeadError::Malformed)
        );
        let chunked = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
        assert_eq!(parse(chunked).unwrap().unwrap().0.body, Body::Encoded);
    }
}
