//! The browser client in a real browser: headless Chromium, driven over WebDriver by chromedriver,
//! opens a page whose client is this crate (`examples/scenarios.rs`, built for wasm32) served by our
//! tokio server, which this test also restarts midway. The page reports each scenario; the test
//! asserts on every report.
//!
//! Needs the page built and Chromium: run `socketio-wasm/browser-test.sh`, which builds it and runs
//! this test with `SOCKETIO_WASM_PAGE` set to the folder of the bound `scenarios.js` and `.wasm`.
#![cfg(not(target_arch = "wasm32"))]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde_json::{Value, json};
use socketio_tokio::engine_io::Routes;
use socketio_tokio::{HttpServer, socket_io};

/// What the page must report, all passed.
const SCENARIOS: [&str; 12] = [
    "connect",
    "upgrade",
    "events",
    "on_any",
    "acks",
    "binary",
    "ack_timeout",
    "namespace",
    "polling",
    "reconnect",
    "after_reconnect",
    "done",
];
/// How long the whole page may take.
const PAGE_DEADLINE: Duration = Duration::from_secs(120);
/// How long the server stays down during the restart: the client sees attempts fail.
const DOWNTIME: Duration = Duration::from_millis(1500);

#[test]
#[ignore = "needs the page built and Chromium: run socketio-wasm/browser-test.sh"]
fn the_wasm_client_runs_every_scenario_in_headless_chromium() {
    let page = PathBuf::from(
        std::env::var_os("SOCKETIO_WASM_PAGE")
            .expect("SOCKETIO_WASM_PAGE: the folder of scenarios.js (see browser-test.sh)"),
    );
    let port = free_port();
    let mut server = TestServer::start(&page, port);
    let driver = ChromeDriver::start();
    let session = driver.new_session();
    session.navigate(&format!("http://127.0.0.1:{port}/"));

    let started = Instant::now();
    let mut restarted = false;
    let results = loop {
        let results = session.results();
        let finished = results.get("done").is_some()
            || results
                .as_object()
                .is_some_and(|all| all.values().any(|result| result["ok"] == false));
        if finished {
            break results;
        }
        if !restarted && results.get("ready_for_restart").is_some() {
            server = server.restart(&page, port);
            restarted = true;
        }
        assert!(
            started.elapsed() < PAGE_DEADLINE,
            "the page did not finish: {results}\n{}",
            session.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    drop(server);
    for scenario in SCENARIOS {
        let result = &results[scenario];
        assert_eq!(
            result["ok"],
            true,
            "scenario {scenario}: {result}\nall: {results}\n{}",
            session.log()
        );
    }
    println!("{}", session.log());
}

/// The chat example's `/wasm` page, whose client is this crate (`examples/chat.rs`), in the chat
/// example's room: a member on our native client hears the browser join and speak, and the
/// browser shows what the member says.
#[test]
#[ignore = "needs the chat client built and Chromium: run socketio-wasm/browser-test.sh"]
fn the_chat_page_talks_to_the_room_through_the_wasm_client() {
    let built = PathBuf::from(
        std::env::var_os("SOCKETIO_WASM_CHAT")
            .expect("SOCKETIO_WASM_CHAT: the folder of the built chat.js (see browser-test.sh)"),
    );
    let read = |name: &str| std::fs::read(built.join(name)).expect("the built chat client");
    let (script, module) = (read("chat.js"), read("chat_bg.wasm"));
    let port = free_port();
    let _server = TestServer::serve(port, || {
        let io = socket_io().build();
        chat_room::install(&io);
        Routes::new(io)
            .page("/wasm", "text/html; charset=utf-8", CHAT_PAGE)
            .page("/wasm/chat.js", "text/javascript", script)
            .page("/wasm/chat_bg.wasm", "application/wasm", module)
    });

    let member = tokio::runtime::Runtime::new().expect("a runtime");
    let heard = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let bob = member.block_on(async {
        let client = socketio_tokio::Client::builder(format!("http://127.0.0.1:{port}/"))
            .build()
            .expect("a client");
        let socket = client.socket();
        let log = heard.clone();
        socket.on("notice", move |_, (text,): (String,), _| {
            log.lock().unwrap().push(text)
        });
        let log = heard.clone();
        socket.on("line", move |_, (line,): (Value,), _| {
            log.lock()
                .unwrap()
                .push(format!("{}: {}", line["from"], line["text"]));
        });
        client.connect().await.expect("Bob connects");
        socket
            .emit_with_ack("join", &("Bob",))
            .timeout(Duration::from_secs(5))
            .await
            .expect("Bob joins");
        (client, socket)
    });

    let driver = ChromeDriver::start();
    let session = driver.new_session();
    session.navigate(&format!("http://127.0.0.1:{port}/wasm?name=Ada"));
    let wait_for = |what: &str, done: &dyn Fn() -> bool| {
        let started = Instant::now();
        while !done() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "{what}: heard {:?}, page {:?}\n{}",
                heard.lock().unwrap(),
                session.script("return document.getElementById('log').textContent;"),
                session.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    let bob_heard = |text: &str| heard.lock().unwrap().iter().any(|line| line == text);
    wait_for("Bob hears Ada join", &|| bob_heard("Ada joined (2 here)"));

    // The browser speaks through the page's form; Bob hears it.
    session.script(
        "const input = document.getElementById('text'); input.value = 'hello from wasm'; \
         document.getElementById('form').requestSubmit(); return true;",
    );
    wait_for("Bob hears Ada", &|| {
        bob_heard(r#""Ada": "hello from wasm""#)
    });

    // Bob speaks; the page shows it.
    let _ = bob.1.emit("say", &("hi Ada",));
    let page_shows = |text: &str| {
        session
            .script("return document.getElementById('log').textContent;")
            .as_str()
            .is_some_and(|log| log.contains(text))
    };
    wait_for("the page shows Bob's line", &|| page_shows("Bob: hi Ada"));
    bob.0.close();
}

/// The chat example's room and its WebAssembly page, as the chat server serves them.
#[path = "../../socketio-tokio/examples/chat/room.rs"]
#[allow(dead_code)]
mod chat_room;
const CHAT_PAGE: &str = include_str!("../../socketio-tokio/examples/chat/wasm.html");

// ----- the server -----

/// Our tokio server on its own runtime: dropping it ends every task, so every connection closes,
/// as a server process that stops would.
struct TestServer {
    runtime: Option<tokio::runtime::Runtime>,
}

impl TestServer {
    fn start(page: &Path, port: u16) -> Self {
        TestServer::serve(port, || routes(page))
    }

    /// Serves what `make` builds (inside the server's runtime) on `port`.
    fn serve(port: u16, make: impl FnOnce() -> Routes) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime");
        let routes = runtime.block_on(async { make() });
        let server = runtime
            .block_on(HttpServer::bind(("127.0.0.1", port), routes))
            .expect("the port is free");
        runtime.spawn(server.run());
        TestServer {
            runtime: Some(runtime),
        }
    }

    fn restart(mut self, page: &Path, port: u16) -> Self {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_timeout(Duration::from_secs(1));
        }
        std::thread::sleep(DOWNTIME);
        TestServer::start(page, port)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_timeout(Duration::from_secs(1));
        }
    }
}

/// The page, its wasm, and the events the scenarios use.
fn routes(page: &Path) -> Routes {
    let io = socket_io().build();
    io.on_connection(|socket| {
        let _ = socket.emit("welcome", &"hello");
        socket.on("echo", |socket, (value,): (Value,), _| {
            let _ = socket.emit("echoed", &value);
        });
        socket.on("add", |_, (a, b): (i64, i64), ack| {
            if let Some(ack) = ack {
                let _ = ack.send(&(a + b));
            }
        });
        // Asks the client a question and tells it the answer it gave.
        socket.on("ask", |socket, (text,): (String,), _| {
            let asker = socket.clone();
            socket.spawn(async move {
                let answer = asker
                    .emit_with_ack("question", &text)
                    .timeout(Duration::from_secs(5))
                    .await;
                if let Ok(answer) = answer {
                    let (length,): (u64,) = answer.deserialize().unwrap_or((0,));
                    let _ = asker.emit("answer", &length);
                }
            });
        });
        socket.on("bytes", |socket, (blob,): (Bytes,), ack| {
            let reversed = Bytes::from(blob.iter().rev().copied().collect::<Vec<u8>>());
            let _ = socket.emit("bytes-back", &(reversed.clone(),));
            if let Some(ack) = ack {
                let _ = ack.send(&(reversed,));
            }
        });
        // Never answered: the client's ack times out.
        socket.on("ignore", |_, (): (), _| {});
    });
    io.of("/admin").on_connection(|socket| {
        let _ = socket.emit("admin-hello", &());
        socket.on("whoami", |socket, (): (), ack| {
            if let Some(ack) = ack {
                let _ = ack.send(&socket.namespace().name());
            }
        });
    });
    let read = |name: &str| {
        std::fs::read(page.join(name)).unwrap_or_else(|error| panic!("{name}: {error}"))
    };
    Routes::new(io)
        .page(
            "/",
            "text/html; charset=utf-8",
            include_str!("browser/index.html"),
        )
        .page("/scenarios.js", "text/javascript", read("scenarios.js"))
        .page(
            "/scenarios_bg.wasm",
            "application/wasm",
            read("scenarios_bg.wasm"),
        )
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("its address").port()
}

// ----- WebDriver -----

/// A chromedriver process of ours, killed when dropped.
struct ChromeDriver {
    process: Child,
    port: u16,
}

impl ChromeDriver {
    fn start() -> Self {
        let port = free_port();
        let process = Command::new(std::env::var("CHROMEDRIVER").unwrap_or("chromedriver".into()))
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver (apt-get install chromium chromium-driver)");
        let driver = ChromeDriver { process, port };
        let started = Instant::now();
        while http(port, "GET", "/status", None).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "chromedriver did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        driver
    }

    fn new_session(&self) -> Session<'_> {
        let binary = std::env::var("CHROMIUM").unwrap_or("/usr/bin/chromium".into());
        let capabilities = json!({
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "chrome",
                    "goog:loggingPrefs": { "browser": "ALL" },
                    "goog:chromeOptions": {
                        "binary": binary,
                        "args": [
                            "--headless",
                            "--no-sandbox",
                            "--disable-gpu",
                            "--disable-background-networking",
                        ],
                    },
                },
            },
        });
        let answer = self.call("POST", "/session", Some(capabilities));
        let id = answer["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {answer}"))
            .to_owned();
        Session { driver: self, id }
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let text = http(self.port, method, path, body.as_ref())
            .unwrap_or_else(|error| panic!("{method} {path}: {error}"));
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("{method} {path}: {text}"))
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// A browser session, ended when dropped.
struct Session<'a> {
    driver: &'a ChromeDriver,
    id: String,
}

impl Session<'_> {
    fn navigate(&self, url: &str) {
        let path = format!("/session/{}/url", self.id);
        self.driver.call("POST", &path, Some(json!({ "url": url })));
    }

    /// The value of `script` (a function body) run in the page.
    fn script(&self, script: &str) -> Value {
        let path = format!("/session/{}/execute/sync", self.id);
        let body = json!({ "script": script, "args": [] });
        self.driver.call("POST", &path, Some(body))["value"].take()
    }

    /// The page's reports so far.
    fn results(&self) -> Value {
        let path = format!("/session/{}/execute/sync", self.id);
        let script = json!({ "script": "return window.results || {};", "args": [] });
        self.driver.call("POST", &path, Some(script))["value"].take()
    }

    /// The page's console, for failure messages.
    fn log(&self) -> String {
        let path = format!("/session/{}/se/log", self.id);
        let answer = self
            .driver
            .call("POST", &path, Some(json!({ "type": "browser" })));
        let lines: Vec<String> = answer["value"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|entry| format!("[console] {}", entry["message"].as_str().unwrap_or("")))
            .collect();
        lines.join("\n")
    }
}

impl Drop for Session<'_> {
    fn drop(&mut self) {
        let path = format!("/session/{}", self.id);
        let _ = http(self.driver.port, "DELETE", &path, None);
    }
}

/// One HTTP/1.1 request to the local chromedriver; its body (read by its `Content-Length`:
/// chromedriver keeps the connection open).
fn http(port: u16, method: &str, path: &str, body: Option<&Value>) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    let body = body.map(Value::to_string).unwrap_or_default();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut received = Vec::new();
    let mut chunk = [0; 8192];
    loop {
        let read = stream.read(&mut chunk)?;
        received.extend_from_slice(&chunk[..read]);
        let text = String::from_utf8_lossy(&received);
        if let Some((head, rest)) = text.split_once("\r\n\r\n") {
            let length = head
                .lines()
                .find_map(|line| {
                    let (name, value) = line.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            if rest.len() >= length || read == 0 {
                return Ok(rest.to_owned());
            }
        }
        if read == 0 {
            return Err(std::io::Error::other("no HTTP response"));
        }
    }
}
