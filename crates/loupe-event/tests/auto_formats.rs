//! `auto` on the formats of common software: a hand-written corpus (`tests/auto_corpus/`,
//! at least two samples per format) whose expected event counts and times were written by
//! hand in `expected.tsv` from the samples' own text — never produced by this code.

use loupe_event::props::HeaderLine;
use loupe_event::{sourcetype, TimeContext};
use std::path::Path;

fn ns(s: &str) -> i64 {
    let ts: jiff::Timestamp = s.parse().expect("expected time");
    i64::try_from(ts.as_nanosecond()).expect("fits")
}

/// Events of a file under `auto`, each with its `_time` (header lines dropped, as ingest does).
fn events(bytes: &[u8]) -> Vec<(String, Option<i64>)> {
    let st = sourcetype::lookup("auto").expect("auto");
    let mut breaker = st.breaker(10_000);
    let mut recognizer = st.recognizer();
    let mut header = st.header_reader().expect("auto reads headers");
    let ctx = TimeContext::utc(2026);
    let mut out = Vec::new();
    let mut on = |ev: loupe_event::RawEvent<'_>| {
        if ev.text.trim().is_empty() || header.read(&ev.text) == HeaderLine::Header {
            return;
        }
        let t = recognizer.recognize(&ev.text, &ctx);
        out.push((ev.text.into_owned(), t));
    };
    breaker.push(bytes, &mut on);
    breaker.finish(&mut on);
    out
}

#[test]
fn auto_recognises_common_software() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/auto_corpus");
    let expected = std::fs::read_to_string(dir.join("expected.tsv")).expect("expected.tsv");
    let mut checked = 0;
    let mut failures = Vec::new();
    for line in expected
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let cols: Vec<&str> = line.split('\t').collect();
        let (file, count, times) = (cols[0], cols[1], cols[2]);
        let count: usize = count.parse().expect("count");
        let want: Vec<i64> = times.split(' ').map(ns).collect();
        assert_eq!(
            want.len(),
            count,
            "{file}: expected.tsv lists {count} times"
        );
        let bytes = std::fs::read(dir.join(file)).expect("sample");
        let got = events(&bytes);
        let got_times: Vec<Option<i64>> = got.iter().map(|(_, t)| *t).collect();
        let want_times: Vec<Option<i64>> = want.iter().map(|&t| Some(t)).collect();
        if got.len() != count || got_times != want_times {
            failures.push(format!(
                "{file}: {} events (want {count}): {:#?}",
                got.len(),
                got.iter()
                    .map(|(t, ns)| (
                        t.lines().next().unwrap_or_default().to_string(),
                        ns.and_then(|n| jiff::Timestamp::from_nanosecond(i128::from(n)).ok())
                            .map(|t| t.to_string())
                    ))
                    .collect::<Vec<_>>()
            ));
        }
        checked += 1;
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(checked >= 20, "{checked} formats");
}

#[test]
fn auto_names_the_fields_of_w3c_and_csv_headers() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/auto_corpus");
    let st = sourcetype::lookup("auto").expect("auto");
    let mut h = st.header_reader().expect("auto reads headers");
    let text = std::fs::read_to_string(dir.join("iis_w3c.log")).expect("sample");
    let rows: Vec<HeaderLine> = text.lines().map(|l| h.read(l)).collect();
    assert_eq!(rows.iter().filter(|r| **r == HeaderLine::Header).count(), 4);
    let HeaderLine::Row(f) = &rows[5] else {
        panic!("a row");
    };
    assert!(
        f.iter()
            .any(|(k, v)| k == "sc-status" && v.to_string() == "404"),
        "{f:?}"
    );
    // A plain first line with commas and numbers is an event, not a header.
    let mut h = st.header_reader().expect("auto reads headers");
    assert_ne!(h.read("GET,/index.html,200,12ms"), HeaderLine::Header);
}
