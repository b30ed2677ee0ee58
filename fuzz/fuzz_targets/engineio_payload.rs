//! Long-polling payload decoding, in chunks: never panics, never holds more than the limit, and whatever
//! decodes re-encodes to equivalent packets. Input: one byte for the chunk size, then the body.
#![no_main]

use bytes::Bytes;
use engineio_proto::payload::{PayloadDecoder, decode_payload, encode_payload};
use libfuzzer_sys::fuzz_target;

const MAX_PAYLOAD: usize = 4096;

fuzz_target!(|data: &[u8]| {
    let Some((&stride, body)) = data.split_first() else { return };
    let body = Bytes::copy_from_slice(body);
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
                Err(_) => failed = true,
            }
        }
    }
    let whole = decode_payload(body.clone(), MAX_PAYLOAD);
    let Ok(last) = decoder.finish() else {
        assert!(whole.is_err());
        return;
    };
    if failed {
        assert!(whole.is_err());
        return;
    }
    packets.push(last);
    assert_eq!(whole.as_ref(), Ok(&packets), "chunked and whole decoding agree");
    let reencoded = encode_payload(&packets);
    assert_eq!(decode_payload(reencoded, usize::MAX).expect("re-encoded payload decodes"), packets);
});
