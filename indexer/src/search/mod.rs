//! Search: runs an SPL query against the store.
//!
//! The base search is pushed into tantivy ([`pushdown`]); the buckets are chosen by time
//! range and index before any is opened; `head N` walks buckets newest first and stops as
//! soon as no older bucket can contribute; `stats count` counts in every bucket in
//! parallel, reading bucket summaries when the predicate is "everything".
//! The index restriction of [`SearchScope`] is applied to bucket selection itself, so no
//! command can reach an index outside it.

pub mod pushdown;

use crate::store::bucket::Bucket;
use crate::store::Store;
use loupe_query::{CommandKind, SearchExpr, TimeBound};
use pushdown::Pushed;
use rayon::prelude::*;
use serde::Serialize;
use std::sync::Arc;
use std::time::Instant;
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{BooleanQuery, Occur, Query};
use tantivy::schema::Value as _;
use tantivy::{DocAddress, Order, TantivyDocument};

/// Why a search failed; the first kinds are the user's to fix (exit code 2), the last is ours.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("{message}")]
    Syntax {
        message: String,
        start: usize,
        end: usize,
        column: usize,
    },
    #[error("unsupported: {0}")]
    Unsupported(String),
    #[error("{0}")]
    Invalid(String),
    #[error("search failed: {0}")]
    Internal(String),
}

impl SearchError {
    /// True when the query, not the system, is at fault.
    pub fn is_query_error(&self) -> bool {
        !matches!(self, SearchError::Internal(_))
    }
}

impl From<tantivy::TantivyError> for SearchError {
    fn from(e: tantivy::TantivyError) -> Self {
        SearchError::Internal(e.to_string())
    }
}

/// One search to run.
#[derive(Debug, Clone, Default)]
pub struct SearchRequest {
    pub query: String,
    /// Time modifiers (`-24h@h`, epoch, ISO 8601); the query's own `earliest=`/`latest=` win.
    pub earliest: Option<String>,
    pub latest: Option<String>,
    /// Most events returned when the query does not say (`head`).
    pub limit: usize,
    /// "Now" for relative times (tests pin it).
    pub now_ns: Option<i64>,
}

/// What a user may see: the planner intersects every search's indexes with this.
#[derive(Debug, Clone, Default)]
pub struct SearchScope {
    /// `None`: every index.
    pub allowed_indexes: Option<Vec<String>>,
}

/// One returned event.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct EventOut {
    #[serde(rename = "_time")]
    pub time: String,
    #[serde(skip)]
    pub time_ns: i64,
    #[serde(rename = "_raw")]
    pub raw: String,
    pub host: String,
    pub source: String,
    pub sourcetype: String,
    pub index: String,
}

/// Work counters of a search.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SearchStats {
    /// Buckets opened.
    pub buckets: usize,
    /// Events in the buckets considered.
    pub scanned: u64,
    pub matched: u64,
    pub elapsed_ms: f64,
}

/// The answer of `POST /api/v1/search` (DESIGN.md §4).
#[derive(Debug, Clone, Default, Serialize)]
pub struct SearchResponse {
    pub columns: Vec<String>,
    pub rows: Vec<serde_json::Map<String, serde_json::Value>>,
    pub events: Vec<EventOut>,
    pub stats: SearchStats,
}

enum Tail {
    Events(usize),
    Count(String),
}

/// Parses, plans and runs a search.
pub fn run(
    store: &Store,
    scope: &SearchScope,
    req: &SearchRequest,
) -> Result<SearchResponse, SearchError> {
    let started = Instant::now();
    let pipeline = loupe_query::parse(&req.query).map_err(|e| {
        let (_, col) = e.line_col(&req.query);
        SearchError::Syntax {
            message: e.to_string(),
            start: e.span.start,
            end: e.span.end,
            column: col,
        }
    })?;
    let mut commands = pipeline.commands.iter();
    let base = match commands.next().map(|c| &c.kind) {
        Some(CommandKind::Search(expr)) => expr.clone(),
        Some(_) => {
            return Err(SearchError::Unsupported(
                "a search must start with search terms for now".into(),
            ))
        }
        None => SearchExpr::All,
    };
    let mut tail = Tail::Events(if req.limit == 0 { 100 } else { req.limit });
    for cmd in commands {
        match (&cmd.kind, &tail) {
            (CommandKind::Head(h), Tail::Events(n)) if h.expr.is_none() => {
                tail = Tail::Events((h.limit as usize).min(*n))
            }
            (CommandKind::Stats(s), Tail::Events(_))
                if s.by.is_empty()
                    && s.funcs.len() == 1
                    && s.funcs[0].func == "count"
                    && s.funcs[0].arg.is_none() =>
            {
                tail = Tail::Count(s.funcs[0].alias.clone().unwrap_or_else(|| "count".into()));
            }
            _ => {
                return Err(SearchError::Unsupported(format!(
                    "command `{}` here",
                    cmd.name
                )))
            }
        }
    }

    let now = req.now_ns.unwrap_or_else(crate::ingest::now_ns);
    let tz = jiff::tz::TimeZone::UTC;
    let mut earliest = resolve_time(req.earliest.as_deref(), now, &tz)?;
    let mut latest = resolve_time(req.latest.as_deref(), now, &tz)?;
    collect_time_bounds(&base, now, &tz, &mut earliest, &mut latest)?;

    let indexes = candidate_indexes(store, scope, names_internal_index(&base));
    let buckets = store.buckets_for(&indexes, earliest, latest);
    let mut plans: Vec<(Arc<Bucket>, Pushed)> = Vec::new();
    for b in buckets {
        match pushdown::translate(&base, &b.fields, &b.key.index)? {
            Pushed::Nothing => {}
            p => plans.push((b, p)),
        }
    }
    let mut stats = SearchStats {
        buckets: plans.len(),
        ..Default::default()
    };
    stats.scanned = plans.iter().map(|(b, _)| b.summary().count).sum();

    let mut resp = match tail {
        Tail::Count(name) => {
            let counts = plans
                .into_par_iter()
                .map(|(b, p)| count_bucket(&b, p, earliest, latest))
                .collect::<Result<Vec<u64>, SearchError>>()?;
            let total: u64 = counts.iter().sum();
            stats.matched = total;
            let mut row = serde_json::Map::new();
            row.insert(name.clone(), serde_json::Value::from(total));
            SearchResponse {
                columns: vec![name],
                rows: vec![row],
                events: Vec::new(),
                stats,
            }
        }
        Tail::Events(n) => {
            let events = newest_events(plans, earliest, latest, n, &mut stats)?;
            let columns: Vec<String> = ["_time", "host", "source", "sourcetype", "index", "_raw"]
                .iter()
                .map(|s| s.to_string())
                .collect();
            let rows = events
                .iter()
                .map(|e| match serde_json::to_value(e) {
                    Ok(serde_json::Value::Object(m)) => m,
                    _ => serde_json::Map::new(),
                })
                .collect();
            SearchResponse {
                columns,
                rows,
                events,
                stats,
            }
        }
    };
    resp.stats.elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    Ok(resp)
}

fn resolve_time(
    spec: Option<&str>,
    now: i64,
    tz: &jiff::tz::TimeZone,
) -> Result<Option<i64>, SearchError> {
    match spec.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some("0") => Ok(None),
        Some(s) => loupe_event::reltime::resolve(s, now, tz)
            .map(Some)
            .map_err(|e| SearchError::Invalid(format!("time {s:?}: {e}"))),
    }
}

/// `earliest=`/`latest=` anywhere in the top-level AND narrow the range.
fn collect_time_bounds(
    expr: &SearchExpr,
    now: i64,
    tz: &jiff::tz::TimeZone,
    earliest: &mut Option<i64>,
    latest: &mut Option<i64>,
) -> Result<(), SearchError> {
    match expr {
        SearchExpr::And(items) => {
            for i in items {
                collect_time_bounds(i, now, tz, earliest, latest)?;
            }
        }
        SearchExpr::TimeBound { bound, value, .. } => {
            let t = resolve_time(Some(value), now, tz)?;
            match bound {
                TimeBound::Earliest => *earliest = t,
                TimeBound::Latest => *latest = t,
                _ => {
                    return Err(SearchError::Unsupported(
                        "_index_earliest/_index_latest".into(),
                    ))
                }
            }
        }
        _ => {}
    }
    Ok(())
}

/// Indexes a search may touch: not the internal ones unless named, never outside the scope.
fn candidate_indexes(store: &Store, scope: &SearchScope, internal: bool) -> Vec<String> {
    store
        .index_names()
        .into_iter()
        .filter(|i| internal || !i.starts_with('_'))
        .filter(|i| {
            scope
                .allowed_indexes
                .as_ref()
                .is_none_or(|allowed| allowed.iter().any(|a| a == i))
        })
        .collect()
}

/// True when the search names an internal index (`index=_internal`, `index=_*`), as Splunk requires.
fn names_internal_index(expr: &SearchExpr) -> bool {
    match expr {
        SearchExpr::Field { field, value, .. } => {
            field.eq_ignore_ascii_case("index") && value.starts_with('_')
        }
        SearchExpr::FieldIn { field, values, .. } => {
            field.eq_ignore_ascii_case("index") && values.iter().any(|v| v.starts_with('_'))
        }
        SearchExpr::And(items) | SearchExpr::Or(items) => items.iter().any(names_internal_index),
        _ => false,
    }
}

fn with_time(b: &Bucket, p: Pushed, earliest: Option<i64>, latest: Option<i64>) -> Box<dyn Query> {
    // A bucket wholly inside the range needs no range clause.
    let inside = b
        .time_range()
        .is_some_and(|(lo, hi)| earliest.is_none_or(|e| lo >= e) && latest.is_none_or(|l| hi < l));
    let range = if inside {
        None
    } else {
        pushdown::time_range(&b.fields, earliest, latest)
    };
    match range {
        None => p.into_query(),
        Some(r) => Box::new(BooleanQuery::new(vec![
            (Occur::Must, p.into_query()),
            (Occur::Must, r),
        ])),
    }
}

fn count_bucket(
    b: &Bucket,
    p: Pushed,
    earliest: Option<i64>,
    latest: Option<i64>,
) -> Result<u64, SearchError> {
    let inside = b
        .time_range()
        .is_some_and(|(lo, hi)| earliest.is_none_or(|e| lo >= e) && latest.is_none_or(|l| hi < l));
    if inside && matches!(p, Pushed::All) {
        return Ok(b.reader.searcher().num_docs());
    }
    let q = with_time(b, p, earliest, latest);
    Ok(b.reader.searcher().search(&*q, &Count)? as u64)
}

/// Newest `n` matching events, walking buckets newest first and stopping early.
fn newest_events(
    plans: Vec<(Arc<Bucket>, Pushed)>,
    earliest: Option<i64>,
    latest: Option<i64>,
    n: usize,
    stats: &mut SearchStats,
) -> Result<Vec<EventOut>, SearchError> {
    let mut found: Vec<(i64, Arc<Bucket>, DocAddress)> = Vec::new();
    for (b, p) in plans {
        if found.len() >= n {
            let nth = found[n - 1].0;
            if b.time_range().is_some_and(|(_, hi)| hi < nth) {
                break;
            }
        }
        if n == 0 {
            break;
        }
        let q = with_time(&b, p, earliest, latest);
        let searcher = b.reader.searcher();
        let collector = TopDocs::with_limit(n).order_by_fast_field::<i64>("_time", Order::Desc);
        let (top, count) = searcher.search(&*q, &(collector, Count))?;
        stats.matched += count as u64;
        for (t, addr) in top {
            found.push((t.unwrap_or(i64::MIN), b.clone(), addr));
        }
        found.sort_by_key(|(t, _, _)| std::cmp::Reverse(*t));
        found.truncate(n);
    }
    let mut out = Vec::with_capacity(found.len());
    for (t, b, addr) in found {
        let searcher = b.reader.searcher();
        let doc: TantivyDocument = searcher.doc(addr)?;
        let raw = doc
            .get_first(b.fields.raw)
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string();
        let fast = searcher.segment_reader(addr.segment_ord).fast_fields();
        let keyword = |name: &str| -> Result<String, SearchError> {
            let mut s = String::new();
            if let Some(col) = fast.str(name)? {
                if let Some(ord) = col.term_ords(addr.doc_id).next() {
                    col.ord_to_str(ord, &mut s)
                        .map_err(|e| SearchError::Internal(e.to_string()))?;
                }
            }
            Ok(s)
        };
        out.push(EventOut {
            time: format_time(t),
            time_ns: t,
            raw,
            host: keyword("host")?,
            source: keyword("source")?,
            sourcetype: keyword("sourcetype")?,
            index: b.key.index.clone(),
        });
    }
    Ok(out)
}

/// RFC 3339 in UTC with as many decimals as needed.
pub fn format_time(ns: i64) -> String {
    jiff::Timestamp::from_nanosecond(i128::from(ns))
        .map(|t| t.to_string())
        .unwrap_or_else(|_| ns.to_string())
}
