//! Argument parsers of the commands Loupe models, one function per command; the
//! dispatcher [`parse_command_args`] falls back to [`CommandKind::Generic`] for the rest.

use crate::ast::*;
use crate::error::ParseError;
use crate::expr::parse_expr;
use crate::lexer::Cursor;
use crate::parser::parse_subsearch;
use crate::search::{parse_search_expr, parse_search_until};

/// Commands with a typed [`CommandKind`] variant (lower case).
pub const TYPED_COMMANDS: &[&str] = &[
    "search",
    "where",
    "eval",
    "rex",
    "fields",
    "table",
    "rename",
    "sort",
    "head",
    "tail",
    "dedup",
    "stats",
    "chart",
    "timechart",
    "top",
    "rare",
    "bin",
    "bucket",
    "eventstats",
    "streamstats",
    "fillnull",
    "spath",
    "transaction",
    "lookup",
    "inputlookup",
    "outputlookup",
    "makeresults",
    "regex",
    "mvexpand",
    "makemv",
    "convert",
    "addtotals",
    "append",
    "join",
    "fieldformat",
    "appendpipe",
    "nomv",
    "untable",
    "xyseries",
    "transpose",
    "addcoltotals",
    "addinfo",
    "cluster",
    "patterns",
    "dbinspect",
    "metadata",
    "eventcount",
    "tstats",
    "rest",
    "format",
    "return",
    "from",
    "appendcols",
    "union",
    "multisearch",
    "map",
    "iplocation",
];

/// The commands parsed as [`CommandKind::Args`].
pub(crate) const ARGS_COMMANDS: &[&str] = &[
    "nomv",
    "untable",
    "xyseries",
    "transpose",
    "addcoltotals",
    "addinfo",
    "cluster",
    "patterns",
    "dbinspect",
    "metadata",
    "eventcount",
    "rest",
    "format",
    "return",
    "from",
    "map",
    "iplocation",
];

/// Generating commands that describe the indexer's own catalog (buckets, indexes, objects)
/// rather than read events: the indexer plans them and gives their rows to the pipeline.
pub const CATALOG_COMMANDS: &[&str] = &["dbinspect", "metadata", "eventcount", "rest"];

/// Splunk commands that may open a subsearch without a leading `|` (`[tstats ...]`).
pub(crate) const GENERATING_COMMANDS: &[&str] = &[
    "tstats",
    "mstats",
    "from",
    "rest",
    "datamodel",
    "savedsearch",
    "multisearch",
    "union",
    "metadata",
    "metasearch",
    "dbinspect",
    "loadjob",
    "inputcsv",
    "eventcount",
    "pivot",
    "gentimes",
    "set",
    "map",
    "history",
    "makeresults",
    "inputlookup",
    "search",
];

/// Parses the arguments of command `name` (already consumed, lower-cased).
pub(crate) fn parse_command_args(c: &mut Cursor, name: &str) -> Result<CommandKind, ParseError> {
    Ok(match name {
        "search" => CommandKind::Search(parse_search_expr(c, false)?),
        "where" => CommandKind::Where(parse_where(c)?),
        "eval" => CommandKind::Eval(parse_eval(c)?),
        "rex" => CommandKind::Rex(parse_rex(c)?),
        "fields" => CommandKind::Fields(parse_fields(c)?),
        "table" => CommandKind::Table(field_list(c, &[], name)?),
        "rename" => CommandKind::Rename(parse_rename(c)?),
        "sort" => CommandKind::Sort(parse_sort(c)?),
        "head" => CommandKind::Head(parse_head(c)?),
        "tail" => CommandKind::Tail(parse_tail(c)?),
        "dedup" => CommandKind::Dedup(parse_dedup(c)?),
        "stats" => CommandKind::Stats(parse_stats(c, name)?),
        "eventstats" => CommandKind::Eventstats(parse_stats(c, name)?),
        "streamstats" => CommandKind::Streamstats(parse_stats(c, name)?),
        "chart" => CommandKind::Chart(parse_chart(c)?),
        "timechart" => CommandKind::Timechart(parse_timechart(c)?),
        "top" => CommandKind::Top(parse_top(c, name)?),
        "rare" => CommandKind::Rare(parse_top(c, name)?),
        "bin" | "bucket" => CommandKind::Bin(parse_bin(c, name)?),
        "fillnull" => CommandKind::Fillnull(parse_fillnull(c)?),
        "spath" => CommandKind::Spath(parse_spath(c)?),
        "transaction" => CommandKind::Transaction(parse_transaction(c)?),
        "lookup" => CommandKind::Lookup(parse_lookup(c)?),
        "inputlookup" => CommandKind::Inputlookup(parse_inputlookup(c)?),
        "outputlookup" => CommandKind::Outputlookup(parse_outputlookup(c)?),
        "makeresults" => CommandKind::Makeresults(parse_makeresults(c)?),
        "regex" => CommandKind::Regex(parse_regex(c)?),
        "mvexpand" => CommandKind::Mvexpand(parse_mvexpand(c)?),
        "makemv" => CommandKind::Makemv(parse_makemv(c)?),
        "convert" => CommandKind::Convert(parse_convert(c)?),
        "addtotals" => CommandKind::Addtotals(parse_addtotals(c)?),
        "append" => CommandKind::Append(parse_append(c, name)?),
        "join" => CommandKind::Join(parse_join(c)?),
        "fieldformat" => CommandKind::Fieldformat(parse_eval(c)?),
        "appendpipe" => CommandKind::Appendpipe(parse_append(c, name)?),
        "tstats" => CommandKind::Tstats(parse_tstats(c)?),
        "appendcols" => CommandKind::Append(parse_append(c, name)?),
        "union" | "multisearch" => CommandKind::Union(parse_union(c, name)?),
        "map" => {
            c.skip_ws();
            if c.peek() == Some('[') {
                // `map [search … $field$ …] maxsearches=N`: the subsearch is kept as text, as
                // `search="…"` is, since a `$field$` may stand where the parser wants a number.
                let text = c.raw_bracketed()?.trim().to_string();
                let mut a = parse_args_cmd(c)?;
                a.options.insert(0, CmdOption::new("search", text));
                return Ok(CommandKind::Args(a));
            }
            let save = c.pos;
            match parse_args_cmd(c) {
                Ok(a) => CommandKind::Args(a),
                Err(_) => {
                    c.pos = save;
                    CommandKind::Generic {
                        args: c.raw_until_command_end()?.trim().to_string(),
                    }
                }
            }
        }
        n if ARGS_COMMANDS.contains(&n) => CommandKind::Args(parse_args_cmd(c)?),
        _ => CommandKind::Generic {
            args: c.raw_until_command_end()?.trim().to_string(),
        },
    })
}

// ---------------------------------------------------------------- helpers

/// Consumes `key=value` at the cursor (caller checked [`Cursor::peek_option_key`]).
fn option(c: &mut Cursor) -> Result<CmdOption, ParseError> {
    let start = c.pos;
    let key = c.ident().unwrap_or_default().to_ascii_lowercase();
    // Keys such as `a.b` are rare; take whatever peek_option_key accepted.
    while c.peek().is_some_and(|ch| ch != '=') {
        c.bump();
    }
    c.eat("=");
    let (value, _, _) = c.value()?;
    Ok(CmdOption {
        key,
        value,
        span: Span::new(start, c.pos),
    })
}

/// Whether a `key=` option is next (after blanks).
fn at_option(c: &mut Cursor) -> bool {
    c.skip_ws();
    c.peek_option_key().is_some()
}

/// Skips blanks and commas (`a, b ,, c` lists are common in saved searches).
fn skip_sep(c: &mut Cursor) {
    c.skip_ws();
    while c.eat(",") {
        c.skip_ws();
    }
}

/// Whether one of the keywords is next (any case).
fn at_any_keyword(c: &Cursor, kws: &[&str]) -> bool {
    kws.iter().any(|k| c.peek_keyword(k))
}

/// Field names separated by blanks and/or commas up to the end of the command or a stop
/// keyword; `key=value` options met on the way are an error only if there are no fields.
fn field_list(c: &mut Cursor, stop: &[&str], cmd: &str) -> Result<Vec<String>, ParseError> {
    let mut out = Vec::new();
    loop {
        skip_sep(c);
        if c.at_command_end() || at_any_keyword(c, stop) || c.peek() == Some('[') {
            break;
        }
        if c.peek_option_key().is_some() && !out.is_empty() {
            break;
        }
        let (name, _) = c
            .field_name()
            .map_err(|_| c.expected_after("a field name", cmd))?;
        out.push(name);
    }
    Ok(out)
}

/// A non-empty field list; the error names what it follows (`by`, `table`, ...).
fn field_list1(c: &mut Cursor, stop: &[&str], after: &str) -> Result<Vec<String>, ParseError> {
    c.skip_ws();
    let v = field_list(c, stop, after)?;
    if v.is_empty() {
        return Err(c.expected_after("a field name", after));
    }
    Ok(v)
}

/// A command made only of `key=value` options.
fn only_options(c: &mut Cursor, cmd: &str) -> Result<Vec<CmdOption>, ParseError> {
    let mut opts = Vec::new();
    while !c.at_command_end() {
        if !at_option(c) {
            return Err(c.expected_after("an option `key=value`", cmd));
        }
        opts.push(option(c)?);
    }
    Ok(opts)
}

/// Ensures the command ended here.
fn expect_end(c: &mut Cursor, what: &str) -> Result<(), ParseError> {
    if c.at_command_end() {
        Ok(())
    } else {
        Err(c.expected(&[what]))
    }
}

fn take_opt(opts: &mut Vec<CmdOption>, key: &str) -> Option<String> {
    let i = opts.iter().position(|o| o.key == key)?;
    Some(opts.remove(i).value)
}

fn parse_u64_opt(c: &Cursor, v: &str, span: Span, what: &str) -> Result<u64, ParseError> {
    v.trim().parse().map_err(|_| {
        c.error_at(
            span,
            format!("expected a number for {what}, found `{v}`"),
            &["a number"],
        )
    })
}

/// `makeresults [N] [options]`: a bare number is the count (`| makeresults 1` is common in
/// dashboards); it is kept as `count=N`, which prints and plans the same.
fn parse_makeresults(c: &mut Cursor) -> Result<MakeresultsCmd, ParseError> {
    c.skip_ws();
    let mut options = Vec::new();
    if let Some(n) = c.uint() {
        options.push(CmdOption::new("count", n.to_string()));
    }
    options.extend(only_options(c, "makeresults")?);
    Ok(MakeresultsCmd { options })
}

// ---------------------------------------------------------------- where / eval

fn parse_where(c: &mut Cursor) -> Result<Expr, ParseError> {
    c.skip_ws();
    if c.at_command_end() {
        return Err(c.expected_after("an expression", "where"));
    }
    let e = parse_expr(c)?;
    expect_end(c, "an operator or end of command")?;
    Ok(e)
}

fn parse_eval(c: &mut Cursor) -> Result<Vec<(String, Expr)>, ParseError> {
    let mut out = Vec::new();
    loop {
        c.skip_ws();
        if c.at_command_end() {
            if out.is_empty() {
                return Err(c.expected_after("an assignment `field=expression`", "eval"));
            }
            break;
        }
        let name = match c.peek() {
            Some('"') => c.quoted()?,
            Some('\'') => c.quoted_with('\'')?,
            _ => {
                let start = c.pos;
                while let Some(ch) = c.peek() {
                    if ch.is_whitespace() || matches!(ch, '=' | ',' | '|' | ']' | '"' | '(' | ')') {
                        break;
                    }
                    c.bump();
                }
                if c.pos == start {
                    return Err(c.expected_after("a field name", "eval"));
                }
                c.src[start..c.pos].to_string()
            }
        };
        c.skip_ws();
        if !c.eat("=") || c.peek() == Some('=') {
            return Err(c.expected_after("`=`", &format!("`eval {name}`")));
        }
        c.skip_ws();
        if c.at_command_end() || c.peek() == Some(',') {
            return Err(c.expected_after("an expression", &format!("`{name}=`")));
        }
        let e = parse_expr(c)?;
        out.push((name, e));
        c.skip_ws();
        if c.eat(",") {
            continue;
        }
        expect_end(c, "`,` or an operator or end of command")?;
        break;
    }
    Ok(out)
}

// ---------------------------------------------------------------- rex / regex

fn parse_rex(c: &mut Cursor) -> Result<RexCmd, ParseError> {
    let mut options = Vec::new();
    let mut pattern = None;
    while !c.at_command_end() {
        if at_option(c) {
            options.push(option(c)?);
        } else if pattern.is_none() {
            let (p, _, span) = c.value()?;
            pattern = Some((p, span));
        } else {
            return Err(c.expected(&["an option `key=value`", "end of command"]));
        }
    }
    let Some((pattern, pattern_span)) = pattern else {
        return Err(c.expected_after("a regular expression", "rex"));
    };
    let field = take_opt(&mut options, "field");
    Ok(RexCmd {
        field,
        pattern,
        pattern_span,
        options,
    })
}

fn parse_regex(c: &mut Cursor) -> Result<RegexCmd, ParseError> {
    c.skip_ws();
    if c.at_command_end() {
        return Err(c.expected_after("a regular expression", "regex"));
    }
    if c.peek() == Some('"') {
        // `regex "field name"="pattern"`.
        let save = c.pos;
        let name = c.quoted()?;
        c.skip_ws();
        let negate = c.eat("!=");
        if negate || (c.peek() == Some('=') && c.peek2() != Some('=') && c.eat("=")) {
            c.skip_ws();
            let (pattern, _, pattern_span) = c.value()?;
            expect_end(c, "end of command")?;
            return Ok(RegexCmd {
                field: Some(name),
                negate,
                pattern,
                pattern_span,
            });
        }
        c.pos = save;
    } else {
        let save = c.pos;
        let mut end = c.pos;
        while let Some(ch) = c.peek() {
            if ch.is_whitespace() || matches!(ch, '=' | '|' | '"' | '(' | '[') {
                break;
            }
            if ch == '!' && c.peek2() == Some('=') {
                break;
            }
            c.bump();
            end = c.pos;
        }
        let name = c.src[save..end].to_string();
        c.skip_ws();
        let negate = c.eat("!=");
        if !name.is_empty() && (negate || c.eat("=")) {
            c.skip_ws();
            let (pattern, _, pattern_span) = c.value()?;
            expect_end(c, "end of command")?;
            return Ok(RegexCmd {
                field: Some(name),
                negate,
                pattern,
                pattern_span,
            });
        }
        c.pos = save;
    }
    let (pattern, _, pattern_span) = c.value()?;
    expect_end(c, "end of command")?;
    Ok(RegexCmd {
        field: None,
        negate: false,
        pattern,
        pattern_span,
    })
}

// ---------------------------------------------------------------- fields / rename

fn parse_fields(c: &mut Cursor) -> Result<FieldsCmd, ParseError> {
    c.skip_ws();
    let mut remove = false;
    if matches!(c.peek(), Some('-') | Some('+'))
        && c.peek2().is_none_or(|ch| ch.is_whitespace() || ch == ',')
    {
        remove = c.peek() == Some('-');
        c.bump();
    }
    let fields = field_list1(c, &[], "fields")?;
    expect_end(c, "a field name")?;
    Ok(FieldsCmd { remove, fields })
}

fn parse_rename(c: &mut Cursor) -> Result<Vec<(String, String)>, ParseError> {
    let mut out = Vec::new();
    loop {
        skip_sep(c);
        if c.at_command_end() {
            break;
        }
        let (from, _) = c.field_name()?;
        c.skip_ws();
        if !c.keyword("as") {
            return Err(c.expected_after("`AS`", &format!("`rename {from}`")));
        }
        c.skip_ws();
        let (to, _) = c
            .field_name()
            .map_err(|_| c.expected_after("a field name", "AS"))?;
        out.push((from, to));
    }
    if out.is_empty() {
        return Err(c.expected_after("`field AS new_name`", "rename"));
    }
    Ok(out)
}

// ---------------------------------------------------------------- sort / head / tail / dedup

fn sort_key(c: &mut Cursor) -> Result<SortKey, ParseError> {
    let mut desc = false;
    if let Some(s @ ('-' | '+')) = c.peek() {
        desc = s == '-';
        c.bump();
        c.skip_ws();
    }
    for f in ["num", "str", "ip", "auto"] {
        if c.peek_keyword(f) {
            let save = c.pos;
            c.pos += f.len();
            if c.eat("(") {
                c.skip_ws();
                let (field, _) = c.field_name()?;
                c.skip_ws();
                if !c.eat(")") {
                    return Err(c.expected(&["`)`"]));
                }
                return Ok(SortKey {
                    field,
                    desc,
                    func: Some(f.to_string()),
                });
            }
            c.pos = save;
        }
    }
    let (field, _) = c
        .field_name()
        .map_err(|_| c.expected_after("a field name", "sort"))?;
    Ok(SortKey {
        field,
        desc,
        func: None,
    })
}

fn parse_sort(c: &mut Cursor) -> Result<SortCmd, ParseError> {
    c.skip_ws();
    let mut limit = c.uint();
    let mut keys = Vec::new();
    let mut reverse = false;
    loop {
        skip_sep(c);
        if c.at_command_end() {
            break;
        }
        if let Some(k) = c.peek_option_key() {
            if k.eq_ignore_ascii_case("limit") {
                let start = c.pos;
                let o = option(c)?;
                limit = Some(parse_u64_opt(
                    c,
                    &o.value,
                    Span::new(start, c.pos),
                    "limit",
                )?);
                continue;
            }
        }
        if !keys.is_empty() && (c.keyword("desc") || c.keyword("d")) {
            reverse = true;
            expect_end(c, "end of command")?;
            break;
        }
        keys.push(sort_key(c)?);
    }
    if keys.is_empty() {
        return Err(c.expected_after("a field name", "sort"));
    }
    Ok(SortCmd {
        limit,
        keys,
        reverse,
    })
}

fn parse_head(c: &mut Cursor) -> Result<HeadCmd, ParseError> {
    let mut limit = None;
    let mut expr = None;
    let mut options = Vec::new();
    while !c.at_command_end() {
        if at_option(c) {
            let start = c.pos;
            let o = option(c)?;
            if o.key == "limit" {
                limit = Some(parse_u64_opt(
                    c,
                    &o.value,
                    Span::new(start, c.pos),
                    "limit",
                )?);
            } else {
                options.push(o);
            }
        } else if c.peek() == Some('(') && expr.is_none() {
            expr = Some(parse_expr(c)?);
        } else if limit.is_none() && expr.is_none() {
            match c.uint() {
                Some(n) => limit = Some(n),
                None => return Err(c.expected_after("a number", "head")),
            }
        } else {
            return Err(c.expected(&["an option", "end of command"]));
        }
    }
    Ok(HeadCmd {
        limit: limit.unwrap_or(10),
        expr,
        options,
    })
}

fn parse_tail(c: &mut Cursor) -> Result<TailCmd, ParseError> {
    let mut limit = 10;
    if !c.at_command_end() {
        match c.uint() {
            Some(n) => limit = n,
            None => return Err(c.expected_after("a number", "tail")),
        }
    }
    expect_end(c, "end of command")?;
    Ok(TailCmd { limit })
}

fn parse_dedup(c: &mut Cursor) -> Result<DedupCmd, ParseError> {
    c.skip_ws();
    let limit = c.uint();
    let mut fields = Vec::new();
    let mut options = Vec::new();
    let mut sortby = Vec::new();
    loop {
        skip_sep(c);
        if c.at_command_end() {
            break;
        }
        if at_option(c) {
            options.push(option(c)?);
            continue;
        }
        if c.keyword("sortby") {
            loop {
                skip_sep(c);
                if c.at_command_end() {
                    break;
                }
                sortby.push(sort_key(c)?);
            }
            break;
        }
        let (f, _) = c
            .field_name()
            .map_err(|_| c.expected_after("a field name", "dedup"))?;
        fields.push(f);
    }
    if fields.is_empty() {
        return Err(c.expected_after("a field name", "dedup"));
    }
    Ok(DedupCmd {
        limit,
        fields,
        options,
        sortby,
    })
}

// ---------------------------------------------------------------- aggregations

/// One aggregation: `func[(arg)] [AS alias]`.
fn agg_call(c: &mut Cursor, cmd: &str) -> Result<AggCall, ParseError> {
    let start = c.pos;
    let Some(func) = c.ident() else {
        return Err(c.expected_after("an aggregation function", cmd));
    };
    let func = func.to_ascii_lowercase();
    let mut arg = None;
    if c.peek() == Some('(') {
        c.bump();
        c.skip_ws();
        if c.peek_keyword("eval") {
            arg = Some(parse_expr(c)?);
        } else if c.peek() != Some(')') {
            let (name, span) = c.field_name()?;
            arg = Some(Expr::Field { name, span });
        }
        c.skip_ws();
        if !c.eat(")") {
            return Err(c.expected(&["`)`"]));
        }
    }
    let save = c.pos;
    c.skip_ws();
    let mut alias = None;
    if c.keyword("as") {
        c.skip_ws();
        alias = Some(
            c.field_name()
                .map_err(|_| c.expected_after("a field name", "AS"))?
                .0,
        );
    } else {
        c.pos = save;
    }
    Ok(AggCall {
        func,
        arg,
        alias,
        span: Span::new(start, c.pos),
    })
}

/// Aggregations and options until `by`/`over` or the end; returns them in order.
fn agg_list(
    c: &mut Cursor,
    cmd: &str,
    stops: &[&str],
    opts: &mut Vec<CmdOption>,
) -> Result<Vec<AggCall>, ParseError> {
    let mut funcs = Vec::new();
    loop {
        skip_sep(c);
        if c.at_command_end() || at_any_keyword(c, stops) {
            break;
        }
        if c.peek_option_key().is_some() {
            opts.push(option(c)?);
            continue;
        }
        funcs.push(agg_call(c, cmd)?);
    }
    Ok(funcs)
}

/// Fields after `by`, with trailing options allowed (`by host limit=5`).
fn by_list(
    c: &mut Cursor,
    opts: &mut Vec<CmdOption>,
    stops: &[&str],
    after: &str,
) -> Result<Vec<String>, ParseError> {
    let by = field_list1(c, stops, after)?;
    while !c.at_command_end() && !at_any_keyword(c, stops) {
        if at_option(c) {
            opts.push(option(c)?);
        } else {
            return Err(c.expected(&["an option", "end of command"]));
        }
    }
    Ok(by)
}

fn parse_stats(c: &mut Cursor, cmd: &str) -> Result<StatsCmd, ParseError> {
    let mut options = Vec::new();
    let funcs = agg_list(c, cmd, &["by", "groupby"], &mut options)?;
    if funcs.is_empty() {
        return Err(c.expected_after("an aggregation function", cmd));
    }
    let mut by = Vec::new();
    c.skip_ws();
    if let Some(kw) = ["by", "groupby"].into_iter().find(|k| c.peek_keyword(k)) {
        c.keyword(kw);
        by = by_list(c, &mut options, &[], kw)?;
    }
    Ok(StatsCmd { funcs, by, options })
}

/// `tstats`: options may stand anywhere (`by _time span=1h host` is common), the aggregations
/// come first, then `FROM datamodel=…`, `WHERE …` and `BY …` in that order.
fn parse_tstats(c: &mut Cursor) -> Result<TstatsCmd, ParseError> {
    let mut options = Vec::new();
    let funcs = agg_list(
        c,
        "tstats",
        &["from", "where", "by", "groupby"],
        &mut options,
    )?;
    if funcs.is_empty() {
        return Err(c.expected_after("an aggregation function", "tstats"));
    }
    let mut datamodel = None;
    let mut filter = None;
    let mut by = Vec::new();
    c.skip_ws();
    if c.keyword("from") {
        c.skip_ws();
        let named = if c
            .peek_option_key()
            .is_some_and(|k| k.eq_ignore_ascii_case("datamodel"))
        {
            option(c)?.value
        } else if c.keyword("datamodel") {
            c.skip_ws();
            c.value()?.0
        } else {
            return Err(c.expected_after("`datamodel=<name>`", "FROM"));
        };
        datamodel = Some(named);
        while at_option(c) {
            options.push(option(c)?);
        }
        c.skip_ws();
    }
    if c.keyword("where") {
        filter = Some(parse_search_until(c, false, &["by", "groupby"])?);
        c.skip_ws();
    }
    if c.keyword("by") || c.keyword("groupby") {
        loop {
            skip_sep(c);
            if c.at_command_end() {
                break;
            }
            if at_option(c) {
                options.push(option(c)?);
            } else {
                by.push(
                    c.field_name()
                        .map_err(|_| c.expected_after("a field name", "BY"))?
                        .0,
                );
            }
        }
        if by.is_empty() {
            return Err(c.expected_after("a field name", "BY"));
        }
    }
    while at_option(c) {
        options.push(option(c)?);
    }
    expect_end(c, "`FROM`, `WHERE`, `BY` or end of command")?;
    Ok(TstatsCmd {
        options,
        funcs,
        datamodel,
        filter,
        by,
    })
}

fn parse_chart(c: &mut Cursor) -> Result<ChartCmd, ParseError> {
    let mut options = Vec::new();
    let funcs = agg_list(c, "chart", &["by", "over"], &mut options)?;
    if funcs.is_empty() {
        return Err(c.expected_after("an aggregation function", "chart"));
    }
    let mut over = None;
    let mut by = Vec::new();
    loop {
        c.skip_ws();
        if c.keyword("over") {
            c.skip_ws();
            over = Some(
                c.field_name()
                    .map_err(|_| c.expected_after("a field name", "over"))?
                    .0,
            );
            while at_option(c) {
                options.push(option(c)?);
            }
        } else if c.keyword("by") {
            by = by_list(c, &mut options, &["over"], "by")?;
        } else {
            break;
        }
    }
    expect_end(c, "`by`, `over` or end of command")?;
    Ok(ChartCmd {
        funcs,
        over,
        by,
        options,
    })
}

fn parse_timechart(c: &mut Cursor) -> Result<TimechartCmd, ParseError> {
    let mut options = Vec::new();
    let funcs = agg_list(c, "timechart", &["by"], &mut options)?;
    if funcs.is_empty() {
        return Err(c.expected_after("an aggregation function", "timechart"));
    }
    let mut by = Vec::new();
    if c.keyword("by") {
        by = by_list(c, &mut options, &[], "by")?;
    }
    Ok(TimechartCmd { funcs, by, options })
}

fn parse_top(c: &mut Cursor, cmd: &str) -> Result<TopCmd, ParseError> {
    c.skip_ws();
    let mut limit = c.uint();
    let mut options = Vec::new();
    let mut fields = Vec::new();
    let mut by = Vec::new();
    loop {
        skip_sep(c);
        if c.at_command_end() {
            break;
        }
        if at_option(c) {
            let start = c.pos;
            let o = option(c)?;
            if o.key == "limit" {
                limit = Some(parse_u64_opt(
                    c,
                    &o.value,
                    Span::new(start, c.pos),
                    "limit",
                )?);
            } else {
                options.push(o);
            }
            continue;
        }
        if c.keyword("by") {
            by = by_list(c, &mut options, &[], "by")?;
            break;
        }
        let (f, _) = c
            .field_name()
            .map_err(|_| c.expected_after("a field name", cmd))?;
        fields.push(f);
    }
    if fields.is_empty() {
        return Err(c.expected_after("a field name", cmd));
    }
    Ok(TopCmd {
        limit,
        fields,
        by,
        options,
    })
}

// ---------------------------------------------------------------- bin / fillnull / spath / transaction

fn parse_bin(c: &mut Cursor, cmd: &str) -> Result<BinCmd, ParseError> {
    let mut options = Vec::new();
    let mut field = None;
    let mut alias = None;
    while !c.at_command_end() {
        if at_option(c) {
            options.push(option(c)?);
        } else if field.is_some() && alias.is_none() && c.keyword("as") {
            c.skip_ws();
            alias = Some(
                c.field_name()
                    .map_err(|_| c.expected_after("a field name", "AS"))?
                    .0,
            );
        } else if field.is_none() {
            field = Some(c.field_name()?.0);
        } else {
            return Err(c.expected(&["an option", "`AS`", "end of command"]));
        }
    }
    let Some(field) = field else {
        return Err(c.expected_after("a field name", cmd));
    };
    Ok(BinCmd {
        field,
        alias,
        options,
    })
}

fn parse_fillnull(c: &mut Cursor) -> Result<FillnullCmd, ParseError> {
    let mut value = None;
    let mut fields = Vec::new();
    loop {
        skip_sep(c);
        if c.at_command_end() {
            break;
        }
        if c.peek_option_key()
            .is_some_and(|k| k.eq_ignore_ascii_case("value"))
        {
            value = Some(option(c)?.value);
            continue;
        }
        fields.push(c.field_name()?.0);
    }
    Ok(FillnullCmd { value, fields })
}

fn parse_spath(c: &mut Cursor) -> Result<SpathCmd, ParseError> {
    let mut cmd = SpathCmd {
        input: None,
        output: None,
        path: None,
    };
    while !c.at_command_end() {
        if at_option(c) {
            let start = c.pos;
            let o = option(c)?;
            match o.key.as_str() {
                "input" => cmd.input = Some(o.value),
                "output" => cmd.output = Some(o.value),
                "path" => cmd.path = Some(o.value),
                k => {
                    return Err(c.error_at(
                        Span::new(start, c.pos),
                        format!("unknown spath option `{k}`"),
                        &["input=", "output=", "path="],
                    ))
                }
            }
        } else if cmd.path.is_none() {
            cmd.path = Some(c.value()?.0);
        } else {
            return Err(c.expected(&["an option", "end of command"]));
        }
    }
    Ok(cmd)
}

fn parse_transaction(c: &mut Cursor) -> Result<TransactionCmd, ParseError> {
    let mut fields = Vec::new();
    let mut options = Vec::new();
    loop {
        skip_sep(c);
        if c.at_command_end() {
            break;
        }
        if c.peek_option_key().is_some() {
            options.push(option(c)?);
        } else {
            fields.push(c.field_name()?.0);
        }
    }
    Ok(TransactionCmd { fields, options })
}

// ---------------------------------------------------------------- lookups

fn field_map(c: &mut Cursor, after: &str) -> Result<FieldMap, ParseError> {
    let (field, _) = c
        .field_name()
        .map_err(|_| c.expected_after("a field name", after))?;
    let save = c.pos;
    c.skip_ws();
    if c.keyword("as") {
        c.skip_ws();
        let (alias, _) = c
            .field_name()
            .map_err(|_| c.expected_after("a field name", "AS"))?;
        return Ok(FieldMap {
            field,
            alias: Some(alias),
        });
    }
    c.pos = save;
    Ok(FieldMap { field, alias: None })
}

fn parse_lookup(c: &mut Cursor) -> Result<LookupCmd, ParseError> {
    let mut options = Vec::new();
    while at_option(c) {
        options.push(option(c)?);
    }
    c.skip_ws();
    if c.at_command_end() {
        return Err(c.expected_after("a lookup table name", "lookup"));
    }
    let (table, _, _) = c.value()?;
    let mut inputs = Vec::new();
    let mut output = None;
    loop {
        skip_sep(c);
        if c.at_command_end() {
            break;
        }
        let new = if c.keyword("outputnew") {
            true
        } else if c.keyword("output") {
            false
        } else {
            inputs.push(field_map(c, "lookup")?);
            continue;
        };
        let mut fields = Vec::new();
        loop {
            skip_sep(c);
            if c.at_command_end() {
                break;
            }
            fields.push(field_map(c, if new { "OUTPUTNEW" } else { "OUTPUT" })?);
        }
        output = Some(LookupOutput { new, fields });
        break;
    }
    if inputs.is_empty() {
        return Err(c.expected_after("a field name", "the lookup table name"));
    }
    Ok(LookupCmd {
        table,
        inputs,
        output,
        options,
    })
}

fn parse_inputlookup(c: &mut Cursor) -> Result<InputlookupCmd, ParseError> {
    let mut options = Vec::new();
    let mut table = None;
    let mut filter = None;
    while !c.at_command_end() {
        if at_option(c) {
            options.push(option(c)?);
        } else if table.is_some() && c.keyword("where") {
            filter = Some(parse_search_expr(c, false)?);
        } else if table.is_none() {
            table = Some(c.value()?.0);
        } else {
            return Err(c.expected(&["`where`", "an option", "end of command"]));
        }
    }
    let Some(table) = table else {
        return Err(c.expected_after("a lookup table name", "inputlookup"));
    };
    Ok(InputlookupCmd {
        table,
        options,
        filter,
    })
}

fn parse_outputlookup(c: &mut Cursor) -> Result<OutputlookupCmd, ParseError> {
    let mut options = Vec::new();
    let mut table = None;
    while !c.at_command_end() {
        if at_option(c) {
            options.push(option(c)?);
        } else if table.is_none() {
            table = Some(c.value()?.0);
        } else {
            return Err(c.expected(&["an option", "end of command"]));
        }
    }
    let Some(table) = table else {
        return Err(c.expected_after("a lookup table name", "outputlookup"));
    };
    Ok(OutputlookupCmd { table, options })
}

// ---------------------------------------------------------------- mv commands, convert, addtotals

fn parse_mvexpand(c: &mut Cursor) -> Result<MvexpandCmd, ParseError> {
    let mut field = None;
    let mut limit = None;
    while !c.at_command_end() {
        if at_option(c) {
            let start = c.pos;
            let o = option(c)?;
            if o.key != "limit" {
                return Err(c.error_at(
                    Span::new(start, c.pos),
                    format!("unknown mvexpand option `{}`", o.key),
                    &["limit="],
                ));
            }
            limit = Some(parse_u64_opt(
                c,
                &o.value,
                Span::new(start, c.pos),
                "limit",
            )?);
        } else if field.is_none() {
            field = Some(c.field_name()?.0);
        } else {
            return Err(c.expected(&["end of command"]));
        }
    }
    let Some(field) = field else {
        return Err(c.expected_after("a field name", "mvexpand"));
    };
    Ok(MvexpandCmd { field, limit })
}

fn parse_makemv(c: &mut Cursor) -> Result<MakemvCmd, ParseError> {
    let mut field = None;
    let mut options = Vec::new();
    while !c.at_command_end() {
        if at_option(c) {
            options.push(option(c)?);
        } else if field.is_none() {
            field = Some(c.field_name()?.0);
        } else {
            return Err(c.expected(&["an option", "end of command"]));
        }
    }
    let Some(field) = field else {
        return Err(c.expected_after("a field name", "makemv"));
    };
    Ok(MakemvCmd { field, options })
}

fn parse_convert(c: &mut Cursor) -> Result<ConvertCmd, ParseError> {
    let mut options = Vec::new();
    let mut conversions = Vec::new();
    loop {
        skip_sep(c);
        if c.at_command_end() {
            break;
        }
        if c.peek_option_key().is_some() {
            options.push(option(c)?);
            continue;
        }
        let Some(func) = c.ident() else {
            return Err(c.expected_after("a conversion such as `ctime(field)`", "convert"));
        };
        let func = func.to_ascii_lowercase();
        if !c.eat("(") {
            return Err(c.expected_after("`(`", &format!("`{func}`")));
        }
        c.skip_ws();
        let (field, _) = c.field_name()?;
        c.skip_ws();
        if !c.eat(")") {
            return Err(c.expected(&["`)`"]));
        }
        let save = c.pos;
        c.skip_ws();
        let alias = if c.keyword("as") {
            c.skip_ws();
            Some(c.field_name()?.0)
        } else {
            c.pos = save;
            None
        };
        conversions.push(Conversion { func, field, alias });
    }
    if conversions.is_empty() {
        return Err(c.expected_after("a conversion such as `ctime(field)`", "convert"));
    }
    Ok(ConvertCmd {
        options,
        conversions,
    })
}

fn parse_addtotals(c: &mut Cursor) -> Result<AddtotalsCmd, ParseError> {
    let mut options = Vec::new();
    let mut fields = Vec::new();
    loop {
        skip_sep(c);
        if c.at_command_end() {
            break;
        }
        if c.peek_option_key().is_some() {
            options.push(option(c)?);
        } else {
            fields.push(c.field_name()?.0);
        }
    }
    Ok(AddtotalsCmd { options, fields })
}

// ---------------------------------------------------------------- count, options, fields

fn parse_args_cmd(c: &mut Cursor) -> Result<ArgsCmd, ParseError> {
    c.skip_ws();
    let count = c.uint();
    let mut fields = Vec::new();
    let mut options = Vec::new();
    loop {
        skip_sep(c);
        if c.at_command_end() {
            break;
        }
        if c.peek_option_key().is_some() {
            options.push(option(c)?);
        } else {
            fields.push(c.field_name()?.0);
        }
    }
    Ok(ArgsCmd {
        count,
        fields,
        options,
    })
}

// ---------------------------------------------------------------- append / join

fn parse_append(c: &mut Cursor, cmd: &str) -> Result<AppendCmd, ParseError> {
    let mut options = Vec::new();
    while at_option(c) {
        options.push(option(c)?);
    }
    c.skip_ws();
    if c.peek() != Some('[') {
        return Err(c.expected_after("a subsearch `[...]`", cmd));
    }
    let subsearch = parse_subsearch(c)?;
    expect_end(c, "end of command")?;
    Ok(AppendCmd { options, subsearch })
}

/// Options, then one or more subsearches.
fn parse_union(c: &mut Cursor, cmd: &str) -> Result<UnionCmd, ParseError> {
    let mut options = Vec::new();
    while at_option(c) {
        options.push(option(c)?);
    }
    let mut subsearches = Vec::new();
    loop {
        c.skip_ws();
        if c.peek() != Some('[') {
            break;
        }
        subsearches.push(parse_subsearch(c)?);
    }
    if subsearches.is_empty() {
        return Err(c.expected_after("a subsearch `[...]`", cmd));
    }
    expect_end(c, "a subsearch `[...]` or end of command")?;
    Ok(UnionCmd {
        options,
        subsearches,
    })
}

fn parse_join(c: &mut Cursor) -> Result<JoinCmd, ParseError> {
    let mut options = Vec::new();
    let mut fields = Vec::new();
    loop {
        skip_sep(c);
        if c.at_command_end() {
            return Err(c.expected_after("a subsearch `[...]`", "join"));
        }
        if c.peek() == Some('[') {
            break;
        }
        if c.peek_option_key().is_some() {
            options.push(option(c)?);
        } else {
            fields.push(c.field_name()?.0);
        }
    }
    let subsearch = parse_subsearch(c)?;
    expect_end(c, "end of command")?;
    Ok(JoinCmd {
        options,
        fields,
        subsearch,
    })
}
