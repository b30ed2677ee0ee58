//! A session's WebSocket, polled by the session's own task: frames read go straight to the session
//! machine and the frames it emits straight to the socket, with no task or channel in between.
//! A socket the session lets go finishes its closing handshake on a small task of its own.

use std::collections::VecDeque;
use std::future::{Future, poll_fn};
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, ready};
use std::time::Instant;

use async_tungstenite::WebSocketStream;
use async_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use engineio_proto::Frame;
use futures_io::{AsyncRead, AsyncWrite};
use futures_util::future::select;
use futures_util::{SinkExt, StreamExt};
use hyper::upgrade::OnUpgrade;

use super::raw_io::{self, RawIo, Unwrapper};
use crate::engine::EngineState;
use socketio_runtime::FuturesIo;
use socketio_runtime::websocket::frames::{self, Read, to_message};

type WsStream = WebSocketStream<Budgeted<FuturesIo<RawIo>>>;

/// How a WebSocket ended, as the session machine hears it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ended {
    /// The client closed it, or went away (as the reference reports an abrupt close).
    Closed,
    /// The connection or the peer failed: an I/O error, bad framing, a message over the limit.
    Failed,
}

// A link is open for nearly all its life: boxing the socket would add an allocation and save none.
#[allow(clippy::large_enum_variant)]
enum State {
    /// hyper sends the `101`, then hands the connection over; `None` if it never does.
    Upgrading(Pin<Box<dyn Future<Output = Option<WsStream>> + Send>>),
    Open(WsStream),
    /// The upgrade failed: there is no connection.
    Gone,
}

impl State {
    /// Waits for hyper to hand the connection over; `Ready(Err)` if it never will.
    fn poll_open<'a>(
        state: &'a mut State,
        cx: &mut Context<'_>,
    ) -> Poll<Result<&'a mut WsStream, Ended>> {
        if let State::Upgrading(open) = state {
            *state = match ready!(open.as_mut().poll(cx)) {
                Some(stream) => State::Open(stream),
                None => State::Gone,
            };
        }
        match state {
            State::Open(stream) => Poll::Ready(Ok(stream)),
            State::Upgrading(_) | State::Gone => Poll::Ready(Err(Ended::Failed)),
        }
    }
}

/// One WebSocket of a session.
pub(crate) struct WsLink {
    state: State,
    /// Frames the session emitted that the library has not taken yet; allocated only while a burst
    /// waits.
    queued: VecDeque<Frame>,
    limit: usize,
    /// Frames were handed to the library since its last complete flush.
    unflushed: bool,
    budget: ReadBudget,
}

impl WsLink {
    /// The WebSocket that `upgrade` will hand over once the `101` is sent. `unwrapper` takes
    /// hyper's buffer off the connection (see [`raw_io`]).
    pub(crate) fn new(
        shared: &EngineState,
        upgrade: OnUpgrade,
        unwrapper: Option<Unwrapper>,
    ) -> Self {
        // The library's own limit bounds what one message may buffer; the protocol's (the same
        // `max_payload`) decides what the session does about it.
        let limit = shared.config.server.max_payload;
        let config = WebSocketConfig::default()
            .read_buffer_size(shared.config.ws_read_buffer)
            .max_message_size(Some(limit))
            .max_frame_size(Some(limit));
        let budget = ReadBudget::new(shared.config.ws_read_budget);
        let left = budget.left.clone();
        let open = async move {
            let upgraded = upgrade.await.ok()?;
            let io = Budgeted {
                io: FuturesIo::new(raw_io::into_raw(upgraded, unwrapper)),
                left,
            };
            Some(WebSocketStream::from_raw_socket(io, Role::Server, Some(config)).await)
        };
        WsLink {
            state: State::Upgrading(Box::pin(open)),
            queued: VecDeque::new(),
            limit: shared.config.ws_write_queue.max(1),
            unflushed: false,
            budget,
        }
    }

    /// Queues `frame` for the socket; `false` if the queue is full: the client is not reading fast
    /// enough, and the socket should be given up rather than buffer without bound.
    pub(crate) fn send(&mut self, frame: Frame) -> bool {
        if self.queued.len() >= self.limit {
            return false;
        }
        self.queued.push_back(frame);
        true
    }

    /// Call at the start of every poll of the task that owns the link (see [`ReadBudget`]).
    pub(crate) fn begin_poll(&mut self) {
        self.budget.begin_poll();
    }

    /// Call when that poll returns `Pending`.
    pub(crate) fn end_poll_pending(&mut self) {
        self.budget.end_poll_pending();
    }

    /// Hands the queued frames to the library and flushes them. `Ready` only if the socket failed;
    /// `Pending` once everything is written or the socket cannot take more yet.
    pub(crate) fn poll_write(&mut self, cx: &mut Context<'_>) -> Poll<Ended> {
        match self.poll_written(cx) {
            Poll::Ready(Err(ended)) => Poll::Ready(ended),
            _ => Poll::Pending,
        }
    }

    /// `Ready(Ok)` once every queued frame is written and flushed.
    pub(crate) fn poll_written(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Ended>> {
        if self.queued.is_empty() && !self.unflushed {
            return Poll::Ready(Ok(()));
        }
        let stream = match ready!(State::poll_open(&mut self.state, cx)) {
            Ok(stream) => stream,
            Err(ended) => return Poll::Ready(Err(ended)),
        };
        while let Some(frame) = self.queued.pop_front() {
            match stream.poll_ready_unpin(cx) {
                Poll::Ready(Ok(())) => {}
                Poll::Ready(Err(_)) => return Poll::Ready(Err(Ended::Failed)),
                Poll::Pending => {
                    self.queued.push_front(frame);
                    return Poll::Pending;
                }
            }
            if stream.start_send_unpin(to_message(frame)).is_err() {
                return Poll::Ready(Err(Ended::Failed));
            }
            self.unflushed = true;
        }
        // An idle socket keeps no queue memory.
        self.queued = VecDeque::new();
        match ready!(stream.poll_flush_unpin(cx)) {
            Ok(()) => {
                self.unflushed = false;
                Poll::Ready(Ok(()))
            }
            Err(_) => Poll::Ready(Err(Ended::Failed)),
        }
    }

    /// The next data frame from the client, or how the socket ended (after which the link is done:
    /// hand it to [`close`](Self::close)).
    pub(crate) fn poll_read(&mut self, cx: &mut Context<'_>) -> Poll<Result<Frame, Ended>> {
        let stream = match ready!(State::poll_open(&mut self.state, cx)) {
            Ok(stream) => stream,
            Err(ended) => return Poll::Ready(Err(ended)),
        };
        loop {
            let Some(message) = ready!(stream.poll_next_unpin(cx)) else {
                return Poll::Ready(Err(Ended::Closed));
            };
            match frames::read(message) {
                Read::Frame(frame) => return Poll::Ready(Ok(frame)),
                Read::Skip => {}
                Read::Closed => return Poll::Ready(Err(Ended::Closed)),
                Read::Failed => return Poll::Ready(Err(Ended::Failed)),
            }
        }
    }

    /// Ends the socket on a task of its own: writes what is queued, sends the close frame and gives
    /// the client `ws_close_grace` to answer it, then drops the connection.
    pub(crate) fn close(self, shared: &EngineState) {
        let deadline = Instant::now() + shared.config.ws_close_grace;
        let grace = shared.runtime.sleep_until(deadline);
        let mut link = self;
        let closing = async move { poll_fn(|cx| link.poll_closed(cx)).await };
        shared.runtime.spawn(Box::pin(async move {
            let _ = select(grace, Box::pin(closing)).await;
        }));
    }

    /// Drives the closing handshake: `Ready` once the socket is done (closed by both sides, or
    /// failed).
    fn poll_closed(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        self.begin_poll();
        let done = self.poll_closing(cx);
        if done.is_pending() {
            self.end_poll_pending();
        }
        done
    }

    fn poll_closing(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        // A socket let go before hyper handed it over still gets its close frame.
        if ready!(State::poll_open(&mut self.state, cx)).is_err()
            || ready!(self.poll_written(cx)).is_err()
        {
            return Poll::Ready(());
        }
        let State::Open(stream) = &mut self.state else {
            return Poll::Ready(());
        };
        if ready!(stream.poll_close_unpin(cx)).is_err() {
            return Poll::Ready(());
        }
        // Read until the client's close frame (or its going away) ends the stream.
        while let Some(message) = ready!(stream.poll_next_unpin(cx)) {
            if message.is_err() {
                return Poll::Ready(());
            }
        }
        Poll::Ready(())
    }
}

/// How much a socket may read per poll of its task. A client that sends without pause (a flood of
/// empty fragments makes no message the session could refuse) would otherwise keep the WebSocket
/// library parsing for a long time within one poll, holding back the task's writer and timers and
/// the other tasks of that thread. Past the budget a read yields; the budget is refilled only once
/// the task has really returned to the executor, not on every turn of its loop.
struct ReadBudget {
    left: Arc<AtomicUsize>,
    amount: usize,
    refill: bool,
}

impl ReadBudget {
    fn new(amount: usize) -> Self {
        let amount = amount.max(1);
        ReadBudget {
            left: Arc::new(AtomicUsize::new(amount)),
            amount,
            refill: false,
        }
    }

    fn begin_poll(&mut self) {
        if std::mem::take(&mut self.refill) {
            self.left.store(self.amount, Ordering::Relaxed);
        }
    }

    fn end_poll_pending(&mut self) {
        self.refill = true;
    }
}

/// The socket's I/O, reading at most what is left of its [`ReadBudget`]; past it, a read yields
/// (the task is woken again at once).
struct Budgeted<T> {
    io: T,
    left: Arc<AtomicUsize>,
}

impl<T: AsyncRead + Unpin> AsyncRead for Budgeted<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let left = self.left.load(Ordering::Relaxed);
        if left == 0 && !buf.is_empty() {
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        let max = buf.len().min(left);
        let read = ready!(Pin::new(&mut self.io).poll_read(cx, &mut buf[..max]))?;
        self.left.store(left - read, Ordering::Relaxed);
        Poll::Ready(Ok(read))
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Budgeted<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_close(cx)
    }
}
