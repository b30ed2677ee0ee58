//! Socket ids from caller-supplied random bytes.

use crate::adapter::SocketId;

/// How many random bytes make a socket id (as the reference's `base64id`: 120 bits).
pub const SOCKET_ID_RANDOM_BYTES: usize = 15;

const URL_SAFE_ALPHABET: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// A socket id: the url-safe base64 of 15 random bytes, 20 characters without padding.
///
/// The bytes must come from a CSPRNG: the id is public, but guessing another client's id must stay
/// infeasible. This crate draws no randomness itself; the runtime supplies the bytes.
pub fn socket_id_from_random(random: &[u8; SOCKET_ID_RANDOM_BYTES]) -> SocketId {
    let mut text = [0u8; SOCKET_ID_RANDOM_BYTES / 3 * 4];
    for (group, out) in random.chunks_exact(3).zip(text.chunks_exact_mut(4)) {
        let bits = u32::from(group[0]) << 16 | u32::from(group[1]) << 8 | u32::from(group[2]);
        for (i, slot) in out.iter_mut().enumerate() {
            let index = (bits >> (18 - 6 * i)) & 0x3f;
            *slot = URL_SAFE_ALPHABET[index as usize];
        }
    }
    // Every byte comes from the ASCII alphabet above.
    SocketId::new(core::str::from_utf8(&text).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_as_url_safe_base64() {
        // 0xfb 0xff 0xbf -> "-_-_" in url-safe base64 ("+/+/" in standard base64).
        let mut random = [0u8; SOCKET_ID_RANDOM_BYTES];
        random[..3].copy_from_slice(&[0xfb, 0xff, 0xbf]);
        random[12..].copy_from_slice(b"Man");
        let id = socket_id_from_random(&random);
        assert_eq!(id.as_str(), "-_-_AAAAAAAAAAAATWFu");
    }
}
