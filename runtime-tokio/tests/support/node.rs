//! Running the official JavaScript peers (from npm, pinned in `tests/interop/package-lock.json`):
//! the test starts a Node.js script that observes and prints one JSON value; the test asserts.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::process::Command;

/// `tests/interop/`, where the scripts and their `node_modules` live.
pub fn interop_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/interop")
}

/// Installs the pinned npm packages if they are missing.
pub async fn ensure_node_modules() {
    let dir = interop_dir();
    let installed = ["engine.io-client", "socket.io", "socket.io-client"]
        .iter()
        .all(|package| dir.join("node_modules").join(package).exists());
    if installed {
        return;
    }
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(&dir)
        .status()
        .await
        .unwrap_or_else(|error| {
            panic!(
                "the interop tests need Node.js and npm on PATH (running `npm ci` failed: {error})"
            )
        });
    assert!(status.success(), "`npm ci` in {} failed", dir.display());
}

/// Runs `script` (in `tests/interop/`) with `args`, within 60 s, and returns the JSON it prints.
pub async fn run_node_script(script: &str, args: &[String]) -> Value {
    let child = Command::new("node")
        .arg(script)
        .args(args)
        .current_dir(interop_dir())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|error| panic!("the interop tests need Node.js on PATH: {error}"));
    let output = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("the node script did not finish within 60 s")
        .expect("waiting for node");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "node {script} failed ({}):\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(stdout.trim())
        .unwrap_or_else(|error| panic!("bad JSON ({error}): {stdout}"))
}
