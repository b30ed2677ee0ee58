//! What one listener serves: one or more engines on their paths, and fixed pages (a demo's HTML),
//! without bringing in a web framework. Anything larger belongs in a framework, with the engine
//! mounted as a tower service.

use std::sync::Arc;

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{HeaderValue, Request, Response, StatusCode};

use crate::engine::{Engine, ResponseBody};
use crate::http::response;

/// The engines and pages served by one listener ([`serve_connection`](crate::serve_connection)).
/// A request goes to the first engine whose path it is under, else to the page at its exact path,
/// else gets 404. Cheap to clone.
#[derive(Clone)]
pub struct Routes(Arc<Table>);

struct Table {
    engines: Vec<Engine>,
    pages: Vec<Page>,
}

struct Page {
    path: String,
    content_type: HeaderValue,
    body: Bytes,
}

impl Routes {
    /// Serves `engine` (an [`Engine`], or anything that converts into one such as a Socket.IO server); its runtime and timeouts serve the
    /// connections.
    pub fn new(engine: impl Into<Engine>) -> Self {
        Routes(Arc::new(Table {
            engines: vec![engine.into()],
            pages: Vec::new(),
        }))
    }

    /// Also serves `engine`, on its own path.
    pub fn engine(mut self, engine: impl Into<Engine>) -> Self {
        self.table().engines.push(engine.into());
        self
    }

    /// Also serves a fixed page at `path`, for GET and HEAD.
    pub fn page(
        mut self,
        path: impl Into<String>,
        content_type: &'static str,
        body: impl Into<Bytes>,
    ) -> Self {
        self.table().pages.push(Page {
            path: path.into(),
            content_type: HeaderValue::from_static(content_type),
            body: body.into(),
        });
        self
    }

    /// The first engine: the one whose runtime and settings serve the connections.
    pub fn primary(&self) -> &Engine {
        &self.0.engines[0]
    }

    fn table(&mut self) -> &mut Table {
        // Built before it is shared: the table is only ever changed while it has one owner.
        Arc::get_mut(&mut self.0).expect("routes are configured before they are served")
    }

    /// Answers one request.
    pub async fn handle<B>(&self, request: Request<B>) -> Response<ResponseBody>
    where
        B: http_body::Body + Send + 'static,
        B::Data: Send,
    {
        let path = request.uri().path();
        if let Some(engine) = self.0.engines.iter().find(|e| e.config().serves(path)) {
            return engine.handle(request).await;
        }
        let is_read = matches!(*request.method(), http::Method::GET | http::Method::HEAD);
        match self.0.pages.iter().find(|page| page.path == path) {
            Some(page) if is_read => {
                let mut answer = Response::new(ResponseBody::new(page.body.clone()));
                answer
                    .headers_mut()
                    .insert(CONTENT_TYPE, page.content_type.clone());
                answer
            }
            Some(_) => response::status(StatusCode::METHOD_NOT_ALLOWED),
            None => response::not_found(),
        }
    }
}

impl From<Engine> for Routes {
    fn from(engine: Engine) -> Self {
        Routes::new(engine)
    }
}
