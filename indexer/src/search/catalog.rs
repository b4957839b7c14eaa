//! Generating commands that describe the store rather than read its events (`dbinspect`,
//! `metadata`, `eventcount`): their rows come from the bucket catalog and its summaries, planned here once, inside the
//! search's scope, like the subsearches beside them, and handed to the pipeline by position.
//!
//! The indexes they describe are chosen exactly as a search chooses them
//! ([`super::candidate_indexes`]): never outside the token's allowed indexes, the internal
//! ones only when a pattern names them (`index=_*`), and `index=*` is every other one.

use super::pushdown::wildcard_eq;
use super::subsearch::Frame;
use super::SearchError;
use crate::store::bucket::{Bucket, SeenTimes};
use loupe_query::{ArgsCmd, Command, Opts, PlanError, Row, RowBatch, Value};
use std::collections::BTreeMap;

/// The rows of catalog command `cmd` (one of [`loupe_query::CATALOG_COMMANDS`]).
pub(crate) fn rows(
    cmd: &Command,
    args: &ArgsCmd,
    frame: &Frame<'_>,
) -> Result<RowBatch, SearchError> {
    let plan_error = |message: String| SearchError::from(PlanError::at(cmd, message));
    if let Some(n) = args.count {
        return Err(plan_error(format!("unexpected argument `{n}`")));
    }
    let mut opts = Opts::new(cmd, &args.options);
    let rows = match cmd.name.as_str() {
        "dbinspect" => {
            if let Some(f) = args.fields.first() {
                return Err(plan_error(format!(
                    "unexpected argument `{f}` (expected index=<name>)"
                )));
            }
            let indexes = chosen_indexes(frame, &opts.take_all("index"));
            opts.done()?;
            dbinspect(frame, &indexes)
        }
        "metadata" => {
            if let Some(f) = args.fields.first() {
                return Err(plan_error(format!(
                    "unexpected argument `{f}` (expected type=hosts|sources|sourcetypes)"
                )));
            }
            let kind = opts.take("type").ok_or_else(|| {
                plan_error("needs type=hosts, type=sources or type=sourcetypes".into())
            })?;
            let field = match kind.to_ascii_lowercase().as_str() {
                "hosts" => "host",
                "sources" => "source",
                "sourcetypes" => "sourcetype",
                _ => {
                    return Err(plan_error(format!(
                        "unsupported type={kind} (hosts, sources or sourcetypes)"
                    )))
                }
            };
            let indexes = chosen_indexes(frame, &opts.take_all("index"));
            opts.done()?;
            metadata(frame, &indexes, field, &kind.to_ascii_lowercase())
        }
        "eventcount" => {
            if let Some(f) = args.fields.first() {
                return Err(plan_error(format!(
                    "unexpected argument `{f}` (expected index=<name>)"
                )));
            }
            let indexes = chosen_indexes(frame, &opts.take_all("index"));
            let summarize = opts.take_bool("summarize", true)?;
            let report_size = opts.take_bool("report_size", false)?;
            opts.done()?;
            eventcount(frame, &indexes, summarize, report_size)
        }
        other => return Err(plan_error(format!("{other} is not a catalog command"))),
    };
    frame
        .guard
        .charge(loupe_query::row::batch_bytes(&rows), &cmd.name)?;
    Ok(rows)
}

/// The indexes named by `index=` patterns (wildcards, any case), within what the search may read.
fn chosen_indexes(frame: &Frame<'_>, patterns: &[&str]) -> Vec<String> {
    let internal = patterns.iter().any(|p| p.starts_with('_'));
    super::candidate_indexes(frame.store, frame.scope, internal)
        .into_iter()
        .filter(|i| patterns.is_empty() || patterns.iter().any(|p| wildcard_eq(p, i)))
        .collect()
}

/// Whether a bucket holds events of the search's time range (all buckets when it has none).
fn in_range(b: &Bucket, frame: &Frame<'_>) -> bool {
    if frame.earliest.is_none() && frame.latest.is_none() {
        return true;
    }
    b.time_range().is_some_and(|(lo, hi)| {
        frame.earliest.is_none_or(|e| hi >= e) && frame.latest.is_none_or(|l| lo < l)
    })
}

/// Epoch seconds of a nanosecond time, as Splunk's `startEpoch`/`endEpoch` give them.
fn epoch(ns: i64) -> Value {
    Value::Int(ns.div_euclid(1_000_000_000))
}

/// `dbinspect`: one row per bucket, by index then age, with Splunk's field names.
fn dbinspect(frame: &Frame<'_>, indexes: &[String]) -> RowBatch {
    let mut out = Vec::new();
    for index in indexes {
        for b in frame.store.buckets_of(index) {
            if !in_range(&b, frame) {
                continue;
            }
            let s = b.summary();
            let mut r = Row::new();
            r.set(
                "bucketId",
                Value::Str(format!("{index}~{}", b.key.dir_name())),
            );
            r.set("index", Value::Str(index.clone()));
            if let Some((lo, hi)) = b.time_range() {
                r.set("startEpoch", epoch(lo));
                r.set("endEpoch", epoch(hi));
            }
            r.set("eventCount", Value::Int(s.count as i64));
            let mb = b.disk_bytes() as f64 / (1024.0 * 1024.0);
            r.set("sizeOnDiskMB", Value::Float((mb * 1000.0).round() / 1000.0));
            r.set("rawSize", Value::Int(s.raw_bytes as i64));
            r.set("path", Value::Str(b.dir.display().to_string()));
            let state = if b.is_hot() { "hot" } else { "warm" };
            r.set("state", Value::Str(state.into()));
            out.push(r);
        }
    }
    out
}

/// `metadata type=…`: one row per value of `field` over the chosen indexes' buckets (whole
/// buckets: one that overlaps the time range counts all its events), from their summaries.
fn metadata(frame: &Frame<'_>, indexes: &[String], field: &str, kind: &str) -> RowBatch {
    let mut seen: BTreeMap<String, (u64, SeenTimes)> = BTreeMap::new();
    for index in indexes {
        for b in frame.store.buckets_of(index) {
            if !in_range(&b, frame) {
                continue;
            }
            let s = b.summary();
            // A bucket written before per-value times were kept: its own range stands in.
            let whole = SeenTimes {
                first: s.min_time,
                last: s.max_time,
                recent: s.max_time.div_euclid(1_000_000_000),
            };
            let (counts, times) = match field {
                "host" => (&s.hosts, &s.host_times),
                "source" => (&s.sources, &s.source_times),
                _ => (&s.sourcetypes, &s.sourcetype_times),
            };
            for (value, n) in counts {
                let t = times.get(value).copied().unwrap_or(whole);
                let entry = seen.entry(value.clone()).or_insert((0, t));
                entry.0 += n;
                entry.1.widen(&t);
            }
        }
    }
    seen.into_iter()
        .map(|(value, (n, t))| {
            let mut r = Row::new();
            r.set(field, Value::Str(value));
            r.set("firstTime", epoch(t.first));
            r.set("lastTime", epoch(t.last));
            r.set("recentTime", Value::Int(t.recent));
            r.set("totalCount", Value::Int(n as i64));
            r.set("type", Value::Str(kind.to_string()));
            r
        })
        .collect()
}

/// `eventcount`: the events of the chosen indexes, whatever their time (as Splunk's), in one
/// row or one per index (`summarize=false`), with their size on disk when asked.
fn eventcount(
    frame: &Frame<'_>,
    indexes: &[String],
    summarize: bool,
    report_size: bool,
) -> RowBatch {
    let per_index: Vec<(String, u64, u64)> = indexes
        .iter()
        .map(|index| {
            let buckets = frame.store.buckets_of(index);
            let count = buckets.iter().map(|b| b.summary().count).sum();
            let size = if report_size {
                buckets.iter().map(|b| b.disk_bytes()).sum()
            } else {
                0
            };
            (index.clone(), count, size)
        })
        .collect();
    let row = |count: u64, size: u64, index: Option<&str>| {
        let mut r = Row::new();
        r.set("count", Value::Int(count as i64));
        if let Some(index) = index {
            r.set("index", Value::Str(index.to_string()));
        }
        if report_size {
            r.set("size_bytes", Value::Int(size as i64));
        }
        r
    };
    if summarize {
        let count = per_index.iter().map(|(_, n, _)| n).sum();
        let size = per_index.iter().map(|(_, _, s)| s).sum();
        return vec![row(count, size, None)];
    }
    per_index
        .iter()
        .map(|(index, n, size)| row(*n, *size, Some(index)))
        .collect()
}
