//! One client session: the Engine.IO machine (transports, heartbeat, upgrade) under the Socket.IO
//! machine (namespaces, events, acks), the glue between the two, and the application on top.
//!
//! The two machines never call each other: what one outputs, [`Session::drain`] feeds to the
//! other, until neither has anything left. What must go out on a connection comes back as a
//! [`Transmit`] for the server to carry out.

use engineio_proto::server::{
    Event as EngineEvent, Output as EngineOutput, SendError, ServerSession,
};
use engineio_proto::{Bytes, Frame, Instant, Transport};
use socketio_proto::server::{Output as SocketIoOutput, ServerConnection};

use crate::config::Config;
use crate::echo::Echo;
use crate::peer::PeerId;
use crate::random::Ids;

/// Something to send on one of a session's connections.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Transmit {
    /// Answer the held long-polling GET with this payload.
    PollResponse(Bytes),
    /// Send this frame on the WebSocket.
    Frame(Frame),
    /// Close the WebSocket.
    CloseWebSocket,
}

/// The state of one client session.
#[derive(Debug)]
pub struct Session {
    /// Engine.IO: the transports.
    pub engine: ServerSession,
    /// Socket.IO: the namespaces, over the engine's messages.
    pub socket_io: ServerConnection,
    app: Echo,
    /// The connection whose GET the engine holds.
    pub held_poll: Option<PeerId>,
    /// The connection carrying the session's WebSocket: the probe while upgrading, else the main
    /// one. The engine has at most one at a time.
    pub websocket: Option<PeerId>,
}

impl Session {
    /// Opens a session whose handshake request came on `peer` over `transport`: over polling the
    /// handshake GET is held (the engine answers it with the `open` packet at once); over WebSocket
    /// `peer` is the session's socket.
    pub fn open(
        now: Instant,
        sid: String,
        transport: Transport,
        peer: PeerId,
        config: &Config,
    ) -> Self {
        println!("session {sid} opened over {transport}");
        Session {
            engine: ServerSession::new(now, sid, transport, config.engine),
            socket_io: ServerConnection::new(now, config.socket_io),
            app: Echo::default(),
            held_poll: (transport == Transport::Polling).then_some(peer),
            websocket: (transport == Transport::WebSocket).then_some(peer),
        }
    }

    /// The next instant at which [`handle_timeout`](Self::handle_timeout) must run.
    pub fn poll_timeout(&self) -> Option<Instant> {
        [self.engine.poll_timeout(), self.socket_io.poll_timeout()]
            .into_iter()
            .flatten()
            .min()
    }

    /// Gives each machine whose deadline has come its timeout.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.engine.poll_timeout().is_some_and(|at| at <= now) {
            self.engine.handle_timeout(now);
        }
        if self.socket_io.poll_timeout().is_some_and(|at| at <= now) {
            self.socket_io.handle_timeout(now);
        }
    }

    /// Whether the session is over (after the drain that carried out its close): drop it from the
    /// table, so that its sid is unknown from now on.
    pub fn is_over(&self) -> bool {
        self.engine.is_closed()
    }

    /// Carries out what the machines ask, each output fed to the other machine, to the application
    /// or to `transmits`, until neither machine has anything left. Call it after every input.
    pub fn drain(&mut self, now: Instant, transmits: &mut Vec<(PeerId, Transmit)>, ids: &mut Ids) {
        loop {
            let mut idle = true;
            while let Some(output) = self.engine.poll_output() {
                idle = false;
                self.on_engine_output(now, output, transmits);
            }
            while let Some(output) = self.socket_io.poll_output() {
                idle = false;
                self.on_socket_io_output(now, output, ids);
            }
            if idle {
                return;
            }
        }
    }

    fn on_engine_output(
        &mut self,
        now: Instant,
        output: EngineOutput,
        transmits: &mut Vec<(PeerId, Transmit)>,
    ) {
        match output {
            // The engine no longer holds that GET, whatever becomes of the answer.
            EngineOutput::PollResponse(payload) => {
                if let Some(peer) = self.held_poll.take() {
                    transmits.push((peer, Transmit::PollResponse(payload)));
                }
            }
            EngineOutput::WsFrame(frame) => {
                if let Some(peer) = self.websocket {
                    transmits.push((peer, Transmit::Frame(frame)));
                }
            }
            // From now on that socket is not the session's: its frames and its end are ignored.
            EngineOutput::CloseWebSocket => {
                if let Some(peer) = self.websocket.take() {
                    transmits.push((peer, Transmit::CloseWebSocket));
                }
            }
            EngineOutput::Event(EngineEvent::Message(message)) => {
                self.socket_io.handle_message(now, message);
            }
            EngineOutput::Event(EngineEvent::Upgrading) => {}
            EngineOutput::Event(EngineEvent::Upgraded) => {
                println!("session {} upgraded to websocket", self.engine.sid());
            }
            EngineOutput::Event(EngineEvent::Closed(reason)) => {
                println!("session {} closed ({reason})", self.engine.sid());
                self.socket_io.handle_engine_closed(now, reason);
            }
        }
    }

    fn on_socket_io_output(&mut self, now: Instant, output: SocketIoOutput, ids: &mut Ids) {
        match output {
            SocketIoOutput::Send(message) => match self.engine.send(message) {
                Ok(()) => {}
                // The session is closing: the client gets nothing more either way.
                Err(SendError::Closed) => {}
                // `max_buffered_packets` wait: the client does not keep up. Close rather than
                // drop what it was sent.
                Err(SendError::QueueFull { limit }) => {
                    eprintln!(
                        "session {}: {limit} packets unsent, closing it",
                        self.engine.sid()
                    );
                    self.engine.close(now);
                }
            },
            SocketIoOutput::CloseEngine => self.engine.close(now),
            SocketIoOutput::Event(event) => {
                self.app.on_event(now, event, &mut self.socket_io, ids);
            }
        }
    }
}
