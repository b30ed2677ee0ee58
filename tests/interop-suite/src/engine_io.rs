//! Our Engine.IO server against the official JavaScript `engine.io-client`
//! (`tests/interop/engine-client.mjs`): transports, upgrade, echo order, binary, limits, server
//! close, messages from another thread, heartbeat, the protocol's HTTP errors and bad input. The
//! script observes; [`SCENARIOS`] assert.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use engineio_proto::Message;
use engineio_proto::server::ServerConfig;
use engineio_server::{
    Application, Engine, EngineConfig, HandshakeRequest, SessionContext, SessionHandler,
};
use serde_json::{Value, json};
use socketio_runtime::Runtime;

use crate::host::{Host, Scenario, run_list};

/// The server's `maxPayload`, which the script probes at and over.
pub const MAX_PAYLOAD: usize = 10_000;

/// The server the script talks to, on `runtime`: the conformance echo with a 300 ms ping interval,
/// plus two commands for what the echo cannot show (see [`TestApp`]).
pub fn server(runtime: Arc<dyn Runtime>) -> Engine {
    let protocol = ServerConfig::default()
        .with_ping_interval(Duration::from_millis(300))
        .with_ping_timeout(Duration::from_millis(1000))
        .with_max_payload(MAX_PAYLOAD);
    Engine::builder(runtime, TestApp)
        .config(EngineConfig::default().with_server(protocol))
        .build()
}

/// Runs the script against [`server`] on `host` and checks every scenario, then that every session
/// the script opened has ended and left the table.
pub async fn official_client(host: &impl Host) {
    let list = ("engine.io-client vs our server", SCENARIOS);
    run_list(
        host,
        server(host.runtime()),
        "engine-client.mjs",
        MAX_PAYLOAD,
        list,
    )
    .await;
}

/// The echo of the conformance suites, plus two commands: `close-me` closes the session from the
/// server, `via-handle` is answered with `from-handle` from another thread through a
/// `SessionHandle`.
pub struct TestApp;

impl Application for TestApp {
    type Handler = TestApp;

    fn on_open(
        &self,
        _session: &mut SessionContext<'_, Infallible>,
        _request: &HandshakeRequest,
    ) -> TestApp {
        TestApp
    }
}

impl SessionHandler for TestApp {
    type Command = Infallible;

    fn on_message(&mut self, session: &mut SessionContext<'_, Infallible>, message: Message) {
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

/// The scenarios, each with the assertions on its part of the script's report.
pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "echo over each transport",
        check: transports,
    },
    Scenario {
        name: "upgrade",
        check: upgrade,
    },
    Scenario {
        name: "500-message bursts in order",
        check: bursts,
    },
    Scenario {
        name: "payload limits",
        check: limits,
    },
    Scenario {
        name: "server close",
        check: server_close,
    },
    Scenario {
        name: "messages through a session handle",
        check: session_handle,
    },
    Scenario {
        name: "heartbeat",
        check: heartbeat,
    },
    Scenario {
        name: "protocol errors over HTTP",
        check: http_errors,
    },
    Scenario {
        name: "garbage and a bystander",
        check: bad_input,
    },
];

fn text(value: &str) -> Value {
    json!({ "type": "text", "text": value })
}

fn binary_1_2_3_255() -> Value {
    json!({ "type": "binary", "isBuffer": true, "length": 4, "head": [1, 2, 3, 255] })
}

fn transports(r: &Value) {
    let echoed = json!([text("hello"), binary_1_2_3_255(), text("é🙂")]);
    for transport in ["polling", "websocket"] {
        let run = &r[transport];
        assert_eq!(run["received"], echoed, "{transport}: {run}");
        assert_eq!(run["transport"], transport, "{run}");
    }
}

fn upgrade(r: &Value) {
    let upgrade = &r["upgrade"];
    assert_eq!(upgrade["upgradeEvent"], "websocket", "{upgrade}");
    assert_eq!(upgrade["transport"], "websocket", "{upgrade}");
    assert_eq!(
        upgrade["received"],
        json!([text("after upgrade"), binary_1_2_3_255()]),
        "{upgrade}"
    );
}

fn bursts(r: &Value) {
    for burst in ["burstPolling", "burstWebsocket", "burstUpgrade"] {
        assert_eq!(
            r[burst],
            json!({ "count": 500, "inOrder": true }),
            "{burst}"
        );
    }
}

fn limits(r: &Value) {
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
        assert_eq!(r[over]["received"], json!([]), "{over}: nothing echoed");
    }
    // 413 on the POST, or the `close` packet on the held GET first: either way the session is over.
    let reason = r["overLimitPolling"]["reason"].as_str().unwrap_or_default();
    assert!(
        ["transport error", "transport close"].contains(&reason),
        "{reason}"
    );
}

fn server_close(r: &Value) {
    for close in ["serverClosePolling", "serverCloseWebsocket"] {
        assert_eq!(
            r[close]["reason"], "transport close",
            "{close}: {}",
            r[close]
        );
        assert_eq!(r[close]["received"], json!([]), "{close}");
    }
}

fn session_handle(r: &Value) {
    for handle in ["handlePolling", "handleWebsocket"] {
        assert_eq!(
            r[handle]["received"],
            json!([text("from-handle")]),
            "{handle}: {}",
            r[handle]
        );
    }
}

fn heartbeat(r: &Value) {
    let heartbeat = &r["heartbeat"];
    assert!(
        heartbeat["pings"].as_u64().unwrap_or_default() >= 2,
        "{heartbeat}"
    );
    assert_eq!(heartbeat["open"], true, "{heartbeat}");
}

fn http_errors(r: &Value) {
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
}

fn bad_input(r: &Value) {
    // hyper answers an unparsable request with a bare 400 and closes the connection.
    assert_eq!(r["garbage"]["closed"], true, "{}", r["garbage"]);
    let status_line = r["garbage"]["statusLine"].as_str().unwrap_or("(none)");
    assert!(
        status_line.is_empty() || status_line == "HTTP/1.1 400 Bad Request",
        "{status_line}"
    );
    assert_eq!(
        r["bystander"],
        json!({ "echoed": "still here", "open": true }),
        "a client open through all of the above is unaffected"
    );
}
