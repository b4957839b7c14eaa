//! Batches: HEC envelopes back to back, with the file marks (fingerprint + offset)
//! that become the checkpoint once the indexer acknowledges the batch.

use crate::checkpoint::FileMark;
use loupe_proto::Envelope;
use std::collections::BTreeMap;
use std::time::Instant;

/// Events on their way, sealed by size or age.
#[derive(Debug, Default)]
pub struct Batch {
    /// One compact JSON envelope per line (HEC accepts them concatenated).
    pub body: Vec<u8>,
    /// Number of envelopes.
    pub count: usize,
    /// For each file touched, where to resume once this batch is acknowledged.
    pub marks: BTreeMap<String, FileMark>,
    started: Option<Instant>,
}

impl Batch {
    /// Appends an event; `mark` moves its file's resume point forward.
    pub fn add(&mut self, env: &Envelope, mark: Option<(&str, FileMark)>) {
        if self.started.is_none() {
            self.started = Some(Instant::now());
        }
        // Serialising an Envelope (strings and JSON values) cannot fail.
        if serde_json::to_writer(&mut self.body, env).is_ok() {
            self.body.push(b'\n');
            self.count += 1;
        }
        if let Some((id, m)) = mark {
            self.marks.insert(id.to_string(), m);
        }
    }

    /// Records a resume point without an event (a file whose last lines were blank).
    pub fn mark(&mut self, id: &str, m: FileMark) {
        self.marks.insert(id.to_string(), m);
    }

    /// True when there is nothing to send or checkpoint.
    pub fn is_empty(&self) -> bool {
        self.count == 0 && self.marks.is_empty()
    }

    /// Size of the uncompressed body.
    pub fn bytes(&self) -> usize {
        self.body.len()
    }

    /// Time since the first event went in.
    pub fn age(&self) -> std::time::Duration {
        self.started.map(|s| s.elapsed()).unwrap_or_default()
    }
}

/// What is left to send after the indexer refused event `first_bad` of `body` (the events
/// before it were indexed): the events after it, minus — when the refusal is about the
/// index (HEC code 7) — every other event for that same index. Returns the new body and
/// how many events were dropped.
pub fn remainder(body: &[u8], first_bad: usize, code: u16) -> (Vec<u8>, usize) {
    let lines: Vec<&[u8]> = body
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    let Some(bad) = lines.get(first_bad) else {
        return (Vec::new(), 0);
    };
    let index_of = |l: &[u8]| -> Option<String> {
        serde_json::from_slice::<Envelope>(l)
            .ok()
            .and_then(|e| e.index)
    };
    let bad_index = if code == 7 { index_of(bad) } else { None };
    let mut out = Vec::new();
    let mut dropped = 1;
    for l in &lines[first_bad + 1..] {
        if bad_index.is_some() && index_of(l) == bad_index {
            dropped += 1;
            continue;
        }
        out.extend_from_slice(l);
        out.push(b'\n');
    }
    (out, dropped)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(index: &str, text: &str) -> Envelope {
        Envelope {
            index: Some(index.into()),
            event: Some(serde_json::Value::String(text.into())),
            ..Envelope::default()
        }
    }

    #[test]
    fn remainder_skips_the_refused_event_and_its_index() {
        let mut b = Batch::default();
        for (i, t) in [
            ("main", "a"),
            ("secret", "b"),
            ("main", "c"),
            ("secret", "d"),
        ] {
            b.add(&env(i, t), None);
        }
        let (rest, dropped) = remainder(&b.body, 1, 7);
        assert_eq!(dropped, 2);
        let text = String::from_utf8(rest).unwrap();
        assert!(text.contains("\"c\"") && !text.contains("\"d\"") && !text.contains("\"a\""));
        let (rest, dropped) = remainder(&b.body, 1, 6);
        assert_eq!(dropped, 1);
        assert_eq!(String::from_utf8(rest).unwrap().lines().count(), 2);
    }
}
