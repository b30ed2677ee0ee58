#!/usr/bin/env bash
# Builds the chat example's browser client (examples/chat.rs) into target/socketio-wasm-chat, where
# `cargo run -p socketio-tokio --example chat` serves it at /wasm.
#
# Needs: rustup target add wasm32-unknown-unknown
#        cargo install wasm-bindgen-cli --version <the wasm-bindgen version in Cargo.lock>
set -euo pipefail
cd "$(dirname "$0")/.."
out=target/socketio-wasm-chat
cargo build -p socketio-wasm --example chat --target wasm32-unknown-unknown --profile wasm-release
wasm-bindgen --target web --no-typescript --out-dir "$out" \
  target/wasm32-unknown-unknown/wasm-release/examples/chat.wasm
echo "built $out; run: cargo run -p socketio-tokio --example chat, then open http://127.0.0.1:3000/wasm"
