//! Whether a run's results make a firing: Splunk's `counttype`/`relation`/`quantity`, a
//! `where` expression over the rows, or no data.
//!
//! - `always`: met when there is at least one row.
//! - `results` / `hosts` / `sources`: the number of rows, or of distinct `host` / `source`
//!   values, compared with `quantity`. `rises_by q` is met when the count went up by at least
//!   `q` since the previous successful run (and did go up); `drops_by q` likewise downwards.
//!   The first run of a search has no previous count and never meets `rises_by`/`drops_by`:
//!   it sets the baseline.
//! - `where`: an eval expression (the query crate's evaluator, Splunk's typing: numeric
//!   strings compare as numbers, null is false) true for at least one row; the firing carries
//!   the rows for which it is true.
//! - `no_data`: met when the search returns no row (a job that went silent).

use crate::error::AlertError;
use crate::searcher::{Row, SearchResults};
use loupe_meta::{Condition, Relation};
use loupe_query::{CommandKind, Evaluator};
use std::collections::{BTreeSet, HashMap};

/// A condition checked once (the `where` expression parsed) and evaluated per run.
#[derive(Debug)]
pub struct CompiledCondition {
    condition: Condition,
    evaluator: Option<Evaluator>,
}

/// What a condition says about one run.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// The alert fires (subject to throttling).
    pub met: bool,
    /// Rows the firing is about (indices into the results): all of them for count
    /// conditions, those matching for `where`, none for `no_data`.
    pub rows: Vec<usize>,
    /// The count to remember for the next run's `rises_by`/`drops_by` (count conditions only).
    pub count: Option<f64>,
}

impl CompiledCondition {
    /// Checks the condition; a `where` that does not parse or names an unknown function is
    /// refused here, at save time, not at the first run.
    pub fn new(condition: &Condition) -> Result<CompiledCondition, AlertError> {
        let evaluator = match condition {
            Condition::Where { expr } => Some(compile_where(expr)?),
            _ => None,
        };
        Ok(CompiledCondition {
            condition: condition.clone(),
            evaluator,
        })
    }

    /// The condition as saved.
    pub fn condition(&self) -> &Condition {
        &self.condition
    }

    /// Evaluates over a run's results; `previous` is the last run's count.
    pub fn evaluate(&self, results: &SearchResults, previous: Option<f64>) -> Verdict {
        let all: Vec<usize> = (0..results.rows.len()).collect();
        match &self.condition {
            Condition::Always => Verdict {
                met: !results.rows.is_empty(),
                rows: all,
                count: None,
            },
            Condition::NoData => Verdict {
                met: results.rows.is_empty(),
                rows: Vec::new(),
                count: None,
            },
            Condition::Results { relation, quantity } => {
                let count = results.rows.len() as f64;
                count_verdict(*relation, *quantity, count, previous, all)
            }
            Condition::Hosts { relation, quantity } => {
                let count = distinct(&results.rows, "host") as f64;
                count_verdict(*relation, *quantity, count, previous, all)
            }
            Condition::Sources { relation, quantity } => {
                let count = distinct(&results.rows, "source") as f64;
                count_verdict(*relation, *quantity, count, previous, all)
            }
            Condition::Where { .. } => {
                let rows: Vec<usize> = match &self.evaluator {
                    Some(ev) => results
                        .rows
                        .iter()
                        .enumerate()
                        .filter(|(_, row)| ev.is_true(&to_values(row)).unwrap_or(false))
                        .map(|(i, _)| i)
                        .collect(),
                    None => Vec::new(),
                };
                Verdict {
                    met: !rows.is_empty(),
                    rows,
                    count: None,
                }
            }
        }
    }
}

fn compile_where(expr: &str) -> Result<Evaluator, AlertError> {
    let err = |reason: String| AlertError::Where {
        expr: expr.to_string(),
        reason,
    };
    let pipeline =
        loupe_query::parse(&format!("| where {expr}")).map_err(|e| err(e.to_string()))?;
    match pipeline.commands.as_slice() {
        [cmd] => match &cmd.kind {
            CommandKind::Where(e) => Evaluator::new(e).map_err(|e| err(e.to_string())),
            _ => Err(err("not a where expression".into())),
        },
        _ => Err(err("a condition is one expression, without `|`".into())),
    }
}

fn count_verdict(
    relation: Relation,
    quantity: f64,
    count: f64,
    previous: Option<f64>,
    rows: Vec<usize>,
) -> Verdict {
    let met = match relation {
        Relation::GreaterThan => count > quantity,
        Relation::LessThan => count < quantity,
        Relation::EqualTo => count == quantity,
        Relation::NotEqualTo => count != quantity,
        Relation::RisesBy => previous.is_some_and(|p| count > p && count - p >= quantity),
        Relation::DropsBy => previous.is_some_and(|p| count < p && p - count >= quantity),
    };
    Verdict {
        met,
        rows,
        count: Some(count),
    }
}

fn distinct(rows: &[Row], field: &str) -> usize {
    rows.iter()
        .filter_map(|r| r.get(field))
        .filter(|v| !v.is_null())
        .map(crate::table::cell_text)
        .collect::<BTreeSet<_>>()
        .len()
}

/// A JSON row as the evaluator's values (numbers stay numbers, arrays multi-values).
pub(crate) fn to_values(row: &Row) -> HashMap<String, loupe_event::Value> {
    row.iter()
        .map(|(k, v)| (k.clone(), json_to_value(v)))
        .collect()
}

fn json_to_value(v: &serde_json::Value) -> loupe_event::Value {
    use loupe_event::Value;
    match v {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        serde_json::Value::String(s) => Value::Str(s.clone()),
        serde_json::Value::Array(a) => Value::Multi(a.iter().map(json_to_value).collect()),
        serde_json::Value::Object(_) => Value::Str(v.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn results(rows: serde_json::Value) -> SearchResults {
        let rows: Vec<Row> = serde_json::from_value(rows).unwrap();
        SearchResults::from_rows(rows)
    }

    #[test]
    fn counts_hosts_and_where() {
        let r = results(
            json!([{"host":"a","count":"60"},{"host":"b","count":3},{"host":"a","count":1}]),
        );
        let c = |cond: Condition| CompiledCondition::new(&cond).unwrap();
        let gt = |n| Condition::Results {
            relation: Relation::GreaterThan,
            quantity: n,
        };
        assert!(c(gt(2.0)).evaluate(&r, None).met);
        assert!(!c(gt(3.0)).evaluate(&r, None).met);
        let hosts = Condition::Hosts {
            relation: Relation::EqualTo,
            quantity: 2.0,
        };
        assert!(c(hosts).evaluate(&r, None).met);
        let w = c(Condition::Where {
            expr: "count > 50".into(),
        })
        .evaluate(&r, None);
        assert_eq!(w.rows, vec![0]);
        assert!(w.met);
        assert!(!c(Condition::NoData).evaluate(&r, None).met);
        assert!(
            c(Condition::NoData)
                .evaluate(&SearchResults::default(), None)
                .met
        );
        assert!(
            !c(Condition::Always)
                .evaluate(&SearchResults::default(), None)
                .met
        );
    }

    #[test]
    fn rises_and_drops_compare_with_the_previous_count() {
        let r = results(json!([{"a":1},{"a":2},{"a":3}]));
        let rises = CompiledCondition::new(&Condition::Results {
            relation: Relation::RisesBy,
            quantity: 2.0,
        })
        .unwrap();
        assert!(!rises.evaluate(&r, None).met, "first run is the baseline");
        assert!(rises.evaluate(&r, Some(1.0)).met);
        assert!(!rises.evaluate(&r, Some(2.0)).met);
        let drops = CompiledCondition::new(&Condition::Results {
            relation: Relation::DropsBy,
            quantity: 2.0,
        })
        .unwrap();
        assert!(drops.evaluate(&r, Some(5.0)).met);
        assert!(!drops.evaluate(&r, Some(4.0)).met);
        assert_eq!(drops.evaluate(&r, Some(4.0)).count, Some(3.0));
    }

    #[test]
    fn a_broken_where_is_refused_at_save_time() {
        let e = CompiledCondition::new(&Condition::Where {
            expr: "count > ".into(),
        })
        .unwrap_err();
        assert!(e.to_string().contains("count > "), "{e}");
        assert!(CompiledCondition::new(&Condition::Where {
            expr: "nosuchfn(x)".into()
        })
        .is_err());
    }
}
