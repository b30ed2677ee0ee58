//! Engine.IO frames over the WebSocket library, for both ends: what a read means, and the writer
//! that drains a frame queue. The server's sockets and the client's share them.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_tungstenite::tungstenite::{self, Message as WsMessage};
use bytes::Bytes;
use engineio_proto::{Frame, Utf8Bytes};
use futures_util::{SinkExt, Stream, StreamExt};

/// What one read from the WebSocket library means for the Engine.IO session.
enum Read {
    /// A data frame for the session.
    Frame(Frame),
    /// A control frame, answered by the library: nothing for the session.
    Skip,
    /// The peer closed: a close frame, or it went away without one (as the reference reports it).
    Closed,
    /// The peer broke the protocol (invalid UTF-8 text, bad framing, a message over the limit).
    Failed,
}

/// Classifies one item of the library's message stream.
fn read(message: Result<WsMessage, tungstenite::Error>) -> Read {
    match message {
        Ok(WsMessage::Text(text)) => match Utf8Bytes::try_from_bytes(Bytes::from(text)) {
            Ok(text) => Read::Frame(Frame::Text(text)),
            Err(_) => Read::Failed,
        },
        Ok(WsMessage::Binary(data)) => Read::Frame(Frame::Binary(data)),
        Ok(WsMessage::Close(_)) => Read::Closed,
        Ok(WsMessage::Ping(_) | WsMessage::Pong(_) | WsMessage::Frame(_)) => Read::Skip,
        Err(error) if is_abrupt_close(&error) => Read::Closed,
        Err(_) => Read::Failed,
    }
}

/// Reads the socket, handing each data frame to `deliver` (which resolves `false` once its receiver
/// is gone, and may wait: that is the backpressure on a fast peer), until the socket ends:
/// `Some(failed)` when it closed, failed or nobody listens any more, `None` when the stream just
/// ended.
pub(crate) async fn read_frames<F: Future<Output = bool>>(
    mut stream: impl Stream<Item = Result<WsMessage, tungstenite::Error>> + Unpin,
    mut deliver: impl FnMut(Frame) -> F,
) -> Option<bool> {
    while let Some(message) = stream.next().await {
        match read(message) {
            Read::Frame(frame) => {
                if !deliver(frame).await {
                    return Some(false);
                }
            }
            Read::Skip => {}
            Read::Closed => return Some(false),
            Read::Failed => return Some(true),
        }
    }
    None
}

/// Whether a read error only says the connection ended (reset, EOF, no closing handshake), as
/// opposed to the peer breaking the protocol.
fn is_abrupt_close(error: &tungstenite::Error) -> bool {
    use std::io::ErrorKind;
    use tungstenite::error::ProtocolError;
    match error {
        tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed => true,
        tungstenite::Error::Protocol(ProtocolError::ResetWithoutClosingHandshake) => true,
        tungstenite::Error::Io(io) => matches!(
            io.kind(),
            ErrorKind::ConnectionReset
                | ErrorKind::ConnectionAborted
                | ErrorKind::UnexpectedEof
                | ErrorKind::BrokenPipe
        ),
        _ => false,
    }
}

/// Writes the queued frames, batching what is ready before each flush, then closes the socket when
/// the queue ends. `true` if writing failed.
pub(crate) async fn write_frames(
    mut sink: impl futures_util::Sink<WsMessage, Error = tungstenite::Error> + Unpin,
    frames: impl futures_util::Stream<Item = Frame>,
) -> bool {
    let mut messages = pin!(frames.filter_map(|frame| async move { to_message(frame).map(Ok) }));
    if sink.send_all(&mut messages).await.is_err() {
        return true;
    }
    sink.close().await.is_err()
}

/// A session's end of its WebSocket's frame queue. The queue is bounded by a count, not by
/// capacity reserved up front: an idle socket costs no queue memory, and a burst the writer is
/// draining may use the whole bound.
pub(crate) struct FrameSender {
    frames: async_channel::Sender<Frame>,
    queued: Arc<AtomicUsize>,
    limit: usize,
}

/// The writer's end of the frame queue.
pub(crate) struct FrameReceiver {
    frames: async_channel::Receiver<Frame>,
    queued: Arc<AtomicUsize>,
}

/// A frame queue that holds at most `limit` frames.
pub(crate) fn frame_queue(limit: usize) -> (FrameSender, FrameReceiver) {
    let (sender, receiver) = async_channel::unbounded();
    let queued = Arc::new(AtomicUsize::new(0));
    let sender = FrameSender {
        frames: sender,
        queued: queued.clone(),
        limit: limit.max(1),
    };
    (
        sender,
        FrameReceiver {
            frames: receiver,
            queued,
        },
    )
}

impl FrameSender {
    /// Queues `frame`; `false` if the queue is full (the client is not reading) or the writer is
    /// gone.
    pub(crate) fn try_send(&self, frame: Frame) -> bool {
        if self.queued.fetch_add(1, Ordering::AcqRel) >= self.limit {
            self.queued.fetch_sub(1, Ordering::AcqRel);
            return false;
        }
        self.frames.try_send(frame).is_ok()
    }
}

impl FrameReceiver {
    /// The frames as the writer takes them, each leaving room for another.
    pub(crate) fn into_stream(self) -> impl futures_util::Stream<Item = Frame> {
        let FrameReceiver { frames, queued } = self;
        frames.inspect(move |_| {
            queued.fetch_sub(1, Ordering::AcqRel);
        })
    }
}

fn to_message(frame: Frame) -> Option<WsMessage> {
    match frame {
        Frame::Text(text) => tungstenite::Utf8Bytes::try_from(text.into_bytes())
            .ok()
            .map(WsMessage::Text),
        Frame::Binary(data) => Some(WsMessage::Binary(data)),
    }
}
