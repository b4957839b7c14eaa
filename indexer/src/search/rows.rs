//! From stored documents to the rows the SPL operators work on, and the base-search filter
//! that runs on rows when a predicate names a search-time field.

use crate::store::bucket::Bucket;
use loupe_event::Value;
use loupe_query::{CmpOp, Row, SearchExpr};
use tantivy::schema::Value as _;
use tantivy::{DocAddress, Searcher, TantivyDocument};

/// Reads one event as a row: metadata from fast columns, `_raw` and indexed fields from the doc
/// store, then the sourcetype's search-time extractions (automatic `key=value`, JSON, known formats).
pub fn event_row(
    b: &Bucket,
    searcher: &Searcher,
    addr: DocAddress,
    time_ns: i64,
) -> Result<Row, String> {
    let doc: TantivyDocument = searcher.doc(addr).map_err(|e| e.to_string())?;
    let raw = doc
        .get_first(b.fields.raw)
        .and_then(|v| v.as_str())
        .unwrap_or("")
        .to_string();
    let fast = searcher.segment_reader(addr.segment_ord).fast_fields();
    let keyword = |name: &str| -> String {
        let mut s = String::new();
        if let Ok(Some(col)) = fast.str(name) {
            if let Some(ord) = col.term_ords(addr.doc_id).next() {
                let _ = col.ord_to_str(ord, &mut s);
            }
        }
        s
    };
    let sourcetype = keyword("sourcetype");
    let mut row = Row::new();
    row.set_time_ns(time_ns);
    row.set("host", Value::Str(keyword("host")));
    row.set("source", Value::Str(keyword("source")));
    row.set("sourcetype", Value::Str(sourcetype.clone()));
    row.set("index", Value::Str(b.key.index.clone()));
    let mut extracted = Vec::new();
    loupe_event::extract::extract_fields(&sourcetype, &raw, &mut extracted);
    for (k, v) in extracted {
        if row.get(&k).is_none() {
            row.set(k, v);
        }
    }
    if let Some(serde_json::Value::Object(map)) = doc
        .get_first(b.fields.fields)
        .map(|v| serde_json::to_value(tantivy::schema::OwnedValue::from(v)).unwrap_or_default())
    {
        for (k, v) in map {
            row.set(k, Value::from_json(&v));
        }
    }
    row.set("_raw", Value::Str(raw));
    Ok(row)
}

/// Fields every event carries in its own columns: their predicates are exact in the index.
pub fn is_indexed_field(name: &str) -> bool {
    matches!(
        name.to_ascii_lowercase().as_str(),
        "host" | "source" | "sourcetype" | "index" | "_raw"
    )
}

/// True when some predicate names a field that may exist only at search time (the index can then
/// only narrow the candidates, and rows must be checked).
pub fn needs_row_filter(expr: &SearchExpr) -> bool {
    match expr {
        SearchExpr::Field { field, .. } | SearchExpr::FieldIn { field, .. } => {
            !is_indexed_field(field)
        }
        SearchExpr::And(items) | SearchExpr::Or(items) => items.iter().any(needs_row_filter),
        SearchExpr::Not(inner) => needs_row_filter(inner),
        _ => false,
    }
}

/// Splunk's search-command semantics on a row: terms and phrases against `_raw` (case-insensitive),
/// `field=value` against the row's fields (wildcards, numbers compared as numbers).
pub fn row_matches(expr: &SearchExpr, row: &Row) -> bool {
    // Lower-cased once per row, whatever the number of terms.
    let raw = row
        .get("_raw")
        .map(|v| v.to_string())
        .unwrap_or_default()
        .to_lowercase();
    matches_row(expr, row, &raw)
}

fn matches_row(expr: &SearchExpr, row: &Row, raw: &str) -> bool {
    match expr {
        SearchExpr::All | SearchExpr::TimeBound { .. } | SearchExpr::Subsearch { .. } => true,
        SearchExpr::And(items) => items.iter().all(|i| matches_row(i, row, raw)),
        SearchExpr::Or(items) => items.iter().any(|i| matches_row(i, row, raw)),
        SearchExpr::Not(inner) => !matches_row(inner, row, raw),
        SearchExpr::Term { text, .. } | SearchExpr::Phrase { text, .. } => {
            let needle = text.to_lowercase();
            if needle.contains('*') {
                raw.split(|c: char| c.is_whitespace())
                    .any(|w| super::pushdown::wildcard_eq(&needle, w))
                    || super::pushdown::wildcard_eq(&format!("*{needle}*"), raw)
            } else {
                raw.contains(&needle)
            }
        }
        SearchExpr::Field {
            field, op, value, ..
        } => field_matches(row, field, *op, value),
        SearchExpr::FieldIn { field, values, .. } => values
            .iter()
            .any(|v| field_matches(row, field, CmpOp::Eq, v)),
    }
}

fn field_matches(row: &Row, field: &str, op: CmpOp, value: &str) -> bool {
    let Some(v) = row.get(field) else {
        // `field!=x` is true for events without the field in Splunk only for NOT field=x; != needs the field.
        return false;
    };
    let values: Vec<&Value> = match v {
        Value::Multi(items) => items.iter().collect(),
        other => vec![other],
    };
    values.iter().any(|v| compare(v, op, value))
}

fn compare(v: &Value, op: CmpOp, value: &str) -> bool {
    let text = v.to_string();
    let numeric = v.as_f64().zip(value.trim().parse::<f64>().ok());
    match op {
        CmpOp::Eq => match numeric {
            Some((a, b)) if !value.contains('*') => a == b,
            _ => super::pushdown::wildcard_eq(value, &text),
        },
        CmpOp::Ne => !compare(v, CmpOp::Eq, value),
        _ => {
            let ord = match numeric {
                Some((a, b)) => a.partial_cmp(&b),
                None => Some(text.as_str().cmp(value)),
            };
            match (op, ord) {
                (CmpOp::Lt, Some(o)) => o.is_lt(),
                (CmpOp::Le, Some(o)) => o.is_le(),
                (CmpOp::Gt, Some(o)) => o.is_gt(),
                (CmpOp::Ge, Some(o)) => o.is_ge(),
                _ => false,
            }
        }
    }
}
