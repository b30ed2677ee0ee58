//! A Socket.IO server on a hand-written event loop: the sans-IO machines of [`engineio_proto`] and
//! [`socketio_proto`] driven over `std::net` by one thread, with no async runtime, no HTTP library
//! and no locks. It is small on purpose: read it as the guide to embedding the machines in any
//! runtime, be it an epoll loop, a game loop, an embedded superloop or an async executor.
//!
//! # The machines
//!
//! Each client session is two machines stacked, neither of which does any I/O or reads a clock:
//!
//! - [`ServerSession`](engineio_proto::server::ServerSession) (Engine.IO): the transports. It is
//!   fed whole HTTP requests (a GET to hold, a POST body in chunks), WebSocket frames and time, and
//!   answers with poll responses, frames to send, and messages.
//! - [`ServerConnection`](socketio_proto::server::ServerConnection) (Socket.IO): the namespaces. It
//!   is fed the engine's messages, and answers with messages for the engine and events for the
//!   application (connection requests, events, acks, disconnections).
//!
//! Both have the same surface: inputs are `handle_*(now, ..)` calls and commands (`send`,
//! `emit`, `ack`, `close`...); outputs are pulled with `poll_output()` until it returns `None`;
//! `poll_timeout()` says when `handle_timeout(now)` must be called next.
//!
//! # The loop
//!
//! ```text
//! loop {
//!     now = clock.now()                                  one reading per turn, for every input
//!
//!     // 1. inputs                                       Server::accept, Server::read
//!     for each new TCP connection: add it to the table (up to a bound)
//!     for each connection, read what arrived:
//!         an HTTP request head  -> route_request(method, query, is_upgrade)
//!             error             -> 400/403 with {"code":N,"message":".."}
//!             Handshake         -> a fresh sid, ServerSession::new + ServerConnection::new
//!             polling GET       -> engine.handle_poll(now)             (the GET is held)
//!             polling POST      -> engine.handle_post_start(now), then the body in chunks:
//!                                  engine.handle_post_data(now, ..), engine.handle_post_end(now)
//!             WebSocket         -> engine.handle_upgrade_request(now), then 101
//!         a WebSocket frame     -> engine.handle_ws_frame(now, frame)
//!         a connection lost     -> engine.handle_poll_aborted / handle_post_aborted /
//!                                  handle_ws_closed(now, ..)
//!         after each input: drain the session (below)
//!
//!     // 2. time                                         Server::expire
//!     for each session whose poll_timeout() <= now: handle_timeout(now), then drain it
//!     drop connections past their own deadline (a stalled request, an unfinished close)
//!
//!     // 3. output                                       Server::write
//!     write what the sockets could not take earlier; close the connections that are done
//!
//!     // 4. wait                                         Server::pause
//!     if nothing happened: sleep until the earliest poll_timeout(), at most `idle_wait`
//! }
//!
//! drain(session):                                        Session::drain
//!     until both machines return None:
//!         engine.poll_output():
//!             PollResponse(payload)   -> answer the held GET
//!             WsFrame(frame)          -> send it on the session's WebSocket
//!             CloseWebSocket          -> close it; it is no longer the session's
//!             Event::Message(m)       -> socket_io.handle_message(now, m)
//!             Event::Closed(reason)   -> socket_io.handle_engine_closed(now, reason); drop the session
//!         socket_io.poll_output():
//!             Send(m)                 -> engine.send(m)
//!             CloseEngine             -> engine.close(now)
//!             Event(e)                -> the application (echo.rs), which answers with commands:
//!                                        accept, emit, emit_with_ack, ack, disconnect...
//! ```
//!
//! # What the loop must keep
//!
//! - **One `now` per turn, given to every input.** The machines never read a clock; a heartbeat
//!   or an ack deadline is only as right as the times they are given ([`clock`]).
//! - **Drain after every input,** until both machines return `None`: an output left in a machine is
//!   a response never sent. The two machines talk only through the drain.
//! - **Honour `poll_timeout()`.** Pings, the ping timeout, the upgrade probe, the connect timeout
//!   and ack timeouts all happen in `handle_timeout(now)`, and only if it is called. The loop's
//!   own deadlines (a slow request, an unfinished close) are kept the same way.
//! - **Bound everything.** The machines bound their own queues (`max_payload`,
//!   `max_buffered_packets`, namespaces, acks); the loop bounds what is around them: connections,
//!   sessions, request heads, bytes read ahead and bytes unsent ([`Config`]). A client that does not
//!   keep up is closed, never buffered without end.
//! - **Bad input is the protocol's error, never a panic.** An Engine.IO request the router or a
//!   session refuses gets its status and `{"code":N,"message":".."}`; bytes that are not HTTP get
//!   `400`; a session fed bytes that are not packets closes with `parse error`. The server goes on.
//! - **Randomness comes from the caller.** Session ids and socket ids are drawn here ([`random`]).
//!
//! # Porting it
//!
//! The standard library cannot wait for "any of these sockets is readable", so the wait step
//! sleeps at most [`Config::idle_wait`] and the next turn tries every socket. With a readiness API
//! (epoll, kqueue, IOCP, `poll(2)`, an embedded network stack's events), wait for readiness with
//! the earliest `poll_timeout()` as the timeout instead, and read only the sockets that are ready:
//! nothing else changes. In an async runtime, one task per session can own its two machines and
//! `select` over its sockets and a timer at the deadline (the `socketio-tokio` and `socketio-smol`
//! crates do that). On a board without `std`, the machines build with `alloc` only; the HTTP and
//! WebSocket layers here are the parts to replace.
//!
//! # Layout
//!
//! - [`server`]: the loop, and what each HTTP request and WebSocket frame means for a session.
//! - [`session`]: one session's two machines and the drain between them.
//! - [`echo`]: the application, an echo like the conformance server's.
//! - [`peer`], [`wire`], [`http`]: a connection's state, its non-blocking socket, the HTTP it speaks.
//! - [`clock`], [`random`]: time and ids, which the machines take from the caller.

pub mod clock;
pub mod config;
pub mod echo;
pub mod http;
pub mod peer;
pub mod random;
pub mod server;
pub mod session;
pub mod wire;

pub use config::Config;
pub use server::Server;
