//! Generating commands that describe the store and Loupe's objects rather than read events
//! (`dbinspect`, `metadata`, `eventcount`, `rest`): their rows come from the bucket catalog and its summaries, planned here once, inside the
//! search's scope, like the subsearches beside them, and handed to the pipeline by position.
//!
//! The indexes they describe are chosen exactly as a search chooses them
//! ([`super::scope_indexes`]): never outside the token's allowed indexes, the internal
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
    // Summaries count every event of an index: a role that sees only some of them (a row
    // filter) or sees them masked would learn from `metadata` and `eventcount` what its
    // searches hide, so they are refused to it rather than answered from the events it may read.
    if let Some(role) = frame.scope.role.as_ref() {
        let restricted = role.search_filter.is_some() || !role.maskers.is_empty();
        if restricted && matches!(cmd.name.as_str(), "metadata" | "eventcount") {
            return Err(SearchError::Forbidden(format!(
                "{} reads whole-index summaries, which role {:?} may not (it has a search filter or masking); use a search with stats instead",
                cmd.name, role.name
            )));
        }
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
        "rest" => {
            let [path] = args.fields.as_slice() else {
                return Err(plan_error(
                    "needs one endpoint, such as /services/saved/searches".into(),
                ));
            };
            let count = opts.take_usize("count")?.unwrap_or(0);
            // One server: `splunk_server=local` and `=*` name the same one.
            opts.take("splunk_server");
            opts.done()?;
            rest(cmd, path, frame, count)?
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
    super::scope_indexes(frame.store, frame.scope, internal, !patterns.is_empty())
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

/// Endpoints `rest` answers, under `/services` (and `/servicesNS/<user>/<app>`).
const REST_ENDPOINTS: [&str; 4] = [
    "/services/saved/searches",
    "/services/data/indexes",
    "/services/authentication/current-context",
    "/services/server/info",
];

/// `/servicesNS/-/-/saved/searches` is `/services/saved/searches`: one instance, one namespace.
fn rest_endpoint(path: &str) -> Option<&'static str> {
    let path = path.trim().trim_end_matches('/');
    let tail = match path.strip_prefix("/servicesNS/") {
        Some(ns) => {
            let mut parts = ns.splitn(3, '/');
            let (_user, _app) = (parts.next()?, parts.next()?);
            format!("/services/{}", parts.next()?)
        }
        None => path.to_string(),
    };
    REST_ENDPOINTS.into_iter().find(|e| *e == tail)
}

/// `rest <endpoint>`: Loupe's own objects in the shape of Splunk's REST answers, one row per
/// entry, within what the principal may read.
fn rest(
    cmd: &Command,
    path: &str,
    frame: &Frame<'_>,
    count: usize,
) -> Result<RowBatch, SearchError> {
    let Some(endpoint) = rest_endpoint(path) else {
        return Err(PlanError::at(
            cmd,
            format!(
                "unsupported endpoint {path} (Loupe answers {})",
                REST_ENDPOINTS.join(", ")
            ),
        )
        .into());
    };
    let text = |s: &str| Value::Str(s.to_string());
    let mut rows = Vec::new();
    match endpoint {
        "/services/saved/searches" => {
            let saved = match frame.objects {
                Some(objects) => objects
                    .0
                    .saved_searches()
                    .map_err(|e| SearchError::Internal(format!("saved searches: {e}")))?,
                None => Vec::new(),
            };
            for stored in saved {
                let s = stored.search;
                let mut r = Row::new();
                r.set("title", text(&s.name));
                r.set("search", text(&s.query));
                r.set("description", text(&s.description));
                r.set(
                    "dispatch.earliest_time",
                    text(s.earliest.as_deref().unwrap_or("")),
                );
                r.set(
                    "dispatch.latest_time",
                    text(s.latest.as_deref().unwrap_or("")),
                );
                r.set("cron_schedule", text(s.cron.as_deref().unwrap_or("")));
                r.set(
                    "is_scheduled",
                    Value::Int(i64::from(s.cron.is_some() && s.enabled)),
                );
                r.set("disabled", Value::Int(i64::from(!s.enabled)));
                r.set("eai:acl.app", text("search"));
                rows.push(r);
            }
        }
        "/services/data/indexes" => {
            for index in super::scope_indexes(frame.store, frame.scope, true, true) {
                let buckets = frame.store.buckets_of(&index);
                let count: u64 = buckets.iter().map(|b| b.summary().count).sum();
                let bytes: u64 = buckets.iter().map(|b| b.disk_bytes()).sum();
                let range = buckets.iter().filter_map(|b| b.time_range());
                let (lo, hi) = range.fold(
                    (None, None),
                    |(lo, hi): (Option<i64>, Option<i64>), (a, b)| {
                        (
                            Some(lo.map_or(a, |l| l.min(a))),
                            Some(hi.map_or(b, |h| h.max(b))),
                        )
                    },
                );
                let mut r = Row::new();
                r.set("title", text(&index));
                r.set("totalEventCount", Value::Int(count as i64));
                let mb = bytes as f64 / (1024.0 * 1024.0);
                r.set(
                    "currentDBSizeMB",
                    Value::Float((mb * 1000.0).round() / 1000.0),
                );
                if let (Some(lo), Some(hi)) = (lo, hi) {
                    r.set("minTime", text(&super::format_time(lo)));
                    r.set("maxTime", text(&super::format_time(hi)));
                }
                r.set("datatype", text("event"));
                r.set("disabled", Value::Int(0));
                rows.push(r);
            }
        }
        "/services/authentication/current-context" => {
            let mut r = Row::new();
            r.set("username", text(&frame.scope.principal));
            r.set("title", text(&frame.scope.principal));
            let allowed = match &frame.scope.allowed_indexes {
                Some(list) => Value::Multi(list.iter().map(|i| text(i)).collect()),
                None => text("*"),
            };
            r.set("srchIndexesAllowed", allowed);
            rows.push(r);
        }
        _ => {
            let mut r = Row::new();
            r.set("serverName", text(&crate::ingest::pipeline::hostname()));
            r.set("product_type", text("loupe"));
            r.set("version", text(env!("CARGO_PKG_VERSION")));
            r.set("os_name", text(std::env::consts::OS));
            r.set("cpu_arch", text(std::env::consts::ARCH));
            let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
            r.set("numberOfCores", Value::Int(cores as i64));
            rows.push(r);
        }
    }
    if count > 0 {
        rows.truncate(count);
    }
    Ok(rows)
}
