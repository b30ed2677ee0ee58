//! `Utf8Bytes`: shared, cheaply sliced bytes that are known to be UTF-8.

use bytes::Bytes;
use core::fmt;
use core::ops::Deref;

/// Reference-counted bytes that are valid UTF-8.
///
/// Text packets are sliced out of the frame or HTTP body that carried them without copying;
/// UTF-8 is checked once, when the value is made.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Utf8Bytes(Bytes);

impl Utf8Bytes {
    /// An empty string.
    pub const fn new() -> Self {
        Utf8Bytes(Bytes::new())
    }

    /// Wraps a `'static` string without copying.
    pub const fn from_static(text: &'static str) -> Self {
        Utf8Bytes(Bytes::from_static(text.as_bytes()))
    }

    /// Checks that `bytes` are UTF-8 and wraps them without copying.
    pub fn try_from_bytes(bytes: Bytes) -> Result<Self, core::str::Utf8Error> {
        core::str::from_utf8(&bytes)?;
        Ok(Utf8Bytes(bytes))
    }

    /// Wraps `bytes` without checking them, for bytes another type already guarantees to be UTF-8
    /// (a WebSocket library's text message, say): checking again would cost a pass per message.
    ///
    /// # Safety
    /// `bytes` must be valid UTF-8.
    pub unsafe fn from_bytes_unchecked(bytes: Bytes) -> Self {
        Utf8Bytes(bytes)
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        // SAFETY: every constructor checks or guarantees UTF-8, and `Bytes` is immutable.
        unsafe { core::str::from_utf8_unchecked(&self.0) }
    }

    /// The underlying bytes.
    pub fn as_bytes(&self) -> &Bytes {
        &self.0
    }

    /// Unwraps the underlying bytes.
    pub fn into_bytes(self) -> Bytes {
        self.0
    }

    /// A zero-copy slice `[start, end)` of the text, or `None` if the bounds are out of range or do not
    /// fall on character boundaries.
    pub fn slice(&self, start: usize, end: usize) -> Option<Self> {
        let text = self.as_str();
        if start <= end
            && text.is_char_boundary(start)
            && text.is_char_boundary(end)
            && end <= text.len()
        {
            Some(Utf8Bytes(self.0.slice(start..end)))
        } else {
            None
        }
    }

    /// The text from byte `start` on, in this same handle: unlike [`slice`](Self::slice), no
    /// reference count is touched. `None` if `start` is out of range or not on a character boundary.
    #[inline]
    pub fn into_suffix(mut self, start: usize) -> Option<Self> {
        if !self.as_str().is_char_boundary(start) {
            return None;
        }
        bytes::Buf::advance(&mut self.0, start);
        Some(self)
    }
}

impl Deref for Utf8Bytes {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Utf8Bytes {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl From<alloc::string::String> for Utf8Bytes {
    fn from(text: alloc::string::String) -> Self {
        Utf8Bytes(Bytes::from(text.into_bytes()))
    }
}

impl From<&'static str> for Utf8Bytes {
    fn from(text: &'static str) -> Self {
        Utf8Bytes::from_static(text)
    }
}

impl From<Utf8Bytes> for Bytes {
    fn from(text: Utf8Bytes) -> Bytes {
        text.0
    }
}

impl PartialEq<str> for Utf8Bytes {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Utf8Bytes {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl fmt::Debug for Utf8Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Utf8Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_invalid_utf8_and_slices_on_boundaries() {
        assert!(Utf8Bytes::try_from_bytes(Bytes::from_static(b"\xff")).is_err());
        let text = Utf8Bytes::try_from_bytes(Bytes::from_static("aé b".as_bytes())).unwrap();
        assert_eq!(text.slice(0, 1).unwrap(), "a");
        assert!(text.slice(0, 2).is_none(), "inside the two-byte é");
        assert_eq!(text.slice(1, 3).unwrap(), "é");
        assert!(text.slice(3, 99).is_none());
        assert_eq!(text.clone().into_suffix(3).unwrap(), " b");
        assert_eq!(text.clone().into_suffix(5).unwrap(), "");
        assert!(
            text.clone().into_suffix(2).is_none(),
            "inside the two-byte é"
        );
        assert!(text.into_suffix(6).is_none());
    }
}
