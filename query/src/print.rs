//! Canonical SPL printer: `Display` for [`Pipeline`], [`Command`], [`SearchExpr`] and
//! [`Expr`]. Printing then parsing again gives the same tree (spans aside), which is
//! what the corpus round-trip test checks; the planner also uses it to show plans.

use crate::ast::*;
use crate::lexer::{is_field_char, is_ident_char, is_ident_start, Cursor};
use std::fmt::{self, Display, Formatter, Write};

/// Words that must be quoted when they are field names, because some command reads them
/// as keywords.
const ARG_KEYWORDS: &[&str] = &[
    "as",
    "by",
    "over",
    "output",
    "outputnew",
    "groupby",
    "sortby",
    "where",
    "and",
    "or",
    "not",
    "in",
    "like",
    "xor",
];

/// `"text"` with `"` and the backslashes that need it escaped.
pub(crate) fn quote(s: &str) -> String {
    quote_with(s, '"')
}

fn quote_with(s: &str, q: char) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push(q);
    let chars: Vec<char> = s.chars().collect();
    for (i, &ch) in chars.iter().enumerate() {
        // In 'names', `"` and `` ` `` are escaped too, so the comment pass (which skips only
        // "strings") sees no quote or ``` in them.
        let escaped = |c: char| c == q || (q == '\'' && matches!(c, '"' | '`'));
        if escaped(ch) {
            out.push('\\');
            out.push(ch);
        } else if ch == '\\' {
            // A lone backslash survives parsing unless followed by `\`, an escaped character,
            // or the end.
            match chars.get(i + 1) {
                None => out.push_str("\\\\"),
                Some(&n) if n == '\\' || escaped(n) => out.push_str("\\\\"),
                _ => out.push('\\'),
            }
        } else {
            out.push(ch);
        }
    }
    out.push(q);
    out
}

fn parens_balanced(s: &str) -> bool {
    let mut depth = 0i64;
    for ch in s.chars() {
        match ch {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth < 0 {
                    return false;
                }
            }
            _ => {}
        }
    }
    depth == 0
}

/// Ends a subsearch. The blank before `]` keeps a bare last argument (`spath [(`) from reading
/// the bracket as part of itself.
fn close_subsearch(f: &mut impl std::fmt::Write) -> std::fmt::Result {
    f.write_str(" ]")
}

/// A field name in command arguments: bare when the argument reader gives it back
/// unchanged, quoted otherwise.
pub(crate) fn field(s: &str) -> String {
    let plain = !s.is_empty()
        && !s.contains("```")
        && s.chars().all(|c| is_field_char(c) || c == '(' || c == ')')
        && !s.starts_with(['\'', '-', '+', '('])
        && !s.ends_with('\\')
        && !s.contains("\\\\")
        && parens_balanced(s)
        && !s.bytes().all(|b| b.is_ascii_digit())
        && !ARG_KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(s));
    if plain {
        s.to_string()
    } else {
        quote(s)
    }
}

/// An option or positional value: bare when the raw-word reader gives it back unchanged
/// (`span=1h`, `tokenizer=(\S+)`, `startswith=(a="b c")`), quoted otherwise.
pub(crate) fn value(s: &str) -> String {
    let bare = !s.is_empty() && !s.starts_with(['"', '=']) && !s.contains("```") && {
        // Read it back as the parser would, followed by a blank and more text, as the printer
        // may put after it (an open parenthesis would run on to a later closing one).
        let padded = format!("{s} x)");
        let mut c = Cursor::new(&padded);
        matches!(c.value(), Ok((v, false, span)) if v == s && span.end == s.len())
    };
    if bare {
        s.to_string()
    } else {
        quote(s)
    }
}

/// A positional argument (a table name): like [`value`], but never mistakable for `key=value`.
fn positional(s: &str) -> String {
    if Cursor::new(s).peek_option_key().is_some() {
        quote(s)
    } else {
        value(s)
    }
}

/// A value of a `field=value` search term or of an `IN` list.
fn search_value(s: &str, extra_stops: &[char]) -> String {
    let plain = !s.is_empty()
        && !s.contains("```")
        && !s.chars().any(|c| {
            c.is_whitespace()
                || matches!(c, '"' | '|' | '[' | ']' | '(' | ')')
                || extra_stops.contains(&c)
        })
        && !s.ends_with('\\');
    if plain {
        s.to_string()
    } else {
        quote(s)
    }
}

/// A field name on the left of a search comparison.
fn search_field(s: &str) -> String {
    let plain = !s.is_empty()
        && !s.contains("```")
        && !s.chars().any(|c| {
            c.is_whitespace() || matches!(c, '"' | '|' | '[' | ']' | '(' | ')' | '=' | '<' | '>')
        })
        && !s.ends_with(['\\', '!'])
        && !s.contains("!=")
        && !matches!(s, "OR" | "AND" | "NOT");
    if plain {
        s.to_string()
    } else {
        quote(s)
    }
}

/// A field reference inside an expression: bare identifier or `'quoted'`.
fn expr_field(s: &str) -> String {
    let mut chars = s.chars().peekable();
    let mut plain = chars.next().is_some_and(is_ident_start);
    while let Some(c) = chars.next() {
        let ok = is_ident_char(c) || (c == '.' && chars.peek().is_some_and(|&n| is_ident_char(n)));
        if !ok {
            plain = false;
            break;
        }
    }
    let lower = s.to_ascii_lowercase();
    if plain
        && !matches!(
            lower.as_str(),
            "and" | "or" | "xor" | "not" | "like" | "in" | "true" | "false"
        )
    {
        s.to_string()
    } else {
        quote_with(s, '\'')
    }
}

fn expr_prec(e: &Expr) -> u8 {
    match e {
        Expr::Or { .. } => 1,
        Expr::And { .. } => 3,
        Expr::Binary { op, .. } => op.precedence(),
        Expr::In { .. } => 5,
        Expr::Subsearch { .. } => 9,
        Expr::Unary {
            op: UnaryOp::Not, ..
        } => 4,
        Expr::Unary {
            op: UnaryOp::Neg, ..
        } => 8,
        _ => 9,
    }
}

fn write_expr(f: &mut Formatter<'_>, e: &Expr, min: u8) -> fmt::Result {
    let p = expr_prec(e);
    if p < min {
        f.write_char('(')?;
        write_expr(f, e, 0)?;
        return f.write_char(')');
    }
    match e {
        Expr::Str { value, .. } => f.write_str(&quote(value)),
        Expr::Int { value, .. } => write!(f, "{value}"),
        Expr::Float { value, .. } => {
            if value.is_finite() {
                write!(f, "{value:?}")
            } else {
                write!(f, "{}", if *value > 0.0 { "1e999" } else { "(-1e999)" })
            }
        }
        Expr::Bool { value, .. } => write!(f, "{value}"),
        Expr::Field { name, .. } => f.write_str(&expr_field(name)),
        Expr::And { items, .. } | Expr::Or { items, .. } => {
            let sep = if p == 1 { " OR " } else { " AND " };
            for (i, x) in items.iter().enumerate() {
                if i > 0 {
                    f.write_str(sep)?;
                }
                write_expr(f, x, p + 1)?;
            }
            Ok(())
        }
        Expr::Unary {
            op: UnaryOp::Not,
            expr,
            ..
        } => {
            f.write_str("NOT ")?;
            write_expr(f, expr, 5)
        }
        Expr::Unary {
            op: UnaryOp::Neg,
            expr,
            ..
        } => {
            f.write_char('-')?;
            write_expr(f, expr, 8)
        }
        Expr::Binary {
            op, left, right, ..
        } => {
            write_expr(f, left, p)?;
            write!(f, " {} ", op.symbol())?;
            write_expr(f, right, p + 1)
        }
        Expr::Call { name, args, .. } => {
            write!(f, "{name}(")?;
            for (i, a) in args.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write_expr(f, a, 0)?;
            }
            f.write_char(')')
        }
        Expr::Subsearch { pipeline, .. } => {
            f.write_str("[")?;
            write_pipeline(f, pipeline, true)?;
            close_subsearch(f)
        }
        Expr::In { expr, list, .. } => {
            write_expr(f, expr, 5)?;
            f.write_str(" IN (")?;
            for (i, a) in list.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write_expr(f, a, 0)?;
            }
            f.write_char(')')
        }
    }
}

impl Display for Expr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write_expr(f, self, 0)
    }
}

fn is_group(e: &SearchExpr) -> bool {
    matches!(e, SearchExpr::And(_) | SearchExpr::Or(_))
}

fn write_search_item(f: &mut Formatter<'_>, e: &SearchExpr, group_parens: bool) -> fmt::Result {
    if group_parens && is_group(e) {
        write!(f, "({e})")
    } else {
        write!(f, "{e}")
    }
}

impl Display for SearchExpr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            SearchExpr::All => f.write_char('*'),
            SearchExpr::And(items) => {
                for (i, e) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_char(' ')?;
                    }
                    // OR binds tighter than AND in search, so only nested ANDs need parentheses.
                    write_search_item(f, e, matches!(e, SearchExpr::And(_)))?;
                }
                Ok(())
            }
            SearchExpr::Or(items) => {
                for (i, e) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" OR ")?;
                    }
                    write_search_item(f, e, true)?;
                }
                Ok(())
            }
            SearchExpr::Not(e) => {
                f.write_str("NOT ")?;
                write_search_item(f, e, true)
            }
            // A term made of an operator (`=`, `<x>`) is parenthesised so it cannot
            // attach to the word before it as a comparison; the same for a term `IN`,
            // which would read as `field IN (...)` before a group.
            SearchExpr::Term { text, .. }
                if text.starts_with(['=', '<', '>'])
                    || text.starts_with("!=")
                    || text.eq_ignore_ascii_case("in") =>
            {
                write!(f, "({text})")
            }
            SearchExpr::Term { text, .. } => f.write_str(text),
            SearchExpr::Phrase { text, .. } => f.write_str(&quote(text)),
            SearchExpr::Field {
                field,
                op,
                value,
                quoted,
                ..
            } => {
                let op = match op {
                    CmpOp::Eq => "=",
                    CmpOp::Ne => "!=",
                    CmpOp::Lt => "<",
                    CmpOp::Le => "<=",
                    CmpOp::Gt => ">",
                    CmpOp::Ge => ">=",
                };
                let v = if *quoted {
                    quote(value)
                } else if value.starts_with(['=', '<', '>', '!']) {
                    // `x= =y` must not print as `x==y`.
                    format!(" {value}")
                } else {
                    value.clone()
                };
                write!(f, "{}{op}{v}", search_field(field))
            }
            SearchExpr::FieldIn { field, values, .. } => {
                write!(f, "{} IN (", search_field(field))?;
                for (i, v) in values.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    f.write_str(&search_value(v, &[',']))?;
                }
                f.write_char(')')
            }
            SearchExpr::TimeBound { bound, value, .. } => {
                // `latest==-1h` would read back as the comparison `==`: quote such values.
                let v = if value.starts_with(['=', '<', '>', '!']) {
                    quote(value)
                } else {
                    search_value(value, &[])
                };
                write!(f, "{}={v}", bound.keyword())
            }
            SearchExpr::Subsearch { pipeline, .. } => {
                f.write_char('[')?;
                write_pipeline(f, pipeline, true)?;
                close_subsearch(f)
            }
        }
    }
}

fn write_pipeline(f: &mut Formatter<'_>, p: &Pipeline, sub: bool) -> fmt::Result {
    for (i, c) in p.commands.iter().enumerate() {
        if i == 0 {
            match &c.kind {
                CommandKind::Search(e) if !sub => {
                    let text = e.to_string();
                    let first = text.split_whitespace().next().unwrap_or("");
                    if first.eq_ignore_ascii_case("search") {
                        f.write_str("search ")?;
                    }
                    f.write_str(&text)?;
                }
                CommandKind::Search(_) => write!(f, "{c}")?,
                _ => write!(f, "| {c}")?,
            }
        } else {
            write!(f, " | {c}")?;
        }
    }
    Ok(())
}

impl Display for Pipeline {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write_pipeline(f, self, false)
    }
}

fn opts(out: &mut String, options: &[CmdOption]) {
    for o in options {
        let _ = write!(out, " {}={}", o.key, value(&o.value));
    }
}

fn list(out: &mut String, fields: &[String], sep: &str) {
    for (i, x) in fields.iter().enumerate() {
        if i > 0 {
            out.push_str(sep);
        }
        out.push_str(&field(x));
    }
}

fn sort_key(k: &SortKey) -> String {
    let sign = if k.desc { "-" } else { "" };
    // A bare `d`/`desc` would read as "reverse the order", a leading number as the limit.
    let name = if k.field.eq_ignore_ascii_case("d")
        || k.field.eq_ignore_ascii_case("desc")
        || k.field.starts_with(|c: char| c.is_ascii_digit())
    {
        quote(&k.field)
    } else {
        field(&k.field)
    };
    match &k.func {
        Some(func) => format!("{sign}{func}({name})"),
        None => format!("{sign}{name}"),
    }
}

fn agg(a: &AggCall) -> String {
    let mut s = a.func.clone();
    match &a.arg {
        Some(Expr::Field { name, .. }) => {
            let _ = write!(s, "({})", field(name));
        }
        Some(e) => {
            let _ = write!(s, "({e})");
        }
        None => {}
    }
    if let Some(alias) = &a.alias {
        let _ = write!(s, " AS {}", field(alias));
    }
    s
}

fn aggs(out: &mut String, funcs: &[AggCall]) {
    for (i, a) in funcs.iter().enumerate() {
        out.push_str(if i > 0 { ", " } else { " " });
        out.push_str(&agg(a));
    }
}

fn field_map(m: &FieldMap) -> String {
    match &m.alias {
        Some(a) => format!("{} AS {}", field(&m.field), field(a)),
        None => field(&m.field),
    }
}

impl Display for Command {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let mut s = self.name.clone();
        match &self.kind {
            CommandKind::Search(e) => {
                let _ = write!(s, " {e}");
            }
            CommandKind::Where(e) => {
                let _ = write!(s, " {e}");
            }
            CommandKind::Eval(v) | CommandKind::Fieldformat(v) => {
                for (i, (name, e)) in v.iter().enumerate() {
                    s.push_str(if i > 0 { ", " } else { " " });
                    let plain = !name.is_empty()
                        && !name.contains("```")
                        && !name.starts_with('\'')
                        && !name.chars().any(|c| {
                            c.is_whitespace()
                                || matches!(c, '=' | ',' | '|' | ']' | '"' | '(' | ')')
                        });
                    let n = if plain { name.clone() } else { quote(name) };
                    let _ = write!(s, "{n}={e}");
                }
            }
            CommandKind::Rex(r) => {
                if let Some(fl) = &r.field {
                    let _ = write!(s, " field={}", value(fl));
                }
                opts(&mut s, &r.options);
                let _ = write!(s, " {}", quote(&r.pattern));
            }
            CommandKind::Fields(x) => {
                if x.remove {
                    s.push_str(" -");
                }
                s.push(' ');
                list(&mut s, &x.fields, ", ");
            }
            CommandKind::Table(fields) => {
                s.push(' ');
                list(&mut s, fields, ", ");
            }
            CommandKind::Rename(pairs) => {
                for (i, (a, b)) in pairs.iter().enumerate() {
                    s.push_str(if i > 0 { ", " } else { " " });
                    let _ = write!(s, "{} AS {}", field(a), field(b));
                }
            }
            CommandKind::Sort(x) => {
                if let Some(n) = x.limit {
                    let _ = write!(s, " {n}");
                }
                for (i, k) in x.keys.iter().enumerate() {
                    s.push_str(if i > 0 { ", " } else { " " });
                    s.push_str(&sort_key(k));
                }
                if x.reverse {
                    s.push_str(" d");
                }
            }
            CommandKind::Head(h) => {
                match &h.expr {
                    Some(e) => {
                        let _ = write!(s, " limit={} ({e})", h.limit);
                    }
                    None => {
                        let _ = write!(s, " {}", h.limit);
                    }
                }
                opts(&mut s, &h.options);
            }
            CommandKind::Tail(t) => {
                let _ = write!(s, " {}", t.limit);
            }
            CommandKind::Dedup(d) => {
                if let Some(n) = d.limit {
                    let _ = write!(s, " {n}");
                }
                s.push(' ');
                list(&mut s, &d.fields, ", ");
                opts(&mut s, &d.options);
                if !d.sortby.is_empty() {
                    s.push_str(" sortby");
                    for (i, k) in d.sortby.iter().enumerate() {
                        s.push_str(if i > 0 { ", " } else { " " });
                        s.push_str(&sort_key(k));
                    }
                }
            }
            CommandKind::Stats(x) | CommandKind::Eventstats(x) | CommandKind::Streamstats(x) => {
                opts(&mut s, &x.options);
                aggs(&mut s, &x.funcs);
                if !x.by.is_empty() {
                    s.push_str(" BY ");
                    list(&mut s, &x.by, ", ");
                }
            }
            CommandKind::Tstats(x) => {
                opts(&mut s, &x.options);
                aggs(&mut s, &x.funcs);
                if let Some(d) = &x.datamodel {
                    let _ = write!(s, " FROM datamodel={}", value(d));
                }
                if let Some(w) = &x.filter {
                    let _ = write!(s, " WHERE {w}");
                }
                if !x.by.is_empty() {
                    s.push_str(" BY ");
                    list(&mut s, &x.by, ", ");
                }
            }
            CommandKind::Chart(x) => {
                opts(&mut s, &x.options);
                aggs(&mut s, &x.funcs);
                if let Some(o) = &x.over {
                    let _ = write!(s, " OVER {}", field(o));
                }
                if !x.by.is_empty() {
                    s.push_str(" BY ");
                    list(&mut s, &x.by, ", ");
                }
            }
            CommandKind::Timechart(x) => {
                opts(&mut s, &x.options);
                aggs(&mut s, &x.funcs);
                if !x.by.is_empty() {
                    s.push_str(" BY ");
                    list(&mut s, &x.by, ", ");
                }
            }
            CommandKind::Top(x) | CommandKind::Rare(x) => {
                if let Some(n) = x.limit {
                    let _ = write!(s, " limit={n}");
                }
                opts(&mut s, &x.options);
                s.push(' ');
                // A first field starting with a digit would read back as the count (`top 5 x`).
                match x.fields.split_first() {
                    Some((first, more)) if first.starts_with(|c: char| c.is_ascii_digit()) => {
                        s.push_str(&quote(first));
                        if !more.is_empty() {
                            s.push_str(", ");
                            list(&mut s, more, ", ");
                        }
                    }
                    _ => list(&mut s, &x.fields, ", "),
                }
                if !x.by.is_empty() {
                    s.push_str(" BY ");
                    list(&mut s, &x.by, ", ");
                }
            }
            CommandKind::Bin(b) => {
                opts(&mut s, &b.options);
                let _ = write!(s, " {}", field(&b.field));
                if let Some(a) = &b.alias {
                    let _ = write!(s, " AS {}", field(a));
                }
            }
            CommandKind::Fillnull(x) => {
                if let Some(v) = &x.value {
                    let _ = write!(s, " value={}", value(v));
                }
                if !x.fields.is_empty() {
                    s.push(' ');
                    list(&mut s, &x.fields, " ");
                }
            }
            CommandKind::Spath(x) => {
                for (k, v) in [
                    ("input", &x.input),
                    ("output", &x.output),
                    ("path", &x.path),
                ] {
                    if let Some(v) = v {
                        let _ = write!(s, " {k}={}", value(v));
                    }
                }
            }
            CommandKind::Transaction(x) => {
                if !x.fields.is_empty() {
                    s.push(' ');
                    list(&mut s, &x.fields, " ");
                }
                opts(&mut s, &x.options);
            }
            CommandKind::Lookup(x) => {
                opts(&mut s, &x.options);
                let _ = write!(s, " {}", positional(&x.table));
                for m in &x.inputs {
                    let _ = write!(s, " {}", field_map(m));
                }
                if let Some(o) = &x.output {
                    s.push_str(if o.new { " OUTPUTNEW" } else { " OUTPUT" });
                    for (i, m) in o.fields.iter().enumerate() {
                        s.push_str(if i > 0 { ", " } else { " " });
                        s.push_str(&field_map(m));
                    }
                }
            }
            CommandKind::Inputlookup(x) => {
                opts(&mut s, &x.options);
                let _ = write!(s, " {}", positional(&x.table));
                if let Some(w) = &x.filter {
                    let _ = write!(s, " where {w}");
                }
            }
            CommandKind::Outputlookup(x) => {
                opts(&mut s, &x.options);
                let _ = write!(s, " {}", positional(&x.table));
            }
            CommandKind::Makeresults(x) => opts(&mut s, &x.options),
            CommandKind::Regex(r) => match &r.field {
                Some(fl) => {
                    let op = if r.negate { "!=" } else { "=" };
                    let bare = !fl.is_empty()
                        && !fl.contains("```")
                        && !fl
                            .chars()
                            .any(|ch| ch.is_whitespace() || "=|\"([".contains(ch))
                        && !fl.ends_with('!');
                    let name = if bare { fl.clone() } else { quote(fl) };
                    let _ = write!(s, " {name}{op}{}", quote(&r.pattern));
                }
                None => {
                    let _ = write!(s, " {}", quote(&r.pattern));
                }
            },
            CommandKind::Mvexpand(x) => {
                let _ = write!(s, " {}", field(&x.field));
                if let Some(n) = x.limit {
                    let _ = write!(s, " limit={n}");
                }
            }
            CommandKind::Makemv(x) => {
                opts(&mut s, &x.options);
                let _ = write!(s, " {}", field(&x.field));
            }
            CommandKind::Convert(x) => {
                opts(&mut s, &x.options);
                for cv in &x.conversions {
                    let _ = write!(s, " {}({})", cv.func, field(&cv.field));
                    if let Some(a) = &cv.alias {
                        let _ = write!(s, " AS {}", field(a));
                    }
                }
            }
            CommandKind::Addtotals(x) => {
                opts(&mut s, &x.options);
                if !x.fields.is_empty() {
                    s.push(' ');
                    list(&mut s, &x.fields, " ");
                }
            }
            CommandKind::Args(x) => {
                if let Some(n) = x.count {
                    let _ = write!(s, " {n}");
                }
                opts(&mut s, &x.options);
                if !x.fields.is_empty() {
                    s.push(' ');
                    // A first field made of digits would read back as the count.
                    match x.fields.split_first() {
                        Some((first, more)) if first.starts_with(|c: char| c.is_ascii_digit()) => {
                            s.push_str(&quote(first));
                            if !more.is_empty() {
                                s.push(' ');
                                list(&mut s, more, " ");
                            }
                        }
                        _ => list(&mut s, &x.fields, " "),
                    }
                }
            }
            CommandKind::Append(x) | CommandKind::Appendpipe(x) => {
                opts(&mut s, &x.options);
                let _ = write!(s, " [");
                f.write_str(&s)?;
                write_pipeline(f, &x.subsearch, true)?;
                return close_subsearch(f);
            }
            CommandKind::Union(x) => {
                opts(&mut s, &x.options);
                f.write_str(&s)?;
                for sub in &x.subsearches {
                    f.write_str(" [")?;
                    write_pipeline(f, sub, true)?;
                    close_subsearch(f)?;
                }
                return Ok(());
            }
            CommandKind::Join(x) => {
                opts(&mut s, &x.options);
                if !x.fields.is_empty() {
                    s.push(' ');
                    list(&mut s, &x.fields, ", ");
                }
                let _ = write!(s, " [");
                f.write_str(&s)?;
                write_pipeline(f, &x.subsearch, true)?;
                return close_subsearch(f);
            }
            CommandKind::Generic { args } => {
                if !args.is_empty() {
                    let _ = write!(s, " {args}");
                }
            }
        }
        f.write_str(&s)
    }
}
