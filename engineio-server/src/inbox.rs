//! A session's inbox: the HTTP requests (long-polling GETs and POST chunks, upgrade requests) waiting
//! for its task. Bounded, and holding no memory while empty: a WebSocket session, whose frames the
//! task reads itself, never uses it.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};
use std::task::{Context, Poll};

use futures_util::task::AtomicWaker;

use crate::outbox::Refused;
use crate::session_task::SessionInput;
use socketio_runtime::sync::lock;

#[derive(Default)]
struct State {
    queue: VecDeque<SessionInput>,
    /// The session ended: nothing more is accepted.
    closed: bool,
}

/// The inbox shared by a session task and the request handlers (through the session table).
pub(crate) struct Inbox {
    state: Mutex<State>,
    waker: AtomicWaker,
    limit: usize,
}

impl Inbox {
    /// An inbox that holds at most `limit` requests.
    pub(crate) fn new(limit: usize) -> Self {
        Inbox {
            state: Mutex::default(),
            waker: AtomicWaker::new(),
            limit: limit.max(1),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    /// Queues `input`, unless the session ended or `limit` requests already wait (a client with
    /// that many requests in flight on one session is not a well-behaved one).
    pub(crate) fn push(&self, input: SessionInput) -> Result<(), Refused> {
        let mut state = self.lock();
        if state.closed {
            return Err(Refused::Closed);
        }
        if state.queue.len() >= self.limit {
            return Err(Refused::Full);
        }
        state.queue.push_back(input);
        drop(state);
        self.waker.wake();
        Ok(())
    }

    /// Queues `input` even past the limit: for a POST's abort notice, which must not be lost (there
    /// is at most one per POST, and each POST holds no other place while it waits for it).
    pub(crate) fn push_always(&self, input: SessionInput) {
        let mut state = self.lock();
        if state.closed {
            return;
        }
        state.queue.push_back(input);
        drop(state);
        self.waker.wake();
    }

    /// The next request, or registers the task to be woken.
    pub(crate) fn poll_next(&self, cx: &mut Context<'_>) -> Poll<SessionInput> {
        self.waker.register(cx.waker());
        let mut state = self.lock();
        match state.queue.pop_front() {
            Some(input) => {
                if state.queue.is_empty() {
                    state.queue = VecDeque::new();
                }
                Poll::Ready(input)
            }
            None => Poll::Pending,
        }
    }

    /// The session ended: refuse everything from now on. The requests still waiting are dropped with
    /// their reply senders, so their handlers answer "unknown sid".
    pub(crate) fn close(&self) {
        let waiting = {
            let mut state = self.lock();
            state.closed = true;
            std::mem::take(&mut state.queue)
        };
        drop(waiting);
    }
}

#[cfg(test)]
mod tests {
    use std::task::Waker;

    use futures_channel::oneshot;

    use super::*;

    fn poll(inbox: &Inbox) -> Poll<SessionInput> {
        inbox.poll_next(&mut Context::from_waker(Waker::noop()))
    }

    #[test]
    fn refuses_past_its_bound_keeps_abort_notices_and_drops_the_rest_on_close() {
        let inbox = Inbox::new(2);
        let (first, _first_answer) = oneshot::channel();
        assert!(inbox.push(SessionInput::Poll(first)).is_ok());
        assert!(inbox.push(SessionInput::PostAborted).is_ok());
        let (third, _) = oneshot::channel();
        assert!(matches!(
            inbox.push(SessionInput::Poll(third)),
            Err(Refused::Full)
        ));
        inbox.push_always(SessionInput::PostAborted);
        assert!(matches!(poll(&inbox), Poll::Ready(SessionInput::Poll(_))));
        assert!(matches!(
            poll(&inbox),
            Poll::Ready(SessionInput::PostAborted)
        ));
        assert!(matches!(
            poll(&inbox),
            Poll::Ready(SessionInput::PostAborted)
        ));
        assert!(poll(&inbox).is_pending());

        let (waiting, mut waiting_answer) = oneshot::channel();
        assert!(inbox.push(SessionInput::Poll(waiting)).is_ok());
        inbox.close();
        // The request still queued is dropped with its reply sender: its handler sees the end.
        assert!(matches!(waiting_answer.try_recv(), Err(oneshot::Canceled)));
        assert!(matches!(
            inbox.push(SessionInput::PostAborted),
            Err(Refused::Closed)
        ));
        assert!(poll(&inbox).is_pending());
    }
}
