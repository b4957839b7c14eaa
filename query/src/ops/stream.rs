//! Row-wise commands: each batch goes through at once (`where`, `eval`, `rex`, `fields`,
//! `table`, `rename`, `regex`, `search`, `head`, `fillnull` with fields, `makemv`,
//! `mvexpand`, `convert`, `addtotals` (row totals), `spath`, `lookup`).

use super::matcher::Matcher;
use crate::ast::FieldMap;
use crate::eval::{truthy, Evaluator};
use crate::lookup::LookupTable;
use crate::pcre::SplRegex;
use crate::plan::{ExecError, Operator};
use crate::row::{extend_keys, text, text_ref, values_of, wildcard_match, Row, RowBatch};
use loupe_event::Value;
use regex::Regex;
use std::sync::Arc;

fn eval_err(cmd: &str) -> impl Fn(crate::EvalError) -> ExecError + '_ {
    move |e| match e.stop {
        Some(stop) => ExecError::Stop(*stop),
        None => ExecError::Eval {
            command: cmd.to_string(),
            source: e,
        },
    }
}

fn regex_limit(cmd: &str) -> impl Fn(crate::pcre::RegexLimit) -> ExecError + '_ {
    move |e| ExecError::Other(format!("{cmd}: {e}"))
}

/// `where` and `| search`: keep matching rows.
pub(crate) enum Filter {
    Where(Evaluator),
    Search(Matcher),
    Regex {
        field: String,
        re: SplRegex,
        negate: bool,
    },
}

impl Operator for Filter {
    fn push(&mut self, batch: RowBatch, out: &mut RowBatch) -> Result<(), ExecError> {
        for row in batch {
            let keep = match self {
                Filter::Where(ev) => truthy(&ev.eval(&row).map_err(eval_err("where"))?),
                Filter::Search(m) => m.matches(&row),
                Filter::Regex { field, re, negate } => {
                    let hit = match row.get(field) {
                        Some(v) => re.is_match(&text_ref(v)).map_err(regex_limit("regex"))?,
                        None => false,
                    };
                    hit != *negate
                }
            };
            if keep {
                out.push(row);
            }
        }
        Ok(())
    }
}

/// `eval a=..., b=...`.
pub(crate) struct Eval(pub Vec<(String, Evaluator)>);

impl Operator for Eval {
    fn push(&mut self, mut batch: RowBatch, out: &mut RowBatch) -> Result<(), ExecError> {
        for row in &mut batch {
            for (name, ev) in &self.0 {
                let v = ev.eval(&*row).map_err(eval_err("eval"))?;
                row.set(name.clone(), v);
            }
        }
        out.extend(batch);
        Ok(())
    }
}

/// `rex` extraction or `rex mode=sed`.
pub(crate) enum Rex {
    Extract {
        field: String,
        re: SplRegex,
        names: Vec<String>,
        max_match: usize,
    },
    Sed {
        field: String,
        re: SplRegex,
        replacement: String,
        /// 0 = all (`g`), N = only the Nth match.
        nth: usize,
    },
}

impl Rex {
    /// Parses `s/regex/replacement/flags` (also `y/` is refused).
    pub(crate) fn sed(field: String, expr: &str) -> Result<Rex, String> {
        let rest = expr
            .strip_prefix("s/")
            .ok_or_else(|| format!("mode=sed expects s/regex/replacement/flags, got `{expr}`"))?;
        let mut parts = Vec::new();
        let mut cur = String::new();
        let mut chars = rest.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some('/') => cur.push('/'),
                    Some(n) => {
                        cur.push('\\');
                        cur.push(n);
                    }
                    None => cur.push('\\'),
                },
                '/' => parts.push(std::mem::take(&mut cur)),
                c => cur.push(c),
            }
        }
        parts.push(cur);
        if parts.len() != 3 {
            return Err(format!(
                "mode=sed expects s/regex/replacement/flags, got `{expr}`"
            ));
        }
        let re =
            SplRegex::new(&parts[0]).map_err(|e| format!("invalid regex {:?}: {e}", parts[0]))?;
        // `\1` back-references become `${1}`.
        let mut replacement = String::new();
        let mut it = parts[1].chars().peekable();
        while let Some(c) = it.next() {
            if c == '\\' {
                if let Some(d) = it.peek().copied().filter(char::is_ascii_digit) {
                    it.next();
                    replacement.push_str(&format!("${{{d}}}"));
                    continue;
                }
                if let Some(n) = it.next() {
                    replacement.push(n);
                }
            } else if c == '$' {
                replacement.push_str("$$");
            } else {
                replacement.push(c);
            }
        }
        let flags = parts[2].as_str();
        let nth = if flags.contains('g') {
            0
        } else if flags.is_empty() {
            1
        } else {
            flags
                .parse()
                .map_err(|_| format!("unsupported sed flags `{flags}`"))?
        };
        Ok(Rex::Sed {
            field,
            re,
            replacement,
            nth,
        })
    }
}

impl Operator for Rex {
    fn push(&mut self, mut batch: RowBatch, out: &mut RowBatch) -> Result<(), ExecError> {
        for row in &mut batch {
            match self {
                Rex::Extract {
                    field,
                    re,
                    names,
                    max_match,
                } => {
                    let Some(src) = row.get(field).map(text_ref) else {
                        continue;
                    };
                    let found = re
                        .extract(&src, names, *max_match)
                        .map_err(regex_limit("rex"))?;
                    drop(src);
                    for (name, mut vals) in names.iter().zip(found) {
                        match vals.len() {
                            0 => {}
                            1 => row.set(name.clone(), Value::Str(vals.remove(0))),
                            _ => row.set(
                                name.clone(),
                                Value::Multi(vals.into_iter().map(Value::Str).collect()),
                            ),
                        }
                    }
                }
                Rex::Sed {
                    field,
                    re,
                    replacement,
                    nth,
                } => {
                    let Some(src) = row.get(field).map(text) else {
                        continue;
                    };
                    let new = if *nth == 0 {
                        re.replace_all(&src, replacement.as_str())
                            .map_err(regex_limit("rex"))?
                            .into_owned()
                    } else {
                        match re
                            .replace_nth(&src, replacement, *nth)
                            .map_err(regex_limit("rex"))?
                        {
                            Some(s) => s,
                            None => src,
                        }
                    };
                    row.set(field.clone(), Value::Str(new));
                }
            }
        }
        out.extend(batch);
        Ok(())
    }
}

/// `fields`, `table`, `rename`: reshape rows.
pub(crate) enum Shape {
    /// `fields + a b` keeps listed fields and internal `_` fields.
    Keep(Vec<String>),
    /// `fields - a b`.
    Drop(Vec<String>),
    /// `table a b`: exactly these, in this order.
    Table(Vec<String>),
    /// `rename a AS b`.
    Rename(Vec<(String, String)>),
}

impl Operator for Shape {
    fn push(&mut self, mut batch: RowBatch, out: &mut RowBatch) -> Result<(), ExecError> {
        for row in &mut batch {
            match self {
                Shape::Keep(pats) => row
                    .retain(|k, _| k.starts_with('_') || pats.iter().any(|p| wildcard_match(p, k))),
                Shape::Drop(pats) => row.retain(|k, _| !pats.iter().any(|p| wildcard_match(p, k))),
                Shape::Table(pats) => {
                    let mut new = Row::new();
                    for p in pats.iter() {
                        for (k, v) in row.iter() {
                            if wildcard_match(p, k) && !new.contains(k) {
                                new.set(k, v.clone());
                            }
                        }
                    }
                    *row = new;
                }
                Shape::Rename(pairs) => {
                    for (from, to) in pairs.iter() {
                        if from.contains('*') {
                            let names: Vec<String> = row
                                .names()
                                .filter(|n| wildcard_match(from, n))
                                .map(str::to_string)
                                .collect();
                            for n in names {
                                let target = rename_wild(from, to, &n);
                                row.rename(&n, &target);
                            }
                        } else {
                            row.rename(from, to);
                        }
                    }
                }
            }
        }
        out.extend(batch);
        Ok(())
    }
}

/// `foo_*` AS `bar_*` applied to `foo_x` gives `bar_x` (first `*` only).
fn rename_wild(from: &str, to: &str, name: &str) -> String {
    let (pre, post) = from.split_once('*').unwrap_or((from, ""));
    let mid = name
        .strip_prefix(pre)
        .and_then(|r| r.strip_suffix(post.split('*').next_back().unwrap_or("")))
        .unwrap_or("");
    to.replacen('*', mid, 1)
}

/// `head N` / `head (expr)`: reports itself done once satisfied.
pub(crate) struct Head {
    pub limit: u64,
    pub seen: u64,
    pub expr: Option<Evaluator>,
    pub stopped: bool,
}

impl Operator for Head {
    fn push(&mut self, batch: RowBatch, out: &mut RowBatch) -> Result<(), ExecError> {
        for row in batch {
            if self.stopped || self.seen >= self.limit {
                self.stopped = true;
                break;
            }
            if let Some(ev) = &self.expr {
                if !truthy(&ev.eval(&row).map_err(eval_err("head"))?) {
                    self.stopped = true;
                    break;
                }
            }
            self.seen += 1;
            out.push(row);
        }
        if self.seen >= self.limit {
            self.stopped = true;
        }
        Ok(())
    }

    fn is_done(&self) -> bool {
        self.stopped
    }
}

/// `fillnull value=x f1 f2` (with fields: streaming).
pub(crate) struct FillFields {
    pub fields: Vec<String>,
    pub value: Value,
}

impl Operator for FillFields {
    fn push(&mut self, mut batch: RowBatch, out: &mut RowBatch) -> Result<(), ExecError> {
        for row in &mut batch {
            for f in &self.fields {
                let empty = match row.get(f) {
                    None => true,
                    Some(Value::Str(s)) => s.is_empty(),
                    _ => false,
                };
                if empty {
                    row.set(f.clone(), self.value.clone());
                }
            }
        }
        out.extend(batch);
        Ok(())
    }
}

/// `makemv delim=","` / `tokenizer="(\S+)"`, and `mvexpand`.
pub(crate) enum Mv {
    Make {
        field: String,
        delim: Option<String>,
        tokenizer: Option<Regex>,
        allow_empty: bool,
    },
    Expand {
        field: String,
        limit: Option<usize>,
        /// Rows one input batch may become.
        max_rows: usize,
    },
}

impl Operator for Mv {
    fn push(&mut self, batch: RowBatch, out: &mut RowBatch) -> Result<(), ExecError> {
        for mut row in batch {
            match self {
                Mv::Make {
                    field,
                    delim,
                    tokenizer,
                    allow_empty,
                } => {
                    if let Some(src) = row.get(field).map(text) {
                        let parts: Vec<String> = match (tokenizer.as_ref(), delim.as_deref()) {
                            (Some(re), _) => re
                                .captures_iter(&src)
                                .filter_map(|c| c.get(1).or_else(|| c.get(0)))
                                .map(|m| m.as_str().to_string())
                                .collect(),
                            (None, Some(d)) => src.split(d).map(str::to_string).collect(),
                            (None, None) => src.split(' ').map(str::to_string).collect(),
                        };
                        let mut vals: Vec<Value> = parts
                            .into_iter()
                            .filter(|p| *allow_empty || !p.is_empty())
                            .map(Value::Str)
                            .collect();
                        let v = match vals.len() {
                            0 => Value::Null,
                            1 => vals.remove(0),
                            _ => Value::Multi(vals),
                        };
                        row.set(field.clone(), v);
                    }
                    out.push(row);
                }
                Mv::Expand {
                    field,
                    limit,
                    max_rows,
                } => match row.get(field) {
                    Some(Value::Multi(vals)) => {
                        let vals = vals.clone();
                        let n = limit.unwrap_or(usize::MAX);
                        super::block::over_produced(
                            "mvexpand",
                            out.len() + vals.len().min(n),
                            *max_rows,
                        )?;
                        for v in vals.into_iter().take(n) {
                            let mut r = row.clone();
                            r.set(field.clone(), v);
                            out.push(r);
                        }
                    }
                    _ => out.push(row),
                },
            }
        }
        Ok(())
    }
}

/// One `convert` function.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum ConvFn {
    Ctime,
    Mktime,
    Num,
    Auto,
    Dur2sec,
    Rmcomma,
    None,
}

/// `convert [timeformat=] f(field) [AS g] ...`.
pub(crate) struct Convert {
    pub timeformat: String,
    pub tz: jiff::tz::TimeZone,
    pub convs: Vec<(ConvFn, String, Option<String>)>,
}

/// `[D+]HH:MM:SS` (or `MM:SS`, or plain seconds) as seconds.
pub(crate) fn dur2sec(s: &str) -> Option<f64> {
    let s = s.trim();
    let (days, rest) = match s.split_once('+') {
        Some((d, r)) => (d.parse::<f64>().ok()?, r),
        None => (0.0, s),
    };
    let mut total = 0.0;
    for p in rest.split(':') {
        total = total * 60.0 + p.parse::<f64>().ok()?;
    }
    Some(days * 86400.0 + total)
}

impl Convert {
    fn apply(&self, f: ConvFn, v: &Value) -> Option<Value> {
        let num = |s: &str| s.trim().parse::<f64>().ok().map(crate::agg::num_value);
        match f {
            ConvFn::Ctime => {
                let secs = v.as_f64()?;
                let ts = jiff::Timestamp::from_nanosecond((secs * 1e9) as i128).ok()?;
                let z = ts.to_zoned_datetime(self.tz.clone());
                jiff::fmt::strtime::format(self.timeformat.as_str(), &z)
                    .ok()
                    .map(Value::Str)
            }
            ConvFn::Mktime => {
                let t = text(v);
                let tm = jiff::fmt::strtime::parse(self.timeformat.as_str(), &t).ok()?;
                let dt = tm.to_datetime().ok()?;
                let z = dt.to_zoned_datetime(self.tz.clone()).ok()?;
                Some(crate::agg::num_value(
                    z.timestamp().as_nanosecond() as f64 / 1e9,
                ))
            }
            ConvFn::Num => num(&text(v)),
            ConvFn::Auto => Some(num(&text(v)).unwrap_or_else(|| v.clone())),
            ConvFn::Dur2sec => dur2sec(&text(v)).map(crate::agg::num_value),
            ConvFn::Rmcomma => num(&text(v).replace(',', "")),
            ConvFn::None => Some(v.clone()),
        }
    }
}

impl Operator for Convert {
    fn push(&mut self, mut batch: RowBatch, out: &mut RowBatch) -> Result<(), ExecError> {
        for row in &mut batch {
            for (f, field, alias) in &self.convs {
                let names: Vec<String> = if field.contains('*') {
                    row.names()
                        .filter(|n| wildcard_match(field, n))
                        .map(str::to_string)
                        .collect()
                } else {
                    vec![field.clone()]
                };
                for n in names {
                    let Some(v) = row.get(&n).cloned() else {
                        continue;
                    };
                    let new = self.apply(*f, &v);
                    let target = alias.clone().unwrap_or(n.clone());
                    match new {
                        Some(x) => row.set(target, x),
                        // `num()` removes what it cannot convert; others keep the value.
                        None if *f == ConvFn::Num => {
                            row.remove(&target);
                        }
                        None => {}
                    }
                }
            }
        }
        out.extend(batch);
        Ok(())
    }
}

/// `addtotals`: a row total field, and with `col=true` a final row of column totals.
pub(crate) struct Addtotals {
    pub row: bool,
    pub col: bool,
    pub fieldname: String,
    pub fields: Vec<String>,
    pub labelfield: Option<String>,
    pub label: String,
    pub totals: Vec<(String, f64)>,
}

impl Addtotals {
    fn selected(&self, name: &str) -> bool {
        if self.fields.is_empty() {
            !name.starts_with('_') && name != self.fieldname
        } else {
            self.fields.iter().any(|p| wildcard_match(p, name))
        }
    }
}

impl Operator for Addtotals {
    fn push(&mut self, mut batch: RowBatch, out: &mut RowBatch) -> Result<(), ExecError> {
        for row in &mut batch {
            let mut sum = 0.0;
            let mut any = false;
            for (k, v) in row.iter() {
                if !self.selected(k) {
                    continue;
                }
                let Some(x) = numeric(v) else { continue };
                sum += x;
                any = true;
                if self.col {
                    match self.totals.iter_mut().find(|(n, _)| n == k) {
                        Some(t) => t.1 += x,
                        None => self.totals.push((k.to_string(), x)),
                    }
                }
            }
            if self.row && any {
                row.set(self.fieldname.clone(), crate::agg::num_value(sum));
                // Splunk's summary row sums every field, the row total included.
                if self.col {
                    match self.totals.iter_mut().find(|(n, _)| *n == self.fieldname) {
                        Some(t) => t.1 += sum,
                        None => self.totals.push((self.fieldname.clone(), sum)),
                    }
                }
            }
        }
        out.extend(batch);
        Ok(())
    }

    fn finish(&mut self, out: &mut RowBatch) -> Result<(), ExecError> {
        if self.col {
            let mut r = Row::new();
            for (k, v) in &self.totals {
                r.set(k.clone(), crate::agg::num_value(*v));
            }
            if let Some(lf) = &self.labelfield {
                r.set(lf.clone(), Value::Str(self.label.clone()));
            }
            out.push(r);
        }
        Ok(())
    }
}

/// Numbers only (numeric strings count, multi-values do not).
fn numeric(v: &Value) -> Option<f64> {
    match v {
        Value::Int(i) => Some(*i as f64),
        Value::Float(f) => Some(*f),
        Value::Str(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// `spath [input=] [output=] [path=]`.
pub(crate) struct Spath {
    pub input: String,
    pub output: Option<String>,
    pub path: Option<String>,
}

/// Flattens JSON into Splunk's `a.b`, `arr{}.c` names; arrays make multi-values.
fn flatten(prefix: &str, v: &serde_json::Value, out: &mut Vec<(String, Vec<Value>)>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&p, x, out);
            }
        }
        serde_json::Value::Array(a) => {
            let p = format!("{prefix}{{}}");
            for x in a {
                flatten(&p, x, out);
            }
        }
        leaf => {
            let val = match leaf {
                serde_json::Value::String(s) => Value::Str(s.clone()),
                serde_json::Value::Null => Value::Str("null".into()),
                other => Value::from_json(other),
            };
            match out.iter_mut().find(|(k, _)| k == prefix) {
                Some(e) => e.1.push(val),
                None => out.push((prefix.to_string(), vec![val])),
            }
        }
    }
}

fn single_or_multi(mut v: Vec<Value>) -> Value {
    match v.len() {
        0 => Value::Null,
        1 => v.remove(0),
        _ => Value::Multi(v),
    }
}

impl Operator for Spath {
    fn push(&mut self, mut batch: RowBatch, out: &mut RowBatch) -> Result<(), ExecError> {
        for row in &mut batch {
            let Some(src) = row.get(&self.input).map(text) else {
                continue;
            };
            let Ok(json) = serde_json::from_str::<serde_json::Value>(&src) else {
                continue;
            };
            match &self.path {
                Some(path) => {
                    // A path naming an object or array returns its JSON text.
                    let mut cur = Some(&json);
                    let mut leaves = Vec::new();
                    for seg in path.split('.') {
                        cur = cur.and_then(|c| c.get(seg));
                    }
                    let v = match cur {
                        Some(c @ (serde_json::Value::Object(_) | serde_json::Value::Array(_))) => {
                            Value::Str(c.to_string())
                        }
                        Some(c) => {
                            flatten("", c, &mut leaves);
                            single_or_multi(leaves.into_iter().flat_map(|(_, v)| v).collect())
                        }
                        None => {
                            flatten("", &json, &mut leaves);
                            single_or_multi(
                                leaves
                                    .into_iter()
                                    .filter(|(k, _)| k == path)
                                    .flat_map(|(_, v)| v)
                                    .collect(),
                            )
                        }
                    };
                    let target = self.output.clone().unwrap_or_else(|| path.clone());
                    row.set(target, v);
                }
                None => {
                    let mut leaves = Vec::new();
                    flatten("", &json, &mut leaves);
                    for (k, v) in leaves {
                        let name = match &self.output {
                            Some(o) => format!("{o}.{k}"),
                            None => k,
                        };
                        row.set(name, single_or_multi(v));
                    }
                }
            }
        }
        out.extend(batch);
        Ok(())
    }
}

/// `lookup table in [AS f] ... OUTPUT|OUTPUTNEW out [AS g] ...`.
pub(crate) struct Lookup {
    pub table: Arc<LookupTable>,
    /// (table column index, event field) of each match field.
    pub inputs: Vec<(usize, String)>,
    /// (table column index, event field) of each output field.
    pub outputs: Vec<(usize, String)>,
    pub output_new: bool,
}

impl Lookup {
    /// Resolves column names against the table.
    pub(crate) fn new(
        table: Arc<LookupTable>,
        inputs: &[FieldMap],
        outputs: Option<(&[FieldMap], bool)>,
    ) -> Result<Lookup, crate::lookup::LookupError> {
        let ins = inputs
            .iter()
            .map(|m| {
                Ok((
                    table.column(&m.field)?,
                    m.alias.clone().unwrap_or(m.field.clone()),
                ))
            })
            .collect::<Result<Vec<_>, crate::lookup::LookupError>>()?;
        let (outs, output_new) = match outputs {
            Some((fields, new)) if !fields.is_empty() => (
                fields
                    .iter()
                    .map(|m| {
                        Ok((
                            table.column(&m.field)?,
                            m.alias.clone().unwrap_or(m.field.clone()),
                        ))
                    })
                    .collect::<Result<Vec<_>, crate::lookup::LookupError>>()?,
                new,
            ),
            other => (
                table
                    .columns()
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| !ins.iter().any(|(c, _)| c == i))
                    .map(|(i, c)| (i, c.clone()))
                    .collect(),
                other.is_some_and(|(_, n)| n),
            ),
        };
        Ok(Lookup {
            table,
            inputs: ins,
            outputs: outs,
            output_new,
        })
    }
}

impl Operator for Lookup {
    fn push(&mut self, mut batch: RowBatch, out: &mut RowBatch) -> Result<(), ExecError> {
        let cols: Vec<usize> = self.inputs.iter().map(|(c, _)| *c).collect();
        for row in &mut batch {
            // Every combination of the (possibly multi-valued) match fields.
            let mut keys: Vec<Vec<String>> = vec![Vec::new()];
            for (_, f) in &self.inputs {
                let vals: Vec<String> = row
                    .get(f)
                    .map_or(Vec::new(), |v| values_of(v).into_iter().map(text).collect());
                keys = extend_keys(keys, &vals);
            }
            let mut hits: Vec<usize> = Vec::new();
            for k in &keys {
                for h in self.table.find(&cols, k) {
                    if !hits.contains(&h) {
                        hits.push(h);
                    }
                }
            }
            for (c, name) in &self.outputs {
                if self.output_new && row.contains(name) {
                    continue;
                }
                let vals: Vec<Value> = hits
                    .iter()
                    .map(|&h| self.table.cell(h, *c))
                    .filter(|s| !s.is_empty())
                    .map(|s| Value::Str(s.to_string()))
                    .collect();
                row.set(name.clone(), single_or_multi(vals));
            }
        }
        out.extend(batch);
        Ok(())
    }
}
