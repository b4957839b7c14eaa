//! What a running search shows the outside while it runs: its progress (buckets, events
//! scanned and matched), a preview of its first result rows, and — for exports — a sink that
//! takes result rows as they are produced, so no result set is ever held whole.

use loupe_query::Row;
use parking_lot::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Counters a job's `GET` reads while the search runs.
#[derive(Debug, Default)]
pub struct Progress {
    pub buckets_total: AtomicU64,
    pub buckets_done: AtomicU64,
    pub scanned: AtomicU64,
    pub matched: AtomicU64,
}

impl Progress {
    pub fn snapshot(&self) -> serde_json::Value {
        serde_json::json!({
            "buckets_total": self.buckets_total.load(Ordering::Relaxed),
            "buckets_done": self.buckets_done.load(Ordering::Relaxed),
            "scanned": self.scanned.load(Ordering::Relaxed),
            "matched": self.matched.load(Ordering::Relaxed),
        })
    }
}

/// Rows given to the caller while the search runs.
pub type RowSink = tokio::sync::mpsc::Sender<Vec<Row>>;

/// Progress, preview and sink of one search; the search updates it, its owner reads it.
#[derive(Debug)]
pub struct Watch {
    pub progress: Progress,
    /// The first `preview_cap` rows that left the pipeline (streaming pipelines only: a
    /// `stats` has nothing to show before its end).
    preview: Mutex<Vec<Row>>,
    preview_cap: usize,
    /// Export: every result row goes here instead of being collected (no row cap).
    sink: Option<RowSink>,
}

impl Watch {
    /// A watch keeping a preview of up to `preview_cap` rows.
    pub fn new(preview_cap: usize) -> Watch {
        Watch {
            progress: Progress::default(),
            preview: Mutex::new(Vec::new()),
            preview_cap,
            sink: None,
        }
    }

    /// A watch that streams every result row to `sink`.
    pub fn streaming(sink: RowSink) -> Watch {
        Watch {
            sink: Some(sink),
            ..Watch::new(0)
        }
    }

    pub fn is_streaming(&self) -> bool {
        self.sink.is_some()
    }

    /// Hands rows to the sink, waiting while the client reads slowly; false once the client
    /// is gone (the search then stops as cancelled).
    pub(crate) fn send(&self, rows: Vec<Row>) -> bool {
        match &self.sink {
            Some(sink) if !rows.is_empty() => sink.blocking_send(rows).is_ok(),
            _ => true,
        }
    }

    /// Keeps the first rows for the preview.
    pub(crate) fn preview(&self, rows: &[Row]) {
        let mut p = self.preview.lock();
        let room = self.preview_cap.saturating_sub(p.len());
        p.extend(rows.iter().take(room).cloned());
    }

    /// The preview rows `[offset, offset + count)`.
    pub fn preview_rows(&self, offset: usize, count: usize) -> Vec<Row> {
        let p = self.preview.lock();
        p.iter().skip(offset).take(count).cloned().collect()
    }

    pub fn preview_len(&self) -> usize {
        self.preview.lock().len()
    }

    pub(crate) fn add(&self, counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }
}
