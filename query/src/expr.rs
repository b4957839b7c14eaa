//! Eval expressions (`eval`, `where`, `head (...)`, `stats count(eval(...))`), parsed by
//! precedence climbing with Splunk's precedence:
//! `OR` < `XOR` < `AND` < `NOT` < comparisons (`= == != < <= > >= LIKE IN`) < `+ - .`
//! < `* / %` < unary minus. Keywords are case-insensitive here, unlike in `search`.

use crate::ast::{BinOp, Expr, Span, UnaryOp};
use crate::error::ParseError;
use crate::lexer::{is_ident_char, is_ident_start, Cursor};

/// Lowest precedence: a whole expression.
const LEVEL_OR: u8 = 1;
/// Comparisons, the operand level of `NOT`.
const LEVEL_CMP: u8 = 5;

/// Words that are operators, never field names, in expressions.
pub(crate) const EXPR_KEYWORDS: [&str; 6] = ["and", "or", "xor", "not", "like", "in"];

/// Parses one full expression at the cursor.
pub(crate) fn parse_expr(c: &mut Cursor) -> Result<Expr, ParseError> {
    parse_sub_expr(c)
}

/// Parses an expression nested in another one (function arguments, lists).
fn parse_sub_expr(c: &mut Cursor) -> Result<Expr, ParseError> {
    c.enter()?;
    let e = parse_level(c, LEVEL_OR);
    c.leave();
    e
}

/// An infix operator: a binary one, or one of the n-ary logical ones.
#[derive(Clone, Copy, PartialEq)]
enum Op {
    Bin(BinOp),
    And,
    Or,
}

impl Op {
    fn precedence(self) -> u8 {
        match self {
            Op::Or => 1,
            Op::And => 3,
            Op::Bin(b) => b.precedence(),
        }
    }
}

/// Deepest expression tree accepted. Left-associated chains (`a + b + ...`) add a level
/// per operator without recursing in the parser, but derived `Clone`/`PartialEq`/
/// `Serialize`/`Drop` and the evaluator recurse over the tree. `AND`/`OR` lists are flat.
pub(crate) const MAX_EXPR_DEPTH: usize = 500;

/// Depth of an expression tree (a leaf is 1), without recursion.
fn expr_depth(e: &Expr) -> usize {
    let mut max = 0;
    let mut stack = vec![(e, 1usize)];
    while let Some((e, d)) = stack.pop() {
        max = max.max(d);
        match e {
            Expr::Unary { expr, .. } => stack.push((expr, d + 1)),
            Expr::Binary { left, right, .. } => {
                stack.push((left, d + 1));
                stack.push((right, d + 1));
            }
            Expr::Call { args: items, .. } | Expr::And { items, .. } | Expr::Or { items, .. } => {
                stack.extend(items.iter().map(|x| (x, d + 1)))
            }
            Expr::In { expr, list, .. } => {
                stack.push((expr, d + 1));
                stack.extend(list.iter().map(|x| (x, d + 1)));
            }
            _ => {}
        }
    }
    max
}

/// Infix operator at the cursor (after blanks), with its byte length.
fn peek_binop(c: &mut Cursor) -> Option<(Op, usize)> {
    c.skip_ws();
    let r = c.rest();
    for (s, op) in [
        ("==", BinOp::Eq),
        ("!=", BinOp::Ne),
        ("<=", BinOp::Le),
        (">=", BinOp::Ge),
        ("=", BinOp::Eq),
        ("<", BinOp::Lt),
        (">", BinOp::Gt),
        ("+", BinOp::Add),
        ("-", BinOp::Sub),
        (".", BinOp::Concat),
        ("*", BinOp::Mul),
        ("/", BinOp::Div),
        ("%", BinOp::Mod),
    ] {
        if r.starts_with(s) {
            return Some((Op::Bin(op), s.len()));
        }
    }
    for (k, op) in [
        ("OR", Op::Or),
        ("XOR", Op::Bin(BinOp::Xor)),
        ("AND", Op::And),
        ("LIKE", Op::Bin(BinOp::Like)),
    ] {
        if c.peek_keyword(k) {
            return Some((op, k.len()));
        }
    }
    None
}

/// Precedence climbing: a prefix operand, then every binary operator binding at least
/// as tightly as `min`. Recursion depth is bounded by the number of precedence levels
/// (plus parentheses, which are capped by the cursor's nesting limit).
fn parse_level(c: &mut Cursor, min: u8) -> Result<Expr, ParseError> {
    let mut left = parse_prefix(c)?;
    // Depth of `left`, kept up to date as the chain grows (only new operands are measured).
    let mut depth = expr_depth(&left);
    loop {
        if depth > MAX_EXPR_DEPTH {
            return Err(c.error_at(
                left.span(),
                format!("expression too long: nested deeper than {MAX_EXPR_DEPTH} operators"),
                &[],
            ));
        }
        if min <= LEVEL_CMP {
            // `x IN (...)`, `x NOT IN (...)`, `x NOT LIKE y`.
            let save = c.pos;
            c.skip_ws();
            let not_start = c.pos;
            let negated = c.keyword("NOT");
            if negated {
                c.skip_ws();
            }
            if c.peek_keyword("IN") {
                let in_pos = c.pos;
                c.pos += 2;
                c.skip_ws();
                if c.peek() == Some('[') || c.peek() == Some('(') {
                    c.enter()?;
                    let list = if c.peek() == Some('[') {
                        let sub_start = c.pos;
                        let pipeline = crate::parser::parse_subsearch(c)?;
                        vec![Expr::Subsearch {
                            pipeline: Box::new(pipeline),
                            span: Span::new(sub_start, c.pos),
                        }]
                    } else {
                        parse_args(c)?
                    };
                    c.leave();
                    depth = 1
                        + list.iter().map(expr_depth).fold(depth, usize::max)
                        + usize::from(negated);
                    let span = left.span().to(Span::new(in_pos, c.pos));
                    left = Expr::In {
                        expr: Box::new(left),
                        list,
                        span,
                    };
                    if negated {
                        left = not_wrap(left, not_start);
                    }
                    continue;
                }
                c.pos = save;
                break;
            }
            if negated {
                if c.peek_keyword("LIKE") {
                    c.pos += 4;
                    let right = parse_level(c, LEVEL_CMP + 1)?;
                    depth = 2 + depth.max(expr_depth(&right));
                    let span = left.span().to(right.span());
                    left = not_wrap(
                        Expr::Binary {
                            op: BinOp::Like,
                            left: Box::new(left),
                            right: Box::new(right),
                            span,
                        },
                        not_start,
                    );
                    continue;
                }
                c.pos = save;
                break;
            }
            c.pos = save;
        }
        let save = c.pos;
        let Some((op, len)) = peek_binop(c) else {
            c.pos = save;
            break;
        };
        if op.precedence() < min {
            c.pos = save;
            break;
        }
        let op_pos = c.pos;
        c.pos += len;
        c.skip_ws();
        if matches!(
            c.peek(),
            None | Some('|') | Some(']') | Some(')') | Some(',')
        ) {
            return Err(c.expected_after(
                "an expression",
                &format!("`{}`", &c.src[op_pos..op_pos + len]),
            ));
        }
        let right = parse_level(c, op.precedence() + 1)?;
        let right_depth = expr_depth(&right);
        depth = match (op, &left) {
            // Joining a flat list does not deepen it.
            (Op::And, Expr::And { .. }) | (Op::Or, Expr::Or { .. }) => depth.max(1 + right_depth),
            _ => 1 + depth.max(right_depth),
        };
        let span = left.span().to(right.span());
        left = match op {
            Op::And => join_logical(left, right, span, true),
            Op::Or => join_logical(left, right, span, false),
            Op::Bin(op) => Expr::Binary {
                op,
                left: Box::new(left),
                right: Box::new(right),
                span,
            },
        };
    }
    Ok(left)
}

/// Builds a flat `And`/`Or` from two operands, splicing operands that already are one
/// (appending in place, so long lists cost linear time).
fn join_logical(left: Expr, right: Expr, span: Span, and: bool) -> Expr {
    let mut items = match left {
        Expr::And { items, .. } if and => items,
        Expr::Or { items, .. } if !and => items,
        other => vec![other],
    };
    match right {
        Expr::And { items: inner, .. } if and => items.extend(inner),
        Expr::Or { items: inner, .. } if !and => items.extend(inner),
        other => items.push(other),
    }
    if and {
        Expr::And { items, span }
    } else {
        Expr::Or { items, span }
    }
}

fn not_wrap(e: Expr, start: usize) -> Expr {
    let span = Span::new(start, e.span().end).to(e.span());
    Expr::Unary {
        op: UnaryOp::Not,
        expr: Box::new(e),
        span,
    }
}

/// `NOT` (whose operand is a comparison) and unary minus (whose operand is a primary);
/// runs of either are collected in a loop and spend the nesting budget.
fn parse_prefix(c: &mut Cursor) -> Result<Expr, ParseError> {
    let mut negs: Vec<(UnaryOp, usize)> = Vec::new();
    loop {
        c.skip_ws();
        match c.peek() {
            Some('-') => {
                // Each prefix is a tree level: it spends nesting budget like a parenthesis.
                c.enter()?;
                negs.push((UnaryOp::Neg, c.pos));
                c.bump();
            }
            Some('+') => {
                c.bump();
            }
            _ => break,
        }
    }
    let mut nots: Vec<(UnaryOp, usize)> = Vec::new();
    loop {
        c.skip_ws();
        let p = c.pos;
        // `!x` is how C-minded authors write `NOT x` (`where !isnull(user)`); `!=` is not it.
        let bang = c.peek() == Some('!') && c.peek2() != Some('=');
        if bang || c.keyword("NOT") {
            if bang {
                c.bump();
            }
            c.enter()?;
            nots.push((UnaryOp::Not, p));
        } else {
            break;
        }
    }
    let spent = nots.len() + negs.len();
    let e = if nots.is_empty() {
        parse_primary(c)?
    } else {
        apply_prefixes(parse_level(c, LEVEL_CMP)?, nots)
    };
    c.leave_weighted(spent);
    Ok(apply_prefixes(e, negs))
}

fn apply_prefixes(mut e: Expr, mut prefixes: Vec<(UnaryOp, usize)>) -> Expr {
    while let Some((op, start)) = prefixes.pop() {
        let span = Span::new(start, e.span().end);
        e = Expr::Unary {
            op,
            expr: Box::new(e),
            span,
        };
    }
    e
}

/// `( expr, expr, ... )` — function arguments and IN lists.
fn parse_args(c: &mut Cursor) -> Result<Vec<Expr>, ParseError> {
    c.bump(); // '('
    let mut args = Vec::new();
    c.skip_ws();
    if c.eat(")") {
        return Ok(args);
    }
    loop {
        args.push(parse_sub_expr(c)?);
        c.skip_ws();
        if c.eat(",") {
            continue;
        }
        if c.eat(")") {
            return Ok(args);
        }
        let (span, found) = c.current_token();
        return Err(c.error_at(
            span,
            format!("expected `,` or `)`, found {found}"),
            &[",", ")"],
        ));
    }
}

/// A bare identifier of eval: letters, digits, `_ : { } @ $ #`, and dots followed by a
/// name character (so `a.b` is one field but `a . b` and `a."x"` concatenate).
fn ident<'a>(c: &mut Cursor<'a>) -> Option<&'a str> {
    let start = c.pos;
    let first = c.peek()?;
    if !is_ident_start(first) {
        return None;
    }
    c.bump();
    loop {
        match c.peek() {
            Some(ch) if is_ident_char(ch) => {
                c.bump();
            }
            Some('.') if c.peek2().is_some_and(is_ident_char) => {
                c.bump();
            }
            _ => break,
        }
    }
    Some(&c.src[start..c.pos])
}

fn parse_primary(c: &mut Cursor) -> Result<Expr, ParseError> {
    c.skip_ws();
    let start = c.pos;
    match c.peek() {
        Some('[') => {
            let pipeline = crate::parser::parse_subsearch(c)?;
            Ok(Expr::Subsearch {
                pipeline: Box::new(pipeline),
                span: Span::new(start, c.pos),
            })
        }
        Some('(') => {
            c.bump();
            c.enter()?;
            let e = parse_level(c, LEVEL_OR)?;
            c.leave();
            c.skip_ws();
            if !c.eat(")") {
                let (span, found) = c.current_token();
                return Err(c.error_at(
                    span,
                    format!("unclosed parenthesis: expected `)`, found {found}"),
                    &[")"],
                ));
            }
            Ok(e)
        }
        Some('"') => {
            let value = c.quoted()?;
            Ok(Expr::Str {
                value,
                span: Span::new(start, c.pos),
            })
        }
        Some('\'') => {
            let name = c.quoted_with('\'')?;
            Ok(Expr::Field {
                name,
                span: Span::new(start, c.pos),
            })
        }
        Some(ch) if ch.is_ascii_digit() || ch == '.' => {
            let Some(text) = c.number() else {
                return Err(c.expected(&["an expression"]));
            };
            let span = Span::new(start, c.pos);
            let is_int = text.bytes().all(|b| b.is_ascii_digit());
            if is_int {
                if let Ok(value) = text.parse::<i64>() {
                    return Ok(Expr::Int { value, span });
                }
            }
            match text.parse::<f64>() {
                Ok(value) => Ok(Expr::Float { value, span }),
                Err(_) => Err(c.error_at(span, format!("invalid number `{text}`"), &["a number"])),
            }
        }
        Some(ch) if is_ident_start(ch) => {
            let Some(name) = ident(c) else {
                return Err(c.expected(&["an expression"]));
            };
            let after = c.pos;
            c.skip_ws();
            if c.peek() == Some('(') && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            {
                c.enter()?;
                let args = parse_args(c)?;
                c.leave();
                return Ok(Expr::Call {
                    name: name.to_ascii_lowercase(),
                    args,
                    span: Span::new(start, c.pos),
                });
            }
            c.pos = after;
            let span = Span::new(start, after);
            let lower = name.to_ascii_lowercase();
            if EXPR_KEYWORDS.contains(&lower.as_str()) {
                return Err(c.error_at(
                    span,
                    format!("expected an expression, found keyword `{name}`"),
                    &["an expression"],
                ));
            }
            match lower.as_str() {
                "true" => Ok(Expr::Bool { value: true, span }),
                "false" => Ok(Expr::Bool { value: false, span }),
                _ => Ok(Expr::Field {
                    name: name.to_string(),
                    span,
                }),
            }
        }
        _ => Err(c.expected(&["an expression"])),
    }
}
