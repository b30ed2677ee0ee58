// Drives our Socket.IO server with the official socket.io-client and prints one JSON object of
// observations on stdout. The Rust scenarios (tests/interop-suite/src/socket_io.rs, run on every
// runtime) start the server and assert on them; this script only observes.
//
// Usage: node sio-client.mjs <port> <maxHttpBufferSize> [msgpack]
// With `msgpack`, every client uses socket.io-msgpack-parser, and the scenarios that write JSON
// packets by hand (limits, bad input) are left out.
import { io } from "socket.io-client";
import msgpackParser from "socket.io-msgpack-parser";
import net from "node:net";

const port = Number(process.argv[2]);
const maxHttpBufferSize = Number(process.argv[3]);
const msgpack = process.argv[4] === "msgpack";
const parserOption = msgpack ? { parser: msgpackParser } : {};
const base = `http://127.0.0.1:${port}`;
const STEP_TIMEOUT_MS = 5000;

setTimeout(() => {
  console.error("sio-client.mjs: global timeout");
  process.exit(2);
}, 50000).unref();

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function within(promise, what) {
  return Promise.race([
    promise,
    new Promise((_, reject) => setTimeout(() => reject(new Error(`timeout: ${what}`)), STEP_TIMEOUT_MS)),
  ]);
}

// Runs one scenario; a failure becomes `{ error }` so the others still run and the Rust side shows it.
async function scenario(fn) {
  try {
    return await fn();
  } catch (error) {
    return { error: String(error && error.stack ? error.stack : error) };
  }
}

// Emits with an ack callback and resolves with all the ack's arguments (emitWithAck keeps only the first).
const ackAll = (socket, event, ...args) => new Promise((resolve) => socket.emit(event, ...args, (...answer) => resolve(answer)));

const once = (socket, event) => new Promise((resolve) => socket.once(event, (...args) => resolve(args)));

function connect(namespace = "/", opts = {}) {
  const socket = io(`${base}${namespace}`, { forceNew: true, reconnection: false, ...parserOption, ...opts });
  return socket;
}

async function connected(namespace, opts) {
  const socket = connect(namespace, opts);
  await within(once(socket, "connect"), `connect ${namespace}`);
  return socket;
}

function describeBinary(value) {
  if (Buffer.isBuffer(value)) return { buffer: [...value] };
  if (value instanceof ArrayBuffer) return { buffer: [...new Uint8Array(value)] };
  if (Array.isArray(value)) return value.map(describeBinary);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, describeBinary(v)]));
  }
  return value;
}

// Events and acks both ways over one transport setting.
async function basics(transports) {
  const socket = await connected("/", { transports, auth: { token: "main-token" } });
  const out = { id: socket.id, transport: socket.io.engine.transport.name };
  out.auth = (await within(ackAll(socket, "auth"), "auth ack"));
  out.echo = await within(ackAll(socket, "echo", 1, "two", { three: [3] }), "echo ack");
  const back = once(socket, "message-back");
  socket.emit("message", "hello", 42);
  out.messageBack = await within(back, "message-back");
  // An event with no listener of its own, answered by the server's catch-all listener.
  out.anyAck = await within(ackAll(socket, "any-ask", 7), "any-ask ack");
  // The server asks us; we answer its ack, and it reports what it got.
  socket.on("question", (a, b, ack) => ack(`${a}-${b}`, "answer"));
  const answer = once(socket, "answer");
  socket.emit("server-ask");
  out.serverAck = await within(answer, "answer");
  // The server asks with a timeout we let pass.
  socket.on("ignored-question", () => {});
  const timeout = once(socket, "ask-timeout-result");
  socket.emit("server-ask-timeout");
  out.serverAckTimeout = await within(timeout, "ask-timeout-result");
  // An ack we wait for in vain: our own timeout.
  try {
    await socket.timeout(200).emitWithAck("never-acked");
    out.clientAckTimeout = "acked?";
  } catch (error) {
    out.clientAckTimeout = error.message;
  }
  // Binary both ways, nested.
  const nested = { buf: Buffer.from([1, 2, 3]), nested: [Buffer.from([4]), { deep: Buffer.from([5, 6]) }] };
  out.binaryAck = describeBinary(await within(ackAll(socket, "binary", nested), "binary ack"));
  const pushed = once(socket, "binary-push");
  socket.emit("binary-push-me");
  out.binaryPush = describeBinary(await within(pushed, "binary-push"));
  // Order of a burst from the server.
  const burst = [];
  const burstDone = new Promise((resolve) =>
    socket.on("burst", (i) => {
      burst.push(i);
      if (burst.length === 300) resolve();
    }),
  );
  socket.emit("burst-me", 300);
  await within(burstDone, "burst");
  out.burstInOrder = burst.every((value, index) => value === index);
  // Reserved names are refused by the client library itself; an `error`-named event is ordinary.
  out.finalTransport = socket.io.engine.transport.name;
  socket.disconnect();
  return out;
}

async function upgrade() {
  const socket = connect("/", {});
  // The transport the engine opened with (the upgrade may be over by the time `connect` fires).
  let first = null;
  socket.io.once("open", () => (first = socket.io.engine.transport.name));
  await within(once(socket, "connect"), "connect");
  if (socket.io.engine.transport.name !== "websocket") {
    await within(once(socket.io.engine, "upgrade"), "upgrade");
  }
  const echo = await within(ackAll(socket, "echo", "after upgrade"), "echo after upgrade");
  const out = { first, after: socket.io.engine.transport.name, echo };
  socket.disconnect();
  return out;
}

async function customNamespace() {
  const out = {};
  const ok = await connected("/custom", { auth: { token: "secret" } });
  out.auth = await within(ackAll(ok, "auth"), "custom auth");
  out.echo = await within(ackAll(ok, "echo", "custom"), "custom echo");
  ok.disconnect();

  const refused = connect("/custom", { auth: { token: "wrong" }, reconnection: true, reconnectionDelay: 50 });
  const [error] = await within(once(refused, "connect_error"), "connect_error");
  out.rejected = { message: error.message, data: error.data, active: refused.active };
  // A middleware refusal is final: no second attempt comes.
  let attempts = 0;
  refused.io.on("reconnect_attempt", () => attempts++);
  await sleep(300);
  out.rejected.reconnectAttempts = attempts;
  refused.close();

  const unknown = connect("/nowhere");
  const [unknownError] = await within(once(unknown, "connect_error"), "invalid namespace");
  out.invalidNamespace = unknownError.message;
  unknown.close();

  const dynamic = await connected("/dyn-42");
  out.dynamic = await within(ackAll(dynamic, "whoami"), "dynamic");
  dynamic.disconnect();
  return out;
}

async function rooms() {
  const [a, b, c] = await Promise.all([connected("/"), connected("/"), connected("/")]);
  const received = { a: [], b: [], c: [] };
  for (const [name, socket] of Object.entries({ a, b, c })) {
    socket.on("room-news", (text) => received[name].push(text));
  }
  await within(ackAll(a, "join", "red"), "join a");
  await within(ackAll(b, "join", "red"), "join b");
  await within(ackAll(b, "join", "blue"), "join b blue");
  await within(ackAll(c, "join", "blue"), "join c");
  // Each broadcast is followed by a marker everyone gets, so we know when it has been delivered.
  const marker = async (label) => {
    const arrivals = [a, b, c].map((s) => once(s, "marker"));
    await within(ackAll(a, "everyone", label), `marker ${label}`);
    await within(Promise.all(arrivals), `marker arrivals ${label}`);
  };
  await within(ackAll(a, "broadcast", { to: ["red"], text: "red only" }), "bc red");
  await marker("1");
  await within(ackAll(a, "broadcast", { to: ["red", "blue"], text: "union" }), "bc union");
  await marker("2");
  await within(ackAll(a, "broadcast", { to: ["blue"], except: ["red"], text: "blue except red" }), "bc except");
  await marker("3");
  await within(ackAll(b, "broadcast-from-sender", { to: ["red"], text: "from b to red" }), "bc sender");
  await marker("4");
  await within(ackAll(c, "broadcast-from-sender", { text: "from c to all" }), "bc all");
  await marker("5");
  const roomsOfB = await within(ackAll(b, "my-rooms"), "rooms of b");
  await within(ackAll(b, "leave", "red"), "leave");
  await within(ackAll(a, "broadcast", { to: ["red"], text: "red after b left" }), "bc after leave");
  await marker("6");
  const fetched = await within(ackAll(a, "fetch-room", "blue"), "fetch");
  const ids = { bId: b.id, blue: [b.id, c.id].sort() };
  for (const socket of [a, b, c]) socket.disconnect();
  return { received, roomsOfB: roomsOfB[0].sort(), fetched: fetched[0].sort(), ...ids };
}

async function reconnection() {
  const socket = connect("/", { reconnection: true, reconnectionDelay: 100, reconnectionDelayMax: 200 });
  await within(once(socket, "connect"), "connect");
  const firstId = socket.id;
  const received = [];
  const disconnected = once(socket, "disconnect");
  socket.emit("kill-transport");
  const [reason] = await within(disconnected, "disconnect after kill");
  // Emitted while offline: buffered by the client, delivered once on reconnection.
  socket.emit("record", "while offline");
  await within(once(socket, "connect"), "reconnect");
  const records = await within(ackAll(socket, "records"), "records");
  received.push(...records[0]);
  const out = { reason, reconnected: socket.connected, newId: socket.id !== firstId, records: received };

  // A server-side namespace disconnect is final.
  const gone = once(socket, "disconnect");
  socket.emit("disconnect-me");
  const [serverReason] = await within(gone, "server disconnect");
  await sleep(400);
  out.serverDisconnect = { reason: serverReason, active: socket.active, connected: socket.connected };
  socket.close();
  return out;
}

async function volatile() {
  const socket = await connected("/", { transports: ["websocket"] });
  const got = [];
  socket.on("volatile-news", (i) => got.push(i));
  await within(ackAll(socket, "volatile-burst", 50), "volatile burst");
  await sleep(200);
  socket.disconnect();
  // Volatile packets may be dropped, never duplicated or reordered.
  return { count: got.length, inOrder: got.every((v, i) => i === 0 || v > got[i - 1]) };
}

async function limits() {
  const out = {};
  // A packet whose Engine.IO message is exactly at the limit goes through:
  // `4` (message) `2` (event) `0` (the socket's first ack id) `["big","` + data + `"]`.
  const overhead = '420["big",""]'.length;
  const socket = await connected("/", { transports: ["websocket"] });
  const atLimit = "x".repeat(maxHttpBufferSize - overhead);
  const ack = within(ackAll(socket, "big", atLimit), "at limit");
  out.atLimit = (await ack)[0];
  const closed = once(socket, "disconnect");
  socket.emit("big", atLimit + "yy"); // one byte over: this emit carries no ack id
  out.overLimit = (await within(closed, "over limit"))[0];
  socket.close();

  const polling = await connected("/", { transports: ["polling"] });
  const pollingClosed = once(polling, "disconnect");
  polling.emit("big", "x".repeat(maxHttpBufferSize + 10));
  out.overLimitPolling = (await within(pollingClosed, "over limit polling"))[0];
  polling.close();
  return out;
}

// Raw bytes: what a broken or hostile client sends.
function rawRequest(bytes, { half = false } = {}) {
  return new Promise((resolve) => {
    const client = net.connect(port, "127.0.0.1");
    let data = "";
    client.on("data", (chunk) => (data += chunk));
    client.on("close", () => resolve({ statusLine: data.split("\r\n")[0], body: data.split("\r\n\r\n")[1] ?? "" }));
    client.on("error", () => {});
    client.write(bytes);
    if (half) setTimeout(() => client.destroy(), 200);
    else setTimeout(() => client.end(), 1000);
  });
}

async function badInput() {
  const bystander = await connected("/");
  const out = {};
  out.garbage = await rawRequest("\x00\x01 NOT HTTP AT ALL\r\n\r\n");
  out.unknownSid = await rawRequest(
    "GET /socket.io/?EIO=4&transport=polling&sid=nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
  );
  out.halfSent = await rawRequest("GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost:", { half: true });
  // A malformed Socket.IO packet over a real Engine.IO session: the server closes that session.
  const handshake = await fetch(`${base}/socket.io/?EIO=4&transport=polling`).then((r) => r.text());
  const sid = JSON.parse(handshake.slice(1)).sid;
  const post = await fetch(`${base}/socket.io/?EIO=4&transport=polling&sid=${sid}`, { method: "POST", body: "40" });
  const connectAnswer = await fetch(`${base}/socket.io/?EIO=4&transport=polling&sid=${sid}`).then((r) => r.text());
  await fetch(`${base}/socket.io/?EIO=4&transport=polling&sid=${sid}`, { method: "POST", body: '42{"not":"an array"}' });
  const afterMalformed = await fetch(`${base}/socket.io/?EIO=4&transport=polling&sid=${sid}`).then((r) => r.text());
  out.malformed = { postStatus: post.status, connectAnswer: connectAnswer.slice(0, 2), afterMalformed };
  out.bystander = { echo: await within(ackAll(bystander, "echo", "still here"), "bystander"), connected: bystander.connected };
  bystander.disconnect();
  return out;
}

const results = {};
results.polling = await scenario(() => basics(["polling"]));
results.websocket = await scenario(() => basics(["websocket"]));
results.upgrade = await scenario(upgrade);
results.namespaces = await scenario(customNamespace);
results.rooms = await scenario(rooms);
results.reconnection = await scenario(reconnection);
results.volatile = await scenario(volatile);
if (!msgpack) {
  results.limits = await scenario(limits);
  results.badInput = await scenario(badInput);
}
console.log(JSON.stringify(results));
process.exit(0);
