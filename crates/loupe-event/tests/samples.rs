//! The project's own samples: the web access log, the JSON app log and the batch
//! job logs, each with its sourcetype and with `auto`; every event gets the time
//! an independent parse of the line gives.

mod common;

use common::*;
use jiff::tz::TimeZone;
use jiff::Timestamp;
use loupe_event::sourcetype;
use loupe_event::timestamp::TimeContext;
use std::path::{Path, PathBuf};

fn ts_ns(ts: Timestamp) -> i64 {
    i64::try_from(ts.as_nanosecond()).expect("fits")
}

fn check_all(
    path: &Path,
    sourcetype_name: &str,
    ctx: &TimeContext,
    reference: &dyn Fn(&str) -> i64,
) -> usize {
    let bytes = read(path);
    let lines = lines(&bytes);
    for name in [sourcetype_name, "auto"] {
        let st = sourcetype::lookup(name).expect("sourcetype");
        for chunk in [65536, 1000] {
            let events = ingest(&st, ctx, &bytes, chunk);
            assert_eq!(events.len(), lines.len(), "{} via {name}", path.display());
            for (i, (ev, line)) in events.iter().zip(&lines).enumerate() {
                assert_eq!(&ev.text, line, "{}: event {i}", path.display());
                assert!(!ev.truncated && !ev.lossy, "{}: event {i}", path.display());
                assert_eq!(
                    ev.time,
                    Some(reference(line)),
                    "{} via {name}: event {i}: {line}",
                    path.display()
                );
            }
        }
    }
    lines.len()
}

#[test]
fn access_log() {
    let path = data_dir().join("web/access.log");
    // `[02/Mar/2026:00:04:16 +0100]`, parsed by jiff's strptime.
    let reference = |line: &str| {
        let s = line.find('[').expect("[") + 1;
        let e = line.find(']').expect("]");
        let zdt = jiff::ZonedDateTime::strptime("%d/%b/%Y:%H:%M:%S %z", &line[s..e])
            .unwrap_or_else(|err| panic!("{line}: {err}"));
        ts_ns(zdt.timestamp())
    };
    // Zone-less times would be read in Paris; the explicit +0100 must win anyway.
    let ctx = TimeContext::new(1999, TimeZone::get("America/New_York").expect("tzdb"));
    let n = check_all(&path, "access_combined", &ctx, &reference);
    assert_eq!(n, 31_681);
    // 2-8 March 2026, +01:00 (the last requests spill a few seconds into the 9th).
    let lo = ts_ns("2026-03-01T23:00:00Z".parse().expect("ts"));
    let hi = ts_ns("2026-03-09T00:00:00Z".parse().expect("ts"));
    for line in lines(&read(&path)) {
        let t = reference(&line);
        assert!(lo <= t && t < hi, "{line}");
    }
}

#[test]
fn portal_json_log() {
    let path = data_dir().join("app/portal.json.log");
    let reference = |line: &str| {
        let v: serde_json::Value = serde_json::from_str(line).expect("json");
        let ts: Timestamp = v["ts"].as_str().expect("ts").parse().expect("iso");
        ts_ns(ts)
    };
    let ctx = TimeContext::utc(1999);
    let n = check_all(&path, "_json", &ctx, &reference);
    assert_eq!(n, 2_873);
    assert!(sourcetype::lookup("_json").expect("_json").is_json());
}

fn batch_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read_dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            batch_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "log") {
            out.push(path);
        }
    }
}

#[test]
fn batch_logs_are_day_first_local_time() {
    let paris = TimeZone::get("Europe/Paris").expect("tzdb");
    let ctx = TimeContext::new(1999, paris.clone());
    // `01:45:13 02/03/2026 INFO ...`: time, then day/month/year, Paris local time.
    let reference = |line: &str| {
        let (t, rest) = line.split_once(' ').expect("time");
        let date = &rest[..10];
        let p: Vec<&str> = date.split('/').collect();
        let (h, mi, s, f) = hms(t);
        civil_ns(&paris, [int(p[2]), int(p[1]), int(p[0]), h, mi, s, f])
    };
    let mut files = Vec::new();
    batch_files(&data_dir().join("batchs"), &mut files);
    files.sort();
    assert_eq!(files.len(), 24);
    let mut total = 0;
    let mut empty = 0;
    for f in &files {
        let n = check_all(f, "batch", &ctx, &reference);
        if n == 0 {
            empty += 1;
        }
        total += n;
    }
    assert_eq!(total, 1_563);
    assert_eq!(empty, 1);

    // 02/03/2026 is the 2nd of March: 01:45:13 in Paris (+01:00) is 00:45:13Z.
    let st = sourcetype::lookup("batch").expect("batch");
    let first = data_dir().join("batchs/ORDO-PROD-01/batchs/assur-sante-idf/export_comptable.log");
    let events = ingest(&st, &ctx, &read(&first), 4096);
    assert!(events[0].text.starts_with("01:45:13 02/03/2026"));
    assert_eq!(
        events[0].time,
        Some(ts_ns("2026-03-02T00:45:13Z".parse().expect("ts")))
    );
    // Every batch line is within 2-15 March 2026.
    let lo = ts_ns("2026-03-01T23:00:00Z".parse().expect("ts"));
    let hi = ts_ns("2026-03-15T23:00:00Z".parse().expect("ts"));
    for f in &files {
        for ev in ingest(&st, &ctx, &read(f), 65536) {
            let t = ev.time.expect("time");
            assert!(lo <= t && t < hi, "{}: {}", f.display(), ev.text);
        }
    }
}
