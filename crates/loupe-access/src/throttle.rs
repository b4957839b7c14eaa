//! Login throttling: after `max_failures` failed logins of one key (a user name, or a
//! client address) within `window`, its logins are refused until the window of the first
//! failure ends, right password or not, so a password cannot be guessed at the speed of the
//! network — neither one user's by many hosts nor many users' by one host. The clock is
//! passed in: the rule is tested without waiting.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failed logins of one user allowed in [`WINDOW`] by default.
pub const MAX_FAILURES: u32 = 5;
/// How long failures are remembered by default.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);

/// Failures per key: how many, since when.
pub struct LoginThrottle {
    failures: Mutex<HashMap<String, (u32, Instant)>>,
    max_failures: u32,
    window: Duration,
    /// Logins refused because their key was locked (`/metrics`).
    pub refused: AtomicU64,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        LoginThrottle::new(MAX_FAILURES, WINDOW)
    }
}

impl LoginThrottle {
    /// Locks a key after `max_failures` failures within `window` (0 never locks).
    pub fn new(max_failures: u32, window: Duration) -> LoginThrottle {
        LoginThrottle {
            failures: Mutex::default(),
            max_failures,
            window,
            refused: AtomicU64::new(0),
        }
    }

    /// The failures that lock a key.
    pub fn max_failures(&self) -> u32 {
        self.max_failures
    }

    /// How long failures are remembered.
    pub fn window(&self) -> Duration {
        self.window
    }

    /// `Err(wait)` while `key` is locked out at `now` (each refusal is counted).
    pub fn check(&self, key: &str, now: Instant) -> Result<(), Duration> {
        if self.max_failures == 0 {
            return Ok(());
        }
        let Ok(mut f) = self.failures.lock() else {
            return Ok(());
        };
        match f.get(key) {
            Some(&(_, since)) if now.duration_since(since) >= self.window => {
                f.remove(key);
                Ok(())
            }
            Some(&(n, since)) if n >= self.max_failures => {
                self.refused.fetch_add(1, Ordering::Relaxed);
                Err(self.window - now.duration_since(since))
            }
            _ => Ok(()),
        }
    }

    /// Records a failed login of `user` at `now`.
    pub fn failed(&self, user: &str, now: Instant) {
        if let Ok(mut f) = self.failures.lock() {
            // Forget the keys whose window ended: a host trying random names must not grow
            // the table without bound.
            if f.len() >= 100_000 {
                let window = self.window;
                f.retain(|_, (_, since)| now.duration_since(*since) < window);
            }
            let e = f.entry(user.to_string()).or_insert((0, now));
            if now.duration_since(e.1) >= self.window {
                *e = (0, now);
            }
            e.0 += 1;
        }
    }

    /// A successful login forgets the failures.
    pub fn succeeded(&self, user: &str) {
        if let Ok(mut f) = self.failures.lock() {
            f.remove(user);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_after_the_failures_until_the_window_ends() {
        let t = LoginThrottle::default();
        let t0 = Instant::now();
        for _ in 0..MAX_FAILURES {
            assert_eq!(t.check("ana", t0), Ok(()));
            t.failed("ana", t0);
        }
        assert_eq!(
            t.check("ana", t0 + Duration::from_secs(60)),
            Err(WINDOW - Duration::from_secs(60))
        );
        assert_eq!(t.check("bob", t0), Ok(()), "per user");
        assert_eq!(t.check("ana", t0 + WINDOW), Ok(()), "the window ended");
        assert_eq!(t.refused.load(Ordering::Relaxed), 1);
        t.failed("bob", t0);
        t.succeeded("bob");
        assert_eq!(
            t.failures.lock().map(|f| f.contains_key("bob")).ok(),
            Some(false)
        );
    }

    #[test]
    fn a_configured_throttle_uses_its_own_count_and_window() {
        let t = LoginThrottle::new(2, Duration::from_secs(60));
        let t0 = Instant::now();
        t.failed("10.0.0.1", t0);
        assert_eq!(t.check("10.0.0.1", t0), Ok(()));
        t.failed("10.0.0.1", t0);
        assert_eq!(t.check("10.0.0.1", t0), Err(Duration::from_secs(60)));
        assert_eq!(t.check("10.0.0.1", t0 + Duration::from_secs(60)), Ok(()));
        let never = LoginThrottle::new(0, Duration::from_secs(60));
        never.failed("x", t0);
        assert_eq!(never.check("x", t0), Ok(()));
    }
}
