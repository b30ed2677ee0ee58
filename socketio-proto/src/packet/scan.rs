//! The structural JSON check the decoder runs on every payload, in place of a serde pass: one
//! linear, allocation-free walk over the bytes that checks the JSON grammar (RFC 8259), the shape
//! the packet type requires and, for binary packets, the attachment placeholders, and notes where
//! the event name is.
//!
//! Accepted text is valid JSON, so a server may pass it on to other clients unparsed. As serde_json
//! does when it skips a value, the scan leaves two questions to whoever reads the value: whether a
//! `\u` escape is half of a surrogate pair (JavaScript's `JSON.stringify` writes lone halves), and
//! whether a number fits an `f64`.

mod placeholders;
mod string;

use super::error::ParseError;
use super::name::NameSpan;
use placeholders::{Candidate, Placeholders, key_of};
use string::string_end;

/// Containers nested deeper are refused, at the depth serde_json refuses them (its recursion
/// limit), so that whatever is accepted also reads as a `serde_json::Value`. The scan recurses once
/// per level, so this also bounds its stack: under 32 KiB at the limit, optimized.
///
/// The hot helpers are forced in line only in optimized builds (`cfg_attr(not(debug_assertions),
/// ..)`): forced into an unoptimized build they would swell every frame of the recursion.
pub(super) const MAX_DEPTH: usize = 127;

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

/// Checks that `json` is one JSON value of `shape`; when `attachments` is non-zero, also that it
/// holds exactly one valid placeholder for each index below `attachments`. Returns the span of the
/// first element of an array (`Absent` for other values).
///
/// Errors are reported as a serde pass would: a scalar is read before its type is judged, a
/// container is judged by its first byte, a placeholder when its object closes, and the count last.
pub(super) fn scan(json: &str, shape: Shape, attachments: usize) -> Result<NameSpan, ParseError> {
    let mut scanner = Scanner {
        bytes: json.as_bytes(),
        depth: 0,
        placeholders: Placeholders::new(attachments),
    };
    let (end, name) = scanner.top_level(shape)?;
    if skip_whitespace(scanner.bytes, end).1.is_some() {
        return Err(ParseError::InvalidJson);
    }
    scanner.placeholders.finish()?;
    Ok(name)
}

/// The span of the first element of `json`, an array this crate serialized (so known to be valid):
/// only that element is read.
pub(super) fn first_element(json: &str) -> NameSpan {
    let bytes = json.as_bytes();
    let (pos, Some(b'[')) = skip_whitespace(bytes, 0) else {
        return NameSpan::Absent;
    };
    let (start, byte) = skip_whitespace(bytes, pos + 1);
    let element = match byte {
        Some(b'"') => {
            string_end(bytes, start + 1).map(|(end, escaped)| (end, Token::String { escaped }))
        }
        Some(b'-' | b'0'..=b'9') => number_end(bytes, start),
        // A container is no name: not worth walking.
        _ => return NameSpan::Absent,
    };
    element.map_or(NameSpan::Absent, |(end, token)| {
        name_span(token, start, end)
    })
}

/// The span of a value at `start..end` that was `token`, as far as a name cares.
fn name_span(token: Token, start: usize, end: usize) -> NameSpan {
    match token {
        Token::String { escaped } => NameSpan::String {
            start,
            end,
            escaped,
        },
        Token::Integer | Token::Number => NameSpan::Number { start, end },
        Token::True | Token::Other => NameSpan::Absent,
    }
}

/// Why the scan stopped; the decoder's error once the scan is over. Kept to a byte so that the
/// scanner's results travel in registers.
#[derive(Clone, Copy, Debug)]
enum Refusal {
    Json,
    Payload,
    Placeholder,
}

impl From<Refusal> for ParseError {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::Json => ParseError::InvalidJson,
            Refusal::Payload => ParseError::InvalidPayload,
            Refusal::Placeholder => ParseError::InvalidPlaceholder,
        }
    }
}

/// What a value was, as far as the callers care: names are strings or numbers, placeholders are
/// made of `true` and a non-negative integer.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Token {
    String {
        escaped: bool,
    },
    /// Digits alone: possibly a placeholder index.
    Integer,
    /// Any other number.
    Number,
    True,
    Other,
}

/// The walk over containers, which recurses once per level. Scalars are read by the free
/// functions below, which take and return positions so that those stay in registers.
struct Scanner<'a> {
    bytes: &'a [u8],
    /// Containers open around the current position.
    depth: usize,
    placeholders: Placeholders,
}

impl Scanner<'_> {
    /// The value at the start; the position after it and its first element's span.
    fn top_level(&mut self, shape: Shape) -> Result<(usize, NameSpan), Refusal> {
        let (pos, byte) = skip_whitespace(self.bytes, 0);
        let byte = byte.ok_or(Refusal::Json)?;
        let allowed = match byte {
            b'[' => matches!(shape, Shape::Any | Shape::Array | Shape::EventArray),
            b'{' => matches!(shape, Shape::Any | Shape::Object | Shape::ObjectOrString),
            // A scalar is read before its type is judged, as serde_json reads it.
            _ => {
                let (end, token) = self.value(pos, byte)?;
                return match (shape, token) {
                    (Shape::Any, _) | (Shape::ObjectOrString, Token::String { .. }) => {
                        Ok((end, NameSpan::Absent))
                    }
                    _ => Err(Refusal::Payload),
                };
            }
        };
        if !allowed {
            return Err(Refusal::Payload);
        }
        if byte == b'{' {
            return Ok((self.object(pos + 1)?, NameSpan::Absent));
        }
        self.top_array(pos + 1, shape == Shape::EventArray)
    }

    /// After the top-level `[`: the array, and its first element's span. An event's array must
    /// start with its name; a container there is refused before it is read.
    fn top_array(&mut self, pos: usize, event: bool) -> Result<(usize, NameSpan), Refusal> {
        self.enter()?;
        let (start, byte) = skip_whitespace(self.bytes, pos);
        let (end, name) = match byte {
            Some(b']' | b'[' | b'{') if event => return Err(Refusal::Payload),
            Some(b']') => {
                self.leave();
                return Ok((start + 1, NameSpan::Absent));
            }
            Some(byte) => {
                let (end, token) = self.value(start, byte)?;
                (end, name_span(token, start, end))
            }
            None => return Err(Refusal::Json),
        };
        if event && name == NameSpan::Absent {
            return Err(Refusal::Payload);
        }
        Ok((self.array_tail(end)?, name))
    }

    /// The value at `pos`, whose first byte is `byte`: scalars in line, containers in a call. The
    /// position after it.
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn value(&mut self, pos: usize, byte: u8) -> Result<(usize, Token), Refusal> {
        let bytes = self.bytes;
        match byte {
            b'"' => {
                string_end(bytes, pos + 1).map(|(end, escaped)| (end, Token::String { escaped }))
            }
            b'-' | b'0'..=b'9' => number_end(bytes, pos),
            b't' => literal_end(bytes, pos, b"true").map(|end| (end, Token::True)),
            b'f' => literal_end(bytes, pos, b"false").map(|end| (end, Token::Other)),
            b'n' => literal_end(bytes, pos, b"null").map(|end| (end, Token::Other)),
            b'[' | b'{' => self.container(pos, byte).map(|end| (end, Token::Other)),
            _ => Err(Refusal::Json),
        }
    }

    /// Out of line: keeps the recursion out of the loops that read scalars.
    #[inline(never)]
    fn container(&mut self, pos: usize, byte: u8) -> Result<usize, Refusal> {
        if byte == b'[' {
            self.array(pos + 1)
        } else {
            self.object(pos + 1)
        }
    }

    /// Opens a container level.
    fn enter(&mut self) -> Result<(), Refusal> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Refusal::Json);
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    /// After `[`: the position after the array.
    fn array(&mut self, pos: usize) -> Result<usize, Refusal> {
        self.enter()?;
        let (pos, byte) = skip_whitespace(self.bytes, pos);
        match byte {
            Some(b']') => {
                self.leave();
                Ok(pos + 1)
            }
            Some(byte) => {
                let (end, _) = self.value(pos, byte)?;
                self.array_tail(end)
            }
            None => Err(Refusal::Json),
        }
    }

    /// After an array element: the other elements and the closing `]`, which leaves the array's
    /// level.
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn array_tail(&mut self, mut pos: usize) -> Result<usize, Refusal> {
        loop {
            match skip_whitespace(self.bytes, pos) {
                (comma, Some(b',')) => {
                    let (start, byte) = skip_whitespace(self.bytes, comma + 1);
                    (pos, _) = self.value(start, byte.ok_or(Refusal::Json)?)?;
                }
                (close, Some(b']')) => {
                    self.leave();
                    return Ok(close + 1);
                }
                _ => return Err(Refusal::Json),
            }
        }
    }

    /// After `{`: the position after the object. With attachments announced, an object with
    /// `_placeholder: true` must be a valid placeholder; it is checked once it closes.
    fn object(&mut self, pos: usize) -> Result<usize, Refusal> {
        self.enter()?;
        let bytes = self.bytes;
        let (mut pos, mut byte) = skip_whitespace(bytes, pos);
        if byte == Some(b'}') {
            self.leave();
            return Ok(pos + 1);
        }
        let mut candidate = Candidate::default();
        loop {
            if byte != Some(b'"') {
                return Err(Refusal::Json);
            }
            let (key_end, escaped) = string_end(bytes, pos + 1)?;
            let key = pos + 1..key_end - 1;
            let (colon, Some(b':')) = skip_whitespace(bytes, key_end) else {
                return Err(Refusal::Json);
            };
            let (start, first) = skip_whitespace(bytes, colon + 1);
            let (end, value) = self.value(start, first.ok_or(Refusal::Json)?)?;
            if self.placeholders.expected() {
                let key = bytes.get(key).unwrap_or_default();
                let text = bytes.get(start..end).unwrap_or_default();
                candidate.add(key_of(key, escaped), value, text);
            }
            match skip_whitespace(bytes, end) {
                (comma, Some(b',')) => (pos, byte) = skip_whitespace(bytes, comma + 1),
                (close, Some(b'}')) => {
                    pos = close;
                    break;
                }
                _ => return Err(Refusal::Json),
            }
        }
        self.leave();
        if self.placeholders.expected() {
            candidate.check(&mut self.placeholders)?;
        }
        Ok(pos + 1)
    }
}

/// The first byte at or after `pos` that is not whitespace, and its position.
#[cfg_attr(not(debug_assertions), inline(always))]
fn skip_whitespace(bytes: &[u8], pos: usize) -> (usize, Option<u8>) {
    match bytes.get(pos) {
        // Compact JSON: no whitespace between tokens, and no byte above a space is one.
        Some(&byte) if byte > b' ' => (pos, Some(byte)),
        _ => skip_whitespace_run(bytes, pos),
    }
}

/// Out of line: whitespace between tokens is rare in what peers send.
#[inline(never)]
fn skip_whitespace_run(bytes: &[u8], mut pos: usize) -> (usize, Option<u8>) {
    while let Some(&byte) = bytes.get(pos) {
        if !matches!(byte, b' ' | b'\n' | b'\r' | b'\t') {
            return (pos, Some(byte));
        }
        pos += 1;
    }
    (pos, None)
}

fn literal_end(bytes: &[u8], pos: usize, word: &[u8]) -> Result<usize, Refusal> {
    if bytes.get(pos..pos + word.len()) != Some(word) {
        return Err(Refusal::Json);
    }
    Ok(pos + word.len())
}

/// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?` from its first byte.
fn number_end(bytes: &[u8], mut pos: usize) -> Result<(usize, Token), Refusal> {
    let negative = bytes.get(pos) == Some(&b'-');
    if negative {
        pos += 1;
    }
    match bytes.get(pos) {
        Some(b'0') => pos += 1,
        Some(b'1'..=b'9') => pos = digits_end(bytes, pos + 1),
        _ => return Err(Refusal::Json),
    }
    let mut token = if negative {
        Token::Number
    } else {
        Token::Integer
    };
    if bytes.get(pos) == Some(&b'.') {
        pos = one_or_more_digits_end(bytes, pos + 1)?;
        token = Token::Number;
    }
    if let Some(b'e' | b'E') = bytes.get(pos) {
        pos += 1;
        if let Some(b'+' | b'-') = bytes.get(pos) {
            pos += 1;
        }
        pos = one_or_more_digits_end(bytes, pos)?;
        token = Token::Number;
    }
    Ok((pos, token))
}

fn digits_end(bytes: &[u8], mut pos: usize) -> usize {
    while let Some(b'0'..=b'9') = bytes.get(pos) {
        pos += 1;
    }
    pos
}

fn one_or_more_digits_end(bytes: &[u8], pos: usize) -> Result<usize, Refusal> {
    let end = digits_end(bytes, pos);
    if end == pos {
        return Err(Refusal::Json);
    }
    Ok(end)
}
