//! HEC end to end: the real server, real HTTP, Splunk's answers for good and bad input.

use loupe_e2e::{Server, TOKEN};
use std::io::Write;

#[test]
fn events_are_indexed_and_searchable() {
    let s = Server::start("");
    let body = r#"{"time":1772409600.5,"host":"web-1","sourcetype":"app","event":"user alice logged in"}
{"time":"1772409601","host":"web-2","sourcetype":"app","event":"user bob failed password","fields":{"env":"prod","status":500}}
{"time":1772409602,"host":"db-1","event":{"action":"purge","rows":12}}"#;
    let (status, answer) = s.hec("/services/collector/event", body.as_bytes(), &[]);
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["code"], 0);
    assert_eq!(answer["text"], "Success");
    assert_eq!(s.count("*"), 3);
    assert_eq!(s.count("alice"), 1);
    assert_eq!(s.count("\"failed password\""), 1);
    assert_eq!(s.count("\"password failed\""), 0, "phrases keep word order");
    assert_eq!(s.count("host=web*"), 2);
    assert_eq!(
        s.count("host=WEB-1"),
        1,
        "keyword values match case-insensitively"
    );
    assert_eq!(s.count("env=prod"), 1, "indexed HEC fields are searchable");
    assert_eq!(s.count("status>=500"), 1);
    assert_eq!(s.count("action=purge"), 1, "JSON event keys are indexed");
    assert_eq!(s.count("user NOT bob"), 1);
    assert_eq!(s.count("alice OR bob"), 2);
    assert_eq!(s.count("fail*"), 1);
    // Time range: epoch bounds, latest exclusive.
    assert_eq!(s.count("earliest=1772409601 latest=1772409602 user"), 1);
    let (status, answer) = s.search("user | head 1", 10);
    assert_eq!(status, 200);
    let events = answer["events"].as_array().unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(
        events[0]["_raw"], "user bob failed password",
        "newest first"
    );
    assert_eq!(events[0]["_time"], "2026-03-02T00:00:01Z");
    assert_eq!(events[0]["host"], "web-2");
    assert_eq!(events[0]["index"], "main");
}

#[test]
fn every_endpoint_alias_and_encoding_is_accepted() {
    let s = Server::start("");
    for path in [
        "/services/collector",
        "/services/collector/event",
        "/services/collector/event/1.0",
    ] {
        let (status, a) = s.hec(
            path,
            br#"{"event":"alias-probe"}"#,
            &[("Content-Type", "application/x-www-form-urlencoded")],
        );
        assert_eq!(status, 200, "{path}: {a}");
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(br#"{"event":"gzipped-probe"}{"event":"gzipped-probe"}"#)
        .unwrap();
    let (status, a) = s.hec(
        "/services/collector/event",
        &gz.finish().unwrap(),
        &[("Content-Encoding", "gzip")],
    );
    assert_eq!(status, 200, "{a}");
    let (status, a) = s.hec(
        "/services/collector/raw?sourcetype=batch&host=ORDO-PROD-01&source=/batchs/x.log",
        "03:45:34 02/03/2026 INFO  Début du traitement\n03:50:56 02/03/2026 ERROR Échec raw-probe\n".as_bytes(),
        &[],
    );
    assert_eq!(status, 200, "{a}");
    assert_eq!(s.count("alias-probe"), 3);
    assert_eq!(s.count("gzipped-probe"), 2);
    assert_eq!(s.count("sourcetype=batch"), 2);
    let (_, answer) = s.search("raw-probe | head 1", 1);
    assert_eq!(
        answer["events"][0]["_time"], "2026-03-02T03:50:56Z",
        "day-first batch timestamps: {answer}"
    );
    let (status, a) = s.hec(
        "/services/collector/raw/1.0",
        b"another raw-probe line",
        &[],
    );
    assert_eq!(status, 200, "{a}");
}

#[test]
fn authentication_errors_are_splunk_codes() {
    let s = Server::start("");
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let post = |auth: Option<&str>| {
        let mut req = agent.post(&format!("{}/services/collector/event", s.url));
        if let Some(a) = auth {
            req = req.header("Authorization", a);
        }
        let mut r = req.send(&br#"{"event":"x"}"#[..]).unwrap();
        let ct = r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let body: serde_json::Value =
            serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap();
        (r.status().as_u16(), body["code"].as_u64().unwrap(), ct)
    };
    let (status, code, ct) = post(None);
    assert_eq!((status, code), (401, 2));
    assert!(ct.starts_with("application/json"), "{ct}");
    let (status, code, _) = post(Some("Basic abc"));
    assert_eq!((status, code), (401, 3));
    let (status, code, _) = post(Some("Splunk wrong-token-xyz"));
    assert_eq!((status, code), (403, 4));
    let (status, code, _) = post(Some(&format!("Splunk {TOKEN}")));
    assert_eq!((status, code), (200, 0));
    // The search API wants a bearer token too.
    let r = agent
        .post(&format!("{}/api/v1/search", s.url))
        .send_json(serde_json::json!({"query": "*"}))
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
}

#[test]
fn bad_bodies_are_reported_per_event_and_the_good_ones_kept() {
    let s = Server::start("auto_create_indexes = false\nmax_content_length = 4096\nmax_event_bytes = 100\n[indexes.web]\n");
    // Malformed JSON after two good events: code 6, invalid-event-number 2, the two are indexed.
    let (status, a) = s.hec(
        "/services/collector/event",
        br#"{"event":"good-1"}{"event":"good-2"}{"event": oops}"#,
        &[],
    );
    assert_eq!(status, 400, "{a}");
    assert_eq!(a["code"], 6);
    assert_eq!(a["invalid-event-number"], 2);
    assert_eq!(s.count("good*"), 2);
    let (status, a) = s.hec("/services/collector/event", br#"{"host":"x"}"#, &[]);
    assert_eq!((status, a["code"].as_u64()), (400, Some(12)), "{a}");
    let (status, a) = s.hec("/services/collector/event", br#"{"event":""}"#, &[]);
    assert_eq!((status, a["code"].as_u64()), (400, Some(13)), "{a}");
    let (status, a) = s.hec("/services/collector/event", b"", &[]);
    assert_eq!((status, a["code"].as_u64()), (400, Some(5)), "{a}");
    // Unknown index (auto-creation off) is code 7; a configured one works.
    let (status, a) = s.hec(
        "/services/collector/event",
        br#"{"event":"x","index":"nope"}"#,
        &[],
    );
    assert_eq!((status, a["code"].as_u64()), (400, Some(7)), "{a}");
    let (status, a) = s.hec(
        "/services/collector/event",
        br#"{"event":"to-web","index":"web"}"#,
        &[],
    );
    assert_eq!(status, 200, "{a}");
    assert_eq!(s.count("index=web to-web"), 1);
    assert_eq!(s.count("index=main to-web"), 0);
    // Oversize body: 413 with a JSON answer.
    let big = format!(r#"{{"event":"{}"}}"#, "x".repeat(5000));
    let (status, headers, a) = s.hec_with_headers("/services/collector/event", big.as_bytes(), &[]);
    assert_eq!(status, 413, "{a}");
    assert_eq!(a["code"], 6);
    // The body was not read: the connection is closed, and the answer says so, or the
    // client's next request goes into the closed socket.
    assert!(
        headers
            .iter()
            .any(|(k, v)| k == "connection" && v == "close"),
        "{headers:?}"
    );
    // An over-long event is cut, flagged and counted in _internal.
    let long = format!(r#"{{"event":"longline {}"}}"#, "y".repeat(300));
    let (status, a) = s.hec("/services/collector/event", long.as_bytes(), &[]);
    assert_eq!(status, 200, "{a}");
    let (_, answer) = s.search("longline | head 1", 1);
    assert_eq!(answer["events"][0]["_raw"].as_str().unwrap().len(), 100);
    assert_eq!(s.count("ingest_warning=truncated"), 1);
    assert!(s.count("index=_internal component=ingest truncated") >= 1);
    // Invalid UTF-8 in a raw body is stored lossily, not rejected.
    let (status, a) = s.hec(
        "/services/collector/raw?sourcetype=auto",
        b"bad \xff\xfe bytes utf8probe\n",
        &[],
    );
    assert_eq!(status, 200, "{a}");
    let (_, answer) = s.search("utf8probe | head 1", 1);
    assert_eq!(
        answer["events"][0]["_raw"],
        "bad \u{fffd}\u{fffd} bytes utf8probe"
    );
    assert_eq!(s.count("ingest_warning=invalid_utf8"), 1);
    // An unreadable timestamp: receipt time, flagged.
    let (status, _) = s.hec(
        "/services/collector/raw?sourcetype=batch",
        b"no time here notimeprobe\n",
        &[],
    );
    assert_eq!(status, 200);
    assert_eq!(s.count("notimeprobe ingest_warning=timestamp_unparsed"), 1);
}

#[test]
fn acks_and_retries_with_the_same_sequence_are_not_duplicated() {
    let s = Server::start("");
    let headers = [
        (
            "X-Splunk-Request-Channel",
            "11111111-2222-3333-4444-555555555555",
        ),
        ("X-Loupe-Sequence", "0"),
    ];
    let (status, a) = s.hec(
        "/services/collector/event",
        br#"{"event":"dedup-probe 1"}{"event":"dedup-probe 2"}"#,
        &headers,
    );
    assert_eq!(status, 200, "{a}");
    assert_eq!(a["ackId"], 0);
    // The same batch again (the sender never saw our answer): acknowledged, not re-indexed.
    let (status, a) = s.hec(
        "/services/collector/event",
        br#"{"event":"dedup-probe 1"}{"event":"dedup-probe 2"}"#,
        &headers,
    );
    assert_eq!(status, 200, "{a}");
    assert_eq!(a["ackId"], 1);
    let next = [
        (
            "X-Splunk-Request-Channel",
            "11111111-2222-3333-4444-555555555555",
        ),
        ("X-Loupe-Sequence", "1"),
    ];
    let (status, _) = s.hec(
        "/services/collector/event",
        br#"{"event":"dedup-probe 3"}"#,
        &next,
    );
    assert_eq!(status, 200);
    assert_eq!(s.count("dedup-probe"), 3);
    let (status, a) = s.hec(
        "/services/collector/ack?channel=11111111-2222-3333-4444-555555555555",
        br#"{"acks":[0,1,2,9]}"#,
        &[],
    );
    assert_eq!(status, 200, "{a}");
    assert_eq!(
        a["acks"],
        serde_json::json!({"0": true, "1": true, "2": true, "9": false})
    );
    let (status, a) = s.hec("/services/collector/ack", br#"{"acks":[0]}"#, &[]);
    assert_eq!((status, a["code"].as_u64()), (400, Some(10)), "{a}");
    let (status, a) = s.hec("/services/collector/health", b"", &[]);
    assert_eq!(status, 405, "health is GET: {a}");
}

#[test]
fn a_full_disk_answers_503_and_loses_nothing_acknowledged() {
    // min_free_disk above any real free space: the server must refuse rather than risk a half-written batch.
    let mut s = Server::start("");
    let (status, _) = s.hec(
        "/services/collector/event",
        br#"{"event":"before-full"}"#,
        &[],
    );
    assert_eq!(status, 200);
    s.kill9();
    let cfg = s.dir.path().join("loupe.toml");
    let text = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(&cfg, format!("min_free_disk = \"1000000TB\"\n{text}")).unwrap();
    s.restart();
    let (status, a) = s.hec(
        "/services/collector/event",
        br#"{"event":"while-full"}"#,
        &[],
    );
    assert_eq!(status, 503, "{a}");
    assert_eq!(a["code"], 9);
    assert!(a["text"].as_str().unwrap().contains("free"), "{a}");
    assert_eq!(
        s.count("before-full"),
        1,
        "what was acknowledged before is still there"
    );
    assert_eq!(s.count("while-full"), 0);
}

#[test]
fn a_token_limited_to_an_index_can_neither_write_nor_search_elsewhere() {
    let s = Server::start("[[tokens]]\nname = \"web-only\"\ntoken = \"web-only-token-123\"\nindexes = [\"web\"]\ndefault_index = \"web\"\n");
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let post = |body: &str| {
        let mut r = agent
            .post(&format!("{}/services/collector/event", s.url))
            .header("Authorization", "Splunk web-only-token-123")
            .send(body.as_bytes())
            .unwrap();
        let status = r.status().as_u16();
        let v: serde_json::Value =
            serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap();
        (status, v)
    };
    let (status, a) = post(r#"{"event":"scope-probe web"}"#);
    assert_eq!(status, 200, "{a}");
    let (status, a) = post(r#"{"event":"scope-probe main","index":"main"}"#);
    assert_eq!((status, a["code"].as_u64()), (400, Some(7)), "{a}");
    let (status, _) = s.hec(
        "/services/collector/event",
        br#"{"event":"scope-probe main"}"#,
        &[],
    );
    assert_eq!(status, 200);
    s.flush();
    // The full token sees both; the limited one only its index, whatever the query asks for.
    assert_eq!(
        s.count("scope-probe"),
        2,
        "without index=, every non-internal index is searched"
    );
    assert_eq!(s.count("index=* scope-probe"), 2);
    assert_eq!(s.count("index=main scope-probe"), 1);
    let search = |q: &str| {
        let mut r = agent
            .post(&format!("{}/api/v1/search", s.url))
            .header("Authorization", "Bearer web-only-token-123")
            .send_json(serde_json::json!({"query": q}))
            .unwrap();
        let v: serde_json::Value =
            serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap();
        v["rows"][0]["count"].as_u64().unwrap()
    };
    assert_eq!(search("index=* scope-probe | stats count"), 1);
    assert_eq!(search("index=main scope-probe | stats count"), 0);
    assert_eq!(search("scope-probe OR index=main | stats count"), 1);
}
