//! Engine.IO protocol revision 3 on the wire: what Socket.IO 1 and 2 clients and servers speak.
//!
//! The packets are those of revision 4 ([`Packet`](crate::Packet)); what differs is how they are framed:
//!
//! - [`decode_text`]: one packet's text form, where a binary message is `b4<base64>`;
//! - [`decode_frame`] / [`encode_frame`]: WebSocket frames, binary ones behind the type byte `4`;
//! - [`PayloadDecoder`] / [`decode_payload`] and [`encode_payload`] / [`encode_batch`]: long-polling
//!   payloads in the text framing (`<length>:<packet>`, lengths in UTF-16 code units, [`utf16_len`]) or
//!   the XHR2 binary framing ([`Framing`]).
//!
//! The session machines ([`ServerSession`](crate::server::ServerSession),
//! [`ClientSession`](crate::client::ClientSession)) use these when they run revision 3
//! ([`ProtocolVersion::V3`](crate::ProtocolVersion::V3)), along with its heartbeat.

mod decode;
mod encode;
mod frame;
mod parts;
mod utf16;

pub use decode::{PayloadDecoder, decode_payload};
pub use encode::{Framing, encode_batch, encode_payload};
pub use frame::{decode_frame, encode_frame};
pub use parts::{Parts, ToParts, decode_text};
pub use utf16::utf16_len;
