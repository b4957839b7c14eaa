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
    static NULL: Value = Value::Null;
    for k in keys {
        let (x, y) = (
            a.get(&k.field).unwrap_or(&NULL),
            b.get(&k.field).unwrap_or(&NULL),
        );
        let o = match k.func.as_deref() {
            Some("str") => crate::row::text_ref(x).cmp(&crate::row::text_ref(y)),
            Some("num") => match (x.as_f64(), y.as_f64()) {
                (Some(p), Some(q)) => p.total_cmp(&q),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                _ => Ordering::Equal,
            },
            _ => compare_values(x, y),
        };
        let o = if k.desc { o.reverse() } else { o };
        if o.is_ne() {
            return o;
        }
    }
    Ordering::Equal
}

/// `sort`: stable, `limit` rows kept (0 = all); with `reverse` the order is reversed after
/// sorting, ties included, as Splunk does.
///
/// With a limit the buffer never grows past about twice it: it is sorted and cut back to the
/// rows that can still be among the kept ones, and a row worse than the last kept one is
/// dropped on arrival — `sort 100 -bytes` over millions of events holds a hundred rows.
/// Everything else is sorted in runs and merged, asking the guard between steps, so a
/// cancelled or timed-out search stops within a few milliseconds of work even mid-sort.
pub(crate) struct Sort {
    pub keys: Vec<SortKey>,
    pub reverse: bool,
    pub limit: usize,
    pub rows: RowBatch,
    pub budget: Budget,
    /// Rows at the front of `rows` already sorted and cut back (with a limit).
    pub sorted: usize,
}

/// Rows sorted at once before merging (a few milliseconds of work).
const SORT_RUN: usize = 16_384;
/// Rows merged between two guard checks.
const MERGE_STEP: usize = 4_096;

impl Sort {
    /// Sorts `rows` (stable) and keeps only what can still be among the `limit` kept rows:
    /// the first ones, or the last ones when `reverse` will turn the order around.
    fn compact(&mut self) -> Result<(), ExecError> {
        self.budget.guard.check()?;
        let keys = &self.keys;
        let rows = std::mem::take(&mut self.rows);
        let mut rows = sort_stable(rows, keys, &self.budget.guard)?;
        if rows.len() > self.limit {
            let dropped: Vec<Row> = if self.reverse {
                rows.drain(..rows.len() - self.limit).collect()
            } else {
                rows.split_off(self.limit)
            };
            self.budget.guard.release(batch_bytes(&dropped));
        }
        self.sorted = rows.len();
        self.rows = rows;
        Ok(())
    }

    /// True when `row`, arriving after every buffered row, can no longer be kept.
    fn beyond_limit(&self, row: &Row) -> bool {
        if self.limit == 0 || self.sorted < self.limit {
            return false;
        }
        if self.reverse {
            // The first of the kept rows: an equal later row sorts after it and stays in.
            compare_rows(row, &self.rows[0], &self.keys).is_lt()
        } else {
            // The last kept row: an equal later row would sort after it and fall out.
            compare_rows(row, &self.rows[self.sorted - 1], &self.keys).is_ge()
        }
    }
}

impl Operator for Sort {
    fn push(&mut self, batch: RowBatch, _out: &mut RowBatch) -> Result<(), ExecError> {
        if self.limit == 0 {
            return self.budget.keep("sort", &mut self.rows, batch);
        }
        let batch: RowBatch = batch
            .into_iter()
            .filter(|r| !self.beyond_limit(r))
            .collect();
        self.budget.keep("sort", &mut self.rows, batch)?;
        if self.rows.len() >= (2 * self.limit).max(SORT_RUN) {
            self.compact()?;
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut RowBatch) -> Result<(), ExecError> {
        let rows = std::mem::take(&mut self.rows);
        let mut rows = sort_stable(rows, &self.keys, &self.budget.guard)?;
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

/// A stable sort in runs of [`SORT_RUN`] rows merged pairwise, checking `guard` before every
/// run and every [`MERGE_STEP`] merged rows (one `sort_by` over millions of rows would be a
/// second or two that nothing can interrupt).
fn sort_stable(
    mut rows: Vec<Row>,
    keys: &[SortKey],
    guard: &SearchGuard,
) -> Result<Vec<Row>, ExecError> {
    if rows.len() <= SORT_RUN {
        rows.sort_by(|a, b| compare_rows(a, b, keys));
        return Ok(rows);
    }
    let mut runs: VecDeque<Vec<Row>> = VecDeque::new();
    let mut rest = rows.into_iter();
    loop {
        let mut run: Vec<Row> = rest.by_ref().take(SORT_RUN).collect();
        if run.is_empty() {
            break;
        }
        guard.check()?;
        run.sort_by(|a, b| compare_rows(a, b, keys));
        runs.push_back(run);
    }
    // Neighbouring runs are merged, earlier before later, so equal rows keep input order.
    while runs.len() > 1 {
        let mut next = VecDeque::with_capacity(runs.len().div_ceil(2));
        while let Some(a) = runs.pop_front() {
            match runs.pop_front() {
                Some(b) => next.push_back(merge_runs(a, b, keys, guard)?),
                None => next.push_back(a),
            }
        }
        runs = next;
    }
    Ok(runs.pop_front().unwrap_or_default())
}

/// Merges two sorted runs; on ties `a`'s rows (the earlier input) come first.
fn merge_runs(
    a: Vec<Row>,
    b: Vec<Row>,
    keys: &[SortKey],
    guard: &SearchGuard,
) -> Result<Vec<Row>, ExecError> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut a, mut b) = (a.into_iter().peekable(), b.into_iter().peekable());
    loop {
        if out.len() % MERGE_STEP == 0 {
            guard.check()?;
        }
        let take_b = match (a.peek(), b.peek()) {
            (Some(x), Some(y)) => compare_rows(y, x, keys).is_lt(),
            (Some(_), None) => false,
            (None, Some(_)) => true,
            (None, None) => break,
        };
        let next = if take_b { b.next() } else { a.next() };
        out.extend(next);
    }
    Ok(out)
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

/// `appendcols [subsearch]`: the subsearch's n-th row lends its fields to the n-th row going
/// by (those it already has stay, unless `override=true`); rows the subsearch has beyond the
/// input's come after them. Streaming: only the subsearch's rows are held.
pub(crate) struct Appendcols {
    pub rows: std::vec::IntoIter<Row>,
    pub overwrite: bool,
}

impl Operator for Appendcols {
    fn push(&mut self, mut batch: RowBatch, out: &mut RowBatch) -> Result<(), ExecError> {
        for row in &mut batch {
            let Some(extra) = self.rows.next() else { break };
            for (k, v) in extra.into_pairs() {
                if !k.starts_with('_') && (self.overwrite || !row.contains(&k)) {
                    row.set(k, v);
                }
            }
        }
        out.extend(batch);
        Ok(())
    }

    fn finish(&mut self, out: &mut RowBatch) -> Result<(), ExecError> {
        out.extend(self.rows.by_ref());
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

/// A transaction being gathered: its events newest first, as they come.
struct Open {
    rows: Vec<Row>,
    /// Its oldest event matched `startswith`.
    started: bool,
    /// Its newest event matched `endswith`.
    ended: bool,
}

impl Transaction {
    fn close(&self, mut t: Open, out: &mut Vec<Row>) {
        if (self.startswith.is_some() && !t.started) || (self.endswith.is_some() && !t.ended) {
            return;
        }
        // Its fields and `_raw` in time order.
        t.rows.reverse();
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

    /// Splunk's order: events newest first, each added to its key's open transaction unless
    /// that would make it span more than `maxspan`, or the event is more than `maxpause` older
    /// than the transaction's oldest event (or it is full); then it starts the next one. An
    /// `endswith` event is the newest of the transaction it starts, a `startswith` one the oldest
    /// of the one it completes.
    fn finish(&mut self, out: &mut RowBatch) -> Result<(), ExecError> {
        let mut rows = std::mem::take(&mut self.rows);
        rows.sort_by(|a, b| b.time().unwrap_or(0.0).total_cmp(&a.time().unwrap_or(0.0)));
        let mut open: HashMap<Vec<String>, Open> = HashMap::new();
        let mut done = Vec::new();
        for row in rows {
            let key: Option<Vec<String>> =
                self.fields.iter().map(|f| row.get(f).map(text)).collect();
            let Some(key) = key else { continue };
            let t = row.time().unwrap_or(0.0);
            let test = |c: &Option<TxnCond>| c.as_ref().map(|c| c.test(&row)).transpose();
            let is_start = test(&self.startswith)?.unwrap_or(false);
            let is_end = test(&self.endswith)?.unwrap_or(false);
            if let Some(cur) = open.get(&key) {
                let newest = cur.rows.first().and_then(Row::time).unwrap_or(t);
                let oldest = cur.rows.last().and_then(Row::time).unwrap_or(t);
                let expired = self.maxspan.is_some_and(|m| newest - t > m)
                    || self.maxpause.is_some_and(|m| oldest - t > m)
                    || cur.rows.len() >= self.maxevents;
                if is_end || expired {
                    if let Some(old) = open.remove(&key) {
                        self.close(old, &mut done);
                    }
                }
            }
            if !open.contains_key(&key) {
                // With `endswith`, only an ending event opens a transaction.
                if self.endswith.is_some() && !is_end {
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
                started: false,
                ended: is_end,
            });
            entry.rows.push(row);
            if is_start {
                if let Some(mut t) = open.remove(&key) {
                    t.started = true;
                    self.close(t, &mut done);
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
            self.close(t, &mut done);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn sorter(limit: usize, reverse: bool, guard: Arc<SearchGuard>) -> Sort {
        Sort {
            keys: vec![SortKey {
                field: "k".into(),
                desc: false,
                func: None,
            }],
            reverse,
            limit,
            rows: Vec::new(),
            budget: Budget {
                max_rows: usize::MAX,
                guard,
            },
            sorted: 0,
        }
    }

    /// Rows with few distinct keys (many ties) and their arrival order in `i`.
    fn rows(n: usize) -> Vec<Row> {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        (0..n)
            .map(|i| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                Row::from_pairs([
                    ("k", Value::Int((x % 97) as i64)),
                    ("i", Value::Int(i as i64)),
                ])
            })
            .collect()
    }

    fn run(mut s: Sort, input: Vec<Row>) -> Vec<(i64, i64)> {
        let mut out = Vec::new();
        for chunk in input.chunks(4096) {
            s.push(chunk.to_vec(), &mut out).expect("push");
        }
        s.finish(&mut out).expect("finish");
        out.iter()
            .map(|r| {
                let g = |f: &str| match r.get(f) {
                    Some(Value::Int(v)) => *v,
                    _ => -1,
                };
                (g("k"), g("i"))
            })
            .collect()
    }

    /// What `sort` means: a stable sort of everything, reversed when asked, then cut.
    fn reference(input: &[Row], limit: usize, reverse: bool) -> Vec<(i64, i64)> {
        let mut all = run(sorter(0, false, Arc::default()), input.to_vec());
        if reverse {
            all.reverse();
        }
        if limit > 0 {
            all.truncate(limit);
        }
        all
    }

    #[test]
    fn runs_and_merges_sort_stably() {
        let input = rows(3 * SORT_RUN + 123);
        let out = run(sorter(0, false, Arc::default()), input);
        assert_eq!(out.len(), 3 * SORT_RUN + 123);
        assert!(
            out.windows(2).all(|w| w[0] <= w[1]),
            "by key, ties by arrival"
        );
    }

    #[test]
    fn a_bounded_sort_keeps_what_a_full_sort_would_with_ties_and_reverse() {
        let input = rows(50_000);
        for limit in [1, 10, 100, 5_000, 20_000, 60_000] {
            for reverse in [false, true] {
                assert_eq!(
                    run(sorter(limit, reverse, Arc::default()), input.clone()),
                    reference(&input, limit, reverse),
                    "limit {limit} reverse {reverse}"
                );
            }
        }
    }

    #[test]
    fn a_bounded_sort_gives_back_the_memory_of_what_it_cut() {
        let guard = Arc::new(SearchGuard::default());
        // Arriving in the best order first is the worst case: every row is kept on arrival.
        let input: Vec<Row> = (0..200_000)
            .map(|i| Row::from_pairs([("k", Value::Int(-i))]))
            .collect();
        let all = batch_bytes(&input);
        let out = run(sorter(100, false, guard.clone()), input);
        assert_eq!(out.len(), 100);
        assert!(
            guard.used() < all / 10,
            "holds {} of {all} bytes charged",
            guard.used()
        );
    }

    #[test]
    fn a_cancelled_search_stops_inside_a_long_sort() {
        let guard = Arc::new(SearchGuard::default());
        let mut s = sorter(0, false, guard.clone());
        let mut out = Vec::new();
        s.push(rows(4 * SORT_RUN), &mut out).expect("push");
        guard.cancel();
        let err = s.finish(&mut out).expect_err("a cancelled sort must stop");
        assert!(err.to_string().contains("cancel"), "{err}");
        assert!(out.is_empty());
    }
}
