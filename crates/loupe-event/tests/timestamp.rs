//! Timestamp recognition: formats and edge cases one by one, and a fuzz run that
//! nothing panics on arbitrary text.

use jiff::tz::TimeZone;
use jiff::Timestamp;
use loupe_event::sourcetype;
use loupe_event::timestamp::{TimeContext, TimeFormat, TimestampRecognizer, TimestampRule};
use proptest::prelude::*;

fn ns(s: &str) -> i64 {
    let t: Timestamp = s.parse().unwrap_or_else(|e| panic!("{s}: {e}"));
    i64::try_from(t.as_nanosecond()).expect("fits")
}

fn auto(text: &str, ctx: &TimeContext) -> Option<i64> {
    TimestampRecognizer::auto().recognize(text, ctx)
}

#[test]
fn offsets_and_fractions() {
    let ctx = TimeContext::utc(2026);
    let cases: &[(&str, &str)] = &[
        ("2026-03-02T10:00:00Z", "2026-03-02T10:00:00Z"),
        ("2026-03-02T10:00:00+01:00", "2026-03-02T09:00:00Z"),
        ("2026-03-02T10:00:00+0100 x", "2026-03-02T09:00:00Z"),
        ("2026-03-02T10:00:00-07 x", "2026-03-02T17:00:00Z"),
        ("2026-03-02 10:00:00 -0700 x", "2026-03-02T17:00:00Z"),
        ("2026-03-02 10:00:00.1 x", "2026-03-02T10:00:00.1Z"),
        (
            "2026-03-02 10:00:00.123456789 x",
            "2026-03-02T10:00:00.123456789Z",
        ),
        // Digits beyond nanoseconds are dropped, not rounded.
        (
            "2026-03-02 10:00:00.1234567891 x",
            "2026-03-02T10:00:00.123456789Z",
        ),
        ("2026/03/02 10:00:00 x", "2026-03-02T10:00:00Z"),
        (
            "[Wed Oct 11 14:32:52.123456 2000] [core:error]",
            "2000-10-11T14:32:52.123456Z",
        ),
        ("Nov 9 12:01:01 dn228", "2026-11-09T12:01:01Z"),
        ("jun 14 15:16:01 combo", "2026-06-14T15:16:01Z"),
        ("991231 235959 1 INFO", "1999-12-31T23:59:59Z"),
        ("- 1131566461.5 2005.11.09 dn228", "2005-11-09T20:01:01.5Z"),
        ("{\"ts\": \"1767225601.25\"}", "2026-01-01T00:00:01.25Z"),
        ("{\"ts\": 1767225601250}", "2026-01-01T00:00:01.25Z"),
        (
            "{\"@timestamp\":\"2026-03-02T10:00:00.5Z\",\"x\":1}",
            "2026-03-02T10:00:00.5Z",
        ),
    ];
    for (text, want) in cases {
        assert_eq!(auto(text, &ctx), Some(ns(want)), "{text}");
    }
}

#[test]
fn json_keys_must_be_top_level_keys() {
    let ctx = TimeContext::utc(2026);
    let st = sourcetype::lookup("_json").expect("_json");
    let mut r = st.recognizer();
    // A nested `ts` and a string value "ts" are not the time; the top-level `time` is.
    let text =
        r#"{"msg":"ts","inner":{"ts":"2001-01-01T00:00:00Z"},"time":"2026-03-02T10:00:00Z"}"#;
    assert_eq!(r.recognize(text, &ctx), Some(ns("2026-03-02T10:00:00Z")));
    // Escaped quotes inside strings do not derail the scan.
    let text = r#"{"msg":"say \"ts\": 1","ts":"2026-03-02T10:00:00Z"}"#;
    assert_eq!(r.recognize(text, &ctx), Some(ns("2026-03-02T10:00:00Z")));
    // No time key: `_json` falls back to an ISO time in the text.
    let text = r#"{"msg":"at 2026-03-02T10:00:00Z"}"#;
    assert_eq!(r.recognize(text, &ctx), Some(ns("2026-03-02T10:00:00Z")));
    assert_eq!(r.recognize(r#"{"msg":"none"}"#, &ctx), None);
}

#[test]
fn year_less_dates_need_a_valid_day_in_the_context_year() {
    let text = "Feb 29 10:00:00 host x";
    assert_eq!(
        auto(text, &TimeContext::utc(2024)),
        Some(ns("2024-02-29T10:00:00Z"))
    );
    assert_eq!(auto(text, &TimeContext::utc(2023)), None);
}

#[test]
fn zone_less_times_in_the_context_zone_explicit_offsets_win() {
    let ny = TimeZone::get("America/New_York").expect("tzdb");
    let ctx = TimeContext::new(2026, ny);
    assert_eq!(
        auto("Jul  4 12:00:00 h", &ctx),
        Some(ns("2026-07-04T16:00:00Z"))
    );
    assert_eq!(
        auto("Jan  4 12:00:00 h", &ctx),
        Some(ns("2026-01-04T17:00:00Z"))
    );
    assert_eq!(
        auto("2026-07-04T12:00:00Z", &ctx),
        Some(ns("2026-07-04T12:00:00Z"))
    );
    assert_eq!(
        auto("1.2.3.4 - - [04/Jul/2026:12:00:00 +0200] \"GET", &ctx),
        Some(ns("2026-07-04T10:00:00Z"))
    );
    // Epochs are absolute.
    assert_eq!(
        auto("- 1131566461 2005.11.09 dn228", &ctx),
        Some(ns("2005-11-09T20:01:01Z"))
    );
}

#[test]
fn sourcetype_rules_are_anchored() {
    let ctx = TimeContext::utc(2026);
    // HDFS reads only its own format at the start.
    let mut hdfs = sourcetype::lookup("HDFS").expect("HDFS").recognizer();
    assert_eq!(
        hdfs.recognize("081109 203615 148 INFO", &ctx),
        Some(ns("2008-11-09T20:36:15Z"))
    );
    assert_eq!(hdfs.recognize("x 081109 203615 148 INFO", &ctx), None);
    assert_eq!(hdfs.recognize("2026-03-02 10:00:00 INFO", &ctx), None);
    // HPC: epoch in the fifth field only.
    let mut hpc = sourcetype::lookup("HPC").expect("HPC").recognizer();
    assert_eq!(
        hpc.recognize("1 node-1 unix.hw state 1077804742 1 x", &ctx),
        Some(ns("2004-02-26T14:12:22Z"))
    );
    assert_eq!(
        hpc.recognize("1077804742 node-1 unix.hw state x 1", &ctx),
        None
    );
    // A hand-built rule list.
    let mut r = TimestampRecognizer::with_rules(vec![
        TimestampRule::start(TimeFormat::Syslog),
        TimestampRule::search(TimeFormat::Clf),
    ]);
    assert_eq!(
        r.recognize("Jun 14 15:16:01 a", &ctx),
        Some(ns("2026-06-14T15:16:01Z"))
    );
    assert_eq!(
        r.recognize("x [02/Mar/2026:00:04:16 +0100] y", &ctx),
        Some(ns("2026-03-01T23:04:16Z"))
    );
}

#[test]
fn starts_with_timestamp_for_line_breaking() {
    let mut hadoop = sourcetype::lookup("Hadoop").expect("Hadoop").recognizer();
    assert!(hadoop.starts_with_timestamp(b"2015-10-18 18:01:47,978 INFO"));
    assert!(!hadoop.starts_with_timestamp(b"\tat org.x.Y(Y.java:1)"));
    assert!(!hadoop.starts_with_timestamp(b"Caused by: java.io.IOException"));
    assert!(!hadoop.starts_with_timestamp(b""));
    let mut apache = sourcetype::lookup("apache_error")
        .expect("apache_error")
        .recognizer();
    assert!(apache.starts_with_timestamp(b"[Sun Dec 04 04:47:44 2005] [notice] x"));
}

fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("2015-10-18 18:01:47,978".to_owned()),
        Just("Jun 14 15:16:01".to_owned()),
        Just("[10.30 16:49:06]".to_owned()),
        Just("- 1117838570 2005.06.03 R02 2005-06-03-15.42.50.675872".to_owned()),
        Just("20171223-22:15:29:606|".to_owned()),
        Just("{\"ts\": \"2026-03-02T00:07:50.959+01:00\"".to_owned()),
        Just("{\"ts".to_owned()),
        Just("\\\"".to_owned()),
        Just("02/Mar/2026:00:04:16 +0100".to_owned()),
        Just("9999999999".to_owned()),
        Just("99999999999999999999".to_owned()),
        "[0-9:./ \\-\\[\\]{}\",+TZ]{0,12}",
        "\\PC{0,8}",
    ]
}

proptest! {
    #[test]
    fn never_panics(parts in prop::collection::vec(fragment(), 0..6), year in -5i32..12000) {
        let text = parts.concat();
        let ctx = TimeContext::utc(year);
        let mut names = sourcetype::builtin_names();
        names.push("auto");
        for name in names {
            let st = sourcetype::lookup(name).expect("builtin");
            let mut r = st.recognizer();
            // Twice: the second call goes through the cache.
            let a = r.recognize(&text, &ctx);
            let b = r.recognize(&text, &ctx);
            prop_assert_eq!(a, b);
            let _ = r.starts_with_timestamp(text.as_bytes());
            for cut in [0, text.len() / 2, text.len().saturating_sub(1)] {
                if text.is_char_boundary(cut) {
                    let _ = r.recognize(&text[..cut], &ctx);
                }
            }
        }
    }
}
