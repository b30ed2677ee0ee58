//! The server: its namespaces, the Engine.IO engine it runs on, and its builder.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use serde::Serialize;
use socketio_proto::adapter::Room;
use socketio_proto::packet;
use socketio_proto::server::DisconnectReason;

use super::broadcast::BroadcastOperator;
use super::config::SocketIoConfig;
use super::error::{ConnectError, EmitError};
use super::namespace::Namespace;
use super::session::{Command, SocketIoSession};
use super::socket::Socket;
use engineio_server::{Application, HandshakeRequest, SessionContext};
use engineio_server::{Engine, EngineBuilder};
use socketio_runtime::Runtime;
use socketio_runtime::sync::{read, write};

/// Decides whether an unknown namespace name is accepted as a dynamic namespace.
type NamespacePredicate = Arc<dyn Fn(&str) -> bool + Send + Sync>;
/// Sets up a namespace created on demand (its handlers and middleware).
type NamespaceSetup = Arc<dyn Fn(&Namespace) + Send + Sync>;

/// State shared by the server handle and every connection.
pub(crate) struct IoShared {
    pub(crate) config: SocketIoConfig,
    pub(crate) runtime: Arc<dyn Runtime>,
    namespaces: RwLock<HashMap<String, Namespace>>,
    dynamic: RwLock<Vec<(NamespacePredicate, NamespaceSetup)>>,
}

impl IoShared {
    /// The namespace a client asks for: an existing one, or one a dynamic predicate accepts.
    pub(crate) fn namespace_for(&self, name: &str) -> Option<Namespace> {
        if let Some(namespace) = read(&self.namespaces).get(name) {
            return Some(namespace.clone());
        }
        let setup = read(&self.dynamic)
            .iter()
            .find(|(accepts, _)| accepts(name))
            .map(|(_, setup)| setup.clone())?;
        let proto_name = packet::NamespaceName::new(name.to_owned()).ok()?;
        let mut namespaces = write(&self.namespaces);
        // Another connection may have created it meanwhile.
        if let Some(namespace) = namespaces.get(name) {
            return Some(namespace.clone());
        }
        let namespace = Namespace::new(
            proto_name,
            self.runtime.clone(),
            self.config.connection.format,
        );
        setup(&namespace);
        namespaces.insert(name.to_owned(), namespace.clone());
        Some(namespace)
    }
}

/// The application the engine runs: a Socket.IO connection per Engine.IO session.
struct SocketIoApp(Arc<IoShared>);

impl Application for SocketIoApp {
    type Handler = SocketIoSession;

    fn on_open(
        &self,
        session: &mut SessionContext<'_, Command>,
        request: &HandshakeRequest,
    ) -> SocketIoSession {
        SocketIoSession::new(self.0.clone(), session, request)
    }
}

/// A Socket.IO server (the reference's `io`). Cheap to clone; every clone is the same server.
///
/// Serve it with the runtime crate's `listen`, or mount [`SocketIo::engine`] in a tower stack.
#[derive(Clone)]
pub struct SocketIo {
    shared: Arc<IoShared>,
    engine: Engine,
}

/// Builds a [`SocketIo`].
pub struct SocketIoBuilder {
    runtime: Arc<dyn Runtime>,
    config: SocketIoConfig,
    customize: Vec<Box<dyn FnOnce(EngineBuilder) -> EngineBuilder>>,
}

impl SocketIoBuilder {
    /// Sets the configuration (default: [`SocketIoConfig::default`]).
    pub fn config(mut self, config: SocketIoConfig) -> Self {
        self.config = config;
        self
    }

    /// Sets the hook that may refuse handshakes (`allowRequest`): `Err(message)` answers 403 with
    /// the Engine.IO code 4.
    pub fn allow_request(
        mut self,
        hook: impl Fn(&http::request::Parts) -> Result<(), String> + Send + Sync + 'static,
    ) -> Self {
        self.customize
            .push(Box::new(move |engine| engine.allow_request(hook)));
        self
    }

    /// Adds headers to the response that opens each session (the reference's `initial_headers`
    /// event); sees the request.
    pub fn initial_headers(
        mut self,
        hook: impl Fn(&mut http::HeaderMap, &http::request::Parts) + Send + Sync + 'static,
    ) -> Self {
        self.customize
            .push(Box::new(move |engine| engine.initial_headers(hook)));
        self
    }

    /// Adds headers to every response of the transports (the reference's `headers` event).
    pub fn headers(
        mut self,
        hook: impl Fn(&mut http::HeaderMap, &http::request::Parts) + Send + Sync + 'static,
    ) -> Self {
        self.customize
            .push(Box::new(move |engine| engine.headers(hook)));
        self
    }

    /// Calls `hook` when a listener (or other application code run by a connection) panics, with
    /// the Engine.IO session id and the panic's message. That connection ends: each of its sockets
    /// disconnects (reason `forced close`) and leaves its rooms, and every other connection goes
    /// on, as a JavaScript server would after an exception in one handler.
    pub fn on_panic(mut self, hook: impl Fn(&str, &str) + Send + Sync + 'static) -> Self {
        self.customize
            .push(Box::new(move |engine| engine.on_panic(hook)));
        self
    }

    /// Calls `hook` for every request refused with an Engine.IO error (the reference's
    /// `io.engine.on("connection_error")`): code, message, request and context.
    pub fn on_connection_error(
        mut self,
        hook: impl Fn(&engineio_server::ConnectionError<'_>) + Send + Sync + 'static,
    ) -> Self {
        self.customize
            .push(Box::new(move |engine| engine.on_connection_error(hook)));
        self
    }

    /// Replaces the Engine.IO session id generator (default: 120 bits from the OS CSPRNG).
    pub fn sid_generator(
        mut self,
        generator: impl Fn() -> std::io::Result<String> + Send + Sync + 'static,
    ) -> Self {
        self.customize
            .push(Box::new(move |engine| engine.sid_generator(generator)));
        self
    }

    /// Builds the server, with its main namespace `/`.
    pub fn build(self) -> SocketIo {
        let main = Namespace::new(
            packet::NamespaceName::main(),
            self.runtime.clone(),
            self.config.connection.format,
        );
        let shared = Arc::new(IoShared {
            config: self.config,
            runtime: self.runtime.clone(),
            namespaces: RwLock::new(HashMap::from([("/".to_owned(), main)])),
            dynamic: RwLock::default(),
        });
        let mut engine = Engine::builder(self.runtime, SocketIoApp(shared.clone()))
            .config(shared.config.engine.clone());
        for customize in self.customize {
            engine = customize(engine);
        }
        SocketIo {
            shared,
            engine: engine.build(),
        }
    }
}

impl SocketIo {
    /// Starts building a server that spawns and sleeps on `runtime`.
    pub fn builder(runtime: Arc<dyn Runtime>) -> SocketIoBuilder {
        SocketIoBuilder {
            runtime,
            config: SocketIoConfig::default(),
            customize: Vec::new(),
        }
    }

    /// The Engine.IO engine that serves this server's HTTP requests.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Runs `task` in the background on the server's runtime: for listeners that need to wait (an
    /// ack, a database) without blocking their connection, whatever the runtime.
    pub fn spawn(&self, task: impl std::future::Future<Output = ()> + Send + 'static) {
        self.shared.runtime.spawn(Box::pin(task));
    }

    /// The configuration.
    pub fn config(&self) -> &SocketIoConfig {
        &self.shared.config
    }

    /// The namespace `name`, created if it does not exist (`io.of(name)`). `name` should start with
    /// `/`; one that is not a valid namespace name gives the main namespace's sibling `/` + name.
    pub fn of(&self, name: &str) -> Namespace {
        let name = if name.starts_with('/') {
            name.to_owned()
        } else {
            format!("/{name}")
        };
        if let Some(namespace) = read(&self.shared.namespaces).get(&name) {
            return namespace.clone();
        }
        let proto_name = packet::NamespaceName::new(name.clone())
            .unwrap_or_else(|_| packet::NamespaceName::main());
        write(&self.shared.namespaces)
            .entry(proto_name.as_str().to_owned())
            .or_insert_with(|| {
                let format = self.shared.config.connection.format;
                Namespace::new(proto_name, self.shared.runtime.clone(), format)
            })
            .clone()
    }

    /// Accepts, as namespaces created on demand, the names `accepts` returns `true` for (the
    /// reference's `io.of(regex or function)`); `setup` configures each when it is created.
    pub fn dynamic_namespace<P, S>(&self, accepts: P, setup: S)
    where
        P: Fn(&str) -> bool + Send + Sync + 'static,
        S: Fn(&Namespace) + Send + Sync + 'static,
    {
        write(&self.shared.dynamic).push((Arc::new(accepts), Arc::new(setup)));
    }

    /// The names of the namespaces that exist now.
    pub fn namespace_names(&self) -> Vec<String> {
        read(&self.shared.namespaces).keys().cloned().collect()
    }

    fn main(&self) -> Namespace {
        self.of("/")
    }

    /// Calls `handler` for every socket connecting to the main namespace.
    pub fn on_connection<F>(&self, handler: F)
    where
        F: Fn(&Socket) + Send + Sync + 'static,
    {
        self.main().on_connection(handler);
    }

    /// Adds a connection middleware to the main namespace (see [`Namespace::use_middleware`]).
    pub fn use_middleware<F, Fut>(&self, middleware: F)
    where
        F: Fn(Socket) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Result<(), ConnectError>> + Send + 'static,
    {
        self.main().use_middleware(middleware);
    }

    /// Emits to every socket of the main namespace.
    pub fn emit<T: Serialize + ?Sized>(&self, event: &str, args: &T) -> Result<(), EmitError> {
        self.main().emit(event, args)
    }

    /// Targets a room of the main namespace.
    pub fn to(&self, room: impl Into<Room>) -> BroadcastOperator {
        self.main().to(room)
    }

    /// Same as [`to`](Self::to).
    pub fn in_(&self, room: impl Into<Room>) -> BroadcastOperator {
        self.to(room)
    }

    /// Targets the main namespace's sockets not in `room`.
    pub fn except(&self, room: impl Into<Room>) -> BroadcastOperator {
        self.main().except(room)
    }

    /// Targets the main namespace with volatile packets.
    pub fn volatile(&self) -> BroadcastOperator {
        self.main().volatile()
    }

    /// Targets only this server's sockets of the main namespace.
    pub fn local(&self) -> BroadcastOperator {
        self.main().local()
    }

    /// The sockets of the main namespace.
    pub fn fetch_sockets(&self) -> Vec<Socket> {
        self.main().fetch_sockets()
    }

    /// Makes every socket of the main namespace join `rooms`.
    pub fn sockets_join(&self, rooms: &[Room]) {
        self.main().sockets_join(rooms);
    }

    /// Makes every socket of the main namespace leave `rooms`.
    pub fn sockets_leave(&self, rooms: &[Room]) {
        self.main().sockets_leave(rooms);
    }

    /// Disconnects every socket of the main namespace; with `close`, their whole connections.
    pub fn disconnect_sockets(&self, close: bool) {
        self.main().disconnect_sockets(close);
    }

    /// Closes every connection: each socket disconnects with `server shutting down`. The engine
    /// keeps answering requests (new clients may still connect) until the listener stops.
    pub fn close(&self) {
        let namespaces: Vec<Namespace> = read(&self.shared.namespaces).values().cloned().collect();
        let mut closed = std::collections::HashSet::new();
        for namespace in namespaces {
            for socket in namespace.fetch_sockets() {
                if closed.insert(socket.connection_id().to_owned()) {
                    let command = Command::Close(DisconnectReason::ServerShuttingDown);
                    let _ = socket.session().try_command(command);
                }
            }
        }
    }
}

impl From<SocketIo> for Engine {
    fn from(io: SocketIo) -> Engine {
        io.engine
    }
}
