//! Long-polling: the handshake GET, held GETs and POST bodies fed to the session task.

use std::pin::pin;
use std::sync::Arc;

use bytes::{Buf, Bytes};
use engineio_proto::ErrorCode;
use engineio_proto::server::{ClientProtocol, PostError};
use futures_channel::oneshot;
use http::{Response, StatusCode};
use http_body_util::BodyExt;

use crate::app::HandshakeRequest;
use crate::engine::{EngineState, ResponseBody};
use crate::http::refusal::{ErrorContext, Refusal};
use crate::http::response;
use crate::inbox::Inbox;
use crate::outbox::Refused;
use crate::session_task::{FirstTransport, PollReply, SessionInput};

/// What a long-polling request gets: a response (the transport's, or a bare status such as 413),
/// or a protocol error for the engine to report.
pub(crate) type Answer = Result<Response<ResponseBody>, Refusal>;

/// Opens a polling session; its handshake GET is answered with the `open` packet.
pub(crate) async fn handshake(
    shared: &Arc<EngineState>,
    sid: String,
    request: HandshakeRequest,
    protocol: ClientProtocol,
) -> Answer {
    let (reply, answer) = oneshot::channel();
    let first = FirstTransport::Polling(reply);
    if !shared
        .app
        .start_session(shared, sid.clone(), protocol, first, &request)
    {
        return Ok(response::internal_error());
    }
    poll_answer(&sid, answer.await.ok())
}

/// A GET on a session: held by the session task until it has something to send.
pub(crate) async fn poll(sid: &str, inbox: &Inbox) -> Answer {
    let (reply, answer) = oneshot::channel();
    inbox
        .push(SessionInput::Poll(reply))
        .map_err(|refused| refusal(sid, refused))?;
    poll_answer(sid, answer.await.ok())
}

/// The protocol error for a request the session's inbox refused.
pub(crate) fn refusal(sid: &str, refused: Refused) -> Refusal {
    match refused {
        Refused::Closed => Refusal::unknown_sid(sid),
        Refused::Full => Refusal::new(ErrorCode::BadRequest, ErrorContext::Session),
    }
}

fn poll_answer(sid: &str, answer: Option<PollReply>) -> Answer {
    match answer {
        Some(Ok(payload)) => Ok(response::poll(payload)),
        Some(Err(error)) => Err(Refusal::session(error)),
        // The session ended before answering.
        None => Err(Refusal::unknown_sid(sid)),
    }
}

/// A POST on a session: its body is handed over frame by frame, so an oversized body is refused with
/// 413 as soon as it crosses `max_payload`, without reading the rest.
pub(crate) async fn post<B>(sid: &str, inbox: &Inbox, body: B) -> Answer
where
    B: http_body::Body,
{
    match ask(inbox, SessionInput::PostStart).await {
        Err(refused) => return Err(refusal(sid, refused)),
        Ok(Err(error)) => return Err(Refusal::session(error)),
        Ok(Ok(())) => {}
    }
    let mut in_flight = PostInFlight {
        inbox,
        ended: false,
    };
    let mut body = pin!(body);
    loop {
        let frame = match body.frame().await {
            None => break,
            Some(Ok(frame)) => frame,
            // The client's connection failed mid-body; the guard tells the session.
            Some(Err(_)) => return Ok(response::status(StatusCode::BAD_REQUEST)),
        };
        let Ok(mut data) = frame.into_data() else {
            continue; // trailers carry nothing for Engine.IO
        };
        let chunk: Bytes = data.copy_to_bytes(data.remaining());
        match ask(inbox, |reply| SessionInput::PostData(chunk, reply)).await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => {
                in_flight.ended = true;
                return Ok(post_error(error));
            }
            Err(refused) => {
                in_flight.ended = true;
                return Err(refusal(sid, refused));
            }
        }
    }
    in_flight.ended = true;
    match ask(inbox, SessionInput::PostEnd).await {
        Ok(Ok(())) => Ok(response::post_ok()),
        Ok(Err(error)) => Ok(post_error(error)),
        Err(refused) => Err(refusal(sid, refused)),
    }
}

fn post_error(error: PostError) -> Response<ResponseBody> {
    response::status(StatusCode::from_u16(error.http_status()).unwrap_or(StatusCode::BAD_REQUEST))
}

/// Hands a request to the session task and waits for its answer.
async fn ask<T>(
    inbox: &Inbox,
    input: impl FnOnce(oneshot::Sender<T>) -> SessionInput,
) -> Result<T, Refused> {
    let (reply, answer) = oneshot::channel();
    inbox.push(input(reply))?;
    // A dropped reply: the session ended before answering.
    answer.await.map_err(|_| Refused::Closed)
}

/// Tells the session its POST was abandoned if the request handler stops (error, or its connection
/// dropped and the handler future with it) before the body ended.
struct PostInFlight<'a> {
    inbox: &'a Inbox,
    ended: bool,
}

impl Drop for PostInFlight<'_> {
    fn drop(&mut self) {
        if !self.ended {
            self.inbox.push_always(SessionInput::PostAborted);
        }
    }
}
