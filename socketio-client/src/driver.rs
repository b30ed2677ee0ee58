//! The client's task: one Engine.IO session at a time and the Socket.IO manager, driven in the
//! shape of the sans-IO contract: wait for a command, a transport report or the next deadline;
//! feed it in; drain both machines' outputs; sleep until the earliest deadline.

use std::collections::{HashMap, HashSet, VecDeque};
use std::future::poll_fn;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use engineio_proto::client::{
    ClientConfig, ClientSession, CloseReason, Event as EngineEvent, Output as EngineOutput,
    TransportFailure,
};
use engineio_proto::{Frame, Instant, Transport};
use futures_channel::oneshot;
use serde_json::Value;
use socketio_proto::client::{
    EmitError as ManagerEmitError, EmitOptions, EngineState, Event as ManagerEvent, Manager,
    ManagerConfig, Output as ManagerOutput,
};
use socketio_proto::packet::{Namespace, Payload, RawJson};

use super::builder::Auth;
use super::handle::{
    AckError, AckSender, ClientEvent, Command, ConnectError, Shared, SocketEvent, Status,
};
use super::transport::{Input, Transports};
use socketio_runtime::Clock;
use socketio_runtime::sync::lock;

/// Frames waiting for the WebSocket writer. The driver stops taking commands while it is half full.
const WS_QUEUE: usize = 1024;
/// Callers of `connect()` waiting for an outcome.
const MAX_CONNECT_WAITERS: usize = 256;
/// How often the driver looks again at a full WebSocket queue while it holds commands back.
const BACKPRESSURE_RECHECK: Duration = Duration::from_millis(5);
/// How long a shutting-down client keeps driving its engine so the close is written.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// One Engine.IO session and its WebSocket writer queue.
struct Engine {
    /// Generation: transport reports carry it, so reports of an older session are told apart.
    id: u64,
    session: ClientSession,
    ws: Option<async_channel::Sender<Frame>>,
}

/// Which engine slot a drain is about.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Slot {
    /// The session the manager knows about.
    Current,
    /// A session the manager told to close, driven until its close is written.
    Retiring,
}

/// An emit made before its socket's first `connect`.
struct EarlyEmit {
    payload: Payload,
    options: EmitOptions,
    reply: Option<oneshot::Sender<Result<Payload, AckError>>>,
}

/// What woke the driver.
enum Wake {
    Command(Option<Command>),
    Input(Option<Input>),
    Shutdown,
    Deadline,
}

pub(crate) struct Driver {
    shared: Arc<Shared>,
    transports: Arc<Transports>,
    clock: Clock,
    engine_config: ClientConfig,
    manager: Manager,
    commands: async_channel::Receiver<Command>,
    inputs: async_channel::Receiver<Input>,
    shutdown: async_channel::Receiver<()>,
    current: Option<Engine>,
    retiring: Option<Engine>,
    next_engine: u64,
    auths: HashMap<Namespace, Auth>,
    known: HashSet<Namespace>,
    connect_waiters: Vec<(Namespace, oneshot::Sender<Result<(), ConnectError>>)>,
    acks: HashMap<(Namespace, u64), oneshot::Sender<Result<Payload, AckError>>>,
    /// Emits on sockets never connected yet, handed to the manager when they first connect.
    early_emits: HashMap<Namespace, VecDeque<EarlyEmit>>,
    /// When the driver gives up waiting for the engine to finish closing, once shutting down.
    shutdown_deadline: Option<Instant>,
}

impl Driver {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        shared: Arc<Shared>,
        transports: Arc<Transports>,
        engine_config: ClientConfig,
        manager_config: ManagerConfig,
        seed: u64,
        commands: async_channel::Receiver<Command>,
        inputs: async_channel::Receiver<Input>,
        shutdown: async_channel::Receiver<()>,
    ) -> Self {
        Driver {
            shared,
            transports,
            clock: Clock::new(),
            engine_config,
            manager: Manager::new(manager_config, seed),
            commands,
            inputs,
            shutdown,
            current: None,
            retiring: None,
            next_engine: 0,
            auths: HashMap::new(),
            known: HashSet::new(),
            connect_waiters: Vec::new(),
            acks: HashMap::new(),
            early_emits: HashMap::new(),
            shutdown_deadline: None,
        }
    }

    pub(crate) async fn run(mut self) {
        let commands = self.commands.clone();
        let inputs = self.inputs.clone();
        let shutdown = self.shutdown.clone();
        let mut commands_first = false;
        loop {
            let now = self.clock.now();
            self.step(now);
            if let Some(deadline) = self.shutdown_deadline {
                let engines_done = self.current.is_none() && self.retiring.is_none();
                if engines_done || deadline <= now {
                    break;
                }
            }
            let accepting = self.shutdown_deadline.is_none() && self.has_room();
            let listening_shutdown = self.shutdown_deadline.is_none();
            let mut deadline = self.next_deadline();
            if !accepting && self.shutdown_deadline.is_none() {
                // Nothing signals the WebSocket writer catching up: look again shortly.
                let recheck = now + BACKPRESSURE_RECHECK;
                deadline = Some(deadline.map_or(recheck, |deadline| deadline.min(recheck)));
            }
            // Neither transport reports nor commands may starve the other.
            commands_first = !commands_first;
            let mut command = pin!(commands.recv());
            let mut input = pin!(inputs.recv());
            let mut signal = pin!(shutdown.recv());
            let mut sleep = deadline.map(|deadline| {
                self.transports
                    .runtime
                    .sleep_until(self.clock.to_std(deadline))
            });
            let wake = poll_fn(|cx| {
                if listening_shutdown && signal.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(Wake::Shutdown);
                }
                if accepting && commands_first {
                    if let Poll::Ready(command) = command.as_mut().poll(cx) {
                        return Poll::Ready(Wake::Command(command.ok()));
                    }
                }
                if let Poll::Ready(input) = input.as_mut().poll(cx) {
                    return Poll::Ready(Wake::Input(input.ok()));
                }
                if accepting && !commands_first {
                    if let Poll::Ready(command) = command.as_mut().poll(cx) {
                        return Poll::Ready(Wake::Command(command.ok()));
                    }
                }
                if let Some(sleep) = &mut sleep {
                    if sleep.as_mut().poll(cx).is_ready() {
                        return Poll::Ready(Wake::Deadline);
                    }
                }
                Poll::Pending
            })
            .await;
            let now = self.clock.now();
            match wake {
                Wake::Input(Some(input)) => self.handle_input(now, input),
                Wake::Command(Some(command)) => self.handle_command(now, command),
                // The driver holds a sender of `inputs` (through `transports`), so `None` cannot
                // come from there; no command sender left means no handle left either.
                Wake::Input(None) | Wake::Command(None) | Wake::Shutdown => {
                    self.begin_shutdown(now)
                }
                Wake::Deadline => {}
            }
        }
        // Handlers may hold socket handles, which hold the shared state: let them go with the
        // driver so nothing stays alive in a cycle.
        lock(&self.shared.handlers).clear();
        lock(&self.shared.client_listeners).clear();
    }

    /// The earliest deadline of the manager, the engines and the shutdown.
    fn next_deadline(&self) -> Option<Instant> {
        let engines = [&self.current, &self.retiring]
            .into_iter()
            .flatten()
            .filter_map(|engine| engine.session.poll_timeout());
        [self.manager.poll_timeout(), self.shutdown_deadline]
            .into_iter()
            .flatten()
            .chain(engines)
            .min()
    }

    /// Whether the transport can take more: otherwise commands wait in their queue.
    fn has_room(&self) -> bool {
        let Some(engine) = &self.current else {
            return true;
        };
        let session_room =
            engine.session.buffered_packets() < self.engine_config.max_buffered_packets / 2;
        let ws_room = engine.ws.as_ref().is_none_or(|ws| ws.len() < WS_QUEUE / 2);
        session_room && ws_room
    }

    fn begin_shutdown(&mut self, now: Instant) {
        if self.shutdown_deadline.is_some() {
            return;
        }
        self.shutdown_deadline = Some(now + SHUTDOWN_GRACE);
        self.manager.close(now);
        self.fail_waiters(|_| true, ConnectError::Closed);
    }

    /// Processes due timeouts, then drains both machines until neither has anything left.
    fn step(&mut self, now: Instant) {
        if self.manager.poll_timeout().is_some_and(|at| at <= now) {
            self.manager.handle_timeout(now);
        }
        for engine in [&mut self.current, &mut self.retiring]
            .into_iter()
            .flatten()
        {
            if engine.session.poll_timeout().is_some_and(|at| at <= now) {
                engine.session.handle_timeout(now);
            }
        }
        loop {
            let mut progressed = false;
            while let Some(output) = self.manager.poll_output() {
                progressed = true;
                self.handle_manager_output(now, output);
            }
            progressed |= self.drain_engine(now, Slot::Current);
            progressed |= self.drain_engine(now, Slot::Retiring);
            if !progressed {
                break;
            }
        }
        self.publish_status();
    }

    fn slot(&mut self, slot: Slot) -> &mut Option<Engine> {
        match slot {
            Slot::Current => &mut self.current,
            Slot::Retiring => &mut self.retiring,
        }
    }

    /// Carries out what one engine asks; drops it once it has closed. `true` if it had outputs.
    fn drain_engine(&mut self, now: Instant, slot: Slot) -> bool {
        let Some(mut engine) = self.slot(slot).take() else {
            return false;
        };
        let mut progressed = false;
        while let Some(output) = engine.session.poll_output() {
            progressed = true;
            self.handle_engine_output(now, &mut engine, slot, output);
        }
        // A new session may have taken the slot meanwhile only if the manager ran, which it does not
        // here; so the slot is still empty.
        if !engine.session.is_closed() {
            *self.slot(slot) = Some(engine);
        }
        progressed
    }

    fn handle_engine_output(
        &mut self,
        now: Instant,
        engine: &mut Engine,
        slot: Slot,
        output: EngineOutput,
    ) {
        match output {
            EngineOutput::Poll { query } => self.transports.poll(engine.id, query),
            EngineOutput::Post { query, body } => self.transports.post(engine.id, query, body),
            EngineOutput::OpenWebSocket { query } => {
                let (frames, queue) = async_channel::bounded(WS_QUEUE);
                engine.ws = Some(frames);
                self.transports.websocket(engine.id, query, queue);
            }
            EngineOutput::WsFrame(frame) => {
                let sent = engine
                    .ws
                    .as_ref()
                    .is_some_and(|ws| ws.try_send(frame).is_ok());
                if !sent {
                    // The writer cannot keep up (or is gone): the socket is lost.
                    engine.ws = None;
                    engine.session.handle_ws_closed(now, true);
                }
            }
            EngineOutput::CloseWebSocket => engine.ws = None,
            EngineOutput::Event(event) => {
                if slot == Slot::Current {
                    self.handle_engine_event(now, engine, event);
                }
            }
        }
    }

    fn handle_engine_event(&mut self, now: Instant, engine: &Engine, event: EngineEvent) {
        match event {
            EngineEvent::Open(handshake) => {
                let transport = engine.session.transport();
                *lock(&self.shared.transport) = Some(transport);
                self.client_event(&ClientEvent::Open {
                    sid: handshake.sid.to_string(),
                    transport,
                });
                self.refresh_auth(now);
                self.manager.handle_engine_open(now);
            }
            EngineEvent::Message(message) => self.manager.handle_message(now, message),
            EngineEvent::Upgraded => {
                *lock(&self.shared.transport) = Some(Transport::WebSocket);
                self.client_event(&ClientEvent::Upgrade);
            }
            EngineEvent::Upgrading | EngineEvent::UpgradeFailed => {}
            EngineEvent::Closed(reason) => {
                *lock(&self.shared.transport) = None;
                self.client_event(&ClientEvent::Close(reason.as_str().to_owned()));
                self.manager.handle_engine_closed(now, reason);
            }
        }
    }

    /// Auth callbacks are evaluated again for every connection.
    fn refresh_auth(&mut self, now: Instant) {
        let callbacks: Vec<(Namespace, Auth)> = self
            .auths
            .iter()
            .filter(|(namespace, auth)| {
                matches!(auth, Auth::Callback(_)) && self.manager.is_active(namespace)
            })
            .map(|(namespace, auth)| (namespace.clone(), auth.clone()))
            .collect();
        for (namespace, auth) in callbacks {
            if self.connect_manager(now, &namespace, &auth).is_err() {
                self.socket_event(
                    &namespace,
                    &SocketEvent::ConnectError {
                        message: ConnectError::InvalidAuth.to_string(),
                        data: None,
                        retrying: true,
                    },
                );
            }
        }
    }

    fn connect_manager(
        &mut self,
        now: Instant,
        namespace: &Namespace,
        auth: &Auth,
    ) -> Result<(), ConnectError> {
        let auth = match auth.evaluate() {
            Some(value @ Value::Object(_)) => {
                Some(RawJson::from_serialize(&value).map_err(|_| ConnectError::InvalidAuth)?)
            }
            Some(_) => return Err(ConnectError::InvalidAuth),
            None => None,
        };
        self.manager
            .connect(now, namespace.clone(), auth)
            .map_err(|_| ConnectError::InvalidAuth)
    }

    fn handle_manager_output(&mut self, now: Instant, output: ManagerOutput) {
        match output {
            ManagerOutput::OpenEngine => {
                if let Some(old) = self.current.take() {
                    self.retire(now, old);
                }
                let id = self.next_engine;
                self.next_engine += 1;
                let mut session = ClientSession::new(self.engine_config);
                session.start(now);
                self.current = Some(Engine {
                    id,
                    session,
                    ws: None,
                });
            }
            ManagerOutput::Send(message) => {
                let Some(engine) = &mut self.current else {
                    return;
                };
                if engine.session.send(message).is_err() {
                    // The session cannot take it: treat the connection as lost, so the manager
                    // reconnects, and let the session go.
                    if let Some(engine) = self.current.take() {
                        self.retire(now, engine);
                    }
                    *lock(&self.shared.transport) = None;
                    self.manager.handle_engine_closed(
                        now,
                        CloseReason::TransportError(TransportFailure::Network),
                    );
                }
            }
            ManagerOutput::CloseEngine => {
                if let Some(engine) = self.current.take() {
                    *lock(&self.shared.transport) = None;
                    self.retire(now, engine);
                }
            }
            ManagerOutput::Event(event) => self.handle_manager_event(event),
        }
    }

    /// Closes a session the manager is done with and keeps driving it until its close is written.
    /// Only one is kept: an older one still closing is dropped.
    fn retire(&mut self, now: Instant, mut engine: Engine) {
        engine.session.close(now);
        self.retiring = Some(engine);
    }

    fn handle_manager_event(&mut self, event: ManagerEvent) {
        match event {
            ManagerEvent::Connect { namespace, sid } => {
                self.publish_status();
                self.resolve_waiters(&namespace, Ok(()));
                self.socket_event(&namespace, &SocketEvent::Connect { sid });
            }
            ManagerEvent::ConnectError {
                namespace,
                message,
                data,
            } => {
                self.publish_status();
                let retrying = self.manager.is_active(&namespace);
                let data = data.and_then(|data| data.deserialize::<Value>().ok());
                let error = if retrying {
                    ConnectError::Transport(message.clone())
                } else {
                    ConnectError::Rejected {
                        message: message.clone(),
                        data: data.clone(),
                    }
                };
                self.resolve_waiters(&namespace, Err(error));
                self.socket_event(
                    &namespace,
                    &SocketEvent::ConnectError {
                        message,
                        data,
                        retrying,
                    },
                );
            }
            ManagerEvent::Disconnect { namespace, reason } => {
                self.publish_status();
                if !reason.reconnects() {
                    self.resolve_waiters(&namespace, Err(ConnectError::Closed));
                }
                self.socket_event(&namespace, &SocketEvent::Disconnect(reason));
            }
            ManagerEvent::Event {
                namespace,
                args,
                ack,
            } => self.deliver(&namespace, &args, ack),
            ManagerEvent::Ack {
                namespace,
                id,
                args,
            } => self.resolve_ack(namespace, id, Ok(args)),
            ManagerEvent::AckTimeout { namespace, id } => {
                self.resolve_ack(namespace, id, Err(AckError::Timeout));
            }
            ManagerEvent::AckCancelled { namespace, id } => {
                self.resolve_ack(namespace, id, Err(AckError::Disconnected));
            }
            ManagerEvent::ReconnectAttempt(n) => {
                self.client_event(&ClientEvent::ReconnectAttempt(n));
            }
            ManagerEvent::Reconnect(n) => self.client_event(&ClientEvent::Reconnect(n)),
            ManagerEvent::ReconnectError(failure) => {
                self.client_event(&ClientEvent::ReconnectError(failure.as_str().to_owned()));
            }
            ManagerEvent::ReconnectFailed => self.client_event(&ClientEvent::ReconnectFailed),
        }
    }

    fn handle_command(&mut self, now: Instant, command: Command) {
        match command {
            Command::Connect {
                namespace,
                auth,
                reply,
            } => {
                self.known.insert(namespace.clone());
                let already = self.manager.is_connected(&namespace);
                // A callback is evaluated when the `CONNECT` goes out: now if the engine is open,
                // otherwise when it opens (`refresh_auth`).
                let deferred = matches!(auth, Auth::Callback(_))
                    && self.manager.engine_state() != EngineState::Open;
                let result = if deferred {
                    self.connect_manager(now, &namespace, &Auth::None)
                } else {
                    self.connect_manager(now, &namespace, &auth)
                };
                self.auths.insert(namespace.clone(), auth);
                if result.is_ok() {
                    let early = self.early_emits.remove(&namespace).unwrap_or_default();
                    for emit in early {
                        self.emit(
                            now,
                            namespace.clone(),
                            emit.payload,
                            emit.options,
                            emit.reply,
                        );
                    }
                }
                match (reply, result) {
                    (Some(reply), Err(error)) => {
                        let _ = reply.send(Err(error));
                    }
                    (Some(reply), Ok(())) if already => {
                        let _ = reply.send(Ok(()));
                    }
                    (Some(reply), Ok(())) => self.add_waiter(namespace, reply),
                    (None, _) => {}
                }
            }
            Command::Disconnect(namespace) => {
                self.manager.disconnect(now, &namespace);
                self.fail_waiters(|waiting| *waiting == namespace, ConnectError::Closed);
            }
            Command::Emit {
                namespace,
                payload,
                options,
                reply,
            } => self.emit(now, namespace, payload, options, reply),
            Command::Ack {
                namespace,
                id,
                payload,
            } => {
                // An ack the socket can no longer send (it disconnected) is dropped, as in the
                // reference client.
                let _ = self.manager.ack(&namespace, id, payload);
            }
            Command::Close => {
                self.manager.close(now);
                self.fail_waiters(|_| true, ConnectError::Closed);
            }
        }
    }

    fn emit(
        &mut self,
        now: Instant,
        namespace: Namespace,
        payload: Payload,
        options: EmitOptions,
        reply: Option<oneshot::Sender<Result<Payload, AckError>>>,
    ) {
        let result = self.manager.emit(now, &namespace, payload.clone(), options);
        if result == Err(ManagerEmitError::UnknownNamespace) {
            return self.emit_early(namespace, payload, options, reply);
        }
        match (result, reply) {
            (Ok(Some(id)), Some(reply)) => {
                self.acks.insert((namespace, id), reply);
            }
            (Ok(_), None) => {}
            // A volatile emit dropped while disconnected.
            (Ok(None), Some(reply)) => {
                let _ = reply.send(Err(AckError::Disconnected));
            }
            (Err(error), Some(reply)) => {
                let _ = reply.send(Err(AckError::Refused(error)));
            }
            (Err(error), None) => self.socket_event(&namespace, &SocketEvent::EmitRefused(error)),
        }
    }

    /// Keeps an emit for a socket that has never connected, as its buffer would (volatile ones are
    /// dropped, and the buffer is bounded the same way).
    fn emit_early(
        &mut self,
        namespace: Namespace,
        payload: Payload,
        options: EmitOptions,
        reply: Option<oneshot::Sender<Result<Payload, AckError>>>,
    ) {
        let limit = self.manager.config().max_buffered_packets;
        let early = self.early_emits.entry(namespace.clone()).or_default();
        if options.volatile {
            if let Some(reply) = reply {
                let _ = reply.send(Err(AckError::Disconnected));
            }
        } else if early.len() >= limit {
            let error = ManagerEmitError::BufferFull;
            match reply {
                Some(reply) => {
                    let _ = reply.send(Err(AckError::Refused(error)));
                }
                None => self.socket_event(&namespace, &SocketEvent::EmitRefused(error)),
            }
        } else {
            early.push_back(EarlyEmit {
                payload,
                options,
                reply,
            });
        }
    }

    fn resolve_ack(&mut self, namespace: Namespace, id: u64, result: Result<Payload, AckError>) {
        if let Some(reply) = self.acks.remove(&(namespace, id)) {
            let _ = reply.send(result);
        }
    }

    fn add_waiter(
        &mut self,
        namespace: Namespace,
        reply: oneshot::Sender<Result<(), ConnectError>>,
    ) {
        if self.connect_waiters.len() >= MAX_CONNECT_WAITERS {
            self.connect_waiters
                .retain(|(_, waiter)| !waiter.is_canceled());
        }
        if self.connect_waiters.len() >= MAX_CONNECT_WAITERS {
            let _ = reply.send(Err(ConnectError::Closed));
            return;
        }
        self.connect_waiters.push((namespace, reply));
    }

    fn resolve_waiters(&mut self, namespace: &Namespace, result: Result<(), ConnectError>) {
        let waiters = std::mem::take(&mut self.connect_waiters);
        for (waiting, reply) in waiters {
            if waiting == *namespace {
                let _ = reply.send(result.clone());
            } else {
                self.connect_waiters.push((waiting, reply));
            }
        }
    }

    fn fail_waiters(&mut self, matches: impl Fn(&Namespace) -> bool, error: ConnectError) {
        let waiters = std::mem::take(&mut self.connect_waiters);
        for (waiting, reply) in waiters {
            if matches(&waiting) {
                let _ = reply.send(Err(error.clone()));
            } else {
                self.connect_waiters.push((waiting, reply));
            }
        }
    }

    fn handle_input(&mut self, now: Instant, input: Input) {
        let engine_id = match &input {
            Input::Poll { engine, .. }
            | Input::Post { engine, .. }
            | Input::WsOpened { engine }
            | Input::WsFrame { engine, .. }
            | Input::WsClosed { engine, .. } => *engine,
        };
        let engine = [&mut self.current, &mut self.retiring]
            .into_iter()
            .flatten()
            .find(|engine| engine.id == engine_id);
        let Some(engine) = engine else {
            return;
        };
        let session = &mut engine.session;
        match input {
            Input::Poll { result, .. } => session.handle_poll_response(now, result),
            Input::Post { result, .. } => session.handle_post_response(now, result),
            Input::WsOpened { .. } => session.handle_ws_opened(now),
            Input::WsFrame { frame, .. } => {
                if engine.ws.is_some() {
                    session.handle_ws_frame(now, frame);
                }
            }
            Input::WsClosed { error, .. } => {
                if engine.ws.take().is_some() {
                    session.handle_ws_closed(now, error);
                }
            }
        }
    }

    /// Copies the manager's view of every known socket for the handles.
    fn publish_status(&self) {
        let mut status = lock(&self.shared.status);
        for namespace in &self.known {
            status.insert(
                namespace.clone(),
                Status {
                    sid: self.manager.socket_id(namespace).map(str::to_owned),
                    connected: self.manager.is_connected(namespace),
                    active: self.manager.is_active(namespace),
                },
            );
        }
    }

    /// Runs the handlers of an event from the server.
    fn deliver(&self, namespace: &Namespace, payload: &Payload, ack: Option<u64>) {
        let name = payload.event_name().unwrap_or_default();
        let handlers: Vec<_> = {
            let handlers = lock(&self.shared.handlers);
            match handlers.get(namespace) {
                Some(handlers) => handlers
                    .events
                    .get(&*name)
                    .into_iter()
                    .flatten()
                    .chain(&handlers.any)
                    .cloned()
                    .collect(),
                None => Vec::new(),
            }
        };
        let ack = AckSender::new(&self.shared, namespace, ack);
        for handler in handlers {
            let outcome = catch_unwind(AssertUnwindSafe(|| handler(payload, ack.clone())));
            if let Ok(Err(error)) = outcome {
                self.socket_event(
                    namespace,
                    &SocketEvent::InvalidArgs {
                        event: name.to_string(),
                        error,
                    },
                );
            }
        }
    }

    fn socket_event(&self, namespace: &Namespace, event: &SocketEvent) {
        let listeners: Vec<_> = lock(&self.shared.handlers)
            .get(namespace)
            .map(|handlers| handlers.listeners.clone())
            .unwrap_or_default();
        for listener in listeners {
            let _ = catch_unwind(AssertUnwindSafe(|| listener(event)));
        }
    }

    fn client_event(&self, event: &ClientEvent) {
        let listeners = lock(&self.shared.client_listeners).clone();
        for listener in listeners {
            let _ = catch_unwind(AssertUnwindSafe(|| listener(event)));
        }
    }
}
