//! The state of one namespace socket: connection flags, buffers and acknowledgements.

use alloc::collections::{BTreeMap, BTreeSet, VecDeque};
use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

use engineio_proto::Instant;

use super::config::ManagerConfig;
use super::output::{EmitError, Event, Output};
use crate::packet::{NamespaceName, Payload, RawJson};
use crate::parser::WirePacket;

/// An emit waiting for the socket to connect.
#[derive(Debug)]
pub(super) struct BufferedEmit {
    pub(super) packet: WirePacket,
    pub(super) ack: Option<u64>,
}

/// An acknowledgement the socket waits for.
#[derive(Clone, Copy, Debug)]
struct PendingAck {
    deadline: Option<Instant>,
    /// The event went out; `false` while it sits in the send buffer.
    sent: bool,
}

/// One namespace socket of the manager.
///
/// `connected` implies `active`, and both imply nothing is left in the receive buffer.
#[derive(Debug, Default)]
pub(super) struct Socket {
    /// Sent with every `CONNECT`.
    pub(super) auth: Option<RawJson>,
    /// Whether it (re)connects when the engine opens: the reference client's `active`.
    pub(super) active: bool,
    /// The server accepted it on the current engine session.
    pub(super) connected: bool,
    /// Its `CONNECT` went out on the current engine session and is not answered yet.
    pub(super) connecting: bool,
    /// The id the server gave, while connected.
    pub(super) sid: Option<String>,
    pub(super) send_buffer: VecDeque<BufferedEmit>,
    /// Events received before the server's `CONNECT` answer, with their ack ids.
    pub(super) receive_buffer: VecDeque<(Payload, Option<u64>)>,
    pending_acks: BTreeMap<u64, PendingAck>,
    ack_deadlines: BTreeSet<(Instant, u64)>,
    /// Ack ids the server asked for and the application has not answered.
    unanswered: BTreeSet<u64>,
    next_ack_id: u64,
}

impl Socket {
    /// Registers an awaited acknowledgement and returns its id.
    pub(super) fn register_ack(
        &mut self,
        now: Instant,
        timeout: Option<Duration>,
        max_pending: usize,
    ) -> Result<u64, EmitError> {
        if self.pending_acks.len() >= max_pending {
            return Err(EmitError::TooManyPendingAcks);
        }
        // Ids only repeat after 2^64 emits; skipping those still pending keeps them unique anyway.
        let mut id = self.next_ack_id;
        while self.pending_acks.contains_key(&id) {
            id = id.wrapping_add(1);
        }
        self.next_ack_id = id.wrapping_add(1);
        let deadline = timeout.map(|timeout| now + timeout);
        if let Some(deadline) = deadline {
            self.ack_deadlines.insert((deadline, id));
        }
        self.pending_acks.insert(
            id,
            PendingAck {
                deadline,
                sent: false,
            },
        );
        Ok(id)
    }

    /// Marks the event of ack `id` as sent: from now on, losing the connection cancels the ack.
    pub(super) fn mark_sent(&mut self, id: u64) {
        if let Some(pending) = self.pending_acks.get_mut(&id) {
            pending.sent = true;
        }
    }

    /// Takes the server's acknowledgement `id`; `false` if it is not awaited (late, unknown, already
    /// resolved, or for an event still in the send buffer, which the server cannot have seen).
    pub(super) fn take_acknowledged(&mut self, id: u64) -> bool {
        self.pending_acks
            .get(&id)
            .is_some_and(|pending| pending.sent)
            && self.resolve_ack(id)
    }

    /// Forgets the awaited acknowledgement `id`; `false` if it is not awaited.
    pub(super) fn resolve_ack(&mut self, id: u64) -> bool {
        match self.pending_acks.remove(&id) {
            Some(pending) => {
                if let Some(deadline) = pending.deadline {
                    self.ack_deadlines.remove(&(deadline, id));
                }
                true
            }
            None => false,
        }
    }

    /// The earliest ack deadline.
    pub(super) fn next_deadline(&self) -> Option<Instant> {
        self.ack_deadlines.first().map(|&(deadline, _)| deadline)
    }

    /// Resolves every ack whose deadline has passed, dropping its event if it was still buffered,
    /// and reports them.
    pub(super) fn expire_acks(
        &mut self,
        now: Instant,
        namespace: &NamespaceName,
        out: &mut VecDeque<Output>,
    ) {
        while let Some(&(deadline, id)) = self.ack_deadlines.first() {
            if deadline > now {
                break;
            }
            self.ack_deadlines.pop_first();
            self.pending_acks.remove(&id);
            self.send_buffer.retain(|emit| emit.ack != Some(id));
            out.push_back(Output::Event(Event::AckTimeout {
                namespace: namespace.clone(),
                id,
            }));
        }
    }

    /// Acks awaited right now.
    pub(super) fn pending_acks(&self) -> usize {
        self.pending_acks.len()
    }

    /// Delivers an event to the application, remembering its ack id so it can be answered once.
    pub(super) fn deliver_event(
        &mut self,
        namespace: &NamespaceName,
        args: Payload,
        ack: Option<u64>,
        max_unanswered: usize,
        out: &mut VecDeque<Output>,
    ) {
        // A repeated id is owed once already: it takes no room, and must not push another out.
        if let Some(id) = ack.filter(|id| !self.unanswered.contains(id)) {
            // Server ack ids grow, so the smallest is the oldest.
            while self.unanswered.len() >= max_unanswered && self.unanswered.pop_first().is_some() {
            }
            if max_unanswered > 0 {
                self.unanswered.insert(id);
            }
        }
        out.push_back(Output::Event(Event::Event {
            namespace: namespace.clone(),
            args,
            ack,
        }));
    }

    /// Whether the server asked for ack `id` and the application has not answered it.
    pub(super) fn is_unanswered(&self, id: u64) -> bool {
        self.unanswered.contains(&id)
    }

    /// Takes the server's request for ack `id`; `false` if there is none.
    pub(super) fn take_unanswered(&mut self, id: u64) -> bool {
        self.unanswered.remove(&id)
    }

    /// The server accepted the socket: it is connected, its buffered emits go out in order, then the
    /// application hears of the connection, then of the events that arrived early.
    pub(super) fn on_connected(
        &mut self,
        namespace: &NamespaceName,
        sid: String,
        config: &ManagerConfig,
        out: &mut VecDeque<Output>,
    ) {
        self.connected = true;
        self.connecting = false;
        self.sid = Some(sid.clone());
        while let Some(emit) = self.send_buffer.pop_front() {
            if let Some(id) = emit.ack {
                self.mark_sent(id);
            }
            out.extend(emit.packet.messages().map(Output::Send));
        }
        out.push_back(Output::Event(Event::Connect {
            namespace: namespace.clone(),
            sid,
        }));
        while let Some((args, ack)) = self.receive_buffer.pop_front() {
            self.deliver_event(namespace, args, ack, config.max_unanswered_acks, out);
        }
    }

    /// The socket's connection (or connection under way) is gone: acks of events already sent will
    /// never come and are cancelled; what the server asked of this connection can no longer be
    /// answered. Emits still buffered, and their acks, wait for the next connection.
    pub(super) fn lose_connection(
        &mut self,
        namespace: &NamespaceName,
        out: &mut VecDeque<Output>,
    ) {
        self.connected = false;
        self.connecting = false;
        self.sid = None;
        self.receive_buffer.clear();
        self.unanswered.clear();
        let cancelled: Vec<u64> = self
            .pending_acks
            .iter()
            .filter(|(_, pending)| pending.sent)
            .map(|(&id, _)| id)
            .collect();
        for id in cancelled {
            self.resolve_ack(id);
            out.push_back(Output::Event(Event::AckCancelled {
                namespace: namespace.clone(),
                id,
            }));
        }
    }
}
