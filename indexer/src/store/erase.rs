//! Erasure on request (GDPR art. 17): chosen events of a bucket deleted so that nothing of
//! them stays in its files.
//!
//! A tantivy delete only marks documents in a `.del` file: their text stays in the doc store,
//! their words in the term dictionary, their values in the fast columns until a merge rewrites
//! the segment. So an erasure deletes, commits (the new summary as payload), merges every
//! segment of the bucket into one (tantivy's merger copies only live documents, drops the
//! terms no live document has and rebuilds the columns' dictionaries), and collects the old
//! files before it returns. A bucket whose every event goes is removed whole.
//!
//! The caller guarantees that no other writer has the bucket open and that `searcher` is of
//! the bucket's current commit: the addresses it chose stay the same documents until the
//! delete is applied (the pipeline runs erasures on its index thread, which closes the
//! bucket's writer first).

use super::bucket::{Bucket, BucketSummary};
use super::StoreError;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use tantivy::index::SegmentId;
use tantivy::indexer::NoMergePolicy;
use tantivy::query::{
    BitSetDocSet, ConstScorer, EnableScoring, Explanation, Query, Scorer, Weight,
};
use tantivy::schema::Value as _;
use tantivy::{BitSet, DocAddress, DocId, Score, Searcher, SegmentReader};

/// Memory of the short-lived writer an erasure opens (tantivy's minimum for one thread).
const ERASE_WRITER_BUDGET: usize = 20_000_000;

/// The documents chosen for erasure, by segment: tantivy deletes by query, and no term
/// names one event, so the query is the list itself.
#[derive(Clone, Debug)]
struct ChosenDocs(Arc<HashMap<SegmentId, Vec<DocId>>>);

impl Query for ChosenDocs {
    fn weight(&self, _: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(self.clone()))
    }
}

impl Weight for ChosenDocs {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let max = reader.max_doc();
        let mut set = BitSet::with_max_value(max.max(1));
        if let Some(docs) = self.0.get(&reader.segment_id()) {
            for &d in docs.iter().filter(|&&d| d < max) {
                set.insert(d);
            }
        }
        Ok(Box::new(ConstScorer::new(BitSetDocSet::from(set), boost)))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let chosen = self
            .0
            .get(&reader.segment_id())
            .is_some_and(|d| d.contains(&doc));
        Ok(Explanation::new(
            "chosen for erasure",
            if chosen { 1.0 } else { 0.0 },
        ))
    }
}

/// What an erasure did to one bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BucketErased {
    /// Rewritten without the events; this many remain.
    Rewritten { left: u64 },
    /// Every event went: the bucket's directory was deleted.
    Removed,
}

/// Erases `docs` (addresses in `searcher`) from `bucket` and leaves none of their bytes in
/// its files; its summary is counted again from what remains.
pub fn erase_from_bucket(
    store: &super::Store,
    bucket: &Arc<Bucket>,
    searcher: &Searcher,
    docs: &[DocAddress],
) -> Result<BucketErased, StoreError> {
    let chosen_set: HashSet<DocAddress> = docs.iter().copied().collect();
    if chosen_set.is_empty() {
        return Ok(BucketErased::Rewritten {
            left: bucket.summary().count,
        });
    }
    if chosen_set.len() as u64 >= searcher.num_docs() {
        store.remove_bucket(&bucket.key)?;
        return Ok(BucketErased::Removed);
    }
    let mut by_segment: HashMap<SegmentId, Vec<DocId>> = HashMap::new();
    let mut erased_raw = 0u64;
    for a in &chosen_set {
        by_segment
            .entry(searcher.segment_reader(a.segment_ord).segment_id())
            .or_default()
            .push(a.doc_id);
        let doc: tantivy::TantivyDocument = searcher.doc(*a)?;
        erased_raw += doc
            .get_first(bucket.fields.raw)
            .and_then(|v| v.as_str())
            .map_or(0, |r| r.len() as u64);
    }
    let summary: BucketSummary = bucket.summary_without(searcher, &chosen_set, erased_raw)?;
    let payload = serde_json::to_string(&summary)
        .map_err(|e| StoreError::Corrupt(format!("cannot encode bucket summary: {e}")))?;
    let mut writer: tantivy::IndexWriter = bucket
        .index
        .writer_with_num_threads(1, ERASE_WRITER_BUDGET)?;
    // The one merge that matters is ours, over every segment; none may take some away first.
    writer.set_merge_policy(Box::new(NoMergePolicy));
    writer.delete_query(Box::new(ChosenDocs(Arc::new(by_segment))))?;
    let mut prepared = writer.prepare_commit()?;
    prepared.set_payload(&payload);
    prepared.commit()?;
    let segments = bucket.index.searchable_segment_ids()?;
    if !segments.is_empty() {
        // Keeps the payload of the commit before it: the summary just written.
        writer.merge(&segments).wait()?;
    }
    writer.garbage_collect_files().wait()?;
    writer.wait_merging_threads()?;
    let left = summary.count;
    bucket.refresh(summary)?;
    Ok(BucketErased::Rewritten { left })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Store, StoreWriter, WriterOptions};
    use loupe_event::{Event, Value};

    fn ev(t: i64, host: &str, raw: &str) -> Event {
        Event {
            time_ns: t,
            raw: raw.into(),
            host: host.into(),
            source: "/var/log/app.log".into(),
            sourcetype: "app".into(),
            index: "main".into(),
            fields: vec![("patient".into(), Value::Str(format!("p-{raw}")))],
            ..Default::default()
        }
    }

    /// Every `_raw` stored in every segment of the bucket's directory, deleted documents
    /// included, read with a fresh index over the files (not the bucket's own reader).
    fn stored_texts(dir: &std::path::Path) -> Vec<String> {
        let index = tantivy::Index::open_in_dir(dir).unwrap();
        let raw = index.schema().get_field("_raw").unwrap();
        let mut out = Vec::new();
        for meta in index.searchable_segment_metas().unwrap() {
            let seg = index.segment(meta);
            let reader = tantivy::SegmentReader::open(&seg).unwrap();
            let store = reader.get_store_reader(0).unwrap();
            for doc in store.iter::<tantivy::TantivyDocument>(None) {
                let doc = doc.unwrap();
                out.push(doc.get_first(raw).unwrap().as_str().unwrap().to_string());
            }
        }
        out
    }

    /// Whether a word of `_raw` or a value of a field is in any segment's dictionaries.
    fn term_present(dir: &std::path::Path, word: &str, field_value: &str) -> bool {
        let index = tantivy::Index::open_in_dir(dir).unwrap();
        let raw = index.schema().get_field("_raw").unwrap();
        let mut found = false;
        for meta in index.searchable_segment_metas().unwrap() {
            let seg = index.segment(meta);
            let reader = tantivy::SegmentReader::open(&seg).unwrap();
            let inv = reader.inverted_index(raw).unwrap();
            found |= inv.terms().get(word.as_bytes()).unwrap().is_some();
            let col = reader.fast_fields().str("_fields.patient").unwrap();
            if let Some(col) = col {
                found |= col.term_ords_for(field_value);
            }
        }
        found
    }

    trait HasTerm {
        fn term_ords_for(&self, value: &str) -> bool;
    }
    impl HasTerm for tantivy::columnar::StrColumn {
        fn term_ords_for(&self, value: &str) -> bool {
            self.dictionary().get(value.as_bytes()).unwrap().is_some()
        }
    }

    #[test]
    fn erased_events_leave_nothing_in_the_files_and_the_summary_follows() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(dir.path()).unwrap());
        let mut w = StoreWriter::new(store.clone(), WriterOptions::default());
        let t = 86_400_000_000_000i64 * 20_000;
        // Several commits, so several segments (one merge has to take them all).
        for round in 0..3 {
            for i in 0..50 {
                w.add(
                    ev(t + round * 1000 + i, "web1", &format!("keep {round} {i}")),
                    0,
                )
                .unwrap();
            }
            w.commit().unwrap();
        }
        w.add(
            ev(t + 5_000_000_000_000, "secret-host", "erase zqxjkvunique"),
            0,
        )
        .unwrap();
        w.add(ev(t + 10, "web1", "stay wqvbunique"), 0).unwrap();
        w.close_all().unwrap();
        let bucket = store.buckets_of("main")[0].clone();
        let bucket_dir = bucket.dir.clone();
        assert!(stored_texts(&bucket_dir)
            .iter()
            .any(|r| r.contains("zqxjkvunique")));
        assert!(term_present(
            &bucket_dir,
            "zqxjkvunique",
            "p-erase zqxjkvunique"
        ));

        let searcher = bucket.reader.searcher();
        let mut chosen = Vec::new();
        for (ord, seg) in searcher.segment_readers().iter().enumerate() {
            let store_reader = seg.get_store_reader(0).unwrap();
            for (doc, d) in store_reader
                .iter::<tantivy::TantivyDocument>(None)
                .enumerate()
            {
                let d = d.unwrap();
                if d.get_first(bucket.fields.raw)
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .contains("zqxjkv")
                {
                    chosen.push(DocAddress::new(ord as u32, doc as u32));
                }
            }
        }
        assert_eq!(chosen.len(), 1);
        let before = bucket.summary();
        let out = erase_from_bucket(&store, &bucket, &searcher, &chosen).unwrap();
        assert_eq!(out, BucketErased::Rewritten { left: 151 });

        let texts = stored_texts(&bucket_dir);
        assert_eq!(texts.len(), 151, "one segment of live documents only");
        assert!(!texts.iter().any(|r| r.contains("zqxjkvunique")));
        assert!(texts.iter().any(|r| r.contains("wqvbunique")));
        assert!(!term_present(
            &bucket_dir,
            "zqxjkvunique",
            "p-erase zqxjkvunique"
        ));
        assert!(term_present(&bucket_dir, "wqvbunique", "p-stay wqvbunique"));
        // No file of the old segments is left behind.
        let segs = tantivy::Index::open_in_dir(&bucket_dir)
            .unwrap()
            .searchable_segment_ids()
            .unwrap();
        assert_eq!(segs.len(), 1);
        let live = segs[0].uuid_string();
        for f in std::fs::read_dir(&bucket_dir).unwrap().flatten() {
            let name = f.file_name().to_string_lossy().to_string();
            let is_segment_file = name.len() > 32 && name.as_bytes()[32] == b'.';
            assert!(!is_segment_file || name.starts_with(&live), "{name} left");
        }

        let after = bucket.summary();
        assert_eq!(after.count, before.count - 1);
        assert!(
            !after.hosts.contains_key("secret-host"),
            "{:?}",
            after.hosts
        );
        assert_eq!(after.hosts["web1"], 151);
        assert_eq!(after.max_time, t + 2049, "the erased event was the newest");
        assert_eq!(after.minutes.values().sum::<u64>(), 151);
        assert_eq!(
            after.raw_bytes,
            before.raw_bytes - "erase zqxjkvunique".len() as u64
        );
        // What was committed is what is read back after a restart.
        drop(bucket);
        drop(w);
        drop(store);
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.buckets_of("main")[0].summary(), after);
    }

    #[test]
    fn a_bucket_erased_whole_is_removed() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(dir.path()).unwrap());
        let mut w = StoreWriter::new(store.clone(), WriterOptions::default());
        w.add(ev(86_400_000_000_000 * 20_000, "h", "only one"), 0)
            .unwrap();
        w.close_all().unwrap();
        let bucket = store.buckets_of("main")[0].clone();
        let searcher = bucket.reader.searcher();
        let out = erase_from_bucket(&store, &bucket, &searcher, &[DocAddress::new(0, 0)]).unwrap();
        assert_eq!(out, BucketErased::Removed);
        assert!(!bucket.dir.exists());
        assert!(store.buckets_of("main").is_empty());
    }
}
