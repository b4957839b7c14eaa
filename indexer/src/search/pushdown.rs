//! Translating a base search (`SearchExpr`) into a tantivy query over one bucket.
//!
//! Terms and phrases become token queries on `_raw` (tokenized exactly as at index time),
//! `host=`/`source=`/`sourcetype=` keyword queries, other `field=value` queries on the
//! indexed `_fields`. `index=` is decided per bucket (a bucket holds one index), so it
//! becomes "all" or "nothing" and whole buckets are skipped.

use super::SearchError;
use crate::store::schema::{Fields, WARNING_NAME};
use crate::store::vocabulary::{phrase_terms, split_tokens};
use loupe_query::{CmpOp, SearchExpr};
use std::ops::Bound;
use tantivy::query::{
    AllQuery, BooleanQuery, EmptyQuery, Occur, Query, RangeQuery, RegexQuery, TermQuery,
    TermSetQuery,
};
use tantivy::schema::IndexRecordOption;
use tantivy::Term;

/// A translated predicate; `All`/`Nothing` are kept symbolic so buckets can be skipped and counts shortcut.
pub enum Pushed {
    All,
    Nothing,
    Query(Box<dyn Query>),
}

impl Pushed {
    /// The tantivy query (materialising the symbolic cases).
    pub fn into_query(self) -> Box<dyn Query> {
        match self {
            Pushed::All => Box::new(AllQuery),
            Pushed::Nothing => Box::new(EmptyQuery),
            Pushed::Query(q) => q,
        }
    }
}

/// Keyword fields every event has, indexed in their own columns.
const KEYWORD_FIELDS: [&str; 3] = ["host", "source", "sourcetype"];

/// Translates an expression for a bucket of index `index`. With `loose`, predicates on fields that
/// may exist only at search time become a superset (indexed field or the value's words in `_raw`),
/// and the rows are checked afterwards.
pub fn translate(
    expr: &SearchExpr,
    f: &Fields,
    index: &str,
    loose: bool,
) -> Result<Pushed, SearchError> {
    Ok(match expr {
        SearchExpr::All => Pushed::All,
        SearchExpr::TimeBound { .. } => Pushed::All, // applied as a range beside the query
        SearchExpr::Term { text, .. } => raw_match(text, f)?,
        SearchExpr::Phrase { text, .. } => raw_match(text, f)?,
        SearchExpr::Field {
            field, op, value, ..
        } => field_match(field, *op, value, f, index, loose)?,
        SearchExpr::FieldIn { field, values, .. } => {
            let mut set = TermSet::default();
            let mut parts = Vec::new();
            for v in values {
                if !set.take(field_set_term(field, v), f) {
                    parts.push(field_match(field, CmpOp::Eq, v, f, index, loose)?);
                }
            }
            parts.extend(set.into_query());
            or(parts)
        }
        SearchExpr::And(items) => {
            let parts = items
                .iter()
                .map(|i| translate(i, f, index, loose))
                .collect::<Result<Vec<_>, _>>()?;
            and(parts)
        }
        SearchExpr::Or(items) => {
            // Single words and `host=`-style values gather into one set query per field: an
            // `OR` of 10,000 words is one pass over the term dictionary, not 10,000 clauses.
            let mut set = TermSet::default();
            let mut parts = Vec::new();
            for item in items {
                if !set.take(set_term(item), f) {
                    parts.push(translate(item, f, index, loose)?);
                }
            }
            parts.extend(set.into_query());
            or(parts)
        }
        // The negation of a superset is not a superset: leave it to the row filter.
        SearchExpr::Not(inner) if loose && super::rows::needs_row_filter(inner) => Pushed::All,
        SearchExpr::Not(inner) => match translate(inner, f, index, loose)? {
            Pushed::All => Pushed::Nothing,
            Pushed::Nothing => Pushed::All,
            Pushed::Query(q) => Pushed::Query(Box::new(BooleanQuery::new(vec![
                (Occur::Must, Box::new(AllQuery) as Box<dyn Query>),
                (Occur::MustNot, q),
            ]))),
        },
        SearchExpr::Subsearch { .. } => {
            return Err(SearchError::Unsupported(
                "a subsearch here (it runs only in a search command)".into(),
            ))
        }
    })
}

/// One term of a set query: the field (`_raw` or a keyword field) and its index term.
struct SetTerm {
    field: &'static str,
    term: String,
}

/// The index term `expr` stands for when it is exactly one (a word standing for one term, an
/// exact value of a keyword field): such terms of one `OR` gather into a [`TermSetQuery`].
fn set_term(expr: &SearchExpr) -> Option<SetTerm> {
    let raw = |text: &str| {
        if text.contains('*') {
            return None;
        }
        match phrase_terms(&split_tokens(text)).terms.as_slice() {
            [one] => Some(SetTerm {
                field: "_raw",
                term: one.clone(),
            }),
            _ => None,
        }
    };
    match expr {
        SearchExpr::Term { text, .. } | SearchExpr::Phrase { text, .. } => raw(text),
        SearchExpr::Field {
            field,
            op: CmpOp::Eq,
            value,
            ..
        } => field_set_term(field, value).or_else(|| {
            field
                .eq_ignore_ascii_case("_raw")
                .then(|| raw(value))
                .flatten()
        }),
        _ => None,
    }
}

fn field_set_term(field: &str, value: &str) -> Option<SetTerm> {
    if value.contains('*') {
        return None;
    }
    let name = field.to_ascii_lowercase();
    let field = KEYWORD_FIELDS.iter().find(|k| **k == name)?;
    Some(SetTerm {
        field,
        term: value.to_lowercase(),
    })
}

/// Gathers set terms, then becomes one query over all of them.
#[derive(Default)]
struct TermSet {
    terms: Vec<Term>,
}

impl TermSet {
    /// Takes `t` when there is one; false leaves the expression to the caller.
    fn take(&mut self, t: Option<SetTerm>, f: &Fields) -> bool {
        let Some(t) = t else { return false };
        let field = match t.field {
            "_raw" => f.raw,
            "host" => f.host,
            "source" => f.source,
            _ => f.sourcetype,
        };
        self.terms.push(Term::from_field_text(field, &t.term));
        true
    }

    /// The set as one query; none when it took nothing, a plain term query for one term.
    fn into_query(mut self) -> Option<Pushed> {
        match self.terms.len() {
            0 => None,
            1 => self
                .terms
                .pop()
                .map(|t| Pushed::Query(Box::new(TermQuery::new(t, IndexRecordOption::Basic)))),
            _ => Some(Pushed::Query(Box::new(TermSetQuery::new(self.terms)))),
        }
    }
}

fn and(parts: Vec<Pushed>) -> Pushed {
    let mut qs: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for p in parts {
        match p {
            Pushed::Nothing => return Pushed::Nothing,
            Pushed::All => {}
            Pushed::Query(q) => qs.push((Occur::Must, q)),
        }
    }
    match qs.len() {
        0 => Pushed::All,
        1 => Pushed::Query(
            qs.pop()
                .map(|(_, q)| q)
                .unwrap_or_else(|| Box::new(AllQuery)),
        ),
        _ => Pushed::Query(Box::new(BooleanQuery::new(qs))),
    }
}

fn or(parts: Vec<Pushed>) -> Pushed {
    let mut qs: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for p in parts {
        match p {
            Pushed::All => return Pushed::All,
            Pushed::Nothing => {}
            Pushed::Query(q) => qs.push((Occur::Should, q)),
        }
    }
    match qs.len() {
        0 => Pushed::Nothing,
        1 => Pushed::Query(
            qs.pop()
                .map(|(_, q)| q)
                .unwrap_or_else(|| Box::new(EmptyQuery)),
        ),
        _ => Pushed::Query(Box::new(BooleanQuery::new(qs))),
    }
}

/// A word or phrase against `_raw`: the conjunction of its index terms (word pairs, words,
/// hashed identifiers). When those are not proof ([`needs_text_check`]), rows are checked.
fn raw_match(text: &str, f: &Fields) -> Result<Pushed, SearchError> {
    if let Some(d) = loupe_query::directive::Directive::parse(text) {
        // The directive's words narrow; the row filter decides (see `needs_text_check`).
        return raw_match(d.text(), f);
    }
    if text.trim() == "*" {
        return Ok(Pushed::All);
    }
    if text.contains('*') {
        return wildcard_raw(text, f);
    }
    Ok(all_terms(&phrase_terms(&split_tokens(text)).terms, f))
}

/// Events holding every one of `terms` in `_raw`.
fn all_terms(terms: &[String], f: &Fields) -> Pushed {
    and(terms
        .iter()
        .map(|t| {
            Pushed::Query(Box::new(TermQuery::new(
                Term::from_field_text(f.raw, t),
                IndexRecordOption::Basic,
            )))
        })
        .collect())
}

/// True when the index can only narrow a word or phrase down to candidates (phrases of three
/// words or more, numbers in phrases, hashed identifiers, wildcards that may reach inside an
/// identifier or span several words): the candidates' text must be checked.
pub fn needs_text_check(text: &str) -> bool {
    if loupe_query::directive::Directive::parse(text).is_some() {
        return true;
    }
    if text.trim() == "*" {
        return false;
    }
    if text.contains('*') {
        let tokens = wildcard_tokens(text);
        return tokens.len() > 1
            || tokens
                .iter()
                .any(|t| t.contains('*') && t.chars().any(|c| c.is_ascii_digit()))
            || tokens
                .iter()
                .any(|t| !t.contains('*') && !phrase_terms(std::slice::from_ref(t)).exact);
    }
    !phrase_terms(&split_tokens(text)).exact
}

/// A wildcard search split on breakers, `*` kept attached to the token it touches.
fn wildcard_tokens(text: &str) -> Vec<String> {
    let mut tokens: Vec<String> = Vec::new();
    let mut cur = String::new();
    for c in text.chars() {
        if c.is_alphanumeric() || c == '*' {
            cur.extend(c.to_lowercase());
        } else if !cur.is_empty() {
            tokens.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        tokens.push(cur);
    }
    tokens.retain(|t| t != "*");
    tokens
}

/// `fail*`, `*error`, `10.1.*`: each token with a `*` is a regex over the term dictionary,
/// each plain token its term. A wildcard whose fixed part holds a digit may match an
/// identifier, which is indexed only by hash: it narrows nothing, and rows are checked.
fn wildcard_raw(text: &str, f: &Fields) -> Result<Pushed, SearchError> {
    let tokens = wildcard_tokens(text);
    if tokens.is_empty() {
        return Ok(Pushed::All);
    }
    let mut parts = Vec::new();
    for t in &tokens {
        if !t.contains('*') {
            parts.push(all_terms(&phrase_terms(std::slice::from_ref(t)).terms, f));
        } else if t.chars().any(|c| c.is_ascii_digit()) {
            parts.push(Pushed::All);
        } else {
            let pattern = wildcard_regex(t);
            let q = RegexQuery::from_pattern(&pattern, f.raw)
                .map_err(|e| SearchError::Invalid(format!("wildcard {t:?}: {e}")))?;
            parts.push(Pushed::Query(Box::new(q)));
        }
    }
    Ok(and(parts))
}

/// `web*` becomes the regex `web[^ ~]*` (everything else escaped): a `*` stays inside one token,
/// never reaching across a word pair's space or into a hashed identifier's `~` form.
fn wildcard_regex(text: &str) -> String {
    text.split('*')
        .map(regex_escape)
        .collect::<Vec<_>>()
        .join("[^ ~]*")
}

fn regex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\.+*?()|[]{}^$#&-~\"@<>".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn field_match(
    field: &str,
    op: CmpOp,
    value: &str,
    f: &Fields,
    index: &str,
    loose: bool,
) -> Result<Pushed, SearchError> {
    let name = field.to_ascii_lowercase();
    if name == "index" {
        let hit = wildcard_eq(value, index);
        return Ok(match (op, hit) {
            (CmpOp::Eq, true) | (CmpOp::Ne, false) => Pushed::All,
            (CmpOp::Eq, false) | (CmpOp::Ne, true) => Pushed::Nothing,
            _ => {
                return Err(SearchError::Unsupported(format!(
                    "index{} is not supported",
                    op_text(op)
                )))
            }
        });
    }
    if name == "_raw" {
        let m = raw_match(value, f)?;
        return Ok(if op == CmpOp::Ne { not(m) } else { m });
    }
    let eq = if let Some(kw) = KEYWORD_FIELDS.iter().position(|k| *k == name) {
        let field = [f.host, f.source, f.sourcetype][kw];
        match op {
            CmpOp::Eq | CmpOp::Ne => keyword_eq(field, value)?,
            _ => {
                return Err(SearchError::Unsupported(format!(
                    "{name}{} is not supported",
                    op_text(op)
                )))
            }
        }
    } else if loose {
        // A search-time field: its value's words must be in `_raw` (or it is an indexed field).
        return Ok(match op {
            _ if loupe_event::extract::derived_field(field) => Pushed::All,
            CmpOp::Eq if !value.contains('*') => {
                let mut any = vec![json_eq(f, field, value)?, raw_match(value, f)?];
                any.extend(warning_eq(f, field, value)?);
                or(any)
            }
            _ => Pushed::All,
        });
    } else {
        match op {
            CmpOp::Eq | CmpOp::Ne => match warning_eq(f, field, value)? {
                Some(w) => or(vec![json_eq(f, field, value)?, w]),
                None => json_eq(f, field, value)?,
            },
            _ => json_range(f, field, op, value)?,
        }
    };
    Ok(if op == CmpOp::Ne { not(eq) } else { eq })
}

fn not(p: Pushed) -> Pushed {
    match p {
        Pushed::All => Pushed::Nothing,
        Pushed::Nothing => Pushed::All,
        Pushed::Query(q) => Pushed::Query(Box::new(BooleanQuery::new(vec![
            (Occur::Must, Box::new(AllQuery) as Box<dyn Query>),
            (Occur::MustNot, q),
        ]))),
    }
}

fn op_text(op: CmpOp) -> &'static str {
    match op {
        CmpOp::Eq => "=",
        CmpOp::Ne => "!=",
        CmpOp::Lt => "<",
        CmpOp::Le => "<=",
        CmpOp::Gt => ">",
        CmpOp::Ge => ">=",
    }
}

/// Case-insensitive match with `*` wildcards, as the search command compares values.
pub fn wildcard_eq(pattern: &str, value: &str) -> bool {
    loupe_query::row::wildcard_match(&pattern.to_lowercase(), &value.to_lowercase())
}

fn keyword_eq(field: tantivy::schema::Field, value: &str) -> Result<Pushed, SearchError> {
    let v = value.to_lowercase();
    if v == "*" {
        return Ok(Pushed::All);
    }
    if v.contains('*') {
        let q = RegexQuery::from_pattern(&wildcard_regex(&v), field)
            .map_err(|e| SearchError::Invalid(format!("wildcard {value:?}: {e}")))?;
        return Ok(Pushed::Query(Box::new(q)));
    }
    Ok(Pushed::Query(Box::new(TermQuery::new(
        Term::from_field_text(field, &v),
        IndexRecordOption::Basic,
    ))))
}

/// `ingest_warning=value` in a bucket that keeps ingest's repairs in `_warning` (`None` for any
/// other field, or an older bucket: there they are `_fields.ingest_warning`, which a shipper may
/// also send, so the caller asks both).
fn warning_eq(f: &Fields, field: &str, value: &str) -> Result<Option<Pushed>, SearchError> {
    let Some(warning) = f.warning.filter(|_| field == WARNING_NAME) else {
        return Ok(None);
    };
    // Unlike host or source, not every event has it: `*` asks for any value.
    if value == "*" {
        let q = RegexQuery::from_pattern(".+", warning)
            .map_err(|e| SearchError::Invalid(format!("wildcard {value:?}: {e}")))?;
        return Ok(Some(Pushed::Query(Box::new(q))));
    }
    keyword_eq(warning, value).map(Some)
}

fn json_term(f: &Fields, field: &str) -> Term {
    Term::from_field_json_path(f.fields, field, true)
}

fn json_eq(f: &Fields, field: &str, value: &str) -> Result<Pushed, SearchError> {
    let v = value.to_lowercase();
    if v == "*" {
        return Ok(Pushed::Query(Box::new(tantivy::query::ExistsQuery::new(
            format!("_fields.{field}"),
            false,
        ))));
    }
    if v.contains('*') {
        return Err(SearchError::Unsupported(format!(
            "wildcards on the field {field:?} are not supported yet (only on host, source, sourcetype, index)"
        )));
    }
    let mut text = json_term(f, field);
    text.append_type_and_str(&v);
    let mut alternatives: Vec<Pushed> = vec![Pushed::Query(Box::new(TermQuery::new(
        text,
        IndexRecordOption::Basic,
    )))];
    if let Ok(i) = value.trim().parse::<i64>() {
        let mut t = json_term(f, field);
        t.append_type_and_fast_value(i);
        alternatives.push(Pushed::Query(Box::new(TermQuery::new(
            t,
            IndexRecordOption::Basic,
        ))));
        // JSON numbers may have been indexed as unsigned.
        if let Ok(u) = u64::try_from(i) {
            let mut t = json_term(f, field);
            t.append_type_and_fast_value(u);
            alternatives.push(Pushed::Query(Box::new(TermQuery::new(
                t,
                IndexRecordOption::Basic,
            ))));
        }
    } else if let Ok(x) = value.trim().parse::<f64>() {
        let mut t = json_term(f, field);
        t.append_type_and_fast_value(x);
        alternatives.push(Pushed::Query(Box::new(TermQuery::new(
            t,
            IndexRecordOption::Basic,
        ))));
    }
    if value.eq_ignore_ascii_case("true") || value.eq_ignore_ascii_case("false") {
        let mut t = json_term(f, field);
        t.append_type_and_fast_value(value.eq_ignore_ascii_case("true"));
        alternatives.push(Pushed::Query(Box::new(TermQuery::new(
            t,
            IndexRecordOption::Basic,
        ))));
    }
    Ok(or(alternatives))
}

fn json_range(f: &Fields, field: &str, op: CmpOp, value: &str) -> Result<Pushed, SearchError> {
    let x: f64 = value.trim().parse().map_err(|_| {
        SearchError::Invalid(format!(
            "{field}{}{value}: the value must be a number",
            op_text(op)
        ))
    })?;
    // Indexed JSON numbers are i64 (or u64/f64); ask each representation.
    let mut parts = Vec::new();
    let (lo_i, hi_i) = match op {
        CmpOp::Lt => (Bound::Unbounded, Bound::Excluded(x.ceil() as i64)),
        CmpOp::Le => (Bound::Unbounded, Bound::Included(x.floor() as i64)),
        CmpOp::Gt => (Bound::Excluded(x.floor() as i64), Bound::Unbounded),
        _ => (Bound::Included(x.ceil() as i64), Bound::Unbounded),
    };
    let mk_i = |b: Bound<i64>| {
        b.map(|v| {
            let mut t = json_term(f, field);
            t.append_type_and_fast_value(v);
            t
        })
    };
    let (lo_f, hi_f) = match op {
        CmpOp::Lt => (Bound::Unbounded, Bound::Excluded(x)),
        CmpOp::Le => (Bound::Unbounded, Bound::Included(x)),
        CmpOp::Gt => (Bound::Excluded(x), Bound::Unbounded),
        _ => (Bound::Included(x), Bound::Unbounded),
    };
    let mk_f = |b: Bound<f64>| {
        b.map(|v| {
            let mut t = json_term(f, field);
            t.append_type_and_fast_value(v);
            t
        })
    };
    parts.push(Pushed::Query(Box::new(RangeQuery::new(
        mk_i(lo_i),
        mk_i(hi_i),
    ))));
    parts.push(Pushed::Query(Box::new(RangeQuery::new(
        mk_f(lo_f),
        mk_f(hi_f),
    ))));
    Ok(or(parts))
}

/// A readable account of what [`translate`] sends to tantivy (for `loupe explain`).
pub fn describe(expr: &SearchExpr, loose: bool) -> String {
    let join = |items: &[SearchExpr], op: &str| {
        let parts: Vec<String> = items
            .iter()
            .map(|i| describe(i, loose))
            .filter(|d| d != "*")
            .collect();
        match parts.len() {
            0 => "*".to_string(),
            1 => parts[0].clone(),
            _ => format!("({})", parts.join(op)),
        }
    };
    match expr {
        SearchExpr::All | SearchExpr::TimeBound { .. } => "*".into(),
        SearchExpr::Term { text, .. } | SearchExpr::Phrase { text, .. } => raw_description(text),
        SearchExpr::Field {
            field, op, value, ..
        } => {
            let name = field.to_ascii_lowercase();
            let o = op_text(*op);
            if name == "index" {
                format!("(bucket choice: index{o}{value})")
            } else if KEYWORD_FIELDS.contains(&name.as_str()) {
                let kind = if value.contains('*') {
                    "wildcard"
                } else {
                    "term"
                };
                format!("{name}:{kind}({o}{:?})", value.to_lowercase())
            } else if loose {
                match op {
                    CmpOp::Eq if !value.contains('*') => {
                        format!(
                            "(_fields.{field}:term({value:?}) OR {}) + row filter",
                            raw_description(value)
                        )
                    }
                    _ => format!("* + row filter {field}{o}{value}"),
                }
            } else if matches!(op, CmpOp::Eq | CmpOp::Ne) && field == WARNING_NAME {
                format!("(_fields.{field}:term({o}{value:?}) OR _warning:term({o}{value:?}))")
            } else if matches!(op, CmpOp::Eq | CmpOp::Ne) {
                format!("_fields.{field}:term({o}{value:?})")
            } else {
                format!("_fields.{field}:range({o}{value})")
            }
        }
        SearchExpr::FieldIn { field, values, .. } => {
            let set = values
                .iter()
                .filter(|v| field_set_term(field, v).is_some())
                .count();
            if set >= 2 {
                format!("{}:set({set} terms)", field.to_ascii_lowercase())
            } else {
                format!("{field} IN {values:?}")
            }
        }
        SearchExpr::And(items) => join(items, " AND "),
        SearchExpr::Or(items) if items.is_empty() => "nothing (empty subsearch)".into(),
        SearchExpr::Or(items) => {
            // What `translate` gathers into set queries, counted per field.
            let mut sets: Vec<(&str, usize)> = Vec::new();
            let mut rest = Vec::new();
            for item in items {
                match set_term(item) {
                    Some(t) => match sets.iter_mut().find(|(f, _)| *f == t.field) {
                        Some(slot) => slot.1 += 1,
                        None => sets.push((t.field, 1)),
                    },
                    None => rest.push(item.clone()),
                }
            }
            if sets.iter().all(|(_, n)| *n < 2) {
                return join(items, " OR ");
            }
            let mut parts: Vec<String> = sets
                .iter()
                .map(|(f, n)| format!("{f}:set({n} terms)"))
                .collect();
            parts.extend(rest.iter().map(|i| describe(i, loose)));
            format!("({})", parts.join(" OR "))
        }
        SearchExpr::Not(inner) => format!("NOT {}", describe(inner, loose)),
        SearchExpr::Subsearch { .. } => "[subsearch: unsupported]".into(),
    }
}

fn raw_description(text: &str) -> String {
    if let Some(d) = loupe_query::directive::Directive::parse(text) {
        let inner = raw_description(d.text());
        let inner = inner.trim_end_matches(" + text check");
        return format!("{inner} + {} check", &text[..4]);
    }
    let check = if needs_text_check(text) {
        " + text check"
    } else {
        ""
    };
    if text.contains('*') {
        return format!("_raw:wildcard({:?}){check}", text.to_lowercase());
    }
    let terms = phrase_terms(&split_tokens(text)).terms;
    match terms.len() {
        0 => format!("*{check}"),
        1 => format!("_raw:term({:?}){check}", terms[0]),
        _ => format!("_raw:terms({:?}){check}", terms.join(" + ")),
    }
}

/// The `_time` restriction of a search, as a query to AND with the rest.
pub fn time_range(
    f: &Fields,
    earliest: Option<i64>,
    latest: Option<i64>,
) -> Option<Box<dyn Query>> {
    column_range(f.time, earliest, latest)
}

/// The `_indextime` restriction (`_index_earliest`/`_index_latest`, seconds): `None` when the
/// search has none, `Some(None)` when the bucket has no index times (nothing can match).
pub fn index_time_range(
    f: &Fields,
    (earliest, latest): (Option<i64>, Option<i64>),
) -> Option<Option<Box<dyn Query>>> {
    if earliest.is_none() && latest.is_none() {
        return None;
    }
    Some(
        f.indextime
            .and_then(|field| column_range(field, earliest, latest)),
    )
}

/// `earliest <= field < latest` over an i64 column; `None` when neither bound is set.
fn column_range(
    field: tantivy::schema::Field,
    earliest: Option<i64>,
    latest: Option<i64>,
) -> Option<Box<dyn Query>> {
    if earliest.is_none() && latest.is_none() {
        return None;
    }
    let lo = earliest.map_or(Bound::Unbounded, |e| {
        Bound::Included(Term::from_field_i64(field, e))
    });
    let hi = latest.map_or(Bound::Unbounded, |l| {
        Bound::Excluded(Term::from_field_i64(field, l))
    });
    Some(Box::new(RangeQuery::new(lo, hi)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        assert!(wildcard_eq("web*", "WEB-1"));
        assert!(wildcard_eq("*", "x"));
        assert!(wildcard_eq("*1", "web-1"));
        assert!(wildcard_eq("w*-*1", "web-01"));
        assert!(!wildcard_eq("web*", "db-1"));
        assert!(wildcard_eq("main", "MAIN"));
        assert_eq!(wildcard_regex("a.b*"), "a\\.b[^ ~]*");
    }
}
