//! The table of live sessions: sid -> that session's inbox.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::inbox::Inbox;
use socketio_runtime::sync::lock;

/// Live sessions by sid. The lock guards only map operations and is never held across an await:
/// callers clone the inbox out and release it.
#[derive(Default)]
pub(crate) struct SessionTable {
    sessions: Mutex<HashMap<Arc<str>, Arc<Inbox>>>,
}

impl SessionTable {
    fn lock(&self) -> MutexGuard<'_, HashMap<Arc<str>, Arc<Inbox>>> {
        // Each operation is one map call.
        lock(&self.sessions)
    }

    /// The inbox of session `sid`, if it is live.
    pub(crate) fn get(&self, sid: &str) -> Option<Arc<Inbox>> {
        self.lock().get(sid).cloned()
    }

    /// Registers a session; `false` (and nothing changes) if the sid is taken.
    pub(crate) fn insert(&self, sid: Arc<str>, inbox: Arc<Inbox>) -> bool {
        let mut sessions = self.lock();
        if sessions.contains_key(&sid) {
            return false;
        }
        sessions.insert(sid, inbox);
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
