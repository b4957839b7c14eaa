//! Post-process searches (dashboards' base searches): a pipeline with no base search of its
//! own, run over the kept answer of a finished job instead of the store. Panels sharing a base
//! search run it once and each post-processes its answer, as Splunk's post-process searches
//! do. An answer that was cut at the job's row cap is refused rather than post-processed, so a
//! shared base never gives a panel counts over part of the data.

use crate::search::lookups::{DirLookups, LookupGrant};
use crate::search::{self, SearchResponse};
use loupe_query::{ExecContext, MacroTable, Row, RowBatch, SearchGuard, Value};
use std::path::PathBuf;
use std::sync::Arc;

/// Why a post-process search did not run.
#[derive(Debug, thiserror::Error)]
pub enum PostError {
    /// The query's fault: syntax or planning, with the byte span in the post-process text.
    #[error("{message}")]
    Invalid {
        message: String,
        span: Option<(usize, usize)>,
    },
    /// The base job kept only part of its answer.
    #[error("the base search's answer was cut at {0} rows: run the panel's search on its own")]
    Incomplete(usize),
    #[error("{0}")]
    Exec(String),
}

/// What the base job was, as the post-process needs it.
pub struct Base<'a> {
    pub answer: &'a SearchResponse,
    /// The job's row cap: an answer holding that many rows may have been cut.
    pub limit: usize,
    /// The base's range in epoch seconds, when known (`timechart`'s default span).
    pub earliest: Option<f64>,
    pub latest: Option<f64>,
    pub now: f64,
    /// `iplocation`'s database, the job's.
    pub geo: Option<Arc<dyn loupe_query::Geolocator>>,
}

/// The base answer as rows: its result rows (or its events), with the search-time fields of
/// event rows (what the base would have handed to a next command).
fn rows_of(answer: &SearchResponse) -> RowBatch {
    if !answer.rows.is_empty() {
        return answer
            .rows
            .iter()
            .map(|m| {
                let mut row = Row::new();
                // In the answer's column order (the JSON map sorts its keys).
                let keys = answer
                    .columns
                    .iter()
                    .filter(|c| m.contains_key(*c))
                    .chain(m.keys().filter(|k| !answer.columns.contains(k)));
                for k in keys {
                    let v = &m[k];
                    let value = match (k.as_str(), v.as_str()) {
                        ("_time", Some(t)) => t
                            .parse::<jiff::Timestamp>()
                            .map(|ts| Value::Float(ts.as_nanosecond() as f64 / 1e9))
                            .unwrap_or_else(|_| Value::from_json(v)),
                        _ => Value::from_json(v),
                    };
                    row.set(k, value);
                }
                with_fields(&mut row);
                row
            })
            .collect();
    }
    answer
        .events
        .iter()
        .map(|e| {
            let mut row = Row::new();
            row.set_time_ns(e.time_ns);
            row.set("_raw", Value::Str(e.raw.clone()));
            for (k, v) in [
                ("host", &e.host),
                ("source", &e.source),
                ("sourcetype", &e.sourcetype),
                ("index", &e.index),
            ] {
                row.set(k, Value::Str(v.clone()));
            }
            with_fields(&mut row);
            row
        })
        .collect()
}

/// Adds an event row's search-time fields (an event search's answer keeps only `_raw` and
/// the default fields; the post-process may name any field, as after `| search`).
fn with_fields(row: &mut Row) {
    let (Some(Value::Str(raw)), Some(Value::Str(st))) = (row.get("_raw"), row.get("sourcetype"))
    else {
        return;
    };
    let mut fields = Vec::new();
    loupe_event::extract::extract_fields(st, raw, &mut fields);
    for (k, v) in fields {
        if row.get(&k).is_none() {
            row.set(k, v);
        }
    }
}

/// Runs `query` (`| stats count by x`, the leading `|` optional) over `base`'s answer.
pub fn run(
    base: &Base<'_>,
    query: &str,
    macros: &MacroTable,
    lookup_dir: PathBuf,
    grant: LookupGrant,
    limits: loupe_query::Limits,
    guard: Arc<SearchGuard>,
) -> Result<SearchResponse, PostError> {
    let kept = base.answer.rows.len().max(base.answer.events.len());
    if kept >= base.limit {
        return Err(PostError::Incomplete(base.limit));
    }
    let trimmed = query.trim_start();
    let body = trimmed.strip_prefix('|').unwrap_or(trimmed);
    // A leading `|` makes the first command a command, never a base search.
    let text = format!("| {body}");
    let shift = |at: usize| (at + query.len()).saturating_sub(text.len());
    let invalid = |message: String, span: Option<(usize, usize)>| PostError::Invalid {
        message,
        span: span.map(|(s, e)| (shift(s), shift(e))),
    };
    let expanded = loupe_query::expand_macros(&text, macros)
        .map_err(|e| invalid(e.to_string(), Some((e.span.start, e.span.end))))?;
    let pipeline = loupe_query::parse(&expanded)
        .map_err(|e| invalid(e.to_string(), Some((e.span.start, e.span.end))))?;
    let unsupported = loupe_query::unsupported_functions(&pipeline);
    if !unsupported.is_empty() {
        return Err(invalid(
            format!("unsupported: function(s) {}", unsupported.join(", ")),
            None,
        ));
    }
    let ctx = ExecContext {
        limits,
        now: base.now,
        earliest: base.earliest,
        latest: base.latest,
        lookups: Some(Arc::new(DirLookups::new(lookup_dir, grant))),
        geo: base.geo.clone(),
        guard,
        ..ExecContext::default()
    };
    let mut exec = loupe_query::compile(&pipeline.commands, &ctx)
        .map_err(|e| invalid(e.message.clone(), e.span.map(|s| (s.start, s.end))))?;
    exec.push(rows_of(base.answer))
        .map_err(|e| PostError::Exec(e.to_string()))?;
    let out = exec.finish().map_err(|e| PostError::Exec(e.to_string()))?;
    Ok(search::rows_response_of(out))
}
