//! JSON strings, from after the opening `"` to after the closing one: escapes must be valid and no
//! control character may be left unescaped (the text is already UTF-8).
//!
//! Strings are most of the bytes of a typical payload, so they are read a block at a time: sixteen
//! bytes per step with SSE2 (every x86-64 processor has it), simple escapes such as `\"` handled
//! inside the block with bit masks rather than by stopping at each. Anything else (a run of
//! backslashes, the last few bytes, another architecture) goes eight bytes per step in a `u64`,
//! stopping at each escape.

use super::Refusal;

/// The position after the closing `"` of the string whose contents start at `pos`, and whether
/// it has escapes.
#[cfg_attr(not(debug_assertions), inline(always))]
pub(super) fn string_end(bytes: &[u8], pos: usize) -> Result<(usize, bool), Refusal> {
    #[cfg(target_arch = "x86_64")]
    let (pos, escaped) = match by_blocks(bytes, pos)? {
        Blocks::Closed { end, escaped } => return Ok((end, escaped)),
        Blocks::Resume { pos, escaped } => (pos, escaped),
    };
    #[cfg(not(target_arch = "x86_64"))]
    let escaped = false;
    by_runs(bytes, pos, escaped)
}

/// Where the block scan left a string.
#[cfg(target_arch = "x86_64")]
enum Blocks {
    Closed {
        end: usize,
        escaped: bool,
    },
    /// To be read on from `pos`, which is not inside an escape.
    Resume {
        pos: usize,
        escaped: bool,
    },
}

/// Sixteen bytes per step while there are sixteen left, and until a run of backslashes.
#[cfg(target_arch = "x86_64")]
#[cfg_attr(not(debug_assertions), inline(always))]
fn by_blocks(bytes: &[u8], mut pos: usize) -> Result<Blocks, Refusal> {
    let mut escaped = false;
    // Bit 0 set when the block's first byte is escaped by a backslash that ended the block before.
    let mut carry = 0u32;
    while let Some(chunk) = bytes.get(pos..pos + 16) {
        let Masks {
            quote,
            backslash,
            control,
        } = Masks::of(chunk);
        // Bit i for byte `pos + i`; bit 16, past the block, carries to the next one.
        let escapes = backslash & !carry;
        if escapes & (escapes << 1) != 0 {
            // `\\`, `\\\"`...: read byte by byte, which counts the run.
            break;
        }
        let escaped_bytes = escapes << 1 | carry;
        let stop = (quote & !escaped_bytes | control) & 0xffff;
        let before_stop = if stop == 0 {
            0xffff
        } else {
            (1 << stop.trailing_zeros()) - 1
        };
        escaped |= escapes & before_stop != 0;
        // `"` after a backslash needs no check; any other escaped byte must be a valid escape.
        let mut letters = escaped_bytes & !quote & before_stop;
        while letters != 0 {
            escape_end(bytes, pos + letters.trailing_zeros() as usize)?;
            letters &= letters - 1;
        }
        if stop != 0 {
            let at = stop.trailing_zeros();
            return if quote >> at & 1 == 1 {
                Ok(Blocks::Closed {
                    end: pos + at as usize + 1,
                    escaped,
                })
            } else {
                Err(Refusal::Json)
            };
        }
        carry = escaped_bytes >> 16;
        pos += 16;
    }
    if carry != 0 {
        // The previous block ended in a backslash: its escape starts the rest.
        pos = escape_end(bytes, pos)?;
    }
    Ok(Blocks::Resume { pos, escaped })
}

/// One bit per byte of a sixteen-byte block.
#[cfg(target_arch = "x86_64")]
struct Masks {
    quote: u32,
    backslash: u32,
    control: u32,
}

#[cfg(target_arch = "x86_64")]
impl Masks {
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn of(chunk: &[u8]) -> Masks {
        use core::arch::x86_64::{
            _mm_cmpeq_epi8, _mm_loadu_si128, _mm_max_epu8, _mm_movemask_epi8, _mm_set1_epi8,
        };
        debug_assert!(chunk.len() >= 16);
        // SAFETY: SSE2 is part of the x86-64 baseline, and the load reads sixteen bytes of
        // `chunk`, which has at least that many (unaligned loads are allowed).
        let [quote, backslash, control] = unsafe {
            let block = _mm_loadu_si128(chunk.as_ptr().cast());
            // `max(byte, 0x1f) == 0x1f` exactly where `byte <= 0x1f` (unsigned).
            let control_limit = _mm_set1_epi8(0x1f);
            [
                _mm_movemask_epi8(_mm_cmpeq_epi8(block, _mm_set1_epi8(b'"' as i8))),
                _mm_movemask_epi8(_mm_cmpeq_epi8(block, _mm_set1_epi8(b'\\' as i8))),
                _mm_movemask_epi8(_mm_cmpeq_epi8(
                    _mm_max_epu8(block, control_limit),
                    control_limit,
                )),
            ]
        };
        // The masks have sixteen bits: nothing to sign-extend.
        Masks {
            quote: quote as u32,
            backslash: backslash as u32,
            control: control as u32,
        }
    }
}

/// From `pos`, not inside an escape, stopping at each escape; `escaped`: whether one was seen
/// before `pos`.
#[cfg_attr(not(debug_assertions), inline(always))]
fn by_runs(bytes: &[u8], mut pos: usize, mut escaped: bool) -> Result<(usize, bool), Refusal> {
    loop {
        pos += plain_run(bytes, pos);
        match bytes.get(pos) {
            Some(b'"') => return Ok((pos + 1, escaped)),
            Some(b'\\') => {
                pos = escape_end(bytes, pos + 1)?;
                escaped = true;
            }
            // A control character, which must be escaped, or the end of the input.
            _ => return Err(Refusal::Json),
        }
    }
}

/// An escape from after its `\`: the position after it.
#[cfg_attr(not(debug_assertions), inline(always))]
fn escape_end(bytes: &[u8], pos: usize) -> Result<usize, Refusal> {
    match bytes.get(pos) {
        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => Ok(pos + 1),
        Some(b'u') => unicode_escape_end(bytes, pos),
        _ => Err(Refusal::Json),
    }
}

/// `\uXXXX` from its `u`. Any code unit: a lone surrogate is the reader's concern.
#[inline(never)]
fn unicode_escape_end(bytes: &[u8], pos: usize) -> Result<usize, Refusal> {
    let digits = bytes.get(pos + 1..pos + 5);
    digits.and_then(hex_value).ok_or(Refusal::Json)?;
    Ok(pos + 5)
}

/// Four hex digits as a code unit.
pub(super) fn hex_value(digits: &[u8]) -> Option<u32> {
    digits.iter().try_fold(0, |value, &digit| {
        let digit = char::from(digit).to_digit(16)?;
        Some(value << 4 | digit)
    })
}

/// How many bytes from `start` on need no attention in a string: up to the first `"`, `\` or
/// control character (below 0x20), or the end. Eight bytes per step.
#[cfg_attr(not(debug_assertions), inline(always))]
fn plain_run(bytes: &[u8], start: usize) -> usize {
    const ONES: u64 = u64::from_ne_bytes([1; 8]);
    const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
    /// A byte's high bit set where it is below `n` (`n <= 0x80`). Only the lowest flagged byte is
    /// exact (a borrow may flag the bytes above it), and that is the one wanted.
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn below(word: u64, n: u8) -> u64 {
        word.wrapping_sub(ONES * u64::from(n)) & !word & HIGH
    }
    let mut offset = start;
    loop {
        let word = match bytes.get(offset..offset + 8) {
            Some(chunk) => u64::from_le_bytes(chunk.try_into().unwrap_or_default()),
            None => tail_word(bytes, offset),
        };
        // Little-endian, so that the lowest flagged bit is the first byte in the text.
        let special = below(word ^ (ONES * u64::from(b'"')), 1)
            | below(word ^ (ONES * u64::from(b'\\')), 1)
            | below(word, 0x20);
        if special != 0 {
            return offset - start + (special.trailing_zeros() / 8) as usize;
        }
        offset += 8;
    }
}

/// The bytes from `offset` to the end (fewer than eight) as a little-endian word, zero-padded:
/// zero is a control character, so a run stops at the end.
#[cfg_attr(not(debug_assertions), inline(always))]
fn tail_word(bytes: &[u8], offset: usize) -> u64 {
    let remaining = bytes.len().saturating_sub(offset);
    match bytes
        .len()
        .checked_sub(8)
        .and_then(|last| bytes.get(last..))
    {
        // The last eight bytes, shifted so that the wanted ones come first and zeros follow.
        Some(last) if (1..8).contains(&remaining) => {
            u64::from_le_bytes(last.try_into().unwrap_or_default()) >> (8 * (8 - remaining))
        }
        _ => bytes
            .get(offset..)
            .unwrap_or_default()
            .iter()
            .rev()
            .fold(0, |word, &byte| word << 8 | u64::from(byte)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;
    use alloc::vec::Vec;

    /// [`string_end`] one byte at a time, as the grammar says it.
    fn reference(bytes: &[u8], mut pos: usize) -> Result<(usize, bool), Refusal> {
        let mut escaped = false;
        loop {
            match *bytes.get(pos).ok_or(Refusal::Json)? {
                b'"' => return Ok((pos + 1, escaped)),
                b'\\' => {
                    escaped = true;
                    pos = match bytes.get(pos + 1) {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => pos + 2,
                        Some(b'u') => {
                            let digits = bytes.get(pos + 2..pos + 6).ok_or(Refusal::Json)?;
                            if !digits.iter().all(u8::is_ascii_hexdigit) {
                                return Err(Refusal::Json);
                            }
                            pos + 6
                        }
                        _ => return Err(Refusal::Json),
                    }
                }
                0..0x20 => return Err(Refusal::Json),
                _ => pos += 1,
            }
        }
    }

    fn same(bytes: &[u8], start: usize) {
        let (got, want) = (string_end(bytes, start), reference(bytes, start));
        assert_eq!(got.ok(), want.ok(), "{:?} from {start}", bytes);
    }

    /// Every string up to six bytes over an alphabet of the bytes that matter, placed at every
    /// offset of a block and across block boundaries.
    #[test]
    fn agrees_with_the_grammar_on_short_strings() {
        let alphabet = [b'a', b'"', b'\\', b'n', b'u', b'0', b'x', 0x1f, 0xc3];
        let mut strings: Vec<Vec<u8>> = vec![Vec::new()];
        for _ in 0..5 {
            let longer: Vec<Vec<u8>> = strings
                .iter()
                .filter(|string| string.len() == strings.last().map_or(0, Vec::len))
                .flat_map(|string| {
                    alphabet.iter().map(move |&byte| {
                        let mut longer = string.clone();
                        longer.push(byte);
                        longer
                    })
                })
                .collect();
            strings.extend(longer);
        }
        for string in &strings {
            for lead in [0, 9, 13, 14, 15, 16] {
                // Padding that leaves the string where blocks split it, then a closing quote and
                // enough bytes for the block scan to reach it.
                let mut bytes = vec![b'p'; lead];
                bytes.extend_from_slice(string);
                bytes.extend_from_slice(b"\"0123456789abcdef0123");
                same(&bytes, lead);
                same(&bytes[..lead + string.len()], lead);
            }
        }
    }

    #[test]
    fn agrees_with_the_grammar_on_long_strings() {
        // Escapes and runs of backslashes at every position of a few blocks, by a fixed pseudo
        // random sequence.
        let pieces: [&[u8]; 10] = [
            b"abc",
            br#"\""#,
            br"\\",
            br"\\\",
            br"\n",
            br"\u00e9",
            b"\"",
            b"\x01",
            br"\q",
            "é".as_bytes(),
        ];
        let mut state = 0x2545_f491_u32;
        for _ in 0..20_000 {
            let mut bytes = Vec::new();
            while bytes.len() < 60 {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                // Mostly plain and `\"`, sometimes the rest.
                let piece = match state % 16 {
                    0..=5 => 0,
                    6..=9 => 1,
                    n => (n - 8) as usize,
                };
                bytes.extend_from_slice(pieces[piece]);
            }
            for start in 0..4 {
                same(&bytes, start);
            }
        }
    }

    #[test]
    fn plain_runs_stop_at_the_first_byte_that_matters() {
        let fillers = [b' ', b'a', 0x7f, 0x80, 0xc3, 0xff, b'!', b'#', b'[', b']'];
        for len in 0..24 {
            for special in [None, Some(b'"'), Some(b'\\'), Some(0x00), Some(0x1f)] {
                for at in 0..len {
                    let mut bytes: Vec<u8> = (0..len).map(|n| fillers[n % fillers.len()]).collect();
                    if let Some(special) = special {
                        bytes[at] = special;
                    }
                    for start in 0..=len {
                        let expected = bytes[start..]
                            .iter()
                            .position(|&byte| byte == b'"' || byte == b'\\' || byte < 0x20)
                            .unwrap_or(len - start);
                        assert_eq!(plain_run(&bytes, start), expected, "{bytes:?} {start}");
                    }
                }
            }
        }
    }

    #[test]
    fn tail_words_are_zero_padded() {
        let bytes = b"0123456789";
        assert_eq!(tail_word(bytes, 7), u64::from_le_bytes(*b"789\0\0\0\0\0"));
        assert_eq!(tail_word(bytes, 10), 0);
        assert_eq!(tail_word(b"ab", 0), u64::from_le_bytes(*b"ab\0\0\0\0\0\0"));
        assert_eq!(tail_word(b"ab", 1), u64::from_le_bytes(*b"b\0\0\0\0\0\0\0"));
    }
}
