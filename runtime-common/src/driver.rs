//! One task per session: owns the [`ServerSession`], feeds it inputs and time, carries out its outputs
//! and runs the application's handler in between.

use std::collections::VecDeque;
use std::future::poll_fn;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;

use bytes::Bytes;
use engineio_proto::server::{Event, Output, PostError, ServerSession};
use engineio_proto::{Frame, Instant, RequestError};
use futures_channel::oneshot;
use futures_util::StreamExt;

use crate::app::{HandshakeRequest, SessionContext, SessionHandle, SessionHandler};
use crate::engine::Shared;
use crate::outbox::{Outbox, Outgoing};
use crate::runtime::BoxSleep;
use crate::websocket::frames::{FrameReceiver, FrameSender, frame_queue};

/// Identifies one WebSocket attached to a session, so the frames and the close of a socket the
/// session already let go are not reported to it.
pub(crate) type SocketId = u64;

/// The answer to a long-polling GET: the payload, or the protocol error.
pub(crate) type PollReply = Result<Bytes, RequestError>;

/// A WebSocket accepted for a session: its id and the frames to write on it.
pub(crate) type SocketAttach = (SocketId, FrameReceiver);

/// Everything that reaches a session task.
pub(crate) enum Input {
    /// A long-polling GET, answered through the sender (held until there is something to send).
    Poll(oneshot::Sender<PollReply>),
    /// A long-polling POST begins.
    PostStart(oneshot::Sender<Result<(), RequestError>>),
    /// The next chunk of the POST body.
    PostData(Bytes, oneshot::Sender<Result<(), PostError>>),
    /// The POST body ended.
    PostEnd(oneshot::Sender<Result<(), PostError>>),
    /// The POST's connection failed before its body ended.
    PostAborted,
    /// A WebSocket upgrade request for this session (the probe of a polling session).
    Upgrade(oneshot::Sender<Result<SocketAttach, RequestError>>),
    /// A frame read from a WebSocket.
    WsFrame(SocketId, Frame),
    /// A WebSocket ended; `true` if it failed rather than closed cleanly.
    WsClosed(SocketId, bool),
}

/// The session's WebSocket (the probe while upgrading, else the main one; never both: the protocol
/// machine probes only from polling).
struct SocketLink {
    id: SocketId,
    frames: FrameSender,
}

/// The state of one session task.
pub(crate) struct Driver {
    shared: Arc<Shared>,
    session: ServerSession,
    handle: SessionHandle,
    /// The handshake request, until the application has seen it.
    request: Option<HandshakeRequest>,
    /// Requests and WebSocket frames (the application's traffic comes through the outbox).
    inputs: Pin<Box<async_channel::Receiver<Input>>>,
    /// The outbox batch being carried out; its buffer goes back to the outbox for the next one.
    taken: VecDeque<Outgoing>,
    /// A sender into `inputs`, for the transports attached later.
    input_sender: async_channel::Sender<Input>,
    /// The long-polling GET held open, if any.
    held_get: Option<oneshot::Sender<PollReply>>,
    socket: Option<SocketLink>,
    next_socket_id: SocketId,
    sleep: Option<(Instant, BoxSleep)>,
}

/// Largest outbox batch buffer kept between batches (in items); a bigger one is freed.
const SPARE_CAPACITY: usize = 256;

enum Wake {
    Input(Input),
    /// Other tasks handed something over (now in `Driver::taken`); `true` if the outbox
    /// overflowed.
    Outbox(bool),
    InputsGone,
    GetAborted,
    Timeout,
}

impl Driver {
    pub(crate) fn new(
        shared: Arc<Shared>,
        session: ServerSession,
        handle: SessionHandle,
        request: HandshakeRequest,
        inputs: async_channel::Receiver<Input>,
        input_sender: async_channel::Sender<Input>,
    ) -> Self {
        Driver {
            shared,
            session,
            handle,
            request: Some(request),
            inputs: Box::pin(inputs),
            input_sender,
            taken: VecDeque::new(),
            held_get: None,
            socket: None,
            next_socket_id: 0,
            sleep: None,
        }
    }

    /// Holds the handshake GET of a polling session (the machine answers it with the `open` packet).
    pub(crate) fn hold_get(&mut self, reply: oneshot::Sender<PollReply>) {
        self.held_get = Some(reply);
    }

    /// Attaches a new WebSocket and returns its id and the receiving end of its frame queue.
    pub(crate) fn attach_socket(&mut self) -> SocketAttach {
        let id = self.next_socket_id;
        self.next_socket_id += 1;
        let (frames, receiver) = frame_queue(self.shared.config.ws_write_queue);
        self.socket = Some(SocketLink { id, frames });
        (id, receiver)
    }

    /// Runs the session to its end, then removes it from the table.
    pub(crate) async fn run(mut self) {
        let mut handler = {
            let mut context = SessionContext {
                session: &mut self.session,
                now: self.shared.clock.now(),
                handle: &self.handle,
            };
            let request = self
                .request
                .take()
                .expect("the handshake request is kept until here");
            self.shared.app.on_open(&mut context, &request)
        };
        loop {
            self.drain(handler.as_mut());
            if self.session.is_closed() {
                break;
            }
            let wake = self.wait(handler.poll_timeout()).await;
            let now = self.shared.clock.now();
            match wake {
                Wake::Timeout => {
                    self.session.handle_timeout(now);
                    self.drain(handler.as_mut());
                    if handler.poll_timeout().is_some_and(|at| at <= now) {
                        let mut context = SessionContext {
                            session: &mut self.session,
                            now,
                            handle: &self.handle,
                        };
                        handler.on_timeout(&mut context);
                    }
                }
                Wake::GetAborted => {
                    self.held_get = None;
                    self.session.handle_poll_aborted(now);
                }
                Wake::Input(input) => self.on_input(now, input),
                Wake::Outbox(overflowed) => {
                    let mut items = std::mem::take(&mut self.taken);
                    self.on_outbox(now, handler.as_mut(), &mut items);
                    // Kept for the next batch, unless a burst made it large.
                    if items.capacity() <= SPARE_CAPACITY {
                        self.taken = items;
                    }
                    if overflowed {
                        // The client is not keeping up with what the application sends it.
                        self.session.close(now);
                    }
                }
                // Unreachable while the table holds a sender, but never leave a session dangling.
                Wake::InputsGone => self.session.close(now),
            }
        }
        self.shared.sessions.remove(self.handle.sid());
        self.handle.outbox.close();
        // Requests queued meanwhile see their reply sender dropped: they answer "unknown sid".
        self.inputs.close();
    }

    /// Waits for the next thing to do. The deadline (the session's or the handler's, whichever is
    /// first) and an aborted GET are checked before inputs, so a flood of inputs cannot starve the
    /// heartbeat.
    async fn wait(&mut self, handler_deadline: Option<Instant>) -> Wake {
        let deadline = match (self.session.poll_timeout(), handler_deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        if self.sleep.as_ref().map(|(at, _)| *at) != deadline {
            self.sleep = deadline.map(|at| {
                let sleep = self
                    .shared
                    .runtime
                    .sleep_until(self.shared.clock.to_std(at));
                (at, sleep)
            });
        }
        poll_fn(|cx| {
            if let Some((_, sleep)) = &mut self.sleep {
                if sleep.as_mut().poll(cx).is_ready() {
                    self.sleep = None;
                    return Poll::Ready(Wake::Timeout);
                }
            }
            if let Some(get) = &mut self.held_get {
                if get.poll_canceled(cx).is_ready() {
                    return Poll::Ready(Wake::GetAborted);
                }
            }
            if let Poll::Ready(overflowed) = self.handle.outbox.poll_take(cx, &mut self.taken) {
                return Poll::Ready(Wake::Outbox(overflowed));
            }
            match self.inputs.poll_next_unpin(cx) {
                Poll::Ready(Some(input)) => Poll::Ready(Wake::Input(input)),
                Poll::Ready(None) => Poll::Ready(Wake::InputsGone),
                Poll::Pending => Poll::Pending,
            }
        })
        .await
    }

    fn on_input(&mut self, now: Instant, input: Input) {
        match input {
            Input::Poll(reply) => match self.session.handle_poll(now) {
                Ok(()) => self.held_get = Some(reply),
                Err(error) => {
                    let _ = reply.send(Err(error));
                }
            },
            Input::PostStart(reply) => {
                let _ = reply.send(self.session.handle_post_start(now));
            }
            Input::PostData(chunk, reply) => {
                let _ = reply.send(self.session.handle_post_data(now, chunk));
            }
            Input::PostEnd(reply) => {
                let _ = reply.send(self.session.handle_post_end(now));
            }
            Input::PostAborted => self.session.handle_post_aborted(now),
            Input::Upgrade(reply) => {
                let answer = self
                    .session
                    .handle_upgrade_request(now)
                    .map(|()| self.attach_socket());
                let _ = reply.send(answer);
            }
            Input::WsFrame(id, frame) => {
                if self.owns_socket(id) {
                    self.session.handle_ws_frame(now, frame);
                }
            }
            Input::WsClosed(id, error) => {
                if self.owns_socket(id) {
                    self.socket = None;
                    self.session.handle_ws_closed(now, error);
                }
            }
        }
    }

    /// Carries out what other tasks handed over, in order, draining outputs as it goes so the
    /// handler's commands see the session as it is.
    fn on_outbox(
        &mut self,
        now: Instant,
        handler: &mut dyn SessionHandler,
        items: &mut VecDeque<Outgoing>,
    ) {
        for item in items.drain(..) {
            match item {
                Outgoing::Message(message) => {
                    // The handle accepted this message; if the session cannot queue it the client
                    // is not keeping up, and dropping it silently is not an option: close instead.
                    if self.session.send(message).is_err() {
                        self.session.close(now);
                    }
                }
                Outgoing::Volatile(messages) => {
                    // Dropped unless the transport can take it now, as the reference does.
                    if self.session.queued_packets() == 0 {
                        for message in messages {
                            let _ = self.session.send(message);
                        }
                    }
                }
                Outgoing::Command(command) => {
                    let mut context = SessionContext {
                        session: &mut self.session,
                        now,
                        handle: &self.handle,
                    };
                    handler.on_command(&mut context, command);
                }
                Outgoing::Close => self.session.close(now),
            }
            self.drain(handler);
        }
    }

    fn owns_socket(&self, id: SocketId) -> bool {
        self.socket.as_ref().is_some_and(|socket| socket.id == id)
    }

    /// Carries out every pending output, running the handler for events.
    fn drain(&mut self, handler: &mut dyn SessionHandler) {
        let mut flushed = false;
        while let Some(output) = self.session.poll_output() {
            match output {
                Output::PollResponse(payload) => {
                    flushed = true;
                    if let Some(get) = self.held_get.take() {
                        let _ = get.send(Ok(payload));
                    }
                }
                Output::WsFrame(frame) => {
                    flushed = true;
                    self.write_frame(frame);
                }
                // Dropping the only sender ends the writer, which closes the socket.
                Output::CloseWebSocket => self.socket = None,
                Output::Event(event) => self.dispatch(handler, event),
            }
        }
        // Everything queued went to the transport: the reference's `drain`.
        if flushed && !self.session.is_closed() && self.session.queued_packets() == 0 {
            let mut context = SessionContext {
                session: &mut self.session,
                now: self.shared.clock.now(),
                handle: &self.handle,
            };
            handler.on_drain(&mut context);
        }
    }

    fn write_frame(&mut self, frame: Frame) {
        let Some(socket) = &self.socket else {
            return;
        };
        if !socket.frames.try_send(frame) {
            // The writer is not keeping up (or is gone): give the socket up rather than buffer
            // without bound. The session sees its transport fail.
            self.socket = None;
            let now = self.shared.clock.now();
            self.session.handle_ws_closed(now, true);
        }
    }

    fn dispatch(&mut self, handler: &mut dyn SessionHandler, event: Event) {
        let mut context = SessionContext {
            session: &mut self.session,
            now: self.shared.clock.now(),
            handle: &self.handle,
        };
        match event {
            Event::Message(message) => handler.on_message(&mut context, message),
            Event::Upgraded => handler.on_upgrade(&mut context),
            Event::Upgrading => {}
            Event::Closed(reason) => handler.on_close(reason),
        }
    }
}

impl Driver {
    /// Creates session `sid`, registers it in the table and returns its task's state, not yet
    /// running (attach the first transport, then spawn [`Driver::run`]). `None` if the sid is taken.
    pub(crate) fn open(
        shared: &Arc<Shared>,
        sid: String,
        transport: engineio_proto::Transport,
        request: HandshakeRequest,
    ) -> Option<Driver> {
        let sid: Arc<str> = sid.into();
        let (sender, inputs) = async_channel::bounded(shared.config.input_queue);
        if !shared.sessions.insert(sid.clone(), sender.clone()) {
            return None;
        }
        let now = shared.clock.now();
        let session = ServerSession::new(now, sid.to_string(), transport, shared.config.server);
        let handle = SessionHandle {
            sid,
            outbox: Arc::new(Outbox::new(shared.config.outbox_limit)),
        };
        Some(Driver::new(
            shared.clone(),
            session,
            handle,
            request,
            inputs,
            sender,
        ))
    }

    /// A sender into this session's inputs, for a transport that feeds it.
    pub(crate) fn input_sender(&self) -> async_channel::Sender<Input> {
        self.input_sender.clone()
    }

    /// Spawns [`Driver::run`] on the engine's runtime.
    pub(crate) fn spawn(self) {
        let runtime = self.shared.runtime.clone();
        runtime.spawn(Box::pin(self.run()));
    }
}
