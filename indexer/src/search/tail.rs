//! Live tail: which events of a repeated search are new. The index keeps no arrival time, so
//! each poll searches the last [`TailCursor::lookback`] of event time again and the cursor
//! remembers what it already gave (a fingerprint per event, forgotten once older than the
//! look-back): an event indexed a little after its own timestamp (forwarder lag, commit
//! interval) still shows once, and never twice. An event stamped older than the look-back when
//! it arrives is not shown.

use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};

pub type Row = serde_json::Map<String, serde_json::Value>;

/// Most fingerprints kept: with a bounded batch per poll this is never reached in practice,
/// and it bounds the memory of a tail whatever the events' timestamps.
const MAX_SEEN: usize = 200_000;

#[derive(Debug)]
pub struct TailCursor {
    /// How far back in event time each poll looks, in nanoseconds.
    pub lookback: i64,
    seen: HashMap<u64, i64>,
}

/// The `_time` of a result row in nanoseconds (rows carry it as RFC 3339).
pub fn row_time_ns(r: &Row) -> Option<i64> {
    let t: jiff::Timestamp = r.get("_time")?.as_str()?.parse().ok()?;
    i64::try_from(t.as_nanosecond()).ok()
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

    /// The earliest event time the next poll at `now_ns` searches.
    pub fn earliest(&self, now_ns: i64) -> i64 {
        now_ns.saturating_sub(self.lookback)
    }

    /// Of a poll's rows (newest first, as searches answer), those not given before, oldest
    /// first; fingerprints older than the look-back are forgotten.
    pub fn admit(&mut self, rows: Vec<Row>, now_ns: i64) -> Vec<Row> {
        let cutoff = self.earliest(now_ns);
        self.seen.retain(|_, t| *t >= cutoff);
        let mut fresh = Vec::new();
        for r in rows.into_iter().rev() {
            let t = row_time_ns(&r).unwrap_or(now_ns);
            let key = fingerprint(&r);
            if self.seen.contains_key(&key) {
                continue;
            }
            if self.seen.len() < MAX_SEEN {
                self.seen.insert(key, t);
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
        c.admit(Vec::new(), now + 61_000_000_000);
        assert!(c.seen.is_empty());
        assert_eq!(c.earliest(now), now - 60_000_000_000);
    }
}
