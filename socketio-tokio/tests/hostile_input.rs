//! Regression tests for the known attacks on Socket.IO stacks (issue 6), against the running
//! server over raw TCP: hand-written HTTP requests and WebSocket frames, so each test sends exactly
//! the bytes of the attack. Each fails if its defence is removed.
//!
//! Covered by existing tests, not repeated here:
//! - predictable ids: `engineio-server/src/sid.rs` `ids_are_url_safe_and_distinct` (sids: 120 bits
//!   of the OS CSPRNG, url-safe) and `socketio-proto/tests/server_connection.rs`
//!   `socket_ids_are_20_url_safe_characters_from_the_random_bytes`;
//! - digit runs in the attachment count, ack id and namespace (linear time, bounded memory):
//!   `socketio-proto/tests/packet_codec.rs` `long_inputs_fail_fast_without_allocating`;
//! - placeholder `num` forms (string, negative, fractional, out of range, extra keys):
//!   `packet_codec.rs` `rejects_invalid_placeholders`;
//! - EVENT payloads that are not a non-empty array starting with a string, ACK payloads that are
//!   not arrays: `packet_codec.rs` `rejects_payloads_of_the_wrong_shape`;
//! - a huge attachment count, zero attachments with placeholders: `packet_codec.rs`
//!   `rejects_bad_headers`; binary frames with no binary packet pending:
//!   `decoder_sequences_binary_packets`;
//! - reserved event names at the protocol level: `socketio-proto/tests/server_connection.rs`
//!   `a_received_reserved_event_name_is_a_parse_error_never_an_event` (here: through the server API);
//! - the routing of odd `transport` / `sid` / `EIO` values, code by code:
//!   `engineio-proto/tests/server_session.rs` `unknown_or_disabled_transport_is_code_0`,
//!   `non_get_handshake_is_code_2`, `request_kind_not_fitting_its_transport_is_code_3`,
//!   `unsupported_protocol_version_is_code_5`, `repeated_and_odd_query_parameters` (here: the same
//!   over real upgrade requests, with polling-only and websocket-only servers);
//! - the client verifies TLS certificates by default: `tests/interop-suite/src/client.rs`
//!   `official_server_over_tls`.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use engineio_proto::Transports;
use serde_json::Value;
use socketio_tokio::engine_io::{EchoApp, Engine, EngineConfig};
use socketio_tokio::server::{SocketIo, SocketIoConfig};
use socketio_tokio::{HttpServer, engine, socket_io};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep, timeout};

/// `maxHttpBufferSize` of the test servers.
const LIMIT: usize = 10_000;
/// How long any single answer may take before a test fails (generous for a loaded machine; the
/// answers come in milliseconds).
const PATIENCE: Duration = Duration::from_secs(5);
const GOOD: &str = "https://good.example";
const EVIL: &str = "https://evil.example";

// ---------------------------------------------------------------------------------------------
// servers

/// A heartbeat slow enough for idle test clients to keep their sessions, short upgrade and close
/// timeouts.
fn config() -> SocketIoConfig {
    let mut config = SocketIoConfig::default()
        .with_ping_interval(Duration::from_secs(20))
        .with_ping_timeout(Duration::from_secs(20))
        .with_upgrade_timeout(Duration::from_millis(300))
        .with_connect_timeout(Duration::from_secs(2))
        .with_max_http_buffer_size(LIMIT);
    config.engine = config
        .engine
        .with_ws_close_grace(Duration::from_millis(200))
        .with_header_read_timeout(Duration::from_secs(3));
    config
}

/// As [`config`], with a heartbeat that ends silent sessions within a second, and half-sent
/// requests dropped after one.
fn heartbeat_config() -> SocketIoConfig {
    let mut config = config()
        .with_ping_interval(Duration::from_millis(300))
        .with_ping_timeout(Duration::from_millis(300));
    config.engine = config
        .engine
        .with_header_read_timeout(Duration::from_secs(1));
    config
}

/// A Socket.IO server whose sockets answer `echo` with an ack carrying its arguments.
fn echo_server(config: SocketIoConfig) -> SocketIo {
    let io = socket_io().config(config).build();
    io.on_connection(|socket| {
        socket.on("echo", |_, args: Vec<Value>, ack| {
            if let Some(ack) = ack {
                let _ = ack.send(&args);
            }
        });
    });
    io
}

/// A server being served; stops when dropped.
struct Running {
    addr: SocketAddr,
    engine: Engine,
    task: JoinHandle<std::io::Result<()>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(engine: impl Into<Engine>) -> Running {
    let engine: Engine = engine.into();
    let server = HttpServer::bind("127.0.0.1:0", engine.clone())
        .await
        .unwrap();
    let addr = server.local_addr().unwrap();
    Running {
        addr,
        engine,
        task: tokio::spawn(server.run()),
    }
}

impl Running {
    /// Waits until the server has exactly `count` sessions.
    async fn sessions_become(&self, count: usize) {
        let deadline = Instant::now() + PATIENCE;
        while self.engine.session_count() != count {
            assert!(
                Instant::now() < deadline,
                "{} sessions, expected {count}",
                self.engine.session_count()
            );
            sleep(Duration::from_millis(10)).await;
        }
    }

    async fn connect(&self) -> Conn {
        Conn::connect(self.addr).await
    }

    /// An Engine.IO session over WebSocket on `/socket.io/`, past its `open` packet.
    async fn websocket_session(&self) -> Conn {
        let mut conn = self.connect().await;
        conn.send(&ws_request("/socket.io/?EIO=4&transport=websocket", &[]))
            .await;
        assert_eq!(conn.response().await.status, 101);
        let open = conn.message().await;
        assert!(open.starts_with("0{"), "{open}");
        conn
    }

    /// A Socket.IO client over WebSocket, connected to the main namespace.
    async fn socket_io_client(&self) -> Conn {
        let mut conn = self.websocket_session().await;
        conn.send_text("40").await;
        let connected = conn.message().await;
        assert!(connected.starts_with("40{\"sid\":"), "{connected}");
        conn
    }

    /// Opens a long-polling session on `path` and returns its sid.
    async fn polling_session(&self, path: &str) -> String {
        let mut conn = self.connect().await;
        conn.send(&request(
            "GET",
            &format!("{path}?EIO=4&transport=polling"),
            &[],
        ))
        .await;
        let response = conn.response().await;
        assert_eq!(response.status, 200, "{response:?}");
        sid_of(&response.body)
    }
}

/// The sid of an `open` packet.
fn sid_of(open: &[u8]) -> String {
    assert_eq!(
        open.first(),
        Some(&b'0'),
        "{}",
        String::from_utf8_lossy(open)
    );
    let handshake: Value = serde_json::from_slice(&open[1..]).unwrap();
    handshake["sid"].as_str().unwrap().to_owned()
}

/// A client that proves the server still serves others: `echo` must come back acked.
async fn assert_still_served(conn: &mut Conn) {
    conn.send_text("4242[\"echo\",\"still here\"]").await;
    let ack = conn.message().await;
    assert_eq!(ack, "4342[\"still here\"]");
}

// ---------------------------------------------------------------------------------------------
// raw HTTP and WebSocket

fn request(method: &str, target: &str, headers: &[(&str, &str)]) -> Vec<u8> {
    let mut out = format!("{method} {target} HTTP/1.1\r\nHost: test\r\n");
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("\r\n");
    out.into_bytes()
}

const WS_HEADERS: [(&str, &str); 4] = [
    ("Upgrade", "websocket"),
    ("Connection", "Upgrade"),
    ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
    ("Sec-WebSocket-Version", "13"),
];

fn ws_request(target: &str, extra: &[(&str, &str)]) -> Vec<u8> {
    let headers: Vec<(&str, &str)> = WS_HEADERS.iter().chain(extra).copied().collect();
    request("GET", target, &headers)
}

const TEXT: u8 = 0x1;
const BINARY: u8 = 0x2;
const CONTINUATION: u8 = 0x0;
const CLOSE: u8 = 0x8;
const PING: u8 = 0x9;

/// A client frame: `fin`, reserved bits `rsv` (0 to 7), `opcode`, masked unless `masked` is false.
fn frame(fin: bool, rsv: u8, opcode: u8, payload: &[u8], masked: bool) -> Vec<u8> {
    frame_header(fin, rsv, opcode, payload.len() as u64, masked)
        .into_iter()
        .chain(mask(payload, masked))
        .collect()
}

const MASK: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

fn frame_header(fin: bool, rsv: u8, opcode: u8, len: u64, masked: bool) -> Vec<u8> {
    let mut out = vec![(u8::from(fin) << 7) | (rsv << 4) | opcode];
    let mask_bit = if masked { 0x80 } else { 0 };
    match len {
        0..=125 => out.push(mask_bit | len as u8),
        126..=0xffff => {
            out.push(mask_bit | 126);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
        _ => {
            out.push(mask_bit | 127);
            out.extend_from_slice(&len.to_be_bytes());
        }
    }
    if masked {
        out.extend_from_slice(&MASK);
    }
    out
}

/// `payload` masked as the start of a frame's payload.
fn mask(payload: &[u8], masked: bool) -> Vec<u8> {
    payload
        .iter()
        .enumerate()
        .map(|(i, b)| if masked { b ^ MASK[i % 4] } else { *b })
        .collect()
}

#[derive(Debug)]
struct HttpResponse {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl HttpResponse {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The Engine.IO error code of a JSON error body.
    fn code(&self) -> Option<u64> {
        let body: Value = serde_json::from_slice(&self.body).ok()?;
        body["code"].as_u64()
    }
}

/// One TCP connection to the server, with what was read and not yet consumed.
struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    async fn connect(addr: SocketAddr) -> Conn {
        let stream = TcpStream::connect(addr).await.unwrap();
        stream.set_nodelay(true).unwrap();
        Conn {
            stream,
            buf: Vec::new(),
        }
    }

    async fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.unwrap();
    }

    /// Sends `bytes`; `false` if the server has closed the connection.
    async fn try_send(&mut self, bytes: &[u8]) -> bool {
        self.stream.write_all(bytes).await.is_ok()
    }

    async fn send_text(&mut self, text: &str) {
        self.send(&frame(true, 0, TEXT, text.as_bytes(), true))
            .await;
    }

    /// Reads more; `false` at the end of the stream (or a reset).
    async fn fill(&mut self) -> bool {
        let mut chunk = [0u8; 16 * 1024];
        match timeout(PATIENCE, self.stream.read(&mut chunk)).await {
            Err(_) => panic!("nothing from the server for {PATIENCE:?}"),
            Ok(Ok(0) | Err(_)) => false,
            Ok(Ok(n)) => {
                self.buf.extend_from_slice(&chunk[..n]);
                true
            }
        }
    }

    /// The next HTTP response (its body by `Content-Length`).
    async fn response(&mut self) -> HttpResponse {
        let head_end = loop {
            if let Some(at) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break at;
            }
            assert!(
                self.fill().await,
                "connection closed before a response: {:?}",
                String::from_utf8_lossy(&self.buf)
            );
        };
        let head = String::from_utf8_lossy(&self.buf[..head_end]).into_owned();
        self.buf.drain(..head_end + 4);
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .unwrap()
            .split(' ')
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        let headers: Vec<(String, String)> = lines
            .filter_map(|line| line.split_once(':'))
            .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
            .collect();
        let mut response = HttpResponse {
            status,
            headers,
            body: Vec::new(),
        };
        let length: usize = response
            .header("content-length")
            .map_or(0, |len| len.parse().unwrap());
        while self.buf.len() < length {
            assert!(self.fill().await, "connection closed inside a body");
        }
        response.body = self.buf.drain(..length).collect();
        response
    }

    /// The next server frame: opcode and payload (server frames are not masked).
    async fn frame(&mut self) -> Option<(u8, Vec<u8>)> {
        loop {
            if let Some((opcode, payload, used)) = parse_server_frame(&self.buf) {
                self.buf.drain(..used);
                return Some((opcode, payload));
            }
            if !self.fill().await {
                return None;
            }
        }
    }

    /// The next Engine.IO packet in a text frame, answering pings on the way.
    async fn message(&mut self) -> String {
        loop {
            let (opcode, payload) = self.frame().await.expect("the connection closed");
            let text = String::from_utf8(payload).unwrap();
            match opcode {
                TEXT if text == "2" => self.send_text("3").await,
                TEXT => return text,
                _ => panic!("unexpected frame {opcode:#x} {text:?}"),
            }
        }
    }

    /// Whether the server closes the connection (end of stream or reset) within [`PATIENCE`],
    /// whatever it sends before.
    async fn closes(&mut self) -> bool {
        let mut chunk = [0u8; 16 * 1024];
        let deadline = Instant::now() + PATIENCE;
        loop {
            match timeout(deadline - Instant::now(), self.stream.read(&mut chunk)).await {
                Err(_) => return false,
                Ok(Ok(0) | Err(_)) => return true,
                Ok(Ok(_)) => {}
            }
        }
    }
}

fn parse_server_frame(buf: &[u8]) -> Option<(u8, Vec<u8>, usize)> {
    if buf.len() < 2 {
        return None;
    }
    let opcode = buf[0] & 0x0f;
    let (len, start) = match buf[1] & 0x7f {
        126 => (
            u16::from_be_bytes(buf.get(2..4)?.try_into().unwrap()) as usize,
            4,
        ),
        127 => (
            u64::from_be_bytes(buf.get(2..10)?.try_into().unwrap()) as usize,
            10,
        ),
        len => (len as usize, 2),
    };
    let payload = buf.get(start..start + len)?;
    Some((opcode, payload.to_vec(), start + len))
}

// ---------------------------------------------------------------------------------------------
// CORS

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_is_off_unless_configured() {
    let server = serve(echo_server(config())).await;
    let mut conn = server.connect().await;
    conn.send(&request(
        "GET",
        "/socket.io/?EIO=4&transport=polling",
        &[("Origin", EVIL)],
    ))
    .await;
    let response = conn.response().await;
    assert_eq!(response.status, 200);
    for (name, _) in &response.headers {
        assert!(
            !name.to_ascii_lowercase().starts_with("access-control-"),
            "{name} sent without CORS configured"
        );
    }
    // No preflight either: OPTIONS is a handshake with the wrong method.
    conn.send(&request(
        "OPTIONS",
        "/socket.io/?EIO=4&transport=polling",
        &[("Origin", EVIL), ("Access-Control-Request-Method", "POST")],
    ))
    .await;
    let preflight = conn.response().await;
    assert_eq!((preflight.status, preflight.code()), (400, Some(2)));
    assert_eq!(preflight.header("access-control-allow-origin"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_allows_only_the_configured_origins() {
    let mut config = config();
    config.engine = config.engine.with_cors_origins([GOOD]);
    let cors = config.engine.cors.as_mut().unwrap();
    cors.credentials = true;
    cors.max_age = Some(Duration::from_secs(600));
    let server = serve(echo_server(config)).await;
    let mut conn = server.connect().await;

    let handshake = |origin| {
        request(
            "GET",
            "/socket.io/?EIO=4&transport=polling",
            &[("Origin", origin)],
        )
    };
    conn.send(&handshake(GOOD)).await;
    let allowed = conn.response().await;
    assert_eq!(allowed.status, 200);
    assert_eq!(allowed.header("access-control-allow-origin"), Some(GOOD));
    assert_eq!(
        allowed.header("access-control-allow-credentials"),
        Some("true")
    );
    assert_eq!(allowed.header("vary"), Some("Origin"));

    for origin in [
        EVIL,
        "https://good.example.evil.example",
        "null",
        "https://GOOD.example",
    ] {
        conn.send(&handshake(origin)).await;
        let refused = conn.response().await;
        assert_eq!(
            refused.status, 200,
            "the request is served, the browser hides it"
        );
        assert_eq!(
            refused.header("access-control-allow-origin"),
            None,
            "{origin}"
        );
        assert_eq!(refused.header("access-control-allow-credentials"), None);
        assert_eq!(refused.header("vary"), Some("Origin"));
    }

    // Error responses carry the headers too, so the page can read the error.
    conn.send(&request(
        "GET",
        "/socket.io/?EIO=4&transport=polling&sid=nope",
        &[("Origin", GOOD)],
    ))
    .await;
    let error = conn.response().await;
    assert_eq!((error.status, error.code()), (400, Some(1)));
    assert_eq!(error.header("access-control-allow-origin"), Some(GOOD));

    // Preflights: 204 with the reference's headers; the origin only if allowed.
    let preflight = |origin| {
        request(
            "OPTIONS",
            "/socket.io/?EIO=4&transport=polling&sid=x",
            &[
                ("Origin", origin),
                ("Access-Control-Request-Method", "POST"),
                ("Access-Control-Request-Headers", "content-type"),
            ],
        )
    };
    conn.send(&preflight(GOOD)).await;
    let answer = conn.response().await;
    assert_eq!(answer.status, 204);
    assert_eq!(answer.header("access-control-allow-origin"), Some(GOOD));
    assert_eq!(
        answer.header("access-control-allow-credentials"),
        Some("true")
    );
    assert_eq!(
        answer.header("access-control-allow-methods"),
        Some("GET,HEAD,PUT,PATCH,POST,DELETE")
    );
    assert_eq!(
        answer.header("access-control-allow-headers"),
        Some("content-type")
    );
    assert_eq!(answer.header("access-control-max-age"), Some("600"));
    conn.send(&preflight(EVIL)).await;
    let answer = conn.response().await;
    assert_eq!(answer.status, 204);
    assert_eq!(answer.header("access-control-allow-origin"), None);
    assert_eq!(answer.header("access-control-allow-credentials"), None);
}

// ---------------------------------------------------------------------------------------------
// WebSocket Origin allow-list

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket_origin_allow_list_refuses_cross_site_websockets() {
    let errors: Arc<Mutex<Vec<String>>> = Arc::default();
    let mut config = config();
    config.engine = config.engine.with_ws_allowed_origins([GOOD]);
    let server = serve(echo_server(config.clone())).await;
    let target = "/socket.io/?EIO=4&transport=websocket";

    for origin in [
        EVIL,
        "null",
        "https://good.example:8443",
        "http://good.example",
    ] {
        let mut conn = server.connect().await;
        conn.send(&ws_request(target, &[("Origin", origin)])).await;
        let refused = conn.response().await;
        assert_eq!((refused.status, refused.code()), (403, Some(4)), "{origin}");
        assert_eq!(
            String::from_utf8_lossy(&refused.body),
            r#"{"code":4,"message":"Forbidden"}"#
        );
    }
    // Two Origin headers: not a browser, and not a list to pick from.
    let mut conn = server.connect().await;
    conn.send(&ws_request(target, &[("Origin", GOOD), ("Origin", EVIL)]))
        .await;
    assert_eq!(conn.response().await.status, 403);
    assert_eq!(server.engine.session_count(), 0);

    // The upgrade of a polling session is checked too.
    let sid = server.polling_session("/socket.io/").await;
    let mut conn = server.connect().await;
    conn.send(&ws_request(
        &format!("{target}&sid={sid}"),
        &[("Origin", EVIL)],
    ))
    .await;
    assert_eq!(conn.response().await.status, 403);

    for headers in [&[("Origin", GOOD)][..], &[]] {
        let mut conn = server.connect().await;
        conn.send(&ws_request(target, headers)).await;
        assert_eq!(conn.response().await.status, 101, "{headers:?}");
    }

    // Requiring an Origin refuses clients that send none.
    config.engine = config.engine.with_ws_origin_required(true);
    let strict_engine = engine(EchoApp)
        .config(config.engine)
        .on_connection_error({
            let errors = errors.clone();
            move |error| {
                errors
                    .lock()
                    .unwrap()
                    .push(format!("{} {:?}", error.code.code(), error.context));
            }
        })
        .build();
    let strict_server = serve(strict_engine).await;
    let mut conn = strict_server.connect().await;
    conn.send(&ws_request(target, &[])).await;
    assert_eq!(conn.response().await.status, 403);
    assert_eq!(
        *errors.lock().unwrap(),
        ["4 OriginNotAllowed { origin: None }"]
    );
}

// ---------------------------------------------------------------------------------------------
// hooks: headers, initial_headers, connection_error

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn header_hooks_and_connection_errors() {
    /// Code, message, URI and context name of a `connection_error`.
    type Reported = (u8, String, String, Option<&'static str>);
    let errors: Arc<Mutex<Vec<Reported>>> = Arc::default();
    let initial_seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let engine = engine(EchoApp)
        .config(
            EngineConfig::default()
                .with_cors_any_origin()
                .with_ws_allowed_origins([GOOD]),
        )
        .allow_request(|request| match request.headers.get("x-deny") {
            Some(_) => Err("no entry".into()),
            None => Ok(()),
        })
        .initial_headers({
            let initial_seen = initial_seen.clone();
            move |headers, request| {
                initial_seen.lock().unwrap().push(request.uri.to_string());
                headers.insert("x-initial", "1".parse().unwrap());
            }
        })
        .headers(|headers, _request| {
            headers.insert("x-every", "1".parse().unwrap());
        })
        .on_connection_error({
            let errors = errors.clone();
            move |error| {
                errors.lock().unwrap().push((
                    error.code.code(),
                    error.message.to_owned(),
                    error.request.uri.to_string(),
                    error.context.name(),
                ));
            }
        })
        .build();
    let server = serve(engine).await;
    let mut conn = server.connect().await;

    conn.send(&request("GET", "/engine.io/?EIO=4&transport=polling", &[]))
        .await;
    let open = conn.response().await;
    assert_eq!(open.header("x-initial"), Some("1"));
    assert_eq!(open.header("x-every"), Some("1"));
    assert_eq!(open.header("access-control-allow-origin"), Some("*"));
    let sid = sid_of(&open.body);

    let post_target = format!("/engine.io/?EIO=4&transport=polling&sid={sid}");
    let mut post = request("POST", &post_target, &[("Content-Length", "6")]);
    post.extend_from_slice(b"4hello");
    conn.send(&post).await;
    let ok = conn.response().await;
    assert_eq!(
        (ok.status, ok.header("x-initial"), ok.header("x-every")),
        (200, None, Some("1"))
    );
    conn.send(&request("GET", &post_target, &[])).await;
    let echoed = conn.response().await;
    assert_eq!(echoed.body, b"4hello");
    assert_eq!(
        (echoed.header("x-initial"), echoed.header("x-every")),
        (None, Some("1"))
    );

    let mut ws = server.connect().await;
    ws.send(&ws_request("/engine.io/?EIO=4&transport=websocket", &[]))
        .await;
    let switching = ws.response().await;
    assert_eq!(switching.status, 101);
    assert_eq!(switching.header("x-initial"), Some("1"));
    assert_eq!(switching.header("x-every"), Some("1"));
    assert_eq!(
        *initial_seen.lock().unwrap(),
        [
            "/engine.io/?EIO=4&transport=polling",
            "/engine.io/?EIO=4&transport=websocket"
        ],
        "initial_headers runs for the handshakes only"
    );

    // Refusals: no transport headers, but a connection_error each.
    let ws = |extra: (&'static str, &'static str)| {
        ws_request("/engine.io/?EIO=4&transport=websocket", &[extra])
    };
    let refused: [(Vec<u8>, u16, Reported); 8] = [
        (
            request("GET", "/engine.io/?EIO=4&transport=carrier-pigeon", &[]),
            400,
            (
                0,
                "Transport unknown".into(),
                "/engine.io/?EIO=4&transport=carrier-pigeon".into(),
                None,
            ),
        ),
        (
            request(
                "GET",
                "/engine.io/?EIO=4&transport=polling&sid=unknown",
                &[],
            ),
            400,
            (
                1,
                "Session ID unknown".into(),
                "/engine.io/?EIO=4&transport=polling&sid=unknown".into(),
                None,
            ),
        ),
        (
            request("PUT", "/engine.io/?EIO=4&transport=polling", &[]),
            400,
            (
                2,
                "Bad handshake method".into(),
                "/engine.io/?EIO=4&transport=polling".into(),
                None,
            ),
        ),
        (
            request("GET", "/engine.io/?EIO=4&transport=websocket", &[]),
            400,
            (
                3,
                "Bad request".into(),
                "/engine.io/?EIO=4&transport=websocket".into(),
                Some("TRANSPORT_HANDSHAKE_ERROR"),
            ),
        ),
        (
            ws(("Sec-WebSocket-Protocol", "a,,b")),
            400,
            (
                3,
                "Bad request".into(),
                "/engine.io/?EIO=4&transport=websocket".into(),
                Some("INVALID_SEC_WEBSOCKET_PROTOCOL"),
            ),
        ),
        (
            request(
                "GET",
                "/engine.io/?EIO=4&transport=polling",
                &[("X-Deny", "1")],
            ),
            403,
            (
                4,
                "no entry".into(),
                "/engine.io/?EIO=4&transport=polling".into(),
                None,
            ),
        ),
        (
            ws(("Origin", EVIL)),
            403,
            (
                4,
                "Forbidden".into(),
                "/engine.io/?EIO=4&transport=websocket".into(),
                Some("ORIGIN_NOT_ALLOWED"),
            ),
        ),
        (
            request("GET", "/engine.io/?EIO=3&transport=polling", &[]),
            400,
            (
                5,
                "Unsupported protocol version".into(),
                "/engine.io/?EIO=3&transport=polling".into(),
                None,
            ),
        ),
    ];
    for (bytes, status, (code, message, target, _)) in &refused {
        conn.send(bytes).await;
        let response = conn.response().await;
        assert_eq!(
            (response.status, response.code()),
            (*status, Some(u64::from(*code))),
            "{target}"
        );
        let body: Value = serde_json::from_slice(&response.body).unwrap();
        assert_eq!(body["message"], message.as_str());
        assert_eq!(response.header("x-every"), None);
        assert_eq!(response.header("access-control-allow-origin"), Some("*"));
    }
    let expected: Vec<Reported> = refused
        .into_iter()
        .map(|(_, _, reported)| reported)
        .collect();
    assert_eq!(*errors.lock().unwrap(), expected);
}

// ---------------------------------------------------------------------------------------------
// reserved event names

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reserved_event_names_from_a_client_never_reach_listeners() {
    const NAMES: [&str; 7] = [
        "error",
        "connect",
        "connect_error",
        "disconnect",
        "disconnecting",
        "newListener",
        "removeListener",
    ];
    let heard: Arc<Mutex<Vec<String>>> = Arc::default();
    let io = echo_server(config());
    io.on_connection({
        let heard = heard.clone();
        move |socket| {
            for name in NAMES {
                let heard = heard.clone();
                socket.on(name, move |_, args: Vec<Value>, _| {
                    heard
                        .lock()
                        .unwrap()
                        .push(format!("listener {name} {args:?}"));
                });
            }
            let on_any = heard.clone();
            socket.on_any(move |_, name, _, _| {
                if name != "echo" {
                    on_any.lock().unwrap().push(format!("any {name}"));
                }
            });
            let on_error = heard.clone();
            socket.on_error(move |_, message| {
                on_error
                    .lock()
                    .unwrap()
                    .push(format!("error hook {message}"));
            });
            let on_disconnecting = heard.clone();
            socket.on_disconnecting(move |_, reason| {
                on_disconnecting
                    .lock()
                    .unwrap()
                    .push(format!("disconnecting {reason:?}"));
            });
            let on_disconnect = heard.clone();
            socket.on_disconnect(move |_, reason| {
                on_disconnect
                    .lock()
                    .unwrap()
                    .push(format!("disconnect {reason:?}"));
            });
        }
    });
    let server = serve(io).await;
    let mut bystander = server.socket_io_client().await;

    // `error` is no reserved name in the protocol (nor in the reference's parser): it travels as
    // an ordinary event, to the listeners registered under that very name. What matters is that it
    // never reaches the hook of the socket's own errors (`on_error`, which the reference merges
    // with `socket.on("error")`), nor the disconnect hooks, and ends nothing.
    let mut client = server.socket_io_client().await;
    client.send_text("42[\"error\",\"forged\"]").await;
    client
        .send_text("421[\"error\",{\"message\":\"forged\"}]")
        .await;
    assert_still_served(&mut client).await;
    let forged = std::mem::take(&mut *heard.lock().unwrap());
    assert!(
        forged
            .iter()
            .all(|heard| !heard.starts_with("error hook") && !heard.starts_with("disconnect")),
        "{forged:?}"
    );
    drop(client);
    server.sessions_become(1).await;
    heard.lock().unwrap().clear();

    // The reserved names are a parse error: the connection ends, no listener hears the name.
    for name in &NAMES[1..] {
        for packet in [
            format!("42[\"{name}\",\"forged\"]"),
            format!("421[\"{name}\",{{\"message\":\"forged\"}}]"),
            format!("42[\"{}\"]", name.replacen('c', "\\u0063", 1)),
        ] {
            let mut attacker = server.socket_io_client().await;
            attacker.send_text(&packet).await;
            assert!(
                attacker.closes().await,
                "{packet}: the connection stays open"
            );
            server.sessions_become(1).await;
            let heard = std::mem::take(&mut *heard.lock().unwrap());
            assert_eq!(
                heard,
                ["disconnecting ParseError", "disconnect ParseError"],
                "{packet}"
            );
        }
    }
    assert_still_served(&mut bystander).await;
}

// ---------------------------------------------------------------------------------------------
// maxHttpBufferSize

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_polling_post_is_refused_before_its_body_is_sent() {
    let server = serve(echo_server(config())).await;
    let sid = server.polling_session("/socket.io/").await;
    let mut conn = server.connect().await;
    let mut post = request(
        "POST",
        &format!("/socket.io/?EIO=4&transport=polling&sid={sid}"),
        &[
            ("Content-Type", "text/plain;charset=UTF-8"),
            ("Content-Length", "100000000"),
        ],
    );
    // Twice the limit out of the announced 100 MB; the answer must come without the rest.
    post.push(b'4');
    post.extend(std::iter::repeat_n(b'a', 2 * LIMIT));
    conn.send(&post).await;
    let response = conn.response().await;
    assert_eq!(response.status, 413);
    server.sessions_become(0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_websocket_messages_close_before_they_are_sent() {
    let server = serve(echo_server(config())).await;
    let mut bystander = server.socket_io_client().await;

    // One frame announcing 100 MB, of which 1 KB is sent.
    let mut attacker = server.socket_io_client().await;
    let mut bytes = frame_header(true, 0, TEXT, 100_000_000, true);
    bytes.extend(mask(&[b'4'; 1024], true));
    attacker.send(&bytes).await;
    assert!(
        attacker.closes().await,
        "a 100 MB frame header was accepted"
    );

    // Fragments each under the limit, together over it, the last never sent.
    let mut attacker = server.socket_io_client().await;
    let piece = vec![b'a'; LIMIT / 2 + 1];
    attacker.send(&frame(false, 0, TEXT, b"4", true)).await;
    attacker
        .send(&frame(false, 0, CONTINUATION, &piece, true))
        .await;
    let _ = attacker
        .try_send(&frame(false, 0, CONTINUATION, &piece, true))
        .await;
    assert!(
        attacker.closes().await,
        "fragments over the limit were accepted"
    );

    server.sessions_become(1).await;
    assert_still_served(&mut bystander).await;
}

// ---------------------------------------------------------------------------------------------
// invalid WebSocket frames

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_websocket_frames_close_only_their_connection() {
    let server = serve(echo_server(config())).await;
    let mut bystander = server.socket_io_client().await;
    let ping = b"42[\"echo\"]";
    let cases: [(&str, Vec<u8>); 9] = [
        (
            "RSV1 without an extension",
            frame(true, 4, TEXT, ping, true),
        ),
        ("RSV2", frame(true, 2, TEXT, ping, true)),
        ("RSV3", frame(true, 1, BINARY, ping, true)),
        ("reserved data opcode 0x3", frame(true, 0, 0x3, ping, true)),
        (
            "reserved control opcode 0xB",
            frame(true, 0, 0xB, b"", true),
        ),
        ("unmasked client frame", frame(true, 0, TEXT, ping, false)),
        (
            "invalid UTF-8 text",
            frame(true, 0, TEXT, b"4\xff\xfe\xc3\x28", true),
        ),
        ("fragmented ping", frame(false, 0, PING, b"x", true)),
        (
            "continuation with nothing to continue",
            frame(true, 0, CONTINUATION, ping, true),
        ),
    ];
    for (what, bytes) in cases {
        let mut attacker = server.socket_io_client().await;
        attacker.send(&bytes).await;
        assert!(attacker.closes().await, "{what}: the connection stays open");
        server.sessions_become(1).await;
        assert_still_served(&mut bystander).await;
    }
    // A control frame longer than 125 bytes.
    let mut attacker = server.socket_io_client().await;
    attacker.send(&frame(true, 0, PING, &[0; 126], true)).await;
    assert!(attacker.closes().await, "a 126-byte ping was accepted");
    // A close frame with invalid UTF-8 in its reason.
    let mut attacker = server.socket_io_client().await;
    attacker
        .send(&frame(true, 0, CLOSE, b"\x03\xe8\xff", true))
        .await;
    assert!(attacker.closes().await);
    server.sessions_become(1).await;
    assert_still_served(&mut bystander).await;
}

// ---------------------------------------------------------------------------------------------
// broken and abandoned upgrades

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_and_abandoned_upgrades_leak_no_session_or_task() {
    let server = serve(echo_server(heartbeat_config())).await;
    let metrics = tokio::runtime::Handle::current().metrics();
    // The accept loop.
    let baseline = metrics.num_alive_tasks();
    let target = "/socket.io/?EIO=4&transport=websocket";

    // An invalid upgrade request, then a TCP reset.
    let conn = server.connect().await;
    let mut invalid = ws_request(target, &[]);
    let key = invalid
        .windows(24)
        .position(|w| w == b"dGhlIHNhbXBsZSBub25jZQ==")
        .unwrap();
    invalid[key..key + 24].copy_from_slice(b"not a websocket key!!!!!");
    let mut conn = conn;
    conn.send(&invalid).await;
    conn.stream.set_zero_linger().unwrap();
    drop(conn);

    // Half an upgrade request, then a reset.
    let mut conn = server.connect().await;
    let whole = ws_request(target, &[]);
    conn.send(&whole[..whole.len() / 2]).await;
    conn.stream.set_zero_linger().unwrap();
    drop(conn);

    // A WebSocket handshake answered with 101, then a reset before any frame is read.
    let mut conn = server.connect().await;
    conn.send(&whole).await;
    assert_eq!(conn.response().await.status, 101);
    conn.stream.set_zero_linger().unwrap();
    drop(conn);

    // Upgrades started from polling and never completed: the probe socket never sends its
    // probe, the polling side goes quiet.
    let mut silent = Vec::new();
    for step in ["101 only", "probe only"] {
        let sid = server.polling_session("/socket.io/").await;
        let mut conn = server.connect().await;
        conn.send(&ws_request(&format!("{target}&sid={sid}"), &[]))
            .await;
        assert_eq!(conn.response().await.status, 101);
        if step == "probe only" {
            conn.send_text("2probe").await;
            assert_eq!(conn.message().await, "3probe");
        }
        // Keep the socket open but silent: the upgrade and heartbeat timeouts end the session.
        silent.push(conn);
    }

    // A half-sent request that never completes is dropped after the header read timeout.
    let mut stalled = server.connect().await;
    stalled.send(&whole[..20]).await;

    server.sessions_become(0).await;
    assert!(
        stalled.closes().await,
        "a half-sent request was kept forever"
    );
    drop(silent);
    // Every connection task, session task and socket task has ended.
    let deadline = Instant::now() + PATIENCE;
    while metrics.num_alive_tasks() > baseline {
        assert!(
            Instant::now() < deadline,
            "{} tasks left behind",
            metrics.num_alive_tasks() - baseline
        );
        sleep(Duration::from_millis(10)).await;
    }

    // And the server still serves.
    let mut client = server.socket_io_client().await;
    assert_still_served(&mut client).await;
}

// ---------------------------------------------------------------------------------------------
// odd query parameters on upgrade requests

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn odd_upgrade_queries_get_clean_error_codes() {
    async fn code_of(server: &Running, target: &str, upgrade: bool) -> (u16, Option<u64>) {
        let mut conn = server.connect().await;
        let bytes = if upgrade {
            ws_request(target, &[])
        } else {
            request("GET", target, &[])
        };
        conn.send(&bytes).await;
        let response = conn.response().await;
        (response.status, response.code())
    }
    let both = serve(echo_server(config())).await;
    let polling_only = serve(echo_server(config().with_transports(Transports::POLLING))).await;
    let websocket_only = serve(echo_server(config().with_transports(Transports::WEBSOCKET))).await;
    let polling_sid = both.polling_session("/socket.io/").await;

    let p = "/socket.io/?";
    let cases: Vec<(&Running, String, bool, u16, u64)> = vec![
        (&both, format!("{p}EIO=4"), true, 400, 0),
        (&both, format!("{p}EIO=4&transport="), true, 400, 0),
        (&both, format!("{p}EIO=4&transport=WebSocket"), true, 400, 0),
        (
            &both,
            format!("{p}EIO=4&transport=websocket%00"),
            true,
            400,
            0,
        ),
        (
            &both,
            format!("{p}EIO=4&transport=websocket&transport=flashsocket"),
            true,
            400,
            0,
        ),
        (
            &both,
            format!("{p}EIO=4&transport=webtransport"),
            true,
            400,
            0,
        ),
        (&both, format!("{p}EIO=4&transport=polling"), true, 400, 3),
        (
            &both,
            format!("{p}EIO=4&transport=websocket&transport=polling"),
            true,
            400,
            3,
        ),
        (
            &both,
            format!("{p}EIO=4&transport=polling&sid={polling_sid}"),
            true,
            400,
            3,
        ),
        (&both, format!("{p}EIO=3&transport=websocket"), true, 400, 5),
        (
            &both,
            format!("{p}EIO=4&EIO=5&transport=websocket"),
            true,
            400,
            5,
        ),
        (
            &both,
            format!("{p}EIO=four&transport=websocket"),
            true,
            400,
            5,
        ),
        (&both, format!("{p}transport=websocket"), true, 400, 5),
        (
            &both,
            format!("{p}EIO=4&transport=websocket&sid=unknown"),
            true,
            400,
            1,
        ),
        (
            &both,
            format!("{p}EIO=4&transport=websocket&sid={polling_sid}&sid=x"),
            true,
            400,
            1,
        ),
        (
            &both,
            format!("{p}EIO=4&transport=websocket&sid=%00%ff"),
            true,
            400,
            1,
        ),
        (
            &both,
            format!("{p}EIO=4&transport=websocket&sid={}", "s".repeat(4000)),
            true,
            400,
            1,
        ),
        (
            &polling_only,
            format!("{p}EIO=4&transport=websocket"),
            true,
            400,
            0,
        ),
        (
            &polling_only,
            format!("{p}EIO=4&transport=websocket&sid=x"),
            true,
            400,
            0,
        ),
        (
            &websocket_only,
            format!("{p}EIO=4&transport=polling"),
            false,
            400,
            0,
        ),
        (
            &websocket_only,
            format!("{p}EIO=4&transport=polling"),
            true,
            400,
            0,
        ),
        (
            &websocket_only,
            format!("{p}EIO=4&transport=polling&sid=x"),
            false,
            400,
            0,
        ),
    ];
    for (server, target, upgrade, status, code) in &cases {
        assert_eq!(
            code_of(server, target, *upgrade).await,
            (*status, Some(*code)),
            "{target} (upgrade: {upgrade})"
        );
    }
    // A second upgrade of a session already on WebSocket: refused by the session.
    let mut conn = both.connect().await;
    conn.send(&ws_request(
        &format!("{p}EIO=4&transport=websocket&sid={polling_sid}"),
        &[],
    ))
    .await;
    assert_eq!(
        conn.response().await.status,
        101,
        "the first upgrade is fine"
    );
    conn.send_text("2probe").await;
    assert_eq!(conn.message().await, "3probe");
    conn.send_text("5").await;
    let mut again = both.connect().await;
    again
        .send(&ws_request(
            &format!("{p}EIO=4&transport=websocket&sid={polling_sid}"),
            &[],
        ))
        .await;
    // As the reference does: the handshake completes, then the newcomer is closed.
    assert_eq!(again.response().await.status, 101);
    assert_surplus_closed(&mut again).await;
    assert_eq!(polling_only.engine.session_count(), 0);
    assert_eq!(websocket_only.engine.session_count(), 0);
}

/// A CONNECT may leave out the comma after its namespace when nothing follows (`40/custom`), as the
/// reference parser allows; a namespace nobody serves gets CONNECT_ERROR, and a packet that cannot
/// be decoded closes its connection rather than vanishing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connects_without_a_trailing_comma_are_answered() {
    let io = echo_server(config());
    io.of("/custom").on_connection(|_| {});
    let server = serve(io).await;
    let mut conn = server.socket_io_client().await;
    conn.send_text("40/custom").await;
    let reply = conn.message().await;
    assert!(reply.starts_with("40/custom,{\"sid\":"), "{reply}");
    conn.send_text("40/random").await;
    assert_eq!(
        conn.message().await,
        "44/random,{\"message\":\"Invalid namespace\"}"
    );
    conn.send_text("41/custom").await;
    assert_still_served(&mut conn).await;
    conn.send_text("4abc").await;
    assert!(
        conn.closes().await,
        "an undecodable packet closes the connection"
    );
}

/// A WebSocket for a session that has one already (or is upgrading to one) completes its handshake
/// and gets a close frame, as the reference does; its session's own socket goes on working. A `400`
/// would make the official `ws` client raise an error event, which crashes a program without an
/// error listener.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_websocket_for_a_session_is_closed_after_its_handshake() {
    let server = serve(echo_server(config())).await;
    let surplus = |sid: &str| {
        ws_request(
            &format!("/socket.io/?EIO=4&transport=websocket&sid={sid}"),
            &[],
        )
    };

    // A session opened on WebSocket.
    let mut first = server.connect().await;
    first
        .send(&ws_request("/socket.io/?EIO=4&transport=websocket", &[]))
        .await;
    assert_eq!(first.response().await.status, 101);
    let sid = sid_of(first.message().await.as_bytes());
    first.send_text("40").await;
    assert!(first.message().await.starts_with("40{\"sid\":"));
    let mut second = server.connect().await;
    second.send(&surplus(&sid)).await;
    assert_eq!(second.response().await.status, 101);
    assert_surplus_closed(&mut second).await;
    assert_still_served(&mut first).await;

    // A polling session while its upgrade is probing, then once it has upgraded.
    let sid = server.polling_session("/socket.io/").await;
    let mut probe = server.connect().await;
    probe.send(&surplus(&sid)).await;
    assert_eq!(probe.response().await.status, 101);
    probe.send_text("2probe").await;
    assert_eq!(probe.message().await, "3probe");
    let mut while_probing = server.connect().await;
    while_probing.send(&surplus(&sid)).await;
    assert_eq!(while_probing.response().await.status, 101);
    assert_surplus_closed(&mut while_probing).await;
    probe.send_text("5").await;
    probe.send_text("40").await;
    assert!(probe.message().await.starts_with("40{\"sid\":"));
    let mut after_upgrade = server.connect().await;
    after_upgrade.send(&surplus(&sid)).await;
    assert_eq!(after_upgrade.response().await.status, 101);
    assert_surplus_closed(&mut after_upgrade).await;
    assert_still_served(&mut probe).await;
    assert_eq!(server.engine.session_count(), 2);
}

/// The next frame is a close frame, then the connection ends.
async fn assert_surplus_closed(conn: &mut Conn) {
    let (opcode, _) = conn.frame().await.expect("a close frame");
    assert_eq!(opcode, 0x8, "a close frame");
    assert!(conn.closes().await, "the connection ends");
}

// ---------------------------------------------------------------------------------------------
// floods: tiny fragments, 1-byte writes

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn floods_of_tiny_fragments_and_one_byte_writes_are_bounded() {
    let server = serve(echo_server(config())).await;
    let mut bystander = server.socket_io_client().await;

    // A message in 1-byte fragments is reassembled and served.
    let mut client = server.socket_io_client().await;
    let message = b"4242[\"echo\",\"still here\"]";
    let mut bytes = frame(false, 0, TEXT, &message[..1], true);
    for byte in &message[1..message.len() - 1] {
        bytes.extend(frame(false, 0, CONTINUATION, &[*byte], true));
    }
    bytes.extend(frame(
        true,
        0,
        CONTINUATION,
        &message[message.len() - 1..],
        true,
    ));
    client.send(&bytes).await;
    assert_eq!(client.message().await, "4342[\"still here\"]");

    // 1-byte fragments past the limit: closed once the limit is crossed.
    let mut attacker = server.socket_io_client().await;
    let started = Instant::now();
    let mut flood = frame(false, 0, TEXT, b"4", true);
    for _ in 0..2 * LIMIT {
        flood.extend(frame(false, 0, CONTINUATION, b"a", true));
    }
    let _ = attacker.try_send(&flood).await;
    assert!(
        attacker.closes().await,
        "1-byte fragments grew past the limit"
    );

    assert!(started.elapsed() < PATIENCE);

    // A request written one byte at a time, with a long header, is served, and others are served
    // meanwhile.
    let mut slow = server.connect().await;
    let padding = "p".repeat(4096);
    let bytes = request(
        "GET",
        "/socket.io/?EIO=4&transport=polling",
        &[("X-Padding", &padding)],
    );
    let writes = Arc::new(AtomicUsize::new(0));
    let dribble = {
        let writes = writes.clone();
        async move {
            for byte in &bytes {
                slow.send(std::slice::from_ref(byte)).await;
                writes.fetch_add(1, Ordering::Relaxed);
            }
            slow.response().await
        }
    };
    let dribbling = tokio::spawn(dribble);
    while writes.load(Ordering::Relaxed) < 1000 {
        sleep(Duration::from_millis(1)).await;
    }
    assert_still_served(&mut bystander).await;
    let response = timeout(PATIENCE, dribbling).await.unwrap().unwrap();
    assert_eq!(response.status, 200);
    sid_of(&response.body);

    // WebSocket frames one byte at a time.
    let mut client = server.socket_io_client().await;
    for byte in frame(true, 0, TEXT, message, true) {
        client.send(&[byte]).await;
    }
    assert_eq!(client.message().await, "4342[\"still here\"]");
}

// ---------------------------------------------------------------------------------------------
// headers: many, and odd WebSocket ones

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_headers_and_odd_websocket_headers_are_refused_cleanly() {
    let server = serve(echo_server(config())).await;
    let target = "/socket.io/?EIO=4&transport=websocket";

    // Thousands of headers: refused with 431 (hyper's limit), nothing else affected.
    let names: Vec<String> = (0..5000).map(|i| format!("X-H{i}")).collect();
    let headers: Vec<(&str, &str)> = names.iter().map(|name| (name.as_str(), "v")).collect();
    let mut conn = server.connect().await;
    let _ = conn
        .try_send(&request(
            "GET",
            "/socket.io/?EIO=4&transport=polling",
            &headers,
        ))
        .await;
    let response = conn.response().await;
    assert_eq!(response.status, 431);

    let long_extension = "x; a=1".repeat(8000);
    let long_bad_extension = format!("{};", "x; a=\"1\"".repeat(8000));
    let odd: [(&str, &str); 12] = [
        ("Sec-WebSocket-Extensions", ";;;;"),
        (
            "Sec-WebSocket-Extensions",
            "permessage-deflate; client_max_window_bits=\"15",
        ),
        ("Sec-WebSocket-Extensions", "permessage-deflate,,"),
        ("Sec-WebSocket-Extensions", "a b"),
        ("Sec-WebSocket-Extensions", "=x"),
        ("Sec-WebSocket-Extensions", &long_bad_extension),
        ("Sec-WebSocket-Protocol", ""),
        ("Sec-WebSocket-Protocol", "chat,,superchat"),
        ("Sec-WebSocket-Protocol", "chat superchat"),
        ("Sec-WebSocket-Protocol", "\"chat\""),
        ("Sec-WebSocket-Protocol", "chat/1.0"),
        ("Sec-WebSocket-Protocol", "chat;"),
    ];
    for (name, value) in odd {
        let mut conn = server.connect().await;
        let started = Instant::now();
        conn.send(&ws_request(target, &[(name, value)])).await;
        let response = conn.response().await;
        assert_eq!(
            (response.status, response.code()),
            (400, Some(3)),
            "{name}: {}",
            &value[..value.len().min(60)]
        );
        assert!(started.elapsed() < PATIENCE);
    }
    // Well-formed lists are accepted and nothing is negotiated.
    for (name, value) in [
        (
            "Sec-WebSocket-Extensions",
            "permessage-deflate; client_max_window_bits",
        ),
        ("Sec-WebSocket-Extensions", long_extension.as_str()),
        ("Sec-WebSocket-Protocol", "chat, superchat"),
    ] {
        let mut conn = server.connect().await;
        conn.send(&ws_request(target, &[(name, value)])).await;
        let response = conn.response().await;
        assert_eq!(response.status, 101, "{name}");
        assert_eq!(response.header(name), None, "{name} negotiated");
    }
    // Other broken handshakes: clean code 3, no session.
    for headers in [
        vec![
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Version", "13"),
        ],
        vec![
            ("Upgrade", "websocket"),
            ("Connection", "keep-alive"),
            ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
            ("Sec-WebSocket-Version", "13"),
        ],
        vec![
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
            ("Sec-WebSocket-Version", "8"),
        ],
        vec![
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
            ("Sec-WebSocket-Key", "AAAAAAAAAAAAAAAAAAAAAA=="),
            ("Sec-WebSocket-Version", "13"),
        ],
    ] {
        let mut conn = server.connect().await;
        conn.send(&request("GET", target, &headers)).await;
        let response = conn.response().await;
        assert_eq!(
            (response.status, response.code()),
            (400, Some(3)),
            "{headers:?}"
        );
    }
    server.sessions_become(0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_fragmented_message_is_ended_by_the_heartbeat() {
    // Empty fragments forever never grow the message past the limit, but they hold back the pong
    // (a data frame, which cannot come inside a fragmented message): the heartbeat ends the
    // session, and the socket must go with it even though the client never stops sending, so
    // that reading never waits.
    let server = serve(echo_server(heartbeat_config())).await;
    let mut attacker = server.socket_io_client().await;
    attacker.send(&frame(false, 0, TEXT, b"4", true)).await;
    let empty = frame(false, 0, CONTINUATION, b"", true).repeat(10_000);
    let deadline = Instant::now() + PATIENCE;
    let mut cut = false;
    while Instant::now() < deadline {
        match timeout(deadline - Instant::now(), attacker.try_send(&empty)).await {
            Ok(true) => {}
            Ok(false) => {
                cut = true;
                break;
            }
            Err(_) => break,
        }
    }
    assert!(cut, "an endless fragmented message kept its connection");
    server.sessions_become(0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn header_limits_are_configurable() {
    let mut limited = config();
    limited.engine = limited
        .engine
        .with_max_headers(10)
        .with_max_header_bytes(8 * 1024);
    let server = serve(echo_server(limited)).await;
    let target = "/socket.io/?EIO=4&transport=polling";

    let names: Vec<String> = (0..20).map(|i| format!("X-H{i}")).collect();
    let many: Vec<(&str, &str)> = names.iter().map(|name| (name.as_str(), "v")).collect();
    let mut conn = server.connect().await;
    let _ = conn.try_send(&request("GET", target, &many)).await;
    assert_eq!(
        conn.response().await.status,
        431,
        "20 headers over a limit of 10"
    );

    let big = "v".repeat(16 * 1024);
    let mut conn = server.connect().await;
    let _ = conn
        .try_send(&request("GET", target, &[("X-Big", big.as_str())]))
        .await;
    assert_eq!(
        conn.response().await.status,
        431,
        "a 16 KiB head over 8 KiB"
    );

    let few: Vec<(&str, &str)> = many[..5].to_vec();
    let mut conn = server.connect().await;
    assert!(conn.try_send(&request("GET", target, &few)).await);
    assert_eq!(conn.response().await.status, 200, "5 headers are fine");
}

/// Not an attack, but a client that does not wait: frames sent in the same write as the upgrade
/// request reach the session. They sit in hyper's read buffer when it hands the connection over,
/// and the WebSocket, which takes the raw connection back without that buffer, must read them
/// first. Both for a WebSocket handshake and for the probe of a polling session.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frames_sent_with_the_upgrade_request_are_read() {
    let server = serve(echo_server(config())).await;

    let mut conn = server.connect().await;
    let mut bytes = ws_request("/socket.io/?EIO=4&transport=websocket", &[]);
    bytes.extend(frame(true, 0, TEXT, b"40", true));
    bytes.extend(frame(true, 0, TEXT, b"4242[\"echo\",\"early\"]", true));
    conn.send(&bytes).await;
    assert_eq!(conn.response().await.status, 101);
    assert!(conn.message().await.starts_with("0{"));
    assert!(conn.message().await.starts_with("40{\"sid\":"));
    assert_eq!(conn.message().await, "4342[\"early\"]");
    assert_still_served(&mut conn).await;

    let sid = server.polling_session("/socket.io/").await;
    let mut probe = server.connect().await;
    let mut bytes = ws_request(
        &format!("/socket.io/?EIO=4&transport=websocket&sid={sid}"),
        &[],
    );
    bytes.extend(frame(true, 0, TEXT, b"2probe", true));
    probe.send(&bytes).await;
    assert_eq!(probe.response().await.status, 101);
    assert_eq!(probe.message().await, "3probe");
}

// ---------------------------------------------------------------------------------------------
// the msgpack parser

/// `{"type":0,"nsp":"/"}`: a msgpack client's `CONNECT` to `/`.
const MSGPACK_CONNECT: &[u8] = b"\x82\xa4type\x00\xa3nsp\xa1/";
/// `{"type":2,"data":["echo","x"],"nsp":"/","id":1}`.
const MSGPACK_ECHO: &[u8] = b"\x84\xa4type\x02\xa4data\x92\xa4echo\xa1x\xa3nsp\xa1/\xa2id\x01";
/// The server's answer: `{"type":3,"data":["x"],"nsp":"/","id":1}`.
const MSGPACK_ECHO_ACK: &[u8] = b"\x84\xa4type\x03\xa4data\x91\xa1x\xa3nsp\xa1/\xa2id\x01";

impl Running {
    /// A `socket.io-msgpack-parser` client over WebSocket, connected to the main namespace.
    async fn msgpack_client(&self) -> Conn {
        let mut conn = self.websocket_session().await;
        conn.send(&frame(true, 0, BINARY, MSGPACK_CONNECT, true))
            .await;
        let (opcode, connected) = conn.frame().await.expect("no CONNECT answer");
        assert_eq!(opcode, BINARY);
        // `{"type":0,"data":{"sid":...},"nsp":"/"}`
        assert!(
            connected.starts_with(b"\x83\xa4type\x00\xa4data\x81\xa3sid"),
            "{connected:?}"
        );
        conn
    }
}

/// The msgpack twin of [`assert_still_served`].
async fn assert_still_served_in_msgpack(conn: &mut Conn) {
    conn.send(&frame(true, 0, BINARY, MSGPACK_ECHO, true)).await;
    let (opcode, ack) = conn.frame().await.expect("no ack");
    assert_eq!((opcode, &ack[..]), (BINARY, MSGPACK_ECHO_ACK));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_msgpack_packets_close_only_their_connection() {
    let msgpack = config().with_parser(socketio_tokio::server::PacketFormat::msgpack());
    let server = serve(echo_server(msgpack)).await;
    let mut bystander = server.msgpack_client().await;
    assert_still_served_in_msgpack(&mut bystander).await;
    let deep = {
        // An event whose second argument nests 100 arrays: over the depth limit of 64.
        let mut bytes = b"\x83\xa4type\x02\xa3nsp\xa1/\xa4data\x92\xa4deep".to_vec();
        bytes.extend(std::iter::repeat_n(0x91, 100));
        bytes.push(0xc0);
        bytes
    };
    let cases: [(&str, Vec<u8>); 9] = [
        ("a never-used marker", b"\xc1".to_vec()),
        ("not a map", b"\x92\x02\xa1/".to_vec()),
        ("a truncated map", b"\x84\xa4type\x02\xa4da".to_vec()),
        (
            "a string claiming 4 GiB",
            b"\x82\xa4type\x02\xa4data\xdb\xff\xff\xff\xff".to_vec(),
        ),
        (
            "an array claiming 4 billion elements",
            b"\x83\xa4type\x02\xa3nsp\xa1/\xa4data\xdd\xff\xff\xff\xff".to_vec(),
        ),
        ("nesting past the depth limit", deep),
        (
            "an event whose data is a map",
            b"\x83\xa4type\x02\xa3nsp\xa1/\xa4data\x81\xa1a\x01".to_vec(),
        ),
        (
            "a map key that is binary",
            b"\x83\xa4type\x02\xa3nsp\xa1/\xa4data\x92\xa1e\x81\xc4\x01\x00\xa1x".to_vec(),
        ),
        (
            "an unknown packet type",
            b"\x82\xa4type\x07\xa3nsp\xa1/".to_vec(),
        ),
    ];
    for (what, bytes) in cases {
        let mut attacker = server.msgpack_client().await;
        attacker.send(&frame(true, 0, BINARY, &bytes, true)).await;
        assert!(attacker.closes().await, "{what}: the connection stays open");
        server.sessions_become(1).await;
        assert_still_served_in_msgpack(&mut bystander).await;
    }
    // JSON text where msgpack is spoken.
    let mut attacker = server.msgpack_client().await;
    attacker.send_text("42[\"echo\"]").await;
    assert!(attacker.closes().await, "a text packet was accepted");
    server.sessions_become(1).await;
    assert_still_served_in_msgpack(&mut bystander).await;
}
