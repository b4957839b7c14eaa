//! The audit trail's hash chain: every audit event carries its sequence number, the hash
//! of the event before it and its own hash, so removing, inserting, reordering or editing
//! an event breaks the chain at that event (the CNIL asks that traces be protected against
//! modification *and* that a modification be detected).
//!
//! An event's hash is SHA-256 over the previous hash and the event's canonical JSON
//! (keys sorted, `hash` left out), so it does not depend on how the JSON was spaced or
//! ordered when it was stored and read back.

use crate::token::hex;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// The `prev` of the first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Where the chain stands: the last sequence number and hash written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chain {
    pub seq: u64,
    pub last: String,
}

impl Default for Chain {
    fn default() -> Self {
        Chain {
            seq: 0,
            last: GENESIS.to_string(),
        }
    }
}

impl Chain {
    /// Links `event` after the last one: sets `seq`, `prev` and `hash`, and moves on.
    pub fn seal(&mut self, mut event: Map<String, Value>) -> Map<String, Value> {
        event.remove("hash");
        event.insert("seq".into(), Value::from(self.seq + 1));
        event.insert("prev".into(), Value::String(self.last.clone()));
        let hash = event_hash(&self.last, &event);
        event.insert("hash".into(), Value::String(hash.clone()));
        self.seq += 1;
        self.last = hash;
        event
    }
}

/// SHA-256 of `prev` and the canonical JSON of `event` without its `hash`.
pub fn event_hash(prev: &str, event: &Map<String, Value>) -> String {
    let mut h = Sha256::new();
    h.update(prev.as_bytes());
    h.update(b"\n");
    let mut body = event.clone();
    body.remove("hash");
    h.update(canonical(&Value::Object(body)).as_bytes());
    hex(&h.finalize())
}

/// JSON with object keys sorted at every depth.
fn canonical(v: &Value) -> String {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let parts: Vec<String> = keys
                .into_iter()
                .map(|k| format!("{}:{}", Value::String(k.clone()), canonical(&m[k])))
                .collect();
            format!("{{{}}}", parts.join(","))
        }
        Value::Array(a) => format!(
            "[{}]",
            a.iter().map(canonical).collect::<Vec<_>>().join(",")
        ),
        other => other.to_string(),
    }
}

/// The first place the chain is broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("audit chain broken at event {seq}: {reason}")]
pub struct Broken {
    pub seq: u64,
    pub reason: String,
}

/// The `action` of the audit event retention seals after deleting the oldest `_audit`
/// buckets: its `through_seq` and `through_hash` say where the kept trail starts.
pub const RETENTION_ACTION: &str = "audit_retention";

/// Where the kept trail starts once retention removed its oldest events: every event up to
/// `seq` is gone (or about to go) by design, and event `seq + 1` must follow `hash`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Floor {
    pub seq: u64,
    pub hash: String,
}

impl Floor {
    /// The floor an event of [`RETENTION_ACTION`] records, if it is one.
    pub fn of_event(event: &Map<String, Value>) -> Option<Floor> {
        if event.get("action").and_then(Value::as_str) != Some(RETENTION_ACTION) {
            return None;
        }
        Some(Floor {
            seq: event.get("through_seq").and_then(Value::as_u64)?,
            hash: event
                .get("through_hash")
                .and_then(Value::as_str)?
                .to_string(),
        })
    }
}

/// What a check found intact: events `first..=last` (`first` is 1 unless retention removed
/// the oldest ones).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Intact {
    pub first: u64,
    pub last: u64,
}

impl Intact {
    pub fn checked(&self) -> u64 {
        (self.last + 1).saturating_sub(self.first)
    }
}

/// Checks events (in any order): each present once from the start, each `prev` the hash
/// before it, each `hash` its own. `expected_last` (the chain head the server recorded
/// apart from the events) also catches events cut off the end.
///
/// The start is sequence 1 unless retention removed the oldest events: then it is the
/// highest floor among the [`RETENTION_ACTION`] events (themselves links of the chain, so
/// checked like any other; a floor cannot be forged without rewriting every event after it)
/// and `pending`, the floor of a retention whose event is not sealed yet. Events at or below
/// the floor are not checked: retention has taken, or is about to take, them.
pub fn verify(
    events: impl IntoIterator<Item = Map<String, Value>>,
    expected_last: Option<u64>,
    pending: Option<Floor>,
) -> Result<Intact, Broken> {
    let mut by_seq: std::collections::BTreeMap<u64, Vec<Map<String, Value>>> = Default::default();
    let mut floor = pending;
    for e in events {
        let Some(seq) = e.get("seq").and_then(Value::as_u64) else {
            return Err(Broken {
                seq: 0,
                reason: "an event of _audit has no sequence number (not written by the auditor)"
                    .into(),
            });
        };
        // A retention event always follows what it removed.
        if let Some(f) = Floor::of_event(&e).filter(|f| f.seq < seq) {
            if floor.as_ref().is_none_or(|old| f.seq > old.seq) {
                floor = Some(f);
            }
        }
        by_seq.entry(seq).or_default().push(e);
    }
    let (mut want, mut prev) = match &floor {
        Some(f) => (f.seq + 1, f.hash.clone()),
        None => (1, GENESIS.to_string()),
    };
    let first = want;
    for (seq, copies) in by_seq.range(first..) {
        let seq = *seq;
        if seq != want {
            return Err(Broken {
                seq: want,
                reason: "missing (removed)".into(),
            });
        }
        if copies.len() > 1 {
            return Err(Broken {
                seq,
                reason: format!(
                    "{} events carry this sequence number (one was added)",
                    copies.len()
                ),
            });
        }
        let e = &copies[0];
        if e.get("prev").and_then(Value::as_str) != Some(prev.as_str()) {
            return Err(Broken {
                seq,
                reason: "does not follow the event before it (prev hash differs)".into(),
            });
        }
        let hash = event_hash(&prev, e);
        if e.get("hash").and_then(Value::as_str) != Some(hash.as_str()) {
            return Err(Broken {
                seq,
                reason: "its content was changed (hash differs)".into(),
            });
        }
        prev = hash;
        want += 1;
    }
    let last = want - 1;
    if let Some(head) = expected_last {
        if last < head {
            return Err(Broken {
                seq: last + 1,
                reason: format!("missing: the server wrote {head} events, {last} remain"),
            });
        }
    }
    Ok(Intact { first, last })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn chain(n: usize) -> Vec<Map<String, Value>> {
        let mut c = Chain::default();
        (0..n)
            .map(|i| {
                let Value::Object(m) =
                    json!({"action": "search", "user": "ana", "query": format!("q{i}")})
                else {
                    unreachable!()
                };
                c.seal(m)
            })
            .collect()
    }

    #[test]
    fn intact_chain_verifies_in_any_order() {
        let mut events = chain(5);
        events.reverse();
        assert_eq!(
            verify(events, Some(5), None),
            Ok(Intact { first: 1, last: 5 })
        );
    }

    #[test]
    fn each_tampering_names_its_event() {
        let mut edited = chain(5);
        edited[2].insert("query".into(), json!("innocent"));
        assert_eq!(verify(edited, None, None).unwrap_err().seq, 3);

        let mut removed = chain(5);
        removed.remove(1);
        assert_eq!(verify(removed, None, None).unwrap_err().seq, 2);

        let mut cut = chain(5);
        cut.pop();
        assert_eq!(verify(cut.clone(), None, None).map(|i| i.last), Ok(4));
        assert_eq!(verify(cut, Some(5), None).unwrap_err().seq, 5);

        let mut added = chain(5);
        let mut forged = added[3].clone();
        forged.insert("user".into(), json!("mallory"));
        added.push(forged);
        assert_eq!(verify(added, None, None).unwrap_err().seq, 4);

        // Rehashing an edited event does not help: the next one no longer follows it.
        let mut rehashed = chain(5);
        rehashed[1].insert("query".into(), json!("innocent"));
        let h = event_hash(GENESIS, &rehashed[0]);
        let h2 = event_hash(&h, &rehashed[1]);
        rehashed[1].insert("hash".into(), json!(h2));
        assert_eq!(verify(rehashed, None, None).unwrap_err().seq, 3);
    }

    /// Six events, the fifth sealed by retention after it removed the first two.
    fn chain_with_retention() -> Vec<Map<String, Value>> {
        let mut c = Chain::default();
        let mut out: Vec<Map<String, Value>> = Vec::new();
        for i in 0..6 {
            let body = if i == 4 {
                json!({"action": RETENTION_ACTION, "user": "system:retention",
                       "through_seq": 2, "through_hash": out[1]["hash"].clone()})
            } else {
                json!({"action": "search", "user": "ana", "query": format!("q{i}")})
            };
            let Value::Object(m) = body else {
                unreachable!()
            };
            let sealed = c.seal(m);
            out.push(sealed);
        }
        out
    }

    #[test]
    fn retention_moves_the_start_of_the_chain() {
        let kept: Vec<_> = chain_with_retention().into_iter().skip(2).collect();
        assert_eq!(
            verify(kept.clone(), Some(6), None),
            Ok(Intact { first: 3, last: 6 })
        );
        // Not yet removed (a crash between the retention event and the deletion): fine too.
        assert_eq!(
            verify(chain_with_retention(), Some(6), None),
            Ok(Intact { first: 3, last: 6 })
        );
        // Retention took 1 and 2, not 3.
        let mut more = kept.clone();
        more.remove(0);
        assert_eq!(verify(more, Some(6), None).unwrap_err().seq, 3);
        // Without its retention event the gap is a removal again.
        let mut no_anchor = kept;
        no_anchor.remove(2);
        assert_eq!(verify(no_anchor, Some(6), None).unwrap_err().seq, 1);
    }

    #[test]
    fn a_pending_retention_floor_covers_removed_events_until_it_is_sealed() {
        let all = chain(5);
        let floor = Floor {
            seq: 2,
            hash: all[1]["hash"].as_str().unwrap_or_default().to_string(),
        };
        let kept: Vec<_> = all.into_iter().skip(2).collect();
        assert_eq!(verify(kept.clone(), Some(5), None).unwrap_err().seq, 1);
        assert_eq!(
            verify(kept.clone(), Some(5), Some(floor.clone())),
            Ok(Intact { first: 3, last: 5 })
        );
        // A floor whose hash is not the removed event's does not let a forged start in.
        let wrong = Floor {
            hash: GENESIS.into(),
            ..floor
        };
        assert_eq!(verify(kept, Some(5), Some(wrong)).unwrap_err().seq, 3);
    }
}
