//! Evaluation of eval expressions over one row, with Splunk's loose typing:
//! numeric-looking strings are numbers, null (a missing field) propagates through
//! arithmetic and concatenation, comparisons with null are false, and `AND`/`OR`/`NOT`
//! treat null as false.
//!
//! An [`Evaluator`] checks an expression once (known functions, arities, literal regexes)
//! and compiles its regexes once; [`eval`] is the one-shot convenience.

use crate::ast::{BinOp, Expr, Pipeline, Span, UnaryOp};
use crate::guard::{SearchGuard, Stop};
use crate::pcre::SplRegex;
use jiff::tz::TimeZone;
use jiff::Timestamp;
use loupe_event::Value;
use regex::Regex;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

/// Read access to a row's fields, so the evaluator works over any row representation
/// (events, stats results, lookup rows).
pub trait RowAccess {
    /// The field's value, `None` when the row has no such field (SPL null).
    fn field(&self, name: &str) -> Option<Cow<'_, Value>>;

    /// The whole row, for functions that look at every field (`searchmatch`); `None` when
    /// the representation cannot list its fields.
    fn as_row(&self) -> Option<Cow<'_, crate::row::Row>> {
        None
    }
}

impl RowAccess for HashMap<String, Value> {
    fn field(&self, name: &str) -> Option<Cow<'_, Value>> {
        self.get(name).map(Cow::Borrowed)
    }

    fn as_row(&self) -> Option<Cow<'_, crate::row::Row>> {
        let mut pairs: Vec<_> = self.iter().collect();
        pairs.sort_by(|a, b| a.0.cmp(b.0));
        Some(Cow::Owned(crate::row::Row::from_pairs(
            pairs.into_iter().map(|(k, v)| (k, v.clone())),
        )))
    }
}

impl RowAccess for BTreeMap<String, Value> {
    fn field(&self, name: &str) -> Option<Cow<'_, Value>> {
        self.get(name).map(Cow::Borrowed)
    }
}

impl RowAccess for [(String, Value)] {
    fn field(&self, name: &str) -> Option<Cow<'_, Value>> {
        self.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| Cow::Borrowed(v))
    }
}

/// A row without fields, for constant expressions.
impl RowAccess for () {
    fn field(&self, _name: &str) -> Option<Cow<'_, Value>> {
        None
    }
}

/// Why an expression cannot be evaluated: unknown function, wrong arity, bad regex, ...
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct EvalError {
    /// Human sentence.
    pub message: String,
    /// The offending node, when known, for the console to underline.
    pub span: Option<Span>,
    /// Set when the search's guard refused the work (a string past the memory budget), so
    /// the search reports which limit stopped it (boxed: `ev` recurses with this in its frame).
    pub stop: Option<Box<Stop>>,
}

impl EvalError {
    pub(crate) fn at(span: Span, message: impl Into<String>) -> Self {
        EvalError {
            message: message.into(),
            span: Some(span),
            stop: None,
        }
    }

    fn stopped(span: Span, stop: Stop) -> Self {
        EvalError {
            message: stop.to_string(),
            span: Some(span),
            stop: Some(Box::new(stop)),
        }
    }
}

/// Known eval functions with their (min, max) arity; `usize::MAX` means variadic.
const FUNCTIONS: &[(&str, usize, usize)] = &[
    ("abs", 1, 1),
    ("case", 2, usize::MAX),
    ("ceil", 1, 1),
    ("ceiling", 1, 1),
    ("cidrmatch", 2, 2),
    ("coalesce", 1, usize::MAX),
    ("eval", 1, 1),
    ("exact", 1, 1),
    ("exp", 1, 1),
    ("false", 0, 0),
    ("floor", 1, 1),
    ("if", 3, 3),
    ("in", 1, usize::MAX),
    ("isbool", 1, 1),
    ("isint", 1, 1),
    ("isnotnull", 1, 1),
    ("isnull", 1, 1),
    ("isnum", 1, 1),
    ("isstr", 1, 1),
    ("json_extract", 1, usize::MAX),
    ("len", 1, 1),
    ("like", 2, 2),
    ("ln", 1, 1),
    ("log", 1, 2),
    ("lower", 1, 1),
    ("ltrim", 1, 2),
    ("match", 2, 2),
    ("max", 1, usize::MAX),
    ("min", 1, usize::MAX),
    ("mvappend", 1, usize::MAX),
    ("mvcount", 1, 1),
    ("mvdedup", 1, 1),
    ("mvfilter", 1, 1),
    ("mvfind", 2, 2),
    ("mvindex", 2, 3),
    ("mvjoin", 2, 2),
    ("mvmap", 2, 2),
    ("mvsort", 1, 1),
    ("mvzip", 2, 3),
    ("now", 0, 0),
    ("null", 0, 0),
    ("nullif", 2, 2),
    ("pi", 0, 0),
    ("pow", 2, 2),
    ("relative_time", 2, 2),
    ("replace", 3, 3),
    ("round", 1, 2),
    ("rtrim", 1, 2),
    ("split", 2, 2),
    ("sqrt", 1, 1),
    ("strftime", 2, 2),
    ("strptime", 2, 2),
    ("substr", 2, 3),
    ("time", 0, 0),
    ("tonumber", 1, 2),
    ("tostring", 1, 2),
    ("trim", 1, 2),
    ("true", 0, 0),
    ("typeof", 1, 1),
    ("upper", 1, 1),
    ("urldecode", 1, 1),
    ("validate", 2, usize::MAX),
];

/// Every eval function Loupe evaluates (lower case), so documentation and tools can be
/// checked against it.
pub fn eval_functions() -> impl Iterator<Item = &'static str> {
    FUNCTIONS
        .iter()
        .chain(crate::functions::FUNCTIONS)
        .map(|(n, _, _)| *n)
}

/// (min, max) arity of a known function.
fn arity(name: &str) -> Option<(usize, usize)> {
    FUNCTIONS
        .iter()
        .chain(crate::functions::FUNCTIONS)
        .find(|(n, _, _)| *n == name)
        .map(|&(_, a, b)| (a, b))
}

/// Whether Loupe can evaluate the eval function `name` (lower case).
pub fn is_known_function(name: &str) -> bool {
    arity(name).is_some()
}

/// Names (deduplicated, in order of appearance) of eval functions used anywhere in the
/// pipeline that Loupe cannot evaluate, so the planner can refuse the search up front.
pub fn unsupported_functions(p: &Pipeline) -> Vec<String> {
    unsupported_function_calls(p)
        .into_iter()
        .map(|(name, _)| name)
        .collect()
}

/// [`unsupported_functions`] with where each is first called, so the planner's error
/// underlines the call (`nosuch(x)`), not the whole search.
pub fn unsupported_function_calls(p: &Pipeline) -> Vec<(String, Span)> {
    let mut out: Vec<(String, Span)> = Vec::new();
    p.walk_exprs(&mut |e| {
        if let Expr::Call { name, span, .. } = e {
            if !is_known_function(name) && !out.iter().any(|(n, _)| n == name) {
                out.push((name.clone(), *span));
            }
        }
    });
    out
}

/// Dynamic regexes kept per evaluator before the cache is cleared.
const REGEX_CACHE_MAX: usize = 256;

/// A checked expression with its regexes compiled, ready to run over many rows.
#[derive(Debug)]
pub struct Evaluator {
    expr: Expr,
    now: f64,
    tz: TimeZone,
    /// Patterns met as literals, compiled up front (key: the regex source).
    fixed: HashMap<String, Arc<SplRegex>>,
    /// Patterns computed at run time.
    dynamic: Mutex<HashMap<String, Arc<SplRegex>>>,
    /// Asked before building a string, so `s . s` repeated cannot outgrow the search's budget.
    guard: Option<Arc<SearchGuard>>,
    /// State of the second-wave functions (`searchmatch` strings).
    ext: crate::functions::Compiled,
}

impl Clone for Evaluator {
    fn clone(&self) -> Self {
        Evaluator {
            expr: self.expr.clone(),
            now: self.now,
            tz: self.tz.clone(),
            fixed: self.fixed.clone(),
            dynamic: Mutex::new(HashMap::new()),
            guard: self.guard.clone(),
            ext: self.ext.clone(),
        }
    }
}

/// Evaluates `expr` against `row` (one-shot: checks and compiles the expression each call).
pub fn eval(expr: &Expr, row: &dyn RowAccess) -> Result<Value, EvalError> {
    Evaluator::new(expr)?.eval(row)
}

fn now_seconds() -> f64 {
    let ts = Timestamp::now();
    ts.as_nanosecond() as f64 / 1e9
}

/// Compiles a regex as SPL writes them (PCRE): a `{` that does not open a `{n}`, `{n,}`
/// or `{n,m}` quantifier is a literal brace, as in PCRE, so `({|%7b)` works.
/// Look-around and back-references remain unsupported (the regex crate has neither).
pub fn compile_spl_regex(pattern: &str) -> Result<Regex, regex::Error> {
    Regex::new(&pcre_braces(pattern))
}

/// The one-line reason of a regex error (the crate's own message draws a multi-line
/// caret diagram), for messages that also name where the regex is in the search.
pub(crate) fn regex_reason(e: &regex::Error) -> String {
    match e {
        regex::Error::Syntax(s) => s
            .lines()
            .find_map(|l| l.strip_prefix("error: "))
            .unwrap_or(s)
            .to_string(),
        regex::Error::CompiledTooBig(n) => format!("the compiled regex exceeds {n} bytes"),
        other => other.to_string(),
    }
}

/// "bytes S..E": where an argument is in the (macro-expanded) search text, for messages
/// that reach users without their span.
pub(crate) fn at_bytes(span: Span) -> String {
    format!("at bytes {}..{} of the search", span.start, span.end)
}

/// Escapes the braces PCRE would read literally.
pub(crate) fn pcre_braces(p: &str) -> Cow<'_, str> {
    if !p.contains('{') {
        return Cow::Borrowed(p);
    }
    let chars: Vec<char> = p.chars().collect();
    let mut out = String::with_capacity(p.len() + 4);
    let mut i = 0;
    let mut in_class = false;
    let mut in_quantifier = false;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' => {
                out.push(c);
                if let Some(&n) = chars.get(i + 1) {
                    out.push(n);
                }
                i += 2;
                continue;
            }
            '[' if !in_class => {
                in_class = true;
                out.push(c);
                // `[]...]` and `[^]...]`: the first `]` is literal.
                if chars.get(i + 1) == Some(&'^') {
                    out.push('^');
                    i += 1;
                }
                if chars.get(i + 1) == Some(&']') {
                    out.push_str("\\]");
                    i += 1;
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(c);
            }
            '{' if !in_class => {
                let rest: String = chars[i + 1..].iter().take_while(|&&ch| ch != '}').collect();
                let closed = chars.len() > i + 1 + rest.chars().count();
                let (a, b) = rest.split_once(',').unwrap_or((&rest, ""));
                let quantifier = closed
                    && !a.is_empty()
                    && a.bytes().all(|x| x.is_ascii_digit())
                    && b.bytes().all(|x| x.is_ascii_digit())
                    && !out.is_empty();
                if quantifier {
                    in_quantifier = true;
                    out.push('{');
                } else {
                    out.push_str("\\{");
                }
            }
            '}' if !in_class => {
                // Closes a quantifier, or is a literal brace.
                if in_quantifier {
                    in_quantifier = false;
                    out.push('}');
                } else {
                    out.push_str("\\}");
                }
            }
            _ => out.push(c),
        }
        i += 1;
    }
    Cow::Owned(out)
}

/// SQL `LIKE` pattern (`%`, `_`) as an anchored regex.
fn like_regex(pattern: &str) -> String {
    let mut re = String::from("(?s)^");
    for ch in pattern.chars() {
        match ch {
            '%' => re.push_str(".*"),
            '_' => re.push('.'),
            c => re.push_str(&regex::escape(&c.to_string())),
        }
    }
    re.push('$');
    re
}

impl Evaluator {
    /// Checks functions and arities and compiles literal regexes; `now()` is the current time
    /// and times are formatted in UTC unless set with [`Evaluator::with_now`] /
    /// [`Evaluator::with_time_zone`].
    pub fn new(expr: &Expr) -> Result<Evaluator, EvalError> {
        let mut fixed = HashMap::new();
        let mut error = None;
        expr.walk(&mut |e| {
            if error.is_some() {
                return;
            }
            let Expr::Call { name, args, span } = e else {
                return;
            };
            let Some((min, max)) = arity(name) else {
                error = Some(EvalError::at(*span, format!("unknown function `{name}`")));
                return;
            };
            if args.len() < min || args.len() > max {
                let expected = if min == max {
                    format!("{min}")
                } else if max == usize::MAX {
                    format!("at least {min}")
                } else {
                    format!("{min} to {max}")
                };
                error = Some(EvalError::at(
                    *span,
                    format!("{name}() takes {expected} argument(s), got {}", args.len()),
                ));
                return;
            }
            if name == "case" && args.len() % 2 != 0 {
                error = Some(EvalError::at(*span, "case() takes condition/value pairs"));
                return;
            }
            if let Err(e) = crate::functions::check(name, args) {
                error = Some(e);
                return;
            }
            let pattern = match (name.as_str(), args.get(1)) {
                ("match" | "replace" | "mvfind", Some(Expr::Str { value, .. })) => {
                    Some(value.clone())
                }
                ("like", Some(Expr::Str { value, .. })) => Some(like_regex(value)),
                _ => None,
            };
            if let Some(p) = pattern {
                match SplRegex::new(&p) {
                    Ok(re) => {
                        fixed.insert(p, Arc::new(re));
                    }
                    Err(err) => {
                        let at = args.get(1).map_or(*span, Expr::span);
                        error = Some(EvalError::at(
                            at,
                            format!("invalid regex {p:?} in {name}() {}: {err}", at_bytes(at)),
                        ));
                    }
                }
            }
        });
        if let Some(e) = error {
            return Err(e);
        }
        Ok(Evaluator {
            expr: expr.clone(),
            now: now_seconds(),
            tz: TimeZone::UTC,
            fixed,
            dynamic: Mutex::new(HashMap::new()),
            guard: None,
            ext: Default::default(),
        })
    }

    /// Checks strings it builds against `guard`'s memory budget.
    pub fn with_guard(mut self, guard: Arc<SearchGuard>) -> Evaluator {
        self.guard = Some(guard);
        self
    }

    /// `Err` when a string of `bytes` would not fit in the search's memory budget.
    #[inline(never)]
    fn fits(&self, bytes: usize, span: Span) -> Result<(), EvalError> {
        match &self.guard {
            Some(g) => g
                .fits(bytes, "eval")
                .map_err(|stop| EvalError::stopped(span, stop)),
            None => Ok(()),
        }
    }

    /// Fixes `now()` (epoch seconds): a search uses one instant for all its rows.
    pub fn with_now(mut self, epoch_seconds: f64) -> Evaluator {
        self.now = epoch_seconds;
        self
    }

    /// Time zone of `strftime`, `strptime` and `relative_time` snapping.
    pub fn with_time_zone(mut self, tz: TimeZone) -> Evaluator {
        self.tz = tz;
        self
    }

    /// The checked expression.
    pub fn expr(&self) -> &Expr {
        &self.expr
    }

    /// Evaluates the expression for one row.
    pub fn eval(&self, row: &dyn RowAccess) -> Result<Value, EvalError> {
        self.ev(&self.expr, row)
    }

    /// Evaluates as a condition (`where`, `if`): null and errors in typing count as false.
    pub fn is_true(&self, row: &dyn RowAccess) -> Result<bool, EvalError> {
        Ok(truthy(&self.eval(row)?))
    }

    fn regex(&self, pattern: &str, span: Span) -> Result<Arc<SplRegex>, EvalError> {
        if let Some(re) = self.fixed.get(pattern) {
            return Ok(re.clone());
        }
        let mut cache = self.dynamic.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(re) = cache.get(pattern) {
            return Ok(re.clone());
        }
        let re = Arc::new(
            SplRegex::new(pattern)
                .map_err(|e| EvalError::at(span, format!("invalid regex {pattern:?}: {e}")))?,
        );
        if cache.len() >= REGEX_CACHE_MAX {
            cache.clear();
        }
        cache.insert(pattern.to_string(), re.clone());
        Ok(re)
    }

    fn ev(&self, e: &Expr, row: &dyn RowAccess) -> Result<Value, EvalError> {
        Ok(match e {
            Expr::Str { value, .. } => Value::Str(value.clone()),
            Expr::Int { value, .. } => Value::Int(*value),
            Expr::Float { value, .. } => Value::Float(*value),
            Expr::Bool { value, .. } => Value::Bool(*value),
            Expr::Field { name, span } => match row.field(name) {
                Some(v) => v.into_owned(),
                None => self.dotted_concat(name, *span, row)?,
            },
            Expr::And { items, .. } => {
                for x in items {
                    if !truthy(&self.ev(x, row)?) {
                        return Ok(Value::Bool(false));
                    }
                }
                Value::Bool(true)
            }
            Expr::Or { items, .. } => {
                for x in items {
                    if truthy(&self.ev(x, row)?) {
                        return Ok(Value::Bool(true));
                    }
                }
                Value::Bool(false)
            }
            Expr::Unary {
                op: UnaryOp::Not,
                expr,
                ..
            } => Value::Bool(!truthy(&self.ev(expr, row)?)),
            Expr::Unary {
                op: UnaryOp::Neg,
                expr,
                ..
            } => match number(&self.ev(expr, row)?) {
                Some(Num::Int(i)) => i
                    .checked_neg()
                    .map_or(Value::Float(-(i as f64)), Value::Int),
                Some(Num::Float(f)) => Value::Float(-f),
                None => Value::Null,
            },
            Expr::Binary {
                op,
                left,
                right,
                span,
            } => {
                let a = self.ev(left, row)?;
                let b = self.ev(right, row)?;
                self.binary(*op, &a, &b, *span)?
            }
            Expr::In { expr, list, .. } => {
                let v = self.ev(expr, row)?;
                for x in list {
                    let w = self.ev(x, row)?;
                    if compare_any(&v, &w, BinOp::Eq) {
                        return Ok(Value::Bool(true));
                    }
                }
                Value::Bool(false)
            }
            Expr::Call { name, args, span } => self.call(name, args, *span, row)?,
            Expr::Subsearch { span, .. } => {
                return Err(EvalError::at(
                    *span,
                    "a subsearch in an expression runs only in a search of the store",
                ))
            }
        })
    }

    /// `s.t` names a field when the row has one; otherwise, as Splunk reads it, it is `s . t`
    /// (the lexer cannot tell, since dots are legal in field names). Null when a part is.
    /// Out of line: `ev` recurses once per operator and its frame must stay small.
    #[inline(never)]
    fn dotted_concat(
        &self,
        name: &str,
        span: Span,
        row: &dyn RowAccess,
    ) -> Result<Value, EvalError> {
        if !name.contains('.') || name.split('.').any(str::is_empty) {
            return Ok(Value::Null);
        }
        let mut out = String::new();
        for part in name.split('.') {
            let Some(v) = row.field(part) else {
                return Ok(Value::Null);
            };
            let t = text(&v);
            self.fits(out.len() + t.len(), span)?;
            out.push_str(&t);
        }
        Ok(Value::Str(out))
    }

    fn binary(&self, op: BinOp, a: &Value, b: &Value, span: Span) -> Result<Value, EvalError> {
        Ok(match op {
            BinOp::Xor => Value::Bool(truthy(a) ^ truthy(b)),
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                Value::Bool(compare_any(a, b, op))
            }
            BinOp::Like => {
                if a.is_null() || b.is_null() {
                    return Ok(Value::Bool(false));
                }
                let re = self.regex(&like_regex(&text(b)), span)?;
                Value::Bool(any_match(&re, a, span)?)
            }
            BinOp::Concat => {
                if a.is_null() || b.is_null() {
                    Value::Null
                } else {
                    let (a, b) = (text(a), text(b));
                    self.fits(a.len() + b.len(), span)?;
                    Value::Str(a + &b)
                }
            }
            BinOp::Add => match (number(a), number(b)) {
                _ if a.is_null() || b.is_null() => Value::Null,
                (Some(x), Some(y)) => arith(op, x, y),
                _ => Value::Str(format!("{}{}", text(a), text(b))),
            },
            BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Mod => match (number(a), number(b)) {
                (Some(x), Some(y)) => arith(op, x, y),
                _ => Value::Null,
            },
        })
    }
}

/// A number read from a value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Num {
    Int(i64),
    Float(f64),
}

impl Num {
    pub(crate) fn f(self) -> f64 {
        match self {
            Num::Int(i) => i as f64,
            Num::Float(f) => f,
        }
    }
}

/// Parses a decimal number the way SPL recognises one in text: optional sign, digits,
/// optional fraction and exponent (no `inf`, `nan` or hex).
pub(crate) fn parse_number(s: &str) -> Option<Num> {
    let t = s.trim();
    let body = t.strip_prefix(['-', '+']).unwrap_or(t);
    let (mant, exp) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (int_part, frac) = match mant.find('.') {
        Some(i) => (&mant[..i], Some(&mant[i + 1..])),
        None => (mant, None),
    };
    let digits = |x: &str| x.bytes().all(|b| b.is_ascii_digit());
    if !digits(int_part)
        || !frac.is_none_or(digits)
        || (int_part.is_empty() && frac.is_none_or(str::is_empty))
    {
        return None;
    }
    if let Some(e) = exp {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        if e.is_empty() || !digits(e) {
            return None;
        }
    }
    if frac.is_none() && exp.is_none() {
        if let Ok(i) = t.parse::<i64>() {
            return Some(Num::Int(i));
        }
    }
    t.parse::<f64>()
        .ok()
        .filter(|f| f.is_finite())
        .map(Num::Float)
}

/// Numeric view of a value (first value of a multi-value).
pub(crate) fn number(v: &Value) -> Option<Num> {
    match v {
        Value::Int(i) => Some(Num::Int(*i)),
        Value::Float(f) => Some(Num::Float(*f)),
        Value::Str(s) => parse_number(s),
        Value::Multi(m) => m.first().and_then(number),
        Value::Bool(_) | Value::Null => None,
    }
}

fn num_value(n: Num) -> Value {
    match n {
        Num::Int(i) => Value::Int(i),
        Num::Float(f) => Value::Float(f),
    }
}

/// Float results that are whole numbers become integers, as SPL prints them.
pub(crate) fn float_value(f: f64) -> Value {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 9.0e15 {
        Value::Int(f as i64)
    } else if f.is_finite() {
        Value::Float(f)
    } else {
        Value::Null
    }
}

fn arith(op: BinOp, x: Num, y: Num) -> Value {
    if let (Num::Int(a), Num::Int(b)) = (x, y) {
        let exact = match op {
            BinOp::Add => a.checked_add(b),
            BinOp::Sub => a.checked_sub(b),
            BinOp::Mul => a.checked_mul(b),
            BinOp::Div if b != 0 && a % b == 0 => a.checked_div(b),
            BinOp::Mod if b != 0 => a.checked_rem(b),
            _ => None,
        };
        if let Some(r) = exact {
            return Value::Int(r);
        }
    }
    let (a, b) = (x.f(), y.f());
    let r = match op {
        BinOp::Add => a + b,
        BinOp::Sub => a - b,
        BinOp::Mul => a * b,
        BinOp::Div if b != 0.0 => a / b,
        BinOp::Mod if b != 0.0 => a % b,
        _ => return Value::Null,
    };
    if r.is_finite() {
        Value::Float(r)
    } else {
        Value::Null
    }
}

/// Text view of a value, as SPL prints it (multi-values joined by newlines).
pub(crate) fn text(v: &Value) -> String {
    match v {
        Value::Str(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Truth of a condition: null is false; numbers are true when non-zero; strings are true
/// unless empty, `false`, `f` or `0`.
pub fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Int(i) => *i != 0,
        Value::Float(f) => *f != 0.0,
        Value::Str(s) => {
            !(s.is_empty()
                || s.eq_ignore_ascii_case("false")
                || s.eq_ignore_ascii_case("f")
                || s == "0")
        }
        Value::Multi(m) => m.iter().any(truthy),
    }
}

/// Whether any value of `v` matches `re`; a backtracking limit is an error at `span`.
fn any_match(re: &SplRegex, v: &Value, span: Span) -> Result<bool, EvalError> {
    let vals: &[Value] = match v {
        Value::Multi(m) => m,
        Value::Null => &[],
        other => std::slice::from_ref(other),
    };
    for x in vals {
        if re
            .is_match(&text(x))
            .map_err(|e| EvalError::at(span, e.to_string()))?
        {
            return Ok(true);
        }
    }
    Ok(false)
}

fn any_value(v: &Value, mut f: impl FnMut(&Value) -> bool) -> bool {
    match v {
        Value::Multi(m) => m.iter().any(f),
        Value::Null => false,
        other => f(other),
    }
}

/// Comparison with SPL rules: false when either side is null; numbers compare
/// numerically, anything else as text; a multi-value matches when any value does.
fn compare_any(a: &Value, b: &Value, op: BinOp) -> bool {
    any_value(a, |x| any_value(b, |y| compare_one(x, y, op)))
}

fn compare_one(a: &Value, b: &Value, op: BinOp) -> bool {
    use std::cmp::Ordering;
    let ord = match (number(a), number(b)) {
        (Some(Num::Int(x)), Some(Num::Int(y))) => Some(x.cmp(&y)),
        (Some(x), Some(y)) => x.f().partial_cmp(&y.f()),
        _ => match (a, b) {
            (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
            _ => Some(text(a).cmp(&text(b))),
        },
    };
    let Some(ord) = ord else { return false };
    match op {
        BinOp::Eq => ord == Ordering::Equal,
        BinOp::Ne => ord != Ordering::Equal,
        BinOp::Lt => ord == Ordering::Less,
        BinOp::Le => ord != Ordering::Greater,
        BinOp::Gt => ord == Ordering::Greater,
        BinOp::Ge => ord != Ordering::Less,
        _ => false,
    }
}

/// The values of a (possibly multi-valued) value; null has none.
pub(crate) fn values(v: Value) -> Vec<Value> {
    match v {
        Value::Null => Vec::new(),
        Value::Multi(m) => m,
        other => vec![other],
    }
}

/// A list of values as an SPL value: none is null, one is itself.
pub(crate) fn from_values(mut v: Vec<Value>) -> Value {
    match v.len() {
        0 => Value::Null,
        1 => v.pop().unwrap_or(Value::Null),
        _ => Value::Multi(v),
    }
}

/// Applies `f` to each value of a multi-value (or to the single value); null stays null.
pub(crate) fn map_values(v: Value, f: impl Fn(&Value) -> Value) -> Value {
    match v {
        Value::Null => Value::Null,
        Value::Multi(m) => Value::Multi(m.iter().map(f).collect()),
        other => f(&other),
    }
}

/// A row that overrides one field, for `mvfilter`.
struct Overlay<'a> {
    row: &'a dyn RowAccess,
    name: &'a str,
    value: &'a Value,
}

impl RowAccess for Overlay<'_> {
    fn field(&self, name: &str) -> Option<Cow<'_, Value>> {
        if name == self.name {
            Some(Cow::Borrowed(self.value))
        } else {
            self.row.field(name)
        }
    }

    fn as_row(&self) -> Option<Cow<'_, crate::row::Row>> {
        let mut r = self.row.as_row()?.into_owned();
        r.set(self.name, self.value.clone());
        Some(Cow::Owned(r))
    }
}

impl Evaluator {
    fn call(
        &self,
        name: &str,
        args: &[Expr],
        span: Span,
        row: &dyn RowAccess,
    ) -> Result<Value, EvalError> {
        // Lazy functions first: their arguments are evaluated on demand.
        match name {
            "if" => {
                let c = self.ev(&args[0], row)?;
                return self.ev(&args[if truthy(&c) { 1 } else { 2 }], row);
            }
            "case" => {
                for pair in args.chunks(2) {
                    if truthy(&self.ev(&pair[0], row)?) {
                        return self.ev(&pair[1], row);
                    }
                }
                return Ok(Value::Null);
            }
            "validate" => {
                for pair in args.chunks(2) {
                    if !truthy(&self.ev(&pair[0], row)?) {
                        return match pair.get(1) {
                            Some(v) => self.ev(v, row),
                            None => Ok(Value::Null),
                        };
                    }
                }
                return Ok(Value::Null);
            }
            "coalesce" => {
                for a in args {
                    let v = self.ev(a, row)?;
                    if !v.is_null() {
                        return Ok(v);
                    }
                }
                return Ok(Value::Null);
            }
            "mvfilter" => return self.mvfilter(&args[0], row, span),
            "mvmap" => return self.mvmap(&args[0], &args[1], row, span),
            _ => {
                if let Some(r) = crate::functions::call_lazy(name, args, &|e| self.ev(e, row)) {
                    return r;
                }
            }
        }
        let mut v: Vec<Value> = Vec::with_capacity(args.len());
        for a in args {
            v.push(self.ev(a, row)?);
        }
        let arg = |i: usize| v.get(i).cloned().unwrap_or(Value::Null);
        let null_in = v.iter().any(Value::is_null);
        let num1 = |f: fn(f64) -> f64| -> Value {
            match number(&v[0]) {
                Some(n) => float_value(f(n.f())),
                None => Value::Null,
            }
        };
        Ok(match name {
            "eval" | "exact" => arg(0),
            "null" => Value::Null,
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            "now" => float_value(self.now),
            "time" => Value::Float(now_seconds()),
            "pi" => Value::Float(std::f64::consts::PI),
            "isnull" => Value::Bool(v[0].is_null()),
            "isnotnull" => Value::Bool(!v[0].is_null()),
            "isnum" => Value::Bool(number(&v[0]).is_some() && !matches!(v[0], Value::Multi(_))),
            "isint" => Value::Bool(
                matches!(number(&v[0]), Some(Num::Int(_))) && !matches!(v[0], Value::Multi(_)),
            ),
            "isstr" => Value::Bool(matches!(&v[0], Value::Str(s) if parse_number(s).is_none())),
            "isbool" => Value::Bool(matches!(v[0], Value::Bool(_))),
            "typeof" => Value::Str(
                match &v[0] {
                    Value::Null => "Invalid",
                    Value::Bool(_) => "Boolean",
                    Value::Int(_) | Value::Float(_) => "Number",
                    Value::Str(s) if parse_number(s).is_some() => "Number",
                    Value::Str(_) => "String",
                    Value::Multi(_) => "Multivalue",
                }
                .into(),
            ),
            "nullif" => {
                if compare_any(&v[0], &v[1], BinOp::Eq) {
                    Value::Null
                } else {
                    arg(0)
                }
            }
            "in" => Value::Bool(v[1..].iter().any(|x| compare_any(&v[0], x, BinOp::Eq))),
            "like" | "match" => {
                if v[0].is_null() || v[1].is_null() {
                    return Ok(Value::Null);
                }
                let pattern = text(&v[1]);
                let pattern = if name == "like" {
                    like_regex(&pattern)
                } else {
                    pattern
                };
                let re = self.regex(&pattern, args[1].span())?;
                Value::Bool(any_match(&re, &v[0], args[1].span())?)
            }
            "len" => match &v[0] {
                Value::Null => Value::Null,
                x => Value::Int(text(x).chars().count() as i64),
            },
            "lower" => map_values(arg(0), |x| Value::Str(text(x).to_lowercase())),
            "upper" => map_values(arg(0), |x| Value::Str(text(x).to_uppercase())),
            "trim" | "ltrim" | "rtrim" => {
                if null_in {
                    return Ok(Value::Null);
                }
                let chars: Vec<char> = match v.get(1) {
                    Some(c) => text(c).chars().collect(),
                    None => vec![' ', '\t', '\n', '\r'],
                };
                map_values(arg(0), |x| {
                    let s = text(x);
                    let pat = |c: char| chars.contains(&c);
                    Value::Str(
                        match name {
                            "trim" => s.trim_matches(pat),
                            "ltrim" => s.trim_start_matches(pat),
                            _ => s.trim_end_matches(pat),
                        }
                        .to_string(),
                    )
                })
            }
            "substr" => {
                if null_in {
                    return Ok(Value::Null);
                }
                let s: Vec<char> = text(&v[0]).chars().collect();
                let Some(start) = number(&v[1]).map(|n| n.f() as i64) else {
                    return Ok(Value::Null);
                };
                let len = s.len() as i64;
                // 1-based; negative counts from the end; 0 behaves like 1.
                let from = if start < 0 {
                    (len + start).max(0)
                } else {
                    (start - 1).max(0)
                };
                let count = match v.get(2) {
                    Some(n) => match number(n) {
                        Some(n) => (n.f() as i64).max(0),
                        None => return Ok(Value::Null),
                    },
                    None => len,
                };
                let from = from.min(len) as usize;
                let to = (from as i64 + count).min(len) as usize;
                Value::Str(s[from..to].iter().collect())
            }
            "replace" => {
                if null_in {
                    return Ok(Value::Null);
                }
                let re = self.regex(&text(&v[1]), args[1].span())?;
                let repl = splunk_replacement(&text(&v[2]));
                let mut out = Vec::new();
                for x in values(arg(0)) {
                    let s = text(&x);
                    let r = re
                        .replace_all(&s, repl.as_str())
                        .map_err(|e| EvalError::at(args[1].span(), e.to_string()))?;
                    out.push(Value::Str(r.into_owned()));
                }
                match arg(0) {
                    Value::Multi(_) => Value::Multi(out),
                    _ => from_values(out),
                }
            }
            "urldecode" => map_values(arg(0), |x| Value::Str(url_decode(&text(x)))),
            "split" => {
                if null_in {
                    return Ok(Value::Null);
                }
                let s = text(&v[0]);
                let d = text(&v[1]);
                let parts: Vec<Value> = if d.is_empty() {
                    s.chars().map(|c| Value::Str(c.to_string())).collect()
                } else {
                    s.split(d.as_str())
                        .map(|p| Value::Str(p.to_string()))
                        .collect()
                };
                Value::Multi(parts)
            }
            "mvcount" => match &v[0] {
                Value::Null => Value::Null,
                Value::Multi(m) => Value::Int(m.len() as i64),
                _ => Value::Int(1),
            },
            "mvindex" => {
                if v[0].is_null() {
                    return Ok(Value::Null);
                }
                let vals = values(arg(0));
                let n = vals.len() as i64;
                let idx = |x: &Value| {
                    number(x)
                        .map(|k| k.f() as i64)
                        .map(|k| if k < 0 { n + k } else { k })
                };
                let Some(start) = idx(&v[1]) else {
                    return Ok(Value::Null);
                };
                let end = match v.get(2) {
                    Some(e) => match idx(e) {
                        Some(e) => e,
                        None => return Ok(Value::Null),
                    },
                    None => start,
                };
                if start < 0 || start >= n || end < start {
                    return Ok(Value::Null);
                }
                let end = end.min(n - 1);
                from_values(vals[start as usize..=end as usize].to_vec())
            }
            "mvjoin" => {
                if v[0].is_null() {
                    return Ok(Value::Null);
                }
                let d = text(&v[1]);
                Value::Str(values(arg(0)).iter().map(text).collect::<Vec<_>>().join(&d))
            }
            "mvappend" => from_values(v.into_iter().flat_map(values).collect()),
            "mvdedup" => {
                let mut seen: Vec<Value> = Vec::new();
                for x in values(arg(0)) {
                    if !seen.contains(&x) {
                        seen.push(x);
                    }
                }
                from_values(seen)
            }
            "mvsort" => {
                let mut vals: Vec<String> = values(arg(0)).iter().map(text).collect();
                vals.sort();
                from_values(vals.into_iter().map(Value::Str).collect())
            }
            "mvfind" => {
                if null_in {
                    return Ok(Value::Null);
                }
                let re = self.regex(&text(&v[1]), args[1].span())?;
                let mut found = Value::Null;
                for (i, x) in values(arg(0)).iter().enumerate() {
                    if re
                        .is_match(&text(x))
                        .map_err(|e| EvalError::at(args[1].span(), e.to_string()))?
                    {
                        found = Value::Int(i as i64);
                        break;
                    }
                }
                found
            }
            "mvzip" => {
                if v[0].is_null() || v[1].is_null() {
                    return Ok(Value::Null);
                }
                let d = v.get(2).map_or(",".to_string(), text);
                let a = values(arg(0));
                let b = values(arg(1));
                from_values(
                    a.iter()
                        .zip(b.iter())
                        .map(|(x, y)| Value::Str(format!("{}{d}{}", text(x), text(y))))
                        .collect(),
                )
            }
            "abs" => match number(&v[0]) {
                Some(Num::Int(i)) => i
                    .checked_abs()
                    .map_or(Value::Float((i as f64).abs()), Value::Int),
                Some(Num::Float(f)) => Value::Float(f.abs()),
                None => Value::Null,
            },
            "ceil" | "ceiling" => num1(f64::ceil),
            "floor" => num1(f64::floor),
            "sqrt" => num1(f64::sqrt),
            "exp" => num1(f64::exp),
            "ln" => num1(f64::ln),
            "log" => match (number(&v[0]), v.get(1).map(number)) {
                (Some(x), None) => float_value(x.f().log10()),
                (Some(x), Some(Some(b))) => float_value(x.f().log(b.f())),
                _ => Value::Null,
            },
            "pow" => match (number(&v[0]), number(&v[1])) {
                (Some(Num::Int(b)), Some(Num::Int(e))) if (0..=u32::MAX as i64).contains(&e) => b
                    .checked_pow(e as u32)
                    .map_or_else(|| float_value((b as f64).powf(e as f64)), Value::Int),
                (Some(b), Some(e)) => float_value(b.f().powf(e.f())),
                _ => Value::Null,
            },
            "round" => {
                let digits = match v.get(1) {
                    Some(d) => match number(d) {
                        Some(d) => d.f() as i32,
                        None => return Ok(Value::Null),
                    },
                    None => 0,
                };
                match number(&v[0]) {
                    Some(Num::Int(i)) if digits >= 0 => Value::Int(i),
                    Some(n) => {
                        let m = 10f64.powi(digits);
                        let r = (n.f() * m).round() / m;
                        if digits <= 0 {
                            float_value(r)
                        } else {
                            Value::Float(r)
                        }
                    }
                    None => Value::Null,
                }
            }
            "min" | "max" => {
                let all: Vec<Value> = v.into_iter().flat_map(values).collect();
                let mut best: Option<Value> = None;
                for x in all {
                    best = Some(match best {
                        None => x,
                        Some(b) => {
                            let better = if name == "min" {
                                compare_one(&x, &b, BinOp::Lt)
                            } else {
                                compare_one(&x, &b, BinOp::Gt)
                            };
                            if better {
                                x
                            } else {
                                b
                            }
                        }
                    });
                }
                best.unwrap_or(Value::Null)
            }
            "tonumber" => {
                if null_in {
                    return Ok(Value::Null);
                }
                let base = match v.get(1) {
                    Some(b) => match number(b) {
                        Some(Num::Int(b)) if (2..=36).contains(&b) => b as u32,
                        _ => {
                            return Err(EvalError::at(
                                span,
                                "tonumber() base must be an integer from 2 to 36",
                            ))
                        }
                    },
                    None => 10,
                };
                to_number(&v[0], base)
            }
            "tostring" => {
                if v[0].is_null() {
                    return Ok(Value::Null);
                }
                match v.get(1).map(text).as_deref() {
                    None => Value::Str(match &v[0] {
                        Value::Bool(b) => if *b { "True" } else { "False" }.to_string(),
                        x => text(x),
                    }),
                    Some("commas") => match number(&v[0]) {
                        Some(n) => Value::Str(with_commas(n)),
                        None => Value::Str(text(&v[0])),
                    },
                    Some("hex") => match number(&v[0]) {
                        Some(n) => Value::Str(format!("0x{:X}", n.f() as i64)),
                        None => Value::Null,
                    },
                    Some("duration") => match number(&v[0]) {
                        Some(n) => Value::Str(duration(n.f())),
                        None => Value::Null,
                    },
                    Some(other) => {
                        return Err(EvalError::at(
                            span,
                            format!("tostring() format must be \"commas\", \"hex\" or \"duration\", got {other:?}"),
                        ))
                    }
                }
            }
            "strftime" => {
                if null_in {
                    return Ok(Value::Null);
                }
                let Some(t) = number(&v[0]) else {
                    return Ok(Value::Null);
                };
                match self.strftime(t.f(), &text(&v[1])) {
                    Some(s) => Value::Str(s),
                    None => Value::Null,
                }
            }
            "strptime" => {
                if null_in {
                    return Ok(Value::Null);
                }
                self.strptime(&text(&v[0]), &text(&v[1]))
            }
            "relative_time" => {
                if null_in {
                    return Ok(Value::Null);
                }
                let Some(t) = number(&v[0]) else {
                    return Ok(Value::Null);
                };
                let ns = (t.f() * 1e9) as i64;
                match loupe_event::reltime::resolve(&text(&v[1]), ns, &self.tz) {
                    Ok(r) => float_value(r as f64 / 1e9),
                    Err(_) => Value::Null,
                }
            }
            "cidrmatch" => {
                if null_in {
                    return Ok(Value::Null);
                }
                let cidr = text(&v[0]);
                let Some(net) = Cidr::parse(&cidr) else {
                    return Err(EvalError::at(
                        args[0].span(),
                        format!("cidrmatch(): invalid CIDR {cidr:?}"),
                    ));
                };
                Value::Bool(any_value(&v[1], |x| net.contains(&text(x))))
            }
            "json_extract" => {
                if v[0].is_null() {
                    return Ok(Value::Null);
                }
                let Ok(doc) = serde_json::from_str::<serde_json::Value>(&text(&v[0])) else {
                    return Ok(Value::Null);
                };
                if v.len() == 1 {
                    return Ok(json_value(&doc));
                }
                let mut out = Vec::new();
                for p in &v[1..] {
                    out.push(from_values(
                        json_path(&doc, &text(p))
                            .into_iter()
                            .map(json_value)
                            .collect(),
                    ));
                }
                if out.len() == 1 {
                    out.pop().unwrap_or(Value::Null)
                } else {
                    Value::Multi(out)
                }
            }
            other => {
                let env = crate::functions::Env {
                    now: self.now,
                    tz: &self.tz,
                    compiled: &self.ext,
                };
                return crate::functions::call(other, &v, args, span, row, &env);
            }
        })
    }

    /// `mvfilter(pred)`: keeps the values of the field named in `pred` for which it is true.
    fn mvfilter(&self, pred: &Expr, row: &dyn RowAccess, span: Span) -> Result<Value, EvalError> {
        let mut field = None;
        pred.walk(&mut |e| {
            if let (None, Expr::Field { name, .. }) = (&field, e) {
                field = Some(name.clone());
            }
        });
        let Some(name) = field else {
            return Err(EvalError::at(
                span,
                "mvfilter() needs an expression that uses a field",
            ));
        };
        let current = row.field(&name).map(Cow::into_owned).unwrap_or(Value::Null);
        let mut kept = Vec::new();
        for x in values(current) {
            let overlay = Overlay {
                row,
                name: &name,
                value: &x,
            };
            if truthy(&self.ev(pred, &overlay)?) {
                kept.push(x);
            }
        }
        Ok(from_values(kept))
    }

    /// `mvmap(field, expr)`: evaluates `expr` once per value of `field`, with `field`
    /// bound to that value.
    fn mvmap(
        &self,
        target: &Expr,
        f: &Expr,
        row: &dyn RowAccess,
        span: Span,
    ) -> Result<Value, EvalError> {
        let Expr::Field { name, .. } = target else {
            return Err(EvalError::at(
                span,
                "mvmap() takes a field name as its first argument",
            ));
        };
        let current = row.field(name).map(Cow::into_owned).unwrap_or(Value::Null);
        let mut out = Vec::new();
        for x in values(current) {
            let overlay = Overlay {
                row,
                name,
                value: &x,
            };
            let v = self.ev(f, &overlay)?;
            if !v.is_null() {
                out.push(v);
            }
        }
        Ok(from_values(out))
    }

    fn strftime(&self, seconds: f64, fmt: &str) -> Option<String> {
        // f64 epoch seconds carry about 0.2 µs of precision today: round to microseconds.
        let ns = (seconds * 1e6).round() as i128 * 1000;
        let ts = Timestamp::from_nanosecond(ns).ok()?;
        let zdt = ts.to_zoned_datetime(self.tz.clone());
        jiff::fmt::strtime::format(splunk_time_format(fmt), &zdt).ok()
    }

    fn strptime(&self, s: &str, fmt: &str) -> Value {
        use jiff::fmt::strtime::BrokenDownTime;
        let fmt = splunk_time_format(fmt);
        let Ok((bdt, _)) = BrokenDownTime::parse_prefix(&fmt, s) else {
            return Value::Null;
        };
        if bdt.offset().is_some() || bdt.timestamp().is_some() {
            if let Ok(ts) = bdt.to_timestamp() {
                return float_value(ts.as_nanosecond() as f64 / 1e9);
            }
        }
        let dt = match bdt.to_datetime() {
            Ok(dt) => dt,
            Err(_) => match bdt.to_date() {
                Ok(d) => d.to_datetime(jiff::civil::Time::midnight()),
                Err(_) => return Value::Null,
            },
        };
        match dt.to_zoned_datetime(self.tz.clone()) {
            Ok(z) => float_value(z.timestamp().as_nanosecond() as f64 / 1e9),
            Err(_) => Value::Null,
        }
    }
}

/// Splunk's time format extensions in jiff's syntax: `%3N`/`%6N`/`%9N` and `%Q`
/// (sub-seconds) become `%3f`-style directives.
fn splunk_time_format(fmt: &str) -> String {
    let mut out = String::with_capacity(fmt.len());
    let mut chars = fmt.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut width = String::new();
        while let Some(d) = chars.peek().copied().filter(char::is_ascii_digit) {
            width.push(d);
            chars.next();
        }
        match chars.next() {
            Some('N') => out.push_str(&format!(
                "%{}f",
                if width.is_empty() { "9" } else { &width }
            )),
            Some('Q') => out.push_str(&format!(
                "%{}f",
                if width.is_empty() { "3" } else { &width }
            )),
            Some(o) => {
                out.push('%');
                out.push_str(&width);
                out.push(o);
            }
            None => out.push('%'),
        }
    }
    out
}

/// Splunk replacement text (`\1` back-references) in the regex crate's syntax.
fn splunk_replacement(r: &str) -> String {
    let mut out = String::with_capacity(r.len());
    let mut chars = r.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '$' => out.push_str("$$"),
            '\\' if chars.peek().is_some_and(char::is_ascii_digit) => {
                let mut n = String::new();
                while let Some(d) = chars.peek().copied().filter(char::is_ascii_digit) {
                    n.push(d);
                    chars.next();
                }
                out.push_str(&format!("${{{n}}}"));
            }
            '\\' if chars.peek() == Some(&'\\') => {
                chars.next();
                out.push('\\');
            }
            c => out.push(c),
        }
    }
    out
}

fn url_decode(s: &str) -> String {
    let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => match (hex(b[i + 1]), hex(b[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn to_number(v: &Value, base: u32) -> Value {
    match v {
        Value::Int(_) | Value::Float(_) if base == 10 => v.clone(),
        Value::Bool(_) | Value::Null => Value::Null,
        Value::Multi(m) => m.first().map_or(Value::Null, |x| to_number(x, base)),
        other => {
            let s = text(other);
            let s = s.trim();
            if base == 10 {
                return parse_number(s).map_or(Value::Null, num_value);
            }
            let (neg, body) = match s.strip_prefix('-') {
                Some(b) => (true, b),
                None => (false, s.strip_prefix('+').unwrap_or(s)),
            };
            let body = if base == 16 {
                body.strip_prefix("0x")
                    .or_else(|| body.strip_prefix("0X"))
                    .unwrap_or(body)
            } else {
                body
            };
            match i64::from_str_radix(body, base) {
                Ok(n) => Value::Int(if neg { -n } else { n }),
                Err(_) => Value::Null,
            }
        }
    }
}

/// `1234567.891` -> `1,234,567.89` (two decimals kept for fractional numbers, as Splunk).
fn with_commas(n: Num) -> String {
    let (neg, int_part, frac) = match n {
        Num::Int(i) => (i < 0, i.unsigned_abs().to_string(), String::new()),
        Num::Float(f) => {
            let s = format!("{:.2}", f.abs());
            let (a, b) = s.split_once('.').unwrap_or((&s, "00"));
            let frac = b.trim_end_matches('0');
            let frac = if frac.is_empty() {
                String::new()
            } else {
                format!(".{b}")
            };
            (f < 0.0, a.to_string(), frac)
        }
    };
    let mut out = String::new();
    for (i, ch) in int_part.chars().enumerate() {
        if i > 0 && (int_part.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    format!("{}{out}{frac}", if neg { "-" } else { "" })
}

/// Seconds as `[D+]HH:MM:SS`, as `tostring(x, "duration")`.
fn duration(secs: f64) -> String {
    let neg = secs < 0.0;
    let total = secs.abs().floor() as u64;
    let (d, rem) = (total / 86_400, total % 86_400);
    let (h, m, s) = (rem / 3600, rem % 3600 / 60, rem % 60);
    let body = if d > 0 {
        format!("{d}+{h:02}:{m:02}:{s:02}")
    } else {
        format!("{h:02}:{m:02}:{s:02}")
    };
    if neg {
        format!("-{body}")
    } else {
        body
    }
}

/// An IPv4 or IPv6 network for `cidrmatch`.
struct Cidr {
    addr: u128,
    prefix: u32,
    v4: bool,
}

impl Cidr {
    fn parse(s: &str) -> Option<Cidr> {
        let (ip, prefix) = match s.trim().split_once('/') {
            Some((ip, p)) => (ip, Some(p.parse::<u32>().ok()?)),
            None => (s.trim(), None),
        };
        let addr: std::net::IpAddr = ip.parse().ok()?;
        let (addr, v4, max) = match addr {
            std::net::IpAddr::V4(a) => (u32::from(a) as u128, true, 32),
            std::net::IpAddr::V6(a) => (u128::from(a), false, 128),
        };
        let prefix = prefix.unwrap_or(max);
        (prefix <= max).then_some(Cidr { addr, prefix, v4 })
    }

    fn contains(&self, ip: &str) -> bool {
        let Ok(a) = ip.trim().parse::<std::net::IpAddr>() else {
            return false;
        };
        let (a, bits) = match (a, self.v4) {
            (std::net::IpAddr::V4(a), true) => (u32::from(a) as u128, 32),
            (std::net::IpAddr::V6(a), false) => (u128::from(a), 128),
            _ => return false,
        };
        if self.prefix == 0 {
            return true;
        }
        let shift = bits - self.prefix;
        (a >> shift) == (self.addr >> shift)
    }
}

/// JSON as an SPL value: scalars as themselves, objects and arrays as JSON text.
pub(crate) fn json_value(v: &serde_json::Value) -> Value {
    match v {
        serde_json::Value::String(s) => Value::Str(s.clone()),
        serde_json::Value::Object(_) | serde_json::Value::Array(_) => Value::Str(v.to_string()),
        other => Value::from_json(other),
    }
}

/// Splunk JSON paths: `a.b{0}.c`, `a{}.b` (every element), `{1}` at the root.
pub(crate) fn json_path<'a>(doc: &'a serde_json::Value, path: &str) -> Vec<&'a serde_json::Value> {
    let mut current = vec![doc];
    for seg in path.split('.').filter(|s| !s.is_empty()) {
        let (key, rest) = match seg.find('{') {
            Some(i) => (&seg[..i], &seg[i..]),
            None => (seg, ""),
        };
        let mut next = Vec::new();
        for node in current {
            let node = if key.is_empty() {
                Some(node)
            } else {
                node.get(key)
            };
            if let Some(n) = node {
                next.push(n);
            }
        }
        current = next;
        let mut rest = rest;
        while let Some(close) = rest.find('}') {
            let idx = &rest[1..close];
            rest = &rest[close + 1..];
            let mut next = Vec::new();
            for node in current {
                if let serde_json::Value::Array(items) = node {
                    if idx.is_empty() {
                        next.extend(items.iter());
                    } else if let Ok(i) = idx.parse::<i64>() {
                        let i = if i < 0 { items.len() as i64 + i } else { i };
                        if let Some(x) = usize::try_from(i).ok().and_then(|i| items.get(i)) {
                            next.push(x);
                        }
                    }
                }
            }
            current = next;
        }
    }
    current
}
