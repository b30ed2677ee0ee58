//! What one connected socket was sent, as far as recovery cares.

use alloc::collections::VecDeque;
use alloc::sync::Arc;

/// Most trailing strings of unstored events a [`Cursor`] remembers; an older one sent back as an
/// offset cannot be placed, and its client gets a fresh session.
pub const MAX_ALIASES: usize = 16;

/// One connected socket's place in its namespace's log.
///
/// `start` is the log position when its session began (it was sent nothing at or before it),
/// `last` the position of the last stored packet handed to it. The aliases are the trailing
/// string arguments of unstored (volatile) events it was sent, each with `last` at that moment: the
/// official client takes such a string for an offset.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cursor {
    /// The log position when the session began.
    pub start: u64,
    /// The log position of the last stored packet sent (`start` if none).
    pub last: u64,
    /// Trailing strings of unstored events sent, oldest first, with `last` when each was sent.
    pub aliases: VecDeque<(Arc<str>, u64)>,
}

impl Cursor {
    /// A cursor for a session that begins at log position `start`.
    pub fn new(start: u64) -> Self {
        Cursor {
            start,
            last: start,
            aliases: VecDeque::new(),
        }
    }

    /// The stored packet at `seq` was handed to the socket.
    pub fn sent(&mut self, seq: u64) {
        if seq > self.last {
            self.last = seq;
        }
    }

    /// An unstored event whose last argument is the string `alias` was handed to the socket.
    pub fn sent_unstored(&mut self, alias: Arc<str>) {
        if self.aliases.len() == MAX_ALIASES {
            self.aliases.pop_front();
        }
        self.aliases.push_back((alias, self.last));
    }

    /// The log position a client that last read the alias `text` is at: `None` if the cursor does
    /// not know it, or knows it at two different positions.
    pub fn resolve_alias(&self, text: &str) -> Option<u64> {
        let mut found = None;
        for (alias, last) in &self.aliases {
            if &**alias == text {
                match found {
                    Some(seen) if seen != *last => return None,
                    _ => found = Some(*last),
                }
            }
        }
        found
    }
}
