//! Erasure on request (GDPR art. 17), end to end: `POST /api/v1/erase` and `loupe erase`
//! show what matches without changing anything, refuse a role without `erase` and an
//! erasure above `[access] erase_max_events`, and once confirmed leave the erased events in
//! no segment of the bucket (read with tantivy's own store reader, deleted documents
//! included, and its term dictionaries) nor in the write-ahead log; the bucket summaries
//! follow, a `kill -9` and restart bring nothing back, and every erasure is in `_audit`.

use loupe_e2e::{bin, Server};
use std::path::Path;
use std::process::Command;
use tantivy::schema::Value as _;

const ERASED: &str = "zqxerased";
const KEPT: &str = "wkeptvisit";
/// In the erased events but not in the erasure's query, which `_audit` keeps (and so the log).
const ERASED_CONTENT: &str = "qbrmalady";

const CONFIG: &str = r#"
[indexes.sante]
[access]
erase_max_events = 1
[roles.dpo_eraser]
indexes_allowed = ["sante"]
capabilities = ["search", "erase"]
[roles.helpdesk]
indexes_allowed = ["sante"]
capabilities = ["search"]
"#;

fn loupe(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(bin("loupe"))
        .args(args)
        .output()
        .expect("run loupe");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn token_of(s: &Server, name: &str, role: &str) -> String {
    let config = s.dir.path().join("loupe.toml");
    let config = config.to_str().expect("utf-8");
    let (code, out, err) = loupe(&["user", "add", name, "--role", role, "--config", config]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = loupe(&["token", "create", "--user", name, "--config", config]);
    assert_eq!(code, 0, "{out}{err}");
    out.trim().to_string()
}

fn erase_as(s: &Server, token: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut r = agent
        .post(&format!("{}/api/v1/erase", s.url))
        .header("Authorization", &format!("Bearer {token}"))
        .send_json(&body)
        .expect("erase request");
    let status = r.status().as_u16();
    let text = r.body_mut().read_to_string().unwrap_or_default();
    (
        status,
        serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)),
    )
}

fn send(s: &Server, host: &str, event: &str) {
    let body = serde_json::json!({"index": "sante", "host": host, "event": event,
        "fields": {"patient": event}});
    let (status, answer) = s.hec(
        "/services/collector/event",
        body.to_string().as_bytes(),
        &[],
    );
    assert_eq!(status, 200, "{answer}");
}

/// Every `_raw` stored in any segment of any bucket of `index`, deleted documents included
/// (tantivy's store reader without the alive bitset), and whether `word` is a term of `_raw`
/// in any segment.
fn bucket_contents(data: &Path, index: &str, word: &str) -> (Vec<String>, bool) {
    let mut raws = Vec::new();
    let mut term = false;
    let dir = data.join("indexes").join(index);
    for bucket in std::fs::read_dir(&dir).expect("index dir").flatten() {
        let index = tantivy::Index::open_in_dir(bucket.path()).expect("open bucket");
        let raw = index.schema().get_field("_raw").expect("_raw");
        for meta in index.searchable_segment_metas().expect("metas") {
            let reader =
                tantivy::SegmentReader::open(&index.segment(meta)).expect("segment reader");
            let store = reader.get_store_reader(0).expect("store reader");
            for doc in store.iter::<tantivy::TantivyDocument>(None) {
                let doc = doc.expect("stored document");
                raws.push(
                    doc.get_first(raw)
                        .and_then(|v| v.as_str())
                        .unwrap_or("")
                        .to_string(),
                );
            }
            let inv = reader.inverted_index(raw).expect("inverted index");
            term |= inv
                .terms()
                .get(word.as_bytes())
                .expect("term dict")
                .is_some();
        }
    }
    (raws, term)
}

/// Whether any write-ahead-log file holds `needle` (the log is not compressed).
fn wal_holds(data: &Path, needle: &str) -> bool {
    std::fs::read_dir(data.join("wal"))
        .expect("wal dir")
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "wal"))
        .any(|e| {
            let bytes = std::fs::read(e.path()).unwrap_or_default();
            bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
        })
}

#[test]
fn an_erasure_leaves_no_copy_in_the_buckets_nor_the_log_and_is_audited() {
    let mut s = Server::start(CONFIG);
    let eraser = token_of(&s, "dora", "dpo_eraser");
    let helpdesk = token_of(&s, "hugo", "helpdesk");
    for i in 0..2 {
        send(
            &s,
            "ward-7",
            &format!("patient {ERASED}-{i} admitted for {ERASED_CONTENT}"),
        );
    }
    send(&s, "h1", &format!("patient {KEPT}-1 admitted"));
    for i in 0..20 {
        send(&s, "h1", &format!("routine check {i}"));
    }
    s.flush();
    let data = s.data_dir();
    // Before: the text is in the log and in the bucket, so the checks below could fail.
    assert!(
        wal_holds(&data, ERASED_CONTENT),
        "the log holds the batch before"
    );
    let (raws, term) = bucket_contents(&data, "sante", ERASED);
    assert!(raws.iter().any(|r| r.contains(ERASED)) && term);

    let body = |confirm: bool, force: bool| serde_json::json!({"index": "sante", "query": ERASED, "confirm": confirm, "force": force});
    // A role without `erase` is refused.
    let (status, r) = erase_as(&s, &helpdesk, body(true, true));
    assert_eq!(status, 403, "{r}");
    // A pipeline is not an erasure.
    let (status, r) = erase_as(
        &s,
        &eraser,
        serde_json::json!({"index": "sante", "query": format!("{ERASED} | head 1")}),
    );
    assert_eq!(status, 400, "{r}");
    // The dry run (the default) shows, changes nothing.
    let (status, r) = erase_as(
        &s,
        &eraser,
        serde_json::json!({"index": "sante", "query": ERASED}),
    );
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["dry_run"], true, "{r}");
    assert_eq!(r["matched"], 2, "{r}");
    assert!(r["sample"].to_string().contains(ERASED), "{r}");
    assert_eq!(s.count(ERASED), 2);
    // Two events is over the configured maximum of one: refused unless forced.
    let (status, r) = erase_as(&s, &eraser, body(true, false));
    assert_eq!(status, 409, "{r}");
    assert_eq!(r["matched"], 2, "{r}");
    assert_eq!(s.count(ERASED), 2);
    let (status, r) = erase_as(&s, &eraser, body(true, true));
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["erased"], 2, "{r}");

    // Gone from searches, from every segment file and from the log, the rest kept.
    assert_eq!(s.count(ERASED), 0);
    assert_eq!(s.count(KEPT), 1);
    let (raws, term) = bucket_contents(&data, "sante", ERASED);
    assert!(!raws.iter().any(|r| r.contains(ERASED)), "{raws:?}");
    assert!(!term, "{ERASED} is still a term of a segment");
    assert_eq!(raws.len(), 21, "{raws:?}");
    assert!(raws.iter().any(|r| r.contains(KEPT)));
    assert!(bucket_contents(&data, "sante", KEPT).1);
    assert!(!raws.iter().any(|r| r.contains(ERASED_CONTENT)));
    assert!(
        !wal_holds(&data, ERASED_CONTENT),
        "the log still holds an erased event"
    );
    // The bucket summaries (what `stats count by host` and the index list read) follow.
    let (status, r) = s.search("index=sante | stats count by host", 10);
    assert_eq!(status, 200, "{r}");
    assert!(!r.to_string().contains("ward-7"), "{r}");
    assert_eq!(r["rows"][0]["count"], 21, "{r}");
    let (_, idx) = s.api("GET", "/api/v1/indexes", None);
    let sante = idx["indexes"]
        .as_array()
        .and_then(|a| a.iter().find(|i| i["name"] == "sante"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(sante["events"], 21, "{idx}");

    // Audited: who, what, where, how many (and the dry run and the refusal too).
    let (status, r) = s.search(
        "index=_audit action=erase* | table action user role erased_index query erased matched",
        10,
    );
    assert_eq!(status, 200, "{r}");
    let rows = r["rows"].as_array().cloned().unwrap_or_default();
    let erase = rows
        .iter()
        .find(|row| row["action"] == "erase")
        .expect("erase event");
    assert_eq!(erase["user"], "dora", "{r}");
    assert_eq!(erase["role"], "dpo_eraser", "{r}");
    assert_eq!(erase["erased_index"], "sante", "{r}");
    assert_eq!(erase["query"], ERASED, "{r}");
    assert_eq!(erase["erased"], 2, "{r}");
    assert!(rows
        .iter()
        .any(|row| row["action"] == "erase_preview" && row["matched"] == 2));
    assert!(rows.iter().any(|row| row["action"] == "erase_refused"));

    // A crash and a restart (the log replayed) bring nothing back.
    s.kill9();
    s.restart();
    assert_eq!(s.count(ERASED), 0);
    assert_eq!(s.count(KEPT), 1);

    // The command line: through the server (a dry run), then on the data dir, stopped.
    let (code, out, err) = loupe(&[
        "erase", "--url", &s.url, "--token", &eraser, "--index", "sante", KEPT,
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("1 event(s)") && out.contains(KEPT), "{out}");
    assert!(s.terminate().success());
    let dir = data.to_str().expect("utf-8");
    let (code, out, err) = loupe(&["erase", "--data-dir", dir, "--index", "sante", "routine"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("20 event(s)"), "{out}");
    let config = s.dir.path().join("loupe.toml");
    let config = config.to_str().expect("utf-8");
    let (code, out, err) = loupe(&[
        "erase",
        "--config",
        config,
        "--data-dir",
        dir,
        "--index",
        "sante",
        "routine",
        "--yes",
    ]);
    assert_eq!(code, 3, "20 events, over erase_max_events = 1: {out}{err}");
    let (code, out, err) = loupe(&[
        "erase",
        "--data-dir",
        dir,
        "--index",
        "sante",
        KEPT,
        "--yes",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("erased 1 event(s)"), "{out}");
    let (raws, _) = bucket_contents(&data, "sante", KEPT);
    assert!(!raws.iter().any(|r| r.contains(KEPT)), "{raws:?}");
    assert!(!wal_holds(&data, &format!("{KEPT}-1 admitted")));
    // The offline erasure continued the audit chain.
    let (code, out, err) = loupe(&["audit", "verify", "--data-dir", dir]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = loupe(&[
        "search",
        "--data-dir",
        dir,
        "--output",
        "json",
        "index=_audit action=erase erased_index=sante | table user erased query",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("\"user\":\"cli:") && out.contains(KEPT),
        "{out}"
    );
}
