//! WebSocket transport: the HTTP upgrade, the socket's reader and writer, and the I/O adapter that
//! lets a runtime-agnostic WebSocket library run over hyper's upgraded connection.

mod accept;
mod io;
mod socket;

use std::sync::Arc;

use engineio_proto::{ErrorCode, Transport};
use futures_channel::oneshot;
use http::{Request, Response};

use crate::app::{HandshakeRequest, PeerAddr};
use crate::driver::{Driver, Input, SocketId};
use crate::engine::{ResponseBody, Shared};
use crate::http::response;

pub(crate) use accept::is_upgrade_request;
pub use io::FuturesIo;

/// Opens a session over WebSocket: the `open` packet is its first frame.
pub(crate) fn handshake<B>(
    shared: &Arc<Shared>,
    sid: String,
    mut request: Request<B>,
) -> Response<ResponseBody> {
    let Some(accept) = accept::accept_key(request.headers()) else {
        return response::error(&ErrorCode::BadRequest.into());
    };
    let handshake = HandshakeRequest {
        uri: request.uri().clone(),
        headers: request.headers().clone(),
        peer_addr: request.extensions().get::<PeerAddr>().map(|peer| peer.0),
    };
    let Some(mut driver) = Driver::open(shared, sid, Transport::WebSocket, handshake) else {
        return response::internal_error();
    };
    let (id, frames) = driver.attach_socket();
    let inputs = driver.input_sender();
    driver.spawn();
    accept_socket(shared, &mut request, accept, id, frames, inputs)
}

/// A WebSocket for an existing (polling) session: the probe of an upgrade, if the session agrees.
pub(crate) async fn upgrade_session<B>(
    shared: &Arc<Shared>,
    inputs: async_channel::Sender<Input>,
    mut request: Request<B>,
) -> Response<ResponseBody> {
    let Some(accept) = accept::accept_key(request.headers()) else {
        return response::error(&ErrorCode::BadRequest.into());
    };
    let (reply, answer) = oneshot::channel();
    if inputs.send(Input::Upgrade(reply)).await.is_err() {
        return response::error(&ErrorCode::UnknownSid.into());
    }
    let (id, frames) = match answer.await {
        Ok(Ok(attach)) => attach,
        Ok(Err(error)) => return response::error(&error),
        Err(_) => return response::error(&ErrorCode::UnknownSid.into()),
    };
    accept_socket(shared, &mut request, accept, id, frames, inputs)
}

/// Answers `101 Switching Protocols` and spawns the socket's task, which starts once hyper hands the
/// connection over.
fn accept_socket<B>(
    shared: &Arc<Shared>,
    request: &mut Request<B>,
    accept: http::HeaderValue,
    id: SocketId,
    frames: async_channel::Receiver<engineio_proto::Frame>,
    inputs: async_channel::Sender<Input>,
) -> Response<ResponseBody> {
    let upgrade = hyper::upgrade::on(request);
    let task = socket::run(shared.clone(), upgrade, id, frames, inputs);
    shared.runtime.spawn(Box::pin(task));
    accept::switching_protocols(accept)
}
