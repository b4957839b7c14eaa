//! Run-time errors are messages, not panics: every command that buffers or multiplies rows
//! stops at its bound in [`Limits`] with a message naming the command and the limit, and
//! bad regexes say where they are in the search.

use loupe_query::{compile, parse, CommandKind, ExecContext, Limits, Row, RowBatch, Value};

fn s(x: &str) -> Value {
    Value::Str(x.into())
}

/// `n` rows with distinct `id`, `_time` = i, and a three-valued `mv`.
fn rows(n: i64) -> RowBatch {
    (0..n)
        .map(|i| {
            Row::from_pairs([
                ("_time", Value::Int(i)),
                ("id", Value::Int(i)),
                ("k", s("same")),
                ("mv", Value::Multi(vec![s("a"), s("b"), s("c")])),
                ("_raw", s(&format!("event {i}"))),
            ])
        })
        .collect()
}

fn small(f: impl FnOnce(&mut Limits)) -> ExecContext {
    let mut limits = Limits::default();
    f(&mut limits);
    ExecContext {
        limits,
        ..Default::default()
    }
}

/// Runs `q` (a pipeline without base search) over `input` in batches of 4; the error text.
fn fails(q: &str, ctx: &ExecContext, input: RowBatch) -> String {
    let p = parse(q).unwrap_or_else(|e| panic!("{q}: {e}"));
    let mut ex = match compile(&p.commands, ctx) {
        Ok(ex) => ex,
        Err(e) => return e.to_string(),
    };
    for chunk in input.chunks(4) {
        if let Err(e) = ex.push(chunk.to_vec()) {
            return e.to_string();
        }
    }
    match ex.finish() {
        Ok(rows) => panic!("{q} gave {} rows instead of an error", rows.len()),
        Err(e) => e.to_string(),
    }
}

fn runs(q: &str, ctx: &ExecContext, input: RowBatch) -> RowBatch {
    let p = parse(q).unwrap_or_else(|e| panic!("{q}: {e}"));
    let mut ex = compile(&p.commands, ctx).unwrap_or_else(|e| panic!("{q}: {e}"));
    for chunk in input.chunks(4) {
        ex.push(chunk.to_vec())
            .unwrap_or_else(|e| panic!("{q}: {e}"));
    }
    ex.finish().unwrap_or_else(|e| panic!("{q}: {e}"))
}

fn assert_limit(msg: &str, command: &str, key: &str) {
    assert!(
        msg.starts_with(&format!("{command}: more than "))
            && msg.contains(&format!("limits.{key}"))
            && msg.contains("the search was stopped"),
        "{msg}"
    );
}

#[test]
fn limits_have_splunk_like_defaults_and_read_from_config() {
    let l = Limits::default();
    assert_eq!(l.max_transaction_events, 1000);
    assert_eq!(l.max_subsearch_rows, 50_000);
    let from: Limits = serde_json::from_str(r#"{"max_groups": 7}"#).unwrap();
    assert_eq!(from.max_groups, 7);
    assert_eq!(from.max_rows_buffered, l.max_rows_buffered);
    assert!(serde_json::from_str::<Limits>(r#"{"max_grups": 7}"#).is_err());
}

#[test]
fn grouping_commands_stop_at_max_groups_and_name_themselves() {
    let ctx = small(|l| l.max_groups = 5);
    for (q, cmd) in [
        ("| stats count by id", "stats"),
        ("| chart count over id", "chart"),
        ("| timechart span=1s count by id limit=0", "timechart"),
        ("| eventstats count by id", "eventstats"),
        ("| streamstats count by id", "streamstats"),
        ("| top limit=0 id", "top"),
        ("| rare id", "rare"),
        ("| dedup id", "dedup"),
    ] {
        assert_limit(&fails(q, &ctx, rows(20)), cmd, "max_groups");
    }
    // Under the limit the same searches run.
    assert_eq!(runs("| stats count by id", &ctx, rows(5)).len(), 5);
}

#[test]
fn timechart_time_buckets_are_bounded() {
    // Two events a day apart with span=1s would be 86,401 rows of zeros.
    let ctx = small(|l| l.max_groups = 1000);
    let two = vec![
        Row::from_pairs([("_time", Value::Int(0))]),
        Row::from_pairs([("_time", Value::Int(86_400))]),
    ];
    let msg = fails("| timechart span=1s count", &ctx, two.clone());
    assert_limit(&msg, "timechart", "max_groups");
    assert!(msg.contains("time buckets"), "{msg}");
    assert_eq!(runs("| timechart span=1h count", &ctx, two).len(), 25);
}

#[test]
fn buffering_commands_stop_at_max_rows_buffered() {
    let ctx = small(|l| l.max_rows_buffered = 10);
    for (q, cmd) in [
        ("| sort id", "sort"),
        ("| tail 1000", "tail"),
        ("| eventstats count", "eventstats"),
        ("| transaction k maxevents=1000", "transaction"),
        ("| fillnull", "fillnull"),
        ("| dedup id sortby id", "dedup"),
        ("| timechart count", "timechart"),
    ] {
        assert_limit(&fails(q, &ctx, rows(20)), cmd, "max_rows_buffered");
    }
    // Streaming commands do not buffer; rows reaching the end do, until read.
    let msg = fails("| eval x=1", &ctx, rows(20));
    assert_limit(&msg, "search", "max_rows_buffered");
    assert_eq!(runs("| tail 3", &ctx, rows(20)).len(), 3);
}

#[test]
fn transactions_are_bounded_in_count_and_size() {
    let ctx = small(|l| l.max_open_transactions = 3);
    assert_limit(
        &fails("| transaction id", &ctx, rows(10)),
        "transaction",
        "max_open_transactions",
    );
    // One transaction never holds more than max_transaction_events, whatever maxevents says.
    let ctx = small(|l| l.max_transaction_events = 4);
    let out = runs("| transaction k maxevents=100000", &ctx, rows(10));
    let counts: Vec<Value> = out
        .iter()
        .filter_map(|r| r.get("eventcount").cloned())
        .collect();
    // Filled newest first, as Splunk does: the oldest transaction holds what is left.
    assert_eq!(counts, [Value::Int(4), Value::Int(4), Value::Int(2)]);
}

#[test]
fn row_multiplying_commands_are_bounded() {
    let ctx = small(|l| l.max_rows_buffered = 10);
    // 4 rows x 3 values = 12 rows from one batch.
    assert_limit(
        &fails("| mvexpand mv", &ctx, rows(8)),
        "mvexpand",
        "max_rows_buffered",
    );
    assert_eq!(runs("| mvexpand mv limit=1", &ctx, rows(8)).len(), 8);
    // join max=0: every left row meets every right row.
    let right = "| join max=0 k [| makeresults count=5 | eval k=\"same\"]";
    assert_limit(&fails(right, &ctx, rows(8)), "join", "max_rows_buffered");
    // streamstats keeps `window` rows per group.
    let msg = fails("| streamstats window=11 count", &ctx, rows(1));
    assert!(
        msg.contains("window=11") && msg.contains("max_rows_buffered"),
        "{msg}"
    );
}

#[test]
fn subsearches_are_bounded() {
    let ctx = small(|l| l.max_subsearch_rows = 3);
    let msg = fails("| append [| makeresults count=4]", &ctx, rows(1));
    assert!(
        msg.contains("more than 3 rows") && msg.contains("max_subsearch_rows"),
        "{msg}"
    );
    let msg = fails("| join k [| makeresults count=4]", &ctx, rows(1));
    assert!(msg.contains("max_subsearch_rows"), "{msg}");
    // maxout= truncates below the limit, as Splunk.
    let ok = small(|l| l.max_subsearch_rows = 10);
    assert_eq!(
        runs("| append maxout=2 [| makeresults count=4]", &ok, rows(1)).len(),
        3
    );
}

#[test]
fn distinct_values_are_bounded() {
    let ctx = small(|l| l.max_distinct = 5);
    for q in [
        "| stats dc(id)",
        "| stats values(id)",
        "| stats median(id)",
        "| stats perc90(id)",
    ] {
        let msg = fails(q, &ctx, rows(20));
        assert!(
            msg.contains("more than 5 distinct values") && msg.contains("max_distinct"),
            "{q}: {msg}"
        );
    }
}

#[test]
fn makeresults_count_is_bounded() {
    let ctx = small(|l| l.max_rows_buffered = 10);
    let msg = fails("| makeresults count=11", &ctx, vec![]);
    assert!(msg.contains("max_rows_buffered"), "{msg}");
}

/// The byte range of `needle` in `q`.
fn span_of(q: &str, needle: &str) -> (usize, usize) {
    let at = q.find(needle).unwrap_or_else(|| panic!("{needle} in {q}"));
    (at, at + needle.len())
}

#[test]
fn bad_regexes_name_their_position() {
    let ctx = ExecContext::default();
    for (q, arg) in [
        (r#"| rex field=x "(?<a>\d+" | eval y=1"#, r#""(?<a>\d+""#),
        (r#"| regex x="[z-a]""#, r#""[z-a]""#),
        (r#"| regex (unclosed"#, "(unclosed"),
        (r#"| eval ok=1 | where match(x, "a(b")"#, r#""a(b""#),
        (r#"| eval y=replace(x, "(?<=a)b[", "c")"#, r#""(?<=a)b[""#),
    ] {
        let p = parse(q).unwrap_or_else(|e| panic!("{q}: {e}"));
        let err = compile(&p.commands, &ctx).expect_err(q);
        let (start, end) = span_of(q, arg);
        let span = err.span.unwrap_or_else(|| panic!("{q}: no span"));
        assert_eq!((span.start, span.end), (start, end), "{q}: {err}");
        let msg = err.to_string();
        assert!(
            msg.contains("invalid regex") && msg.contains(&format!("at bytes {start}..{end}")),
            "{q}: {msg}"
        );
        assert!(!msg.contains('\n'), "one line: {msg}");
    }
    // The message docs/spl.md quotes.
    let p = parse(r#"| rex "(?<a>\d+""#).unwrap();
    assert_eq!(
        compile(&p.commands, &ctx).expect_err("bad").to_string(),
        r#"rex: invalid regex "(?<a>\\d+" at bytes 6..16 of the search: unclosed group"#
    );
    // The rex AST keeps the span; print and re-parse ignore it.
    let p = parse(r#"| rex "(?<a>x)""#).unwrap();
    let CommandKind::Rex(r) = &p.commands[0].kind else {
        panic!("not rex")
    };
    assert_eq!((r.pattern_span.start, r.pattern_span.end), (6, 15));
}

#[test]
fn regex_errors_from_data_are_errors_not_panics() {
    let ctx = ExecContext::default();
    let input = vec![Row::from_pairs([("p", s("(")), ("x", s("a"))])];
    let msg = fails("| eval m=match(x, p)", &ctx, input);
    assert!(
        msg.starts_with("eval: invalid regex \"(\"") && !msg.contains('\n'),
        "{msg}"
    );
}

#[test]
fn eval_type_errors_are_null_as_splunk() {
    // Arithmetic on null or a division by zero gives null, not an error; comparisons with
    // null are false; a number from text that is not one is null.
    let input = vec![Row::from_pairs([("t", s("abc")), ("n", Value::Int(2))])];
    let out = runs(
        "| eval a=t-1, b=missing*2, c=n/0, d=if(missing>1, \"y\", \"n\"), e=len(missing), f=tonumber(t)",
        &ExecContext::default(),
        input,
    );
    let r = &out[0];
    for f in ["a", "b", "c", "e", "f"] {
        assert_eq!(r.get(f), None, "{f} should be null: {:?}", r.get(f));
    }
    assert_eq!(r.get("d"), Some(&s("n")));
}

#[test]
fn local_generating_subsearches_run_without_the_caller() {
    let out = runs(
        "| append [| makeresults count=2 | eval src=\"sub\"]",
        &ExecContext::default(),
        rows(1),
    );
    let src: Vec<Option<&Value>> = out.iter().map(|r| r.get("src")).collect();
    assert_eq!(src, [None, Some(&s("sub")), Some(&s("sub"))]);
    // A subsearch that reads events still needs the caller.
    let p = parse("| append [search index=web]").unwrap();
    let msg = compile(&p.commands, &ExecContext::default())
        .expect_err("not provided")
        .to_string();
    assert!(msg.contains("were not provided"), "{msg}");
}

#[test]
fn function_lists_match_what_the_engine_accepts() {
    use loupe_query::{eval_functions, is_known_function, AggFunc, AGG_FUNCTIONS};
    for name in AGG_FUNCTIONS {
        let spelled = if name.ends_with("perc") {
            format!("{name}95")
        } else {
            name.to_string()
        };
        let f = AggFunc::parse(&spelled).unwrap_or_else(|| panic!("{spelled} does not parse"));
        assert_eq!(f.name(), *name);
    }
    assert_eq!(AggFunc::parse("p50").map(AggFunc::name), Some("perc"));
    assert_eq!(AggFunc::parse("mean").map(AggFunc::name), Some("avg"));
    let names: Vec<&str> = eval_functions().collect();
    assert!(names.len() > 50 && names.iter().all(|n| is_known_function(n)));
    assert!(names.contains(&"json_extract") && !is_known_function("nosuch"));
}

/// A context whose searches have `memory` bytes and the given guard state.
fn guarded(memory: usize) -> (ExecContext, std::sync::Arc<loupe_query::SearchGuard>) {
    let guard = std::sync::Arc::new(loupe_query::SearchGuard::new(None, memory));
    let ctx = ExecContext {
        guard: guard.clone(),
        ..Default::default()
    };
    (ctx, guard)
}

#[test]
fn buffering_commands_charge_the_search_memory_budget() {
    // 20,000 rows of ~100 bytes each do not fit in 1 MB: each buffering command names itself.
    for (q, command) in [
        ("| sort 0 id", "sort"),
        ("| eventstats count", "eventstats"),
        ("| stats count by id", "stats"),
        ("| stats dc(id) as d", "stats"),
        ("| dedup id", "dedup"),
        ("| top limit=0 id", "top"),
        ("| streamstats count by id", "streamstats"),
        ("| tail 100000", "tail"),
        ("| transaction k maxevents=100000", "transaction"),
        ("| timechart span=1s count by id", "timechart"),
    ] {
        let (ctx, _) = guarded(1_000_000);
        let msg = fails(q, &ctx, rows(20_000));
        assert!(
            msg.starts_with(command) && msg.contains("memory budget of 1 MB"),
            "{q}: {msg}"
        );
    }
    // The same searches fit in the default budget and charge what they hold.
    let (ctx, guard) = guarded(512_000_000);
    assert_eq!(runs("| sort 0 id", &ctx, rows(20_000)).len(), 20_000);
    assert!(guard.used() > 20_000 * 50, "{} bytes charged", guard.used());
}

#[test]
fn strings_are_checked_before_they_are_built() {
    let (ctx, guard) = guarded(64_000_000);
    let doubling = "| eval s=s . s".repeat(26);
    let q = format!("| eval s=\"aaaaaaaaaaaaaaaa\" {doubling}");
    let msg = fails(&q, &ctx, vec![Row::new()]);
    assert!(
        msg.starts_with("eval:") && msg.contains("memory budget"),
        "{msg}"
    );
    // It stopped before the budget was spent, not after building a gigabyte.
    assert!(guard.used() < 64_000_000);
}

#[test]
fn a_cancelled_or_late_search_stops_at_the_next_slice() {
    let (ctx, guard) = guarded(usize::MAX);
    guard.cancel();
    let msg = fails("| makeresults count=100000 | eval x=1", &ctx, Vec::new());
    assert_eq!(msg, "the search was cancelled");
    let guard = std::sync::Arc::new(loupe_query::SearchGuard::new(
        Some(std::time::Duration::ZERO),
        usize::MAX,
    ));
    let ctx = ExecContext {
        guard,
        ..Default::default()
    };
    let msg = fails("| eval x=1", &ctx, rows(10));
    assert!(msg.contains("time limit"), "{msg}");
}

#[test]
fn a_server_pool_bounds_every_search_together() {
    let pool = std::sync::Arc::new(loupe_query::GuardPool::new(2_500_000));
    let ctx = |_: ()| ExecContext {
        guard: std::sync::Arc::new(
            loupe_query::SearchGuard::new(None, 3_000_000).in_pool(pool.clone()),
        ),
        ..Default::default()
    };
    let first = ctx(());
    assert_eq!(runs("| sort 0 id", &first, rows(2_000)).len(), 2_000);
    let held = pool.used();
    assert!(held > 500_000, "{held}");
    // While the first search still holds its rows, a second one needs more than is left:
    // the one holding the most is stopped, not the one that asked.
    let second = ctx(());
    assert_eq!(runs("| sort 0 id", &second, rows(1_000)).len(), 1_000);
    let stopped = first.guard.check().unwrap_err().to_string();
    assert!(stopped.contains("server's searches together"), "{stopped}");
    assert!(second.guard.check().is_ok());
    drop(first);
    drop(second);
    assert_eq!(pool.used(), 0);
}

#[test]
fn dotted_names_concatenate_when_no_such_field_exists() {
    let ctx = ExecContext::default();
    let input = vec![Row::from_pairs([
        ("s", s("ab")),
        ("t", s("cd")),
        ("a.b", s("field")),
    ])];
    let out = runs("| eval x=s.t, y=a.b, z=s.nosuch, w=s.s.t", &ctx, input);
    assert_eq!(out[0].get("x"), Some(&s("abcd")));
    assert_eq!(
        out[0].get("y"),
        Some(&s("field")),
        "an existing dotted field wins"
    );
    assert_eq!(
        out[0].get("z"),
        None,
        "a missing part is null, as `.` with null"
    );
    assert_eq!(out[0].get("w"), Some(&s("ababcd")));
}
