//! Ids the machines take from the caller: Engine.IO session ids and Socket.IO socket ids.
//!
//! The standard library has no public CSPRNG, but it keys its `HashMap` hasher (SipHash, a keyed
//! pseudo-random function) with secret bytes from the operating system's. Hashing a counter under
//! such a key gives bytes nobody without the key can predict. A runtime that has a CSPRNG at hand
//! (`getrandom`, a hardware RNG) should simply fill the bytes from it.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;

use socketio_proto::adapter::SocketId;
use socketio_proto::server::{SOCKET_ID_RANDOM_BYTES, socket_id_from_random};

/// A source of unguessable ids.
#[derive(Debug)]
pub struct Ids {
    key: RandomState,
    counter: u64,
}

impl Ids {
    /// A source keyed with fresh secret bytes from the operating system.
    pub fn new() -> Self {
        Ids {
            key: RandomState::new(),
            counter: 0,
        }
    }

    /// A fresh id: 120 unpredictable bits in url-safe base64 (20 characters), the shape of both
    /// the reference's session ids and its socket ids.
    pub fn draw(&mut self) -> SocketId {
        let mut random = [0u8; SOCKET_ID_RANDOM_BYTES];
        for chunk in random.chunks_mut(8) {
            self.counter += 1;
            let word = self.key.hash_one(self.counter).to_le_bytes();
            chunk.copy_from_slice(&word[..chunk.len()]);
        }
        socket_id_from_random(&random)
    }
}

impl Default for Ids {
    fn default() -> Self {
        Ids::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_distinct_and_url_safe() {
        let mut ids = Ids::new();
        let (a, b) = (ids.draw(), ids.draw());
        assert_ne!(a, b);
        assert_eq!(a.as_str().len(), 20);
        assert!(
            a.as_str()
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        );
        assert_ne!(
            Ids::new().draw(),
            Ids::new().draw(),
            "each source has its own key"
        );
    }
}
