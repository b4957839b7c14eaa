//! The one way this crate reaches data: the indexer implements [`Searcher`] over its store,
//! so the scheduler, the conditions and the actions are tested with a fake one.

use crate::error::SearchError;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// One result row, keyed by column name, as `POST /api/v1/search` answers (DESIGN §4).
pub type Row = serde_json::Map<String, serde_json::Value>;

/// What to run: the saved search's query over an absolute window, on behalf of the object.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchRequest {
    /// The saved search's name: the principal the search runs as (DESIGN §8: "the scheduler
    /// acting for an object"), so the indexer applies that object's access.
    pub search_name: String,
    /// Search id of this run (`scheduler__<name>__<epoch>`), for the job the indexer keeps and
    /// for `results_link`.
    pub sid: String,
    /// SPL, as saved.
    pub query: String,
    /// Inclusive start; `None` = all time (the saved search has no `earliest`).
    pub earliest: Option<Timestamp>,
    /// Exclusive end, resolved from `latest` (default `now`) against the *scheduled* time.
    pub latest: Timestamp,
    /// The search's IANA zone, for `strftime`, `bin span=1d` and `relative_time` in the query.
    pub timezone: String,
}

/// A finished search: the columns in display order and the rows.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SearchResults {
    /// Column names in the order the table shows them.
    pub columns: Vec<String>,
    /// Rows, each an object keyed by column name (a missing key is a null cell).
    pub rows: Vec<Row>,
}

impl SearchResults {
    /// Rows with columns derived from the keys of the rows, in first-seen order (handy for
    /// fakes and for searches whose columns the indexer does not list). A row's keys come in
    /// its map's order — alphabetical with serde_json's default map — so an indexer that knows
    /// the display order passes `columns` itself.
    pub fn from_rows(rows: Vec<Row>) -> SearchResults {
        let mut columns: Vec<String> = Vec::new();
        for row in &rows {
            for key in row.keys() {
                if !columns.iter().any(|c| c == key) {
                    columns.push(key.clone());
                }
            }
        }
        SearchResults { columns, rows }
    }
}

/// Runs a query for the scheduler. Called from several worker threads at once (bounded by
/// the scheduler's concurrency), hence `Send + Sync`; each call blocks until the search ends.
pub trait Searcher: Send + Sync {
    /// Runs `req.query` over `[req.earliest, req.latest)` as `req.search_name`.
    fn search(&self, req: &SearchRequest) -> Result<SearchResults, SearchError>;
}

/// Where the scheduler writes what it did: every run into `_scheduler`, every firing into
/// `_alerts` (DESIGN §8), and `index` actions into their index. The indexer implements it over
/// its ingest path, so these are ordinary, searchable events.
pub trait EventSink: Send + Sync {
    /// Indexes one JSON object as an event of `index` (its `_time` is the `time` key, epoch
    /// seconds, when present).
    fn emit(&self, index: &str, event: serde_json::Value) -> Result<(), SearchError>;
}

/// Index of run records.
pub const SCHEDULER_INDEX: &str = "_scheduler";
/// Index of firings.
pub const ALERTS_INDEX: &str = "_alerts";

/// An [`EventSink`] that keeps events in memory, for tests and for `loupe saved run` dry runs.
#[derive(Debug, Default)]
pub struct MemorySink {
    events: parking_lot::Mutex<Vec<(String, serde_json::Value)>>,
}

impl MemorySink {
    /// Every event emitted so far, with its index.
    pub fn events(&self) -> Vec<(String, serde_json::Value)> {
        self.events.lock().clone()
    }

    /// The events emitted into `index`.
    pub fn events_in(&self, index: &str) -> Vec<serde_json::Value> {
        self.events
            .lock()
            .iter()
            .filter(|(i, _)| i == index)
            .map(|(_, e)| e.clone())
            .collect()
    }
}

impl EventSink for MemorySink {
    fn emit(&self, index: &str, event: serde_json::Value) -> Result<(), SearchError> {
        self.events.lock().push((index.to_string(), event));
        Ok(())
    }
}
