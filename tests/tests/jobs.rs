//! Search jobs and exports through a real `loupe serve`: a job answers its sid at once, shows
//! its state and progress, pages its results and events, gives the timeline over its whole
//! range and a field summary, and stops when deleted; an export streams every row.

use loupe_e2e::{load_web, wait_until, Server, TOKEN};
use serde_json::json;

/// Starts a job and waits until it is no longer queued or running; its final status.
fn run_job(s: &Server, body: serde_json::Value) -> (String, serde_json::Value) {
    let (status, a) = s.api("POST", "/api/v1/jobs", Some(&body));
    assert_eq!(status, 201, "{a}");
    let sid = a["sid"].as_str().expect("sid").to_string();
    let mut last = json!(null);
    wait_until(60, "the job ends", || {
        let (_, st) = s.api("GET", &format!("/api/v1/jobs/{sid}"), None);
        last = st.clone();
        !matches!(st["state"].as_str(), Some("queued" | "running"))
    });
    (sid, last)
}

fn web_server() -> Server {
    let s = Server::start("");
    load_web(&s);
    s.flush();
    s
}

#[test]
fn a_job_pages_results_and_events_and_knows_its_timeline_and_fields() {
    let s = web_server();
    let total = s.count("index=web");
    assert!(total > 100, "{total} web events");
    let (sid, st) = run_job(&s, json!({"query": "index=web", "max_count": 5000}));
    assert_eq!(st["state"], "done", "{st}");
    assert_eq!(st["progress"]["matched"].as_u64(), Some(total), "{st}");
    assert!(st["progress"]["buckets_total"].as_u64().unwrap() >= 1);
    assert_eq!(
        st["progress"]["buckets_done"],
        st["progress"]["buckets_total"]
    );
    // Pages of events, newest first, without overlap.
    let (_, p1) = s.api(
        "GET",
        &format!("/api/v1/jobs/{sid}/events?offset=0&count=10"),
        None,
    );
    let (_, p2) = s.api(
        "GET",
        &format!("/api/v1/jobs/{sid}/events?offset=10&count=10"),
        None,
    );
    assert_eq!(p1["rows"].as_array().unwrap().len(), 10, "{p1}");
    assert_eq!(p1["total"].as_u64(), Some(total.min(5000)));
    let t = |p: &serde_json::Value, i: usize| p["rows"][i]["_time"].as_str().unwrap().to_string();
    assert!(
        t(&p1, 0) >= t(&p1, 9) && t(&p1, 9) >= t(&p2, 0),
        "newest first across pages"
    );
    assert_ne!(p1["rows"][9], p2["rows"][0]);
    // The timeline covers every matching event, whatever the page size.
    let (status, tl) = s.api("GET", &format!("/api/v1/jobs/{sid}/timeline"), None);
    assert_eq!(status, 200, "{tl}");
    let binned: u64 = tl["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["count"].as_u64().unwrap())
        .sum();
    assert_eq!(binned, total, "{tl}");
    assert!(tl["buckets"].as_array().unwrap().len() <= 300);
    // Fields: coverage, distinct, top values of the extracted fields.
    let (status, sm) = s.api("GET", &format!("/api/v1/jobs/{sid}/summary"), None);
    assert_eq!(status, 200, "{sm}");
    let host = &sm["fields"]["host"];
    assert_eq!(host["coverage"].as_f64(), Some(1.0), "{sm}");
    assert!(host["top"][0]["count"].as_u64().unwrap() > 0);
    let status_field = &sm["fields"]["status"];
    assert!(status_field["distinct"].as_u64().unwrap() >= 2, "{sm}");
    assert!(status_field["top"].as_array().unwrap().len() <= 10);
    // A transforming search pages its result rows.
    let (sid, st) = run_job(
        &s,
        json!({"query": "index=web | stats count by status | sort - count"}),
    );
    assert_eq!(st["state"], "done", "{st}");
    let (_, r) = s.api(
        "GET",
        &format!("/api/v1/jobs/{sid}/results?offset=1&count=2"),
        None,
    );
    assert_eq!(r["rows"].as_array().unwrap().len(), 2, "{r}");
    assert_eq!(r["columns"], json!(["status", "count"]));
    assert_eq!(r["offset"], 1);
    // The list shows the caller's jobs.
    let (_, list) = s.api("GET", "/api/v1/jobs", None);
    assert_eq!(list["jobs"].as_array().unwrap().len(), 2, "{list}");
}

#[test]
fn a_deleted_job_stops_and_bad_jobs_say_why() {
    let s = Server::start("[[tokens]]\nname = \"other\"\ntoken = \"other-token-0000\"\n");
    let heavy = "| makeresults count=2000000 | streamstats count as n | eval k=n % 1000, s=\"x\" . n | stats dc(s) by k";
    let (status, a) = s.api("POST", "/api/v1/jobs", Some(&json!({ "query": heavy })));
    assert_eq!(status, 201, "{a}");
    let sid = a["sid"].as_str().unwrap().to_string();
    wait_until(30, "the job runs", || {
        s.api("GET", &format!("/api/v1/jobs/{sid}"), None).1["state"] == "running"
    });
    let (status, a) = s.api("DELETE", &format!("/api/v1/jobs/{sid}"), None);
    assert_eq!(status, 200, "{a}");
    wait_until(30, "the job is cancelled", || {
        s.api("GET", &format!("/api/v1/jobs/{sid}"), None).1["state"] == "cancelled"
    });
    wait_until(10, "no search running", || {
        s.metric("loupe_searches_running") == 0.0
    });
    // Another token does not see it.
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let r = agent
        .get(&format!("{}/api/v1/jobs/{sid}", s.url))
        .header("Authorization", "Bearer other-token-0000")
        .call()
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    // A syntax error is an answer, not a job.
    let (status, a) = s.api(
        "POST",
        "/api/v1/jobs",
        Some(&json!({"query": "error | head abc"})),
    );
    assert_eq!(status, 400, "{a}");
    assert_eq!(a["column"], 14, "{a}");
    // A failure while running is a failed job with its message.
    let (_, st) = run_job(
        &s,
        json!({"query": "| makeresults | eval x=nosuchfunction(1)"}),
    );
    assert!(matches!(st["state"].as_str(), Some("failed")), "{st}");
    assert!(
        st["error"].as_str().unwrap().contains("nosuchfunction"),
        "{st}"
    );
    let (status, _) = s.api("GET", "/api/v1/jobs/nope", None);
    assert_eq!(status, 404);
    let _ = TOKEN;
}

#[test]
fn export_streams_every_row_as_ndjson_or_csv() {
    let s = web_server();
    let total = s.count("index=web");
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let get = |q: &str, output: &str| {
        let mut r = agent
            .get(&format!("{}/api/v1/export", s.url))
            .query("query", q)
            .query("output", output)
            .header("Authorization", &format!("Bearer {TOKEN}"))
            .call()
            .unwrap();
        let ct = r
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_string());
        let mut body = String::new();
        std::io::Read::read_to_string(&mut r.body_mut().as_reader(), &mut body).unwrap();
        (r.status().as_u16(), ct, body)
    };
    let (status, ct, body) = get("index=web", "ndjson");
    assert_eq!(status, 200);
    assert_eq!(ct.as_deref(), Some("application/x-ndjson"));
    let lines: Vec<serde_json::Value> = body
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len() as u64, total, "every event, no cap");
    assert!(lines.iter().all(|l| l["_raw"].is_string()));
    let (status, ct, body) = get("index=web | stats count by status", "csv");
    assert_eq!(status, 200);
    assert!(ct.unwrap().starts_with("text/csv"));
    let mut rows = csv::Reader::from_reader(body.as_bytes());
    assert_eq!(rows.headers().unwrap(), vec!["status", "count"]);
    let sum: u64 = rows
        .records()
        .map(|r| r.unwrap()[1].parse::<u64>().unwrap())
        .sum();
    assert_eq!(sum, total);
    let (status, _, body) = get("index=web | head abc", "ndjson");
    assert_eq!(status, 400, "{body}");
}

#[test]
fn the_editor_gets_diagnostics_with_spans_and_the_fields_a_pipeline_makes() {
    let s = Server::start("");
    let (status, a) = s.api("POST", "/api/v1/parse", Some(&json!({"query": "error | eval slow=rt > 100 | rex \"user=(?<user>\\w+)\" | stats count by user"})));
    assert_eq!(status, 200, "{a}");
    assert_eq!(a["ok"], true, "{a}");
    assert_eq!(a["fields"], json!(["slow", "user", "count"]), "{a}");
    assert!(a["commands"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c == "timechart"));
    let q = "error | head abc";
    let (_, a) = s.api("POST", "/api/v1/parse", Some(&json!({ "query": q })));
    assert_eq!(a["ok"], false);
    let d = &a["diagnostics"][0];
    assert_eq!(d["severity"], "error");
    assert_eq!(
        &q[d["start"].as_u64().unwrap() as usize..d["end"].as_u64().unwrap() as usize],
        "abc",
        "{a}"
    );
    let (_, a) = s.api(
        "POST",
        "/api/v1/parse",
        Some(&json!({"query": "error | nosuchcmd"})),
    );
    assert!(
        a["diagnostics"][0]["message"]
            .as_str()
            .unwrap()
            .contains("nosuchcmd"),
        "{a}"
    );
}

#[test]
fn a_search_snaps_days_and_formats_times_in_the_zone_it_names() {
    let s = Server::start("");
    // 2025-12-31T23:30:00Z is already 00:30 on New Year's Day in Paris.
    let q = "| makeresults | eval hour=strftime(1767223800, \"%Y-%m-%d %H:%M\"), day=relative_time(1767223800, \"@d\") | table hour day";
    let answer = |zone: &str| {
        let (status, a, _) = s.search_with(TOKEN, &json!({"query": q, "timezone": zone}));
        assert_eq!(status, 200, "{a}");
        a["rows"][0].clone()
    };
    let paris = answer("Europe/Paris");
    assert_eq!(paris["hour"], "2026-01-01 00:30", "{paris}");
    assert_eq!(paris["day"].as_f64(), Some(1_767_222_000.0), "{paris}");
    let utc = answer("UTC");
    assert_eq!(utc["hour"], "2025-12-31 23:30", "{utc}");
    assert_eq!(utc["day"].as_f64(), Some(1_767_139_200.0), "{utc}");
    // A job's `earliest=@d` is the zone's midnight too: with "now" pinned to 00:30 in Paris,
    // an event at 22:50 UTC (23:50 Paris, the day before) is today in UTC only.
    let (status, _) = s.hec(
        "/services/collector/event",
        br#"{"time": 1767221400, "event": "zoneprobe", "index": "main"}"#,
        &[],
    );
    assert_eq!(status, 200);
    s.flush();
    for (zone, expected) in [("Europe/Paris", 0), ("UTC", 1)] {
        let (sid, st) = run_job(
            &s,
            json!({"query": "zoneprobe", "earliest": "@d", "now": "1767223800", "timezone": zone}),
        );
        assert_eq!(st["state"], "done", "{st}");
        let (_, page) = s.api("GET", &format!("/api/v1/jobs/{sid}/events"), None);
        assert_eq!(
            page["rows"].as_array().map(Vec::len),
            Some(expected),
            "{zone}: {page}"
        );
    }
    // A zone that does not exist is refused, never read as UTC.
    let (status, a, _) = s.search_with(TOKEN, &json!({"query": q, "timezone": "Mars/Olympus"}));
    assert_eq!(status, 400, "{a}");
    assert!(
        a["error"].as_str().unwrap_or("").contains("Mars/Olympus"),
        "{a}"
    );
}

#[test]
fn a_jobs_timeline_summary_and_count_keep_its_index_time_bounds() {
    let s = web_server();
    let total = s.count("index=web status>=500");
    assert!(total > 0);
    // `status` is a search-time field, so the timeline and summary read rows; every event
    // was indexed after 1970, so `_index_latest=1` leaves none — in all three answers.
    for (query, expected) in [
        ("index=web status>=500", total),
        ("index=web status>=500 _index_latest=1", 0),
    ] {
        let (sid, st) = run_job(&s, json!({ "query": query }));
        assert_eq!(st["state"], "done", "{st}");
        assert_eq!(
            st["progress"]["matched"].as_u64(),
            Some(expected),
            "{query}: {st}"
        );
        let (_, tl) = s.api("GET", &format!("/api/v1/jobs/{sid}/timeline"), None);
        let binned: u64 = tl["buckets"]
            .as_array()
            .map(|b| b.iter().filter_map(|b| b["count"].as_u64()).sum())
            .unwrap_or(0);
        assert_eq!(binned, expected, "{query}: {tl}");
        let (_, sm) = s.api("GET", &format!("/api/v1/jobs/{sid}/summary"), None);
        assert_eq!(
            sm["events"].as_u64(),
            Some(expected.min(10_000)),
            "{query}: {sm}"
        );
    }
}
