//! Deserialization with attachments: a placeholder where the target asks for bytes yields the
//! attachment.
//!
//! [`WithAttachments`] wraps any deserializer and passes every call through, wrapping visitors,
//! sequence and map accessors so that nested values are wrapped too, except `deserialize_bytes` /
//! `deserialize_byte_buf`, which read a placeholder object and hand the target the attachment's bytes
//! (borrowed for the lifetime of the payload, so `&[u8]` fields work without copying).
//! [`SkipFirst`] hides the first element of an array: an event's arguments without its name.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use bytes::Bytes;
use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, Error as _, IgnoredAny, MapAccess, SeqAccess,
    VariantAccess, Visitor,
};

use super::placeholder::{Key, KeySeed};

/// A deserializer whose byte requests are answered from `attachments`.
pub(super) struct WithAttachments<'de, D> {
    inner: D,
    attachments: &'de [Bytes],
}

impl<'de, D> WithAttachments<'de, D> {
    pub(super) fn new(inner: D, attachments: &'de [Bytes]) -> Self {
        WithAttachments { inner, attachments }
    }
}

fn wrap<'de, T>(inner: T, attachments: &'de [Bytes]) -> WithAttachments<'de, T> {
    WithAttachments { inner, attachments }
}

macro_rules! forward_deserialize {
    ($($method:ident),* $(,)?) => {
        $(fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
            self.inner.$method(wrap(visitor, self.attachments))
        })*
    };
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for WithAttachments<'de, D> {
    type Error = D::Error;

    forward_deserialize! {
        deserialize_any, deserialize_bool, deserialize_i8, deserialize_i16, deserialize_i32,
        deserialize_i64, deserialize_i128, deserialize_u8, deserialize_u16, deserialize_u32,
        deserialize_u64, deserialize_u128, deserialize_f32, deserialize_f64, deserialize_char,
        deserialize_str, deserialize_string, deserialize_option, deserialize_unit, deserialize_seq,
        deserialize_map, deserialize_identifier,
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.inner.deserialize_any(AttachmentVisitor {
            visitor,
            attachments: self.attachments,
        })
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.inner
            .deserialize_unit_struct(name, wrap(visitor, self.attachments))
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.inner
            .deserialize_newtype_struct(name, wrap(visitor, self.attachments))
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.inner
            .deserialize_tuple(len, wrap(visitor, self.attachments))
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.inner
            .deserialize_tuple_struct(name, len, wrap(visitor, self.attachments))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.inner
            .deserialize_struct(name, fields, wrap(visitor, self.attachments))
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.inner
            .deserialize_enum(name, variants, wrap(visitor, self.attachments))
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        // Nothing to resolve in a value nobody reads; keep the inner fast path.
        self.inner.deserialize_ignored_any(visitor)
    }

    fn is_human_readable(&self) -> bool {
        self.inner.is_human_readable()
    }
}

macro_rules! forward_visit {
    ($($method:ident($ty:ty)),* $(,)?) => {
        $(fn $method<E: de::Error>(self, value: $ty) -> Result<Self::Value, E> {
            self.inner.$method(value)
        })*
    };
}

impl<'de, V: Visitor<'de>> Visitor<'de> for WithAttachments<'de, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.expecting(f)
    }

    forward_visit! {
        visit_bool(bool), visit_i8(i8), visit_i16(i16), visit_i32(i32), visit_i64(i64),
        visit_i128(i128), visit_u8(u8), visit_u16(u16), visit_u32(u32), visit_u64(u64),
        visit_u128(u128), visit_f32(f32), visit_f64(f64), visit_char(char), visit_str(&str),
        visit_borrowed_str(&'de str), visit_string(String), visit_bytes(&[u8]),
        visit_borrowed_bytes(&'de [u8]), visit_byte_buf(Vec<u8>),
    }

    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.inner.visit_none()
    }

    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.inner.visit_unit()
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<V::Value, D::Error> {
        self.inner.visit_some(wrap(deserializer, self.attachments))
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<V::Value, D::Error> {
        self.inner
            .visit_newtype_struct(wrap(deserializer, self.attachments))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        self.inner.visit_seq(wrap(seq, self.attachments))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.inner.visit_map(wrap(map, self.attachments))
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<V::Value, A::Error> {
        self.inner.visit_enum(wrap(data, self.attachments))
    }
}

impl<'de, T: DeserializeSeed<'de>> DeserializeSeed<'de> for WithAttachments<'de, T> {
    type Value = T::Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<T::Value, D::Error> {
        self.inner.deserialize(wrap(deserializer, self.attachments))
    }
}

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for WithAttachments<'de, A> {
    type Error = A::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, A::Error> {
        self.inner.next_element_seed(wrap(seed, self.attachments))
    }

    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for WithAttachments<'de, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        self.inner.next_key_seed(wrap(seed, self.attachments))
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, A::Error> {
        self.inner.next_value_seed(wrap(seed, self.attachments))
    }

    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

impl<'de, A: EnumAccess<'de>> EnumAccess<'de> for WithAttachments<'de, A> {
    type Error = A::Error;
    type Variant = WithAttachments<'de, A::Variant>;

    fn variant_seed<T: DeserializeSeed<'de>>(
        self,
        seed: T,
    ) -> Result<(T::Value, Self::Variant), A::Error> {
        let (value, variant) = self.inner.variant_seed(wrap(seed, self.attachments))?;
        Ok((value, wrap(variant, self.attachments)))
    }
}

impl<'de, A: VariantAccess<'de>> VariantAccess<'de> for WithAttachments<'de, A> {
    type Error = A::Error;

    fn unit_variant(self) -> Result<(), A::Error> {
        self.inner.unit_variant()
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, A::Error> {
        self.inner
            .newtype_variant_seed(wrap(seed, self.attachments))
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, A::Error> {
        self.inner
            .tuple_variant(len, wrap(visitor, self.attachments))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        self.inner
            .struct_variant(fields, wrap(visitor, self.attachments))
    }
}

/// Answers a byte request: a placeholder object yields its attachment; arrays and strings keep
/// serde_json's meaning of bytes.
struct AttachmentVisitor<'de, V> {
    visitor: V,
    attachments: &'de [Bytes],
}

impl<'de, V: Visitor<'de>> Visitor<'de> for AttachmentVisitor<'de, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an attachment placeholder")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<V::Value, A::Error> {
        let (mut flag, mut num) = (None, None);
        while let Some(key) = map.next_key_seed(KeySeed)? {
            match key {
                Key::Flag if flag.is_none() => flag = Some(map.next_value::<bool>()?),
                Key::Num if num.is_none() => num = Some(map.next_value::<u64>()?),
                _ => {
                    return Err(A::Error::custom(
                        "unexpected key in an attachment placeholder",
                    ));
                }
            }
        }
        let (Some(true), Some(num)) = (flag, num) else {
            return Err(A::Error::custom("not an attachment placeholder"));
        };
        let attachment = usize::try_from(num)
            .ok()
            .and_then(|num| self.attachments.get(num))
            .ok_or_else(|| A::Error::custom("attachment placeholder index out of range"))?;
        self.visitor.visit_borrowed_bytes(attachment)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        self.visitor.visit_seq(wrap(seq, self.attachments))
    }

    fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<V::Value, E> {
        self.visitor.visit_borrowed_bytes(text.as_bytes())
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<V::Value, E> {
        self.visitor.visit_bytes(text.as_bytes())
    }

    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.visitor.visit_unit()
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<V::Value, E> {
        self.visitor.visit_bool(value)
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<V::Value, E> {
        self.visitor.visit_u64(value)
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<V::Value, E> {
        self.visitor.visit_i64(value)
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<V::Value, E> {
        self.visitor.visit_f64(value)
    }
}

/// An array with its first element skipped; extra trailing elements are ignored, as a JavaScript
/// handler ignores extra arguments.
pub(crate) struct SkipFirst<D>(pub D);

impl<'de, D: Deserializer<'de>> Deserializer<'de> for SkipFirst<D> {
    type Error = D::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_seq(SkipFirstVisitor {
            visitor,
            reads_arguments: true,
        })
    }

    /// `()` reads no argument: a listener that takes none accepts any.
    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_seq(SkipFirstVisitor {
            visitor,
            reads_arguments: false,
        })
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option
        unit_struct newtype_struct seq tuple tuple_struct map struct enum identifier
        ignored_any
    }
}

/// Skips the event name, lets `visitor` read the arguments it wants (or, for `()`, none), then
/// skips the rest.
struct SkipFirstVisitor<V> {
    visitor: V,
    reads_arguments: bool,
}

impl<'de, V: Visitor<'de>> Visitor<'de> for SkipFirstVisitor<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an event array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<V::Value, A::Error> {
        if seq.next_element::<IgnoredAny>()?.is_none() {
            return Err(A::Error::invalid_length(0, &self));
        }
        let value = if self.reads_arguments {
            self.visitor.visit_seq(&mut seq)?
        } else {
            self.visitor.visit_unit()?
        };
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(value)
    }
}
