//! Session ids: 120 bits from the operating system's CSPRNG, url-safe base64.

use std::io;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Makes session ids. Replace it (for example with a test's deterministic one) through
/// [`EngineBuilder::sid_generator`](crate::EngineBuilder::sid_generator); an id must be url-safe
/// and unguessable.
pub type SidGenerator = Arc<dyn Fn() -> io::Result<String> + Send + Sync>;

/// 15 random bytes (120 bits, as the reference's `base64id`) in url-safe base64: 20 characters.
pub fn random_sid() -> io::Result<String> {
    let mut bytes = [0u8; 15];
    getrandom::fill(&mut bytes).map_err(io::Error::other)?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_url_safe_and_distinct() {
        let a = random_sid().unwrap();
        let b = random_sid().unwrap();
        assert_eq!(a.len(), 20);
        assert_ne!(a, b);
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        );
    }
}
