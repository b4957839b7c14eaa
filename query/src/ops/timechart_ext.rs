//! What `timechart` adds to a plain pivot: the rate functions (`per_second(x)` …
//! `per_day(x)`: a bucket's sum divided by how many units its span holds, so charts with
//! different spans compare) and `partial=false` (buckets the search range cuts are
//! left out, so a chart does not end in a drop that is only a half-filled bucket).

use crate::ast::{AggCall, Expr};
use crate::plan::{ExecError, Operator};
use crate::row::RowBatch;
use loupe_event::Value;

/// The rate functions and the seconds of their unit.
const RATES: &[(&str, f64)] = &[
    ("per_second", 1.0),
    ("per_minute", 60.0),
    ("per_hour", 3600.0),
    ("per_day", 86400.0),
];

/// The calls with every rate function replaced by `sum` under the rate's column name,
/// and for each rate, its column name and unit.
pub(crate) fn split_rates(funcs: &[AggCall]) -> (Vec<AggCall>, Vec<(String, f64)>) {
    let mut rates = Vec::new();
    let calls = funcs
        .iter()
        .map(|f| {
            let Some(&(_, unit)) = RATES.iter().find(|(n, _)| *n == f.func) else {
                return f.clone();
            };
            let name = match (&f.alias, &f.arg) {
                (Some(a), _) => a.clone(),
                (None, Some(Expr::Field { name, .. })) => format!("{}({name})", f.func),
                (None, Some(e)) => format!("{}({e})", f.func),
                (None, None) => f.func.clone(),
            };
            rates.push((name.clone(), unit));
            AggCall {
                func: "sum".into(),
                arg: f.arg.clone(),
                alias: Some(name),
                span: f.span,
            }
        })
        .collect();
    (calls, rates)
}

/// Wraps the pivot of a `timechart`: scales rate columns and drops partial buckets.
pub(crate) struct TimechartExt {
    pub inner: Box<dyn Operator>,
    /// Column (or `name: series` prefix) and unit of each rate function.
    pub rates: Vec<(String, f64)>,
    /// Only one aggregation: every series column is that aggregation's.
    pub single: bool,
    /// `partial=false`: the search range, to find the buckets it cuts.
    pub whole_buckets_of: Option<(f64, f64)>,
}

impl TimechartExt {
    fn fix(&self, rows: RowBatch, out: &mut RowBatch) {
        for mut row in rows {
            let span = row.get("_span").and_then(Value::as_f64);
            let time = row.time();
            if let (Some((lo, hi)), Some(t), Some(span)) = (self.whole_buckets_of, time, span) {
                if t < lo || t + span > hi {
                    continue;
                }
            }
            if let (false, Some(span)) = (self.rates.is_empty(), span.filter(|s| *s > 0.0)) {
                let names: Vec<String> = row.names().map(str::to_string).collect();
                for name in names {
                    if name.starts_with('_') {
                        continue;
                    }
                    let unit = self.rates.iter().find_map(|(r, unit)| {
                        let hit = if self.single {
                            true
                        } else {
                            name == *r
                                || name
                                    .strip_prefix(r.as_str())
                                    .is_some_and(|rest| rest.starts_with(": "))
                        };
                        hit.then_some(*unit)
                    });
                    let Some(unit) = unit else { continue };
                    if let Some(x) = row.get(&name).and_then(Value::as_f64) {
                        row.set(&name, Value::Float(x * unit / span));
                    }
                }
            }
            out.push(row);
        }
    }
}

impl Operator for TimechartExt {
    fn push(&mut self, batch: RowBatch, out: &mut RowBatch) -> Result<(), ExecError> {
        let mut mine = Vec::new();
        self.inner.push(batch, &mut mine)?;
        self.fix(mine, out);
        Ok(())
    }

    fn finish(&mut self, out: &mut RowBatch) -> Result<(), ExecError> {
        let mut mine = Vec::new();
        self.inner.finish(&mut mine)?;
        self.fix(mine, out);
        Ok(())
    }

    fn is_done(&self) -> bool {
        self.inner.is_done()
    }
}
