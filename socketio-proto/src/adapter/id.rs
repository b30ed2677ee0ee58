//! `SocketId` and `Room`: small immutable strings that are cheap to clone, compare and hash.

use alloc::string::String;
use alloc::sync::Arc;
use core::cmp::Ordering;
use core::fmt;
use core::hash::{Hash, Hasher};
use core::ops::Deref;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Longest string kept inline; chosen so the whole value is 24 bytes, and a 20-character socket id fits.
const INLINE_CAPACITY: usize = 22;

/// An immutable string stored inline when short, else shared behind an `Arc`.
///
/// Broadcasts hash and compare thousands of socket ids; keeping them inline avoids a pointer chase per
/// comparison and makes a clone a plain copy. The representation is canonical (inline exactly when the
/// text fits), so comparing representations is comparing text.
#[derive(Clone)]
enum SmallStr {
    Inline {
        len: u8,
        bytes: [u8; INLINE_CAPACITY],
    },
    Shared(Arc<str>),
}

impl SmallStr {
    fn new(text: &str) -> Self {
        match inline(text) {
            Some((len, bytes)) => SmallStr::Inline { len, bytes },
            None => SmallStr::Shared(Arc::from(text)),
        }
    }

    fn from_string(text: String) -> Self {
        if text.len() <= INLINE_CAPACITY {
            SmallStr::new(&text)
        } else {
            SmallStr::Shared(Arc::from(text))
        }
    }

    fn as_str(&self) -> &str {
        match self {
            SmallStr::Inline { len, bytes } => {
                let bytes = &bytes[..usize::from(*len)];
                // SAFETY: the bytes were copied from a `&str` in `new` and are never mutated.
                unsafe { core::str::from_utf8_unchecked(bytes) }
            }
            SmallStr::Shared(text) => text,
        }
    }
}

impl PartialEq for SmallStr {
    #[inline]
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (
                SmallStr::Inline { len, bytes },
                SmallStr::Inline {
                    len: other_len,
                    bytes: other_bytes,
                },
            ) => len == other_len && bytes == other_bytes,
            (SmallStr::Shared(text), SmallStr::Shared(other)) => {
                Arc::ptr_eq(text, other) || **text == **other
            }
            _ => false,
        }
    }
}

impl Eq for SmallStr {}

/// `text` as the inline representation, if it fits.
#[inline]
fn inline(text: &str) -> Option<(u8, [u8; INLINE_CAPACITY])> {
    let len = u8::try_from(text.len())
        .ok()
        .filter(|&len| usize::from(len) <= INLINE_CAPACITY)?;
    let mut bytes = [0; INLINE_CAPACITY];
    bytes[..text.len()].copy_from_slice(text.as_bytes());
    Some((len, bytes))
}

/// Hashes an inline string as three machine words: much faster than hashing it as a byte string
/// (ids are hashed on every membership check of a broadcast), and prefix-free since the length is
/// part of the first word.
#[inline]
fn hash_inline<H: Hasher>(len: u8, bytes: &[u8; INLINE_CAPACITY], state: &mut H) {
    let mut padded = [0u8; INLINE_CAPACITY + 2];
    padded[0] = len;
    padded[1..=INLINE_CAPACITY].copy_from_slice(bytes);
    for word in padded.chunks_exact(8) {
        let mut chunk = [0u8; 8];
        chunk.copy_from_slice(word);
        state.write_u64(u64::from_le_bytes(chunk));
    }
}

// Inline and shared strings are never equal (the representation is canonical), so they may hash
// differently; `Text` hashes the same way, so a `&str` can look up either.
impl Hash for SmallStr {
    #[inline]
    fn hash<H: Hasher>(&self, state: &mut H) {
        match self {
            SmallStr::Inline { len, bytes } => hash_inline(*len, bytes, state),
            SmallStr::Shared(text) => hash_long(text, state),
        }
    }
}

/// Kept out of line so the inline case stays small enough to be inlined into lookups.
#[inline(never)]
fn hash_long<H: Hasher>(text: &str, state: &mut H) {
    text.hash(state)
}

/// A borrowed string used to look up `SocketId` / `Room` keys without building one (which would
/// allocate for long text).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Text<'a>(pub(crate) &'a str);

impl Hash for Text<'_> {
    #[inline]
    fn hash<H: Hasher>(&self, state: &mut H) {
        match inline(self.0) {
            Some((len, bytes)) => hash_inline(len, &bytes, state),
            None => hash_long(self.0, state),
        }
    }
}

macro_rules! small_string_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq)]
        pub struct $name(SmallStr);

        impl $name {
            /// Makes one from text (copied inline when short, else into one shared allocation).
            pub fn new(text: &str) -> Self {
                $name(SmallStr::new(text))
            }

            /// The text.
            pub fn as_str(&self) -> &str {
                self.0.as_str()
            }
        }

        impl Deref for $name {
            type Target = str;

            fn deref(&self) -> &str {
                self.as_str()
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }

        impl Hash for $name {
            #[inline]
            fn hash<H: Hasher>(&self, state: &mut H) {
                self.0.hash(state)
            }
        }

        impl hashbrown::Equivalent<$name> for Text<'_> {
            #[inline]
            fn equivalent(&self, key: &$name) -> bool {
                self.0 == key.as_str()
            }
        }

        impl Ord for $name {
            fn cmp(&self, other: &Self) -> Ordering {
                self.as_str().cmp(other.as_str())
            }
        }

        impl PartialOrd for $name {
            fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
                Some(self.cmp(other))
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.as_str() == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }

        impl From<&str> for $name {
            fn from(text: &str) -> Self {
                $name::new(text)
            }
        }

        impl From<String> for $name {
            fn from(text: String) -> Self {
                $name(SmallStr::from_string(text))
            }
        }

        impl From<&String> for $name {
            fn from(text: &String) -> Self {
                $name::new(text)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(self.as_str(), f)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                deserializer.deserialize_str(SmallStrVisitor).map($name)
            }
        }
    };
}

small_string_type!(
    /// A socket's public id: 20 url-safe characters when the server generates it, but any text is accepted
    /// (applications may choose their own ids, and remote servers send theirs).
    SocketId
);

small_string_type!(
    /// A room name. Every socket is in the room named after its own id, so `Room::from(&sid)` is a copy.
    Room
);

impl From<&SocketId> for Room {
    fn from(sid: &SocketId) -> Self {
        Room(sid.0.clone())
    }
}

impl From<SocketId> for Room {
    fn from(sid: SocketId) -> Self {
        Room(sid.0)
    }
}

struct SmallStrVisitor;

impl serde::de::Visitor<'_> for SmallStrVisitor {
    type Value = SmallStr;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<SmallStr, E> {
        Ok(SmallStr::new(text))
    }

    fn visit_string<E: serde::de::Error>(self, text: String) -> Result<SmallStr, E> {
        Ok(SmallStr::from_string(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use core::hash::BuildHasher;

    #[test]
    fn a_generated_socket_id_fits_inline_in_24_bytes() {
        assert_eq!(core::mem::size_of::<SocketId>(), 24);
        let sid = SocketId::new("AbCdEfGhIjKlMnOpQrSt");
        assert!(matches!(sid.0, SmallStr::Inline { len: 20, .. }));
        assert_eq!(sid, "AbCdEfGhIjKlMnOpQrSt");
    }

    #[test]
    fn long_text_is_shared_and_equal_by_content() {
        let long = "a room name that is longer than twenty-two bytes";
        let a = Room::new(long);
        let b = Room::from(long.to_string());
        assert!(matches!(a.0, SmallStr::Shared(_)));
        assert_eq!(a, b);
        assert_eq!(a.as_str(), long);
        assert_ne!(a, Room::new("short"));
    }

    #[test]
    fn inline_boundary_and_multibyte_text() {
        let at_capacity = "x".repeat(INLINE_CAPACITY);
        let over = "x".repeat(INLINE_CAPACITY + 1);
        assert!(matches!(Room::new(&at_capacity).0, SmallStr::Inline { .. }));
        assert!(matches!(Room::new(&over).0, SmallStr::Shared(_)));
        assert_eq!(Room::new("salle é 🚀").as_str(), "salle é 🚀");
        assert_eq!(Room::new(""), "");
    }

    #[test]
    fn text_hashes_like_the_key_it_finds() {
        let hasher = hashbrown::DefaultHashBuilder::default();
        let long = "z".repeat(40);
        for text in [
            "",
            "lobby",
            "AbCdEfGhIjKlMnOpQrSt",
            "x".repeat(22).as_str(),
            long.as_str(),
        ] {
            assert_eq!(
                hasher.hash_one(Room::new(text)),
                hasher.hash_one(Text(text)),
                "{text}"
            );
            assert_eq!(
                hasher.hash_one(SocketId::new(text)),
                hasher.hash_one(Text(text))
            );
        }
        // The length is hashed: "a" and "a\0" differ although their padded bytes agree.
        assert_ne!(
            hasher.hash_one(Room::new("a")),
            hasher.hash_one(Room::new("a\0"))
        );
        let mut set = hashbrown::HashSet::new();
        set.insert(Room::new("lobby"));
        set.insert(Room::new(&long));
        assert!(set.contains(&Text("lobby")) && set.contains(&Text(&long)));
        assert!(!set.contains(&Text("lobb")));
    }

    #[test]
    fn order_is_by_text() {
        let long = "z".repeat(40);
        assert!(Room::new(&long) > Room::new("a"));
        assert!(Room::new("b") > Room::new(&"a".repeat(40)));
    }

    #[test]
    fn own_id_room_has_the_socket_ids_text() {
        let sid = SocketId::new("abc");
        assert_eq!(Room::from(&sid), "abc");
    }

    #[test]
    fn serializes_as_a_plain_string() {
        let room = Room::new("r1");
        assert_eq!(serde_json::to_string(&room).unwrap(), "\"r1\"");
        let back: SocketId = serde_json::from_str("\"s\\u00e9\"").unwrap();
        assert_eq!(back, "sé");
        assert!(serde_json::from_str::<Room>("12").is_err());
    }
}
