//! Commands that describe the store and Loupe's objects (`dbinspect`, `metadata`, `eventcount`,
//! `rest`), stand for another search (`tstats`, `savedsearch`, `from`) or feed one (`return`),
//! through the real server: rows from the buckets on disk, inside the token's indexes.

use loupe_e2e::{Server, TOKEN};
use std::collections::BTreeMap;

const WEB_ONLY: &str = "web-only-token-123";

/// Two days of `web` (3 events on 2 March 2026, 2 on 3 March) and 4 events of `app`, with a
/// second token that may read only `web`.
fn two_indexes() -> Server {
    let s = Server::start(&format!(
        "[[tokens]]\nname = \"web-only\"\ntoken = \"{WEB_ONLY}\"\nindexes = [\"web\"]\n"
    ));
    let day1 = 1_772_409_600; // 2026-03-02T00:00:00Z
    let day2 = day1 + 86_400;
    let mut body = String::new();
    for (index, times) in [
        ("web", vec![day1 + 10, day1 + 20, day1 + 3_600]),
        ("web", vec![day2 + 5, day2 + 7_200]),
        ("app", vec![day1 + 1, day1 + 2, day1 + 3, day1 + 4]),
    ] {
        for t in times {
            body.push_str(
                &serde_json::json!({"time": t, "index": index, "host": "h1", "event": format!("event at {t}")})
                    .to_string(),
            );
        }
    }
    let (status, answer) = s.hec("/services/collector/event", body.as_bytes(), &[]);
    assert_eq!(status, 200, "{answer}");
    s.flush();
    s
}

fn search_as(s: &Server, token: &str, q: &str) -> (u16, serde_json::Value) {
    s.flush();
    let (status, answer, _) = s.search_with(token, &serde_json::json!({"query": q, "limit": 1000}));
    (status, answer)
}

fn rows(s: &Server, token: &str, q: &str) -> Vec<serde_json::Value> {
    let (status, answer) = search_as(s, token, q);
    assert_eq!(status, 200, "{q}: {answer}");
    answer["rows"].as_array().cloned().unwrap_or_default()
}

#[test]
fn dbinspect_gives_one_row_per_bucket_with_splunks_fields() {
    let s = two_indexes();
    let buckets = rows(&s, TOKEN, "| dbinspect index=*");
    let per_index: BTreeMap<String, (usize, i64)> =
        buckets.iter().fold(BTreeMap::new(), |mut m, r| {
            let e = m
                .entry(r["index"].as_str().unwrap_or_default().to_string())
                .or_insert((0, 0));
            e.0 += 1;
            e.1 += r["eventCount"].as_i64().unwrap_or(-1000);
            m
        });
    // One bucket per index and day.
    assert_eq!(
        per_index,
        BTreeMap::from([("app".to_string(), (1, 4)), ("web".to_string(), (2, 5))])
    );
    let first_web = buckets
        .iter()
        .find(|r| r["index"] == "web" && r["eventCount"] == 3)
        .expect("the web bucket of 2 March");
    assert_eq!(first_web["startEpoch"], 1_772_409_610);
    assert_eq!(first_web["endEpoch"], 1_772_413_200);
    assert_eq!(first_web["bucketId"], "web~db_20260302_0");
    // Still open for writing in the server that just indexed it.
    assert_eq!(first_web["state"], "hot");
    let path = std::path::PathBuf::from(first_web["path"].as_str().expect("path"));
    assert!(path.join("meta.json").is_file(), "{}", path.display());
    assert!(path.starts_with(s.data_dir()), "{}", path.display());
    assert!(first_web["sizeOnDiskMB"].as_f64().expect("size") > 0.0);

    // Aggregated as a dashboard panel does.
    let by_index = rows(
        &s,
        TOKEN,
        "| dbinspect index=* | stats sum(sizeOnDiskMB) AS mb, sum(eventCount) AS events, count AS buckets by index",
    );
    assert_eq!(by_index.len(), 2, "{by_index:?}");
    assert_eq!(by_index[1]["index"], "web");
    assert_eq!(by_index[1]["events"], 5);
    assert_eq!(by_index[1]["buckets"], 2);
    assert!(by_index[1]["mb"].as_f64().expect("mb") > 0.0);

    // A pattern and a time range narrow the buckets.
    assert_eq!(rows(&s, TOKEN, "| dbinspect index=ap*").len(), 1);
    let (status, answer, _) = s.search_with(
        TOKEN,
        &serde_json::json!({"query": "| dbinspect index=web", "earliest": "1772496000", "limit": 10}),
    );
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["rows"].as_array().map(Vec::len), Some(1), "{answer}");
}

#[test]
fn dbinspect_sees_only_the_tokens_indexes() {
    let s = two_indexes();
    let seen: Vec<String> = rows(&s, WEB_ONLY, "| dbinspect index=*")
        .iter()
        .map(|r| r["index"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(seen, vec!["web", "web"]);
    assert!(rows(&s, WEB_ONLY, "| dbinspect index=app").is_empty());
    // Nor through a subsearch.
    assert!(rows(
        &s,
        WEB_ONLY,
        "| makeresults | append [| dbinspect index=app]"
    )
    .iter()
    .all(|r| r.get("bucketId").is_none()));
}

#[test]
fn dbinspect_reports_buckets_no_writer_holds_as_warm() {
    let mut s = two_indexes();
    s.terminate();
    s.restart();
    let states: Vec<String> = rows(&s, TOKEN, "| dbinspect")
        .iter()
        .map(|r| r["state"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(states, vec!["warm", "warm", "warm"]);
}

#[test]
fn dbinspect_refuses_what_it_does_not_know() {
    let s = two_indexes();
    for (q, message) in [
        (
            "| dbinspect bogus=1",
            "dbinspect: unsupported option bogus=",
        ),
        ("| dbinspect web", "dbinspect: unexpected argument `web`"),
        (
            "index=web | dbinspect",
            "dbinspect: generates results: it must come first",
        ),
    ] {
        let (status, answer) = search_as(&s, TOKEN, q);
        assert_eq!(status, 400, "{q}: {answer}");
        let error = answer["error"].as_str().unwrap_or_default();
        assert!(error.starts_with(message), "{q}: {error}");
        assert!(answer["span"]["start"].is_u64(), "{q}: {answer}");
    }
}

#[test]
fn metadata_gives_each_hosts_time_range_and_count_from_the_summaries() {
    let s = two_indexes();
    let hosts = rows(&s, TOKEN, "| metadata type=hosts index=*");
    assert_eq!(hosts.len(), 1, "{hosts:?}");
    let h = &hosts[0];
    assert_eq!(h["host"], "h1");
    assert_eq!(h["totalCount"], 9);
    assert_eq!(h["firstTime"], 1_772_409_601);
    assert_eq!(h["lastTime"], 1_772_496_000 + 7_200);
    assert_eq!(h["type"], "hosts");
    // Indexed now, long after the events' own times.
    assert!(
        h["recentTime"].as_i64().unwrap_or(0) > 1_772_496_000 + 7_200,
        "{h}"
    );
    // Inside the token's indexes only.
    let web = rows(&s, WEB_ONLY, "| metadata type=hosts index=*");
    assert_eq!(web[0]["totalCount"], 5);
    assert_eq!(web[0]["firstTime"], 1_772_409_610);
    assert!(rows(&s, WEB_ONLY, "| metadata type=sourcetypes index=app").is_empty());
    let (status, answer) = search_as(&s, TOKEN, "| metadata type=users");
    assert_eq!(status, 400, "{answer}");
    assert!(
        answer["error"]
            .as_str()
            .is_some_and(|e| e.starts_with("metadata: unsupported type=users")),
        "{answer}"
    );
}

#[test]
fn eventcount_counts_the_events_of_each_index_the_token_reads() {
    let s = two_indexes();
    let total = rows(&s, TOKEN, "| eventcount index=*");
    assert_eq!(total.len(), 1);
    assert_eq!(total[0]["count"], 9);
    let per_index = rows(&s, TOKEN, "| eventcount summarize=false index=*");
    let got: Vec<(String, i64)> = per_index
        .iter()
        .map(|r| {
            (
                r["index"].as_str().unwrap_or_default().to_string(),
                r["count"].as_i64().unwrap_or(-1),
            )
        })
        .collect();
    // `main` exists from the start, empty: listed as Splunk lists an empty index.
    let expected = [("app", 4), ("main", 0), ("web", 5)];
    assert_eq!(got, expected.map(|(i, n)| (i.to_string(), n)).to_vec());
    let web = rows(
        &s,
        WEB_ONLY,
        "| eventcount summarize=false report_size=true index=*",
    );
    assert_eq!(web.len(), 1, "{web:?}");
    assert_eq!(web[0]["index"], "web");
    assert!(web[0]["size_bytes"].as_i64().unwrap_or(0) > 0, "{web:?}");
}

#[test]
fn tstats_answers_as_the_search_and_stats_it_stands_for() {
    let s = two_indexes();
    let by_host = rows(&s, TOKEN, "| tstats count where index=web by host");
    assert_eq!(by_host, rows(&s, TOKEN, "index=web | stats count by host"));
    assert_eq!(by_host[0]["count"], 5, "{by_host:?}");
    let per_hour = rows(
        &s,
        TOKEN,
        "| tstats prestats=t count dc(index) AS indexes where index=* by _time span=1h",
    );
    let got: Vec<(String, i64, i64)> = per_hour
        .iter()
        .map(|r| {
            (
                r["_time"].as_str().unwrap_or_default().to_string(),
                r["count"].as_i64().unwrap_or(-1),
                r["indexes"].as_i64().unwrap_or(-1),
            )
        })
        .collect();
    let at = |t: &str, n: i64, i: i64| (t.to_string(), n, i);
    assert_eq!(
        got,
        vec![
            at("2026-03-02T00:00:00Z", 6, 2),
            at("2026-03-02T01:00:00Z", 1, 1),
            at("2026-03-03T00:00:00Z", 1, 1),
            at("2026-03-03T02:00:00Z", 1, 1),
        ]
    );
    let range = rows(
        &s,
        TOKEN,
        "| tstats min(_time) AS first max(_time) AS last where index=web",
    );
    assert_eq!(
        range[0]["first"].as_f64(),
        Some(1_772_409_610.0),
        "{range:?}"
    );
    assert_eq!(
        range[0]["last"].as_f64(),
        Some(1_772_503_200.0),
        "{range:?}"
    );
    // In the token's scope, as the search it becomes.
    let (status, answer) = search_as(&s, WEB_ONLY, "| tstats count where index=app");
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["rows"][0]["count"], 0, "{answer}");
    // Data models are refused by name, underlined.
    let q = "| tstats count from datamodel=Web.Web by Web.dest";
    let (status, answer) = search_as(&s, TOKEN, q);
    assert_eq!(status, 400, "{answer}");
    assert!(
        answer["error"]
            .as_str()
            .is_some_and(|e| e.contains("data models are not supported (FROM datamodel=Web.Web)")),
        "{answer}"
    );
    assert_eq!(answer["span"]["start"], 2, "{answer}");
}

#[test]
fn explain_shows_tstats_on_the_summary_path_and_notes_ignored_options() {
    let s = two_indexes();
    let out = std::process::Command::new(loupe_e2e::bin("loupe"))
        .args(["explain", "--data-dir"])
        .arg(s.data_dir())
        .arg("| tstats summariesonly=t count where index=web by host")
        .output()
        .expect("loupe explain");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).expect("plan is JSON");
    assert_eq!(
        plan["path"],
        "stats over keyword fields and times from bucket streams or fast columns (no documents), then the operators",
        "{plan}"
    );
    assert_eq!(plan["reads_stored_documents"], false, "{plan}");
    assert!(
        plan["notes"][0]
            .as_str()
            .is_some_and(|n| n.starts_with("tstats: summariesonly= is ignored")),
        "{plan}"
    );
}

#[test]
fn rest_describes_loupes_own_objects_within_the_tokens_scope() {
    let s = two_indexes();
    let (status, answer) = s.api(
        "POST",
        "/api/v1/saved-searches",
        Some(&serde_json::json!({"name": "web errors", "query": "index=web error | stats count", "cron": "*/5 * * * *", "earliest": "-5m"})),
    );
    assert!(status == 200 || status == 201, "{status}: {answer}");
    let saved = rows(
        &s,
        TOKEN,
        "| rest /servicesNS/-/-/saved/searches splunk_server=local | table title search cron_schedule is_scheduled dispatch.earliest_time",
    );
    assert_eq!(
        saved,
        vec![
            serde_json::json!({"title": "web errors", "search": "index=web error | stats count", "cron_schedule": "*/5 * * * *", "is_scheduled": 1, "dispatch.earliest_time": "-5m"})
        ]
    );
    let titles = |token: &str| -> Vec<String> {
        rows(
            &s,
            token,
            "| rest /services/data/indexes | search title!=_* | fields title totalEventCount",
        )
        .iter()
        .map(|r| {
            format!(
                "{}={}",
                r["title"].as_str().unwrap_or_default(),
                r["totalEventCount"]
            )
        })
        .collect()
    };
    assert_eq!(titles(TOKEN), vec!["app=4", "main=0", "web=5"]);
    assert_eq!(titles(WEB_ONLY), vec!["web=5"]);
    let me = rows(
        &s,
        WEB_ONLY,
        "| rest /services/authentication/current-context",
    );
    assert_eq!(me[0]["username"], "web-only", "{me:?}");
    assert_eq!(
        me[0]["srchIndexesAllowed"],
        serde_json::json!(["web"]),
        "{me:?}"
    );
    let info = rows(&s, TOKEN, "| rest /services/server/info");
    assert_eq!(info[0]["product_type"], "loupe", "{info:?}");
    // The same endpoints under any user's and app's namespace (one instance, one namespace).
    let info_ns = rows(
        &s,
        TOKEN,
        "| rest /servicesNS/nobody/search/server/info | table serverName product_type version",
    );
    assert_eq!(info_ns.len(), 1, "{info_ns:?}");
    assert_eq!(info_ns[0]["product_type"], "loupe", "{info_ns:?}");
    assert_eq!(info_ns[0]["version"], info[0]["version"], "{info_ns:?}");
    let me_ns = rows(
        &s,
        WEB_ONLY,
        "| rest /servicesNS/-/-/authentication/current-context/ | table username",
    );
    assert_eq!(me_ns, vec![serde_json::json!({"username": "web-only"})]);
    let first = rows(
        &s,
        TOKEN,
        "| rest /servicesNS/-/-/data/indexes count=1 | table title",
    );
    assert_eq!(first.len(), 1, "{first:?}");
    for (q, path, start) in [
        ("| rest /services/apps/local", "/services/apps/local", 2),
        (
            "search index=web | append [| rest /servicesNS/-/-/apps/local splunk_server=local]",
            "/servicesNS/-/-/apps/local",
            29,
        ),
        ("| rest /servicesNS/-/-", "/servicesNS/-/-", 2),
    ] {
        let (status, answer) = search_as(&s, TOKEN, q);
        assert_eq!(status, 400, "{q}: {answer}");
        let expected = format!(
            "rest: unsupported endpoint {path} (Loupe answers /services/saved/searches, /services/data/indexes, /services/authentication/current-context, /services/server/info)"
        );
        assert!(
            answer["error"]
                .as_str()
                .is_some_and(|e| e.starts_with(&expected)),
            "{q}: {answer}"
        );
        assert_eq!(answer["span"]["start"], start, "{q}: {answer}");
    }
}

#[test]
fn savedsearch_and_from_run_the_object_they_name_in_the_callers_scope() {
    let s = two_indexes();
    let (status, answer) = s.api(
        "POST",
        "/api/v1/saved-searches",
        Some(&serde_json::json!({"name": "all hits", "query": "index=* | stats count AS n", "earliest": "1772409600", "latest": "1772413200"})),
    );
    assert!(status == 200 || status == 201, "{status}: {answer}");
    // Its own time range (the first hour of 2 March: 2 web and 4 app events) and query.
    assert_eq!(rows(&s, TOKEN, "| savedsearch \"all hits\"")[0]["n"], 6);
    let doubled = rows(&s, TOKEN, "| from savedsearch:\"all hits\" | eval m=n*2");
    assert_eq!(doubled[0]["m"], 12, "{doubled:?}");
    // The caller's indexes, not the saved search's author's.
    assert_eq!(rows(&s, WEB_ONLY, "| savedsearch \"all hits\"")[0]["n"], 2);
    let written = rows(
        &s,
        TOKEN,
        "| makeresults | eval host=\"h1\", role=\"front\" | table host role | outputlookup roles.csv",
    );
    assert_eq!(written.len(), 1);
    let table = rows(&s, TOKEN, "| from lookup:roles.csv | table host role");
    assert_eq!(
        table,
        vec![serde_json::json!({"host": "h1", "role": "front"})]
    );
    // A lookup outside the token's grant stays closed through `from`.
    let (status, answer) = search_as(&s, WEB_ONLY, "| from lookup:roles.csv");
    assert_eq!(status, 403, "{answer}");
    for (q, message) in [
        (
            "| savedsearch nope",
            "savedsearch: no saved search named \"nope\"",
        ),
        (
            "| from datamodel:Web.Web",
            "from: data models are not supported",
        ),
        (
            "| makeresults | from lookup:roles.csv",
            "from: generates results: it must come first",
        ),
    ] {
        let (status, answer) = search_as(&s, TOKEN, q);
        assert_eq!(status, 400, "{q}: {answer}");
        assert!(
            answer["error"]
                .as_str()
                .is_some_and(|e| e.starts_with(message)),
            "{q}: {answer}"
        );
    }
}

#[test]
fn return_feeds_a_subsearchs_first_values_to_the_search_around_it() {
    let s = two_indexes();
    // The host of the newest app event, then every event of that host (web's included).
    let n = rows(
        &s,
        TOKEN,
        "index=* [search index=app | head 1 | return host] | stats count",
    );
    assert_eq!(n[0]["count"], 9, "{n:?}");
    let n = rows(
        &s,
        TOKEN,
        "index=web [| makeresults count=2 | streamstats count AS i | eval t=1772409600 + i*10 | return 2 $t] | stats count",
    );
    // `1772409610 OR 1772409620`: the two events whose text holds those numbers.
    assert_eq!(n[0]["count"], 2, "{n:?}");
    let f = rows(
        &s,
        TOKEN,
        "index=* [search index=web | stats count by host | fields host | format] | stats count",
    );
    assert_eq!(f[0]["count"], 9, "{f:?}");
}

#[test]
fn union_multisearch_and_appendcols_combine_event_searches() {
    let s = two_indexes();
    let both = rows(
        &s,
        TOKEN,
        "| multisearch [search index=web] [search index=app] | table _time index",
    );
    assert_eq!(both.len(), 9, "{both:?}");
    let times: Vec<&str> = both
        .iter()
        .map(|r| r["_time"].as_str().unwrap_or(""))
        .collect();
    let mut newest_first = times.clone();
    newest_first.sort_by(|a, b| b.cmp(a));
    assert_eq!(times, newest_first);
    let counts = |token: &str| -> Vec<serde_json::Value> {
        rows(
            &s,
            token,
            "| union [search index=web | stats count AS n] [search index=app | stats count AS n] | fields n",
        )
        .iter()
        .map(|r| r["n"].clone())
        .collect()
    };
    assert_eq!(counts(TOKEN), [5, 4]);
    // Each subsearch in the caller's scope.
    assert_eq!(counts(WEB_ONLY), [5, 0]);
    let side_by_side = rows(
        &s,
        TOKEN,
        "index=web | stats count AS web | appendcols [search index=app | stats count AS app]",
    );
    assert_eq!(side_by_side, vec![serde_json::json!({"web": 5, "app": 4})]);
    let (status, answer) = search_as(&s, TOKEN, "| makeresults | multisearch [search index=web]");
    assert_eq!(status, 400, "{answer}");
}

#[test]
fn map_runs_its_search_once_per_row_within_maxsearches_and_the_scope() {
    let s = two_indexes();
    let q = r#"| makeresults count=3 | streamstats count AS i
        | eval idx=case(i=1, "web", i=2, "app", true(), "web")
        | map search="search index=$idx$ | stats count AS n | eval idx=\"$idx$\"" maxsearches=2"#;
    let q = q.replace('\n', " ");
    let got = |token: &str| -> Vec<String> {
        rows(&s, token, &q)
            .iter()
            .map(|r| format!("{}={}", r["idx"].as_str().unwrap_or_default(), r["n"]))
            .collect()
    };
    // The third row is past maxsearches.
    assert_eq!(got(TOKEN), ["web=5", "app=4"]);
    assert_eq!(got(WEB_ONLY), ["web=5", "app=0"]);
    let (status, answer) = search_as(
        &s,
        TOKEN,
        "| makeresults | map search=\"search index=web\" maxsearches=1000000",
    );
    assert_eq!(status, 400, "{answer}");
    assert!(
        answer["error"]
            .as_str()
            .is_some_and(|e| e.contains("limit max_subsearch_results")),
        "{answer}"
    );
}

#[test]
fn map_with_a_subsearch_substitutes_each_row_as_map_search_does() {
    let s = two_indexes();
    // The bracketed search holds a pipe, quotes, a nested subsearch and `$field$` where the
    // parser wants a number (`head $k$`): it is kept as text until each row fills it in.
    let q = r#"| makeresults count=3 | streamstats count AS i
        | eval idx=case(i=1, "web", i=2, "app", true(), "web"), k=i+1
        | map [search index=$idx$ [search index=$idx$ | head 1 | fields host] | head $k$
               | stats count AS n | eval idx="$idx$"] maxsearches=2"#;
    let q = q.replace('\n', " ");
    let got = |token: &str| -> Vec<String> {
        rows(&s, token, &q)
            .iter()
            .map(|r| format!("{}={}", r["idx"].as_str().unwrap_or_default(), r["n"]))
            .collect()
    };
    // Row 1: `head 2` of web; row 2: `head 3` of app; row 3 is past maxsearches.
    assert_eq!(got(TOKEN), ["web=2", "app=3"]);
    assert_eq!(got(WEB_ONLY), ["web=2", "app=0"]);
    // Without `maxsearches`, Splunk's 10; the bound holds for this form too.
    let n = rows(
        &s,
        TOKEN,
        "| makeresults count=12 | map [search index=web | stats count] | stats count AS searches",
    );
    assert_eq!(n[0]["searches"], 10, "{n:?}");
    let (status, answer) = search_as(
        &s,
        TOKEN,
        "| makeresults | map [search index=web] maxsearches=1000000",
    );
    assert_eq!(status, 400, "{answer}");
    let (status, answer) = search_as(&s, TOKEN, "| makeresults | map [search index=web");
    assert_eq!(status, 400, "{answer}");
    assert!(
        answer["error"]
            .as_str()
            .is_some_and(|e| e.contains("unclosed subsearch")),
        "{answer}"
    );
}

#[test]
fn a_subsearch_in_an_expression_stands_for_the_values_it_returns() {
    let s = two_indexes();
    let n = rows(
        &s,
        TOKEN,
        "index=* | where host IN [search index=app | head 1 | return $host] | stats count",
    );
    assert_eq!(n[0]["count"], 9, "{n:?}");
    let n = rows(
        &s,
        TOKEN,
        "index=web | eval app=[search index=app | stats count AS n | fields n] | where app=4 | stats count",
    );
    assert_eq!(n[0]["count"], 5, "{n:?}");
    // In the caller's scope: nothing comes back from an index it may not read.
    let n = rows(
        &s,
        WEB_ONLY,
        "index=web | where host IN [search index=app | return 5 $host] | stats count",
    );
    assert_eq!(n[0]["count"], 0, "{n:?}");
}

#[test]
fn saved_searches_may_use_the_new_generating_commands() {
    let s = two_indexes();
    for (i, q) in [
        "| tstats count where index=web by host",
        "| dbinspect index=* | stats sum(sizeOnDiskMB) AS mb by index",
        "| rest /services/data/indexes",
        "| metadata type=hosts",
        "| from lookup:roles.csv",
        "| savedsearch other",
        "| makeresults | map search=\"search index=web\"",
        "| multisearch [search index=web] [search index=app]",
    ]
    .iter()
    .enumerate()
    {
        let body = serde_json::json!({"name": format!("s{i}"), "query": q});
        let (status, answer) = s.api("POST", "/api/v1/saved-searches", Some(&body));
        assert!(status == 200 || status == 201, "{q}: {status} {answer}");
    }
    let body =
        serde_json::json!({"name": "dm", "query": "| tstats count from datamodel=Web by Web.dest"});
    let (status, answer) = s.api("POST", "/api/v1/saved-searches", Some(&body));
    assert_eq!(status, 400, "{answer}");
    assert!(
        answer.to_string().contains("data models are not supported"),
        "{answer}"
    );
}

#[test]
fn a_scheduled_run_may_call_another_saved_search() {
    let s = two_indexes();
    for (name, query) in [
        ("inner", "index=web | stats count AS n"),
        ("outer", "| savedsearch inner | eval m=n+1"),
    ] {
        let body = serde_json::json!({"name": name, "query": query});
        let (status, answer) = s.api("POST", "/api/v1/saved-searches", Some(&body));
        assert!(status == 200 || status == 201, "{status}: {answer}");
    }
    let (status, run) = s.api(
        "POST",
        "/api/v1/saved-searches/outer/run?trigger_actions=true",
        None,
    );
    assert_eq!(status, 200, "{run}");
    assert!(run["error"].is_null(), "{run}");
    assert_eq!(run["result_count"], 1, "{run}");
}
