//! What the client takes from the browser's global scope (a window or a worker): the clock, timers,
//! randomness, `fetch` and the page's address.

use engineio_proto::Instant;
use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn performance_now() -> f64;

    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &Function, millis: i32) -> JsValue;

    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(handle: &JsValue);

    #[wasm_bindgen(js_name = fetch)]
    pub(crate) fn fetch_with_init(url: &str, init: &web_sys::RequestInit) -> Promise;
}

/// The browser's monotonic clock, as the state machines count time.
pub(crate) fn now() -> Instant {
    Instant::from_micros((performance_now() * 1000.0) as u64)
}

/// Calls `handler` after `millis` milliseconds; the handle cancels it.
pub(crate) fn start_timer(handler: &Function, millis: i32) -> JsValue {
    set_timeout(handler, millis)
}

/// Cancels a timer from [`start_timer`].
pub(crate) fn cancel_timer(handle: &JsValue) {
    clear_timeout(handle);
}

/// 64 random bits from `Math.random()` (they only spread reconnections out).
pub(crate) fn random_seed() -> u64 {
    let high = (js_sys::Math::random() * 4_294_967_296.0) as u64;
    let low = (js_sys::Math::random() * 4_294_967_296.0) as u64;
    (high << 32) | low
}

/// The page's (or worker's) address, to resolve relative URLs against.
pub(crate) fn location() -> Option<String> {
    let get = |object: &JsValue, key: &str| js_sys::Reflect::get(object, &JsValue::from_str(key));
    let location = get(&js_sys::global(), "location").ok()?;
    get(&location, "href").ok()?.as_string()
}
