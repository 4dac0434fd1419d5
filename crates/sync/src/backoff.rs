//! Exponential backoff with full jitter that never gives up: the delay doubles up to a cap and
//! stays there, for as long as it takes.

use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Backoff {
    base: Duration,
    cap: Duration,
    attempt: u32,
}

impl Backoff {
    pub fn new(base: Duration, cap: Duration) -> Backoff {
        Backoff { base, cap: cap.max(base), attempt: 0 }
    }

    /// The next delay: uniformly between half and all of `min(cap, base * 2^attempt)`, using
    /// `random` (any u64) for the jitter so that callers and tests choose the source.
    pub fn next(&mut self, random: u64) -> Duration {
        let exp = self.base.saturating_mul(1u32 << self.attempt.min(20)).min(self.cap);
        self.attempt = self.attempt.saturating_add(1);
        let half = exp / 2;
        let span = (exp - half).as_millis().max(1) as u64;
        half + Duration::from_millis(random % span)
    }

    pub fn reset(&mut self) {
        self.attempt = 0;
    }

    pub fn attempts(&self) -> u32 {
        self.attempt
    }
}

/// A random u64 from the OS.
pub fn os_random() -> u64 {
    use ring::rand::SecureRandom;
    let mut b = [0u8; 8];
    let _ = ring::rand::SystemRandom::new().fill(&mut b);
    u64::from_le_bytes(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rl_07_backoff_grows_with_jitter_caps_and_never_gives_up() {
        let mut b = Backoff::new(Duration::from_secs(1), Duration::from_secs(300));
        let mut prev_max = Duration::ZERO;
        let mut seed = 7u64;
        for i in 0..10_000 {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let d = b.next(seed >> 11);
            let exp = Duration::from_secs(1).saturating_mul(1u32 << i.min(20)).min(Duration::from_secs(300));
            assert!(d >= exp / 2 && d <= exp, "attempt {i}: {d:?} outside [{:?}, {exp:?}]", exp / 2);
            prev_max = prev_max.max(d);
        }
        assert!(prev_max > Duration::from_secs(150), "reaches the cap");
        assert_eq!(b.attempts(), 10_000, "still retrying after 10,000 attempts");
        b.reset();
        assert!(b.next(0) <= Duration::from_secs(1));
    }

    #[test]
    fn jitter_spreads_the_delays() {
        let delays: std::collections::BTreeSet<u128> = (0..50u64)
            .map(|r| {
                let mut b = Backoff::new(Duration::from_secs(8), Duration::from_secs(60));
                b.next(r.wrapping_mul(2654435761)).as_millis()
            })
            .collect();
        assert!(delays.len() > 40, "{} distinct delays", delays.len());
    }
}
