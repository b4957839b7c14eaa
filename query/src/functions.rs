//! Eval functions of SPL's second wave (`printf`, the JSON builders, hashes, `sigfig`,
//! `mvrange`, `spath`, `searchmatch`, `random`), kept apart from the core evaluator so
//! that each can be read, tested and extended on its own. The evaluator consults
//! [`FUNCTIONS`] for arities and hands every call it does not know to [`call`].

use crate::ast::{BinOp, Expr, Span};
use crate::eval::{
    float_value, from_values, json_path, json_value, map_values, number, parse_number, text,
    EvalError, Num, RowAccess,
};
use crate::ops::matcher::Matcher;
use loupe_event::Value;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// The functions of this module with their (min, max) arity; `usize::MAX` means variadic.
pub(crate) const FUNCTIONS: &[(&str, usize, usize)] = &[
    ("json_array", 0, usize::MAX),
    ("json_array_to_mv", 1, 1),
    ("json_keys", 1, 1),
    ("json_object", 0, usize::MAX),
    ("json_valid", 1, 1),
    ("md5", 1, 1),
    ("mvrange", 2, 3),
    ("printf", 1, usize::MAX),
    ("random", 0, 0),
    ("searchmatch", 1, 1),
    ("sha256", 1, 1),
    ("sha512", 1, 1),
    ("sigfig", 1, 1),
    ("spath", 2, 2),
    ("tojson", 1, 1),
];

/// Values one `mvrange` may produce: a mistyped step must not fill memory.
pub const MVRANGE_MAX: usize = 10_000;

/// Search strings of `searchmatch` compiled once per evaluator (they are nearly always literals).
/// Boxed: every evaluator carries one, most never use it, and evaluators sit inside enums.
#[derive(Debug, Default)]
pub(crate) struct Compiled {
    matchers: Box<Mutex<HashMap<String, Arc<Matcher>>>>,
}

impl Clone for Compiled {
    fn clone(&self) -> Self {
        Compiled::default()
    }
}

/// What a call needs from its evaluator.
pub(crate) struct Env<'a> {
    pub now: f64,
    pub tz: &'a jiff::tz::TimeZone,
    pub compiled: &'a Compiled,
}

/// Checks that can be made before any row is seen: a literal `searchmatch` string must
/// parse, a literal `printf` format must be valid.
pub(crate) fn check(name: &str, args: &[Expr]) -> Result<(), EvalError> {
    match (name, args.first()) {
        ("searchmatch", Some(Expr::Str { value, span })) => search_expr(value, *span).map(|_| ()),
        ("printf", Some(Expr::Str { value, span })) => {
            printf(value, &[]).map(|_| ()).map_err(|m| at(*span, m))
        }
        _ => Ok(()),
    }
}

fn at(span: Span, message: impl Into<String>) -> EvalError {
    EvalError::at(span, message)
}

fn search_expr(s: &str, span: Span) -> Result<crate::ast::SearchExpr, EvalError> {
    let p = crate::parse(&format!("search {s}"))
        .map_err(|e| at(span, format!("searchmatch(): {}", e.message)))?;
    match p.commands.into_iter().next().map(|c| c.kind) {
        Some(crate::ast::CommandKind::Search(se)) if !has_subsearch(&se) => Ok(se),
        Some(crate::ast::CommandKind::Search(_)) => {
            Err(at(span, "searchmatch(): subsearches are not supported"))
        }
        _ => Err(at(span, "searchmatch(): expected a search expression")),
    }
}

fn has_subsearch(s: &crate::ast::SearchExpr) -> bool {
    let mut found = false;
    s.walk_subsearches(&mut |_| found = true);
    found
}

/// `sigfig(x)` reads the operation its argument is made of, so it runs before the argument
/// is evaluated; `None` for every other function.
pub(crate) fn call_lazy(
    name: &str,
    args: &[Expr],
    eval: &dyn Fn(&Expr) -> Result<Value, EvalError>,
) -> Option<Result<Value, EvalError>> {
    (name == "sigfig").then(|| sigfig(&args[0], eval))
}

/// Evaluates function `name` over its evaluated arguments `v`.
pub(crate) fn call(
    name: &str,
    v: &[Value],
    args: &[Expr],
    span: Span,
    row: &dyn RowAccess,
    env: &Env<'_>,
) -> Result<Value, EvalError> {
    let arg = |i: usize| v.get(i).cloned().unwrap_or(Value::Null);
    Ok(match name {
        "printf" => {
            if v[0].is_null() {
                return Ok(Value::Null);
            }
            Value::Str(printf(&text(&v[0]), &v[1..]).map_err(|m| at(args[0].span(), m))?)
        }
        "tojson" => Value::Str(to_json(&v[0]).to_string()),
        "json_object" => {
            if !v.len().is_multiple_of(2) {
                return Err(at(span, "json_object() takes key/value pairs"));
            }
            let mut map = serde_json::Map::new();
            for pair in v.chunks(2) {
                if pair[0].is_null() {
                    return Err(at(span, "json_object(): a key is null"));
                }
                map.insert(text(&pair[0]), to_json(&pair[1]));
            }
            Value::Str(serde_json::Value::Object(map).to_string())
        }
        "json_array" => {
            Value::Str(serde_json::Value::Array(v.iter().map(to_json).collect()).to_string())
        }
        "json_valid" => Value::Bool(
            !v[0].is_null() && serde_json::from_str::<serde_json::Value>(&text(&v[0])).is_ok(),
        ),
        "json_keys" => match parse_json(&v[0]) {
            Some(serde_json::Value::Object(m)) => Value::Str(
                serde_json::Value::Array(
                    m.keys().cloned().map(serde_json::Value::String).collect(),
                )
                .to_string(),
            ),
            _ => Value::Null,
        },
        "json_array_to_mv" => match parse_json(&v[0]) {
            Some(serde_json::Value::Array(items)) => {
                from_values(items.iter().map(json_value).collect())
            }
            _ => Value::Null,
        },
        "spath" => {
            if v[0].is_null() || v[1].is_null() {
                return Ok(Value::Null);
            }
            match parse_json(&v[0]) {
                Some(doc) => from_values(
                    json_path(&doc, &text(&v[1]))
                        .into_iter()
                        .map(json_value)
                        .collect(),
                ),
                None => Value::Null,
            }
        }
        "md5" => map_values(arg(0), |x| {
            Value::Str(format!("{:x}", md5::compute(text(x))))
        }),
        "sha256" => map_values(arg(0), |x| {
            use sha2::Digest;
            Value::Str(hex(&sha2::Sha256::digest(text(x).as_bytes())))
        }),
        "sha512" => map_values(arg(0), |x| {
            use sha2::Digest;
            Value::Str(hex(&sha2::Sha512::digest(text(x).as_bytes())))
        }),
        "mvrange" => mvrange(v, span)?,
        "random" => Value::Int(random()),
        "searchmatch" => {
            if v[0].is_null() {
                return Ok(Value::Null);
            }
            let m = matcher(&text(&v[0]), args[0].span(), env)?;
            let Some(r) = row.as_row() else {
                return Ok(Value::Bool(false));
            };
            Value::Bool(m.matches(&r))
        }
        other => return Err(at(span, format!("unknown function `{other}`"))),
    })
}

fn matcher(s: &str, span: Span, env: &Env<'_>) -> Result<Arc<Matcher>, EvalError> {
    let mut cache = env
        .compiled
        .matchers
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    if let Some(m) = cache.get(s) {
        return Ok(m.clone());
    }
    let se = search_expr(s, span)?;
    let m = Arc::new(
        Matcher::compile(&se, env.now, env.tz)
            .map_err(|e| at(span, format!("searchmatch(): {e}")))?,
    );
    if cache.len() >= 256 {
        cache.clear();
    }
    cache.insert(s.to_string(), m.clone());
    Ok(m)
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

fn parse_json(v: &Value) -> Option<serde_json::Value> {
    if v.is_null() {
        return None;
    }
    serde_json::from_str(&text(v)).ok()
}

/// An SPL value as JSON: numbers (numeric strings too) as numbers, multi-values as arrays,
/// and text that is itself a JSON object or array (what `json_object` returns) nested as
/// JSON, so builders compose.
fn to_json(v: &Value) -> serde_json::Value {
    match v {
        Value::Null => serde_json::Value::Null,
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::Int(i) => serde_json::Value::from(*i),
        Value::Float(f) => serde_json::Number::from_f64(*f)
            .map_or(serde_json::Value::Null, serde_json::Value::Number),
        Value::Multi(m) => serde_json::Value::Array(m.iter().map(to_json).collect()),
        Value::Str(s) => {
            let t = s.trim_start();
            if t.starts_with('{') || t.starts_with('[') {
                if let Ok(j) = serde_json::from_str::<serde_json::Value>(s) {
                    if j.is_object() || j.is_array() {
                        return j;
                    }
                }
            }
            match parse_number(s) {
                Some(Num::Int(i)) if i.to_string() == s.as_str() => serde_json::Value::from(i),
                Some(Num::Float(f)) if f.to_string() == s.as_str() => {
                    serde_json::Number::from_f64(f).map_or(
                        serde_json::Value::String(s.clone()),
                        serde_json::Value::Number,
                    )
                }
                _ => serde_json::Value::String(s.clone()),
            }
        }
    }
}

fn random() -> i64 {
    static STATE: AtomicU64 = AtomicU64::new(0);
    let seed = STATE.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed);
    let seed = if seed == 0 {
        let t = jiff::Timestamp::now().as_nanosecond() as u64;
        STATE.store(t, Ordering::Relaxed);
        t
    } else {
        seed
    };
    // splitmix64: good enough for sampling, which is what searches use random() for.
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z & 0x7FFF_FFFF) as i64
}

fn mvrange(v: &[Value], span: Span) -> Result<Value, EvalError> {
    let (Some(start), Some(end)) = (number(&v[0]), number(&v[1])) else {
        return Ok(Value::Null);
    };
    let step = match v.get(2) {
        None => 1.0,
        Some(s) => match number(s) {
            Some(n) => n.f(),
            None => match crate::ops::parse_time_span(&text(s)) {
                Some(secs) => secs,
                None => {
                    return Err(at(
                        span,
                        format!(
                            "mvrange(): step {:?} is neither a number nor a time span",
                            text(s)
                        ),
                    ))
                }
            },
        },
    };
    if step == 0.0 || !step.is_finite() {
        return Err(at(span, "mvrange(): the step must not be 0"));
    }
    let (a, b) = (start.f(), end.f());
    let count = ((b - a) / step).ceil();
    if count > MVRANGE_MAX as f64 {
        return Err(at(
            span,
            format!("mvrange(): more than {MVRANGE_MAX} values"),
        ));
    }
    let ints = matches!((start, end), (Num::Int(_), Num::Int(_))) && step.fract() == 0.0;
    let mut out = Vec::new();
    let mut x = a;
    let mut i = 0.0;
    while (step > 0.0 && x < b) || (step < 0.0 && x > b) {
        out.push(if ints {
            Value::Int(x as i64)
        } else {
            float_value(x)
        });
        i += 1.0;
        x = a + i * step;
    }
    Ok(from_values(out))
}

// ---------------------------------------------------------------- sigfig

/// `sigfig(a*b)`: the result of a multiplication or division keeps as many significant
/// figures as its least precise operand; that of an addition or subtraction as many
/// decimals as its least precise operand (Splunk's rule). Anything else is returned as is.
fn sigfig(e: &Expr, eval: &dyn Fn(&Expr) -> Result<Value, EvalError>) -> Result<Value, EvalError> {
    let Expr::Binary {
        op, left, right, ..
    } = e
    else {
        return eval(e);
    };
    let (a, b) = (eval(left)?, eval(right)?);
    let result = eval(e)?;
    let Some(r) = number(&result) else {
        return Ok(Value::Null);
    };
    let r = r.f();
    let (Some(ta), Some(tb)) = (numeric_text(&a), numeric_text(&b)) else {
        return Ok(result);
    };
    Ok(match op {
        BinOp::Mul | BinOp::Div => {
            let figs = significant_figures(&ta).min(significant_figures(&tb));
            round_figures(r, figs)
        }
        BinOp::Add | BinOp::Sub => {
            let d = decimals(&ta).min(decimals(&tb));
            Value::Str(format!("{r:.d$}"))
        }
        _ => result,
    })
}

fn numeric_text(v: &Value) -> Option<String> {
    let t = text(v);
    parse_number(&t).map(|_| t.trim().to_string())
}

/// Significant figures of a number as written: leading zeros never count, trailing zeros
/// of a whole number without a decimal point do not either.
fn significant_figures(s: &str) -> usize {
    let s = s.trim_start_matches(['-', '+']);
    let mant = s.split(['e', 'E']).next().unwrap_or(s);
    let digits: String = mant.chars().filter(char::is_ascii_digit).collect();
    let digits = digits.trim_start_matches('0');
    let n = if mant.contains('.') {
        digits.len()
    } else {
        digits.trim_end_matches('0').len()
    };
    n.max(1)
}

fn decimals(s: &str) -> usize {
    match s.split_once('.') {
        Some((_, frac)) => frac.chars().take_while(char::is_ascii_digit).count(),
        None => 0,
    }
}

fn round_figures(x: f64, figs: usize) -> Value {
    if x == 0.0 {
        return Value::Int(0);
    }
    let magnitude = x.abs().log10().floor() as i32;
    let places = figs as i32 - 1 - magnitude;
    if places <= 0 {
        let m = 10f64.powi(-places);
        float_value((x / m).round() * m)
    } else {
        Value::Str(format!("{x:.p$}", p = places as usize))
    }
}

// ---------------------------------------------------------------- printf

/// C's `printf` as Splunk's eval has it: `%[flags][width][.precision]conversion` with
/// flags `- + space 0 # '` (the last one groups thousands), `*` widths, and the
/// conversions `d i u o x X f F e E g G s c %`.
pub(crate) fn printf(fmt: &str, args: &[Value]) -> Result<String, String> {
    let mut out = String::with_capacity(fmt.len() + 16);
    let mut chars = fmt.chars().peekable();
    let mut next = 0usize;
    let take = |next: &mut usize| {
        let v = args.get(*next).cloned().unwrap_or(Value::Null);
        *next += 1;
        v
    };
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut spec = Spec::default();
        while let Some(&f) = chars.peek() {
            match f {
                '-' => spec.left = true,
                '+' => spec.plus = true,
                ' ' => spec.space = true,
                '0' => spec.zero = true,
                '#' => spec.alt = true,
                '\'' => spec.group = true,
                _ => break,
            }
            chars.next();
        }
        if chars.peek() == Some(&'*') {
            chars.next();
            let w = number(&take(&mut next)).map_or(0, |n| n.f() as i64);
            if w < 0 {
                spec.left = true;
            }
            spec.width = w.unsigned_abs() as usize;
        } else {
            spec.width = digits(&mut chars);
        }
        if chars.peek() == Some(&'.') {
            chars.next();
            if chars.peek() == Some(&'*') {
                chars.next();
                spec.precision = number(&take(&mut next)).map(|n| n.f().max(0.0) as usize);
            } else {
                spec.precision = Some(digits(&mut chars));
            }
        }
        // Length modifiers (`%ld`, `%lld`, `%hd`) mean nothing here.
        while chars
            .peek()
            .is_some_and(|c| matches!(c, 'l' | 'h' | 'q' | 'L' | 'j' | 'z' | 't'))
        {
            chars.next();
        }
        let Some(conv) = chars.next() else {
            return Err("printf(): the format ends inside a `%` conversion".into());
        };
        let body = match conv {
            '%' => {
                out.push('%');
                continue;
            }
            'd' | 'i' | 'u' => {
                let v = take(&mut next);
                match number(&v) {
                    Some(n) => {
                        let i = match n {
                            Num::Int(i) => i,
                            Num::Float(f) => f.trunc() as i64,
                        };
                        let mut d = i.unsigned_abs().to_string();
                        if let Some(p) = spec.precision {
                            while d.len() < p {
                                d.insert(0, '0');
                            }
                        }
                        if spec.group {
                            d = group(&d);
                        }
                        spec.signed(i < 0, d)
                    }
                    None => String::new(),
                }
            }
            'o' | 'x' | 'X' => {
                let v = take(&mut next);
                match number(&v) {
                    Some(n) => {
                        let i = match n {
                            Num::Int(i) => i,
                            Num::Float(f) => f.trunc() as i64,
                        };
                        let (digits, prefix) = match conv {
                            'o' => (format!("{:o}", i), "0"),
                            'x' => (format!("{:x}", i), "0x"),
                            _ => (format!("{:X}", i), "0X"),
                        };
                        if spec.alt && i != 0 {
                            format!("{prefix}{digits}")
                        } else {
                            digits
                        }
                    }
                    None => String::new(),
                }
            }
            'f' | 'F' | 'e' | 'E' | 'g' | 'G' => {
                let v = take(&mut next);
                match number(&v) {
                    Some(n) => {
                        let x = n.f();
                        let p = spec.precision.unwrap_or(6);
                        let mut d = match conv {
                            'f' | 'F' => format!("{:.p$}", x.abs()),
                            'e' | 'E' => exponent(x.abs(), p, conv == 'E'),
                            _ => general(x.abs(), p, spec.alt, conv == 'G'),
                        };
                        if spec.group {
                            let (int, frac) = match d.find(|c: char| !c.is_ascii_digit()) {
                                Some(i) => d.split_at(i),
                                None => (d.as_str(), ""),
                            };
                            d = format!("{}{frac}", group(int));
                        }
                        spec.signed(x < 0.0, d)
                    }
                    None => String::new(),
                }
            }
            's' => {
                let v = take(&mut next);
                let s = text(&v);
                match spec.precision {
                    Some(p) => s.chars().take(p).collect(),
                    None => s,
                }
            }
            'c' => {
                let v = take(&mut next);
                match &v {
                    Value::Int(i) => u32::try_from(*i)
                        .ok()
                        .and_then(char::from_u32)
                        .map(String::from)
                        .unwrap_or_default(),
                    other => text(other)
                        .chars()
                        .next()
                        .map(String::from)
                        .unwrap_or_default(),
                }
            }
            other => return Err(format!("printf(): unsupported conversion `%{other}`")),
        };
        spec.pad(
            &mut out,
            body,
            matches!(
                conv,
                'd' | 'i' | 'u' | 'o' | 'x' | 'X' | 'f' | 'F' | 'e' | 'E' | 'g' | 'G'
            ),
        );
    }
    Ok(out)
}

#[derive(Default)]
struct Spec {
    left: bool,
    plus: bool,
    space: bool,
    zero: bool,
    alt: bool,
    group: bool,
    width: usize,
    precision: Option<usize>,
}

impl Spec {
    fn signed(&self, negative: bool, digits: String) -> String {
        let sign = if negative {
            "-"
        } else if self.plus {
            "+"
        } else if self.space {
            " "
        } else {
            ""
        };
        format!("{sign}{digits}")
    }

    fn pad(&self, out: &mut String, body: String, numeric: bool) {
        let len = body.chars().count();
        if len >= self.width {
            out.push_str(&body);
        } else if self.left {
            out.push_str(&body);
            out.extend(std::iter::repeat_n(' ', self.width - len));
        } else if self.zero && numeric {
            // Zeros go between the sign and the digits.
            let (sign, rest) = match body.chars().next() {
                Some(c @ ('-' | '+' | ' ')) => (c.to_string(), body[1..].to_string()),
                _ => (String::new(), body.clone()),
            };
            out.push_str(&sign);
            out.extend(std::iter::repeat_n('0', self.width - len));
            out.push_str(&rest);
        } else {
            out.extend(std::iter::repeat_n(' ', self.width - len));
            out.push_str(&body);
        }
    }
}

fn digits(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> usize {
    let mut n = 0usize;
    while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
        n = n.saturating_mul(10).saturating_add(d as usize);
        chars.next();
    }
    n.min(1 << 16)
}

fn group(int: &str) -> String {
    let mut out = String::with_capacity(int.len() + int.len() / 3);
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// `%e`: one digit, `p` decimals, and an exponent of at least two digits with its sign.
fn exponent(x: f64, p: usize, upper: bool) -> String {
    let s = format!("{x:.p$e}");
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let e: i32 = exp.parse().unwrap_or(0);
    let sign = if e < 0 { '-' } else { '+' };
    let out = format!("{mant}e{sign}{:02}", e.unsigned_abs());
    if upper {
        out.to_uppercase()
    } else {
        out
    }
}

/// `%g`: `%e` or `%f`, whichever C would pick, trailing zeros removed unless `#`.
fn general(x: f64, p: usize, alt: bool, upper: bool) -> String {
    let p = p.max(1);
    let e = if x == 0.0 {
        0
    } else {
        // The exponent after rounding to p figures.
        let s = format!("{x:.prec$e}", prec = p - 1);
        s.split_once('e')
            .and_then(|(_, e)| e.parse::<i32>().ok())
            .unwrap_or(0)
    };
    let mut s = if e < -4 || e >= p as i32 {
        exponent(x, p - 1, upper)
    } else {
        format!("{x:.prec$}", prec = (p as i32 - 1 - e).max(0) as usize)
    };
    if !alt {
        let (mant, exp) = match s.find(['e', 'E']) {
            Some(i) => (s[..i].to_string(), s[i..].to_string()),
            None => (s.clone(), String::new()),
        };
        let mant = if mant.contains('.') {
            mant.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            mant
        };
        s = format!("{mant}{exp}");
    }
    s
}
