//! Load generator for the bench contract: speaks Engine.IO v4 / Socket.IO v5 over WebSocket itself
//! (frames by tungstenite, the Engine.IO / Socket.IO wire by string slicing here) and prints one JSON
//! line per scenario.
//!
//! ```text
//! loadgen idle      --clients N [--hold S] [--ready-file F]
//! loadgen connect   --clients N [--concurrency C]
//! loadgen echo      --clients N --rate R --duration S --bytes B   (rate 0: closed loop, --window W)
//!                   [--parser msgpack]   (socket.io-msgpack-parser packets; JSON by default)
//! loadgen broadcast --clients N --messages M --bytes B
//! common: --port P (or $PORT) --pid SERVER_PID --threads T --src-ips K --connect-concurrency C
//! ```
//!
//! Every loop is bounded in count and time; every address is on 127.0.0.0/8.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{WebSocketStream, client_async_with_config};

type Ws = WebSocketStream<TcpStream>;
type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Hard bounds, whatever the flags say.
const MAX_CLIENTS: usize = 60_000;
const MAX_DURATION: f64 = 300.0;
const MAX_MESSAGES: usize = 1_000_000;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

// ---------------------------------------------------------------------------------------------
// Options

struct Opts {
    scenario: String,
    flags: HashMap<String, String>,
}

impl Opts {
    fn parse() -> Result<Opts, String> {
        let mut args = std::env::args().skip(1);
        let scenario = args
            .next()
            .ok_or("usage: loadgen <idle|connect|echo|broadcast> [--flag value]...")?;
        let mut flags = HashMap::new();
        while let Some(flag) = args.next() {
            let key = flag
                .strip_prefix("--")
                .ok_or_else(|| format!("unexpected argument {flag}"))?;
            let value = args
                .next()
                .ok_or_else(|| format!("--{key} needs a value"))?;
            flags.insert(key.to_owned(), value);
        }
        Ok(Opts { scenario, flags })
    }

    fn get<T: std::str::FromStr>(&self, key: &str, default: T) -> T {
        match self.flags.get(key) {
            Some(v) => v
                .parse()
                .unwrap_or_else(|_| panic!("bad value for --{key}: {v}")),
            None => default,
        }
    }
}

#[derive(Clone)]
struct Target {
    port: u16,
    src_ips: usize,
    config: WebSocketConfig,
    /// The Socket.IO packets of `connect` and `echo`; the other scenarios speak JSON.
    parser: Parser,
}

#[derive(Clone, Copy, PartialEq)]
enum Parser {
    Json,
    /// One MessagePack binary message per packet, `{type, data, nsp, id}`.
    Msgpack,
}

// ---------------------------------------------------------------------------------------------
// msgpack packets (written and read by rmp, as socket.io-msgpack-parser lays them out)

/// `{"type":t,"data":[..strings],"nsp":"/","id":id}`, `data` and `id` left out when absent.
fn msgpack_packet(packet_type: u8, data: &[&str], id: Option<u64>) -> Vec<u8> {
    let mut out = Vec::with_capacity(32 + data.iter().map(|s| s.len() + 5).sum::<usize>());
    let fields = 2 + u32::from(!data.is_empty()) + u32::from(id.is_some());
    // Writing to a Vec cannot fail.
    let _ = rmp::encode::write_map_len(&mut out, fields);
    let _ = rmp::encode::write_str(&mut out, "type");
    let _ = rmp::encode::write_uint(&mut out, packet_type.into());
    if !data.is_empty() {
        let _ = rmp::encode::write_str(&mut out, "data");
        let _ = rmp::encode::write_array_len(&mut out, data.len() as u32);
        for item in data {
            let _ = rmp::encode::write_str(&mut out, item);
        }
    }
    let _ = rmp::encode::write_str(&mut out, "nsp");
    let _ = rmp::encode::write_str(&mut out, "/");
    if let Some(id) = id {
        let _ = rmp::encode::write_str(&mut out, "id");
        let _ = rmp::encode::write_uint(&mut out, id);
    }
    out
}

/// What the load generator reads of a msgpack packet: its type and id (`data` skipped).
#[derive(serde::Deserialize)]
struct MsgpackHead {
    #[serde(rename = "type")]
    packet_type: u8,
    #[serde(default)]
    id: Option<u64>,
}

fn msgpack_head(bytes: &[u8]) -> Option<MsgpackHead> {
    rmp_serde::from_slice(bytes).ok()
}

// ---------------------------------------------------------------------------------------------
// /proc readings

fn clk_tck() -> f64 {
    100.0 // USER_HZ on every Linux we run on
}

/// utime + stime of a process, in seconds.
fn cpu_seconds(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // after the comm: state is field 3, utime 14, stime 15 (1-based) -> index 11, 12 here
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / clk_tck())
}

/// VmRSS in KiB.
fn rss_kib(pid: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

struct Probe {
    pid: Option<String>,
    cpu0: f64,
    self_cpu0: f64,
    t0: Instant,
}

impl Probe {
    fn start(pid: &Option<String>) -> Probe {
        Probe {
            pid: pid.clone(),
            cpu0: pid.as_deref().and_then(cpu_seconds).unwrap_or(0.0),
            self_cpu0: cpu_seconds("self").unwrap_or(0.0),
            t0: Instant::now(),
        }
    }

    /// (wall, server cpu, loadgen cpu) since start.
    fn stop(&self) -> (f64, Option<f64>, f64) {
        let wall = self.t0.elapsed().as_secs_f64();
        let cpu = self
            .pid
            .as_deref()
            .and_then(cpu_seconds)
            .map(|c| c - self.cpu0);
        let own = cpu_seconds("self").unwrap_or(0.0) - self.self_cpu0;
        (wall, cpu, own)
    }
}

// ---------------------------------------------------------------------------------------------
// Wire

fn io_error(e: impl std::fmt::Display) -> BoxError {
    e.to_string().into()
}

/// Opens a WebSocket to the server from source address 127.0.0.(2 + index % src_ips), reads the
/// Engine.IO OPEN packet and joins the main namespace.
async fn connect(target: &Target, index: usize) -> Result<Ws, BoxError> {
    tokio::time::timeout(CONNECT_TIMEOUT, connect_inner(target, index))
        .await
        .map_err(|_| io_error("connect timed out"))?
}

async fn connect_inner(target: &Target, index: usize) -> Result<Ws, BoxError> {
    let source = Ipv4Addr::new(127, 0, 0, 2 + (index % target.src_ips) as u8);
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::V4(SocketAddrV4::new(source, 0)))?;
    let stream = socket
        .connect(SocketAddr::V4(SocketAddrV4::new(
            Ipv4Addr::LOCALHOST,
            target.port,
        )))
        .await?;
    stream.set_nodelay(true)?;
    let url = format!(
        "ws://127.0.0.1:{}/socket.io/?EIO=4&transport=websocket",
        target.port
    );
    let (mut ws, _) = client_async_with_config(url, stream, Some(target.config)).await?;
    // Engine.IO OPEN
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(t))) if t.as_bytes().first() == Some(&b'0') => break,
            Some(Ok(Message::Text(_)))
            | Some(Ok(Message::Ping(_)))
            | Some(Ok(Message::Pong(_))) => {}
            Some(Ok(other)) => return Err(io_error(format!("unexpected before OPEN: {other:?}"))),
            Some(Err(e)) => return Err(e.into()),
            None => return Err(io_error("closed before OPEN")),
        }
    }
    // Socket.IO CONNECT to "/"
    match target.parser {
        Parser::Json => ws.send(Message::text("40")).await?,
        Parser::Msgpack => {
            ws.send(Message::binary(msgpack_packet(0, &[], None)))
                .await?
        }
    }
    loop {
        match ws.next().await {
            Some(Ok(Message::Binary(b))) if target.parser == Parser::Msgpack => {
                match msgpack_head(&b).map(|head| head.packet_type) {
                    Some(0) => return Ok(ws),
                    Some(4) => return Err(io_error("connect error")),
                    _ => {}
                }
            }
            Some(Ok(Message::Text(t))) => {
                let b = t.as_bytes();
                if b == b"2" {
                    ws.send(Message::text("3")).await?;
                } else if b.starts_with(b"40") {
                    return Ok(ws);
                } else if b.starts_with(b"44") {
                    return Err(io_error(format!("connect error: {}", t.as_str())));
                }
            }
            Some(Ok(Message::Close(_))) | None => return Err(io_error("closed before CONNECT")),
            Some(Ok(_)) => {}
            Some(Err(e)) => return Err(e.into()),
        }
    }
}

/// Parses the decimal number at the start of `b`.
fn leading_number(b: &[u8]) -> Option<u64> {
    let mut n: u64 = 0;
    let mut any = false;
    for &c in b {
        if c.is_ascii_digit() {
            n = n.checked_mul(10)?.checked_add((c - b'0') as u64)?;
            any = true;
        } else {
            break;
        }
    }
    any.then_some(n)
}

fn pad(bytes: usize) -> String {
    "x".repeat(bytes)
}

// ---------------------------------------------------------------------------------------------
// Connecting many

struct Connected {
    ok: AtomicUsize,
    failed: AtomicUsize,
    first_error: std::sync::Mutex<Option<String>>,
}

impl Connected {
    fn new() -> Arc<Connected> {
        Arc::new(Connected {
            ok: AtomicUsize::new(0),
            failed: AtomicUsize::new(0),
            first_error: Default::default(),
        })
    }
    fn done(&self) -> usize {
        self.ok.load(Ordering::Relaxed) + self.failed.load(Ordering::Relaxed)
    }
    fn fail(&self, e: BoxError) {
        self.failed.fetch_add(1, Ordering::Relaxed);
        let mut first = self.first_error.lock().unwrap();
        if first.is_none() {
            *first = Some(e.to_string());
        }
    }
    fn error_json(&self) -> String {
        match &*self.first_error.lock().unwrap() {
            Some(e) => format!("\"{}\"", e.replace(['"', '\\'], "'")),
            None => "null".into(),
        }
    }
}

/// Waits (bounded) until every client has connected or failed.
async fn wait_connected(connected: &Connected, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(240);
    while connected.done() < n && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i] as f64 / 1000.0
}

fn num(v: Option<f64>) -> String {
    match v {
        Some(v) => format!("{v:.3}"),
        None => "null".into(),
    }
}

// ---------------------------------------------------------------------------------------------
// idle

async fn idle(opts: &Opts, target: Target, pid: Option<String>) -> String {
    let n: usize = opts.get("clients", 1000).min(MAX_CLIENTS);
    let hold = opts.get("hold", 30.0f64).min(MAX_DURATION);
    let concurrency: usize = opts.get("connect-concurrency", 128);
    let ready_file: Option<String> = opts.flags.get("ready-file").cloned();

    let rss_before = pid.as_deref().and_then(rss_kib);
    let connected = Connected::new();
    let pings = Arc::new(AtomicU64::new(0));
    let dropped = Arc::new(AtomicUsize::new(0));
    let (stop_tx, stop_rx) = watch::channel(false);
    let gate = Arc::new(Semaphore::new(concurrency));
    let probe = Probe::start(&pid);
    let mut tasks = Vec::with_capacity(n);
    for i in 0..n {
        let (target, connected, pings, dropped, gate) = (
            target.clone(),
            connected.clone(),
            pings.clone(),
            dropped.clone(),
            gate.clone(),
        );
        let mut stop = stop_rx.clone();
        tasks.push(tokio::spawn(async move {
            let permit = gate.acquire_owned().await.unwrap();
            let mut ws = match connect(&target, i).await {
                Ok(ws) => ws,
                Err(e) => return connected.fail(e),
            };
            drop(permit);
            connected.ok.fetch_add(1, Ordering::Relaxed);
            loop {
                tokio::select! {
                    msg = ws.next() => match msg {
                        Some(Ok(Message::Text(t))) if t.as_bytes() == b"2" => {
                            pings.fetch_add(1, Ordering::Relaxed);
                            if ws.send(Message::text("3")).await.is_err() {
                                dropped.fetch_add(1, Ordering::Relaxed);
                                return;
                            }
                        }
                        Some(Ok(Message::Close(_))) | Some(Err(_)) | None => {
                            dropped.fetch_add(1, Ordering::Relaxed);
                            return;
                        }
                        Some(Ok(_)) => {}
                    },
                    _ = stop.changed() => return,
                }
            }
        }));
    }
    wait_connected(&connected, n).await;
    let (connect_wall, connect_cpu, _) = probe.stop();
    let ok = connected.ok.load(Ordering::Relaxed);
    // Let allocators settle, then read the server's RSS with every connection held.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_connected = pid.as_deref().and_then(rss_kib);
    if let Some(f) = &ready_file {
        let _ = std::fs::write(f, "ready\n");
    }
    let hold_probe = Probe::start(&pid);
    tokio::time::sleep(Duration::from_secs_f64(hold)).await;
    let (_, hold_cpu, own_cpu) = hold_probe.stop();
    let rss_held = pid.as_deref().and_then(rss_kib);
    let alive = ok - dropped.load(Ordering::Relaxed);
    let _ = stop_tx.send(true);
    for t in tasks {
        let _ = tokio::time::timeout(Duration::from_secs(5), t).await;
    }
    let per_conn = match (rss_before, rss_held) {
        (Some(a), Some(b)) if ok > 0 => Some((b as f64 - a as f64) * 1024.0 / ok as f64),
        _ => None,
    };
    format!(
        "{{\"scenario\":\"idle\",\"clients\":{n},\"connected\":{ok},\"failed\":{},\"alive_at_end\":{alive},\
         \"connect_s\":{connect_wall:.3},\"connects_per_s\":{:.1},\"connect_server_cpu_s\":{},\
         \"hold_s\":{hold},\"pings_answered\":{},\"hold_server_cpu_s\":{},\"loadgen_cpu_s\":{own_cpu:.3},\
         \"rss_before_kib\":{},\"rss_connected_kib\":{},\"rss_held_kib\":{},\"rss_per_conn_bytes\":{},\"first_error\":{}}}",
        connected.failed.load(Ordering::Relaxed),
        ok as f64 / connect_wall,
        num(connect_cpu),
        pings.load(Ordering::Relaxed),
        num(hold_cpu),
        rss_before.map_or("null".into(), |v| v.to_string()),
        rss_connected.map_or("null".into(), |v| v.to_string()),
        rss_held.map_or("null".into(), |v| v.to_string()),
        num(per_conn),
        connected.error_json(),
    )
}

// ---------------------------------------------------------------------------------------------
// connect: handshake + close, as fast as possible

async fn connect_churn(opts: &Opts, target: Target, pid: Option<String>) -> String {
    let n: usize = opts.get("clients", 5000).min(MAX_CLIENTS);
    let concurrency: usize = opts.get("concurrency", 64).max(1);
    let next = Arc::new(AtomicUsize::new(0));
    let connected = Connected::new();
    let probe = Probe::start(&pid);
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (target, next, connected) = (target.clone(), next.clone(), connected.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    return latencies;
                }
                let t = Instant::now();
                match connect(&target, i).await {
                    Ok(mut ws) => {
                        latencies.push(t.elapsed().as_micros() as u32);
                        connected.ok.fetch_add(1, Ordering::Relaxed);
                        // as socket.disconnect(): DISCONNECT, then close the transport
                        let _ = ws.send(Message::text("41")).await;
                        let _ = ws.close(None).await;
                    }
                    Err(e) => connected.fail(e),
                }
            }
        }));
    }
    let mut latencies = Vec::new();
    for t in tasks {
        if let Ok(Ok(l)) = tokio::time::timeout(Duration::from_secs(300), t).await {
            latencies.extend(l);
        }
    }
    let (wall, cpu, own) = probe.stop();
    latencies.sort_unstable();
    let ok = connected.ok.load(Ordering::Relaxed);
    format!(
        "{{\"scenario\":\"connect\",\"clients\":{n},\"concurrency\":{concurrency},\"connected\":{ok},\"failed\":{},\
         \"wall_s\":{wall:.3},\"connects_per_s\":{:.1},\"server_cpu_s\":{},\"connects_per_server_cpu_s\":{},\
         \"loadgen_cpu_s\":{own:.3},\"p50_ms\":{:.3},\"p99_ms\":{:.3},\"max_ms\":{:.3},\"first_error\":{}}}",
        connected.failed.load(Ordering::Relaxed),
        ok as f64 / wall,
        num(cpu),
        num(cpu.map(|c| ok as f64 / c.max(1e-9))),
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        percentile(&latencies, 1.0),
        connected.error_json(),
    )
}

// ---------------------------------------------------------------------------------------------
// echo: acked events

struct EchoStats {
    sent: u64,
    acked: u64,
    rtts_us: Vec<u32>,
    disconnected: bool,
}

async fn echo(opts: &Opts, target: Target, pid: Option<String>) -> String {
    let n: usize = opts.get("clients", 100).clamp(1, MAX_CLIENTS);
    let rate: f64 = opts.get("rate", 10_000.0);
    let window: usize = opts.get("window", 4).max(1);
    let duration = opts.get("duration", 10.0f64).min(MAX_DURATION);
    let bytes: usize = opts.get("bytes", 64);
    let concurrency: usize = opts.get("connect-concurrency", 128);
    let pad: Arc<str> = pad(bytes).into();

    let connected = Connected::new();
    let (start_tx, start_rx) = watch::channel(None::<Instant>);
    let gate = Arc::new(Semaphore::new(concurrency));
    let mut tasks = Vec::with_capacity(n);
    for i in 0..n {
        let (target, connected, gate, pad) =
            (target.clone(), connected.clone(), gate.clone(), pad.clone());
        let mut start_rx = start_rx.clone();
        tasks.push(tokio::spawn(async move {
            let permit = gate.acquire_owned().await.unwrap();
            let ws = match connect(&target, i).await {
                Ok(ws) => ws,
                Err(e) => {
                    connected.fail(e);
                    return None;
                }
            };
            drop(permit);
            connected.ok.fetch_add(1, Ordering::Relaxed);
            let start = loop {
                if let Some(start) = *start_rx.borrow_and_update() {
                    break start;
                }
                if start_rx.changed().await.is_err() {
                    return None;
                }
            };
            let parser = target.parser;
            Some(echo_client(ws, i, n, rate, window, duration, start, &pad, parser).await)
        }));
    }
    wait_connected(&connected, n).await;
    let start = Instant::now() + Duration::from_millis(200);
    let _ = start_tx.send(Some(start));
    tokio::time::sleep_until(start.into()).await;
    let probe = Probe::start(&pid);
    let mut all = EchoStats {
        sent: 0,
        acked: 0,
        rtts_us: Vec::new(),
        disconnected: false,
    };
    let mut disconnects = 0;
    let mut stats = Vec::with_capacity(n);
    for t in tasks {
        // the clients stop sending at start + duration, then drain for at most 3 s
        let left = (start + Duration::from_secs_f64(duration + 10.0))
            .saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, t).await {
            Ok(Ok(Some(s))) => stats.push(s),
            _ => disconnects += 1,
        }
    }
    // server CPU over the send phase and the drain of the last acks
    let (wall, cpu, own) = probe.stop();
    for s in stats {
        all.sent += s.sent;
        all.acked += s.acked;
        all.rtts_us.extend(s.rtts_us);
        disconnects += s.disconnected as usize;
    }
    all.rtts_us.sort_unstable();
    let ok = connected.ok.load(Ordering::Relaxed);
    format!(
        "{{\"scenario\":\"echo\",\"clients\":{n},\"connected\":{ok},\"failed\":{},\"rate\":{rate},\"window\":{window},\
         \"duration_s\":{duration},\"bytes\":{bytes},\"sent\":{},\"acked\":{},\"lost\":{},\"disconnects\":{disconnects},\
         \"wall_s\":{wall:.3},\"acks_per_s\":{:.1},\"server_cpu_s\":{},\"acks_per_server_cpu_s\":{},\
         \"loadgen_cpu_s\":{own:.3},\"acks_per_loadgen_cpu_s\":{:.1},\
         \"p50_ms\":{:.3},\"p90_ms\":{:.3},\"p99_ms\":{:.3},\"max_ms\":{:.3},\"first_error\":{}}}",
        connected.failed.load(Ordering::Relaxed),
        all.sent,
        all.acked,
        all.sent - all.acked,
        all.acked as f64 / duration,
        num(cpu),
        num(cpu.map(|c| all.acked as f64 / c.max(1e-9))),
        all.acked as f64 / own.max(1e-9),
        percentile(&all.rtts_us, 0.5),
        percentile(&all.rtts_us, 0.9),
        percentile(&all.rtts_us, 0.99),
        percentile(&all.rtts_us, 1.0),
        connected.error_json(),
    )
}

fn echo_frame(id: u64, pad: &str, parser: Parser) -> Message {
    if parser == Parser::Msgpack {
        return Message::binary(msgpack_packet(2, &["echo", pad], Some(id)));
    }
    let mut s = String::with_capacity(pad.len() + 24);
    let _ = write!(s, "42{id}[\"echo\",\"{pad}\"]");
    Message::text(s)
}

#[allow(clippy::too_many_arguments)]
async fn echo_client(
    mut ws: Ws,
    index: usize,
    clients: usize,
    rate: f64,
    window: usize,
    duration: f64,
    start: Instant,
    pad: &str,
    parser: Parser,
) -> EchoStats {
    let end = start + Duration::from_secs_f64(duration);
    let drain_end = end + Duration::from_secs(3);
    let mut stats = EchoStats {
        sent: 0,
        acked: 0,
        rtts_us: Vec::new(),
        disconnected: false,
    };
    let mut pending: HashMap<u64, Instant> = HashMap::new();
    let mut next_id: u64 = 0;
    let open_loop = rate > 0.0;
    let period = if open_loop {
        Duration::from_secs_f64(clients as f64 / rate)
    } else {
        Duration::from_secs(3600)
    };
    // spread the clients' first sends over one period
    let first = start + period.mul_f64(index as f64 / clients as f64);
    let mut ticker = tokio::time::interval_at(first.into(), period);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    if !open_loop {
        for _ in 0..window {
            pending.insert(next_id, Instant::now());
            if ws.feed(echo_frame(next_id, pad, parser)).await.is_err() {
                stats.disconnected = true;
                return stats;
            }
            next_id += 1;
            stats.sent += 1;
        }
        if ws.flush().await.is_err() {
            stats.disconnected = true;
            return stats;
        }
    }
    let drain = tokio::time::sleep_until(drain_end.into());
    tokio::pin!(drain);
    loop {
        let sending = Instant::now() < end;
        if !sending && pending.is_empty() {
            break;
        }
        tokio::select! {
            biased;
            msg = ws.next() => {
                let acked = match msg {
                    Some(Ok(Message::Text(t))) if t.as_bytes() == b"2" => {
                        if ws.send(Message::text("3")).await.is_err() { stats.disconnected = true; break; }
                        None
                    }
                    Some(Ok(Message::Text(t))) => t.as_bytes().strip_prefix(b"43").and_then(leading_number),
                    Some(Ok(Message::Binary(b))) => msgpack_head(&b)
                        .filter(|head| head.packet_type == 3)
                        .and_then(|head| head.id),
                    Some(Ok(Message::Close(_))) | Some(Err(_)) | None => { stats.disconnected = true; break; }
                    Some(Ok(_)) => None,
                };
                if let Some(sent_at) = acked.and_then(|id| pending.remove(&id)) {
                    let now = Instant::now();
                    stats.acked += 1;
                    stats.rtts_us.push(now.duration_since(sent_at).as_micros().min(u32::MAX as u128) as u32);
                    if !open_loop && now < end {
                        pending.insert(next_id, now);
                        if ws.send(echo_frame(next_id, pad, parser)).await.is_err() { stats.disconnected = true; break; }
                        next_id += 1;
                        stats.sent += 1;
                    }
                }
            }
            _ = ticker.tick(), if open_loop && sending => {
                pending.insert(next_id, Instant::now());
                if ws.send(echo_frame(next_id, pad, parser)).await.is_err() { stats.disconnected = true; break; }
                next_id += 1;
                stats.sent += 1;
            }
            _ = tokio::time::sleep_until(end.into()), if sending => {}
            _ = &mut drain => break,
        }
    }
    let _ = ws.close(None).await;
    stats
}

// ---------------------------------------------------------------------------------------------
// broadcast: one sender, every socket of "/" receives

struct BcastStats {
    received: u64,
    out_of_order: u64,
    duplicates: u64,
    last: Option<Instant>,
    disconnected: bool,
}

async fn broadcast(opts: &Opts, target: Target, pid: Option<String>) -> String {
    let n: usize = opts.get("clients", 1000).clamp(1, MAX_CLIENTS);
    let m: usize = opts.get("messages", 1000).min(MAX_MESSAGES);
    let bytes: usize = opts.get("bytes", 64);
    let concurrency: usize = opts.get("connect-concurrency", 128);
    let quiet = Duration::from_secs_f64(opts.get("quiet", 3.0f64));
    let pad = pad(bytes);

    let connected = Connected::new();
    let total = Arc::new(AtomicU64::new(0));
    let (stop_tx, stop_rx) = watch::channel(false);
    let gate = Arc::new(Semaphore::new(concurrency));
    let mut tasks = Vec::with_capacity(n);
    for i in 0..n {
        let (target, connected, gate, total) = (
            target.clone(),
            connected.clone(),
            gate.clone(),
            total.clone(),
        );
        let mut stop = stop_rx.clone();
        tasks.push(tokio::spawn(async move {
            let permit = gate.acquire_owned().await.unwrap();
            let mut ws = match connect(&target, i + 1).await {
                Ok(ws) => ws,
                Err(e) => {
                    connected.fail(e);
                    return None;
                }
            };
            drop(permit);
            connected.ok.fetch_add(1, Ordering::Relaxed);
            let mut s = BcastStats { received: 0, out_of_order: 0, duplicates: 0, last: None, disconnected: false };
            let mut next_expected: u64 = 0;
            let mut seen_max: Option<u64> = None;
            loop {
                tokio::select! {
                    biased;
                    msg = ws.next() => match msg {
                        Some(Ok(Message::Text(t))) => {
                            let b = t.as_bytes();
                            if let Some(rest) = b.strip_prefix(b"42[\"bcast\",\"") {
                                if let Some(seq) = leading_number(rest) {
                                    s.received += 1;
                                    s.last = Some(Instant::now());
                                    total.fetch_add(1, Ordering::Relaxed);
                                    if seq != next_expected {
                                        if seen_max.is_some_and(|max| seq <= max) {
                                            // older than something already seen
                                            s.out_of_order += 1;
                                        } else {
                                            // a gap: counted as out of order too (the missing ones are losses)
                                            s.out_of_order += 1;
                                        }
                                    }
                                    if seen_max.is_some_and(|max| seq == max) { s.duplicates += 1; }
                                    seen_max = Some(seen_max.map_or(seq, |max| max.max(seq)));
                                    next_expected = seq + 1;
                                }
                            } else if b == b"2" && ws.send(Message::text("3")).await.is_err() {
                                s.disconnected = true;
                                break;
                            }
                        }
                        Some(Ok(Message::Close(_))) | Some(Err(_)) | None => { s.disconnected = true; break; }
                        Some(Ok(_)) => {}
                    },
                    _ = stop.changed() => break,
                }
                if s.received >= m as u64 {
                    break;
                }
            }
            Some(s)
        }));
    }
    wait_connected(&connected, n).await;
    // the sender: its own connection (source index 0), also a socket of "/", its copies are drained
    let sender = match connect(&target, 0).await {
        Ok(ws) => ws,
        Err(e) => return format!("{{\"scenario\":\"broadcast\",\"error\":\"sender: {e}\"}}"),
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    let probe = Probe::start(&pid);
    let t0 = Instant::now();
    let (mut sink, mut stream) = {
        let (sink, stream) = sender.split();
        (sink, stream)
    };
    let drainer = tokio::spawn(async move {
        let deadline = Instant::now() + Duration::from_secs(120);
        while let Ok(Some(Ok(_))) = tokio::time::timeout(
            deadline.saturating_duration_since(Instant::now()),
            stream.next(),
        )
        .await
        {}
    });
    let mut send_error = None;
    for seq in 0..m {
        let frame = Message::text(format!("42[\"broadcast\",\"{seq}:{pad}\"]"));
        let r = if seq % 32 == 31 || seq + 1 == m {
            sink.send(frame).await
        } else {
            sink.feed(frame).await
        };
        if let Err(e) = r {
            send_error = Some(e.to_string());
            break;
        }
    }
    let send_s = t0.elapsed().as_secs_f64();
    // wait until everything arrived, or nothing arrived for `quiet`, bounded by 120 s
    let expected = (connected.ok.load(Ordering::Relaxed) * m) as u64;
    let hard_end = t0 + Duration::from_secs(120);
    let mut last_total = 0;
    let mut last_change = Instant::now();
    loop {
        let now_total = total.load(Ordering::Relaxed);
        if now_total >= expected || Instant::now() > hard_end {
            break;
        }
        if now_total != last_total {
            last_total = now_total;
            last_change = Instant::now();
        } else if last_change.elapsed() > quiet {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let (_, cpu, own) = probe.stop();
    let _ = stop_tx.send(true);
    let mut received = 0;
    let mut ooo = 0;
    let mut dups = 0;
    let mut disconnects = 0;
    let mut complete = 0;
    let mut last: Option<Instant> = None;
    for t in tasks {
        if let Ok(Ok(Some(s))) = tokio::time::timeout(Duration::from_secs(5), t).await {
            received += s.received;
            ooo += s.out_of_order;
            dups += s.duplicates;
            disconnects += s.disconnected as usize;
            complete += (s.received >= m as u64) as usize;
            last = match (last, s.last) {
                (Some(a), Some(b)) => Some(a.max(b)),
                (a, b) => a.or(b),
            };
        }
    }
    let _ = sink.close().await;
    drainer.abort();
    let to_last = last.map_or(0.0, |l| l.duration_since(t0).as_secs_f64());
    let ok = connected.ok.load(Ordering::Relaxed);
    format!(
        "{{\"scenario\":\"broadcast\",\"clients\":{n},\"connected\":{ok},\"failed\":{},\"messages\":{m},\"bytes\":{bytes},\
         \"expected\":{expected},\"delivered\":{received},\"lost\":{},\"out_of_order\":{ooo},\"duplicates\":{dups},\
         \"receivers_complete\":{complete},\"disconnects\":{disconnects},\"send_s\":{send_s:.3},\
         \"time_to_last_s\":{to_last:.3},\"deliveries_per_s\":{:.1},\"server_cpu_s\":{},\
         \"deliveries_per_server_cpu_s\":{},\"loadgen_cpu_s\":{own:.3},\"send_error\":{},\"first_error\":{}}}",
        connected.failed.load(Ordering::Relaxed),
        expected.saturating_sub(received),
        received as f64 / to_last.max(1e-9),
        num(cpu),
        num(cpu.map(|c| received as f64 / c.max(1e-9))),
        send_error.map_or("null".into(), |e| format!("\"{}\"", e.replace('"', "'"))),
        connected.error_json(),
    )
}

// ---------------------------------------------------------------------------------------------

fn main() {
    let opts = match Opts::parse() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let port: u16 = opts.get(
        "port",
        std::env::var("PORT")
            .ok()
            .and_then(|p| p.parse().ok())
            .unwrap_or(3000),
    );
    let threads: usize = opts.get(
        "threads",
        std::thread::available_parallelism().map_or(2, |n| n.get()),
    );
    let read_buf: usize = opts.get("read-buf", 8 * 1024);
    let parser = match opts.flags.get("parser").map(String::as_str) {
        None | Some("json") => Parser::Json,
        Some("msgpack") => Parser::Msgpack,
        Some(other) => {
            eprintln!("--parser {other}: expected json or msgpack");
            std::process::exit(2);
        }
    };
    let target = Target {
        parser,
        port,
        src_ips: opts.get("src-ips", 16usize).clamp(1, 250),
        config: WebSocketConfig::default()
            .read_buffer_size(read_buf)
            .write_buffer_size(16 * 1024)
            .max_message_size(Some(16 << 20)),
    };
    let pid: Option<String> = opts.flags.get("pid").cloned();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads.max(1))
        .enable_all()
        .build()
        .expect("tokio runtime");
    let line = runtime.block_on(async {
        match opts.scenario.as_str() {
            "idle" => idle(&opts, target, pid).await,
            "connect" => connect_churn(&opts, target, pid).await,
            "echo" => echo(&opts, target, pid).await,
            "broadcast" => broadcast(&opts, target, pid).await,
            other => {
                eprintln!("unknown scenario {other}");
                std::process::exit(2);
            }
        }
    });
    println!("{line}");
    runtime.shutdown_timeout(Duration::from_secs(2));
}
