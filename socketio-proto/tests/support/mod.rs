#![allow(dead_code)] // Each test binary that includes this module uses a part of it.

//! A deterministic in-memory world for end-to-end Socket.IO tests, on a fake clock.
//!
//! Each client is either a `socketio_proto::client::Manager` over the
//! `engineio_proto::client::ClientSession`s it asks for, glued by the world as the module docs of
//! `socketio_proto::client` describe, or a `socketio_proto::client::Stack`, which glues them itself
//! (the world then only carries its transport outputs); the server is a session table of `engineio_proto::server::ServerSession`s, each with its
//! `socketio_proto::server::ServerConnection`. The world is the runtime of both: it glues the
//! server's Socket.IO machines to their Engine.IO machines as the module docs of
//! `socketio_proto::server` describe, and carries the long-polling requests, their answers and
//! the WebSocket frames between the two sides after a fixed one-way latency. Time jumps to the next
//! delivery or deadline of any machine, so minutes of protocol time take microseconds.
//!
//! The server side plays the application too, just enough for the tests: connection requests are
//! answered by an [`Admission`] policy (accepted with ids from `new_socket_id` over a counter by
//! default), and one `Rooms` index per namespace is kept in step with the connections'
//! events. A client can be cut off the network (everything to and from it is lost) and healed.
//!
//! Every polling payload (POST bodies, GET answers) and WebSocket frame is recorded, decoded into
//! Engine.IO packets, so tests can assert on the Socket.IO packets each way and on the transport
//! that carried them.
//!
//! Each client speaks the Engine.IO revision of its engine configuration; the server opens every
//! session in the revision its handshake asks for (revision 3 sessions get a Socket.IO v4
//! connection), so v4 and v5 clients can share one server, its namespaces and its rooms.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use engineio_proto::client::{self as eio_client, ClientConfig, ClientSession, TransportFailure};
use engineio_proto::payload::decode_payload;
use engineio_proto::server::{
    self as eio_server, ClientProtocol, Method, Query, Route, SendError, ServerConfig,
    ServerSession, route_request,
};
use engineio_proto::{Bytes, Frame, Instant, Message, Packet, ProtocolVersion, Transport, v3};
use socketio_proto::adapter::{BroadcastOptions, Rooms, SocketId};
use socketio_proto::client::stack::{self, EngineEvent, EngineId, Stack, StackConfig};
use socketio_proto::client::{self as sio_client, Manager, ManagerConfig};
use socketio_proto::packet::{Encoded, NamespaceName, RawJson};
use socketio_proto::server::{
    self as sio_server, SOCKET_ID_RANDOM_BYTES, ServerConnection, ServerConnectionConfig,
};

/// Steps without time moving before the world calls it a livelock.
const MAX_STEPS_AT_ONE_INSTANT: u32 = 100_000;

/// Index of a client in the world, in the order [`World::add_client`] made them.
pub type ClientId = usize;

/// How the server application answers a namespace connection request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Admission {
    /// Accept with the next socket id.
    Accept,
    /// Refuse, as a failing middleware does.
    Reject {
        /// The error's message.
        message: String,
        /// The error's data.
        data: Option<RawJson>,
    },
    /// Refuse as an unknown namespace.
    InvalidNamespace,
}

/// The server application's answer to each connection request, from its namespace and auth.
type AdmissionPolicy = Box<dyn FnMut(&NamespaceName, Option<&RawJson>) -> Admission>;

/// Which end put something on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The client's engine (requests, frames).
    Client,
    /// The server (answers, frames).
    Server,
}

/// One transmission, decoded into the Engine.IO packets it carried.
#[derive(Clone, Debug)]
pub struct Entry {
    /// When it was sent.
    pub at: Instant,
    /// The client it went to or came from.
    pub client: ClientId,
    /// Who sent it.
    pub from: Side,
    /// The transport that carried it.
    pub transport: Transport,
    /// The Engine.IO packets.
    pub packets: Vec<Packet>,
    /// Whether it was lost because its client was cut off when it was sent (what is on the wire when
    /// the cut happens is lost too, but stays unmarked).
    pub lost: bool,
}

/// One client "browser": its machines, their engine sessions, what it saw.
struct Client {
    machines: Machines,
    engines: Vec<Engine>,
    events: Vec<(Instant, sio_client::Event)>,
    engine_events: Vec<(Instant, eio_client::Event)>,
    /// What a stack client told of its sessions: its engine events, and the sessions it released.
    stack_engine_events: Vec<(Instant, EngineEvent)>,
    releases: Vec<(Instant, EngineId)>,
    /// Messages the current engine refused (`send` errors).
    send_refusals: usize,
    cut: bool,
}

/// What drives a client's sessions.
enum Machines {
    /// A manager; the world starts and drives the sessions it asks for.
    Manager {
        engine_config: ClientConfig,
        manager: Box<Manager>,
    },
    /// A stack, which starts and drives its sessions itself.
    Stack(Box<Stack>),
}

/// The machine behind one engine of a client.
enum EngineMachine {
    /// A session the world drives (for a manager, or a bare one).
    Session(ClientSession),
    /// A session inside the client's stack.
    OfStack(EngineId),
}

/// A transport report for one engine of a client.
enum EngineInput {
    Poll(Result<Bytes, TransportFailure>),
    Post(Result<(), TransportFailure>),
    WsOpened,
    WsFrame(Frame),
    WsClosed(bool),
}

/// One Engine.IO client session and its requests under way.
struct Engine {
    id: u64,
    machine: EngineMachine,
    /// Whether the manager hears about it: false once it asked to close it, and for bare engines.
    reported: bool,
    get: Option<u64>,
    post: Option<u64>,
    ws: Option<u64>,
}

/// A GET the server holds, and where its answer goes.
#[derive(Clone, Copy, Debug)]
struct HeldGet {
    client: ClientId,
    engine: u64,
    req: u64,
}

/// The server's runtime state for one Engine.IO session.
struct ServerEnd {
    session: ServerSession,
    connection: ServerConnection,
    held_get: Option<HeldGet>,
    ws: Option<u64>,
}

/// One WebSocket connection; each end stops hearing about it once it closed it or saw it closed.
struct WebSocket {
    client: ClientId,
    engine: u64,
    client_open: bool,
    server_open: bool,
    sid: Option<String>,
}

/// Something on its way across the network.
enum Delivery {
    Get {
        at: HeldGet,
        query: String,
    },
    Post {
        client: ClientId,
        engine: u64,
        req: u64,
        query: String,
        body: Bytes,
    },
    WsOpen {
        ws: u64,
        query: String,
    },
    FrameToServer {
        ws: u64,
        frame: Frame,
    },
    ServerSeesWsClosed {
        ws: u64,
        error: bool,
    },
    GetAnswer {
        to: HeldGet,
        result: Result<Bytes, TransportFailure>,
    },
    PostAnswer {
        client: ClientId,
        engine: u64,
        req: u64,
        result: Result<(), TransportFailure>,
    },
    WsAccepted {
        ws: u64,
    },
    FrameToClient {
        ws: u64,
        frame: Frame,
    },
    ClientSeesWsClosed {
        ws: u64,
        error: bool,
    },
}

struct Scheduled {
    at: Instant,
    seq: u64,
    delivery: Delivery,
}

/// The clients, the server and the network between them.
pub struct World {
    now: Instant,
    latency: Duration,
    server_config: ServerConfig,
    connection_config: ServerConnectionConfig,
    clients: Vec<Client>,
    sessions: BTreeMap<String, ServerEnd>,
    sessions_opened: Vec<String>,
    admission: AdmissionPolicy,
    socket_ids_issued: Vec<SocketId>,
    rooms: BTreeMap<NamespaceName, Rooms>,
    /// The engine session of each connected socket, for broadcasts.
    socket_session: HashMap<SocketId, String>,
    server_events: Vec<(Instant, String, sio_server::Event)>,
    server_engine_events: Vec<(Instant, String, eio_server::Event)>,
    server_send_refusals: usize,
    in_flight: Vec<Scheduled>,
    next_seq: u64,
    next_id: u64,
    sockets: BTreeMap<u64, WebSocket>,
    transcript: Vec<Entry>,
    steps_at_now: u32,
}

impl World {
    /// A world at time zero with no client, a server with these settings, a one-way `latency`, and
    /// every connection request accepted.
    pub fn new(
        server_config: ServerConfig,
        connection_config: ServerConnectionConfig,
        latency: Duration,
    ) -> Self {
        World {
            now: Instant::ZERO,
            latency,
            server_config,
            connection_config,
            clients: Vec::new(),
            sessions: BTreeMap::new(),
            sessions_opened: Vec::new(),
            admission: Box::new(|_, _| Admission::Accept),
            socket_ids_issued: Vec::new(),
            rooms: BTreeMap::new(),
            socket_session: HashMap::new(),
            server_events: Vec::new(),
            server_engine_events: Vec::new(),
            server_send_refusals: 0,
            in_flight: Vec::new(),
            next_seq: 0,
            next_id: 0,
            sockets: BTreeMap::new(),
            transcript: Vec::new(),
            steps_at_now: 0,
        }
    }

    /// Adds a client whose engines use `engine_config` and whose manager draws its jitter from `seed`.
    pub fn add_client(
        &mut self,
        engine_config: ClientConfig,
        manager_config: ManagerConfig,
        seed: u64,
    ) -> ClientId {
        self.push_client(Machines::Manager {
            engine_config,
            manager: Box::new(Manager::new(manager_config, seed)),
        })
    }

    /// Adds a client that is a [`Stack`] made with `config` and `seed`.
    pub fn add_stack_client(&mut self, config: StackConfig, seed: u64) -> ClientId {
        self.push_client(Machines::Stack(Box::new(Stack::new(config, seed))))
    }

    fn push_client(&mut self, machines: Machines) -> ClientId {
        self.clients.push(Client {
            machines,
            engines: Vec::new(),
            events: Vec::new(),
            engine_events: Vec::new(),
            stack_engine_events: Vec::new(),
            releases: Vec::new(),
            send_refusals: 0,
            cut: false,
        });
        self.clients.len() - 1
    }

    /// Sets how the server answers connection requests from now on.
    pub fn set_admission(
        &mut self,
        policy: impl FnMut(&NamespaceName, Option<&RawJson>) -> Admission + 'static,
    ) {
        self.admission = Box::new(policy);
    }

    // ----- commands -----

    /// The fake clock.
    pub fn now(&self) -> Instant {
        self.now
    }

    /// The manager of a manager client, for its application's commands (pass [`now`](Self::now));
    /// what they produce is handled on the next step.
    pub fn manager(&mut self, client: ClientId) -> &mut Manager {
        match &mut self.clients[client].machines {
            Machines::Manager { manager, .. } => manager,
            Machines::Stack(_) => panic!("client {client} is a stack: command it with `stack`"),
        }
    }

    /// The manager of `client` (a stack's own), to look at.
    pub fn manager_ref(&self, client: ClientId) -> &Manager {
        match &self.clients[client].machines {
            Machines::Manager { manager, .. } => manager,
            Machines::Stack(stack) => stack.manager(),
        }
    }

    /// The stack of a stack client, for its application's commands (pass [`now`](Self::now)).
    pub fn stack(&mut self, client: ClientId) -> &mut Stack {
        match &mut self.clients[client].machines {
            Machines::Stack(stack) => stack,
            Machines::Manager { .. } => panic!("client {client} is not a stack"),
        }
    }

    /// The stack of a stack client, to look at.
    pub fn stack_ref(&self, client: ClientId) -> &Stack {
        match &self.clients[client].machines {
            Machines::Stack(stack) => stack,
            Machines::Manager { .. } => panic!("client {client} is not a stack"),
        }
    }

    /// `connect(now, namespace, auth)` on the manager or stack of `client`.
    pub fn connect(&mut self, client: ClientId, namespace: &str, auth: Option<&str>) {
        let now = self.now;
        let namespace = NamespaceName::new(namespace.to_owned()).expect("a valid namespace");
        let auth = auth.map(|json| RawJson::new(json.to_owned()).expect("valid JSON"));
        let result = match &mut self.clients[client].machines {
            Machines::Manager { manager, .. } => manager.connect(now, namespace, auth),
            Machines::Stack(stack) => stack.connect(now, namespace, auth),
        };
        result.expect("auth accepted");
    }

    /// Starts an Engine.IO session for `client` that no manager drives: it never sends `CONNECT`.
    pub fn start_bare_engine(&mut self, client: ClientId) {
        self.open_engine(client, false);
    }

    /// The server connection on engine session `sid`, for the server application's commands (pass
    /// [`now`](Self::now)).
    pub fn connection(&mut self, sid: &str) -> &mut ServerConnection {
        &mut self
            .sessions
            .get_mut(sid)
            .unwrap_or_else(|| panic!("no server session {sid}"))
            .connection
    }

    /// The server connection on engine session `sid`, while the session exists.
    pub fn connection_ref(&self, sid: &str) -> Option<&ServerConnection> {
        self.sessions.get(sid).map(|end| &end.connection)
    }

    /// The room index of `namespace` (empty if no socket ever connected there).
    pub fn rooms(&mut self, namespace: &str) -> &mut Rooms {
        let namespace = NamespaceName::new(namespace.to_owned()).expect("a valid namespace");
        self.rooms.entry(namespace).or_default()
    }

    /// Sends `encoded` (a packet of `namespace`, encoded once) to every socket `opts` selects in the
    /// namespace's rooms; returns the recipients, in the order they were served.
    pub fn broadcast(
        &mut self,
        namespace: &str,
        opts: &BroadcastOptions,
        encoded: &Encoded,
    ) -> Vec<SocketId> {
        let recipients: Vec<SocketId> = self.rooms(namespace).select(opts).cloned().collect();
        for socket in &recipients {
            let sid = self.socket_session[socket].clone();
            self.connection(&sid)
                .send_encoded(namespace, encoded)
                .expect("broadcast accepted");
        }
        recipients
    }

    /// Cuts `client` off the network: everything sent to or from it from now on, and whatever is on
    /// the wire, is lost, and no end notices.
    pub fn cut(&mut self, client: ClientId) {
        self.pump();
        self.clients[client].cut = true;
    }

    /// Lets traffic of `client` through again (what was lost stays lost).
    pub fn heal(&mut self, client: ClientId) {
        self.clients[client].cut = false;
    }

    // ----- running -----

    /// Does one thing due by `limit`: a delivery due now, the deadlines due now, or a jump of the clock
    /// to the next delivery or deadline. Returns `false` when nothing is due by `limit`.
    pub fn step(&mut self, limit: Instant) -> bool {
        self.pump();
        self.steps_at_now += 1;
        assert!(
            self.steps_at_now < MAX_STEPS_AT_ONE_INSTANT,
            "livelock at {:?}",
            self.now
        );
        if let Some(index) = self
            .next_delivery()
            .filter(|&i| self.in_flight[i].at <= self.now)
        {
            let scheduled = self.in_flight.remove(index);
            // What was on the wire when its client was cut off is lost too.
            if !self.clients[self.delivery_client(&scheduled.delivery)].cut {
                self.deliver(scheduled.delivery);
            }
            return true;
        }
        if self.fire_due_deadlines() {
            return true;
        }
        let next_delivery = self.next_delivery().map(|i| self.in_flight[i].at);
        match [next_delivery, self.next_deadline()]
            .into_iter()
            .flatten()
            .min()
        {
            Some(next) if next <= limit => {
                assert!(next > self.now, "a deadline in the past was not handled");
                self.now = next;
                self.steps_at_now = 0;
                true
            }
            _ => false,
        }
    }

    /// Runs everything due up to `until`, then sets the clock there.
    pub fn run_until(&mut self, until: Instant) {
        while self.step(until) {}
        self.pump();
        if until > self.now {
            self.now = until;
            self.steps_at_now = 0;
        }
    }

    /// Runs for `duration` of fake time.
    pub fn run_for(&mut self, duration: Duration) {
        self.run_until(self.now + duration);
    }

    /// Steps until `done` holds and returns that instant; panics if it does not within `within`.
    pub fn run_until_true(
        &mut self,
        within: Duration,
        mut done: impl FnMut(&World) -> bool,
    ) -> Instant {
        let limit = self.now + within;
        loop {
            self.pump();
            if done(self) {
                return self.now;
            }
            assert!(self.step(limit), "condition not reached by {limit:?}");
        }
    }

    // ----- observations -----

    /// The Socket.IO events the application of `client` saw, with their instants.
    pub fn client_events(&self, client: ClientId) -> &[(Instant, sio_client::Event)] {
        &self.clients[client].events
    }

    /// The Engine.IO events of every engine of `client`, with their instants.
    pub fn client_engine_events(&self, client: ClientId) -> &[(Instant, eio_client::Event)] {
        &self.clients[client].engine_events
    }

    /// The engine events a stack client handed out, with their instants.
    pub fn stack_engine_events(&self, client: ClientId) -> &[(Instant, EngineEvent)] {
        &self.clients[client].stack_engine_events
    }

    /// The sessions a stack client released, in order, with their instants.
    pub fn releases(&self, client: ClientId) -> &[(Instant, EngineId)] {
        &self.clients[client].releases
    }

    /// The engines of `client` the world carries traffic for right now (a stack's until released).
    pub fn live_engines(&self, client: ClientId) -> usize {
        self.clients[client].engines.len()
    }

    /// Messages an engine of `client` refused to send.
    pub fn client_send_refusals(&self, client: ClientId) -> usize {
        self.clients[client].send_refusals
    }

    /// The server connections' events: instant, engine session id, event.
    pub fn server_events(&self) -> &[(Instant, String, sio_server::Event)] {
        &self.server_events
    }

    /// The server sessions' Engine.IO events: instant, session id, event.
    pub fn server_engine_events(&self) -> &[(Instant, String, eio_server::Event)] {
        &self.server_engine_events
    }

    /// Messages a server session refused to send.
    pub fn server_send_refusals(&self) -> usize {
        self.server_send_refusals
    }

    /// The socket ids the server gave, in order.
    pub fn socket_ids_issued(&self) -> &[SocketId] {
        &self.socket_ids_issued
    }

    /// The ids of every Engine.IO session the server opened, in order.
    pub fn sessions_opened(&self) -> &[String] {
        &self.sessions_opened
    }

    /// Whether server session `sid` still exists.
    pub fn has_session(&self, sid: &str) -> bool {
        self.sessions.contains_key(sid)
    }

    /// The server session id of the current engine of `client` (the one its manager drives), once
    /// open.
    pub fn session_of(&self, client: ClientId) -> Option<String> {
        let owner = &self.clients[client];
        if let Machines::Stack(stack) = &owner.machines {
            return stack.handshake().map(|handshake| handshake.sid.clone());
        }
        owner
            .engines
            .iter()
            .find(|engine| engine.reported)
            .and_then(|engine| engine.session()?.sid())
            .map(str::to_owned)
    }

    /// The transport of the current engine of `client`, if it has one (for a stack, once open).
    pub fn transport_of(&self, client: ClientId) -> Option<Transport> {
        let owner = &self.clients[client];
        if let Machines::Stack(stack) = &owner.machines {
            return stack.transport();
        }
        owner
            .engines
            .iter()
            .find(|engine| engine.reported)
            .and_then(|engine| Some(engine.session()?.transport()))
    }

    /// Everything sent so far.
    pub fn transcript(&self) -> &[Entry] {
        &self.transcript
    }

    /// The Engine.IO messages `from` sent to or from `client` that arrived, with the transport that
    /// carried each, in order: text as is, binary as `<bin:[..]>`.
    pub fn messages(&self, client: ClientId, from: Side) -> Vec<(Transport, String)> {
        self.transcript
            .iter()
            .filter(|entry| entry.client == client && entry.from == from && !entry.lost)
            .flat_map(|entry| {
                entry.packets.iter().filter_map(|packet| match packet {
                    Packet::Message(message) => Some((entry.transport, show(message))),
                    _ => None,
                })
            })
            .collect()
    }

    /// The transcript as text, one line per transmission (for failure messages).
    pub fn transcript_text(&self) -> String {
        let mut text = String::new();
        for entry in &self.transcript {
            let direction = match entry.from {
                Side::Client => "->",
                Side::Server => "<-",
            };
            let packets: Vec<String> = entry.packets.iter().map(show_packet).collect();
            text += &format!(
                "[{:>9.3} ms] client {} {direction} {:<9} {}{}\n",
                entry.at.as_micros() as f64 / 1000.0,
                entry.client,
                entry.transport.as_str(),
                packets.join(" | "),
                if entry.lost { "   (lost)" } else { "" },
            );
        }
        text
    }

    /// [`messages`](Self::messages) without the transports.
    pub fn message_texts(&self, client: ClientId, from: Side) -> Vec<String> {
        self.messages(client, from)
            .into_iter()
            .map(|(_, text)| text)
            .collect()
    }

    // ----- the client runtime -----

    fn open_engine(&mut self, client: ClientId, reported: bool) {
        let id = self.new_id();
        let owner = &mut self.clients[client];
        if reported {
            assert!(
                owner.engines.iter().all(|engine| !engine.reported),
                "OpenEngine while the manager has an engine"
            );
        }
        let engine_config = match &owner.machines {
            Machines::Manager { engine_config, .. } => *engine_config,
            Machines::Stack(stack) => stack.config().engine,
        };
        let mut session = ClientSession::new(engine_config);
        session.start(self.now);
        owner.engines.push(Engine {
            id,
            machine: EngineMachine::Session(session),
            reported,
            get: None,
            post: None,
            ws: None,
        });
    }

    fn pump(&mut self) {
        loop {
            let mut progress = false;
            for client in 0..self.clients.len() {
                progress |= match self.clients[client].machines {
                    Machines::Manager { .. } => self.pump_manager(client),
                    Machines::Stack(_) => self.pump_stack(client),
                };
                progress |= self.pump_engines(client);
            }
            let sids: Vec<String> = self.sessions.keys().cloned().collect();
            for sid in sids {
                progress |= self.pump_server(&sid);
            }
            if !progress {
                break;
            }
        }
    }

    /// Carries out what the manager of `client` asks; whether it asked anything.
    fn pump_manager(&mut self, client: ClientId) -> bool {
        let now = self.now;
        let mut progress = false;
        while let Some(output) = self.manager(client).poll_output() {
            progress = true;
            let owner = &mut self.clients[client];
            let current = owner
                .engines
                .iter_mut()
                .find(|engine| engine.reported)
                .and_then(Engine::session_mut);
            match output {
                sio_client::Output::OpenEngine => self.open_engine(client, true),
                sio_client::Output::Send(message) => {
                    let session = current.expect("Send with no engine");
                    if session.send(message).is_err() {
                        owner.send_refusals += 1;
                    }
                }
                sio_client::Output::CloseEngine => {
                    let engine = owner.engines.iter_mut().find(|engine| engine.reported);
                    let engine = engine.expect("CloseEngine with no engine");
                    engine.reported = false;
                    engine.session_mut().expect("a session").close(now);
                }
                sio_client::Output::Event(event) => owner.events.push((now, event)),
            }
        }
        progress
    }

    /// Carries out what the stack of `client` asks; whether it asked anything.
    fn pump_stack(&mut self, client: ClientId) -> bool {
        let now = self.now;
        let mut progress = false;
        while let Some(output) = self.stack(client).poll_output() {
            progress = true;
            let (engine, output) = match output {
                stack::Output::Poll { engine, query } => {
                    (engine, eio_client::Output::Poll { query })
                }
                stack::Output::Post {
                    engine,
                    query,
                    body,
                } => (engine, eio_client::Output::Post { query, body }),
                stack::Output::OpenWebSocket { engine, query } => {
                    (engine, eio_client::Output::OpenWebSocket { query })
                }
                stack::Output::WsFrame { engine, frame } => {
                    (engine, eio_client::Output::WsFrame(frame))
                }
                stack::Output::CloseWebSocket { engine } => {
                    (engine, eio_client::Output::CloseWebSocket)
                }
                stack::Output::Release { engine } => {
                    self.release(client, engine);
                    continue;
                }
                stack::Output::Engine(event) => {
                    self.clients[client].stack_engine_events.push((now, event));
                    continue;
                }
                stack::Output::Event(event) => {
                    self.clients[client].events.push((now, event));
                    continue;
                }
            };
            let id = self.stack_engine(client, engine);
            self.on_engine_output(client, id, output);
        }
        progress
    }

    /// The world's id of stack session `engine` of `client`, recorded at its first output.
    fn stack_engine(&mut self, client: ClientId, engine: EngineId) -> u64 {
        let of_stack = |candidate: &Engine| matches!(candidate.machine, EngineMachine::OfStack(id) if id == engine);
        if let Some(known) = self.clients[client].engines.iter().find(|e| of_stack(e)) {
            return known.id;
        }
        assert!(
            !self.clients[client]
                .releases
                .iter()
                .any(|(_, id)| *id == engine),
            "an output for released session {engine}"
        );
        let id = self.new_id();
        self.clients[client].engines.push(Engine {
            id,
            machine: EngineMachine::OfStack(engine),
            reported: false,
            get: None,
            post: None,
            ws: None,
        });
        id
    }

    /// A stack is done with `engine`: its WebSocket, if still open, closes, and it is forgotten.
    fn release(&mut self, client: ClientId, engine: EngineId) {
        let now = self.now;
        let owner = &mut self.clients[client];
        assert!(
            !owner.releases.iter().any(|(_, id)| *id == engine),
            "session {engine} released twice"
        );
        owner.releases.push((now, engine));
        let Some(index) = owner
            .engines
            .iter()
            .position(|e| matches!(e.machine, EngineMachine::OfStack(id) if id == engine))
        else {
            return; // It never asked for anything.
        };
        let id = owner.engines[index].id;
        let ws_open = owner.engines[index]
            .ws
            .is_some_and(|ws| self.sockets[&ws].client_open);
        if ws_open {
            self.on_engine_output(client, id, eio_client::Output::CloseWebSocket);
        }
        self.clients[client].engines.retain(|e| e.id != id);
    }

    /// Carries out what the engines of `client` ask and reports their events; whether they asked
    /// anything.
    fn pump_engines(&mut self, client: ClientId) -> bool {
        let mut progress = false;
        let ids: Vec<u64> = self.clients[client]
            .engines
            .iter()
            .map(|engine| engine.id)
            .collect();
        for id in ids {
            while let Some(output) = self
                .engine_mut(client, id)
                .and_then(Engine::session_mut)
                .and_then(ClientSession::poll_output)
            {
                progress = true;
                self.on_engine_output(client, id, output);
            }
            let owner = &mut self.clients[client];
            owner.engines.retain(|engine| {
                engine.id != id || engine.session().is_none_or(|session| !session.is_closed())
            });
        }
        progress
    }

    fn on_engine_output(&mut self, client: ClientId, id: u64, output: eio_client::Output) {
        let now = self.now;
        match output {
            eio_client::Output::Poll { query } => {
                let req = self.new_id();
                let engine = self.engine_mut(client, id).expect("engine");
                assert!(engine.get.is_none(), "a second GET while one is in flight");
                engine.get = Some(req);
                let at = HeldGet {
                    client,
                    engine: id,
                    req,
                };
                self.send(client, Delivery::Get { at, query });
            }
            eio_client::Output::Post { query, body } => {
                let req = self.new_id();
                let engine = self.engine_mut(client, id).expect("engine");
                assert!(
                    engine.post.is_none(),
                    "a second POST while one is in flight"
                );
                engine.post = Some(req);
                self.record(
                    client,
                    Side::Client,
                    Transport::Polling,
                    Wire::Payload(&body),
                );
                let delivery = Delivery::Post {
                    client,
                    engine: id,
                    req,
                    query,
                    body,
                };
                self.send(client, delivery);
            }
            eio_client::Output::OpenWebSocket { query } => {
                let ws = self.new_id();
                let engine = self.engine_mut(client, id).expect("engine");
                if let Some(previous) = engine.ws {
                    assert!(
                        !self.sockets[&previous].client_open,
                        "a second WebSocket while one is open"
                    );
                }
                self.engine_mut(client, id).expect("engine").ws = Some(ws);
                self.sockets.insert(
                    ws,
                    WebSocket {
                        client,
                        engine: id,
                        client_open: true,
                        server_open: false,
                        sid: None,
                    },
                );
                self.send(client, Delivery::WsOpen { ws, query });
            }
            eio_client::Output::WsFrame(frame) => {
                let ws = self
                    .engine_mut(client, id)
                    .and_then(|engine| engine.ws)
                    .expect("a frame with no WebSocket");
                assert!(
                    self.sockets[&ws].client_open,
                    "a frame on a closed WebSocket"
                );
                self.record(
                    client,
                    Side::Client,
                    Transport::WebSocket,
                    Wire::Frame(&frame),
                );
                self.send(client, Delivery::FrameToServer { ws, frame });
            }
            eio_client::Output::CloseWebSocket => {
                let ws = self
                    .engine_mut(client, id)
                    .and_then(|engine| engine.ws)
                    .expect("closing no WebSocket");
                let socket = self.sockets.get_mut(&ws).expect("known socket");
                assert!(socket.client_open, "closing a closed WebSocket");
                socket.client_open = false;
                if socket.server_open {
                    self.send(client, Delivery::ServerSeesWsClosed { ws, error: false });
                }
            }
            eio_client::Output::Event(event) => {
                let owner = &mut self.clients[client];
                owner.engine_events.push((now, event.clone()));
                let reported = owner
                    .engines
                    .iter_mut()
                    .find(|engine| engine.id == id)
                    .filter(|engine| engine.reported);
                let Some(engine) = reported else {
                    return;
                };
                let Machines::Manager { manager, .. } = &mut owner.machines else {
                    unreachable!("only a manager's engines are reported");
                };
                match event {
                    eio_client::Event::Open(handshake) => {
                        manager.handle_engine_handshake(now, &handshake)
                    }
                    eio_client::Event::Message(message) => manager.handle_message(now, message),
                    eio_client::Event::Closed(reason) => {
                        engine.reported = false;
                        manager.handle_engine_closed(now, reason);
                    }
                    eio_client::Event::Upgrading
                    | eio_client::Event::Upgraded
                    | eio_client::Event::UpgradeFailed => {}
                }
            }
        }
    }

    /// Hands a transport report to engine `id` of `client`: to its session, or to its stack.
    fn engine_input(&mut self, client: ClientId, id: u64, input: EngineInput) {
        let now = self.now;
        let owner = &mut self.clients[client];
        let Some(engine) = owner.engines.iter_mut().find(|engine| engine.id == id) else {
            return;
        };
        match &mut engine.machine {
            EngineMachine::Session(session) => match input {
                EngineInput::Poll(result) => session.handle_poll_response(now, result),
                EngineInput::Post(result) => session.handle_post_response(now, result),
                EngineInput::WsOpened => session.handle_ws_opened(now),
                EngineInput::WsFrame(frame) => session.handle_ws_frame(now, frame),
                EngineInput::WsClosed(error) => session.handle_ws_closed(now, error),
            },
            EngineMachine::OfStack(engine) => {
                let Machines::Stack(stack) = &mut owner.machines else {
                    unreachable!("a stack's engine belongs to a stack client");
                };
                let engine = *engine;
                match input {
                    EngineInput::Poll(result) => stack.handle_poll_response(now, engine, result),
                    EngineInput::Post(result) => stack.handle_post_response(now, engine, result),
                    EngineInput::WsOpened => stack.handle_ws_opened(now, engine),
                    EngineInput::WsFrame(frame) => stack.handle_ws_frame(now, engine, frame),
                    EngineInput::WsClosed(error) => stack.handle_ws_closed(now, engine, error),
                }
            }
        }
    }

    fn engine_mut(&mut self, client: ClientId, id: u64) -> Option<&mut Engine> {
        self.clients[client]
            .engines
            .iter_mut()
            .find(|engine| engine.id == id)
    }

    // ----- the server runtime -----

    /// Carries out what session `sid` and its connection ask; whether they asked anything.
    fn pump_server(&mut self, sid: &str) -> bool {
        let now = self.now;
        let mut progress = false;
        loop {
            let Some(end) = self.sessions.get_mut(sid) else {
                return progress;
            };
            if let Some(output) = end.session.poll_output() {
                progress = true;
                self.on_session_output(sid, output);
                continue;
            }
            if let Some(output) = end.connection.poll_output() {
                progress = true;
                match output {
                    sio_server::Output::Send(message) => match end.session.send(message) {
                        Ok(()) | Err(SendError::Closed) => {}
                        Err(_) => self.server_send_refusals += 1,
                    },
                    sio_server::Output::CloseEngine => end.session.close(now),
                    sio_server::Output::Event(event) => self.on_connection_event(sid, event),
                }
                continue;
            }
            if end.session.is_closed() && end.connection.is_closed() {
                let end = self.sessions.remove(sid).expect("present");
                assert!(end.held_get.is_none(), "closed session {sid} holds a GET");
                assert!(
                    end.ws.is_none(),
                    "closed session {sid} left its WebSocket open"
                );
            }
            return progress;
        }
    }

    fn on_session_output(&mut self, sid: &str, output: eio_server::Output) {
        let now = self.now;
        let end = self.sessions.get_mut(sid).expect("session");
        match output {
            eio_server::Output::PollResponse(body) => {
                let to = end
                    .held_get
                    .take()
                    .expect("a poll response with no GET held");
                self.record(
                    to.client,
                    Side::Server,
                    Transport::Polling,
                    Wire::Payload(&body),
                );
                self.send(
                    to.client,
                    Delivery::GetAnswer {
                        to,
                        result: Ok(body),
                    },
                );
            }
            eio_server::Output::WsFrame(frame) => {
                let ws = end.ws.expect("a frame with no WebSocket");
                let client = self.sockets[&ws].client;
                assert!(
                    self.sockets[&ws].server_open,
                    "a frame on a closed WebSocket"
                );
                self.record(
                    client,
                    Side::Server,
                    Transport::WebSocket,
                    Wire::Frame(&frame),
                );
                self.send(client, Delivery::FrameToClient { ws, frame });
            }
            eio_server::Output::CloseWebSocket => {
                let ws = end.ws.take().expect("closing no WebSocket");
                let socket = self.sockets.get_mut(&ws).expect("known socket");
                socket.server_open = false;
                socket.sid = None;
                if socket.client_open {
                    let client = socket.client;
                    self.send(client, Delivery::ClientSeesWsClosed { ws, error: false });
                }
            }
            eio_server::Output::Event(event) => {
                self.server_engine_events
                    .push((now, sid.to_owned(), event.clone()));
                match event {
                    eio_server::Event::Message(message) => {
                        end.connection.handle_message(now, message)
                    }
                    eio_server::Event::Closed(reason) => {
                        end.connection.handle_engine_closed(now, reason)
                    }
                    eio_server::Event::Upgrading | eio_server::Event::Upgraded => {}
                }
            }
        }
    }

    /// The server application: answers connection requests and keeps the rooms in step.
    fn on_connection_event(&mut self, sid: &str, event: sio_server::Event) {
        let now = self.now;
        self.server_events
            .push((now, sid.to_owned(), event.clone()));
        match event {
            sio_server::Event::ConnectRequest { namespace, auth } => {
                let answer = (self.admission)(&namespace, auth.as_ref());
                let id =
                    (answer == Admission::Accept).then(|| self.next_socket_id(sid, &namespace));
                let connection = self.connection(sid);
                let result = match answer {
                    Admission::Accept => connection.accept(now, &namespace, id.expect("an id")),
                    Admission::Reject { message, data } => {
                        connection.reject(now, &namespace, &message, data)
                    }
                    Admission::InvalidNamespace => {
                        connection.reject_invalid_namespace(now, &namespace)
                    }
                };
                result.expect("the request is pending");
            }
            sio_server::Event::Connected { namespace, socket } => {
                self.rooms.entry(namespace).or_default().add_socket(&socket);
                self.socket_session.insert(socket, sid.to_owned());
            }
            sio_server::Event::Disconnected {
                namespace, socket, ..
            } => {
                let rooms = self
                    .rooms
                    .get_mut(&namespace)
                    .expect("rooms of the namespace");
                assert!(rooms.del_all(&socket), "a socket that was not in the rooms");
                self.socket_session.remove(&socket);
            }
            _ => {}
        }
    }

    /// A socket id for `namespace` on session `sid`, from "random" bytes: a counter, so runs are
    /// reproducible.
    fn next_socket_id(&mut self, sid: &str, namespace: &str) -> SocketId {
        let mut random = [0x5a_u8; SOCKET_ID_RANDOM_BYTES];
        let count = self.socket_ids_issued.len() as u64 + 1;
        random[SOCKET_ID_RANDOM_BYTES - 8..].copy_from_slice(&count.to_be_bytes());
        let id = self.connection(sid).new_socket_id(namespace, &random);
        self.socket_ids_issued.push(id.clone());
        id
    }

    fn open_session(&mut self, transport: Transport, query: &str) -> String {
        let sid = format!("eio-{}", self.sessions_opened.len() + 1);
        self.sessions_opened.push(sid.clone());
        let protocol = client_protocol(query);
        let session = ServerSession::with_protocol(
            self.now,
            sid.clone(),
            transport,
            self.server_config,
            protocol,
        );
        let connection = match protocol.version {
            ProtocolVersion::V4 => ServerConnection::new(self.now, self.connection_config),
            ProtocolVersion::V3 => {
                ServerConnection::new_eio3(self.now, self.connection_config, &sid)
            }
        };
        self.sessions.insert(
            sid.clone(),
            ServerEnd {
                session,
                connection,
                held_get: None,
                ws: None,
            },
        );
        sid
    }

    fn serve_get(&mut self, at: HeldGet, query: &str) {
        let now = self.now;
        let route = route_request(
            Method::Get,
            &Query::parse(query),
            false,
            &self.server_config,
        );
        let sid = match route {
            Err(error) => return self.answer_get(at, Err(status(error.http_status()))),
            Ok(Route::Handshake { transport }) => {
                let sid = self.open_session(transport, query);
                self.sessions.get_mut(&sid).expect("new").held_get = Some(at);
                return;
            }
            Ok(Route::Session { sid, .. }) => sid.to_owned(),
        };
        let Some(end) = self.sessions.get_mut(&sid) else {
            return self.answer_get(at, Err(status(400)));
        };
        match end.session.handle_poll(now) {
            Ok(()) => {
                assert!(end.held_get.is_none(), "a GET accepted while one is held");
                end.held_get = Some(at);
            }
            Err(error) => self.answer_get(at, Err(status(error.http_status()))),
        }
    }

    fn serve_post(&mut self, client: ClientId, engine: u64, req: u64, query: &str, body: Bytes) {
        let now = self.now;
        let route = route_request(
            Method::Post,
            &Query::parse(query),
            false,
            &self.server_config,
        );
        let result = match route {
            Err(error) => Err(error.http_status()),
            Ok(Route::Handshake { .. }) => unreachable!("a POST is never a handshake"),
            Ok(Route::Session { sid, .. }) => match self.sessions.get_mut(sid) {
                None => Err(400),
                Some(end) => feed_post(&mut end.session, now, body),
            },
        };
        let result = result.map_err(status);
        self.send(
            client,
            Delivery::PostAnswer {
                client,
                engine,
                req,
                result,
            },
        );
    }

    fn serve_ws_open(&mut self, ws: u64, query: &str) {
        if !self.sockets[&ws].client_open {
            return; // The client gave up before the upgrade went through.
        }
        let now = self.now;
        let route = route_request(Method::Get, &Query::parse(query), true, &self.server_config);
        let sid = match route {
            Err(error) => return self.refuse_ws(ws, error.http_status()),
            Ok(Route::Handshake { transport }) => {
                let sid = self.open_session(transport, query);
                self.sessions.get_mut(&sid).expect("new").ws = Some(ws);
                return self.accept_ws(ws, sid);
            }
            Ok(Route::Session { sid, .. }) => sid.to_owned(),
        };
        let Some(end) = self.sessions.get_mut(&sid) else {
            return self.refuse_ws(ws, 400);
        };
        match end
            .session
            .handle_upgrade_request_with(now, client_protocol(query))
        {
            Ok(()) => {
                assert!(end.ws.is_none(), "a second WebSocket for {sid}");
                end.ws = Some(ws);
                self.accept_ws(ws, sid);
            }
            Err(error) => self.refuse_ws(ws, error.http_status()),
        }
    }

    fn accept_ws(&mut self, ws: u64, sid: String) {
        let socket = self.sockets.get_mut(&ws).expect("known socket");
        socket.server_open = true;
        socket.sid = Some(sid);
        let client = socket.client;
        self.send(client, Delivery::WsAccepted { ws });
    }

    fn refuse_ws(&mut self, ws: u64, _status: u16) {
        let client = self.sockets[&ws].client;
        self.send(client, Delivery::ClientSeesWsClosed { ws, error: true });
    }

    fn answer_get(&mut self, to: HeldGet, result: Result<Bytes, TransportFailure>) {
        self.send(to.client, Delivery::GetAnswer { to, result });
    }

    /// The session whose WebSocket `ws` is, if the server end of `ws` is still open.
    fn server_end_of(&mut self, ws: u64) -> Option<&mut ServerEnd> {
        let socket = &self.sockets[&ws];
        if !socket.server_open {
            return None;
        }
        let sid = socket.sid.clone()?;
        self.sessions.get_mut(&sid).filter(|end| end.ws == Some(ws))
    }

    // ----- the network -----

    fn deliver(&mut self, delivery: Delivery) {
        let now = self.now;
        match delivery {
            Delivery::Get { at, query } => self.serve_get(at, &query),
            Delivery::Post {
                client,
                engine,
                req,
                query,
                body,
            } => self.serve_post(client, engine, req, &query, body),
            Delivery::WsOpen { ws, query } => self.serve_ws_open(ws, &query),
            Delivery::FrameToServer { ws, frame } => {
                if let Some(end) = self.server_end_of(ws) {
                    end.session.handle_ws_frame(now, frame);
                }
            }
            Delivery::ServerSeesWsClosed { ws, error } => {
                if let Some(end) = self.server_end_of(ws) {
                    end.ws = None;
                    end.session.handle_ws_closed(now, error);
                }
                let socket = self.sockets.get_mut(&ws).expect("known socket");
                socket.server_open = false;
                socket.sid = None;
            }
            Delivery::GetAnswer { to, result } => {
                if let Some(engine) = self.engine_mut(to.client, to.engine) {
                    if engine.get == Some(to.req) {
                        engine.get = None;
                        self.engine_input(to.client, to.engine, EngineInput::Poll(result));
                    }
                }
            }
            Delivery::PostAnswer {
                client,
                engine,
                req,
                result,
            } => {
                if let Some(record) = self.engine_mut(client, engine) {
                    if record.post == Some(req) {
                        record.post = None;
                        self.engine_input(client, engine, EngineInput::Post(result));
                    }
                }
            }
            Delivery::WsAccepted { ws } => {
                let socket = &self.sockets[&ws];
                let (client, engine, open) = (socket.client, socket.engine, socket.client_open);
                if open {
                    self.engine_input(client, engine, EngineInput::WsOpened);
                }
            }
            Delivery::FrameToClient { ws, frame } => {
                let socket = &self.sockets[&ws];
                let (client, engine, open) = (socket.client, socket.engine, socket.client_open);
                if open {
                    self.engine_input(client, engine, EngineInput::WsFrame(frame));
                }
            }
            Delivery::ClientSeesWsClosed { ws, error } => {
                let socket = self.sockets.get_mut(&ws).expect("known socket");
                if socket.client_open {
                    socket.client_open = false;
                    let (client, engine) = (socket.client, socket.engine);
                    self.engine_input(client, engine, EngineInput::WsClosed(error));
                }
            }
        }
    }

    /// Puts `delivery`, to or from `client`, on the wire: it arrives after the latency, unless the
    /// client is cut off by then.
    fn send(&mut self, client: ClientId, delivery: Delivery) {
        if self.clients[client].cut {
            return;
        }
        self.next_seq += 1;
        self.in_flight.push(Scheduled {
            at: self.now + self.latency,
            seq: self.next_seq,
            delivery,
        });
    }

    fn delivery_client(&self, delivery: &Delivery) -> ClientId {
        match delivery {
            Delivery::Get { at, .. } => at.client,
            Delivery::GetAnswer { to, .. } => to.client,
            Delivery::Post { client, .. } | Delivery::PostAnswer { client, .. } => *client,
            Delivery::WsOpen { ws, .. }
            | Delivery::FrameToServer { ws, .. }
            | Delivery::ServerSeesWsClosed { ws, .. }
            | Delivery::WsAccepted { ws }
            | Delivery::FrameToClient { ws, .. }
            | Delivery::ClientSeesWsClosed { ws, .. } => self.sockets[ws].client,
        }
    }

    fn next_delivery(&self) -> Option<usize> {
        (0..self.in_flight.len()).min_by_key(|&i| (self.in_flight[i].at, self.in_flight[i].seq))
    }

    fn fire_due_deadlines(&mut self) -> bool {
        let now = self.now;
        let due = |deadline: Option<Instant>| deadline.is_some_and(|at| at <= now);
        let mut fired = false;
        for client in &mut self.clients {
            match &mut client.machines {
                Machines::Manager { manager, .. } => {
                    if due(manager.poll_timeout()) {
                        manager.handle_timeout(now);
                        fired = true;
                    }
                }
                Machines::Stack(stack) => {
                    if due(stack.poll_timeout()) {
                        stack.handle_timeout(now);
                        fired = true;
                    }
                }
            }
            for session in client.engines.iter_mut().filter_map(Engine::session_mut) {
                if due(session.poll_timeout()) {
                    session.handle_timeout(now);
                    fired = true;
                }
            }
        }
        for end in self.sessions.values_mut() {
            if due(end.session.poll_timeout()) {
                end.session.handle_timeout(now);
                fired = true;
            }
            if due(end.connection.poll_timeout()) {
                end.connection.handle_timeout(now);
                fired = true;
            }
        }
        fired
    }

    fn next_deadline(&self) -> Option<Instant> {
        let clients = self.clients.iter().flat_map(|client| {
            let engines = client.engines.iter().filter_map(Engine::session);
            let machines = match &client.machines {
                Machines::Manager { manager, .. } => manager.poll_timeout(),
                Machines::Stack(stack) => stack.poll_timeout(),
            };
            engines.map(ClientSession::poll_timeout).chain([machines])
        });
        let server = self
            .sessions
            .values()
            .flat_map(|end| [end.session.poll_timeout(), end.connection.poll_timeout()]);
        clients.chain(server).flatten().min()
    }

    fn new_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    fn record(&mut self, client: ClientId, from: Side, transport: Transport, wire: Wire<'_>) {
        let lost = self.clients[client].cut;
        let version = match &self.clients[client].machines {
            Machines::Manager { engine_config, .. } => engine_config.protocol,
            Machines::Stack(stack) => stack.config().engine.protocol,
        };
        let packets = match (wire, version) {
            (Wire::Payload(body), ProtocolVersion::V4) => decode_payload(body.clone(), usize::MAX),
            (Wire::Payload(body), ProtocolVersion::V3) => {
                v3::decode_payload(body.clone(), usize::MAX)
            }
            (Wire::Frame(frame), ProtocolVersion::V4) => {
                Packet::from_frame(frame.clone()).map(|p| vec![p])
            }
            (Wire::Frame(frame), ProtocolVersion::V3) => {
                v3::decode_frame(frame.clone()).map(|p| vec![p])
            }
        }
        .expect("the machines write valid payloads and frames");
        self.transcript.push(Entry {
            at: self.now,
            client,
            from,
            transport,
            packets,
            lost,
        });
    }
}

impl Engine {
    /// The session the world drives itself, unless it lives in a stack.
    fn session(&self) -> Option<&ClientSession> {
        match &self.machine {
            EngineMachine::Session(session) => Some(session),
            EngineMachine::OfStack(_) => None,
        }
    }

    fn session_mut(&mut self) -> Option<&mut ClientSession> {
        match &mut self.machine {
            EngineMachine::Session(session) => Some(session),
            EngineMachine::OfStack(_) => None,
        }
    }
}

/// Hands a POST body to `session` as a runtime does; `Err` is the HTTP status.
fn feed_post(session: &mut ServerSession, now: Instant, body: Bytes) -> Result<(), u16> {
    session
        .handle_post_start(now)
        .map_err(|error| error.http_status())?;
    session
        .handle_post_data(now, body)
        .map_err(|error| error.http_status())?;
    session
        .handle_post_end(now)
        .map_err(|error| error.http_status())
}

fn status(code: u16) -> TransportFailure {
    TransportFailure::HttpStatus(code)
}

/// What a recorded transmission carried.
enum Wire<'a> {
    Payload(&'a Bytes),
    Frame(&'a Frame),
}

/// The protocol a request the client machines wrote says it speaks.
fn client_protocol(query: &str) -> ClientProtocol {
    Query::parse(query)
        .client_protocol()
        .expect("the client always sends EIO")
}

/// An Engine.IO packet for reading.
fn show_packet(packet: &Packet) -> String {
    match packet {
        Packet::Open(json) => format!("open {}", json.as_str()),
        Packet::Close => "close".to_owned(),
        Packet::Ping(data) => format!("ping {}", data.as_str()),
        Packet::Pong(data) => format!("pong {}", data.as_str()),
        Packet::Message(message) => show(message),
        Packet::Upgrade => "upgrade".to_owned(),
        Packet::Noop => "noop".to_owned(),
    }
}

/// A message for reading: text as is, binary as `<bin:[..]>`.
pub fn show(message: &Message) -> String {
    match message {
        Message::Text(text) => text.as_str().to_owned(),
        Message::Binary(bytes) => format!("<bin:{:?}>", &bytes[..]),
    }
}
