//! What one request must not be able to do to `loupe serve`: run forever, keep running once its
//! client left, take the server's memory, read or overwrite lookup tables outside its token,
//! or get an answer that breaks the contract (plain-text errors, silent literal macros).

use loupe_e2e::{wait_until, Server, TOKEN};
use serde_json::json;

/// A pipeline that keeps a debug server busy for many seconds (two million rows through
/// several commands), yet ends on its own: what a careless user types.
const HEAVY: &str = "| makeresults count=2000000 | streamstats count as n | eval k=n % 1000, s=\"x\" . n | eval t=s . k | stats dc(t) as d by k | sort - d";

fn stopped(s: &Server, reason: &str) -> f64 {
    s.metric(&format!(
        "loupe_searches_stopped_total{{reason=\"{reason}\"}}"
    ))
}

#[test]
fn a_search_past_its_time_limit_stops_and_says_which_limit() {
    let s = Server::start("");
    let (status, a, _) = s.search_with(TOKEN, &json!({"query": HEAVY, "timeout": 0.05}));
    assert_eq!(status, 422, "{a}");
    assert_eq!(a["stopped_by"], "search_timeout", "{a}");
    assert!(a["error"].as_str().unwrap().contains("time limit"), "{a}");
    // The configured limit bounds a request that asks for more.
    let s = Server::start("[limits]\nsearch_timeout = \"50ms\"\n");
    let (status, a, _) = s.search_with(TOKEN, &json!({"query": HEAVY, "timeout": 3600}));
    assert_eq!(
        (status, a["stopped_by"].as_str()),
        (422, Some("search_timeout")),
        "{a}"
    );
    assert_eq!(stopped(&s, "search_timeout"), 1.0);
    let (status, a, _) = s.search_with(TOKEN, &json!({"query": "*", "timeout": "soon"}));
    assert_eq!(status, 400, "{a}");
}

#[test]
fn a_client_that_goes_away_cancels_its_search() {
    use std::io::Write;
    let s = Server::start("");
    // A raw connection: the request goes out, the search starts, then the client closes.
    let body = json!({ "query": HEAVY }).to_string();
    let mut conn =
        std::net::TcpStream::connect(s.url.trim_start_matches("http://")).expect("connect");
    write!(
        conn,
        "POST /api/v1/search HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .expect("send");
    wait_until(60, "the search runs", || {
        s.metric("loupe_searches_running") == 1.0
    });
    drop(conn);
    // The server notices the closed connection and stops the search, instead of finishing it.
    wait_until(30, "the abandoned search is cancelled", || {
        stopped(&s, "cancelled") == 1.0
    });
    wait_until(10, "no search running", || {
        s.metric("loupe_searches_running") == 0.0
    });
}

#[test]
fn a_string_built_past_the_memory_budget_stops_the_search_not_the_server() {
    let s = Server::start("[limits]\nsearch_memory = \"64MB\"\n");
    let doubling: String = "| eval s=s . s".repeat(26);
    let q = format!("| makeresults | eval s=\"aaaaaaaaaaaaaaaa\" {doubling} | eval n=len(s)");
    let (status, a, _) = s.search_with(TOKEN, &json!({ "query": q }));
    assert_eq!(status, 422, "{a}");
    assert_eq!(a["stopped_by"], "search_memory", "{a}");
    assert!(a["error"].as_str().unwrap().starts_with("eval:"), "{a}");
    // Buffering commands count too: 100,000 rows of a kilobyte do not fit in 64 MB.
    let pad = "p".repeat(1000);
    let q = format!(
        "| makeresults count=100000 | streamstats count as n | eval pad=\"{pad}\" | sort 0 - n"
    );
    let (status, a, _) = s.search_with(TOKEN, &json!({ "query": q }));
    assert_eq!(
        (status, a["stopped_by"].as_str()),
        (422, Some("search_memory")),
        "{a}"
    );
    assert!(a["error"].as_str().unwrap().contains("sort"), "{a}");
    // Nothing is held once the searches ended, and the server answers as before.
    assert_eq!(s.metric("loupe_search_memory_bytes"), 0.0);
    let (status, a, _) = s.search_with(TOKEN, &json!({"query": "| makeresults | eval x=1"}));
    assert_eq!(status, 200, "{a}");
}

#[test]
fn searches_past_the_queue_are_refused_with_retry_after() {
    let s = Server::start("[limits]\nmax_concurrent_searches = 1\nmax_queued_searches = 0\n");
    std::thread::scope(|scope| {
        let first = scope.spawn(|| s.search_with(TOKEN, &json!({"query": HEAVY, "timeout": 3})));
        wait_until(30, "the first search runs", || {
            s.metric("loupe_searches_running") == 1.0
        });
        let (status, a, retry) = s.search_with(TOKEN, &json!({"query": "| makeresults"}));
        assert_eq!(status, 503, "{a}");
        assert!(a["error"].as_str().unwrap().contains("retry"), "{a}");
        assert_eq!(retry.as_deref(), Some("5"));
        assert_eq!(s.metric("loupe_searches_refused_total"), 1.0);
        let _ = first.join();
    });
    let (status, _, _) = s.search_with(TOKEN, &json!({"query": "| makeresults"}));
    assert_eq!(status, 200, "a slot is free again");
}

#[test]
fn sigterm_stops_running_searches_and_the_server() {
    let mut s = Server::start("");
    let (status, _) = s.hec(
        "/services/collector/event",
        br#"{"event":"kept before stop"}"#,
        &[],
    );
    assert_eq!(status, 200);
    std::thread::scope(|scope| {
        let running = scope.spawn(|| s.search_with(TOKEN, &json!({ "query": HEAVY })));
        wait_until(30, "the search runs", || {
            s.metric("loupe_searches_running") == 1.0
        });
        let pid = s.child.id().to_string();
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill");
        assert!(sent.success());
        let (status, a, _) = running.join().expect("search thread");
        assert_eq!(
            status, 503,
            "the running search is stopped by the shutdown: {a}"
        );
        assert_eq!(a["stopped_by"], "shutdown", "{a}");
    });
    let exit = s.child.wait().expect("wait");
    assert!(exit.success(), "{exit:?}");
    // What was acknowledged is there after the restart.
    s.restart();
    assert_eq!(s.count("kept before stop"), 1);
}

/// An ingest request still arriving when SIGTERM comes is answered 503 code 9 ("busy"), so
/// a sender retries it against the next server instead of taking it for delivered or for bad
/// data. Its body is sent in two halves, the first once the server reads it: the second only once the server has stopped
/// accepting connections, that is once the shutdown has begun.
#[test]
fn ingest_during_shutdown_is_answered_busy() {
    use std::io::{Read, Write};
    let s = Server::start("");
    let addr = s.url.trim_start_matches("http://").to_string();
    let body = br#"{"event":"arrived during shutdown"}"#;
    let mut conn = std::net::TcpStream::connect(&addr).expect("connect");
    let head = format!(
        "POST /services/collector/event HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Splunk {TOKEN}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    conn.write_all(head.as_bytes()).expect("send headers");
    conn.write_all(&body[..10]).expect("send half the body");
    // The metrics request itself is the other one in flight.
    wait_until(30, "the server to be reading the request", || {
        s.metric("loupe_http_requests_in_flight") >= 2.0
    });
    let sent = std::process::Command::new("kill")
        .args(["-TERM", &s.child.id().to_string()])
        .status()
        .expect("kill");
    assert!(sent.success());
    wait_until(30, "the server to stop accepting connections", || {
        std::net::TcpStream::connect(&addr).is_err()
    });
    conn.write_all(&body[10..]).expect("send the rest");
    let mut answer = String::new();
    conn.read_to_string(&mut answer).expect("read the answer");
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains(r#""code":9"#), "{answer}");
}

/// Two tokens: an admin one, and one limited to the `web` index with no lookup table.
const TOKENS: &str = "[[tokens]]\nname = \"web\"\ntoken = \"web-only-token-123\"\nindexes = [\"web\"]\n\n[[tokens]]\nname = \"reader\"\ntoken = \"batch-reader-token-9\"\nindexes = [\"web\"]\nlookups_read = [\"batch*\"]\n";

#[test]
fn lookup_tables_are_read_and_written_only_as_the_token_allows() {
    let s = Server::start(TOKENS);
    let admin = |q: &str| s.search_with(TOKEN, &json!({ "query": q }));
    let (status, a, _) =
        admin("| makeresults | eval secret=\"s3cret\" | outputlookup adminsecret.csv");
    assert_eq!(status, 200, "{a}");
    let (status, a, _) =
        admin("| makeresults | eval path=\"/a.log\", batch=\"mail\" | outputlookup batchs.csv");
    assert_eq!(status, 200, "{a}");
    let (_, _) = s.hec(
        "/services/collector/event",
        br#"{"event":"GET /x 200 secretprobe","index":"web"}"#,
        &[],
    );
    s.flush();
    let web = |q: &str| s.search_with("web-only-token-123", &json!({ "query": q }));
    for q in [
        "| inputlookup adminsecret.csv",
        "| inputlookup adminsecret",
        "secretprobe | lookup adminsecret.csv secret OUTPUT secret",
        "index=web [| inputlookup adminsecret.csv | fields secret]",
        "| inputlookup nosuchtable.csv",
    ] {
        let (status, a, _) = web(q);
        assert_eq!(status, 403, "{q}: {a}");
        assert!(
            a["error"].as_str().unwrap().contains("may not read"),
            "{q}: {a}"
        );
    }
    let (status, a, _) = web("| makeresults | eval path=\"x\" | outputlookup batchs.csv");
    assert_eq!(status, 403, "{a}");
    assert!(
        a["error"].as_str().unwrap().contains("may not write"),
        "{a}"
    );
    // The inventory every saved search joins on is untouched.
    let (status, a, _) = admin("| inputlookup batchs.csv");
    assert_eq!(status, 200, "{a}");
    assert_eq!(a["rows"][0]["batch"], "mail", "{a}");
    // A token granted `batch*` reads the inventory, not the secret, and writes nothing.
    let reader = |q: &str| s.search_with("batch-reader-token-9", &json!({ "query": q }));
    let (status, a, _) = reader("| inputlookup batchs.csv");
    assert_eq!(status, 200, "{a}");
    assert_eq!(a["rows"][0]["path"], "/a.log");
    let (status, _, _) = reader("| inputlookup adminsecret.csv");
    assert_eq!(status, 403);
    let (status, _, _) = reader("| inputlookup batchs.csv | outputlookup batchs.csv");
    assert_eq!(status, 403);
}

#[test]
fn index_names_follow_splunks_rules() {
    let s = Server::start("");
    for bad in ["MAIN", "CON", "../../etc", "with space", &"a".repeat(300)] {
        let body = json!({"event": "x", "index": bad}).to_string();
        let (status, a) = s.hec("/services/collector/event", body.as_bytes(), &[]);
        assert_eq!((status, a["code"].as_u64()), (400, Some(7)), "{bad}: {a}");
        assert!(
            a["text"].as_str().unwrap().contains("invalid index name"),
            "{bad}: {a}"
        );
    }
    // Internal names are never made by a sender.
    let (status, a) = s.hec(
        "/services/collector/event",
        br#"{"event":"x","index":"_audit"}"#,
        &[],
    );
    assert_eq!((status, a["code"].as_u64()), (400, Some(7)), "{a}");
    // `_audit` exists (the server writes it) but no sender may add to it.
    assert!(
        a["text"]
            .as_str()
            .unwrap()
            .contains("written by the server only"),
        "{a}"
    );
    let (status, a) = s.hec(
        "/services/collector/event",
        br#"{"event":"x","index":"web-2_b"}"#,
        &[],
    );
    assert_eq!(
        status, 200,
        "a valid new name is made (auto_create_indexes): {a}"
    );
    // Searches name indexes by the same rule.
    let (status, a) = s.search("index=../../etc | stats count", 1);
    assert_eq!(status, 400, "{a}");
    assert!(
        a["error"].as_str().unwrap().contains("invalid index name"),
        "{a}"
    );
    let (status, a) = s.search("index=\"with space\" | stats count", 1);
    assert_eq!(status, 400, "{a}");
    // As in Splunk, a search names indexes in any case.
    assert_eq!(s.count("index=WEB-2_B"), 1);
}

#[test]
fn answers_keep_the_contract() {
    let s = Server::start(
        "[macros]\nerrors = \"error OR failed\"\n\"status_of(code)\" = \"status=$code$\"\n",
    );
    // Every /api error is JSON, the body limit included: a 5 MB query is refused from its
    // Content-Length (the raw request shows the answer before the body is sent).
    let (head, body) = raw_request(
        &s,
        &format!("POST /api/v1/search HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n", 5 << 20),
    );
    assert!(head.starts_with("HTTP/1.1 413"), "{head}");
    assert!(
        head.to_lowercase()
            .contains("content-type: application/json"),
        "{head}"
    );
    let a: serde_json::Value = serde_json::from_str(&body).expect("JSON 413");
    assert!(a["error"].as_str().unwrap().contains("larger than"), "{a}");
    let (head, body) = raw_request(&s, "GET /api/v1/nowhere HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(head.starts_with("HTTP/1.1 404"), "{head}");
    assert!(
        serde_json::from_str::<serde_json::Value>(&body).is_ok(),
        "{body}"
    );
    // An undefined macro is an error at its span, not a search for its text.
    let q = "index=main `mymacro` | stats count";
    let (status, a, _) = s.search_with(TOKEN, &json!({ "query": q }));
    assert_eq!(status, 400, "{a}");
    assert!(
        a["error"]
            .as_str()
            .unwrap()
            .contains("unknown macro `mymacro`"),
        "{a}"
    );
    assert_eq!(
        &q[a["span"]["start"].as_u64().unwrap() as usize
            ..a["span"]["end"].as_u64().unwrap() as usize],
        "`mymacro`"
    );
    // Defined ones expand, with arguments.
    let (_, _) = s.hec(
        "/services/collector/event",
        br#"{"event":"job failed status=500"}{"event":"all good status=200"}"#,
        &[],
    );
    assert_eq!(s.count("`errors`"), 1);
    assert_eq!(s.count("`status_of(200)`"), 1);
    // `.` concatenates when no field has the dotted name, as in Splunk.
    let (status, a) = s.search("| makeresults | eval s=\"ab\", t=s.s | fields t", 1);
    assert_eq!(status, 200, "{a}");
    assert_eq!(a["rows"][0]["t"], "abab", "{a}");
    // HEC takes only the Splunk scheme.
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut r = agent
        .post(&format!("{}/services/collector/event", s.url))
        .header("Authorization", &format!("Bearer {TOKEN}"))
        .send(&br#"{"event":"x"}"#[..])
        .unwrap();
    let a: serde_json::Value =
        serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap();
    assert_eq!(
        (r.status().as_u16(), a["code"].as_u64()),
        (401, Some(3)),
        "{a}"
    );
    // A refusal before the body is read says the connection closes, so a pooling client does
    // not send its next request into it.
    let (head, _) = raw_request(
        &s,
        "POST /services/collector/event HTTP/1.1\r\nHost: x\r\nContent-Length: 13\r\n\r\n",
    );
    assert!(head.starts_with("HTTP/1.1 401"), "{head}");
    assert!(head.to_lowercase().contains("connection: close"), "{head}");
    // `?token=` is HEC's other way.
    let mut r = agent
        .post(&format!("{}/services/collector/event?token={TOKEN}", s.url))
        .send(&br#"{"event":"query token"}"#[..])
        .unwrap();
    assert_eq!(
        r.status().as_u16(),
        200,
        "{}",
        r.body_mut().read_to_string().unwrap()
    );
}

/// Sends `request` (head only) on a fresh connection; returns the answer's head and body.
fn raw_request(s: &Server, request: &str) -> (String, String) {
    use std::io::{Read, Write};
    let addr = s.url.trim_start_matches("http://");
    let mut conn = std::net::TcpStream::connect(addr).expect("connect");
    conn.set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .expect("timeout");
    conn.write_all(request.as_bytes()).expect("send");
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = conn.read(&mut buf).unwrap_or(0);
        if n == 0 {
            break;
        }
        got.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&got);
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let len = head.lines().find_map(|l| {
                l.to_lowercase()
                    .strip_prefix("content-length:")
                    .map(|v| v.trim().parse::<usize>().unwrap_or(0))
            });
            if len.is_some_and(|n| body.len() >= n) {
                return (head.to_string(), body.to_string());
            }
        }
    }
    let text = String::from_utf8_lossy(&got).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    (head.to_string(), body.to_string())
}

#[test]
fn hec_events_keep_invalid_utf8_lossily() {
    let s = Server::start("");
    let (status, a) = s.hec(
        "/services/collector/event",
        b"{\"event\":\"caf\xe9 latin1probe\"}{\"event\":\"cut \xe2\x82 latin1probe\"}{\"event\":\"fine latin1probe\"}",
        &[],
    );
    assert_eq!(status, 200, "{a}");
    assert_eq!(s.count("latin1probe"), 3);
    assert_eq!(s.count("latin1probe ingest_warning=invalid_utf8"), 2);
    let (_, a) = s.search("caf latin1probe | head 1", 1);
    assert_eq!(a["events"][0]["_raw"], "caf\u{fffd} latin1probe", "{a}");
    let (status, a) = s.hec("/services/collector/event", br#"{"event":"\ud800"}"#, &[]);
    assert_eq!((status, a["code"].as_u64()), (400, Some(6)), "{a}");
    assert!(a["text"].as_str().unwrap().contains("surrogate"), "{a}");
}

/// `n` as letters only (`a`, `b`, … `ba`…): a plain word, never a number or a hashed identifier.
fn word(mut n: usize) -> String {
    let mut w = String::from("zq");
    loop {
        w.push((b'a' + (n % 26) as u8) as char);
        n /= 26;
        if n == 0 {
            return w;
        }
    }
}

#[test]
fn thousands_of_ored_words_are_one_set_query() {
    let s = Server::start("");
    let body: String = (0..2000)
        .map(|i| json!({"event": format!("item {} setprobe kind=probe", word(i))}).to_string())
        .collect();
    let (status, a) = s.hec("/services/collector/event", body.as_bytes(), &[]);
    assert_eq!(status, 200, "{a}");
    // 3,000 words of which 1,000 match nothing; with and without a row check on the text.
    let words: Vec<String> = (1000..4000).map(word).collect();
    let or = words.join(" OR ");
    assert_eq!(s.count(&format!("setprobe ({or})")), 1000);
    assert_eq!(
        s.count(&format!("({or}) kind=probe")),
        1000,
        "row-filtered path"
    );
    assert_eq!(s.count(&format!("NOT ({or}) setprobe")), 1000);
    // A subsearch returning thousands of values becomes the same set.
    assert_eq!(
        s.count("setprobe [| makeresults count=3000 | streamstats count as n | eval search=\"zq\" . n | fields search]"),
        0
    );
    let sub = "setprobe [| inputlookup words.csv | fields search]";
    let rows: Vec<String> = (0..1500).map(word).collect();
    std::fs::create_dir_all(s.data_dir().join("lookups")).unwrap();
    std::fs::write(
        s.data_dir().join("lookups/words.csv"),
        format!("search\n{}\n", rows.join("\n")),
    )
    .unwrap();
    assert_eq!(s.count(sub), 1500);
    // The plan says so.
    let out = std::process::Command::new(loupe_e2e::bin("loupe"))
        .args(["explain", &format!("setprobe ({or}) | stats count")])
        .output()
        .expect("loupe explain");
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).expect("plan JSON");
    assert!(
        plan["pushdown"]
            .as_str()
            .unwrap()
            .contains("_raw:set(3000 terms)"),
        "{}",
        plan["pushdown"]
    );
}
