//! The benchmark server's application: the load generators measure round trips with `echo` and
//! fan-out with `broadcast`.

use std::sync::Arc;

use crate::EventArgs;
use socketio_runtime::Runtime;
use socketio_server::{PacketFormat, SocketIo, SocketIoConfig};

/// A Socket.IO server on `/socket.io/` with the reference's defaults and [`install`]'s handlers.
pub fn socket_io(runtime: Arc<dyn Runtime>) -> SocketIo {
    socket_io_with(runtime, PacketFormat::Json)
}

/// [`socket_io`] whose clients speak `parser`.
pub fn socket_io_with(runtime: Arc<dyn Runtime>, parser: PacketFormat) -> SocketIo {
    let config = SocketIoConfig::default().with_parser(parser);
    let io = SocketIo::builder(runtime).config(config).build();
    install(&io);
    io
}

/// Installs the benchmark handlers on the main namespace of `io`: `echo` is acknowledged with its
/// arguments; `broadcast` sends its arguments as `bcast` to every socket of `/` (the sender
/// included), encoded once.
pub fn install(io: &SocketIo) {
    let everyone = io.clone();
    io.on_connection(move |socket| {
        socket.on_raw("echo", |_, payload, ack| {
            if let (Some(ack), Ok(args)) = (ack, EventArgs::from_event(payload)) {
                let _ = ack.send(&args);
            }
        });
        let everyone = everyone.clone();
        socket.on_raw("broadcast", move |_, payload, _| {
            if let Ok(args) = EventArgs::from_event(payload) {
                let _ = everyone.emit("bcast", &args);
            }
        });
    });
}
