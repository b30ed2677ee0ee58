//! `Payload` (an event's or ack's array with its attachments) and `RawJson` (any other JSON data),
//! both kept as raw JSON text until a typed value is asked for.

use alloc::borrow::Cow;
use alloc::vec::Vec;
use core::cell::RefCell;
use core::fmt;
use core::hash::{Hash, Hasher};

use bytes::Bytes;
use engineio_proto::Utf8Bytes;
use serde::de::Deserialize;
use serde::ser::Serialize;
use serde_json::Value;

use super::args::{ArgsArray, write_json};
use super::de::{SkipFirst, WithAttachments};
use super::error::{EncodeError, ParseError};
use super::name::NameSpan;
use super::placeholder::placeholder_index;
use super::scan::{Shape, first_element, scan};

/// The JSON array of an event (`[name, ...args]`) or an ack (`[...args]`), with the binary
/// attachments its placeholders refer to.
///
/// The text is a zero-copy slice of the received frame. When there are attachments, the text holds
/// exactly one placeholder for each of them; without attachments, placeholder-shaped objects are
/// ordinary data (as in the reference parser).
#[derive(Clone)]
pub struct Payload {
    json: Utf8Bytes,
    attachments: Vec<Bytes>,
    /// Where the first element is, as the decoder's scan found it; derived from `json`, so left
    /// out of comparisons.
    name: NameSpan,
}

impl Payload {
    /// Arguments for an ack (or any array): a sequence or tuple gives one array element per
    /// element, `()` none, and any other value exactly one (so `&(vec,)` sends a `Vec` as one argument).
    /// Byte values (`bytes::Bytes`, or anything serializing with `serialize_bytes`) become attachments.
    pub fn new<T: Serialize + ?Sized>(args: &T) -> Result<Self, EncodeError> {
        Self::serialize_array(None, args)
    }

    /// An event: `[name, ...args]`, `args` spread as for [`Payload::new`].
    pub fn event<T: Serialize + ?Sized>(name: &str, args: &T) -> Result<Self, EncodeError> {
        Self::serialize_array(Some(name), args)
    }

    fn serialize_array<T: Serialize + ?Sized>(
        name: Option<&str>,
        args: &T,
    ) -> Result<Self, EncodeError> {
        let attachments = RefCell::new(Vec::new());
        let mut json = Vec::new();
        write_json(
            &mut json,
            &ArgsArray {
                name,
                args,
                attachments: Some(&attachments),
            },
        )?;
        Ok(Payload {
            json: json_text(json)?,
            attachments: attachments.into_inner(),
            name: NameSpan::Unknown,
        })
    }

    /// Raw JSON array text, with the attachments its placeholders refer to (checked: an array, and
    /// with attachments, exactly one valid placeholder each).
    pub fn from_json(
        json: impl Into<Utf8Bytes>,
        attachments: Vec<Bytes>,
    ) -> Result<Self, ParseError> {
        let json = json.into();
        let name = scan(&json, Shape::Array, attachments.len())?;
        Ok(Payload {
            json,
            attachments,
            name,
        })
    }

    /// Wraps text the decoder has already scanned, with the span the scan found.
    pub(super) fn from_scanned(json: Utf8Bytes, attachments: Vec<Bytes>, name: NameSpan) -> Self {
        Payload {
            json,
            attachments,
            name,
        }
    }

    /// The JSON text, with placeholders in place of attachments.
    pub fn json(&self) -> &Utf8Bytes {
        &self.json
    }

    /// The binary attachments, in placeholder order.
    pub fn attachments(&self) -> &[Bytes] {
        &self.attachments
    }

    /// Whether there are binary attachments (the packet then travels as a binary type).
    pub fn has_attachments(&self) -> bool {
        !self.attachments.is_empty()
    }

    /// The JSON text and the attachments.
    pub fn into_parts(self) -> (Utf8Bytes, Vec<Bytes>) {
        (self.json, self.attachments)
    }

    /// The event name: the first array element. Borrowed unless it has escapes; a numeric name
    /// comes back as its decimal text. `None` if the array does not start with a string or a number.
    ///
    /// A decoded payload knows where its name is and this parses nothing; on a payload built here,
    /// only the first element is read.
    #[inline]
    pub fn event_name(&self) -> Option<Cow<'_, str>> {
        let name = match self.name {
            NameSpan::Unknown => first_element(&self.json),
            name => name,
        };
        name.text(&self.json)
    }

    /// The whole array as `T` (a tuple, `Vec`, struct, `serde_json::Value`...). Byte fields
    /// (`bytes::Bytes`, `&[u8]`, ...) at a placeholder receive the attachment.
    pub fn deserialize<'de, T: Deserialize<'de>>(&'de self) -> Result<T, serde_json::Error> {
        let mut deserializer = serde_json::Deserializer::from_str(self.json.as_str());
        let value = T::deserialize(WithAttachments::new(&mut deserializer, &self.attachments))?;
        deserializer.end()?;
        Ok(value)
    }

    /// An event's arguments, without the name, as `T` (a tuple such as `(String, u32)`, a `Vec`,
    /// a struct read positionally...). Arguments beyond what `T` reads are ignored, as a JavaScript
    /// handler ignores extra arguments. Byte fields at a placeholder receive the attachment.
    pub fn event_args<'de, T: Deserialize<'de>>(&'de self) -> Result<T, serde_json::Error> {
        let mut deserializer = serde_json::Deserializer::from_str(self.json.as_str());
        let array = WithAttachments::new(&mut deserializer, &self.attachments);
        // The name is skipped, not read: serde_json steps over a string without decoding it.
        let value = T::deserialize(SkipFirst(array))?;
        deserializer.end()?;
        Ok(value)
    }

    /// The attachment a placeholder value stands for, when reading the payload as
    /// `serde_json::Value`s.
    pub fn attachment(&self, placeholder: &Value) -> Option<&Bytes> {
        self.attachments.get(placeholder_index(placeholder)?)
    }
}

impl PartialEq for Payload {
    fn eq(&self, other: &Self) -> bool {
        self.json == other.json && self.attachments == other.attachments
    }
}

impl Eq for Payload {}

impl Hash for Payload {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.json.hash(state);
        self.attachments.hash(state);
    }
}

impl fmt::Debug for Payload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("Payload");
        debug.field("json", &self.json);
        if !self.attachments.is_empty() {
            let sizes: Vec<usize> = self.attachments.iter().map(Bytes::len).collect();
            debug.field("attachment_sizes", &sizes);
        }
        debug.finish()
    }
}

/// JSON data other than event arguments: the `CONNECT` auth or sid object, the `CONNECT_ERROR`
/// object. Kept as raw text until read.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct RawJson(Utf8Bytes);

impl RawJson {
    /// Checks that `json` is one JSON value and wraps it.
    pub fn new(json: impl Into<Utf8Bytes>) -> Result<Self, ParseError> {
        let json = json.into();
        scan(&json, Shape::Any, 0)?;
        Ok(RawJson(json))
    }

    /// Serializes `value` (byte values become arrays of numbers: these packets have no attachments).
    pub fn from_serialize<T: Serialize + ?Sized>(value: &T) -> Result<Self, EncodeError> {
        let mut json = Vec::new();
        write_json(&mut json, value)?;
        Ok(RawJson(json_text(json)?))
    }

    /// Wraps text already known to be one valid JSON value (scanned by the decoder, or written by
    /// this crate).
    pub(crate) fn from_validated(json: Utf8Bytes) -> Self {
        RawJson(json)
    }

    /// The JSON text.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The JSON text as shared bytes.
    pub fn as_utf8_bytes(&self) -> &Utf8Bytes {
        &self.0
    }

    /// The value as `T`.
    pub fn deserialize<'de, T: Deserialize<'de>>(&'de self) -> Result<T, serde_json::Error> {
        serde_json::from_str(self.0.as_str())
    }
}

impl fmt::Debug for RawJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("RawJson").field(&self.0).finish()
    }
}

/// serde_json writes only UTF-8; the check keeps that an invariant rather than an assumption.
pub(super) fn json_text(json: Vec<u8>) -> Result<Utf8Bytes, EncodeError> {
    Utf8Bytes::try_from_bytes(Bytes::from(json)).map_err(|_| {
        EncodeError(<serde_json::Error as serde::ser::Error>::custom(
            "invalid UTF-8",
        ))
    })
}
