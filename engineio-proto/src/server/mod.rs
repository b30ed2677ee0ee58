//! Server side: request routing with the protocol error codes, and the per-session state machine.
