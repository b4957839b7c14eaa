//! `loupe-alerts` wired to this indexer: its [`Searcher`] runs on the store, its
//! [`StateStore`] is the metadata file, its [`EventSink`] is the durable ingest path (so
//! `_scheduler` and `_alerts` are ordinary, searchable indexes), its clock is the system's.

use crate::ingest::pipeline::Pipeline;
use crate::search::admission::Admission;
use crate::search::{self, SearchScope};
use crate::store::wal::LoggedBatch;
use crate::store::Store;
use jiff::Timestamp;
use loupe_alerts::{
    AlertState, EventSink, FiredRecord, RunRecord, SearchError, SearchRequest, SearchResults,
    StateError, StateStore,
};
use loupe_event::{Event, EventFlags};
use loupe_meta::MetaStore;
use std::sync::Arc;

/// Checks the schedule part of a saved search (cron, zone, durations, `where`, time range).
pub fn check(s: &loupe_meta::SavedSearch) -> Result<(), String> {
    loupe_alerts::validate(s, &jiff::tz::TimeZone::system()).map_err(|e| e.to_string())
}

/// Runs scheduled searches on the store with the service role of `[access] scheduler_role`
/// (the scheduler acts for objects that belong to the instance, DESIGN §8: what they read
/// never depends on a user who may leave) and the server's time and memory budgets.
pub struct StoreSearcher {
    pub store: Arc<Store>,
    pub admission: Arc<Admission>,
    pub limits: loupe_query::Limits,
    pub macros: Arc<loupe_query::MacroTable>,
    /// Saved searches a scheduled `| savedsearch` or `| rest` may read.
    pub objects: Option<search::Objects>,
    /// `iplocation`'s database.
    pub geo: Option<Arc<dyn loupe_query::Geolocator>>,
    /// What scheduled searches may read (`[access] scheduler_role`).
    pub role: Arc<loupe_access::Role>,
}

fn epoch(t: Timestamp) -> String {
    let ns = t.as_nanosecond();
    format!(
        "{}.{:09}",
        ns.div_euclid(1_000_000_000),
        ns.rem_euclid(1_000_000_000)
    )
}

impl loupe_alerts::Searcher for StoreSearcher {
    fn search(&self, req: &SearchRequest) -> Result<SearchResults, SearchError> {
        let request = search::SearchRequest {
            query: req.query.clone(),
            earliest: req.earliest.map(epoch),
            latest: Some(epoch(req.latest)),
            limit: 10_000,
            now_ns: Some(req.latest.as_nanosecond() as i64),
            // The saved search's zone (`timezone`), for `strftime`, `bin span=1d`, `@d`.
            tz: jiff::tz::TimeZone::get(&req.timezone).ok(),
            index_earliest: None,
            limits: self.limits.clone(),
            guard: Arc::new(self.admission.guard(None)),
            macros: self.macros.clone(),
            watch: None,
            objects: self.objects.clone(),
            geo: self.geo.clone(),
        };
        let scope =
            SearchScope::of_role(format!("scheduler:{}", req.search_name), self.role.clone());
        let resp = search::run(&self.store, &scope, &request)
            .map_err(|e| SearchError::new(e.to_string()))?;
        Ok(SearchResults {
            columns: resp.columns,
            rows: resp.rows,
        })
    }
}

/// Scheduler state in `meta.sqlite`: cursors, throttles and alert states as key-value pairs,
/// runs and firings in their history tables.
pub struct MetaState(pub Arc<MetaStore>);

fn state_err(e: loupe_meta::MetaError) -> StateError {
    StateError::new(e.to_string())
}

const CURSOR: &str = "scheduler.cursor";
const THROTTLE: &str = "scheduler.throttle";
const ALERT: &str = "scheduler.alert";

fn throttle_key(search: &str, key: &str) -> String {
    format!("{search}\u{1f}{key}")
}

impl StateStore for MetaState {
    fn cursor(&self, search: &str) -> Result<Option<Timestamp>, StateError> {
        Ok(self
            .0
            .get_kv(CURSOR, search)
            .map_err(state_err)?
            .and_then(|v| v.parse().ok()))
    }

    fn set_cursor(&self, search: &str, through: Timestamp) -> Result<(), StateError> {
        self.0
            .set_kv(CURSOR, search, Some(through.to_string()))
            .map_err(state_err)
    }

    fn throttle_until(&self, search: &str, key: &str) -> Result<Option<Timestamp>, StateError> {
        Ok(self
            .0
            .get_kv(THROTTLE, &throttle_key(search, key))
            .map_err(state_err)?
            .and_then(|v| v.parse().ok()))
    }

    fn set_throttle_until(
        &self,
        search: &str,
        key: &str,
        until: Timestamp,
    ) -> Result<(), StateError> {
        self.0
            .set_kv(
                THROTTLE,
                &throttle_key(search, key),
                Some(until.to_string()),
            )
            .map_err(state_err)
    }

    fn alert_state(&self, search: &str) -> Result<AlertState, StateError> {
        Ok(self
            .0
            .get_kv(ALERT, search)
            .map_err(state_err)?
            .and_then(|v| serde_json::from_str(&v).ok())
            .unwrap_or_default())
    }

    fn set_alert_state(&self, search: &str, s: &AlertState) -> Result<(), StateError> {
        let text = serde_json::to_string(s).map_err(|e| StateError::new(e.to_string()))?;
        self.0.set_kv(ALERT, search, Some(text)).map_err(state_err)
    }

    fn append_run(
        &self,
        run: &RunRecord,
        results: Option<&SearchResults>,
        keep: usize,
    ) -> Result<(), StateError> {
        let record = loupe_meta::RunRecord {
            search: run.search_name.clone(),
            sid: run.sid.clone(),
            scheduled_ns: Some(run.scheduled_time.as_nanosecond() as i64),
            started_ns: run.started.unwrap_or(run.scheduled_time).as_nanosecond() as i64,
            duration_ms: run.duration_ms,
            result_count: run.result_count.unwrap_or(0) as u64,
            fired: run.fired,
            error: run.error.clone().or_else(|| run.reason.clone()),
            results: results.map(|r| serde_json::Value::from(r.rows.clone())),
        };
        self.0.record_run(record, keep).map_err(state_err)
    }

    fn append_firing(&self, f: &FiredRecord) -> Result<(), StateError> {
        let body = serde_json::to_value(f).map_err(|e| StateError::new(e.to_string()))?;
        self.0
            .record_firing(&f.search_name, f.trigger_time.as_nanosecond() as i64, body)
            .map_err(state_err)
    }

    fn forget(&self, search: &str) -> Result<(), StateError> {
        self.0.set_kv(CURSOR, search, None).map_err(state_err)?;
        self.0.set_kv(ALERT, search, None).map_err(state_err)?;
        for (key, _) in self.0.kv_scope(THROTTLE).map_err(state_err)? {
            if key.starts_with(&format!("{search}\u{1f}")) {
                self.0.set_kv(THROTTLE, &key, None).map_err(state_err)?;
            }
        }
        Ok(())
    }
}

/// `_scheduler` and `_alerts` events through the write-ahead log, as any sender's.
pub struct IngestSink {
    pub pipeline: Arc<Pipeline>,
    pub store: Arc<Store>,
    pub runtime: tokio::runtime::Handle,
    pub host: String,
}

impl EventSink for IngestSink {
    fn emit(&self, index: &str, event: serde_json::Value) -> Result<(), SearchError> {
        if !self.store.has_index(index) {
            self.store
                .create_index(index)
                .map_err(|e| SearchError::new(e.to_string()))?;
        }
        let time_ns = event
            .get("time")
            .and_then(|t| t.as_f64())
            .map(|s| (s * 1e9) as i64)
            .unwrap_or_else(crate::ingest::now_ns);
        let mut fields = Vec::new();
        if let serde_json::Value::Object(map) = &event {
            crate::ingest::hec::flatten_json("", map, &mut fields, 0);
        }
        let ev = Event {
            time_ns,
            raw: event.to_string(),
            host: self.host.clone(),
            source: "loupe:scheduler".into(),
            sourcetype: "_json".into(),
            index: index.to_string(),
            fields,
            flags: EventFlags::default(),
        };
        let batch = LoggedBatch {
            channel: None,
            sequence: None,
            events: vec![ev],
        };
        let pipeline = self.pipeline.clone();
        self.runtime
            .block_on(async move { pipeline.submit(batch).await })
            .map(|_| ())
            .map_err(|e| SearchError::new(e.to_string()))
    }
}
