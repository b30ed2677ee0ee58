//! The MessagePack parser (`socket.io-msgpack-parser` format), one binary message per input.
//! Invariants: no panic; what decodes is complete MessagePack that rmp-serde also reads (the bounded
//! walk accepts nothing serde cannot); a decoded event has a name and its data and arguments read
//! as `IgnoredAny`; an event re-encoded from its name and arguments decodes to the same routing fields.
#![no_main]

use bytes::Bytes;
use engineio_proto::Message;
use libfuzzer_sys::fuzz_target;
use serde::de::IgnoredAny;
use socketio_proto::packet::PacketType;
use socketio_proto::parser::{
    EncodedPacket, MsgpackConfig, MsgpackParser, PacketDecoder, ParsedPacket, Parser,
};

fuzz_target!(|data: &[u8]| {
    let parser = MsgpackParser::new(MsgpackConfig {
        max_message_bytes: 64 * 1024,
        max_depth: 16,
    });
    let mut decoder = parser.decoder();
    let Ok(Some(packet)) = decoder.decode(Message::Binary(Bytes::copy_from_slice(data))) else {
        return;
    };
    if let Some(bytes) = packet.data_bytes() {
        rmp_serde::from_slice::<IgnoredAny>(bytes).expect("accepted data reads with rmp-serde");
    }
    packet.data::<IgnoredAny>().expect("accepted data reads");
    if packet.packet_type() == PacketType::Event {
        let name = packet.event_name().expect("a decoded event has a name");
        packet.event_args::<IgnoredAny>().expect("arguments read");
        let encoded = parser
            .encode_event(packet.namespace(), &name, &(), packet.ack_id())
            .expect("a name and no arguments encode");
        let message = encoded.messages().next().expect("one message");
        let again = parser.decoder().decode(message).expect("re-encoded decodes").expect("complete");
        assert_eq!(again.event_name(), Some(name));
        assert_eq!(again.namespace(), packet.namespace());
        assert_eq!(again.ack_id(), packet.ack_id());
    }
});
