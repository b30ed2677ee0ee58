//! Engine.IO frames over the WebSocket library, for both ends: what a read means, and the writer
//! that drains a frame queue. The server's sockets and the client's share them.

use std::future::Future;
use std::pin::pin;

use async_tungstenite::tungstenite::{self, Message as WsMessage};
use bytes::Bytes;
use engineio_proto::{Frame, Utf8Bytes};
use futures_util::{SinkExt, Stream, StreamExt};

/// What one read from the WebSocket library means for the Engine.IO session.
pub enum Read {
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
pub fn read(message: Result<WsMessage, tungstenite::Error>) -> Read {
    match message {
        // SAFETY: the library checked the text message's UTF-8.
        Ok(WsMessage::Text(text)) => Read::Frame(Frame::Text(unsafe {
            Utf8Bytes::from_bytes_unchecked(Bytes::from(text))
        })),
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
pub async fn read_frames<F: Future<Output = bool>>(
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
pub async fn write_frames(
    mut sink: impl futures_util::Sink<WsMessage, Error = tungstenite::Error> + Unpin,
    frames: impl futures_util::Stream<Item = Frame>,
) -> bool {
    let mut messages = pin!(frames.map(|frame| Ok(to_message(frame))));
    if sink.send_all(&mut messages).await.is_err() {
        return true;
    }
    sink.close().await.is_err()
}

/// The library's message for a frame, without checking the text's UTF-8 again (once per recipient
/// of a broadcast, that pass showed in profiles).
pub fn to_message(frame: Frame) -> WsMessage {
    match frame {
        // SAFETY: `Utf8Bytes` holds UTF-8 only.
        Frame::Text(text) => WsMessage::Text(unsafe {
            tungstenite::Utf8Bytes::from_bytes_unchecked(text.into_bytes())
        }),
        Frame::Binary(data) => WsMessage::Binary(data),
    }
}
