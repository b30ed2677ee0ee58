// Turns bench/run's raw results (one JSON line per scenario run) and criterion's estimates into the
// markdown tables of RESULTS.md. Usage (bench/run calls it):
//   node report.js results.jsonl criterion_dir echoClients echoRate echoS echoBytes bcastClients
//                  bcastMessages bcastBytes idleN idleHold connectN repeat maxS
"use strict";
const fs = require("fs");
const path = require("path");

const [resultsFile, criterionDir, echoClients, echoRate, echoS, echoBytes, bcastClients, bcastM,
  bcastBytes, idleN, idleHold, connectN, repeat, maxS] = process.argv.slice(2);

const rows = fs.readFileSync(resultsFile, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
const SERVERS = ["ours-previous", "ours-tokio", "ours-smol", "socketioxide", "node", "floor"];
const OURS = ["ours-tokio", "ours-smol"];

function median(xs) {
  const v = xs.filter((x) => typeof x === "number" && isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return null;
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}
function max(xs) {
  const v = xs.filter((x) => typeof x === "number");
  return v.length ? Math.max(...v) : null;
}

// One record per (server, label): numeric fields as medians over runs, counts of bad events as the
// worst run.
const WORST = new Set(["lost", "out_of_order", "duplicates", "disconnects", "failed", "server_died"]);
function get(server, label) {
  const runs = rows.filter((r) => r.server === server && r.label === label);
  if (!runs.length) return null;
  const out = { runs: runs.length };
  for (const k of new Set(runs.flatMap((r) => Object.keys(r)))) {
    const vals = runs.map((r) => r[k]);
    if (vals.some((v) => typeof v === "number")) out[k] = WORST.has(k) ? max(vals) : median(vals);
    else out[k] = vals.find((v) => v !== null && v !== undefined) ?? null;
  }
  return out;
}

function fmt(v, digits) {
  if (v === null || v === undefined) return "—";
  if (typeof v !== "number") return String(v);
  if (digits !== undefined) return v.toFixed(digits);
  const a = Math.abs(v);
  if (a >= 1e6) return (v / 1e6).toFixed(2) + "M";
  if (a >= 1e4) return (v / 1e3).toFixed(1) + "k";
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  return v.toFixed(2);
}
function ratio(a, b) {
  return typeof a === "number" && typeof b === "number" && b !== 0 ? a / b : null;
}
function rfmt(r) {
  return r === null ? "—" : r.toFixed(2) + "×";
}

const out = [];
function table(title, note, label, cols, servers = SERVERS) {
  const present = servers.filter((s) => get(s, label));
  if (!present.length) return;
  out.push(`### ${title}`, "", note, "");
  out.push("| server | " + cols.map((c) => c[0]).join(" | ") + " |");
  out.push("|---|" + cols.map(() => "---:").join("|") + "|");
  const sx = get("socketioxide", label);
  const fl = get("floor", label);
  for (const s of present) {
    const r = get(s, label);
    const cells = cols.map(([, f, digits, compare]) => {
      const v = f(r);
      let cell = fmt(v, digits);
      if (compare && s !== "socketioxide" && s !== "floor") {
        const parts = [];
        if (sx) parts.push(rfmt(ratio(v, f(sx))) + " sx");
        if (fl) parts.push(rfmt(ratio(v, f(fl))) + " floor");
        if (parts.length) cell += " (" + parts.join(", ") + ")";
      } else if (compare && s === "socketioxide" && fl) {
        cell += " (" + rfmt(ratio(v, f(fl))) + " floor)";
      }
      return cell;
    });
    out.push(`| ${s}${r.server_died ? " (died)" : ""} | ${cells.join(" | ")} |`);
  }
  out.push("");
}

const cores = (cpu, wall) => (typeof cpu === "number" && wall ? cpu / wall : null);

out.push("## Load scenarios", "");
{
  // machine CPU not spent by the server under test: loadgen + everyone else (other engineers' builds)
  let busy = 0, server = 0, wall = 0;
  for (const r of rows) {
    if (typeof r.machine_busy_cpu_s !== "number") continue;
    busy += r.machine_busy_cpu_s; server += r.server_life_cpu_s || 0; wall += r.window_s || 0;
  }
  if (wall > 0) {
    out.push(`Machine load during the scenarios: ${(busy / wall).toFixed(2)} of ${require("os").cpus().length} ` +
      `cores busy on average, of which the server under test ${(server / wall).toFixed(2)}; the rest is the ` +
      "load generator and any other process on the machine.", "");
  }
}
out.push("Ratios in parentheses: against socketioxide (sx) and against the raw floor, same run. " +
  `Echo and broadcast are the median of ${repeat} runs (loss counts: the worst run). ` +
  "Server CPU is utime+stime of the server process over the measured phase; RSS is VmRSS.", "");

table("Load generator vs the floor (is the load generator the bottleneck?)",
  `Closed-loop echo, ${echoClients} clients × 16 in flight, ${maxS} s; then the broadcast burst below. ` +
  "`cores` = CPU-seconds per wall second. If the floor server keeps up while the loadgen has headroom, " +
  "the figures of slower servers are theirs, not the loadgen's.", "saturate", [
    ["acks/s", (r) => r.acks_per_s],
    ["server cores", (r) => cores(r.server_cpu_s, r.wall_s), 2],
    ["loadgen cores", (r) => cores(r.loadgen_cpu_s, r.wall_s), 2],
    ["acks / server CPU-s", (r) => r.acks_per_server_cpu_s],
    ["acks / loadgen CPU-s", (r) => r.acks_per_loadgen_cpu_s],
  ], ["floor"]);
table("Load generator vs the floor: broadcast burst", "", "saturate_bcast", [
  ["deliveries/s", (r) => r.deliveries_per_s],
  ["server CPU s", (r) => r.server_cpu_s, 2],
  ["loadgen CPU s", (r) => r.loadgen_cpu_s, 2],
  ["time to last s", (r) => r.time_to_last_s, 3],
], ["floor"]);

table("Echo (acked events, open loop)",
  `${echoClients} clients, ${echoRate} events/s in total, ${echoS} s, ${echoBytes}-byte string argument; ` +
  "every event carries an ack id, the server acks with its arguments.", "echo", [
    ["acks/s", (r) => r.acks_per_s],
    ["acks / server CPU-s", (r) => r.acks_per_server_cpu_s, undefined, true],
    ["p50 ms", (r) => r.p50_ms, 3],
    ["p90 ms", (r) => r.p90_ms, 3],
    ["p99 ms", (r) => r.p99_ms, 3, true],
    ["max ms", (r) => r.max_ms, 2],
    ["lost", (r) => r.lost, 0],
    ["disconnects", (r) => r.disconnects, 0],
  ]);
table("Echo with the msgpack parser",
  "The echo above with `socket.io-msgpack-parser` packets on both sides (`PARSER=msgpack` servers, " +
  "`loadgen --parser msgpack`); socketioxide with its msgpack parser.", "echo_msgpack", [
    ["acks/s", (r) => r.acks_per_s],
    ["acks / server CPU-s", (r) => r.acks_per_server_cpu_s, undefined, true],
    ["p50 ms", (r) => r.p50_ms, 3],
    ["p99 ms", (r) => r.p99_ms, 3, true],
    ["lost", (r) => r.lost, 0],
    ["disconnects", (r) => r.disconnects, 0],
  ]);
table("Echo, closed loop (throughput)",
  `${echoClients} clients, 1 event in flight each, ${maxS} s.`, "echo_max", [
    ["acks/s", (r) => r.acks_per_s, undefined, true],
    ["acks / server CPU-s", (r) => r.acks_per_server_cpu_s, undefined, true],
    ["server cores", (r) => cores(r.server_cpu_s, r.wall_s), 2],
    ["p99 ms", (r) => r.p99_ms, 3],
  ]);
table("Broadcast burst",
  `${bcastClients} receivers + 1 sender on \`/\`; the sender emits ${bcastM} \`broadcast\` events ` +
  `(${bcastBytes}-byte argument) back to back, the server re-emits each as \`bcast\` to every socket. ` +
  "Out of order: a receiver saw a sequence number other than the next one.", "broadcast", [
    ["deliveries/s", (r) => r.deliveries_per_s, undefined, true],
    ["time to last s", (r) => r.time_to_last_s, 3],
    ["deliveries / server CPU-s", (r) => r.deliveries_per_server_cpu_s, undefined, true],
    ["lost", (r) => r.lost, 0],
    ["out of order", (r) => r.out_of_order, 0],
    ["disconnects", (r) => r.disconnects, 0],
    ["peak RSS MiB", (r) => (r.peak_rss_kib ? r.peak_rss_kib / 1024 : null), 1],
  ]);
table("Idle connections",
  `${idleN} WebSocket clients on \`/\` (source addresses 127.0.0.2-17), held ${idleHold} s with heartbeats ` +
  "answered. RSS per connection = (RSS at the end of the hold − RSS before connecting) / connections.", "idle", [
    ["connected", (r) => r.connected, 0],
    ["alive at end", (r) => r.alive_at_end, 0],
    ["pings answered", (r) => r.pings_answered, 0],
    ["RSS held MiB", (r) => (r.rss_held_kib ? r.rss_held_kib / 1024 : null), 1],
    ["KiB / connection", (r) => (r.rss_per_conn_bytes ? r.rss_per_conn_bytes / 1024 : null), 1, true],
    ["connects/s (ramp)", (r) => r.connects_per_s],
  ]);
table("Connects per second",
  `${connectN} handshakes (WebSocket upgrade, Engine.IO OPEN, Socket.IO CONNECT to \`/\`, then DISCONNECT ` +
  "and close), 50 at a time.", "connect", [
    ["connects/s", (r) => r.connects_per_s, undefined, true],
    ["connects / server CPU-s", (r) => r.connects_per_server_cpu_s, undefined, true],
    ["p50 ms", (r) => r.p50_ms, 2],
    ["p99 ms", (r) => r.p99_ms, 2],
    ["failed", (r) => r.failed, 0],
  ]);

// ---- codec
function readCriterion(dir) {
  const found = [];
  function walk(d) {
    let entries;
    try { entries = fs.readdirSync(d, { withFileTypes: true }); } catch { return; }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        if (e.name === "new") {
          try {
            const b = JSON.parse(fs.readFileSync(path.join(p, "benchmark.json"), "utf8"));
            const est = JSON.parse(fs.readFileSync(path.join(p, "estimates.json"), "utf8"));
            found.push({ group: b.group_id, func: b.function_id, input: b.value_str, ns: est.median.point_estimate });
          } catch { /* not a benchmark dir */ }
        } else walk(p);
      }
    }
  }
  walk(dir);
  return found;
}
const codec = readCriterion(criterionDir);
const codecTargets = {};
if (codec.length) {
  out.push("## Codec micro-benchmarks", "");
  out.push("Median time per decode (criterion), same input bytes for every implementation. Routing: packet " +
    "type, namespace, ack id and event name. Typed: routing plus the arguments into Rust structs " +
    "(`Payload::event_args` / socketioxide's `Parse::decode_value`); serde_json: `serde_json::from_str` of " +
    "the same JSON array, the floor. Engine.IO: one WebSocket text frame, and a long-polling body of 64 " +
    "packets (pings, 200-byte texts, 256-byte base64 binaries).", "");
  out.push("| group | input | ours | socketioxide | serde_json | socketioxide / ours | ours / serde_json |");
  out.push("|---|---|---:|---:|---:|---:|---:|");
  const keys = [];
  for (const c of codec) {
    // bench_function("ours/64_mixed") has no separate input: split it
    let func = c.func, input = c.input;
    if (!input && func.includes("/")) [func, input] = func.split("/");
    c.f = func; c.i = input;
    const k = c.group + "|" + input;
    if (!keys.includes(k)) keys.push(k);
  }
  const order = ["engineio_frame", "engineio_payload", "socketio_route", "socketio_typed"];
  const inputs = ["small", "1KB", "64KB", "binary_16KB", "64_mixed"];
  keys.sort((a, b) => {
    const [ga, ia] = a.split("|"), [gb, ib] = b.split("|");
    return order.indexOf(ga) - order.indexOf(gb) || inputs.indexOf(ia) - inputs.indexOf(ib);
  });
  const ns = (v) => (v === undefined ? "—" : v >= 1000 ? (v / 1000).toFixed(2) + " µs" : v.toFixed(0) + " ns");
  for (const k of keys) {
    const [group, input] = k.split("|");
    const by = {};
    for (const c of codec) if (c.group === group && c.i === input) by[c.f] = c.ns;
    out.push(`| ${group} | ${input} | ${ns(by.ours)} | ${ns(by.socketioxide)} | ${ns(by.serde_json)} | ` +
      `${rfmt(ratio(by.socketioxide, by.ours))} | ${rfmt(ratio(by.ours, by.serde_json))} |`);
    codecTargets[k] = by;
  }
  out.push("");
}

// ---- targets
out.push("## Targets (issue 7)", "");
out.push("| target | " + OURS.map((s) => s).join(" | ") + " |");
out.push("|---|" + OURS.map(() => "---").join("|") + "|");
function verdict(ok, text) {
  if (ok === null) return "— " + text;
  return (ok ? "**met** " : "**missed** ") + text;
}
const tgt = [];
tgt.push(["echo: acks per server CPU-s ≥ 1.5× socketioxide", (s) => {
  const r = ratio(get(s, "echo")?.acks_per_server_cpu_s, get("socketioxide", "echo")?.acks_per_server_cpu_s);
  return verdict(r === null ? null : r >= 1.5, rfmt(r));
}]);
tgt.push(["echo: acks per server CPU-s ≥ 75% of the floor", (s) => {
  const r = ratio(get(s, "echo")?.acks_per_server_cpu_s, get("floor", "echo")?.acks_per_server_cpu_s);
  return verdict(r === null ? null : r >= 0.75, r === null ? "" : (r * 100).toFixed(0) + "%");
}]);
tgt.push(["echo: p99 round trip ≤ socketioxide's", (s) => {
  const a = get(s, "echo")?.p99_ms, b = get("socketioxide", "echo")?.p99_ms;
  return verdict(a == null || b == null ? null : a <= b, `${fmt(a, 3)} ms vs ${fmt(b, 3)} ms`);
}]);
tgt.push(["broadcast: deliveries/s ≥ 1.5× socketioxide", (s) => {
  const r = ratio(get(s, "broadcast")?.deliveries_per_s, get("socketioxide", "broadcast")?.deliveries_per_s);
  return verdict(r === null ? null : r >= 1.5, rfmt(r));
}]);
tgt.push(["broadcast: deliveries/s ≥ 60% of the floor", (s) => {
  const r = ratio(get(s, "broadcast")?.deliveries_per_s, get("floor", "broadcast")?.deliveries_per_s);
  return verdict(r === null ? null : r >= 0.6, r === null ? "" : (r * 100).toFixed(0) + "%");
}]);
tgt.push(["broadcast: zero losses, zero out of order", (s) => {
  const r = get(s, "broadcast");
  if (!r) return verdict(null, "");
  return verdict(r.lost === 0 && r.out_of_order === 0, `lost ${r.lost}, out of order ${r.out_of_order}, disconnects ${r.disconnects}`);
}]);
tgt.push(["idle: RSS per connection ≤ 12 KiB", (s) => {
  const v = get(s, "idle")?.rss_per_conn_bytes;
  return verdict(v == null ? null : v / 1024 <= 12, v == null ? "" : (v / 1024).toFixed(1) + " KiB");
}]);
tgt.push(["idle: under Node's, under half of socketioxide's", (s) => {
  const v = get(s, "idle")?.rss_per_conn_bytes, n = get("node", "idle")?.rss_per_conn_bytes,
    x = get("socketioxide", "idle")?.rss_per_conn_bytes;
  if (v == null || n == null || x == null) return verdict(null, "");
  return verdict(v < n && v < x / 2, `${(v / 1024).toFixed(1)} vs node ${(n / 1024).toFixed(1)}, sx ${(x / 1024).toFixed(1)} KiB`);
}]);
tgt.push([`idle: ${idleN} connections held with heartbeats`, (s) => {
  const r = get(s, "idle");
  if (!r) return verdict(null, "");
  return verdict(r.alive_at_end >= Number(idleN) && r.pings_answered >= Number(idleN),
    `${r.alive_at_end} alive, ${r.pings_answered} pings answered`);
}]);
tgt.push(["connects per second ≥ 1.3× socketioxide", (s) => {
  const r = ratio(get(s, "connect")?.connects_per_s, get("socketioxide", "connect")?.connects_per_s);
  return verdict(r === null ? null : r >= 1.3, rfmt(r));
}]);
for (const [name, f] of tgt) out.push(`| ${name} | ${OURS.map((s) => (get(s, "echo") || get(s, "idle") || get(s, "broadcast") || get(s, "connect") ? f(s) : "—")).join(" | ")} |`);
const small = codecTargets["socketio_route|small"], typed = codecTargets["socketio_typed|small"];
if (small) {
  const r = ratio(small.socketioxide, small.ours);
  out.push(`| codec: routing decode of a small event ≥ 3× socketioxide | ${verdict(r >= 3, rfmt(r))} (shared) | |`);
}
for (const input of ["small", "1KB", "64KB"]) {
  const t = codecTargets["socketio_typed|" + input];
  if (t) {
    const r = ratio(t.ours, t.serde_json);
    out.push(`| codec: typed decode (${input}) within 1.2× of bare serde_json | ${verdict(r <= 1.2, rfmt(r))} (shared) | |`);
  }
}
out.push("");
console.log(out.join("\n"));
