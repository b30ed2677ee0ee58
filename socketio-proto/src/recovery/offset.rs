//! Offsets: the caller's prefix, then the log position in base 36.

use alloc::string::String;

const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";

/// The offset of log position `seq` under `prefix`.
pub fn offset_of(prefix: &str, seq: u64) -> String {
    let mut digits = [0u8; 13];
    let mut len = 0;
    let mut rest = seq;
    loop {
        digits[len] = DIGITS[(rest % 36) as usize];
        len += 1;
        rest /= 36;
        if rest == 0 {
            break;
        }
    }
    let mut offset = String::with_capacity(prefix.len() + len);
    offset.push_str(prefix);
    for &digit in digits[..len].iter().rev() {
        offset.push(char::from(digit));
    }
    offset
}

/// The log position an offset made by [`offset_of`] under `prefix` names; `None` for anything else.
pub fn seq_of(prefix: &str, offset: &str) -> Option<u64> {
    let digits = offset.strip_prefix(prefix)?;
    if digits.is_empty() || digits.len() > 13 || (digits.len() > 1 && digits.starts_with('0')) {
        return None;
    }
    let mut seq: u64 = 0;
    for byte in digits.bytes() {
        let digit = match byte {
            b'0'..=b'9' => byte - b'0',
            b'a'..=b'z' => byte - b'a' + 10,
            _ => return None,
        };
        seq = seq.checked_mul(36)?.checked_add(u64::from(digit))?;
    }
    Some(seq)
}
