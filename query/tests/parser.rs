//! Parser behaviour: semantics of the search language, eval precedence, command
//! arguments, comments, macros, error positions and robustness on large input.

use loupe_query::*;

fn p(text: &str) -> Pipeline {
    parse(text).unwrap_or_else(|e| {
        let shown: String = text.chars().take(200).collect();
        panic!("{shown:?}: {e}")
    })
}

fn search(text: &str) -> SearchExpr {
    match p(text).commands.remove(0).kind {
        CommandKind::Search(s) => s,
        other => panic!("not a search: {other:?}"),
    }
}

fn expr(text: &str) -> Expr {
    match p(&format!("| where {text}")).commands.remove(0).kind {
        CommandKind::Where(e) => e,
        other => panic!("not a where: {other:?}"),
    }
}

fn err(text: &str) -> ParseError {
    match parse(text) {
        Ok(p) => panic!("{text:?} parsed as {p:?}"),
        Err(e) => e,
    }
}

/// Round trip helper: canonical print of the parse, asserting it re-parses identically.
fn canon(text: &str) -> String {
    let mut a = p(text);
    let printed = a.to_string();
    let mut b = p(&printed);
    a.strip_spans();
    b.strip_spans();
    assert_eq!(a, b, "round trip of {text:?} via {printed:?}");
    printed
}

fn term(e: &SearchExpr) -> &str {
    match e {
        SearchExpr::Term { text, .. } => text,
        other => panic!("not a term: {other:?}"),
    }
}

// ------------------------------------------------------------------ search language

#[test]
fn empty_and_star_are_all() {
    assert_eq!(search(""), SearchExpr::All);
    assert_eq!(search("*"), SearchExpr::All);
    assert_eq!(search("  \n\t"), SearchExpr::All);
    assert_eq!(canon(""), "*");
}

#[test]
fn or_binds_tighter_than_implicit_and() {
    let SearchExpr::And(items) = search("a b OR c d") else {
        panic!()
    };
    assert_eq!(items.len(), 3);
    assert_eq!(term(&items[0]), "a");
    let SearchExpr::Or(or) = &items[1] else {
        panic!("{items:?}")
    };
    assert_eq!((term(&or[0]), term(&or[1])), ("b", "c"));
    assert_eq!(term(&items[2]), "d");
}

#[test]
fn lower_case_boolean_words_are_terms() {
    let SearchExpr::And(items) = search("a or b and not c") else {
        panic!()
    };
    let words: Vec<_> = items.iter().map(term).collect();
    assert_eq!(words, ["a", "or", "b", "and", "not", "c"]);
}

#[test]
fn not_and_parentheses() {
    let SearchExpr::And(items) = search("NOT a NOT (b OR c) AND d") else {
        panic!()
    };
    assert!(matches!(&items[0], SearchExpr::Not(x) if term(x) == "a"));
    assert!(matches!(&items[1], SearchExpr::Not(x) if matches!(**x, SearchExpr::Or(_))));
    assert_eq!(term(&items[2]), "d");
}

#[test]
fn fields_comparisons_and_time_bounds() {
    let SearchExpr::And(items) = search(
        "index=main sourcetype = linux_secure status>=500 x!=\"a b\" earliest=-7d@w1 latest=@d _index_earliest=-1h",
    ) else {
        panic!()
    };
    assert!(
        matches!(&items[0], SearchExpr::Field { field, op: CmpOp::Eq, value, quoted: false, .. } if field == "index" && value == "main")
    );
    assert!(
        matches!(&items[1], SearchExpr::Field { field, value, .. } if field == "sourcetype" && value == "linux_secure")
    );
    assert!(matches!(&items[2], SearchExpr::Field { op: CmpOp::Ge, value, .. } if value == "500"));
    assert!(
        matches!(&items[3], SearchExpr::Field { op: CmpOp::Ne, value, quoted: true, .. } if value == "a b")
    );
    assert!(
        matches!(&items[4], SearchExpr::TimeBound { bound: TimeBound::Earliest, value, .. } if value == "-7d@w1")
    );
    assert!(
        matches!(&items[5], SearchExpr::TimeBound { bound: TimeBound::Latest, value, .. } if value == "@d")
    );
    assert!(matches!(
        &items[6],
        SearchExpr::TimeBound {
            bound: TimeBound::IndexEarliest,
            ..
        }
    ));
}

#[test]
fn phrases_resolve_escapes() {
    let SearchExpr::Phrase { text, span } = search(r#""say \"hi\" C:\\dir \d""#) else {
        panic!()
    };
    assert_eq!(text, r#"say "hi" C:\dir \d"#);
    assert_eq!(span, Span::new(0, 23));
}

#[test]
fn field_in_list_and_quoted_field_names() {
    let SearchExpr::And(items) = search(r#"x IN (a, "b c" d*) "DNS.query"="*.arpa""#) else {
        panic!()
    };
    assert!(
        matches!(&items[0], SearchExpr::FieldIn { field, values, .. } if field == "x" && values == &["a", "b c", "d*"])
    );
    assert!(
        matches!(&items[1], SearchExpr::Field { field, value, .. } if field == "DNS.query" && value == "*.arpa")
    );
}

#[test]
fn terms_keep_wildcards_and_dollar_tokens() {
    let SearchExpr::And(items) = search("fail* $user$ *error*") else {
        panic!()
    };
    let words: Vec<_> = items.iter().map(term).collect();
    assert_eq!(words, ["fail*", "$user$", "*error*"]);
}

#[test]
fn term_and_case_directives_stay_whole() {
    let SearchExpr::And(items) = search("TERM(10.0.0.1) CASE(Error) TERM x") else {
        panic!()
    };
    let words: Vec<_> = items.iter().map(term).collect();
    assert_eq!(words, ["TERM(10.0.0.1)", "CASE(Error)", "TERM", "x"]);
    assert!(err("TERM(a | stats count")
        .message
        .contains("unclosed parenthesis"));
    canon("TERM(a=b) CASE(\"x y\")");
}

#[test]
fn subsearches_nested_and_in_a_row() {
    let s =
        search("a NOT [search b [search c] | fields x] [| inputlookup t.csv] [inputlookup u.csv]");
    let SearchExpr::And(items) = s else { panic!() };
    assert_eq!(items.len(), 4);
    let SearchExpr::Not(inner) = &items[1] else {
        panic!()
    };
    let SearchExpr::Subsearch { pipeline, .. } = &**inner else {
        panic!()
    };
    assert_eq!(pipeline.commands.len(), 2);
    assert!(
        matches!(&items[2], SearchExpr::Subsearch { pipeline, .. } if pipeline.commands[0].name == "inputlookup")
    );
    assert!(
        matches!(&items[3], SearchExpr::Subsearch { pipeline, .. } if pipeline.commands[0].name == "inputlookup")
    );
}

// ------------------------------------------------------------------ layout and comments

#[test]
fn line_breaks_tabs_and_comments_anywhere() {
    let text = "index=main ```base | [ \"search``` error\n|\t```keep only what matters```stats\tcount\n\tBY host\n| ```x```\n sort - count";
    let pl = p(text);
    let names: Vec<_> = pl.commands.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["search", "stats", "sort"]);
    assert_eq!(
        pl.to_string(),
        "index=main error | stats count BY host | sort -count"
    );
    // Spans still index into the original text.
    let CommandKind::Search(SearchExpr::And(items)) = &pl.commands[0].kind else {
        panic!()
    };
    let SearchExpr::Term { span, .. } = &items[1] else {
        panic!()
    };
    assert_eq!(&text[span.start..span.end], "error");
}

#[test]
fn comments_inside_subsearch_and_quotes_are_respected() {
    let pl = p("a [search b ```]``` | head 1] | eval x=\"```not a comment```\"");
    let CommandKind::Eval(v) = &pl.commands[1].kind else {
        panic!()
    };
    assert!(matches!(&v[0].1, Expr::Str { value, .. } if value == "```not a comment```"));
}

#[test]
fn keywords_in_any_case() {
    let pl = p("* | STATS Count By host | lookup t a as b OUTPUT c AS d | stats dc(x) groupby y");
    assert_eq!(pl.commands[1].name, "stats");
    let CommandKind::Stats(s) = &pl.commands[1].kind else {
        panic!()
    };
    assert_eq!(
        (s.funcs[0].func.as_str(), s.by.as_slice()),
        ("count", &["host".to_string()][..])
    );
    let CommandKind::Lookup(l) = &pl.commands[2].kind else {
        panic!()
    };
    assert_eq!(l.inputs[0].alias.as_deref(), Some("b"));
    assert_eq!(
        l.output.as_ref().map(|o| o.fields[0].alias.clone()),
        Some(Some("d".into()))
    );
    let CommandKind::Stats(s) = &pl.commands[3].kind else {
        panic!()
    };
    assert_eq!(s.by, ["y"]);
}

// ------------------------------------------------------------------ commands

#[test]
fn sort_and_fields_forms() {
    for (text, limit, desc) in [
        ("| sort - count", None, true),
        ("| sort -count", None, true),
        ("| sort 0 -count", Some(0), true),
        ("| sort limit=5 +count", Some(5), false),
        ("| sort count", None, false),
    ] {
        let CommandKind::Sort(s) = &p(text).commands[0].kind else {
            panic!()
        };
        assert_eq!(
            (s.limit, s.keys[0].desc, s.keys[0].field.as_str()),
            (limit, desc, "count"),
            "{text}"
        );
    }
    let CommandKind::Sort(s) = &p("| sort num(x), -str(y) d").commands[0].kind else {
        panic!()
    };
    assert_eq!(s.keys[0].func.as_deref(), Some("num"));
    assert!(s.keys[1].desc && s.reverse);
    let CommandKind::Fields(f) = &p("| fields - x, y").commands[0].kind else {
        panic!()
    };
    assert!(f.remove);
    assert_eq!(f.fields, ["x", "y"]);
    let CommandKind::Fields(f) = &p("| fields + x y").commands[0].kind else {
        panic!()
    };
    assert!(!f.remove);
    assert_eq!(f.fields, ["x", "y"]);
}

#[test]
fn head_forms() {
    let CommandKind::Head(h) = &p("| head").commands[0].kind else {
        panic!()
    };
    assert_eq!((h.limit, h.expr.is_none()), (10, true));
    let CommandKind::Head(h) = &p("| head 5").commands[0].kind else {
        panic!()
    };
    assert_eq!(h.limit, 5);
    let CommandKind::Head(h) = &p("| head limit=3 (x > 1)").commands[0].kind else {
        panic!()
    };
    assert_eq!(h.limit, 3);
    assert!(h.expr.is_some());
}

#[test]
fn stats_aggregations() {
    let CommandKind::Stats(s) = &p(r#"| stats count, count(eval(x>5)) as big dc("DNS.query") AS "distinct q" perc95(rt) values(*) sparkline by "my field", b"#)
        .commands[0]
        .kind
    else {
        panic!()
    };
    let funcs: Vec<_> = s.funcs.iter().map(|a| a.func.as_str()).collect();
    assert_eq!(
        funcs,
        ["count", "count", "dc", "perc95", "values", "sparkline"]
    );
    assert!(matches!(&s.funcs[1].arg, Some(Expr::Call { name, .. }) if name == "eval"));
    assert_eq!(s.funcs[1].alias.as_deref(), Some("big"));
    assert!(matches!(&s.funcs[2].arg, Some(Expr::Field { name, .. }) if name == "DNS.query"));
    assert_eq!(s.funcs[2].alias.as_deref(), Some("distinct q"));
    assert_eq!(s.by, ["my field", "b"]);
}

#[test]
fn chart_timechart_top_bin() {
    let pl = p("| timechart span=1h count by host limit=5 | chart avg(x) over a by b | top limit=3 x by y | rare 2 z | bucket _time span=1d | bin span=5m _time as t");
    let CommandKind::Timechart(t) = &pl.commands[0].kind else {
        panic!()
    };
    assert_eq!(t.by, ["host"]);
    assert_eq!(t.options.len(), 2);
    let CommandKind::Chart(c) = &pl.commands[1].kind else {
        panic!()
    };
    assert_eq!(
        (c.over.as_deref(), c.by.as_slice()),
        (Some("a"), &["b".to_string()][..])
    );
    let CommandKind::Top(t) = &pl.commands[2].kind else {
        panic!()
    };
    assert_eq!(
        (t.limit, t.fields.as_slice(), t.by.as_slice()),
        (Some(3), &["x".to_string()][..], &["y".to_string()][..])
    );
    let CommandKind::Rare(t) = &pl.commands[3].kind else {
        panic!()
    };
    assert_eq!(t.limit, Some(2));
    assert_eq!(pl.commands[4].name, "bucket");
    let CommandKind::Bin(b) = &pl.commands[5].kind else {
        panic!()
    };
    assert_eq!((b.field.as_str(), b.alias.as_deref()), ("_time", Some("t")));
}

#[test]
fn unquoted_regex_arguments() {
    let pl = p(
        r#"| makemv tokenizer=(\S+) x | regex field=^a.*$ | regex _raw!=x | rex field=msg max_match=0 "(?<n>\d+)""#,
    );
    let CommandKind::Makemv(m) = &pl.commands[0].kind else {
        panic!()
    };
    assert_eq!(m.options[0].value, r"(\S+)");
    let CommandKind::Regex(r) = &pl.commands[1].kind else {
        panic!()
    };
    assert_eq!(
        (r.field.as_deref(), r.pattern.as_str(), r.negate),
        (Some("field"), "^a.*$", false)
    );
    let CommandKind::Regex(r) = &pl.commands[2].kind else {
        panic!()
    };
    assert!(r.negate);
    let CommandKind::Rex(r) = &pl.commands[3].kind else {
        panic!()
    };
    assert_eq!(
        (r.field.as_deref(), r.pattern.as_str()),
        (Some("msg"), r"(?<n>\d+)")
    );
    let pl = p(r#"| regex "my field"!="a b""#);
    let CommandKind::Regex(r) = &pl.commands[0].kind else {
        panic!()
    };
    assert_eq!(
        (r.field.as_deref(), r.negate, r.pattern.as_str()),
        (Some("my field"), true, "a b")
    );
}

#[test]
fn lookups_and_subsearch_commands() {
    let pl = p("| inputlookup append=t hosts.csv where env=prod | lookup local=true t host AS h OUTPUTNEW owner | outputlookup out.csv | append [search b] | join type=left host [search c | fields host]");
    let CommandKind::Inputlookup(i) = &pl.commands[0].kind else {
        panic!()
    };
    assert_eq!(i.table, "hosts.csv");
    assert!(matches!(i.filter, Some(SearchExpr::Field { .. })));
    let CommandKind::Lookup(l) = &pl.commands[1].kind else {
        panic!()
    };
    assert!(l.output.as_ref().is_some_and(|o| o.new));
    let CommandKind::Join(j) = &pl.commands[4].kind else {
        panic!()
    };
    assert_eq!(j.fields, ["host"]);
    assert_eq!(j.subsearch.commands.len(), 2);
}

#[test]
fn unknown_commands_are_generic_with_raw_arguments() {
    let pl = p("| mstats count from datamodel=X where a=\"|\" by c | foreach [| stats count | eval x=1] | iplocation src");
    assert!(
        matches!(&pl.commands[0].kind, CommandKind::Generic { args } if args == "count from datamodel=X where a=\"|\" by c")
    );
    assert!(
        matches!(&pl.commands[1].kind, CommandKind::Generic { args } if args == "[| stats count | eval x=1]")
    );
    assert_eq!(pl.commands[2].name, "iplocation");
}

// ------------------------------------------------------------------ eval expressions

#[test]
fn eval_precedence() {
    assert_eq!(
        expr("a OR b XOR c AND NOT d = 1 + 2 * -3").to_string(),
        "a OR b XOR c AND NOT d = 1 + 2 * -3"
    );
    let Expr::Or { items, .. } = expr("a or b and c OR d") else {
        panic!()
    };
    assert_eq!(items.len(), 3);
    assert!(matches!(&items[1], Expr::And { items, .. } if items.len() == 2));
    // Logical lists are flat, even across parentheses.
    assert!(matches!(expr("a AND (b AND c) AND d"), Expr::And { items, .. } if items.len() == 4));
    let Expr::Binary {
        op: BinOp::Add,
        right,
        ..
    } = expr("1 + 2 * 3")
    else {
        panic!()
    };
    assert!(matches!(*right, Expr::Binary { op: BinOp::Mul, .. }));
    let Expr::Unary {
        op: UnaryOp::Not,
        expr: inner,
        ..
    } = expr("not x = 1")
    else {
        panic!()
    };
    assert!(matches!(*inner, Expr::Binary { op: BinOp::Eq, .. }));
    assert_eq!(expr("(1 + 2) * 3").to_string(), "(1 + 2) * 3");
    assert_eq!(expr("1 - (2 - 3)").to_string(), "1 - (2 - 3)");
    assert_eq!(expr("x . \"a\" . 'y z'").to_string(), "x . \"a\" . 'y z'");
}

#[test]
fn eval_field_names_and_literals() {
    assert!(matches!(expr("eai:acl.app"), Expr::Field { name, .. } if name == "eai:acl.app"));
    assert!(matches!(expr("findings{}.x"), Expr::Field { name, .. } if name == "findings{}.x"));
    assert!(matches!(expr("'my field'"), Expr::Field { name, .. } if name == "my field"));
    let Expr::Binary {
        op: BinOp::Concat,
        left,
        right,
        ..
    } = expr("src_ip.\":\".port")
    else {
        panic!()
    };
    assert!(matches!(*right, Expr::Field { name, .. } if name == "port"));
    assert!(matches!(
        *left,
        Expr::Binary {
            op: BinOp::Concat,
            ..
        }
    ));
    assert!(matches!(expr("1.5e3"), Expr::Float { value, .. } if value == 1500.0));
    assert!(matches!(expr("42"), Expr::Int { value: 42, .. }));
    assert!(matches!(expr("TRUE"), Expr::Bool { value: true, .. }));
}

#[test]
fn eval_in_like_and_calls() {
    assert!(matches!(expr("x IN (\"a\", 1)"), Expr::In { list, .. } if list.len() == 2));
    assert!(matches!(
        expr("x not in (1)"),
        Expr::Unary {
            op: UnaryOp::Not,
            ..
        }
    ));
    assert!(matches!(
        expr("x LIKE \"a%\""),
        Expr::Binary {
            op: BinOp::Like,
            ..
        }
    ));
    assert!(
        matches!(expr("IF(a, b, c)"), Expr::Call { name, args, .. } if name == "if" && args.len() == 3)
    );
    assert!(matches!(expr("now()"), Expr::Call { args, .. } if args.is_empty()));
    let CommandKind::Eval(v) = &p("| eval a=1, 'b c'=2, \"d\"=x . y").commands[0].kind else {
        panic!()
    };
    let names: Vec<_> = v.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["a", "b c", "d"]);
}

// ------------------------------------------------------------------ errors

#[test]
fn error_unclosed_quote() {
    let e = err("error \"unfinished | stats count");
    assert_eq!(e.span.start, 6);
    assert_eq!(
        e.to_string(),
        "unclosed quote: expected closing \" at column 7"
    );
}

#[test]
fn error_unclosed_bracket() {
    let e = err("error NOT [search x | head 1");
    assert_eq!(e.span.start, 10);
    assert!(
        e.to_string()
            .starts_with("unclosed subsearch: expected `]`"),
        "{e}"
    );
    assert!(e.to_string().ends_with("at column 11"), "{e}");
    assert_eq!(e.expected, ["]"]);
}

#[test]
fn error_stats_by_nothing() {
    let e = err("error | stats count by");
    assert_eq!(
        e.to_string(),
        "expected a field name after by, found end of input at column 23"
    );
    assert_eq!(e.span, Span::new(22, 22));
}

#[test]
fn error_head_not_a_number() {
    let e = err("error | head abc");
    assert_eq!(
        e.to_string(),
        "expected a number after head, found `abc` at column 14"
    );
    assert_eq!(e.span, Span::new(13, 16));
    assert_eq!(e.expected, ["a number"]);
}

#[test]
fn error_empty_command() {
    let e = err("error | | stats count");
    assert_eq!(e.span.start, 8);
    assert!(e.to_string().contains("empty command"), "{e}");
    assert!(e.to_string().ends_with("at column 9"), "{e}");
    let e = err("error |");
    assert_eq!(
        e.to_string(),
        "expected a command name after `|`, found end of input (empty command) at column 8"
    );
}

#[test]
fn error_line_and_column_on_multiline_text() {
    let text = "error\n| stats count\n| head abc";
    let e = err(text);
    assert_eq!(e.line_col(text), (3, 8));
    assert_eq!(
        e.to_string(),
        "expected a number after head, found `abc` at line 3, column 8"
    );
}

#[test]
fn error_more_cases() {
    assert!(err("a )").to_string().contains("`)`"));
    assert!(err("| eval x=")
        .to_string()
        .starts_with("expected an expression"));
    assert!(err("| eval x=(1").to_string().contains("expected `)`"));
    assert!(err("| where x = ")
        .to_string()
        .starts_with("expected an expression after `=`"));
    assert!(err("| eval x=f(1,")
        .to_string()
        .starts_with("expected an expression"));
    assert!(err("a OR")
        .to_string()
        .starts_with("expected a search term after OR"));
    assert!(err("a ```x")
        .to_string()
        .starts_with("unclosed ``` comment"));
    assert!(err("| rename a b").to_string().starts_with("expected `AS`"));
    assert!(err("| stats")
        .to_string()
        .starts_with("expected an aggregation function"));
}

// ------------------------------------------------------------------ robustness

#[test]
fn huge_flat_searches_parse_fast() {
    let ors: Vec<String> = (0..5000).map(|i| format!("host=web-{i}")).collect();
    let text = format!("index=main ({}) | stats count by host", ors.join(" OR "));
    assert!(text.len() > 40_000);
    let start = std::time::Instant::now();
    let pl = p(&text);
    let CommandKind::Search(SearchExpr::And(items)) = &pl.commands[0].kind else {
        panic!()
    };
    assert!(matches!(&items[1], SearchExpr::Or(v) if v.len() == 5000));
    let evals: Vec<String> = (0..3000).map(|i| format!("x{i}")).collect();
    let text2 = format!(
        "| eval y={} | where {}",
        evals[..400].join(" . "),
        evals.join(" OR ")
    );
    p(&text2);
    let pipes: String = (0..2000).map(|i| format!(" | eval a{i}=1")).collect();
    p(&format!("*{pipes}"));
    assert!(start.elapsed().as_secs() < 5, "took {:?}", start.elapsed());
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    // At the limit of the nesting budget (runs on a 2 MiB test thread in debug builds).
    p(&format!("{}a{}", "(".repeat(100), ")".repeat(100)));
    p(&format!("| eval x={}1{}", "(".repeat(99), ")".repeat(99)));
    p(&format!("| eval x={}1{}", "f(".repeat(49), ")".repeat(49)));
    p(&format!("{}{}", "a [search ".repeat(20), "]".repeat(20)));
    for n in [1, 10, 16, 17, 100] {
        let mixed = format!(
            "{}x{}",
            "a [search (b OR [| where f((".repeat(n),
            "))] )]".repeat(n)
        );
        let _ = parse(&mixed);
    }
    // Far beyond it: a clean error.
    let deep = format!("{}a{}", "(".repeat(100_000), ")".repeat(100_000));
    assert!(err(&deep).message.contains("nesting too deep"));
    let deep_expr = format!("| eval x={}1{}", "(".repeat(100_000), ")".repeat(100_000));
    assert!(err(&deep_expr).message.contains("nesting too deep"));
    let deep_sub = format!("{}{}", "a [search ".repeat(10_000), "]".repeat(10_000));
    assert!(err(&deep_sub).message.contains("nesting too deep"));
    // Prefix operators are tree levels too.
    p(&format!("| eval x={}1", "NOT ".repeat(90)));
    p(&format!("{}a", "NOT ".repeat(90)));
    assert!(err(&format!("| eval x={}1", "NOT ".repeat(100_000)))
        .message
        .contains("nesting too deep"));
    assert!(err(&format!("| eval x={}1", "-".repeat(100_000)))
        .message
        .contains("nesting too deep"));
    assert!(err(&format!("{}a", "NOT ".repeat(100_000)))
        .message
        .contains("nesting too deep"));
    // Long operator chains: flat lists for AND/OR, a clean error for absurd arithmetic.
    let ors: Vec<String> = (0..20_000).map(|i| format!("x={i}")).collect();
    let pl = p(&format!("| where {}", ors.join(" OR ")));
    let _ = (pl.clone() == pl, pl.to_string(), serde_json::to_string(&pl));
    let sums: Vec<String> = (0..600).map(|i| format!("x{i}")).collect();
    assert!(err(&format!("| eval y={}", sums.join(" + ")))
        .message
        .contains("too long"));
}

#[test]
fn pathological_inputs_do_not_panic() {
    for text in [
        "|",
        "[",
        "]",
        "(",
        ")",
        "\"",
        "'",
        "`",
        "=",
        "!=",
        "a=",
        "| eval",
        "| eval =",
        "| stats count(",
        "| head (",
        "| sort -",
        "| rename",
        "| lookup",
        "| join",
        "| append",
        "[search",
        "| eval x='a",
        "| where \"",
        "a IN (",
        "a IN",
        "| rex",
        "| regex",
        "\\",
        "é ü | eval é=ü",
        "| top",
        "| fields -",
        "| convert ctime(",
        "| dedup",
        "| bin",
        "| eval x=1e",
        "| eval x=.",
        "| eval x=1.",
        "| eval x=--1",
    ] {
        let _ = parse(text);
    }
}

// ------------------------------------------------------------------ macros

#[test]
fn macros_expand_with_arguments_nested_and_in_any_position() {
    let mut t = MacroTable::new();
    t.define("web", &[], "index=web sourcetype=access_combined");
    t.define("errors", &["min"], "`web` status>=$min$");
    t.define("drop", &["obj"], "rename $obj$.* AS *");
    t.define("pair", &["a", "b"], "eval x=$a$, y=$b$");
    let out = expand_macros(
        "`errors(500)` | `drop(\"Web\")` | `pair(1, \"a,b\")` | eval z=\"`web`\"",
        &t,
    )
    .unwrap();
    assert_eq!(
        out,
        "index=web sourcetype=access_combined status>=500 | rename \"Web\".* AS * | eval x=1, y=\"a,b\" | eval z=\"`web`\""
    );
    let pl = p(&out);
    assert!(matches!(&pl.commands[1].kind, CommandKind::Rename(v) if v[0].0 == "Web.*"));
    // ``` comments are not macro calls.
    assert_eq!(expand_macros("a ```x``` b", &t).unwrap(), "a ```x``` b");
}

#[test]
fn macro_errors() {
    let mut t = MacroTable::new();
    t.define("loop", &[], "a `loop`");
    t.define("uses_missing", &[], "`missing`");
    let e = expand_macros("x `nope` y", &t).unwrap_err();
    assert_eq!(e.span, Span::new(2, 8));
    assert_eq!(e.to_string(), "unknown macro `nope` at column 3");
    let e = expand_macros("x `loop`", &t).unwrap_err();
    assert!(e.message.contains("deeper than"), "{e}");
    assert_eq!(e.span, Span::new(2, 8));
    for i in 0..30 {
        t.define(
            &format!("twice{i}"),
            &[],
            &format!("`twice{}` `twice{}`", i + 1, i + 1),
        );
    }
    t.define("twice30", &[], "x");
    let e = expand_macros("`twice0`", &t).unwrap_err();
    assert!(e.message.contains("larger than"), "{e}");
    let e = expand_macros("`uses_missing`", &t).unwrap_err();
    assert!(e.message.contains("unknown macro `missing`"), "{e}");
    let e = expand_macros("`nope(1, 2)`", &t).unwrap_err();
    assert!(e.message.contains("`nope(2)`"), "{e}");
    assert!(expand_macros("a `unclosed", &t).is_err());
}

#[test]
fn macro_table_from_ndjson() {
    let t = MacroTable::from_ndjson(
        "{\"name\": \"a\", \"arguments\": [], \"definition\": \"x=1\"}\n\n{\"name\": \"b(1)\", \"arguments\": [\"f\"], \"definition\": \"$f$=2\"}\n",
    )
    .unwrap();
    assert_eq!(t.len(), 2);
    assert_eq!(expand_macros("`a` `b(y)`", &t).unwrap(), "x=1 y=2");
    assert!(MacroTable::from_ndjson("not json").is_err());
}

// ------------------------------------------------------------------ printing

#[test]
fn canonical_printing_round_trips() {
    for text in [
        "error host=web* | stats count by status | sort -count",
        "a (b c) OR d NOT (e OR f) \"x y\" x!=\"\" 'q' <script>",
        "| makeresults | eval a=-(-1), b=NOT (x AND y), c=-(NOT x), d=1e300, e=\"\\\\\", f='it\\'s'",
        "| where (a OR b) AND c = (d = e)",
        "| stats count by d | sort d, -desc d",
        "| table \"a b\", \"as\", \"10\", count(x)",
        "| eval \"a b\"=1 | rename \"a b\" AS c",
        "| transaction x startswith=(a=\"b c\") endswith=eval(x > 1) maxspan=1h",
        "| rex \"\\\\\\\"\" | regex \"a\\\"b\\\\\"",
        "search search",
        "| search search",
        "x = \"\" y",
    ] {
        canon(text);
    }
}

mod fuzz {
    use super::*;
    use proptest::prelude::*;

    /// Fragments that exercise every corner of the grammar when glued at random.
    fn fragment() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec![
            " ",
            "\n",
            "\t",
            "|",
            "| ",
            "[",
            "]",
            "(",
            ")",
            "\"",
            "\\",
            "'",
            ",",
            "=",
            "!=",
            "<",
            ">=",
            "*",
            "-",
            "+",
            ".",
            "a",
            "x1",
            "eai:acl.app",
            "f{}.x",
            "$v$",
            "OR",
            "AND",
            "NOT",
            "or",
            "IN",
            "in",
            "like",
            "search",
            "eval",
            "where",
            "stats",
            "count",
            "by",
            "as",
            "sort",
            "head",
            "10",
            "1.5",
            "fields",
            "table",
            "rename",
            "rex",
            "regex",
            "lookup",
            "OUTPUT",
            "dedup",
            "top",
            "bin",
            "span=1h",
            "join",
            "append",
            "tstats",
            "earliest=-1d@d",
            "\"q w\"",
            "'f g'",
            "```c```",
            "if(",
            "TERM(",
            "makemv",
            "tokenizer=(\\S+)",
            "inputlookup",
            "timechart",
            "chart",
            "over",
            "convert",
            "ctime(",
            "é",
            "fillnull",
            "value=0",
            "spath",
            "transaction",
            "mvexpand",
            "tail",
            "eventstats",
            "d",
        ])
    }

    /// Field names, most of which need quoting somewhere.
    fn field_name() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-z_][a-z0-9_.:{}]{0,8}",
            prop::sample::select(vec![
                "a b", "as", "BY", "d", "desc", "10", "x=y", "-x", "+x", "count(x)", "(a)", "a\\",
                "é", "a,b", "it's", "'q'", "OUTPUT", "over", "x```y", "a|b", "[x]", "NOT", "OR",
                "in", "true",
            ])
            .prop_map(str::to_string),
        ]
    }

    /// Values and patterns with quotes, backslashes, operators and blanks.
    fn value_text() -> impl Strategy<Value = String> {
        prop_oneof!["[ -~]{0,10}", "[a-z*\\\\\\\"=<>!()|\\[\\], ]{0,8}"]
    }

    const TEMPLATES: &[&str] = &[
        "search @F0=@V0 OR @F1!=@V1 NOT @F2 IN (@V0, @V1)",
        "where @F0 = @V0 AND NOT @F1 LIKE @V1",
        "eval @F0=if(isnull('x'), @V0 . @V1, -1), @F1=@V1",
        "rex field=@F0 @V0",
        "fields - @F0, @F1",
        "table @F0 @F1 @F2",
        "rename @F0 AS @F1, @F2 AS @F0",
        "sort 0 -@F0, num(@F1)",
        "head 5",
        "tail 3",
        "dedup 2 @F0 @F1 keepempty=@V0 sortby -@F2",
        "stats count, dc(@F0) AS @F1, values(@F2) by @F0, @F1",
        "eventstats max(@F0) as @F1 by @F2",
        "streamstats window=@V0 count(eval(@F0 > 1)) as @F1",
        "chart limit=@V0 count over @F0 by @F1",
        "timechart span=@V0 avg(@F0) by @F1",
        "top limit=3 @F0 by @F1",
        "rare @F0",
        "bin @F0 span=@V0 as @F1",
        "fillnull value=@V0 @F0 @F1",
        "spath input=@F0 output=@F1 path=@V0",
        "transaction @F0 @F1 maxspan=@V0",
        "lookup local=@V0 @V1 @F0 AS @F1 OUTPUTNEW @F2 AS @F0",
        "inputlookup append=@V0 @V1 where @F0=@V0",
        "outputlookup @V0",
        "makeresults count=@V0",
        "regex @F0=@V0",
        "regex @F1!=@V1",
        "mvexpand @F0 limit=4",
        "makemv delim=@V0 @F0",
        "convert timeformat=@V0 ctime(@F0) AS @F1",
        "addtotals fieldname=@V0 @F0 @F1",
        "append [search @F0=@V0 | head 1]",
        "join type=@V0 @F0 @F1 [search @F1=@V1]",
    ];

    fn sp() -> Span {
        Span::default()
    }

    /// Random expression trees in the shape the parser produces (flat AND/OR lists,
    /// non-negative literals, lower-case call names).
    fn expr_tree() -> impl Strategy<Value = Expr> {
        let leaf = prop_oneof![
            "[ -~]{0,6}".prop_map(|value| Expr::Str { value, span: sp() }),
            (0i64..1_000_000).prop_map(|value| Expr::Int { value, span: sp() }),
            (0.0f64..1e6).prop_map(|value| Expr::Float { value, span: sp() }),
            any::<bool>().prop_map(|value| Expr::Bool { value, span: sp() }),
            prop_oneof![
                "[a-z_][a-z0-9_.:{}]{0,6}".prop_filter("no dangling dot", |n| !n.ends_with('.')
                    && !n.contains("..")),
                prop::sample::select(vec!["a b", "and", "in", "true", "x-y", "1a", "it's", "c\\"])
                    .prop_map(str::to_string),
            ]
            .prop_map(|name| Expr::Field { name, span: sp() }),
        ];
        leaf.prop_recursive(5, 40, 4, |inner| {
            let bin = prop::sample::select(vec![
                BinOp::Xor,
                BinOp::Eq,
                BinOp::Ne,
                BinOp::Lt,
                BinOp::Le,
                BinOp::Gt,
                BinOp::Ge,
                BinOp::Like,
                BinOp::Add,
                BinOp::Sub,
                BinOp::Concat,
                BinOp::Mul,
                BinOp::Div,
                BinOp::Mod,
            ]);
            prop_oneof![
                (bin, inner.clone(), inner.clone()).prop_map(|(op, l, r)| Expr::Binary {
                    op,
                    left: Box::new(l),
                    right: Box::new(r),
                    span: sp()
                }),
                (any::<bool>(), prop::collection::vec(inner.clone(), 2..4)).prop_map(
                    |(and, items)| {
                        // Flatten like the parser does.
                        let mut flat = Vec::new();
                        for x in items {
                            match x {
                                Expr::And { items, .. } if and => flat.extend(items),
                                Expr::Or { items, .. } if !and => flat.extend(items),
                                other => flat.push(other),
                            }
                        }
                        if and {
                            Expr::And {
                                items: flat,
                                span: sp(),
                            }
                        } else {
                            Expr::Or {
                                items: flat,
                                span: sp(),
                            }
                        }
                    }
                ),
                (any::<bool>(), inner.clone()).prop_map(|(not, e)| Expr::Unary {
                    op: if not { UnaryOp::Not } else { UnaryOp::Neg },
                    expr: Box::new(e),
                    span: sp()
                }),
                (
                    prop::sample::select(vec!["if", "coalesce", "f_1"]),
                    prop::collection::vec(inner.clone(), 0..3)
                )
                    .prop_map(|(name, args)| Expr::Call {
                        name: name.to_string(),
                        args,
                        span: sp()
                    }),
                (inner.clone(), prop::collection::vec(inner, 1..3)).prop_map(|(e, list)| {
                    Expr::In {
                        expr: Box::new(e),
                        list,
                        span: sp(),
                    }
                }),
            ]
        })
    }

    /// `first` (parsed from `text`) prints to SPL that parses back to the same tree.
    fn reads_back(text: &str, mut first: Pipeline) -> Result<(), TestCaseError> {
        let printed = first.to_string();
        let second = parse(&printed);
        prop_assert!(
            second.is_ok(),
            "{text:?} printed as {printed:?}: {:?}",
            second.err()
        );
        let mut second = second.unwrap_or_else(|_| unreachable!());
        first.strip_spans();
        second.strip_spans();
        prop_assert_eq!(&first, &second, "{:?} printed as {:?}", text, printed);
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

        #[test]
        fn random_text_never_panics_and_round_trips(parts in prop::collection::vec(fragment(), 0..25)) {
            let text: String = parts.concat();
            if let Ok(first) = parse(&text) {
                reads_back(&text, first)?;
            }
        }

        #[test]
        fn generated_pipelines_round_trip(
            fields in prop::collection::vec(field_name(), 3),
            values in prop::collection::vec(value_text(), 2),
            cmds in prop::collection::vec(0usize..TEMPLATES.len(), 1..5),
        ) {
            let q = |s: &str| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""));
            let mut text = format!("{}={} {}", q(&fields[0]), q(&values[0]), q(&values[1]));
            for c in cmds {
                // One pass, so substituted text is never rescanned for placeholders.
                let mut cmd = String::new();
                let mut rest = TEMPLATES[c];
                while let Some(i) = rest.find('@') {
                    cmd.push_str(&rest[..i]);
                    let key = &rest[i + 1..i + 3];
                    cmd.push_str(&match key {
                        "F0" => q(&fields[0]),
                        "F1" => q(&fields[1]),
                        "F2" => q(&fields[2]),
                        "V0" => q(&values[0]),
                        _ => q(&values[1]),
                    });
                    rest = &rest[i + 3..];
                }
                cmd.push_str(rest);
                text.push_str(" | ");
                text.push_str(&cmd);
            }
            let first = match parse(&text) {
                Ok(p) => p,
                Err(e) => return Err(TestCaseError::fail(format!("{text:?} does not parse: {e}"))),
            };
            reads_back(&text, first)?;
        }

        #[test]
        fn generated_expressions_round_trip(e in expr_tree()) {
            let text = format!("| eval x={e}");
            let parsed = parse(&text);
            prop_assert!(parsed.is_ok(), "{text:?}: {:?}", parsed.err());
            let Ok(mut p) = parsed else { unreachable!() };
            p.strip_spans();
            let CommandKind::Eval(v) = &p.commands[0].kind else { unreachable!() };
            prop_assert_eq!(&v[0].1, &e, "printed as {}", text);
        }
    }
}

#[test]
fn nested_operator_chains_are_bounded() {
    // 100 nested groups of 100 additions would be a 10,000-deep tree: refused.
    let group = |inner: String| format!("({inner}{})", " + x".repeat(100));
    let mut text = "x".to_string();
    for _ in 0..90 {
        text = group(text);
    }
    assert!(err(&format!("| eval y={text}"))
        .message
        .contains("too long"));
    // Depth, not size, is what is limited.
    let sum = vec!["x"; 400].join(" + ");
    p(&format!(
        "| eval a={sum}, b={sum} | where {sum} > 1 AND {sum} < 9"
    ));
    let many: Vec<String> = (0..3000).map(|i| format!("x={i}")).collect();
    p(&format!("| where {}", many.join(" OR ")));
}

#[test]
fn spans_point_into_the_text() {
    let text = "  error host=web*  | stats count(eval(x > 1)) AS n by h | where len(x) > 2 ";
    let pl = p(text);
    let slice = |s: Span| &text[s.start..s.end];
    assert_eq!(
        slice(pl.span),
        "error host=web*  | stats count(eval(x > 1)) AS n by h | where len(x) > 2"
    );
    assert_eq!(slice(pl.commands[0].span), "error host=web*");
    assert_eq!(
        slice(pl.commands[1].span),
        "stats count(eval(x > 1)) AS n by h"
    );
    let CommandKind::Search(SearchExpr::And(items)) = &pl.commands[0].kind else {
        panic!()
    };
    let SearchExpr::Field { span, .. } = &items[1] else {
        panic!()
    };
    assert_eq!(slice(*span), "host=web*");
    let CommandKind::Stats(st) = &pl.commands[1].kind else {
        panic!()
    };
    assert_eq!(slice(st.funcs[0].span), "count(eval(x > 1)) AS n");
    let CommandKind::Where(e) = &pl.commands[2].kind else {
        panic!()
    };
    assert_eq!(slice(e.span()), "len(x) > 2");
    let Expr::Binary { left, .. } = e else {
        panic!()
    };
    assert_eq!(slice(left.span()), "len(x)");
    // Evaluation errors carry spans too.
    let err = Evaluator::new(e).map(|_| ()).and(
        Evaluator::new(&Expr::Call {
            name: "nope".into(),
            args: vec![],
            span: Span::new(3, 9),
        })
        .map(|_| ()),
    );
    assert_eq!(err.unwrap_err().span, Some(Span::new(3, 9)));
}

/// Found by `make fuzz`: a 'name' holding an odd number of `"` used to print so that the
/// comment pass read a later ```` ``` ```` differently from the original.
#[test]
fn fuzz_regression_quotes_inside_single_quoted_names() {
    canon("|mstats avg(tcp.*) as tcphhan=10s | eval key='dest.workload.name' + \":\" + 'dest.process.nmon` EventCode IN (\"23\",\"26\") TargetFilename = \"*\\\\' | mstats avg(tcp.*) as tcphhan=10s | eval ```='dest.wo\0\0\0\0\0\0\0\0\0\0\0rkload.name' + \":\" + 'dest.process.nmon` EventCode IN (\"23\",\"26\")=1 TargetFilename = \"*\\\\' | joiP");
    canon(r#"| eval x='a\"b' . "```", y='c\`d\`\`'"#);
    let mut p = p(r#"| eval x='a\"b'"#);
    p.strip_spans();
    assert_eq!(p.to_string(), r#"| eval x='a\"b'"#);
}

/// Found by `make fuzz`: a sort key starting with a digit printed bare read back as the limit.
#[test]
fn fuzz_regression_sort_key_starting_with_a_digit() {
    assert_eq!(canon("|sort\"0\"\u{1}"), "| sort \"0\u{1}\"");
    assert_eq!(canon(r#"| sort 5 "404""#), r#"| sort 5 "404""#);
}

/// Found by `make fuzz`: `latest===-1h` keeps the value `=-1h`, which printed bare read back as
/// the comparison `==`.
#[test]
fn fuzz_regression_time_bound_value_starting_with_an_operator() {
    canon("x latest===-1h");
    canon("earliest=<5 y");
}

/// Found by `make fuzz`: `top ,0001x` names the field `0001x`, which printed bare read back as
/// the count 1 and the field `x`.
#[test]
fn fuzz_regression_top_field_starting_with_a_digit() {
    canon("* | top ,000000000000001369188889006504527!!2");
    canon("* | rare ,5xx, status");
}

/// Found by `make fuzz`: the last bare argument of a subsearch (`spath [(`) printed right
/// before `]` read the bracket as part of itself.
#[test]
fn fuzz_regression_bare_argument_before_the_end_of_a_subsearch() {
    canon("[spath [( ]");
    canon("x | append [makeresults | eval a=1 ]");
}

/// Found by `make fuzz`: an option value `(` printed bare ran on into the next argument.
#[test]
fn fuzz_regression_option_value_with_an_open_parenthesis() {
    canon(r#"|bucket t d=(|eval r=('`")"')"#);
}

#[test]
fn map_with_a_subsearch_keeps_its_text_for_substitution_and_prints_as_map_search() {
    let pl = p(
        r#"| makeresults | map [search index=x host="$h$" [search y | head 1] | head $n$] maxsearches=3"#,
    );
    let CommandKind::Args(a) = &pl.commands[1].kind else {
        panic!("{:?}", pl.commands[1].kind)
    };
    assert_eq!(a.options[0].key, "search");
    assert_eq!(
        a.options[0].value,
        r#"search index=x host="$h$" [search y | head 1] | head $n$"#
    );
    assert_eq!(a.options[1].key, "maxsearches");
    let mut again = p(&pl.to_string());
    let mut first = pl.clone();
    again.strip_spans();
    first.strip_spans();
    assert_eq!(again, first, "{pl}");
    assert!(parse("| makeresults | map [search x").is_err());
}
