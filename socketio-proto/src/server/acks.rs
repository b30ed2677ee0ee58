//! Per-socket ack bookkeeping: the acks the server awaits (with deadlines) and the acks it owes.

use alloc::collections::{BTreeMap, BTreeSet};

use engineio_proto::Instant;

/// Acks the server awaits from the client, each resolved at most once: by the client's answer, its
/// deadline, or the socket's end.
#[derive(Debug, Default)]
pub(super) struct AwaitedAcks {
    next_id: u64,
    /// Id -> its deadline, if it has one.
    waiting: BTreeMap<u64, Option<Instant>>,
    /// The same deadlines, ordered by time.
    deadlines: BTreeSet<(Instant, u64)>,
}

impl AwaitedAcks {
    pub(super) fn len(&self) -> usize {
        self.waiting.len()
    }

    /// Allocates the next free id and starts waiting for it.
    pub(super) fn register(&mut self, deadline: Option<Instant>) -> u64 {
        // Ids only repeat after 2^64 emits; skipping the ones still awaited keeps them unique even then.
        let mut id = self.next_id;
        while self.waiting.contains_key(&id) {
            id = id.wrapping_add(1);
        }
        self.next_id = id.wrapping_add(1);
        self.waiting.insert(id, deadline);
        if let Some(deadline) = deadline {
            self.deadlines.insert((deadline, id));
        }
        id
    }

    /// Stops waiting for `id`: `true` if it was awaited.
    pub(super) fn resolve(&mut self, id: u64) -> bool {
        match self.waiting.remove(&id) {
            Some(deadline) => {
                if let Some(deadline) = deadline {
                    self.deadlines.remove(&(deadline, id));
                }
                true
            }
            None => false,
        }
    }

    /// The earliest deadline.
    pub(super) fn next_deadline(&self) -> Option<Instant> {
        self.deadlines.first().map(|&(deadline, _)| deadline)
    }

    /// Takes one ack whose deadline is at or before `now`, earliest first.
    pub(super) fn pop_expired(&mut self, now: Instant) -> Option<u64> {
        let &(deadline, id) = self.deadlines.first()?;
        if deadline > now {
            return None;
        }
        self.deadlines.remove(&(deadline, id));
        self.waiting.remove(&id);
        Some(id)
    }

    /// Takes every awaited id, in id order.
    pub(super) fn take_all(&mut self) -> impl Iterator<Item = u64> {
        self.deadlines.clear();
        core::mem::take(&mut self.waiting).into_keys()
    }
}

/// Ack ids the client asked for that the application has not answered yet.
#[derive(Debug, Default)]
pub(super) struct OwedAcks {
    ids: BTreeSet<u64>,
}

impl OwedAcks {
    pub(super) fn len(&self) -> usize {
        self.ids.len()
    }

    /// Records `id`; a repeated id stays owed once (the client can take one answer).
    pub(super) fn owe(&mut self, id: u64) {
        self.ids.insert(id);
    }

    pub(super) fn is_owed(&self, id: u64) -> bool {
        self.ids.contains(&id)
    }

    /// Marks `id` answered: `true` if it was owed.
    pub(super) fn settle(&mut self, id: u64) -> bool {
        self.ids.remove(&id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    #[test]
    fn ids_count_up_and_resolve_once() {
        let mut acks = AwaitedAcks::default();
        assert_eq!(acks.register(None), 0);
        assert_eq!(acks.register(Some(Instant::from_millis(5))), 1);
        assert!(acks.resolve(1));
        assert!(!acks.resolve(1));
        assert_eq!(acks.next_deadline(), None);
        assert_eq!(acks.register(None), 2);
    }

    #[test]
    fn wrapped_ids_skip_ones_still_awaited() {
        let mut acks = AwaitedAcks {
            next_id: u64::MAX,
            ..AwaitedAcks::default()
        };
        assert_eq!(acks.register(None), u64::MAX);
        assert_eq!(acks.register(None), 0);
        acks.next_id = u64::MAX;
        assert_eq!(acks.register(None), 1);
    }

    #[test]
    fn expiry_is_earliest_first_and_only_when_due() {
        let mut acks = AwaitedAcks::default();
        let late = acks.register(Some(Instant::from_millis(20)));
        let early = acks.register(Some(Instant::from_millis(10)));
        let never = acks.register(None);
        assert_eq!(acks.next_deadline(), Some(Instant::from_millis(10)));
        assert_eq!(acks.pop_expired(Instant::from_millis(9)), None);
        assert_eq!(acks.pop_expired(Instant::from_millis(25)), Some(early));
        assert_eq!(acks.pop_expired(Instant::from_millis(25)), Some(late));
        assert_eq!(acks.pop_expired(Instant::from_millis(25)), None);
        assert_eq!(acks.take_all().collect::<Vec<_>>(), [never]);
        assert_eq!(acks.len(), 0);
    }
}
