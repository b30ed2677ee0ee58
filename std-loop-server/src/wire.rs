//! A client's TCP connection in non-blocking mode, with the bytes the socket has not taken yet.
//!
//! Nothing here ever blocks: a read with nothing to read and a write the socket cannot take both
//! return at once, so one thread can serve every connection. The HTTP side queues whole responses
//! here; the WebSocket library writes its frames through it, behind whatever is still queued (the
//! `101` response of the upgrade).

use std::io::{self, ErrorKind, Read, Write};
use std::net::TcpStream;

/// Queued bytes above this are freed once written, so one large poll response does not pin memory.
const SPARE_CAPACITY: usize = 64 * 1024;

/// A non-blocking TCP stream and its unsent bytes.
#[derive(Debug)]
pub struct Wire {
    stream: TcpStream,
    unsent: Vec<u8>,
}

impl Wire {
    /// Switches `stream` to non-blocking mode.
    pub fn new(stream: TcpStream) -> io::Result<Self> {
        stream.set_nonblocking(true)?;
        // Packets are small and latency matters more than coalescing.
        stream.set_nodelay(true)?;
        Ok(Wire {
            stream,
            unsent: Vec::new(),
        })
    }

    /// Queues `bytes` behind what is unsent and writes what the socket takes now. A failed write is
    /// reported by the next [`write_unsent`](Self::write_unsent).
    pub fn send(&mut self, bytes: &[u8]) {
        self.unsent.extend_from_slice(bytes);
        let _ = self.write_unsent();
    }

    /// Whether queued bytes wait for the socket.
    pub fn has_unsent(&self) -> bool {
        !self.unsent.is_empty()
    }

    /// Writes queued bytes until the socket would block or none are left.
    pub fn write_unsent(&mut self) -> io::Result<()> {
        while !self.unsent.is_empty() {
            match self.stream.write(&self.unsent) {
                Ok(0) => return Err(ErrorKind::WriteZero.into()),
                Ok(written) => {
                    self.unsent.drain(..written);
                }
                Err(error) if error.kind() == ErrorKind::WouldBlock => return Ok(()),
                Err(error) if error.kind() == ErrorKind::Interrupted => {}
                Err(error) => return Err(error),
            }
        }
        if self.unsent.capacity() > SPARE_CAPACITY {
            self.unsent = Vec::new();
        }
        Ok(())
    }
}

impl Read for Wire {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.stream.read(buf)
    }
}

/// Writes go out behind the queued bytes: while some are left, the wire reports `WouldBlock`.
impl Write for Wire {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_unsent()?;
        if self.has_unsent() {
            return Err(ErrorKind::WouldBlock.into());
        }
        self.stream.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.write_unsent()?;
        if self.has_unsent() {
            return Err(ErrorKind::WouldBlock.into());
        }
        self.stream.flush()
    }
}
