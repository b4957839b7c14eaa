//! What a run and a firing leave behind: the `_scheduler` and `_alerts` events and the
//! history rows of the [`StateStore`](crate::StateStore). One shape for both, so what the
//! console lists is what a search over `_scheduler` finds.

use crate::searcher::Row;
use jiff::Timestamp;
use loupe_meta::Severity;
use serde::{Deserialize, Serialize};

/// How a scheduled run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// The search ran (actions may still have failed: see [`RunRecord::actions`]).
    Success,
    /// The search, the window or the state store failed; `error` says why.
    Failed,
    /// The scheduled time was not run (missed during downtime under `catch_up = skip`, past
    /// the catch-up cap, past its `schedule_window`); `reason` says why.
    Skipped,
}

/// A change of an alert's state caused by a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StateChange {
    /// Condition met after not being met: a new firing.
    Fired,
    /// Condition met again while already firing.
    StillFiring,
    /// Condition no longer met after firing.
    Resolved,
}

/// The result of one action of one firing, after its retries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionOutcome {
    /// `webhook`, `email`, `index` or `script`.
    pub action: String,
    /// What it reached: the URL, the recipients, the index, the script name.
    pub target: String,
    /// Whether the last attempt succeeded.
    pub ok: bool,
    /// Attempts made (1 = no retry).
    pub attempts: u32,
    /// Message of the last failure, when it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Throttle key of the firing the action belonged to (per-field throttling).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub key: String,
}

/// One scheduled (or on-demand) run of a saved search: the `_scheduler` event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// The saved search.
    pub search_name: String,
    /// Search id (`scheduler__<name>__<epoch>`).
    pub sid: String,
    /// The scheduled time this run stands for (defines its window).
    pub scheduled_time: Timestamp,
    /// Wall-clock start (from the [`Clock`](crate::Clock)); `None` for a skipped time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started: Option<Timestamp>,
    /// How late the run started after its scheduled time, in milliseconds (scheduler lag).
    pub lag_ms: i64,
    /// Search plus condition plus actions, in milliseconds, with a fraction: a small scheduled
    /// `stats count` takes well under a millisecond, and whole milliseconds averaged to 0.
    pub duration_ms: f64,
    /// Window start; `None` = all time (or not resolved).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub earliest: Option<Timestamp>,
    /// Window end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest: Option<Timestamp>,
    /// How it ended.
    pub status: RunStatus,
    /// Why it was skipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Why it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Result rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_count: Option<usize>,
    /// At least one firing went out (not throttled).
    pub fired: bool,
    /// Firings sent (one in digest mode, one per row or per key otherwise).
    pub firings: usize,
    /// Firings suppressed by throttling.
    pub throttled: usize,
    /// Alert state change, for searches with an alert.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_change: Option<StateChange>,
    /// Every action of every firing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<ActionOutcome>,
    /// Actions that failed after their retries.
    pub actions_failed: usize,
}

impl RunRecord {
    /// The `_scheduler` event: the record's fields plus `time` (epoch seconds of the scheduled
    /// time, the event's `_time`) and `event_type = "run"`.
    pub fn to_event(&self) -> serde_json::Value {
        let mut v = serde_json::to_value(self).unwrap_or_default();
        if let Some(o) = v.as_object_mut() {
            o.insert("time".into(), epoch(self.scheduled_time));
            o.insert("event_type".into(), "run".into());
        }
        v
    }
}

/// One firing (or resolved notice) of an alert: the `_alerts` event and the row of
/// `/api/v1/alerts/fired`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FiredRecord {
    /// The saved search.
    pub search_name: String,
    /// Search id of the run.
    pub sid: String,
    /// Scheduled time of the run.
    pub scheduled_time: Timestamp,
    /// When the firing was decided (wall clock).
    pub trigger_time: Timestamp,
    /// The alert's severity.
    pub severity: Severity,
    /// `true` for the notice sent when a firing alert stops firing.
    pub resolved: bool,
    /// Throttle key (values of `throttle_fields`), empty when throttled as a whole.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub key: String,
    /// Rows of this firing.
    pub result_count: usize,
    /// The rows themselves, capped.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub results: Vec<Row>,
    /// Console link to the run's search.
    pub results_link: String,
    /// What each action did.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<ActionOutcome>,
}

impl FiredRecord {
    /// The `_alerts` event: the record plus `time` and `event_type` (`fired`/`resolved`).
    pub fn to_event(&self) -> serde_json::Value {
        let mut v = serde_json::to_value(self).unwrap_or_default();
        if let Some(o) = v.as_object_mut() {
            o.insert("time".into(), epoch(self.trigger_time));
            o.insert(
                "event_type".into(),
                if self.resolved { "resolved" } else { "fired" }.into(),
            );
        }
        v
    }
}

/// Epoch seconds with milliseconds, as HEC's `time`.
pub(crate) fn epoch(t: Timestamp) -> serde_json::Value {
    serde_json::json!(t.as_millisecond() as f64 / 1000.0)
}
