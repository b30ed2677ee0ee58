#!/usr/bin/env bash
# Builds the browser test's page (examples/scenarios.rs for wasm32, bound by wasm-bindgen), prints
# its size beside the official socket.io-client bundle's, and runs tests/browser.rs: headless
# Chromium against our tokio server.
#
# Needs: rustup target add wasm32-unknown-unknown
#        cargo install wasm-bindgen-cli --version <the wasm-bindgen version in Cargo.lock>
#        apt-get install chromium chromium-driver
set -euo pipefail
cd "$(dirname "$0")/.."

page=target/socketio-wasm-page
cargo build -p socketio-wasm --example scenarios --target wasm32-unknown-unknown --profile wasm-release
wasm-bindgen --target web --no-typescript --out-dir "$page" \
  target/wasm32-unknown-unknown/wasm-release/examples/scenarios.wasm

size() { printf '%-44s %8d bytes, %7d gzipped\n' "$1" "$(wc -c < "$2")" "$(gzip -9 -c "$2" | wc -c)"; }
size "socketio-wasm page (.wasm)" "$page/scenarios_bg.wasm"
size "socketio-wasm page (JS glue)" "$page/scenarios.js"
official=tests/interop/node_modules/socket.io-client/dist/socket.io.min.js
if [ -f "$official" ]; then size "socket.io-client (socket.io.min.js)" "$official"; fi

bash socketio-wasm/build-chat.sh
SOCKETIO_WASM_PAGE="$PWD/$page" SOCKETIO_WASM_CHAT="$PWD/target/socketio-wasm-chat" cargo test -p socketio-wasm --test browser -- --ignored --nocapture --test-threads=1
