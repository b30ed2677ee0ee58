//! Attachment placeholders as the scan meets them: each object's keys are weighed as they go by,
//! and when the object closes it either is no placeholder, or is a valid one and is counted.

use alloc::vec;
use alloc::vec::Vec;

use super::super::error::ParseError;
use super::super::placeholder::{FLAG, Key, NUM};
use super::string::hex_value;
use super::{Refusal, Token};

/// The placeholder role of an object key, given its raw text between the quotes.
pub(super) fn key_of(raw: &[u8], escaped: bool) -> Key {
    let spells = |word: &str| {
        if escaped {
            unescapes_to(raw, word.as_bytes())
        } else {
            raw == word.as_bytes()
        }
    };
    if spells(FLAG) {
        Key::Flag
    } else if spells(NUM) {
        Key::Num
    } else {
        Key::Other
    }
}

/// Whether the escaped string text `raw` (already checked) decodes to the ASCII `word`.
fn unescapes_to(raw: &[u8], word: &[u8]) -> bool {
    let mut rest = raw;
    let mut word = word.iter();
    while let Some((&byte, after)) = rest.split_first() {
        let (decoded, after) = if byte != b'\\' {
            (byte, after)
        } else {
            match after.split_first() {
                Some((b'u', hex)) => {
                    let Some(unit) = hex.get(..4).and_then(hex_value) else {
                        return false;
                    };
                    // A word of ASCII letters: any other code unit cannot match.
                    let Ok(ascii) = u8::try_from(unit) else {
                        return false;
                    };
                    (ascii, hex.get(4..).unwrap_or_default())
                }
                Some((&escape, after)) => (unescaped(escape), after),
                None => return false,
            }
        };
        if word.next() != Some(&decoded) {
            return false;
        }
        rest = after;
    }
    word.next().is_none()
}

/// The byte a one-letter escape stands for.
fn unescaped(escape: u8) -> u8 {
    match escape {
        b'b' => 0x08,
        b'f' => 0x0c,
        b'n' => b'\n',
        b'r' => b'\r',
        b't' => b'\t',
        // `"`, `\` and `/` stand for themselves.
        other => other,
    }
}

/// What the keys of one object say about it being a placeholder. As in the reference parser, only
/// `_placeholder: true` makes an object a placeholder; it then must have exactly one `num`, a valid
/// index, and nothing else.
#[derive(Default)]
pub(super) struct Candidate {
    /// The first `_placeholder` value: whether it was `true`.
    flag: Option<bool>,
    /// The first `num` value: the index it gives, if any.
    num: Option<Option<u64>>,
    /// Any other key, or a repeated one.
    other_keys: bool,
}

impl Candidate {
    /// `text`: the value's JSON text.
    pub(super) fn add(&mut self, key: Key, value: Token, text: &[u8]) {
        match key {
            Key::Flag if self.flag.is_none() => self.flag = Some(value == Token::True),
            Key::Num if self.num.is_none() => {
                self.num = Some(match value {
                    Token::Integer => index_value(text),
                    _ => None,
                });
            }
            _ => self.other_keys = true,
        }
    }

    pub(super) fn check(self, placeholders: &mut Placeholders) -> Result<(), Refusal> {
        if self.flag != Some(true) {
            return Ok(());
        }
        match self.num {
            Some(Some(num)) if !self.other_keys && placeholders.register(num) => Ok(()),
            _ => Err(Refusal::Placeholder),
        }
    }
}

/// The value of a run of digits, if it fits a `u64` (a larger one reads as a float, as in
/// serde_json, and is no index).
fn index_value(digits: &[u8]) -> Option<u64> {
    digits.iter().try_fold(0u64, |value, &digit| {
        value
            .checked_mul(10)?
            .checked_add(u64::from(digit.wrapping_sub(b'0')))
    })
}

/// The placeholders found so far, against the announced count.
pub(super) struct Placeholders {
    announced: usize,
    found: usize,
    seen: IndexSet,
}

impl Placeholders {
    /// The announced count is at most the decoder's configured maximum.
    pub(super) fn new(announced: usize) -> Self {
        Placeholders {
            announced,
            found: 0,
            seen: IndexSet::new(announced),
        }
    }

    pub(super) fn expected(&self) -> bool {
        self.announced != 0
    }

    /// Counts placeholder `num`; `false` if it names no attachment or one already named.
    fn register(&mut self, num: u64) -> bool {
        match usize::try_from(num) {
            Ok(num) if num < self.announced && self.seen.insert(num) => {
                self.found += 1;
                true
            }
            _ => false,
        }
    }

    pub(super) fn finish(&self) -> Result<(), ParseError> {
        if self.found == self.announced {
            Ok(())
        } else {
            Err(ParseError::AttachmentCountMismatch {
                announced: self.announced,
                found: self.found,
            })
        }
    }
}

/// A set of indices below a bound: one inline word up to 64 (the default limit is 10), words on the
/// heap above.
enum IndexSet {
    Inline(u64),
    Heap(Vec<u64>),
}

impl IndexSet {
    fn new(bound: usize) -> Self {
        if bound <= 64 {
            IndexSet::Inline(0)
        } else {
            IndexSet::Heap(vec![0; bound.div_ceil(64)])
        }
    }

    /// Adds `index` (below the bound); whether it was new.
    fn insert(&mut self, index: usize) -> bool {
        let word = match self {
            IndexSet::Inline(word) => Some(word),
            IndexSet::Heap(words) => words.get_mut(index / 64),
        };
        let Some(word) = word else {
            return false;
        };
        let bit = 1 << (index % 64);
        let new = *word & bit == 0;
        *word |= bit;
        new
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spelling_of_escaped_keys() {
        assert!(unescapes_to(br"\u005fplaceholder", FLAG.as_bytes()));
        assert!(unescapes_to(br"n\u0075\u006D", NUM.as_bytes()));
        assert!(!unescapes_to(br"n\u0075", NUM.as_bytes()));
        assert!(!unescapes_to(br"num\n", NUM.as_bytes()));
        assert!(!unescapes_to(br"\u016eum", NUM.as_bytes()));
        assert!(unescapes_to(br#"\"\\\/\b\f\n\r\t"#, b"\"\\/\x08\x0c\n\r\t"));
    }
}
