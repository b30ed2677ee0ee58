//! The page of the browser test (`tests/browser.rs`): built for `wasm32-unknown-unknown` and bound
//! with `wasm-bindgen --target web`, it runs each scenario against the test's server and reports
//! it to the page's `report(name, ok, detail)`, which the test reads over WebDriver.
//!
//! It is also the measure of the client's size: an application that uses all of its API.
#![cfg_attr(not(target_arch = "wasm32"), allow(unused))]

#[cfg(target_arch = "wasm32")]
mod page {
    use std::cell::RefCell;
    use std::rc::Rc;
    use std::time::Duration;

    use bytes::Bytes;
    use serde_json::{Value, json};
    use socketio_wasm::{AckError, Client, ClientEvent, Socket, SocketEvent, Transport};
    use wasm_bindgen::prelude::*;

    #[wasm_bindgen]
    extern "C" {
        /// Defined by the page: records one scenario's outcome.
        fn report(name: &str, ok: bool, detail: &str);
    }

    /// Runs every scenario, in order, then reports `done`.
    #[wasm_bindgen]
    pub fn run() {
        wasm_bindgen_futures::spawn_local(async {
            let outcome = scenarios().await;
            report("done", outcome.is_ok(), outcome.err().unwrap_or(""));
        });
    }

    type Outcome = Result<(), &'static str>;

    fn check(name: &str, ok: bool, failure: &'static str) -> Outcome {
        report(name, ok, if ok { "" } else { failure });
        if ok { Ok(()) } else { Err(failure) }
    }

    /// Resolves after `millis` milliseconds.
    async fn sleep(millis: i32) {
        let promise = js_sys::Promise::new(&mut |resolve, _| {
            let global = js_sys::global();
            let set_timeout = js_sys::Reflect::get(&global, &"setTimeout".into()).unwrap();
            let set_timeout: js_sys::Function = set_timeout.unchecked_into();
            let _ = set_timeout.call2(&global, &resolve, &millis.into());
        });
        let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
    }

    /// Waits until `done` holds, looking every 20 ms; `false` after `millis` without it.
    async fn until(millis: i32, done: impl Fn() -> bool) -> bool {
        for _ in 0..millis / 20 {
            if done() {
                return true;
            }
            sleep(20).await;
        }
        done()
    }

    /// What a socket heard: events by name (through `on_any`), and its connection events.
    #[derive(Default)]
    struct Heard {
        events: Vec<(String, Value)>,
        binary: Vec<Bytes>,
        connects: usize,
        disconnects: usize,
    }

    fn listen(socket: &Socket) -> Rc<RefCell<Heard>> {
        let heard = Rc::new(RefCell::new(Heard::default()));
        let log = heard.clone();
        socket.on_any(move |_, name, payload, _| {
            let args = payload.deserialize().unwrap_or(Value::Null);
            log.borrow_mut().events.push((name.to_owned(), args));
        });
        let log = heard.clone();
        socket.on("bytes-back", move |_, (blob,): (Bytes,), _| {
            log.borrow_mut().binary.push(blob);
        });
        let log = heard.clone();
        socket.on_event(move |event| match event {
            SocketEvent::Connect { .. } => log.borrow_mut().connects += 1,
            SocketEvent::Disconnect(_) => log.borrow_mut().disconnects += 1,
            _ => {}
        });
        heard
    }

    fn heard(log: &Rc<RefCell<Heard>>, name: &str, args: &Value) -> bool {
        log.borrow()
            .events
            .iter()
            .any(|(heard, value)| heard == name && value == args)
    }

    async fn scenarios() -> Outcome {
        let client = Client::builder("/")
            .reconnection_delay(Duration::from_millis(200))
            .reconnection_delay_max(Duration::from_millis(1000))
            .build()
            .map_err(|_| "build failed")?;
        let reconnects = Rc::new(RefCell::new(0));
        let count = reconnects.clone();
        client.on_event(move |event| {
            if let ClientEvent::Reconnect(_) = event {
                *count.borrow_mut() += 1;
            }
        });
        let socket = client.socket();
        let log = listen(&socket);
        // The server answers its questions with the length of the text.
        socket.on("question", |_, (text,): (String,), ack| {
            if let Some(ack) = ack {
                let _ = ack.send(&(text.len(),));
            }
        });
        // Emitted before the namespace is connected: waits, then goes.
        socket
            .emit("echo", &json!({"early": true}))
            .map_err(|_| "early emit refused")?;

        let connected = socket.connect().await.is_ok();
        check(
            "connect",
            connected && socket.id().is_some(),
            "no connection",
        )?;
        let upgraded = until(5000, || client.transport() == Some(Transport::WebSocket)).await;
        check("upgrade", upgraded, "still on polling")?;

        // Events both ways (and the early one).
        socket
            .emit("echo", &json!({"n": 1}))
            .map_err(|_| "emit refused")?;
        let echoed = until(5000, || {
            heard(&log, "echoed", &json!(["echoed", {"early": true}]))
                && heard(&log, "echoed", &json!(["echoed", {"n": 1}]))
                && heard(&log, "welcome", &json!(["welcome", "hello"]))
        })
        .await;
        check("events", echoed, "an event did not arrive")?;
        check(
            "on_any",
            log.borrow().events.len() >= 3,
            "on_any heard too little",
        )?;

        // Acks both ways.
        let sum = socket
            .emit_with_ack("add", &(2, 3))
            .timeout(Duration::from_secs(5))
            .await
            .map_err(|_| "no ack for add")?;
        let sum_ok = sum.deserialize::<Value>().ok() == Some(json!([5]));
        socket.emit("ask", &"why?").map_err(|_| "emit refused")?;
        let answered = until(5000, || heard(&log, "answer", &json!(["answer", 4]))).await;
        check("acks", sum_ok && answered, "an ack went wrong")?;

        // Binary both ways: the server reverses the bytes in its ack and sends them back too.
        let reply = socket
            .emit_with_ack("bytes", &(Bytes::from_static(&[1, 2, 3]),))
            .timeout(Duration::from_secs(5))
            .await
            .map_err(|_| "no ack for bytes")?;
        let reversed = reply.deserialize::<(Bytes,)>().ok().map(|(blob,)| blob);
        let back = until(5000, || {
            log.borrow()
                .binary
                .contains(&Bytes::from_static(&[3, 2, 1]))
        })
        .await;
        check(
            "binary",
            reversed == Some(Bytes::from_static(&[3, 2, 1])),
            "wrong bytes in the ack",
        )?;
        check("binary", back, "no bytes in the event")?;

        // An ack that never comes times out.
        let silent = socket
            .emit_with_ack("ignore", &())
            .timeout(Duration::from_millis(300))
            .await;
        check(
            "ack_timeout",
            matches!(silent, Err(AckError::Timeout)),
            "no timeout",
        )?;

        // A second namespace over the same connection.
        let admin = client.of("/admin").map_err(|_| "bad namespace")?;
        let admin_log = listen(&admin);
        admin.connect().await.map_err(|_| "admin did not connect")?;
        let whoami = admin
            .emit_with_ack("whoami", &())
            .timeout(Duration::from_secs(5))
            .await
            .map_err(|_| "no ack from /admin")?;
        let greeted = until(5000, || {
            heard(&admin_log, "admin-hello", &json!(["admin-hello"]))
        })
        .await;
        check(
            "namespace",
            whoami.deserialize::<Value>().ok() == Some(json!(["/admin"])) && greeted,
            "/admin went wrong",
        )?;

        // Long-polling alone, on a client of its own.
        let polling = Client::builder("/")
            .transports([Transport::Polling])
            .build()
            .map_err(|_| "build failed")?;
        let polled = polling.socket();
        let polled_log = listen(&polled);
        polled
            .connect()
            .await
            .map_err(|_| "polling did not connect")?;
        let sum = polled
            .emit_with_ack("add", &(40, 2))
            .timeout(Duration::from_secs(5))
            .await
            .map_err(|_| "no ack over polling")?;
        let welcomed = until(5000, || {
            heard(&polled_log, "welcome", &json!(["welcome", "hello"]))
        })
        .await;
        check(
            "polling",
            sum.deserialize::<Value>().ok() == Some(json!([42]))
                && welcomed
                && polling.transport() == Some(Transport::Polling),
            "polling went wrong",
        )?;
        polling.close();

        // The test restarts the server now; both namespaces come back on a new session.
        let sessions_before = log.borrow().connects;
        report("ready_for_restart", true, "");
        let back = until(30_000, || {
            log.borrow().disconnects >= 1
                && log.borrow().connects > sessions_before
                && admin_log.borrow().connects >= 2
                && *reconnects.borrow() >= 1
        })
        .await;
        check("reconnect", back, "did not reconnect")?;
        let sum = socket
            .emit_with_ack("add", &(20, 22))
            .timeout(Duration::from_secs(5))
            .await
            .map_err(|_| "no ack after reconnecting")?;
        check(
            "after_reconnect",
            sum.deserialize::<Value>().ok() == Some(json!([42])),
            "wrong ack after reconnecting",
        )?;
        client.close();
        Ok(())
    }
}
