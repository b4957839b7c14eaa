//! `streamstats time_window=5m`: running aggregates over the rows of the last span of
//! time rather than the last N rows, which is what "more than 5 failures within 5
//! minutes" alerts need. Rows come in search order (newest first) or sorted oldest
//! first; the window holds rows whose `_time` is less than the span away either way.

use crate::agg::{Agg, AggSpec};
use crate::plan::{ExecError, Operator};
use crate::row::{text, Row, RowBatch};
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

pub(crate) struct TimeWindow {
    pub specs: Arc<[AggSpec]>,
    pub by: Vec<String>,
    /// The span in seconds.
    pub seconds: f64,
    /// `window=N` as well: at most N rows (0: no bound but the span and the limit).
    pub max_count: usize,
    pub current: bool,
    pub max_groups: usize,
    pub max_distinct: usize,
    /// Rows one window may hold (limit `max_rows_buffered`).
    pub max_rows: usize,
    pub windows: HashMap<Vec<String>, VecDeque<(f64, Row)>>,
}

impl TimeWindow {
    fn aggregate<'a>(&self, rows: impl Iterator<Item = &'a Row>) -> Result<Vec<Agg>, ExecError> {
        let mut aggs: Vec<Agg> = self
            .specs
            .iter()
            .map(|s| Agg::new(s.func, self.max_distinct))
            .collect();
        for r in rows {
            for (s, a) in self.specs.iter().zip(aggs.iter_mut()) {
                s.update(a, r)?;
            }
        }
        Ok(aggs)
    }
}

impl Operator for TimeWindow {
    fn push(&mut self, batch: RowBatch, out: &mut RowBatch) -> Result<(), ExecError> {
        for mut row in batch {
            let mut key = Vec::with_capacity(self.by.len());
            for f in &self.by {
                match row.get(f) {
                    Some(v) => key.push(text(v)),
                    None => break,
                }
            }
            let Some(t) = row.time().filter(|_| key.len() == self.by.len()) else {
                out.push(row);
                continue;
            };
            if !self.windows.contains_key(&key) && self.windows.len() >= self.max_groups {
                return Err(ExecError::limit(
                    "streamstats",
                    "groups",
                    self.max_groups,
                    "max_groups",
                ));
            }
            let mut win = self.windows.remove(&key).unwrap_or_default();
            while win
                .front()
                .is_some_and(|(old, _)| (t - old).abs() >= self.seconds)
            {
                win.pop_front();
            }
            if self.current {
                win.push_back((t, row.clone()));
            }
            while self.max_count > 0 && win.len() > self.max_count {
                win.pop_front();
            }
            let aggs = self.aggregate(win.iter().map(|(_, r)| r))?;
            if !self.current {
                win.push_back((t, row.clone()));
                while self.max_count > 0 && win.len() > self.max_count {
                    win.pop_front();
                }
            }
            if win.len() > self.max_rows {
                return Err(ExecError::limit(
                    "streamstats",
                    "rows in one time window",
                    self.max_rows,
                    "max_rows_buffered",
                ));
            }
            for (s, a) in self.specs.iter().zip(&aggs) {
                row.set(s.name.clone(), a.finish());
            }
            self.windows.insert(key, win);
            out.push(row);
        }
        Ok(())
    }
}
