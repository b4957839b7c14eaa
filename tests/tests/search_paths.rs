//! The ways the engine runs a pipeline must agree with each other and with the files: the
//! partial `stats` filled on every thread and merged, the ordered row path, and the
//! needed-field analysis that skips extraction and stored documents nobody reads.

use loupe_e2e::{import_into, load_web, shared_data, Server};
use std::collections::BTreeMap;

/// The loghub samples of a few systems (several days, several sourcetypes) in `main`.
fn loghub() -> (Server, Vec<String>) {
    let s = Server::start("");
    let mut lines = Vec::new();
    for system in ["OpenSSH", "Linux", "HDFS", "Zookeeper", "Apache"] {
        let path = shared_data()
            .join("loghub")
            .join(system)
            .join(format!("{system}_2k.log"));
        import_into(
            &s,
            &[
                "--index",
                "main",
                "--sourcetype",
                system,
                path.to_str().unwrap(),
            ],
        );
        let text = std::fs::read_to_string(&path).unwrap();
        lines.extend(text.lines().map(str::to_string));
    }
    s.flush();
    (s, lines)
}

/// `{by-value: count}` from an answer with columns `by` and `count`.
fn counts(answer: &serde_json::Value, by: &str) -> BTreeMap<String, u64> {
    answer["rows"]
        .as_array()
        .unwrap_or_else(|| panic!("rows in {answer}"))
        .iter()
        .map(|r| {
            (
                r[by]
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| r[by].to_string()),
                r["count"]
                    .as_u64()
                    .unwrap_or_else(|| panic!("count in {r}")),
            )
        })
        .collect()
}

#[test]
fn partial_stats_agree_with_the_ordered_path_and_the_files() {
    let (s, lines) = loghub();
    let re = regex::Regex::new(r"from (\d+\.\d+\.\d+\.\d+)").unwrap();
    let mut expected: BTreeMap<String, u64> = BTreeMap::new();
    for l in &lines {
        if let Some(c) = re.captures(l) {
            *expected.entry(c[1].to_string()).or_default() += 1;
        }
    }
    assert!(expected.len() > 10, "the samples have source addresses");

    let rex = r#"rex "from (?<ip>\d+\.\d+\.\d+\.\d+)""#;
    // Partial stats on all threads (the plan says so)...
    let parallel = format!("* | {rex} | stats count by ip");
    let (status, fast) = s.search(&parallel, 100_000);
    assert_eq!(status, 200, "{fast}");
    // ...and the ordered path: `sort` first makes `stats` run on one thread after it.
    let (status, ordered) = s.search(
        &format!("* | sort 0 _time | {rex} | stats count by ip"),
        100_000,
    );
    assert_eq!(status, 200, "{ordered}");
    assert_eq!(counts(&fast, "ip"), expected);
    assert_eq!(counts(&ordered, "ip"), expected);
    assert_eq!(fast["stats"]["matched"].as_u64(), Some(lines.len() as u64));
}

#[test]
fn stats_over_extracted_and_indexed_fields_read_only_what_they_need() {
    let s = Server::start("");
    // Indexed fields from HEC `fields`, and key=value pairs extracted at search time.
    let mut body = String::new();
    for i in 0..300 {
        let tenant = ["clinic-a", "clinic-b", "insurer-c"][i % 3];
        let status = [200, 500][i % 2];
        body.push_str(
            &serde_json::json!({
                "time": 1_767_225_600 + i,
                "host": format!("web-{}", i % 4),
                "sourcetype": "app",
                "event": format!("request done status={status} took={i}"),
                "fields": {"tenant": tenant},
            })
            .to_string(),
        );
    }
    let (code, answer) = s.hec("/services/collector/event", body.as_bytes(), &[]);
    assert_eq!(code, 200, "{answer}");

    let (_, a) = s.search("* | stats count by tenant", 100);
    assert_eq!(
        counts(&a, "tenant"),
        BTreeMap::from([
            ("clinic-a".to_string(), 100),
            ("clinic-b".to_string(), 100),
            ("insurer-c".to_string(), 100)
        ])
    );
    let (_, a) = s.search("* | stats count by status", 100);
    assert_eq!(
        counts(&a, "status"),
        BTreeMap::from([("200".to_string(), 150), ("500".to_string(), 150)])
    );
    let (_, a) = s.search("status=500 tenant=clinic-a | stats count by host", 100);
    // i odd and i % 3 == 0: i = 3, 9, 15, ...; host web-(i % 4) alternates web-1 and web-3.
    assert_eq!(
        counts(&a, "host"),
        BTreeMap::from([("web-1".to_string(), 25), ("web-3".to_string(), 25)])
    );
    let (_, a) = s.search(
        "* | eval slow=if(took>=150, \"slow\", \"fast\") | stats count by slow",
        100,
    );
    assert_eq!(
        counts(&a, "slow"),
        BTreeMap::from([("fast".to_string(), 150), ("slow".to_string(), 150)])
    );
}

#[test]
fn access_log_status_counts_match_the_file() {
    let s = Server::start("");
    load_web(&s);
    let path = shared_data().join("web/access.log");
    let re = regex::Regex::new(r#"" (\d{3}) "#).unwrap();
    let mut expected: BTreeMap<String, u64> = BTreeMap::new();
    for l in std::fs::read_to_string(&path).unwrap().lines() {
        if let Some(c) = re.captures(l) {
            *expected.entry(c[1].to_string()).or_default() += 1;
        }
    }
    let (status, a) = s.search("index=web | stats count by status", 100);
    assert_eq!(status, 200, "{a}");
    assert_eq!(counts(&a, "status"), expected);
}

/// Lower-cased alphanumeric tokens, as the index splits text.
fn tokens(s: &str) -> Vec<String> {
    s.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

fn holds(line: &str, phrase: &str) -> bool {
    let (have, want) = (tokens(line), tokens(phrase));
    have.windows(want.len()).any(|w| w == want.as_slice())
}

#[test]
fn phrases_identifiers_and_wildcards_find_exactly_their_events() {
    let (s, lines) = loghub();
    // Word pairs answer two-word phrases; longer ones, numbers and hashed identifiers are
    // narrowed by the index and checked on the text: each must give what the files say.
    for phrase in [
        "Failed password",
        "Failed password for",
        "failed password for invalid user",
        "port 22",
        "blk_-8775602795571523802",
        "blk_92946806844541836",
        "authentication failure",
        "Receiving block",
        "1608999687919862906",
        "no such phrase anywhere",
        // Numbers of one or two digits are not indexed: every event is a candidate.
        "22",
        "07",
        "5",
        "10 07",
        // Five digits make an identifier, indexed by hash.
        "24833",
    ] {
        let expected = lines.iter().filter(|l| holds(l, phrase)).count() as u64;
        assert_eq!(s.count(&format!("\"{phrase}\"")), expected, "{phrase}");
    }
    // Unindexed numbers under NOT and beside indexed terms.
    let with_22 = lines.iter().filter(|l| holds(l, "22")).count() as u64;
    assert_eq!(s.count("NOT 22"), lines.len() as u64 - with_22);
    let expected = lines
        .iter()
        .filter(|l| holds(l, "22") && holds(l, "sshd"))
        .count() as u64;
    assert!(expected > 0);
    assert_eq!(s.count("sshd 22"), expected);
    assert_eq!(
        s.count("\"blk_-8775602795571523802\""),
        2,
        "two lines name it twice each"
    );
    // A wildcard with digits may reach inside an identifier: rows are checked.
    let expected = lines
        .iter()
        .filter(|l| {
            l.split_whitespace()
                .any(|w| w.to_lowercase().starts_with("blk_-87"))
        })
        .count() as u64;
    assert!(expected > 0);
    assert_eq!(s.count("blk_-87*"), expected);
    // A wildcard stays inside one token: `passw*rd` is not "password" split over two words.
    let expected = lines
        .iter()
        .filter(|l| tokens(l).iter().any(|t| t.starts_with("pass")))
        .count() as u64;
    assert_eq!(s.count("pass*"), expected);
}

/// Every event keeps when it was indexed (`_indextime`, epoch seconds), whatever its own
/// time: `_index_earliest`/`_index_latest` select by it, and ingest lag is `_indextime - _time`.
#[test]
fn index_time_is_kept_and_selects_events() {
    let s = Server::start("");
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64
    };
    let before = now();
    // Events from March: their own time is months before their index time.
    let (status, _) = s.hec(
        "/services/collector/event",
        br#"{"event":"indexed late one","time":1772445600}{"event":"indexed late two","time":1772445660}"#,
        &[],
    );
    assert_eq!(status, 200);
    let (status, a) = s.search(
        "indexed late | stats count, min(_indextime) as lo, max(_indextime) as hi, max(eval(_indextime - _time)) as lag",
        10,
    );
    let after = now();
    assert_eq!(status, 200, "{a}");
    let row = &a["rows"][0];
    assert_eq!(row["count"].as_u64(), Some(2), "{a}");
    let (lo, hi) = (row["lo"].as_i64().unwrap(), row["hi"].as_i64().unwrap());
    assert!(
        before <= lo && hi <= after,
        "{before} <= {lo}..{hi} <= {after}"
    );
    assert!(row["lag"].as_f64().unwrap() > 1.0e6, "{a}");
    let count = |q: &str| {
        let (status, a) = s.search(&format!("{q} | stats count"), 1);
        assert_eq!(status, 200, "{q}: {a}");
        a["rows"][0]["count"].as_u64().unwrap()
    };
    assert_eq!(count(&format!("indexed late _index_earliest={before}")), 2);
    assert_eq!(
        count(&format!("indexed late _index_earliest={}", after + 1)),
        0
    );
    assert_eq!(count(&format!("indexed late _index_latest={before}")), 0);
    assert_eq!(
        count("indexed late _index_earliest=-1h _index_latest=+1h"),
        2
    );
    // Relative to now, not to the events' own time (March is outside -1h).
    assert_eq!(count("indexed late earliest=-1h"), 0);
    let (status, a) = s.search("indexed (late OR _index_earliest=-1h)", 1);
    assert_eq!(status, 400, "{a}");
    assert!(
        a["error"].as_str().unwrap().contains("_index_earliest"),
        "{a}"
    );
    // `explain` says how they are planned: a range over `_indextime`, not the event time.
    s.flush();
    let plan = explain(
        &s,
        "indexed late _index_earliest=1772445000 _index_latest=2026-03-02T11:00:00Z",
    );
    assert_eq!(
        plan["index_time"],
        serde_json::json!({"earliest": "2026-03-02T09:50:00Z", "latest": "2026-03-02T11:00:00Z"}),
        "{plan}"
    );
    assert!(plan["earliest"].is_null(), "{plan}");
    let notes = plan["notes"].to_string();
    assert!(
        notes.contains(
            "_index_earliest/_index_latest: a range over each bucket's _indextime column"
        ),
        "{plan}"
    );
    assert!(explain(&s, "indexed late")["index_time"].is_null());
}

/// A field a sourcetype computes (`action=failure` from "Failed password") is not in the
/// text, so the index of words cannot narrow on it: in the base search it gives what
/// `| search` gives after extraction.
#[test]
fn computed_fields_in_the_base_search_are_not_narrowed_by_words() {
    let (s, _) = loghub();
    let count = |q: &str| {
        let (status, a) = s.search(&format!("{q} | stats count"), 1);
        assert_eq!(status, 200, "{q}: {a}");
        a["rows"][0]["count"].as_u64().unwrap()
    };
    let piped = count("sourcetype=OpenSSH | search action=failure");
    assert!(piped > 0);
    assert_eq!(count("sourcetype=OpenSSH action=failure"), piped);
    assert_eq!(
        count("sourcetype=OpenSSH action!=failure"),
        count("sourcetype=OpenSSH | search action!=failure")
    );
}

/// Events over three days (so several buckets), 5 hosts, 2 sources, 3 sourcetypes; every
/// seventh says `error`. Returns the server and what was sent: (time, host, source, sourcetype, raw).
/// One event as sent: time, host, source, sourcetype, text.
type Sent = (i64, String, String, String, String);

fn streams() -> (Server, Vec<Sent>) {
    let s = Server::start("");
    let mut sent = Vec::new();
    let mut body = String::new();
    for i in 0..3_000i64 {
        let ev = (
            1_767_225_600 + i * 83,
            format!("h{}", i % 5),
            format!("/var/log/s{}.log", i % 2),
            format!("st{}", i % 3),
            format!("event {i} {}", if i % 7 == 0 { "error" } else { "ok" }),
        );
        body.push_str(
            &serde_json::json!({"time": ev.0, "host": ev.1, "source": ev.2,
                "sourcetype": ev.3, "event": ev.4})
            .to_string(),
        );
        sent.push(ev);
    }
    let (code, answer) = s.hec("/services/collector/event", body.as_bytes(), &[]);
    assert_eq!(code, 200, "{answer}");
    (s, sent)
}

/// The path `loupe explain` names for `query` over the server's data dir.
fn plan_path(s: &Server, query: &str) -> String {
    explain(s, query)["path"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// The plan `loupe explain` prints for `query` over the server's data dir.
fn explain(s: &Server, query: &str) -> serde_json::Value {
    let out = std::process::Command::new(loupe_e2e::bin("loupe"))
        .args(["explain", "--data-dir"])
        .arg(s.data_dir())
        .arg(query)
        .output()
        .expect("loupe explain");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("plan is JSON")
}

#[test]
fn stats_over_keyword_fields_read_streams_and_columns_and_agree_with_the_operators() {
    let (s, sent) = streams();
    // Expected from what was sent, not from the code under test.
    let mut by_host_st: BTreeMap<(String, String), u64> = BTreeMap::new();
    for (_, h, _, st, _) in &sent {
        *by_host_st.entry((h.clone(), st.clone())).or_default() += 1;
    }
    let (status, a) = s.search("* | stats count by host, sourcetype", 10_000);
    assert_eq!(status, 200, "{a}");
    let got: BTreeMap<(String, String), u64> = a["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let k = (
                r["host"].as_str().unwrap().to_string(),
                r["sourcetype"].as_str().unwrap().to_string(),
            );
            (k, r["count"].as_u64().unwrap())
        })
        .collect();
    assert_eq!(got, by_host_st);
    let (_, a) = s.search("* | stats dc(host) as hosts, dc(source) as sources", 10);
    assert_eq!(a["rows"][0]["hosts"], 5, "{a}");
    assert_eq!(a["rows"][0]["sources"], 2, "{a}");
    let errors = sent.iter().filter(|e| e.4.ends_with("error")).count() as u64;
    let (_, a) = s.search("error | stats count", 10);
    assert_eq!(a["rows"][0]["count"], errors, "{a}");

    // Each answer equals the operators' (an `eval` first sends the rows through them).
    let questions = [
        "* | stats count by host, sourcetype",
        "* | stats dc(host) as hosts, dc(source), values(sourcetype) as st, min(_time), max(_time), range(_time), earliest(host), latest(source), count by sourcetype",
        "* | stats dc(host)",
        "* | stats count by index, host | sort - count | head 3",
        "* | stats values(host) by source",
        "error | stats count, dc(host), max(_time) by source, sourcetype",
        "earliest=1767300000 latest=1767400000 | stats count, min(_time), latest(_time) by host",
        "earliest=1767300000 | stats count by sourcetype | eval double=count*2",
    ];
    for q in questions {
        assert!(
            plan_path(&s, q).contains("bucket streams or fast columns"),
            "{q}: {}",
            plan_path(&s, q)
        );
        let (base, rest) = q.split_once(" | ").unwrap();
        let slow = format!("{base} | eval ignored=1 | {rest}");
        assert_eq!(plan_path(&s, &slow), "rows through the SPL operators");
        let (status, fast) = s.search(q, 10_000);
        assert_eq!(status, 200, "{q}: {fast}");
        let (status, rows) = s.search(&slow, 10_000);
        assert_eq!(status, 200, "{slow}: {rows}");
        assert_eq!(fast["rows"], rows["rows"], "{q}");
        assert!(!fast["rows"].as_array().unwrap().is_empty(), "{q}");
    }
    // `tstats` is the same `stats`.
    let (_, t) = s.search(
        "| tstats count where index=main by host, sourcetype",
        10_000,
    );
    let (_, st) = s.search("index=main | stats count by host, sourcetype", 10_000);
    assert_eq!(t["rows"], st["rows"]);
}

#[test]
fn head_before_a_count_counts_only_what_head_passes() {
    let (s, _) = streams();
    let (_, a) = s.search("* | head 10 | stats count", 10);
    assert_eq!(a["rows"][0]["count"], 10, "{a}");
    let (_, a) = s.search("* | head 10 | stats count by host", 10);
    let total: u64 = a["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["count"].as_u64().unwrap())
        .sum();
    assert_eq!(total, 10, "{a}");
}

#[test]
fn case_and_term_directives_match_as_in_splunk() {
    let s = Server::start("");
    let lines = [
        "disk Error on sda",
        "disk error on sda",
        "ERROR: disk",
        "connect from 10.0.0.1 port 22",
        "connect src=10.0.0.1 port 22",
        "connect from 10.0.0.12 port 22",
    ];
    let mut body = String::new();
    for (i, l) in lines.iter().enumerate() {
        body.push_str(&serde_json::json!({"time": 1_767_225_600 + i, "event": l}).to_string());
    }
    let (code, answer) = s.hec("/services/collector/event", body.as_bytes(), &[]);
    assert_eq!(code, 200, "{answer}");
    let raws = |q: &str| {
        let mut v = loupe_e2e::raws(&s, q, 100);
        v.sort();
        v
    };
    assert_eq!(raws("CASE(Error)"), vec!["disk Error on sda"]);
    assert_eq!(raws("error"), {
        let mut v = vec!["disk Error on sda", "disk error on sda", "ERROR: disk"];
        v.sort();
        v
    });
    assert_eq!(raws("CASE(ERROR) disk"), vec!["ERROR: disk"]);
    assert_eq!(
        raws("TERM(10.0.0.1)"),
        vec!["connect from 10.0.0.1 port 22"]
    );
    assert_eq!(raws("NOT CASE(error) sda"), vec!["disk Error on sda"]);
    let (_, a) = s.search("CASE(Error) | stats count", 10);
    assert_eq!(a["rows"][0]["count"], 1, "{a}");
    let (_, a) = s.search("* | search TERM(10.0.0.1) | stats count", 10);
    assert_eq!(a["rows"][0]["count"], 1, "{a}");
}

#[test]
fn an_answer_carries_each_event_once_unless_the_client_asks_for_both() {
    let (s, _) = streams();
    s.flush();
    let ask = |output: Option<&str>, query: &str| {
        let mut body = serde_json::json!({"query": query, "limit": 5});
        if let Some(o) = output {
            body["output"] = serde_json::json!(o);
        }
        s.search_with(loupe_e2e::TOKEN, &body)
    };
    let len = |a: &serde_json::Value, k: &str| a[k].as_array().map_or(0, Vec::len);
    // By default an event list comes as events only, a table as rows only.
    let (status, a, _) = ask(None, "error");
    assert_eq!(status, 200, "{a}");
    assert_eq!((len(&a, "events"), len(&a, "rows")), (5, 0), "{a}");
    let (_, a, _) = ask(None, "* | stats count by host");
    assert_eq!((len(&a, "events"), len(&a, "rows")), (0, 5), "{a}");
    // As asked.
    let (_, a, _) = ask(Some("rows"), "error");
    assert_eq!((len(&a, "events"), len(&a, "rows")), (0, 5), "{a}");
    assert!(
        a["rows"][0]["_raw"]
            .as_str()
            .is_some_and(|r| r.ends_with("error")),
        "{a}"
    );
    let (_, a, _) = ask(Some("events"), "error | head 3");
    assert_eq!((len(&a, "events"), len(&a, "rows")), (3, 0), "{a}");
    let (_, a, _) = ask(Some("both"), "error");
    assert_eq!((len(&a, "events"), len(&a, "rows")), (5, 5), "{a}");
    let (status, a, _) = ask(Some("all"), "error");
    assert_eq!(status, 400, "{a}");
    assert!(
        a["error"]
            .as_str()
            .is_some_and(|e| e.contains("unknown variant `all`")),
        "{a}"
    );
}

#[test]
fn rex_fused_with_stats_gives_what_the_operators_give() {
    let s = Server::start("");
    let mut body = String::new();
    let mut send = |event: serde_json::Value, fields: Option<serde_json::Value>| {
        let mut e = serde_json::json!({"time": 1_767_225_600, "host": "gw", "sourcetype": "edge", "event": event});
        if let Some(f) = fields {
            e["fields"] = f;
        }
        body.push_str(&e.to_string());
    };
    for i in 0..40 {
        send(
            format!("sshd: accepted from 10.0.0.{} port {}", i % 4, 2200 + i % 2).into(),
            None,
        );
    }
    for _ in 0..10 {
        send("sshd: closed from 10.0.0.1".into(), None);
    }
    // The address comes from elsewhere: key=value, JSON, an indexed field.
    for _ in 0..5 {
        send("login ip=192.168.1.5 ok".into(), None);
    }
    for _ in 0..3 {
        send(serde_json::json!({"ip": "172.16.0.9", "msg": "json"}), None);
    }
    for _ in 0..4 {
        send(
            "no address here".into(),
            Some(serde_json::json!({"ip": "8.8.8.8"})),
        );
    }
    // The match wins over the text's own key=value.
    for _ in 0..2 {
        send("relay from 10.0.0.0 ip=1.1.1.1".into(), None);
    }
    for _ in 0..6 {
        send("nothing at all".into(), None);
    }
    let (code, answer) = s.hec("/services/collector/event", body.as_bytes(), &[]);
    assert_eq!(code, 200, "{answer}");

    // The same pipeline with an `eval` before `rex` runs every event as a row.
    let both = |rex: &str, stats: &str| {
        let fused = format!("* | {rex} | {stats}");
        let (status, a) = s.search(&fused, 1000);
        assert_eq!(status, 200, "{a}");
        let (status, b) = s.search(&format!("* | eval forced=1 | {rex} | {stats}"), 1000);
        assert_eq!(status, 200, "{b}");
        assert_eq!(a["rows"], b["rows"], "{fused}");
        assert!(
            plan_path(&s, &fused).starts_with("rex fused with stats"),
            "{}",
            plan_path(&s, &fused)
        );
        assert!(
            !plan_path(&s, &format!("* | eval forced=1 | {rex} | {stats}"))
                .starts_with("rex fused")
        );
        a
    };
    let a = both(r#"rex "from (?<ip>[0-9.]+)""#, "stats count by ip");
    assert_eq!(
        counts(&a, "ip"),
        BTreeMap::from([
            ("10.0.0.0".to_string(), 12),
            ("10.0.0.1".to_string(), 20),
            ("10.0.0.2".to_string(), 10),
            ("10.0.0.3".to_string(), 10),
            ("172.16.0.9".to_string(), 3),
            ("192.168.1.5".to_string(), 5),
            ("8.8.8.8".to_string(), 4),
        ])
    );
    // An optional group that took no part: such events leave `port` unset.
    let optional = r#"rex "from (?<ip>[0-9.]+)(?: port (?<port>\d+))?""#;
    let a = both(optional, "stats count by ip, port");
    let pairs: BTreeMap<(String, String), u64> = a["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                (
                    r["ip"].as_str().unwrap().to_string(),
                    r["port"].as_str().unwrap().to_string(),
                ),
                r["count"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        pairs,
        BTreeMap::from([
            (("10.0.0.0".to_string(), "2200".to_string()), 10),
            (("10.0.0.1".to_string(), "2201".to_string()), 10),
            (("10.0.0.2".to_string(), "2200".to_string()), 10),
            (("10.0.0.3".to_string(), "2201".to_string()), 10),
        ])
    );
    let a = both(
        optional,
        "stats count(port) as n, dc(port) as d, values(port) as p by ip",
    );
    let one = a["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ip"] == "10.0.0.1")
        .cloned()
        .unwrap();
    assert_eq!(
        (one["n"].as_u64(), one["d"].as_u64()),
        (Some(10), Some(1)),
        "{one}"
    );
}
