//! Long-polling: the handshake GET, held GETs and POST bodies fed to the session task.

use std::pin::pin;
use std::sync::Arc;

use bytes::{Buf, Bytes};
use engineio_proto::server::PostError;
use engineio_proto::{ErrorCode, Transport};
use futures_channel::oneshot;
use http::{Response, StatusCode};
use http_body_util::BodyExt;

use crate::app::HandshakeRequest;
use crate::driver::{Driver, Input, PollReply};
use crate::engine::{ResponseBody, Shared};
use crate::http::response;

/// Opens a polling session; its handshake GET is answered with the `open` packet.
pub(crate) async fn handshake(
    shared: &Arc<Shared>,
    sid: String,
    request: HandshakeRequest,
) -> Response<ResponseBody> {
    let Some(mut driver) = Driver::open(shared, sid, Transport::Polling, request) else {
        return response::internal_error();
    };
    let (reply, answer) = oneshot::channel();
    driver.hold_get(reply);
    driver.spawn();
    poll_answer(answer.await.ok())
}

/// A GET on a session: held by the session task until it has something to send.
pub(crate) async fn poll(inputs: &async_channel::Sender<Input>) -> Response<ResponseBody> {
    let (reply, answer) = oneshot::channel();
    if inputs.send(Input::Poll(reply)).await.is_err() {
        return unknown_sid();
    }
    poll_answer(answer.await.ok())
}

fn poll_answer(answer: Option<PollReply>) -> Response<ResponseBody> {
    match answer {
        Some(Ok(payload)) => response::poll(payload),
        Some(Err(error)) => response::error(&error),
        // The session ended before answering.
        None => unknown_sid(),
    }
}

fn unknown_sid() -> Response<ResponseBody> {
    response::error(&ErrorCode::UnknownSid.into())
}

/// A POST on a session: its body is handed over frame by frame, so an oversized body is refused with
/// 413 as soon as it crosses `max_payload`, without reading the rest.
pub(crate) async fn post<B>(
    inputs: &async_channel::Sender<Input>,
    body: B,
) -> Response<ResponseBody>
where
    B: http_body::Body,
{
    match ask(inputs, Input::PostStart).await {
        None => return unknown_sid(),
        Some(Err(error)) => return response::error(&error),
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
            Some(Err(_)) => return response::status(StatusCode::BAD_REQUEST),
        };
        let Ok(mut data) = frame.into_data() else {
            continue; // trailers carry nothing for Engine.IO
        };
        let chunk: Bytes = data.copy_to_bytes(data.remaining());
        match ask(inputs, |reply| Input::PostData(chunk, reply)).await {
            Some(Ok(())) => {}
            Some(Err(error)) => {
                in_flight.ended = true;
                return post_error(error);
            }
            None => {
                in_flight.ended = true;
                return unknown_sid();
            }
        }
    }
    in_flight.ended = true;
    match ask(inputs, Input::PostEnd).await {
        Some(Ok(())) => response::post_ok(),
        Some(Err(error)) => post_error(error),
        None => unknown_sid(),
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
