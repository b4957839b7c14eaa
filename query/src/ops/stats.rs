//! Aggregating commands: `stats`, `chart`, `timechart`, `eventstats`, `streamstats`,
//! `top`/`rare`, built on [`GroupedAggs`], the mergeable group-by partial.

use crate::agg::{Agg, AggFunc, AggSpec};
use crate::guard::SearchGuard;
use crate::ops::block::Budget;
use crate::plan::{ExecError, Operator};
use crate::row::{compare_values, extend_keys, text, text_ref, values_of, Row, RowBatch, SortKey};
use loupe_event::Value;
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

/// One group of a [`GroupedAggs`]: its by-values and one partial per aggregation.
#[derive(Debug, Clone)]
pub struct Group {
    /// Values of the by-fields, in order.
    pub key: Vec<Value>,
    /// Partials, in the order of the specs.
    pub aggs: Vec<Agg>,
}

/// Group-by partial aggregation (`stats ... by ...`): feed rows, merge partials from
/// other buckets or nodes, finish into rows sorted by the group values.
#[derive(Debug, Clone)]
pub struct GroupedAggs {
    specs: Arc<[AggSpec]>,
    /// Every spec is a plain `count`: [`GroupedAggs::update_texts`] then needs no row.
    counts_rows_only: bool,
    by: Vec<String>,
    max_groups: usize,
    max_distinct: usize,
    /// Groups by the text of their by-values ([`encode_key`]): a row's group is found without
    /// building its key, which is what a `stats` over millions of rows mostly does.
    index: HashMap<Box<[u8]>, usize, foldhash::fast::RandomState>,
    /// The last key encoded, reused row to row.
    key_buf: Vec<u8>,
    groups: Vec<Group>,
    command: &'static str,
    /// Where new groups and grown partials are charged; none for partials built outside a
    /// search (tests, merges of already-charged partials).
    guard: Option<Arc<SearchGuard>>,
}

impl GroupedAggs {
    /// An empty partial for `specs` grouped by `by`.
    pub fn new(
        specs: Arc<[AggSpec]>,
        by: Vec<String>,
        max_groups: usize,
        max_distinct: usize,
    ) -> GroupedAggs {
        let counts_rows_only = specs
            .iter()
            .all(|s| s.func == AggFunc::Count && matches!(s.input, crate::agg::AggInput::Rows));
        GroupedAggs {
            specs,
            counts_rows_only,
            by,
            max_groups,
            max_distinct,
            index: HashMap::default(),
            key_buf: Vec::new(),
            groups: Vec::new(),
            command: "stats",
            guard: None,
        }
    }

    /// Charges what the groups keep to `guard` (the search's memory budget).
    pub fn with_guard(mut self, guard: Arc<SearchGuard>) -> GroupedAggs {
        self.guard = Some(guard);
        self
    }

    fn charge(&self, bytes: usize) -> Result<(), ExecError> {
        match &self.guard {
            Some(g) => Ok(g.charge(bytes, self.command)?),
            None => Ok(()),
        }
    }

    /// Names the command in limit errors (`chart`, `eventstats`, ...; default `stats`), so
    /// the message says which part of the search grew too large.
    pub fn for_command(mut self, command: &'static str) -> GroupedAggs {
        self.command = command;
        self
    }

    /// The groups, in order of first appearance.
    pub fn groups(&self) -> &[Group] {
        &self.groups
    }

    /// The by-fields.
    pub fn by(&self) -> &[String] {
        &self.by
    }

    /// The aggregation specs.
    pub fn specs(&self) -> &[AggSpec] {
        &self.specs
    }

    /// The by-values combinations of a row: none when a by-field is missing, several
    /// when one is multi-valued (one group per value, as Splunk).
    pub fn keys_of(&self, row: &Row) -> Vec<Vec<Value>> {
        let mut keys: Vec<Vec<Value>> = vec![Vec::new()];
        for f in &self.by {
            let vals: Vec<Value> = row
                .get(f)
                .map_or(Vec::new(), |v| values_of(v).into_iter().cloned().collect());
            if vals.is_empty() {
                return Vec::new();
            }
            keys = extend_keys(keys, &vals);
        }
        keys
    }

    /// The group for `key`, whose encoding is in `self.key_buf`; made when new.
    fn slot_encoded(&mut self, key: impl FnOnce() -> Vec<Value>) -> Result<usize, ExecError> {
        if let Some(&i) = self.index.get(self.key_buf.as_slice()) {
            return Ok(i);
        }
        if self.groups.len() >= self.max_groups {
            return Err(ExecError::limit(
                self.command,
                "groups",
                self.max_groups,
                "max_groups",
            ));
        }
        let aggs: Vec<Agg> = self
            .specs
            .iter()
            .map(|s| Agg::new(s.func, self.max_distinct))
            .collect();
        let key = key();
        let key_bytes = 2 * self.key_buf.len() + 56 * key.len().max(1);
        self.charge(key_bytes + aggs.len() * std::mem::size_of::<Agg>() + 96)?;
        self.groups.push(Group { key, aggs });
        self.index
            .insert(self.key_buf.as_slice().into(), self.groups.len() - 1);
        Ok(self.groups.len() - 1)
    }

    fn slot(&mut self, key: Vec<Value>) -> Result<usize, ExecError> {
        encode_key(&mut self.key_buf, key.iter());
        self.slot_encoded(|| key)
    }

    /// Index of the group with these by-values, if any.
    pub fn find(&self, key: &[Value]) -> Option<&Group> {
        let mut buf = Vec::new();
        encode_key(&mut buf, key.iter());
        self.index.get(buf.as_slice()).map(|&i| &self.groups[i])
    }

    /// The group of `row` when each by-field has one value (no multi-value, no null): found
    /// with nothing allocated unless the group is new. `None`: the row needs [`Self::keys_of`].
    fn single_slot(&mut self, row: &Row) -> Option<Result<usize, ExecError>> {
        let mut values: [Option<&Value>; 4] = [None; 4];
        if self.by.len() > values.len() {
            return None;
        }
        for (slot, f) in values.iter_mut().zip(&self.by) {
            match row.get(f) {
                None | Some(Value::Null) | Some(Value::Multi(_)) => return None,
                Some(v) => *slot = Some(v),
            }
        }
        let values = &values[..self.by.len()];
        encode_key(&mut self.key_buf, values.iter().flatten().copied());
        Some(self.slot_encoded(|| values.iter().flatten().map(|v| (*v).clone()).collect()))
    }

    /// Feeds one row.
    pub fn update(&mut self, row: &Row) -> Result<(), ExecError> {
        if !self.by.is_empty() {
            if let Some(i) = self.single_slot(row) {
                return self.update_group(i?, row);
            }
        }
        for key in self.keys_of(row) {
            let i = self.slot(key)?;
            self.update_group(i, row)?;
        }
        Ok(())
    }

    /// Feeds a row whose by-values are the strings `texts`, in by-field order: with only
    /// `count`s to update, `row` is never built (a scan over raw text calls this per match).
    pub fn update_texts(
        &mut self,
        texts: &[&str],
        row: impl FnOnce() -> Row,
    ) -> Result<(), ExecError> {
        self.key_buf.clear();
        for t in texts {
            push_key_part(&mut self.key_buf, t);
        }
        let i = self.slot_encoded(|| texts.iter().map(|t| Value::Str(t.to_string())).collect())?;
        if self.counts_rows_only {
            for agg in &mut self.groups[i].aggs {
                agg.count_rows(1);
            }
            return Ok(());
        }
        self.update_group(i, &row())
    }

    fn update_group(&mut self, i: usize, row: &Row) -> Result<(), ExecError> {
        let mut grown = 0;
        for (spec, agg) in self.specs.iter().zip(self.groups[i].aggs.iter_mut()) {
            grown += spec.update(agg, row)?;
        }
        self.charge(grown)
    }

    /// Feeds a row standing for `events` events that share its values (a bucket summary's
    /// stream, a fast column's group): counts add `events`, every other aggregation sees the
    /// values once. Exact for what does not depend on how often a value occurs (`dc`,
    /// `values`, `min`, `max`, `range`, `earliest`, `latest`), which is all a caller may ask
    /// of it; `events` may be 0 for a row that only brings a value (a stream's newest time).
    pub fn update_summarized(&mut self, row: &Row, events: u64) -> Result<(), ExecError> {
        for key in self.keys_of(row) {
            let i = self.slot(key)?;
            let specs = self.specs.clone();
            let mut grown = 0;
            for (spec, agg) in specs.iter().zip(self.groups[i].aggs.iter_mut()) {
                if spec.func == AggFunc::Count {
                    agg.count_rows(events);
                } else {
                    grown += spec.update(agg, row)?;
                }
            }
            self.charge(grown)?;
        }
        Ok(())
    }

    /// Folds in a partial built over later input with the same specs and by-fields.
    pub fn merge(&mut self, other: &GroupedAggs) -> Result<(), ExecError> {
        for g in &other.groups {
            encode_key(&mut self.key_buf, g.key.iter());
            let i = self.slot_encoded(|| g.key.clone())?;
            for (a, b) in self.groups[i].aggs.iter_mut().zip(&g.aggs) {
                a.merge(b)?;
            }
        }
        Ok(())
    }

    /// Result rows: by-fields then one column per aggregation, sorted by the by-values;
    /// without by-fields exactly one row (so `stats count` of nothing is 0).
    pub fn finish(&self) -> RowBatch {
        if self.by.is_empty() && self.groups.is_empty() {
            let mut r = Row::new();
            for s in self.specs.iter() {
                r.set(s.name.clone(), Agg::new(s.func, self.max_distinct).finish());
            }
            return vec![r];
        }
        self.order()
            .into_iter()
            .map(|i| {
                let g = &self.groups[i];
                result_row(&self.by, &self.specs, g.key.iter().cloned(), &g.aggs)
            })
            .collect()
    }

    /// [`GroupedAggs::finish`], moving the group keys into the rows instead of copying them.
    pub fn into_rows(self) -> RowBatch {
        if self.by.is_empty() && self.groups.is_empty() {
            return self.finish();
        }
        let order = self.order();
        let mut groups: Vec<Option<Group>> = self.groups.into_iter().map(Some).collect();
        order
            .into_iter()
            .filter_map(|i| groups[i].take())
            .map(|g| result_row(&self.by, &self.specs, g.key, &g.aggs))
            .collect()
    }

    /// Group indexes sorted by their by-values; keys equal as numbers (`040`, `0040`) by
    /// their text, so the order is the same whichever thread saw a group first.
    fn order(&self) -> Vec<usize> {
        let keys: Vec<Vec<SortKey<'_>>> = self
            .groups
            .iter()
            .map(|g| g.key.iter().map(SortKey::of).collect())
            .collect();
        // Each group's first key reduced to 9 bytes compared in place: with 100,000 groups or
        // more (`count by ip`) nearly every comparison is decided without following the
        // pointers to the keys and their texts, the cache misses that made this sort a tenth
        // of such a search. Ties fall back to the whole comparison.
        let mut order: Vec<((u8, u64), usize)> = keys
            .iter()
            .enumerate()
            .map(|(i, k)| (k.first().map_or((0, 0), sort_head), i))
            .collect();
        order.sort_unstable_by(|&(ha, a), &(hb, b)| {
            ha.cmp(&hb).then_with(|| {
                let by_value = keys[a]
                    .iter()
                    .zip(&keys[b])
                    .zip(self.groups[a].key.iter().zip(&self.groups[b].key));
                for ((ka, kb), (va, vb)) in by_value {
                    let o = ka.cmp(kb).then_with(|| text_ref(va).cmp(&text_ref(vb)));
                    if o.is_ne() {
                        return o;
                    }
                }
                keys[a].len().cmp(&keys[b].len())
            })
        });
        order.into_iter().map(|(_, i)| i).collect()
    }
}

/// A prefix of [`SortKey`]'s order: when two heads differ, the keys compare the same way
/// (null, then numbers by value, then texts by their first 8 bytes, zero-padded).
fn sort_head(k: &SortKey<'_>) -> (u8, u64) {
    match k {
        SortKey::Null => (0, 0),
        SortKey::Num(x) => {
            // `f64::total_cmp`'s order as an unsigned integer's.
            let bits = x.to_bits();
            let flipped = match bits >> 63 {
                1 => !bits,
                _ => bits | (1 << 63),
            };
            (1, flipped)
        }
        SortKey::Text(t) => {
            let mut head = [0u8; 8];
            let n = t.len().min(8);
            head[..n].copy_from_slice(&t.as_bytes()[..n]);
            (2, u64::from_be_bytes(head))
        }
    }
}

/// One result row: the by-fields' values, then each aggregation's result under its name.
fn result_row(
    by: &[String],
    specs: &[AggSpec],
    key: impl IntoIterator<Item = Value>,
    aggs: &[Agg],
) -> Row {
    let mut r = Row::new();
    for (f, v) in by.iter().zip(key) {
        r.set(f, v);
    }
    for (s, a) in specs.iter().zip(aggs) {
        r.set(&s.name, a.finish());
    }
    r
}

/// Writes the texts of `values` into `buf` as one key, each text length-prefixed so that no
/// two different lists of texts share an encoding.
fn encode_key<'v>(buf: &mut Vec<u8>, values: impl Iterator<Item = &'v Value>) {
    buf.clear();
    for v in values {
        push_key_part(buf, &crate::row::text_ref(v));
    }
}

fn push_key_part(buf: &mut Vec<u8>, text: &str) {
    buf.extend_from_slice(&(text.len() as u32).to_le_bytes());
    buf.extend_from_slice(text.as_bytes());
}

/// `stats`.
pub(crate) struct Stats(pub GroupedAggs);

impl Operator for Stats {
    fn push(&mut self, batch: RowBatch, _out: &mut RowBatch) -> Result<(), ExecError> {
        for row in &batch {
            self.0.update(row)?;
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut RowBatch) -> Result<(), ExecError> {
        out.extend(self.0.finish());
        Ok(())
    }
}

/// `eventstats`: buffers rows, then adds each group's aggregates to its rows.
pub(crate) struct Eventstats {
    pub groups: GroupedAggs,
    pub rows: RowBatch,
    pub budget: Budget,
}

impl Operator for Eventstats {
    fn push(&mut self, batch: RowBatch, _out: &mut RowBatch) -> Result<(), ExecError> {
        for row in &batch {
            self.groups.update(row)?;
        }
        self.budget.keep("eventstats", &mut self.rows, batch)
    }

    fn finish(&mut self, out: &mut RowBatch) -> Result<(), ExecError> {
        let no_by = self.groups.by.is_empty();
        let global = no_by.then(|| self.groups.finish().into_iter().next().unwrap_or_default());
        for mut row in std::mem::take(&mut self.rows) {
            if let Some(g) = &global {
                for (k, v) in g.iter() {
                    row.set(k, v.clone());
                }
            } else if let Some(key) = self.groups.keys_of(&row).into_iter().next() {
                if let Some(g) = self.groups.find(&key) {
                    let vals: Vec<(String, Value)> = self
                        .groups
                        .specs
                        .iter()
                        .zip(&g.aggs)
                        .map(|(s, a)| (s.name.clone(), a.finish()))
                        .collect();
                    for (k, v) in vals {
                        row.set(k, v);
                    }
                }
            }
            out.push(row);
        }
        Ok(())
    }
}

/// `streamstats [window=N] [current=bool]`: running aggregates per group.
pub(crate) struct Streamstats {
    pub specs: Arc<[AggSpec]>,
    pub by: Vec<String>,
    pub window: usize,
    pub current: bool,
    pub max_groups: usize,
    pub max_distinct: usize,
    pub running: HashMap<Vec<String>, Vec<Agg>>,
    pub windows: HashMap<Vec<String>, VecDeque<Row>>,
    pub budget: Budget,
}

impl Streamstats {
    fn fresh(&self) -> Vec<Agg> {
        self.specs
            .iter()
            .map(|s| Agg::new(s.func, self.max_distinct))
            .collect()
    }

    fn emit(&self, aggs: &[Agg], row: &mut Row) {
        for (s, a) in self.specs.iter().zip(aggs) {
            row.set(s.name.clone(), a.finish());
        }
    }
}

impl Operator for Streamstats {
    fn push(&mut self, batch: RowBatch, out: &mut RowBatch) -> Result<(), ExecError> {
        for mut row in batch {
            let mut key = Vec::with_capacity(self.by.len());
            let mut missing = false;
            for f in &self.by {
                match row.get(f) {
                    Some(v) => key.push(text(v)),
                    None => missing = true,
                }
            }
            if missing {
                out.push(row);
                continue;
            }
            let known = self.running.contains_key(&key) || self.windows.contains_key(&key);
            if !known && self.running.len() + self.windows.len() >= self.max_groups {
                return Err(ExecError::limit(
                    "streamstats",
                    "groups",
                    self.max_groups,
                    "max_groups",
                ));
            }
            if !known {
                let bytes: usize = key.iter().map(|k| k.capacity() + 24).sum();
                self.budget.charge("streamstats", bytes + 96)?;
            }
            if self.window == 0 {
                let mut aggs = match self.running.remove(&key) {
                    Some(a) => a,
                    None => self.fresh(),
                };
                let mut grown = 0;
                if self.current {
                    for (s, a) in self.specs.iter().zip(aggs.iter_mut()) {
                        grown += s.update(a, &row)?;
                    }
                    self.emit(&aggs, &mut row);
                } else {
                    let snapshot = aggs.clone();
                    for (s, a) in self.specs.iter().zip(aggs.iter_mut()) {
                        grown += s.update(a, &row)?;
                    }
                    self.emit(&snapshot, &mut row);
                }
                self.budget.charge("streamstats", grown)?;
                self.running.insert(key, aggs);
            } else {
                let mut win = self.windows.remove(&key).unwrap_or_default();
                if win.len() < self.window {
                    self.budget.charge("streamstats", row.heap_bytes())?;
                }
                if self.current {
                    win.push_back(row.clone());
                    if win.len() > self.window {
                        win.pop_front();
                    }
                }
                let mut aggs = self.fresh();
                for r in &win {
                    for (s, a) in self.specs.iter().zip(aggs.iter_mut()) {
                        s.update(a, r)?;
                    }
                }
                if !self.current {
                    win.push_back(row.clone());
                    if win.len() > self.window {
                        win.pop_front();
                    }
                }
                self.emit(&aggs, &mut row);
                self.windows.insert(key, win);
            }
            out.push(row);
        }
        Ok(())
    }
}

/// `top`/`rare`: counts of value combinations, most (least) frequent first.
pub(crate) struct Top {
    pub rare: bool,
    pub fields: Vec<String>,
    pub by: Vec<String>,
    pub limit: usize,
    pub countfield: String,
    pub percentfield: String,
    pub showcount: bool,
    pub showperc: bool,
    pub max_groups: usize,
    /// by-key -> (by values, total, field-key -> (values, count, first seen)).
    pub groups: Vec<TopGroup>,
    pub index: HashMap<Vec<String>, usize>,
    pub entries: usize,
    pub budget: Budget,
}

/// The counts of one `top ... by` group.
pub(crate) struct TopGroup {
    by: Vec<Value>,
    total: u64,
    counts: HashMap<Vec<String>, (Vec<Value>, u64, usize)>,
}

impl Operator for Top {
    fn push(&mut self, batch: RowBatch, _out: &mut RowBatch) -> Result<(), ExecError> {
        for row in &batch {
            let get = |fs: &[String]| -> Option<Vec<Value>> {
                fs.iter().map(|f| row.get(f).cloned()).collect()
            };
            let (Some(byv), Some(fv)) = (get(&self.by), get(&self.fields)) else {
                continue;
            };
            let bk: Vec<String> = byv.iter().map(text).collect();
            let gi = match self.index.get(&bk) {
                Some(&i) => i,
                None => {
                    self.groups.push(TopGroup {
                        by: byv,
                        total: 0,
                        counts: HashMap::new(),
                    });
                    self.index.insert(bk, self.groups.len() - 1);
                    self.groups.len() - 1
                }
            };
            let g = &mut self.groups[gi];
            g.total += 1;
            let fk: Vec<String> = fv.iter().map(text).collect();
            let n = g.counts.len();
            if !g.counts.contains_key(&fk) {
                let bytes: usize = fk.iter().map(|k| 2 * k.capacity() + 64).sum();
                self.budget
                    .charge(if self.rare { "rare" } else { "top" }, bytes + 64)?;
            }
            let e = g.counts.entry(fk).or_insert_with(|| {
                self.entries += 1;
                (fv, 0, n)
            });
            e.1 += 1;
            if self.entries > self.max_groups {
                let what = if self.rare { "rare" } else { "top" };
                return Err(ExecError::limit(
                    what,
                    "distinct values",
                    self.max_groups,
                    "max_groups",
                ));
            }
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut RowBatch) -> Result<(), ExecError> {
        for g in &self.groups {
            let mut items: Vec<&(Vec<Value>, u64, usize)> = g.counts.values().collect();
            items.sort_by(|a, b| {
                let c = if self.rare {
                    a.1.cmp(&b.1)
                } else {
                    b.1.cmp(&a.1)
                };
                c.then(a.2.cmp(&b.2))
            });
            let n = if self.limit == 0 {
                items.len()
            } else {
                self.limit
            };
            for (vals, count, _) in items.into_iter().take(n) {
                let mut r = Row::new();
                for (f, v) in self.by.iter().zip(&g.by) {
                    r.set(f.clone(), v.clone());
                }
                for (f, v) in self.fields.iter().zip(vals) {
                    r.set(f.clone(), v.clone());
                }
                if self.showcount {
                    r.set(self.countfield.clone(), Value::Int(*count as i64));
                }
                if self.showperc {
                    let p = *count as f64 * 100.0 / g.total as f64;
                    r.set(
                        self.percentfield.clone(),
                        Value::Float((p * 1e6).round() / 1e6),
                    );
                }
                out.push(r);
            }
        }
        Ok(())
    }
}

/// `chart ... over X by Y` and `timechart ... by Y`: a pivot of a two-level grouping.
pub(crate) struct Pivot {
    pub command: &'static str,
    pub specs: Arc<[AggSpec]>,
    /// Row field (`_time` buckets for timechart).
    pub over: String,
    /// Column split field.
    pub split: Option<String>,
    pub limit: usize,
    pub useother: bool,
    pub usenull: bool,
    pub otherstr: String,
    pub nullstr: String,
    pub max_groups: usize,
    pub max_distinct: usize,
    /// timechart: span seconds and time zone for bucketing and filling.
    pub span: Option<TimeSpan>,
    pub range: (Option<f64>, Option<f64>),
    pub groups: Option<GroupedAggs>,
    pub rows: RowBatch,
    pub budget: Budget,
}

/// A time span for `timechart`/`bin` on `_time`.
#[derive(Debug, Clone)]
pub(crate) struct TimeSpan {
    pub seconds: f64,
    pub tz: jiff::tz::TimeZone,
}

impl TimeSpan {
    /// Start of the bucket holding `t` (days and longer aligned to local midnight).
    pub(crate) fn floor(&self, t: f64) -> f64 {
        let off = if self.seconds >= 3600.0 {
            jiff::Timestamp::from_second(t.floor() as i64)
                .map(|ts| self.tz.to_offset(ts).seconds() as f64)
                .unwrap_or(0.0)
        } else {
            0.0
        };
        ((t + off) / self.seconds).floor() * self.seconds - off
    }
}

/// Default `timechart` span for a time range, as Splunk picks it. Each step allows for the
/// snap of the presets that lead to it: "last 24 hours" is `-24h@h`, up to 25 hours, and it
/// still gets half-hour bins, not two day-long ones.
pub(crate) fn default_span(range: f64) -> f64 {
    const MINUTE: f64 = 60.0;
    const HOUR: f64 = 3600.0;
    match range {
        r if r <= 16.0 * MINUTE => 10.0,
        r if r <= 61.0 * MINUTE => 60.0,
        r if r <= 5.0 * HOUR => 300.0,
        r if r <= 25.0 * HOUR => 1800.0,
        _ => 86400.0,
    }
}

impl Operator for Pivot {
    fn push(&mut self, batch: RowBatch, _out: &mut RowBatch) -> Result<(), ExecError> {
        if self.span.is_some() && self.range.0.is_none() {
            // Default span needs the data's time range: buffer.
            return self.budget.keep(self.command, &mut self.rows, batch);
        }
        self.feed(batch)
    }

    fn finish(&mut self, out: &mut RowBatch) -> Result<(), ExecError> {
        if !self.rows.is_empty() {
            let rows = std::mem::take(&mut self.rows);
            let times: Vec<f64> = rows.iter().filter_map(Row::time).collect();
            let lo = times.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = times.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            if let Some(span) = &mut self.span {
                if span.seconds <= 0.0 {
                    span.seconds = default_span(if lo.is_finite() { hi - lo } else { 0.0 });
                }
            }
            if lo.is_finite() {
                self.range = (Some(lo), Some(hi + f64::MIN_POSITIVE));
            }
            self.feed(rows)?;
        }
        self.pivot(out)
    }
}

impl Pivot {
    fn grouping(&mut self) -> &mut GroupedAggs {
        let by = match &self.split {
            Some(s) => vec![self.over.clone(), s.clone()],
            None => vec![self.over.clone()],
        };
        let (specs, mg, md) = (self.specs.clone(), self.max_groups, self.max_distinct);
        let command = self.command;
        let guard = self.budget.guard.clone();
        self.groups.get_or_insert_with(|| {
            GroupedAggs::new(specs, by, mg, md)
                .for_command(command)
                .with_guard(guard)
        })
    }

    fn feed(&mut self, batch: RowBatch) -> Result<(), ExecError> {
        for mut row in batch {
            if let Some(span) = &self.span {
                let Some(t) = row.time() else { continue };
                if span.seconds > 0.0 {
                    row.set("_time", crate::row::seconds_value(span.floor(t)));
                }
            }
            if let Some(s) = &self.split {
                if !row.contains(s) {
                    if !self.usenull {
                        continue;
                    }
                    row.set(s.clone(), Value::Str(self.nullstr.clone()));
                }
            }
            self.grouping().update(&row)?;
        }
        Ok(())
    }

    fn pivot(&mut self, out: &mut RowBatch) -> Result<(), ExecError> {
        let md = self.max_distinct;
        let specs = self.specs.clone();
        let groups = self.grouping().clone();
        let zero = |s: &AggSpec| matches!(s.func, AggFunc::Count | AggFunc::Dc);
        // Row keys: every `over` value, or every time bucket of the range.
        let mut xs: Vec<Value> = Vec::new();
        let mut seen = HashMap::new();
        for g in groups.groups() {
            let k = text(&g.key[0]);
            if seen.insert(k, ()).is_none() {
                xs.push(g.key[0].clone());
            }
        }
        if let (Some(span), (Some(lo), Some(hi))) = (&self.span, self.range) {
            if span.seconds > 0.0 {
                let mut t = span.floor(lo);
                while t < hi {
                    let v = crate::row::seconds_value(t);
                    if seen.insert(text(&v), ()).is_none() {
                        xs.push(v);
                    }
                    if xs.len() > self.max_groups {
                        return Err(ExecError::limit(
                            self.command,
                            "time buckets",
                            self.max_groups,
                            "max_groups",
                        ));
                    }
                    t += span.seconds;
                }
            }
        }
        xs.sort_by(compare_values);
        let Some(split) = &self.split else {
            for x in xs {
                let mut r = Row::new();
                r.set(self.over.clone(), x.clone());
                let g = groups.find(std::slice::from_ref(&x));
                for (i, s) in specs.iter().enumerate() {
                    let v = match g {
                        Some(g) => g.aggs[i].finish(),
                        None if zero(s) => Value::Int(0),
                        None => Value::Null,
                    };
                    r.set(s.name.clone(), v);
                }
                if let Some(span) = &self.span {
                    r.set("_span", crate::agg::num_value(span.seconds));
                }
                out.push(r);
            }
            return Ok(());
        };
        let _ = split;
        // Rank series by the total of their first aggregate.
        let mut totals: Vec<(Value, f64, usize)> = Vec::new();
        let mut pos: HashMap<String, usize> = HashMap::new();
        for g in groups.groups() {
            let k = text(&g.key[1]);
            let v = g.aggs[0].finish().as_f64().unwrap_or(0.0);
            match pos.get(&k) {
                Some(&i) => totals[i].1 += v,
                None => {
                    pos.insert(k, totals.len());
                    totals.push((g.key[1].clone(), v, totals.len()));
                }
            }
        }
        totals.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.2.cmp(&b.2)));
        let keep = if self.limit == 0 {
            totals.len()
        } else {
            self.limit.min(totals.len())
        };
        let kept: Vec<Value> = totals[..keep].iter().map(|t| t.0.clone()).collect();
        let others: Vec<Value> = totals[keep..].iter().map(|t| t.0.clone()).collect();
        let mut series: Vec<Value> = kept.clone();
        series.sort_by(compare_values);
        let col = |s: &AggSpec, y: &str| {
            if specs.len() == 1 {
                y.to_string()
            } else {
                format!("{}: {}", s.name, y)
            }
        };
        for x in xs {
            let mut r = Row::new();
            r.set(self.over.clone(), x.clone());
            if let Some(span) = &self.span {
                r.set("_span", crate::agg::num_value(span.seconds));
            }
            for (i, s) in specs.iter().enumerate() {
                for y in &series {
                    let g = groups.find(&[x.clone(), y.clone()]);
                    let v = match g {
                        Some(g) => g.aggs[i].finish(),
                        None if zero(s) => Value::Int(0),
                        None => Value::Null,
                    };
                    r.set(col(s, &text(y)), v);
                }
                if self.useother && !others.is_empty() {
                    let mut acc = Agg::new(s.func, md);
                    for y in &others {
                        if let Some(g) = groups.find(&[x.clone(), y.clone()]) {
                            // Merging is what makes OTHER exact for every function.
                            let _ = acc.merge(&g.aggs[i]);
                        }
                    }
                    r.set(col(s, &self.otherstr), acc.finish());
                }
            }
            out.push(r);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sort_head_never_contradicts_the_whole_key() {
        let texts = [
            "",
            "a",
            "a\0",
            "a\0b",
            "ab",
            "abcdefgh",
            "abcdefghi",
            "abcdefgha",
            "b",
            "10.0.0.1",
            "10.0.0.10",
            "9.9.9.9",
            "é",
            "zz",
        ];
        let mut values: Vec<Value> = texts.iter().map(|t| Value::Str(t.to_string())).collect();
        for x in [-1e300, -2.5, -0.0, 0.0, 1.0, 2.0, 1e300, f64::INFINITY] {
            values.push(Value::Float(x));
        }
        values.extend([
            Value::Null,
            Value::Int(-3),
            Value::Int(7),
            Value::Str("007".into()),
        ]);
        for a in &values {
            for b in &values {
                let (ka, kb) = (SortKey::of(a), SortKey::of(b));
                let (ha, hb) = (sort_head(&ka), sort_head(&kb));
                if ha != hb {
                    assert_eq!(ha.cmp(&hb), ka.cmp(&kb), "{a:?} against {b:?}");
                }
            }
        }
    }
}
