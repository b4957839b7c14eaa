//! Time modifiers against a fixed `now`: Wednesday 2026-03-04 10:37:12.345 UTC.

use jiff::tz::TimeZone;
use jiff::Timestamp;
use loupe_event::reltime::{resolve, TimeError};
use proptest::prelude::*;

fn ns(s: &str) -> i64 {
    let t: Timestamp = s.parse().unwrap_or_else(|e| panic!("{s}: {e}"));
    i64::try_from(t.as_nanosecond()).expect("fits")
}

const NOW: &str = "2026-03-04T10:37:12.345Z";

#[test]
fn utc_table() {
    let now = ns(NOW);
    let tz = TimeZone::UTC;
    let cases: &[(&str, &str)] = &[
        ("now", NOW),
        ("NOW", NOW),
        ("-15m", "2026-03-04T10:22:12.345Z"),
        ("-30s", "2026-03-04T10:36:42.345Z"),
        ("-30sec", "2026-03-04T10:36:42.345Z"),
        ("-2min", "2026-03-04T10:35:12.345Z"),
        ("-h", "2026-03-04T09:37:12.345Z"),
        ("-3hr", "2026-03-04T07:37:12.345Z"),
        ("-24h@h", "2026-03-03T10:00:00Z"),
        ("@s", "2026-03-04T10:37:12Z"),
        ("@m", "2026-03-04T10:37:00Z"),
        ("@h", "2026-03-04T10:00:00Z"),
        ("@d", "2026-03-04T00:00:00Z"),
        ("-1d@d", "2026-03-03T00:00:00Z"),
        ("-1day", "2026-03-03T10:37:12.345Z"),
        ("+1d", "2026-03-05T10:37:12.345Z"),
        ("@d+8h", "2026-03-04T08:00:00Z"),
        ("-1d@d+8h", "2026-03-03T08:00:00Z"),
        // Wednesday: @w1 is this Monday, @w0/@w/@w7 last Sunday.
        ("@w1", "2026-03-02T00:00:00Z"),
        ("@w3", "2026-03-04T00:00:00Z"),
        ("@w4", "2026-02-26T00:00:00Z"),
        ("@w0", "2026-03-01T00:00:00Z"),
        ("@w7", "2026-03-01T00:00:00Z"),
        ("@w", "2026-03-01T00:00:00Z"),
        ("-7d@w1", "2026-02-23T00:00:00Z"),
        ("-1w", "2026-02-25T10:37:12.345Z"),
        ("-2weeks", "2026-02-18T10:37:12.345Z"),
        ("-1mon@mon", "2026-02-01T00:00:00Z"),
        ("-1month", "2026-02-04T10:37:12.345Z"),
        ("@mon", "2026-03-01T00:00:00Z"),
        ("@q", "2026-01-01T00:00:00Z"),
        ("-1q@q", "2025-10-01T00:00:00Z"),
        ("-1qtr", "2025-12-04T10:37:12.345Z"),
        ("-1y@y", "2025-01-01T00:00:00Z"),
        ("-1year", "2025-03-04T10:37:12.345Z"),
        ("@y", "2026-01-01T00:00:00Z"),
        ("rt-5m", "2026-03-04T10:32:12.345Z"),
        ("1767225601.123", "2026-01-01T00:00:01.123Z"),
        ("1767225601", "2026-01-01T00:00:01Z"),
        ("0", "1970-01-01T00:00:00Z"),
        ("2026-03-02T00:00:00Z", "2026-03-02T00:00:00Z"),
        ("2026-03-02T01:00:00+01:00", "2026-03-02T00:00:00Z"),
        ("2026-03-02", "2026-03-02T00:00:00Z"),
        ("2026-03-02 10:00:00", "2026-03-02T10:00:00Z"),
        ("2026-03-02T10:00:00", "2026-03-02T10:00:00Z"),
        ("03/02/2026:10:00:00", "2026-03-02T10:00:00Z"),
        ("03/02/2026", "2026-03-02T00:00:00Z"),
        ("  -15m  ", "2026-03-04T10:22:12.345Z"),
    ];
    for (spec, want) in cases {
        assert_eq!(resolve(spec, now, &tz), Ok(ns(want)), "{spec}");
    }
}

#[test]
fn month_ends_clamp() {
    let now = ns("2026-03-31T12:00:00Z");
    assert_eq!(
        resolve("-1mon", now, &TimeZone::UTC),
        Ok(ns("2026-02-28T12:00:00Z"))
    );
}

#[test]
fn paris_snaps_at_local_midnight() {
    let now = ns(NOW); // 11:37:12.345 in Paris (+01:00)
    let tz = TimeZone::get("Europe/Paris").expect("tzdb");
    let cases: &[(&str, &str)] = &[
        ("now", NOW),
        ("@d", "2026-03-03T23:00:00Z"),
        ("-24h@h", "2026-03-03T10:00:00Z"),
        ("@w1", "2026-03-01T23:00:00Z"),
        ("-7d@w1", "2026-02-22T23:00:00Z"),
        ("@mon", "2026-02-28T23:00:00Z"),
        ("@y", "2025-12-31T23:00:00Z"),
        ("2026-03-02", "2026-03-01T23:00:00Z"),
        ("2026-03-02 10:00:00", "2026-03-02T09:00:00Z"),
        ("03/02/2026:10:00:00", "2026-03-02T09:00:00Z"),
        ("2026-03-02T00:00:00Z", "2026-03-02T00:00:00Z"),
        ("1767225601.123", "2026-01-01T00:00:01.123Z"),
    ];
    for (spec, want) in cases {
        assert_eq!(resolve(spec, now, &tz), Ok(ns(want)), "{spec}");
    }
}

#[test]
fn across_dst_days_are_calendar_days_hours_are_exact() {
    // 2026-03-29 is the spring-forward day in Paris: 14:00 CEST = 12:00Z.
    let now = ns("2026-03-29T12:00:00Z");
    let tz = TimeZone::get("Europe/Paris").expect("tzdb");
    assert_eq!(resolve("-1d", now, &tz), Ok(ns("2026-03-28T13:00:00Z")));
    assert_eq!(resolve("-24h", now, &tz), Ok(ns("2026-03-28T12:00:00Z")));
    assert_eq!(resolve("@d", now, &tz), Ok(ns("2026-03-28T23:00:00Z")));
    assert_eq!(resolve("-1d@d", now, &tz), Ok(ns("2026-03-27T23:00:00Z")));
}

#[test]
fn errors() {
    let now = ns(NOW);
    let tz = TimeZone::UTC;
    for spec in [
        "",
        "   ",
        "-5x",
        "abc",
        "@w8",
        "@d3",
        "@",
        "+",
        "-15",
        "15m",
        "--5m",
        "2026-13-01",
        "03/32/2026:10:00:00",
        "now-1d",
        "1767225601.",
        "-1d@d@",
    ] {
        match resolve(spec, now, &tz) {
            Err(TimeError::Invalid { input, reason }) => {
                assert_eq!(input, spec);
                assert!(!reason.is_empty());
            }
            other => panic!("{spec:?} gave {other:?}"),
        }
    }
    for spec in [
        "-99999999999y",
        "-400y",
        "99999999999999999999",
        "+999999999999999999s",
    ] {
        assert_eq!(
            resolve(spec, now, &tz),
            Err(TimeError::OutOfRange {
                input: spec.to_owned()
            }),
            "{spec}"
        );
    }
    let msg = resolve("-5x", now, &tz).unwrap_err().to_string();
    assert!(msg.contains("\"-5x\""), "{msg}");
}

proptest! {
    /// Any text (modifier-like or not), any `now`: an answer or an error, never a panic.
    #[test]
    fn never_panics(
        spec in prop_oneof![
            "[-+@0-9a-zA-Z:/.T ]{0,16}",
            "\\PC{0,10}",
            "[-+]?[0-9]{0,22}[a-z]{0,8}(@[a-z]{0,4}[0-9]?)?",
        ],
        now in any::<i64>(),
    ) {
        let paris = TimeZone::get("Europe/Paris").expect("tzdb");
        let _ = resolve(&spec, now, &TimeZone::UTC);
        let _ = resolve(&spec, now, &paris);
    }
}
