//! The engine in tower stacks: as a `Service` of its own (mount it on its path, e.g. with axum's
//! `route_service`), or as a `Layer` that answers its path and passes every other request on.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::Either;

use crate::engine::{Engine, ResponseBody};

type BoxedResponse<T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send>>;

impl<B> tower_service::Service<Request<B>> for Engine
where
    B: http_body::Body + Send + 'static,
    B::Data: Send,
{
    type Response = Response<ResponseBody>;
    type Error = Infallible;
    type Future = BoxedResponse<Response<ResponseBody>, Infallible>;

    /// Always ready: backpressure is per session, inside.
    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let engine = self.clone();
        Box::pin(async move { Ok(engine.handle(request).await) })
    }
}

/// A `tower_layer::Layer` that serves the engine's path and hands every other request to the
/// service it wraps (see [`Engine::layer`]).
#[derive(Clone)]
pub struct EngineLayer {
    engine: Engine,
}

/// The service made by [`EngineLayer`]: the engine on its path, `inner` elsewhere.
#[derive(Clone)]
pub struct EngineService<S> {
    engine: Engine,
    inner: S,
}

impl Engine {
    /// A layer that puts this engine in front of another service, on the engine's path.
    pub fn layer(&self) -> EngineLayer {
        EngineLayer {
            engine: self.clone(),
        }
    }
}

impl<S> tower_layer::Layer<S> for EngineLayer {
    type Service = EngineService<S>;

    fn layer(&self, inner: S) -> EngineService<S> {
        EngineService {
            engine: self.engine.clone(),
            inner,
        }
    }
}

impl<S, B, ResBody> tower_service::Service<Request<B>> for EngineService<S>
where
    S: tower_service::Service<Request<B>, Response = Response<ResBody>>,
    S::Future: Send + 'static,
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    ResBody: http_body::Body<Data = Bytes>,
{
    type Response = Response<Either<ResponseBody, ResBody>>;
    type Error = S::Error;
    type Future = BoxedResponse<Self::Response, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        if self.engine.config().serves(request.uri().path()) {
            let engine = self.engine.clone();
            Box::pin(async move { Ok(engine.handle(request).await.map(Either::Left)) })
        } else {
            let response = self.inner.call(request);
            Box::pin(async move { Ok(response.await?.map(Either::Right)) })
        }
    }
}
