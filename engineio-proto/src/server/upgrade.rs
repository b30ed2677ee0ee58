//! The WebSocket probe of a polling session: `2probe` / `3probe`, then `5` to switch.

use core::time::Duration;

use crate::packet::{Frame, PROBE, Packet};
use crate::time::Instant;

/// While a probe is under way, how often a held GET is released with `noop` so the client's paused
/// polling loop can finish (the reference's check interval).
pub(crate) const FORCED_POLL_INTERVAL: Duration = Duration::from_millis(100);

/// What a frame on the probe socket means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ProbeFrame {
    /// `2probe`: answer `3probe` and force a polling cycle.
    Probe,
    /// `5`: switch the session to this socket.
    Upgrade,
    /// Anything else, undecodable or oversized: the upgrade fails.
    Unexpected,
}

impl ProbeFrame {
    pub(crate) fn classify(frame: Frame, max_payload: usize) -> ProbeFrame {
        if frame.len() > max_payload {
            return ProbeFrame::Unexpected;
        }
        match Packet::from_frame(frame) {
            Ok(Packet::Ping(data)) if data == PROBE => ProbeFrame::Probe,
            Ok(Packet::Upgrade) => ProbeFrame::Upgrade,
            _ => ProbeFrame::Unexpected,
        }
    }
}

/// What a probe's timers call for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ProbeTimer {
    /// Nothing yet.
    Wait,
    /// Release a held GET with `noop`.
    ForcePoll,
    /// `upgrade_timeout` passed: close the probe.
    Expired,
}

/// A WebSocket probing to take over a polling session.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Probe {
    give_up_at: Instant,
    /// Set once `2probe` was answered.
    force_poll_at: Option<Instant>,
}

impl Probe {
    pub(crate) fn new(now: Instant, upgrade_timeout: Duration) -> Self {
        Probe {
            give_up_at: now + upgrade_timeout,
            force_poll_at: None,
        }
    }

    /// `2probe` was answered, and a held GET released at `now`.
    pub(crate) fn on_probe(&mut self, now: Instant) {
        self.force_poll_at = Some(now + FORCED_POLL_INTERVAL);
    }

    pub(crate) fn deadline(&self) -> Instant {
        match self.force_poll_at {
            Some(at) => at.min(self.give_up_at),
            None => self.give_up_at,
        }
    }

    pub(crate) fn on_timeout(&mut self, now: Instant) -> ProbeTimer {
        if now >= self.give_up_at {
            return ProbeTimer::Expired;
        }
        match self.force_poll_at {
            Some(at) if now >= at => {
                self.force_poll_at = Some(now + FORCED_POLL_INTERVAL);
                ProbeTimer::ForcePoll
            }
            _ => ProbeTimer::Wait,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::utf8::Utf8Bytes;

    fn text(s: &'static str) -> Frame {
        Frame::Text(Utf8Bytes::from_static(s))
    }

    #[test]
    fn classifies_probe_frames() {
        assert_eq!(ProbeFrame::classify(text("2probe"), 100), ProbeFrame::Probe);
        assert_eq!(ProbeFrame::classify(text("5"), 100), ProbeFrame::Upgrade);
        assert_eq!(ProbeFrame::classify(text("2"), 100), ProbeFrame::Unexpected);
        assert_eq!(
            ProbeFrame::classify(text("4probe"), 100),
            ProbeFrame::Unexpected
        );
        assert_eq!(ProbeFrame::classify(text("9"), 100), ProbeFrame::Unexpected);
        assert_eq!(
            ProbeFrame::classify(text("2probe"), 5),
            ProbeFrame::Unexpected
        );
    }

    #[test]
    fn forces_polls_every_interval_until_the_timeout() {
        let at = Instant::from_millis;
        let mut probe = Probe::new(at(0), Duration::from_millis(250));
        assert_eq!(probe.deadline(), at(250));
        probe.on_probe(at(10));
        assert_eq!(probe.deadline(), at(110));
        assert_eq!(probe.on_timeout(at(109)), ProbeTimer::Wait);
        assert_eq!(probe.on_timeout(at(110)), ProbeTimer::ForcePoll);
        assert_eq!(probe.deadline(), at(210));
        assert_eq!(probe.on_timeout(at(210)), ProbeTimer::ForcePoll);
        assert_eq!(probe.deadline(), at(250));
        assert_eq!(probe.on_timeout(at(250)), ProbeTimer::Expired);
    }
}
