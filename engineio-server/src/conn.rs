//! Serving one HTTP/1.1 connection with hyper, on any runtime.

use std::convert::Infallible;
use std::net::SocketAddr;

use http::Request;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;

use crate::app::PeerAddr;
use crate::routes::Routes;
use crate::websocket::{self, Unwrapper};
use socketio_runtime::HyperTimer;

/// Serves HTTP/1.1 requests (and WebSocket upgrades) on `io` until the client closes it: `routes`
/// is an [`Engine`](crate::Engine), a `socketio_server::SocketIo` or several of them
/// with pages ([`Routes`]). A malformed request ends this connection only. `peer`, when known,
/// reaches the application as the handshake's address.
pub async fn serve_connection<I>(routes: impl Into<Routes>, io: I, peer: Option<SocketAddr>)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let routes = routes.into();
    let primary = routes.primary();
    let timer = HyperTimer(primary.runtime().clone());
    let config = primary.config();
    let (header_read_timeout, max_headers) = (config.header_read_timeout, config.max_headers);
    let max_header_bytes = config.max_header_bytes.max(8 * 1024);
    let service = service_fn(move |mut request: Request<Incoming>| {
        let routes = routes.clone();
        if let Some(peer) = peer {
            request.extensions_mut().insert(PeerAddr(peer));
        }
        if websocket::is_upgrade_request(request.headers()) {
            // A WebSocket takes `io` back from hyper, without hyper's read buffer.
            request.extensions_mut().insert(Unwrapper::of::<I>());
        }
        async move { Ok::<_, Infallible>(routes.handle(request).await) }
    });
    let mut builder = http1::Builder::new();
    builder
        .timer(timer)
        .header_read_timeout(header_read_timeout)
        .max_headers(max_headers)
        .max_buf_size(max_header_bytes);
    // Errors are the client's (bad requests, resets): there is nobody else to tell.
    let _ = builder.serve_connection(io, service).with_upgrades().await;
}
