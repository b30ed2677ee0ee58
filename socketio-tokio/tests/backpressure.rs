//! A WebSocket client that stops reading loses its session instead of growing server memory.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use engineio_proto::Message;
use engineio_proto::server::CloseReason;
use socketio_tokio::engine_io::{
    Application, EngineConfig, HandleError, HandshakeRequest, SessionContext, SessionHandle,
    SessionHandler,
};
use socketio_tokio::{HttpServer, engine};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Hands each session's handle and close reason to the test; ignores messages.
#[derive(Clone, Default)]
struct Handles {
    handles: Arc<Mutex<Vec<SessionHandle<Infallible>>>>,
    closed: Arc<Mutex<Vec<CloseReason>>>,
}

struct Quiet(Arc<Mutex<Vec<CloseReason>>>);

impl SessionHandler for Quiet {
    type Command = Infallible;

    fn on_message(&mut self, _session: &mut SessionContext<'_, Infallible>, _message: Message) {}

    fn on_close(&mut self, _now: engineio_proto::Instant, reason: CloseReason) {
        self.0.lock().unwrap().push(reason);
    }
}

impl Application for Handles {
    type Handler = Quiet;

    fn on_open(
        &self,
        session: &mut SessionContext<'_, Infallible>,
        _request: &HandshakeRequest,
    ) -> Quiet {
        self.handles.lock().unwrap().push(session.handle());
        Quiet(self.closed.clone())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_websocket_that_is_not_read_closes_its_session() {
    let handles = Handles::default();
    let engine = engine(handles.clone())
        .config(EngineConfig::default().with_ws_write_queue(8))
        .build();
    let server = HttpServer::bind("127.0.0.1:0", engine.clone())
        .await
        .unwrap();
    let addr = server.local_addr().unwrap();
    let serving = tokio::spawn(server.run());

    // A WebSocket handshake by hand; after the 101 this client never reads again.
    let mut client = TcpStream::connect(addr).await.unwrap();
    client
        .write_all(
            b"GET /engine.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: test\r\n\
              Upgrade: websocket\r\nConnection: Upgrade\r\n\
              Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        )
        .await
        .unwrap();
    let mut head = [0u8; 12];
    client.read_exact(&mut head).await.unwrap();
    assert_eq!(&head, b"HTTP/1.1 101");

    let handle = loop {
        if let Some(handle) = handles.handles.lock().unwrap().first().cloned() {
            break handle;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    assert_eq!(engine.session_count(), 1);

    // 64 KiB messages until the session gives up; a bounded number, so a broken limit fails here
    // instead of eating memory.
    let chunk = Message::binary(vec![0u8; 64 * 1024]);
    let mut accepted = 0usize;
    let outcome = loop {
        if accepted > 20_000 {
            break Err("the session kept accepting messages nobody reads");
        }
        match handle.try_send(chunk.clone()) {
            Ok(()) => accepted += 1,
            Err(HandleError::Full) => tokio::time::sleep(Duration::from_millis(1)).await,
            Err(HandleError::Closed) => break Ok(()),
        }
    };
    outcome.unwrap();
    // The outbox hands the session whole batches, so how many were accepted before the close
    // depends on scheduling; what matters is that the count is bounded and the reason right.
    println!("{accepted} messages of 64 KiB accepted before the session closed");

    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while engine.session_count() > 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(engine.session_count(), 0);
    assert_eq!(
        *handles.closed.lock().unwrap(),
        [CloseReason::TransportError]
    );
    serving.abort();
}
