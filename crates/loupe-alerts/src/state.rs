//! What the scheduler must remember across restarts, behind [`StateStore`] so the indexer
//! keeps it in its SQLite file (issue 16, deliverable 2) and tests keep it in memory.
//!
//! The scheduler is the only writer for a given search (runs of one search never overlap),
//! so the store needs no compare-and-swap: plain reads and writes, each durable on return.

use crate::error::StateError;
use crate::record::{FiredRecord, RunRecord};
use crate::searcher::SearchResults;
use jiff::Timestamp;
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Firing state of one alert, and the count its `rises_by`/`drops_by` compare with.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AlertState {
    /// The last run met the condition (and has not been followed by one that did not).
    pub firing: bool,
    /// When the current firing began (scheduled time of its first run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<Timestamp>,
    /// The previous successful run's count (results, hosts or sources, per the condition).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_count: Option<f64>,
}

/// Persisted scheduler state. Implementations must be `Send + Sync`: worker threads call it.
///
/// Every method returns once the write is durable; an error stops the run (recorded as a
/// failed run) rather than risk a double firing after a restart.
pub trait StateStore: Send + Sync {
    /// The scheduled time up to which (inclusive) this search's schedule is handled — run,
    /// being run, or skipped. `None` for a search never seen: the scheduler then starts its
    /// schedule from the current time instead of replaying history.
    fn cursor(&self, search: &str) -> Result<Option<Timestamp>, StateError>;
    /// Moves the cursor. The scheduler calls it *before* a run starts (a run is claimed, then
    /// done), so a crash during a run never runs that time twice.
    fn set_cursor(&self, search: &str, through: Timestamp) -> Result<(), StateError>;
    /// Until when firings of `search` with throttle key `key` are suppressed (`""` is the key
    /// of a search throttled as a whole).
    fn throttle_until(&self, search: &str, key: &str) -> Result<Option<Timestamp>, StateError>;
    /// Suppresses firings with that key until `until`.
    fn set_throttle_until(
        &self,
        search: &str,
        key: &str,
        until: Timestamp,
    ) -> Result<(), StateError>;
    /// Firing/resolved state and previous count (default state for a search never run).
    fn alert_state(&self, search: &str) -> Result<AlertState, StateError>;
    /// Stores the state after a run.
    fn set_alert_state(&self, search: &str, state: &AlertState) -> Result<(), StateError>;
    /// Appends a run to the history, with its results; keeps the newest `keep` runs' results
    /// for the search (the saved search's `keep_runs`, or the scheduler's default).
    fn append_run(
        &self,
        run: &RunRecord,
        results: Option<&SearchResults>,
        keep: usize,
    ) -> Result<(), StateError>;
    /// Appends a firing (or resolved notice) to the history behind `/api/v1/alerts/fired`.
    fn append_firing(&self, firing: &FiredRecord) -> Result<(), StateError>;
    /// Forgets a deleted search's state (cursor, throttles, alert state); history stays.
    fn forget(&self, search: &str) -> Result<(), StateError>;
}

/// A [`StateStore`] in memory: for tests, and to share one between two [`Scheduler`]s to
/// simulate a restart.
///
/// [`Scheduler`]: crate::Scheduler
#[derive(Debug, Default)]
pub struct MemoryStateStore {
    inner: Mutex<Memory>,
}

#[derive(Debug, Default)]
struct Memory {
    cursors: HashMap<String, Timestamp>,
    throttles: HashMap<(String, String), Timestamp>,
    states: HashMap<String, AlertState>,
    runs: Vec<RunRecord>,
    results: HashMap<String, Vec<(String, SearchResults)>>,
    firings: Vec<FiredRecord>,
}

impl MemoryStateStore {
    /// An empty store.
    pub fn new() -> MemoryStateStore {
        MemoryStateStore::default()
    }

    /// Every run appended so far, oldest first.
    pub fn runs(&self) -> Vec<RunRecord> {
        self.inner.lock().runs.clone()
    }

    /// The runs of one search, oldest first.
    pub fn runs_of(&self, search: &str) -> Vec<RunRecord> {
        self.inner
            .lock()
            .runs
            .iter()
            .filter(|r| r.search_name == search)
            .cloned()
            .collect()
    }

    /// Every firing appended so far, oldest first.
    pub fn firings(&self) -> Vec<FiredRecord> {
        self.inner.lock().firings.clone()
    }

    /// Kept results of a search, newest first, with their sid.
    pub fn kept_results(&self, search: &str) -> Vec<(String, SearchResults)> {
        self.inner
            .lock()
            .results
            .get(search)
            .cloned()
            .unwrap_or_default()
    }
}

impl StateStore for MemoryStateStore {
    fn cursor(&self, search: &str) -> Result<Option<Timestamp>, StateError> {
        Ok(self.inner.lock().cursors.get(search).copied())
    }

    fn set_cursor(&self, search: &str, through: Timestamp) -> Result<(), StateError> {
        self.inner
            .lock()
            .cursors
            .insert(search.to_string(), through);
        Ok(())
    }

    fn throttle_until(&self, search: &str, key: &str) -> Result<Option<Timestamp>, StateError> {
        Ok(self
            .inner
            .lock()
            .throttles
            .get(&(search.to_string(), key.to_string()))
            .copied())
    }

    fn set_throttle_until(
        &self,
        search: &str,
        key: &str,
        until: Timestamp,
    ) -> Result<(), StateError> {
        self.inner
            .lock()
            .throttles
            .insert((search.to_string(), key.to_string()), until);
        Ok(())
    }

    fn alert_state(&self, search: &str) -> Result<AlertState, StateError> {
        Ok(self
            .inner
            .lock()
            .states
            .get(search)
            .cloned()
            .unwrap_or_default())
    }

    fn set_alert_state(&self, search: &str, state: &AlertState) -> Result<(), StateError> {
        self.inner
            .lock()
            .states
            .insert(search.to_string(), state.clone());
        Ok(())
    }

    fn append_run(
        &self,
        run: &RunRecord,
        results: Option<&SearchResults>,
        keep: usize,
    ) -> Result<(), StateError> {
        let mut m = self.inner.lock();
        m.runs.push(run.clone());
        if let Some(results) = results {
            let kept = m.results.entry(run.search_name.clone()).or_default();
            kept.insert(0, (run.sid.clone(), results.clone()));
            kept.truncate(keep);
        }
        Ok(())
    }

    fn append_firing(&self, firing: &FiredRecord) -> Result<(), StateError> {
        self.inner.lock().firings.push(firing.clone());
        Ok(())
    }

    fn forget(&self, search: &str) -> Result<(), StateError> {
        let mut m = self.inner.lock();
        m.cursors.remove(search);
        m.states.remove(search);
        m.throttles.retain(|(s, _), _| s != search);
        Ok(())
    }
}
