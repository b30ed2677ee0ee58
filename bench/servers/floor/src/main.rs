//! The floor: a raw tokio WebSocket server that answers the bench contract by slicing strings, with
//! no Socket.IO machinery at all (no JSON parse, no state machines, unbounded per-client queues).
//! What any Socket.IO server on this machine could at best reach.
//!
//! Contract: port from `PORT`; `42<id>["echo",args...]` is acked with `43<id>[args...]`;
//! `42["broadcast",args...]` is re-emitted as `42["bcast",args...]` to every socket of `/`.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::accept_async_with_config;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

type Clients = Arc<Mutex<HashMap<u64, mpsc::UnboundedSender<Message>>>>;

fn main() {
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(3000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port)))
            .await
            .unwrap();
        eprintln!("floor listening on {}", listener.local_addr().unwrap());
        let clients: Clients = Default::default();
        let ids = AtomicU64::new(1);
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            };
            let _ = stream.set_nodelay(true);
            let id = ids.fetch_add(1, Ordering::Relaxed);
            tokio::spawn(serve(stream, id, clients.clone()));
        }
    });
}

async fn serve(stream: TcpStream, id: u64, clients: Clients) {
    let config = WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(16 * 1024);
    let Ok(ws) = accept_async_with_config(stream, Some(config)).await else {
        return;
    };
    let (mut sink, mut source) = ws.split();
    let (tx, mut rx) = mpsc::unbounded_channel::<Message>();
    let sid = format!("{id:020}");
    let _ = tx.send(Message::text(format!(
        "0{{\"sid\":\"{sid}\",\"upgrades\":[],\"pingInterval\":25000,\"pingTimeout\":20000,\"maxPayload\":1000000}}"
    )));
    // writer: drain whatever is queued, then flush once
    let writer = tokio::spawn(async move {
        while let Some(m) = rx.recv().await {
            if sink.feed(m).await.is_err() {
                return;
            }
            while let Ok(m) = rx.try_recv() {
                if sink.feed(m).await.is_err() {
                    return;
                }
            }
            if sink.flush().await.is_err() {
                return;
            }
        }
    });
    let mut ping = tokio::time::interval(Duration::from_secs(25));
    ping.tick().await;
    loop {
        tokio::select! {
            msg = source.next() => match msg {
                Some(Ok(Message::Text(text))) => {
                    if !handle(&text, &sid, id, &tx, &clients) { break; }
                }
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
                Some(Ok(_)) => {}
            },
            _ = ping.tick() => { let _ = tx.send(Message::text("2")); }
        }
    }
    clients.lock().unwrap().remove(&id);
    drop(tx);
    let _ = writer.await;
}

/// One Engine.IO text packet; false to close.
fn handle(
    text: &Utf8Bytes,
    sid: &str,
    id: u64,
    tx: &mpsc::UnboundedSender<Message>,
    clients: &Clients,
) -> bool {
    let t = text.as_str();
    let b = t.as_bytes();
    match b.first() {
        Some(b'3') => true,  // pong
        Some(b'1') => false, // close
        Some(b'4') => match b.get(1) {
            Some(b'0') => {
                let _ = tx.send(Message::text(format!("40{{\"sid\":\"{sid}\"}}")));
                clients.lock().unwrap().insert(id, tx.clone());
                true
            }
            Some(b'1') => false,
            Some(b'2') => {
                let rest = &t[2..];
                let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
                let (ack, array) = rest.split_at(digits);
                if let Some(args) = array.strip_prefix("[\"echo\"") {
                    if !ack.is_empty() {
                        let args = args.strip_prefix(',').unwrap_or(args);
                        let _ = tx.send(Message::text(format!("43{ack}[{args}")));
                    }
                } else if let Some(args) = array.strip_prefix("[\"broadcast\"") {
                    let frame = Message::Text(Utf8Bytes::from(format!("42[\"bcast\"{args}")));
                    let clients = clients.lock().unwrap();
                    for client in clients.values() {
                        let _ = client.send(frame.clone());
                    }
                }
                true
            }
            _ => true,
        },
        _ => true,
    }
}
