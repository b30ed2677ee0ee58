//! Packets from the server, routed to their namespace socket.

use alloc::string::{String, ToString};

use serde_json::Value;

use super::manager::{MainNamespace, Manager, socket_entry};
use super::output::{DisconnectReason, Event, Output};
use crate::packet::{Packet, PacketKind, RawJson};
use crate::v4;

/// What the reference client reports when a `CONNECT` answer has no sid.
const NO_SID_MESSAGE: &str = "It seems you are trying to reach a Socket.IO server in v2.x with a v3.x client, but they are not compatible (more information here: https://socket.io/docs/v3/migrating-from-2-x-to-3-0/)";

impl Manager {
    /// Handles one decoded packet. Packets for a namespace without an active socket are dropped, as
    /// the reference client's inactive sockets stop listening.
    pub(super) fn handle_packet(&mut self, packet: Packet) {
        let v4_sid = self.is_v4().then(|| self.v4_socket_id(&packet.namespace));
        if v4_sid.is_some() && packet.namespace.is_main() {
            // The server's implicit `/`, whether or not a socket of ours wants it.
            match packet.kind {
                PacketKind::Connect(_) => self.main_namespace = MainNamespace::Connected,
                PacketKind::ConnectError(_) | PacketKind::Disconnect => {
                    self.main_namespace = MainNamespace::Gone;
                }
                _ => {}
            }
        }
        let config = &self.config;
        let out = &mut self.outputs;
        let Some((namespace, socket)) =
            socket_entry(&mut self.sockets, &packet.namespace).filter(|(_, socket)| socket.active)
        else {
            return;
        };
        match packet.kind {
            PacketKind::Connect(data) => {
                if socket.connected {
                    return;
                }
                // Socket.IO v4 answers carry no sid: it is derived from the engine session id.
                match v4_sid.or_else(|| data.as_ref().and_then(connect_sid)) {
                    Some(sid) => socket.on_connected(&namespace, sid, config, out),
                    None => {
                        // Answered, if badly: a later `connect` asks again, as the reference does.
                        socket.connecting = false;
                        out.push_back(Output::Event(Event::ConnectError {
                            namespace,
                            message: NO_SID_MESSAGE.into(),
                            data: None,
                        }));
                    }
                }
            }
            PacketKind::Event { args, ack } => {
                if socket.connected {
                    socket.deliver_event(&namespace, args, ack, config.max_unanswered_acks, out);
                } else if socket.receive_buffer.len() < config.max_buffered_packets {
                    socket.receive_buffer.push_back((args, ack));
                }
            }
            PacketKind::Ack { args, id } => {
                if socket.take_acknowledged(id) {
                    out.push_back(Output::Event(Event::Ack {
                        namespace,
                        id,
                        args,
                    }));
                }
            }
            PacketKind::Disconnect => {
                socket.active = false;
                out.push_back(Output::Event(Event::Disconnect {
                    namespace: namespace.clone(),
                    reason: DisconnectReason::IoServerDisconnect,
                }));
                socket.lose_connection(&namespace, out);
                self.close_if_idle();
            }
            PacketKind::ConnectError(data) => {
                socket.active = false;
                socket.lose_connection(&namespace, out);
                let (message, data) = match v4_sid {
                    Some(_) => v4::error_parts(&data),
                    None => connect_error_parts(&data),
                };
                out.push_back(Output::Event(Event::ConnectError {
                    namespace,
                    message,
                    data,
                }));
                self.close_if_idle();
            }
        }
    }
}

/// The `sid` of a server's `CONNECT` answer (`{"sid":".."}`), if it has a non-empty one.
fn connect_sid(data: &RawJson) -> Option<String> {
    let value: Value = data.deserialize().ok()?;
    let sid = value.get("sid")?.as_str()?;
    (!sid.is_empty()).then(|| sid.into())
}

/// The message and data of a `CONNECT_ERROR`: `{"message":..,"data":..}`, or a bare string from
/// older servers.
fn connect_error_parts(data: &RawJson) -> (String, Option<RawJson>) {
    let Ok(value) = data.deserialize::<Value>() else {
        return (String::new(), None);
    };
    match value {
        Value::String(message) => (message, None),
        Value::Object(mut fields) => {
            let message = match fields.remove("message") {
                Some(Value::String(message)) => message,
                Some(Value::Null) | None => String::new(),
                Some(other) => other.to_string(),
            };
            let data = fields
                .remove("data")
                .filter(|data| !data.is_null())
                .and_then(|data| RawJson::from_serialize(&data).ok());
            (message, data)
        }
        other => (other.to_string(), None),
    }
}
