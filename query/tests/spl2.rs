//! SPL's second wave (issue 18): eval functions, commands that reshape results, syntax real
//! saved searches hold, and PCRE regexes through the fallback engine.

use loupe_query::{
    compile, parse, CommandKind, Evaluator, ExecContext, Expr, Row, RowBatch, Value,
};
use std::collections::HashMap;

fn s(x: &str) -> Value {
    Value::Str(x.into())
}

fn expr(text: &str) -> Expr {
    match parse(&format!("| eval x={text}")) {
        Ok(mut p) => match p.commands.remove(0).kind {
            CommandKind::Eval(mut v) => v.remove(0).1,
            other => panic!("{other:?}"),
        },
        Err(e) => panic!("{text:?}: {e}"),
    }
}

fn ev_in(text: &str, row: &HashMap<String, Value>) -> Value {
    Evaluator::new(&expr(text))
        .unwrap_or_else(|e| panic!("{text}: {e}"))
        .with_now(1_772_582_400.0)
        .eval(row)
        .unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn ev(text: &str) -> Value {
    ev_in(text, &HashMap::new())
}

fn ev_str(text: &str) -> String {
    ev(text).to_string()
}

fn eval_error(text: &str) -> String {
    match Evaluator::new(&expr(text)) {
        Err(e) => e.message,
        Ok(e) => match e.eval(&()) {
            Err(e) => e.message,
            Ok(v) => panic!("{text} gave {v:?}, expected an error"),
        },
    }
}

fn run_ctx(q: &str, ctx: &ExecContext, rows: RowBatch) -> Result<RowBatch, String> {
    let p = parse(q).map_err(|e| e.to_string())?;
    let cmds = match p.commands.first().map(|c| &c.kind) {
        Some(CommandKind::Search(_)) => &p.commands[1..],
        _ => &p.commands[..],
    };
    let mut ex = compile(cmds, ctx).map_err(|e| e.to_string())?;
    for chunk in rows.chunks(3) {
        ex.push(chunk.to_vec()).map_err(|e| e.to_string())?;
    }
    ex.finish().map_err(|e| e.to_string())
}

fn run(q: &str, rows: RowBatch) -> RowBatch {
    run_ctx(q, &ExecContext::default(), rows).unwrap_or_else(|e| panic!("{q}: {e}"))
}

fn col(rows: &[Row], f: &str) -> Vec<String> {
    rows.iter()
        .map(|r| r.get(f).map(|v| v.to_string()).unwrap_or_default())
        .collect()
}

// ---------------------------------------------------------------- eval functions

#[test]
fn printf_formats_as_c_does() {
    assert_eq!(ev_str(r#"printf("%d items", 42)"#), "42 items");
    assert_eq!(
        ev_str(r#"printf("%5d|%-5d|%05d", 42, 42, -42)"#),
        "   42|42   |-0042"
    );
    assert_eq!(ev_str(r#"printf("%.2f %+.1f", 3.14159, 2)"#), "3.14 +2.0");
    assert_eq!(
        ev_str(r#"printf("%x %X %#x %o", 255, 255, 255, 8)"#),
        "ff FF 0xff 10"
    );
    assert_eq!(ev_str(r#"printf("%e", 12345.678)"#), "1.234568e+04");
    assert_eq!(
        ev_str(r#"printf("%g %g %g", 0.0001, 123456789, 2.5)"#),
        "0.0001 1.23457e+08 2.5"
    );
    assert_eq!(ev_str(r#"printf("%'d", 1234567)"#), "1,234,567");
    assert_eq!(ev_str(r#"printf("%s=%.3s", "user", "abcdef")"#), "user=abc");
    assert_eq!(ev_str(r#"printf("%*d|%c|100%%", 4, 7, 65)"#), "   7|A|100%");
    assert!(eval_error(r#"printf("%y", 1)"#).contains("unsupported conversion `%y`"));
}

#[test]
fn json_builders_compose() {
    assert_eq!(
        ev_str(r#"json_object("user", "ann", "n", 3, "tags", json_array("a", 2, true()))"#),
        r#"{"n":3,"tags":["a",2,true],"user":"ann"}"#
    );
    assert_eq!(ev_str(r#"tojson(split("a,b", ","))"#), r#"["a","b"]"#);
    assert_eq!(ev_str(r#"tojson("12")"#), "12");
    assert_eq!(ev_str(r#"tojson("x\"y")"#), r#""x\"y""#);
    assert_eq!(ev_str(r#"json_keys("{\"b\":1,\"a\":2}")"#), r#"["a","b"]"#);
    assert_eq!(ev(r#"json_valid("{\"a\":")"#), Value::Bool(false));
    assert_eq!(
        ev(r#"json_array_to_mv("[1, \"x\"]")"#),
        Value::Multi(vec![Value::Int(1), s("x")])
    );
    assert!(eval_error(r#"json_object("a")"#).contains("key/value pairs"));
}

#[test]
fn spath_function_reads_json_paths() {
    let row: HashMap<String, Value> = [(
        "j".to_string(),
        s(r#"{"user":{"name":"ann"},"items":[{"id":1},{"id":2}]}"#),
    )]
    .into();
    assert_eq!(ev_in(r#"spath(j, "user.name")"#, &row), s("ann"));
    assert_eq!(
        ev_in(r#"spath(j, "items{}.id")"#, &row),
        Value::Multi(vec![Value::Int(1), Value::Int(2)])
    );
    assert_eq!(ev_in(r#"spath(j, "nope")"#, &row), Value::Null);
    assert_eq!(ev_in(r#"spath("not json", "a")"#, &row), Value::Null);
}

#[test]
fn hashes_are_lower_case_hex() {
    assert_eq!(ev_str(r#"md5("abc")"#), "900150983cd24fb0d6963f7d28e17f72");
    assert_eq!(
        ev_str(r#"sha256("abc")"#),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_eq!(ev_str(r#"sha512("")"#).len(), 128);
    assert_eq!(ev(r#"md5(null())"#), Value::Null);
}

#[test]
fn mvrange_counts_by_numbers_and_time_spans() {
    assert_eq!(
        ev("mvrange(1, 11, 2)"),
        Value::Multi([1, 3, 5, 7, 9].map(Value::Int).to_vec())
    );
    assert_eq!(ev("mvcount(mvrange(0, 3))"), Value::Int(3));
    assert_eq!(
        ev(r#"mvrange(0, 172800, "1d")"#),
        Value::Multi(vec![Value::Int(0), Value::Int(86400)])
    );
    assert_eq!(
        ev("mvrange(5, 1, -2)"),
        Value::Multi([5, 3].map(Value::Int).to_vec())
    );
    assert!(eval_error("mvrange(0, 1000000)").contains("more than 10000 values"));
    assert!(eval_error("mvrange(0, 10, 0)").contains("must not be 0"));
}

#[test]
fn sigfig_follows_the_operation_of_its_argument() {
    let row: HashMap<String, Value> = [
        ("a".to_string(), s("1.00")),
        ("b".to_string(), Value::Int(1111)),
        ("c".to_string(), s("2.5")),
        ("d".to_string(), s("1.234")),
    ]
    .into();
    assert_eq!(ev_in("sigfig(a*b)", &row).to_string(), "1110");
    assert_eq!(ev_in("sigfig(c+d)", &row).to_string(), "3.7");
    assert_eq!(ev_in("sigfig(d/c)", &row).to_string(), "0.49");
    assert_eq!(ev_in("sigfig(d)", &row).to_string(), "1.234");
}

#[test]
fn searchmatch_applies_search_syntax_to_the_row() {
    let row: HashMap<String, Value> = [
        (
            "_raw".to_string(),
            s("Failed password for root from 10.0.0.1"),
        ),
        ("user".to_string(), s("root")),
        ("status".to_string(), Value::Int(503)),
    ]
    .into();
    assert_eq!(
        ev_in(r#"searchmatch("failed user=root")"#, &row),
        Value::Bool(true)
    );
    assert_eq!(
        ev_in(r#"searchmatch("status>=500 NOT accepted")"#, &row),
        Value::Bool(true)
    );
    assert_eq!(
        ev_in(r#"searchmatch("user=admin OR succeeded")"#, &row),
        Value::Bool(false)
    );
    assert!(eval_error(r#"searchmatch("a [search b]")"#).contains("subsearches"));
    let out = run(
        r#"| eval hit=if(searchmatch("password"), 1, 0)"#,
        vec![
            Row::from_pairs([("_raw", s("bad password"))]),
            Row::from_pairs([("_raw", s("all good"))]),
        ],
    );
    assert_eq!(col(&out, "hit"), ["1", "0"]);
}

#[test]
fn random_gives_non_negative_31_bit_integers() {
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..50 {
        let Value::Int(i) = ev("random()") else {
            panic!("not an integer")
        };
        assert!((0..(1 << 31)).contains(&i));
        seen.insert(i);
    }
    assert!(seen.len() > 45, "random() repeats: {seen:?}");
}

#[test]
fn trims_take_a_set_of_characters() {
    assert_eq!(ev_str(r#"ltrim("xxyhixy", "xy")"#), "hixy");
    assert_eq!(ev_str(r#"rtrim("xxyhixy", "xy")"#), "xxyhi");
    assert_eq!(ev_str(r#"trim("  hi  ")"#), "hi");
}

#[test]
fn new_functions_are_known_to_the_planner() {
    for f in [
        "printf",
        "tojson",
        "json_object",
        "json_array",
        "mvrange",
        "sigfig",
        "sha256",
        "md5",
        "spath",
        "searchmatch",
        "random",
    ] {
        assert!(loupe_query::is_known_function(f), "{f}");
        assert!(loupe_query::eval_functions().any(|x| x == f), "{f}");
    }
}

// ---------------------------------------------------------------- syntax

#[test]
fn bang_negates_like_not() {
    let rows = vec![
        Row::from_pairs([("user", s("ann"))]),
        Row::from_pairs([("host", s("h"))]),
    ];
    let out = run("| where !isnull(user)", rows.clone());
    assert_eq!(col(&out, "user"), ["ann"]);
    let out = run(
        r#"| where !match(host, "^h$") AND !isnull(host) OR user="ann""#,
        rows.clone(),
    );
    assert_eq!(col(&out, "user"), ["ann"]);
    let out = run(
        "| eval missing=!isnotnull(user) | where missing",
        rows.clone(),
    );
    assert_eq!(col(&out, "host"), ["h"]);
    // `!=` still compares, and the canonical print is `NOT`.
    let out = run(r#"| where user!="ann""#, rows);
    assert!(out.is_empty());
    let p = parse("| where !isnull(x)").unwrap();
    assert_eq!(p.to_string(), "| where NOT isnull(x)");
}

#[test]
fn makeresults_takes_a_bare_count() {
    let out = run("| makeresults 3 | eval x=1", Vec::new());
    assert_eq!(out.len(), 3);
    let p = parse("| makeresults 2").unwrap();
    assert_eq!(p.to_string(), "| makeresults count=2");
    assert!(parse("| makeresults 2 x").is_err());
}

// ---------------------------------------------------------------- PCRE

#[test]
fn pcre_features_run_on_the_fallback_engine_only() {
    use loupe_query::pcre::SplRegex;
    assert!(!SplRegex::new(r"^(?<user>\w+)@").unwrap().is_backtracking());
    assert!(!SplRegex::new(r"(?P<user>\w+)").unwrap().is_backtracking());
    for p in [
        r"foo(?=bar)",
        r"(?<!x)y",
        r"(\w)\1",
        r"(?>a+)b",
        r"(?<=\$)\d+",
    ] {
        assert!(SplRegex::new(p).unwrap().is_backtracking(), "{p}");
    }
    let e = SplRegex::new(r"(?=x").unwrap_err();
    assert!(!e.0.contains('\n'), "{e}");
}

#[test]
fn lookaround_and_backreferences_in_rex_regex_replace_match() {
    let rows = vec![
        Row::from_pairs([
            ("_raw", s("user=ann pass=secret user=bob")),
            ("w", s("hello hello world")),
        ]),
        Row::from_pairs([("_raw", s("price: $42 and 7")), ("w", s("one two"))]),
    ];
    let out = run(r#"| rex max_match=0 "user=(?<u>\w+)(?= |$)""#, rows.clone());
    assert_eq!(
        out[0].get("u"),
        Some(&Value::Multi(vec![s("ann"), s("bob")]))
    );
    let out = run(r#"| rex "(?<=\$)(?<amount>\d+)""#, rows.clone());
    assert_eq!(col(&out, "amount"), ["", "42"]);
    let out = run(r#"| regex w="\b(\w+) \1\b""#, rows.clone());
    assert_eq!(col(&out, "w"), ["hello hello world"]);
    let out = run(r#"| regex w!="\b(\w+) \1\b""#, rows.clone());
    assert_eq!(col(&out, "w"), ["one two"]);
    let out = run(
        r#"| eval masked=replace(_raw, "(?<=pass=)\w+", "***"), dup=if(match(w, "(\w+) \1"), "y", "n")"#,
        rows.clone(),
    );
    assert_eq!(col(&out, "masked")[0], "user=ann pass=*** user=bob");
    assert_eq!(col(&out, "dup"), ["y", "n"]);
    let out = run(r#"| rex mode=sed "s/(?<=user=)\w+/X/g""#, rows);
    assert_eq!(col(&out, "_raw")[0], "user=X pass=secret user=X");
}

#[test]
fn a_hostile_backtracking_pattern_stops_with_an_error() {
    let rows = vec![Row::from_pairs([(
        "_raw",
        s(&format!("{}!", "a".repeat(40))),
    )])];
    let err = run_ctx(
        r#"| regex "^(a|a?)+(?=b)\1$""#,
        &ExecContext::default(),
        rows.clone(),
    )
    .unwrap_err();
    assert!(err.contains("backtracking steps"), "{err}");
    let err = run_ctx(
        r#"| eval x=if(match(_raw, "^(a|aa)+(?!a)\1b"), 1, 0)"#,
        &ExecContext::default(),
        rows,
    )
    .unwrap_err();
    assert!(err.contains("backtracking steps"), "{err}");
}

#[test]
fn a_bad_pcre_pattern_is_a_plan_error_with_the_regex_span() {
    let q = r#"| rex "(?<a>x)(?=y""#;
    let p = parse(q).unwrap();
    let err = match compile(&p.commands, &ExecContext::default()) {
        Err(e) => e,
        Ok(_) => panic!("compiled"),
    };
    assert!(err.message.contains("invalid regex"), "{}", err.message);
    assert_eq!(
        err.span.map(|s| &q[s.start..s.end]),
        Some(r#""(?<a>x)(?=y""#)
    );
}

// ---------------------------------------------------------------- reshaping commands

fn table() -> RowBatch {
    [("web-1", 200, 3), ("web-1", 500, 1), ("web-2", 200, 5)]
        .iter()
        .map(|(h, st, n)| {
            Row::from_pairs([
                ("host", s(h)),
                ("status", Value::Int(*st)),
                ("count", Value::Int(*n)),
            ])
        })
        .collect()
}

fn names(r: &Row) -> Vec<&str> {
    r.names().collect()
}

#[test]
fn xyseries_pivots_and_untable_undoes_it() {
    let out = run("| xyseries host status count", table());
    assert_eq!(out.len(), 2);
    assert_eq!(names(&out[0]), ["host", "200", "500"]);
    assert_eq!(col(&out, "200"), ["3", "5"]);
    assert_eq!(col(&out, "500"), ["1", ""]);
    let back = run(
        "| xyseries host status count | untable host status count",
        table(),
    );
    assert_eq!(col(&back, "host"), ["web-1", "web-1", "web-2"]);
    assert_eq!(col(&back, "status"), ["200", "500", "200"]);
    assert_eq!(col(&back, "count"), ["3", "1", "5"]);
    let two = run(
        "| eval c2=count*2 | xyseries sep=\"|\" host status count c2",
        table(),
    );
    assert_eq!(
        names(&two[0]),
        ["host", "count|200", "c2|200", "count|500", "c2|500"]
    );
    let err = run_ctx("| xyseries host", &ExecContext::default(), table()).unwrap_err();
    assert!(err.contains("xyseries <x-field>"), "{err}");
    let err = run_ctx("| untable a b", &ExecContext::default(), table()).unwrap_err();
    assert!(err.contains("three fields"), "{err}");
}

#[test]
fn transpose_turns_rows_into_columns() {
    let out = run("| transpose", table());
    assert_eq!(col(&out, "column"), ["host", "status", "count"]);
    assert_eq!(names(&out[0]), ["column", "row 1", "row 2", "row 3"]);
    assert_eq!(col(&out, "row 3"), ["web-2", "200", "5"]);
    let out = run("| transpose 2 header_field=host column_name=field", table());
    assert_eq!(col(&out, "field"), ["status", "count"]);
    assert_eq!(names(&out[0]), ["field", "web-1"]);
    let err = run_ctx("| transpose bogus=1", &ExecContext::default(), table()).unwrap_err();
    assert!(err.contains("unsupported option bogus="), "{err}");
}

#[test]
fn addcoltotals_appends_a_sum_row() {
    let out = run("| addcoltotals labelfield=host label=ALL count", table());
    assert_eq!(out.len(), 4);
    assert_eq!(col(&out, "host")[3], "ALL");
    assert_eq!(col(&out, "count")[3], "9");
    assert_eq!(col(&out, "status")[3], "");
    let out = run("| addcoltotals", table());
    assert_eq!(col(&out, "status")[3], "900");
}

#[test]
fn nomv_and_fieldformat() {
    let rows = vec![Row::from_pairs([
        ("m", Value::Multi(vec![s("a"), s("b")])),
        ("n", Value::Int(1234567)),
    ])];
    let out = run(r#"| nomv m | fieldformat n=tostring(n, "commas")"#, rows);
    assert_eq!(out[0].get("m"), Some(&s("a\nb")));
    assert_eq!(out[0].get("n"), Some(&s("1,234,567")));
    assert!(run_ctx("| nomv", &ExecContext::default(), Vec::new()).is_err());
}

#[test]
fn addinfo_gives_the_search_range() {
    let ctx = ExecContext {
        now: 1000.0,
        earliest: Some(100.0),
        latest: Some(900.0),
        ..ExecContext::default()
    };
    let out = run_ctx("| makeresults | addinfo", &ctx, Vec::new()).unwrap();
    assert_eq!(col(&out, "info_min_time"), ["100"]);
    assert_eq!(col(&out, "info_max_time"), ["900"]);
    assert_eq!(col(&out, "info_search_time"), ["1000"]);
    let out = run_ctx(
        "| makeresults | addinfo",
        &ExecContext::default(),
        Vec::new(),
    )
    .unwrap();
    assert_eq!(col(&out, "info_max_time"), ["+Infinity"]);
}

#[test]
fn appendpipe_runs_its_pipeline_over_the_rows_so_far() {
    let out = run(
        r#"| stats sum(count) AS count by host | appendpipe [stats sum(count) AS count | eval host="total"]"#,
        table(),
    );
    assert_eq!(col(&out, "host"), ["web-1", "web-2", "total"]);
    assert_eq!(col(&out, "count"), ["4", "5", "9"]);
    let p = parse("| appendpipe [| stats count]").unwrap();
    assert_eq!(p.to_string(), "| appendpipe [| stats count ]");
    let err = run_ctx(
        "| appendpipe [stats nosuch(x)]",
        &ExecContext::default(),
        table(),
    )
    .unwrap_err();
    assert!(err.contains("nosuch"), "{err}");
}

#[test]
fn reshaping_commands_print_and_parse_back() {
    for q in [
        "| transpose 3 column_name=f",
        "| xyseries host status count",
        "| addcoltotals labelfield=h label=T a b",
        "| nomv m",
        "| untable _time name value",
        "| addinfo",
        r#"| fieldformat n=tostring(n, "commas")"#,
    ] {
        let mut a = parse(q).unwrap_or_else(|e| panic!("{q}: {e}"));
        assert_eq!(a.to_string(), q);
        let mut b = parse(&a.to_string()).unwrap();
        a.strip_spans();
        b.strip_spans();
        assert_eq!(a, b);
    }
}

// ---------------------------------------------------------------- timechart, streamstats

fn timed(times: &[(i64, &str, i64)]) -> RowBatch {
    times
        .iter()
        .map(|(t, h, b)| {
            Row::from_pairs([
                ("_time", Value::Int(*t)),
                ("host", s(h)),
                ("bytes", Value::Int(*b)),
            ])
        })
        .collect()
}

#[test]
fn timechart_rates_divide_by_the_span() {
    let rows = timed(&[(0, "a", 60), (30, "b", 120), (70, "a", 600)]);
    let out = run("| timechart span=1m per_second(bytes) AS bps", rows.clone());
    assert_eq!(col(&out, "bps"), ["3", "10"]);
    let out = run("| timechart span=1m per_minute(bytes)", rows.clone());
    assert_eq!(col(&out, "per_minute(bytes)"), ["180", "600"]);
    let out = run("| timechart span=2m per_hour(bytes) by host", rows.clone());
    assert_eq!(col(&out, "a"), ["19800"]);
    assert_eq!(col(&out, "b"), ["3600"]);
    let out = run("| timechart span=1m per_second(bytes), count", rows);
    assert_eq!(col(&out, "per_second(bytes)"), ["3", "10"]);
    assert_eq!(col(&out, "count"), ["2", "1"]);
}

#[test]
fn timechart_partial_false_drops_cut_buckets() {
    let ctx = ExecContext {
        earliest: Some(30.0),
        latest: Some(250.0),
        ..ExecContext::default()
    };
    let rows = timed(&[(40, "a", 1), (70, "a", 1), (130, "a", 1), (200, "a", 1)]);
    let all = run_ctx("| timechart span=1m count", &ctx, rows.clone()).unwrap();
    assert_eq!(col(&all, "_time"), ["0", "60", "120", "180", "240"]);
    let whole = run_ctx("| timechart span=1m partial=false count", &ctx, rows).unwrap();
    assert_eq!(col(&whole, "_time"), ["60", "120", "180"]);
}

#[test]
fn timechart_minspan_raises_the_automatic_span() {
    let ctx = ExecContext {
        earliest: Some(0.0),
        latest: Some(600.0),
        ..ExecContext::default()
    };
    let rows = timed(&[(10, "a", 1), (200, "a", 1)]);
    let out = run_ctx("| timechart count", &ctx, rows.clone()).unwrap();
    assert_eq!(out.len(), 60);
    let out = run_ctx("| timechart minspan=5m count", &ctx, rows.clone()).unwrap();
    assert_eq!(col(&out, "count"), ["2", "0"]);
    let err = run_ctx("| timechart minspan=often count", &ctx, rows).unwrap_err();
    assert!(err.contains("minspan=often"), "{err}");
}

/// The console's presets snap to the hour or the minute: "last 24 hours" (`-24h@h`) spans up
/// to 25 hours and keeps Splunk's half-hour bins, "last 4 hours" (`-4h@h`) its 5 minutes.
#[test]
fn timechart_default_spans_allow_for_snapped_presets() {
    let span_of = |range: f64| {
        let ctx = ExecContext {
            earliest: Some(0.0),
            latest: Some(range),
            ..ExecContext::default()
        };
        let out = run_ctx("| timechart count", &ctx, timed(&[(10, "a", 1)])).unwrap();
        let times = col(&out, "_time");
        times[1].parse::<f64>().unwrap() - times[0].parse::<f64>().unwrap()
    };
    assert_eq!(span_of(24.0 * 3600.0 + 37.0 * 60.0), 1800.0);
    assert_eq!(span_of(4.0 * 3600.0 + 59.0 * 60.0), 300.0);
    assert_eq!(span_of(60.0 * 60.0 + 30.0), 60.0);
    assert_eq!(span_of(15.0 * 60.0 + 30.0), 10.0);
    assert_eq!(span_of(8.0 * 86400.0), 86400.0);
}

#[test]
fn bin_takes_any_whole_number_of_units() {
    let rows = timed(&[(5430, "a", 1)]);
    assert_eq!(
        col(&run("| bin span=60m _time", rows.clone()), "_time"),
        ["3600"]
    );
    assert_eq!(
        col(&run("| bin span=90m _time", rows.clone()), "_time"),
        ["5400"]
    );
    assert_eq!(col(&run("| bin span=45s _time", rows), "_time"), ["5400"]);
    let ms = vec![Row::from_pairs([("_time", Value::Float(10.75))])];
    assert_eq!(col(&run("| bin span=500ms _time", ms), "_time"), ["10.5"]);
}

#[test]
fn streamstats_time_window_counts_recent_rows() {
    // Newest first, as a search gives them.
    let rows = timed(&[
        (300, "a", 1),
        (250, "a", 1),
        (200, "b", 1),
        (100, "a", 1),
        (90, "a", 1),
    ]);
    let out = run("| streamstats time_window=2m count", rows.clone());
    assert_eq!(col(&out, "count"), ["1", "2", "3", "2", "3"]);
    let out = run("| streamstats time_window=2m count by host", rows.clone());
    assert_eq!(col(&out, "count"), ["1", "2", "1", "1", "2"]);
    let out = run(
        "| streamstats time_window=2m current=false count",
        rows.clone(),
    );
    assert_eq!(col(&out, "count"), ["0", "1", "2", "1", "2"]);
    let out = run(
        "| streamstats time_window=1h window=2 sum(bytes) AS s",
        rows.clone(),
    );
    assert_eq!(col(&out, "s"), ["1", "2", "2", "2", "2"]);
    let err = run_ctx(
        "| streamstats time_window=soon count",
        &ExecContext::default(),
        rows,
    )
    .unwrap_err();
    assert!(err.contains("time_window=soon"), "{err}");
}

// ---------------------------------------------------------------- cluster, patterns

fn log_lines() -> RowBatch {
    [
        "10:00:01 ERROR disk /dev/sda1 full",
        "10:00:02 INFO user ann logged in via ssh",
        "10:00:03 ERROR disk /dev/sdb2 full",
        "10:00:04 INFO user bob logged in via ssh",
        "10:00:05 INFO user carl logged in via ssh",
    ]
    .iter()
    .map(|l| Row::from_pairs([("_raw", s(l))]))
    .collect()
}

#[test]
fn cluster_keeps_one_event_per_cluster_or_labels_all() {
    let out = run("| cluster showcount=t", log_lines());
    assert_eq!(col(&out, "cluster_label"), ["1", "2"]);
    assert_eq!(col(&out, "cluster_count"), ["2", "3"]);
    let out = run("| cluster labelonly=t", log_lines());
    assert_eq!(col(&out, "cluster_label"), ["1", "2", "1", "2", "2"]);
    let out = run("| cluster labelonly=t match=termset t=0.5", log_lines());
    assert_eq!(col(&out, "cluster_label"), ["1", "2", "1", "2", "2"]);
    let out = run("| cluster labelonly=t match=ngramset t=0.9", log_lines());
    assert_eq!(col(&out, "cluster_label").len(), 5);
    for (q, needle) in [
        ("| cluster match=words", "unsupported match=words"),
        ("| cluster t=2", "t=2 is not a number"),
        ("| cluster _raw", "unexpected argument `_raw`"),
        ("| cluster sideways=1", "unsupported option sideways="),
    ] {
        let err = run_ctx(q, &ExecContext::default(), log_lines()).unwrap_err();
        assert!(err.contains(needle), "{q}: {err}");
    }
}

#[test]
fn patterns_gives_templates_with_counts() {
    let out = run("| patterns", log_lines());
    assert_eq!(
        col(&out, "pattern"),
        ["<*> user <*> logged in via ssh", "<*> disk <*> full"]
    );
    assert_eq!(col(&out, "count"), ["3", "2"]);
}

// ---------------------------------------------------------------- format and return

fn hosts(n: usize) -> RowBatch {
    (1..=n)
        .map(|i| {
            Row::from_pairs([
                ("host", s(&format!("web-{i}"))),
                ("n", Value::Int(i as i64)),
                ("_time", Value::Int(1)),
            ])
        })
        .collect()
}

#[test]
fn format_writes_the_rows_as_a_search_of_anded_fields_ored_across_rows() {
    let out = run("| format", hosts(2));
    assert_eq!(
        col(&out, "search"),
        [r#"( ( host="web-1" AND n="1" ) OR ( host="web-2" AND n="2" ) )"#]
    );
    let out = run(
        r#"| format maxresults=1 "[" "{" "&&" "}" "||" "]""#,
        hosts(3),
    );
    assert_eq!(col(&out, "search"), [r#"[ { host="web-1" && n="1" } ]"#]);
    let out = run("| format", Vec::new());
    assert_eq!(col(&out, "search"), ["NOT ()"]);
    let mv = vec![Row::from_pairs([(
        "ip",
        Value::Multi(vec![s("1.2.3.4"), s("a\"b")]),
    )])];
    assert_eq!(
        col(&run("| format", mv), "search"),
        [r#"( ( ( ip="1.2.3.4" OR ip="a\"b" ) ) )"#]
    );
    let err = run_ctx("| format \"(\" \"(\"", &ExecContext::default(), Vec::new()).unwrap_err();
    assert!(err.contains("expects six separators"), "{err}");
}

#[test]
fn return_gives_the_first_rows_fields_as_search_terms() {
    assert_eq!(
        col(&run("| return host", hosts(3)), "search"),
        [r#"host="web-1""#]
    );
    assert_eq!(
        col(&run("| return 2 h=host $n", hosts(3)), "search"),
        [r#"(1 h="web-1") OR (2 h="web-2")"#]
    );
    assert_eq!(col(&run("| return 5 host", Vec::new()), "search"), [""]);
    let err = run_ctx("| return 3", &ExecContext::default(), Vec::new()).unwrap_err();
    assert!(err.contains("needs a field"), "{err}");
}

// ---------------------------------------------------------------- appendcols, union

#[test]
fn appendcols_lends_the_subsearchs_fields_row_by_row() {
    let ctx = ExecContext {
        subsearches: [(
            0,
            vec![
                Row::from_pairs([("host", s("other")), ("extra", Value::Int(1))]),
                Row::from_pairs([("extra", Value::Int(2))]),
                Row::from_pairs([("extra", Value::Int(3))]),
            ],
        )]
        .into(),
        ..ExecContext::default()
    };
    let out = run_ctx("| appendcols [search x]", &ctx, hosts(2)).unwrap();
    assert_eq!(col(&out, "host"), ["web-1", "web-2", ""]);
    assert_eq!(col(&out, "extra"), ["1", "2", "3"]);
    let out = run_ctx("| appendcols override=true [search x]", &ctx, hosts(2)).unwrap();
    assert_eq!(col(&out, "host"), ["other", "web-2", ""]);
}

#[test]
fn union_prints_back_every_subsearch() {
    let p = parse("| union maxout=5 [search index=a | head 1] [| makeresults]").unwrap();
    assert_eq!(
        p.to_string(),
        "| union maxout=5 [search index=a | head 1 ] [| makeresults ]"
    );
    let out = run("| union [| makeresults count=2]", hosts(1));
    assert_eq!(out.len(), 3);
    assert!(parse("| multisearch").is_err());
}

// ---------------------------------------------------------------- transaction order

fn at(times: &[i64]) -> RowBatch {
    times
        .iter()
        .map(|t| Row::from_pairs([("_time", Value::Int(*t)), ("k", s("x"))]))
        .collect()
}

#[test]
fn transaction_groups_newest_first_as_splunk_does() {
    // Newest first: 100 opens, 50 fits in 60 s, 0 would make it span 100 s and starts the next.
    // (Oldest first would have grouped 0 with 50 instead.)
    let out = run("| transaction k maxspan=60s", at(&[0, 50, 100]));
    assert_eq!(col(&out, "_time"), ["50", "0"]);
    assert_eq!(col(&out, "eventcount"), ["2", "1"]);
    assert_eq!(col(&out, "duration"), ["50", "0"]);
    // More than maxpause older than the open one's oldest event: a new transaction.
    let out = run("| transaction k maxpause=30s", at(&[10, 20, 90, 100, 125]));
    assert_eq!(col(&out, "_time"), ["90", "10"]);
    assert_eq!(col(&out, "eventcount"), ["3", "2"]);
    // Without fields every event belongs to the one open transaction, as in Splunk.
    let out = run("| transaction maxspan=60s", at(&[0, 50, 100]));
    assert_eq!(col(&out, "eventcount"), ["2", "1"]);
    let out = run("| transaction maxevents=2", at(&[0, 50, 100]));
    assert_eq!(col(&out, "eventcount"), ["2", "1"]);
}

#[test]
fn a_subsearch_in_an_expression_parses_prints_back_and_needs_the_store() {
    let mut p = parse("| where host IN [search index=app | return 5 $host] AND n > 1").unwrap();
    let printed = p.to_string();
    assert_eq!(
        printed,
        "| where host IN ([search index=app | return 5 $host ]) AND n > 1"
    );
    let mut again = parse(&printed).unwrap();
    p.strip_spans();
    again.strip_spans();
    assert_eq!(p, again);
    let mut names = Vec::new();
    p.walk_commands(&mut |c| names.push(c.name.clone()));
    assert_eq!(names, ["where", "search", "return"]);
    let err = run_ctx(
        "| eval x=[| makeresults]",
        &ExecContext::default(),
        hosts(1),
    )
    .unwrap_err();
    assert!(err.contains("runs only in a search of the store"), "{err}");
}

#[test]
fn map_with_a_subsearch_still_parses_for_the_planner_to_refuse() {
    let p = parse("| makeresults | map maxsearches=2 [search index=$i$]").unwrap();
    assert!(matches!(p.commands[1].kind, CommandKind::Generic { .. }));
    let p = parse("| makeresults | map search=\"search index=$i$\" maxsearches=2").unwrap();
    assert!(matches!(p.commands[1].kind, CommandKind::Args(_)));
}

// ---------------------------------------------------------------- where errors point

/// The text a plan error underlines (`loupe explain` prints its column, the console marks it).
fn plan_error_at(q: &str) -> (String, String) {
    let p = parse(q).unwrap_or_else(|e| panic!("{q}: {e}"));
    let cmds = match p.commands.first().map(|c| &c.kind) {
        Some(CommandKind::Search(_)) => &p.commands[1..],
        _ => &p.commands[..],
    };
    let e = match compile(cmds, &ExecContext::default()) {
        Ok(_) => panic!("{q} planned"),
        Err(e) => e,
    };
    let span = e
        .span
        .unwrap_or_else(|| panic!("{q}: {} has no span", e.message));
    (e.message.clone(), q[span.start..span.end].to_string())
}

#[test]
fn an_unsupported_option_is_underlined_alone() {
    for (q, message, underlined) in [
        (
            "* | top  limit=3 foo=1 host",
            "top: unsupported option foo=",
            "foo=1",
        ),
        (
            "* | top useother=t host",
            "top: useother=true is not supported",
            "useother=t",
        ),
        (
            r#"* | timechart bins="10" count"#,
            "timechart: unsupported option bins=",
            r#"bins="10""#,
        ),
        (
            "* | bin _time bins=10",
            "bin: needs span= (bins= is not supported)",
            "bins=10",
        ),
        (
            "| makeresults annotate=true",
            "makeresults: annotate=true is not supported",
            "annotate=true",
        ),
        (
            "* | dedup host keepempty=maybe",
            "dedup: keepempty=maybe is not a boolean",
            "keepempty=maybe",
        ),
        (
            "* | join type=weird host [| makeresults]",
            "join: unsupported type=weird",
            "type=weird",
        ),
        (
            "* | xyseries grouped=t a b c",
            "xyseries: grouped=true is not supported",
            "grouped=t",
        ),
    ] {
        let (got, text) = plan_error_at(q);
        assert!(got.starts_with(message), "{q}: {got}");
        assert_eq!(text, underlined, "{q}: {got}");
    }
    // An option the parser made up has no place of its own: the command is underlined.
    let (got, text) = plan_error_at("| makeresults 3000000000");
    assert!(got.starts_with("makeresults"), "{got}");
    assert_eq!(text, "makeresults 3000000000");
}

#[test]
fn an_unsupported_function_is_found_with_its_call() {
    let p = parse("| eval x=1 | where nosuch(x) > 1 AND len(x) > 0 | eval y=other(1)").unwrap();
    let calls = loupe_query::unsupported_function_calls(&p);
    let q = "| eval x=1 | where nosuch(x) > 1 AND len(x) > 0 | eval y=other(1)";
    let found: Vec<(&str, &str)> = calls
        .iter()
        .map(|(n, s)| (n.as_str(), &q[s.start..s.end]))
        .collect();
    assert_eq!(found, [("nosuch", "nosuch(x)"), ("other", "other(1)")]);
}
