//! Lengths in UTF-16 code units, as JavaScript's `String.length` counts them: revision 3 text payloads
//! give each packet's length that way.

use crate::error::DecodeError;

/// The length of `text` in UTF-16 code units: one per character, two for a character outside the
/// Basic Multilingual Plane (a four-byte UTF-8 sequence, a surrogate pair in UTF-16).
pub fn utf16_len(text: &str) -> usize {
    text.bytes()
        .map(|byte| usize::from(byte & 0xc0 != 0x80) + usize::from(byte >= 0xf0))
        .sum()
}

/// How many bytes of the UTF-8 `bytes` make up the first `units` UTF-16 code units: `Ok(None)` if
/// `bytes` ends first (more is to come).
///
/// Fails when the count ends inside a surrogate pair (half a character) or on a byte that cannot start
/// a UTF-8 character; the bytes it counts still need a full UTF-8 check.
pub(crate) fn byte_len_of_units(bytes: &[u8], units: usize) -> Result<Option<usize>, DecodeError> {
    let mut offset = 0;
    let mut counted = 0;
    while counted < units {
        let Some(&lead) = bytes.get(offset) else {
            return Ok(None);
        };
        let (width, char_units) = match lead {
            0x00..=0x7f => (1, 1),
            0xc2..=0xdf => (2, 1),
            0xe0..=0xef => (3, 1),
            0xf0..=0xf4 => (4, 2),
            _ => return Err(DecodeError::InvalidUtf8),
        };
        if counted + char_units > units {
            return Err(DecodeError::InvalidLength);
        }
        offset += width;
        counted += char_units;
    }
    Ok((offset <= bytes.len()).then_some(offset))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_like_javascript() {
        assert_eq!(utf16_len(""), 0);
        assert_eq!(utf16_len("4hello"), 6);
        // "€" is 3 bytes in UTF-8 but 1 unit; "🚀" is 4 bytes and 2 units (a surrogate pair).
        assert_eq!(utf16_len("4€"), 2);
        assert_eq!(utf16_len("é🚀x"), 4);
    }

    #[test]
    fn finds_the_bytes_of_a_unit_count() {
        let text = "a€🚀b".as_bytes();
        assert_eq!(byte_len_of_units(text, 0), Ok(Some(0)));
        assert_eq!(byte_len_of_units(text, 2), Ok(Some(4)));
        assert_eq!(byte_len_of_units(text, 4), Ok(Some(8)));
        assert_eq!(byte_len_of_units(text, 5), Ok(Some(9)));
        assert_eq!(byte_len_of_units(text, 6), Ok(None), "more is to come");
        assert_eq!(
            byte_len_of_units(&text[..6], 4),
            Ok(None),
            "the rocket is cut short"
        );
        assert_eq!(
            byte_len_of_units(text, 3),
            Err(DecodeError::InvalidLength),
            "half a surrogate pair"
        );
        assert_eq!(byte_len_of_units(b"\x80", 1), Err(DecodeError::InvalidUtf8));
    }
}
