//! Helpers shared by the integration tests: where the sample data lives, and
//! breaking + timestamping a whole file the way ingest does.

#![allow(dead_code)]

use loupe_event::sourcetype::Sourcetype;
use loupe_event::timestamp::TimeContext;
use std::path::{Path, PathBuf};

/// `/work/shared/data` (or `$LOUPE_SHARED_DATA`); the tests fail loudly if it is missing.
pub fn data_dir() -> PathBuf {
    let dir = match std::env::var_os("LOUPE_SHARED_DATA") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"),
    };
    assert!(dir.is_dir(), "shared data not found at {}", dir.display());
    dir
}

pub fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// One broken and timestamped event.
#[derive(Debug, Clone, PartialEq)]
pub struct Ev {
    pub text: String,
    pub time: Option<i64>,
    pub truncated: bool,
    pub lossy: bool,
}

/// Breaks `bytes` with the sourcetype's breaker, fed in chunks of `chunk` bytes, and
/// timestamps every event with the sourcetype's recognizer.
pub fn ingest(st: &Sourcetype, ctx: &TimeContext, bytes: &[u8], chunk: usize) -> Vec<Ev> {
    let mut breaker = st.breaker(100_000);
    let mut rec = st.recognizer();
    let mut out = Vec::new();
    let mut on = |e: loupe_event::RawEvent<'_>| {
        out.push(Ev {
            time: rec.recognize(&e.text, ctx),
            text: e.text.into_owned(),
            truncated: e.truncated,
            lossy: e.lossy_utf8,
        })
    };
    for c in bytes.chunks(chunk.max(1)) {
        breaker.push(c, &mut on);
    }
    breaker.finish(&mut on);
    out
}

/// Lines of a file as the breaker should see them (`\r\n` or `\n`, no final empty line).
pub fn lines(bytes: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(bytes);
    text.lines().map(str::to_owned).collect()
}

/// Epoch nanoseconds of a civil time `[year, month, day, hour, minute, second,
/// nanosecond]` in a zone, computed by jiff (the reference).
pub fn civil_ns(tz: &jiff::tz::TimeZone, f: [i64; 7]) -> i64 {
    let [y, mo, d, h, mi, s, nanos] = f;
    let dt = jiff::civil::DateTime::new(
        y as i16,
        mo as i8,
        d as i8,
        h as i8,
        mi as i8,
        s as i8,
        nanos as i32,
    )
    .unwrap_or_else(|e| panic!("bad reference date {f:?}: {e}"));
    let ts = dt
        .to_zoned_datetime(tz.clone())
        .unwrap_or_else(|e| panic!("zone: {e}"))
        .timestamp();
    i64::try_from(ts.as_nanosecond()).expect("fits in i64")
}

/// A fraction written as digits (`"978"`, `"675872"`) in nanoseconds.
pub fn frac_ns(digits: &str) -> i64 {
    assert!(
        !digits.is_empty() && digits.len() <= 9 && digits.bytes().all(|b| b.is_ascii_digit()),
        "bad fraction {digits:?}"
    );
    let padded = format!("{digits:0<9}");
    padded.parse().expect("digits")
}

pub fn int(s: &str) -> i64 {
    s.trim()
        .parse()
        .unwrap_or_else(|e| panic!("not an integer: {s:?}: {e}"))
}

pub fn month_num(abbr: &str) -> i64 {
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    months
        .iter()
        .position(|m| *m == abbr)
        .map(|i| i as i64 + 1)
        .unwrap_or_else(|| panic!("bad month {abbr:?}"))
}

/// `"HH:MM:SS"` with an optional `.fff` / `,fff` fraction.
pub fn hms(s: &str) -> (i64, i64, i64, i64) {
    let (main, frac) = match s.find(['.', ',']) {
        Some(i) => (&s[..i], frac_ns(&s[i + 1..])),
        None => (s, 0),
    };
    let p: Vec<&str> = main.split(':').collect();
    assert_eq!(p.len(), 3, "bad time {s:?}");
    (int(p[0]), int(p[1]), int(p[2]), frac)
}

/// The 16 loghub systems of `shared/data/loghub`, named like their folders and sourcetypes.
pub const SYSTEMS: &[&str] = &[
    "Android",
    "Apache",
    "BGL",
    "HDFS",
    "HPC",
    "Hadoop",
    "HealthApp",
    "Linux",
    "Mac",
    "OpenSSH",
    "OpenStack",
    "Proxifier",
    "Spark",
    "Thunderbird",
    "Windows",
    "Zookeeper",
];

/// The rows of a Loghub system's `_structured.csv` (the ground truth), column name to text.
pub fn structured_rows(system: &str) -> Vec<std::collections::HashMap<String, String>> {
    let path = data_dir()
        .join("loghub")
        .join(system)
        .join(format!("{system}_2k.log_structured.csv"));
    let mut rdr =
        csv::Reader::from_path(&path).unwrap_or_else(|e| panic!("opening {}: {e}", path.display()));
    let headers: Vec<String> = rdr
        .byte_headers()
        .expect("headers")
        .iter()
        .map(|h| String::from_utf8_lossy(h).into_owned())
        .collect();
    rdr.byte_records()
        .map(|r| {
            let r = r.expect("csv record");
            headers
                .iter()
                .cloned()
                .zip(r.iter().map(|f| String::from_utf8_lossy(f).into_owned()))
                .collect()
        })
        .collect()
}
