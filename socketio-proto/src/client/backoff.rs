//! Reconnection delays: the reference client's exponential backoff with jitter, and the small
//! seeded generator that draws the jitter.

use core::time::Duration;

/// A SplitMix64 generator: tiny, fast and good enough for jitter. The state machine never draws
/// randomness of its own; the runtime seeds this from its RNG, and tests seed it with a constant.
#[derive(Clone, Debug)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator starting from `seed`.
    pub const fn new(seed: u64) -> Self {
        SplitMix64 { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform value in `[0, 1)`, as `Math.random()` gives (53 random bits).
    pub fn next_f64(&mut self) -> f64 {
        const SCALE: f64 = 1.0 / (1u64 << 53) as f64;
        (self.next_u64() >> 11) as f64 * SCALE
    }
}

/// The backoff of the reference client (`backo2`): attempt `n` (counted from 0) waits
/// `min * 2^n` milliseconds, moved by a random deviation of up to `jitter` times that, then capped at
/// `max`.
///
/// With a random value `r` in `[0, 1)`: `deviation = floor(r * jitter * ms)`, subtracted when
/// `floor(r * 10)` is even and added when it is odd.
#[derive(Clone, Debug, PartialEq)]
pub struct Backoff {
    min_ms: f64,
    max_ms: f64,
    jitter: f64,
    attempts: u32,
}

impl Backoff {
    /// A backoff from `min` to `max`. A `jitter` outside `(0, 1]` (or NaN) means none, as in the
    /// reference.
    pub fn new(min: Duration, max: Duration, jitter: f64) -> Self {
        Backoff {
            min_ms: millis(min),
            max_ms: millis(max),
            jitter: if jitter > 0.0 && jitter <= 1.0 {
                jitter
            } else {
                0.0
            },
            attempts: 0,
        }
    }

    /// Delays handed out since the last reset.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The effective jitter factor (0 when disabled).
    pub fn jitter(&self) -> f64 {
        self.jitter
    }

    /// Starts over from the first attempt.
    pub fn reset(&mut self) {
        self.attempts = 0;
    }

    /// The delay before the next attempt, counting it. Draws one random value only when jitter is
    /// enabled (as the reference does), so the sequence of delays is a function of the seed.
    pub fn next_delay(&mut self, rng: &mut SplitMix64) -> Duration {
        let random = if self.jitter > 0.0 {
            rng.next_f64()
        } else {
            0.0
        };
        let delay = self.delay(self.attempts, random);
        self.attempts = self.attempts.saturating_add(1);
        delay
    }

    /// The delay of attempt `attempt` (from 0) for the random value `random` in `[0, 1)`.
    pub fn delay(&self, attempt: u32, random: f64) -> Duration {
        if self.min_ms == 0.0 {
            // `0 * 2^n` is NaN once `2^n` overflows; a zero base stays zero.
            return Duration::ZERO;
        }
        let mut ms = self.min_ms * power_of_two(attempt);
        if self.jitter > 0.0 {
            // Float to integer casts truncate toward zero (floor for these non-negative values) and
            // saturate, so no float library function is needed.
            let deviation = ((random * self.jitter * ms) as u64) as f64;
            let even = ((random * 10.0) as u64) & 1 == 0;
            ms = if even { ms - deviation } else { ms + deviation };
        }
        // `f64::min` picks `max` over a NaN, so the cap always holds.
        Duration::from_millis(ms.min(self.max_ms) as u64)
    }
}

fn millis(duration: Duration) -> f64 {
    duration.as_millis() as f64
}

/// `2^exponent`, built from its bits (`powi` is not in `core`); infinite past the `f64` range.
fn power_of_two(exponent: u32) -> f64 {
    const MAX_EXPONENT: u32 = 1023;
    if exponent > MAX_EXPONENT {
        return f64::INFINITY;
    }
    f64::from_bits(u64::from(exponent + MAX_EXPONENT) << 52)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn powers_of_two() {
        assert_eq!(power_of_two(0), 1.0);
        assert_eq!(power_of_two(10), 1024.0);
        assert_eq!(power_of_two(52), 4_503_599_627_370_496.0);
        assert!(power_of_two(1023).is_finite());
        assert_eq!(power_of_two(1024), f64::INFINITY);
    }

    #[test]
    fn random_values_stay_in_unit_interval() {
        let mut rng = SplitMix64::new(7);
        for _ in 0..10_000 {
            let value = rng.next_f64();
            assert!((0.0..1.0).contains(&value));
        }
    }
}
