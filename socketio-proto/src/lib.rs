//! Socket.IO protocol v5 as sans-IO state machines, on top of `engineio-proto`; and, for Socket.IO 1
//! and 2 peers over Engine.IO revision 3, protocol v4 ([`v4`]).
//!
//! The machines take Engine.IO messages and time as values and give back what to send, in the
//! shape `engineio-proto`'s crate docs describe (`handle_*(now, ..)`, commands, `poll_output()`):
//!
//! - [`server::ServerConnection`]: one per Engine.IO session on a server, its namespace sockets,
//!   acks both ways and the connect timeout; rooms and broadcast selection are in [`adapter`];
//! - [`client::Manager`] for a client's namespaces over one Engine.IO session, and
//!   [`client::stack::Stack`], the whole client (manager, Engine.IO sessions, reconnection) as one
//!   machine;
//! - [`packet`]: the packets, their attachments and the JSON codec; [`parser`]: the seam a parser
//!   plugs into, with the msgpack parser behind the `msgpack` feature; [`recovery`]: the store behind
//!   connection state recovery.
//!
//! A server connection answering a client that joins `/` and asks for an acknowledgement:
//!
//! ```
//! use engineio_proto::{Instant, Message};
//! use socketio_proto::packet::Payload;
//! use socketio_proto::server::{
//!     Event, Output, SOCKET_ID_RANDOM_BYTES, ServerConnection, ServerConnectionConfig,
//!     socket_id_from_random,
//! };
//!
//! let now = Instant::from_millis(0); // the caller's clock
//! let mut conn = ServerConnection::new(now, ServerConnectionConfig::default());
//!
//! // The client's CONNECT for `/`: the application's middleware decides, here it accepts.
//! conn.handle_message(now, Message::text("0".to_owned()));
//! let Some(Output::Event(Event::ConnectRequest { namespace, .. })) = conn.poll_output() else {
//!     panic!("a connect request")
//! };
//! let id = socket_id_from_random(&[7; SOCKET_ID_RANDOM_BYTES]); // random bytes from the caller
//! conn.accept(now, namespace.as_str(), id).unwrap();
//! let Some(Output::Send(reply)) = conn.poll_output() else { panic!("the CONNECT reply") };
//! assert!(matches!(&reply, Message::Text(text) if text.starts_with(r#"0{"sid":""#)));
//! assert!(matches!(conn.poll_output(), Some(Output::Event(Event::Connected { .. }))));
//!
//! // `socket.emit("add", 1, 2, ack)` on the client: an EVENT with ack id 5.
//! conn.handle_message(now, Message::text(r#"25["add",1,2]"#.to_owned()));
//! let Some(Output::Event(Event::Event { args, ack: Some(ack), .. })) = conn.poll_output() else {
//!     panic!("an event")
//! };
//! assert_eq!(args.event_name().as_deref(), Some("add"));
//! let (a, b): (i64, i64) = args.event_args().unwrap();
//! conn.ack("/", ack, Payload::new(&(a + b,)).unwrap()).unwrap();
//! assert_eq!(
//!     conn.poll_output(),
//!     Some(Output::Send(Message::text("35[3]".to_owned())))
//! );
//! ```
#![no_std]

extern crate alloc;

pub mod adapter;
pub mod client;
pub mod packet;
pub mod parser;
pub mod recovery;
pub mod server;
pub mod v4;
