//! The client's engine: the sans-IO [`Stack`] behind a `RefCell`, pumped after every browser event.
//!
//! Each input (a command from a handle, a transport's report, the timer) feeds the stack, then
//! [`Driver::pump`] drains its outputs: it starts requests, writes frames and calls the
//! application's handlers, with no borrow held while they run, so a handler may emit (its command
//! feeds the stack, and the pump under way hands out what follows). Then the timer is set to the
//! stack's next deadline.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use engineio_proto::client::TransportFailure;
use engineio_proto::{Bytes, Frame, Instant, Transport};
use serde_json::Value;
use socketio_proto::client::stack::{EngineEvent, EngineId, Output};
use socketio_proto::client::{EmitOptions, EngineState, Event, Stack, StackConfig};
use socketio_proto::packet::{NamespaceName, Payload, RawJson};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;

use crate::browser;
use crate::handle::{
    AckError, AckSender, ClientEvent, ConnectError, EmitError, Socket, SocketEvent,
};
use crate::list_map::ListMap;
use crate::oneshot;
use crate::transport::{self, WebSocket};

/// Callers of `connect()` waiting for an outcome at once.
const MAX_CONNECT_WAITERS: usize = 256;
/// The longest delay `setTimeout` takes (2^31 - 1 ms); a later deadline is looked at again then.
const MAX_TIMER_MILLIS: u64 = 2_147_483_647;

/// Where the Engine.IO endpoint is: `http(s)://host/path/?user-query&` and its `ws(s)://` twin.
pub(crate) struct Endpoint {
    pub(crate) http: String,
    pub(crate) ws: String,
}

impl Endpoint {
    fn url(&self, transport: Transport, engine_query: &str) -> String {
        let base = match transport {
            Transport::Polling => &self.http,
            Transport::WebSocket => &self.ws,
        };
        let mut url = String::with_capacity(base.len() + engine_query.len());
        url.push_str(base);
        url.push_str(engine_query);
        url
    }
}

/// The auth sent with a namespace's `CONNECT`.
#[derive(Clone, Default)]
pub(crate) enum Auth {
    #[default]
    None,
    Value(RawJson),
    Callback(Rc<dyn Fn() -> Value>),
}

impl Auth {
    /// The auth to send now.
    fn evaluate(&self) -> Result<Option<RawJson>, ConnectError> {
        match self {
            Auth::None => Ok(None),
            Auth::Value(json) => Ok(Some(json.clone())),
            Auth::Callback(callback) => match callback() {
                value @ Value::Object(_) => RawJson::from_serialize(&value)
                    .map(Some)
                    .map_err(|_| ConnectError::InvalidAuth),
                _ => Err(ConnectError::InvalidAuth),
            },
        }
    }
}

pub(crate) type EventHandler =
    Rc<dyn Fn(&Socket, &Payload, Option<AckSender>) -> Result<(), serde_json::Error>>;
pub(crate) type SocketListener = Rc<dyn Fn(&SocketEvent)>;
pub(crate) type ClientListener = Rc<dyn Fn(&ClientEvent)>;

type AckReply = oneshot::Sender<Result<Payload, AckError>>;
type ConnectReply = oneshot::Sender<Result<(), ConnectError>>;

/// The handlers of one namespace.
#[derive(Default)]
pub(crate) struct Handlers {
    pub(crate) events: ListMap<String, Vec<EventHandler>>,
    pub(crate) any: Vec<EventHandler>,
    pub(crate) listeners: Vec<SocketListener>,
}

/// What the commands and reports change; borrowed only between calls into the application.
struct State {
    stack: Stack,
    /// The last [`Client`](crate::Client) is gone.
    closed: bool,
    websockets: Vec<WebSocket>,
    auths: ListMap<NamespaceName, Auth>,
    waiters: Vec<(NamespaceName, ConnectReply)>,
    /// Bounded by the manager's `max_pending_acks` per namespace.
    acks: ListMap<(NamespaceName, u64), AckReply>,
}

/// The timer armed for the stack's next deadline.
struct Armed {
    deadline: Instant,
    handle: wasm_bindgen::JsValue,
}

pub(crate) struct Driver {
    this: Weak<Driver>,
    state: RefCell<State>,
    pub(crate) handlers: RefCell<ListMap<NamespaceName, Handlers>>,
    pub(crate) client_listeners: RefCell<Vec<ClientListener>>,
    pumping: Cell<bool>,
    pub(crate) main: NamespaceName,
    /// The builder's auth, for sockets connected without one of their own.
    pub(crate) auth: Auth,
    endpoint: Endpoint,
    armed: RefCell<Option<Armed>>,
    on_timer: Closure<dyn FnMut()>,
}

impl Driver {
    pub(crate) fn new(
        config: StackConfig,
        seed: u64,
        endpoint: Endpoint,
        main: NamespaceName,
        auth: Auth,
    ) -> Rc<Driver> {
        Rc::new_cyclic(|this: &Weak<Driver>| {
            let timer_owner = this.clone();
            Driver {
                this: this.clone(),
                state: RefCell::new(State {
                    stack: Stack::new(config, seed),
                    closed: false,
                    websockets: Vec::new(),
                    auths: ListMap::default(),
                    waiters: Vec::new(),
                    acks: ListMap::default(),
                }),
                handlers: RefCell::default(),
                client_listeners: RefCell::default(),
                pumping: Cell::new(false),
                main,
                auth,
                endpoint,
                armed: RefCell::new(None),
                on_timer: Closure::new(move || {
                    if let Some(driver) = timer_owner.upgrade() {
                        driver.armed.borrow_mut().take();
                        driver.feed(|stack, now| stack.handle_timeout(now));
                    }
                }),
            }
        })
    }

    /// Runs `input` on the stack at the browser's `now`, then pumps.
    pub(crate) fn feed<R>(&self, input: impl FnOnce(&mut Stack, Instant) -> R) -> R {
        let result = input(&mut self.state.borrow_mut().stack, browser::now());
        self.pump();
        result
    }

    /// Something about the stack, for the handles.
    pub(crate) fn inspect<R>(&self, look: impl FnOnce(&Stack) -> R) -> R {
        look(&self.state.borrow().stack)
    }

    // ----- commands -----

    pub(crate) fn connect(&self, namespace: NamespaceName, auth: Auth, reply: ConnectReply) {
        let now = browser::now();
        let mut state = self.state.borrow_mut();
        if state.closed {
            return reply.send(Err(ConnectError::Closed));
        }
        // A callback is evaluated when the `CONNECT` goes out: now if a session is open, otherwise
        // when one opens.
        let deferred = matches!(auth, Auth::Callback(_))
            && state.stack.manager().engine_state() != EngineState::Open;
        let evaluated = if deferred {
            Ok(None)
        } else {
            drop(state);
            let evaluated = auth.evaluate();
            state = self.state.borrow_mut();
            evaluated
        };
        let result = evaluated.and_then(|json| {
            state
                .stack
                .connect(now, namespace.clone(), json)
                .map_err(|_| ConnectError::InvalidAuth)
        });
        state.auths.insert(namespace.clone(), auth);
        match result {
            Err(error) => reply.send(Err(error)),
            Ok(()) if state.stack.manager().is_connected(&namespace) => reply.send(Ok(())),
            Ok(()) => {
                if state.waiters.len() >= MAX_CONNECT_WAITERS {
                    state.waiters.retain(|(_, waiter)| !waiter.is_abandoned());
                }
                if state.waiters.len() >= MAX_CONNECT_WAITERS {
                    reply.send(Err(ConnectError::Closed));
                } else {
                    state.waiters.push((namespace, reply));
                }
            }
        }
        drop(state);
        self.pump();
    }

    pub(crate) fn disconnect(&self, namespace: &NamespaceName) {
        let waiters = {
            let mut state = self.state.borrow_mut();
            state.stack.disconnect(browser::now(), namespace);
            take_waiters(&mut state.waiters, |waiting| waiting == namespace)
        };
        settle(waiters, Err(ConnectError::Closed));
        self.pump();
    }

    /// Emits; `reply` hears the ack (or why none will come) when one was asked for.
    pub(crate) fn emit(
        &self,
        namespace: &NamespaceName,
        payload: Payload,
        options: EmitOptions,
        reply: Option<AckReply>,
    ) -> Result<(), EmitError> {
        let mut state = self.state.borrow_mut();
        if state.closed {
            return Err(EmitError::Closed);
        }
        let result = state
            .stack
            .emit(browser::now(), namespace, payload, options)
            .map_err(EmitError::Refused);
        let outcome = match (result, reply) {
            (Ok(Some(id)), Some(reply)) => {
                state.acks.insert((namespace.clone(), id), reply);
                Ok(())
            }
            // A volatile emit dropped while disconnected: no ack will come.
            (Ok(None), Some(reply)) => {
                reply.send(Err(AckError::Disconnected));
                Ok(())
            }
            (Ok(_), None) => Ok(()),
            (Err(error), _) => Err(error),
        };
        drop(state);
        self.pump();
        outcome
    }

    pub(crate) fn ack(&self, namespace: &NamespaceName, id: u64, payload: Payload) {
        // An ack the socket can no longer send (it disconnected) is dropped, as in the reference.
        let _ = self.feed(|stack, now| stack.ack(now, namespace, id, payload));
    }

    pub(crate) fn close(&self) {
        let waiters = {
            let mut state = self.state.borrow_mut();
            state.stack.close(browser::now());
            take_waiters(&mut state.waiters, |_| true)
        };
        settle(waiters, Err(ConnectError::Closed));
        self.pump();
    }

    /// The last [`Client`](crate::Client) is gone: close, and let go of the handlers (which may
    /// hold handles) and of everything still waiting.
    pub(crate) fn shut_down(&self) {
        self.close();
        let acks = {
            let mut state = self.state.borrow_mut();
            state.closed = true;
            std::mem::take(&mut state.acks)
        };
        drop(acks);
        self.handlers.borrow_mut().clear();
        self.client_listeners.borrow_mut().clear();
    }

    // ----- transport reports -----

    pub(crate) fn ws_closed(&self, engine: EngineId, error: bool) {
        self.state
            .borrow_mut()
            .websockets
            .retain(|socket| socket.engine() != engine);
        self.feed(|stack, now| stack.handle_ws_closed(now, engine, error));
    }

    // ----- the pump -----

    /// Drains the stack and carries out what it asks, then arms the timer. Re-entrant calls (from a
    /// handler's command) return at once: the pump under way picks their outputs up.
    fn pump(&self) {
        if self.pumping.replace(true) {
            return;
        }
        loop {
            let output = self.state.borrow_mut().stack.poll_output();
            let Some(output) = output else { break };
            self.carry_out(output);
        }
        self.pumping.set(false);
        self.arm_timer();
    }

    fn carry_out(&self, output: Output) {
        match output {
            Output::Poll { engine, query } => {
                let url = self.endpoint.url(Transport::Polling, &query);
                transport::get(self.this.clone(), engine, url);
            }
            Output::Post {
                engine,
                query,
                body,
            } => {
                let url = self.endpoint.url(Transport::Polling, &query);
                transport::post(self.this.clone(), engine, url, body);
            }
            Output::OpenWebSocket { engine, query } => {
                let url = self.endpoint.url(Transport::WebSocket, &query);
                match WebSocket::open(self.this.clone(), engine, &url) {
                    Ok(socket) => self.state.borrow_mut().websockets.push(socket),
                    Err(()) => self.report_ws_failure(engine),
                }
            }
            Output::WsFrame { engine, frame } => self.write(engine, &frame),
            Output::CloseWebSocket { engine } | Output::Release { engine } => {
                let mut state = self.state.borrow_mut();
                if let Some(index) = state.websockets.iter().position(|s| s.engine() == engine) {
                    state.websockets.swap_remove(index).close();
                }
            }
            Output::Engine(event) => self.engine_event(event),
            Output::Event(event) => self.manager_event(event),
        }
    }

    fn write(&self, engine: EngineId, frame: &Frame) {
        let written = {
            let state = self.state.borrow();
            let socket = state.websockets.iter().find(|s| s.engine() == engine);
            socket.is_some_and(|socket| socket.send(frame).is_ok())
        };
        if !written {
            let mut state = self.state.borrow_mut();
            if let Some(index) = state.websockets.iter().position(|s| s.engine() == engine) {
                state.websockets.swap_remove(index).close();
            }
            drop(state);
            self.report_ws_failure(engine);
        }
    }

    fn report_ws_failure(&self, engine: EngineId) {
        let now = browser::now();
        self.state
            .borrow_mut()
            .stack
            .handle_ws_closed(now, engine, true);
    }

    fn arm_timer(&self) {
        let deadline = self.state.borrow().stack.poll_timeout();
        let mut armed = self.armed.borrow_mut();
        if armed.as_ref().map(|armed| armed.deadline) == deadline {
            return;
        }
        if let Some(previous) = armed.take() {
            browser::cancel_timer(&previous.handle);
        }
        let Some(deadline) = deadline else { return };
        let wait = deadline.saturating_duration_since(browser::now());
        let millis = u64::try_from(wait.as_micros().div_ceil(1000))
            .unwrap_or(MAX_TIMER_MILLIS)
            .min(MAX_TIMER_MILLIS);
        let handle = browser::start_timer(self.on_timer.as_ref().unchecked_ref(), millis as i32);
        *armed = Some(Armed { deadline, handle });
    }

    // ----- events for the application -----

    fn engine_event(&self, event: EngineEvent) {
        let event = match event {
            EngineEvent::Open {
                handshake,
                transport,
            } => {
                self.refresh_auth();
                ClientEvent::Open {
                    sid: handshake.sid,
                    transport,
                }
            }
            EngineEvent::Upgraded => ClientEvent::Upgrade,
            EngineEvent::Closed(reason) => ClientEvent::Close(reason),
        };
        self.client_event(&event);
    }

    /// Auth callbacks are evaluated again for every session, before its `CONNECT`s go out.
    fn refresh_auth(&self) {
        let callbacks: Vec<(NamespaceName, Auth)> = {
            let state = self.state.borrow();
            state
                .auths
                .iter()
                .filter(|(namespace, auth)| {
                    matches!(auth, Auth::Callback(_)) && state.stack.manager().is_active(namespace)
                })
                .map(|(namespace, auth)| (namespace.clone(), auth.clone()))
                .collect()
        };
        for (namespace, auth) in callbacks {
            let connected = auth.evaluate().and_then(|json| {
                let now = browser::now();
                let mut state = self.state.borrow_mut();
                state
                    .stack
                    .connect(now, namespace.clone(), json)
                    .map_err(|_| ConnectError::InvalidAuth)
            });
            if connected.is_err() {
                let event = SocketEvent::ConnectError {
                    message: "auth must be a JSON object".into(),
                    data: None,
                    retrying: true,
                };
                self.socket_event(&namespace, &event);
            }
        }
    }

    fn manager_event(&self, event: Event) {
        match event {
            Event::Connect { namespace, sid } => {
                self.resolve_waiters(&namespace, Ok(()));
                self.socket_event(&namespace, &SocketEvent::Connect { sid });
            }
            Event::ConnectError {
                namespace,
                message,
                data,
            } => {
                let retrying = self.inspect(|stack| stack.manager().is_active(&namespace));
                let error = if retrying {
                    ConnectError::Transport(message.clone())
                } else {
                    ConnectError::Rejected {
                        message: message.clone(),
                        data: data.clone(),
                    }
                };
                self.resolve_waiters(&namespace, Err(error));
                let event = SocketEvent::ConnectError {
                    message,
                    data,
                    retrying,
                };
                self.socket_event(&namespace, &event);
            }
            Event::Disconnect { namespace, reason } => {
                if !reason.reconnects() {
                    self.resolve_waiters(&namespace, Err(ConnectError::Closed));
                }
                self.socket_event(&namespace, &SocketEvent::Disconnect(reason));
            }
            Event::Event {
                namespace,
                args,
                ack,
            } => self.deliver(&namespace, &args, ack),
            Event::Ack {
                namespace,
                id,
                args,
            } => self.resolve_ack(namespace, id, Ok(args)),
            Event::AckTimeout { namespace, id } => {
                self.resolve_ack(namespace, id, Err(AckError::Timeout));
            }
            Event::AckCancelled { namespace, id } => {
                self.resolve_ack(namespace, id, Err(AckError::Disconnected));
            }
            Event::ReconnectAttempt(n) => self.client_event(&ClientEvent::ReconnectAttempt(n)),
            Event::Reconnect(n) => self.client_event(&ClientEvent::Reconnect(n)),
            Event::ReconnectError(failure) => {
                self.client_event(&ClientEvent::ReconnectError(failure));
            }
            Event::ReconnectFailed => self.client_event(&ClientEvent::ReconnectFailed),
        }
    }

    /// Runs the handlers of an event from the server: the catch-all ones, then those of its name.
    fn deliver(&self, namespace: &NamespaceName, payload: &Payload, ack: Option<u64>) {
        let name = payload.event_name().unwrap_or_default();
        let handlers: Vec<EventHandler> = match self.handlers.borrow().get(namespace) {
            Some(handlers) => handlers
                .any
                .iter()
                .chain(handlers.events.get(&*name as &str).into_iter().flatten())
                .cloned()
                .collect(),
            None => Vec::new(),
        };
        let Some(driver) = self.this.upgrade() else {
            return;
        };
        let ack = ack.map(|id| AckSender::new(driver.clone(), namespace.clone(), id));
        let socket = Socket::new(driver, namespace.clone());
        for handler in handlers {
            if let Err(error) = handler(&socket, payload, ack.clone()) {
                let event = SocketEvent::InvalidArgs {
                    event: name.clone().into_owned(),
                    error: Rc::new(error),
                };
                self.socket_event(namespace, &event);
            }
        }
    }

    fn socket_event(&self, namespace: &NamespaceName, event: &SocketEvent) {
        let listeners: Vec<SocketListener> = self
            .handlers
            .borrow()
            .get(namespace)
            .map(|handlers| handlers.listeners.clone())
            .unwrap_or_default();
        for listener in listeners {
            listener(event);
        }
    }

    fn client_event(&self, event: &ClientEvent) {
        let listeners = self.client_listeners.borrow().clone();
        for listener in listeners {
            listener(event);
        }
    }

    fn resolve_ack(&self, namespace: NamespaceName, id: u64, result: Result<Payload, AckError>) {
        let reply = self.state.borrow_mut().acks.remove(&(namespace, id));
        if let Some(reply) = reply {
            reply.send(result);
        }
    }

    fn resolve_waiters(&self, namespace: &NamespaceName, result: Result<(), ConnectError>) {
        let waiters = take_waiters(&mut self.state.borrow_mut().waiters, |w| w == namespace);
        settle(waiters, result);
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        if let Some(armed) = self.armed.get_mut().take() {
            browser::cancel_timer(&armed.handle);
        }
        for socket in self.state.get_mut().websockets.drain(..) {
            socket.close();
        }
    }
}

/// The waiters `matches` picks, taken out of `waiters`.
fn take_waiters(
    waiters: &mut Vec<(NamespaceName, ConnectReply)>,
    matches: impl Fn(&NamespaceName) -> bool,
) -> Vec<ConnectReply> {
    let mut taken = Vec::new();
    let mut index = 0;
    while index < waiters.len() {
        if matches(&waiters[index].0) {
            taken.push(waiters.swap_remove(index).1);
        } else {
            index += 1;
        }
    }
    taken
}

fn settle(waiters: Vec<ConnectReply>, result: Result<(), ConnectError>) {
    for waiter in waiters {
        waiter.send(result.clone());
    }
}

/// A transport's report on a long-polling request, for the stack.
pub(crate) fn report_poll(
    driver: &Driver,
    engine: EngineId,
    result: Result<Bytes, TransportFailure>,
) {
    driver.feed(|stack, now| stack.handle_poll_response(now, engine, result));
}

/// A transport's report on a POST, for the stack.
pub(crate) fn report_post(driver: &Driver, engine: EngineId, result: Result<(), TransportFailure>) {
    driver.feed(|stack, now| stack.handle_post_response(now, engine, result));
}
