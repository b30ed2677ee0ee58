//! Socket.IO protocol v5 as sans-IO state machines, on top of `engineio-proto`; and, for Socket.IO 1
//! and 2 peers over Engine.IO revision 3, protocol v4 ([`v4`]).
#![no_std]

extern crate alloc;

pub mod adapter;
pub mod client;
pub mod packet;
pub mod parser;
pub mod recovery;
pub mod server;
pub mod v4;
