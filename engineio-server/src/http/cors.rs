//! Cross-origin resource sharing, as the reference server's `cors` option (which hands its settings
//! to the `cors` middleware): off unless configured. When configured, `OPTIONS` requests on the
//! engine's path are preflights answered with 204, and every other response of the engine carries
//! `Access-Control-Allow-Origin` only if the request's `Origin` is allowed.

use std::time::Duration;

use http::header::{
    ACCESS_CONTROL_ALLOW_CREDENTIALS, ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS,
    ACCESS_CONTROL_ALLOW_ORIGIN, ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_MAX_AGE,
    ACCESS_CONTROL_REQUEST_HEADERS, CONTENT_LENGTH, ORIGIN, VARY,
};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Response, StatusCode};

use crate::engine::ResponseBody;

/// Which origins a [`Cors`] setting allows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CorsOrigins {
    /// Any origin, answered with `Access-Control-Allow-Origin: *` (the reference's `origin: "*"`).
    /// Browsers refuse `*` for credentialed requests: use [`CorsOrigins::Mirror`] or a list with
    /// [`Cors::credentials`].
    Any,
    /// Any origin, echoed back with `Vary: Origin` (the reference's `origin: true`).
    Mirror,
    /// Only these origins, compared exactly with the request's `Origin` header (as browsers send
    /// it: `scheme://host[:port]`, no trailing slash), echoed back with `Vary: Origin`.
    List(Vec<String>),
}

/// CORS settings (the reference's `cors` option). Build one with [`Cors::any`], [`Cors::mirror`]
/// or [`Cors::origins`] and the `with_*` methods; defaults are the `cors` middleware's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cors {
    /// The origins allowed.
    pub origins: CorsOrigins,
    /// Whether to send `Access-Control-Allow-Credentials: true` (default `false`).
    pub credentials: bool,
    /// `Access-Control-Allow-Methods` of preflights (default `GET,HEAD,PUT,PATCH,POST,DELETE`).
    pub methods: Vec<Method>,
    /// `Access-Control-Allow-Headers` of preflights; `None` (the default) echoes the preflight's
    /// `Access-Control-Request-Headers`.
    pub allowed_headers: Option<Vec<HeaderName>>,
    /// `Access-Control-Expose-Headers` (default: none).
    pub exposed_headers: Vec<HeaderName>,
    /// `Access-Control-Max-Age` of preflights, in whole seconds (default: not sent).
    pub max_age: Option<Duration>,
}

impl Cors {
    fn new(origins: CorsOrigins) -> Self {
        Cors {
            origins,
            credentials: false,
            methods: [
                Method::GET,
                Method::HEAD,
                Method::PUT,
                Method::PATCH,
                Method::POST,
                Method::DELETE,
            ]
            .into(),
            allowed_headers: None,
            exposed_headers: Vec::new(),
            max_age: None,
        }
    }

    /// Allows any origin with `*`.
    pub fn any() -> Self {
        Cors::new(CorsOrigins::Any)
    }

    /// Allows any origin by echoing it.
    pub fn mirror() -> Self {
        Cors::new(CorsOrigins::Mirror)
    }

    /// Allows only `origins` (e.g. `"https://app.example"`).
    pub fn origins(origins: impl IntoIterator<Item = impl Into<String>>) -> Self {
        Cors::new(CorsOrigins::List(
            origins.into_iter().map(Into::into).collect(),
        ))
    }

    /// Sets [`Cors::credentials`].
    pub fn with_credentials(mut self, credentials: bool) -> Self {
        self.credentials = credentials;
        self
    }

    /// Sets [`Cors::methods`].
    pub fn with_methods(mut self, methods: impl IntoIterator<Item = Method>) -> Self {
        self.methods = methods.into_iter().collect();
        self
    }

    /// Sets [`Cors::allowed_headers`].
    pub fn with_allowed_headers(mut self, headers: impl IntoIterator<Item = HeaderName>) -> Self {
        self.allowed_headers = Some(headers.into_iter().collect());
        self
    }

    /// Sets [`Cors::exposed_headers`].
    pub fn with_exposed_headers(mut self, headers: impl IntoIterator<Item = HeaderName>) -> Self {
        self.exposed_headers = headers.into_iter().collect();
        self
    }

    /// Sets [`Cors::max_age`].
    pub fn with_max_age(mut self, max_age: Duration) -> Self {
        self.max_age = Some(max_age);
        self
    }

    /// The `Access-Control-Allow-Origin` value for a request, if its origin is allowed.
    fn allow_origin(&self, request: &HeaderMap) -> Option<HeaderValue> {
        let origin = request.get(ORIGIN);
        match &self.origins {
            CorsOrigins::Any => Some(HeaderValue::from_static("*")),
            CorsOrigins::Mirror => origin.cloned(),
            CorsOrigins::List(allowed) => origin
                .filter(|origin| {
                    allowed
                        .iter()
                        .any(|allowed| allowed.as_bytes() == origin.as_bytes())
                })
                .cloned(),
        }
    }

    /// Whether the answer depends on the request's `Origin` (then caches must know it).
    fn varies_by_origin(&self) -> bool {
        !matches!(self.origins, CorsOrigins::Any)
    }

    /// Adds the origin, credentials and exposed-headers headers of a response (preflight or not).
    fn apply_common(&self, request: &HeaderMap, response: &mut HeaderMap, vary: &mut Vec<&str>) {
        if self.varies_by_origin() {
            vary.push("Origin");
        }
        let Some(origin) = self.allow_origin(request) else {
            return;
        };
        response.insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        if self.credentials {
            response.insert(
                ACCESS_CONTROL_ALLOW_CREDENTIALS,
                HeaderValue::from_static("true"),
            );
        }
        if let Some(exposed) = join(self.exposed_headers.iter().map(HeaderName::as_str)) {
            response.insert(ACCESS_CONTROL_EXPOSE_HEADERS, exposed);
        }
    }

    /// Adds the CORS headers of a response that is not a preflight.
    pub(crate) fn apply(&self, request: &HeaderMap, response: &mut HeaderMap) {
        let mut vary = Vec::new();
        self.apply_common(request, response, &mut vary);
        add_vary(response, &vary);
    }

    /// The answer to a preflight (`OPTIONS`): 204 with the allowed methods, headers and max age;
    /// `Access-Control-Allow-Origin` only if the origin is allowed.
    pub(crate) fn preflight(&self, request: &HeaderMap) -> Response<ResponseBody> {
        let mut response = Response::new(ResponseBody::default());
        *response.status_mut() = StatusCode::NO_CONTENT;
        let headers = response.headers_mut();
        let mut vary = Vec::new();
        self.apply_common(request, headers, &mut vary);
        if let Some(methods) = join(self.methods.iter().map(Method::as_str)) {
            headers.insert(ACCESS_CONTROL_ALLOW_METHODS, methods);
        }
        let allowed_headers = match &self.allowed_headers {
            Some(allowed) => join(allowed.iter().map(HeaderName::as_str)),
            None => {
                vary.push("Access-Control-Request-Headers");
                request.get(ACCESS_CONTROL_REQUEST_HEADERS).cloned()
            }
        };
        if let Some(allowed_headers) = allowed_headers {
            headers.insert(ACCESS_CONTROL_ALLOW_HEADERS, allowed_headers);
        }
        if let Some(max_age) = self.max_age {
            headers.insert(ACCESS_CONTROL_MAX_AGE, max_age.as_secs().into());
        }
        headers.insert(CONTENT_LENGTH, HeaderValue::from_static("0"));
        add_vary(headers, &vary);
        response
    }
}

/// A comma-separated header value, or `None` for an empty list.
fn join<'a>(items: impl Iterator<Item = &'a str>) -> Option<HeaderValue> {
    let joined = items.collect::<Vec<_>>().join(",");
    if joined.is_empty() {
        return None;
    }
    HeaderValue::from_str(&joined).ok()
}

fn add_vary(response: &mut HeaderMap, vary: &[&str]) {
    if let Some(value) = (!vary.is_empty())
        .then(|| vary.join(", "))
        .and_then(|value| HeaderValue::from_str(&value).ok())
    {
        response.append(VARY, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(origin: Option<&'static str>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Some(origin) = origin {
            headers.insert(ORIGIN, HeaderValue::from_static(origin));
        }
        headers
    }

    #[test]
    fn a_listed_origin_is_echoed_and_others_get_nothing() {
        let cors = Cors::origins(["https://good.example"]).with_credentials(true);
        let mut response = HeaderMap::new();
        cors.apply(&request(Some("https://good.example")), &mut response);
        assert_eq!(
            response[ACCESS_CONTROL_ALLOW_ORIGIN],
            "https://good.example"
        );
        assert_eq!(response[ACCESS_CONTROL_ALLOW_CREDENTIALS], "true");
        assert_eq!(response[VARY], "Origin");
        for origin in [
            Some("https://evil.example"),
            Some("https://good.example.evil"),
            Some("https://good.example/"),
            Some("null"),
            None,
        ] {
            let mut response = HeaderMap::new();
            cors.apply(&request(origin), &mut response);
            assert!(
                response.get(ACCESS_CONTROL_ALLOW_ORIGIN).is_none(),
                "{origin:?}"
            );
            assert!(response.get(ACCESS_CONTROL_ALLOW_CREDENTIALS).is_none());
            assert_eq!(response[VARY], "Origin", "caches must key on the origin");
        }
    }

    #[test]
    fn any_is_a_star_and_mirror_echoes() {
        let mut response = HeaderMap::new();
        Cors::any().apply(&request(Some("https://x.example")), &mut response);
        assert_eq!(response[ACCESS_CONTROL_ALLOW_ORIGIN], "*");
        assert!(response.get(VARY).is_none());
        let mut response = HeaderMap::new();
        Cors::mirror().apply(&request(Some("https://x.example")), &mut response);
        assert_eq!(response[ACCESS_CONTROL_ALLOW_ORIGIN], "https://x.example");
        assert_eq!(response[VARY], "Origin");
    }

    #[test]
    fn preflight_carries_methods_headers_and_max_age() {
        let cors = Cors::origins(["https://good.example"]).with_max_age(Duration::from_secs(600));
        let mut headers = request(Some("https://good.example"));
        headers.insert(
            ACCESS_CONTROL_REQUEST_HEADERS,
            HeaderValue::from_static("x-token"),
        );
        let response = cors.preflight(&headers);
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        let headers = response.headers();
        assert_eq!(headers[ACCESS_CONTROL_ALLOW_ORIGIN], "https://good.example");
        assert_eq!(
            headers[ACCESS_CONTROL_ALLOW_METHODS],
            "GET,HEAD,PUT,PATCH,POST,DELETE"
        );
        assert_eq!(headers[ACCESS_CONTROL_ALLOW_HEADERS], "x-token");
        assert_eq!(headers[ACCESS_CONTROL_MAX_AGE], "600");
        assert_eq!(headers[VARY], "Origin, Access-Control-Request-Headers");
        let fixed = Cors::any()
            .with_methods([Method::GET, Method::POST])
            .with_allowed_headers([
                HeaderName::from_static("x-a"),
                HeaderName::from_static("x-b"),
            ]);
        let response = fixed.preflight(&request(None));
        let headers = response.headers();
        assert_eq!(headers[ACCESS_CONTROL_ALLOW_METHODS], "GET,POST");
        assert_eq!(headers[ACCESS_CONTROL_ALLOW_HEADERS], "x-a,x-b");
        assert!(headers.get(VARY).is_none());
    }
}
