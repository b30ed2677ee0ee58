//! A socket's listeners: per event, catch-all, outgoing, packet middleware, errors and disconnects.
//!
//! Listeners are `Arc`s so a dispatch clones the few it needs and calls them with the lock released:
//! a listener may add or remove listeners, emit, join rooms...

use std::collections::HashMap;
use std::sync::Arc;

use socketio_proto::packet::Payload;
use socketio_proto::server::DisconnectReason;

use super::ack::AckSender;
use super::socket::Socket;

/// A listener of one event, with the raw arguments (`[name, ...args]`).
pub(crate) type EventListener = Arc<dyn Fn(&Socket, Payload, Option<AckSender>) + Send + Sync>;
/// A catch-all listener: event name and raw arguments.
pub(crate) type AnyListener = Arc<dyn Fn(&Socket, &str, &Payload) + Send + Sync>;
/// A packet middleware: `Err(message)` stops the event and reaches the error listeners instead.
pub(crate) type PacketMiddleware =
    Arc<dyn Fn(&Socket, &str, &Payload) -> Result<(), String> + Send + Sync>;
/// A listener of the socket's errors (a packet middleware's refusal, undecodable arguments).
pub(crate) type ErrorListener = Arc<dyn Fn(&Socket, &str) + Send + Sync>;
/// A `disconnecting` or `disconnect` listener.
pub(crate) type DisconnectListener = Arc<dyn Fn(&Socket, DisconnectReason) + Send + Sync>;

struct Registered {
    listener: EventListener,
    once: bool,
}

/// Everything listening on one socket.
#[derive(Default)]
pub(crate) struct Listeners {
    events: HashMap<String, Vec<Registered>>,
    pub(crate) any: Vec<AnyListener>,
    pub(crate) any_outgoing: Vec<AnyListener>,
    pub(crate) middleware: Vec<PacketMiddleware>,
    pub(crate) error: Vec<ErrorListener>,
    pub(crate) disconnecting: Vec<DisconnectListener>,
    pub(crate) disconnect: Vec<DisconnectListener>,
}

impl Listeners {
    pub(crate) fn add(&mut self, event: &str, listener: EventListener, once: bool) {
        self.events
            .entry(event.to_owned())
            .or_default()
            .push(Registered { listener, once });
    }

    pub(crate) fn remove_event(&mut self, event: &str) {
        self.events.remove(event);
    }

    /// The listeners to call for `event`, forgetting the `once` ones.
    pub(crate) fn take_for(&mut self, event: &str) -> Vec<EventListener> {
        let Some(registered) = self.events.get_mut(event) else {
            return Vec::new();
        };
        let listeners = registered.iter().map(|r| r.listener.clone()).collect();
        registered.retain(|r| !r.once);
        if registered.is_empty() {
            self.events.remove(event);
        }
        listeners
    }

    /// The names that have listeners.
    pub(crate) fn event_names(&self) -> Vec<String> {
        self.events.keys().cloned().collect()
    }
}
