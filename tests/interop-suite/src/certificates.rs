//! A throwaway certificate authority for the TLS scenario, made with the `openssl` command line
//! tool (installed with `apt-get` when it is missing).

use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

use crate::node::off_the_executor;

/// The `openssl` steps that make the CA (`ca.pem`) and the server's key (`key.pem`) and
/// certificate (`cert.pem`), which the CA signed for `localhost` and `127.0.0.1`.
const STEPS: [&str; 3] = [
    "req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key \
     -out ca.pem -days 2 -subj /CN=socketio-rs-test-CA",
    "req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout key.pem \
     -out leaf.csr -subj /CN=localhost",
    "x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out cert.pem -days 2 \
     -extfile ext.cnf",
];

/// The extensions of the server's certificate (`ext.cnf`).
const SERVER_EXTENSIONS: &str = "subjectAltName=DNS:localhost,IP:127.0.0.1\n\
    basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n";

/// A test CA and a server certificate it signed, in a temporary folder removed on drop.
pub(crate) struct TestCertificates {
    dir: PathBuf,
}

impl TestCertificates {
    /// Makes them (on a thread of its own). Panics if `openssl` is missing and cannot be
    /// installed, or fails.
    pub(crate) async fn make() -> Self {
        static MADE: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "socketio-rs-tls-{}-{}",
            std::process::id(),
            MADE.fetch_add(1, Ordering::Relaxed)
        ));
        let certificates = TestCertificates { dir };
        let dir = certificates.dir.clone();
        off_the_executor(move || make_in(&dir)).await;
        certificates
    }

    /// The CA's certificate, the only root the client should trust.
    pub(crate) fn ca(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }

    /// The server's certificate.
    pub(crate) fn cert(&self) -> PathBuf {
        self.dir.join("cert.pem")
    }

    /// The server's private key.
    pub(crate) fn key(&self) -> PathBuf {
        self.dir.join("key.pem")
    }
}

impl Drop for TestCertificates {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn make_in(dir: &Path) {
    ensure_openssl();
    std::fs::create_dir_all(dir)
        .unwrap_or_else(|error| panic!("creating {}: {error}", dir.display()));
    std::fs::write(dir.join("ext.cnf"), SERVER_EXTENSIONS)
        .unwrap_or_else(|error| panic!("writing {}/ext.cnf: {error}", dir.display()));
    for step in STEPS {
        let output = Command::new("openssl")
            .args(step.split_whitespace())
            .current_dir(dir)
            .output()
            .unwrap_or_else(|error| panic!("running openssl {step:?}: {error}"));
        assert!(
            output.status.success(),
            "openssl {step:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

/// Installs the `openssl` command line tool with `apt-get` if it is not on PATH; panics, saying
/// so, if that fails. One install at a time.
fn ensure_openssl() {
    static INSTALLING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one_at_a_time = INSTALLING
        .lock()
        .unwrap_or_else(|poison| poison.into_inner());
    if openssl_runs() {
        return;
    }
    let installed = Command::new("apt-get")
        .args(["install", "-y", "openssl"])
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status();
    assert!(
        openssl_runs(),
        "the TLS scenario makes a test CA with the `openssl` command line tool, which is not on \
         PATH, and `apt-get install -y openssl` did not install it ({installed:?}); install \
         openssl and run the tests again"
    );
}

/// Whether `openssl version` runs and succeeds.
fn openssl_runs() -> bool {
    match Command::new("openssl").arg("version").output() {
        Ok(output) => output.status.success(),
        Err(error) if error.kind() == ErrorKind::NotFound => false,
        Err(error) => panic!("running `openssl version`: {error}"),
    }
}
