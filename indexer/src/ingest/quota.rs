//! Per-token ingest rate limits (`[[tokens]] max_events_per_second`): one runaway sender
//! (a debug log left on, a loop) cannot fill the disk or starve the others. A token bucket
//! per token, one second deep; a batch is taken whole when the bucket is not in debt, so a
//! batch larger than a second's worth still passes once and the sender then waits for the
//! debt to be paid back, which `Retry-After` tells it.

use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// The buckets of the tokens that have a limit.
#[derive(Default)]
pub struct IngestQuota {
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
    /// Batches refused with 429 (`/metrics`).
    pub throttled: AtomicU64,
    /// Batches refused because their token may not write an event's sourcetype (`/metrics`).
    pub sourcetype_refused: AtomicU64,
}

impl IngestQuota {
    /// Takes `events` from `token`'s bucket refilled at `rate` per second; `Err(seconds)` to
    /// wait before the next batch is taken.
    pub fn take(&self, token: &str, rate: u32, events: usize) -> Result<(), u64> {
        let rate = f64::from(rate.max(1));
        let now = Instant::now();
        let mut buckets = self.buckets.lock();
        let (level, last) = buckets.entry(token.to_string()).or_insert((rate, now));
        *level = (*level + now.duration_since(*last).as_secs_f64() * rate).min(rate);
        *last = now;
        if *level < 0.0 {
            self.throttled.fetch_add(1, Ordering::Relaxed);
            return Err((-*level / rate).ceil().max(1.0) as u64);
        }
        *level -= events as f64;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_batch_in_debt_waits_for_the_debt() {
        let q = super::IngestQuota::default();
        assert_eq!(
            q.take("t", 5, 100),
            Ok(()),
            "a full bucket takes a large batch"
        );
        // 95 events of debt at 5/s: about 19 s (less what elapsed since).
        let wait = q.take("t", 5, 1).unwrap_err();
        assert!((1..=19).contains(&wait), "{wait}");
        assert_eq!(
            q.take("other", 5, 1),
            Ok(()),
            "each token has its own bucket"
        );
        assert_eq!(q.throttled.load(std::sync::atomic::Ordering::Relaxed), 1);
    }
}
