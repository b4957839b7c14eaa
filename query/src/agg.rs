//! Mergeable partial aggregates: the functions of `stats`, `chart`, `timechart`,
//! `eventstats` and `streamstats`.
//!
//! Each [`Agg`] is a partial state: [`Agg::update`] feeds it values, [`Agg::merge`]
//! folds in another partial built over *later* input, and [`Agg::finish`] gives the
//! value. Merging two partials gives the same result as feeding all values to one
//! (up to float rounding for `sum`/`avg`/`stdev` over fractional inputs): an indexer
//! computes partials per bucket or per node, and a search head merges them (DESIGN §7).
//! States derive `Serialize`/`Deserialize` so they can travel between nodes.
//!
//! Choices where Splunk leaves room: multi-values are aggregated value by value;
//! `median` and `perc<N>`/`p<N>` return the value at rank `ceil(N/100 * (n-1))` of the
//! sorted numbers (the higher of two middle values, as Splunk documents for `median`),
//! `exactperc<N>` interpolates linearly between ranks; `values` sorts lexicographically;
//! `list` keeps the first 100 values; `mode` breaks ties by the smallest text;
//! `stdev`/`var` are sample statistics (`stdevp`/`varp` population), 0 for one value.
//! `dc`, `values`, `mode`, `median` and percentiles keep every distinct value (or number)
//! and stop with an [`AggError`] past [`crate::Limits::max_distinct`].

use crate::eval::Evaluator;
use crate::row::{text, Row};
use crate::{AggCall, Expr};
use loupe_event::Value;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// Splunk keeps this many values in `list()`.
pub const LIST_CAP: usize = 100;

/// An aggregate kept more distinct values than its limit allows.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{func}() holds more than {limit} distinct values (limit max_distinct)")]
pub struct AggError {
    /// Function name.
    pub func: String,
    /// The limit that was exceeded.
    pub limit: usize,
}

/// Which aggregation function; parsed from its SPL name.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum AggFunc {
    /// `count`, `c`.
    Count,
    /// `dc`, `distinct_count`.
    Dc,
    /// `sum`.
    Sum,
    /// `avg`, `mean`.
    Avg,
    /// `min`.
    Min,
    /// `max`.
    Max,
    /// `range`: max - min.
    Range,
    /// `median`.
    Median,
    /// `perc<N>`, `p<N>`: value at the upper rank.
    Perc(f64),
    /// `exactperc<N>`: interpolated.
    ExactPerc(f64),
    /// `values`: distinct values, sorted.
    Values,
    /// `list`: values in order, first 100.
    List,
    /// `first`: first value seen.
    First,
    /// `last`: last value seen.
    Last,
    /// `earliest`: value with the smallest `_time`.
    Earliest,
    /// `latest`: value with the largest `_time`.
    Latest,
    /// `stdev`: sample standard deviation.
    Stdev,
    /// `stdevp`: population standard deviation.
    Stdevp,
    /// `var`: sample variance.
    Var,
    /// `varp`: population variance.
    Varp,
    /// `mode`: most frequent value.
    Mode,
}

/// Every aggregation Loupe computes, by canonical name (`perc` and `exactperc` take a
/// percentile suffix: `perc95`), so documentation and tools can be checked against it.
pub const AGG_FUNCTIONS: &[&str] = &[
    "count",
    "dc",
    "sum",
    "avg",
    "min",
    "max",
    "range",
    "median",
    "mode",
    "values",
    "list",
    "first",
    "last",
    "earliest",
    "latest",
    "stdev",
    "stdevp",
    "var",
    "varp",
    "perc",
    "exactperc",
];

impl AggFunc {
    /// The canonical name of the function (aliases such as `c`, `mean`, `p95` resolve to
    /// `count`, `avg`, `perc`), as listed in [`AGG_FUNCTIONS`].
    pub fn name(self) -> &'static str {
        match self {
            AggFunc::Count => "count",
            AggFunc::Dc => "dc",
            AggFunc::Sum => "sum",
            AggFunc::Avg => "avg",
            AggFunc::Min => "min",
            AggFunc::Max => "max",
            AggFunc::Range => "range",
            AggFunc::Median => "median",
            AggFunc::Mode => "mode",
            AggFunc::Values => "values",
            AggFunc::List => "list",
            AggFunc::First => "first",
            AggFunc::Last => "last",
            AggFunc::Earliest => "earliest",
            AggFunc::Latest => "latest",
            AggFunc::Stdev => "stdev",
            AggFunc::Stdevp => "stdevp",
            AggFunc::Var => "var",
            AggFunc::Varp => "varp",
            AggFunc::Perc(_) => "perc",
            AggFunc::ExactPerc(_) => "exactperc",
        }
    }

    /// Recognises an SPL aggregation name (lower case), `None` when unknown.
    pub fn parse(name: &str) -> Option<AggFunc> {
        let pct = |rest: &str| -> Option<f64> {
            let p: f64 = rest.parse().ok()?;
            (0.0..=100.0).contains(&p).then_some(p)
        };
        Some(match name {
            "count" | "c" => AggFunc::Count,
            "dc" | "distinct_count" => AggFunc::Dc,
            "sum" => AggFunc::Sum,
            "avg" | "mean" => AggFunc::Avg,
            "min" => AggFunc::Min,
            "max" => AggFunc::Max,
            "range" => AggFunc::Range,
            "median" => AggFunc::Median,
            "values" => AggFunc::Values,
            "list" => AggFunc::List,
            "first" => AggFunc::First,
            "last" => AggFunc::Last,
            "earliest" => AggFunc::Earliest,
            "latest" => AggFunc::Latest,
            "stdev" => AggFunc::Stdev,
            "stdevp" => AggFunc::Stdevp,
            "var" => AggFunc::Var,
            "varp" => AggFunc::Varp,
            "mode" => AggFunc::Mode,
            _ => {
                if let Some(r) = name.strip_prefix("exactperc") {
                    AggFunc::ExactPerc(pct(r)?)
                } else if let Some(r) = name.strip_prefix("perc") {
                    AggFunc::Perc(pct(r)?)
                } else if let Some(r) = name.strip_prefix('p') {
                    AggFunc::Perc(pct(r)?)
                } else {
                    return None;
                }
            }
        })
    }

    fn initial(self) -> State {
        match self {
            AggFunc::Count => State::Count(0),
            AggFunc::Dc | AggFunc::Values => State::Distinct(BTreeMap::new()),
            AggFunc::Sum | AggFunc::Avg => State::Sum {
                int: 0,
                float: 0.0,
                floats: false,
                n: 0,
            },
            AggFunc::Min | AggFunc::Max | AggFunc::Range => State::MinMax {
                min_n: None,
                max_n: None,
                min_s: None,
                max_s: None,
            },
            AggFunc::Median | AggFunc::Perc(_) | AggFunc::ExactPerc(_) => {
                State::Numbers(Vec::new())
            }
            AggFunc::List => State::List(Vec::new()),
            AggFunc::First | AggFunc::Last => State::One(None),
            AggFunc::Earliest | AggFunc::Latest => State::Timed(None),
            AggFunc::Stdev | AggFunc::Stdevp | AggFunc::Var | AggFunc::Varp => State::Moments {
                n: 0,
                mean: 0.0,
                m2: 0.0,
            },
            AggFunc::Mode => State::Mode(HashMap::new()),
        }
    }
}

/// The partial state behind an [`Agg`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum State {
    Count(u64),
    Distinct(BTreeMap<String, Value>),
    Sum {
        int: i128,
        float: f64,
        floats: bool,
        n: u64,
    },
    MinMax {
        min_n: Option<f64>,
        max_n: Option<f64>,
        min_s: Option<String>,
        max_s: Option<String>,
    },
    Numbers(Vec<f64>),
    List(Vec<Value>),
    One(Option<Value>),
    Timed(Option<(f64, Value)>),
    Moments {
        n: u64,
        mean: f64,
        m2: f64,
    },
    Mode(HashMap<String, (u64, Value)>),
}

/// One partial aggregate: a function and its state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Agg {
    func: AggFunc,
    state: State,
    max_distinct: usize,
}

impl Agg {
    /// A fresh partial for `func`, holding at most `max_distinct` distinct values.
    pub fn new(func: AggFunc, max_distinct: usize) -> Agg {
        Agg {
            func,
            state: func.initial(),
            max_distinct,
        }
    }

    /// The function this partial computes.
    pub fn func(&self) -> AggFunc {
        self.func
    }

    /// Feeds one value (multi-values value by value; null is skipped). `time` is the
    /// row's `_time`, used by `earliest`/`latest`.
    ///
    /// Answers the heap bytes the partial grew by (a new distinct value, a kept number), so
    /// the caller can charge them to the search's memory budget.
    pub fn update(&mut self, v: &Value, time: Option<f64>) -> Result<usize, AggError> {
        match v {
            Value::Null => Ok(0),
            Value::Multi(m) => {
                let mut grown = 0;
                for x in m {
                    grown += self.update(x, time)?;
                }
                Ok(grown)
            }
            one => self.update_one(one, time),
        }
    }

    /// Counts one row for a bare `count`.
    pub fn count_row(&mut self) {
        self.count_rows(1);
    }

    /// Counts `n` rows at once: what a summary of `n` events gives a count.
    pub fn count_rows(&mut self, n: u64) {
        if let State::Count(c) = &mut self.state {
            *c += n;
        }
    }

    fn too_many(&self) -> AggError {
        AggError {
            func: format!("{:?}", self.func).to_lowercase(),
            limit: self.max_distinct,
        }
    }

    fn update_one(&mut self, v: &Value, time: Option<f64>) -> Result<usize, AggError> {
        let cap = self.max_distinct;
        let mut grown = 0;
        let over = match &mut self.state {
            State::Count(c) => {
                *c += 1;
                false
            }
            State::Distinct(set) => {
                let k = text(v);
                if let std::collections::btree_map::Entry::Vacant(slot) = set.entry(k) {
                    grown = 2 * slot.key().len() + 64;
                    slot.insert(v.clone());
                }
                set.len() > cap
            }
            State::Sum {
                int,
                float,
                floats,
                n,
            } => {
                match v {
                    Value::Int(i) => {
                        *int += *i as i128;
                        *n += 1;
                    }
                    other => {
                        if let Some(x) = number(other) {
                            match x {
                                Num::I(i) => *int += i as i128,
                                Num::F(f) => {
                                    *float += f;
                                    *floats = true;
                                }
                            }
                            *n += 1;
                        }
                    }
                }
                false
            }
            State::MinMax {
                min_n,
                max_n,
                min_s,
                max_s,
            } => {
                match v.as_f64().filter(|f| f.is_finite()) {
                    Some(f) => {
                        *min_n = Some(min_n.map_or(f, |m| m.min(f)));
                        *max_n = Some(max_n.map_or(f, |m| m.max(f)));
                    }
                    None => {
                        let s = text(v);
                        if min_s.as_ref().is_none_or(|m| s < *m) {
                            *min_s = Some(s.clone());
                        }
                        if max_s.as_ref().is_none_or(|m| s > *m) {
                            *max_s = Some(s);
                        }
                    }
                }
                false
            }
            State::Numbers(ns) => {
                if let Some(f) = v.as_f64().filter(|f| f.is_finite()) {
                    ns.push(f);
                    grown = 8;
                }
                ns.len() > cap
            }
            State::List(l) => {
                if l.len() < LIST_CAP {
                    grown = 32 + crate::row::value_bytes(v);
                    l.push(v.clone());
                }
                false
            }
            State::One(slot) => {
                if self.func == AggFunc::Last || slot.is_none() {
                    *slot = Some(v.clone());
                }
                false
            }
            State::Timed(slot) => {
                if let Some(t) = time {
                    let better = match slot {
                        None => true,
                        Some((bt, _)) => {
                            if self.func == AggFunc::Earliest {
                                t < *bt
                            } else {
                                t >= *bt
                            }
                        }
                    };
                    if better {
                        *slot = Some((t, v.clone()));
                    }
                }
                false
            }
            State::Moments { n, mean, m2 } => {
                if let Some(x) = v.as_f64().filter(|f| f.is_finite()) {
                    *n += 1;
                    let d = x - *mean;
                    *mean += d / *n as f64;
                    *m2 += d * (x - *mean);
                }
                false
            }
            State::Mode(m) => {
                let k = text(v);
                match m.get_mut(&k) {
                    Some(e) => e.0 += 1,
                    None => {
                        grown = 2 * k.len() + 72;
                        m.insert(k, (1, v.clone()));
                    }
                }
                m.len() > cap
            }
        };
        if over {
            Err(self.too_many())
        } else {
            Ok(grown)
        }
    }

    /// Folds in a partial of the same function built over input that came *after*
    /// this one's (order matters for `first`, `last`, `list`).
    pub fn merge(&mut self, other: &Agg) -> Result<(), AggError> {
        let cap = self.max_distinct;
        let func = self.func;
        let over = match (&mut self.state, &other.state) {
            (State::Count(a), State::Count(b)) => {
                *a += b;
                false
            }
            (State::Distinct(a), State::Distinct(b)) => {
                for (k, v) in b {
                    if !a.contains_key(k) {
                        a.insert(k.clone(), v.clone());
                    }
                }
                a.len() > cap
            }
            (
                State::Sum {
                    int,
                    float,
                    floats,
                    n,
                },
                State::Sum {
                    int: i2,
                    float: f2,
                    floats: fl2,
                    n: n2,
                },
            ) => {
                *int += i2;
                *float += f2;
                *floats |= fl2;
                *n += n2;
                false
            }
            (
                State::MinMax {
                    min_n,
                    max_n,
                    min_s,
                    max_s,
                },
                State::MinMax {
                    min_n: a,
                    max_n: b,
                    min_s: c,
                    max_s: d,
                },
            ) => {
                *min_n = opt_f(*min_n, *a, f64::min);
                *max_n = opt_f(*max_n, *b, f64::max);
                if let Some(c) = c {
                    if min_s.as_ref().is_none_or(|m| c < m) {
                        *min_s = Some(c.clone());
                    }
                }
                if let Some(d) = d {
                    if max_s.as_ref().is_none_or(|m| d > m) {
                        *max_s = Some(d.clone());
                    }
                }
                false
            }
            (State::Numbers(a), State::Numbers(b)) => {
                a.extend_from_slice(b);
                a.len() > cap
            }
            (State::List(a), State::List(b)) => {
                let room = LIST_CAP.saturating_sub(a.len());
                a.extend(b.iter().take(room).cloned());
                false
            }
            (State::One(a), State::One(b)) => {
                if b.is_some() && (func == AggFunc::Last || a.is_none()) {
                    *a = b.clone();
                }
                false
            }
            (State::Timed(a), State::Timed(b)) => {
                if let Some((tb, vb)) = b {
                    let better = match a {
                        None => true,
                        Some((ta, _)) => {
                            if func == AggFunc::Earliest {
                                tb < ta
                            } else {
                                tb >= ta
                            }
                        }
                    };
                    if better {
                        *a = Some((*tb, vb.clone()));
                    }
                }
                false
            }
            (
                State::Moments { n, mean, m2 },
                State::Moments {
                    n: n2,
                    mean: mean2,
                    m2: m22,
                },
            ) => {
                if *n2 > 0 {
                    let na = *n as f64;
                    let nb = *n2 as f64;
                    let total = na + nb;
                    let d = mean2 - *mean;
                    *mean += d * nb / total;
                    *m2 += m22 + d * d * na * nb / total;
                    *n += n2;
                }
                false
            }
            (State::Mode(a), State::Mode(b)) => {
                for (k, (c, v)) in b {
                    match a.get_mut(k) {
                        Some(e) => e.0 += c,
                        None => {
                            a.insert(k.clone(), (*c, v.clone()));
                        }
                    }
                }
                a.len() > cap
            }
            _ => false,
        };
        if over {
            Err(self.too_many())
        } else {
            Ok(())
        }
    }

    /// The aggregate's value (null when nothing was fed, except counts which are 0).
    pub fn finish(&self) -> Value {
        match (&self.state, self.func) {
            (State::Count(c), _) => Value::Int(*c as i64),
            (State::Distinct(s), AggFunc::Dc) => Value::Int(s.len() as i64),
            (State::Distinct(s), _) => multi(s.values().cloned().collect()),
            (
                State::Sum {
                    int,
                    float,
                    floats,
                    n,
                },
                f,
            ) => {
                if *n == 0 {
                    return Value::Null;
                }
                let total = if *floats {
                    Value::Float(*int as f64 + float)
                } else {
                    i64::try_from(*int).map_or(Value::Float(*int as f64), Value::Int)
                };
                if f == AggFunc::Avg {
                    let s = total.as_f64().unwrap_or(0.0);
                    Value::Float(s / *n as f64)
                } else {
                    total
                }
            }
            (
                State::MinMax {
                    min_n,
                    max_n,
                    min_s,
                    max_s,
                },
                f,
            ) => match f {
                AggFunc::Min => min_n
                    .map(num_value)
                    .or_else(|| min_s.clone().map(Value::Str))
                    .unwrap_or(Value::Null),
                AggFunc::Max => max_n
                    .map(num_value)
                    .or_else(|| max_s.clone().map(Value::Str))
                    .unwrap_or(Value::Null),
                _ => match (min_n, max_n) {
                    (Some(a), Some(b)) => num_value(b - a),
                    _ => Value::Null,
                },
            },
            (State::Numbers(ns), f) => {
                if ns.is_empty() {
                    return Value::Null;
                }
                let mut s = ns.clone();
                s.sort_by(f64::total_cmp);
                let last = (s.len() - 1) as f64;
                match f {
                    AggFunc::ExactPerc(p) => {
                        let r = p / 100.0 * last;
                        let lo = r.floor() as usize;
                        let hi = r.ceil() as usize;
                        let frac = r - lo as f64;
                        num_value(s[lo] + (s[hi] - s[lo]) * frac)
                    }
                    AggFunc::Perc(p) => num_value(s[(p / 100.0 * last).ceil() as usize]),
                    _ => num_value(s[(0.5 * last).ceil() as usize]),
                }
            }
            (State::List(l), _) => multi(l.clone()),
            (State::One(v), _) => v.clone().unwrap_or(Value::Null),
            (State::Timed(v), _) => v.as_ref().map_or(Value::Null, |(_, v)| v.clone()),
            (State::Moments { n, m2, .. }, f) => {
                if *n == 0 {
                    return Value::Null;
                }
                let var = match f {
                    AggFunc::Varp | AggFunc::Stdevp => m2 / *n as f64,
                    _ if *n < 2 => 0.0,
                    _ => m2 / (*n - 1) as f64,
                };
                let var = var.max(0.0);
                match f {
                    AggFunc::Stdev | AggFunc::Stdevp => Value::Float(var.sqrt()),
                    _ => Value::Float(var),
                }
            }
            (State::Mode(m), _) => m
                .iter()
                .max_by(|a, b| a.1 .0.cmp(&b.1 .0).then_with(|| b.0.cmp(a.0)))
                .map_or(Value::Null, |(_, (_, v))| v.clone()),
        }
    }
}

fn opt_f(a: Option<f64>, b: Option<f64>, f: fn(f64, f64) -> f64) -> Option<f64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(f(x, y)),
        (x, None) => x,
        (None, y) => y,
    }
}

/// A float result as a value: integral results print as integers.
pub fn num_value(f: f64) -> Value {
    if f.fract() == 0.0 && f.abs() < 9.0e15 {
        Value::Int(f as i64)
    } else {
        Value::Float(f)
    }
}

fn multi(mut v: Vec<Value>) -> Value {
    match v.len() {
        0 => Value::Null,
        1 => v.pop().unwrap_or(Value::Null),
        _ => Value::Multi(v),
    }
}

enum Num {
    I(i64),
    F(f64),
}

fn number(v: &Value) -> Option<Num> {
    match v {
        Value::Int(i) => Some(Num::I(*i)),
        Value::Float(f) if f.is_finite() => Some(Num::F(*f)),
        Value::Str(s) => {
            let t = s.trim();
            if let Ok(i) = t.parse::<i64>() {
                Some(Num::I(i))
            } else {
                t.parse::<f64>().ok().filter(|f| f.is_finite()).map(Num::F)
            }
        }
        _ => None,
    }
}

/// What an aggregation reads from each row.
#[derive(Debug, Clone)]
pub enum AggInput {
    /// Bare `count`: counts rows.
    Rows,
    /// A field.
    Field(String),
    /// `func(eval(expr))`: an expression per row (false counts as null).
    Eval(Evaluator),
}

/// One compiled aggregation call: function, input and output column name.
#[derive(Debug, Clone)]
pub struct AggSpec {
    /// The function.
    pub func: AggFunc,
    /// What it reads.
    pub input: AggInput,
    /// Output column (`AS` name, or Splunk's `func(field)`).
    pub name: String,
}

/// Why an aggregation call cannot be compiled.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct AggSpecError(pub String);

impl AggSpec {
    /// Compiles an AST aggregation call, naming its column as Splunk does.
    pub fn compile(call: &AggCall) -> Result<AggSpec, AggSpecError> {
        let func = AggFunc::parse(&call.func).ok_or_else(|| {
            AggSpecError(format!("unsupported aggregation function `{}`", call.func))
        })?;
        let (input, arg_text) = match &call.arg {
            None => {
                if func != AggFunc::Count {
                    return Err(AggSpecError(format!("{}() needs a field", call.func)));
                }
                (AggInput::Rows, None)
            }
            Some(Expr::Field { name, .. }) => (AggInput::Field(name.clone()), Some(name.clone())),
            Some(e @ Expr::Call { name, args, .. }) if name == "eval" && args.len() == 1 => {
                let ev = Evaluator::new(&args[0]).map_err(|e| AggSpecError(e.message))?;
                (AggInput::Eval(ev), Some(e.to_string()))
            }
            Some(other) => {
                let ev = Evaluator::new(other).map_err(|e| AggSpecError(e.message))?;
                (AggInput::Eval(ev), Some(other.to_string()))
            }
        };
        let name = match (&call.alias, arg_text) {
            (Some(a), _) => a.clone(),
            (None, None) => call.func.clone(),
            (None, Some(t)) => format!("{}({})", call.func, t),
        };
        Ok(AggSpec { func, input, name })
    }

    /// Feeds one row to `agg`; answers the bytes the partial grew by.
    pub fn update(&self, agg: &mut Agg, row: &Row) -> Result<usize, crate::ExecError> {
        match &self.input {
            AggInput::Rows => {
                agg.count_row();
                Ok(0)
            }
            AggInput::Field(f) => match row.get(f) {
                Some(v) => Ok(agg.update(v, row.time())?),
                None => Ok(0),
            },
            AggInput::Eval(ev) => {
                let v = ev.eval(row).map_err(|e| crate::ExecError::Eval {
                    command: "stats".into(),
                    source: e,
                })?;
                let v = if v == Value::Bool(false) {
                    Value::Null
                } else {
                    v
                };
                Ok(agg.update(&v, row.time())?)
            }
        }
    }
}
