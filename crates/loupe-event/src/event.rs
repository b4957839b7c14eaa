//! The event: one log record with its metadata, as ingest builds it and the store keeps it.

use crate::value::Value;
use serde::{Deserialize, Serialize};

/// One log record; every source (HEC, raw, file import, forwarder) produces these.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Event {
    /// Epoch nanoseconds; nanoseconds because HEC senders send up to 9 decimals.
    pub time_ns: i64,
    /// The original text, searched and shown as is.
    pub raw: String,
    /// Where the event happened; summaries and `stats by host` rely on it.
    pub host: String,
    /// The file or stream it came from.
    pub source: String,
    /// Decides line breaking, timestamp formats and search-time extractions.
    pub sourcetype: String,
    /// The index it is stored in.
    pub index: String,
    /// Indexed fields (HEC `fields`, top-level JSON keys); searched without touching `_raw`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<(String, Value)>,
    /// What went wrong while building it, so users can find mangled events.
    #[serde(default)]
    pub flags: EventFlags,
}

/// Marks on an event that ingest had to repair; surfaced as fields so they are searchable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct EventFlags {
    /// No timestamp could be read: `time_ns` is the receipt time.
    #[serde(default)]
    pub time_from_receipt: bool,
    /// The event was longer than the maximum event size and was cut.
    #[serde(default)]
    pub truncated: bool,
    /// The bytes were not valid UTF-8 and were decoded lossily.
    #[serde(default)]
    pub lossy_utf8: bool,
    /// A syslog input received text that is not syslog: kept as raw text with receipt time,
    /// so a misconfigured sender is visible instead of lost.
    #[serde(default)]
    pub not_syslog: bool,
}

impl EventFlags {
    /// True when nothing had to be repaired (the common case, kept cheap to test).
    pub fn is_clean(&self) -> bool {
        !(self.time_from_receipt || self.truncated || self.lossy_utf8 || self.not_syslog)
    }
}
