//! One TCP connection from a client: HTTP requests one at a time, or, once upgraded, a WebSocket.
//! What a connection is doing is kept here; what its bytes mean for a session is the server's job.

use std::io::{self, ErrorKind, Read};

use engineio_proto::{Frame, Instant, Utf8Bytes};
use tungstenite::protocol::{Role, WebSocketConfig};
use tungstenite::{Message, WebSocket};

use crate::wire::Wire;

/// A connection's handle in the server's table; never reused.
pub type PeerId = u64;

/// A client connection.
#[derive(Debug)]
pub enum Peer {
    /// Speaking HTTP/1.1.
    Http(HttpPeer),
    /// Upgraded to a WebSocket.
    WebSocket(Box<WsPeer>),
}

/// A connection speaking HTTP/1.1, one request at a time.
#[derive(Debug)]
pub struct HttpPeer {
    /// The socket.
    pub wire: Wire,
    /// Bytes read and not taken yet: part of a head, of a body, or a request sent early.
    pub input: Vec<u8>,
    /// What the connection is doing.
    pub state: HttpState,
    /// When the connection is dropped unless it moved on (a request completed, a response went
    /// out); none while a GET is held, which the session itself answers in time.
    pub deadline: Option<Instant>,
    /// The client has closed its side.
    pub eof: bool,
}

/// Where an HTTP connection is in its request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HttpState {
    /// Waiting for a request head.
    Head,
    /// A long-polling POST of session `sid`, `remaining` body bytes to go.
    Body {
        /// The session.
        sid: String,
        /// Bytes of the body not yet read.
        remaining: usize,
        /// Whether the connection stays open after the answer.
        keep_alive: bool,
    },
    /// A long-polling GET of session `sid`, held until the session answers it.
    Held {
        /// The session.
        sid: String,
        /// Whether the connection stays open after the answer.
        keep_alive: bool,
    },
    /// The last response is going out; the connection closes after it.
    Closing,
}

impl HttpPeer {
    /// A fresh connection, dropped at `deadline` unless a request completes first.
    pub fn new(wire: Wire, deadline: Instant) -> Self {
        HttpPeer {
            wire,
            input: Vec::new(),
            state: HttpState::Head,
            deadline: Some(deadline),
            eof: false,
        }
    }

    /// Reads what has arrived while fewer than `limit` bytes are buffered; how many were read.
    /// The end of the stream sets [`eof`](Self::eof).
    pub fn fill(&mut self, limit: usize) -> io::Result<usize> {
        let mut chunk = [0u8; 4096];
        let mut total = 0;
        while !self.eof && self.input.len() < limit {
            let room = (limit - self.input.len()).min(chunk.len());
            match self.wire.read(&mut chunk[..room]) {
                Ok(0) => self.eof = true,
                Ok(read) => {
                    self.input.extend_from_slice(&chunk[..read]);
                    total += read;
                }
                Err(error) if error.kind() == ErrorKind::WouldBlock => break,
                Err(error) if error.kind() == ErrorKind::Interrupted => {}
                Err(error) => return Err(error),
            }
        }
        Ok(total)
    }

    /// Sends a response; the connection then waits for its next request until `deadline`, or closes
    /// once the response is out.
    pub fn respond(&mut self, response: &[u8], keep_alive: bool, deadline: Instant) {
        self.wire.send(response);
        self.state = if keep_alive {
            HttpState::Head
        } else {
            HttpState::Closing
        };
        self.deadline = Some(deadline);
    }
}

/// A WebSocket connection, opened for one session.
#[derive(Debug)]
pub struct WsPeer {
    /// The socket, framed.
    pub ws: WebSocket<Wire>,
    /// The session it was opened for; it carries that session's frames while the session's
    /// `websocket` names it.
    pub sid: String,
    /// Set once the server closed it: dropped then if the closing handshake is not done.
    pub deadline: Option<Instant>,
    /// A write failed or overflowed the bound: the socket is dropped on its next turn.
    pub failed: bool,
}

/// What one read of a WebSocket gave.
pub enum WsRead {
    /// A data frame.
    Frame(Frame),
    /// A control frame, answered by the library: nothing for the session.
    Control,
    /// Nothing more for now.
    Idle,
    /// The client sent its close frame: the library answers it, and the next read ends the socket.
    Closing,
    /// The socket ended: `true` if it failed (broken framing, a message over the bound), `false`
    /// if it closed or the connection just went away (which the reference also calls a close).
    Ended(bool),
}

impl WsPeer {
    /// Wraps an upgraded connection (`101` queued on `wire`, `input` read past the request head).
    pub fn new(wire: Wire, input: Vec<u8>, sid: String, config: WebSocketConfig) -> Self {
        WsPeer {
            ws: WebSocket::from_partially_read(wire, input, Role::Server, Some(config)),
            sid,
            deadline: None,
            failed: false,
        }
    }

    /// Reads one message, if one has arrived.
    pub fn read(&mut self) -> WsRead {
        match self.ws.read() {
            Ok(Message::Text(text)) => match Utf8Bytes::try_from_bytes(text.into()) {
                Ok(text) => WsRead::Frame(Frame::Text(text)),
                Err(_) => WsRead::Ended(true),
            },
            Ok(Message::Binary(bytes)) => WsRead::Frame(Frame::Binary(bytes)),
            Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_)) => WsRead::Control,
            Ok(Message::Close(_)) => WsRead::Closing,
            Err(tungstenite::Error::Io(error)) if error.kind() == ErrorKind::WouldBlock => {
                WsRead::Idle
            }
            Err(error) => WsRead::Ended(!is_abrupt_close(&error)),
        }
    }

    /// Sends a frame; a full buffer (the client is not reading) or a broken socket fails it.
    pub fn send(&mut self, frame: Frame) {
        let message = match frame {
            // Checked again, not copied: both sides hold UTF-8 in `Bytes`.
            Frame::Text(text) => match tungstenite::Utf8Bytes::try_from(text.into_bytes()) {
                Ok(text) => Message::Text(text),
                Err(_) => {
                    self.failed = true;
                    return;
                }
            },
            Frame::Binary(bytes) => Message::Binary(bytes),
        };
        match self.ws.write(message) {
            Ok(()) => {}
            Err(tungstenite::Error::Io(error)) if error.kind() == ErrorKind::WouldBlock => {}
            Err(_) => self.failed = true,
        }
    }

    /// Starts the closing handshake; the socket is dropped once it is done, or at `deadline`.
    pub fn close(&mut self, deadline: Instant) {
        self.deadline = Some(deadline);
        let _ = self.ws.close(None);
    }

    /// Writes what is buffered. `false` once the socket is done (closed, or failed).
    pub fn flush(&mut self) -> bool {
        match self.ws.flush() {
            Ok(()) => !self.failed,
            Err(tungstenite::Error::Io(error)) if error.kind() == ErrorKind::WouldBlock => {
                !self.failed
            }
            Err(_) => false,
        }
    }
}

/// Whether a read error only says the connection ended (reset, end of stream, no closing
/// handshake) rather than that the client broke the protocol.
fn is_abrupt_close(error: &tungstenite::Error) -> bool {
    use tungstenite::error::ProtocolError;
    match error {
        tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed => true,
        tungstenite::Error::Protocol(ProtocolError::ResetWithoutClosingHandshake) => true,
        tungstenite::Error::Io(error) => matches!(
            error.kind(),
            ErrorKind::ConnectionReset
                | ErrorKind::ConnectionAborted
                | ErrorKind::UnexpectedEof
                | ErrorKind::BrokenPipe
        ),
        _ => false,
    }
}
