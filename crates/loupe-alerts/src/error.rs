//! Errors of the alert crate. Each says what was being done, so a `_scheduler` event or an
//! API answer can carry the message as it is.

/// A saved search that cannot be scheduled, or a run that could not be carried out.
#[derive(Debug, thiserror::Error)]
pub enum AlertError {
    /// The cron text was refused by croner; the message names the pattern.
    #[error("invalid cron {cron:?}: {reason}")]
    Cron {
        /// The pattern as given.
        cron: String,
        /// croner's explanation.
        reason: String,
    },
    /// The `timezone` is not an IANA zone known to this machine's tz database.
    #[error("unknown time zone {0:?}")]
    TimeZone(String),
    /// `earliest`/`latest` could not be resolved against the scheduled time.
    #[error("time range: {0}")]
    Time(#[from] loupe_event::TimeError),
    /// A duration such as `throttle = "30m"` or `schedule_window = "5m"` is malformed.
    #[error("invalid duration {input:?} for {what}: expected e.g. 30s, 5m, 2h, 1d")]
    Duration {
        /// The text as given.
        input: String,
        /// Which setting it was.
        what: &'static str,
    },
    /// A `where` condition does not parse or names an unknown function.
    #[error("invalid where condition {expr:?}: {reason}")]
    Where {
        /// The expression as given.
        expr: String,
        /// The parser's or evaluator's message.
        reason: String,
    },
    /// The search itself failed (the indexer's message).
    #[error("search failed: {0}")]
    Search(#[from] SearchError),
    /// The persisted scheduler state could not be read or written.
    #[error("scheduler state: {0}")]
    State(#[from] StateError),
    /// A run of this search is in flight; runs of one search never overlap.
    #[error("saved search {0:?} is already running")]
    Busy(String),
    /// No saved search of that name is known to the scheduler.
    #[error("no saved search named {0:?}")]
    UnknownSearch(String),
}

/// What the indexer's [`Searcher`](crate::Searcher) reports when a run fails: a broken query,
/// a limit hit, an index that is gone. Only the message travels: the scheduler records it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SearchError {
    /// Human sentence, shown in `_scheduler` and in the console.
    pub message: String,
}

impl SearchError {
    /// An error with this message.
    pub fn new(message: impl Into<String>) -> SearchError {
        SearchError {
            message: message.into(),
        }
    }
}

/// The indexer's [`StateStore`](crate::StateStore) could not read or write (SQLite busy, disk full).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct StateError {
    /// Human sentence.
    pub message: String,
}

impl StateError {
    /// An error with this message.
    pub fn new(message: impl Into<String>) -> StateError {
        StateError {
            message: message.into(),
        }
    }
}

/// Why one attempt of an action failed, and whether trying again may help.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ActionError {
    /// Human sentence (HTTP status and body start, SMTP reply, exit code and stderr tail).
    pub message: String,
    /// False when a retry cannot succeed (no such script, a 4xx answer, a bad address), so
    /// the scheduler does not wait through backoffs for nothing.
    pub retryable: bool,
}

impl ActionError {
    /// A failure that may pass on a later attempt (connection refused, 5xx, timeout).
    pub fn transient(message: impl Into<String>) -> ActionError {
        ActionError {
            message: message.into(),
            retryable: true,
        }
    }

    /// A failure that the same attempt will meet again (configuration, 4xx).
    pub fn permanent(message: impl Into<String>) -> ActionError {
        ActionError {
            message: message.into(),
            retryable: false,
        }
    }
}
