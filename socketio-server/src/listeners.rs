//! A socket's listeners: per event, catch-all, outgoing, packet middleware, errors and disconnects.
//!
//! Listeners are `Arc`s so a dispatch clones the few it needs and calls them with the lock released:
//! a listener may add or remove listeners, emit, join rooms...

use std::sync::Arc;

use socketio_proto::packet::Payload;
use socketio_proto::server::DisconnectReason;

use super::ack::AckSender;
use super::socket::Socket;

/// A listener of one event, with the raw arguments (`[name, ...args]`).
pub(crate) type EventListener = Arc<dyn Fn(&Socket, Payload, Option<AckSender>) + Send + Sync>;
/// A catch-all listener of incoming events: event name, raw arguments and the ack, if asked for.
pub(crate) type AnyListener = Arc<dyn Fn(&Socket, &str, &Payload, Option<AckSender>) + Send + Sync>;
/// A catch-all listener of outgoing events: event name and raw arguments.
pub(crate) type OutgoingListener = Arc<dyn Fn(&Socket, &str, &Payload) + Send + Sync>;
/// A packet middleware: `Err(message)` stops the event and reaches the error listeners instead.
pub(crate) type PacketMiddleware =
    Arc<dyn Fn(&Socket, &str, &Payload) -> Result<(), String> + Send + Sync>;
/// A listener of the socket's errors (a packet middleware's refusal, undecodable arguments).
pub(crate) type ErrorListener = Arc<dyn Fn(&Socket, &str) + Send + Sync>;
/// A `disconnecting` or `disconnect` listener.
pub(crate) type DisconnectListener = Arc<dyn Fn(&Socket, DisconnectReason) + Send + Sync>;

struct Registered {
    event: Box<str>,
    listener: EventListener,
    once: bool,
}

/// Everything listening on one socket.
#[derive(Default)]
pub(crate) struct Listeners {
    /// Event listeners in the order they were added. A socket has a handful: a list scanned per
    /// event costs less than hashing, and an idle socket less memory than a map.
    events: Vec<Registered>,
    pub(crate) any: Vec<AnyListener>,
    pub(crate) any_outgoing: Vec<OutgoingListener>,
    pub(crate) middleware: Vec<PacketMiddleware>,
    pub(crate) error: Vec<ErrorListener>,
    pub(crate) disconnecting: Vec<DisconnectListener>,
    pub(crate) disconnect: Vec<DisconnectListener>,
}

impl Listeners {
    pub(crate) fn add(&mut self, event: &str, listener: EventListener, once: bool) {
        self.events.push(Registered {
            event: event.into(),
            listener,
            once,
        });
    }

    pub(crate) fn remove_event(&mut self, event: &str) {
        self.events.retain(|r| &*r.event != event);
    }

    /// The listeners to call for `event`, in the order they were added, forgetting the `once` ones.
    pub(crate) fn take_for(&mut self, event: &str) -> Vec<EventListener> {
        let listeners: Vec<EventListener> = self
            .events
            .iter()
            .filter(|r| &*r.event == event)
            .map(|r| r.listener.clone())
            .collect();
        if self.events.iter().any(|r| r.once && &*r.event == event) {
            self.events.retain(|r| !(r.once && &*r.event == event));
        }
        listeners
    }

    /// The names that have listeners, each once.
    pub(crate) fn event_names(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for r in &self.events {
            if !names.iter().any(|name| **name == *r.event) {
                names.push(r.event.to_string());
            }
        }
        names
    }
}
