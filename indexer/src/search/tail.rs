//! Live tail: which events of a repeated search are new. Each poll asks for the events
//! *indexed* in the last [`TailCursor::lookback`] (`_indextime`, whatever their own timestamp,
//! so a line a forwarder ships late with yesterday's time still shows), and the cursor
//! remembers what it already gave (a fingerprint per event, forgotten once the poll that first
//! saw it is older than the look-back, when no later poll can return it again): an event shows
//! once, and never twice.

use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};

pub type Row = serde_json::Map<String, serde_json::Value>;

/// Most fingerprints kept: with a bounded batch per poll this is never reached in practice,
/// and it bounds the memory of a tail whatever the events' timestamps.
const MAX_SEEN: usize = 200_000;

#[derive(Debug)]
pub struct TailCursor {
    /// How far back in index time each poll looks, in nanoseconds: longer than the time
    /// between an event's indexing and its commit, plus a poll.
    pub lookback: i64,
    seen: HashMap<u64, i64>,
}

fn fingerprint(r: &Row) -> u64 {
    let mut h = DefaultHasher::new();
    for k in ["_time", "_raw", "host", "source", "index"] {
        r.get(k).map(|v| v.to_string()).hash(&mut h);
    }
    h.finish()
}

impl TailCursor {
    pub fn new(lookback: std::time::Duration) -> TailCursor {
        TailCursor {
            lookback: i64::try_from(lookback.as_nanos()).unwrap_or(i64::MAX),
            seen: HashMap::new(),
        }
    }

    /// The earliest index time (epoch seconds, `_index_earliest`) the poll at `now_ns`
    /// searches; seconds since `_indextime` is kept in seconds.
    pub fn index_earliest(&self, now_ns: i64) -> i64 {
        now_ns
            .saturating_sub(self.lookback)
            .div_euclid(1_000_000_000)
    }

    /// Of a poll's rows (newest first, as searches answer), those not given before, oldest
    /// first. A fingerprint is kept for one look-back (plus a second of `_indextime`
    /// rounding) after the poll that first saw it: an event indexed at `i` is returned by polls
    /// up to `i + lookback`, and first seen at or after `i`.
    pub fn admit(&mut self, rows: Vec<Row>, now_ns: i64) -> Vec<Row> {
        let cutoff = now_ns
            .saturating_sub(self.lookback)
            .saturating_sub(1_000_000_000);
        self.seen.retain(|_, seen_at| *seen_at >= cutoff);
        let mut fresh = Vec::new();
        for r in rows.into_iter().rev() {
            let key = fingerprint(&r);
            if self.seen.contains_key(&key) {
                continue;
            }
            if self.seen.len() < MAX_SEEN {
                self.seen.insert(key, now_ns);
            }
            fresh.push(r);
        }
        fresh
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(time: &str, raw: &str) -> Row {
        let v = serde_json::json!({"_time": time, "_raw": raw, "host": "h", "source": "s"});
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn an_event_is_given_once_oldest_first() {
        let now = 1_767_225_600_000_000_000;
        let mut c = TailCursor::new(std::time::Duration::from_secs(60));
        let a = row("2026-01-01T00:00:00Z", "a");
        let b = row("2025-12-31T23:59:59Z", "b");
        let got = c.admit(vec![a.clone(), b.clone()], now);
        assert_eq!(got, vec![b.clone(), a.clone()]);
        // A later poll finds them again, and one that was indexed late.
        let late = row("2025-12-31T23:59:58Z", "late");
        assert_eq!(c.admit(vec![a, b, late.clone()], now + 1), vec![late]);
    }

    #[test]
    fn fingerprints_older_than_the_look_back_are_forgotten() {
        let now = 1_767_225_600_000_000_000;
        let mut c = TailCursor::new(std::time::Duration::from_secs(60));
        c.admit(vec![row("2026-01-01T00:00:00Z", "a")], now);
        c.admit(Vec::new(), now + 60_000_000_000);
        assert_eq!(
            c.seen.len(),
            1,
            "still returned by a poll a look-back later"
        );
        c.admit(Vec::new(), now + 62_000_000_000);
        assert!(c.seen.is_empty());
        assert_eq!(c.index_earliest(now), now / 1_000_000_000 - 60);
    }

    #[test]
    fn an_old_timestamp_is_remembered_by_when_it_was_seen() {
        // An event stamped a year ago, indexed now: a second poll must not give it again.
        let now = 1_767_225_600_000_000_000;
        let mut c = TailCursor::new(std::time::Duration::from_secs(60));
        let old = row("2025-01-01T00:00:00Z", "old");
        assert_eq!(c.admit(vec![old.clone()], now), vec![old.clone()]);
        assert!(c.admit(vec![old], now + 1_000_000_000).is_empty());
    }
}
