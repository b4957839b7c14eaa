//! SPL pipelines through the real server on the shared samples: search-time fields, lookups, stats.

use loupe_e2e::{load_batch_world, load_web, shared_data, Server};
use std::collections::BTreeMap;

/// A server with the batch world loaded (see `loupe_e2e::load_batch_world`).
fn batch_world() -> Server {
    let s = Server::start("");
    load_batch_world(&s);
    s
}

#[test]
fn batch_errors_enriched_with_the_inventory() {
    let s = batch_world();
    let (status, answer) = s.search(
        "index=batchs ERROR | lookup batchs.csv chemin_logs AS source OUTPUT client nom_du_batch | stats count by client, nom_du_batch | sort -count",
        1000,
    );
    assert_eq!(status, 200, "{answer}");
    // Expected from the files themselves: ERROR lines per (client folder, batch file name).
    let mut expected: BTreeMap<(String, String), u64> = BTreeMap::new();
    for server in ["ORDO-PROD-01", "ORDO-PROD-02"] {
        for client in
            std::fs::read_dir(shared_data().join("batchs").join(server).join("batchs")).unwrap()
        {
            let client = client.unwrap().path();
            for log in std::fs::read_dir(&client).unwrap() {
                let log = log.unwrap().path();
                let n = std::fs::read_to_string(&log)
                    .unwrap()
                    .lines()
                    .filter(|l| l.contains("ERROR"))
                    .count() as u64;
                if n > 0 {
                    let key = (
                        client.file_name().unwrap().to_str().unwrap().to_string(),
                        log.file_stem().unwrap().to_str().unwrap().to_string(),
                    );
                    *expected.entry(key).or_default() += n;
                }
            }
        }
    }
    let rows = answer["rows"].as_array().unwrap();
    let got: BTreeMap<(String, String), u64> = rows
        .iter()
        .map(|r| {
            (
                (
                    r["client"].as_str().unwrap().to_string(),
                    r["nom_du_batch"].as_str().unwrap().to_string(),
                ),
                r["count"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(got, expected);
    let counts: Vec<u64> = rows.iter().map(|r| r["count"].as_u64().unwrap()).collect();
    assert!(
        counts.windows(2).all(|w| w[0] >= w[1]),
        "sorted by count descending: {counts:?}"
    );
}

#[test]
fn search_time_fields_of_access_logs() {
    let s = Server::start("");
    load_web(&s);
    let file = shared_data().join("web/access.log");
    s.flush();
    let text = std::fs::read_to_string(&file).unwrap();
    let status_of = |l: &str| {
        l.split('"')
            .nth(2)
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or("")
            .to_string()
    };
    let fives = text
        .lines()
        .filter(|l| status_of(l).starts_with('5'))
        .count() as u64;
    assert!(fives > 0);
    let (status, answer) = s.search("index=web status>=500 | stats count", 10);
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["rows"][0]["count"].as_u64(), Some(fives), "{answer}");
    let five_hundreds = text.lines().filter(|l| status_of(l) == "500").count() as u64;
    assert_eq!(s.count("index=web status=500"), five_hundreds);
    let (_, answer) = s.search(
        "index=web | stats count by status | sort -count | head 1",
        10,
    );
    let top = text
        .lines()
        .fold(BTreeMap::<String, u64>::new(), |mut m, l| {
            *m.entry(status_of(l)).or_default() += 1;
            m
        });
    let (best, n) = top.iter().max_by_key(|(_, n)| **n).unwrap();
    assert_eq!(
        answer["rows"][0]["status"]
            .as_str()
            .map(str::to_string)
            .or(answer["rows"][0]["status"].as_u64().map(|v| v.to_string())),
        Some(best.clone()),
        "{answer}"
    );
    assert_eq!(answer["rows"][0]["count"].as_u64(), Some(*n));
    // Streaming pipelines honour the limit and stay newest first.
    let (_, answer) = s.search(
        "index=web wp-login | rex \"\\\"(?<verb>[A-Z]+) \" | table _time verb uri_path",
        5,
    );
    let rows = answer["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 5, "{answer}");
    assert!(rows.iter().all(|r| r["verb"].is_string()), "{answer}");
    assert_eq!(
        answer["columns"],
        serde_json::json!(["_time", "verb", "uri_path"])
    );
}

#[test]
fn generating_commands_and_unsupported_ones() {
    let s = Server::start("");
    let (status, answer) = s.search(
        "| makeresults count=3 | eval x=1 | stats sum(x) as total",
        10,
    );
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["rows"][0]["total"].as_f64(), Some(3.0), "{answer}");
    let (status, answer) = s.search("* | tstats count", 10);
    assert_eq!(status, 400, "{answer}");
    assert!(
        answer["error"].as_str().unwrap().contains("tstats"),
        "{answer}"
    );
}

#[test]
fn count_by_keyword_fields_matches_the_files_on_every_path() {
    let s = batch_world();
    let count_lines = |server: &str, needle: &str| -> u64 {
        let mut n = 0;
        for client in
            std::fs::read_dir(shared_data().join("batchs").join(server).join("batchs")).unwrap()
        {
            for log in std::fs::read_dir(client.unwrap().path()).unwrap() {
                n += std::fs::read_to_string(log.unwrap().path())
                    .unwrap()
                    .lines()
                    .filter(|l| l.contains(needle))
                    .count() as u64;
            }
        }
        n
    };
    // Whole buckets: summaries. A predicate: the fast column of matching documents. An eval after: the row pipeline.
    for (query, needle) in [
        ("index=batchs | stats count by host", ""),
        ("index=batchs ERROR | stats count by host", "ERROR"),
        (
            "index=batchs ERROR | eval one=1 | stats sum(one) as count by host",
            "ERROR",
        ),
    ] {
        let (status, answer) = s.search(query, 100);
        assert_eq!(status, 200, "{answer}");
        let rows = answer["rows"].as_array().unwrap();
        assert_eq!(rows.len(), 2, "{query}: {answer}");
        for r in rows {
            let host = r["host"].as_str().unwrap();
            assert_eq!(
                r["count"].as_f64().unwrap() as u64,
                count_lines(host, needle),
                "{query} {host}"
            );
        }
    }
    let (_, answer) = s.search("* | stats count by index", 10);
    assert_eq!(answer["rows"][0]["index"], "batchs");
    assert_eq!(answer["rows"][0]["count"].as_u64(), Some(1563));
}

#[test]
fn timechart_count_fast_path_equals_the_row_pipeline() {
    let s = batch_world();
    s.flush();
    // The first runs from summaries / the _time column; the `eval` forces rows through the operators.
    for (fast, rows) in [
        (
            "index=batchs | timechart span=1d count",
            "index=batchs | eval one=1 | timechart span=1d count",
        ),
        (
            "index=batchs ERROR | timechart span=1h count",
            "index=batchs ERROR | eval one=1 | timechart span=1h count",
        ),
        (
            "index=batchs | timechart span=30m count AS n",
            "index=batchs | eval one=1 | timechart span=30m count AS n",
        ),
    ] {
        let (s1, a) = s.search(fast, 10_000);
        let (s2, b) = s.search(rows, 10_000);
        assert_eq!((s1, s2), (200, 200), "{a} {b}");
        assert!(!a["rows"].as_array().unwrap().is_empty());
        assert_eq!(a["columns"], b["columns"], "{fast}");
        assert_eq!(a["rows"], b["rows"], "{fast}");
    }
    let (_, a) = s.search("index=batchs | timechart span=1d count", 100);
    let total: u64 = a["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["count"].as_u64().unwrap())
        .sum();
    assert_eq!(total, 1563);
}
