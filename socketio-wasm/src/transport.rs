//! The browser's transports: long-polling over `fetch`, and `WebSocket`, each reporting to the
//! driver by its [`EngineId`].

use std::rc::Weak;

use engineio_proto::client::TransportFailure;
use engineio_proto::{Bytes, Frame, Utf8Bytes};
use js_sys::{ArrayBuffer, Uint8Array};
use socketio_proto::client::stack::EngineId;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;
use wasm_bindgen_futures::JsFuture;
use web_sys::{BinaryType, CloseEvent, MessageEvent, RequestCache, RequestInit, Response};

use crate::browser;
use crate::driver::{self, Driver};

/// Issues a long-polling GET and reports its body.
pub(crate) fn get(driver: Weak<Driver>, engine: EngineId, url: String) {
    wasm_bindgen_futures::spawn_local(async move {
        let init = request("GET");
        let result = match fetch(&url, &init).await {
            Ok(response) => body(&response).await,
            Err(failure) => Err(failure),
        };
        if let Some(driver) = driver.upgrade() {
            driver::report_poll(&driver, engine, result);
        }
    });
}

/// Issues a long-polling POST of `body` (always text: binary travels base64-encoded) and reports
/// its outcome.
pub(crate) fn post(driver: Weak<Driver>, engine: EngineId, url: String, body: Bytes) {
    wasm_bindgen_futures::spawn_local(async move {
        let init = request("POST");
        match std::str::from_utf8(&body) {
            // A string body is sent as `text/plain;charset=UTF-8`, as the protocol wants.
            Ok(text) => init.set_body_opt_str(Some(text)),
            Err(_) => init.set_body(&Uint8Array::from(&body[..])),
        }
        let result = fetch(&url, &init).await.map(drop);
        if let Some(driver) = driver.upgrade() {
            driver::report_post(&driver, engine, result);
        }
    });
}

fn request(method: &str) -> RequestInit {
    let init = RequestInit::new();
    init.set_method(method);
    // A held GET must reach the server every time.
    init.set_cache(RequestCache::NoStore);
    init
}

async fn fetch(url: &str, init: &RequestInit) -> Result<Response, TransportFailure> {
    let response = JsFuture::from(browser::fetch_with_init(url, init))
        .await
        .map_err(|_| TransportFailure::Network)?;
    let response: Response = response.unchecked_into();
    if response.ok() {
        Ok(response)
    } else {
        Err(TransportFailure::HttpStatus(response.status()))
    }
}

async fn body(response: &Response) -> Result<Bytes, TransportFailure> {
    let reading = response
        .array_buffer()
        .map_err(|_| TransportFailure::Network)?;
    let buffer = JsFuture::from(reading)
        .await
        .map_err(|_| TransportFailure::Network)?;
    Ok(Bytes::from(Uint8Array::new(&buffer).to_vec()))
}

/// One session's WebSocket and the callbacks that report on it.
pub(crate) struct WebSocket {
    engine: EngineId,
    socket: web_sys::WebSocket,
    _on_open: Closure<dyn FnMut()>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_close: Closure<dyn FnMut(CloseEvent)>,
}

impl WebSocket {
    /// Opens a WebSocket to `url` for session `engine`; `Err` if the browser refuses the URL.
    pub(crate) fn open(driver: Weak<Driver>, engine: EngineId, url: &str) -> Result<Self, ()> {
        let socket = web_sys::WebSocket::new(url).map_err(drop)?;
        socket.set_binary_type(BinaryType::Arraybuffer);
        let owner = driver.clone();
        let on_open = Closure::<dyn FnMut()>::new(move || {
            if let Some(driver) = owner.upgrade() {
                driver.feed(|stack, now| stack.handle_ws_opened(now, engine));
            }
        });
        let owner = driver.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let Some(frame) = frame_of(&event) else {
                return;
            };
            if let Some(driver) = owner.upgrade() {
                driver.feed(|stack, now| stack.handle_ws_frame(now, engine, frame));
            }
        });
        // An error is always followed by `close`, which says whether the socket closed cleanly.
        let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |event: CloseEvent| {
            if let Some(driver) = driver.upgrade() {
                driver.ws_closed(engine, !event.was_clean());
            }
        });
        socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        Ok(WebSocket {
            engine,
            socket,
            _on_open: on_open,
            _on_message: on_message,
            _on_close: on_close,
        })
    }

    /// The session it belongs to.
    pub(crate) fn engine(&self) -> EngineId {
        self.engine
    }

    /// Writes a frame; `Err` if the socket cannot take it.
    pub(crate) fn send(&self, frame: &Frame) -> Result<(), ()> {
        match frame {
            Frame::Text(text) => self.socket.send_with_str(text.as_str()),
            Frame::Binary(bytes) => self.socket.send_with_u8_array(bytes),
        }
        .map_err(drop)
    }

    /// Closes the socket without hearing from it again.
    pub(crate) fn close(self) {
        self.socket.set_onopen(None);
        self.socket.set_onmessage(None);
        self.socket.set_onclose(None);
        let _ = self.socket.close();
    }
}

/// A message's data as a frame: text, or an `ArrayBuffer` as binary.
fn frame_of(event: &MessageEvent) -> Option<Frame> {
    let data = event.data();
    if let Some(text) = data.as_string() {
        return Some(Frame::Text(Utf8Bytes::from(text)));
    }
    let buffer = data.dyn_into::<ArrayBuffer>().ok()?;
    Some(Frame::Binary(Bytes::from(
        Uint8Array::new(&buffer).to_vec(),
    )))
}
