//! Subsearches that read events, run before the search around them (Splunk's order).
//!
//! A subsearch in a search expression (`index=web [search index=app outcome=failure | fields
//! client_ip]`, `NOT [...]`, also after `| search`) is replaced by its rows as Splunk's `format`
//! writes them: each row `(f1="v1" AND f2="v2")`, rows ORed, a field named `search` or `query`
//! taken as search text; no row matches nothing. The outer search is then planned and pushed
//! down as if the user had typed the terms. The subsearch of `append`/`join` gives its rows
//! to the operator instead. Every subsearch runs through the same planner with the outer
//! search's store, index scope, limits, clock and time range, so a token restricted to some
//! indexes cannot reach others through brackets; nesting is bounded by [`MAX_DEPTH`]. The rows
//! of a leading catalog command (`| dbinspect`) are made here too, in the same scope.

use super::{SearchError, SearchScope, SearchStats};
use crate::store::Store;
use loupe_query::{
    CmpOp, CommandKind, Expr, Limits, Pipeline, Row, RowBatch, SearchExpr, Span, TimeBound, Value,
};
use std::collections::HashMap;

/// Deepest subsearch nesting run (brackets inside brackets); deeper is an error, not a stack risk.
pub const MAX_DEPTH: usize = 5;

/// What a subsearch inherits from the search around it.
#[derive(Clone, Copy)]
pub(crate) struct Frame<'a> {
    pub store: &'a Store,
    /// The caller's index restriction, the same at every depth.
    pub scope: &'a SearchScope,
    pub limits: &'a Limits,
    /// "Now" of the whole search, nanoseconds.
    pub now: i64,
    /// The search's zone, the same at every depth.
    pub tz: &'a jiff::tz::TimeZone,
    /// Time range of the search around (nanoseconds, end exclusive); a subsearch's own
    /// `earliest=`/`latest=` narrow or replace it.
    pub earliest: Option<i64>,
    pub latest: Option<i64>,
    /// 0 for the user's search, n for a subsearch inside n brackets.
    pub depth: usize,
    /// The whole search's guard: a subsearch counts against the same time and memory.
    pub guard: &'a std::sync::Arc<loupe_query::SearchGuard>,
    /// The server's saved objects, for `rest` and `savedsearch`.
    pub objects: Option<&'a super::Objects>,
    /// Macros a saved search run by `savedsearch` may call.
    pub macros: &'a loupe_query::MacroTable,
    /// `iplocation`'s database, the same at every depth.
    pub geo: Option<&'a std::sync::Arc<dyn loupe_query::Geolocator>>,
}

/// Runs the subsearches of `pipeline` (already at `frame.depth`): those in search expressions
/// are replaced by their rows as terms; those of `append`/`join` are returned by position.
pub(crate) fn resolve(
    pipeline: &mut Pipeline,
    frame: &Frame<'_>,
) -> Result<HashMap<usize, RowBatch>, SearchError> {
    let mut out = HashMap::new();
    for (i, cmd) in pipeline.commands.iter_mut().enumerate() {
        if let CommandKind::Args(a) = &cmd.kind {
            if loupe_query::CATALOG_COMMANDS.contains(&cmd.name.as_str()) {
                if i != 0 {
                    return Err(loupe_query::PlanError::at(
                        cmd,
                        format!("generates results: it must come first (`| {} …`)", cmd.name),
                    )
                    .into());
                }
                out.insert(i, super::catalog::rows(cmd, a, frame)?);
                continue;
            }
        }
        let (name, span) = (cmd.name.clone(), cmd.span);
        let refuse = |message: String| SearchError::Plan {
            message: format!("{name}: {message}"),
            span: Some(span),
            column: None,
        };
        match &mut cmd.kind {
            CommandKind::Search(expr) => substitute(expr, frame)?,
            CommandKind::Where(e) => in_expression(e, frame)?,
            CommandKind::Eval(assignments) => {
                for (_, e) in assignments {
                    in_expression(e, frame)?;
                }
            }
            CommandKind::Append(a) => {
                let rows = run_rows(&a.subsearch, frame, frame.limits.max_subsearch_rows)?;
                out.insert(i, rows);
            }
            CommandKind::Join(j) => {
                let rows = run_rows(&j.subsearch, frame, frame.limits.max_subsearch_rows)?;
                out.insert(i, rows);
            }
            CommandKind::Union(_) if name == "multisearch" && i != 0 => {
                return Err(refuse(
                    "generates results: it must come first (`| multisearch …`)".into(),
                ));
            }
            CommandKind::Union(u) => {
                let max = frame.limits.max_subsearch_rows;
                let mut rows = Vec::new();
                for sub in &u.subsearches {
                    let mut more = run_rows(sub, frame, max)?;
                    more.truncate(max);
                    rows.extend(more);
                }
                // `multisearch` interleaves its searches' events newest first, as one search would.
                if name == "multisearch" {
                    rows.sort_by(|a, b| {
                        let t = |r: &Row| r.time().unwrap_or(f64::NEG_INFINITY);
                        t(b).total_cmp(&t(a))
                    });
                }
                if rows.len() > max {
                    return Err(refuse(format!(
                        "its subsearches returned more than {max} rows (limit max_subsearch_rows)"
                    )));
                }
                out.insert(i, rows);
            }
            _ => {}
        }
    }
    Ok(out)
}

/// Replaces every subsearch inside `expr` by the terms its rows make.
fn substitute(expr: &mut SearchExpr, frame: &Frame<'_>) -> Result<(), SearchError> {
    match expr {
        SearchExpr::And(items) | SearchExpr::Or(items) => {
            for item in items {
                substitute(item, frame)?;
            }
        }
        SearchExpr::Not(inner) => substitute(inner, frame)?,
        SearchExpr::Subsearch { pipeline, span } => {
            let rows = bounded_rows(pipeline, *span, frame)?;
            *expr = format_rows(&rows, *span)?;
        }
        _ => {}
    }
    Ok(())
}

/// A subsearch's rows, refused past `max_subsearch_results` rather than cut (a cut list of
/// values would silently change what the outer search finds).
fn bounded_rows(
    pipeline: &Pipeline,
    span: Span,
    frame: &Frame<'_>,
) -> Result<Vec<Row>, SearchError> {
    let max = frame.limits.max_subsearch_results;
    let rows = run_rows(pipeline, frame, max)?;
    if rows.len() > max {
        return Err(SearchError::Plan {
            message: format!(
                "subsearch: more than {max} results; the search was stopped (raise limits.max_subsearch_results or narrow the subsearch)"
            ),
            span: Some(span),
            column: None,
        });
    }
    Ok(rows)
}

/// Replaces the subsearches of an eval/where expression by the values they return: in
/// `x IN [ … ]` every value, elsewhere the first (null when none). Only an expression that holds
/// one is walked (machine-written conditions can be deep).
fn in_expression(e: &mut Expr, frame: &Frame<'_>) -> Result<(), SearchError> {
    let mut found = false;
    e.walk_shallow(&mut |x| found |= matches!(x, Expr::Subsearch { .. }));
    if found {
        replace_in_expression(e, frame)?;
    }
    Ok(())
}

fn replace_in_expression(e: &mut Expr, frame: &Frame<'_>) -> Result<(), SearchError> {
    match e {
        Expr::Subsearch { pipeline, span } => {
            let span = *span;
            let first = expression_values(pipeline, span, frame)?.into_iter().next();
            *e = match first {
                Some(value) => Expr::Str { value, span },
                None => Expr::Call {
                    name: "null".into(),
                    args: Vec::new(),
                    span,
                },
            };
        }
        Expr::In { expr, list, .. } => {
            replace_in_expression(expr, frame)?;
            let mut items = Vec::with_capacity(list.len());
            for mut item in std::mem::take(list) {
                match &item {
                    Expr::Subsearch { pipeline, span } => {
                        let span = *span;
                        let values = expression_values(pipeline, span, frame)?;
                        items.extend(values.into_iter().map(|value| Expr::Str { value, span }));
                    }
                    _ => {
                        replace_in_expression(&mut item, frame)?;
                        items.push(item);
                    }
                }
            }
            *list = items;
        }
        Expr::Unary { expr, .. } => replace_in_expression(expr, frame)?,
        Expr::Binary { left, right, .. } => {
            replace_in_expression(left, frame)?;
            replace_in_expression(right, frame)?;
        }
        Expr::Call { args: items, .. } | Expr::And { items, .. } | Expr::Or { items, .. } => {
            for item in items {
                replace_in_expression(item, frame)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// What a subsearch in an expression returns: every value of its rows' fields (internal ones
/// left out); the `search` text `return` and `format` write gives the values it names.
fn expression_values(
    pipeline: &Pipeline,
    span: Span,
    frame: &Frame<'_>,
) -> Result<Vec<String>, SearchError> {
    let rows = bounded_rows(pipeline, span, frame)?;
    let mut out = Vec::new();
    for row in &rows {
        for (name, value) in row.iter() {
            if name.starts_with('_') {
                continue;
            }
            for v in loupe_query::row::values_of(value) {
                if matches!(v, Value::Null) {
                    continue;
                }
                let v = loupe_query::row::text(v);
                if name == "search" || name == "query" {
                    if let Ok(p) = loupe_query::parse(&v) {
                        if let Some(CommandKind::Search(expr)) = p.commands.first().map(|c| &c.kind)
                        {
                            named_values(expr, &mut out);
                            continue;
                        }
                    }
                }
                if !v.is_empty() {
                    out.push(v);
                }
            }
        }
    }
    Ok(out)
}

/// The values a search names: its words, phrases and compared values.
fn named_values(expr: &SearchExpr, out: &mut Vec<String>) {
    match expr {
        SearchExpr::And(items) | SearchExpr::Or(items) => {
            items.iter().for_each(|i| named_values(i, out))
        }
        SearchExpr::Not(inner) => named_values(inner, out),
        SearchExpr::Term { text, .. } | SearchExpr::Phrase { text, .. } => out.push(text.clone()),
        SearchExpr::Field { value, .. } => out.push(value.clone()),
        SearchExpr::FieldIn { values, .. } => out.extend(values.iter().cloned()),
        _ => {}
    }
}

/// Runs one subsearch through the planner and the operators; at most `max + 1` rows come
/// back (the caller tells "over the limit" from "exactly at it").
pub(crate) fn run_rows(
    pipeline: &Pipeline,
    frame: &Frame<'_>,
    max: usize,
) -> Result<RowBatch, SearchError> {
    if frame.depth > MAX_DEPTH {
        return Err(SearchError::Plan {
            message: format!("subsearches are nested more than {MAX_DEPTH} levels deep"),
            span: Some(pipeline.span),
            column: None,
        });
    }
    let p = super::plan(pipeline.clone(), frame, max.saturating_add(1))?;
    let plans = p.bucket_plans(frame.store)?;
    let mut stats = SearchStats::default();
    super::pipeline_rows(frame.store, p, plans, &mut stats)
}

/// Splunk's `format`: each row the AND of its fields (`f="v"`, a multi-value field the OR of
/// its values, `search`/`query` parsed as search text, `earliest`/`latest` as time bounds),
/// rows ORed; internal fields (`_time`, `_raw`, ...) and empty values are left out. No row
/// (or only empty ones) gives an empty OR, which matches nothing (`NOT` of it everything).
pub(crate) fn format_rows(rows: &[Row], span: Span) -> Result<SearchExpr, SearchError> {
    let mut alternatives = Vec::new();
    for row in rows {
        let mut clauses = Vec::new();
        for (name, value) in row.iter() {
            if name.starts_with('_') {
                continue;
            }
            let values: Vec<String> = loupe_query::row::values_of(value)
                .into_iter()
                .filter(|v| !matches!(v, Value::Null))
                .map(loupe_query::row::text)
                .filter(|v| !v.is_empty())
                .collect();
            if values.is_empty() {
                continue;
            }
            let mut terms = values
                .iter()
                .map(|v| term(name, v, span))
                .collect::<Result<Vec<_>, _>>()?;
            clauses.push(if terms.len() == 1 {
                terms.remove(0)
            } else {
                SearchExpr::Or(terms)
            });
        }
        match clauses.len() {
            0 => {}
            1 => alternatives.extend(clauses),
            _ => alternatives.push(SearchExpr::And(clauses)),
        }
    }
    Ok(if alternatives.len() == 1 {
        alternatives.remove(0)
    } else {
        SearchExpr::Or(alternatives)
    })
}

/// One field value of a subsearch row as a search term.
fn term(name: &str, value: &str, span: Span) -> Result<SearchExpr, SearchError> {
    let bound = match name {
        "earliest" => Some(TimeBound::Earliest),
        "latest" => Some(TimeBound::Latest),
        _ => None,
    };
    if let Some(bound) = bound {
        return Ok(SearchExpr::TimeBound {
            bound,
            value: value.to_string(),
            span,
        });
    }
    if name != "search" && name != "query" {
        return Ok(SearchExpr::Field {
            field: name.to_string(),
            op: CmpOp::Eq,
            value: value.to_string(),
            quoted: true,
            span,
        });
    }
    let bad = |why: String| SearchError::Plan {
        message: format!("subsearch: its `{name}` field {value:?} is not a search: {why}"),
        span: Some(span),
        column: None,
    };
    let parsed = loupe_query::parse(value).map_err(|e| bad(e.to_string()))?;
    match parsed.commands.as_slice() {
        [only] => match &only.kind {
            CommandKind::Search(expr) => {
                let mut nested = false;
                expr.walk_subsearches(&mut |_| nested = true);
                if nested {
                    return Err(bad("it holds a subsearch".into()));
                }
                Ok(relocate(expr.clone(), span))
            }
            _ => Err(bad(format!("it starts with `{}`", only.name))),
        },
        _ => Err(bad("it holds a `|`".into())),
    }
}

/// Search text returned by a subsearch points into that text, not the query: its nodes take
/// the subsearch's span so errors underline the brackets.
fn relocate(expr: SearchExpr, at: Span) -> SearchExpr {
    match expr {
        SearchExpr::And(items) => {
            SearchExpr::And(items.into_iter().map(|i| relocate(i, at)).collect())
        }
        SearchExpr::Or(items) => {
            SearchExpr::Or(items.into_iter().map(|i| relocate(i, at)).collect())
        }
        SearchExpr::Not(inner) => SearchExpr::Not(Box::new(relocate(*inner, at))),
        SearchExpr::Term { text, .. } => SearchExpr::Term { text, span: at },
        SearchExpr::Phrase { text, .. } => SearchExpr::Phrase { text, span: at },
        SearchExpr::Field {
            field,
            op,
            value,
            quoted,
            ..
        } => SearchExpr::Field {
            field,
            op,
            value,
            quoted,
            span: at,
        },
        SearchExpr::FieldIn { field, values, .. } => SearchExpr::FieldIn {
            field,
            values,
            span: at,
        },
        SearchExpr::TimeBound { bound, value, .. } => SearchExpr::TimeBound {
            bound,
            value,
            span: at,
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(pairs: &[(&str, Value)]) -> Row {
        Row::from_pairs(pairs.iter().cloned())
    }

    fn s(v: &str) -> Value {
        Value::Str(v.into())
    }

    #[test]
    fn rows_become_anded_fields_ored_across_rows() {
        let rows = vec![
            row(&[
                ("_time", Value::Int(1)),
                ("host", s("a")),
                ("n", Value::Int(3)),
            ]),
            row(&[("host", s("b")), ("empty", s(""))]),
        ];
        let e = format_rows(&rows, Span::default()).unwrap();
        assert_eq!(e.to_string(), r#"(host="a" n="3") OR host="b""#);
    }

    #[test]
    fn multi_values_are_ored_and_search_fields_are_search_text() {
        let rows = vec![row(&[("ip", Value::Multi(vec![s("1"), s("2")]))])];
        assert_eq!(
            format_rows(&rows, Span::default()).unwrap().to_string(),
            r#"ip="1" OR ip="2""#
        );
        let rows = vec![row(&[("search", s("status>=500 OR error"))])];
        assert_eq!(
            format_rows(&rows, Span::default()).unwrap().to_string(),
            "status>=500 OR error"
        );
        let rows = vec![row(&[("query", s("a | stats count"))])];
        let err = format_rows(&rows, Span::new(3, 9)).unwrap_err();
        assert!(
            matches!(&err, SearchError::Plan { span: Some(sp), .. } if *sp == Span::new(3, 9)),
            "{err}"
        );
    }

    #[test]
    fn no_rows_match_nothing() {
        let e = format_rows(&[row(&[("_raw", s("x"))])], Span::default()).unwrap();
        assert_eq!(e, SearchExpr::Or(Vec::new()));
    }

    #[test]
    fn earliest_and_latest_become_time_bounds() {
        let rows = vec![row(&[("earliest", s("-1d")), ("latest", s("now"))])];
        let e = format_rows(&rows, Span::default()).unwrap();
        let SearchExpr::And(items) = e else {
            panic!("{e:?}")
        };
        assert!(items
            .iter()
            .all(|i| matches!(i, SearchExpr::TimeBound { .. })));
    }
}
