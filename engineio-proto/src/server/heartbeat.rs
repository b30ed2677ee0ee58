//! The heartbeat as the server runs it. Revision 4: ping every interval, give up when nothing comes
//! back. Revision 3: the client pings; give up when nothing at all comes for `interval + timeout`.

use core::time::Duration;

use crate::time::Instant;

/// What the heartbeat wants done at a deadline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Beat {
    /// Nothing yet.
    Wait,
    /// Send a ping now.
    Ping,
    /// The client is gone: close with `ping timeout`.
    TimedOut,
}

#[derive(Clone, Copy, Debug)]
enum Phase {
    /// The next ping is due at this instant.
    Idle { ping_at: Instant },
    /// A ping is out; the client is given up on at this instant unless something arrives.
    AwaitingPong { give_up_at: Instant },
}

/// Ping schedule and pong watchdog.
///
/// As in the current reference (`checkPingTimeout`), any packet received counts as a sign of life:
/// when the pong deadline is reached, the wait is extended to `ping_timeout` after the last packet.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Heartbeat {
    interval: Duration,
    timeout: Duration,
    phase: Phase,
    last_packet: Instant,
}

impl Heartbeat {
    pub(crate) fn new(now: Instant, interval: Duration, timeout: Duration) -> Self {
        Heartbeat {
            interval,
            timeout,
            phase: Phase::Idle {
                ping_at: now + interval,
            },
            last_packet: now,
        }
    }

    pub(crate) fn deadline(&self) -> Instant {
        match self.phase {
            Phase::Idle { ping_at } => ping_at,
            Phase::AwaitingPong { give_up_at } => give_up_at,
        }
    }

    /// Any packet from the client.
    pub(crate) fn on_packet(&mut self, now: Instant) {
        self.last_packet = now;
    }

    /// A pong, solicited or not, restarts the ping interval from now (the reference refreshes its
    /// interval timer).
    pub(crate) fn on_pong(&mut self, now: Instant) {
        self.phase = Phase::Idle {
            ping_at: now + self.interval,
        };
    }

    pub(crate) fn on_timeout(&mut self, now: Instant) -> Beat {
        match self.phase {
            Phase::Idle { ping_at } if now >= ping_at => {
                self.phase = Phase::AwaitingPong {
                    give_up_at: now + self.timeout,
                };
                Beat::Ping
            }
            Phase::AwaitingPong { give_up_at } if now >= give_up_at => {
                let extended = self.last_packet + self.timeout;
                if now < extended {
                    self.phase = Phase::AwaitingPong {
                        give_up_at: extended,
                    };
                    Beat::Wait
                } else {
                    Beat::TimedOut
                }
            }
            _ => Beat::Wait,
        }
    }
}

/// Revision 3's watchdog: any packet from the client, its pings included, keeps the session alive for
/// `ping_interval + ping_timeout` (the reference's `setPingTimeout`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Watchdog {
    window: Duration,
    give_up_at: Instant,
}

impl Watchdog {
    pub(crate) fn new(now: Instant, window: Duration) -> Self {
        Watchdog {
            window,
            give_up_at: now + window,
        }
    }

    pub(crate) fn on_packet(&mut self, now: Instant) {
        self.give_up_at = now + self.window;
    }

    pub(crate) fn on_timeout(&self, now: Instant) -> Beat {
        if now >= self.give_up_at {
            Beat::TimedOut
        } else {
            Beat::Wait
        }
    }
}

/// What keeps a session alive, by protocol revision.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Liveness {
    /// Revision 4: the server pings.
    ServerPings(Heartbeat),
    /// Revision 3: the client pings.
    ClientPings(Watchdog),
}

impl Liveness {
    pub(crate) fn new(
        now: Instant,
        interval: Duration,
        timeout: Duration,
        client_pings: bool,
    ) -> Self {
        if client_pings {
            Liveness::ClientPings(Watchdog::new(now, interval + timeout))
        } else {
            Liveness::ServerPings(Heartbeat::new(now, interval, timeout))
        }
    }

    pub(crate) fn deadline(&self) -> Instant {
        match self {
            Liveness::ServerPings(heartbeat) => heartbeat.deadline(),
            Liveness::ClientPings(watchdog) => watchdog.give_up_at,
        }
    }

    /// Any packet from the client.
    pub(crate) fn on_packet(&mut self, now: Instant) {
        match self {
            Liveness::ServerPings(heartbeat) => heartbeat.on_packet(now),
            Liveness::ClientPings(watchdog) => watchdog.on_packet(now),
        }
    }

    /// A pong from the client (only revision 4 expects one).
    pub(crate) fn on_pong(&mut self, now: Instant) {
        if let Liveness::ServerPings(heartbeat) = self {
            heartbeat.on_pong(now);
        }
    }

    pub(crate) fn on_timeout(&mut self, now: Instant) -> Beat {
        match self {
            Liveness::ServerPings(heartbeat) => heartbeat.on_timeout(now),
            Liveness::ClientPings(watchdog) => watchdog.on_timeout(now),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: u64) -> Instant {
        Instant::from_millis(ms)
    }

    fn heartbeat() -> Heartbeat {
        Heartbeat::new(at(0), Duration::from_secs(25), Duration::from_secs(20))
    }

    #[test]
    fn pings_then_times_out_without_pong() {
        let mut heartbeat = heartbeat();
        assert_eq!(heartbeat.on_timeout(at(24_999)), Beat::Wait);
        assert_eq!(heartbeat.on_timeout(at(25_000)), Beat::Ping);
        assert_eq!(heartbeat.deadline(), at(45_000));
        assert_eq!(heartbeat.on_timeout(at(44_999)), Beat::Wait);
        assert_eq!(heartbeat.on_timeout(at(45_000)), Beat::TimedOut);
    }

    #[test]
    fn any_packet_extends_the_wait() {
        let mut heartbeat = heartbeat();
        assert_eq!(heartbeat.on_timeout(at(25_000)), Beat::Ping);
        heartbeat.on_packet(at(30_000));
        assert_eq!(heartbeat.on_timeout(at(45_000)), Beat::Wait);
        assert_eq!(heartbeat.deadline(), at(50_000));
        assert_eq!(heartbeat.on_timeout(at(50_000)), Beat::TimedOut);
    }

    #[test]
    fn revision_3_waits_interval_plus_timeout_after_any_packet() {
        let mut liveness =
            Liveness::new(at(0), Duration::from_secs(25), Duration::from_secs(5), true);
        assert_eq!(liveness.deadline(), at(30_000));
        assert_eq!(liveness.on_timeout(at(29_999)), Beat::Wait);
        liveness.on_packet(at(10_000));
        assert_eq!(liveness.deadline(), at(40_000));
        assert_eq!(liveness.on_timeout(at(39_999)), Beat::Wait);
        assert_eq!(liveness.on_timeout(at(40_000)), Beat::TimedOut);
    }

    #[test]
    fn pong_restarts_the_interval() {
        let mut heartbeat = heartbeat();
        assert_eq!(heartbeat.on_timeout(at(25_000)), Beat::Ping);
        heartbeat.on_pong(at(26_000));
        assert_eq!(heartbeat.deadline(), at(51_000));
    }
}
