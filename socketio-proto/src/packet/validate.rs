//! One pass over a payload: valid JSON, the shape its packet type requires, and, for binary packets,
//! placeholders that match the announced attachments.

use alloc::vec;
use alloc::vec::Vec;
use core::fmt;

use serde::de::{
    self, DeserializeSeed, Deserializer, Error as _, IgnoredAny, MapAccess, SeqAccess, Visitor,
};
use serde_json::error::Category;

use super::error::ParseError;
use super::placeholder::{Key, KeySeed};

/// The payload shape a packet type requires.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Shape {
    /// `CONNECT`: an object.
    Object,
    /// `CONNECT_ERROR`: an object or a string.
    ObjectOrString,
    /// Any JSON value.
    Any,
    /// `ACK`: an array.
    Array,
    /// `EVENT`: a non-empty array whose first element (the name) is a string or a number.
    EventArray,
}

/// Checks `json` against `shape`; when `attachments` is non-zero, also checks that it holds exactly
/// one valid placeholder for each index below `attachments` (arrays only).
pub(super) fn validate(json: &str, shape: Shape, attachments: usize) -> Result<(), ParseError> {
    let mut placeholders = Placeholders::new(attachments);
    let mut deserializer = serde_json::Deserializer::from_str(json);
    let checked = ShapeSeed {
        shape,
        placeholders: &mut placeholders,
    }
    .deserialize(&mut deserializer)
    .and_then(|()| deserializer.end());
    if let Err(error) = checked {
        return Err(placeholders.error.take().unwrap_or(match error.classify() {
            Category::Data => ParseError::InvalidPayload,
            Category::Io | Category::Syntax | Category::Eof => ParseError::InvalidJson,
        }));
    }
    placeholders.finish()
}

/// The placeholders found so far, against the announced count.
struct Placeholders {
    /// One flag per announced attachment; empty when none are announced.
    seen: Vec<bool>,
    found: usize,
    /// The precise reason, when a visitor had to stop with a generic serde error.
    error: Option<ParseError>,
}

impl Placeholders {
    fn new(announced: usize) -> Self {
        // The announced count is at most the decoder's configured maximum.
        Placeholders {
            seen: vec![false; announced],
            found: 0,
            error: None,
        }
    }

    fn expected(&self) -> bool {
        !self.seen.is_empty()
    }

    fn register(&mut self, num: u64) -> bool {
        let slot = usize::try_from(num)
            .ok()
            .and_then(|num| self.seen.get_mut(num));
        match slot {
            Some(seen) if !*seen => {
                *seen = true;
                self.found += 1;
                true
            }
            _ => false,
        }
    }

    fn fail<E: de::Error>(&mut self, error: ParseError) -> E {
        self.error = Some(error.clone());
        E::custom(error)
    }

    fn finish(self) -> Result<(), ParseError> {
        if self.found == self.seen.len() {
            Ok(())
        } else {
            Err(ParseError::AttachmentCountMismatch {
                announced: self.seen.len(),
                found: self.found,
            })
        }
    }
}

struct ShapeSeed<'p> {
    shape: Shape,
    placeholders: &'p mut Placeholders,
}

impl<'de> DeserializeSeed<'de> for ShapeSeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        if self.shape == Shape::Any {
            deserializer.deserialize_ignored_any(IgnoredAny).map(drop)
        } else {
            deserializer.deserialize_any(self)
        }
    }
}

impl<'de> Visitor<'de> for ShapeSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.shape {
            Shape::Object => "an object",
            Shape::ObjectOrString => "an object or a string",
            Shape::Any => "a JSON value",
            Shape::Array => "an array",
            Shape::EventArray => "an array starting with the event name",
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        if !matches!(self.shape, Shape::Object | Shape::ObjectOrString) {
            return Err(A::Error::invalid_type(de::Unexpected::Map, &self));
        }
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(())
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<(), E> {
        if self.shape == Shape::ObjectOrString {
            Ok(())
        } else {
            Err(E::invalid_type(de::Unexpected::Str(text), &self))
        }
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        if !matches!(self.shape, Shape::Array | Shape::EventArray) {
            return Err(A::Error::invalid_type(de::Unexpected::Seq, &self));
        }
        if self.shape == Shape::EventArray && seq.next_element_seed(EventNameSeed)?.is_none() {
            return Err(A::Error::invalid_length(0, &self));
        }
        if self.placeholders.expected() {
            while seq.next_element_seed(Scan(self.placeholders))?.is_some() {}
        } else {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
        }
        Ok(())
    }
}

/// Accepts a string or a number: the reference parser also lets numeric event names through.
struct EventNameSeed;

impl<'de> DeserializeSeed<'de> for EventNameSeed {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for EventNameSeed {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an event name")
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
}

/// What a scanned value was, as far as an enclosing placeholder object cares.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Scanned {
    True,
    Index(u64),
    Other,
}

/// Walks a value, registering every placeholder in it.
struct Scan<'p>(&'p mut Placeholders);

impl<'de> DeserializeSeed<'de> for Scan<'_> {
    type Value = Scanned;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Scanned, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Scan<'_> {
    type Value = Scanned;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<Scanned, E> {
        Ok(if value { Scanned::True } else { Scanned::Other })
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Scanned, E> {
        Ok(Scanned::Index(value))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Scanned, E> {
        Ok(Scanned::Other)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Scanned, E> {
        Ok(Scanned::Other)
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Scanned, E> {
        Ok(Scanned::Other)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Scanned, E> {
        Ok(Scanned::Other)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Scanned, A::Error> {
        while seq.next_element_seed(Scan(&mut *self.0))?.is_some() {}
        Ok(Scanned::Other)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scanned, A::Error> {
        let (mut flag, mut num, mut other_keys) = (None, None, false);
        while let Some(key) = map.next_key_seed(KeySeed)? {
            let value = map.next_value_seed(Scan(&mut *self.0))?;
            match key {
                Key::Flag if flag.is_none() => flag = Some(value),
                Key::Num if num.is_none() => num = Some(value),
                _ => other_keys = true,
            }
        }
        // As in the reference parser, only `_placeholder: true` makes an object a placeholder.
        if flag == Some(Scanned::True) {
            match num {
                Some(Scanned::Index(num)) if !other_keys && self.0.register(num) => {}
                _ => return Err(self.0.fail(ParseError::InvalidPlaceholder)),
            }
        }
        Ok(Scanned::Other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_shapes() {
        assert_eq!(validate(r#"{"a":[1]}"#, Shape::Object, 0), Ok(()));
        assert_eq!(
            validate(r#"[]"#, Shape::Object, 0),
            Err(ParseError::InvalidPayload)
        );
        assert_eq!(validate(r#""x""#, Shape::ObjectOrString, 0), Ok(()));
        assert_eq!(
            validate(r#"1"#, Shape::ObjectOrString, 0),
            Err(ParseError::InvalidPayload)
        );
        assert_eq!(validate(r#"[1,{}]"#, Shape::EventArray, 0), Ok(()));
        assert_eq!(
            validate(r#"[true]"#, Shape::EventArray, 0),
            Err(ParseError::InvalidPayload)
        );
        assert_eq!(
            validate(r#"[] x"#, Shape::Array, 0),
            Err(ParseError::InvalidJson)
        );
        assert_eq!(
            validate(r#"[1,"#, Shape::Array, 0),
            Err(ParseError::InvalidJson)
        );
        assert_eq!(validate(" [ ] ", Shape::Array, 0), Ok(()));
    }

    #[test]
    fn finds_nested_placeholders_in_any_key_order() {
        let json = r#"[{"a":{"num":1,"_placeholder":true}},[{"_placeholder":true,"num":0}]]"#;
        assert_eq!(validate(json, Shape::Array, 2), Ok(()));
        assert_eq!(
            validate(json, Shape::Array, 3),
            Err(ParseError::AttachmentCountMismatch {
                announced: 3,
                found: 2
            })
        );
        let twice = r#"[{"_placeholder":true,"num":0},{"_placeholder":true,"num":0}]"#;
        assert_eq!(
            validate(twice, Shape::Array, 2),
            Err(ParseError::InvalidPlaceholder)
        );
        let not_flagged = r#"[{"_placeholder":false,"num":7},{"_placeholder":true,"num":0}]"#;
        assert_eq!(validate(not_flagged, Shape::Array, 1), Ok(()));
    }
}
