//! hyper's upgraded connection given back as the plain I/O it wraps, so a WebSocket does not keep
//! hyper's 8 KiB HTTP read buffer for its whole life (an `Upgraded` holds the unread rest of that
//! buffer, which pins the whole allocation).

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Buf, Bytes};
use hyper::rt::{Read, ReadBufCursor, Write};
use hyper::upgrade::Upgraded;

/// What a WebSocket runs over: the connection's own I/O when it could be taken back, else the
/// `Upgraded` itself.
pub(crate) type RawIo = Box<dyn ConnectionIo>;

/// A bidirectional byte stream hyper can serve.
pub(crate) trait ConnectionIo: Read + Write + Send + Unpin {}

impl<T: Read + Write + Send + Unpin> ConnectionIo for T {}

/// A request extension, set by [`serve_connection`](crate::serve_connection), which knows the
/// connection's I/O type: how to take that I/O back out of an `Upgraded`. Without it (the engine
/// mounted in another server) the `Upgraded` is used as it is.
#[derive(Clone, Copy)]
pub(crate) struct Unwrapper(fn(Upgraded) -> RawIo);

impl Unwrapper {
    /// The unwrapper for connections served over `I`.
    pub(crate) fn of<I: ConnectionIo + 'static>() -> Self {
        Unwrapper(unwrap::<I>)
    }
}

/// The I/O under `upgraded`, through `unwrapper` when there is one.
pub(crate) fn into_raw(upgraded: Upgraded, unwrapper: Option<Unwrapper>) -> RawIo {
    match unwrapper {
        Some(Unwrapper(unwrap)) => unwrap(upgraded),
        None => Box::new(upgraded),
    }
}

fn unwrap<I: ConnectionIo + 'static>(upgraded: Upgraded) -> RawIo {
    match upgraded.downcast::<I>() {
        Ok(parts) if parts.read_buf.is_empty() => Box::new(parts.io),
        // What the client sent right behind its upgrade request: copied, so hyper's buffer goes.
        Ok(parts) => Box::new(Rewound {
            unread: Bytes::copy_from_slice(&parts.read_buf),
            io: parts.io,
        }),
        Err(upgraded) => Box::new(upgraded),
    }
}

/// I/O whose first reads return bytes already read from it.
struct Rewound<I> {
    unread: Bytes,
    io: I,
}

impl<I: Read + Unpin> Read for Rewound<I> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        if self.unread.is_empty() {
            return Pin::new(&mut self.io).poll_read(cx, buf);
        }
        let take = self.unread.len().min(buf.remaining());
        buf.put_slice(&self.unread[..take]);
        self.unread.advance(take);
        Poll::Ready(Ok(()))
    }
}

impl<I: Write + Unpin> Write for Rewound<I> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}
