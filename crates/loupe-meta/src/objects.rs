//! The objects users make, as the API and the files of `loupe apply` spell them (DESIGN §4):
//! a [`SavedSearch`], optionally scheduled, optionally an [`Alert`] with its [`Condition`]
//! and [`Action`]s. Plain serde types, so the console, the files and SQLite share one shape;
//! unknown keys are errors, so a typo in a file is reported instead of silently ignored.

use serde::{Deserialize, Serialize};

/// A search kept under a name, run on demand or on a schedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedSearch {
    /// Unique name (what Splunk calls the stanza); letters, digits, spaces, `_-.:`.
    pub name: String,
    /// SPL.
    pub query: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Time range of each run, relative to the scheduled time (`-24h@h`, `@d`); none = all time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub earliest: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest: Option<String>,
    /// Five cron fields (six with seconds first); none = run on demand only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cron: Option<String>,
    /// IANA zone the cron and the time range are read in; none = the server's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    #[serde(default = "yes")]
    pub enabled: bool,
    /// How late a run may start after its scheduled time (`"5m"`), to spread load; none = on time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule_window: Option<String>,
    /// What to do with scheduled times missed while the server was down.
    #[serde(default, skip_serializing_if = "CatchUp::is_default")]
    pub catch_up: CatchUp,
    /// Runs whose results are kept (newest first); none = the server's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_runs: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert: Option<Alert>,
}

fn yes() -> bool {
    true
}

/// Scheduled times missed while nothing ran (downtime).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CatchUp {
    /// Only the newest missed time runs (no storm after downtime).
    #[default]
    Skip,
    /// Every missed time runs, oldest first, up to a cap.
    RunMissed,
}

impl CatchUp {
    fn is_default(&self) -> bool {
        *self == CatchUp::Skip
    }
}

/// When a run's results make a firing, what it tells, and how often.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Alert {
    pub condition: Condition,
    #[serde(default, skip_serializing_if = "AlertMode::is_default")]
    pub mode: AlertMode,
    /// No new firing within this duration of the last (`"30m"`); none = every run may fire.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub throttle: Option<String>,
    /// Throttle per value of these fields (one firing per host, say) instead of per search.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub throttle_fields: Vec<String>,
    #[serde(default, skip_serializing_if = "Severity::is_default")]
    pub severity: Severity,
    /// Also run the actions once when a firing alert stops firing.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub notify_resolved: bool,
    #[serde(default)]
    pub actions: Vec<Action>,
}

/// Splunk's `counttype`/`relation`/`quantity`, a `where` over the results, or no data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Condition {
    /// Every run with at least one result fires (Splunk's "always" on a non-empty search).
    Always,
    /// On the number of result rows.
    Results { relation: Relation, quantity: f64 },
    /// On the number of distinct `host` values in the results.
    Hosts { relation: Relation, quantity: f64 },
    /// On the number of distinct `source` values in the results.
    Sources { relation: Relation, quantity: f64 },
    /// An eval expression true for some result row (`count > 50`); with `per_result`, per row.
    Where { expr: String },
    /// The search returned nothing: a job that went silent.
    NoData,
}

/// How a count compares; `rises_by`/`drops_by` compare with the previous run's count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    GreaterThan,
    LessThan,
    EqualTo,
    NotEqualTo,
    RisesBy,
    DropsBy,
}

/// One firing for the whole result set, or one per result row.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertMode {
    #[default]
    Digest,
    PerResult,
}

impl AlertMode {
    fn is_default(&self) -> bool {
        *self == AlertMode::Digest
    }
}

/// Splunk's five levels.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Low,
    #[default]
    Medium,
    High,
    Critical,
}

impl Severity {
    fn is_default(&self) -> bool {
        *self == Severity::Medium
    }
}

/// What a firing does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {
    /// POST of Splunk's payload (`search_name`, `sid`, `results_link`, `owner`, `app`,
    /// `result`, plus `results`), or of `body_template` rendered (Teams, Slack, Zoom shapes).
    Webhook {
        url: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        body_template: Option<String>,
    },
    /// HTML and text mail with the results table; CSV and PDF attachments on request.
    Email {
        to: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        subject: Option<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        attach: Vec<Attachment>,
    },
    /// The firing as an event in `_alerts` (or the index named).
    Index {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        index: Option<String>,
    },
    /// A program allow-listed in `loupe.toml` under this name, results as CSV on stdin.
    Script { name: String },
}

/// Files attached to an e-mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Attachment {
    Csv,
    Pdf,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_api_body_round_trips() {
        let body = r#"{"name":"Batch errors","query":"index=batchs error | lookup batchs.csv path AS source","earliest":"-24h@h","latest":"@h","cron":"0 7 * * *","timezone":"Europe/Paris","enabled":true,
            "alert":{"condition":{"type":"results","relation":"greater_than","quantity":0},"throttle":"30m","throttle_fields":["host"],"severity":"high",
            "actions":[{"type":"email","to":["team@example.org"],"attach":["csv","pdf"]},{"type":"webhook","url":"http://127.0.0.1:9/hook"},{"type":"index"}]}}"#;
        let s: SavedSearch = serde_json::from_str(body).unwrap();
        assert_eq!(s.cron.as_deref(), Some("0 7 * * *"));
        let a = s.alert.as_ref().unwrap();
        assert_eq!(
            a.condition,
            Condition::Results {
                relation: Relation::GreaterThan,
                quantity: 0.0
            }
        );
        assert_eq!(a.severity, Severity::High);
        let again: SavedSearch = serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
        assert_eq!(again, s);
        let typo = r#"{"name":"x","query":"*","cronn":"* * * * *"}"#;
        assert!(serde_json::from_str::<SavedSearch>(typo)
            .unwrap_err()
            .to_string()
            .contains("cronn"));
    }
}
