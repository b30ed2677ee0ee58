//! Our Socket.IO client against the official `socket.io@4` server (from npm, pinned in
//! `tests/interop/package-lock.json`, run by `tests/interop/js-server.mjs`): transports and upgrade,
//! namespaces and auth, middleware rejection, events and acks both ways, ack timeout, binary,
//! reconnection after the server kills the transport, server-side disconnect, volatile emits.
//!
//! The node script answers most scenarios with events and acks; what only it can see comes in one
//! JSON line when its stdin closes. Waits are on events; the only fixed waits check that something
//! does *not* happen (no reconnection).

use std::collections::HashMap;
use std::future::IntoFuture;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use socketio_tokio::client::{
    AckError, AckSender, Client, ClientBuilder, ClientEvent, ConnectError, DisconnectReason,
    EmitError, Socket, SocketEvent, Transport,
};
use socketio_tokio::engineio_proto::Bytes;
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

const WAIT: Duration = Duration::from_secs(5);

fn interop_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/interop")
}

/// Installs the pinned npm packages if they are missing.
async fn ensure_node_modules() {
    let dir = interop_dir();
    if dir.join("node_modules/socket.io").exists() {
        return;
    }
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(&dir)
        .status()
        .await
        .unwrap_or_else(|error| {
            panic!(
                "the interop tests need Node.js and npm on PATH (running `npm ci` failed: {error})"
            )
        });
    assert!(status.success(), "`npm ci` in {} failed", dir.display());
}

/// The node server: its port, and its report once stdin closes.
struct NodeServer {
    _child: Child,
    stdin: Option<ChildStdin>,
    lines: Lines<BufReader<ChildStdout>>,
    port: u16,
}

impl NodeServer {
    async fn start() -> Self {
        Self::start_with(&[]).await
    }

    async fn start_with(args: &[&std::ffi::OsStr]) -> Self {
        ensure_node_modules().await;
        let mut child = Command::new("node")
            .arg("js-server.mjs")
            .args(args)
            .current_dir(interop_dir())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|error| panic!("the interop tests need Node.js on PATH: {error}"));
        let stdin = child.stdin.take();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
            .await
            .expect("the node server did not start within 20 s")
            .unwrap()
            .expect("the node server exited before printing its port");
        let port: Value = serde_json::from_str(&first).unwrap();
        let port = u16::try_from(port["port"].as_u64().unwrap()).unwrap();
        NodeServer {
            _child: child,
            stdin,
            lines,
            port,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn tls_url(&self, path: &str) -> String {
        format!("https://localhost:{}{path}", self.port)
    }

    async fn report(mut self) -> Value {
        drop(self.stdin.take());
        let line = tokio::time::timeout(WAIT, self.lines.next_line())
            .await
            .expect("no report from the node server")
            .unwrap()
            .expect("the node server exited without a report");
        serde_json::from_str(&line).unwrap()
    }
}

/// A client with fast reconnection, for the scenarios.
fn builder(url: String) -> ClientBuilder {
    Client::builder(url)
        .reconnection_delay(Duration::from_millis(100))
        .reconnection_delay_max(Duration::from_millis(200))
        .timeout(Duration::from_secs(5))
}

/// The first argument of each `event` from the server.
fn events(socket: &Socket, event: &str) -> UnboundedReceiver<Value> {
    let (tx, rx) = unbounded_channel();
    socket.on(event, move |(first,): (Value,), _ack| {
        let _ = tx.send(first);
    });
    rx
}

fn socket_events(socket: &Socket) -> UnboundedReceiver<SocketEvent> {
    let (tx, rx) = unbounded_channel();
    socket.on_event(move |event| {
        let _ = tx.send(event.clone());
    });
    rx
}

fn client_events(client: &Client) -> UnboundedReceiver<ClientEvent> {
    let (tx, rx) = unbounded_channel();
    client.on_event(move |event| {
        let _ = tx.send(event.clone());
    });
    rx
}

async fn next<T>(rx: &mut UnboundedReceiver<T>, what: &str) -> T {
    tokio::time::timeout(WAIT, rx.recv())
        .await
        .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
        .unwrap_or_else(|| panic!("channel closed waiting for {what}"))
}

/// Skips to the first item matching `wanted`.
async fn next_matching<T: std::fmt::Debug>(
    rx: &mut UnboundedReceiver<T>,
    what: &str,
    wanted: impl Fn(&T) -> bool,
) -> T {
    loop {
        let item = next(rx, what).await;
        if wanted(&item) {
            return item;
        }
    }
}

fn drain<T>(rx: &mut UnboundedReceiver<T>) -> Vec<T> {
    let mut items = Vec::new();
    while let Ok(item) = rx.try_recv() {
        items.push(item);
    }
    items
}

/// One transport setting: handshake data (auth, query, header), events and acks both ways.
async fn handshake_events_acks(server: &NodeServer, transports: &[Transport], expected: &str) {
    let client = builder(server.url("/"))
        .transports(transports.iter().copied())
        .auth(json!({ "token": "abc" }))
        .query("k", "v")
        .header("x-h", "hv")
        .build()
        .unwrap();
    let socket = client.socket();
    // Registered before connecting: the server emits "welcome" as soon as it accepts.
    let mut welcome = events(&socket, "welcome");
    let (tx, mut echo) = unbounded_channel();
    socket.on("echo", move |args: (u32, String, Value), _ack| {
        let _ = tx.send(args);
    });
    let mut answers = events(&socket, "answer");
    // A handler whose types do not fit is skipped, and the mismatch reported.
    socket.on("echo", |_: (String,), _ack| {
        panic!("a number is not a String")
    });
    let mut lifecycle = socket_events(&socket);
    socket.on(
        "question",
        |(a, b, c): (u32, String, Value), ack: Option<AckSender>| {
            let ack = ack.expect("the server asked for an ack");
            ack.send(&(a + 1, format!("{b}!"), c)).unwrap();
        },
    );
    client.connect().await.unwrap();
    assert!(socket.connected());
    assert!(socket.active());
    assert!(socket.id().is_some());

    let welcome = next(&mut welcome, "welcome").await;
    assert_eq!(welcome["nsp"], "/");
    assert_eq!(welcome["auth"], json!({ "token": "abc" }));
    assert_eq!(welcome["query"], "v");
    assert_eq!(welcome["header"], "hv");
    assert_eq!(welcome["transport"], expected, "{welcome}");

    socket
        .emit("echo", &(1, "two", json!({ "three": 3 })))
        .unwrap();
    let (one, two, three) = next(&mut echo, "echo").await;
    assert_eq!(
        (one, two.as_str(), three),
        (1, "two", json!({ "three": 3 }))
    );
    let mismatch = next_matching(&mut lifecycle, "the mismatch", |event| {
        matches!(event, SocketEvent::InvalidArgs { .. })
    })
    .await;
    assert!(
        matches!(&mismatch, SocketEvent::InvalidArgs { event, .. } if event == "echo"),
        "{mismatch:?}"
    );

    let answer = socket.emit_with_ack("echo-ack", &(1, "two")).await.unwrap();
    assert_eq!(
        answer.deserialize::<(u32, String)>().unwrap(),
        (1, "two".into())
    );

    socket.emit("ask-client", &()).unwrap();
    let answer = next(&mut answers, "the server's ack of our answer").await;
    assert_eq!(
        answer,
        json!({ "error": null, "answers": [2, "two!", { "three": 3 }] })
    );

    let timed_out = socket
        .emit_with_ack("no-reply", &())
        .timeout(Duration::from_millis(200))
        .await;
    assert!(matches!(timed_out, Err(AckError::Timeout)), "{timed_out:?}");

    let transport = socket.emit_with_ack("transport", &()).await.unwrap();
    assert_eq!(transport.deserialize::<(String,)>().unwrap().0, expected);
    let transport = match expected {
        "polling" => Transport::Polling,
        _ => Transport::WebSocket,
    };
    assert_eq!(client.transport(), Some(transport));
    client.close();
}

/// Polling, then an upgrade to WebSocket.
async fn upgrade(server: &NodeServer) {
    let client = builder(server.url("/")).build().unwrap();
    let mut engine = client_events(&client);
    let socket = client.socket();
    let mut welcome = events(&socket, "welcome");
    // Emitted before the first connect: it waits and goes out once connected.
    let early = tokio::spawn(socket.emit_with_ack("echo-ack", &("early",)).into_future());
    tokio::task::yield_now().await;
    client.connect().await.unwrap();
    let welcome = next(&mut welcome, "welcome").await;
    assert_eq!(welcome["transport"], "polling");
    let early = tokio::time::timeout(WAIT, early)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(early.deserialize::<(String,)>().unwrap().0, "early");
    next_matching(&mut engine, "the upgrade", |event| {
        *event == ClientEvent::Upgrade
    })
    .await;
    assert_eq!(client.transport(), Some(Transport::WebSocket));
    let transport = socket.emit_with_ack("transport", &()).await.unwrap();
    assert_eq!(transport.deserialize::<(String,)>().unwrap().0, "websocket");
    // Still usable after the switch.
    let answer = socket.emit_with_ack("echo-ack", &("after",)).await.unwrap();
    assert_eq!(answer.deserialize::<(String,)>().unwrap().0, "after");
    client.close();
}

/// The main namespace and a custom one over one connection, each with its own auth.
async fn namespaces(server: &NodeServer) {
    let client = builder(server.url("/"))
        .auth(json!({ "token": "main" }))
        .build()
        .unwrap();
    let main = client.socket();
    let custom = client.of("/custom").unwrap();
    let mut main_welcome = events(&main, "welcome");
    let mut custom_welcome = events(&custom, "welcome");
    client.connect().await.unwrap();
    custom
        .connect_with_auth(json!({ "token": "custom" }))
        .await
        .unwrap();
    let main_welcome = next(&mut main_welcome, "welcome on /").await;
    let custom_welcome = next(&mut custom_welcome, "welcome on /custom").await;
    assert_eq!(main_welcome["auth"], json!({ "token": "main" }));
    assert_eq!(custom_welcome["nsp"], "/custom");
    assert_eq!(custom_welcome["auth"], json!({ "token": "custom" }));
    assert_eq!(
        main_welcome["engine"], custom_welcome["engine"],
        "one engine"
    );
    assert_ne!(main.id(), custom.id());

    // A namespace disconnect leaves the other connected.
    custom.disconnect();
    let answer = main.emit_with_ack("echo-ack", &(7,)).await.unwrap();
    assert_eq!(answer.deserialize::<(u32,)>().unwrap().0, 7);
    assert!(!custom.connected() && !custom.active());
    assert!(main.connected());
    client.close();
}

/// A middleware rejects with data: connect_error with message and data, and no reconnection.
async fn rejection(server: &NodeServer) {
    let client = builder(server.url("/private"))
        .auth(json!({ "token": "bad" }))
        .build()
        .unwrap();
    let mut engine = client_events(&client);
    let socket = client.socket();
    let mut lifecycle = socket_events(&socket);
    let error = client.connect().await.unwrap_err();
    let data = json!({ "reason": "bad token", "auth": { "token": "bad" } });
    assert_eq!(
        error,
        ConnectError::Rejected {
            message: "not authorized".into(),
            data: Some(data.clone()),
        }
    );
    assert_eq!(
        next(&mut lifecycle, "connect_error").await,
        SocketEvent::ConnectError {
            message: "not authorized".into(),
            data: Some(data),
            retrying: false,
        }
    );
    assert!(!socket.active());
    // Well past the reconnection delay: nothing more happens.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let later = drain(&mut engine);
    assert!(
        !later
            .iter()
            .any(|event| matches!(event, ClientEvent::ReconnectAttempt(_))),
        "{later:?}"
    );
    assert!(drain(&mut lifecycle).is_empty());

    // The waiting variant reports the same rejection.
    let error = builder(server.url("/private")).connect().await.unwrap_err();
    assert!(matches!(error, ConnectError::Rejected { .. }), "{error:?}");
}

/// Binary arguments, nested, both ways.
async fn binary(server: &NodeServer, transports: &[Transport]) {
    let client = builder(server.url("/"))
        .transports(transports.iter().copied())
        .build()
        .unwrap();
    let socket = client.socket();
    let (tx, mut back) = unbounded_channel();
    socket.on_any(move |name, payload, _ack| {
        if name == "binary-back" {
            let (value,): (Value,) = payload.event_args().unwrap();
            let bytes = payload.attachment(&value["data"][0]).cloned();
            let _ = tx.send((value["label"].clone(), bytes));
        }
    });
    client.connect().await.unwrap();
    let map = HashMap::from([("k", Bytes::from_static(&[4, 5]))]);
    let args = (
        Bytes::from_static(&[1, 2]),
        vec![Bytes::from_static(&[3])],
        map,
        "text",
    );
    let answer = socket.emit_with_ack("binary", &args).await.unwrap();
    let (first, list, deep): (Bytes, Vec<Bytes>, HashMap<String, Bytes>) =
        answer.deserialize().unwrap();
    assert_eq!(&first[..], [1, 2, 3]);
    assert_eq!(
        list,
        [Bytes::from_static(&[4]), Bytes::from_static(&[5, 6])]
    );
    assert_eq!(&deep["deep"][..], [255, 0]);
    let (label, bytes) = next(&mut back, "binary-back").await;
    assert_eq!(label, "nested");
    assert_eq!(bytes.as_deref(), Some(&[7u8, 8, 9][..]));
    client.close();
}

/// The server kills the transport: the client reconnects (with fresh auth from the callback), and
/// what it emitted meanwhile arrives once; a volatile emit made meanwhile is dropped.
async fn reconnection(server: &NodeServer, transports: &[Transport], run: &str) {
    let connects = Arc::new(AtomicU32::new(0));
    let counter = connects.clone();
    let client = builder(server.url("/"))
        .transports(transports.iter().copied())
        .auth_with(move || json!({ "n": counter.fetch_add(1, Ordering::SeqCst) + 1 }))
        .build()
        .unwrap();
    let mut engine = client_events(&client);
    let socket = client.socket();
    let mut lifecycle = socket_events(&socket);
    let mut welcome = events(&socket, "welcome");
    client.connect().await.unwrap();
    let first = next(&mut welcome, "welcome").await;
    assert_eq!(first["auth"], json!({ "n": 1 }));

    socket.emit("kill-transport", &()).unwrap();
    let reason = next_matching(&mut lifecycle, "the disconnect", |event| {
        matches!(event, SocketEvent::Disconnect(_))
    })
    .await;
    assert_eq!(
        reason,
        SocketEvent::Disconnect(DisconnectReason::TransportClose)
    );
    assert!(!socket.connected());
    assert!(socket.active());
    for n in 1..=3 {
        socket.emit("counted", &(run, n)).unwrap();
    }
    socket
        .volatile()
        .emit("volatile", &(run, "dropped"))
        .unwrap();

    next_matching(&mut lifecycle, "the reconnection", |event| {
        matches!(event, SocketEvent::Connect { .. })
    })
    .await;
    let second = next(&mut welcome, "welcome again").await;
    assert_eq!(second["auth"], json!({ "n": 2 }));
    assert_ne!(first["engine"], second["engine"]);
    socket.volatile().emit("volatile", &(run, "sent")).unwrap();
    let observed = socket.emit_with_ack("observed", &(run,)).await.unwrap();
    let (observed,): (Value,) = observed.deserialize().unwrap();
    assert_eq!(
        observed,
        json!({ "counted": { "1": 1, "2": 1, "3": 1 }, "volatile": ["sent"] })
    );
    let engine_events = drain(&mut engine);
    assert!(
        engine_events.contains(&ClientEvent::ReconnectAttempt(1))
            && engine_events.contains(&ClientEvent::Reconnect(1)),
        "{engine_events:?}"
    );
    client.close();
}

/// Many emits at once: the client holds back (`QueueFull`) rather than growing or dropping the
/// connection, and every event arrives exactly once.
async fn burst(server: &NodeServer, transports: &[Transport], run: &str) {
    const COUNT: u32 = 3000;
    let client = builder(server.url("/"))
        .transports(transports.iter().copied())
        .build()
        .unwrap();
    let socket = client.socket();
    let mut lifecycle = socket_events(&socket);
    client.connect().await.unwrap();
    let mut held_back = 0;
    for n in 0..COUNT {
        loop {
            match socket.emit("counted", &(run, n)) {
                Ok(()) => break,
                Err(EmitError::QueueFull) => {
                    held_back += 1;
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
                Err(error) => panic!("emit {n}: {error}"),
            }
        }
    }
    let observed = socket
        .emit_with_ack("observed", &(run,))
        .timeout(Duration::from_secs(20))
        .await
        .unwrap();
    let (observed,): (Value,) = observed.deserialize().unwrap();
    let counted = observed["counted"].as_object().unwrap();
    assert_eq!(counted.len(), COUNT as usize, "held back {held_back} times");
    assert!(counted.values().all(|times| *times == 1));
    // The connection survived the burst.
    assert!(
        !drain(&mut lifecycle)
            .iter()
            .any(|event| matches!(event, SocketEvent::Disconnect(_)))
    );
    client.close();
}

/// A server-side `socket.disconnect()`: no reconnection.
async fn server_disconnect(server: &NodeServer) {
    let client = builder(server.url("/")).build().unwrap();
    let mut engine = client_events(&client);
    let socket = client.socket();
    let mut lifecycle = socket_events(&socket);
    client.connect().await.unwrap();
    socket.emit("disconnect-me", &()).unwrap();
    let event = next_matching(&mut lifecycle, "the disconnect", |event| {
        matches!(event, SocketEvent::Disconnect(_))
    })
    .await;
    assert_eq!(
        event,
        SocketEvent::Disconnect(DisconnectReason::IoServerDisconnect)
    );
    assert!(!socket.active() && !socket.connected());
    // Well past the reconnection delay: no attempt, no connection.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let later = drain(&mut engine);
    assert!(
        !later
            .iter()
            .any(|event| matches!(event, ClientEvent::ReconnectAttempt(_))),
        "{later:?}"
    );
    assert!(drain(&mut lifecycle).is_empty());
    // Emits without a connection wait; an ack-emit with a timeout gives up.
    let waiting = socket
        .emit_with_ack("echo-ack", &(1,))
        .timeout(Duration::from_millis(100))
        .await;
    assert!(matches!(waiting, Err(AckError::Timeout)), "{waiting:?}");
    // Connecting again works.
    socket.connect().await.unwrap();
    assert!(socket.connected());
    client.close();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_client_against_the_official_server() {
    let server = NodeServer::start().await;

    handshake_events_acks(&server, &[Transport::Polling], "polling").await;
    handshake_events_acks(&server, &[Transport::WebSocket], "websocket").await;
    upgrade(&server).await;
    namespaces(&server).await;
    rejection(&server).await;
    binary(&server, &[Transport::Polling]).await;
    binary(&server, &[Transport::WebSocket]).await;
    reconnection(&server, &[Transport::Polling], "polling").await;
    reconnection(&server, &[Transport::WebSocket], "websocket").await;
    server_disconnect(&server).await;
    burst(&server, &[Transport::Polling], "burst-polling").await;
    burst(&server, &[Transport::WebSocket], "burst-websocket").await;

    let report = server.report().await;
    assert_eq!(
        report["binary"],
        json!([{ "buffer": [1, 2] }, [{ "buffer": [3] }], { "k": { "buffer": [4, 5] } }, "text"]),
        "{report}"
    );
    // The two rejected connections, each tried exactly once.
    assert_eq!(report["rejected"], 2, "{report}");
    // Connections to "/": 2 + 1 + 1 + 2 (binary) + 2 x 2 (reconnection) + 2 (disconnect and
    // again) + 2 (burst).
    assert_eq!(report["connections"]["/"], 14, "{report}");
    assert_eq!(report["connections"]["/custom"], 1, "{report}");
    // Long-polling reuses keep-alive connections (without reuse there would be one per request).
    let tcp = report["tcpConnections"].as_u64().unwrap();
    let requests = report["httpRequests"].as_u64().unwrap();
    assert!(
        tcp * 4 < requests * 3,
        "{tcp} connections for {requests} requests"
    );
}

/// A test CA and a certificate it signed for `localhost` / `127.0.0.1`, made with `openssl`.
fn make_certificates(dir: &std::path::Path) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(
        dir.join("ext.cnf"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n\
         keyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    let steps = [
        "req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key \
         -out ca.pem -days 2 -subj /CN=socketio-rs-test-CA",
        "req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout key.pem \
         -out leaf.csr -subj /CN=localhost",
        "x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out cert.pem -days 2 \
         -extfile ext.cnf",
    ];
    for step in steps {
        let output = std::process::Command::new("openssl")
            .args(step.split_whitespace())
            .current_dir(dir)
            .output()
            .unwrap_or_else(|error| panic!("the TLS test needs openssl on PATH: {error}"));
        assert!(
            output.status.success(),
            "openssl {step:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

/// `https` / `wss`: polling over TLS, then the upgrade to a TLS WebSocket, with the test CA as the
/// only root; with the default roots the same server is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_client_over_tls() {
    use socketio_tokio::client::rustls;
    use socketio_tokio::client::rustls::pki_types::CertificateDer;
    use socketio_tokio::client::rustls::pki_types::pem::PemObject;

    let dir = std::env::temp_dir().join(format!("socketio-rs-tls-{}", std::process::id()));
    make_certificates(&dir);
    let server = NodeServer::start_with(&[
        "--tls".as_ref(),
        dir.join("cert.pem").as_os_str(),
        dir.join("key.pem").as_os_str(),
    ])
    .await;

    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_file(dir.join("ca.pem")).unwrap())
        .unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let config = Arc::new(config);

    let client = builder(server.tls_url("/"))
        .tls_config(config.clone())
        .build()
        .unwrap();
    let mut engine = client_events(&client);
    let socket = client.socket();
    let mut welcome = events(&socket, "welcome");
    client.connect().await.unwrap();
    assert_eq!(next(&mut welcome, "welcome").await["transport"], "polling");
    next_matching(&mut engine, "the upgrade", |event| {
        *event == ClientEvent::Upgrade
    })
    .await;
    let transport = socket.emit_with_ack("transport", &()).await.unwrap();
    assert_eq!(transport.deserialize::<(String,)>().unwrap().0, "websocket");
    let answer = socket
        .emit_with_ack("echo-ack", &(1, Bytes::from_static(&[9, 8])))
        .await
        .unwrap();
    let (one, bytes): (u32, Bytes) = answer.deserialize().unwrap();
    assert_eq!((one, &bytes[..]), (1, &[9u8, 8][..]));
    client.close();

    // WebSocket only, over TLS.
    let client = builder(server.tls_url("/"))
        .tls_config(config)
        .transports([Transport::WebSocket])
        .connect()
        .await
        .unwrap();
    let transport = client
        .socket()
        .emit_with_ack("transport", &())
        .await
        .unwrap();
    assert_eq!(transport.deserialize::<(String,)>().unwrap().0, "websocket");
    client.close();

    // Certificate verification is on by default: the test CA is not among the default roots.
    let refused = builder(server.tls_url("/")).connect().await.unwrap_err();
    assert_eq!(refused, ConnectError::Transport("transport error".into()));

    let _ = std::fs::remove_dir_all(&dir);
    server.report().await;
}
