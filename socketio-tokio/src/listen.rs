//! The standalone server: a TCP listener whose connections are served by an [`Engine`], or by
//! several with pages ([`Routes`]).

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use engineio_server::{Application, Engine, EngineBuilder, Routes, serve_connection};
use hyper_util::rt::TokioIo;
use socketio_server::{SocketIo, SocketIoBuilder};
use tokio::net::{TcpListener, ToSocketAddrs};

use crate::runtime::TokioRuntime;

/// Starts building an engine running `app` on the current tokio runtime.
pub fn engine(app: impl Application) -> EngineBuilder {
    Engine::builder(Arc::new(TokioRuntime::current()), app)
}

/// Starts building a Socket.IO server on the current tokio runtime.
pub fn socket_io() -> SocketIoBuilder {
    SocketIo::builder(Arc::new(TokioRuntime::current()))
}

/// Serves `routes` (an [`Engine`], a [`SocketIo`] or [`Routes`]) on `addr` until accepting fails
/// for good.
pub async fn listen(addr: impl ToSocketAddrs, routes: impl Into<Routes>) -> io::Result<()> {
    HttpServer::bind(addr, routes).await?.run().await
}

/// A bound listener serving an [`Engine`]. Bind port 0 and read [`HttpServer::local_addr`] to get a free
/// port.
pub struct HttpServer {
    listener: TcpListener,
    routes: Routes,
}

impl HttpServer {
    /// Binds `addr` to serve `routes` (an [`Engine`], a [`SocketIo`] or [`Routes`]).
    pub async fn bind(addr: impl ToSocketAddrs, routes: impl Into<Routes>) -> io::Result<Self> {
        Ok(HttpServer {
            listener: TcpListener::bind(addr).await?,
            routes: routes.into(),
        })
    }

    /// The address bound.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The engine served (the first, when there are several).
    pub fn engine(&self) -> &Engine {
        self.routes.primary()
    }

    /// Accepts connections and serves each on its own task. Runs until the task is dropped.
    pub async fn run(self) -> io::Result<()> {
        loop {
            let (stream, peer) = match self.listener.accept().await {
                Ok(accepted) => accepted,
                // Out of file descriptors and the like: let some connections end, then go on.
                Err(error) if is_transient(&error) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
                Err(_) => continue,
            };
            // Engine.IO packets are small and latency matters more than segment count.
            let _ = stream.set_nodelay(true);
            tokio::spawn(serve_connection(
                self.routes.clone(),
                TokioIo::new(stream),
                Some(peer),
            ));
        }
    }
}

fn is_transient(error: &io::Error) -> bool {
    // EMFILE / ENFILE / ENOBUFS / ENOMEM have no io::ErrorKind of their own.
    matches!(error.raw_os_error(), Some(23 | 24 | 105 | 12))
}
