//! `std-loop-server [ADDRESS]`: the echo on `http://ADDRESS/socket.io/` (default `127.0.0.1:3000`;
//! port 0 picks a free one). Prints `listening on http://<address>/socket.io/`, then one line per
//! session and socket event.

use std::process::ExitCode;

use std_loop_server::{Server, echo};

fn main() -> ExitCode {
    let address = std::env::args()
        .nth(1)
        .unwrap_or_else(|| String::from("127.0.0.1:3000"));
    let config = echo::config();
    let path = config.path.clone();
    let mut server = match Server::bind(&address, config) {
        Ok(server) => server,
        Err(error) => {
            eprintln!("std-loop-server: cannot listen on {address}: {error}");
            return ExitCode::FAILURE;
        }
    };
    match server.local_addr() {
        Ok(local) => println!("listening on http://{local}{path}"),
        Err(error) => {
            eprintln!("std-loop-server: {error}");
            return ExitCode::FAILURE;
        }
    }
    server.run()
}
