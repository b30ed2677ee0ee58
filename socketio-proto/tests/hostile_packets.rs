//! Hostile binary packets (issue 6): what `packet_codec.rs` checks one decode at a time, checked
//! here on a decoder that lives on, as a connection's does: a refused binary header leaves nothing
//! buffered, whatever it announced, and the decoder serves the next packet normally.
//!
//! The refusals themselves (huge counts, zero counts with placeholders, digit runs, placeholder
//! forms, payload shapes) are `packet_codec.rs`'s `rejects_bad_headers`,
//! `rejects_invalid_placeholders`, `long_inputs_fail_fast_without_allocating` and
//! `rejects_payloads_of_the_wrong_shape`.

use bytes::Bytes;
use engineio_proto::Utf8Bytes;
use socketio_proto::packet::{Decoder, DecoderConfig, ParseError};

fn text(s: &str) -> Utf8Bytes {
    Utf8Bytes::from(s.to_owned())
}

/// Asserts that `decoder` holds no partial packet: a binary frame is refused as unexpected and a
/// plain event decodes at once.
fn assert_nothing_buffered(decoder: &mut Decoder, after: &str) {
    assert_eq!(decoder.missing_attachments(), 0, "after {after}");
    assert_eq!(
        decoder.decode_binary(Bytes::from_static(b"\x00\x01")),
        Err(ParseError::UnexpectedBinary),
        "after {after}"
    );
    let next = decoder.decode_text(text(r#"2["next"]"#));
    assert!(matches!(next, Ok(Some(_))), "after {after}: {next:?}");
}

#[test]
fn refused_binary_headers_leave_nothing_buffered() {
    let huge = format!(r#"5{}-["a"]"#, "9".repeat(1 << 16));
    let hostile = [
        // More attachments than the limit, up to numbers no integer holds.
        r#"511-["a",{"_placeholder":true,"num":0}]"#,
        r#"518446744073709551616-["a"]"#,
        huge.as_str(),
        // Zero attachments, with and without placeholders.
        r#"50-["a",{"_placeholder":true,"num":0}]"#,
        r#"50-["a"]"#,
        r#"60-1[{"_placeholder":true,"num":0}]"#,
        // A count that the placeholders do not match.
        r#"52-["a",{"_placeholder":true,"num":0}]"#,
        r#"51-["a",{"_placeholder":true,"num":1}]"#,
        // Placeholders that name no attachment.
        r#"51-["a",{"_placeholder":true,"num":"splice"}]"#,
        r#"51-["a",{"_placeholder":true,"num":-1}]"#,
    ];
    for input in hostile {
        let mut decoder = Decoder::default();
        assert!(decoder.decode_text(text(input)).is_err(), "{input}");
        assert_nothing_buffered(&mut decoder, input);
    }
}

#[test]
fn a_refused_header_while_attachments_are_pending_drops_the_partial_packet() {
    for hostile in [r#"5999-["a"]"#, r#"50-["a"]"#, r#"2["b"]"#] {
        let mut decoder = Decoder::default();
        let pending = r#"52-["a",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#;
        assert_eq!(decoder.decode_text(text(pending)), Ok(None));
        assert_eq!(
            decoder.decode_binary(Bytes::from_static(b"first")),
            Ok(None)
        );
        assert_eq!(decoder.missing_attachments(), 1);
        assert!(decoder.decode_text(text(hostile)).is_err(), "{hostile}");
        assert_nothing_buffered(&mut decoder, hostile);
    }
}

#[test]
fn binary_frames_with_nothing_pending_are_refused_every_time() {
    let mut decoder = Decoder::default();
    for size in [0usize, 1, 1 << 20] {
        assert_eq!(
            decoder.decode_binary(Bytes::from(vec![0u8; size])),
            Err(ParseError::UnexpectedBinary),
            "{size} bytes"
        );
        assert_eq!(decoder.missing_attachments(), 0);
    }
    // Once a packet completed, its attachments are no longer awaited.
    assert_eq!(
        decoder.decode_text(text(r#"51-["a",{"_placeholder":true,"num":0}]"#)),
        Ok(None)
    );
    assert!(matches!(
        decoder.decode_binary(Bytes::from_static(b"x")),
        Ok(Some(_))
    ));
    assert_nothing_buffered(&mut decoder, "a completed packet");
}

#[test]
fn the_attachment_limit_is_the_configured_one() {
    let mut decoder = Decoder::new(DecoderConfig { max_attachments: 1 });
    assert_eq!(
        decoder.decode_text(text(
            r#"52-["a",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#
        )),
        Err(ParseError::TooManyAttachments { limit: 1 })
    );
    assert_nothing_buffered(&mut decoder, "two attachments over a limit of one");
    let mut none_allowed = Decoder::new(DecoderConfig { max_attachments: 0 });
    assert_eq!(
        none_allowed.decode_text(text(r#"51-["a",{"_placeholder":true,"num":0}]"#)),
        Err(ParseError::TooManyAttachments { limit: 0 })
    );
    assert_nothing_buffered(&mut none_allowed, "any attachment with a limit of zero");
}
