//! Proves the proto crates build without `std`: this crate is `no_std` and brings its own panic handler,
//! which would clash with `std`'s if any dependency linked it.
#![no_std]

use engineio_proto::{Packet, Utf8Bytes};

/// Decodes a packet, so the crates are really used.
pub fn decode(text: &'static str) -> bool {
    Packet::decode_text(Utf8Bytes::from_static(text)).is_ok()
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    loop {}
}
