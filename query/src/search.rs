//! The boolean predicate of the `search` command: terms, phrases, `field<op>value`,
//! `field IN (...)`, time bounds, subsearches, `NOT`, `OR` and implicit `AND`.
//!
//! As in Splunk, `OR` binds tighter than `AND` here (`a b OR c` is `a AND (b OR c)`),
//! and only upper-case `AND`/`OR`/`NOT` are operators. Lists are parsed by loops;
//! only parentheses and subsearches recurse, and their depth is capped.

use crate::ast::{CmpOp, SearchExpr, Span, TimeBound};
use crate::error::ParseError;
use crate::lexer::Cursor;
use crate::parser::parse_subsearch;

/// Parses a search expression up to the end of the command (or a closing parenthesis
/// when `in_parens`); an empty expression is [`SearchExpr::All`].
pub(crate) fn parse_search_expr(c: &mut Cursor, in_parens: bool) -> Result<SearchExpr, ParseError> {
    parse_search_until(c, in_parens, &[])
}

/// A search expression that also ends before one of the keywords `stops` (any case) at its
/// top level: `tstats … WHERE <search> BY …`.
pub(crate) fn parse_search_until(
    c: &mut Cursor,
    in_parens: bool,
    stops: &[&str],
) -> Result<SearchExpr, ParseError> {
    let mut and_items: Vec<SearchExpr> = Vec::new();
    loop {
        c.skip_ws();
        if stops.iter().any(|k| c.peek_keyword(k)) {
            break;
        }
        match c.peek() {
            None | Some('|') | Some(']') => break,
            Some(')') => {
                if in_parens {
                    break;
                }
                let (span, _) = c.current_token();
                return Err(c.error_at(
                    span,
                    "unexpected `)` without matching `(`",
                    &["a search term"],
                ));
            }
            _ => {}
        }
        if c.keyword_exact("AND") {
            c.skip_ws();
            if at_expr_end(c) {
                return Err(c.expected_after("a search term", "AND"));
            }
            continue;
        }
        if c.keyword_exact("OR") {
            return Err(c.error_at(
                Span::new(c.pos - 2, c.pos),
                "expected a search term before OR",
                &["a search term"],
            ));
        }
        // One OR-group: unary (OR unary)*.
        let mut or_items = vec![parse_unary(c)?];
        loop {
            let save = c.pos;
            c.skip_ws();
            if c.keyword_exact("OR") {
                c.skip_ws();
                if at_expr_end(c) {
                    return Err(c.expected_after("a search term", "OR"));
                }
                or_items.push(parse_unary(c)?);
            } else {
                c.pos = save;
                break;
            }
        }
        and_items.push(if or_items.len() == 1 {
            or_items.pop().unwrap_or(SearchExpr::All)
        } else {
            SearchExpr::Or(or_items)
        });
    }
    and_items.retain(|e| *e != SearchExpr::All);
    Ok(match and_items.len() {
        0 => SearchExpr::All,
        1 => and_items.pop().unwrap_or(SearchExpr::All),
        _ => SearchExpr::And(and_items),
    })
}

fn at_expr_end(c: &Cursor) -> bool {
    matches!(c.peek(), None | Some('|') | Some(']') | Some(')'))
}

/// `NOT* primary`, iteratively.
fn parse_unary(c: &mut Cursor) -> Result<SearchExpr, ParseError> {
    let mut nots = 0usize;
    loop {
        c.skip_ws();
        if c.keyword_exact("NOT") {
            // Each NOT is a tree level: it spends nesting budget like a parenthesis.
            c.enter()?;
            nots += 1;
            c.skip_ws();
            if at_expr_end(c) {
                return Err(c.expected_after("a search term", "NOT"));
            }
        } else {
            break;
        }
    }
    let mut e = parse_primary(c)?;
    for _ in 0..nots {
        e = SearchExpr::Not(Box::new(e));
        c.leave();
    }
    Ok(e)
}

fn parse_primary(c: &mut Cursor) -> Result<SearchExpr, ParseError> {
    c.skip_ws();
    let start = c.pos;
    match c.peek() {
        Some('(') => {
            c.bump();
            c.enter()?;
            let e = parse_search_expr(c, true)?;
            c.leave();
            c.skip_ws();
            if !c.eat(")") {
                let (span, found) = c.current_token();
                return Err(c.error_at(
                    span.to(Span::new(start, start + 1)),
                    format!("unclosed parenthesis: expected `)`, found {found}"),
                    &[")"],
                ));
            }
            // `()` means nothing; keep it as All so it prints back as `*`.
            Ok(e)
        }
        Some('[') => {
            let pipeline = parse_subsearch(c)?;
            Ok(SearchExpr::Subsearch {
                pipeline: Box::new(pipeline),
                span: Span::new(start, c.pos),
            })
        }
        _ => parse_term(c),
    }
}

/// Reads a bare word of the search language: stops at blanks, `( ) [ ] |` and the start
/// of a comparison operator; quoted parts inside the word are kept raw.
fn scan_word(c: &mut Cursor) -> Result<(), ParseError> {
    while let Some(ch) = c.peek() {
        match ch {
            '"' => {
                c.quoted()?;
            }
            '\\' => {
                c.bump();
                c.bump();
            }
            '=' | '<' | '>' | '(' | ')' | '[' | ']' | '|' => break,
            '!' if c.peek2() == Some('=') => break,
            ch if ch.is_whitespace() => break,
            _ => {
                c.bump();
            }
        }
    }
    Ok(())
}

/// Comparison operator at the cursor, consumed.
fn cmp_op(c: &mut Cursor) -> Option<CmpOp> {
    for (s, op) in [
        ("!=", CmpOp::Ne),
        ("<=", CmpOp::Le),
        (">=", CmpOp::Ge),
        ("==", CmpOp::Eq),
        ("=", CmpOp::Eq),
        ("<", CmpOp::Lt),
        (">", CmpOp::Gt),
    ] {
        if c.eat(s) {
            return Some(op);
        }
    }
    None
}

fn parse_term(c: &mut Cursor) -> Result<SearchExpr, ParseError> {
    let start = c.pos;
    let whole_quoted = c.peek() == Some('"');
    let mut phrase = None;
    if whole_quoted {
        phrase = Some(c.quoted()?);
    }
    let after_quote = c.pos;
    scan_word(c)?;
    let word_end = c.pos;
    let raw = &c.src[start..word_end];
    let word_is_phrase = whole_quoted && word_end == after_quote;

    // `TERM(10.0.0.1)` and `CASE(Error)` directives stay one term, parentheses included.
    if matches!(raw, "TERM" | "CASE") && c.peek() == Some('(') {
        let mut depth = 0usize;
        while let Some(ch) = c.peek() {
            match ch {
                '"' => {
                    c.quoted()?;
                    continue;
                }
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        c.bump();
                        break;
                    }
                }
                '|' | ']' => break,
                _ => {}
            }
            c.bump();
        }
        if depth == 0 {
            return Ok(SearchExpr::Term {
                text: c.src[start..c.pos].to_string(),
                span: Span::new(start, c.pos),
            });
        }
        let (span, found) = c.current_token();
        return Err(c.error_at(
            Span::new(start, span.end),
            format!("unclosed parenthesis in {raw}(...): expected `)`, found {found}"),
            &[")"],
        ));
    }

    // field<op>value, allowing blanks around the operator (`sourcetype = x`).
    let save = c.pos;
    c.skip_ws();
    if word_end > start {
        if let Some(op) = cmp_op(c) {
            let field = if word_is_phrase {
                phrase.clone().unwrap_or_default()
            } else {
                raw.to_string()
            };
            let field_span_start = start;
            c.skip_ws();
            let (value, quoted) = parse_value(c)?;
            // `x=` with nothing usable after it means the empty string, as `x=""`.
            let quoted = quoted || value.is_empty();
            let span = Span::new(field_span_start, c.pos);
            if op == CmpOp::Eq {
                if let Some(bound) = TimeBound::from_keyword(&field) {
                    if !word_is_phrase {
                        return Ok(SearchExpr::TimeBound { bound, value, span });
                    }
                }
            }
            return Ok(SearchExpr::Field {
                field,
                op,
                value,
                quoted,
                span,
            });
        }
        if c.peek_keyword("IN") {
            let save_in = c.pos;
            c.pos += 2;
            c.skip_ws();
            if c.peek() == Some('(') {
                let field = if word_is_phrase {
                    phrase.clone().unwrap_or_default()
                } else {
                    raw.to_string()
                };
                let values = parse_in_list(c)?;
                return Ok(SearchExpr::FieldIn {
                    field,
                    values,
                    span: Span::new(start, c.pos),
                });
            }
            c.pos = save_in;
        }
    }
    c.pos = save;
    if word_end == start {
        // An operator with nothing before it (`=foo`, `<script>`): take it as a plain term.
        while let Some(ch) = c.peek() {
            if ch.is_whitespace() || matches!(ch, '(' | ')' | '[' | ']' | '|') {
                break;
            }
            if ch == '"' {
                c.quoted()?;
            } else {
                c.bump();
            }
        }
        if c.pos == start {
            return Err(c.expected(&["a search term"]));
        }
        return Ok(SearchExpr::Term {
            text: c.src[start..c.pos].to_string(),
            span: Span::new(start, c.pos),
        });
    }
    let span = Span::new(start, word_end);
    if word_is_phrase {
        return Ok(SearchExpr::Phrase {
            text: phrase.unwrap_or_default(),
            span,
        });
    }
    if raw == "*" {
        return Ok(SearchExpr::All);
    }
    Ok(SearchExpr::Term {
        text: raw.to_string(),
        span,
    })
}

/// Value after a comparison operator: quoted (decoded) or a bare word that may contain
/// `=`, `<`, `>` but stops at blanks, parentheses, `|` and `]`.
fn parse_value(c: &mut Cursor) -> Result<(String, bool), ParseError> {
    let start = c.pos;
    if c.peek() == Some('"') {
        let s = c.quoted()?;
        if c.peek()
            .is_none_or(|ch| ch.is_whitespace() || matches!(ch, '(' | ')' | '[' | ']' | '|'))
        {
            return Ok((s, true));
        }
        c.pos = start;
    }
    while let Some(ch) = c.peek() {
        match ch {
            '"' => {
                c.quoted()?;
            }
            '\\' => {
                c.bump();
                c.bump();
            }
            '(' | ')' | '[' | ']' | '|' => break,
            ch if ch.is_whitespace() => break,
            _ => {
                c.bump();
            }
        }
    }
    Ok((c.src[start..c.pos].to_string(), false))
}

/// `( a, b "c" )` after `IN`.
fn parse_in_list(c: &mut Cursor) -> Result<Vec<String>, ParseError> {
    let open = c.pos;
    c.bump(); // '('
    let mut values = Vec::new();
    loop {
        c.skip_ws();
        match c.peek() {
            Some(')') => {
                c.bump();
                return Ok(values);
            }
            Some(',') => {
                c.bump();
            }
            Some('"') => values.push(c.quoted()?),
            None | Some('|') | Some(']') | Some('[') | Some('(') => {
                let (span, found) = c.current_token();
                return Err(c.error_at(
                    Span::new(open, span.end),
                    format!("unclosed IN list: expected `)`, found {found}"),
                    &[")"],
                ));
            }
            Some(_) => {
                let start = c.pos;
                while let Some(ch) = c.peek() {
                    if ch.is_whitespace() || matches!(ch, ',' | ')' | '(' | '|' | '[' | ']' | '"') {
                        break;
                    }
                    c.bump();
                }
                values.push(c.src[start..c.pos].to_string());
            }
        }
    }
}
