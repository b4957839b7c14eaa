//! From a met condition to firings: one for the whole result set (`digest`), one per row
//! (`per_result`), or — with `throttle_fields` — one per distinct value of those fields, each
//! suppressed for `throttle` after it fired.
//!
//! Rules, so an on-call person can predict them:
//! - A *throttle key* is the values of `throttle_fields` in a firing's first row, as a JSON
//!   array (`["web-1"]`); without `throttle_fields` every firing of the search has the key `""`.
//! - In `digest` mode with `throttle_fields`, the rows are grouped by key and each group is
//!   one firing: two hosts over the threshold are two firings, each throttled on its own.
//! - A key fires at most once per throttle period, measured from the *scheduled* time of the
//!   run that fired it (so catch-up runs throttle as the live ones would have); within one
//!   run, later firings with an already-fired key are counted as throttled.
//! - A throttled firing runs no action and is counted in the run's `throttled`.

use crate::searcher::{Row, SearchResults};
use loupe_meta::AlertMode;

/// One prospective firing: the rows it is about and its throttle key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// Throttle key (`""` when the search is throttled as a whole).
    pub key: String,
    /// Indices of its rows in the results.
    pub rows: Vec<usize>,
}

/// The throttle key of a row.
pub fn key_of(row: Option<&Row>, fields: &[String]) -> String {
    if fields.is_empty() {
        return String::new();
    }
    let values: Vec<serde_json::Value> = fields
        .iter()
        .map(|f| {
            row.and_then(|r| r.get(f))
                .cloned()
                .unwrap_or(serde_json::Value::Null)
        })
        .collect();
    serde_json::Value::Array(values).to_string()
}

/// Splits the rows a condition selected into firings, per the mode and throttle fields.
pub fn candidates(
    mode: AlertMode,
    throttle_fields: &[String],
    results: &SearchResults,
    rows: &[usize],
) -> Vec<Candidate> {
    let row = |i: usize| results.rows.get(i);
    match mode {
        AlertMode::PerResult if !rows.is_empty() => rows
            .iter()
            .map(|&i| Candidate {
                key: key_of(row(i), throttle_fields),
                rows: vec![i],
            })
            .collect(),
        _ if throttle_fields.is_empty() || rows.is_empty() => vec![Candidate {
            key: String::new(),
            rows: rows.to_vec(),
        }],
        _ => {
            let mut groups: Vec<Candidate> = Vec::new();
            for &i in rows {
                let key = key_of(row(i), throttle_fields);
                match groups.iter_mut().find(|g| g.key == key) {
                    Some(g) => g.rows.push(i),
                    None => groups.push(Candidate { key, rows: vec![i] }),
                }
            }
            groups
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn grouping() {
        let rows: Vec<Row> =
            serde_json::from_value(json!([{"host":"a"},{"host":"b"},{"host":"a"}])).unwrap();
        let r = SearchResults::from_rows(rows);
        let f = vec!["host".to_string()];
        let d = candidates(AlertMode::Digest, &f, &r, &[0, 1, 2]);
        assert_eq!(d.len(), 2);
        assert_eq!(
            d[0],
            Candidate {
                key: r#"["a"]"#.into(),
                rows: vec![0, 2]
            }
        );
        assert_eq!(candidates(AlertMode::Digest, &[], &r, &[0, 1, 2]).len(), 1);
        assert_eq!(
            candidates(AlertMode::PerResult, &[], &r, &[0, 1, 2]).len(),
            3
        );
        assert_eq!(
            candidates(AlertMode::PerResult, &f, &r, &[]).len(),
            1,
            "no_data fires once"
        );
    }
}
