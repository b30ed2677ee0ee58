// Prints, as JSON, packets encoded by the official socket.io-msgpack-parser (pinned in package.json):
// the reference vectors of socketio-proto's MessagePack parser (msgpack-vectors.json is this output;
// socketio-proto/tests/msgpack_interop.rs checks both that the file matches and what the bytes decode to).
import parser from "socket.io-msgpack-parser";

const encoder = new parser.Encoder();

// Each packet's keys are in the order our encoder writes them: {type, data, nsp, id}.
const packets = {
  event_main: { type: 2, data: ["hello", 1, "two", { a: true }], nsp: "/" },
  event_binary_ack: {
    type: 2,
    data: ["up", Buffer.from([1, 2, 3]), { nested: [Buffer.from([4])] }],
    nsp: "/chat",
    id: 7,
  },
  ack_numbers: { type: 3, data: [null, 1.5, -3, 300, 70000, "é"], nsp: "/", id: 42 },
  connect_auth: { type: 0, data: { token: "abc" }, nsp: "/admin" },
  connect_empty: { type: 0, nsp: "/" },
  disconnect: { type: 1, nsp: "/chat" },
  connect_error: {
    type: 4,
    data: { message: "not authorized", data: { code: 401 } },
    nsp: "/",
  },
  event_many_args: {
    type: 2,
    data: ["many", ...Array.from({ length: 20 }, (_, i) => i * 1000)],
    nsp: "/",
  },
  // Not written by our encoder, only read: notepack's undefined and ext-0 binaries.
  event_undefined: { type: 2, data: ["ev", undefined, 1], nsp: "/", id: undefined },
  event_typed_array: { type: 2, data: ["bin", new Uint8Array([9, 8, 7])], nsp: "/" },
  connect_undefined_data: { type: 0, data: undefined, nsp: "/" },
};

const vectors = {};
for (const [name, packet] of Object.entries(packets)) {
  const [bytes] = encoder.encode(packet);
  vectors[name] = Buffer.from(bytes).toString("hex");
}
process.stdout.write(JSON.stringify(vectors, null, 2) + "\n");
