//! A session's outbox: what other tasks hand to a session (messages, commands, a close), bounded, and
//! allocated only while something waits in it.
//!
//! Application traffic does not share the request queue: a broadcast burst must not make HTTP
//! requests wait, and an idle session should cost no queue memory. The session task takes the whole
//! outbox at once, so a burst costs one wake-up.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};
use std::task::{Context, Poll};

use engineio_proto::{FramedText, Message};
use futures_util::task::AtomicWaker;

use socketio_runtime::sync::lock;

/// One thing handed to a session.
pub(crate) enum Outgoing<C> {
    /// A message the session must send, or close trying.
    Message(Message),
    /// The same for a text message framed once for many sessions.
    Framed(FramedText),
    /// The messages of one packet, which the session sends together or drops together if the
    /// client is not ready for them.
    Volatile(Vec<Message>),
    /// An application command for the session's handler, boxed: commands are far larger than
    /// messages, and every queued item is as large as the largest variant (a broadcast queues
    /// one message item per recipient).
    Command(Box<C>),
    /// Close the session.
    Close,
}

struct State<C> {
    queue: VecDeque<Outgoing<C>>,
    /// The session ended, or is ending because the outbox overflowed: nothing more is accepted.
    closed: bool,
    /// The outbox overflowed and the session has not been told yet.
    overflowed: bool,
    /// The session task is running and will look at the outbox before it sleeps: a push needs no
    /// wake-up. Listeners that emit or ack while the task dispatches an event push from inside it,
    /// and waking the running task would only schedule a spurious poll.
    busy: bool,
}

/// The outbox shared by a session task and its handles.
pub(crate) struct Outbox<C> {
    state: Mutex<State<C>>,
    waker: AtomicWaker,
    limit: usize,
}

/// Why an item could not be handed over.
pub(crate) enum Refused {
    Full,
    Closed,
}

impl<C> Outbox<C> {
    pub(crate) fn new(limit: usize) -> Self {
        Outbox {
            state: Mutex::new(State {
                queue: VecDeque::new(),
                closed: false,
                overflowed: false,
                busy: false,
            }),
            waker: AtomicWaker::new(),
            limit: limit.max(1),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State<C>> {
        lock(&self.state)
    }

    /// Queues `item`. A full outbox refuses it and marks the session for closing, so an accepted
    /// item is never dropped and a refused one is never silent.
    pub(crate) fn push(&self, item: Outgoing<C>) -> Result<(), Refused> {
        let mut state = self.lock();
        if state.closed {
            return Err(Refused::Closed);
        }
        if state.queue.len() >= self.limit {
            state.overflowed = true;
            state.closed = true;
            drop(state);
            self.waker.wake();
            return Err(Refused::Full);
        }
        self.enqueue(state, item);
        Ok(())
    }

    /// Queues a volatile message unless the outbox is half full (the client is behind): `false` if
    /// it was dropped.
    pub(crate) fn push_volatile(&self, messages: Vec<Message>) -> bool {
        let state = self.lock();
        if state.closed || state.queue.len() >= self.limit / 2 {
            return false;
        }
        self.enqueue(state, Outgoing::Volatile(messages));
        true
    }

    fn enqueue(&self, mut state: MutexGuard<'_, State<C>>, item: Outgoing<C>) {
        // A non-empty outbox has already woken the task, which has not taken it yet.
        let wake = state.queue.is_empty() && !state.busy;
        state.queue.push_back(item);
        drop(state);
        if wake {
            self.waker.wake();
        }
    }

    /// The session task is at work and will call [`poll_take`](Self::poll_take) before it sleeps.
    pub(crate) fn set_busy(&self) {
        self.lock().busy = true;
    }

    /// Moves everything queued into `taken` (empty, its buffer given in exchange so bursts reuse
    /// memory), or registers the task to be woken. `Ready(true)` says the outbox overflowed: carry
    /// out what was taken, then close the session.
    pub(crate) fn poll_take(
        &self,
        cx: &mut Context<'_>,
        taken: &mut VecDeque<Outgoing<C>>,
    ) -> Poll<bool> {
        debug_assert!(taken.is_empty());
        self.waker.register(cx.waker());
        let mut state = self.lock();
        let overflowed = std::mem::take(&mut state.overflowed);
        if state.queue.is_empty() && !overflowed {
            // From now on a push must wake the task (until it is busy again).
            state.busy = false;
            return Poll::Pending;
        }
        std::mem::swap(&mut state.queue, taken);
        Poll::Ready(overflowed)
    }

    /// The session ended: refuse everything from now on and free what waits.
    pub(crate) fn close(&self) {
        let mut state = self.lock();
        state.closed = true;
        state.queue = VecDeque::new();
    }

    /// Whether nothing more is accepted.
    pub(crate) fn is_closed(&self) -> bool {
        self.lock().closed
    }
}
