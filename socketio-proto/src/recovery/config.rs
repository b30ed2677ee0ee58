//! The store's settings.

use core::time::Duration;

/// Settings of a [`RecoveryStore`](super::RecoveryStore): how long a session is kept, and the bounds
/// on what it keeps.
///
/// Memory: the log holds at most [`max_packets`](Self::max_packets) packets and
/// [`max_bytes`](Self::max_bytes) bytes of them (16 MiB by default), shared by every session; each
/// disconnected session adds its rooms and data, and at most
/// [`max_packets_per_session`](Self::max_packets_per_session) /
/// [`max_bytes_per_session`](Self::max_bytes_per_session) of that log are its own backlog.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecoveryConfig {
    /// How long a disconnected session can be restored (`maxDisconnectionDuration`, default 2 min).
    /// Also how long a packet is kept when no session needs it.
    pub max_disconnection_duration: Duration,
    /// Most packets in the log (default 10 000); past it the oldest is dropped.
    pub max_packets: usize,
    /// Most bytes of packets in the log (default 16 MiB); past it the oldest are dropped.
    pub max_bytes: usize,
    /// Most packets one disconnected session may miss (default 1 000); one more drops the session.
    pub max_packets_per_session: usize,
    /// Most bytes of packets one disconnected session may miss (default 1 MiB); more drops the
    /// session.
    pub max_bytes_per_session: usize,
    /// Most disconnected sessions kept (default 10 000); past it the one disconnected longest ago
    /// is dropped.
    pub max_sessions: usize,
}

impl Default for RecoveryConfig {
    fn default() -> Self {
        RecoveryConfig {
            max_disconnection_duration: Duration::from_secs(120),
            max_packets: 10_000,
            max_bytes: 16 << 20,
            max_packets_per_session: 1_000,
            max_bytes_per_session: 1 << 20,
            max_sessions: 10_000,
        }
    }
}

impl RecoveryConfig {
    /// Sets [`max_disconnection_duration`](Self::max_disconnection_duration).
    pub fn with_max_disconnection_duration(mut self, duration: Duration) -> Self {
        self.max_disconnection_duration = duration;
        self
    }

    /// Sets [`max_packets`](Self::max_packets) and [`max_bytes`](Self::max_bytes).
    pub fn with_log_limits(mut self, packets: usize, bytes: usize) -> Self {
        self.max_packets = packets;
        self.max_bytes = bytes;
        self
    }

    /// Sets [`max_packets_per_session`](Self::max_packets_per_session) and
    /// [`max_bytes_per_session`](Self::max_bytes_per_session).
    pub fn with_session_limits(mut self, packets: usize, bytes: usize) -> Self {
        self.max_packets_per_session = packets;
        self.max_bytes_per_session = bytes;
        self
    }

    /// Sets [`max_sessions`](Self::max_sessions).
    pub fn with_max_sessions(mut self, sessions: usize) -> Self {
        self.max_sessions = sessions;
        self
    }
}
