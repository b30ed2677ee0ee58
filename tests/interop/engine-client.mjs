// Drives our Engine.IO echo server with the official engine.io-client and raw HTTP, and prints one
// JSON object of observations on stdout. The Rust scenarios (tests/interop-suite/src/engine_io.rs,
// run on every runtime) start the server and assert on the observations; this script only observes.
//
// Usage: node engine-client.mjs <port> <maxPayload>
// The server echoes every message, closes the session on the text "close-me", and answers the text
// "via-handle" with "from-handle" sent from another task.
import { Socket } from "engine.io-client";
import net from "node:net";

const port = Number(process.argv[2]);
const maxPayload = Number(process.argv[3]);
const base = `http://127.0.0.1:${port}`;
const SCENARIO_TIMEOUT_MS = 5000;

// Nothing may hang: the whole run has a hard deadline too.
setTimeout(() => {
  console.error("engine-client.mjs: global timeout");
  process.exit(2);
}, 25000).unref();

function describe(data) {
  if (typeof data === "string") return { type: "text", text: data.length > 64 ? `len:${data.length}` : data };
  const bytes = Buffer.isBuffer(data) ? data : Buffer.from(data instanceof ArrayBuffer ? data : data.buffer);
  return { type: "binary", isBuffer: Buffer.isBuffer(data), length: bytes.length, head: [...bytes.subarray(0, 4)] };
}

function withTimeout(promise, what) {
  return Promise.race([
    promise,
    new Promise((resolve) => setTimeout(() => resolve({ error: `timeout: ${what}` }), SCENARIO_TIMEOUT_MS)),
  ]);
}

// Opens a client, sends `messages` once open, collects `expect` messages, then closes.
function echo(transports, messages, expect, opts = {}) {
  return withTimeout(
    new Promise((resolve) => {
      const socket = new Socket(base, { transports, ...opts });
      const received = [];
      let upgraded = null;
      let done = false;
      socket.on("upgrade", (transport) => {
        upgraded = transport.name;
        if (opts.sendAfterUpgrade) for (const m of messages) socket.send(m);
      });
      socket.on("open", () => {
        if (!opts.sendAfterUpgrade) for (const m of messages) socket.send(m);
      });
      socket.on("message", (data) => {
        received.push(data);
        if (received.length === expect) {
          done = true;
          resolve({
            received: received.map(describe),
            transport: socket.transport.name,
            upgradeEvent: upgraded,
          });
          socket.close();
        }
      });
      socket.on("close", (reason) => {
        if (!done) resolve({ error: `closed early: ${reason}`, received: received.map(describe) });
      });
    }),
    `echo over ${transports}`,
  );
}

// Sends one message and waits for the session to close; reports the echo (if any) and the reason.
function sendAndWaitClose(transports, message) {
  return withTimeout(
    new Promise((resolve) => {
      const socket = new Socket(base, { transports });
      const received = [];
      socket.on("open", () => socket.send(message));
      socket.on("message", (data) => received.push(describe(data)));
      socket.on("close", (reason) => resolve({ closed: true, reason, received }));
    }),
    `close over ${transports}`,
  );
}

function burst(transports, count) {
  const messages = Array.from({ length: count }, (_, i) => `m${i}`);
  return withTimeout(
    new Promise((resolve) => {
      const socket = new Socket(base, { transports });
      const received = [];
      let done = false;
      socket.on("open", () => messages.forEach((m) => socket.send(m)));
      socket.on("message", (data) => {
        received.push(data);
        if (received.length === count) {
          done = true;
          resolve({ count: received.length, inOrder: received.every((m, i) => m === messages[i]) });
          socket.close();
        }
      });
      socket.on("close", (reason) => {
        if (!done) resolve({ error: `closed early: ${reason}`, count: received.length });
      });
    }),
    `burst over ${transports}`,
  );
}

// Stays connected long enough for several heartbeats (the test server pings every 300 ms).
function heartbeat(transports, ms) {
  return withTimeout(
    new Promise((resolve) => {
      const socket = new Socket(base, { transports });
      let pings = 0;
      let closed = null;
      socket.on("ping", () => pings++);
      socket.on("close", (reason) => (closed = reason));
      setTimeout(() => {
        const result = { pings, closed, open: socket.readyState === "open" };
        socket.close();
        resolve(result);
      }, ms);
    }),
    "heartbeat",
  );
}

async function http(method, query) {
  const response = await fetch(`${base}/engine.io/?${query}`, { method });
  return {
    status: response.status,
    contentType: response.headers.get("content-type"),
    body: await response.json().catch(() => null),
  };
}

// Writes a garbage request line on a raw TCP connection and reports how the server ended it.
function garbage() {
  return withTimeout(
    new Promise((resolve) => {
      const socket = net.connect(port, "127.0.0.1");
      let reply = "";
      socket.on("connect", () => socket.write("GARBAGE \x00\x01 NOT-HTTP\r\n\r\n"));
      socket.on("data", (chunk) => (reply += chunk.toString("latin1")));
      socket.on("error", () => {});
      socket.on("close", () => resolve({ closed: true, statusLine: reply.split("\r\n")[0] }));
    }),
    "garbage request",
  );
}

// A client that stays open while other scenarios misbehave, then proves it still works.
function bystander() {
  const socket = new Socket(base, { transports: ["websocket"] });
  const opened = new Promise((resolve) => socket.on("open", resolve));
  return {
    opened,
    check: () =>
      withTimeout(
        new Promise((resolve) => {
          socket.once("message", (data) => {
            resolve({ echoed: data, open: true });
            socket.close();
          });
          socket.once("close", (reason) => resolve({ open: false, reason }));
          socket.send("still here");
        }),
        "bystander",
      ),
  };
}

const binary = Buffer.from([1, 2, 3, 255]);
const results = {};
const other = bystander();
await withTimeout(other.opened, "bystander open");

results.polling = await echo(["polling"], ["hello", binary, "é🙂"], 3);
results.websocket = await echo(["websocket"], ["hello", binary, "é🙂"], 3);
results.upgrade = await echo(["polling", "websocket"], ["after upgrade", binary], 2, { sendAfterUpgrade: true });
results.burstPolling = await burst(["polling"], 500);
results.burstWebsocket = await burst(["websocket"], 500);
results.burstUpgrade = await burst(["polling", "websocket"], 500);
// A WebSocket frame is the packet: binary frames carry the message alone, text frames a "4" first.
results.atLimitWebsocket = await echo(["websocket"], [Buffer.alloc(maxPayload, 7)], 1);
results.overLimitWebsocket = await sendAndWaitClose(["websocket"], Buffer.alloc(maxPayload + 1, 7));
// A polling body of one text message is "4" + the text.
results.atLimitPolling = await echo(["polling"], ["x".repeat(maxPayload - 1)], 1);
results.overLimitPolling = await sendAndWaitClose(["polling"], "x".repeat(maxPayload));
results.serverClosePolling = await sendAndWaitClose(["polling"], "close-me");
results.serverCloseWebsocket = await sendAndWaitClose(["websocket"], "close-me");
results.handlePolling = await echo(["polling"], ["via-handle"], 1);
results.handleWebsocket = await echo(["websocket"], ["via-handle"], 1);
results.heartbeat = await heartbeat(["polling"], 1200);
results.http = {
  unknownTransport: await http("GET", "EIO=4&transport=carrier-pigeon"),
  unknownSid: await http("GET", "EIO=4&transport=polling&sid=no-such-session"),
  postHandshake: await http("POST", "EIO=4&transport=polling"),
  eio3: await http("GET", "EIO=3&transport=polling"),
};
results.garbage = await garbage();
results.bystander = await other.check();

console.log(JSON.stringify(results));
process.exit(0);
