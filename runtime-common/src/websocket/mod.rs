//! WebSocket transport: the HTTP upgrade, the socket's reader and writer, and the I/O adapter that
//! lets a runtime-agnostic WebSocket library run over hyper's upgraded connection.

mod accept;
pub(crate) mod frames;
mod io;
mod socket;

use std::sync::Arc;

use engineio_proto::Transport;
use futures_channel::oneshot;
use http::request::Parts;
use http::{HeaderMap, Request, Response};

use crate::app::HandshakeRequest;
use crate::driver::{Driver, Input, SocketId};
use crate::engine::{ResponseBody, Shared};
use crate::http::refusal::Refusal;
use crate::http::response;

pub(crate) use accept::is_upgrade_request;
pub use io::FuturesIo;

/// Whether a WebSocket request's `Origin` passes the engine's allow-list (`None`: no list, all
/// pass). A request without `Origin` (not from a browser) passes unless `required`.
pub(crate) fn origin_allowed(
    allowed: Option<&[String]>,
    required: bool,
    headers: &HeaderMap,
) -> bool {
    let Some(allowed) = allowed else {
        return true;
    };
    let mut origins = headers.get_all(http::header::ORIGIN).iter();
    match (origins.next(), origins.next()) {
        (None, _) => !required,
        (Some(origin), None) => allowed
            .iter()
            .any(|allowed| allowed.as_bytes() == origin.as_bytes()),
        // Two origins: a forged request, not a browser's.
        (Some(_), Some(_)) => false,
    }
}

/// Opens a session over WebSocket: the `open` packet is its first frame.
pub(crate) fn handshake(
    shared: &Arc<Shared>,
    sid: String,
    parts: &mut Parts,
) -> Result<Response<ResponseBody>, Refusal> {
    let accept = accept::check_handshake(&parts.headers).map_err(Refusal::bad_websocket)?;
    let Some(mut driver) = Driver::open(
        shared,
        sid,
        Transport::WebSocket,
        HandshakeRequest::from_parts(parts),
    ) else {
        return Ok(response::internal_error());
    };
    let (id, frames) = driver.attach_socket();
    let inputs = driver.input_sender();
    driver.spawn();
    Ok(accept_socket(shared, parts, accept, id, frames, inputs))
}

/// A WebSocket for an existing (polling) session: the probe of an upgrade, if the session agrees.
pub(crate) async fn upgrade_session(
    shared: &Arc<Shared>,
    sid: &str,
    inputs: async_channel::Sender<Input>,
    parts: &mut Parts,
) -> Result<Response<ResponseBody>, Refusal> {
    let accept = accept::check_handshake(&parts.headers).map_err(Refusal::bad_websocket)?;
    let (reply, answer) = oneshot::channel();
    if inputs.send(Input::Upgrade(reply)).await.is_err() {
        return Err(Refusal::unknown_sid(sid));
    }
    let (id, frames) = match answer.await {
        Ok(Ok(attach)) => attach,
        Ok(Err(error)) => return Err(Refusal::session(error)),
        Err(_) => return Err(Refusal::unknown_sid(sid)),
    };
    Ok(accept_socket(shared, parts, accept, id, frames, inputs))
}

/// Answers `101 Switching Protocols` and spawns the socket's task, which starts once hyper hands the
/// connection over.
fn accept_socket(
    shared: &Arc<Shared>,
    parts: &mut Parts,
    accept: http::HeaderValue,
    id: SocketId,
    frames: frames::FrameReceiver,
    inputs: async_channel::Sender<Input>,
) -> Response<ResponseBody> {
    let upgrade = take_upgrade(parts);
    let task = socket::run(shared.clone(), upgrade, id, frames, inputs);
    shared.runtime.spawn(Box::pin(task));
    accept::switching_protocols(accept)
}

/// Takes hyper's upgrade handle out of the request's extensions (where `hyper::upgrade::on` looks
/// for it), leaving the rest of the request head in place.
fn take_upgrade(parts: &mut Parts) -> hyper::upgrade::OnUpgrade {
    let mut request = Request::new(());
    std::mem::swap(request.extensions_mut(), &mut parts.extensions);
    let upgrade = hyper::upgrade::on(&mut request);
    std::mem::swap(request.extensions_mut(), &mut parts.extensions);
    upgrade
}
