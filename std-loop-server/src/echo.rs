//! The application: the conformance server's Socket.IO echo (`example-apps/src/
//! conformance.rs`), on `/` and `/custom`, plus a question the server asks with an ack.
//!
//! - On connecting, a socket is sent `auth` with its handshake's auth payload; `auth` is
//!   acknowledged with that payload.
//! - `message` is answered with `message-back` and the same arguments, binary included.
//! - `message-with-ack` is acknowledged with its arguments.
//! - `server-ask`: the server emits `question` with `1, "two"`, asking for an ack, and reports
//!   the ack's arguments (or `"timeout"`) as the one argument of `answer`.
//!
//! It only ever talks to its [`ServerConnection`]: commands in, events out, like any application
//! on these machines.

use std::time::Duration;

use engineio_proto::Instant;
use serde_json::Value;
use socketio_proto::packet::{NamespaceName, Payload};
use socketio_proto::server::{Event, ServerConnection};

use crate::random::Ids;

/// The namespaces served; a `CONNECT` to another gets "Invalid namespace".
const NAMESPACES: [&str; 2] = ["/", "/custom"];

/// How long the server waits for the answer to its `question`.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(5);

/// The echo's state on one connection: each namespace's auth payload.
#[derive(Debug, Default)]
pub struct Echo {
    auth: Vec<(NamespaceName, Value)>,
}

impl Echo {
    /// Reacts to one event of the connection.
    pub fn on_event(
        &mut self,
        now: Instant,
        event: Event,
        connection: &mut ServerConnection,
        ids: &mut Ids,
    ) {
        match event {
            Event::ConnectRequest { namespace, auth } => {
                if !NAMESPACES.contains(&namespace.as_str()) {
                    let _ = connection.reject_invalid_namespace(now, &namespace);
                    return;
                }
                // The reference's `socket.handshake.auth` is `{}` when the client sent none.
                let auth = auth
                    .and_then(|auth| auth.deserialize().ok())
                    .unwrap_or_else(|| Value::Object(Default::default()));
                self.auth.push((namespace.clone(), auth));
                let _ = connection.accept(now, &namespace, ids.draw());
            }
            Event::Connected { namespace, socket } => {
                println!("socket {socket} connected on {namespace}");
                let auth = self.auth_of(&namespace);
                report(
                    Payload::event("auth", &(auth,)).map(|args| connection.emit(&namespace, args)),
                );
            }
            Event::Event {
                namespace,
                args,
                ack,
                ..
            } => self.on_client_event(now, &namespace, args, ack, connection),
            Event::Ack {
                namespace, args, ..
            } => {
                let answer: Value =
                    serde_json::from_str(args.json().as_str()).unwrap_or(Value::Null);
                report(
                    Payload::event("answer", &(answer,))
                        .map(|args| connection.emit(&namespace, args)),
                );
            }
            Event::AckTimeout { namespace, .. } => {
                report(
                    Payload::event("answer", "timeout")
                        .map(|args| connection.emit(&namespace, args)),
                );
            }
            Event::Disconnected {
                namespace,
                socket,
                reason,
            } => {
                println!("socket {socket} disconnected from {namespace} ({reason})");
                self.auth.retain(|(connected, _)| *connected != namespace);
            }
            Event::AckCancelled { .. } | Event::Disconnecting { .. } | Event::Closed { .. } => {}
        }
    }

    fn on_client_event(
        &mut self,
        now: Instant,
        namespace: &NamespaceName,
        args: Payload,
        ack: Option<u64>,
        connection: &mut ServerConnection,
    ) {
        let Some(name) = args.event_name().map(|name| name.into_owned()) else {
            return;
        };
        match (name.as_str(), ack) {
            ("message", _) => {
                let back = with_name(&args, "message-back");
                report(back.map(|back| connection.emit(namespace, back)));
            }
            ("message-with-ack", Some(id)) => {
                let answer = with_name(&args, None);
                report(answer.map(|answer| connection.ack(namespace, id, answer)));
            }
            ("auth", Some(id)) => {
                let auth = self.auth_of(namespace);
                report(Payload::new(&(auth,)).map(|answer| connection.ack(namespace, id, answer)));
            }
            ("server-ask", _) => {
                let question = Payload::event("question", &(1, "two"));
                report(question.map(|question| {
                    connection.emit_with_ack(now, namespace, question, Some(ANSWER_TIMEOUT))
                }));
            }
            _ => {}
        }
    }

    fn auth_of(&self, namespace: &NamespaceName) -> Value {
        self.auth
            .iter()
            .find(|(connected, _)| connected == namespace)
            .map_or(Value::Null, |(_, auth)| auth.clone())
    }
}

/// An event's arguments under another event name, or with none (an ack's arguments), binary
/// attachments kept: their placeholders stay where they were.
fn with_name<'a>(event: &Payload, name: impl Into<Option<&'a str>>) -> Result<Payload, String> {
    // Read as plain JSON, placeholders and all (`Payload::deserialize` would hand them the bytes).
    let mut values: Vec<Value> =
        serde_json::from_str(event.json().as_str()).map_err(|error| error.to_string())?;
    if values.is_empty() {
        return Err(String::from("an event without a name"));
    }
    match name.into() {
        Some(name) => values[0] = Value::from(name),
        None => {
            values.remove(0);
        }
    }
    let json = serde_json::to_string(&values).map_err(|error| error.to_string())?;
    Payload::from_json(json, event.attachments().to_vec()).map_err(|error| error.to_string())
}

/// Says on stderr why a command did nothing (a full queue, an argument that does not encode).
fn report<T, E: std::fmt::Display, F: std::fmt::Display>(result: Result<Result<T, E>, F>) {
    match result {
        Ok(Ok(_)) => {}
        Ok(Err(error)) => eprintln!("echo: {error}"),
        Err(error) => eprintln!("echo: {error}"),
    }
}

/// The conformance server's settings: pings every 300 ms, 200 ms to answer, 1 MB payloads, 1 s to
/// join a namespace. Short, so that a test sees the heartbeat.
pub fn config() -> crate::Config {
    let mut config = crate::Config::default();
    config.engine = (config.engine)
        .with_ping_interval(Duration::from_millis(300))
        .with_ping_timeout(Duration::from_millis(200))
        .with_max_payload(1_000_000);
    config.socket_io = (config.socket_io).with_connect_timeout(Duration::from_millis(1000));
    config
}
