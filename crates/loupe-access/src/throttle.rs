//! Login throttling: after [`MAX_FAILURES`] failed logins of one user name within
//! [`WINDOW`], its logins are refused until the window of the first failure ends, right
//! password or not, so a password cannot be guessed at the speed of the network. The clock
//! is passed in: the rule is tested without waiting.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failed logins allowed in [`WINDOW`].
pub const MAX_FAILURES: u32 = 5;
/// How long failures are remembered.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);

/// Failures per user name: how many, since when.
#[derive(Default)]
pub struct LoginThrottle {
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

impl LoginThrottle {
    /// `Err(wait)` while `user` is locked out at `now`.
    pub fn check(&self, user: &str, now: Instant) -> Result<(), Duration> {
        let Ok(mut f) = self.failures.lock() else {
            return Ok(());
        };
        match f.get(user) {
            Some(&(_, since)) if now.duration_since(since) >= WINDOW => {
                f.remove(user);
                Ok(())
            }
            Some(&(n, since)) if n >= MAX_FAILURES => Err(WINDOW - now.duration_since(since)),
            _ => Ok(()),
        }
    }

    /// Records a failed login of `user` at `now`.
    pub fn failed(&self, user: &str, now: Instant) {
        if let Ok(mut f) = self.failures.lock() {
            let e = f.entry(user.to_string()).or_insert((0, now));
            if now.duration_since(e.1) >= WINDOW {
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
        t.failed("bob", t0);
        t.succeeded("bob");
        assert_eq!(
            t.failures.lock().map(|f| f.contains_key("bob")).ok(),
            Some(false)
        );
    }
}
