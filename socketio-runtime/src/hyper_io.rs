//! hyper's I/O traits over `futures-io` ones: runtimes whose sockets speak
//! `futures_io::{AsyncRead, AsyncWrite}` (smol / async-io, async-std, ...) serve connections with
//! [`serve_connection`](crate::serve_connection) and open client connections through [`HyperIo`].
//! [`FuturesIo`](crate::FuturesIo) is the opposite direction.

use std::io;
use std::mem::MaybeUninit;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use futures_io::{AsyncRead, AsyncWrite};

/// The most bytes one read asks for. `futures-io` reads into initialised memory while hyper hands
/// out uninitialised space, so each read zeroes its window first: a bounded window keeps that cost
/// small next to the system call, and a TCP read seldom returns more anyway.
const READ_WINDOW: usize = 16 * 1024;

/// Wraps a `futures_io::{AsyncRead, AsyncWrite}` object (such as `smol::net::TcpStream`) as
/// `hyper::rt::{Read, Write}`.
#[derive(Debug)]
pub struct HyperIo<T> {
    io: T,
    vectored: bool,
}

impl<T> HyperIo<T> {
    /// Wraps `io`. hyper flattens its writes into one buffer, as for an object whose
    /// `poll_write_vectored` is the default one-buffer-at-a-time implementation.
    pub fn new(io: T) -> Self {
        HyperIo {
            io,
            vectored: false,
        }
    }

    /// Wraps `io`, whose `poll_write_vectored` writes several buffers at once (a real `writev`, as
    /// async-io's sockets do): hyper then hands over headers and body chunks without copying them.
    pub fn vectored(io: T) -> Self {
        HyperIo { io, vectored: true }
    }

    /// The wrapped I/O object.
    pub fn get_ref(&self) -> &T {
        &self.io
    }

    /// The wrapped I/O object, mutably.
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.io
    }

    /// Unwraps the I/O object.
    pub fn into_inner(self) -> T {
        self.io
    }
}

impl<T: AsyncRead + Unpin> hyper::rt::Read for HyperIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        // SAFETY: only initialised bytes (zeros, then what the reader wrote) are stored into it.
        let unfilled = unsafe { buf.as_mut() };
        let window_len = unfilled.len().min(READ_WINDOW);
        let window = &mut unfilled[..window_len];
        window.fill(MaybeUninit::new(0));
        // SAFETY: every byte of `window` was initialised just above, and `MaybeUninit<u8>` has the
        // layout of `u8`.
        let window = unsafe { &mut *(window as *mut [MaybeUninit<u8>] as *mut [u8]) };
        let read = ready!(Pin::new(&mut self.io).poll_read(cx, window))?;
        if read > window_len {
            return Poll::Ready(Err(io::Error::other(
                "the reader claims more bytes than the buffer holds",
            )));
        }
        // SAFETY: the first `read` bytes of the unfilled part are initialised (the window).
        unsafe { buf.advance(read) };
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncWrite + Unpin> hyper::rt::Write for HyperIo<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_close(cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.vectored
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }
}

#[cfg(test)]
mod tests {
    use std::task::Waker;

    use hyper::rt::{Read, Write};

    use super::*;

    fn ready<R>(poll: Poll<R>) -> R {
        match poll {
            Poll::Ready(value) => value,
            Poll::Pending => panic!("a cursor is never pending"),
        }
    }

    #[test]
    fn reads_what_the_reader_has_and_stops_at_eof() {
        let mut io = HyperIo::new(&b"hello world"[..]);
        let mut cx = Context::from_waker(Waker::noop());
        let mut storage = [MaybeUninit::<u8>::uninit(); 5];
        let mut buf = hyper::rt::ReadBuf::uninit(&mut storage);
        ready(Pin::new(&mut io).poll_read(&mut cx, buf.unfilled())).unwrap();
        assert_eq!(buf.filled(), b"hello");

        let mut rest = Vec::new();
        loop {
            let mut storage = [MaybeUninit::<u8>::uninit(); 64];
            let mut buf = hyper::rt::ReadBuf::uninit(&mut storage);
            ready(Pin::new(&mut io).poll_read(&mut cx, buf.unfilled())).unwrap();
            if buf.filled().is_empty() {
                break;
            }
            rest.extend_from_slice(buf.filled());
        }
        assert_eq!(rest, b" world");
    }

    #[test]
    fn a_large_buffer_is_filled_one_window_at_a_time() {
        let data = vec![7u8; READ_WINDOW * 2 + 3];
        let mut io = HyperIo::new(&data[..]);
        let mut cx = Context::from_waker(Waker::noop());
        let mut storage = vec![MaybeUninit::<u8>::uninit(); READ_WINDOW * 3];
        let mut buf = hyper::rt::ReadBuf::uninit(&mut storage);
        ready(Pin::new(&mut io).poll_read(&mut cx, buf.unfilled())).unwrap();
        assert_eq!(buf.filled().len(), READ_WINDOW);
        assert!(buf.filled().iter().all(|&byte| byte == 7));
    }

    #[test]
    fn writes_flushes_and_shuts_down_through_the_writer() {
        let mut io = HyperIo::vectored(Vec::new());
        assert!(io.is_write_vectored());
        assert!(!HyperIo::new(Vec::<u8>::new()).is_write_vectored());
        let mut cx = Context::from_waker(Waker::noop());
        assert_eq!(
            ready(Pin::new(&mut io).poll_write(&mut cx, b"abc")).unwrap(),
            3
        );
        let slices = [io::IoSlice::new(b"de"), io::IoSlice::new(b"f")];
        let written = ready(Pin::new(&mut io).poll_write_vectored(&mut cx, &slices)).unwrap();
        assert!(written >= 2, "{written}");
        ready(Pin::new(&mut io).poll_flush(&mut cx)).unwrap();
        ready(Pin::new(&mut io).poll_shutdown(&mut cx)).unwrap();
        assert!(io.into_inner().starts_with(b"abcde"));
    }
}
