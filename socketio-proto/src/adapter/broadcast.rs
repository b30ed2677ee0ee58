//! Which sockets a broadcast (or a bulk operation) targets: plain data that a cluster adapter can ship
//! to other servers as is.

use super::id::{Room, SocketId};
use alloc::collections::BTreeSet;
use core::time::Duration;
use serde::{Deserialize, Serialize};

/// The target of a broadcast, `fetch_sockets`, `sockets_join`/`leave` or `disconnect_sockets`.
///
/// Selects the union of the sockets in `rooms` (every socket of the namespace when `rooms` is empty)
/// minus every socket that is in any room of `except`. Serializes as `{rooms, except, flags}` with
/// rooms as arrays, the shape cluster adapters exchange.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BroadcastOptions {
    /// Rooms to reach; empty means every socket of the namespace.
    #[serde(default)]
    pub rooms: BTreeSet<Room>,
    /// Rooms whose sockets are left out.
    #[serde(default)]
    pub except: BTreeSet<Room>,
    /// Delivery modifiers.
    #[serde(default)]
    pub flags: BroadcastFlags,
}

impl BroadcastOptions {
    /// Every socket of the namespace (`io.emit`).
    pub fn new() -> Self {
        Self::default()
    }

    /// Every socket but `sender` (`socket.broadcast.emit`). Chain [`to`](Self::to) for `socket.to(room)`.
    pub fn from_sender(sender: &SocketId) -> Self {
        Self::new().except_socket(sender)
    }

    /// Adds a room to reach (`to` / `in`).
    pub fn to(mut self, room: impl Into<Room>) -> Self {
        self.rooms.insert(room.into());
        self
    }

    /// Adds rooms to reach.
    pub fn to_rooms<R: Into<Room>>(mut self, rooms: impl IntoIterator<Item = R>) -> Self {
        self.rooms.extend(rooms.into_iter().map(Into::into));
        self
    }

    /// Leaves out the sockets of a room.
    pub fn except(mut self, room: impl Into<Room>) -> Self {
        self.except.insert(room.into());
        self
    }

    /// Leaves out the sockets of several rooms.
    pub fn except_rooms<R: Into<Room>>(mut self, rooms: impl IntoIterator<Item = R>) -> Self {
        self.except.extend(rooms.into_iter().map(Into::into));
        self
    }

    /// Leaves out one socket, through its own-id room (as the reference does for the sender of
    /// `socket.broadcast` / `socket.to`).
    pub fn except_socket(self, sid: &SocketId) -> Self {
        self.except(Room::from(sid))
    }

    /// Marks the packet droppable when a recipient is not ready for it.
    pub fn volatile(mut self) -> Self {
        self.flags.volatile = true;
        self
    }

    /// Restricts the operation to this server (cluster adapters do not forward it).
    pub fn local(mut self) -> Self {
        self.flags.local = true;
        self
    }

    /// Sets whether the transport may compress the packet.
    pub fn compress(mut self, compress: bool) -> Self {
        self.flags.compress = compress;
        self
    }

    /// Sets how long to wait for acknowledgements.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.flags.timeout = Some(timeout);
        self
    }

    /// Whether a socket in exactly `socket_rooms` is selected: in some target room (or any socket when
    /// there is none) and in no excluded room. Used to replay missed broadcasts to a recovered session,
    /// whose rooms are known but which is no longer in the index.
    pub fn matches<'r>(&self, socket_rooms: impl IntoIterator<Item = &'r Room>) -> bool {
        let mut included = self.rooms.is_empty();
        for room in socket_rooms {
            if self.except.contains(room) {
                return false;
            }
            included = included || self.rooms.contains(room);
        }
        included
    }
}

/// Delivery modifiers of a broadcast, named as on the wire of the reference cluster adapters.
///
/// Unset fields are omitted when serialized and defaulted when read, and unknown flags (`broadcast`,
/// `binary`, …) are ignored, so options from other implementations can be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct BroadcastFlags {
    /// The packet may be dropped for a recipient that is not ready to send it.
    #[serde(skip_serializing_if = "is_false")]
    pub volatile: bool,
    /// The transport may compress the packet (the default).
    #[serde(skip_serializing_if = "is_true")]
    pub compress: bool,
    /// Only this server's sockets: cluster adapters do not forward the operation.
    #[serde(skip_serializing_if = "is_false")]
    pub local: bool,
    /// How long to wait for acknowledgements; milliseconds on the wire.
    #[serde(skip_serializing_if = "Option::is_none", with = "millis")]
    pub timeout: Option<Duration>,
}

impl Default for BroadcastFlags {
    fn default() -> Self {
        BroadcastFlags {
            volatile: false,
            compress: true,
            local: false,
            timeout: None,
        }
    }
}

fn is_false(value: &bool) -> bool {
    !*value
}

fn is_true(value: &bool) -> bool {
    *value
}

mod millis {
    use core::time::Duration;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(
        value: &Option<Duration>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(duration) => {
                serializer.serialize_u64(u64::try_from(duration.as_millis()).unwrap_or(u64::MAX))
            }
            None => serializer.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Duration>, D::Error> {
        Ok(Option::<u64>::deserialize(deserializer)?.map(Duration::from_millis))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn builder_collects_rooms_and_flags() {
        let sender = SocketId::new("sender");
        let opts = BroadcastOptions::from_sender(&sender)
            .to("a")
            .to_rooms(["b", "a"])
            .except("c")
            .volatile()
            .local()
            .compress(false)
            .timeout(Duration::from_millis(1500));
        assert_eq!(opts.rooms, BTreeSet::from([Room::new("a"), Room::new("b")]));
        assert_eq!(
            opts.except,
            BTreeSet::from([Room::new("c"), Room::new("sender")])
        );
        assert_eq!(
            opts.flags,
            BroadcastFlags {
                volatile: true,
                compress: false,
                local: true,
                timeout: Some(Duration::from_millis(1500)),
            }
        );
    }

    #[test]
    fn serializes_as_the_wire_shape() {
        let opts = BroadcastOptions::new().to("r1").except("r2");
        assert_eq!(
            serde_json::to_value(&opts).unwrap(),
            serde_json::json!({"rooms": ["r1"], "except": ["r2"], "flags": {}})
        );
        let opts = opts
            .volatile()
            .timeout(Duration::from_secs(2))
            .compress(false);
        assert_eq!(
            serde_json::to_value(&opts).unwrap()["flags"],
            serde_json::json!({"volatile": true, "compress": false, "timeout": 2000})
        );
    }

    #[test]
    fn reads_options_from_other_implementations() {
        let opts: BroadcastOptions = serde_json::from_str(
            r#"{"rooms":["a","b"],"except":[],"flags":{"local":true,"broadcast":true,"timeout":250}}"#,
        )
        .unwrap();
        assert_eq!(opts.rooms.len(), 2);
        assert!(opts.flags.local && opts.flags.compress && !opts.flags.volatile);
        assert_eq!(opts.flags.timeout, Some(Duration::from_millis(250)));

        let bare: BroadcastOptions = serde_json::from_str(r#"{"rooms":[]}"#).unwrap();
        assert_eq!(bare, BroadcastOptions::new());
        assert!(serde_json::from_str::<BroadcastOptions>(r#"{"rooms":[1]}"#).is_err());
        assert!(serde_json::from_str::<BroadcastOptions>(r#"{"flags":{"timeout":-1}}"#).is_err());
    }

    #[test]
    fn round_trips() {
        let opts = BroadcastOptions::new()
            .to_rooms(["x", "y"])
            .except("z")
            .local()
            .timeout(Duration::from_millis(10));
        let text = serde_json::to_string(&opts).unwrap();
        assert_eq!(
            serde_json::from_str::<BroadcastOptions>(&text).unwrap(),
            opts
        );
    }

    #[test]
    fn matches_a_known_room_list() {
        let rooms = |names: &[&str]| names.iter().map(|n| Room::new(n)).collect::<vec::Vec<_>>();
        let everyone = BroadcastOptions::new();
        assert!(everyone.matches(&rooms(&["sid"])));
        assert!(everyone.matches(&rooms(&[])));
        let to_a = BroadcastOptions::new().to("a").to("b");
        assert!(to_a.matches(&rooms(&["sid", "b"])));
        assert!(!to_a.matches(&rooms(&["sid", "c"])));
        let excluding = to_a.clone().except("x");
        assert!(!excluding.matches(&rooms(&["a", "x"])));
        assert!(!excluding.matches(&rooms(&["x", "a"])));
        assert!(excluding.matches(&rooms(&["a", "y"])));
    }
}
