//! Every Loghub sample, broken and timestamped with its own sourcetype and with
//! `auto`, against the `_structured.csv` ground truth: same number of events,
//! each event the same line, each `_time` equal (to the sub-second) to a time
//! built independently from the CSV columns.

mod common;

use common::*;
use jiff::tz::TimeZone;
use loupe_event::sourcetype;
use loupe_event::timestamp::TimeContext;
use std::collections::HashMap;

type Row = HashMap<String, String>;

fn col<'a>(row: &'a Row, name: &str) -> &'a str {
    row.get(name)
        .unwrap_or_else(|| panic!("no column {name}"))
        .as_str()
}

/// The year given to year-less files; any fixed year works, it comes from the context.
fn default_year(system: &str) -> i32 {
    match system {
        "Android" | "Mac" => 2017,
        "Linux" => 2005,
        "OpenSSH" => 2015,
        "Proxifier" => 2016,
        _ => 1999, // unused: the other systems carry their year
    }
}

/// Reference `_time` of one CSV row, per system, from its columns (UTC unless the
/// log carries an epoch).
fn reference(system: &str, row: &Row) -> i64 {
    let utc = TimeZone::UTC;
    let year = i64::from(default_year(system));
    match system {
        // Date `03-17`, Time `16:13:38.811`.
        "Android" => {
            let (mo, d) = col(row, "Date").split_once('-').expect("MM-DD");
            let (h, mi, s, f) = hms(col(row, "Time"));
            civil_ns(&utc, [year, int(mo), int(d), h, mi, s, f])
        }
        // Time `Sun Dec 04 04:47:44 2005`.
        "Apache" => {
            let p: Vec<&str> = col(row, "Time").split_whitespace().collect();
            let (h, mi, s, f) = hms(p[3]);
            civil_ns(&utc, [int(p[4]), month_num(p[1]), int(p[2]), h, mi, s, f])
        }
        // Epoch seconds in `Timestamp`; the fraction from `Time` (2005-06-03-15.42.50.675872).
        "BGL" => {
            let frac = col(row, "Time").rsplit_once('.').expect("fraction").1;
            int(col(row, "Timestamp")) * 1_000_000_000 + frac_ns(frac)
        }
        // Date `081109` (yyMMdd), Time `203615`.
        "HDFS" => {
            let d = col(row, "Date");
            let t = format!("{:0>6}", col(row, "Time"));
            civil_ns(
                &utc,
                [
                    2000 + int(&d[0..2]),
                    int(&d[2..4]),
                    int(&d[4..6]),
                    int(&t[0..2]),
                    int(&t[2..4]),
                    int(&t[4..6]),
                    0,
                ],
            )
        }
        // Epoch seconds in `Time`.
        "HPC" => int(col(row, "Time")) * 1_000_000_000,
        // Date `2015-10-18`, Time `18:01:47,978` (also Windows without fraction).
        "Hadoop" | "Zookeeper" | "OpenStack" | "Windows" => {
            let p: Vec<&str> = col(row, "Date").split('-').collect();
            let (h, mi, s, f) = hms(col(row, "Time"));
            civil_ns(&utc, [int(p[0]), int(p[1]), int(p[2]), h, mi, s, f])
        }
        // Time `20171223-22:15:29:606`, unpadded fields, milliseconds last.
        "HealthApp" => {
            let (date, time) = col(row, "Time").split_once('-').expect("date-time");
            let p: Vec<&str> = time.split(':').collect();
            civil_ns(
                &utc,
                [
                    int(&date[0..4]),
                    int(&date[4..6]),
                    int(&date[6..8]),
                    int(p[0]),
                    int(p[1]),
                    int(p[2]),
                    int(p[3]) * 1_000_000,
                ],
            )
        }
        // Month `Jun`, Date `14`, Time `15:16:01`.
        "Linux" | "Mac" => {
            let (h, mi, s, f) = hms(col(row, "Time"));
            civil_ns(
                &utc,
                [
                    year,
                    month_num(col(row, "Month")),
                    int(col(row, "Date")),
                    h,
                    mi,
                    s,
                    f,
                ],
            )
        }
        // Date `Dec` (the month), Day `10`, Time `06:55:46`.
        "OpenSSH" => {
            let (h, mi, s, f) = hms(col(row, "Time"));
            civil_ns(
                &utc,
                [
                    year,
                    month_num(col(row, "Date")),
                    int(col(row, "Day")),
                    h,
                    mi,
                    s,
                    f,
                ],
            )
        }
        // Time `10.30 16:49:06` (month.day).
        "Proxifier" => {
            let (md, t) = col(row, "Time").split_once(' ').expect("md time");
            let (mo, d) = md.split_once('.').expect("month.day");
            let (h, mi, s, f) = hms(t);
            civil_ns(&utc, [year, int(mo), int(d), h, mi, s, f])
        }
        // Date `17/06/09` (yy/MM/dd), Time `20:10:40`.
        "Spark" => {
            let p: Vec<&str> = col(row, "Date").split('/').collect();
            let (h, mi, s, f) = hms(col(row, "Time"));
            civil_ns(&utc, [2000 + int(p[0]), int(p[1]), int(p[2]), h, mi, s, f])
        }
        // Epoch seconds in `Timestamp`.
        "Thunderbird" => int(col(row, "Timestamp")) * 1_000_000_000,
        other => panic!("no reference for {other}"),
    }
}

fn check(system: &str, sourcetype_name: &str, chunk: usize) {
    let st = sourcetype::lookup(sourcetype_name)
        .unwrap_or_else(|| panic!("sourcetype {sourcetype_name} missing"));
    let path = data_dir()
        .join("loghub")
        .join(system)
        .join(format!("{system}_2k.log"));
    let bytes = read(&path);
    let ctx = TimeContext::utc(default_year(system));
    let events = ingest(&st, &ctx, &bytes, chunk);
    let rows = structured_rows(system);
    let lines = lines(&bytes);
    assert_eq!(
        events.len(),
        rows.len(),
        "{system} via {sourcetype_name}: event count"
    );
    assert_eq!(events.len(), lines.len(), "{system}: line count");
    for (i, ((ev, row), line)) in events.iter().zip(&rows).zip(&lines).enumerate() {
        assert_eq!(
            &ev.text, line,
            "{system} via {sourcetype_name}: event {i} text"
        );
        assert!(!ev.truncated, "{system}: event {i} truncated");
        let want = reference(system, row);
        assert_eq!(
            ev.time,
            Some(want),
            "{system} via {sourcetype_name}: event {i} (LineId {}) time of {line:?}",
            col(row, "LineId")
        );
    }
}

#[test]
fn every_loghub_file_with_its_sourcetype() {
    for system in SYSTEMS {
        check(system, system, 64 * 1024);
    }
}

#[test]
fn every_loghub_file_with_lowercase_sourcetype_and_small_chunks() {
    for system in SYSTEMS {
        check(system, &system.to_lowercase(), 997);
    }
}

#[test]
fn every_loghub_file_with_auto() {
    for system in SYSTEMS {
        check(system, "auto", 4096);
    }
}

#[test]
fn every_loghub_folder_has_a_sourcetype() {
    let dir = data_dir().join("loghub");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).expect("loghub dir") {
        let entry = entry.expect("entry");
        if entry.path().is_dir() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let st = sourcetype::lookup(&name).unwrap_or_else(|| panic!("no sourcetype {name}"));
            assert_eq!(st.name(), name);
            assert!(SYSTEMS.contains(&name.as_str()), "{name} not tested");
            n += 1;
        }
    }
    assert_eq!(n, SYSTEMS.len());
}

/// BGL's detailed time is US Pacific local time; the epoch we use must be the same
/// instant, fraction included, which shows the two columns agree.
#[test]
fn bgl_epoch_matches_pacific_detail() {
    let la = TimeZone::get("America/Los_Angeles").expect("tzdb");
    for row in structured_rows("BGL") {
        let t = col(&row, "Time"); // 2005-06-03-15.42.50.675872
        let p: Vec<&str> = t.split(['-', '.']).collect();
        let local = civil_ns(
            &la,
            [
                int(p[0]),
                int(p[1]),
                int(p[2]),
                int(p[3]),
                int(p[4]),
                int(p[5]),
                frac_ns(p[6]),
            ],
        );
        assert_eq!(local, reference("BGL", &row), "{t}");
    }
}

/// Thunderbird's syslog part is US Pacific local time of the same instant as its epoch.
#[test]
fn thunderbird_epoch_matches_pacific_syslog_time() {
    let la = TimeZone::get("America/Los_Angeles").expect("tzdb");
    for row in structured_rows("Thunderbird") {
        let year = int(&col(&row, "Date")[0..4]);
        let (h, mi, s, f) = hms(col(&row, "Time"));
        let local = civil_ns(
            &la,
            [
                year,
                month_num(col(&row, "Month")),
                int(col(&row, "Day")),
                h,
                mi,
                s,
                f,
            ],
        );
        assert_eq!(local, reference("Thunderbird", &row));
    }
}

/// Year-less formats take the context's year, whatever it is.
#[test]
fn year_comes_from_context() {
    let st = sourcetype::lookup("Linux").expect("Linux");
    let bytes = read(&data_dir().join("loghub/Linux/Linux_2k.log"));
    let a = ingest(&st, &TimeContext::utc(2005), &bytes, 65536);
    let b = ingest(&st, &TimeContext::utc(2006), &bytes, 65536);
    let year_secs = 365 * 86_400 * 1_000_000_000i64;
    for (x, y) in a.iter().zip(&b) {
        let (x, y) = (x.time.expect("time"), y.time.expect("time"));
        // 2005 and 2006 are not leap years: every date moves by exactly 365 days.
        assert_eq!(y - x, year_secs);
    }
}
