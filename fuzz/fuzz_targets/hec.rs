//! HEC bodies as any sender could send them: the decoders of `/services/collector/event` and
//! `/services/collector/raw`, with and without gzip, must never panic, and every event they
//! return must be bounded by the event size limit (`make fuzz` runs this beside the parser).
//!
//! The first byte chooses the path: bit 0 gzip (the rest is a gzip stream, inflated within
//! the body limit as the server does), bit 1 `/raw` instead of `/event`, the other bits the
//! sourcetype `/raw` breaks lines with.

#![no_main]

use libfuzzer_sys::fuzz_target;
use loupe::ingest::{body, hec, raw, EventDefaults, Limits};

const MAX_EVENT: usize = 4096;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let inflated;
    let bytes = if mode & 1 == 1 {
        match body::gunzip(rest, 1 << 20) {
            Ok(b) => {
                inflated = b;
                &inflated[..]
            }
            Err(_) => return,
        }
    } else {
        rest
    };
    let defaults = EventDefaults {
        host: "fuzz".into(),
        source: "fuzz".into(),
        sourcetype: "httpevent".into(),
        index: "main".into(),
    };
    let limits = Limits {
        max_event_bytes: MAX_EVENT,
        now_ns: 1_767_225_600_000_000_000,
        default_year: 2026,
        tz: jiff::tz::TimeZone::UTC,
    };
    let events = if mode & 2 == 0 {
        match hec::parse_event_body(bytes, &defaults, &limits) {
            Ok(evs) => evs,
            Err(e) => {
                assert_eq!(e.index, e.good.len());
                e.good
            }
        }
    } else {
        let names = loupe_event::sourcetype::builtin_names();
        let name = names[(mode as usize >> 2) % names.len()];
        let Some(st) = loupe_event::sourcetype::lookup(name) else {
            return;
        };
        raw::parse_raw_body(bytes, &st, defaults, &limits)
    };
    for ev in &events {
        assert!(ev.raw.len() <= MAX_EVENT, "event of {} bytes", ev.raw.len());
    }
});
