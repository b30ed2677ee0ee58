//! WebSocket transport: the HTTP upgrade, the socket a session's task polls, and the I/O adapters
//! that let a runtime-agnostic WebSocket library run over the connection hyper hands over.

mod accept;
mod link;
mod raw_io;

use std::sync::Arc;

use engineio_proto::server::ClientProtocol;
use futures_channel::oneshot;
use http::request::Parts;
use http::{HeaderMap, Request, Response};

use crate::app::HandshakeRequest;
use crate::engine::{EngineState, ResponseBody};
use crate::http::polling;
use crate::http::refusal::Refusal;
use crate::http::response;
use crate::inbox::Inbox;
use crate::session_task::{FirstTransport, SessionInput, UpgradeAnswer, WsUpgrade};

pub(crate) use accept::is_upgrade_request;
pub(crate) use link::{Ended, WsLink};
pub(crate) use raw_io::Unwrapper;

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
    shared: &Arc<EngineState>,
    sid: String,
    parts: &mut Parts,
    protocol: ClientProtocol,
) -> Result<Response<ResponseBody>, Refusal> {
    let accept = accept::check_handshake(&parts.headers).map_err(Refusal::bad_websocket)?;
    let first = FirstTransport::WebSocket(take_upgrade(parts));
    let request = HandshakeRequest::from_parts(parts);
    if !shared
        .app
        .start_session(shared, sid, protocol, first, &request)
    {
        return Ok(response::internal_error());
    }
    Ok(accept::switching_protocols(accept))
}

/// A WebSocket for an existing (polling) session: the probe of an upgrade, if the session agrees
/// (`protocol` is what the WebSocket request says of itself: its revision must be the session's).
pub(crate) async fn upgrade_session(
    sid: &str,
    inbox: &Inbox,
    parts: &mut Parts,
    protocol: ClientProtocol,
) -> Result<Response<ResponseBody>, Refusal> {
    let accept = accept::check_handshake(&parts.headers).map_err(Refusal::bad_websocket)?;
    let (reply, answer) = oneshot::channel();
    inbox
        .push(SessionInput::Upgrade(take_upgrade(parts), protocol, reply))
        .map_err(|refused| polling::refusal(sid, refused))?;
    match answer.await {
        Ok(UpgradeAnswer::Probe | UpgradeAnswer::Surplus) => {
            Ok(accept::switching_protocols(accept))
        }
        Ok(UpgradeAnswer::Refused(error)) => Err(Refusal::session(error)),
        Err(_) => Err(Refusal::unknown_sid(sid)),
    }
}

/// Takes hyper's upgrade handle out of the request's extensions (where `hyper::upgrade::on` looks
/// for it), leaving the rest of the request head in place.
fn take_upgrade(parts: &mut Parts) -> WsUpgrade {
    let mut request = Request::new(());
    std::mem::swap(request.extensions_mut(), &mut parts.extensions);
    let upgrade = hyper::upgrade::on(&mut request);
    std::mem::swap(request.extensions_mut(), &mut parts.extensions);
    WsUpgrade {
        upgrade,
        unwrapper: parts.extensions.get::<Unwrapper>().copied(),
    }
}
