//! `NamespaceName`: a validated namespace name.

use core::borrow::Borrow;
use core::cmp::Ordering;
use core::fmt;
use core::hash::{Hash, Hasher};
use core::ops::Deref;

use engineio_proto::Utf8Bytes;

use super::error::InvalidNamespace;

/// A namespace name: starts with `/`, contains no `,`. The main namespace is `/`.
///
/// Compares, orders and hashes as its text, so a map keyed by `NamespaceName` can be searched with a `&str`.
#[derive(Clone)]
pub struct NamespaceName(Utf8Bytes);

impl NamespaceName {
    /// The main namespace, `/`.
    pub const fn main() -> Self {
        NamespaceName(Utf8Bytes::from_static("/"))
    }

    /// Checks and wraps a name.
    pub fn new(name: impl Into<Utf8Bytes>) -> Result<Self, InvalidNamespace> {
        let name = name.into();
        if is_valid(name.as_bytes()) {
            Ok(NamespaceName(name))
        } else {
            Err(InvalidNamespace)
        }
    }

    /// Wraps a `'static` name without copying.
    ///
    /// # Panics
    /// If the name is invalid: a programming error, caught at compile time in a `const`.
    pub const fn from_static(name: &'static str) -> Self {
        assert!(
            is_valid(name.as_bytes()),
            "invalid namespace: must start with '/' and contain no ','"
        );
        NamespaceName(Utf8Bytes::from_static(name))
    }

    /// Wraps text the decoder has already checked.
    pub(super) fn from_checked(name: Utf8Bytes) -> Self {
        debug_assert!(is_valid(name.as_bytes()));
        NamespaceName(name)
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The name as shared bytes.
    pub fn as_utf8_bytes(&self) -> &Utf8Bytes {
        &self.0
    }

    /// Whether this is the main namespace `/` (left out on the wire).
    pub fn is_main(&self) -> bool {
        self.as_str() == "/"
    }
}

const fn is_valid(name: &[u8]) -> bool {
    if name.is_empty() || name[0] != b'/' {
        return false;
    }
    let mut i = 1;
    while i < name.len() {
        if name[i] == b',' {
            return false;
        }
        i += 1;
    }
    true
}

impl Default for NamespaceName {
    fn default() -> Self {
        NamespaceName::main()
    }
}

impl TryFrom<&str> for NamespaceName {
    type Error = InvalidNamespace;

    fn try_from(name: &str) -> Result<Self, InvalidNamespace> {
        NamespaceName::new(alloc::string::String::from(name))
    }
}

impl Deref for NamespaceName {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for NamespaceName {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl Borrow<str> for NamespaceName {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq for NamespaceName {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for NamespaceName {}

impl PartialEq<str> for NamespaceName {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for NamespaceName {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialOrd for NamespaceName {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for NamespaceName {
    fn cmp(&self, other: &Self) -> Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl Hash for NamespaceName {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // Must hash like `str` for `Borrow<str>` lookups.
        self.as_str().hash(state);
    }
}

impl fmt::Debug for NamespaceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for NamespaceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_names() {
        assert!(NamespaceName::new("/").unwrap().is_main());
        assert_eq!(NamespaceName::new("/chat/é").unwrap(), "/chat/é");
        assert_eq!(NamespaceName::new(""), Err(InvalidNamespace));
        assert_eq!(NamespaceName::new("chat"), Err(InvalidNamespace));
        assert_eq!(NamespaceName::new("/a,b"), Err(InvalidNamespace));
        assert!(!NamespaceName::from_static("/admin").is_main());
    }
}
