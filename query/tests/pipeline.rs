//! Pipeline operators, partial aggregates and lookups, checked on their outputs.

use loupe_query::{
    compile, parse, Agg, AggFunc, ExecContext, Limits, LookupProvider, MemoryLookups, Row,
    RowBatch, Value,
};
use proptest::prelude::*;
use std::sync::Arc;

fn s(x: &str) -> Value {
    Value::Str(x.into())
}

fn run_ctx(q: &str, ctx: &ExecContext, rows: RowBatch) -> Result<RowBatch, String> {
    let p = parse(q).map_err(|e| e.to_string())?;
    let cmds = after_search(&p.commands);
    let mut ex = compile(cmds, ctx).map_err(|e| e.to_string())?;
    for chunk in rows.chunks(7) {
        ex.push(chunk.to_vec()).map_err(|e| e.to_string())?;
    }
    ex.finish().map_err(|e| e.to_string())
}

/// The commands after a leading base search, if there is one.
fn after_search(c: &[loupe_query::Command]) -> &[loupe_query::Command] {
    match c.first().map(|c| &c.kind) {
        Some(loupe_query::CommandKind::Search(_)) => &c[1..],
        _ => c,
    }
}

fn run(q: &str, rows: RowBatch) -> RowBatch {
    run_ctx(q, &ExecContext::default(), rows).unwrap()
}

fn col(rows: &[Row], f: &str) -> Vec<String> {
    rows.iter()
        .map(|r| r.get(f).map(|v| v.to_string()).unwrap_or_default())
        .collect()
}

fn sample() -> RowBatch {
    let data = [
        ("web-1", 200, 10.0, 1000),
        ("web-2", 500, 30.0, 1010),
        ("web-1", 404, 20.0, 1020),
        ("web-3", 200, 5.0, 1030),
        ("web-1", 200, 15.0, 1040),
    ];
    data.iter()
        .map(|(h, st, ms, t)| {
            Row::from_pairs([
                ("_time", Value::Int(*t)),
                ("host", s(h)),
                ("status", Value::Int(*st)),
                ("ms", Value::Float(*ms)),
                ("_raw", s(&format!("{h} GET /x status={st} took {ms}ms"))),
            ])
        })
        .collect()
}

#[test]
fn row_basics_and_dotted_names() {
    let mut r = Row::from_pairs([("a.b{}.c", Value::Int(1)), ("x", s("y"))]);
    assert_eq!(r.get("a.b{}.c"), Some(&Value::Int(1)));
    r.set("x", Value::Null);
    assert!(!r.contains("x"));
    r.set_time_ns(1_500_000_000);
    assert_eq!(r.time(), Some(1.5));
    let out = run("| eval y='a.b{}.c' + 1", vec![r]);
    assert_eq!(out[0].get("y"), Some(&Value::Int(2)));
}

#[test]
fn stats_naming_and_groups() {
    let out = run(
        "| stats count, avg(ms), max(ms) AS worst, dc(host) by status",
        sample(),
    );
    assert_eq!(col(&out, "status"), ["200", "404", "500"]);
    assert_eq!(col(&out, "count"), ["3", "1", "1"]);
    assert_eq!(col(&out, "avg(ms)"), ["10", "20", "30"]);
    assert_eq!(col(&out, "worst"), ["15", "20", "30"]);
    assert_eq!(col(&out, "dc(host)"), ["2", "1", "1"]);
    let empty = run("| stats count", vec![]);
    assert_eq!(col(&empty, "count"), ["0"]);
    let ev = run("| stats count(eval(status>=400)) AS errors", sample());
    assert_eq!(col(&ev, "errors"), ["2"]);
}

#[test]
fn sort_numeric_vs_lexicographic_and_limit() {
    let rows: RowBatch = ["10", "9", "100", "abc", "Abd"]
        .iter()
        .map(|v| Row::from_pairs([("v", s(v))]))
        .collect();
    assert_eq!(
        col(&run("| sort v", rows.clone()), "v"),
        ["9", "10", "100", "Abd", "abc"]
    );
    assert_eq!(
        col(&run("| sort - v", rows.clone()), "v"),
        ["abc", "Abd", "100", "10", "9"]
    );
    assert_eq!(
        col(&run("| sort 2 str(v)", rows.clone()), "v"),
        ["10", "100"]
    );
}

#[test]
fn head_tail_dedup_and_early_stop() {
    let p = parse("| where status=200 | head 2").unwrap();
    let mut ex = compile(after_search(&p.commands), &ExecContext::default()).unwrap();
    let rows = sample();
    ex.push(rows[..1].to_vec()).unwrap();
    assert!(!ex.is_done());
    ex.push(rows[1..4].to_vec()).unwrap();
    assert!(ex.is_done());
    let out = ex.finish().unwrap();
    assert_eq!(col(&out, "_time"), ["1000", "1030"]);
    assert_eq!(col(&run("| tail 2", sample()), "_time"), ["1040", "1030"]);
    assert_eq!(
        col(&run("| dedup host", sample()), "host"),
        ["web-1", "web-2", "web-3"]
    );
    assert_eq!(
        col(&run("| dedup 2 host", sample()), "_time"),
        ["1000", "1010", "1020", "1030"]
    );
    assert_eq!(col(&run("| head (ms < 25)", sample()), "_time"), ["1000"]);
}

#[test]
fn rex_named_groups_max_match_and_sed() {
    let r = vec![Row::from_pairs([("_raw", s("a=1 a=2 a=3 user=bob"))])];
    let out = run(
        r#"| rex "user=(?<user>\w+)" | rex max_match=0 "a=(?<a>\d)""#,
        r.clone(),
    );
    assert_eq!(out[0].get("user"), Some(&s("bob")));
    assert_eq!(
        out[0].get("a"),
        Some(&Value::Multi(vec![s("1"), s("2"), s("3")]))
    );
    let sed = run(r#"| rex field=_raw mode=sed "s/a=(\d)/b=\1/g""#, r.clone());
    assert_eq!(sed[0].get("_raw"), Some(&s("b=1 b=2 b=3 user=bob")));
    let err = run_ctx(
        r#"| rex offset_field=o "(?<x>a)""#,
        &ExecContext::default(),
        r,
    );
    assert!(err
        .unwrap_err()
        .contains("unsupported option offset_field="));
}

#[test]
fn fields_table_rename_fillnull() {
    // `rename` keeps the column where it was, as Splunk does.
    let out = run("| fields host, status | rename host AS h", sample());
    assert_eq!(
        out[0].names().collect::<Vec<_>>(),
        ["_time", "h", "status", "_raw"]
    );
    let out = run("| table status, host", sample());
    assert_eq!(out[0].names().collect::<Vec<_>>(), ["status", "host"]);
    let rows = vec![
        Row::from_pairs([("a", Value::Int(1))]),
        Row::from_pairs([("b", Value::Int(2))]),
    ];
    let out = run("| fillnull", rows.clone());
    assert_eq!(col(&out, "a"), ["1", "0"]);
    assert_eq!(col(&out, "b"), ["0", "2"]);
    let out = run("| fillnull value=NA b", rows);
    assert_eq!(col(&out, "b"), ["NA", "2"]);
}

#[test]
fn chart_timechart_top_rare_bin() {
    let out = run("| chart count over host by status", sample());
    assert_eq!(col(&out, "host"), ["web-1", "web-2", "web-3"]);
    assert_eq!(col(&out, "200"), ["2", "0", "1"]);
    assert_eq!(col(&out, "500"), ["0", "1", "0"]);
    let out = run("| timechart span=20s count", sample());
    assert_eq!(col(&out, "_time"), ["1000", "1020", "1040"]);
    assert_eq!(col(&out, "count"), ["2", "2", "1"]);
    let out = run("| timechart span=20s limit=1 count by host", sample());
    assert_eq!(col(&out, "web-1"), ["1", "1", "1"]);
    assert_eq!(col(&out, "OTHER"), ["1", "1", "0"]);
    let out = run("| top 2 host", sample());
    assert_eq!(col(&out, "host"), ["web-1", "web-2"]);
    assert_eq!(col(&out, "count"), ["3", "1"]);
    assert_eq!(col(&out, "percent"), ["60", "20"]);
    let out = run("| rare limit=1 host", sample());
    assert_eq!(col(&out, "host"), ["web-2"]);
    let out = run("| bin ms span=10 | bin _time span=30s AS t", sample());
    assert_eq!(
        col(&out, "ms"),
        ["10-20", "30-40", "20-30", "0-10", "10-20"]
    );
    assert_eq!(col(&out, "t"), ["990", "990", "1020", "1020", "1020"]);
}

#[test]
fn eventstats_streamstats() {
    let out = run("| eventstats avg(ms) AS avg_ms by host", sample());
    assert_eq!(col(&out, "avg_ms"), ["15", "30", "15", "5", "15"]);
    let out = run("| streamstats count AS n sum(ms) AS total", sample());
    assert_eq!(col(&out, "n"), ["1", "2", "3", "4", "5"]);
    assert_eq!(col(&out, "total"), ["10", "40", "60", "65", "80"]);
    let out = run(
        "| streamstats window=2 current=false sum(ms) AS prev",
        sample(),
    );
    assert_eq!(col(&out, "prev"), ["", "10", "40", "50", "25"]);
}

#[test]
fn spath_mv_convert_addtotals_regex_makeresults() {
    let r = vec![Row::from_pairs([(
        "_raw",
        s(r#"{"user":{"name":"ann"},"tags":["a","b"],"n":3}"#),
    )])];
    let out = run("| spath", r.clone());
    assert_eq!(out[0].get("user.name"), Some(&s("ann")));
    assert_eq!(
        out[0].get("tags{}"),
        Some(&Value::Multi(vec![s("a"), s("b")]))
    );
    let out = run("| spath path=user.name output=who | mvexpand x", r.clone());
    assert_eq!(out[0].get("who"), Some(&s("ann")));
    let out = run("| spath | mvexpand tags{}", r);
    assert_eq!(col(&out, "tags{}"), ["a", "b"]);
    let r = vec![Row::from_pairs([
        ("l", s("a,b,,c")),
        ("d", s("1+02:00:03")),
        ("t", Value::Int(0)),
    ])];
    let out = run(
        r#"| makemv delim="," l | convert dur2sec(d) ctime(t) AS when"#,
        r,
    );
    assert_eq!(
        out[0].get("l"),
        Some(&Value::Multi(vec![s("a"), s("b"), s("c")]))
    );
    assert_eq!(out[0].get("d"), Some(&Value::Int(93603)));
    assert_eq!(out[0].get("when"), Some(&s("01/01/1970 00:00:00")));
    let rows = vec![
        Row::from_pairs([("a", Value::Int(1)), ("b", Value::Int(2))]),
        Row::from_pairs([("a", Value::Int(3)), ("b", Value::Int(4))]),
    ];
    let out = run("| addtotals col=true", rows);
    assert_eq!(col(&out, "Total"), ["3", "7", "10"]);
    assert_eq!(col(&out, "a"), ["1", "3", "4"]);
    let out = run(r#"| regex host="web-[12]" | regex status!="^5""#, sample());
    assert_eq!(col(&out, "_time"), ["1000", "1020", "1040"]);
    let ctx = ExecContext {
        now: 1234.0,
        ..Default::default()
    };
    let out = run_ctx("| makeresults count=3 | eval x=1", &ctx, vec![]).unwrap();
    assert_eq!(col(&out, "_time"), ["1234", "1234", "1234"]);
}

#[test]
fn transaction_append_join() {
    let ev = |t: i64, id: &str, raw: &str| {
        Row::from_pairs([("_time", Value::Int(t)), ("id", s(id)), ("_raw", s(raw))])
    };
    let rows = vec![
        ev(1, "a", "START a"),
        ev(2, "b", "START b"),
        ev(3, "a", "step"),
        ev(4, "a", "END"),
        ev(50, "b", "END"),
        ev(60, "c", "lonely"),
    ];
    let out = run(
        "| transaction id startswith=START endswith=END maxspan=30s",
        rows.clone(),
    );
    assert_eq!(col(&out, "id"), ["a"]);
    assert_eq!(col(&out, "duration"), ["3"]);
    assert_eq!(col(&out, "eventcount"), ["3"]);
    assert_eq!(out[0].get("_raw"), Some(&s("START a\nstep\nEND")));
    let out = run("| transaction id", rows.clone());
    assert_eq!(col(&out, "id"), ["c", "b", "a"]);

    let p = parse("| append [makeresults] | join type=left id [search x]").unwrap();
    let mut ctx = ExecContext::default();
    ctx.subsearches
        .insert(0, vec![Row::from_pairs([("id", s("z"))])]);
    ctx.subsearches.insert(
        1,
        vec![Row::from_pairs([("id", s("a")), ("owner", s("ann"))])],
    );
    let mut ex = compile(after_search(&p.commands), &ctx).unwrap();
    ex.push(vec![ev(1, "a", "x"), ev(2, "q", "y")]).unwrap();
    let out = ex.finish().unwrap();
    assert_eq!(col(&out, "id"), ["a", "q", "z"]);
    assert_eq!(col(&out, "owner"), ["ann", "", ""]);
    let err = compile(after_search(&p.commands), &ExecContext::default()).unwrap_err();
    assert!(err.message.contains("subsearch"), "{err}");
}

#[test]
fn unsupported_commands_and_options_are_named() {
    let ctx = ExecContext::default();
    let e = run_ctx("| frobnicate x=1", &ctx, vec![]).unwrap_err();
    assert_eq!(e, "frobnicate: unsupported command");
    let e = run_ctx("| stats foo(x)", &ctx, vec![]).unwrap_err();
    assert!(e.contains("unsupported aggregation function `foo`"), "{e}");
    let e = run_ctx("| timechart span=1mon count", &ctx, vec![]).unwrap_err();
    assert!(e.contains("unsupported span=1mon"), "{e}");
    let e = run_ctx("| dedup x keepevents=true", &ctx, vec![]).unwrap_err();
    assert!(e.contains("keepevents="), "{e}");
}

#[test]
fn limits_stop_with_clear_errors() {
    let ctx = ExecContext {
        limits: Limits {
            max_groups: 2,
            max_rows_buffered: 3,
            max_distinct: 2,
            max_open_transactions: 1,
            ..Limits::default()
        },
        ..Default::default()
    };
    let e = run_ctx("| stats count by _time", &ctx, sample()).unwrap_err();
    assert!(
        e.contains("more than 2 groups") && e.contains("max_groups"),
        "{e}"
    );
    let e = run_ctx("| sort host", &ctx, sample()).unwrap_err();
    assert!(e.contains("max_rows_buffered"), "{e}");
    let e = run_ctx("| stats dc(_time)", &ctx, sample()).unwrap_err();
    assert!(e.contains("max_distinct"), "{e}");
    let ctx2 = ExecContext {
        limits: Limits {
            max_open_transactions: 1,
            ..Limits::default()
        },
        ..Default::default()
    };
    let e = run_ctx("| transaction host", &ctx2, sample()).unwrap_err();
    assert!(e.contains("open transactions"), "{e}");
}

#[test]
fn lookup_batchs_inventory() {
    let csv = std::fs::read("../../shared/data/batchs/batchs.csv")
        .or_else(|_| std::fs::read("/work/shared/data/batchs/batchs.csv"))
        .expect("batchs.csv");
    let lookups = Arc::new(MemoryLookups::new());
    lookups.insert_csv("batchs.csv", &csv).unwrap();
    let ctx = ExecContext {
        lookups: Some(lookups.clone()),
        ..Default::default()
    };
    let root = "/work/shared/data/batchs";
    let mut rows = Vec::new();
    for server in ["ORDO-PROD-01", "ORDO-PROD-02"] {
        let dir = format!("{root}/{server}/batchs");
        for client in std::fs::read_dir(&dir).unwrap().flatten() {
            for f in std::fs::read_dir(client.path()).unwrap().flatten() {
                let text = std::fs::read_to_string(f.path()).unwrap_or_default();
                let chemin = format!(
                    "/batchs/{}/{}",
                    client.file_name().to_string_lossy(),
                    f.file_name().to_string_lossy()
                );
                for line in text.lines().filter(|l| l.contains("ERROR")) {
                    rows.push(Row::from_pairs([
                        ("_raw", s(line)),
                        ("host", s(server)),
                        ("source", s(&chemin)),
                    ]));
                }
            }
        }
    }
    assert!(rows.len() >= 12, "{} error lines", rows.len());
    // Both names resolve to the same table; AS maps the event field to the column.
    for name in ["batchs.csv", "batchs"] {
        let out = run_ctx(
            &format!("| lookup {name} chemin_logs AS source OUTPUT client nom_du_batch AS batch"),
            &ctx,
            rows.clone(),
        )
        .unwrap();
        for r in &out {
            let src = r.get("source").unwrap().to_string();
            let client = r.get("client").expect("client").to_string();
            let batch = r.get("batch").expect("batch").to_string();
            assert!(src.contains(&format!("/{client}/")), "{src} {client}");
            assert!(src.ends_with(&format!("/{batch}.log")), "{src} {batch}");
        }
    }
    // Several match fields and OUTPUTNEW.
    let out = run_ctx(
        "| lookup batchs serveur AS host chemin_logs AS source OUTPUTNEW client",
        &ctx,
        vec![
            Row::from_pairs([
                ("host", s("ORDO-PROD-02")),
                ("source", s("/batchs/mutuelle-azur/envoi_mail_decompte.log")),
            ]),
            Row::from_pairs([
                ("host", s("ORDO-PROD-01")),
                ("source", s("/batchs/mutuelle-azur/envoi_mail_decompte.log")),
                ("client", s("keep")),
            ]),
        ],
    )
    .unwrap();
    assert_eq!(col(&out, "client"), ["mutuelle-azur", "keep"]);
    // inputlookup with where, outputlookup round trip.
    let out = run_ctx(
        "| inputlookup batchs.csv where client=mutuelle-azur categorie=import | table nom_du_batch",
        &ctx,
        vec![],
    )
    .unwrap();
    assert!(
        out.len() >= 2
            && col(&out, "nom_du_batch")
                .iter()
                .all(|b| b.starts_with("import"))
    );
    run_ctx(
        "| makeresults count=2 | eval k=\"v\" | outputlookup tmp.csv",
        &ctx,
        vec![],
    )
    .unwrap();
    let t = lookups.table("tmp").unwrap();
    assert_eq!(t.len(), 2);
    assert_eq!(t.columns(), ["_time", "k"]);
}

fn access_rows() -> RowBatch {
    let text = std::fs::read_to_string("/work/shared/data/web/access.log").expect("access.log");
    let re = regex::Regex::new(
        r#"^(\S+) \S+ \S+ \[(\d+)/(\w+)/(\d+):(\d+):(\d+):(\d+) [^\]]+\] "(\S+) (\S+) [^"]*" (\d+) (\d+)"#,
    )
    .unwrap();
    text.lines()
        .take(3000)
        .filter_map(|l| {
            let c = re.captures(l)?;
            let day: i64 = c[2].parse().ok()?;
            let (h, m, sec): (i64, i64, i64) =
                (c[5].parse().ok()?, c[6].parse().ok()?, c[7].parse().ok()?);
            // 2026-03-01T00:00:00+01:00 = 1772319600
            let t = 1_772_319_600 + (day - 1) * 86400 + h * 3600 + m * 60 + sec;
            Some(Row::from_pairs([
                ("_time", Value::Int(t)),
                ("clientip", s(&c[1])),
                ("method", s(&c[8])),
                ("uri", s(&c[9])),
                ("status", s(&c[10])),
                ("bytes", s(&c[11])),
                ("_raw", s(l)),
            ]))
        })
        .collect()
}

#[test]
fn access_log_end_to_end() {
    let rows = access_rows();
    let n = rows.len();
    assert!(n > 2500);
    let out = run("| stats count by status | sort -count", rows.clone());
    let counts: Vec<i64> = col(&out, "count")
        .iter()
        .map(|c| c.parse().unwrap())
        .collect();
    assert!(counts.windows(2).all(|w| w[0] >= w[1]));
    assert_eq!(counts.iter().sum::<i64>() as usize, n);
    assert_eq!(
        counts[0] as usize,
        rows.iter()
            .filter(|r| r.get("status") == Some(&s(&col(&out, "status")[0])))
            .count()
    );

    let out = run("| timechart span=1h count", rows.clone());
    let total: i64 = col(&out, "count")
        .iter()
        .map(|c| c.parse::<i64>().unwrap())
        .sum();
    assert_eq!(total as usize, n);
    let times: Vec<i64> = col(&out, "_time")
        .iter()
        .map(|c| c.parse().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[1] - w[0] == 3600));
    assert!(times.iter().all(|t| t % 3600 == 0));

    let out = run("| top 5 uri", rows.clone());
    assert_eq!(out.len(), 5);
    let top_uri = col(&out, "uri")[0].clone();
    let expect = rows
        .iter()
        .filter(|r| r.get("uri") == Some(&s(&top_uri)))
        .count();
    assert_eq!(col(&out, "count")[0], expect.to_string());

    let out = run("| eval kb=bytes/1024 | where kb > 30", rows.clone());
    let expect = rows
        .iter()
        .filter(|r| r.get("bytes").and_then(Value::as_f64).unwrap() / 1024.0 > 30.0)
        .count();
    assert_eq!(out.len(), expect);

    let out = run(
        r#"| rex field=_raw "\"(?<m>[A-Z]+) (?<path>/[^ ?]*)" | where m != method"#,
        rows.clone(),
    );
    assert!(out.is_empty());

    let out = run("| dedup clientip", rows.clone());
    let distinct: std::collections::HashSet<String> = col(&rows, "clientip").into_iter().collect();
    assert_eq!(out.len(), distinct.len());

    let out = run(
        "| eventstats avg(bytes) AS avgb | where bytes > avgb | stats count",
        rows.clone(),
    );
    let avg = rows
        .iter()
        .map(|r| r.get("bytes").and_then(Value::as_f64).unwrap())
        .sum::<f64>()
        / n as f64;
    let expect = rows
        .iter()
        .filter(|r| r.get("bytes").and_then(Value::as_f64).unwrap() > avg)
        .count();
    assert_eq!(col(&out, "count"), [expect.to_string()]);
}

fn arb_value() -> impl Strategy<Value = (Value, i64)> {
    (
        prop_oneof![
            (-1000i64..1000).prop_map(Value::Int),
            (-400i64..400).prop_map(|x| Value::Float(x as f64 * 0.25)),
            "[a-e]{1,2}".prop_map(Value::Str),
            Just(Value::Null),
        ],
        0i64..50,
    )
}

/// Every aggregation, with percentiles (and two aliases) given a suffix to parse.
fn funcs() -> Vec<String> {
    loupe_query::agg::AGG_FUNCTIONS
        .iter()
        .map(|f| match *f {
            "perc" => "perc90".to_string(),
            "exactperc" => "exactperc75".to_string(),
            other => other.to_string(),
        })
        .chain(["p50".to_string()])
        .collect()
}

fn close(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Float(x), Value::Float(y)) => (x - y).abs() <= 1e-9 * (1.0 + x.abs().max(y.abs())),
        (Value::Float(x), Value::Int(y)) | (Value::Int(y), Value::Float(x)) => {
            (x - *y as f64).abs() <= 1e-9 * (1.0 + x.abs())
        }
        _ => a == b,
    }
}

proptest! {
    #[test]
    fn merge_equals_single_pass(vals in prop::collection::vec(arb_value(), 0..150), cut in 0usize..150) {
        let cut = cut.min(vals.len());
        for name in &funcs() {
            let f = AggFunc::parse(name).unwrap();
            let mut one = Agg::new(f, 10_000);
            let mut a = Agg::new(f, 10_000);
            let mut b = Agg::new(f, 10_000);
            for (i, (v, t)) in vals.iter().enumerate() {
                one.update(v, Some(*t as f64)).unwrap();
                if i < cut { a.update(v, Some(*t as f64)).unwrap(); } else { b.update(v, Some(*t as f64)).unwrap(); }
            }
            a.merge(&b).unwrap();
            prop_assert!(close(&a.finish(), &one.finish()), "{}: {:?} vs {:?}", name, a.finish(), one.finish());
        }
    }
}

#[test]
fn aggregate_values() {
    let feed = |name: &str, vals: &[Value]| {
        let mut a = Agg::new(AggFunc::parse(name).unwrap(), 1000);
        for (i, v) in vals.iter().enumerate() {
            a.update(v, Some(i as f64)).unwrap();
        }
        a.finish()
    };
    let nums: Vec<Value> = (1..=10).rev().map(Value::Int).collect();
    assert_eq!(feed("median", &nums), Value::Int(6));
    assert_eq!(feed("perc95", &nums), Value::Int(10));
    assert_eq!(feed("exactperc50", &nums), Value::Float(5.5));
    assert_eq!(feed("sum", &nums), Value::Int(55));
    assert_eq!(feed("range", &nums), Value::Int(9));
    assert_eq!(feed("earliest", &nums), Value::Int(10));
    assert_eq!(feed("latest", &nums), Value::Int(1));
    assert_eq!(
        feed("var", &[Value::Int(2), Value::Int(4)]),
        Value::Float(2.0)
    );
    assert_eq!(
        feed("values", &[s("b"), s("a"), s("b")]),
        Value::Multi(vec![s("a"), s("b")])
    );
    assert_eq!(feed("mode", &[s("b"), s("a"), s("b")]), s("b"));
    assert_eq!(feed("min", &[s("b"), Value::Int(3), s("a")]), Value::Int(3));
    assert_eq!(feed("max", &[s("b"), s("a")]), s("b"));
    let many: Vec<Value> = (0..150).map(Value::Int).collect();
    let Value::Multi(l) = feed("list", &many) else {
        panic!()
    };
    assert_eq!(l.len(), 100);
}

/// Group keys equal as numbers (`040`, `0040`) come out in the order of their text, whichever
/// came first: with a search's threads merging partials, first-seen order varied between runs.
#[test]
fn stats_orders_numerically_equal_keys_by_their_text() {
    for input in [["0040", "040", "7"], ["040", "0040", "7"]] {
        let rows = input
            .iter()
            .map(|k| Row::from_pairs([("k", s(k))]))
            .collect();
        let out = run("| stats count by k", rows);
        assert_eq!(col(&out, "k"), ["7", "0040", "040"], "{input:?}");
    }
}
