//! `stats` over what every event has — `count`, `dc`, `values`, `min`/`max`/`range`,
//! `earliest`/`latest` of `host`, `source`, `sourcetype`, `index` and `_time`, by any of the
//! four — answered without reading a row: a bucket the base search matches whole gives its
//! summary's streams (each host/source/sourcetype combination with its count and time
//! range), any other bucket the fast columns of its matching documents. Each combination is
//! then fed once to the same [`GroupedAggs`] the `stats` operator uses, standing for all its
//! events ([`GroupedAggs::update_summarized`]), so names, types, order and limits are the
//! operator's; the commands after `stats` take its rows as they would from the operator.

use super::{covers, with_time, SearchError, SearchStats};
use crate::store::bucket::Bucket;
use loupe_query::agg::AggInput;
use loupe_query::{AggFunc, AggSpec, Command, GroupedAggs, Limits, Row, RowBatch, SearchGuard};
use loupe_query::{CommandKind, Value};
use rayon::prelude::*;
use std::collections::HashMap;
use std::sync::Arc;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::StrColumn;
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

use super::pushdown::Pushed;

/// The keyword fields a stream is made of, in the order of [`Combo`].
const STREAM_FIELDS: [&str; 3] = ["host", "source", "sourcetype"];

/// A stream's values of the wanted fields (`None`: not wanted).
type Combo = [Option<String>; 3];

/// What the events of one combination add up to.
#[derive(Debug, Clone, Copy)]
struct Part {
    count: u64,
    /// Oldest and newest event time, nanoseconds.
    first: i64,
    last: i64,
}

impl Part {
    fn widen(&mut self, other: &Part) {
        self.count += other.count;
        self.first = self.first.min(other.first);
        self.last = self.last.max(other.last);
    }
}

/// A `stats` this path answers: its aggregations and by-fields.
#[derive(Clone)]
pub(super) struct Grouped {
    specs: Arc<[AggSpec]>,
    by: Vec<String>,
    /// Which of [`STREAM_FIELDS`] the answer needs, and whether times do.
    fields: [bool; 3],
    times: bool,
}

/// Fields a bucket knows for every event without reading it.
fn summarized(field: &str) -> bool {
    STREAM_FIELDS.contains(&field) || field == "index"
}

impl Grouped {
    /// The plan for `cmd` when it is a `stats` this path answers exactly, else `None`.
    pub(super) fn of(cmd: &Command) -> Option<Grouped> {
        let CommandKind::Stats(s) = &cmd.kind else {
            return None;
        };
        if !s.options.is_empty() || s.funcs.is_empty() || !s.by.iter().all(|b| summarized(b)) {
            return None;
        }
        let specs = s
            .funcs
            .iter()
            .map(|f| AggSpec::compile(f).ok())
            .collect::<Option<Vec<_>>>()?;
        let mut times = false;
        let mut named: Vec<&str> = s.by.iter().map(String::as_str).collect();
        for spec in &specs {
            let field = match &spec.input {
                AggInput::Rows => None,
                AggInput::Field(f) => Some(f.as_str()),
                AggInput::Eval(_) => return None,
            };
            let ok = match (spec.func, field) {
                (AggFunc::Count, None) => true,
                (AggFunc::Count, Some(f)) => summarized(f) || f == "_time" || f == "_raw",
                (AggFunc::Dc | AggFunc::Values, Some(f)) => summarized(f),
                (
                    AggFunc::Min
                    | AggFunc::Max
                    | AggFunc::Range
                    | AggFunc::Earliest
                    | AggFunc::Latest,
                    Some(f),
                ) => summarized(f) || f == "_time",
                _ => false,
            };
            if !ok {
                return None;
            }
            if let Some(f) = field {
                if f != "_raw" {
                    named.push(f);
                }
                times |= matches!(spec.func, AggFunc::Earliest | AggFunc::Latest) || f == "_time";
            }
        }
        Some(Grouped {
            fields: STREAM_FIELDS.map(|f| named.contains(&f)),
            times,
            specs: specs.into(),
            by: s.by.clone(),
        })
    }

    /// The `stats` rows over `plans`, each bucket read in parallel.
    pub(super) fn run(
        &self,
        plans: Vec<(Arc<Bucket>, Pushed)>,
        (earliest, latest): (Option<i64>, Option<i64>),
        limits: &Limits,
        guard: &Arc<SearchGuard>,
        stats: &mut SearchStats,
    ) -> Result<RowBatch, SearchError> {
        let parts = plans
            .into_par_iter()
            .map(|(b, p)| {
                guard.check()?;
                let parts = self.bucket_parts(&b, p, earliest, latest)?;
                Ok((b.key.index.clone(), parts))
            })
            .collect::<Result<Vec<_>, SearchError>>()?;
        let mut aggs = GroupedAggs::new(
            self.specs.clone(),
            self.by.clone(),
            limits.max_groups,
            limits.max_distinct,
        )
        .with_guard(guard.clone());
        for (index, parts) in parts {
            for (combo, part) in parts {
                stats.matched += part.count;
                let mut row = Row::new();
                for (name, value) in STREAM_FIELDS.iter().zip(combo) {
                    if let Some(v) = value {
                        row.set(*name, Value::Str(v));
                    }
                }
                row.set("index", Value::Str(index.clone()));
                row.set_time_ns(part.first);
                aggs.update_summarized(&row, part.count)?;
                if self.times && part.last != part.first {
                    // The newest time, counted for nothing: max, range and latest see it.
                    row.set_time_ns(part.last);
                    aggs.update_summarized(&row, 0)?;
                }
            }
        }
        Ok(aggs.finish())
    }

    /// One bucket's combinations: its streams when the whole bucket matches, else the fast
    /// columns of the documents that do.
    fn bucket_parts(
        &self,
        b: &Bucket,
        p: Pushed,
        earliest: Option<i64>,
        latest: Option<i64>,
    ) -> Result<HashMap<Combo, Part>, SearchError> {
        if covers(b, earliest, latest) && matches!(p, Pushed::All) {
            let s = b.summary();
            let mut out: HashMap<Combo, Part> = HashMap::new();
            if s.count == 0 {
                return Ok(out);
            }
            if self.fields == [false; 3] {
                let part = Part {
                    count: s.count,
                    first: s.min_time,
                    last: s.max_time,
                };
                out.insert([None, None, None], part);
                return Ok(out);
            }
            if let Some(streams) = &s.streams {
                for st in streams {
                    let values = [&st.host, &st.source, &st.sourcetype];
                    let combo: Combo =
                        std::array::from_fn(|i| self.fields[i].then(|| values[i].clone()));
                    let part = Part {
                        count: st.count,
                        first: st.first,
                        last: st.last,
                    };
                    out.entry(combo)
                        .and_modify(|q| q.widen(&part))
                        .or_insert(part);
                }
                return Ok(out);
            }
        }
        let q = with_time(b, p, earliest, latest);
        let searcher = b.reader.searcher();
        Ok(searcher.search(
            &*q,
            &ColumnGroups {
                fields: self.fields,
                times: self.times,
            },
        )?)
    }
}

/// Groups matching documents by the wanted keyword columns (and their time range).
struct ColumnGroups {
    fields: [bool; 3],
    times: bool,
}

/// One segment's share of [`ColumnGroups`]: term ordinals until harvest, strings after.
struct SegmentGroups {
    columns: [Option<StrColumn>; 3],
    time: Option<tantivy::columnar::Column<i64>>,
    groups: HashMap<[u64; 3], Part>,
}

impl Collector for ColumnGroups {
    type Fruit = HashMap<Combo, Part>;
    type Child = SegmentGroups;

    fn for_segment(
        &self,
        _segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<SegmentGroups> {
        let ff = reader.fast_fields();
        let mut columns: [Option<StrColumn>; 3] = [None, None, None];
        for (i, name) in STREAM_FIELDS.iter().enumerate() {
            if self.fields[i] {
                columns[i] = ff.str(name)?;
            }
        }
        let time = if self.times {
            Some(ff.i64("_time")?)
        } else {
            None
        };
        Ok(SegmentGroups {
            columns,
            time,
            groups: HashMap::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, parts: Vec<HashMap<Combo, Part>>) -> tantivy::Result<Self::Fruit> {
        let mut all: HashMap<Combo, Part> = HashMap::new();
        for part in parts {
            for (combo, p) in part {
                all.entry(combo).and_modify(|q| q.widen(&p)).or_insert(p);
            }
        }
        Ok(all)
    }
}

/// The ordinal of a document without a value in a wanted column (or a column not wanted).
const NO_VALUE: u64 = u64::MAX;

impl SegmentCollector for SegmentGroups {
    type Fruit = HashMap<Combo, Part>;

    fn collect(&mut self, doc: DocId, _score: Score) {
        let key: [u64; 3] = std::array::from_fn(|i| {
            self.columns[i]
                .as_ref()
                .and_then(|c| c.term_ords(doc).next())
                .unwrap_or(NO_VALUE)
        });
        let t = self.time.as_ref().and_then(|c| c.first(doc)).unwrap_or(0);
        let part = Part {
            count: 1,
            first: t,
            last: t,
        };
        self.groups
            .entry(key)
            .and_modify(|q| q.widen(&part))
            .or_insert(part);
    }

    fn harvest(self) -> HashMap<Combo, Part> {
        let mut out: HashMap<Combo, Part> = HashMap::with_capacity(self.groups.len());
        for (key, part) in self.groups {
            let combo: Combo = std::array::from_fn(|i| {
                let col = self.columns[i].as_ref()?;
                if key[i] == NO_VALUE {
                    return None;
                }
                let mut s = String::new();
                col.ord_to_str(key[i], &mut s).ok()?.then_some(s)
            });
            out.entry(combo)
                .and_modify(|q| q.widen(&part))
                .or_insert(part);
        }
        out
    }
}
