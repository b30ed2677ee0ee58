// The bench contract on the official socket.io server (default options).
// Port from PORT; event `echo` acks its arguments; event `broadcast` re-emits its arguments as
// `bcast` to every socket of `/`.
const { Server } = require("socket.io");

const port = Number(process.env.PORT || 3000);
const io = new Server({ transports: ["polling", "websocket"] });
io.on("connection", (socket) => {
  socket.on("echo", (...args) => {
    const ack = typeof args[args.length - 1] === "function" ? args.pop() : null;
    if (ack) ack(...args);
  });
  socket.on("broadcast", (...args) => {
    io.emit("bcast", ...args);
  });
});
io.listen(port);
console.error(`node socket.io listening on ${port}`);
