//! The client's task: it drives the sans-IO [`Stack`] (the manager and its Engine.IO sessions) in
//! the shape of its contract: wait for a command, a transport report or the next deadline; feed it
//! in; carry out what the stack asks until it has nothing left; sleep until its next deadline.

use std::collections::{HashMap, HashSet};
use std::future::poll_fn;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use engineio_proto::client::TransportFailure;
use engineio_proto::{Frame, Instant, Transport};
use futures_channel::oneshot;
use serde_json::Value;
use socketio_proto::client::stack::{EngineEvent, EngineId, Output, Stack, StackConfig};
use socketio_proto::client::{EmitOptions, EngineState, Event as ManagerEvent};
use socketio_proto::packet::{NamespaceName, Payload, RawJson};

use super::builder::Auth;
use super::handle::{
    AckError, AckSender, ClientCommand, ClientEvent, ClientShared, ConnectError, Socket,
    SocketEvent, SocketStatus,
};
use super::transport::{TransportContext, TransportError, TransportReport};
use socketio_runtime::Clock;
use socketio_runtime::sync::lock;

/// Frames waiting for the WebSocket writer. The task stops taking commands while it is half full.
const WS_QUEUE: usize = 1024;
/// Callers of `connect()` waiting for an outcome.
const MAX_CONNECT_WAITERS: usize = 256;
/// How often the task looks again at a full WebSocket queue while it holds commands back.
const BACKPRESSURE_RECHECK: Duration = Duration::from_millis(5);
/// How long a shutting-down client keeps driving its sessions so the close is written.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// What woke the task.
enum WakeReason {
    Command(Option<ClientCommand>),
    Report(Option<TransportReport>),
    Shutdown,
    Deadline,
}

/// The task behind a [`Client`](super::Client): the stack, the transports it asks for, and the
/// application's side (handlers, connect and ack waiters, the state the handles read).
pub(crate) struct ClientTask {
    shared: Arc<ClientShared>,
    transport: Arc<TransportContext>,
    clock: Clock,
    stack: Stack,
    commands: async_channel::Receiver<ClientCommand>,
    reports: async_channel::Receiver<TransportReport>,
    shutdown: async_channel::Receiver<()>,
    /// The writer queue of each session's open WebSocket.
    websockets: HashMap<EngineId, async_channel::Sender<Frame>>,
    auths: HashMap<NamespaceName, Auth>,
    known: HashSet<NamespaceName>,
    connect_waiters: Vec<(NamespaceName, oneshot::Sender<Result<(), ConnectError>>)>,
    acks: HashMap<(NamespaceName, u64), oneshot::Sender<Result<Payload, AckError>>>,
    /// When the task gives up waiting for the sessions to finish closing, once shutting down.
    shutdown_deadline: Option<Instant>,
}

impl ClientTask {
    pub(crate) fn new(
        shared: Arc<ClientShared>,
        transport: Arc<TransportContext>,
        config: StackConfig,
        seed: u64,
        commands: async_channel::Receiver<ClientCommand>,
        reports: async_channel::Receiver<TransportReport>,
        shutdown: async_channel::Receiver<()>,
    ) -> Self {
        ClientTask {
            shared,
            transport,
            clock: Clock::new(),
            stack: Stack::new(config, seed),
            commands,
            reports,
            shutdown,
            websockets: HashMap::new(),
            auths: HashMap::new(),
            known: HashSet::new(),
            connect_waiters: Vec::new(),
            acks: HashMap::new(),
            shutdown_deadline: None,
        }
    }

    pub(crate) async fn run(mut self) {
        let commands = self.commands.clone();
        let reports = self.reports.clone();
        let shutdown = self.shutdown.clone();
        let mut commands_first = false;
        loop {
            let now = self.clock.now();
            self.step(now);
            let shutting_down = self.shutdown_deadline.is_some();
            if let Some(deadline) = self.shutdown_deadline {
                if self.stack.is_idle() || deadline <= now {
                    break;
                }
            }
            let accepting = !shutting_down && self.has_room();
            let mut deadline = self.next_deadline();
            if !accepting && !shutting_down {
                // Nothing signals the WebSocket writer catching up: look again shortly.
                let recheck = now + BACKPRESSURE_RECHECK;
                deadline = Some(deadline.map_or(recheck, |deadline| deadline.min(recheck)));
            }
            // Neither transport reports nor commands may starve the other.
            commands_first = !commands_first;
            let mut command = pin!(commands.recv());
            let mut report = pin!(reports.recv());
            let mut signal = pin!(shutdown.recv());
            let mut sleep = deadline.map(|deadline| {
                self.transport
                    .runtime
                    .sleep_until(self.clock.to_std(deadline))
            });
            let wake = poll_fn(|cx| {
                if !shutting_down && signal.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(WakeReason::Shutdown);
                }
                if accepting && commands_first {
                    if let Poll::Ready(command) = command.as_mut().poll(cx) {
                        return Poll::Ready(WakeReason::Command(command.ok()));
                    }
                }
                if let Poll::Ready(report) = report.as_mut().poll(cx) {
                    return Poll::Ready(WakeReason::Report(report.ok()));
                }
                if accepting && !commands_first {
                    if let Poll::Ready(command) = command.as_mut().poll(cx) {
                        return Poll::Ready(WakeReason::Command(command.ok()));
                    }
                }
                if let Some(sleep) = &mut sleep {
                    if sleep.as_mut().poll(cx).is_ready() {
                        return Poll::Ready(WakeReason::Deadline);
                    }
                }
                Poll::Pending
            })
            .await;
            let now = self.clock.now();
            match wake {
                WakeReason::Report(Some(report)) => self.handle_report(now, report),
                WakeReason::Command(Some(command)) => self.handle_command(now, command),
                // The task holds a sender of `reports` (through `transport`), so `None` cannot
                // come from there; no command sender left means no handle left either.
                WakeReason::Report(None) | WakeReason::Command(None) | WakeReason::Shutdown => {
                    self.begin_shutdown(now)
                }
                WakeReason::Deadline => {}
            }
        }
        // Handlers may hold socket handles, which hold the shared state: let them go with the
        // task so nothing stays alive in a cycle.
        lock(&self.shared.handlers).clear();
        lock(&self.shared.client_listeners).clear();
    }

    /// The earliest deadline of the stack and the shutdown.
    fn next_deadline(&self) -> Option<Instant> {
        [self.stack.poll_timeout(), self.shutdown_deadline]
            .into_iter()
            .flatten()
            .min()
    }

    /// Whether the transport can take more: otherwise commands wait in their queue.
    fn has_room(&self) -> bool {
        let Some(engine) = self.stack.current_engine() else {
            return true;
        };
        let session_room =
            self.stack.buffered_packets() < self.stack.config().engine.max_buffered_packets / 2;
        let ws_room = self
            .websockets
            .get(&engine)
            .is_none_or(|ws| ws.len() < WS_QUEUE / 2);
        session_room && ws_room
    }

    fn begin_shutdown(&mut self, now: Instant) {
        if self.shutdown_deadline.is_some() {
            return;
        }
        self.shutdown_deadline = Some(now + SHUTDOWN_GRACE);
        self.stack.close(now);
        self.fail_waiters(|_| true, ConnectError::Closed);
    }

    /// Processes due timeouts, then carries out what the stack asks until it has nothing left.
    fn step(&mut self, now: Instant) {
        if self.stack.poll_timeout().is_some_and(|at| at <= now) {
            self.stack.handle_timeout(now);
        }
        while let Some(output) = self.stack.poll_output() {
            self.carry_out(now, output);
        }
        self.publish_status();
    }

    fn carry_out(&mut self, now: Instant, output: Output) {
        match output {
            Output::Poll { engine, query } => self.transport.poll(engine, query),
            Output::Post {
                engine,
                query,
                body,
            } => self.transport.post(engine, query, body),
            Output::OpenWebSocket { engine, query } => {
                let (frames, queue) = async_channel::bounded(WS_QUEUE);
                self.websockets.insert(engine, frames);
                self.transport.websocket(engine, query, queue);
            }
            Output::WsFrame { engine, frame } => {
                let sent = self
                    .websockets
                    .get(&engine)
                    .is_some_and(|ws| ws.try_send(frame).is_ok());
                if !sent {
                    // The writer cannot keep up (or is gone): the socket is lost.
                    self.websockets.remove(&engine);
                    self.stack.handle_ws_closed(now, engine, true);
                }
            }
            // Dropping the writer queue closes the WebSocket.
            Output::CloseWebSocket { engine } | Output::Release { engine } => {
                self.websockets.remove(&engine);
            }
            Output::Engine(event) => self.handle_engine_event(now, event),
            Output::Event(event) => self.handle_manager_event(event),
        }
    }

    fn handle_engine_event(&mut self, now: Instant, event: EngineEvent) {
        match event {
            EngineEvent::Open {
                handshake,
                transport,
            } => {
                *lock(&self.shared.transport) = Some(transport);
                self.client_event(&ClientEvent::Open {
                    sid: handshake.sid.to_string(),
                    transport,
                });
                // The `CONNECT`s go out after this event: they carry the fresh auth.
                self.refresh_auth(now);
            }
            EngineEvent::Upgraded => {
                *lock(&self.shared.transport) = Some(Transport::WebSocket);
                self.client_event(&ClientEvent::Upgrade);
            }
            EngineEvent::Closed(reason) => {
                *lock(&self.shared.transport) = None;
                self.client_event(&ClientEvent::Close(reason));
            }
        }
    }

    /// Auth callbacks are evaluated again for every connection.
    fn refresh_auth(&mut self, now: Instant) {
        let callbacks: Vec<(NamespaceName, Auth)> = self
            .auths
            .iter()
            .filter(|(namespace, auth)| {
                matches!(auth, Auth::Callback(_)) && self.stack.manager().is_active(namespace)
            })
            .map(|(namespace, auth)| (namespace.clone(), auth.clone()))
            .collect();
        for (namespace, auth) in callbacks {
            if self.connect_stack(now, &namespace, &auth).is_err() {
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

    fn connect_stack(
        &mut self,
        now: Instant,
        namespace: &NamespaceName,
        auth: &Auth,
    ) -> Result<(), ConnectError> {
        let auth = match auth.evaluate() {
            Some(value @ Value::Object(_)) => {
                Some(RawJson::from_serialize(&value).map_err(|_| ConnectError::InvalidAuth)?)
            }
            Some(_) => return Err(ConnectError::InvalidAuth),
            None => None,
        };
        self.stack
            .connect(now, namespace.clone(), auth)
            .map_err(|_| ConnectError::InvalidAuth)
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
                let retrying = self.stack.manager().is_active(&namespace);
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
                self.client_event(&ClientEvent::ReconnectError(failure));
            }
            ManagerEvent::ReconnectFailed => self.client_event(&ClientEvent::ReconnectFailed),
        }
    }

    fn handle_command(&mut self, now: Instant, command: ClientCommand) {
        match command {
            ClientCommand::Connect {
                namespace,
                auth,
                reply,
            } => {
                self.known.insert(namespace.clone());
                let already = self.stack.manager().is_connected(&namespace);
                // A callback is evaluated when the `CONNECT` goes out: now if the engine is open,
                // otherwise when it opens (`refresh_auth`).
                let deferred = matches!(auth, Auth::Callback(_))
                    && self.stack.manager().engine_state() != EngineState::Open;
                let result = if deferred {
                    self.connect_stack(now, &namespace, &Auth::None)
                } else {
                    self.connect_stack(now, &namespace, &auth)
                };
                self.auths.insert(namespace.clone(), auth);
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
            ClientCommand::Disconnect(namespace) => {
                self.stack.disconnect(now, &namespace);
                self.fail_waiters(|waiting| *waiting == namespace, ConnectError::Closed);
            }
            ClientCommand::Emit {
                namespace,
                payload,
                options,
                reply,
            } => self.emit(now, namespace, payload, options, reply),
            ClientCommand::Ack {
                namespace,
                id,
                payload,
            } => {
                // An ack the socket can no longer send (it disconnected) is dropped, as in the
                // reference client.
                let _ = self.stack.ack(now, &namespace, id, payload);
            }
            ClientCommand::Close => {
                self.stack.close(now);
                self.fail_waiters(|_| true, ConnectError::Closed);
            }
        }
    }

    /// Hands an emit to the stack, which buffers it until its socket is connected.
    fn emit(
        &mut self,
        now: Instant,
        namespace: NamespaceName,
        payload: Payload,
        options: EmitOptions,
        reply: Option<oneshot::Sender<Result<Payload, AckError>>>,
    ) {
        let result = self.stack.emit(now, &namespace, payload, options);
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

    fn resolve_ack(
        &mut self,
        namespace: NamespaceName,
        id: u64,
        result: Result<Payload, AckError>,
    ) {
        if let Some(reply) = self.acks.remove(&(namespace, id)) {
            let _ = reply.send(result);
        }
    }

    fn add_waiter(
        &mut self,
        namespace: NamespaceName,
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

    fn resolve_waiters(&mut self, namespace: &NamespaceName, result: Result<(), ConnectError>) {
        let waiters = std::mem::take(&mut self.connect_waiters);
        for (waiting, reply) in waiters {
            if waiting == *namespace {
                let _ = reply.send(result.clone());
            } else {
                self.connect_waiters.push((waiting, reply));
            }
        }
    }

    fn fail_waiters(&mut self, matches: impl Fn(&NamespaceName) -> bool, error: ConnectError) {
        let waiters = std::mem::take(&mut self.connect_waiters);
        for (waiting, reply) in waiters {
            if matches(&waiting) {
                let _ = reply.send(Err(error.clone()));
            } else {
                self.connect_waiters.push((waiting, reply));
            }
        }
    }

    /// Feeds a transport's report to the stack. Frames and closes of a WebSocket the task already
    /// let go are no one's business any more.
    fn handle_report(&mut self, now: Instant, report: TransportReport) {
        match report {
            TransportReport::Poll { engine, result } => {
                let result = result.map_err(|error| self.transport_error(error));
                self.stack.handle_poll_response(now, engine, result);
            }
            TransportReport::Post { engine, result } => {
                let result = result.map_err(|error| self.transport_error(error));
                self.stack.handle_post_response(now, engine, result);
            }
            TransportReport::WsOpened { engine } => self.stack.handle_ws_opened(now, engine),
            TransportReport::WsFrame { engine, frame } => {
                if self.websockets.contains_key(&engine) {
                    self.stack.handle_ws_frame(now, engine, frame);
                }
            }
            TransportReport::WsClosed { engine, error } => {
                if self.websockets.remove(&engine).is_some() {
                    let failed = error.map(|error| self.transport_error(error)).is_some();
                    self.stack.handle_ws_closed(now, engine, failed);
                }
            }
        }
    }

    /// Tells the application what failed underneath (the reference manager's `error` event), and
    /// hands the protocol its view of it.
    fn transport_error(&self, error: TransportError) -> TransportFailure {
        let failure = error.failure();
        self.client_event(&ClientEvent::Error(error));
        failure
    }

    /// Copies the manager's view of every known socket for the handles.
    fn publish_status(&self) {
        let manager = self.stack.manager();
        let mut status = lock(&self.shared.status);
        for namespace in &self.known {
            status.insert(
                namespace.clone(),
                SocketStatus {
                    sid: manager.socket_id(namespace).map(str::to_owned),
                    connected: manager.is_connected(namespace),
                    active: manager.is_active(namespace),
                },
            );
        }
    }

    /// Runs the handlers of an event from the server: the catch-all ones, then those of its name.
    fn deliver(&self, namespace: &NamespaceName, payload: &Payload, ack: Option<u64>) {
        let name = payload.event_name().unwrap_or_default();
        let handlers: Vec<_> = {
            let handlers = lock(&self.shared.handlers);
            match handlers.get(namespace) {
                Some(handlers) => handlers
                    .any
                    .iter()
                    .chain(handlers.events.get(&*name).into_iter().flatten())
                    .cloned()
                    .collect(),
                None => Vec::new(),
            }
        };
        let ack = AckSender::new(&self.shared, namespace, ack);
        let socket = Socket::new(&self.shared, namespace);
        for handler in handlers {
            let outcome = catch_unwind(AssertUnwindSafe(|| handler(&socket, payload, ack.clone())));
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

    fn socket_event(&self, namespace: &NamespaceName, event: &SocketEvent) {
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
