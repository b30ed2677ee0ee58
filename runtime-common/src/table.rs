//! The table of live sessions: sid -> the sender into that session's task.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::driver::Input;

/// Live sessions by sid. The lock guards only map operations and is never held across an await:
/// callers clone the sender out and release it.
#[derive(Default)]
pub(crate) struct SessionTable {
    sessions: Mutex<HashMap<Arc<str>, async_channel::Sender<Input>>>,
}

impl SessionTable {
    fn lock(&self) -> MutexGuard<'_, HashMap<Arc<str>, async_channel::Sender<Input>>> {
        // A panic while holding this lock cannot leave the map half-updated (each operation is one
        // map call), so a poisoned lock is still consistent.
        self.sessions
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    /// The sender into session `sid`, if it is live.
    pub(crate) fn get(&self, sid: &str) -> Option<async_channel::Sender<Input>> {
        self.lock().get(sid).cloned()
    }

    /// Registers a session; `false` (and nothing changes) if the sid is taken.
    pub(crate) fn insert(&self, sid: Arc<str>, inputs: async_channel::Sender<Input>) -> bool {
        let mut sessions = self.lock();
        if sessions.contains_key(&sid) {
            return false;
        }
        sessions.insert(sid, inputs);
        true
    }

    /// Forgets a session that ended.
    pub(crate) fn remove(&self, sid: &str) {
        self.lock().remove(sid);
    }

    /// Whether `sid` is taken.
    pub(crate) fn contains(&self, sid: &str) -> bool {
        self.lock().contains_key(sid)
    }

    /// How many sessions are live.
    pub(crate) fn len(&self) -> usize {
        self.lock().len()
    }
}
