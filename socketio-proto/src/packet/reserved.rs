//! Event names with a special meaning, which never travel as application events, on either side.

/// Names the reference refuses to emit and its parser refuses to decode: they would collide with
/// the socket's own lifecycle events (or Node.js `EventEmitter` internals) on the receiving side.
pub const RESERVED_EVENTS: [&str; 6] = [
    "connect",
    "connect_error",
    "disconnect",
    "disconnecting",
    "newListener",
    "removeListener",
];

/// Whether `name` is one of [`RESERVED_EVENTS`].
pub fn is_reserved_event(name: &str) -> bool {
    RESERVED_EVENTS.contains(&name)
}
