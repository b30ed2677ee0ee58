//! Socket.IO protocol v5 as sans-IO state machines, on top of `engineio-proto`.
#![no_std]

extern crate alloc;

pub mod adapter;
pub mod client;
pub mod packet;
pub mod server;
