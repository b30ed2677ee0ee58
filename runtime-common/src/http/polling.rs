//! Long-polling: the handshake GET, held GETs and POST bodies fed to the session task.

use std::pin::pin;
use std::sync::Arc;

use bytes::{Buf, Bytes};
use engineio_proto::Transport;
use engineio_proto::server::PostError;
use futures_channel::oneshot;
use http::{Response, StatusCode};
use http_body_util::BodyExt;

use crate::app::HandshakeRequest;
use crate::driver::{Driver, Input, PollReply};
use crate::engine::{ResponseBody, Shared};
use crate::http::refusal::Refusal;
use crate::http::response;

/// What a long-polling request gets: a response (the transport's, or a bare status such as 413),
/// or a protocol error for the engine to report.
pub(crate) type Answer = Result<Response<ResponseBody>, Refusal>;

/// Opens a polling session; its handshake GET is answered with the `open` packet.
pub(crate) async fn handshake(
    shared: &Arc<Shared>,
    sid: String,
    request: HandshakeRequest,
) -> Answer {
    let Some(mut driver) = Driver::open(shared, sid.clone(), Transport::Polling, request) else {
        return Ok(response::internal_error());
    };
    let (reply, answer) = oneshot::channel();
    driver.hold_get(reply);
    driver.spawn();
    poll_answer(&sid, answer.await.ok())
}

/// A GET on a session: held by the session task until it has something to send.
pub(crate) async fn poll(sid: &str, inputs: &async_channel::Sender<Input>) -> Answer {
    let (reply, answer) = oneshot::channel();
    if inputs.send(Input::Poll(reply)).await.is_err() {
        return Err(Refusal::unknown_sid(sid));
    }
    poll_answer(sid, answer.await.ok())
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
pub(crate) async fn post<B>(sid: &str, inputs: &async_channel::Sender<Input>, body: B) -> Answer
where
    B: http_body::Body,
{
    match ask(inputs, Input::PostStart).await {
        None => return Err(Refusal::unknown_sid(sid)),
        Some(Err(error)) => return Err(Refusal::session(error)),
        Some(Ok(())) => {}
    }
    let mut in_flight = PostInFlight {
        inputs,
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
        match ask(inputs, |reply| Input::PostData(chunk, reply)).await {
            Some(Ok(())) => {}
            Some(Err(error)) => {
                in_flight.ended = true;
                return Ok(post_error(error));
            }
            None => {
                in_flight.ended = true;
                return Err(Refusal::unknown_sid(sid));
            }
        }
    }
    in_flight.ended = true;
    match ask(inputs, Input::PostEnd).await {
        Some(Ok(())) => Ok(response::post_ok()),
        Some(Err(error)) => Ok(post_error(error)),
        None => Err(Refusal::unknown_sid(sid)),
    }
}

fn post_error(error: PostError) -> Response<ResponseBody> {
    response::status(StatusCode::from_u16(error.http_status()).unwrap_or(StatusCode::BAD_REQUEST))
}

/// Sends a request to the session task and waits for its answer; `None` if the session is gone.
async fn ask<T>(
    inputs: &async_channel::Sender<Input>,
    input: impl FnOnce(oneshot::Sender<T>) -> Input,
) -> Option<T> {
    let (reply, answer) = oneshot::channel();
    inputs.send(input(reply)).await.ok()?;
    answer.await.ok()
}

/// Tells the session its POST was abandoned if the request handler stops (error, or its connection
/// dropped and the handler future with it) before the body ended.
struct PostInFlight<'a> {
    inputs: &'a async_channel::Sender<Input>,
    ended: bool,
}

impl Drop for PostInFlight<'_> {
    fn drop(&mut self) {
        if !self.ended {
            // Best effort: with the queue full the session notices through its heartbeat instead.
            let _ = self.inputs.try_send(Input::PostAborted);
        }
    }
}
