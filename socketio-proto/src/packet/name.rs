//! Where an event's name sits in its JSON array, and its text.
//!
//! The decoder's scan records the span of the array's first element, so routing reads the name
//! without parsing anything; only an escaped or numeric name goes through serde_json, and only that
//! one token.

use alloc::borrow::{Cow, ToOwned};
use alloc::string::ToString;
use core::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, Visitor};

/// The first element of a payload's array, as far as an event name cares. Byte offsets into the
/// payload's JSON text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum NameSpan {
    /// Not looked for: text this crate serialized. Found by scanning the first element on demand.
    Unknown,
    /// The array is empty, or its first element is neither a string nor a number.
    Absent,
    /// A string token, quotes included; `escaped` when it holds escape sequences.
    String {
        start: usize,
        end: usize,
        escaped: bool,
    },
    /// A number token.
    Number { start: usize, end: usize },
}

impl NameSpan {
    /// The name this span gives in `json`: borrowed for a string without escapes; a numeric name as
    /// its decimal text. `None` when absent, or when the token has no text: a lone surrogate escape,
    /// or a number out of `f64`'s range.
    #[inline]
    pub(super) fn text(self, json: &str) -> Option<Cow<'_, str>> {
        match self {
            NameSpan::String {
                start,
                end,
                escaped: false,
            } => json
                .get(start + 1..end.saturating_sub(1))
                .map(Cow::Borrowed),
            NameSpan::String { start, end, .. } | NameSpan::Number { start, end } => {
                parsed(json.get(start..end)?)
            }
            NameSpan::Unknown | NameSpan::Absent => None,
        }
    }

    /// Whether [`text`](Self::text) borrows the name as it is.
    pub(super) fn is_plain_string(self) -> bool {
        matches!(self, NameSpan::String { escaped: false, .. })
    }
}

/// An escaped string or a number token as a name.
#[inline(never)]
fn parsed(token: &str) -> Option<Cow<'_, str>> {
    EventName
        .deserialize(&mut serde_json::Deserializer::from_str(token))
        .ok()
}

/// Reads an escaped string or a number token as a name.
struct EventName;

impl<'de> DeserializeSeed<'de> for EventName {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for EventName {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an event name")
    }

    fn visit_borrowed_str<E: de::Error>(self, name: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(name))
    }

    fn visit_str<E: de::Error>(self, name: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(name.to_owned()))
    }

    fn visit_u64<E: de::Error>(self, name: u64) -> Result<Self::Value, E> {
        Ok(Cow::Owned(name.to_string()))
    }

    fn visit_i64<E: de::Error>(self, name: i64) -> Result<Self::Value, E> {
        Ok(Cow::Owned(name.to_string()))
    }

    fn visit_f64<E: de::Error>(self, name: f64) -> Result<Self::Value, E> {
        Ok(Cow::Owned(name.to_string()))
    }
}
