//! The attachment placeholder `{"_placeholder":true,"num":<index>}`, in one place.

use core::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, Visitor};
use serde::ser::{Serialize, SerializeStruct, Serializer};
use serde_json::Value;

pub(crate) const FLAG: &str = "_placeholder";
pub(crate) const NUM: &str = "num";

/// The placeholder for attachment `num`, for building a [`Payload`](super::Payload) from JSON values.
pub fn placeholder(num: usize) -> Value {
    let mut object = serde_json::Map::new();
    object.insert(FLAG.into(), Value::Bool(true));
    object.insert(NUM.into(), Value::from(num));
    Value::Object(object)
}

/// The attachment index if `value` is exactly a placeholder (`_placeholder: true`, an integer `num`,
/// nothing else).
pub fn placeholder_index(value: &Value) -> Option<usize> {
    let object = value.as_object()?;
    if object.len() != 2 || object.get(FLAG)? != &Value::Bool(true) {
        return None;
    }
    usize::try_from(object.get(NUM)?.as_u64()?).ok()
}

/// Serializes as the placeholder for attachment `.0`.
pub(super) struct Placeholder(pub usize);

impl Serialize for Placeholder {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut object = serializer.serialize_struct("Placeholder", 2)?;
        object.serialize_field(FLAG, &true)?;
        object.serialize_field(NUM, &self.0)?;
        object.end()
    }
}

/// A key of an object, as far as placeholders care.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Key {
    Flag,
    Num,
    Other,
}

impl Key {
    fn of(key: &str) -> Self {
        match key {
            FLAG => Key::Flag,
            NUM => Key::Num,
            _ => Key::Other,
        }
    }
}

/// Reads an object key as a [`Key`] without allocating.
pub(super) struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Key;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Key, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Key;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Key, E> {
        Ok(Key::of(key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn recognises_exact_placeholders_only() {
        assert_eq!(placeholder(3), json!({"_placeholder": true, "num": 3}));
        assert_eq!(placeholder_index(&placeholder(3)), Some(3));
        assert_eq!(
            placeholder_index(&json!({"_placeholder": true, "num": 1, "x": 0})),
            None
        );
        assert_eq!(
            placeholder_index(&json!({"_placeholder": false, "num": 1})),
            None
        );
        assert_eq!(
            placeholder_index(&json!({"_placeholder": true, "num": -1})),
            None
        );
        assert_eq!(
            placeholder_index(&json!({"_placeholder": true, "num": 0.5})),
            None
        );
        assert_eq!(
            serde_json::to_string(&Placeholder(2)).unwrap(),
            r#"{"_placeholder":true,"num":2}"#
        );
    }
}
