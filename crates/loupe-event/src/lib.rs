//! # loupe-event
//!
//! The vocabulary every other Loupe crate speaks, and the import hot path that
//! turns bytes into it:
//!
//! - [`Event`] is one log record with its metadata; a [`Value`] is what a field holds.
//! - [`Sourcetype`] ([`sourcetype::lookup`]) says how a kind of log is read: its
//!   timestamp rules, its line breaking, whether events are JSON.
//! - [`EventBreaker`] cuts a byte stream, fed in arbitrary chunks, into
//!   [`RawEvent`]s (multi-line joining, truncation, lossy UTF-8), borrowing from the
//!   input when it can.
//! - [`TimestampRecognizer`] finds an event's `_time` (epoch nanoseconds) with
//!   hand-written matchers; a [`TimeContext`] supplies the year and zone that the
//!   text may leave out.
//! - [`reltime::resolve`] turns Splunk time modifiers (`-24h@h`, `@w1`, ISO 8601,
//!   epoch seconds) into epoch nanoseconds.
//! - [`extract::extract_fields`] pulls search-time fields out of `_raw`.
//! - [`props`] holds user-defined sourcetypes (`[sourcetypes.NAME]` in `loupe.toml` and
//!   `forwarder.toml`): [`props::SourcetypeTable::resolve`] accepts any name, an undefined one
//!   behaving as `auto`; [`strftime`] reads their `time_format`.
//!
//! ```
//! use loupe_event::{sourcetype, TimeContext};
//!
//! let st = sourcetype::lookup("linux_secure").expect("built in");
//! let mut breaker = st.breaker(10_000);
//! let mut recognizer = st.recognizer();
//! // Syslog lines have no year: the context supplies it (and the zone, here UTC).
//! let ctx = TimeContext::utc(2026);
//!
//! let mut times = Vec::new();
//! let mut on_event = |ev: loupe_event::RawEvent<'_>| {
//!     let time = recognizer.recognize(&ev.text, &ctx);
//!     times.push((ev.text.into_owned(), time));
//! };
//! // Chunks may end anywhere; the second event is completed by the next chunk.
//! breaker.push(b"Mar  2 10:00:01 web-1 sshd[42]: Failed password for root\nMar  2 10:0", &mut on_event);
//! breaker.push(b"0:02 web-1 sshd[42]: Accepted password for bob\n", &mut on_event);
//! breaker.finish(&mut on_event);
//!
//! let t0: jiff::Timestamp = "2026-03-02T10:00:01Z".parse().unwrap();
//! assert_eq!(times.len(), 2);
//! assert_eq!(times[0].1, Some(t0.as_nanosecond() as i64));
//! assert_eq!(times[1].1, Some(t0.as_nanosecond() as i64 + 1_000_000_000));
//! assert!(times[1].0.ends_with("Accepted password for bob"));
//! ```

#![warn(missing_docs)]

pub mod event;
pub mod extract;
pub mod linebreak;
pub mod props;
pub mod reltime;
pub mod sourcetype;
pub mod strftime;
pub mod timestamp;
pub mod value;

pub use event::{Event, EventFlags};
pub use linebreak::{EventBreaker, LineBreaking, RawEvent};
pub use reltime::TimeError;
pub use sourcetype::Sourcetype;
pub use timestamp::{Anchor, TimeContext, TimeFormat, TimestampRecognizer, TimestampRule};
pub use value::Value;
