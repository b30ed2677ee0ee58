//! Running the official JavaScript peers: the scripts in `tests/interop/` observe and print one JSON
//! value; the scenarios assert on it. Processes run on their own threads, so this works under any
//! async runtime.

use std::io::Read;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

use futures_channel::oneshot;
use serde_json::Value;

/// How long a script may run.
const SCRIPT_DEADLINE: Duration = Duration::from_secs(60);

/// The npm packages the scripts import.
const PACKAGES: [&str; 3] = ["engine.io-client", "socket.io", "socket.io-client"];

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

/// Runs `node <script> <args>` in `tests/interop/` (installing the npm packages first if needed)
/// and returns the JSON it prints. Panics if it fails, prints something else or runs past 60 s.
/// Both run on a thread of their own: the caller's executor is never blocked.
pub async fn run_node_script(script: &str, args: &[String]) -> Value {
    let (done, outcome) = oneshot::channel();
    let script = script.to_owned();
    let args = args.to_vec();
    thread::spawn(move || {
        // One script at a time within a test binary: they measure timings, and the machine may be
        // small.
        static RUNNING: Mutex<()> = Mutex::new(());
        let _one_at_a_time = RUNNING.lock().unwrap_or_else(|poison| poison.into_inner());
        let result = install_if_missing().and_then(|()| run_to_end(&script, &args, &done));
        let _ = done.send(result);
    });
    let output = outcome
        .await
        .expect("the thread running node ended without an answer")
        .unwrap_or_else(|failure| panic!("{failure}"));
    serde_json::from_str(output.trim())
        .unwrap_or_else(|error| panic!("bad JSON ({error}): {output}"))
}

/// Runs the script to its end (or kills it at the deadline, or once nobody waits for it): its
/// stdout, or why it failed.
fn run_to_end(
    script: &str,
    args: &[String],
    waiter: &oneshot::Sender<Result<String, String>>,
) -> Result<String, String> {
    let mut child = Command::new("node")
        .arg(script)
        .args(args)
        .current_dir(interop_dir())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|error| format!("the interop tests need Node.js on PATH: {error}"))?;
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let deadline = Instant::now() + SCRIPT_DEADLINE;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline && !waiter.is_canceled() => {
                thread::sleep(Duration::from_millis(20));
            }
            Ok(None) => {
                kill(&mut child);
                return Err(format!(
                    "node {script} did not finish within {SCRIPT_DEADLINE:?}"
                ));
            }
            Err(error) => {
                kill(&mut child);
                return Err(format!("waiting for node {script}: {error}"));
            }
        }
    };
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

fn kill(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}
