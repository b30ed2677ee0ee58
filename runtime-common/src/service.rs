//! The engine as a `tower_service::Service`, to mount it in axum or any tower stack.

use std::convert::Infallible;
use std::task::{Context, Poll};

use http::{Request, Response};

use crate::engine::{Engine, ResponseBody};

impl<B> tower_service::Service<Request<B>> for Engine
where
    B: http_body::Body + Send + 'static,
    B::Data: Send,
{
    type Response = Response<ResponseBody>;
    type Error = Infallible;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<Response<ResponseBody>, Infallible>> + Send>,
    >;

    /// Always ready: backpressure is per session, inside.
    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let engine = self.clone();
        Box::pin(async move { Ok(engine.handle(request).await) })
    }
}
