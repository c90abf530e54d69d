//! Retry delays: capped exponential backoff with jitter. A pure function of
//! the attempt number and a random unit, so the schedule is unit-tested and
//! the worker only supplies the randomness.

use jiff::SignedDuration;

/// How long to wait before retrying a failed job.
///
/// The delay after attempt `n` (1-based) is `min(cap, base * factor^(n-1))`,
/// then shortened by up to `jitter` (a fraction) so jobs that failed together
/// (a provider outage) do not all come back in the same second. Jitter only
/// shortens, so the cap is a true upper bound.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    pub base: SignedDuration,
    pub factor: f64,
    pub cap: SignedDuration,
    /// Fraction in `[0, 1]`.
    pub jitter: f64,
}

impl Default for Backoff {
    /// 10 s, ×2, capped at 1 h, up to 25 % shorter: 10 s, 20 s, 40 s, … 1 h.
    fn default() -> Self {
        Self {
            base: SignedDuration::from_secs(10),
            factor: 2.0,
            cap: SignedDuration::from_hours(1),
            jitter: 0.25,
        }
    }
}

impl Backoff {
    /// The delay after failed attempt `attempt` (1 = the first run), with
    /// `unit` a random number in `[0, 1)` (0 gives the full delay).
    /// Millisecond precision.
    pub fn delay(&self, attempt: i32, unit: f64) -> SignedDuration {
        let exponent = attempt.saturating_sub(1).clamp(0, 1000);
        let base = self.base.as_secs_f64().max(0.0);
        let cap = self.cap.as_secs_f64().max(0.0);
        let raw = base * self.factor.max(1.0).powi(exponent);
        let capped = if raw.is_finite() { raw.min(cap) } else { cap };
        let unit = if unit.is_finite() {
            unit.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let secs = capped * (1.0 - self.jitter.clamp(0.0, 1.0) * unit);
        SignedDuration::from_millis((secs * 1000.0).round() as i64)
    }

    /// [`Backoff::delay`] with fresh randomness.
    pub fn delay_random(&self, attempt: i32) -> SignedDuration {
        self.delay(attempt, rand::random::<f64>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_from_ten_seconds_up_to_an_hour_without_jitter() {
        let b = Backoff::default();
        let secs: Vec<i64> = (1..=12).map(|n| b.delay(n, 0.0).as_secs()).collect();
        assert_eq!(
            secs,
            vec![10, 20, 40, 80, 160, 320, 640, 1280, 2560, 3600, 3600, 3600]
        );
        assert_eq!(
            b.delay(0, 0.0).as_secs(),
            10,
            "attempt 0 is treated as the first"
        );
        assert_eq!(
            b.delay(i32::MAX, 0.0).as_secs(),
            3600,
            "no overflow on huge attempts"
        );
    }

    #[test]
    fn jitter_only_shortens_and_stays_within_its_fraction() {
        let b = Backoff::default();
        for n in 1..=20 {
            let full = b.delay(n, 0.0);
            for unit in [0.0, 0.1, 0.5, 0.999_999] {
                let d = b.delay(n, unit);
                assert!(d <= full && d <= b.cap, "attempt {n} unit {unit}: {d:?}");
                assert!(
                    d.as_secs_f64() >= full.as_secs_f64() * 0.75 - 0.001,
                    "attempt {n} unit {unit}: {d:?}"
                );
            }
        }
        assert_eq!(b.delay(1, 1.0), SignedDuration::from_millis(7500));
        assert_eq!(
            b.delay(1, f64::NAN),
            SignedDuration::from_secs(10),
            "bad randomness falls back to no jitter"
        );
    }

    #[test]
    fn random_delays_vary_within_bounds() {
        let b = Backoff::default();
        for _ in 0..100 {
            let d = b.delay_random(3);
            assert!(
                d >= SignedDuration::from_secs(30) && d <= SignedDuration::from_secs(40),
                "{d:?}"
            );
        }
    }
}
