//! The server of the public compliance suites (the Engine.IO and Socket.IO protocol test suites),
//! on one port: the Engine.IO echo on `/engine.io/` and the Socket.IO echo on `/socket.io/`, with
//! the suites' settings (pingInterval 300 ms, pingTimeout 200 ms, maxPayload 1 000 000 bytes,
//! connectTimeout 1000 ms, CORS for any origin).
//!
//! A runtime's example serves [`routes_with`] with its `Server`, with the [`Options`] of the
//! environment: `ALLOW_EIO3=1` also lets Engine.IO revision 3 clients (`socket.io-client` 1 and 2)
//! in, on both paths; `PARSER=msgpack` serves the Socket.IO echo with `socket.io-msgpack-parser`
//! (the Engine.IO echo is unchanged).

use std::io;
use std::sync::Arc;
use std::time::Duration;

use engineio_proto::server::ServerConfig;

use crate::EventArgs;
use engineio_server::Cors;
use engineio_server::EchoApp;
use engineio_server::Engine;
use engineio_server::EngineConfig;
use engineio_server::Routes;
use socketio_runtime::Runtime;
use socketio_server::{Namespace, PacketFormat, SocketIo, SocketIoConfig};

/// The port the suites expect (`PORT` may say otherwise).
pub const DEFAULT_PORT: u16 = 3000;
/// The suites' `pingInterval`.
pub const PING_INTERVAL: Duration = Duration::from_millis(300);
/// The suites' `pingTimeout`.
pub const PING_TIMEOUT: Duration = Duration::from_millis(200);
/// The suites' `maxPayload` / `maxHttpBufferSize`, in bytes.
pub const MAX_PAYLOAD: usize = 1_000_000;
/// The suites' Socket.IO `connectTimeout`.
pub const CONNECT_TIMEOUT: Duration = Duration::from_millis(1000);

/// What the conformance server may change beyond the suites' settings.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// Let Engine.IO revision 3 clients in (`allowEIO3`), on both paths. Default: off.
    pub allow_eio3: bool,
    /// The Socket.IO echo's parser. Default: JSON.
    pub parser: PacketFormat,
}

impl Options {
    /// The options from the environment: `ALLOW_EIO3` set to `1` or `true` (unset, empty, `0` or
    /// `false`: off), `PARSER` set to `json` (or unset, or empty) or `msgpack`; anything else is an
    /// error.
    pub fn from_env() -> io::Result<Options> {
        let parser = crate::parser_from_env()?;
        let allow_eio3 = match std::env::var("ALLOW_EIO3") {
            Err(std::env::VarError::NotPresent) => false,
            Ok(value) => match value.as_str() {
                "1" | "true" => true,
                "" | "0" | "false" => false,
                _ => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidInput,
                        format!("ALLOW_EIO3={value:?}: expected 1, true, 0 or false"),
                    ));
                }
            },
            Err(error) => return Err(io::Error::new(io::ErrorKind::InvalidInput, error)),
        };
        Ok(Options { allow_eio3, parser })
    }
}

/// The suites' Engine.IO settings.
pub fn engine_io_config() -> ServerConfig {
    ServerConfig::default()
        .with_ping_interval(PING_INTERVAL)
        .with_ping_timeout(PING_TIMEOUT)
        .with_max_payload(MAX_PAYLOAD)
}

/// The Engine.IO echo on `/engine.io/`.
pub fn engine_io(runtime: Arc<dyn Runtime>) -> Engine {
    engine_io_with(runtime, Options::default())
}

/// The Engine.IO echo on `/engine.io/`, with `options`.
pub fn engine_io_with(runtime: Arc<dyn Runtime>, options: Options) -> Engine {
    let server = engine_io_config().with_allow_eio3(options.allow_eio3);
    Engine::builder(runtime, EchoApp)
        .config(
            EngineConfig::default()
                .with_server(server)
                .with_cors_any_origin(),
        )
        .build()
}

/// The suites' Socket.IO settings, on `/socket.io/`.
pub fn socket_io_config() -> SocketIoConfig {
    SocketIoConfig::default()
        .with_ping_interval(PING_INTERVAL)
        .with_ping_timeout(PING_TIMEOUT)
        .with_max_http_buffer_size(MAX_PAYLOAD)
        .with_connect_timeout(CONNECT_TIMEOUT)
        .with_cors(Cors::any())
}

/// The Socket.IO echo with the suites' settings: [`install`] on a fresh server.
pub fn socket_io(runtime: Arc<dyn Runtime>) -> SocketIo {
    socket_io_with(runtime, Options::default())
}

/// The Socket.IO echo with the suites' settings and `options`.
pub fn socket_io_with(runtime: Arc<dyn Runtime>, options: Options) -> SocketIo {
    let config = socket_io_config()
        .with_allow_eio3(options.allow_eio3)
        .with_parser(options.parser);
    let io = SocketIo::builder(runtime).config(config).build();
    install(&io);
    io
}

/// Installs the Socket.IO echo on `/` and `/custom` of `io`: see [`install_echo`].
pub fn install(io: &SocketIo) {
    install_echo(&io.of("/"));
    install_echo(&io.of("/custom"));
}

/// The echo on one namespace. Each socket is sent `auth` with its handshake's auth payload as soon
/// as it connects (what the suites check); then `auth` is acknowledged with that payload,
/// `message` is answered with `message-back` and the same arguments, and `message-with-ack` is
/// acknowledged with its arguments. Arguments go back as they came, binary attachments included.
pub fn install_echo(namespace: &Namespace) {
    namespace.on_connection(|socket| {
        let _ = socket.emit("auth", &socket.handshake().auth);
        socket.on("auth", |socket, (): (), ack| {
            if let Some(ack) = ack {
                let _ = ack.send(&socket.handshake().auth);
            }
        });
        socket.on_raw("message", |socket, payload, _| {
            if let Ok(args) = EventArgs::from_event(payload) {
                let _ = socket.emit("message-back", &args);
            }
        });
        socket.on_raw("message-with-ack", |_, payload, ack| {
            if let (Some(ack), Ok(args)) = (ack, EventArgs::from_event(payload)) {
                let _ = ack.send(&args);
            }
        });
    });
}

/// Both servers of the suites, sharing one port: requests under `/engine.io/` go to the Engine.IO
/// echo, those under `/socket.io/` to the Socket.IO echo. Serve it with a runtime's `HttpServer::bind`.
pub fn routes(runtime: Arc<dyn Runtime>) -> Routes {
    routes_with(runtime, Options::default())
}

/// Both servers of the suites as [`routes`] gives them, with `options` on both paths.
pub fn routes_with(runtime: Arc<dyn Runtime>, options: Options) -> Routes {
    Routes::new(engine_io_with(runtime.clone(), options)).engine(socket_io_with(runtime, options))
}

/// What a running conformance server prints.
pub fn banner(local_addr: std::net::SocketAddr, options: Options) -> String {
    let eio3 = if options.allow_eio3 {
        " (Engine.IO v3 clients allowed)"
    } else {
        ""
    };
    let parser = if options.parser.is_json() {
        ""
    } else {
        " with the msgpack parser"
    };
    format!(
        "conformance server: Engine.IO echo on http://{local_addr}/engine.io/, Socket.IO echo{parser} on http://{local_addr}/socket.io/{eio3}"
    )
}
