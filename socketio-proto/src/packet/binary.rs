//! A binary packet whose text has arrived, waiting for its attachments.

use alloc::vec::Vec;

use bytes::Bytes;
use engineio_proto::Utf8Bytes;

use super::name::NameSpan;
use super::namespace::NamespaceName;
use super::payload::Payload;
use super::{Packet, PacketKind};

/// Which packet the attachments complete.
#[derive(Clone, Copy, Debug)]
pub(super) enum BinaryKind {
    Event { ack: Option<u64> },
    Ack { id: u64 },
}

/// The scanned text of a binary packet and the attachments received so far.
#[derive(Debug)]
pub(super) struct PendingBinary {
    namespace: NamespaceName,
    kind: BinaryKind,
    json: Utf8Bytes,
    name: NameSpan,
    expected: usize,
    attachments: Vec<Bytes>,
}

impl PendingBinary {
    /// `expected` is the announced count, already checked against the decoder's limit.
    pub(super) fn new(
        namespace: NamespaceName,
        kind: BinaryKind,
        json: Utf8Bytes,
        name: NameSpan,
        expected: usize,
    ) -> Self {
        PendingBinary {
            namespace,
            kind,
            json,
            name,
            expected,
            attachments: Vec::with_capacity(expected),
        }
    }

    /// Adds the next attachment; the packet once it is the last one.
    pub(super) fn push(&mut self, attachment: Bytes) -> bool {
        self.attachments.push(attachment);
        self.attachments.len() == self.expected
    }

    /// How many attachments are still missing.
    pub(super) fn missing(&self) -> usize {
        self.expected - self.attachments.len()
    }

    pub(super) fn finish(self) -> Packet {
        let args = Payload::from_scanned(self.json, self.attachments, self.name);
        let kind = match self.kind {
            BinaryKind::Event { ack } => PacketKind::Event { args, ack },
            BinaryKind::Ack { id } => PacketKind::Ack { args, id },
        };
        Packet {
            namespace: self.namespace,
            kind,
        }
    }
}
