//! Pipelines: the base search, `| command ...` stages, and `[ ... ]` subsearches.
//! Stages are read in a loop, so a pipeline of any length costs no stack.

use crate::ast::{Command, CommandKind, Pipeline, SearchExpr, Span};
use crate::commands::{parse_command_args, GENERATING_COMMANDS, TYPED_COMMANDS};
use crate::error::ParseError;
use crate::lexer::{strip_comments, Cursor, SUBSEARCH_COST};
use crate::search::parse_search_expr;

/// Parses SPL text (already macro-expanded) into a [`Pipeline`].
///
/// ```` ``` ```` comments are blanked first, so spans still index into `text`.
pub fn parse(text: &str) -> Result<Pipeline, ParseError> {
    let stripped = strip_comments(text)?;
    let mut c = Cursor::new(&stripped);
    let p = parse_pipeline(&mut c, false)?;
    c.skip_ws();
    if !c.at_eof() {
        let (span, found) = c.current_token();
        return Err(c.error_at(
            span,
            format!("expected `|` or end of search, found {found}"),
            &["|"],
        ));
    }
    // Report errors against the caller's text (same offsets, comments included).
    Ok(p)
}

/// `[ pipeline ]` at the cursor (which is on `[`).
pub(crate) fn parse_subsearch(c: &mut Cursor) -> Result<Pipeline, ParseError> {
    let open = c.pos;
    c.bump();
    c.enter_weighted(SUBSEARCH_COST)?;
    let p = parse_pipeline(c, true)?;
    c.leave_weighted(SUBSEARCH_COST);
    c.skip_ws();
    if !c.eat("]") {
        let (span, found) = c.current_token();
        return Err(c.error_at(
            Span::new(open, open + 1).to(span),
            format!("unclosed subsearch: expected `]`, found {found}"),
            &["]"],
        ));
    }
    Ok(p)
}

/// Whether a bare word at the start of a subsearch names a command (`[inputlookup x]`).
fn is_leading_command(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    TYPED_COMMANDS.contains(&lower.as_str()) || GENERATING_COMMANDS.contains(&lower.as_str())
}

fn parse_pipeline(c: &mut Cursor, sub: bool) -> Result<Pipeline, ParseError> {
    c.skip_ws();
    let start = c.pos;
    let mut commands = Vec::new();
    if c.eat("|") {
        commands.push(parse_command(c)?);
    } else {
        // In a subsearch the first word may be a command name (`[tstats ...]`, `[search ...]`);
        // at top level only `search` is recognised without a leading pipe.
        let save = c.pos;
        let word = c.ident();
        let is_cmd = word.is_some_and(|w| {
            let next_ok = c
                .peek()
                .is_none_or(|ch| ch.is_whitespace() || ch == ']' || ch == '|');
            next_ok && (w.eq_ignore_ascii_case("search") || (sub && is_leading_command(w)))
        });
        c.pos = save;
        if is_cmd {
            commands.push(parse_command(c)?);
        } else {
            let e = parse_search_expr(c, false)?;
            commands.push(Command {
                name: "search".into(),
                kind: CommandKind::Search(e),
                span: Span::new(start, start + c.src[start..c.pos].trim_end().len()),
            });
        }
    }
    loop {
        c.skip_ws();
        match c.peek() {
            None => break,
            Some(']') if sub => break,
            Some('|') => {
                c.bump();
                commands.push(parse_command(c)?);
            }
            Some(_) => {
                let (span, found) = c.current_token();
                return Err(c.error_at(span, format!("expected `|`, found {found}"), &["|"]));
            }
        }
    }
    if commands.is_empty() {
        commands.push(Command {
            name: "search".into(),
            kind: CommandKind::Search(SearchExpr::All),
            span: Span::new(start, start),
        });
    }
    let end = start + c.src[start..c.pos].trim_end().len();
    Ok(Pipeline {
        commands,
        span: Span::new(start, end),
    })
}

fn parse_command(c: &mut Cursor) -> Result<Command, ParseError> {
    c.skip_ws();
    let start = c.pos;
    let Some(name) = c.ident() else {
        let (span, found) = c.current_token();
        let msg = if matches!(c.peek(), Some('|') | None | Some(']')) {
            format!("expected a command name after `|`, found {found} (empty command)")
        } else {
            format!("expected a command name, found {found}")
        };
        return Err(c.error_at(span, msg, &["a command name"]));
    };
    if c.peek()
        .is_some_and(|ch| !ch.is_whitespace() && !matches!(ch, '|' | ']' | '[' | '(' | '"'))
    {
        let (span, found) = c.current_token();
        return Err(c.error_at(
            Span::new(start, span.end),
            format!("expected a command name, found {found}"),
            &["a command name"],
        ));
    }
    let name = name.to_ascii_lowercase();
    let kind = parse_command_args(c, &name)?;
    let end = c.pos;
    // Trim trailing blanks from the span.
    let end = start + c.src[start..end].trim_end().len();
    Ok(Command {
        name,
        kind,
        span: Span::new(start, end),
    })
}
