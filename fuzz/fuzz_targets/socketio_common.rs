//! Shared by the Socket.IO state-machine targets (`socketio_server_connection`,
//! `socketio_client_manager`): the script format of their inputs and hand-written packet builders.
//!
//! A script is a list of steps separated by `0xff` (a byte UTF-8 never uses). A step is an opcode byte
//! followed by its operand bytes: raw message opcodes take the operand as the message itself, the
//! others read their choices from it through `arbitrary::Unstructured` (missing bytes read as zeros),
//! so a spec vector can be written by hand as `t0/admin,{"token":"123"}`.
#![allow(dead_code)]

use arbitrary::Unstructured;
use bytes::Bytes;

/// Most steps one input runs.
pub const MAX_STEPS: usize = 400;

/// Whether `FUZZ_TRACE` is set: the targets then print every step and output (for replaying an
/// input by hand: `FUZZ_TRACE=1 cargo +nightly fuzz run <target> <file>`).
pub fn tracing() -> bool {
    static TRACE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *TRACE.get_or_init(|| std::env::var_os("FUZZ_TRACE").is_some())
}

/// The steps of a script: `(opcode, operand)`, empty steps skipped.
pub fn steps(data: &[u8]) -> impl Iterator<Item = (u8, &[u8])> {
    data.split(|&b| b == 0xff)
        .filter_map(|step| step.split_first().map(|(&op, rest)| (op, rest)))
        .take(MAX_STEPS)
}

/// The namespaces structured steps use.
pub const NAMESPACES: [&str; 4] = ["/", "/admin", "/chat", "/a/b"];

/// An arbitrary byte.
pub fn byte(u: &mut Unstructured<'_>) -> u8 {
    u.arbitrary().unwrap_or(0)
}

/// An arbitrary `u16`.
pub fn word(u: &mut Unstructured<'_>) -> u16 {
    u.arbitrary().unwrap_or(0)
}

/// A bounded setting: a zero byte reads as `default`, any other as a value in `0..=max`.
pub fn small(u: &mut Unstructured<'_>, default: usize, max: usize) -> usize {
    match byte(u) {
        0 => default,
        b => usize::from(b) % (max + 1),
    }
}

/// One of `choices`, by an arbitrary byte.
pub fn pick<T: Copy>(u: &mut Unstructured<'_>, choices: &[T]) -> T {
    choices[usize::from(byte(u)) % choices.len()]
}

/// One of [`NAMESPACES`].
pub fn namespace(u: &mut Unstructured<'_>) -> &'static str {
    pick(u, &NAMESPACES)
}

/// `""` for the main namespace, `"<nsp>,"` for the others, as in the packet header.
pub fn ns_prefix(namespace: &str) -> String {
    if namespace == "/" {
        String::new()
    } else {
        format!("{namespace},")
    }
}

/// The first element of an event array (JSON) and the event name it stands for (`None`: not a name).
pub const EVENT_NAMES: [(&str, Option<&str>); 8] = [
    ("\"foo\"", Some("foo")),
    ("\"bar\"", Some("bar")),
    ("\"message\"", Some("message")),
    ("42", Some("42")),
    ("\"\"", Some("")),
    ("\"connect\"", Some("connect")),
    ("\"disconnecting\"", Some("disconnecting")),
    ("{\"a\":1}", None),
];

/// Event names the application usually sends (the first five of [`EVENT_NAMES`] are not reserved),
/// with a reserved or missing one now and then.
pub fn event_name(u: &mut Unstructured<'_>) -> (&'static str, Option<&'static str>) {
    let b = byte(u);
    if b < 200 {
        EVENT_NAMES[usize::from(b) % 5]
    } else {
        EVENT_NAMES[usize::from(b) % EVENT_NAMES.len()]
    }
}

/// Argument lists, as JSON elements.
pub const ARGS: [&[&str]; 6] = [
    &[],
    &["1"],
    &["\"x\""],
    &["{\"a\":[1,2]}"],
    &["null"],
    &["true", "[false,{\"b\":\"é\"}]"],
];

/// An arbitrary argument list.
pub fn args(u: &mut Unstructured<'_>) -> &'static [&'static str] {
    pick(u, &ARGS)
}

/// `{"_placeholder":true,"num":<index>}`.
pub fn placeholder(index: usize) -> String {
    format!("{{\"_placeholder\":true,\"num\":{index}}}")
}

/// A JSON array of `first` (if any), `args`, then one placeholder per attachment.
pub fn array(first: Option<&str>, args: &[&str], attachments: usize) -> String {
    let mut elements: Vec<String> = first.into_iter().map(String::from).collect();
    elements.extend(args.iter().map(|arg| String::from(*arg)));
    elements.extend((0..attachments).map(placeholder));
    format!("[{}]", elements.join(","))
}

/// Up to `max` attachments of up to 7 bytes each.
pub fn attachments(u: &mut Unstructured<'_>, min: usize, max: usize) -> Vec<Bytes> {
    let count = min + usize::from(byte(u)) % (max - min + 1);
    (0..count)
        .map(|_| {
            let len = usize::from(byte(u) % 8);
            Bytes::copy_from_slice(u.bytes(len).unwrap_or(&[]))
        })
        .collect()
}

/// An ack id: one of `known` (by index) most of the time, else a small or an extreme number.
pub fn ack_id(u: &mut Unstructured<'_>, known: &[u64]) -> u64 {
    let b = byte(u);
    match b {
        0..=199 if !known.is_empty() => known[usize::from(b) % known.len()],
        250 => u64::MAX,
        251 => u64::MAX - 1,
        b => u64::from(b % 8),
    }
}

/// The text of a message from raw operand bytes (invalid UTF-8 replaced, so every input counts).
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The event name of a JSON event array element as listed in [`EVENT_NAMES`]: whether the
/// Socket.IO server or client refuses it.
pub fn is_reserved(name: &str) -> bool {
    socketio_proto::server::is_reserved_event(name)
}
