//! The corpus values both codec benchmarks (`benches/codec.rs`, JSON; `benches/msgpack.rs`, the
//! msgpack parser) encode: a chat message, a history of them, and a file with a binary body.

use bytes::Bytes;
use serde::{Deserialize, Serialize};

/// A chat message.
#[derive(Clone, Serialize, Deserialize)]
pub struct Message {
    pub id: u64,
    pub room: String,
    pub user: String,
    pub text: String,
    pub tags: Vec<String>,
    pub score: f64,
    pub edited: bool,
}

/// A file upload: binary data beside its metadata.
#[derive(Clone, Serialize, Deserialize)]
pub struct File {
    pub name: String,
    pub mime: String,
    pub data: Bytes,
}

/// Message `id` with a text of `text_len` bytes.
pub fn message(id: u64, text_len: usize) -> Message {
    Message {
        id,
        room: "general".into(),
        user: format!("user-{id}"),
        text: "lorem ipsum \"dolor\" sit amet, ".repeat(text_len / 30 + 1)[..text_len].to_owned(),
        tags: vec!["a".into(), "bb".into(), "ccc".into()],
        score: 0.5 + id as f64,
        edited: id.is_multiple_of(2),
    }
}
