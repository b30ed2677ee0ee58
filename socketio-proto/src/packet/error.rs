//! Why a packet could not be decoded or encoded.

/// Why a text or binary message is not a valid Socket.IO packet (or does not fit the decoder's state).
///
/// The reference server closes the connection on any of these.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// An empty text message.
    #[error("empty packet")]
    Empty,
    /// The first byte is not a type digit `0` to `6`.
    #[error("unknown packet type {0:#04x}")]
    UnknownType(u8),
    /// A binary packet whose attachment count is not digits followed by `-`, or is zero.
    #[error("invalid attachment count")]
    InvalidAttachmentCount,
    /// A binary packet announcing more attachments than the decoder accepts.
    #[error("more than {limit} attachments")]
    TooManyAttachments {
        /// The decoder's [`max_attachments`](super::DecoderConfig::max_attachments).
        limit: usize,
    },
    /// An ack id larger than `u64::MAX`.
    #[error("ack id overflows u64")]
    AckIdOverflow,
    /// An ack id on a packet type that has none (`CONNECT`, `DISCONNECT`, `CONNECT_ERROR`).
    #[error("ack id on a packet type without one")]
    UnexpectedAckId,
    /// An `ACK` / `BINARY_ACK` without the id of the event it answers.
    #[error("ack without id")]
    MissingAckId,
    /// The payload is not valid JSON, or is followed by something other than whitespace.
    #[error("invalid JSON payload")]
    InvalidJson,
    /// Valid JSON of the wrong shape for the packet type (for instance an event that is not a
    /// non-empty array starting with a string or number, or a `DISCONNECT` with data).
    #[error("invalid payload for the packet type")]
    InvalidPayload,
    /// A placeholder (`{"_placeholder":true,..}`) whose `num` is not an integer below the attachment
    /// count, that repeats an index, or that has other keys.
    #[error("invalid attachment placeholder")]
    InvalidPlaceholder,
    /// Fewer distinct placeholders than announced attachments.
    #[error("{announced} attachments announced, {found} placeholders found")]
    AttachmentCountMismatch {
        /// The count in the header.
        announced: usize,
        /// Distinct placeholders in the payload.
        found: usize,
    },
    /// A text message while a binary packet still waits for attachments.
    #[error("text message while waiting for binary attachments")]
    UnexpectedText,
    /// A binary message while no binary packet waits for attachments.
    #[error("binary message without a pending binary packet")]
    UnexpectedBinary,
}

/// A value could not be serialized to JSON.
#[derive(Debug, thiserror::Error)]
#[error("cannot serialize packet data: {0}")]
pub struct EncodeError(#[from] pub serde_json::Error);

/// A namespace must start with `/` and contain no `,` (the comma ends it on the wire).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid namespace: must start with '/' and contain no ','")]
pub struct InvalidNamespace;
