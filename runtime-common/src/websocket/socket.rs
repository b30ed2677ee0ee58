//! One WebSocket: frames read are fed to the session task, frames the session emits are written.

use std::pin::pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_tungstenite::WebSocketStream;
use async_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use async_tungstenite::tungstenite::{self, Message as WsMessage};
use bytes::Bytes;
use engineio_proto::{Frame, Utf8Bytes};
use futures_util::future::{Either, select};
use futures_util::{SinkExt, Stream, StreamExt};
use hyper::upgrade::OnUpgrade;

use super::io::FuturesIo;
use crate::driver::{Input, SocketId};
use crate::engine::Shared;

/// How long a socket the session let go waits for the client to answer its close frame before the
/// connection is dropped.
const CLOSE_GRACE: Duration = Duration::from_secs(2);

/// Runs a WebSocket once the HTTP upgrade completes, until either side ends it.
pub(crate) async fn run(
    shared: Arc<Shared>,
    upgrade: OnUpgrade,
    id: SocketId,
    frames: async_channel::Receiver<Frame>,
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
        .max_message_size(Some(limit))
        .max_frame_size(Some(limit));
    let socket =
        WebSocketStream::from_raw_socket(FuturesIo::new(upgraded), Role::Server, Some(config))
            .await;
    let (sink, stream) = socket.split();
    let reader = pin!(read_frames(stream, id, &inputs));
    let writer = pin!(write_frames(sink, frames));
    match select(reader, writer).await {
        Either::Left((failed, _writer)) => {
            let _ = inputs.send(Input::WsClosed(id, failed)).await;
        }
        Either::Right((failed, reader)) => {
            // The writer stops when the session lets the socket go (it is then ignored there) or when
            // writing fails (reported). Either way, give the client a moment to answer the close.
            let _ = inputs.try_send(Input::WsClosed(id, failed));
            let grace = shared.runtime.sleep_until(Instant::now() + CLOSE_GRACE);
            let _ = select(reader, grace).await;
        }
    }
}

/// Feeds frames to the session until the socket ends; `true` if it failed rather than closed.
async fn read_frames(
    mut stream: impl Stream<Item = Result<WsMessage, tungstenite::Error>> + Unpin,
    id: SocketId,
    inputs: &async_channel::Sender<Input>,
) -> bool {
    while let Some(message) = stream.next().await {
        let frame = match message {
            Ok(WsMessage::Text(text)) => match Utf8Bytes::try_from_bytes(Bytes::from(text)) {
                Ok(text) => Frame::Text(text),
                Err(_) => return true,
            },
            Ok(WsMessage::Binary(data)) => Frame::Binary(data),
            Ok(WsMessage::Close(_)) => return false,
            // Control frames are answered by the library.
            Ok(WsMessage::Ping(_) | WsMessage::Pong(_) | WsMessage::Frame(_)) => continue,
            // The peer went away without a close frame: a close, as the reference reports it.
            Err(error) if is_abrupt_close(&error) => return false,
            Err(_) => return true,
        };
        // Waiting here when the session's queue is full is the backpressure on a fast sender.
        if inputs.send(Input::WsFrame(id, frame)).await.is_err() {
            return false;
        }
    }
    false
}

/// Writes the session's frames, batching what is ready before each flush, then closes the socket
/// when the session drops the queue. `true` if writing failed.
async fn write_frames(
    mut sink: impl futures_util::Sink<WsMessage, Error = tungstenite::Error> + Unpin,
    frames: async_channel::Receiver<Frame>,
) -> bool {
    let mut messages = pin!(frames.filter_map(|frame| async move { to_message(frame).map(Ok) }));
    if sink.send_all(&mut messages).await.is_err() {
        return true;
    }
    sink.close().await.is_err()
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

fn to_message(frame: Frame) -> Option<WsMessage> {
    match frame {
        Frame::Text(text) => tungstenite::Utf8Bytes::try_from(text.into_bytes())
            .ok()
            .map(WsMessage::Text),
        Frame::Binary(data) => Some(WsMessage::Binary(data)),
    }
}
