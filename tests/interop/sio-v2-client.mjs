// Drives our Socket.IO server with socket.io-client@2 (Engine.IO 3, Socket.IO protocol v4; the npm
// alias socket.io-client-v2), beside socket.io-client@4 in the same rooms, and prints one JSON
// object of observations on stdout. The Rust scenarios (tests/interop-suite/src/eio3.rs, run on
// every runtime) start the servers and assert on them; this script only observes.
//
// Usage: node sio-v2-client.mjs <port allowing EIO3> <port refusing EIO3>
import ioV2 from "socket.io-client-v2";
import { io as ioV4 } from "socket.io-client";

const port = Number(process.argv[2]);
const refusingPort = Number(process.argv[3]);
const base = `http://127.0.0.1:${port}`;
const STEP_TIMEOUT_MS = 5000;

setTimeout(() => {
  console.error("sio-v2-client.mjs: global timeout");
  process.exit(2);
}, 50000).unref();

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function within(promise, what) {
  return Promise.race([
    promise,
    new Promise((_, reject) => setTimeout(() => reject(new Error(`timeout: ${what}`)), STEP_TIMEOUT_MS)),
  ]);
}

async function scenario(fn) {
  try {
    return await fn();
  } catch (error) {
    return { error: String(error && error.stack ? error.stack : error) };
  }
}

const ackAll = (socket, event, ...args) => new Promise((resolve) => socket.emit(event, ...args, (...answer) => resolve(answer)));
const once = (socket, event) => new Promise((resolve) => socket.once(event, (...args) => resolve(args)));

function connectV2(namespace = "/", opts = {}, origin = base) {
  return ioV2(`${origin}${namespace}`, { forceNew: true, reconnection: false, ...opts });
}

async function connectedV2(namespace, opts) {
  const socket = connectV2(namespace, opts);
  await within(once(socket, "connect"), `connect ${namespace}`);
  return socket;
}

async function connectedV4(namespace = "/", opts = {}) {
  const socket = ioV4(`${base}${namespace}`, { forceNew: true, reconnection: false, ...opts });
  await within(once(socket, "connect"), `connect v4 ${namespace}`);
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

// Events with several arguments, acks both ways and binary over one transport setting.
async function basics(transports) {
  const socket = await connectedV2("/", { transports, query: { token: "main-token" } });
  const out = { id: socket.id, engineId: socket.io.engine.id, transport: socket.io.engine.transport.name };
  out.serverId = (await within(ackAll(socket, "whoami"), "whoami"))[0];
  out.auth = await within(ackAll(socket, "auth"), "auth ack");
  out.echo = await within(ackAll(socket, "echo", 1, "two", { three: [3] }), "echo ack");
  const back = once(socket, "message-back");
  socket.emit("message", "hello", 42);
  out.messageBack = await within(back, "message-back");
  socket.on("question", (a, b, ack) => ack(`${a}-${b}`, "answer"));
  const answer = once(socket, "answer");
  socket.emit("server-ask");
  out.serverAck = await within(answer, "answer");
  const nested = { buf: Buffer.from([1, 2, 3]), nested: [Buffer.from([4]), { deep: Buffer.from([5, 6]) }] };
  out.binaryAck = describeBinary(await within(ackAll(socket, "binary", nested), "binary ack"));
  const pushed = once(socket, "binary-push");
  socket.emit("binary-push-me");
  out.binaryPush = describeBinary(await within(pushed, "binary-push"));
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
  out.finalTransport = socket.io.engine.transport.name;
  // The client's own disconnect, as the server saw it (asked over a second connection).
  const id = socket.id;
  socket.disconnect();
  const observer = await connectedV2("/", { transports });
  await sleep(100);
  out.clientDisconnect = (await within(ackAll(observer, "disconnect-reason", id), "disconnect reason"))[0];
  observer.disconnect();
  return out;
}

async function upgrade() {
  const socket = connectV2("/", {});
  let first = null;
  socket.io.once("open", () => (first = socket.io.engine.transport.name));
  await within(once(socket, "connect"), "connect");
  if (socket.io.engine.transport.name !== "websocket") {
    await within(once(socket.io.engine, "upgrade"), "upgrade");
  }
  const echo = await within(ackAll(socket, "echo", "after upgrade", 7), "echo after upgrade");
  const out = { first, after: socket.io.engine.transport.name, echo: describeBinary(echo) };
  socket.disconnect();
  return out;
}

async function namespaces() {
  const out = {};
  // Protocol v4: the namespace's auth is its query.
  const ok = await connectedV2("/custom", { query: { token: "secret" } });
  out.id = ok.id;
  out.engineId = ok.io.engine.id;
  out.auth = await within(ackAll(ok, "auth"), "custom auth");
  out.echo = await within(ackAll(ok, "echo", "custom", 2), "custom echo");
  ok.disconnect();

  // A middleware refusal: the v2 client hears `error` with the data (or the message).
  const refused = connectV2("/custom", { query: { token: "wrong" } });
  out.rejected = (await within(once(refused, "error"), "refusal"))[0];
  refused.close();

  const unknown = connectV2("/nowhere");
  out.invalidNamespace = (await within(once(unknown, "error"), "invalid namespace"))[0];
  unknown.close();

  const dynamic = await connectedV2("/dyn-42");
  out.dynamic = await within(ackAll(dynamic, "whoami"), "dynamic");
  dynamic.disconnect();
  return out;
}

// v2 and v4 clients in the same rooms: a and c speak v2 (c over polling), b speaks v4.
async function mixedRooms() {
  const a = await connectedV2("/", { transports: ["websocket"] });
  const b = await connectedV4("/");
  const c = await connectedV2("/", { transports: ["polling"] });
  const sockets = { a, b, c };
  const received = { a: [], b: [], c: [] };
  for (const [name, socket] of Object.entries(sockets)) {
    socket.on("room-news", (text) => received[name].push(text));
    socket.on("binary-news", (text, data) => received[name].push(`${text}:${[...data].join(",")}`));
  }
  await within(ackAll(a, "join", "red"), "join a");
  await within(ackAll(b, "join", "red"), "join b");
  await within(ackAll(b, "join", "blue"), "join b blue");
  await within(ackAll(c, "join", "blue"), "join c");
  const marker = async (label) => {
    const arrivals = Object.values(sockets).map((s) => once(s, "marker"));
    await within(ackAll(a, "everyone", label), `marker ${label}`);
    await within(Promise.all(arrivals), `marker arrivals ${label}`);
  };
  await within(ackAll(b, "broadcast", { to: ["red"], text: "red only" }), "bc red");
  await marker("1");
  await within(ackAll(a, "broadcast", { to: ["red", "blue"], text: "union" }), "bc union");
  await marker("2");
  await within(ackAll(c, "broadcast", { to: ["blue"], except: ["red"], text: "blue except red" }), "bc except");
  await marker("3");
  await within(ackAll(a, "broadcast-from-sender", { text: "from a to all" }), "bc sender");
  await marker("4");
  await within(ackAll(b, "broadcast-binary", "blue"), "bc binary");
  await marker("5");
  const fetched = await within(ackAll(a, "fetch-room", "blue"), "fetch");
  const out = { received, fetched: fetched[0].sort(), blue: [b.id, c.id].sort() };
  for (const socket of Object.values(sockets)) socket.disconnect();
  return out;
}

async function disconnects() {
  const out = {};
  // The server disconnects the namespace: final.
  const socket = connectV2("/", { reconnection: true, reconnectionDelay: 100, reconnectionDelayMax: 200 });
  await within(once(socket, "connect"), "connect");
  const gone = once(socket, "disconnect");
  socket.emit("disconnect-me");
  out.serverDisconnect = (await within(gone, "server disconnect"))[0];
  await sleep(400);
  out.reconnectedAfterServerDisconnect = socket.connected;
  socket.close();

  // The server kills the transport: the client reconnects, with a new id, and what it emitted
  // meanwhile arrives once.
  const again = connectV2("/", { reconnection: true, reconnectionDelay: 100, reconnectionDelayMax: 200 });
  await within(once(again, "connect"), "connect");
  const firstId = again.id;
  const lost = once(again, "disconnect");
  again.emit("kill-transport");
  out.killedReason = (await within(lost, "disconnect after kill"))[0];
  again.emit("record", "v2 while offline");
  await within(once(again, "connect"), "reconnect");
  out.newId = again.id !== firstId;
  out.records = (await within(ackAll(again, "records"), "records"))[0];
  again.close();
  return out;
}

async function refused() {
  const out = {};
  const response = await fetch(`http://127.0.0.1:${refusingPort}/socket.io/?EIO=3&transport=polling`);
  out.status = response.status;
  out.body = await response.json();
  const client = connectV2("/", { transports: ["polling"] }, `http://127.0.0.1:${refusingPort}`);
  const [error] = await within(once(client, "connect_error"), "connect_error");
  out.clientError = String(error && error.message ? error.message : error);
  client.close();
  // The same server takes v4 clients.
  const v4 = ioV4(`http://127.0.0.1:${refusingPort}/`, { forceNew: true, reconnection: false });
  await within(once(v4, "connect"), "v4 connect");
  out.v4Connected = v4.connected;
  v4.disconnect();
  return out;
}

const results = {};
results.polling = await scenario(() => basics(["polling"]));
results.websocket = await scenario(() => basics(["websocket"]));
results.upgrade = await scenario(upgrade);
results.namespaces = await scenario(namespaces);
results.rooms = await scenario(mixedRooms);
results.disconnects = await scenario(disconnects);
results.refused = await scenario(refused);
console.log(JSON.stringify(results));
process.exit(0);
