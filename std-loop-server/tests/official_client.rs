//! The official `socket.io-client` (Node.js, pinned in `tests/interop/package.json`) against the
//! server: `tests/interop/echo-client.mjs` runs one client per transport setting and reports what
//! it saw; the server's own output shows what it saw.

mod support;

use std::path::PathBuf;
use std::process::Command;

use serde_json::{Value, json};
use support::RunningServer;

#[test]
fn the_official_client_connects_upgrades_and_exchanges_events_and_acks() {
    let mut server = RunningServer::start();
    let report = run_node("echo-client.mjs", &[server.address.port().to_string()]);
    // Connected over polling and stays there; connected over polling and upgrades; WebSocket
    // from the start.
    check(&report, "polling", "polling", "polling", &mut server);
    check(&report, "upgrade", "polling", "websocket", &mut server);
    check(&report, "websocket", "websocket", "websocket", &mut server);
    assert!(server.is_running());
}

/// One client's run: `opened` is the transport of its handshake, `ended` the one it left on.
fn check(report: &Value, name: &str, opened: &str, ended: &str, server: &mut RunningServer) {
    let run = &report[name];
    assert!(run.get("error").is_none(), "{name}: {}", run["error"]);
    let seen = |key: &str| &run[key];
    assert_eq!(seen("connectedOver"), opened, "{name}");
    if opened != ended {
        assert_eq!(seen("upgradedTo"), ended, "{name}");
    }
    // Events echoed, binary included; the server sent `auth` on connecting.
    assert_eq!(seen("auth"), &json!([{ "run": name }]), "{name}");
    assert_eq!(
        seen("messageBack"),
        &json!(["hello", 42, { "buffer": [1, 2, 3] }]),
        "{name}"
    );
    // The client's acks answered by the server.
    assert_eq!(
        seen("clientAck"),
        &json!([{ "nested": [1, "two"] }, { "buffer": [4, 5] }]),
        "{name}"
    );
    assert_eq!(seen("authAck"), &json!([{ "run": name }]), "{name}");
    // The server's ack answered by the client, and the server got the answer.
    assert_eq!(seen("serverAck"), &json!([["1-two", "answer"]]), "{name}");
    assert_eq!(seen("pinged"), true, "{name}: the heartbeat ran");
    assert_eq!(seen("transportAtEnd"), ended, "{name}");
    assert_eq!(seen("disconnectReason"), "io client disconnect", "{name}");

    let sid = seen("sid").as_str().expect("a sid");
    let socket = seen("socketId").as_str().expect("a socket id");
    server.expect_line(&format!("session {sid} opened over {opened}"));
    if opened != ended {
        server.expect_line(&format!("session {sid} upgraded to websocket"));
    }
    server.expect_line(&format!("socket {socket} connected on /"));
    // A clean disconnect: the socket left its namespace, then the client closed the session.
    server.expect_line(&format!(
        "socket {socket} disconnected from / (client namespace disconnect)"
    ));
    server.expect_line(&format!("session {sid} closed (transport close)"));
}

/// `tests/interop/`, where the scripts and their pinned npm packages live.
fn interop_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/interop")
}

/// Runs `node <script> <args>` in `tests/interop/`, installing the pinned packages first if they
/// are missing, and returns the JSON it prints. Panics, saying why, if Node.js or npm is missing or
/// the script fails (it bounds its own run time).
fn run_node(script: &str, args: &[String]) -> Value {
    let dir = interop_dir();
    if !dir.join("node_modules/socket.io-client").exists() {
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&dir)
            .status()
            .unwrap_or_else(|error| {
                panic!("this test needs Node.js and npm on PATH to install the official client: {error}")
            });
        assert!(
            status.success(),
            "`npm ci` in {} failed ({status})",
            dir.display()
        );
    }
    let output = Command::new("node")
        .arg(script)
        .args(args)
        .current_dir(&dir)
        .output()
        .unwrap_or_else(|error| panic!("this test needs Node.js on PATH: {error}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "node {script} failed ({}):\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(stdout.trim())
        .unwrap_or_else(|error| panic!("bad JSON ({error}): {stdout}"))
}
