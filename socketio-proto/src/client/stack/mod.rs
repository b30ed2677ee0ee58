//! The whole client as one machine: the [`Manager`] and the Engine.IO sessions it runs on.
//!
//! A [`Stack`] owns the Socket.IO manager and its Engine.IO client sessions: the current one and
//! those it has closed but still drives until their close is written. It starts a new session
//! whenever the manager (re)connects, feeds the current session's messages to the manager and the
//! manager's packets to the session, and names every transport output with the [`EngineId`] of its
//! session, so a report from a replaced session never reaches the new one. A runtime only carries
//! out [`Output`]s and reports back; the bookkeeping of engine generations lives here, once.
//!
//! # The loop
//!
//! Drain [`poll_output`](Stack::poll_output) until `None`, then wait for a transport report, a
//! command of the application or [`poll_timeout`](Stack::poll_timeout); feed it in; repeat. Every
//! input takes `now` from the caller's monotonic clock: the work it causes happens during the next
//! `poll_output`, at the latest `now` given.
//!
//! ```
//! use engineio_proto::client::TransportFailure;
//! use engineio_proto::{Bytes, Frame, Instant};
//! use socketio_proto::client::stack::{EngineId, Output, Stack};
//!
//! /// What woke the runtime: a transport's report, the deadline, or the application leaving.
//! enum Wake {
//!     Polled(EngineId, Result<Bytes, TransportFailure>),
//!     Posted(EngineId, Result<(), TransportFailure>),
//!     WsOpened(EngineId),
//!     WsFrame(EngineId, Frame),
//!     WsClosed(EngineId, bool),
//!     Deadline,
//!     Quit,
//! }
//!
//! /// The runtime's side: a clock, transports that report back, and a way to wait.
//! trait Host {
//!     fn now(&self) -> Instant;
//!     /// Starts a request, opens / writes / closes a WebSocket, or runs the application's handlers
//!     /// (which may call `stack.emit`, `stack.ack`, ... in turn).
//!     fn carry_out(&mut self, stack: &mut Stack, output: Output);
//!     fn wait(&mut self, deadline: Option<Instant>) -> Wake;
//! }
//!
//! fn run(stack: &mut Stack, host: &mut impl Host) {
//!     loop {
//!         while let Some(output) = stack.poll_output() {
//!             host.carry_out(stack, output);
//!         }
//!         if stack.is_idle() && !stack.manager().is_reconnecting() {
//!             return; // closed, and nothing left to write
//!         }
//!         let wake = host.wait(stack.poll_timeout());
//!         let now = host.now();
//!         match wake {
//!             Wake::Polled(engine, body) => stack.handle_poll_response(now, engine, body),
//!             Wake::Posted(engine, result) => stack.handle_post_response(now, engine, result),
//!             Wake::WsOpened(engine) => stack.handle_ws_opened(now, engine),
//!             Wake::WsFrame(engine, frame) => stack.handle_ws_frame(now, engine, frame),
//!             Wake::WsClosed(engine, error) => stack.handle_ws_closed(now, engine, error),
//!             Wake::Deadline => stack.handle_timeout(now),
//!             Wake::Quit => stack.close(now),
//!         }
//!     }
//! }
//! ```
//!
//! The first steps of a connection, by hand, on a fake clock:
//!
//! ```
//! use engineio_proto::{Bytes, Instant, Message};
//! use socketio_proto::client::stack::{EngineEvent, Output, Stack, StackConfig};
//! use socketio_proto::client::{EmitOptions, Event};
//! use socketio_proto::packet::{NamespaceName, Payload};
//!
//! let now = Instant::from_millis(1); // the caller's clock
//! let mut stack = Stack::new(StackConfig::default(), 7);
//! let main = NamespaceName::main();
//! // Emits before the namespace is connected wait in its buffer.
//! let hello = Payload::event("hello", &"world").unwrap();
//! stack.emit(now, &main, hello, EmitOptions::default()).unwrap();
//! stack.connect(now, main, None).unwrap();
//!
//! // The handshake GET of session 0.
//! let Some(Output::Poll { engine, query }) = stack.poll_output() else { panic!() };
//! assert_eq!(query, "EIO=4&transport=polling");
//! let open = r#"0{"sid":"s1","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#;
//! stack.handle_poll_response(now, engine, Ok(Bytes::from_static(open.as_bytes())));
//! assert!(matches!(stack.poll_output(), Some(Output::Engine(EngineEvent::Open { .. }))));
//! // The next GET, and the namespace's CONNECT in a POST.
//! assert!(matches!(stack.poll_output(), Some(Output::Poll { .. })));
//! let Some(Output::Post { body, .. }) = stack.poll_output() else { panic!() };
//! assert_eq!(&body[..], b"40");
//! assert_eq!(stack.poll_output(), None);
//!
//! // The server accepts; the buffered emit follows the CONNECT once its POST is answered.
//! stack.handle_post_response(now, engine, Ok(()));
//! stack.handle_poll_response(now, engine, Ok(Bytes::from_static(br#"40{"sid":"x"}"#)));
//! let outputs: Vec<Output> = std::iter::from_fn(|| stack.poll_output()).collect();
//! assert!(outputs.iter().any(|output| matches!(
//!     output,
//!     Output::Event(Event::Connect { sid, .. }) if sid == "x"
//! )));
//! assert!(outputs.iter().any(|output| matches!(
//!     output,
//!     Output::Post { body, .. } if &body[..] == br#"42["hello","world"]"#
//! )));
//! ```

mod config;
mod output;

use alloc::collections::VecDeque;

use bytes::Bytes;
use engineio_proto::client::{
    ClientSession, CloseReason, Event as EngineOutputEvent, Output as EngineOutput,
    TransportFailure,
};
use engineio_proto::{Frame, Instant, SessionParams, Transport};

pub use config::StackConfig;
pub use output::{EngineEvent, EngineId, Output};

use crate::client::{
    AckError, EmitError, EmitOptions, InvalidAuth, Manager, Output as ManagerOutput,
};
use crate::packet::{NamespaceName, Payload, RawJson};

/// One Engine.IO session of the stack.
#[derive(Debug)]
struct Engine {
    id: EngineId,
    session: ClientSession,
}

/// A session the stack closed, driven until its close is written or its time is up.
#[derive(Debug)]
struct Retiring {
    engine: Engine,
    drop_at: Instant,
}

/// The Socket.IO client as one sans-IO machine: the [`Manager`] with its current and retiring
/// Engine.IO sessions. See the [module docs](self) for the loop.
#[derive(Debug)]
pub struct Stack {
    config: StackConfig,
    manager: Manager,
    current: Option<Engine>,
    retiring: VecDeque<Retiring>,
    next_generation: u64,
    /// The current session's handshake was handed out; the manager hears of it on the next pump.
    open_pending: bool,
    /// The latest `now` given: the time of the work `poll_output` does.
    now: Instant,
    outputs: VecDeque<Output>,
}

impl Stack {
    /// A stack with no socket and no session. `seed` drives the reconnection jitter: the runtime
    /// draws it from its RNG.
    pub fn new(config: StackConfig, seed: u64) -> Self {
        Stack {
            manager: Manager::new(config.manager.clone(), seed),
            config,
            current: None,
            retiring: VecDeque::new(),
            next_generation: 0,
            open_pending: false,
            now: Instant::ZERO,
            outputs: VecDeque::new(),
        }
    }

    // ----- the application's commands -----

    /// Activates the socket of `namespace`: it connects with `auth` as soon as a session is open
    /// (starting one if needed) and again after every reconnection. See [`Manager::connect`].
    pub fn connect(
        &mut self,
        now: Instant,
        namespace: NamespaceName,
        auth: Option<RawJson>,
    ) -> Result<(), InvalidAuth> {
        self.advance(now);
        self.manager.connect(now, namespace, auth)
    }

    /// Disconnects the socket of `namespace`. See [`Manager::disconnect`].
    pub fn disconnect(&mut self, now: Instant, namespace: &str) {
        self.advance(now);
        self.manager.disconnect(now, namespace);
    }

    /// Sends an event on the socket of `namespace`, creating the socket if needed: until it is
    /// connected the event waits in its buffer (a volatile one is dropped). Returns the ack id when
    /// asked for one. See [`Manager::emit`].
    pub fn emit(
        &mut self,
        now: Instant,
        namespace: &NamespaceName,
        args: Payload,
        options: EmitOptions,
    ) -> Result<Option<u64>, EmitError> {
        self.advance(now);
        self.manager.add_socket(namespace.clone());
        self.manager.emit(now, namespace, args, options)
    }

    /// Answers the server's event that carried ack `id`, at most once. See [`Manager::ack`].
    pub fn ack(
        &mut self,
        now: Instant,
        namespace: &str,
        id: u64,
        args: Payload,
    ) -> Result<(), AckError> {
        self.advance(now);
        self.manager.ack(namespace, id, args)
    }

    /// Disconnects every socket and closes the session; no reconnection follows. The stack is
    /// [idle](Self::is_idle) once the close is written. See [`Manager::close`].
    pub fn close(&mut self, now: Instant) {
        self.advance(now);
        self.manager.close(now);
    }

    // ----- transport reports -----

    /// The outcome of the GET asked for by [`Output::Poll`].
    pub fn handle_poll_response(
        &mut self,
        now: Instant,
        engine: EngineId,
        response: Result<Bytes, TransportFailure>,
    ) {
        self.advance(now);
        if let Some(session) = self.session(engine) {
            session.handle_poll_response(now, response);
        }
    }

    /// The outcome of the POST asked for by [`Output::Post`].
    pub fn handle_post_response(
        &mut self,
        now: Instant,
        engine: EngineId,
        response: Result<(), TransportFailure>,
    ) {
        self.advance(now);
        if let Some(session) = self.session(engine) {
            session.handle_post_response(now, response);
        }
    }

    /// The WebSocket asked for by [`Output::OpenWebSocket`] is open.
    pub fn handle_ws_opened(&mut self, now: Instant, engine: EngineId) {
        self.advance(now);
        if let Some(session) = self.session(engine) {
            session.handle_ws_opened(now);
        }
    }

    /// A frame arrived on the session's WebSocket.
    pub fn handle_ws_frame(&mut self, now: Instant, engine: EngineId, frame: Frame) {
        self.advance(now);
        if let Some(session) = self.session(engine) {
            session.handle_ws_frame(now, frame);
        }
    }

    /// The session's WebSocket closed: cleanly (`error == false`) or not (it failed to open, or
    /// broke, or the runtime could not write a frame).
    pub fn handle_ws_closed(&mut self, now: Instant, engine: EngineId, error: bool) {
        self.advance(now);
        if let Some(session) = self.session(engine) {
            session.handle_ws_closed(now, error);
        }
    }

    /// Processes what is due at `now`: the manager's deadlines (acks, connection attempt,
    /// reconnection), the sessions' heartbeats, and retiring sessions whose time is up.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.advance(now);
        let due = |deadline: Option<Instant>| deadline.is_some_and(|at| at <= now);
        if due(self.manager.poll_timeout()) {
            self.manager.handle_timeout(now);
        }
        let sessions = self.current.iter_mut().map(|engine| &mut engine.session);
        let retiring = self.retiring.iter_mut().map(|r| &mut r.engine.session);
        for session in sessions.chain(retiring) {
            if due(session.poll_timeout()) {
                session.handle_timeout(now);
            }
        }
        // Let each expired session say its last, then drop it.
        let mut index = 0;
        while index < self.retiring.len() {
            if self.retiring[index].drop_at <= now {
                if let Some(retiring) = self.retiring.remove(index) {
                    self.drop_retiring(retiring.engine);
                }
            } else {
                index += 1;
            }
        }
    }

    // ----- outputs -----

    /// The next thing to do, until `None`.
    pub fn poll_output(&mut self) -> Option<Output> {
        loop {
            if let Some(output) = self.outputs.pop_front() {
                return Some(output);
            }
            if !self.pump() {
                return None;
            }
        }
    }

    /// When [`handle_timeout`](Self::handle_timeout) must be called next (ask after draining
    /// [`poll_output`](Self::poll_output)).
    pub fn poll_timeout(&self) -> Option<Instant> {
        let sessions = self
            .current
            .iter()
            .map(|engine| &engine.session)
            .chain(self.retiring.iter().map(|r| &r.engine.session))
            .filter_map(ClientSession::poll_timeout);
        let retiring = self.retiring.iter().map(|r| r.drop_at);
        self.manager
            .poll_timeout()
            .into_iter()
            .chain(sessions)
            .chain(retiring)
            .min()
    }

    // ----- observations -----

    /// The manager: the sockets' state (`is_connected`, `socket_id`, `buffered_packets`, ...).
    pub fn manager(&self) -> &Manager {
        &self.manager
    }

    /// The settings.
    pub fn config(&self) -> &StackConfig {
        &self.config
    }

    /// The current session, once started and until it is gone for the application.
    pub fn current_engine(&self) -> Option<EngineId> {
        self.current.as_ref().map(|engine| engine.id)
    }

    /// The current session's transport, while it is open.
    pub fn transport(&self) -> Option<Transport> {
        let engine = self.current.as_ref()?;
        engine.session.is_open().then(|| engine.session.transport())
    }

    /// The current session's handshake, once it arrived.
    pub fn handshake(&self) -> Option<&SessionParams> {
        self.current.as_ref()?.session.handshake()
    }

    /// Packets the current session has not written yet: a runtime holds the application's
    /// commands back while this is high, so it feels the backpressure.
    pub fn buffered_packets(&self) -> usize {
        self.current
            .as_ref()
            .map_or(0, |engine| engine.session.buffered_packets())
    }

    /// Whether no session is left to drive and nothing is left to hand out. A closed stack becomes
    /// idle once its close is written; so does one waiting to reconnect.
    pub fn is_idle(&self) -> bool {
        self.current.is_none()
            && self.retiring.is_empty()
            && self.outputs.is_empty()
            && !self.open_pending
    }

    // ----- inside -----

    fn advance(&mut self, now: Instant) {
        self.now = self.now.max(now);
    }

    /// The session `engine`, if the stack still drives it.
    fn session(&mut self, engine: EngineId) -> Option<&mut ClientSession> {
        let current = self.current.iter_mut();
        let retiring = self.retiring.iter_mut().map(|r| &mut r.engine);
        current
            .chain(retiring)
            .find(|e| e.id == engine)
            .map(|e| &mut e.session)
    }

    /// Moves everything one step between the machines; `false` when nothing moved.
    fn pump(&mut self) -> bool {
        let now = self.now;
        if self.open_pending {
            self.open_pending = false;
            // The handshake carries what the revision needs (revision 3 derives socket ids from it).
            match self
                .current
                .as_ref()
                .and_then(|engine| engine.session.handshake().cloned())
            {
                Some(handshake) => self.manager.handle_engine_handshake(now, &handshake),
                None => self.manager.handle_engine_open(now),
            }
            return true;
        }
        let mut progressed = false;
        while let Some(output) = self.manager.poll_output() {
            progressed = true;
            self.on_manager_output(output);
        }
        progressed |= self.drain_current();
        progressed |= self.drain_retiring();
        progressed
    }

    fn on_manager_output(&mut self, output: ManagerOutput) {
        let now = self.now;
        match output {
            ManagerOutput::OpenEngine => {
                if let Some(old) = self.current.take() {
                    self.retire(old, CloseReason::ForcedClose);
                }
                let id = EngineId::new(self.next_generation);
                self.next_generation += 1;
                let mut session = ClientSession::new(self.config.engine);
                session.start(now);
                self.current = Some(Engine { id, session });
            }
            ManagerOutput::Send(message) => {
                let Some(engine) = &mut self.current else {
                    return;
                };
                if engine.session.send(message).is_err() {
                    // The session cannot take it: the connection is lost, the manager reconnects.
                    let reason = CloseReason::TransportError(TransportFailure::Network);
                    if let Some(engine) = self.current.take() {
                        self.retire(engine, reason.clone());
                    }
                    self.manager.handle_engine_closed(now, reason);
                }
            }
            ManagerOutput::CloseEngine => {
                if let Some(engine) = self.current.take() {
                    self.retire(engine, CloseReason::ForcedClose);
                }
            }
            ManagerOutput::Event(event) => self.outputs.push_back(Output::Event(event)),
        }
    }

    /// Carries out what the current session asks and hands its events on. Stops after the
    /// handshake, so the application sees it before the manager sends `CONNECT`s.
    fn drain_current(&mut self) -> bool {
        let now = self.now;
        let Some(engine) = &mut self.current else {
            return false;
        };
        let id = engine.id;
        let mut progressed = false;
        while let Some(output) = engine.session.poll_output() {
            progressed = true;
            let event = match transport_output(id, output) {
                Ok(output) => {
                    self.outputs.push_back(output);
                    continue;
                }
                Err(event) => event,
            };
            match event {
                EngineOutputEvent::Open(handshake) => {
                    let transport = engine.session.transport();
                    self.outputs.push_back(Output::Engine(EngineEvent::Open {
                        handshake,
                        transport,
                    }));
                    self.open_pending = true;
                    return true;
                }
                EngineOutputEvent::Message(message) => self.manager.handle_message(now, message),
                EngineOutputEvent::Upgraded => {
                    self.outputs
                        .push_back(Output::Engine(EngineEvent::Upgraded));
                }
                EngineOutputEvent::Upgrading | EngineOutputEvent::UpgradeFailed => {}
                EngineOutputEvent::Closed(reason) => {
                    self.outputs
                        .push_back(Output::Engine(EngineEvent::Closed(reason.clone())));
                    self.manager.handle_engine_closed(now, reason);
                }
            }
        }
        if engine.session.is_closed() {
            self.current = None;
            self.outputs.push_back(Output::Release { engine: id });
        }
        progressed
    }

    /// Carries out what the retiring sessions ask (their events are no one's business any more)
    /// and releases those that have ended.
    fn drain_retiring(&mut self) -> bool {
        let mut progressed = false;
        let mut index = 0;
        while index < self.retiring.len() {
            let engine = &mut self.retiring[index].engine;
            progressed |= drain_quietly(engine, &mut self.outputs);
            if engine.session.is_closed() {
                let id = engine.id;
                self.retiring.remove(index);
                self.outputs.push_back(Output::Release { engine: id });
            } else {
                index += 1;
            }
        }
        progressed
    }

    /// Tells the application a session is gone, closes it and keeps driving it until its close is
    /// written (bounded in time and number).
    fn retire(&mut self, mut engine: Engine, reason: CloseReason) {
        let now = self.now;
        self.outputs
            .push_back(Output::Engine(EngineEvent::Closed(reason)));
        engine.session.close(now);
        drain_quietly(&mut engine, &mut self.outputs);
        if engine.session.is_closed() {
            self.outputs
                .push_back(Output::Release { engine: engine.id });
            return;
        }
        while self.retiring.len() >= self.config.max_retiring {
            match self.retiring.pop_front() {
                Some(oldest) => self.drop_retiring(oldest.engine),
                None => break,
            }
        }
        if self.config.max_retiring == 0 {
            return self.drop_retiring(engine);
        }
        self.retiring.push_back(Retiring {
            engine,
            drop_at: now + self.config.retire_timeout,
        });
    }

    /// Gives up on a retiring session: what it still asks goes out, then it is released.
    fn drop_retiring(&mut self, mut engine: Engine) {
        drain_quietly(&mut engine, &mut self.outputs);
        self.outputs
            .push_back(Output::Release { engine: engine.id });
    }
}

/// Hands on the transport outputs of a session no one listens to; `true` if it had any output.
fn drain_quietly(engine: &mut Engine, outputs: &mut VecDeque<Output>) -> bool {
    let mut progressed = false;
    while let Some(output) = engine.session.poll_output() {
        progressed = true;
        if let Ok(output) = transport_output(engine.id, output) {
            outputs.push_back(output);
        }
    }
    progressed
}

/// A session's transport output as the stack's, or the session's event.
fn transport_output(engine: EngineId, output: EngineOutput) -> Result<Output, EngineOutputEvent> {
    Ok(match output {
        EngineOutput::Poll { query } => Output::Poll { engine, query },
        EngineOutput::Post { query, body } => Output::Post {
            engine,
            query,
            body,
        },
        EngineOutput::OpenWebSocket { query } => Output::OpenWebSocket { engine, query },
        EngineOutput::WsFrame(frame) => Output::WsFrame { engine, frame },
        EngineOutput::CloseWebSocket => Output::CloseWebSocket { engine },
        EngineOutput::Event(event) => return Err(event),
    })
}
