//! The forwarder's own counters and log, shipped to `_internal` (sourcetype
//! `loupe_forwarder`) so a silent or struggling forwarder can be noticed from the console.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// Log lines kept for `_internal` between two shipments; older ones are counted, not kept.
const MAX_PENDING_LOG: usize = 1000;

/// Counters shared by the reader and the shipper.
#[derive(Debug, Default)]
pub struct Stats {
    /// Lines read from files.
    pub lines_read: AtomicU64,
    /// Source bytes read from files.
    pub bytes_read: AtomicU64,
    /// Events built (after multi-line joining).
    pub events: AtomicU64,
    /// Lines cut at `max_line_bytes`.
    pub lines_truncated: AtomicU64,
    /// Events in which a mask rule fired.
    pub masked: AtomicU64,
    /// Payload bytes acknowledged by an indexer (after compression).
    pub bytes_shipped: AtomicU64,
    /// Batches acknowledged.
    pub batches: AtomicU64,
    /// Failed attempts that were retried.
    pub retries: AtomicU64,
    /// Batches refused for good by an indexer.
    pub dropped_batches: AtomicU64,
    /// Events in those batches.
    pub dropped_events: AtomicU64,
    /// Files seen truncated or replaced in place.
    pub truncations: AtomicU64,
    /// Files skipped because they look binary.
    pub binary_skipped: AtomicU64,
    /// Warnings not yet shipped to `_internal`.
    log: Mutex<Vec<String>>,
}

impl Stats {
    /// Logs a warning to stderr and queues it for `_internal`.
    pub fn warn(&self, msg: String) {
        eprintln!("loupe-forwarder: {msg}");
        if let Ok(mut log) = self.log.lock() {
            if log.len() < MAX_PENDING_LOG {
                log.push(msg);
            }
        }
    }

    /// Takes the queued warnings.
    pub fn take_log(&self) -> Vec<String> {
        self.log
            .lock()
            .map(|mut l| std::mem::take(&mut *l))
            .unwrap_or_default()
    }

    /// The counters as a JSON object (the event text shipped to `_internal`).
    pub fn snapshot(&self, spool_bytes: u64) -> serde_json::Value {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        serde_json::json!({
            "component": "forwarder",
            "lines_read": g(&self.lines_read),
            "bytes_read": g(&self.bytes_read),
            "events": g(&self.events),
            "lines_truncated": g(&self.lines_truncated),
            "masked": g(&self.masked),
            "bytes_shipped": g(&self.bytes_shipped),
            "batches": g(&self.batches),
            "retries": g(&self.retries),
            "dropped_batches": g(&self.dropped_batches),
            "dropped_events": g(&self.dropped_events),
            "truncations": g(&self.truncations),
            "binary_skipped": g(&self.binary_skipped),
            "spool_bytes": spool_bytes,
            "version": env!("CARGO_PKG_VERSION"),
        })
    }
}
