//! Running the official JavaScript peers, the scripts in `tests/interop/`: a client script runs to
//! its end and prints one JSON value the scenarios assert on ([`run_node_script`]); a server script
//! runs alongside the test and talks in lines ([`NodeProcess`]). Processes are waited on by threads
//! of their own, so this works under any async runtime.

use std::io::{BufRead, BufReader, Read};
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use futures_channel::{mpsc, oneshot};
use futures_util::StreamExt;
use serde_json::Value;

/// How long a script may run.
const SCRIPT_DEADLINE: Duration = Duration::from_secs(60);

/// The npm packages the scripts import.
const PACKAGES: [&str; 6] = [
    "engine.io-client",
    "socket.io",
    "socket.io-client",
    "socket.io-v2",
    "socket.io-client-v2",
    "socket.io-msgpack-parser",
];

/// `tests/interop/`, where the scripts and their `node_modules` live.
pub fn interop_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../interop")
}

/// Installs the pinned npm packages (`npm ci`) if any is missing; panics if that fails. Blocks; one
/// install at a time within a test binary.
pub fn ensure_node_modules() {
    install_if_missing().unwrap_or_else(|failure| panic!("{failure}"));
}

fn install_if_missing() -> Result<(), String> {
    static INSTALLING: Mutex<()> = Mutex::new(());
    let _one_at_a_time = INSTALLING
        .lock()
        .unwrap_or_else(|poison| poison.into_inner());
    let dir = interop_dir();
    let installed = PACKAGES
        .iter()
        .all(|package| dir.join("node_modules").join(package).exists());
    if installed {
        return Ok(());
    }
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(&dir)
        .status()
        .map_err(|error| {
            format!(
                "the interop tests need Node.js and npm on PATH (running `npm ci` failed: {error})"
            )
        })?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`npm ci` in {} failed ({status})", dir.display()))
    }
}

/// Runs `work` on a thread of its own and waits for it without blocking the caller's executor.
/// If `work` panics, the caller panics with the same payload.
pub(crate) async fn off_the_executor<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (done, outcome) = oneshot::channel();
    thread::spawn(move || {
        let _ = done.send(catch_unwind(AssertUnwindSafe(work)));
    });
    match outcome.await {
        Ok(Ok(output)) => output,
        Ok(Err(panic)) => resume_unwind(panic),
        Err(oneshot::Canceled) => unreachable!("the thread sends its outcome, even a panic"),
    }
}

/// One script at a time within a test binary: they measure timings, and the machine may be small.
/// Held by the thread that waits for the script.
fn one_script_at_a_time() -> MutexGuard<'static, ()> {
    static RUNNING: Mutex<()> = Mutex::new(());
    RUNNING.lock().unwrap_or_else(|poison| poison.into_inner())
}

/// `node <script> <args>` in `tests/interop/`, with stdout and stderr piped.
fn node(script: &str, args: &[String]) -> Command {
    let mut command = Command::new("node");
    command
        .arg(script)
        .args(args)
        .current_dir(interop_dir())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// Starts `command`, or says that Node.js is missing.
fn spawn(mut command: Command) -> Result<Child, String> {
    command
        .spawn()
        .map_err(|error| format!("the interop tests need Node.js on PATH: {error}"))
}

/// Runs `node <script> <args>` in `tests/interop/` (installing the npm packages first if needed)
/// and returns the JSON it prints. Panics if it fails, prints something else or runs past 60 s.
/// Both run on a thread of their own: the caller's executor is never blocked.
pub async fn run_node_script(script: &str, args: &[String]) -> Value {
    let (done, outcome) = oneshot::channel();
    let script = script.to_owned();
    let args = args.to_vec();
    thread::spawn(move || {
        let _one_at_a_time = one_script_at_a_time();
        let result =
            install_if_missing().and_then(|()| run_to_end(&script, &args, || done.is_canceled()));
        let _ = done.send(result);
    });
    let output = outcome
        .await
        .expect("the thread running node ended without an answer")
        .unwrap_or_else(|failure| panic!("{failure}"));
    serde_json::from_str(output.trim())
        .unwrap_or_else(|error| panic!("bad JSON ({error}): {output}"))
}

/// Runs the script to its end (or kills it at the deadline, or once `abandoned`): its stdout, or
/// why it failed.
fn run_to_end(
    script: &str,
    args: &[String],
    abandoned: impl Fn() -> bool,
) -> Result<String, String> {
    let mut child = spawn(node(script, args))?;
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let status = wait_or_kill(&mut child, script, abandoned)?;
    let stdout = stdout.join().unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();
    if status.success() {
        Ok(stdout)
    } else {
        Err(format!(
            "node {script} failed ({status}):\n{stdout}\n{stderr}"
        ))
    }
}

/// Reads a pipe to its end on its own thread, so the child never blocks on a full pipe.
fn drain(pipe: Option<impl Read + Send + 'static>) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut text = String::new();
        if let Some(mut pipe) = pipe {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            text = String::from_utf8_lossy(&bytes).into_owned();
        }
        text
    })
}

/// Waits for `child` to exit; kills it (and says why) once it runs past [`SCRIPT_DEADLINE`] or is
/// `abandoned`.
fn wait_or_kill(
    child: &mut Child,
    script: &str,
    abandoned: impl Fn() -> bool,
) -> Result<ExitStatus, String> {
    let deadline = Instant::now() + SCRIPT_DEADLINE;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Ok(status),
            Ok(None) if abandoned() => {
                kill(child);
                return Err(format!("node {script} was no longer needed"));
            }
            Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(20)),
            Ok(None) => {
                kill(child);
                return Err(format!(
                    "node {script} did not finish within {SCRIPT_DEADLINE:?}"
                ));
            }
            Err(error) => {
                kill(child);
                return Err(format!("waiting for node {script}: {error}"));
            }
        }
    }
}

fn kill(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// A script that runs alongside the test, as a server does: its stdout comes in lines, its stdin
/// stays open until [`close_stdin`](Self::close_stdin). Started after the npm packages are
/// installed and no other script runs (one at a time, as [`run_node_script`]); killed once
/// dropped, or after 60 s.
pub struct NodeProcess {
    script: String,
    stdin: Option<ChildStdin>,
    /// Every line of stdout, then why the process ended (its status and stderr).
    lines: mpsc::UnboundedReceiver<Result<String, String>>,
}

impl NodeProcess {
    /// Starts `node <script> <args>` in `tests/interop/`, once no other script runs. Panics if it
    /// cannot be started.
    pub async fn start(script: &str, args: &[String]) -> Self {
        let (started, spawned) = oneshot::channel();
        let (lines_in, lines) = mpsc::unbounded();
        let name = script.to_owned();
        let args = args.to_vec();
        thread::spawn(move || {
            let _one_at_a_time = one_script_at_a_time();
            let mut command = node(&name, &args);
            command.stdin(Stdio::piped());
            let mut child = match install_if_missing().and_then(|()| spawn(command)) {
                Ok(child) => child,
                Err(failure) => {
                    let _ = started.send(Err(failure));
                    return;
                }
            };
            let stdin = child.stdin.take().expect("stdin is piped");
            if started.send(Ok(stdin)).is_err() {
                // Nobody waits for the script any more.
                return kill(&mut child);
            }
            let stdout = forward_lines(child.stdout.take(), lines_in.clone());
            let stderr = drain(child.stderr.take());
            let ended = wait_or_kill(&mut child, &name, || lines_in.is_closed());
            let _ = stdout.join();
            let stderr = stderr.join().unwrap_or_default();
            let why = match ended {
                Ok(status) => format!("node {name} exited ({status}); stderr:\n{stderr}"),
                Err(failure) => format!("{failure}; stderr:\n{stderr}"),
            };
            let _ = lines_in.unbounded_send(Err(why));
        });
        let stdin = spawned
            .await
            .expect("the thread starting node ended without an answer")
            .unwrap_or_else(|failure| panic!("{failure}"));
        NodeProcess {
            script: script.to_owned(),
            stdin: Some(stdin),
            lines,
        }
    }

    /// The next line the script prints. Panics, saying how the script ended, if it ends first.
    pub async fn next_line(&mut self) -> String {
        match self.lines.next().await {
            Some(Ok(line)) => line,
            Some(Err(ended)) => panic!("{ended}"),
            None => panic!("the thread waiting for node {} is gone", self.script),
        }
    }

    /// Closes the script's stdin: the end of input, which a server script answers by exiting.
    pub fn close_stdin(&mut self) {
        drop(self.stdin.take());
    }
}

/// Sends every line of a pipe, on a thread of its own, until the pipe or the receiver closes.
fn forward_lines(
    pipe: Option<impl Read + Send + 'static>,
    lines: mpsc::UnboundedSender<Result<String, String>>,
) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        let Some(pipe) = pipe else { return };
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { return };
            if lines.unbounded_send(Ok(line)).is_err() {
                return;
            }
        }
    })
}
