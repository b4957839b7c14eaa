//! # loupe-alerts
//!
//! Scheduled runs of saved searches, alert conditions and throttling, the actions a firing
//! takes, and PDF reports. Knows nothing of the store or of HTTP (DESIGN §2): the indexer hands
//! it a [`Searcher`] and a [`Clock`], so the scheduler is tested without sleeping and without
//! a server.
//!
//! What the indexer implements:
//! - [`Searcher`]: run a query over an absolute `[earliest, latest)` as the saved search;
//! - [`StateStore`]: cursors (which scheduled times are handled), throttles, firing state,
//!   run and firing history — in its SQLite file ([`MemoryStateStore`] for tests);
//! - [`EventSink`]: index a JSON event into `_scheduler` / `_alerts` ([`MemorySink`] for tests);
//! - it passes a [`Clock`] ([`SystemClock`]; [`ManualClock`] in tests), a [`Sleeper`] for retry
//!   backoffs ([`ThreadSleeper`]; [`RecordingSleeper`] in tests) and an [`ActionConfig`] built
//!   from `loupe.toml` (`[email]` as [`EmailConfig`], `[scripts]` as [`ScriptConfig`]s, the
//!   console URL for `results_link`).
//!
//! What it calls:
//! - [`Scheduler::new`], then [`Scheduler::set_searches`] after every change of the saved
//!   searches, [`Scheduler::spawn`] in `loupe serve` (ticks every second), [`Scheduler::run_now`]
//!   for an on-demand run, [`validate`] to refuse a broken saved search with 400;
//! - [`report::render_pdf`] for a report outside alerts (a dashboard mailed as PDF).
//!
//! The pieces, each in the module named after it: [`schedule`] (cron with `croner`, time zones
//! and DST rules, the run window), [`condition`] (counts, `where`, no data, rises/drops),
//! [`throttle`] (digest / per-result, per-field throttle keys), [`actions`] (webhook, e-mail,
//! script, index, retries), [`report`] (PDF), [`scheduler`] (catch-up, no overlap, bounded
//! concurrency), [`record`] (the `_scheduler` and `_alerts` events).
//!
//! ```
//! use loupe_alerts::*;
//! use std::sync::Arc;
//!
//! // A fake searcher: 3 rows whatever the query.
//! struct Three;
//! impl Searcher for Three {
//!     fn search(&self, _req: &SearchRequest) -> Result<SearchResults, SearchError> {
//!         let rows = (0..3).map(|i| serde_json::json!({"host": format!("web-{i}")}))
//!             .map(|v| v.as_object().cloned().unwrap_or_default()).collect();
//!         Ok(SearchResults::from_rows(rows))
//!     }
//! }
//!
//! let t0: jiff::Timestamp = "2026-03-02T08:00:00Z".parse().unwrap();
//! let clock = Arc::new(ManualClock::new(t0));
//! let state = Arc::new(MemoryStateStore::new());
//! let sink = Arc::new(MemorySink::default());
//! let deps = SchedulerDeps {
//!     searcher: Arc::new(Three), state: state.clone(), sink: sink.clone(),
//!     clock: clock.clone(), sleeper: Arc::new(RecordingSleeper::default()),
//! };
//! let scheduler = Scheduler::new(deps, SchedulerConfig::default());
//! let saved: loupe_meta::SavedSearch = serde_json::from_str(r#"{
//!     "name": "hosts", "query": "error | stats count by host", "cron": "* * * * *",
//!     "timezone": "Europe/Paris", "earliest": "-1m",
//!     "alert": {"condition": {"type": "results", "relation": "greater_than", "quantity": 2},
//!               "throttle": "10m", "actions": [{"type": "index"}]}}"#).unwrap();
//! assert!(scheduler.set_searches(vec![saved]).is_empty());
//!
//! scheduler.tick(t0);                       // first sight: the schedule starts here
//! for minute in 1..=3 {
//!     let now = clock.advance(jiff::SignedDuration::from_mins(1));
//!     scheduler.tick(now);
//!     scheduler.wait_idle();
//! }
//! let runs = state.runs();
//! assert_eq!(runs.len(), 3);
//! assert!(runs[0].fired);                   // 3 > 2
//! assert_eq!(runs[1].throttled, 1);         // then throttled for 10 minutes
//! assert_eq!(sink.events_in(ALERTS_INDEX).len(), 1);
//! assert_eq!(sink.events_in(SCHEDULER_INDEX).len(), 3);
//! ```

#![warn(missing_docs)]

pub mod actions;
pub mod clock;
pub mod condition;
pub mod error;
pub mod record;
pub mod report;
pub mod schedule;
pub mod scheduler;
pub mod searcher;
pub mod state;
pub mod table;
pub mod template;
pub mod throttle;

pub use actions::{ActionConfig, EmailConfig, Firing, RetryPolicy, ScriptConfig, StartTls};
pub use clock::{Clock, ManualClock, RecordingSleeper, Sleeper, SystemClock, ThreadSleeper};
pub use error::{ActionError, AlertError, SearchError, StateError};
pub use record::{ActionOutcome, FiredRecord, RunRecord, RunStatus, StateChange};
pub use schedule::Schedule;
pub use scheduler::{
    results_link, sid_for, validate, Scheduler, SchedulerConfig, SchedulerDeps, SchedulerHandle,
    TickReport,
};
pub use searcher::{
    EventSink, MemorySink, Row, SearchRequest, SearchResults, Searcher, ALERTS_INDEX,
    SCHEDULER_INDEX,
};
pub use state::{AlertState, MemoryStateStore, StateStore};
