//! Commands that describe the store (`dbinspect`) through the real server: rows from the
//! buckets on disk, inside the token's indexes.

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
