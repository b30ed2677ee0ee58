//! One namespace of a connection: waiting for the application's answer, or a connected socket.

use engineio_proto::Instant;

use super::acks::{AwaitedAcks, OwedAcks};
use crate::adapter::SocketId;
use crate::packet::NamespaceName;

/// A namespace the client asked to join.
#[derive(Debug)]
pub(super) struct Slot {
    pub(super) namespace: NamespaceName,
    pub(super) state: SlotState,
}

#[derive(Debug)]
pub(super) enum SlotState {
    /// `CONNECT` received, the application has not answered yet.
    Pending,
    /// Accepted.
    Connected(ConnectedSocket),
}

/// A socket connected on its namespace.
#[derive(Debug)]
pub(super) struct ConnectedSocket {
    pub(super) id: SocketId,
    pub(super) awaited: AwaitedAcks,
    pub(super) owed: OwedAcks,
}

impl ConnectedSocket {
    pub(super) fn new(id: SocketId) -> Self {
        ConnectedSocket {
            id,
            awaited: AwaitedAcks::default(),
            owed: OwedAcks::default(),
        }
    }
}

impl Slot {
    pub(super) fn connected(&self) -> Option<&ConnectedSocket> {
        match &self.state {
            SlotState::Connected(socket) => Some(socket),
            SlotState::Pending => None,
        }
    }

    pub(super) fn connected_mut(&mut self) -> Option<&mut ConnectedSocket> {
        match &mut self.state {
            SlotState::Connected(socket) => Some(socket),
            SlotState::Pending => None,
        }
    }

    pub(super) fn next_deadline(&self) -> Option<Instant> {
        self.connected()
            .and_then(|socket| socket.awaited.next_deadline())
    }
}
