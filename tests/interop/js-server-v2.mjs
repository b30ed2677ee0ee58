// The official socket.io@2 server (Engine.IO 3, Socket.IO protocol v4; the npm alias socket.io-v2)
// for our client's revision 3 scenarios (tests/interop-suite/src/eio3_client.rs, run on every
// runtime). It listens on an ephemeral port and prints `{"port":N}` as its first stdout line; when
// stdin closes, it prints one JSON line of what it observed and exits.
//
// Namespaces:
// - "/" and "/custom": on connection, emit "welcome" with what the handshake carried (query, the
//   socket's id, the engine's id, transport); handlers for the scenarios.
// - "/private": a middleware that refuses every connection with an error carrying `data`.
//
// Usage: node js-server-v2.mjs
import { createServer } from "node:http";
import createIo from "socket.io-v2";

const observed = {
  connections: {}, // namespace -> count
  disconnects: [], // `${nsp}:${reason}` as the server saw them
  counted: {}, // n -> times received
  binary: null, // description of the last "binary" event's arguments
};

setTimeout(() => {
  console.error("js-server-v2.mjs: global timeout");
  process.exit(2);
}, 55000).unref();

function describe(value) {
  if (Buffer.isBuffer(value)) return { buffer: [...value] };
  if (Array.isArray(value)) return value.map(describe);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, describe(v)]));
  }
  return value;
}

function handlers(socket) {
  const nsp = socket.nsp.name;
  observed.connections[nsp] = (observed.connections[nsp] || 0) + 1;
  const { EIO, transport, t, b64, sid, ...query } = socket.handshake.query;
  socket.emit("welcome", {
    nsp,
    query,
    id: socket.id,
    engine: socket.conn.id,
    transport: socket.conn.transport.name,
  });
  socket.on("disconnect", (reason) => observed.disconnects.push(`${nsp}:${reason}`));
  socket.on("echo", (...args) => socket.emit("echo", ...args));
  socket.on("echo-ack", (...args) => {
    const ack = args.pop();
    ack(...args);
  });
  socket.on("transport", (ack) => ack(socket.conn.transport.name));
  socket.on("ask-client", () => {
    socket.emit("question", 1, "two", { three: 3 }, (...answers) => socket.emit("answer", { answers }));
  });
  socket.on("binary", (...args) => {
    const ack = args.pop();
    observed.binary = describe(args);
    ack(Buffer.from([1, 2, 3]), [Buffer.from([4]), Buffer.from([5, 6])], { deep: Buffer.from([255, 0]) });
    socket.emit("binary-back", { label: "nested", data: [Buffer.from([7, 8, 9])] });
  });
  socket.on("kill-transport", () => socket.conn.close());
  socket.on("counted", (n) => (observed.counted[n] = (observed.counted[n] || 0) + 1));
  socket.on("disconnect-me", () => socket.disconnect());
  socket.on("join", (room, ack) => {
    socket.join(room);
    ack();
  });
  socket.on("broadcast-from-sender", ({ to, text }, ack) => {
    socket.to(to).emit("room-news", text);
    ack();
  });
}

const httpServer = createServer();
const io = createIo(httpServer, { pingInterval: 2000, pingTimeout: 5000 });
io.on("connection", handlers);
io.of("/custom").on("connection", handlers);
io.of("/private").use((socket, next) => {
  const error = new Error("not authorized");
  error.data = { reason: "bad token", token: socket.handshake.query.token ?? null };
  next(error);
});
io.of("/private").on("connection", handlers);

httpServer.listen(0, "127.0.0.1", () => {
  console.log(JSON.stringify({ port: httpServer.address().port }));
});

process.stdin.resume();
process.stdin.on("end", () => {
  console.log(JSON.stringify(observed));
  io.close();
  process.exit(0);
});
