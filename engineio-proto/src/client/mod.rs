//! Client side: the session state machine of an Engine.IO client.
