//! Engine.IO frames over the WebSocket library, for both ends: what a read means, and the writer
//! that drains a frame queue. The server's sockets and the client's share them.

use std::pin::pin;

use async_tungstenite::tungstenite::{self, Message as WsMessage};
use bytes::Bytes;
use engineio_proto::{Frame, Utf8Bytes};
use futures_util::{SinkExt, StreamExt};

/// What one read from the WebSocket library means for the Engine.IO session.
pub(crate) enum Read {
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
pub(crate) fn read(message: Result<WsMessage, tungstenite::Error>) -> Read {
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
/// the queue's senders are gone. `true` if writing failed.
pub(crate) async fn write_frames(
    mut sink: impl futures_util::Sink<WsMessage, Error = tungstenite::Error> + Unpin,
    frames: async_channel::Receiver<Frame>,
) -> bool {
    let mut messages = pin!(frames.filter_map(|frame| async move { to_message(frame).map(Ok) }));
    if sink.send_all(&mut messages).await.is_err() {
        return true;
    }
    sink.close().await.is_err()
}

fn to_message(frame: Frame) -> Option<WsMessage> {
    match frame {
        Frame::Text(text) => tungstenite::Utf8Bytes::try_from(text.into_bytes())
            .ok()
            .map(WsMessage::Text),
        Frame::Binary(data) => Some(WsMessage::Binary(data)),
    }
}
