//! The matching documents of a query in index order: what every row-reading and per-column
//! path needs (tantivy's `DocSetCollector` hashes them into a set, which costs more than the
//! reading that follows and loses the order that reads each doc-store block once).

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::{DocAddress, DocId, Score, SegmentOrdinal, SegmentReader};

/// Collects the addresses of matching documents, segment by segment, in increasing order.
pub struct InOrder;

/// One segment's share of [`InOrder`].
pub struct SegmentDocs {
    segment: SegmentOrdinal,
    docs: Vec<DocId>,
}

impl Collector for InOrder {
    type Fruit = Vec<DocAddress>;
    type Child = SegmentDocs;

    fn for_segment(
        &self,
        segment: SegmentOrdinal,
        _reader: &SegmentReader,
    ) -> tantivy::Result<SegmentDocs> {
        Ok(SegmentDocs {
            segment,
            docs: Vec::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, parts: Vec<Vec<DocAddress>>) -> tantivy::Result<Vec<DocAddress>> {
        // Segments are collected in ordinal order; keep it explicit all the same.
        let mut all: Vec<DocAddress> = parts.into_iter().flatten().collect();
        if !all.is_sorted() {
            all.sort_unstable();
        }
        Ok(all)
    }
}

impl SegmentCollector for SegmentDocs {
    type Fruit = Vec<DocAddress>;

    fn collect(&mut self, doc: DocId, _score: Score) {
        self.docs.push(doc);
    }

    fn harvest(self) -> Vec<DocAddress> {
        let segment = self.segment;
        self.docs
            .into_iter()
            .map(|doc_id| DocAddress::new(segment, doc_id))
            .collect()
    }
}
