//! Our Socket.IO client against the official `socket.io@4` server
//! (`tests/interop/js-server.mjs`): transports and upgrade, namespaces and auth, middleware
//! rejection, events and acks both ways, ack timeout, binary, reconnection after the server kills
//! the transport, server-side disconnect, volatile emits, a burst of emits, and TLS.
//!
//! Unlike the other lists, our side drives: each [`ClientScenario`] runs our client against the
//! server and asserts on the server's answers (events and acks). What only the server can see comes
//! in one JSON line when its stdin closes, and [`REPORT`] asserts on that. A runtime's test picks
//! the runtime by type ([`ClientRuntime`]) and calls [`official_server`] and
//! [`official_server_over_tls`]. Waits are on events, on the runtime's own timer; the only fixed
//! waits check that something does *not* happen (no reconnection).

use std::collections::HashMap;
use std::future::IntoFuture;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use bytes::Bytes;
use futures_channel::mpsc::{UnboundedReceiver, UnboundedSender, unbounded};
use futures_util::future::{LocalBoxFuture, poll_immediate};
use futures_util::{FutureExt, StreamExt};
use serde_json::{Value, json};
use socketio_client::rustls::pki_types::CertificateDer;
use socketio_client::rustls::pki_types::pem::PemObject;
use socketio_client::{
    AckError, AckSender, Client, ClientBuilder, ClientEvent, ClientRuntime, ConnectError,
    DisconnectReason, EmitError, PacketFormat, Payload, Socket, SocketEvent, Transport,
    TransportFailure, rustls,
};
use socketio_runtime::Runtime;

use crate::certificates::TestCertificates;
use crate::host::{Scenario, assert_none_failed, check_all, failure};
use crate::node::NodeProcess;
use crate::wait::{sleep, within};

/// How long a scenario waits for an answer from the server.
pub(crate) const WAIT: Duration = Duration::from_secs(5);

/// How long the server may take to start and print its port.
const START_WAIT: Duration = Duration::from_secs(20);

/// Long enough past the scenarios' reconnection delay (at most 200 ms) for an attempt to show.
pub(crate) const NO_RECONNECTION_WAIT: Duration = Duration::from_millis(500);

/// Runs every [`ClientScenario`] on runtime `R` against the official server, then checks the
/// server's own observations ([`REPORT`]). Panics with every failure, not only the first.
pub async fn official_server<R: ClientRuntime>() {
    official_server_with::<R>(PacketFormat::Json).await;
}

/// [`official_server`] with the parser `format` on both sides (the official server's `parser`
/// option: `socket.io-msgpack-parser` for [`PacketFormat::msgpack()`]).
pub async fn official_server_with<R: ClientRuntime>(format: PacketFormat) {
    let server = JsServer::start("js-server.mjs", R::runtime(), None, format).await;
    let list = format!("our client vs the socket.io server ({format:?})");
    run_all(&list, &scenarios::<R>(), &server.peer()).await;
    let report = server.report().await;
    check_all("the socket.io server's observations", REPORT, &report);
}

/// `https` / `wss` on runtime `R`: polling over TLS, then the upgrade to a TLS WebSocket, with a
/// throwaway CA (made with the `openssl` tool) as the only root; with the default roots the same
/// server is refused.
pub async fn official_server_over_tls<R: ClientRuntime>() {
    let certificates = TestCertificates::make().await;
    let server = JsServer::start(
        "js-server.mjs",
        R::runtime(),
        Some(&certificates),
        PacketFormat::Json,
    )
    .await;
    tls::<R>(server.peer(), &certificates).await;
    server.report().await;
}

/// One scenario of our client against the official server: what it covers, and the steps it takes
/// (panicking, as `assert!` does, if the server's answers show it failed).
pub struct ClientScenario {
    /// What the scenario covers.
    pub name: &'static str,
    /// Runs the scenario against the server `Peer` names.
    pub run: fn(Peer) -> LocalBoxFuture<'static, ()>,
}

/// The scenarios on runtime `R`, in the order they run (the [`REPORT`] counts what they all did).
pub fn scenarios<R: ClientRuntime>() -> Vec<ClientScenario> {
    vec![
        ClientScenario {
            name: "handshake data, events and acks over polling",
            run: |peer| Box::pin(handshake_events_acks::<R>(peer, Transport::Polling)),
        },
        ClientScenario {
            name: "handshake data, events and acks over WebSocket",
            run: |peer| Box::pin(handshake_events_acks::<R>(peer, Transport::WebSocket)),
        },
        ClientScenario {
            name: "polling, then the upgrade to WebSocket",
            run: |peer| Box::pin(upgrade::<R>(peer)),
        },
        ClientScenario {
            name: "two namespaces over one connection",
            run: |peer| Box::pin(namespaces::<R>(peer)),
        },
        ClientScenario {
            name: "middleware rejection",
            run: |peer| Box::pin(rejection::<R>(peer)),
        },
        ClientScenario {
            name: "binary arguments over polling",
            run: |peer| Box::pin(binary::<R>(peer, Transport::Polling)),
        },
        ClientScenario {
            name: "binary arguments over WebSocket",
            run: |peer| Box::pin(binary::<R>(peer, Transport::WebSocket)),
        },
        ClientScenario {
            name: "reconnection over polling",
            run: |peer| Box::pin(reconnection::<R>(peer, Transport::Polling)),
        },
        ClientScenario {
            name: "reconnection over WebSocket",
            run: |peer| Box::pin(reconnection::<R>(peer, Transport::WebSocket)),
        },
        ClientScenario {
            name: "server-side disconnect",
            run: |peer| Box::pin(server_disconnect::<R>(peer)),
        },
        ClientScenario {
            name: "rooms and broadcasts across clients",
            run: |peer| Box::pin(rooms::<R>(peer)),
        },
        ClientScenario {
            name: "a payload at and over maxHttpBufferSize",
            run: |peer| Box::pin(payload_limit::<R>(peer)),
        },
        ClientScenario {
            name: "a burst of emits over polling",
            run: |peer| Box::pin(burst::<R>(peer, Transport::Polling)),
        },
        ClientScenario {
            name: "a burst of emits over WebSocket",
            run: |peer| Box::pin(burst::<R>(peer, Transport::WebSocket)),
        },
    ]
}

/// The assertions on what the server observed once every [`ClientScenario`] has run.
pub const REPORT: &[Scenario] = &[
    Scenario {
        name: "binary arguments as the server decoded them",
        check: |report| {
            assert_eq!(
                report["binary"],
                json!([
                    { "buffer": [1, 2] },
                    [{ "buffer": [3] }],
                    { "k": { "buffer": [4, 5] } },
                    "text"
                ]),
                "{report}"
            );
        },
    },
    Scenario {
        name: "a rejected connection is tried once",
        check: |report| assert_eq!(report["rejected"], 2, "{report}"),
    },
    Scenario {
        name: "connections per namespace",
        check: |report| {
            // Connections to "/": 2 + 1 + 1 + 2 (binary) + 2 x 2 (reconnection) + 2 (disconnect
            // and again) + 3 (rooms) + 2 x 2 (over the payload limit, and back) + 2 (burst).
            assert_eq!(report["connections"]["/"], 21, "{report}");
            assert_eq!(report["connections"]["/custom"], 1, "{report}");
        },
    },
    Scenario {
        name: "long-polling reuses keep-alive connections",
        check: |report| {
            // Without reuse there would be one TCP connection per request.
            let tcp = report["tcpConnections"].as_u64().unwrap();
            let requests = report["httpRequests"].as_u64().unwrap();
            assert!(
                tcp * 4 < requests * 3,
                "{tcp} connections for {requests} requests"
            );
        },
    },
];

/// Runs every scenario of `list` against `peer`, one after the other, and panics with all the
/// failures, not only the first.
pub(crate) async fn run_all(list: &str, scenarios: &[ClientScenario], peer: &Peer) {
    let mut failures = Vec::new();
    for scenario in scenarios {
        let outcome = AssertUnwindSafe((scenario.run)(peer.clone()))
            .catch_unwind()
            .await;
        if let Err(panic) = outcome {
            failures.push(failure(scenario.name, &*panic));
        }
    }
    assert_none_failed(list, scenarios.len(), &failures);
}

/// A server script of `tests/interop/` (`js-server.mjs`, the official server), over HTTP or (with
/// certificates) HTTPS.
pub(crate) struct JsServer {
    process: NodeProcess,
    origin: String,
    timers: Arc<dyn Runtime>,
    format: PacketFormat,
}

impl JsServer {
    /// Starts the server, speaking `format`, and waits for the port it listens on, on `timers`.
    pub(crate) async fn start(
        script: &str,
        timers: Arc<dyn Runtime>,
        tls: Option<&TestCertificates>,
        format: PacketFormat,
    ) -> Self {
        let mut args = match tls {
            Some(certificates) => vec![
                "--tls".to_owned(),
                certificates.cert().display().to_string(),
                certificates.key().display().to_string(),
            ],
            None => Vec::new(),
        };
        if !format.is_json() {
            args.push("--msgpack".to_owned());
        }
        let mut process = NodeProcess::start(script, &args).await;
        let first = within(&*timers, START_WAIT, process.next_line())
            .await
            .unwrap_or_else(|| panic!("the node server did not start within {START_WAIT:?}"));
        let port = serde_json::from_str::<Value>(&first)
            .ok()
            .and_then(|line| line["port"].as_u64())
            .unwrap_or_else(|| panic!("the node server printed {first:?}, not its port"));
        // The test certificate names `localhost`.
        let origin = match tls {
            Some(_) => format!("https://localhost:{port}"),
            None => format!("http://127.0.0.1:{port}"),
        };
        JsServer {
            process,
            origin,
            timers,
            format,
        }
    }

    pub(crate) fn peer(&self) -> Peer {
        Peer {
            origin: self.origin.clone(),
            timers: self.timers.clone(),
            format: self.format,
        }
    }

    /// Closes the server's stdin and returns what it observed, which it prints before exiting.
    pub(crate) async fn report(mut self) -> Value {
        self.process.close_stdin();
        let line = within(&*self.timers, WAIT, self.process.next_line())
            .await
            .expect("no report from the node server");
        serde_json::from_str(&line)
            .unwrap_or_else(|error| panic!("bad report from the node server ({error}): {line}"))
    }
}

/// The server a scenario runs against, and the runtime whose timers it waits on.
#[derive(Clone)]
pub struct Peer {
    origin: String,
    timers: Arc<dyn Runtime>,
    format: PacketFormat,
}

impl Peer {
    /// A client of the namespace `path` ([`builder`]), speaking the server's parser.
    pub(crate) fn client<R: ClientRuntime>(&self, path: &str) -> ClientBuilder<R> {
        builder::<R>(self.url(path)).parser(self.format)
    }

    /// The server's URL for the namespace `path`.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.origin)
    }

    /// A channel for a listener to send what it heard into.
    pub(crate) fn listener<T>(&self) -> (UnboundedSender<T>, Heard<T>) {
        let (sender, items) = unbounded();
        let heard = Heard {
            items,
            timers: self.timers.clone(),
        };
        (sender, heard)
    }

    /// The first argument of each `event` from the server.
    pub(crate) fn events(&self, socket: &Socket, event: &str) -> Heard<Value> {
        let (sender, heard) = self.listener();
        socket.on(event, move |_, (first,): (Value,), _ack| {
            let _ = sender.unbounded_send(first);
        });
        heard
    }

    /// The connection events of `socket`.
    pub(crate) fn socket_events(&self, socket: &Socket) -> Heard<SocketEvent> {
        let (sender, heard) = self.listener();
        socket.on_event(move |event| {
            let _ = sender.unbounded_send(event.clone());
        });
        heard
    }

    /// The events of `client`'s own connection.
    pub(crate) fn client_events<R>(&self, client: &Client<R>) -> Heard<ClientEvent> {
        let (sender, heard) = self.listener();
        client.on_event(move |event| {
            let _ = sender.unbounded_send(event.clone());
        });
        heard
    }

    /// `work`'s output, or a panic saying what did not come within [`WAIT`].
    pub(crate) async fn within<T>(&self, what: &str, work: impl IntoFuture<Output = T>) -> T {
        within(&*self.timers, WAIT, work.into_future())
            .await
            .unwrap_or_else(|| panic!("timed out waiting for {what}"))
    }

    pub(crate) async fn sleep(&self, duration: Duration) {
        sleep(&*self.timers, duration).await;
    }
}

/// What a listener heard, in order.
pub(crate) struct Heard<T> {
    items: UnboundedReceiver<T>,
    timers: Arc<dyn Runtime>,
}

impl<T> Heard<T> {
    /// The next item; panics if none comes within [`WAIT`].
    pub(crate) async fn next(&mut self, what: &str) -> T {
        within(&*self.timers, WAIT, self.items.next())
            .await
            .unwrap_or_else(|| panic!("timed out waiting for {what}"))
            .unwrap_or_else(|| panic!("the listener is gone, waiting for {what}"))
    }

    /// Skips to the first item matching `wanted`.
    pub(crate) async fn next_matching(&mut self, what: &str, wanted: impl Fn(&T) -> bool) -> T {
        loop {
            let item = self.next(what).await;
            if wanted(&item) {
                return item;
            }
        }
    }

    /// What has been heard and not taken yet.
    pub(crate) fn drain(&mut self) -> Vec<T> {
        std::iter::from_fn(|| self.items.try_recv().ok()).collect()
    }
}

/// A client with fast reconnection, for the scenarios.
pub(crate) fn builder<R: ClientRuntime>(url: String) -> ClientBuilder<R> {
    Client::builder(url)
        .reconnection_delay(Duration::from_millis(100))
        .reconnection_delay_max(Duration::from_millis(200))
        .timeout(Duration::from_secs(5))
}

pub(crate) fn is_disconnect(event: &SocketEvent) -> bool {
    matches!(event, SocketEvent::Disconnect(_))
}

/// Panics if `engine` heard a reconnection attempt, or `lifecycle` anything at all.
pub(crate) fn assert_no_reconnection(
    engine: &mut Heard<ClientEvent>,
    lifecycle: &mut Heard<SocketEvent>,
) {
    let later = engine.drain();
    assert!(
        !later
            .iter()
            .any(|event| matches!(event, ClientEvent::ReconnectAttempt(_))),
        "{later:?}"
    );
    let later = lifecycle.drain();
    assert!(later.is_empty(), "{later:?}");
}

/// The name of the transport the server reports for `socket`'s connection.
pub(crate) async fn server_transport(socket: &Socket) -> String {
    let transport = socket.emit_with_ack("transport", &()).await.unwrap();
    transport.deserialize::<(String,)>().unwrap().0
}

/// One transport: handshake data (auth, query, header), events and acks both ways.
async fn handshake_events_acks<R: ClientRuntime>(peer: Peer, transport: Transport) {
    let expected = transport.as_str();
    let client = peer
        .client::<R>("/")
        .transports([transport])
        .auth(json!({ "token": "abc" }))
        .query("k", "v")
        .header("x-h", "hv")
        .build()
        .unwrap();
    let socket = client.socket();
    // Registered before connecting: the server emits "welcome" as soon as it accepts.
    let mut welcome = peer.events(&socket, "welcome");
    // A listener answers through the socket it is given, as on the server.
    socket.on("welcome", |socket, _: Value, _ack| {
        socket
            .emit("echo", &(1, "two", json!({ "three": 3 })))
            .unwrap();
    });
    let (echoed, mut echo) = peer.listener();
    socket.on("echo", move |_, args: (u32, String, Value), _ack| {
        let _ = echoed.unbounded_send(args);
    });
    let mut answers = peer.events(&socket, "answer");
    // A handler whose types do not fit is skipped, and the mismatch reported.
    socket.on("echo", |_, _: (String,), _ack| {
        panic!("a number is not a String")
    });
    let mut lifecycle = peer.socket_events(&socket);
    socket.on(
        "question",
        |_, (a, b, c): (u32, String, Value), ack: Option<AckSender>| {
            let ack = ack.expect("the server asked for an ack");
            ack.send(&(a + 1, format!("{b}!"), c)).unwrap();
        },
    );
    client.connect().await.unwrap();
    assert!(socket.connected());
    assert!(socket.active());
    assert!(socket.id().is_some());

    let welcome = welcome.next("welcome").await;
    assert_eq!(welcome["nsp"], "/");
    assert_eq!(welcome["auth"], json!({ "token": "abc" }));
    assert_eq!(welcome["query"], "v");
    assert_eq!(welcome["header"], "hv");
    assert_eq!(welcome["transport"], expected, "{welcome}");

    let (one, two, three) = echo.next("echo").await;
    assert_eq!(
        (one, two.as_str(), three),
        (1, "two", json!({ "three": 3 }))
    );
    let mismatch = lifecycle
        .next_matching("the mismatch", |event| {
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
    let answer = answers.next("the server's ack of our answer").await;
    assert_eq!(
        answer,
        json!({ "error": null, "answers": [2, "two!", { "three": 3 }] })
    );

    let timed_out = socket
        .emit_with_ack("no-reply", &())
        .timeout(Duration::from_millis(200))
        .await;
    assert!(matches!(timed_out, Err(AckError::Timeout)), "{timed_out:?}");

    assert_eq!(server_transport(&socket).await, expected);
    assert_eq!(client.transport(), Some(transport));
    client.close();
}

/// Polling, then an upgrade to WebSocket; an emit made before the first connect goes out once
/// connected.
async fn upgrade<R: ClientRuntime>(peer: Peer) {
    let client = peer.client::<R>("/").build().unwrap();
    let mut engine = peer.client_events(&client);
    let socket = client.socket();
    let mut welcome = peer.events(&socket, "welcome");
    // Polled once before the first connect: the emit is queued and waits for the connection.
    let mut early = socket.emit_with_ack("echo-ack", &("early",)).into_future();
    assert!(poll_immediate(&mut early).await.is_none());
    client.connect().await.unwrap();
    let welcome = welcome.next("welcome").await;
    assert_eq!(welcome["transport"], "polling");
    let early = peer.within("the early emit's ack", early).await.unwrap();
    assert_eq!(early.deserialize::<(String,)>().unwrap().0, "early");
    engine
        .next_matching("the upgrade", |event| *event == ClientEvent::Upgrade)
        .await;
    assert_eq!(client.transport(), Some(Transport::WebSocket));
    assert_eq!(server_transport(&socket).await, "websocket");
    // Still usable after the switch.
    let answer = socket.emit_with_ack("echo-ack", &("after",)).await.unwrap();
    assert_eq!(answer.deserialize::<(String,)>().unwrap().0, "after");
    client.close();
}

/// The main namespace and a custom one over one connection, each with its own auth.
async fn namespaces<R: ClientRuntime>(peer: Peer) {
    let client = peer
        .client::<R>("/")
        .auth(json!({ "token": "main" }))
        .build()
        .unwrap();
    let main = client.socket();
    let custom = client.of("/custom").unwrap();
    let mut main_welcome = peer.events(&main, "welcome");
    let mut custom_welcome = peer.events(&custom, "welcome");
    client.connect().await.unwrap();
    custom
        .connect_with_auth(json!({ "token": "custom" }))
        .await
        .unwrap();
    let main_welcome = main_welcome.next("welcome on /").await;
    let custom_welcome = custom_welcome.next("welcome on /custom").await;
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
async fn rejection<R: ClientRuntime>(peer: Peer) {
    let client = peer
        .client::<R>("/private")
        .auth(json!({ "token": "bad" }))
        .build()
        .unwrap();
    let mut engine = peer.client_events(&client);
    let socket = client.socket();
    let mut lifecycle = peer.socket_events(&socket);
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
        lifecycle.next("connect_error").await,
        SocketEvent::ConnectError {
            message: "not authorized".into(),
            data: Some(data),
            retrying: false,
        }
    );
    assert!(!socket.active());
    peer.sleep(NO_RECONNECTION_WAIT).await;
    assert_no_reconnection(&mut engine, &mut lifecycle);

    // The waiting variant reports the same rejection.
    let error = peer.client::<R>("/private").connect().await.unwrap_err();
    assert!(matches!(error, ConnectError::Rejected { .. }), "{error:?}");
}

/// Binary arguments, nested, both ways.
async fn binary<R: ClientRuntime>(peer: Peer, transport: Transport) {
    let client = peer
        .client::<R>("/")
        .transports([transport])
        .build()
        .unwrap();
    let socket = client.socket();
    let (sender, mut back) = peer.listener();
    socket.on_any(move |_, name, payload, _ack| {
        if name == "binary-back" {
            let (value,): (Value,) = payload.event_args().unwrap();
            let bytes = payload.attachment(&value["data"][0]).cloned();
            let _ = sender.unbounded_send((value["label"].clone(), bytes));
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
    let (label, bytes) = back.next("binary-back").await;
    assert_eq!(label, "nested");
    assert_eq!(bytes.as_deref(), Some(&[7u8, 8, 9][..]));
    client.close();
}

/// The server kills the transport: the client reconnects (with fresh auth from the callback), and
/// what it emitted meanwhile arrives once; a volatile emit made meanwhile is dropped.
async fn reconnection<R: ClientRuntime>(peer: Peer, transport: Transport) {
    let run = transport.as_str();
    let connects = Arc::new(AtomicU32::new(0));
    let counter = connects.clone();
    let client = peer
        .client::<R>("/")
        .transports([transport])
        .auth_with(move || json!({ "n": counter.fetch_add(1, Ordering::SeqCst) + 1 }))
        .build()
        .unwrap();
    let mut engine = peer.client_events(&client);
    let socket = client.socket();
    let mut lifecycle = peer.socket_events(&socket);
    let mut welcome = peer.events(&socket, "welcome");
    client.connect().await.unwrap();
    let first = welcome.next("welcome").await;
    assert_eq!(first["auth"], json!({ "n": 1 }));

    socket.emit("kill-transport", &()).unwrap();
    let reason = lifecycle
        .next_matching("the disconnect", is_disconnect)
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

    lifecycle
        .next_matching("the reconnection", |event| {
            matches!(event, SocketEvent::Connect { .. })
        })
        .await;
    let second = welcome.next("welcome again").await;
    assert_eq!(second["auth"], json!({ "n": 2 }));
    assert_ne!(first["engine"], second["engine"]);
    socket.volatile().emit("volatile", &(run, "sent")).unwrap();
    let observed = socket.emit_with_ack("observed", &(run,)).await.unwrap();
    let (observed,): (Value,) = observed.deserialize().unwrap();
    assert_eq!(
        observed,
        json!({ "counted": { "1": 1, "2": 1, "3": 1 }, "volatile": ["sent"] })
    );
    let engine_events = engine.drain();
    assert!(
        engine_events.contains(&ClientEvent::ReconnectAttempt(1))
            && engine_events.contains(&ClientEvent::Reconnect(1)),
        "{engine_events:?}"
    );
    client.close();
}

/// Many emits at once: the client holds back (`QueueFull`) rather than growing or dropping the
/// connection, and every event arrives exactly once.
async fn burst<R: ClientRuntime>(peer: Peer, transport: Transport) {
    const COUNT: u32 = 3000;
    let run = format!("burst-{}", transport.as_str());
    let client = peer
        .client::<R>("/")
        .transports([transport])
        .build()
        .unwrap();
    let socket = client.socket();
    let mut lifecycle = peer.socket_events(&socket);
    client.connect().await.unwrap();
    let mut held_back = 0;
    for n in 0..COUNT {
        loop {
            match socket.emit("counted", &(&run, n)) {
                Ok(()) => break,
                Err(EmitError::QueueFull) => {
                    held_back += 1;
                    peer.sleep(Duration::from_millis(1)).await;
                }
                Err(error) => panic!("emit {n}: {error}"),
            }
        }
    }
    let observed = socket
        .emit_with_ack("observed", &(&run,))
        .timeout(Duration::from_secs(20))
        .await
        .unwrap();
    let (observed,): (Value,) = observed.deserialize().unwrap();
    let counted = observed["counted"].as_object().unwrap();
    assert_eq!(counted.len(), COUNT as usize, "held back {held_back} times");
    assert!(counted.values().all(|times| *times == 1));
    // The connection survived the burst.
    let events = lifecycle.drain();
    assert!(!events.iter().any(is_disconnect), "{events:?}");
    client.close();
}

/// Three clients in rooms: the server's broadcasts (union of rooms, except, sender excluded) reach
/// exactly the right ones, each once, in order. A marker everyone hears closes each step.
async fn rooms<R: ClientRuntime>(peer: Peer) {
    let clients: Vec<Client<R>> = (0..3)
        .map(|_| peer.client::<R>("/").build().unwrap())
        .collect();
    let sockets: Vec<Socket> = clients.iter().map(Client::socket).collect();
    let mut news: Vec<Heard<Value>> = sockets
        .iter()
        .map(|s| peer.events(s, "room-news"))
        .collect();
    let mut markers: Vec<Heard<Value>> = sockets.iter().map(|s| peer.events(s, "marker")).collect();
    for client in &clients {
        client.connect().await.unwrap();
    }
    let (a, b, c) = (&sockets[0], &sockets[1], &sockets[2]);
    for (socket, room) in [(a, "red"), (b, "red"), (b, "blue"), (c, "blue")] {
        peer.within("join", socket.emit_with_ack("join", &(room,)))
            .await
            .unwrap();
    }
    let steps: [(&Socket, &str, Value); 5] = [
        (a, "broadcast", json!({ "to": ["red"], "text": "red only" })),
        (
            a,
            "broadcast",
            json!({ "to": ["red", "blue"], "text": "union" }),
        ),
        (
            a,
            "broadcast",
            json!({ "to": ["blue"], "except": ["red"], "text": "blue except red" }),
        ),
        (
            b,
            "broadcast-from-sender",
            json!({ "to": ["red"], "text": "from b to red" }),
        ),
        (
            c,
            "broadcast-from-sender",
            json!({ "text": "from c to all" }),
        ),
    ];
    let mut heard: Vec<Vec<Value>> = vec![Vec::new(); 3];
    for (step, (sender, event, request)) in steps.into_iter().enumerate() {
        peer.within(event, sender.emit_with_ack(event, &(request,)))
            .await
            .unwrap();
        peer.within("marker", a.emit_with_ack("everyone", &(step,)))
            .await
            .unwrap();
        for (index, marker) in markers.iter_mut().enumerate() {
            assert_eq!(marker.next("the marker").await, json!(step));
            heard[index].extend(news[index].drain());
        }
    }
    assert_eq!(
        heard,
        [
            vec![
                json!("red only"),
                json!("union"),
                json!("from b to red"),
                json!("from c to all")
            ],
            vec![json!("red only"), json!("union"), json!("from c to all")],
            vec![json!("union"), json!("blue except red")],
        ]
    );
    for client in &clients {
        client.close();
    }
}

/// The server's `maxHttpBufferSize` (20 000 in `js-server.mjs`): a packet exactly at it arrives; one
/// over it closes the connection, over WebSocket and over polling, and the client reconnects.
async fn payload_limit<R: ClientRuntime>(peer: Peer) {
    const MAX_HTTP_BUFFER_SIZE: usize = 20_000;
    for transport in [Transport::WebSocket, Transport::Polling] {
        let client = peer
            .client::<R>("/")
            .transports([transport])
            .build()
            .unwrap();
        let socket = client.socket();
        let mut lifecycle = peer.socket_events(&socket);
        client.connect().await.unwrap();
        if transport == Transport::WebSocket {
            let overhead = big_event_overhead(peer.format);
            let at_limit = "x".repeat(MAX_HTTP_BUFFER_SIZE - overhead);
            let length = peer
                .within(
                    "the ack at the limit",
                    socket.emit_with_ack("big", &(at_limit,)),
                )
                .await
                .unwrap();
            let (length,): (usize,) = length.deserialize().unwrap();
            assert_eq!(length, MAX_HTTP_BUFFER_SIZE - overhead);
        }
        let over_limit = "x".repeat(MAX_HTTP_BUFFER_SIZE + 10);
        socket.emit("big", &(over_limit,)).unwrap();
        let event = lifecycle
            .next_matching("the disconnect over the limit", is_disconnect)
            .await;
        assert!(
            matches!(
                event,
                SocketEvent::Disconnect(
                    DisconnectReason::TransportClose | DisconnectReason::TransportError
                )
            ),
            "{} {event:?}",
            transport.as_str()
        );
        // A transport failure, not a refusal: the client comes back.
        lifecycle
            .next_matching("the reconnection", |event| {
                matches!(event, SocketEvent::Connect { .. })
            })
            .await;
        client.close();
    }
}

/// The bytes of the WebSocket message carrying the socket's first acked `big` event, beyond its
/// string argument (of 256 to 65 535 bytes).
fn big_event_overhead(format: PacketFormat) -> usize {
    if format.is_json() {
        // `4` (message) `2` (event) `0` (the socket's first ack id) `["big","` data `"]`.
        return r#"420["big",""]"#.len();
    }
    use socketio_server::socketio_proto::packet::{NamespaceName, Packet};
    const DATA: usize = 1000;
    let args = Payload::event("big", &("x".repeat(DATA),)).unwrap();
    let packet = Packet::event(NamespaceName::main(), args, Some(0));
    let wire = format.frame_packet(&packet).unwrap();
    let bytes: usize = wire.messages().map(|message| message.len()).sum();
    bytes - DATA
}

/// A server-side `socket.disconnect()`: no reconnection; connecting again works.
async fn server_disconnect<R: ClientRuntime>(peer: Peer) {
    let client = peer.client::<R>("/").build().unwrap();
    let mut engine = peer.client_events(&client);
    let socket = client.socket();
    let mut lifecycle = peer.socket_events(&socket);
    client.connect().await.unwrap();
    socket.emit("disconnect-me", &()).unwrap();
    let event = lifecycle
        .next_matching("the disconnect", is_disconnect)
        .await;
    assert_eq!(
        event,
        SocketEvent::Disconnect(DisconnectReason::IoServerDisconnect)
    );
    assert!(!socket.active() && !socket.connected());
    peer.sleep(NO_RECONNECTION_WAIT).await;
    assert_no_reconnection(&mut engine, &mut lifecycle);
    // Emits without a connection wait; an ack-emit with a timeout gives up.
    let waiting = socket
        .emit_with_ack("echo-ack", &(1,))
        .timeout(Duration::from_millis(100))
        .await;
    assert!(matches!(waiting, Err(AckError::Timeout)), "{waiting:?}");
    socket.connect().await.unwrap();
    assert!(socket.connected());
    client.close();
}

/// The TLS scenario of [`official_server_over_tls`].
async fn tls<R: ClientRuntime>(peer: Peer, certificates: &TestCertificates) {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_file(certificates.ca()).unwrap())
        .unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let config = Arc::new(config);

    let client = peer
        .client::<R>("/")
        .tls_config(config.clone())
        .build()
        .unwrap();
    let mut engine = peer.client_events(&client);
    let socket = client.socket();
    let mut welcome = peer.events(&socket, "welcome");
    client.connect().await.unwrap();
    assert_eq!(welcome.next("welcome").await["transport"], "polling");
    engine
        .next_matching("the upgrade", |event| *event == ClientEvent::Upgrade)
        .await;
    assert_eq!(server_transport(&socket).await, "websocket");
    let answer = socket
        .emit_with_ack("echo-ack", &(1, Bytes::from_static(&[9, 8])))
        .await
        .unwrap();
    let (one, bytes): (u32, Bytes) = answer.deserialize().unwrap();
    assert_eq!((one, &bytes[..]), (1, &[9u8, 8][..]));
    client.close();

    // WebSocket only, over TLS.
    let client = peer
        .client::<R>("/")
        .tls_config(config)
        .transports([Transport::WebSocket])
        .connect()
        .await
        .unwrap();
    assert_eq!(server_transport(&client.socket()).await, "websocket");
    client.close();

    // Certificate verification is on by default: the test CA is not among the default roots.
    let refused = peer.client::<R>("/").connect().await.unwrap_err();
    assert_eq!(refused, ConnectError::Transport("transport error".into()));

    // The refusal keeps its cause: the application hears rustls's certificate error.
    let client = peer.client::<R>("/").reconnection(false).build().unwrap();
    let mut engine = peer.client_events(&client);
    let _ = client.connect().await;
    let ClientEvent::Error(error) = engine
        .next_matching("the transport error", |event| {
            matches!(event, ClientEvent::Error(_))
        })
        .await
    else {
        unreachable!()
    };
    assert_eq!(error.failure(), TransportFailure::Network);
    let cause = std::error::Error::source(&error)
        .and_then(|source| source.downcast_ref::<std::io::Error>())
        .and_then(|io| io.get_ref())
        .and_then(|inner| inner.downcast_ref::<rustls::Error>());
    assert!(
        matches!(cause, Some(rustls::Error::InvalidCertificate(_))),
        "{error}: {:?}",
        std::error::Error::source(&error)
    );
    client.close();
}
