//! The engine's HTTP responses.

use bytes::Bytes;
use engineio_proto::RequestError;
use engineio_proto::server::{POST_OK_BODY, poll_content_type};
use http::header::{CACHE_CONTROL, CONTENT_TYPE};
use http::{Response, StatusCode};

use crate::engine::ResponseBody;

fn with_body(
    status: StatusCode,
    content_type: &'static str,
    body: impl Into<Bytes>,
) -> Response<ResponseBody> {
    let mut response = Response::new(ResponseBody::new(body.into()));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, http::HeaderValue::from_static(content_type));
    response
}

/// A protocol error: its status and `{"code":N,"message":"..."}`.
pub(crate) fn error(error: &RequestError) -> Response<ResponseBody> {
    let status = StatusCode::from_u16(error.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
    with_body(status, "application/json", error.json_body())
}

/// A long-polling payload (text, or a revision 3 binary payload, told apart by its first byte).
/// Never cached: each GET is a new read of the session.
pub(crate) fn poll(payload: Bytes) -> Response<ResponseBody> {
    let content_type = poll_content_type(&payload);
    let mut response = with_body(StatusCode::OK, content_type, payload);
    response
        .headers_mut()
        .insert(CACHE_CONTROL, http::HeaderValue::from_static("no-store"));
    response
}

/// The answer to a POST whose body was taken in (`text/html`, as the reference).
pub(crate) fn post_ok() -> Response<ResponseBody> {
    with_body(StatusCode::OK, "text/html", POST_OK_BODY)
}

/// A bare status (413 for an oversized POST, for instance).
pub(crate) fn status(status: StatusCode) -> Response<ResponseBody> {
    let mut response = Response::new(ResponseBody::default());
    *response.status_mut() = status;
    response
}

/// A request outside the engine's path.
pub(crate) fn not_found() -> Response<ResponseBody> {
    status(StatusCode::NOT_FOUND)
}

/// The server could not serve a valid request (no session id could be drawn).
pub(crate) fn internal_error() -> Response<ResponseBody> {
    status(StatusCode::INTERNAL_SERVER_ERROR)
}
