//! One WebSocket: frames read are fed to the session task, frames the session emits are written.

use std::future::{Future, poll_fn};
use std::io;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, ready};
use std::time::Instant;

use async_tungstenite::WebSocketStream;
use async_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use async_tungstenite::tungstenite::{self, Message as WsMessage};
use futures_io::{AsyncRead, AsyncWrite};
use futures_util::Stream;
use futures_util::future::{Either, select};
use hyper::upgrade::OnUpgrade;

use super::frames::{self, FrameReceiver, write_frames};
use super::io::FuturesIo;
use crate::driver::{Input, SocketId};
use crate::engine::Shared;

/// Runs a WebSocket once the HTTP upgrade completes, until either side ends it.
pub(crate) async fn run(
    shared: Arc<Shared>,
    upgrade: OnUpgrade,
    id: SocketId,
    frames: FrameReceiver,
    inputs: async_channel::Sender<Input>,
) {
    let Ok(upgraded) = upgrade.await else {
        let _ = inputs.send(Input::WsClosed(id, true)).await;
        return;
    };
    // The library's own limit bounds what one message may buffer; the protocol's (the same
    // `max_payload`) decides what the session does about it.
    let limit = shared.config.server.max_payload;
    let config = WebSocketConfig::default()
        .read_buffer_size(shared.config.ws_read_buffer)
        .max_message_size(Some(limit))
        .max_frame_size(Some(limit));
    let budget = Arc::new(AtomicUsize::new(0));
    let io = Budgeted {
        io: FuturesIo::new(upgraded),
        left: budget.clone(),
    };
    let socket = WebSocketStream::from_raw_socket(io, Role::Server, Some(config)).await;
    let read_budget = shared.config.ws_read_budget;
    let (sink, stream) = socket.split();
    let reader = pin!(read_frames(stream, id, &inputs));
    let writer = pin!(write_frames(sink, frames.into_stream()));
    // Each poll of this task reads at most `ws_read_budget` bytes (see `Budgeted`), and the writer
    // and the grace timer are polled before the reader: a client that never stops sending (a flood
    // of empty fragments makes no message the session could refuse) cannot keep the socket from
    // seeing the session let it go.
    match budgeted(&budget, read_budget, select(writer, reader)).await {
        Either::Right((failed, _writer)) => {
            let _ = inputs.send(Input::WsClosed(id, failed)).await;
        }
        Either::Left((failed, reader)) => {
            // The writer stops when the session lets the socket go (it is then ignored there) or when
            // writing fails (reported). Either way, give the client a moment to answer the close.
            let _ = inputs.try_send(Input::WsClosed(id, failed));
            let grace = shared
                .runtime
                .sleep_until(Instant::now() + shared.config.ws_close_grace);
            let _ = budgeted(&budget, read_budget, select(grace, reader)).await;
        }
    }
}

/// Feeds frames to the session until the socket ends; `true` if it failed rather than closed.
async fn read_frames(
    stream: impl Stream<Item = Result<WsMessage, tungstenite::Error>> + Unpin,
    id: SocketId,
    inputs: &async_channel::Sender<Input>,
) -> bool {
    let deliver = |frame| async move { inputs.send(Input::WsFrame(id, frame)).await.is_ok() };
    frames::read_frames(stream, deliver).await.unwrap_or(false)
}

/// Runs `future`, allowing its socket reads `amount` bytes per poll (see [`Budgeted`]).
async fn budgeted<F: Future>(budget: &AtomicUsize, amount: usize, future: F) -> F::Output {
    let mut future = pin!(future);
    poll_fn(|cx| {
        budget.store(amount, Ordering::Relaxed);
        future.as_mut().poll(cx)
    })
    .await
}

/// The socket's I/O, reading at most what is left of the budget its task refills on every poll;
/// past it, a read yields (the task is woken again at once). A client that sends without pause,
/// frames that never make a message (empty fragments), would otherwise keep the WebSocket
/// library parsing for a long time within one poll, holding back the writer, the timers and the
/// other tasks of that thread.
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
