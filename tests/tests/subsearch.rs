//! Subsearches that read events, through the real server on the shared samples: base-search
//! subsearches (`[search …]`, `NOT […]`, the `search` field), `append` and `join`, nesting, the
//! index scope of the caller, the `[limits]` of `loupe.toml`, and located planner errors.
//! Expected values are computed here from the sample files, not from Loupe.

use loupe_e2e::{bin, load_app, load_batch_world, load_web, shared_data, Server, TOKEN};
use std::collections::{BTreeMap, BTreeSet};

/// One access-log line: client IP, status, day of March 2026 (local time).
struct Hit {
    ip: String,
    status: u16,
    day: u32,
}

fn web_hits() -> Vec<Hit> {
    std::fs::read_to_string(shared_data().join("web/access.log"))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            Hit {
                ip: f[0].to_string(),
                status: f[8].parse().unwrap(),
                day: f[3][1..3].parse().unwrap(),
            }
        })
        .collect()
}

fn app_events() -> Vec<serde_json::Value> {
    std::fs::read_to_string(shared_data().join("app/portal.json.log"))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn failures(app: &[serde_json::Value]) -> Vec<&serde_json::Value> {
    app.iter().filter(|e| e["outcome"] == "failure").collect()
}

/// A server with the portal's access log in `web` and its JSON log in `app`; `extra` is config.
fn portal(extra: &str) -> Server {
    let s = Server::start(extra);
    load_web(&s);
    load_app(&s);
    s
}

fn ok(s: &Server, q: &str) -> serde_json::Value {
    let (status, answer) = s.search(q, 10_000);
    assert_eq!(status, 200, "{q}: {answer}");
    answer
}

fn rows(answer: &serde_json::Value) -> &Vec<serde_json::Value> {
    answer["rows"].as_array().unwrap()
}

fn only_count(answer: &serde_json::Value) -> u64 {
    rows(answer)[0]["count"].as_u64().unwrap()
}

#[test]
fn base_search_subsearches_become_terms() {
    let s = portal("");
    let web = web_hits();
    let app = app_events();
    let failed: BTreeSet<&str> = failures(&app)
        .iter()
        .map(|e| e["client_ip"].as_str().unwrap())
        .collect();
    assert!(!failed.is_empty());
    let from_failed = web
        .iter()
        .filter(|h| failed.contains(h.ip.as_str()))
        .count() as u64;
    assert!(from_failed > 0 && from_failed < web.len() as u64);

    let sub = "[search index=app outcome=failure | rename client_ip AS clientip | fields clientip]";
    let a = ok(&s, &format!("index=web {sub} | stats count"));
    assert_eq!(only_count(&a), from_failed, "{a}");
    let a = ok(&s, &format!("index=web NOT {sub} | stats count"));
    assert_eq!(only_count(&a), web.len() as u64 - from_failed, "{a}");

    // Per IP, and the subsearch's own pipeline (dedup) does not change the terms.
    let a = ok(
        &s,
        "index=web [search index=app outcome=failure | dedup client_ip | rename client_ip AS clientip | table clientip] | stats count by clientip",
    );
    let mut expected: BTreeMap<String, u64> = BTreeMap::new();
    for h in web.iter().filter(|h| failed.contains(h.ip.as_str())) {
        *expected.entry(h.ip.clone()).or_default() += 1;
    }
    let got: BTreeMap<String, u64> = rows(&a)
        .iter()
        .map(|r| {
            (
                r["clientip"].as_str().unwrap().to_string(),
                r["count"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(got, expected);

    // A field named `search` (or `query`) is search text; rows are ORed.
    let status_5xx =
        |codes: &[u16]| web.iter().filter(|h| codes.contains(&h.status)).count() as u64;
    let a = ok(
        &s,
        r#"index=web [| makeresults | eval search="status=502 OR status=503" | fields search] | stats count"#,
    );
    assert_eq!(only_count(&a), status_5xx(&[502, 503]), "{a}");
    let a = ok(
        &s,
        r#"index=web [| makeresults count=2 | streamstats count AS n | eval query=if(n=1, "status=500", "status=503") | fields query] | stats count"#,
    );
    assert_eq!(only_count(&a), status_5xx(&[500, 503]), "{a}");

    // No result matches nothing; NOT of no result matches everything.
    let a = ok(
        &s,
        "index=web [search index=app outcome=nosuchoutcome | fields client_ip] | stats count",
    );
    assert_eq!(only_count(&a), 0, "{a}");
    let a = ok(
        &s,
        "index=web NOT [search index=app outcome=nosuchoutcome | fields client_ip] | stats count",
    );
    assert_eq!(only_count(&a), web.len() as u64, "{a}");

    // After `| search` too.
    let a = ok(&s, &format!("index=web | search {sub} | stats count"));
    assert_eq!(only_count(&a), from_failed, "{a}");
}

#[test]
fn subsearches_share_the_outer_time_range() {
    let s = portal("");
    let web = web_hits();
    let app = app_events();
    // From 5 March (local time, as every sample timestamp is +01:00) on, in both indexes.
    let failed_late: BTreeSet<&str> = failures(&app)
        .iter()
        .filter(|e| e["ts"].as_str().unwrap() >= "2026-03-05")
        .map(|e| e["client_ip"].as_str().unwrap())
        .collect();
    let failed_all: BTreeSet<&str> = failures(&app)
        .iter()
        .map(|e| e["client_ip"].as_str().unwrap())
        .collect();
    assert!(failed_late.len() < failed_all.len());
    let expected = web
        .iter()
        .filter(|h| h.day >= 5 && failed_late.contains(h.ip.as_str()))
        .count() as u64;
    let a = ok(
        &s,
        r#"index=web earliest="2026-03-05T00:00:00+01:00" [search index=app outcome=failure | rename client_ip AS clientip | fields clientip] | stats count"#,
    );
    assert_eq!(only_count(&a), expected, "{a}");
    // A subsearch may also return the time range itself.
    let a = ok(
        &s,
        r#"index=web [| makeresults | eval earliest="2026-03-05T00:00:00+01:00" | fields earliest] | stats count"#,
    );
    assert_eq!(
        only_count(&a),
        web.iter().filter(|h| h.day >= 5).count() as u64,
        "{a}"
    );
}

#[test]
fn append_and_join_run_event_subsearches() {
    let s = portal("");
    let web = web_hits();
    let app = app_events();
    let fails = failures(&app);

    let a = ok(
        &s,
        r#"index=web status>=500 | stats count AS n | eval what="web 5xx" | append [search index=app outcome=failure | stats count AS n | eval what="failed logins"] | table what n"#,
    );
    let got: Vec<(String, u64)> = rows(&a)
        .iter()
        .map(|r| {
            (
                r["what"].as_str().unwrap().to_string(),
                r["n"].as_u64().unwrap(),
            )
        })
        .collect();
    let errors = web.iter().filter(|h| h.status >= 500).count() as u64;
    assert_eq!(
        got,
        vec![
            ("web 5xx".to_string(), errors),
            ("failed logins".to_string(), fails.len() as u64)
        ]
    );

    // Denied requests per IP next to that IP's failed logins (inner join: IPs with both).
    let a = ok(
        &s,
        "index=web status=401 | stats count AS denied by clientip | join clientip [search index=app outcome=failure | rename client_ip AS clientip | stats count AS failures by clientip] | table clientip denied failures",
    );
    let mut denied: BTreeMap<&str, u64> = BTreeMap::new();
    for h in web.iter().filter(|h| h.status == 401) {
        *denied.entry(h.ip.as_str()).or_default() += 1;
    }
    let mut failed: BTreeMap<&str, u64> = BTreeMap::new();
    for e in &fails {
        *failed.entry(e["client_ip"].as_str().unwrap()).or_default() += 1;
    }
    let expected: BTreeMap<String, (u64, u64)> = denied
        .iter()
        .filter_map(|(ip, d)| failed.get(ip).map(|f| (ip.to_string(), (*d, *f))))
        .collect();
    assert!(!expected.is_empty());
    let got: BTreeMap<String, (u64, u64)> = rows(&a)
        .iter()
        .map(|r| {
            (
                r["clientip"].as_str().unwrap().to_string(),
                (
                    r["denied"].as_u64().unwrap(),
                    r["failures"].as_u64().unwrap(),
                ),
            )
        })
        .collect();
    assert_eq!(got, expected);

    // append of events: the subsearch's rows come after, with their fields.
    let a = ok(
        &s,
        "index=web status=500 | fields clientip status | append [search index=app outcome=failure | head 2 | fields user] | table clientip status user",
    );
    let r = rows(&a);
    let five_hundreds = web.iter().filter(|h| h.status == 500).count();
    assert_eq!(r.len(), five_hundreds + 2, "{a}");
    assert!(r[..five_hundreds]
        .iter()
        .all(|x| x["status"] == "500" || x["status"] == 500));
    assert!(
        r[five_hundreds..].iter().all(|x| x["user"].is_string()),
        "{a}"
    );
}

#[test]
fn batch_world_subsearches_nest() {
    let s = Server::start("");
    load_batch_world(&s);
    // Lines per log source (`/batchs/<client>/<file>`), and which have an ERROR line.
    let mut lines: BTreeMap<String, u64> = BTreeMap::new();
    let mut with_error: BTreeSet<String> = BTreeSet::new();
    for server in ["ORDO-PROD-01", "ORDO-PROD-02"] {
        let dir = shared_data().join("batchs").join(server).join("batchs");
        for client in std::fs::read_dir(dir).unwrap() {
            let client = client.unwrap().path();
            for log in std::fs::read_dir(&client).unwrap() {
                let log = log.unwrap().path();
                let name =
                    |p: &std::path::Path| p.file_name().unwrap().to_str().unwrap().to_string();
                let source = format!("/batchs/{}/{}", name(&client), name(&log));
                let text = std::fs::read_to_string(&log).unwrap();
                let n = text.lines().filter(|l| !l.trim().is_empty()).count() as u64;
                if n > 0 {
                    *lines.entry(source.clone()).or_default() += n;
                }
                if text.lines().any(|l| l.contains("ERROR")) {
                    with_error.insert(source);
                }
            }
        }
    }
    assert!(!with_error.is_empty());

    // Every line of the logs that have an error.
    let a = ok(
        &s,
        "index=batchs [search index=batchs ERROR | dedup source | fields source] | stats count by source",
    );
    let got: BTreeMap<String, u64> = rows(&a)
        .iter()
        .map(|r| {
            (
                r["source"].as_str().unwrap().to_string(),
                r["count"].as_u64().unwrap(),
            )
        })
        .collect();
    let expected: BTreeMap<String, u64> = with_error
        .iter()
        .map(|src| (src.clone(), lines[src]))
        .collect();
    assert_eq!(got, expected);

    // Nested: the inventory names one client's logs, the middle keeps those with an error.
    let inventory = std::fs::read_to_string(shared_data().join("batchs/batchs.csv")).unwrap();
    let client_logs: BTreeSet<String> = inventory
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|f| f[4] == "mutuelle-azur")
        .map(|f| f[3].to_string())
        .collect();
    let expected: u64 = with_error
        .iter()
        .filter(|src| client_logs.contains(*src))
        .map(|src| lines[src])
        .sum();
    assert!(expected > 0);
    let a = ok(
        &s,
        "index=batchs [search index=batchs ERROR [| inputlookup batchs.csv | search client=mutuelle-azur | rename chemin_logs AS source | fields source] | dedup source | fields source] | stats count",
    );
    assert_eq!(only_count(&a), expected, "{a}");
}

#[test]
fn nesting_is_bounded() {
    let s = portal("");
    let app = app_events();
    let newest_failure = failures(&app)
        .into_iter()
        .max_by_key(|e| e["ts"].as_str().unwrap().to_string())
        .unwrap();
    let user = newest_failure["user"].as_str().unwrap();
    let expected = app.iter().filter(|e| e["user"] == user).count() as u64;
    // Each level keeps the user of the level inside; `levels` brackets in all.
    let nested = |levels: usize| {
        let mut q = "search index=app outcome=failure | head 1 | fields user".to_string();
        for _ in 1..levels {
            q = format!("search index=app [{q}] | dedup user | fields user");
        }
        format!("index=app [{q}] | stats count")
    };
    let a = ok(&s, &nested(5));
    assert_eq!(only_count(&a), expected, "{a}");
    let q = nested(6);
    let (status, a) = s.search(&q, 10);
    assert_eq!(status, 400, "{a}");
    let msg = a["error"].as_str().unwrap();
    assert!(msg.contains("nested more than 5 levels"), "{msg}");
    // The error underlines the innermost subsearch.
    let start = a["span"]["start"].as_u64().unwrap() as usize;
    assert!(
        q[start..].starts_with("search index=app outcome=failure"),
        "{a}"
    );
}

/// `POST /api/v1/search` with another token.
fn search_as(s: &Server, token: &str, q: &str) -> (u16, serde_json::Value) {
    s.flush();
    let (status, answer, _) = s.search_with(token, &serde_json::json!({"query": q, "limit": 1000}));
    (status, answer)
}

#[test]
fn a_token_restricted_to_one_index_cannot_read_another_through_a_subsearch() {
    let s = portal(
        "[[tokens]]\nname = \"web-only\"\ntoken = \"web-only-token-123\"\nindexes = [\"web\"]\n",
    );
    let count_as = |token: &str, q: &str| {
        let (status, a) = search_as(&s, token, q);
        assert_eq!(status, 200, "{q}: {a}");
        a
    };
    let web = web_hits();
    let sub = "index=web [search index=app outcome=failure | rename client_ip AS clientip | fields clientip] | stats count";
    assert!(only_count(&count_as(TOKEN, sub)) > 0);
    assert_eq!(only_count(&count_as("web-only-token-123", sub)), 0);
    // Search text returned by a subsearch is planned in the same scope.
    let text = r#"[| makeresults | eval search="index=app" | fields search] | stats count"#;
    assert_eq!(
        only_count(&count_as(TOKEN, text)),
        app_events().len() as u64
    );
    assert_eq!(only_count(&count_as("web-only-token-123", text)), 0);
    // append and join see nothing of `app` either.
    let q = "index=web | stats count AS n | append [search index=app | stats count AS n] | table n";
    let all: Vec<u64> = rows(&count_as(TOKEN, q))
        .iter()
        .map(|r| r["n"].as_u64().unwrap())
        .collect();
    assert_eq!(all, vec![web.len() as u64, app_events().len() as u64]);
    let web_only: Vec<u64> = rows(&count_as("web-only-token-123", q))
        .iter()
        .map(|r| r["n"].as_u64().unwrap())
        .collect();
    assert_eq!(web_only, vec![web.len() as u64, 0]);
    let q = "index=web status=401 | stats count by clientip | join clientip [search index=app | rename client_ip AS clientip | stats count AS n by clientip] | stats count";
    assert!(only_count(&count_as(TOKEN, q)) > 0);
    assert_eq!(only_count(&count_as("web-only-token-123", q)), 0);
}

#[test]
fn limits_come_from_the_config() {
    let s =
        portal("[limits]\nmax_groups = 10\nmax_subsearch_results = 5\nmax_subsearch_rows = 5\n");
    let web = web_hits();
    // Few groups: fine. Many: the limit error, naming the setting.
    let statuses: BTreeSet<u16> = web.iter().map(|h| h.status).collect();
    assert!(statuses.len() <= 10);
    let a = ok(&s, "index=web | stats count by status");
    assert_eq!(rows(&a).len(), statuses.len());
    let ips: BTreeSet<&str> = web.iter().map(|h| h.ip.as_str()).collect();
    assert!(ips.len() > 10);
    let (status, a) = s.search("index=web | stats count by clientip", 10);
    assert_eq!(status, 400, "{a}");
    let msg = a["error"].as_str().unwrap();
    assert!(
        msg.contains("more than 10 groups") && msg.contains("limits.max_groups"),
        "{msg}"
    );
    // Base-search subsearch above max_subsearch_results: a clear error, not a silent truncation.
    let (status, a) = s.search(
        "index=web [search index=app outcome=failure | fields client_ip] | stats count",
        10,
    );
    assert_eq!(status, 400, "{a}");
    let msg = a["error"].as_str().unwrap();
    assert!(
        msg.contains("more than 5 results") && msg.contains("limits.max_subsearch_results"),
        "{msg}"
    );
    let a = ok(
        &s,
        "index=web [search index=app outcome=failure | head 5 | fields client_ip] | stats count",
    );
    assert!(rows(&a).len() == 1);
    // append/join subsearches above max_subsearch_rows.
    let (status, a) = s.search(
        "index=web | head 1 | append [search index=app | head 6]",
        10,
    );
    assert_eq!(status, 400, "{a}");
    assert!(
        a["error"].as_str().unwrap().contains("max_subsearch_rows"),
        "{a}"
    );
    let a = ok(
        &s,
        "index=web | head 1 | append [search index=app | head 5]",
    );
    assert_eq!(rows(&a).len(), 6);
}

#[test]
fn planner_errors_carry_their_span_and_column() {
    let s = Server::start("");
    let q = r#"index=web | rex "(?<a>\d+""#;
    let (status, a) = s.search(q, 10);
    assert_eq!(status, 400, "{a}");
    let start = q.find(r#""(?<a>"#).unwrap();
    let end = q.len();
    assert_eq!(a["span"]["start"], start, "{a}");
    assert_eq!(a["span"]["end"], end, "{a}");
    assert_eq!(a["column"], start + 1, "{a}");
    // Inside a subsearch, on a second line: the offsets are the query's, the column the line's.
    let q = "index=web\n[search index=app | rex field=user \"(?<u\" | fields u]";
    let (status, a) = s.search(q, 10);
    assert_eq!(status, 400, "{a}");
    let start = q.find("\"(?<u").unwrap();
    assert_eq!(a["span"]["start"], start, "{a}");
    assert_eq!(a["span"]["end"], start + "\"(?<u\"".len(), "{a}");
    let line_start = q.find('\n').unwrap() + 1;
    assert_eq!(a["column"], start - line_start + 1, "{a}");
    // An unsupported command is underlined too.
    let q = "index=web | tstats count";
    let (status, a) = s.search(q, 10);
    assert_eq!(status, 400, "{a}");
    assert_eq!(a["span"]["start"], q.find("tstats").unwrap(), "{a}");
    // The CLI prints the column, against a server and on a data dir.
    let q = r#"index=web | rex "(?<a>\d+""#;
    let col = q.find(r#""(?<a>"#).unwrap() + 1;
    let out = std::process::Command::new(bin("loupe"))
        .args(["search", "--url", &s.url, "--token", TOKEN, q])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("column {col}")), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(bin("loupe"))
        .args(["explain", "--data-dir", dir.path().to_str().unwrap(), q])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("column {col}")), "{err}");
    assert_ne!(out.status.code(), Some(0));
}
