//! The server binary as a test runs it: on a free loopback port, what it prints collected so that
//! a test can wait for a line. Killed when dropped.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

/// How long the server may take to start, and a test to see a line it expects.
const WAIT: Duration = Duration::from_secs(10);

/// A running `std-loop-server`.
pub struct RunningServer {
    child: Child,
    /// Where it listens.
    pub address: SocketAddr,
    lines: Receiver<String>,
    printed: Vec<String>,
}

impl RunningServer {
    /// Starts the server on `127.0.0.1:0` and reads the address it took.
    pub fn start() -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_std-loop-server"))
            .arg("127.0.0.1:0")
            .stdout(Stdio::piped())
            .spawn()
            .expect("starting std-loop-server");
        let stdout = child.stdout.take().expect("stdout is piped");
        let (sender, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                if sender.send(line).is_err() {
                    return;
                }
            }
        });
        let first = lines
            .recv_timeout(WAIT)
            .expect("std-loop-server printed no address");
        let address = first
            .strip_prefix("listening on http://")
            .and_then(|rest| rest.strip_suffix("/socket.io/"))
            .and_then(|address| address.parse().ok())
            .unwrap_or_else(|| panic!("not an address line: {first:?}"));
        RunningServer {
            child,
            address,
            lines,
            printed: Vec::new(),
        }
    }

    /// Waits until the server has printed `line`; panics after a while, with all it printed.
    pub fn expect_line(&mut self, line: &str) {
        let deadline = Instant::now() + WAIT;
        while !self.printed.iter().any(|printed| printed == line) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(printed) => self.printed.push(printed),
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => panic!(
                    "the server did not print {line:?}; it printed:\n{}",
                    self.printed.join("\n")
                ),
            }
        }
    }

    /// Whether the process is still running (it must survive whatever a test sends it).
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
