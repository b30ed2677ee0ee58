// Drives a Socket.IO echo server (the conformance server's echo, as std-loop-server/src/echo.rs
// serves it) with the official socket.io-client, over each transport setting, and prints one JSON
// object of observations on stdout. The Rust test (std-loop-server/tests/official_client.rs)
// asserts on them; this script only observes.
//
// Usage: node echo-client.mjs <port>
import { io } from "socket.io-client";

const port = Number(process.argv[2]);
const STEP_TIMEOUT_MS = 5000;

setTimeout(() => {
  console.error("echo-client.mjs: global timeout");
  process.exit(2);
}, 40000).unref();

function within(promise, what) {
  return Promise.race([
    promise,
    new Promise((_, reject) => setTimeout(() => reject(new Error(`timeout: ${what}`)), STEP_TIMEOUT_MS)),
  ]);
}

const once = (emitter, event) => new Promise((resolve) => emitter.once(event, (...args) => resolve(args)));

// Emits with an ack callback and resolves with all the ack's arguments.
const ackAll = (socket, event, ...args) =>
  new Promise((resolve) => socket.emit(event, ...args, (...answer) => resolve(answer)));

// Buffers as `{ buffer: [bytes] }`, so that JSON can carry them.
function describe(value) {
  if (Buffer.isBuffer(value)) return { buffer: [...value] };
  if (value instanceof ArrayBuffer) return { buffer: [...new Uint8Array(value)] };
  if (Array.isArray(value)) return value.map(describe);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, describe(v)]));
  }
  return value;
}

// One client through its whole life: connect, (upgrade), events and acks both ways, a heartbeat,
// disconnect. A failure becomes `{ error }` so that the other runs still happen.
async function run(name, options) {
  try {
    const socket = io(`http://127.0.0.1:${port}`, {
      forceNew: true,
      reconnection: false,
      auth: { run: name },
      ...options,
    });
    const out = {};
    // Listeners first: the server emits `auth` as soon as the socket connects, and the upgrade
    // may finish before `connect` is seen.
    const auth = once(socket, "auth");
    const engine = socket.io.engine;
    const opened = new Promise((resolve) => engine.once("open", () => resolve(engine.transport.name)));
    const upgraded = once(engine, "upgrade");
    await within(once(socket, "connect"), `${name}: connect`);
    out.sid = engine.id;
    out.socketId = socket.id;
    out.connectedOver = await opened;
    out.auth = await within(auth, `${name}: auth`);
    if (name === "upgrade") {
      const [transport] = await within(upgraded, `${name}: upgrade`);
      out.upgradedTo = transport.name;
    }

    const back = once(socket, "message-back");
    socket.emit("message", "hello", 42, Buffer.from([1, 2, 3]));
    out.messageBack = describe(await within(back, `${name}: message-back`));

    out.clientAck = describe(
      await within(ackAll(socket, "message-with-ack", { nested: [1, "two"] }, Buffer.from([4, 5])), `${name}: ack`),
    );
    out.authAck = await within(ackAll(socket, "auth"), `${name}: auth ack`);

    socket.on("question", (a, b, ack) => ack(`${a}-${b}`, "answer"));
    const answer = once(socket, "answer");
    socket.emit("server-ask");
    out.serverAck = await within(answer, `${name}: answer`);

    // The server pings every 300 ms: one on the final transport shows its timers run.
    await within(once(socket.io, "ping"), `${name}: ping`);
    out.pinged = true;

    out.transportAtEnd = socket.io.engine.transport.name;
    const disconnected = once(socket, "disconnect");
    socket.disconnect();
    [out.disconnectReason] = await within(disconnected, `${name}: disconnect`);
    return out;
  } catch (error) {
    return { error: String(error && error.stack ? error.stack : error) };
  }
}

const result = {
  polling: await run("polling", { transports: ["polling"] }),
  upgrade: await run("upgrade", {}),
  websocket: await run("websocket", { transports: ["websocket"] }),
};
console.log(JSON.stringify(result));
process.exit(0);
