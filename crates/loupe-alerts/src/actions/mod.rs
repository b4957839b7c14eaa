//! What a firing does: [`webhook`], [`email`], [`script`], [`index`]. Each action gets the
//! [`Firing`] and the [`ActionConfig`] the indexer built from `loupe.toml`; failures are
//! retried with exponential backoff ([`RetryPolicy`], waits through an injected
//! [`Sleeper`]) and every action's outcome is recorded in the run's `_scheduler` event.
//!
//! Actions run on the scheduler's worker thread that ran the search, one after the other:
//! a slow SMTP server delays that search's next run, never another search's.

pub mod email;
pub mod index;
pub mod script;
pub mod webhook;

use crate::clock::Sleeper;
use crate::record::ActionOutcome;
use crate::searcher::{EventSink, Row};
use jiff::Timestamp;
use loupe_meta::{Action, Severity};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

pub use email::{EmailConfig, StartTls};
pub use script::ScriptConfig;

/// One firing as the actions see it.
#[derive(Debug, Clone, PartialEq)]
pub struct Firing {
    /// The saved search.
    pub search_name: String,
    /// Its SPL.
    pub query: String,
    /// Search id of the run.
    pub sid: String,
    /// Splunk's `owner`: objects belong to the instance (DESIGN §8), so `nobody`.
    pub owner: String,
    /// Splunk's `app`: `search`.
    pub app: String,
    /// Console link to the search over the run's window.
    pub results_link: String,
    /// The alert's severity.
    pub severity: Severity,
    /// Scheduled time of the run.
    pub scheduled_time: Timestamp,
    /// When the firing was decided.
    pub trigger_time: Timestamp,
    /// Window start of the run (`None` = all time).
    pub earliest: Option<Timestamp>,
    /// Window end of the run.
    pub latest: Timestamp,
    /// The notice sent when a firing alert stops firing (`notify_resolved`).
    pub resolved: bool,
    /// Throttle key (`""` when throttled as a whole).
    pub key: String,
    /// Column order of the results.
    pub columns: Vec<String>,
    /// The firing's rows (all of them for digest; one for per_result; none for no_data).
    pub rows: Vec<Row>,
}

/// Retries of a failed action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all (1 = no retry).
    pub max_attempts: u32,
    /// Pause before the second attempt.
    pub initial_backoff: Duration,
    /// Each further pause is the previous times this.
    pub factor: u32,
    /// Longest pause.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    /// 3 attempts, 2 s then 4 s: a receiver restarting is waited for, a dead one costs the
    /// run 6 s, not minutes.
    fn default() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 3,
            initial_backoff: Duration::from_secs(2),
            factor: 2,
            max_backoff: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// The pause after failed attempt `n` (1-based).
    pub fn backoff(&self, n: u32) -> Duration {
        let mut d = self.initial_backoff;
        for _ in 1..n {
            d = d.saturating_mul(self.factor).min(self.max_backoff);
        }
        d.min(self.max_backoff)
    }
}

/// What actions need from the server's configuration.
#[derive(Debug, Clone)]
pub struct ActionConfig {
    /// `[email]` of `loupe.toml`; `None` makes every e-mail action fail with that reason.
    pub email: Option<EmailConfig>,
    /// `[scripts.NAME]` of `loupe.toml`: the only programs a `script` action may run.
    pub scripts: BTreeMap<String, ScriptConfig>,
    /// Base URL of the console (`http://127.0.0.1:8088`), for `results_link`.
    pub console_url: String,
    /// Rows sent in a webhook's `results`, an e-mail body and its attachments (a result set of
    /// a million rows must not become a million-row mail).
    pub results_cap: usize,
    /// Time limit of one webhook request.
    pub webhook_timeout: Duration,
    /// Time limit of one SMTP conversation.
    pub smtp_timeout: Duration,
    /// Time limit of one script run (killed past it).
    pub script_timeout: Duration,
    /// Retries of a failed action.
    pub retry: RetryPolicy,
}

impl Default for ActionConfig {
    fn default() -> ActionConfig {
        ActionConfig {
            email: None,
            scripts: BTreeMap::new(),
            console_url: "http://127.0.0.1:8088".into(),
            results_cap: 1000,
            webhook_timeout: Duration::from_secs(10),
            smtp_timeout: Duration::from_secs(30),
            script_timeout: Duration::from_secs(60),
            retry: RetryPolicy::default(),
        }
    }
}

/// Runs one action for a firing, with retries; never fails itself: the outcome says.
pub fn run_action(
    config: &ActionConfig,
    sink: &dyn EventSink,
    sleeper: &dyn Sleeper,
    action: &Action,
    firing: &Firing,
) -> ActionOutcome {
    let (name, target) = describe(action);
    let mut attempts = 0;
    let mut last_error = None;
    let max = config.retry.max_attempts.max(1);
    while attempts < max {
        attempts += 1;
        let result = match action {
            Action::Webhook { url, body_template } => {
                webhook::send(config, url, body_template.as_deref(), firing)
            }
            Action::Email {
                to,
                subject,
                attach,
            } => email::send(config, to, subject.as_deref(), attach, firing),
            Action::Index { index } => index::send(sink, index.as_deref(), firing),
            Action::Script { name } => script::send(config, name, firing),
        };
        match result {
            Ok(()) => {
                last_error = None;
                break;
            }
            Err(e) => {
                tracing::warn!(action = name, target = %target, attempt = attempts, error = %e.message, "alert action failed");
                let retry = e.retryable && attempts < max;
                last_error = Some(e.message);
                if !retry {
                    break;
                }
                sleeper.sleep(config.retry.backoff(attempts));
            }
        }
    }
    ActionOutcome {
        action: name.to_string(),
        target,
        ok: last_error.is_none(),
        attempts,
        error: last_error,
        key: firing.key.clone(),
    }
}

fn describe(action: &Action) -> (&'static str, String) {
    match action {
        Action::Webhook { url, .. } => ("webhook", url.clone()),
        Action::Email { to, .. } => ("email", to.join(", ")),
        Action::Index { index } => (
            "index",
            index.clone().unwrap_or_else(|| crate::ALERTS_INDEX.into()),
        ),
        Action::Script { name } => ("script", name.clone()),
    }
}

/// The rows an action sends: the firing's, up to the cap.
pub(crate) fn capped<'a>(config: &ActionConfig, firing: &'a Firing) -> &'a [Row] {
    &firing.rows[..firing.rows.len().min(config.results_cap)]
}

/// Where a path setting lives, for messages.
pub(crate) fn show_path(p: &std::path::Path) -> String {
    PathBuf::from(p).display().to_string()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::clock::RecordingSleeper;
    use crate::searcher::MemorySink;
    use serde_json::json;

    pub(crate) fn firing() -> Firing {
        Firing {
            search_name: "5xx burst".into(),
            query: "status>=500 | stats count by host".into(),
            sid: "scheduler__5xx_burst__1767225600".into(),
            owner: "nobody".into(),
            app: "search".into(),
            results_link: "http://127.0.0.1:8088/search?q=x".into(),
            severity: Severity::High,
            scheduled_time: "2026-01-01T00:00:00Z".parse().unwrap(),
            trigger_time: "2026-01-01T00:00:01Z".parse().unwrap(),
            earliest: None,
            latest: "2026-01-01T00:00:00Z".parse().unwrap(),
            resolved: false,
            key: String::new(),
            columns: vec!["host".into(), "count".into(), "msg".into()],
            rows: serde_json::from_value(json!([
                {"host":"web-1","count":60,"msg":"said \"hi\"\nthen left"},
                {"host":"web-2","count":51,"msg":"ok"}
            ]))
            .unwrap(),
        }
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy {
            max_attempts: 5,
            initial_backoff: Duration::from_secs(1),
            factor: 3,
            max_backoff: Duration::from_secs(5),
        };
        let b: Vec<u64> = (1..5).map(|n| p.backoff(n).as_secs()).collect();
        assert_eq!(b, vec![1, 3, 5, 5]);
    }

    #[test]
    fn a_script_not_allow_listed_fails_once_without_retry() {
        let sleeper = RecordingSleeper::default();
        let out = run_action(
            &ActionConfig::default(),
            &MemorySink::default(),
            &sleeper,
            &Action::Script { name: "rm".into() },
            &firing(),
        );
        assert!(!out.ok);
        assert_eq!(out.attempts, 1);
        assert!(out.error.unwrap().contains("not allow-listed"));
        assert!(sleeper.slept().is_empty());
    }
}
