//! Buffering and generating commands: `sort`, `tail`, `dedup`, `fillnull` (all fields),
//! `bin`, `makeresults`, `inputlookup`, `outputlookup`, `transaction`, `append`, `join`.

use super::matcher::Matcher;
use super::stats::TimeSpan;
use crate::eval::{truthy, Evaluator};
use crate::guard::SearchGuard;
use crate::lookup::LookupProvider;
use crate::plan::{ExecError, Operator};
use crate::row::{batch_bytes, compare_values, seconds_value, text, values_of, Row, RowBatch};
use crate::SortKey;
use loupe_event::Value;
use std::cmp::Ordering;
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;

/// What a buffering command may keep: rows (`max_rows_buffered`) and bytes (the search's
/// memory budget, through its guard).
#[derive(Clone)]
pub(crate) struct Budget {
    pub max_rows: usize,
    pub guard: Arc<SearchGuard>,
}

impl Budget {
    pub(crate) fn of(ctx: &crate::plan::ExecContext) -> Budget {
        Budget {
            max_rows: ctx.limits.max_rows_buffered,
            guard: ctx.guard.clone(),
        }
    }

    /// Appends `batch` to what `command` buffers, counting its rows and bytes.
    pub(crate) fn keep(
        &self,
        command: &str,
        rows: &mut Vec<Row>,
        batch: RowBatch,
    ) -> Result<(), ExecError> {
        self.guard.charge(batch_bytes(&batch), command)?;
        rows.extend(batch);
        over(command, rows.len(), self.max_rows)
    }

    /// Counts `bytes` kept by `command` (keys, groups, states).
    pub(crate) fn charge(&self, command: &str, bytes: usize) -> Result<(), ExecError> {
        Ok(self.guard.charge(bytes, command)?)
    }
}

pub(crate) fn over(command: &str, n: usize, max: usize) -> Result<(), ExecError> {
    if n > max {
        Err(ExecError::limit(
            command,
            "buffered rows",
            max,
            "max_rows_buffered",
        ))
    } else {
        Ok(())
    }
}

/// A streaming command that multiplies rows (`join max=0`, `mvexpand`) stops when one
/// input batch becomes more rows than a blocking command may buffer.
pub(crate) fn over_produced(command: &str, n: usize, max: usize) -> Result<(), ExecError> {
    if n > max {
        Err(ExecError::limit(
            command,
            "rows produced from one batch",
            max,
            "max_rows_buffered",
        ))
    } else {
        Ok(())
    }
}

/// Compares two rows by sort keys (`num()`/`str()` force numeric or text order).
pub(crate) fn compare_rows(a: &Row, b: &Row, keys: &[SortKey]) -> Ordering {
    for k in keys {
        let (x, y) = (
            a.get(&k.field).cloned().unwrap_or_default(),
            b.get(&k.field).cloned().unwrap_or_default(),
        );
        let o = match k.func.as_deref() {
            Some("str") => text(&x).cmp(&text(&y)),
            Some("num") => match (x.as_f64(), y.as_f64()) {
                (Some(p), Some(q)) => p.total_cmp(&q),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                _ => Ordering::Equal,
            },
            _ => compare_values(&x, &y),
        };
        let o = if k.desc { o.reverse() } else { o };
        if o.is_ne() {
            return o;
        }
    }
    Ordering::Equal
}

/// `sort`: stable, `limit` rows kept (0 = all).
pub(crate) struct Sort {
    pub keys: Vec<SortKey>,
    pub reverse: bool,
    pub limit: usize,
    pub rows: RowBatch,
    pub budget: Budget,
}

impl Operator for Sort {
    fn push(&mut self, batch: RowBatch, _out: &mut RowBatch) -> Result<(), ExecError> {
        self.budget.keep("sort", &mut self.rows, batch)
    }

    fn finish(&mut self, out: &mut RowBatch) -> Result<(), ExecError> {
        let mut rows = std::mem::take(&mut self.rows);
        rows.sort_by(|a, b| compare_rows(a, b, &self.keys));
        if self.reverse {
            rows.reverse();
        }
        if self.limit > 0 {
            rows.truncate(self.limit);
        }
        out.extend(rows);
        Ok(())
    }
}

/// `tail N`: the last N rows, in reverse order as Splunk returns them.
pub(crate) struct Tail {
    pub limit: usize,
    pub rows: VecDeque<Row>,
    pub budget: Budget,
}

impl Operator for Tail {
    fn push(&mut self, batch: RowBatch, _out: &mut RowBatch) -> Result<(), ExecError> {
        for r in batch {
            self.budget.charge("tail", r.heap_bytes())?;
            self.rows.push_back(r);
            if self.rows.len() > self.limit {
                self.rows.pop_front();
            }
        }
        over("tail", self.rows.len(), self.budget.max_rows)
    }

    fn finish(&mut self, out: &mut RowBatch) -> Result<(), ExecError> {
        out.extend(std::mem::take(&mut self.rows).into_iter().rev());
        Ok(())
    }
}

/// `dedup [N] fields [keepempty=] [consecutive=] [sortby ...]`.
pub(crate) struct Dedup {
    pub fields: Vec<String>,
    pub limit: u64,
    pub keepempty: bool,
    pub consecutive: bool,
    pub sortby: Vec<SortKey>,
    pub seen: HashMap<Vec<String>, u64>,
    pub last: Option<Vec<String>>,
    pub max_groups: usize,
    pub rows: RowBatch,
    pub budget: Budget,
}

impl Operator for Dedup {
    fn push(&mut self, batch: RowBatch, out: &mut RowBatch) -> Result<(), ExecError> {
        let mut kept = Vec::new();
        for row in batch {
            let key: Option<Vec<String>> =
                self.fields.iter().map(|f| row.get(f).map(text)).collect();
            let Some(key) = key else {
                if self.keepempty {
                    kept.push(row);
                }
                continue;
            };
            if self.consecutive {
                if self.last.as_ref() != Some(&key) {
                    self.last = Some(key);
                    kept.push(row);
                }
                continue;
            }
            let n = self.seen.len();
            if !self.seen.contains_key(&key) {
                let bytes: usize = key.iter().map(|k| k.capacity() + 24).sum();
                self.budget.charge("dedup", bytes + 48)?;
            }
            let c = self.seen.entry(key).or_insert(0);
            if *c < self.limit {
                *c += 1;
                kept.push(row);
            }
            if n >= self.max_groups {
                return Err(ExecError::limit(
                    "dedup",
                    "distinct keys",
                    self.max_groups,
                    "max_groups",
                ));
            }
        }
        if self.sortby.is_empty() {
            out.extend(kept);
        } else {
            self.budget.keep("dedup", &mut self.rows, kept)?;
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut RowBatch) -> Result<(), ExecError> {
        let mut rows = std::mem::take(&mut self.rows);
        rows.sort_by(|a, b| compare_rows(a, b, &self.sortby));
        out.extend(rows);
        Ok(())
    }
}

/// `fillnull` without fields: every field seen in any row, so it buffers.
pub(crate) struct FillAll {
    pub value: Value,
    pub rows: RowBatch,
    pub budget: Budget,
}

impl Operator for FillAll {
    fn push(&mut self, batch: RowBatch, _out: &mut RowBatch) -> Result<(), ExecError> {
        self.budget.keep("fillnull", &mut self.rows, batch)
    }

    fn finish(&mut self, out: &mut RowBatch) -> Result<(), ExecError> {
        let mut names: Vec<String> = Vec::new();
        let mut seen = HashSet::new();
        for r in &self.rows {
            for n in r.names() {
                if seen.insert(n.to_string()) {
                    names.push(n.to_string());
                }
            }
        }
        for mut r in std::mem::take(&mut self.rows) {
            for n in &names {
                let empty = match r.get(n) {
                    None => true,
                    Some(Value::Str(s)) => s.is_empty(),
                    _ => false,
                };
                if empty {
                    r.set(n.clone(), self.value.clone());
                }
            }
            out.push(r);
        }
        Ok(())
    }
}

/// `bin`/`bucket`: `_time` to the bucket start, numbers to a `lo-hi` range.
pub(crate) struct Bin {
    pub field: String,
    pub alias: Option<String>,
    pub time: Option<TimeSpan>,
    pub span: f64,
}

impl Operator for Bin {
    fn push(&mut self, mut batch: RowBatch, out: &mut RowBatch) -> Result<(), ExecError> {
        for row in &mut batch {
            let Some(x) = row.get(&self.field).and_then(Value::as_f64) else {
                continue;
            };
            let v = match &self.time {
                Some(ts) => seconds_value(ts.floor(x)),
                None => {
                    let lo = (x / self.span).floor() * self.span;
                    let f = |v: f64| crate::agg::num_value(v).to_string();
                    Value::Str(format!("{}-{}", f(lo), f(lo + self.span)))
                }
            };
            row.set(self.alias.clone().unwrap_or(self.field.clone()), v);
        }
        out.extend(batch);
        Ok(())
    }
}

/// Rows emitted after all input: generating commands (`makeresults`, whose rows come after
/// any input) and `append` (the subsearch's rows after the main results).
pub(crate) struct Generate {
    pub rows: RowBatch,
}

impl Operator for Generate {
    fn push(&mut self, batch: RowBatch, out: &mut RowBatch) -> Result<(), ExecError> {
        out.extend(batch);
        Ok(())
    }

    fn finish(&mut self, out: &mut RowBatch) -> Result<(), ExecError> {
        out.append(&mut self.rows);
        Ok(())
    }
}

/// `makeresults count=N`: N rows stamped `now`, made when the pipeline ends (after any
/// input, as Splunk orders them), a slice at a time so a cancel or the budget stops it.
pub(crate) struct Makeresults {
    pub count: usize,
    pub now: f64,
    pub budget: Budget,
}

impl Operator for Makeresults {
    fn push(&mut self, batch: RowBatch, out: &mut RowBatch) -> Result<(), ExecError> {
        out.extend(batch);
        Ok(())
    }

    fn finish(&mut self, out: &mut RowBatch) -> Result<(), ExecError> {
        let mut left = self.count;
        while left > 0 {
            self.budget.guard.check()?;
            let n = left.min(4096);
            let mut row = Row::new();
            row.set_time(self.now);
            self.budget.charge("makeresults", n * row.heap_bytes())?;
            out.extend(std::iter::repeat_n(row, n));
            left -= n;
        }
        Ok(())
    }
}

/// `inputlookup`: reads the table when the pipeline ends (filter and `max` applied).
pub(crate) struct Inputlookup {
    pub provider: Arc<dyn LookupProvider>,
    pub table: String,
    pub filter: Option<Matcher>,
    pub start: usize,
    pub max: usize,
}

impl Operator for Inputlookup {
    fn push(&mut self, batch: RowBatch, out: &mut RowBatch) -> Result<(), ExecError> {
        out.extend(batch);
        Ok(())
    }

    fn finish(&mut self, out: &mut RowBatch) -> Result<(), ExecError> {
        let t = self.provider.table(&self.table)?;
        let mut n = 0;
        for i in self.start..t.len() {
            if self.max > 0 && n >= self.max {
                break;
            }
            let r = t.row(i);
            if self.filter.as_ref().is_none_or(|m| m.matches(&r)) {
                out.push(r);
                n += 1;
            }
        }
        Ok(())
    }
}

/// `outputlookup`: writes every result row to the table, passes them on.
pub(crate) struct Outputlookup {
    pub provider: Arc<dyn LookupProvider>,
    pub table: String,
    pub append: bool,
    pub rows: RowBatch,
    pub budget: Budget,
}

impl Operator for Outputlookup {
    fn push(&mut self, batch: RowBatch, _out: &mut RowBatch) -> Result<(), ExecError> {
        self.budget.keep("outputlookup", &mut self.rows, batch)
    }

    fn finish(&mut self, out: &mut RowBatch) -> Result<(), ExecError> {
        let rows = std::mem::take(&mut self.rows);
        if self.append {
            let mut all: RowBatch = match self.provider.table(&self.table) {
                Ok(t) => (0..t.len()).map(|i| t.row(i)).collect(),
                Err(crate::lookup::LookupError::NotFound(_)) => Vec::new(),
                Err(e) => return Err(e.into()),
            };
            all.extend(rows.iter().cloned());
            self.provider.write(&self.table, &all)?;
        } else {
            self.provider.write(&self.table, &rows)?;
        }
        out.extend(rows);
        Ok(())
    }
}

/// `startswith=`/`endswith=` of `transaction`: a search filter or `eval(...)`.
pub(crate) enum TxnCond {
    Search(Matcher),
    Eval(Evaluator),
}

impl TxnCond {
    fn test(&self, r: &Row) -> Result<bool, ExecError> {
        match self {
            TxnCond::Search(m) => Ok(m.matches(r)),
            TxnCond::Eval(e) => Ok(truthy(&e.eval(r).map_err(|e| ExecError::Eval {
                command: "transaction".into(),
                source: e,
            })?)),
        }
    }
}

/// `transaction fields [maxspan=] [maxpause=] [maxevents=] [startswith=] [endswith=]`:
/// groups events (sorted by time) per field values; transactions left without a
/// required start or end are evicted (dropped), as Splunk's default `keepevicted=false`.
pub(crate) struct Transaction {
    pub fields: Vec<String>,
    pub maxspan: Option<f64>,
    pub maxpause: Option<f64>,
    pub maxevents: usize,
    pub startswith: Option<TxnCond>,
    pub endswith: Option<TxnCond>,
    pub max_open: usize,
    pub rows: RowBatch,
    pub budget: Budget,
}

struct Open {
    rows: Vec<Row>,
    started: bool,
}

impl Transaction {
    fn close(&self, t: Open, ended: bool, out: &mut Vec<Row>) {
        if (self.startswith.is_some() && !t.started) || (self.endswith.is_some() && !ended) {
            return;
        }
        let first = t.rows.first().and_then(Row::time).unwrap_or(0.0);
        let last = t.rows.last().and_then(Row::time).unwrap_or(first);
        let mut r = Row::new();
        r.set_time(first);
        let mut merged: Vec<(String, Vec<Value>)> = Vec::new();
        let mut raws = Vec::new();
        for e in &t.rows {
            for (k, v) in e.iter() {
                if k == "_time" {
                    continue;
                }
                if k == "_raw" {
                    raws.push(text(v));
                    continue;
                }
                let slot = match merged.iter_mut().position(|(n, _)| n == k) {
                    Some(i) => &mut merged[i].1,
                    None => {
                        merged.push((k.to_string(), Vec::new()));
                        let n = merged.len() - 1;
                        &mut merged[n].1
                    }
                };
                for x in values_of(v) {
                    if !slot.contains(x) {
                        slot.push(x.clone());
                    }
                }
            }
        }
        if !raws.is_empty() {
            r.set("_raw", Value::Str(raws.join("\n")));
        }
        for (k, mut v) in merged {
            let v = if v.len() == 1 {
                v.remove(0)
            } else {
                Value::Multi(v)
            };
            r.set(k, v);
        }
        r.set("duration", crate::agg::num_value(last - first));
        r.set("eventcount", Value::Int(t.rows.len() as i64));
        out.push(r);
    }
}

impl Operator for Transaction {
    fn push(&mut self, batch: RowBatch, _out: &mut RowBatch) -> Result<(), ExecError> {
        self.budget.keep("transaction", &mut self.rows, batch)
    }

    fn finish(&mut self, out: &mut RowBatch) -> Result<(), ExecError> {
        let mut rows = std::mem::take(&mut self.rows);
        rows.sort_by(|a, b| a.time().unwrap_or(0.0).total_cmp(&b.time().unwrap_or(0.0)));
        let mut open: HashMap<Vec<String>, Open> = HashMap::new();
        let mut done = Vec::new();
        for row in rows {
            let key: Option<Vec<String>> =
                self.fields.iter().map(|f| row.get(f).map(text)).collect();
            let Some(key) = key else { continue };
            let t = row.time().unwrap_or(0.0);
            let is_start = match &self.startswith {
                Some(c) => c.test(&row)?,
                None => false,
            };
            if let Some(cur) = open.get(&key) {
                let first = cur.rows.first().and_then(Row::time).unwrap_or(t);
                let last = cur.rows.last().and_then(Row::time).unwrap_or(t);
                let expired = self.maxspan.is_some_and(|m| t - first > m)
                    || self.maxpause.is_some_and(|m| t - last > m)
                    || cur.rows.len() >= self.maxevents;
                if is_start || expired {
                    if let Some(old) = open.remove(&key) {
                        self.close(old, false, &mut done);
                    }
                }
            }
            if !open.contains_key(&key) {
                if self.startswith.is_some() && !is_start {
                    continue;
                }
                if open.len() >= self.max_open {
                    return Err(ExecError::limit(
                        "transaction",
                        "open transactions",
                        self.max_open,
                        "max_open_transactions",
                    ));
                }
            }
            let entry = open.entry(key.clone()).or_insert(Open {
                rows: Vec::new(),
                started: is_start,
            });
            entry.rows.push(row);
            let ended = match &self.endswith {
                Some(c) => entry
                    .rows
                    .last()
                    .map(|r| c.test(r))
                    .transpose()?
                    .unwrap_or(false),
                None => false,
            };
            if ended {
                if let Some(t) = open.remove(&key) {
                    self.close(t, true, &mut done);
                }
            }
        }
        let mut rest: Vec<Open> = open.into_values().collect();
        rest.sort_by(|a, b| {
            let ta = a.rows.first().and_then(Row::time).unwrap_or(0.0);
            let tb = b.rows.first().and_then(Row::time).unwrap_or(0.0);
            ta.total_cmp(&tb)
        });
        for t in rest {
            self.close(t, false, &mut done);
        }
        // Newest first, as Splunk returns transactions.
        done.sort_by(|a, b| b.time().unwrap_or(0.0).total_cmp(&a.time().unwrap_or(0.0)));
        out.extend(done);
        Ok(())
    }
}

/// `join [type=inner|left] [max=N] fields [subsearch]`: streaming hash join against the
/// subsearch rows; right-hand fields overwrite (Splunk's `overwrite=true`).
pub(crate) struct Join {
    pub fields: Vec<String>,
    pub left: bool,
    pub max: usize,
    pub right: Vec<Row>,
    pub index: HashMap<Vec<String>, Vec<usize>>,
    /// Rows one input batch may turn into (`max=0` joins every match).
    pub max_rows: usize,
}

impl Join {
    pub(crate) fn new(
        fields: Vec<String>,
        left: bool,
        max: usize,
        right: Vec<Row>,
        max_rows: usize,
    ) -> Join {
        let mut index: HashMap<Vec<String>, Vec<usize>> = HashMap::new();
        for (i, r) in right.iter().enumerate() {
            let key: Option<Vec<String>> = fields.iter().map(|f| r.get(f).map(text)).collect();
            if let Some(k) = key {
                index.entry(k).or_default().push(i);
            }
        }
        Join {
            fields,
            left,
            max,
            right,
            index,
            max_rows,
        }
    }
}

impl Operator for Join {
    fn push(&mut self, batch: RowBatch, out: &mut RowBatch) -> Result<(), ExecError> {
        for row in batch {
            let key: Option<Vec<String>> =
                self.fields.iter().map(|f| row.get(f).map(text)).collect();
            let hits = key.and_then(|k| self.index.get(&k));
            match hits {
                Some(h) => {
                    let n = if self.max == 0 { h.len() } else { self.max };
                    for &i in h.iter().take(n) {
                        let mut r = row.clone();
                        for (k, v) in self.right[i].iter() {
                            r.set(k, v.clone());
                        }
                        out.push(r);
                    }
                    over_produced("join", out.len(), self.max_rows)?;
                }
                None if self.left => out.push(row),
                None => {}
            }
        }
        Ok(())
    }
}
