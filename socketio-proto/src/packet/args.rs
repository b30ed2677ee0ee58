//! Event and ack arrays from arguments: `[name, ...args]`, where a sequence or tuple of arguments is
//! spread into the array, `()` adds nothing and any other value is one element.

use alloc::vec::Vec;
use core::fmt;

use serde::ser::{
    self, Impossible, Serialize, SerializeSeq, SerializeTuple, SerializeTupleStruct, Serializer,
};

use super::ser::{Attachments, WithPlaceholders};

/// How a value given as "the arguments" becomes array elements.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum ArgsShape {
    /// A sequence or tuple: each element is one argument.
    Spread,
    /// `()`: no arguments.
    Empty,
    /// Anything else: one argument.
    Single,
}

/// Finds the shape of `args` by starting to serialize it and stopping at the first call.
pub(super) fn args_shape<T: Serialize + ?Sized>(args: &T) -> ArgsShape {
    match args.serialize(ShapeProbe) {
        Ok(shape) | Err(ProbeStop::Found(shape)) => shape,
        // The real serialization will report it.
        Err(ProbeStop::Failed) => ArgsShape::Single,
    }
}

/// Ends a probe early: compound values cannot be answered with `Ok`.
#[derive(Debug)]
enum ProbeStop {
    Found(ArgsShape),
    Failed,
}

impl fmt::Display for ProbeStop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("shape probe stopped")
    }
}

impl ser::StdError for ProbeStop {}

impl ser::Error for ProbeStop {
    fn custom<T: fmt::Display>(_: T) -> Self {
        ProbeStop::Failed
    }
}

struct ShapeProbe;

macro_rules! single {
    ($($method:ident($($ty:ty),*)),* $(,)?) => {
        $(fn $method(self, $(_: $ty),*) -> Result<ArgsShape, ProbeStop> {
            Ok(ArgsShape::Single)
        })*
    };
}

impl Serializer for ShapeProbe {
    type Ok = ArgsShape;
    type Error = ProbeStop;
    type SerializeSeq = Impossible<ArgsShape, ProbeStop>;
    type SerializeTuple = Impossible<ArgsShape, ProbeStop>;
    type SerializeTupleStruct = Impossible<ArgsShape, ProbeStop>;
    type SerializeTupleVariant = Impossible<ArgsShape, ProbeStop>;
    type SerializeMap = Impossible<ArgsShape, ProbeStop>;
    type SerializeStruct = Impossible<ArgsShape, ProbeStop>;
    type SerializeStructVariant = Impossible<ArgsShape, ProbeStop>;

    single! {
        serialize_bool(bool), serialize_i8(i8), serialize_i16(i16), serialize_i32(i32),
        serialize_i64(i64), serialize_i128(i128), serialize_u8(u8), serialize_u16(u16),
        serialize_u32(u32), serialize_u64(u64), serialize_u128(u128), serialize_f32(f32),
        serialize_f64(f64), serialize_char(char), serialize_str(&str), serialize_bytes(&[u8]),
        serialize_none(), serialize_unit_variant(&'static str, u32, &'static str),
    }

    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<ArgsShape, ProbeStop> {
        Ok(ArgsShape::Single)
    }

    fn serialize_unit(self) -> Result<ArgsShape, ProbeStop> {
        Ok(ArgsShape::Empty)
    }

    fn serialize_unit_struct(self, _: &'static str) -> Result<ArgsShape, ProbeStop> {
        Ok(ArgsShape::Empty)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<ArgsShape, ProbeStop> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<ArgsShape, ProbeStop> {
        Ok(ArgsShape::Single)
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, ProbeStop> {
        Err(ProbeStop::Found(ArgsShape::Spread))
    }

    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, ProbeStop> {
        Err(ProbeStop::Found(ArgsShape::Spread))
    }

    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, ProbeStop> {
        Err(ProbeStop::Found(ArgsShape::Spread))
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, ProbeStop> {
        Err(ProbeStop::Found(ArgsShape::Single))
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, ProbeStop> {
        Err(ProbeStop::Found(ArgsShape::Single))
    }

    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStruct, ProbeStop> {
        Err(ProbeStop::Found(ArgsShape::Single))
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, ProbeStop> {
        Err(ProbeStop::Found(ArgsShape::Single))
    }

    fn collect_str<T: fmt::Display + ?Sized>(self, _: &T) -> Result<ArgsShape, ProbeStop> {
        Ok(ArgsShape::Single)
    }
}

/// `[name, ...args]` (or `[...args]` without a name), byte values as placeholders collected in
/// `attachments`; without it (a format with native binary), byte values stay as they are.
pub(crate) struct ArgsArray<'a, T: ?Sized> {
    pub name: Option<&'a str>,
    pub args: &'a T,
    pub attachments: Option<&'a Attachments>,
}

/// Serializes one array element, with placeholders when attachments are collected.
fn push_element<A: SerializeSeq, T: Serialize + ?Sized>(
    array: &mut A,
    value: &T,
    attachments: Option<&Attachments>,
) -> Result<(), A::Error> {
    match attachments {
        Some(attachments) => array.serialize_element(&WithPlaceholders { value, attachments }),
        None => array.serialize_element(value),
    }
}

impl<T: Serialize + ?Sized> Serialize for ArgsArray<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // `None`: a known length of 0 would make serde_json close the array at once.
        let mut array = serializer.serialize_seq(None)?;
        if let Some(name) = self.name {
            array.serialize_element(name)?;
        }
        match args_shape(self.args) {
            ArgsShape::Spread => self.args.serialize(SpreadInto {
                array: &mut array,
                attachments: self.attachments,
            })?,
            ArgsShape::Empty => {}
            ArgsShape::Single => push_element(&mut array, self.args, self.attachments)?,
        }
        array.end()
    }
}

/// Serializes a sequence's elements into an enclosing array.
struct SpreadInto<'s, 'a, A> {
    array: &'s mut A,
    attachments: Option<&'a Attachments>,
}

struct SpreadElements<'s, 'a, A> {
    array: &'s mut A,
    attachments: Option<&'a Attachments>,
}

fn not_a_sequence<E: ser::Error>() -> E {
    E::custom("arguments changed shape while being serialized")
}

macro_rules! not_spread {
    ($($method:ident($($ty:ty),*)),* $(,)?) => {
        $(fn $method(self, $(_: $ty),*) -> Result<(), A::Error> {
            Err(not_a_sequence())
        })*
    };
}

impl<'s, 'a, A: SerializeSeq> Serializer for SpreadInto<'s, 'a, A> {
    type Ok = ();
    type Error = A::Error;
    type SerializeSeq = SpreadElements<'s, 'a, A>;
    type SerializeTuple = SpreadElements<'s, 'a, A>;
    type SerializeTupleStruct = SpreadElements<'s, 'a, A>;
    type SerializeTupleVariant = Impossible<(), A::Error>;
    type SerializeMap = Impossible<(), A::Error>;
    type SerializeStruct = Impossible<(), A::Error>;
    type SerializeStructVariant = Impossible<(), A::Error>;

    not_spread! {
        serialize_bool(bool), serialize_i8(i8), serialize_i16(i16), serialize_i32(i32),
        serialize_i64(i64), serialize_i128(i128), serialize_u8(u8), serialize_u16(u16),
        serialize_u32(u32), serialize_u64(u64), serialize_u128(u128), serialize_f32(f32),
        serialize_f64(f64), serialize_char(char), serialize_str(&str), serialize_bytes(&[u8]),
        serialize_none(), serialize_unit(), serialize_unit_struct(&'static str),
        serialize_unit_variant(&'static str, u32, &'static str),
    }

    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<(), A::Error> {
        Err(not_a_sequence())
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), A::Error> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), A::Error> {
        Err(not_a_sequence())
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, A::Error> {
        Ok(SpreadElements {
            array: self.array,
            attachments: self.attachments,
        })
    }

    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, A::Error> {
        Ok(SpreadElements {
            array: self.array,
            attachments: self.attachments,
        })
    }

    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, A::Error> {
        Ok(SpreadElements {
            array: self.array,
            attachments: self.attachments,
        })
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, A::Error> {
        Err(not_a_sequence())
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, A::Error> {
        Err(not_a_sequence())
    }

    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStruct, A::Error> {
        Err(not_a_sequence())
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, A::Error> {
        Err(not_a_sequence())
    }

    fn collect_str<T: fmt::Display + ?Sized>(self, _: &T) -> Result<(), A::Error> {
        Err(not_a_sequence())
    }
}

impl<A: SerializeSeq> SpreadElements<'_, '_, A> {
    fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), A::Error> {
        push_element(self.array, value, self.attachments)
    }
}

impl<A: SerializeSeq> SerializeSeq for SpreadElements<'_, '_, A> {
    type Ok = ();
    type Error = A::Error;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), A::Error> {
        self.push(value)
    }

    fn end(self) -> Result<(), A::Error> {
        Ok(())
    }
}

impl<A: SerializeSeq> SerializeTuple for SpreadElements<'_, '_, A> {
    type Ok = ();
    type Error = A::Error;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), A::Error> {
        self.push(value)
    }

    fn end(self) -> Result<(), A::Error> {
        Ok(())
    }
}

impl<A: SerializeSeq> SerializeTupleStruct for SpreadElements<'_, '_, A> {
    type Ok = ();
    type Error = A::Error;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), A::Error> {
        self.push(value)
    }

    fn end(self) -> Result<(), A::Error> {
        Ok(())
    }
}

/// Appends the JSON of `value` to `out`.
pub(super) fn write_json<T: Serialize + ?Sized>(
    out: &mut Vec<u8>,
    value: &T,
) -> Result<(), serde_json::Error> {
    #[cfg(feature = "std")]
    {
        value.serialize(&mut serde_json::Serializer::new(out))
    }
    // Without `std`, serde_json offers no serializer over a caller's buffer.
    #[cfg(not(feature = "std"))]
    {
        let json = serde_json::to_vec(value)?;
        if out.is_empty() {
            *out = json;
        } else {
            out.extend_from_slice(&json);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::String;
    use alloc::vec;
    use bytes::Bytes;
    use core::cell::RefCell;

    fn args_json<T: Serialize + ?Sized>(name: Option<&str>, args: &T) -> (String, Vec<Bytes>) {
        let attachments = RefCell::new(Vec::new());
        let mut out = Vec::new();
        write_json(
            &mut out,
            &ArgsArray {
                name,
                args,
                attachments: Some(&attachments),
            },
        )
        .unwrap();
        (String::from_utf8(out).unwrap(), attachments.into_inner())
    }

    #[test]
    fn spreads_sequences_and_wraps_single_values() {
        assert_eq!(args_json(Some("ev"), &(1, "a")).0, r#"["ev",1,"a"]"#);
        assert_eq!(args_json(Some("ev"), &vec![1, 2]).0, r#"["ev",1,2]"#);
        assert_eq!(args_json(Some("ev"), &()).0, r#"["ev"]"#);
        assert_eq!(args_json(None, &()).0, "[]");
        assert_eq!(args_json(Some("ev"), &"x").0, r#"["ev","x"]"#);
        assert_eq!(args_json(Some("ev"), &None::<u8>).0, r#"["ev",null]"#);
        assert_eq!(args_json(Some("ev"), &(vec![1, 2],)).0, r#"["ev",[1,2]]"#);
        let map: alloc::collections::BTreeMap<&str, u8> = [("k", 1)].into();
        assert_eq!(args_json(None, &map).0, r#"[{"k":1}]"#);
    }

    #[test]
    fn replaces_bytes_inside_arguments() {
        let a = Bytes::from_static(b"\x01\x02");
        let b = Bytes::from_static(b"\x03");
        let (json, attachments) = args_json(Some("up"), &(&a, Some(vec![&b])));
        assert_eq!(
            json,
            r#"["up",{"_placeholder":true,"num":0},[{"_placeholder":true,"num":1}]]"#
        );
        assert_eq!(attachments, vec![a, b]);
    }
}
