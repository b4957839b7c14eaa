//! "Show context": the events just before and just after one event, from the same index, host
//! and source, whatever the search that found it filtered out — the lines that led to an
//! error, not only the error. Every lookup is an ordinary search run through [`super::run`], so
//! the caller's scope (its indexes) applies as to any other search.

use super::{run, SearchError, SearchRequest, SearchScope};
use serde::Serialize;
use std::sync::Arc;

/// Most events asked for on either side.
pub const MAX_SIDE: usize = 200;

/// Most events kept at the event's own instant (a burst logged within one nanosecond).
const MAX_AT: usize = 200;

/// Events a window may hold and still be read newest first in full; above it the oldest are
/// found with a bounded sort.
const DIRECT_READ: u64 = 10_000;

/// The windows after the event tried in turn until one holds enough events: near neighbours
/// are found without reading months of a busy source. `None` is "until the end".
const WINDOWS_S: [Option<i64>; 11] = [
    Some(1),
    Some(10),
    Some(60),
    Some(600),
    Some(3_600),
    Some(6 * 3_600),
    Some(86_400),
    Some(7 * 86_400),
    Some(30 * 86_400),
    Some(365 * 86_400),
    None,
];

/// Whose neighbours, and how many.
#[derive(Debug, Clone)]
pub struct ContextRequest {
    pub index: String,
    pub host: String,
    pub source: String,
    /// The event's `_time`, in nanoseconds.
    pub time_ns: i64,
    pub before: usize,
    pub after: usize,
}

/// The neighbours, each list oldest first: `before` ends just before the event's instant,
/// `at` is every event of that instant (the event among them), `after` starts just after it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Context {
    pub before: Vec<serde_json::Map<String, serde_json::Value>>,
    pub at: Vec<serde_json::Map<String, serde_json::Value>>,
    pub after: Vec<serde_json::Map<String, serde_json::Value>>,
}

/// A value as an SPL string literal: quotes and backslashes escaped.
fn quoted(v: &str) -> String {
    format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Nanoseconds as epoch seconds with nine decimals: the time modifiers read them exactly.
fn epoch(ns: i64) -> String {
    let ns = ns.max(0);
    format!(
        "{}.{:09}",
        ns.div_euclid(1_000_000_000),
        ns.rem_euclid(1_000_000_000)
    )
}

/// The events of the same stream in `[earliest, latest)` (nanoseconds), newest first.
fn events(
    store: &crate::store::Store,
    scope: &SearchScope,
    base: &SearchRequest,
    c: &ContextRequest,
    range: (Option<i64>, Option<i64>),
    tail: &str,
    limit: usize,
) -> Result<Vec<serde_json::Map<String, serde_json::Value>>, SearchError> {
    let req = SearchRequest {
        query: format!(
            "search index={} host={} source={}{tail}",
            quoted(&c.index),
            quoted(&c.host),
            quoted(&c.source)
        ),
        earliest: range.0.map(epoch),
        latest: range.1.map(epoch),
        limit,
        macros: Arc::default(),
        watch: None,
        ..base.clone()
    };
    let resp = run(store, scope, &req)?;
    // A host or source holding `*` would match as a wildcard: only the stream itself is kept.
    let same = |r: &serde_json::Map<String, serde_json::Value>, k: &str, v: &str| {
        r.get(k).and_then(|x| x.as_str()) == Some(v)
    };
    Ok(resp
        .rows
        .into_iter()
        .filter(|r| same(r, "host", &c.host) && same(r, "source", &c.source))
        .map(|mut r| {
            r.retain(|k, _| {
                matches!(
                    k.as_str(),
                    "_time" | "_raw" | "host" | "source" | "sourcetype" | "index"
                )
            });
            r
        })
        .collect())
}

fn count(
    store: &crate::store::Store,
    scope: &SearchScope,
    base: &SearchRequest,
    c: &ContextRequest,
    range: (Option<i64>, Option<i64>),
) -> Result<u64, SearchError> {
    let rows = {
        let req = SearchRequest {
            query: format!(
                "search index={} host={} source={} | stats count",
                quoted(&c.index),
                quoted(&c.host),
                quoted(&c.source)
            ),
            earliest: range.0.map(epoch),
            latest: range.1.map(epoch),
            limit: 1,
            macros: Arc::default(),
            watch: None,
            ..base.clone()
        };
        run(store, scope, &req)?.rows
    };
    Ok(rows
        .first()
        .and_then(|r| r.get("count"))
        .and_then(|v| v.as_u64())
        .unwrap_or(0))
}

/// The context of one event. `base` gives the limits, the guard and "now".
pub fn context(
    store: &crate::store::Store,
    scope: &SearchScope,
    base: &SearchRequest,
    c: &ContextRequest,
) -> Result<Context, SearchError> {
    let (n_before, n_after) = (c.before.min(MAX_SIDE), c.after.min(MAX_SIDE));
    let t = c.time_ns;
    // Newest first from the index, stopping after `n_before`: cheap however old the stream.
    let mut before = if n_before == 0 {
        Vec::new()
    } else {
        events(store, scope, base, c, (None, Some(t)), "", n_before)?
    };
    before.reverse();
    let mut at = events(store, scope, base, c, (Some(t), Some(t + 1)), "", MAX_AT)?;
    at.reverse();
    let mut after = Vec::new();
    if n_after > 0 {
        let from = t.saturating_add(1);
        for w in WINDOWS_S {
            base.guard.check().map_err(SearchError::Stopped)?;
            let to = w.map(|s| from.saturating_add(s.saturating_mul(1_000_000_000)));
            let n = count(store, scope, base, c, (Some(from), to))?;
            if n < n_after as u64 && to.is_some() {
                continue;
            }
            after = if n <= DIRECT_READ {
                let mut all = events(store, scope, base, c, (Some(from), to), "", n as usize + 1)?;
                all.reverse();
                all.truncate(n_after);
                all
            } else {
                // Many events in the first window holding enough: the oldest by a bounded sort.
                events(
                    store,
                    scope,
                    base,
                    c,
                    (Some(from), to),
                    &format!(" | sort {n_after} +_time"),
                    n_after,
                )?
            };
            break;
        }
    }
    Ok(Context { before, at, after })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_quoted_as_spl_strings() {
        assert_eq!(quoted(r#"C:\logs\"a".log"#), r#""C:\\logs\\\"a\".log""#);
    }

    #[test]
    fn instants_are_exact_epoch_seconds() {
        assert_eq!(epoch(1_767_225_601_000_000_007), "1767225601.000000007");
        assert_eq!(epoch(-5), "0.000000000");
    }
}
