//! A bounded walk over MessagePack values: checks that a value is complete and within the depth
//! limit without building it, and, where notepack's extension values occur, rewrites them into plain
//! MessagePack (`undefined` as nil, ext-0 binaries as `bin`) so that serde reads them as null and bytes.
//!
//! Every step reads at least one byte, and every announced length is checked against the bytes that
//! remain, so the walk is linear in the input and allocates nothing for a lying length.

use alloc::vec::Vec;

use rmp::Marker;

use super::MsgpackError;

/// `fixext 1`, type 0, data 0: notepack's `undefined`.
pub(super) const UNDEFINED: [u8; 3] = [0xd4, 0x00, 0x00];

/// What one value is, as far as the packet checks care.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    Map,
    Array { len: usize },
    Str,
    Undefined,
    Other,
}

/// Reads values from `bytes`, starting at `pos`.
pub(super) struct Walker<'a> {
    pub bytes: &'a [u8],
    pub pos: usize,
    pub max_depth: usize,
    /// Set when an extension value was seen: the value needs [`rewrite`](Walker::rewrite).
    pub saw_ext: bool,
}

impl<'a> Walker<'a> {
    pub(super) fn new(bytes: &'a [u8], max_depth: usize) -> Self {
        Walker {
            bytes,
            pos: 0,
            max_depth,
            saw_ext: false,
        }
    }

    pub(super) fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    fn byte(&mut self) -> Result<u8, MsgpackError> {
        let byte = *self.bytes.get(self.pos).ok_or(MsgpackError::Truncated)?;
        self.pos += 1;
        Ok(byte)
    }

    pub(super) fn take(&mut self, len: usize) -> Result<&'a [u8], MsgpackError> {
        if len > self.remaining() {
            return Err(MsgpackError::Truncated);
        }
        let slice = &self.bytes[self.pos..self.pos + len];
        self.pos += len;
        Ok(slice)
    }

    /// A big-endian unsigned integer of `len` bytes (1, 2, 4 or 8).
    pub(super) fn be(&mut self, len: usize) -> Result<u64, MsgpackError> {
        Ok(self
            .take(len)?
            .iter()
            .fold(0u64, |value, &byte| (value << 8) | u64::from(byte)))
    }

    fn length(&mut self, len: usize) -> Result<usize, MsgpackError> {
        usize::try_from(self.be(len)?).map_err(|_| MsgpackError::Truncated)
    }

    /// The marker of the next value, without consuming it.
    pub(super) fn peek_marker(&self) -> Option<Marker> {
        self.bytes.get(self.pos).map(|&byte| Marker::from_u8(byte))
    }

    /// Reads an unsigned integer value (negative or non-integer values are `None`).
    pub(super) fn unsigned(&mut self) -> Result<Option<u64>, MsgpackError> {
        let marker = Marker::from_u8(self.byte()?);
        Ok(match marker {
            Marker::FixPos(value) => Some(u64::from(value)),
            Marker::U8 => Some(self.be(1)?),
            Marker::U16 => Some(self.be(2)?),
            Marker::U32 => Some(self.be(4)?),
            Marker::U64 => Some(self.be(8)?),
            Marker::I8 | Marker::I16 | Marker::I32 | Marker::I64 => {
                let len = signed_len(marker);
                let raw = self.be(len)?;
                let shift = 64 - 8 * len as u32;
                let value = ((raw << shift) as i64) >> shift;
                u64::try_from(value).ok()
            }
            _ => {
                self.pos -= 1;
                self.skip(0)?;
                None
            }
        })
    }

    /// Reads a string value's bytes (`None`, with the value skipped, for any other value).
    pub(super) fn str(&mut self) -> Result<Option<&'a [u8]>, MsgpackError> {
        let len = match Marker::from_u8(self.byte()?) {
            Marker::FixStr(len) => usize::from(len),
            Marker::Str8 => self.length(1)?,
            Marker::Str16 => self.length(2)?,
            Marker::Str32 => self.length(4)?,
            _ => {
                self.pos -= 1;
                self.skip(0)?;
                return Ok(None);
            }
        };
        self.take(len).map(Some)
    }

    /// Steps over one complete value nested `depth` levels deep, and says what it was.
    pub(super) fn skip(&mut self, depth: usize) -> Result<Kind, MsgpackError> {
        self.value(depth, None)
    }

    /// Copies one value to `out`, extension values rewritten (see the module doc).
    pub(super) fn rewrite(&mut self, out: &mut Vec<u8>) -> Result<(), MsgpackError> {
        self.value(0, Some(out)).map(|_| ())
    }

    fn value(&mut self, depth: usize, mut out: Option<&mut Vec<u8>>) -> Result<Kind, MsgpackError> {
        if depth > self.max_depth {
            return Err(MsgpackError::TooDeep {
                limit: self.max_depth,
            });
        }
        let start = self.pos;
        let marker = Marker::from_u8(self.byte()?);
        let (kind, items) = match marker {
            Marker::FixPos(_) | Marker::FixNeg(_) | Marker::Null | Marker::True | Marker::False => {
                (Kind::Other, 0)
            }
            Marker::U8 | Marker::I8 => self.skip_bytes(1, Kind::Other)?,
            Marker::U16 | Marker::I16 => self.skip_bytes(2, Kind::Other)?,
            Marker::U32 | Marker::I32 | Marker::F32 => self.skip_bytes(4, Kind::Other)?,
            Marker::U64 | Marker::I64 | Marker::F64 => self.skip_bytes(8, Kind::Other)?,
            Marker::FixStr(len) => self.skip_bytes(usize::from(len), Kind::Str)?,
            Marker::Str8 | Marker::Bin8 => self.skip_sized(1, marker)?,
            Marker::Str16 | Marker::Bin16 => self.skip_sized(2, marker)?,
            Marker::Str32 | Marker::Bin32 => self.skip_sized(4, marker)?,
            Marker::FixArray(len) => (Kind::Array { len: len.into() }, usize::from(len)),
            Marker::Array16 | Marker::Array32 => {
                let len = self.length(if marker == Marker::Array16 { 2 } else { 4 })?;
                (Kind::Array { len }, len)
            }
            Marker::FixMap(len) => (Kind::Map, 2 * usize::from(len)),
            Marker::Map16 | Marker::Map32 => {
                let len = self.length(if marker == Marker::Map16 { 2 } else { 4 })?;
                (
                    Kind::Map,
                    len.checked_mul(2).ok_or(MsgpackError::Truncated)?,
                )
            }
            Marker::FixExt1 => return self.ext(1, out),
            Marker::FixExt2 => return self.ext(2, out),
            Marker::FixExt4 => return self.ext(4, out),
            Marker::FixExt8 => return self.ext(8, out),
            Marker::FixExt16 => return self.ext(16, out),
            Marker::Ext8 | Marker::Ext16 | Marker::Ext32 => {
                let size = match marker {
                    Marker::Ext8 => 1,
                    Marker::Ext16 => 2,
                    _ => 4,
                };
                let len = self.length(size)?;
                return self.ext(len, out);
            }
            Marker::Reserved => return Err(MsgpackError::ReservedMarker),
        };
        if let Some(out) = out.as_deref_mut() {
            out.extend_from_slice(&self.bytes[start..self.pos]);
        }
        for _ in 0..items {
            // Each item takes at least a byte: a lying count ends at `Truncated`, not in a long loop.
            if self.remaining() == 0 {
                return Err(MsgpackError::Truncated);
            }
            self.value(depth + 1, out.as_deref_mut())?;
        }
        Ok(kind)
    }

    fn skip_bytes(&mut self, len: usize, kind: Kind) -> Result<(Kind, usize), MsgpackError> {
        self.take(len)?;
        Ok((kind, 0))
    }

    fn skip_sized(&mut self, size: usize, marker: Marker) -> Result<(Kind, usize), MsgpackError> {
        let len = self.length(size)?;
        let kind = match marker {
            Marker::Str8 | Marker::Str16 | Marker::Str32 => Kind::Str,
            _ => Kind::Other,
        };
        self.skip_bytes(len, kind)
    }

    /// An extension value of `len` data bytes, after its marker and length: type 0 only, as
    /// notepack writes (`undefined`, `ArrayBuffer` and typed arrays, `Date`).
    fn ext(&mut self, len: usize, out: Option<&mut Vec<u8>>) -> Result<Kind, MsgpackError> {
        let ext_type = self.byte()? as i8;
        if ext_type != 0 {
            return Err(MsgpackError::UnsupportedExtension(ext_type));
        }
        let data = self.take(len)?;
        self.saw_ext = true;
        let undefined = data == [0];
        if let Some(out) = out {
            if undefined {
                // Writing to a Vec cannot fail.
                let _ = rmp::encode::write_nil(out);
            } else {
                let _ = rmp::encode::write_bin(out, data);
            }
        }
        Ok(if undefined {
            Kind::Undefined
        } else {
            Kind::Other
        })
    }
}

fn signed_len(marker: Marker) -> usize {
    match marker {
        Marker::I8 => 1,
        Marker::I16 => 2,
        Marker::I32 => 4,
        _ => 8,
    }
}
