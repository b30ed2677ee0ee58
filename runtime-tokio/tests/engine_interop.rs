//! Our Engine.IO server against the official JavaScript `engine.io-client` (from npm, pinned in
//! `tests/interop/package-lock.json`): transports, upgrade, echo order, binary, limits, server close,
//! heartbeat, and the protocol's HTTP errors. The node script observes; this test asserts.

use std::time::Duration;

use engineio_proto::Message;
use engineio_proto::server::ServerConfig;
use serde_json::Value;
use socketio_tokio::{
    Application, EngineConfig, HandshakeRequest, Server, SessionContext, SessionHandler, engine,
};

mod support;

use support::node::{ensure_node_modules, run_node_script};

const MAX_PAYLOAD: usize = 10_000;

/// The echo of the conformance suites, plus two commands for the scenarios the echo cannot show:
/// `close-me` closes the session from the server, `via-handle` is answered from another thread
/// through a `SessionHandle`.
struct TestApp;

impl Application for TestApp {
    fn on_open(
        &self,
        _session: &mut SessionContext<'_>,
        _request: &HandshakeRequest,
    ) -> Box<dyn SessionHandler> {
        Box::new(TestApp)
    }
}

impl SessionHandler for TestApp {
    fn on_message(&mut self, session: &mut SessionContext<'_>, message: Message) {
        match &message {
            Message::Text(text) if &**text == "close-me" => session.close(),
            Message::Text(text) if &**text == "via-handle" => {
                let handle = session.handle();
                std::thread::spawn(move || handle.try_send(Message::text("from-handle")));
            }
            _ => {
                if session.send(message).is_err() {
                    session.close();
                }
            }
        }
    }
}

fn text(value: &str) -> Value {
    serde_json::json!({ "type": "text", "text": value })
}

fn binary_1_2_3_255() -> Value {
    serde_json::json!({ "type": "binary", "isBuffer": true, "length": 4, "head": [1, 2, 3, 255] })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_engine_io_client_against_our_server() {
    ensure_node_modules().await;

    let protocol = ServerConfig::default()
        .with_ping_interval(Duration::from_millis(300))
        .with_ping_timeout(Duration::from_millis(1000))
        .with_max_payload(MAX_PAYLOAD);
    let engine = engine(TestApp)
        .config(EngineConfig::default().with_server(protocol))
        .build();
    let server = Server::bind("127.0.0.1:0", engine.clone()).await.unwrap();
    let port = server.local_addr().unwrap().port();
    let serving = tokio::spawn(server.run());

    let r = run_node_script(
        "engine-client.mjs",
        &[port.to_string(), MAX_PAYLOAD.to_string()],
    )
    .await;
    serving.abort();

    let echoed = serde_json::json!([text("hello"), binary_1_2_3_255(), text("é🙂")]);
    assert_eq!(r["polling"]["received"], echoed, "{}", r["polling"]);
    assert_eq!(r["polling"]["transport"], "polling");
    assert_eq!(r["websocket"]["received"], echoed, "{}", r["websocket"]);
    assert_eq!(r["websocket"]["transport"], "websocket");

    let upgrade = &r["upgrade"];
    assert_eq!(upgrade["upgradeEvent"], "websocket", "{upgrade}");
    assert_eq!(upgrade["transport"], "websocket", "{upgrade}");
    assert_eq!(
        upgrade["received"],
        serde_json::json!([text("after upgrade"), binary_1_2_3_255()])
    );

    for burst in ["burstPolling", "burstWebsocket", "burstUpgrade"] {
        assert_eq!(
            r[burst],
            serde_json::json!({ "count": 500, "inOrder": true }),
            "{burst}"
        );
    }

    assert_eq!(
        r["atLimitWebsocket"]["received"][0]["length"], MAX_PAYLOAD,
        "{}",
        r["atLimitWebsocket"]
    );
    assert_eq!(
        r["atLimitPolling"]["received"][0]["text"],
        format!("len:{}", MAX_PAYLOAD - 1),
        "{}",
        r["atLimitPolling"]
    );
    for over in ["overLimitWebsocket", "overLimitPolling"] {
        assert_eq!(r[over]["closed"], true, "{over}: {}", r[over]);
        assert_eq!(
            r[over]["received"],
            serde_json::json!([]),
            "{over}: nothing echoed"
        );
    }
    // 413 on the POST, or the `close` packet on the held GET first: either way the session is over.
    let reason = r["overLimitPolling"]["reason"].as_str().unwrap();
    assert!(
        ["transport error", "transport close"].contains(&reason),
        "{reason}"
    );

    for close in ["serverClosePolling", "serverCloseWebsocket"] {
        assert_eq!(
            r[close]["reason"], "transport close",
            "{close}: {}",
            r[close]
        );
        assert_eq!(r[close]["received"], serde_json::json!([]), "{close}");
    }
    for handle in ["handlePolling", "handleWebsocket"] {
        assert_eq!(
            r[handle]["received"],
            serde_json::json!([text("from-handle")]),
            "{handle}: {}",
            r[handle]
        );
    }

    let heartbeat = &r["heartbeat"];
    assert!(heartbeat["pings"].as_u64().unwrap() >= 2, "{heartbeat}");
    assert_eq!(heartbeat["open"], true, "{heartbeat}");

    let http = &r["http"];
    for (case, code) in [
        ("unknownTransport", 0),
        ("unknownSid", 1),
        ("postHandshake", 2),
        ("eio3", 5),
    ] {
        assert_eq!(http[case]["status"], 400, "{case}: {}", http[case]);
        assert_eq!(http[case]["contentType"], "application/json", "{case}");
        assert_eq!(http[case]["body"]["code"], code, "{case}: {}", http[case]);
    }
    assert_eq!(http["unknownSid"]["body"]["message"], "Session ID unknown");

    // hyper answers an unparsable request with a bare 400 and closes the connection.
    assert_eq!(r["garbage"]["closed"], true, "{}", r["garbage"]);
    let status_line = r["garbage"]["statusLine"].as_str().unwrap();
    assert!(
        status_line.is_empty() || status_line == "HTTP/1.1 400 Bad Request",
        "{status_line}"
    );
    assert_eq!(
        r["bystander"],
        serde_json::json!({ "echoed": "still here", "open": true }),
        "a client open through all of the above is unaffected"
    );

    // Every session the script opened has ended and left the table.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while engine.session_count() > 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(engine.session_count(), 0, "sessions left behind");
}
