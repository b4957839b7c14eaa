//! Ingest: from request bodies and files to events, and from events to durable storage.
//!
//! - [`body`] inflates gzip bodies within the size limit.
//! - [`hec`] reads `/services/collector/event` bodies, [`raw`] line-breaks `/raw` bodies and files.
//! - [`syslog`] receives RFC 3164/5424 messages over UDP and TCP (`[[syslog]]`).
//! - [`pipeline`] is the durable path: write-ahead log with group commit, deduplication by
//!   channel and sequence, then indexing and periodic commits.

pub mod body;
pub mod hec;
pub mod pipeline;
pub mod quota;
pub mod raw;
pub mod syslog;

use loupe_event::Event;

/// Metadata given to events that do not carry their own.
#[derive(Debug, Clone)]
pub struct EventDefaults {
    pub host: String,
    pub source: String,
    pub sourcetype: String,
    pub index: String,
}

/// Per-request settings for building events.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Longer events are cut and flagged.
    pub max_event_bytes: usize,
    /// Receipt time, for events without a readable timestamp.
    pub now_ns: i64,
    /// Year of year-less timestamps.
    pub default_year: i32,
    /// Zone of zone-less timestamps.
    pub tz: jiff::tz::TimeZone,
}

impl Limits {
    /// Cuts an over-long event at a character boundary and flags it.
    pub fn truncate(&self, ev: &mut Event) {
        if ev.raw.len() > self.max_event_bytes {
            let mut cut = self.max_event_bytes;
            while !ev.raw.is_char_boundary(cut) {
                cut -= 1;
            }
            ev.raw.truncate(cut);
            ev.flags.truncated = true;
        }
    }

    /// The context timestamp recognition needs.
    pub fn time_context(&self) -> loupe_event::timestamp::TimeContext {
        loupe_event::timestamp::TimeContext {
            default_year: self.default_year,
            tz: self.tz.clone(),
        }
    }
}

/// Reads a timestamp from an event's text with its sourcetype's rules (`auto` for unknown sourcetypes).
pub fn recognise_time(raw: &str, sourcetype: &str, limits: &Limits) -> Option<i64> {
    let st = loupe_event::sourcetype::lookup(sourcetype)
        .or_else(|| loupe_event::sourcetype::lookup("auto"))?;
    st.recognizer().recognize(raw, &limits.time_context())
}

/// Current time in epoch nanoseconds.
pub fn now_ns() -> i64 {
    jiff::Timestamp::now().as_nanosecond() as i64
}
