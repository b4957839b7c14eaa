//! The matching documents of a query in index order: what every row-reading and per-column
//! path needs (tantivy's `DocSetCollector` hashes them into a set, which costs more than the
//! reading that follows and loses the order that reads each doc-store block once).

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::{DocAddress, DocId, Score, SegmentOrdinal, SegmentReader};

/// Collects the matching documents with their `_time` (read from the fast column while the
/// query walks the segment; `i64::MIN` when `read_time` is false or the event has none), in
/// index order. One vector per segment, joined once: a scan of every event of a bucket made
/// four copies of its two million addresses on one thread before any reading began.
pub struct Timed {
    pub read_time: bool,
    /// Whether (nearly) every document is expected to match: each segment's list is then
    /// sized for all of them at once instead of growing by copies.
    pub expect_all: bool,
}

/// One segment's share of [`Timed`].
pub struct SegmentTimed {
    segment: SegmentOrdinal,
    times: Option<tantivy::columnar::Column<i64>>,
    docs: Vec<(i64, DocAddress)>,
}

impl Collector for Timed {
    type Fruit = Vec<(i64, DocAddress)>;
    type Child = SegmentTimed;

    fn for_segment(
        &self,
        segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<SegmentTimed> {
        let times = match self.read_time {
            true => Some(reader.fast_fields().i64("_time")?),
            false => None,
        };
        let capacity = match self.expect_all {
            true => reader.max_doc() as usize,
            false => 0,
        };
        Ok(SegmentTimed {
            segment,
            times,
            docs: Vec::with_capacity(capacity),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(
        &self,
        parts: Vec<Vec<(i64, DocAddress)>>,
    ) -> tantivy::Result<Vec<(i64, DocAddress)>> {
        if parts.len() == 1 {
            let mut parts = parts;
            return Ok(parts.pop().unwrap_or_default());
        }
        let mut all = Vec::with_capacity(parts.iter().map(Vec::len).sum());
        for part in parts {
            all.extend_from_slice(&part);
        }
        if !all.is_sorted_by_key(|(_, a)| *a) {
            all.sort_unstable_by_key(|(_, a)| *a);
        }
        Ok(all)
    }
}

impl SegmentCollector for SegmentTimed {
    type Fruit = Vec<(i64, DocAddress)>;

    fn collect(&mut self, doc: DocId, _score: Score) {
        let t = self
            .times
            .as_ref()
            .and_then(|c| c.first(doc))
            .unwrap_or(i64::MIN);
        self.docs.push((t, DocAddress::new(self.segment, doc)));
    }

    fn harvest(self) -> Vec<(i64, DocAddress)> {
        self.docs
    }
}
