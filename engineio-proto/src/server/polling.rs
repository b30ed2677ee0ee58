//! Long-polling request state: the POST body being taken in.

use crate::payload::PayloadDecoder;

/// The long-polling POST of a session, if one is in flight.
#[derive(Debug, Default)]
pub(crate) enum PostBody {
    /// No POST in flight.
    #[default]
    Idle,
    /// A POST whose body is being decoded.
    Receiving(PayloadDecoder),
    /// A POST still in flight on a session that closed meanwhile: its body is read and dropped, and it
    /// is still answered `ok`, as the reference does.
    Discarding,
}
