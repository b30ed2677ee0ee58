//! Engine.IO packet decoding from WebSocket frames: never panics, and whatever decodes re-encodes to an
//! equivalent packet.
#![no_main]

use bytes::Bytes;
use engineio_proto::{Frame, Packet, Utf8Bytes};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = Utf8Bytes::try_from_bytes(Bytes::copy_from_slice(data))
        && let Ok(packet) = Packet::from_frame(Frame::Text(text))
    {
        let again = Packet::from_frame(packet.to_frame()).expect("an encoded packet decodes");
        assert_eq!(again, packet);
    }
    let binary = Frame::Binary(Bytes::copy_from_slice(data));
    let packet = Packet::from_frame(binary.clone()).expect("a binary frame is a message");
    assert_eq!(packet.to_frame(), binary);
});
