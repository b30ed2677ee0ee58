//! The engine session's life as the manager sees it: opening, failing, closing, reconnection and
//! timers.

use alloc::vec::Vec;

use alloc::string::String;

use engineio_proto::client::CloseReason;
use engineio_proto::{Instant, Message, SessionParams};

use super::manager::{EngineState, MainNamespace, Manager};
use super::output::{DisconnectReason, Event, OpenFailure, Output};

impl Manager {
    /// The engine session opened (it emitted `Open`). Every active socket sends `CONNECT`; after a
    /// reconnection attempt, [`Event::Reconnect`] follows and the backoff starts over.
    pub fn handle_engine_open(&mut self, _now: Instant) {
        if self.engine != EngineState::Opening {
            return;
        }
        self.engine = EngineState::Open;
        self.attempt_deadline = None;
        self.codec.reset();
        self.main_namespace = MainNamespace::Pending;
        let namespaces: Vec<_> = self.sockets.keys().cloned().collect();
        for namespace in namespaces {
            self.send_connect(&namespace);
        }
        if self.reconnecting {
            let attempts = self.backoff.attempts();
            self.reconnecting = false;
            self.backoff.reset();
            self.outputs
                .push_back(Output::Event(Event::Reconnect(attempts)));
        }
    }

    /// The engine session opened with `handshake` (it emitted `Open(handshake)`): as
    /// [`handle_engine_open`](Self::handle_engine_open), and the manager learns the session id, from
    /// which Socket.IO v4 socket ids derive (a v4 manager needs this call rather than the other).
    pub fn handle_engine_handshake(&mut self, now: Instant, handshake: &SessionParams) {
        if self.engine != EngineState::Opening {
            return;
        }
        self.engine_sid = Some(String::from(handshake.sid.as_str()));
        self.handle_engine_open(now);
    }

    /// A message from the open engine session. A message that does not decode closes the engine
    /// ("parse error") and reconnection follows.
    pub fn handle_message(&mut self, now: Instant, message: Message) {
        if self.engine != EngineState::Open {
            return;
        }
        match self.codec.decode(message) {
            Ok(Some(packet)) => self.handle_packet(packet),
            Ok(None) => {}
            Err(_) => {
                self.outputs.push_back(Output::CloseEngine);
                self.lose_engine(now, DisconnectReason::ParseError);
            }
        }
    }

    /// The engine session ended (it emitted `Closed`). Before it opened, this is a failed
    /// connection attempt; after, every active socket disconnects with the matching reason and
    /// reconnection follows. [`CloseReason::ForcedClose`] means the runtime closed it on its own:
    /// the manager then closes as with [`close`](Self::close).
    pub fn handle_engine_closed(&mut self, now: Instant, reason: CloseReason) {
        let state = self.engine;
        if state == EngineState::Closed {
            return;
        }
        self.forget_engine();
        match (state, reason) {
            (_, CloseReason::ForcedClose) => self.close(now),
            (EngineState::Opening, reason) => self.fail_attempt(now, OpenFailure::Closed(reason)),
            (_, reason) => self.lose_engine(now, DisconnectReason::from_close(&reason)),
        }
    }

    /// Processes what is due at `now`: ack timeouts, the connection attempt's timeout, the
    /// reconnection delay.
    pub fn handle_timeout(&mut self, now: Instant) {
        for (namespace, socket) in &mut self.sockets {
            socket.expire_acks(now, namespace, &mut self.outputs);
        }
        let attempt_expired = self
            .attempt_deadline
            .is_some_and(|deadline| deadline <= now);
        if self.engine == EngineState::Opening && attempt_expired {
            self.outputs.push_back(Output::CloseEngine);
            self.forget_engine();
            self.fail_attempt(now, OpenFailure::Timeout);
        }
        if self.reconnect_at.is_some_and(|at| at <= now) {
            self.reconnect_at = None;
            if !self.skip_reconnect && self.engine == EngineState::Closed {
                self.outputs
                    .push_back(Output::Event(Event::ReconnectAttempt(
                        self.backoff.attempts(),
                    )));
                self.open_engine(now);
            }
        }
    }

    /// Asks for a new engine session unless one exists.
    pub(super) fn open_engine(&mut self, now: Instant) {
        if self.engine != EngineState::Closed {
            return;
        }
        self.engine = EngineState::Opening;
        self.attempt_deadline = self.config.timeout.map(|timeout| now + timeout);
        self.skip_reconnect = false;
        self.codec.reset();
        self.outputs.push_back(Output::OpenEngine);
    }

    /// A connection attempt failed: every active socket still waiting hears `connect_error`, and the
    /// reconnection loop goes on (or starts, after a first attempt).
    fn fail_attempt(&mut self, now: Instant, failure: OpenFailure) {
        for (namespace, socket) in &mut self.sockets {
            socket.connecting = false;
            if socket.active && !socket.connected {
                self.outputs.push_back(Output::Event(Event::ConnectError {
                    namespace: namespace.clone(),
                    message: failure.as_str().into(),
                    data: None,
                }));
            }
        }
        if self.reconnecting {
            self.reconnecting = false;
            self.outputs
                .push_back(Output::Event(Event::ReconnectError(failure)));
            self.schedule_reconnect(now);
        } else if self.backoff.attempts() == 0 {
            self.schedule_reconnect(now);
        }
    }

    /// The open engine session is gone: every active socket disconnects with `reason` (and stays
    /// active), then reconnection starts.
    pub(super) fn lose_engine(&mut self, now: Instant, reason: DisconnectReason) {
        self.forget_engine();
        self.backoff.reset();
        for (namespace, socket) in &mut self.sockets {
            if socket.active {
                self.outputs.push_back(Output::Event(Event::Disconnect {
                    namespace: namespace.clone(),
                    reason,
                }));
            }
            socket.lose_connection(namespace, &mut self.outputs);
        }
        self.schedule_reconnect(now);
    }

    /// Schedules the next reconnection attempt after the backoff delay, or gives up once the attempts
    /// are used up.
    fn schedule_reconnect(&mut self, now: Instant) {
        if !self.config.reconnection || self.reconnecting || self.skip_reconnect {
            return;
        }
        let limit = self.config.reconnection_attempts.unwrap_or(u32::MAX);
        if self.backoff.attempts() >= limit {
            self.backoff.reset();
            self.outputs
                .push_back(Output::Event(Event::ReconnectFailed));
            return;
        }
        let delay = self.backoff.next_delay(&mut self.rng);
        self.reconnecting = true;
        self.reconnect_at = Some(now + delay);
    }
}
