//! The Engine.IO connection under a client's sockets (the reference's `socket.conn`): its id and
//! transport, and its own events.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use engineio_proto::server::CloseReason;
use engineio_proto::{Message, Transport};

use socketio_runtime::sync::lock;

type UpgradeListener = Arc<dyn Fn(Transport) + Send + Sync>;
type PacketListener = Arc<dyn Fn(&Message) + Send + Sync>;
type CloseListener = Arc<dyn Fn(CloseReason) + Send + Sync>;
type DrainListener = Arc<dyn Fn() + Send + Sync>;

/// The Engine.IO connection shared by one client's sockets (`socket.conn`). Cheap to clone.
#[derive(Clone)]
pub struct Conn(pub(crate) Arc<ConnInner>);

pub(crate) struct ConnInner {
    sid: Arc<str>,
    upgraded: AtomicBool,
    listeners: Mutex<Listeners>,
}

#[derive(Default)]
struct Listeners {
    upgrade: Vec<UpgradeListener>,
    packet: Vec<PacketListener>,
    drain: Vec<DrainListener>,
    close: Vec<CloseListener>,
}

impl std::fmt::Debug for Conn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Conn")
            .field("id", &self.id())
            .field("transport", &self.transport())
            .finish()
    }
}

impl Conn {
    pub(crate) fn new(sid: &str, transport: Transport) -> Self {
        Conn(Arc::new(ConnInner {
            sid: sid.into(),
            upgraded: AtomicBool::new(transport == Transport::WebSocket),
            listeners: Mutex::default(),
        }))
    }

    /// The Engine.IO session id.
    pub fn id(&self) -> &str {
        &self.0.sid
    }

    /// The transport in use now (`conn.transport.name`).
    pub fn transport(&self) -> Transport {
        if self.0.upgraded.load(Ordering::Acquire) {
            Transport::WebSocket
        } else {
            Transport::Polling
        }
    }

    /// Listens to the upgrade from long-polling to WebSocket (`conn.on("upgrade")`).
    pub fn on_upgrade(&self, listener: impl Fn(Transport) + Send + Sync + 'static) {
        lock(&self.0.listeners).upgrade.push(Arc::new(listener));
    }

    /// Listens to every Engine.IO message the client sends, before Socket.IO decodes it
    /// (`conn.on("packet")` for message packets).
    pub fn on_packet(&self, listener: impl Fn(&Message) + Send + Sync + 'static) {
        lock(&self.0.listeners).packet.push(Arc::new(listener));
    }

    /// Listens to the moments everything queued for the client has gone to its transport
    /// (`conn.on("drain")`): a writer waiting for room can go on.
    pub fn on_drain(&self, listener: impl Fn() + Send + Sync + 'static) {
        lock(&self.0.listeners).drain.push(Arc::new(listener));
    }

    /// Listens to the end of the connection, with the Engine.IO reason (`conn.on("close")`).
    pub fn on_close(&self, listener: impl Fn(CloseReason) + Send + Sync + 'static) {
        lock(&self.0.listeners).close.push(Arc::new(listener));
    }

    pub(crate) fn notify_upgraded(&self) {
        self.0.upgraded.store(true, Ordering::Release);
        let listeners = lock(&self.0.listeners).upgrade.clone();
        for listener in listeners {
            listener(Transport::WebSocket);
        }
    }

    /// Tells the packet listeners, if there are any (checked before cloning them on the hot path).
    pub(crate) fn notify_packet(&self, message: &Message) {
        let listeners = {
            let listeners = lock(&self.0.listeners);
            if listeners.packet.is_empty() {
                return;
            }
            listeners.packet.clone()
        };
        for listener in listeners {
            listener(message);
        }
    }

    pub(crate) fn notify_drain(&self) {
        let listeners = {
            let listeners = lock(&self.0.listeners);
            if listeners.drain.is_empty() {
                return;
            }
            listeners.drain.clone()
        };
        for listener in listeners {
            listener();
        }
    }

    pub(crate) fn notify_closed(&self, reason: CloseReason) {
        let listeners = std::mem::take(&mut *lock(&self.0.listeners)).close;
        for listener in listeners {
            listener(reason);
        }
    }
}
