//! A bare Socket.IO client over one WebSocket, speaking the wire format by hand: for tests that need
//! many clients, exact packets, or a client that misbehaves (stops reading, never connects).

use std::time::Duration;

use async_tungstenite::WebSocketStream;
use async_tungstenite::tungstenite::Message as WsMessage;
use futures_util::StreamExt;
use hyper_util::rt::TokioIo;
use socketio_runtime::FuturesIo;
use tokio::net::TcpStream;

type Stream = WebSocketStream<FuturesIo<TokioIo<TcpStream>>>;

/// One client connection (`EIO=4`, WebSocket only).
pub struct RawClient {
    ws: Stream,
    /// The Engine.IO session id from the `open` packet.
    pub sid: String,
}

impl RawClient {
    /// Opens the WebSocket and reads the `open` packet; no namespace is joined yet.
    pub async fn open(port: u16) -> RawClient {
        let tcp = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        let url = format!("ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket");
        let (ws, _) = async_tungstenite::client_async(url, FuturesIo::new(TokioIo::new(tcp)))
            .await
            .unwrap();
        let mut client = RawClient {
            ws,
            sid: String::new(),
        };
        let open = client.next_text().await.expect("the open packet");
        let handshake: serde_json::Value = serde_json::from_str(&open[1..]).unwrap();
        client.sid = handshake["sid"].as_str().unwrap().to_owned();
        client
    }

    /// Opens and joins `namespace` (`/` or `/name`); returns the client and its socket id.
    pub async fn connect(port: u16, namespace: &str) -> (RawClient, String) {
        let mut client = RawClient::open(port).await;
        let id = client.join(namespace).await;
        (client, id)
    }

    /// Sends `CONNECT` for `namespace` and waits for the answer; returns the socket id.
    pub async fn join(&mut self, namespace: &str) -> String {
        self.send(&format!("40{}", prefix(namespace))).await;
        let answer = self.next_text().await.expect("the CONNECT answer");
        let json = answer
            .strip_prefix(&format!("40{}", prefix(namespace)))
            .unwrap_or_else(|| panic!("not a CONNECT answer: {answer}"));
        let value: serde_json::Value = serde_json::from_str(json).unwrap();
        value["sid"].as_str().unwrap().to_owned()
    }

    /// Sends one Engine.IO text packet (`42["ev"]`, `41`, ...).
    pub async fn send(&mut self, text: &str) {
        self.ws
            .send(WsMessage::Text(text.to_owned().into()))
            .await
            .unwrap();
    }

    /// The next text packet that is not a ping (pings are answered), or `None` when the socket
    /// closes. Waits at most 5 s.
    pub async fn next_text(&mut self) -> Option<String> {
        loop {
            let frame = tokio::time::timeout(Duration::from_secs(5), self.ws.next())
                .await
                .expect("nothing from the server within 5 s");
            match frame {
                Some(Ok(WsMessage::Text(text))) if text.as_str() == "2" => self.send("3").await,
                Some(Ok(WsMessage::Text(text))) => return Some(text.as_str().to_owned()),
                Some(Ok(WsMessage::Close(_))) | None | Some(Err(_)) => return None,
                Some(Ok(_)) => {}
            }
        }
    }

    /// The next event packet's JSON array (`42[...]` -> `[...]`, any namespace prefix removed).
    pub async fn next_event(&mut self) -> Option<serde_json::Value> {
        loop {
            let text = self.next_text().await?;
            if let Some(rest) = text.strip_prefix("42") {
                let json = rest.find('[').map_or(rest, |start| &rest[start..]);
                return Some(serde_json::from_str(json).unwrap());
            }
        }
    }

    /// Reads until the socket closes; returns the packets read meanwhile.
    pub async fn until_closed(&mut self) -> Vec<String> {
        let mut packets = Vec::new();
        while let Some(text) = self.next_text().await {
            packets.push(text);
        }
        packets
    }
}

/// `"/"` -> `""`, `"/chat"` -> `"/chat,"`: the namespace as packets write it.
fn prefix(namespace: &str) -> String {
    if namespace == "/" {
        String::new()
    } else {
        format!("{namespace},")
    }
}
