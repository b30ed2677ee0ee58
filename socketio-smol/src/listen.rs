//! The standalone server: a TCP listener whose connections are served by an [`Engine`], or by
//! several with pages ([`Routes`]).

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use engineio_server::{Application, Engine, EngineBuilder, Routes, serve_connection};
use smol::Timer;
use smol::net::{AsyncToSocketAddrs, TcpListener};
use socketio_runtime::HyperIo;
use socketio_server::{SocketIo, SocketIoBuilder};

use crate::runtime::SmolRuntime;

/// Starts building an engine running `app` on smol's global executor (for another executor, use
/// `Engine::builder` with a [`SmolRuntime::new`]).
pub fn engine(app: impl Application) -> EngineBuilder {
    Engine::builder(Arc::new(SmolRuntime::global()), app)
}

/// Starts building a Socket.IO server on smol's global executor (for another executor, use
/// `SocketIo::builder` with a [`SmolRuntime::new`]).
pub fn socket_io() -> SocketIoBuilder {
    SocketIo::builder(Arc::new(SmolRuntime::global()))
}

/// Serves `routes` (an [`Engine`], a [`SocketIo`] or [`Routes`]) on `addr` until accepting fails
/// for good.
pub async fn listen(addr: impl AsyncToSocketAddrs, routes: impl Into<Routes>) -> io::Result<()> {
    HttpServer::bind(addr, routes).await?.run().await
}

/// A bound listener serving an [`Engine`]. Bind port 0 and read [`HttpServer::local_addr`] to get a free
/// port. Connections are served on the engine's runtime (its executor).
pub struct HttpServer {
    routes: Routes,
    listener: TcpListener,
}

impl HttpServer {
    /// Binds `addr` to serve `routes` (an [`Engine`], a [`SocketIo`] or [`Routes`]).
    pub async fn bind(
        addr: impl AsyncToSocketAddrs,
        routes: impl Into<Routes>,
    ) -> io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        let routes = routes.into();
        Ok(HttpServer { routes, listener })
    }

    /// The address bound.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The engine served (the first, when there are several).
    pub fn engine(&self) -> &Engine {
        self.routes.primary()
    }

    /// Accepts connections and serves each on its own task. Runs until the future is dropped.
    pub async fn run(self) -> io::Result<()> {
        let runtime = self.routes.primary().runtime().clone();
        loop {
            match self.listener.accept().await {
                Ok((stream, peer)) => {
                    // Engine.IO packets are small and latency matters more than segment count.
                    let _ = stream.set_nodelay(true);
                    let io = HyperIo::vectored(stream);
                    let connection = serve_connection(self.routes.clone(), io, Some(peer));
                    runtime.spawn(Box::pin(connection));
                }
                // Out of file descriptors and the like: let some connections end, then go on.
                Err(error) if out_of_resources(&error) => {
                    Timer::after(Duration::from_millis(50)).await;
                }
                // The client gave up before its connection was accepted (reset, aborted).
                Err(_) => {}
            }
        }
    }
}

/// EMFILE, ENFILE, ENOBUFS and ENOMEM (Linux numbering), which have no `io::ErrorKind` of their own.
fn out_of_resources(error: &io::Error) -> bool {
    const RESOURCE_ERRORS: [i32; 4] = [24, 23, 105, 12];
    error
        .raw_os_error()
        .is_some_and(|code| RESOURCE_ERRORS.contains(&code))
}
