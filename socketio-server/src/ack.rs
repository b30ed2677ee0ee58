//! Acknowledgements both ways: answering the client's ([`AckSender`]) and awaiting its answer to
//! ours ([`EmitWithAck`]).

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::time::Duration;

use futures_channel::oneshot;
use serde::Serialize;
use socketio_proto::packet::{NamespaceName, Payload};

use super::error::EmitError;
use super::session::Command;
use super::socket::Socket;
use engineio_server::{HandleError, SessionHandle};

/// Answers one event the client sent with an ack callback. Cloneable for several listeners of the
/// same event; only the first answer is sent, as with the reference's ack function.
#[derive(Clone, Debug)]
pub struct AckSender {
    pub(crate) session: SessionHandle<Command>,
    pub(crate) namespace: NamespaceName,
    pub(crate) id: u64,
}

impl AckSender {
    /// Sends the acknowledgement: a tuple gives several arguments, `()` none, any other value one.
    /// Byte values (`bytes::Bytes`) travel as binary attachments.
    pub fn send<T: Serialize + ?Sized>(&self, args: &T) -> Result<(), EmitError> {
        self.send_payload(Payload::new(args)?)
    }

    /// Sends an acknowledgement already encoded as a payload (such as the event's own arguments).
    pub fn send_payload(&self, args: Payload) -> Result<(), EmitError> {
        let command = Command::Ack {
            namespace: self.namespace.clone(),
            id: self.id,
            args,
        };
        self.session.try_command(command).map_err(EmitError::from)
    }
}

impl From<HandleError> for EmitError {
    fn from(error: HandleError) -> Self {
        match error {
            HandleError::Full => EmitError::QueueFull,
            HandleError::Closed => EmitError::NotConnected,
        }
    }
}

/// Why an ack never came.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AckError {
    /// The client did not answer within the timeout.
    #[error("the client did not acknowledge in time")]
    Timeout,
    /// The socket disconnected before answering.
    #[error("the socket disconnected before acknowledging")]
    Disconnected,
    /// The event could not be sent (not connected, reserved name, too many acks awaited...).
    #[error("the event could not be sent")]
    NotSent,
}

/// The answer to an event sent with [`Socket::emit_with_ack`]. Nothing is sent until it is
/// awaited; set a deadline with [`timeout`](Self::timeout).
#[must_use = "the event is sent when the request is awaited"]
pub struct EmitWithAck {
    pub(crate) socket: Socket,
    pub(crate) args: Result<Payload, EmitError>,
    pub(crate) timeout: Option<Duration>,
}

impl EmitWithAck {
    /// Fails with [`AckError::Timeout`] if the client has not answered within `timeout`.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }
}

impl IntoFuture for EmitWithAck {
    type Output = Result<Payload, AckError>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        let EmitWithAck {
            socket,
            args,
            timeout,
        } = self;
        Box::pin(async move {
            let args = args.map_err(|_| AckError::NotSent)?;
            let (reply, answer) = oneshot::channel();
            let command = Command::EmitWithAck {
                namespace: socket.namespace().name().to_owned(),
                args,
                timeout,
                reply,
            };
            socket
                .session()
                .try_command(command)
                .map_err(|_| AckError::NotSent)?;
            // A dropped reply means the connection ended first.
            answer.await.unwrap_or(Err(AckError::Disconnected))
        })
    }
}
