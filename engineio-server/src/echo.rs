//! The Engine.IO echo of the public conformance suites: every message goes back as it came.

use std::convert::Infallible;

use engineio_proto::Message;

use crate::app::{Application, HandshakeRequest, SessionContext, SessionHandler};

/// Echoes every message (text as text, binary as binary) to the session that sent it. A client that
/// does not read its echoes fast enough loses its session rather than growing the server's queue.
#[derive(Clone, Copy, Debug, Default)]
pub struct EchoApp;

impl Application for EchoApp {
    type Handler = EchoApp;

    fn on_open(
        &self,
        _session: &mut SessionContext<'_, Infallible>,
        _request: &HandshakeRequest,
    ) -> EchoApp {
        EchoApp
    }
}

impl SessionHandler for EchoApp {
    type Command = Infallible;

    fn on_message(&mut self, session: &mut SessionContext<'_, Infallible>, message: Message) {
        if session.send(message).is_err() {
            session.close();
        }
    }
}
