//! Long-polling request state: the POST body being taken in.

use bytes::Bytes;

use crate::error::DecodeError;
use crate::packet::Packet;
use crate::payload::PayloadDecoder;
use crate::v3;

/// The long-polling POST of a session, if one is in flight.
#[derive(Debug, Default)]
pub(crate) enum PostBody {
    /// No POST in flight.
    #[default]
    Idle,
    /// A POST whose body is being decoded.
    Receiving(BodyDecoder),
    /// A POST still in flight on a session that closed meanwhile: its body is read and dropped, and it
    /// is still answered `ok`, as the reference does.
    Discarding,
}

/// A POST body's payload decoder, in the session's protocol revision.
#[derive(Debug)]
pub(crate) enum BodyDecoder {
    V4(PayloadDecoder),
    V3(v3::PayloadDecoder),
}

impl BodyDecoder {
    pub(crate) fn push(&mut self, chunk: Bytes) -> Result<(), DecodeError> {
        match self {
            BodyDecoder::V4(decoder) => decoder.push(chunk),
            BodyDecoder::V3(decoder) => decoder.push(chunk),
        }
    }

    pub(crate) fn next_packet(&mut self) -> Option<Result<Packet, DecodeError>> {
        match self {
            BodyDecoder::V4(decoder) => decoder.next_packet(),
            BodyDecoder::V3(decoder) => decoder.next_packet(),
        }
    }

    /// The body ended: revision 4's last packet (the text after the last separator), or revision 3's
    /// verdict on what was left (every revision 3 packet comes out of `next_packet`).
    pub(crate) fn finish(&mut self) -> Option<Result<Packet, DecodeError>> {
        match self {
            BodyDecoder::V4(decoder) => Some(decoder.finish()),
            BodyDecoder::V3(decoder) => decoder.finish().err().map(Err),
        }
    }
}
