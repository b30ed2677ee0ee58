//! Revision 3 long-polling payloads (text `<length>:<packet>` and XHR2 binary framing) decoded in chunks,
//! and revision 3 WebSocket frames: never a panic or a hang, never more held than the limit, chunked
//! and whole decoding agree, and whatever decodes re-encodes to the same packets in either framing.
//! Input: one byte for the chunk size, then the body.
#![no_main]

use bytes::Bytes;
use engineio_proto::v3::{PayloadDecoder, decode_frame, decode_payload, encode_frame, encode_payload};
use engineio_proto::{Frame, Utf8Bytes};
use libfuzzer_sys::fuzz_target;

const MAX_PAYLOAD: usize = 4096;

fuzz_target!(|data: &[u8]| {
    let Some((&stride, body)) = data.split_first() else { return };
    let body = Bytes::copy_from_slice(body);
    frames(&body);
    let mut decoder = PayloadDecoder::new(MAX_PAYLOAD);
    let mut packets = Vec::new();
    let mut failed = false;
    for start in (0..body.len().max(1)).step_by(usize::from(stride) + 1) {
        let end = (start + usize::from(stride) + 1).min(body.len());
        if decoder.push(body.slice(start..end)).is_err() {
            assert!(end > MAX_PAYLOAD, "refused a body within the limit");
            return;
        }
        assert!(decoder.received() <= MAX_PAYLOAD);
        while let Some(packet) = decoder.next_packet() {
            match packet {
                Ok(packet) => packets.push(packet),
                Err(_) => {
                    failed = true;
                    assert!(decoder.next_packet().is_none(), "an error ends decoding");
                }
            }
        }
    }
    let whole = decode_payload(body.clone(), MAX_PAYLOAD);
    if failed || decoder.finish().is_err() {
        assert!(whole.is_err(), "chunked decoding failed, whole decoding did not");
        return;
    }
    assert_eq!(whole.as_ref(), Ok(&packets), "chunked and whole decoding agree");
    for binary in [false, true] {
        let reencoded = encode_payload(&packets, binary);
        let decoded = decode_payload(reencoded, usize::MAX).expect("re-encoded payload decodes");
        assert_eq!(decoded, packets);
    }
});

/// The same bytes as a WebSocket frame of either kind.
fn frames(body: &Bytes) {
    let mut frames = vec![Frame::Binary(body.clone())];
    if let Ok(text) = Utf8Bytes::try_from_bytes(body.clone()) {
        frames.push(Frame::Text(text));
    }
    for frame in frames {
        if let Ok(packet) = decode_frame(frame) {
            for base64 in [false, true] {
                assert_eq!(decode_frame(encode_frame(&packet, base64)), Ok(packet.clone()));
            }
        }
    }
}
