//! The stack's settings.

use core::time::Duration;

use engineio_proto::client::ClientConfig;

use crate::client::ManagerConfig;

/// Settings of a [`Stack`](super::Stack): its Engine.IO sessions', its manager's, and how long it
/// keeps driving a session it is done with.
#[derive(Clone, Debug, PartialEq)]
pub struct StackConfig {
    /// Settings of every Engine.IO session.
    pub engine: ClientConfig,
    /// Settings of the Socket.IO manager.
    pub manager: ManagerConfig,
    /// How long a session the stack closed is still driven so its close gets written (pending
    /// packets, the close POST); past it the session is dropped. Default: 5 s.
    pub retire_timeout: Duration,
    /// Most closed sessions still driven at once; a further one makes the oldest go. Default: 4.
    pub max_retiring: usize,
}

impl Default for StackConfig {
    fn default() -> Self {
        StackConfig {
            engine: ClientConfig::default(),
            manager: ManagerConfig::default(),
            retire_timeout: Duration::from_secs(5),
            max_retiring: 4,
        }
    }
}
