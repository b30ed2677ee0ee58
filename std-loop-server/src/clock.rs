//! The machines' time. They never read a clock: the loop reads this one once per turn and hands the
//! reading to every input of that turn.

use engineio_proto::Instant;

/// Microseconds on the standard library's monotonic clock since the server started.
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    origin: std::time::Instant,
}

impl Clock {
    /// A clock whose origin is now.
    pub fn start() -> Self {
        Clock {
            origin: std::time::Instant::now(),
        }
    }

    /// The current reading, as the machines count time.
    pub fn now(&self) -> Instant {
        let elapsed = self.origin.elapsed().as_micros();
        Instant::from_micros(u64::try_from(elapsed).unwrap_or(u64::MAX))
    }
}
