// The official socket.io@4 server for the Rust client's interop scenarios
// (tests/interop-suite/src/client.rs, run on every runtime). It listens on an ephemeral port and
// prints `{"port":N}` as its first stdout line; the Rust client then drives the scenarios, and most
// answers come back to it as events and acks. When stdin closes, the script prints one JSON line of
// what it observed on its side and exits.
//
// Namespaces:
// - "/" and "/custom": on connection, emit "welcome" with what the handshake carried (auth, query,
//   header, transport, engine id); handlers for the scenarios below.
// - "/private": a middleware that rejects every connection with an error carrying `data`.
//
// Usage: node js-server.mjs [--tls <cert.pem> <key.pem>] [--msgpack]
//   --tls: HTTPS instead of HTTP; --msgpack: the server's parser is socket.io-msgpack-parser
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { createServer as createTlsServer } from "node:https";
import { Server } from "socket.io";
import msgpackParser from "socket.io-msgpack-parser";

const observed = {
  connections: {}, // namespace -> count
  rejected: 0,
  disconnects: [], // reasons the server saw
  counted: {}, // run -> { n: times received }
  volatile: {}, // run -> [values received]
  binary: null, // description of the last "binary" event's arguments
  tcpConnections: 0,
  httpRequests: 0, // long-polling requests and WebSocket handshakes
};

// Nothing may hang: the whole run has a hard deadline.
setTimeout(() => {
  console.error("js-server.mjs: global timeout");
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
  socket.emit("welcome", {
    nsp,
    auth: socket.handshake.auth,
    query: socket.handshake.query.k ?? null,
    header: socket.handshake.headers["x-h"] ?? null,
    transport: socket.conn.transport.name,
    engine: socket.conn.id,
  });
  socket.on("disconnect", (reason) => observed.disconnects.push(`${nsp}:${reason}`));

  // Events and acks, client -> server -> client.
  socket.on("echo", (...args) => socket.emit("echo", ...args));
  socket.on("echo-ack", (...args) => {
    const ack = args.pop();
    ack(...args);
  });
  socket.on("transport", (ack) => ack(socket.conn.transport.name));
  socket.on("no-reply", () => {});

  // Server -> client with an ack, answered by the client's handler; the answer comes back as an event.
  socket.on("ask-client", () => {
    socket.timeout(5000).emit("question", 1, "two", { three: 3 }, (err, ...answers) => {
      socket.emit("answer", { error: err ? String(err) : null, answers });
    });
  });

  // Binary, nested, both ways: describe what came, answer with nested buffers.
  socket.on("binary", (...args) => {
    const ack = args.pop();
    observed.binary = describe(args);
    ack(Buffer.from([1, 2, 3]), [Buffer.from([4]), Buffer.from([5, 6])], { deep: Buffer.from([255, 0]) });
    socket.emit("binary-back", { label: "nested", data: [Buffer.from([7, 8, 9])] });
  });

  // Reconnection: kill the transport (not the namespace), count events, collect volatile ones.
  socket.on("kill-transport", () => socket.conn.close());
  socket.on("counted", (run, n) => {
    const counts = (observed.counted[run] ??= {});
    counts[n] = (counts[n] || 0) + 1;
  });
  socket.on("volatile", (run, value) => (observed.volatile[run] ??= []).push(value));
  socket.on("observed", (run, ack) =>
    ack({ counted: observed.counted[run] ?? {}, volatile: observed.volatile[run] ?? [] }),
  );

  // Server-side namespace disconnect: no reconnection must follow.
  socket.on("disconnect-me", () => socket.disconnect());

  // Rooms and broadcasts across clients; `everyone` is the marker that ends each step.
  socket.on("join", (room, ack) => {
    socket.join(room);
    ack();
  });
  socket.on("broadcast", ({ to = [], except = [], text }, ack) => {
    let target = socket.nsp;
    if (to.length) target = target.to(to);
    if (except.length) target = target.except(except);
    target.emit("room-news", text);
    ack();
  });
  socket.on("broadcast-from-sender", ({ to = [], text }, ack) => {
    (to.length ? socket.to(to) : socket.broadcast).emit("room-news", text);
    ack();
  });
  socket.on("everyone", (label, ack) => {
    socket.nsp.emit("marker", label);
    ack();
  });

  // The payload limit: the length of what arrived.
  socket.on("big", (data, ack) => ack(data.length));
  socket.on("connections", (ack) => ack(observed.connections));
}

const tls = process.argv.indexOf("--tls");
const httpServer =
  tls === -1
    ? createServer()
    : createTlsServer({ cert: readFileSync(process.argv[tls + 1]), key: readFileSync(process.argv[tls + 2]) });
// The payload limit (maxHttpBufferSize) the client's limit scenario works against.
const MAX_HTTP_BUFFER_SIZE = 20000;
const parser = process.argv.includes("--msgpack") ? { parser: msgpackParser } : {};
const io = new Server(httpServer, { pingInterval: 2000, pingTimeout: 5000, maxHttpBufferSize: MAX_HTTP_BUFFER_SIZE, ...parser });
httpServer.on(tls === -1 ? "connection" : "secureConnection", () => observed.tcpConnections++);
httpServer.on("request", () => observed.httpRequests++);
httpServer.on("upgrade", () => observed.httpRequests++);
io.on("connection", handlers);
io.of("/custom").on("connection", handlers);
io.of("/private").use((socket, next) => {
  observed.rejected++;
  const error = new Error("not authorized");
  error.data = { reason: "bad token", auth: socket.handshake.auth };
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
