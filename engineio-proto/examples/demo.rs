//! An Engine.IO server session and a client session talking to each other, step by step.
//!
//! Neither machine does any I/O or reads a clock: this file plays the runtime for both. It carries
//! what one side asks for (a GET, a POST, a WebSocket frame...) to the other side after a fake network
//! latency, and moves a fake clock straight to the next arrival or deadline, so the whole exchange,
//! heartbeat included, runs in microseconds. Every message on the wire is printed as it is sent.
//!
//! Run with `cargo run -p engineio-proto --example demo`.

use std::time::Duration;

use engineio_proto::client::{self, ClientConfig, ClientSession, TransportFailure};
use engineio_proto::server::{
    self, Method, Query, Route, ServerConfig, ServerSession, route_request,
};
use engineio_proto::{Bytes, Frame, Instant, Message};

/// One-way latency of the fake network.
const LATENCY: Duration = Duration::from_millis(5);
/// Opening a WebSocket takes a while (TCP, TLS, HTTP upgrade); meanwhile polling carries the session.
const WEBSOCKET_CONNECT: Duration = Duration::from_millis(1500);
/// The session id the server hands out. A real server draws it from a random source.
const SID: &str = "ZGVtbw";

/// Something on its way between the two sides.
enum Traffic {
    // client -> server
    Get(String),
    Post(String, Bytes),
    WsOpen(String),
    FrameToServer(Frame),
    WsClosedByClient,
    // server -> client
    GetAnswer(Result<Bytes, TransportFailure>),
    PostAnswer(Result<(), TransportFailure>),
    WsAccepted,
    FrameToClient(Frame),
    WsClosedByServer,
}

struct Demo {
    now: Instant,
    /// What is on the wire, with its arrival time; delivered in arrival order, ties in sending order.
    wire: Vec<(Instant, Traffic)>,
    client: ClientSession,
    server_config: ServerConfig,
    /// The server's only session, once the handshake GET arrived.
    server: Option<ServerSession>,
}

fn main() {
    let server_config = ServerConfig::default()
        .with_ping_interval(Duration::from_millis(1000))
        .with_ping_timeout(Duration::from_millis(500));
    let mut demo = Demo {
        now: Instant::ZERO,
        wire: Vec::new(),
        client: ClientSession::new(ClientConfig::default()),
        server_config,
        server: None,
    };

    section("handshake over long-polling; the client starts opening a WebSocket (it takes 1.5 s)");
    demo.client.start(demo.now);
    demo.run_until(50);

    section("messages both ways: the first goes at once, the next ones are batched");
    for text in ["hello server", "how are you?", "fine, thanks"] {
        demo.client
            .send(Message::text(text))
            .expect("client queue has room");
    }
    for text in ["hello client", "queued", "behind it"] {
        demo.server_send(Message::text(text));
    }
    demo.run_until(900);

    section("heartbeat: the server pings every second, the client answers");
    demo.run_until(1400);

    section("the WebSocket is up: probe, release the held GET with noop, upgrade");
    demo.run_until(1580);

    section("binary messages, now as binary WebSocket frames");
    demo.client
        .send(Message::binary(&[1u8, 2, 3][..]))
        .expect("client queue has room");
    demo.server_send(Message::binary(&[0xde_u8, 0xad, 0xbe, 0xef][..]));
    demo.run_until(1700);

    section("heartbeat, now over the WebSocket");
    demo.run_until(2050);

    section("the client closes");
    demo.client.close(demo.now);
    demo.run_until(2200);

    assert!(demo.client.is_closed());
    assert!(demo.server.as_ref().is_some_and(ServerSession::is_closed));
}

impl Demo {
    fn server_send(&mut self, message: Message) {
        let session = self.server.as_mut().expect("the session is open");
        session.send(message).expect("server queue has room");
    }

    /// Runs both machines until `millis` on the fake clock.
    fn run_until(&mut self, millis: u64) {
        let until = Instant::from_millis(millis);
        loop {
            self.take_outputs();
            let next_arrival = self.wire.iter().map(|(at, _)| *at).min();
            let next_deadline = [
                self.client.poll_timeout(),
                self.server.as_ref().and_then(ServerSession::poll_timeout),
            ]
            .into_iter()
            .flatten()
            .min();
            let Some(next) = next_arrival.into_iter().chain(next_deadline).min() else {
                break;
            };
            if next > until {
                break;
            }
            self.now = next;
            if next_arrival == Some(next) {
                let first = self
                    .wire
                    .iter()
                    .position(|(at, _)| *at == next)
                    .expect("due");
                let (_, traffic) = self.wire.remove(first);
                self.deliver(traffic);
            } else {
                if self.client.poll_timeout() == Some(next) {
                    self.client.handle_timeout(next);
                }
                if let Some(server) = self
                    .server
                    .as_mut()
                    .filter(|s| s.poll_timeout() == Some(next))
                {
                    server.handle_timeout(next);
                }
            }
        }
        self.now = until;
    }

    /// Puts on the wire what the machines ask for, and prints what they tell their applications.
    fn take_outputs(&mut self) {
        while let Some(output) = self.client.poll_output() {
            match output {
                client::Output::Poll { query } => self.send(Traffic::Get(query)),
                client::Output::Post { query, body } => self.send(Traffic::Post(query, body)),
                client::Output::OpenWebSocket { query } => self.send(Traffic::WsOpen(query)),
                client::Output::WsFrame(frame) => self.send(Traffic::FrameToServer(frame)),
                client::Output::CloseWebSocket => self.send(Traffic::WsClosedByClient),
                client::Output::Event(event) => self.print_event("client", &client_event(&event)),
            }
        }
        while let Some(output) = self.server.as_mut().and_then(ServerSession::poll_output) {
            match output {
                server::Output::PollResponse(body) => self.send(Traffic::GetAnswer(Ok(body))),
                server::Output::WsFrame(frame) => self.send(Traffic::FrameToClient(frame)),
                server::Output::CloseWebSocket => self.send(Traffic::WsClosedByServer),
                server::Output::Event(event) => self.print_event("server", &server_event(&event)),
            }
        }
    }

    fn send(&mut self, traffic: Traffic) {
        let delay = match traffic {
            Traffic::WsOpen(_) => WEBSOCKET_CONNECT,
            _ => LATENCY,
        };
        println!(
            "[{:>5} ms] {}",
            self.now.as_micros() / 1000,
            describe(&traffic)
        );
        self.wire.push((self.now + delay, traffic));
    }

    /// Hands what arrived to the machine at the other end, as a runtime would.
    fn deliver(&mut self, traffic: Traffic) {
        let now = self.now;
        match traffic {
            Traffic::Get(query) => {
                let answer = self.serve_get(&query);
                if let Err(failure) = answer {
                    self.send(Traffic::GetAnswer(Err(failure)));
                }
            }
            Traffic::Post(query, body) => {
                let answer = self.serve_post(&query, body);
                self.send(Traffic::PostAnswer(answer));
            }
            Traffic::WsOpen(query) => match self.serve_websocket(&query) {
                Ok(()) => self.send(Traffic::WsAccepted),
                Err(_) => self.client.handle_ws_closed(now, true),
            },
            Traffic::FrameToServer(frame) => self.session().handle_ws_frame(now, frame),
            Traffic::WsClosedByClient => self.session().handle_ws_closed(now, false),
            Traffic::GetAnswer(answer) => self.client.handle_poll_response(now, answer),
            Traffic::PostAnswer(answer) => self.client.handle_post_response(now, answer),
            Traffic::WsAccepted => self.client.handle_ws_opened(now),
            Traffic::FrameToClient(frame) => self.client.handle_ws_frame(now, frame),
            Traffic::WsClosedByServer => self.client.handle_ws_closed(now, false),
        }
    }

    /// A GET is a handshake (it creates the session, which answers it with the `open` packet) or a
    /// long-poll the session holds until it has something to send. `Ok` means "answered later".
    fn serve_get(&mut self, query: &str) -> Result<(), TransportFailure> {
        let now = self.now;
        let route = route_request(
            Method::Get,
            &Query::parse(query),
            false,
            &self.server_config,
        )
        .map_err(|error| refused(error.http_status()))?;
        match route {
            Route::Handshake { transport } => {
                let session = ServerSession::new(now, SID.into(), transport, self.server_config);
                self.server = Some(session);
                Ok(())
            }
            Route::Session { .. } => self
                .session()
                .handle_poll(now)
                .map_err(|error| refused(error.http_status())),
        }
    }

    /// A POST body goes to the session (here in one chunk; a runtime feeds chunks as they arrive).
    fn serve_post(&mut self, query: &str, body: Bytes) -> Result<(), TransportFailure> {
        let now = self.now;
        route_request(
            Method::Post,
            &Query::parse(query),
            false,
            &self.server_config,
        )
        .map_err(|error| refused(error.http_status()))?;
        let session = self.session();
        session
            .handle_post_start(now)
            .map_err(|error| refused(error.http_status()))?;
        session
            .handle_post_data(now, body)
            .and_then(|()| session.handle_post_end(now))
            .map_err(|error| refused(error.http_status()))
    }

    /// A WebSocket with the session's id becomes the probe of an upgrade.
    fn serve_websocket(&mut self, query: &str) -> Result<(), TransportFailure> {
        let now = self.now;
        route_request(Method::Get, &Query::parse(query), true, &self.server_config)
            .map_err(|error| refused(error.http_status()))?;
        self.session()
            .handle_upgrade_request(now)
            .map_err(|error| refused(error.http_status()))
    }

    fn session(&mut self) -> &mut ServerSession {
        self.server.as_mut().expect("the handshake came first")
    }

    fn print_event(&self, side: &str, what: &str) {
        println!(
            "[{:>5} ms]     {side} app: {what}",
            self.now.as_micros() / 1000
        );
    }
}

/// The server refused a request with this HTTP status.
fn refused(status: u16) -> TransportFailure {
    TransportFailure::HttpStatus(status)
}

fn section(title: &str) {
    println!("\n--- {title} ---");
}

fn describe(traffic: &Traffic) -> String {
    match traffic {
        Traffic::Get(query) => format!("client -> server  GET   ?{query}"),
        Traffic::Post(query, body) => {
            format!("client -> server  POST  ?{query}  {}", payload(body))
        }
        Traffic::WsOpen(query) => format!("client -> server  WS    connect ?{query}"),
        Traffic::FrameToServer(frame) => format!("client -> server  WS    {}", show_frame(frame)),
        Traffic::WsClosedByClient => "client -> server  WS    close".into(),
        Traffic::GetAnswer(Ok(body)) => format!("server -> client  200   {}", payload(body)),
        Traffic::PostAnswer(Ok(())) => "server -> client  200   ok".into(),
        Traffic::GetAnswer(Err(failure)) | Traffic::PostAnswer(Err(failure)) => {
            format!("server -> client  {failure:?}")
        }
        Traffic::WsAccepted => "server -> client  WS    101 Switching Protocols".into(),
        Traffic::FrameToClient(frame) => format!("server -> client  WS    {}", show_frame(frame)),
        Traffic::WsClosedByServer => "server -> client  WS    close".into(),
    }
}

/// A long-polling payload, with the record separator between packets shown as `␞`.
fn payload(body: &Bytes) -> String {
    String::from_utf8_lossy(body).replace('\u{1e}', "␞")
}

fn show_frame(frame: &Frame) -> String {
    match frame {
        Frame::Text(text) => text.to_string(),
        Frame::Binary(bytes) => format!("<binary {:02x?}>", &bytes[..]),
    }
}

fn show_message(message: &Message) -> String {
    match message {
        Message::Text(text) => format!("message {:?}", text.as_str()),
        Message::Binary(bytes) => format!("binary message {:02x?}", &bytes[..]),
    }
}

fn client_event(event: &client::Event) -> String {
    match event {
        client::Event::Open(handshake) => format!(
            "open, sid {:?}, ping every {} ms, timeout {} ms, upgrades {:?}",
            handshake.sid, handshake.ping_interval, handshake.ping_timeout, handshake.upgrades
        ),
        client::Event::Message(message) => show_message(message),
        client::Event::Upgrading => "probe answered, pausing polling".into(),
        client::Event::Upgraded => "now on WebSocket".into(),
        client::Event::UpgradeFailed => "upgrade failed, staying on polling".into(),
        client::Event::Closed(reason) => format!("closed ({reason})"),
    }
}

fn server_event(event: &server::Event) -> String {
    match event {
        server::Event::Message(message) => show_message(message),
        server::Event::Upgrading => "probe answered, upgrading".into(),
        server::Event::Upgraded => "now on WebSocket".into(),
        server::Event::Closed(reason) => format!("closed ({reason})"),
    }
}
