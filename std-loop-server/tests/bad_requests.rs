//! Bad input gets the protocol's error and never stops the server: requests Engine.IO refuses get
//! their code, bytes that are not HTTP get `400` or `431`, a session fed bytes that are not
//! packets closes with "parse error", and a client that goes silent mid-request holds up no one.

mod support;

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::time::Duration;

use serde_json::{Value, json};
use support::RunningServer;
use tungstenite::Message;

/// How long a test client waits for an answer.
const WAIT: Duration = Duration::from_secs(5);

#[test]
fn bad_requests_get_the_protocol_errors_and_the_server_keeps_serving() {
    let mut server = RunningServer::start();
    let address = server.address;
    // A client that starts a request and goes silent: the others are served meanwhile.
    let mut silent = TcpStream::connect(address).unwrap();
    silent.write_all(b"GET /socket.io/?EIO=4").unwrap();

    let engine_error = |query: &str, method: &str| {
        let request = format!("{method} /socket.io/?{query} HTTP/1.1\r\nConnection: close\r\n\r\n");
        let (status, body) = exchange(address, request.as_bytes());
        let body: Value = serde_json::from_str(&body).unwrap_or_else(|_| panic!("{body:?}"));
        (status, body)
    };
    let cases = [
        (
            "EIO=3&transport=polling",
            "GET",
            5,
            "Unsupported protocol version",
        ),
        (
            "EIO=4&transport=carrier-pigeon",
            "GET",
            0,
            "Transport unknown",
        ),
        ("EIO=4", "GET", 0, "Transport unknown"),
        (
            "EIO=4&transport=polling&sid=nope",
            "GET",
            1,
            "Session ID unknown",
        ),
        ("EIO=4&transport=polling", "POST", 2, "Bad handshake method"),
        // A WebSocket transport on a plain HTTP request.
        ("EIO=4&transport=websocket", "GET", 3, "Bad request"),
    ];
    for (query, method, code, message) in cases {
        assert_eq!(
            engine_error(query, method),
            (400, json!({ "code": code, "message": message })),
            "{method} {query}"
        );
    }

    let status = |request: &[u8]| exchange(address, request).0;
    assert_eq!(status(b"GET /elsewhere HTTP/1.1\r\n\r\n"), 404);
    assert_eq!(status(b"\x00\x01 hello\r\n\r\n"), 400);
    assert_eq!(
        status(b"GET /socket.io/?EIO=4&transport=polling HTTP/9\r\n\r\n"),
        400
    );
    assert_eq!(status(&[b'a'; 9000]), 431, "a head past the bound");
    let chunked = "POST /socket.io/?EIO=4&transport=polling&sid=x HTTP/1.1\r\n\
                   Transfer-Encoding: chunked\r\n\r\n";
    assert_eq!(status(chunked.as_bytes()), 411);
    let no_key = "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n\
                  Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n";
    assert_eq!(status(no_key.as_bytes()), 400, "an upgrade without a key");

    // Garbage of every shape, each on its own connection, then closed: answered or dropped.
    let alphabet = b"GET /socket.io/?EIO=4&transport=polling&sid=\r\n: \x00\xff";
    let mut state = 0x9e37_79b9_u32;
    for length in 0..200 {
        let mut garbage = Vec::with_capacity(length);
        for _ in 0..length {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            garbage.push(alphabet[state as usize % alphabet.len()]);
        }
        exchange(address, &garbage);
    }

    // A session fed a body that is not Engine.IO packets closes; the POST is still answered `ok`.
    let sid = polling_handshake(address);
    let post = format!(
        "POST /socket.io/?EIO=4&transport=polling&sid={sid} HTTP/1.1\r\n\
         Content-Length: 7\r\nConnection: close\r\n\r\ngarbage"
    );
    assert_eq!(
        exchange(address, post.as_bytes()),
        (200, String::from("ok"))
    );
    server.expect_line(&format!("session {sid} closed (parse error)"));
    let query = format!("EIO=4&transport=polling&sid={sid}");
    assert_eq!(
        engine_error(&query, "GET").1["code"],
        1,
        "the session is gone"
    );

    // The same over WebSocket.
    let url = format!("ws://{address}/socket.io/?EIO=4&transport=websocket");
    let stream = TcpStream::connect(address).unwrap();
    stream.set_read_timeout(Some(WAIT)).unwrap();
    let (mut socket, _) = tungstenite::client(url.as_str(), stream).expect("a WebSocket");
    let open = socket.read().expect("the open packet");
    let open = open.to_text().unwrap();
    let handshake: Value = serde_json::from_str(&open[1..]).unwrap();
    socket.send(Message::text("garbage")).unwrap();
    let sid = handshake["sid"].as_str().unwrap();
    server.expect_line(&format!("session {sid} closed (parse error)"));

    assert!(server.is_running());
    drop(silent);
    polling_handshake(address);
}

/// Opens a session over polling; its sid.
fn polling_handshake(address: SocketAddr) -> String {
    let request = b"GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nConnection: close\r\n\r\n";
    let (status, body) = exchange(address, request);
    assert_eq!(status, 200, "{body}");
    let handshake: Value = serde_json::from_str(body.strip_prefix('0').unwrap()).unwrap();
    handshake["sid"].as_str().unwrap().to_owned()
}

/// Sends `request` on a fresh connection, closes its sending side, and reads what comes back:
/// the status and the body (status 0 when the server closed without an answer).
fn exchange(address: SocketAddr, request: &[u8]) -> (u16, String) {
    let mut stream = TcpStream::connect(address).unwrap();
    stream.set_read_timeout(Some(WAIT)).unwrap();
    stream.write_all(request).unwrap();
    let _ = stream.shutdown(Shutdown::Write);
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let response = String::from_utf8_lossy(&response);
    let Some((head, body)) = response.split_once("\r\n\r\n") else {
        return (0, String::new());
    };
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|status| status.parse().ok())
        .unwrap_or_else(|| panic!("not a response: {response:?}"));
    (status, body.to_owned())
}
