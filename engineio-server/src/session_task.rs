//! One task per session: owns the [`ServerSession`], feeds it inputs and time, carries out its outputs
//! and runs the application's handler in between. The session's WebSocket is polled by this task
//! too, so a frame costs no hop between tasks; long-polling requests arrive through its inbox.

use std::any::Any;
use std::collections::VecDeque;
use std::future::poll_fn;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::task::Poll;

use bytes::Bytes;
use engineio_proto::server::{
    ClientProtocol, CloseReason, Event, Output, PostError, ServerSession,
};
use engineio_proto::{ErrorCode, Frame, Instant, RequestError};
use futures_channel::oneshot;
use futures_util::FutureExt;
use hyper::upgrade::OnUpgrade;

use crate::app::{Application, HandshakeRequest, SessionContext, SessionHandle, SessionHandler};
use crate::engine::EngineState;
use crate::inbox::Inbox;
use crate::outbox::{Outbox, Outgoing};
use crate::websocket::{Ended, Unwrapper, WsLink};
use socketio_runtime::BoxSleep;

/// The answer to a long-polling GET: the payload, or the protocol error.
pub(crate) type PollReply = Result<Bytes, RequestError>;

/// Everything that reaches a session task from other tasks, except the application's traffic
/// (which comes through the outbox).
pub(crate) enum SessionInput {
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
    /// A WebSocket upgrade request for this session (the probe of a polling session): the
    /// connection hyper hands over once the answer is not `Refused` and the `101` is sent, and the
    /// protocol its request gives (revision, `b64`).
    Upgrade(WsUpgrade, ClientProtocol, oneshot::Sender<UpgradeAnswer>),
}

/// What a session makes of a WebSocket for its sid.
pub(crate) enum UpgradeAnswer {
    /// The socket is the probe of an upgrade.
    Probe,
    /// The session is already on WebSocket or upgrading: as the reference does, the newcomer's
    /// handshake completes and the socket is closed at once, leaving the session's own socket
    /// working (a `400` would raise an error event that crashes clients with no error listener).
    Surplus,
    /// Refused with the protocol's error.
    Refused(RequestError),
}

/// A WebSocket connection on its way from hyper to a session.
pub(crate) struct WsUpgrade {
    pub(crate) upgrade: OnUpgrade,
    pub(crate) unwrapper: Option<Unwrapper>,
}

/// The state of one session task.
pub(crate) struct SessionTask<H: SessionHandler> {
    shared: Arc<EngineState>,
    session: ServerSession,
    handle: SessionHandle<H::Command>,
    /// Long-polling and upgrade requests.
    inbox: Arc<Inbox>,
    /// The outbox batch being carried out; its buffer goes back to the outbox for the next one.
    taken: VecDeque<Outgoing<H::Command>>,
    /// The long-polling GET held open, if any.
    held_get: Option<oneshot::Sender<PollReply>>,
    /// The session's WebSocket: the probe while upgrading, else the main one; never both, as the
    /// protocol machine probes only from polling.
    socket: Option<WsLink>,
    sleep: Option<(Instant, BoxSleep)>,
    /// Commands the handler asked back once what it queued is written
    /// ([`SessionContext::after_write`]); while any wait, the task only writes and keeps time.
    after_write: Vec<H::Command>,
    /// The task has yielded once since the `after_write` commands' write completed.
    yielded: bool,
}

/// Largest outbox batch buffer kept between batches (in items); a bigger one is freed.
const SPARE_CAPACITY: usize = 256;

enum SessionWake {
    Input(SessionInput),
    /// The WebSocket read a frame.
    WsFrame(Frame),
    /// The WebSocket ended.
    WsEnded(Ended),
    /// Other tasks handed something over (now in `SessionTask::taken`); `true` if the outbox
    /// overflowed.
    Outbox(bool),
    GetAborted,
    Timeout,
    /// Everything queued was written to the WebSocket: the `after_write` commands are due.
    Written,
}

impl<H: SessionHandler> SessionTask<H> {
    pub(crate) fn new(
        shared: Arc<EngineState>,
        session: ServerSession,
        handle: SessionHandle<H::Command>,
        inbox: Arc<Inbox>,
    ) -> Self {
        SessionTask {
            shared,
            session,
            handle,
            inbox,
            taken: VecDeque::new(),
            held_get: None,
            socket: None,
            sleep: None,
            after_write: Vec::new(),
            yielded: false,
        }
    }

    /// The session as the handler sees it during one call.
    fn context(&mut self, now: Instant) -> SessionContext<'_, H::Command> {
        SessionContext {
            session: &mut self.session,
            now,
            handle: &self.handle,
            after_write: &mut self.after_write,
        }
    }

    /// Hands the `after_write` commands back to the handler, carrying out what each leads to.
    fn deliver_after_write(&mut self, now: Instant, handler: &mut H) {
        while !self.after_write.is_empty() {
            for command in std::mem::take(&mut self.after_write) {
                handler.on_command(&mut self.context(now), command);
            }
            self.carry_out(now, handler);
        }
    }

    /// Holds the handshake GET of a polling session (the machine answers it with the `open` packet).
    pub(crate) fn hold_get(&mut self, reply: oneshot::Sender<PollReply>) {
        self.held_get = Some(reply);
    }

    /// Attaches the WebSocket that `upgrade` will hand over.
    pub(crate) fn attach_socket(&mut self, upgrade: WsUpgrade) {
        self.socket = Some(WsLink::new(
            &self.shared,
            upgrade.upgrade,
            upgrade.unwrapper,
        ));
    }

    /// Lets the WebSocket go: it finishes its closing handshake on its own.
    fn release_socket(&mut self) {
        if let Some(socket) = self.socket.take() {
            socket.close(&self.shared);
        }
    }

    /// Runs the session to its end, then removes it from the table.
    async fn run(&mut self, handler: &mut H) {
        let mut now = self.shared.clock.now();
        loop {
            self.drain(now, handler);
            if self.session.is_closed() {
                break;
            }
            let wake = self.wait(handler.poll_timeout()).await;
            // What the handler hands over while this wake-up is carried out is taken on the next
            // turn of the loop, before the task sleeps: no wake-up needed.
            self.handle.outbox.set_busy();
            // One reading of the clock per wake-up: everything it leads to happens "now".
            now = self.shared.clock.now();
            match wake {
                SessionWake::Timeout => {
                    self.session.handle_timeout(now);
                    self.drain(now, handler);
                    if handler.poll_timeout().is_some_and(|at| at <= now) {
                        let mut context = self.context(now);
                        handler.on_timeout(&mut context);
                    }
                }
                SessionWake::GetAborted => {
                    self.held_get = None;
                    self.session.handle_poll_aborted(now);
                }
                SessionWake::Input(input) => self.on_input(now, input),
                SessionWake::WsFrame(frame) => self.session.handle_ws_frame(now, frame),
                SessionWake::WsEnded(ended) => {
                    self.release_socket();
                    self.session.handle_ws_closed(now, ended == Ended::Failed);
                }
                SessionWake::Written => self.deliver_after_write(now, handler),
                SessionWake::Outbox(overflowed) => {
                    let mut items = std::mem::take(&mut self.taken);
                    self.on_outbox(now, handler, &mut items);
                    // Kept for the next batch, unless a burst made it large.
                    if items.capacity() <= SPARE_CAPACITY {
                        self.taken = items;
                    }
                    if overflowed {
                        // The client is not keeping up with what the application sends it.
                        self.session.close(now);
                    }
                }
            }
        }
        self.finish();
    }

    /// Takes the session out of the table and lets go of its transports and queues.
    fn finish(&mut self) {
        self.shared.sessions.remove(self.handle.sid());
        self.handle.outbox.close();
        self.release_socket();
        // Requests queued meanwhile see their reply sender dropped: they answer "unknown sid".
        self.inbox.close();
    }

    /// The application's code panicked inside this session: the session ends as a forced close
    /// (the handler hears of it, so it lets go of what it registered), the panic is reported, and
    /// every other session goes on.
    fn end_after_panic(&mut self, handler: &mut H, panic: &(dyn Any + Send)) {
        let message = panic
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("a panic without a message");
        if let Some(hook) = &self.shared.hooks.panic {
            hook(self.handle.sid(), message);
        }
        let now = self.shared.clock.now();
        let _ = catch_unwind(AssertUnwindSafe(|| {
            handler.on_close(now, CloseReason::ForcedClose)
        }));
        self.finish();
    }

    /// Waits for the next thing to do. The deadline (the session's or the handler's, whichever is
    /// first) and an aborted GET are checked before inputs, so a flood of inputs cannot starve the
    /// heartbeat; the socket's writes go before the outbox, so a burst is written while it arrives.
    async fn wait(&mut self, handler_deadline: Option<Instant>) -> SessionWake {
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
            if let Some(socket) = &mut self.socket {
                socket.begin_poll();
            }
            let wake = self.poll_wake(cx);
            if wake.is_pending()
                && let Some(socket) = &mut self.socket
            {
                socket.end_poll_pending();
            }
            wake
        })
        .await
    }

    fn poll_wake(&mut self, cx: &mut std::task::Context<'_>) -> Poll<SessionWake> {
        if let Some((_, sleep)) = &mut self.sleep {
            if sleep.as_mut().poll(cx).is_ready() {
                self.sleep = None;
                return Poll::Ready(SessionWake::Timeout);
            }
        }
        if !self.after_write.is_empty() {
            // Nothing is taken in until what was queued before the commands is written.
            return match &mut self.socket {
                Some(socket) => match socket.poll_written(cx) {
                    // One turn of the runtime between the write and what follows it, as the
                    // reference's write callback gives: the client's read of the first write
                    // gets its chance before the second is made.
                    Poll::Ready(Ok(())) if !self.yielded => {
                        self.yielded = true;
                        cx.waker().wake_by_ref();
                        Poll::Pending
                    }
                    Poll::Ready(Ok(())) => {
                        self.yielded = false;
                        Poll::Ready(SessionWake::Written)
                    }
                    Poll::Ready(Err(ended)) => Poll::Ready(SessionWake::WsEnded(ended)),
                    Poll::Pending => Poll::Pending,
                },
                None => Poll::Ready(SessionWake::Written),
            };
        }
        if let Some(get) = &mut self.held_get {
            if get.poll_canceled(cx).is_ready() {
                return Poll::Ready(SessionWake::GetAborted);
            }
        }
        if let Some(socket) = &mut self.socket {
            if let Poll::Ready(ended) = socket.poll_write(cx) {
                return Poll::Ready(SessionWake::WsEnded(ended));
            }
        }
        if let Poll::Ready(overflowed) = self.handle.outbox.poll_take(cx, &mut self.taken) {
            return Poll::Ready(SessionWake::Outbox(overflowed));
        }
        if let Some(socket) = &mut self.socket {
            match socket.poll_read(cx) {
                Poll::Ready(Ok(frame)) => return Poll::Ready(SessionWake::WsFrame(frame)),
                Poll::Ready(Err(ended)) => return Poll::Ready(SessionWake::WsEnded(ended)),
                Poll::Pending => {}
            }
        }
        self.inbox.poll_next(cx).map(SessionWake::Input)
    }

    fn on_input(&mut self, now: Instant, input: SessionInput) {
        match input {
            SessionInput::Poll(reply) => match self.session.handle_poll(now) {
                Ok(()) => self.held_get = Some(reply),
                Err(error) => {
                    let _ = reply.send(Err(error));
                }
            },
            SessionInput::PostStart(reply) => {
                let _ = reply.send(self.session.handle_post_start(now));
            }
            SessionInput::PostData(chunk, reply) => {
                let _ = reply.send(self.session.handle_post_data(now, chunk));
            }
            SessionInput::PostEnd(reply) => {
                let _ = reply.send(self.session.handle_post_end(now));
            }
            SessionInput::PostAborted => self.session.handle_post_aborted(now),
            SessionInput::Upgrade(upgrade, protocol, reply) => {
                let answer = match self.session.handle_upgrade_request_with(now, protocol) {
                    Ok(()) => {
                        self.attach_socket(upgrade);
                        UpgradeAnswer::Probe
                    }
                    Err(error) if error.code == ErrorCode::BadRequest => {
                        WsLink::new(&self.shared, upgrade.upgrade, upgrade.unwrapper)
                            .close(&self.shared);
                        UpgradeAnswer::Surplus
                    }
                    Err(error) => UpgradeAnswer::Refused(error),
                };
                let _ = reply.send(answer);
            }
        }
    }

    /// Carries out what other tasks handed over, in order, carrying out outputs as it goes so the
    /// handler's commands see the session as it is. The handler hears of a drain once per batch.
    fn on_outbox(
        &mut self,
        now: Instant,
        handler: &mut H,
        items: &mut VecDeque<Outgoing<H::Command>>,
    ) {
        let mut flushed = false;
        for item in items.drain(..) {
            match item {
                Outgoing::Message(message) => {
                    // The handle accepted this message; if the session cannot queue it the client
                    // is not keeping up, and dropping it silently is not an option: close instead.
                    if self.session.send(message).is_err() {
                        self.session.close(now);
                    }
                }
                Outgoing::Framed(message) => {
                    if self.session.send_framed(message).is_err() {
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
                    handler.on_command(&mut self.context(now), *command);
                    self.deliver_unless_websocket(now, handler);
                }
                Outgoing::Close => self.session.close(now),
            }
            flushed |= self.carry_out(now, handler);
        }
        self.notify_if_drained(now, handler, flushed);
    }

    /// Carries out every pending output, running the handler for events; then, if that flushed
    /// everything queued, tells the handler.
    fn drain(&mut self, now: Instant, handler: &mut H) {
        let flushed = self.carry_out(now, handler);
        self.notify_if_drained(now, handler, flushed);
    }

    /// Carries out every pending output, running the handler for events; `true` if something went
    /// to the transport.
    fn carry_out(&mut self, now: Instant, handler: &mut H) -> bool {
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
                    self.write_frame(now, frame);
                }
                Output::CloseWebSocket => self.release_socket(),
                Output::Event(event) => self.dispatch(now, handler, event),
            }
        }
        flushed
    }

    /// After a flush that left nothing queued, the handler hears of it: the reference's `drain`.
    fn notify_if_drained(&mut self, now: Instant, handler: &mut H, flushed: bool) {
        if flushed && !self.session.is_closed() && self.session.queued_packets() == 0 {
            let mut context = self.context(now);
            handler.on_drain(&mut context);
        }
    }

    fn write_frame(&mut self, now: Instant, frame: Frame) {
        let Some(socket) = &mut self.socket else {
            return;
        };
        if !socket.send(frame) {
            // The client is not reading: give the socket up rather than buffer without bound.
            // The session sees its transport fail.
            self.release_socket();
            self.session.handle_ws_closed(now, true);
        }
    }

    fn dispatch(&mut self, now: Instant, handler: &mut H, event: Event) {
        let mut context = self.context(now);
        match event {
            Event::Message(message) => handler.on_message(&mut context, message),
            Event::Upgraded => handler.on_upgrade(&mut context),
            Event::Upgrading => {}
            Event::Closed(reason) => handler.on_close(now, reason),
        }
        self.deliver_unless_websocket(now, handler);
    }

    /// Without a WebSocket nothing is written in the middle of a request: the `after_write`
    /// commands come back at once, before the next packet of the same request.
    fn deliver_unless_websocket(&mut self, now: Instant, handler: &mut H) {
        if self.socket.is_none() {
            self.deliver_after_write(now, handler);
        }
    }
}

impl<H: SessionHandler> SessionTask<H> {
    /// Creates session `sid`, registers it in the table and returns its task's state, not yet
    /// running (attach the first transport, then [`spawn`](Self::spawn) it), speaking the revision
    /// the handshake request gave. `None` if the sid is taken.
    pub(crate) fn open(
        shared: &Arc<EngineState>,
        sid: String,
        transport: engineio_proto::Transport,
        protocol: ClientProtocol,
    ) -> Option<Self> {
        let sid: Arc<str> = sid.into();
        let inbox = Arc::new(Inbox::new(shared.config.input_queue));
        if !shared.sessions.insert(sid.clone(), inbox.clone()) {
            return None;
        }
        let now = shared.clock.now();
        let session = ServerSession::with_protocol(
            now,
            sid.to_string(),
            transport,
            shared.config.server,
            protocol,
        );
        let handle = SessionHandle {
            sid,
            outbox: Arc::new(Outbox::new(shared.config.outbox_limit)),
        };
        Some(SessionTask::new(shared.clone(), session, handle, inbox))
    }

    /// Opens the application's handler for the session with the request that opened it, then
    /// spawns the session's task. The handler is opened here, not in the task, so the request is
    /// not kept in the task's memory for the session's life.
    fn spawn<A: Application<Handler = H>>(mut self, app: &A, request: &HandshakeRequest) {
        let mut handler = {
            let mut context = self.context(self.shared.clock.now());
            app.on_open(&mut context, request)
        };
        let runtime = self.shared.runtime.clone();
        // `run` borrows the task state and the handler, so the future holds one copy of each: a
        // captured value moved into a local of its own would be kept twice (about 600 bytes more
        // per idle session, measured).
        runtime.spawn(Box::pin(async move {
            let outcome = AssertUnwindSafe(self.run(&mut handler))
                .catch_unwind()
                .await;
            if let Err(panic) = outcome {
                self.end_after_panic(&mut handler, &*panic);
            }
        }));
    }
}

/// The transport a new session opens over, with what it needs to start.
pub(crate) enum FirstTransport {
    /// The handshake GET, held until the machine answers it with the `open` packet.
    Polling(oneshot::Sender<PollReply>),
    /// The WebSocket the handshake upgrades to.
    WebSocket(WsUpgrade),
}

/// Starts sessions of one application. The engine keeps its application behind this trait, so
/// the engine's type does not name the application while each session task is made for the
/// application's own handler and command types.
pub(crate) trait StartSession: Send + Sync + 'static {
    /// Creates session `sid` over `first`, registers it and spawns its task; `false` if the sid
    /// is taken.
    fn start_session(
        &self,
        shared: &Arc<EngineState>,
        sid: String,
        protocol: ClientProtocol,
        first: FirstTransport,
        request: &HandshakeRequest,
    ) -> bool;
}

impl<A: Application> StartSession for A {
    fn start_session(
        &self,
        shared: &Arc<EngineState>,
        sid: String,
        protocol: ClientProtocol,
        first: FirstTransport,
        request: &HandshakeRequest,
    ) -> bool {
        let transport = match first {
            FirstTransport::Polling(_) => engineio_proto::Transport::Polling,
            FirstTransport::WebSocket(_) => engineio_proto::Transport::WebSocket,
        };
        let Some(mut task) = SessionTask::<A::Handler>::open(shared, sid, transport, protocol)
        else {
            return false;
        };
        match first {
            FirstTransport::Polling(reply) => task.hold_get(reply),
            FirstTransport::WebSocket(upgrade) => task.attach_socket(upgrade),
        }
        task.spawn(self, request);
        true
    }
}
