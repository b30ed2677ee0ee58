//! The server's clock: `std::time::Instant` mapped onto the protocol's microsecond [`Instant`].

use engineio_proto::Instant;

/// Maps the monotonic system clock onto [`engineio_proto::Instant`]: microseconds since the clock was
/// made (the server's start).
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    origin: std::time::Instant,
}

impl Clock {
    /// A clock whose origin is now.
    pub fn new() -> Self {
        Clock {
            origin: std::time::Instant::now(),
        }
    }

    /// The current time.
    pub fn now(&self) -> Instant {
        self.from_std(std::time::Instant::now())
    }

    /// The protocol instant of a system instant (the origin if it is earlier).
    pub fn from_std(&self, instant: std::time::Instant) -> Instant {
        let micros = instant.saturating_duration_since(self.origin).as_micros();
        Instant::from_micros(u64::try_from(micros).unwrap_or(u64::MAX))
    }

    /// The system instant of a protocol instant, to sleep until it. Waking at the result, [`Clock::now`]
    /// has reached `instant` (both sides count whole microseconds from the same origin).
    pub fn to_std(&self, instant: Instant) -> std::time::Instant {
        let offset = std::time::Duration::from_micros(instant.as_micros());
        // A deadline too far away to represent is as good as never: cap it a year out.
        self.origin
            .checked_add(offset)
            .unwrap_or_else(|| std::time::Instant::now() + YEAR)
    }
}

const YEAR: std::time::Duration = std::time::Duration::from_secs(365 * 24 * 3600);

impl Default for Clock {
    fn default() -> Self {
        Clock::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_std() {
        let clock = Clock::new();
        let later = Instant::from_millis(1500);
        assert_eq!(clock.from_std(clock.to_std(later)), later);
        assert!(clock.now() < Instant::from_millis(60_000));
    }
}
