//! One Engine.IO session's Socket.IO connection: the `ServerConnection` machine inside the session's
//! task, its namespace sockets, and the commands other tasks send it.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use engineio_proto::server::CloseReason;
use engineio_proto::{Instant, Message, ProtocolVersion};
use futures_channel::oneshot;
use socketio_proto::packet::{NamespaceName, Payload, RawJson};
use socketio_proto::server::{
    DisconnectReason, Event, Output, SOCKET_ID_RANDOM_BYTES, ServerConnection,
};
use socketio_proto::v4;

use super::ack::{AckError, AckSender};
use super::conn::Conn;
use super::error::ConnectError;
use super::handshake::Handshake;
use super::io::IoShared;
use super::socket::Socket;
use engineio_server::{HandshakeRequest, SessionContext, SessionHandler};

/// What other tasks ask of a connection.
pub(crate) enum Command {
    /// Send an event expecting an ack, and report the answer.
    EmitWithAck {
        namespace: String,
        args: Payload,
        timeout: Option<Duration>,
        reply: oneshot::Sender<Result<Payload, AckError>>,
    },
    /// Answer the client's event `id`.
    Ack {
        namespace: NamespaceName,
        id: u64,
        args: Payload,
    },
    /// The connection middleware decided on a pending socket.
    Admit {
        namespace: String,
        verdict: Result<(), ConnectError>,
    },
    /// Disconnect the socket of a namespace.
    Disconnect { namespace: String },
    /// Disconnect every socket and close the connection.
    DisconnectAll,
    /// Close the connection (the server is shutting down).
    Close(DisconnectReason),
    /// Run the connection handlers of a socket whose CONNECT reply has been written.
    Greet { namespace: String },
}

/// The Socket.IO side of one Engine.IO session.
pub(crate) struct SocketIoSession {
    io: Arc<IoShared>,
    machine: ServerConnection,
    request: HandshakeRequest,
    issued: SystemTime,
    conn: Conn,
    /// Sockets by namespace name: pending (in the middleware) and connected.
    sockets: HashMap<String, Socket>,
    /// Ack replies awaited, by namespace and ack id.
    acks: HashMap<(String, u64), oneshot::Sender<Result<Payload, AckError>>>,
}

impl SocketIoSession {
    pub(crate) fn new(
        io: Arc<IoShared>,
        session: &mut SessionContext<'_, Command>,
        request: &HandshakeRequest,
    ) -> Self {
        let config = io.config.connection;
        let machine = match session.protocol_version() {
            ProtocolVersion::V4 => ServerConnection::new(session.now(), config),
            // Socket.IO protocol v4: the machine asks for `/` on the client's behalf at once.
            ProtocolVersion::V3 => ServerConnection::new_eio3(session.now(), config, session.sid()),
        };
        let mut this = SocketIoSession {
            machine,
            io,
            request: request.clone(),
            issued: SystemTime::now(),
            conn: Conn::new(session.sid(), session.transport()),
            sockets: HashMap::new(),
            acks: HashMap::new(),
        };
        // A v4 client's implicit connection to `/` is answered with the `open` packet.
        this.pump(session);
        this
    }

    /// Carries out the machine's outputs: messages to the session, events to the application.
    fn pump(&mut self, session: &mut SessionContext<'_, Command>) {
        while let Some(output) = self.machine.poll_output() {
            match output {
                Output::Send(message) => {
                    if session.send(message).is_err() {
                        // The client is not reading: it loses the connection, not the packet.
                        session.close();
                    }
                }
                Output::CloseEngine => session.close(),
                Output::Event(event) => self.on_event(session, event),
            }
        }
    }

    /// The outputs after the session is gone: only the application's events matter.
    fn pump_closed(&mut self) {
        while let Some(output) = self.machine.poll_output() {
            if let Output::Event(event) = output {
                self.on_event_closed(event);
            }
        }
    }

    fn on_event(&mut self, session: &mut SessionContext<'_, Command>, event: Event) {
        match event {
            Event::ConnectRequest { namespace, auth } => {
                self.on_connect_request(session, namespace, auth)
            }
            Event::Event {
                namespace,
                args,
                ack,
                ..
            } => {
                let Some(socket) = self.sockets.get(namespace.as_str()).cloned() else {
                    return;
                };
                let ack = ack.map(|id| AckSender {
                    session: session.handle(),
                    namespace: namespace.clone(),
                    id,
                });
                socket.dispatch_event(args, ack);
            }
            Event::Connected { namespace, .. } => {
                if let Some(socket) = self.sockets.get(namespace.as_str()).cloned() {
                    socket.set_connected(true);
                    socket
                        .namespace()
                        .add_socket(&socket, socket.take_early_rooms());
                    // The CONNECT reply is written before the connection handlers run, as the
                    // reference does: what they emit follows it in a write of its own.
                    session.after_write(Command::Greet {
                        namespace: namespace.as_str().to_owned(),
                    });
                }
            }
            other => self.on_event_closed(other),
        }
    }

    /// Runs the connection handlers of a socket that has just connected.
    fn greet(&self, namespace: &str) {
        if let Some(socket) = self.sockets.get(namespace) {
            for handler in socket.namespace().connection_handlers() {
                handler(socket);
            }
        }
    }

    /// The events that need no session (also handled after it is gone).
    fn on_event_closed(&mut self, event: Event) {
        match event {
            // Only with a session (no socket connects once it is gone).
            Event::Connected { .. } => {}
            Event::Ack {
                namespace,
                id,
                args,
                ..
            } => self.resolve_ack(&namespace, id, Ok(args)),
            Event::AckTimeout { namespace, id, .. } => {
                self.resolve_ack(&namespace, id, Err(AckError::Timeout))
            }
            Event::AckCancelled { namespace, id, .. } => {
                self.resolve_ack(&namespace, id, Err(AckError::Disconnected))
            }
            Event::Disconnecting {
                namespace, reason, ..
            } => {
                if let Some(socket) = self.sockets.get(namespace.as_str()).cloned() {
                    socket.notify_disconnecting(reason);
                }
            }
            Event::Disconnected {
                namespace,
                socket: id,
                reason,
            } => {
                if let Some(socket) = self.sockets.remove(namespace.as_str()) {
                    socket.set_connected(false);
                    socket.namespace().remove_socket(&id);
                    socket.notify_disconnect(reason);
                }
                // Acks this namespace still awaits were cancelled by the machine before this.
                self.acks
                    .retain(|(awaited_in, _), _| awaited_in != namespace.as_str());
            }
            Event::Closed { .. } => {
                self.sockets.clear();
                self.acks.clear();
            }
            // Only with a session; dropped once it is gone.
            Event::ConnectRequest { .. } | Event::Event { .. } => {}
        }
    }

    fn resolve_ack(
        &mut self,
        namespace: &NamespaceName,
        id: u64,
        answer: Result<Payload, AckError>,
    ) {
        if let Some(reply) = self.acks.remove(&(namespace.as_str().to_owned(), id)) {
            let _ = reply.send(answer);
        }
    }

    fn on_connect_request(
        &mut self,
        session: &mut SessionContext<'_, Command>,
        name: NamespaceName,
        auth: Option<RawJson>,
    ) {
        let Some(namespace) = self.io.namespace_for(name.as_str()) else {
            let _ = self
                .machine
                .reject_invalid_namespace(session.now(), name.as_str());
            return;
        };
        let Some(random) = random_bytes() else {
            let error = ConnectError::new("the server could not draw a socket id");
            self.reject(session.now(), name.as_str(), &error);
            return;
        };
        let id = self.machine.new_socket_id(name.as_str(), &random);
        let auth = match auth {
            // Protocol v4 sends no auth for `/`: its query is the Engine.IO request's.
            None if self.machine.protocol_version() == ProtocolVersion::V3 && name.is_main() => {
                Some(v4::auth_from_query(&application_query(&self.request)))
            }
            auth => auth,
        };
        let auth = auth
            .and_then(|auth| auth.deserialize::<serde_json::Value>().ok())
            .unwrap_or_else(|| serde_json::Value::Object(Default::default()));
        let handshake = Handshake::new(&self.request, self.issued, auth);
        let socket = Socket::new(
            id,
            namespace.clone(),
            session.handle(),
            self.conn.clone(),
            handshake,
        );
        self.sockets
            .insert(name.as_str().to_owned(), socket.clone());
        let middleware = namespace.middleware();
        if middleware.is_empty() {
            self.admit(session.now(), name.as_str(), Ok(()));
            return;
        }
        // The middleware may wait (a database, a token check): it runs in its own task and its
        // verdict comes back as a command, in order with the rest of the session's traffic.
        let handle = session.handle();
        let namespace_name = name.as_str().to_owned();
        self.io.runtime.spawn(Box::pin(async move {
            let mut verdict = Ok(());
            for step in middleware {
                verdict = step(socket.clone()).await;
                if verdict.is_err() {
                    break;
                }
            }
            let command = Command::Admit {
                namespace: namespace_name,
                verdict,
            };
            // A closed session needs no verdict.
            let _ = handle.try_command(command);
        }));
    }

    fn admit(&mut self, now: Instant, namespace: &str, verdict: Result<(), ConnectError>) {
        let Some(socket) = self.sockets.get(namespace) else {
            return;
        };
        match verdict {
            Ok(()) => {
                let id = socket.id().clone();
                if self.machine.accept(now, namespace, id).is_err() {
                    self.sockets.remove(namespace);
                }
            }
            Err(error) => self.reject(now, namespace, &error),
        }
    }

    fn reject(&mut self, now: Instant, namespace: &str, error: &ConnectError) {
        self.sockets.remove(namespace);
        let data = error
            .data
            .as_ref()
            .and_then(|data| RawJson::from_serialize(data).ok());
        let _ = self.machine.reject(now, namespace, &error.message, data);
    }

    fn on_command(&mut self, now: Instant, command: Command) {
        match command {
            Command::EmitWithAck {
                namespace,
                args,
                timeout,
                reply,
            } => match self.machine.emit_with_ack(now, &namespace, args, timeout) {
                Ok(id) => {
                    self.acks.insert((namespace, id), reply);
                }
                Err(_) => {
                    let _ = reply.send(Err(AckError::NotSent));
                }
            },
            Command::Ack {
                namespace,
                id,
                args,
            } => {
                // A second answer, or one for a socket gone, is ignored as in the reference.
                let _ = self.machine.ack(&namespace, id, args);
            }
            Command::Admit { namespace, verdict } => self.admit(now, &namespace, verdict),
            Command::Disconnect { namespace } => {
                let _ = self.machine.disconnect(now, &namespace);
            }
            Command::DisconnectAll => self.machine.disconnect_all(now),
            Command::Greet { namespace } => self.greet(&namespace),
            Command::Close(reason) => self.machine.close(now, reason),
        }
    }
}

impl SessionHandler for SocketIoSession {
    type Command = Command;

    fn on_message(&mut self, session: &mut SessionContext<'_, Command>, message: Message) {
        self.conn.notify_packet(&message);
        self.machine.handle_message(session.now(), message);
        self.pump(session);
    }

    fn on_upgrade(&mut self, _session: &mut SessionContext<'_, Command>) {
        self.conn.notify_upgraded();
    }

    fn on_drain(&mut self, _session: &mut SessionContext<'_, Command>) {
        self.conn.notify_drain();
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.machine.poll_timeout()
    }

    fn on_timeout(&mut self, session: &mut SessionContext<'_, Command>) {
        self.machine.handle_timeout(session.now());
        self.pump(session);
    }

    fn on_command(&mut self, session: &mut SessionContext<'_, Command>, command: Command) {
        self.on_command(session.now(), command);
        self.pump(session);
    }

    fn on_close(&mut self, now: Instant, reason: CloseReason) {
        self.machine.handle_engine_closed(now, reason);
        self.pump_closed();
        self.conn.notify_closed(reason);
    }
}

/// Random bytes for a socket id from the operating system's CSPRNG (protocol v5; v4 ids derive
/// from the session id).
fn random_bytes() -> Option<[u8; SOCKET_ID_RANDOM_BYTES]> {
    let mut random = [0u8; SOCKET_ID_RANDOM_BYTES];
    getrandom::fill(&mut random).ok()?;
    Some(random)
}

/// The Engine.IO request's query without Engine.IO's own parameters: what a protocol v4 client
/// gave as `query`, which stands for its auth on `/`.
fn application_query(request: &HandshakeRequest) -> String {
    const ENGINE_PARAMETERS: [&str; 6] = ["EIO", "transport", "sid", "t", "b64", "j"];
    let query = request.uri.query().unwrap_or("");
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| {
            let key = pair.split_once('=').map_or(*pair, |(key, _)| key);
            !ENGINE_PARAMETERS.contains(&key)
        })
        .collect();
    kept.join("&")
}
