//! The abuse limits of `[limits]`, end to end through HTTP: failed logins per client address,
//! searches per user (jobs, sync search), the default ingest rate of a token, tokens bound to
//! sourcetypes, and every limit and its refusals in `/metrics`.

use loupe_e2e::{bin, wait_until, Server};
use serde_json::json;
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::process::Command;

/// A heavy search: seconds of CPU, stopped by its timeout or a cancel.
const HEAVY: &str = "| makeresults count=2000000 | streamstats count as n | eval k=n % 1000, s=\"x\" . n | eval t=s . k | stats dc(t) as d by k | sort - d";

/// `POST /api/v1/login` from the local address `from`, by hand so the client socket can be
/// bound: status, `Retry-After`, body.
fn login_from(s: &Server, from: &str, user: &str, password: &str) -> (u16, Option<u64>, String) {
    let server: SocketAddr = s
        .url
        .trim_start_matches("http://")
        .parse()
        .expect("server address");
    let socket =
        socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).expect("socket");
    let local: SocketAddr = format!("{from}:0").parse().expect("local address");
    socket.bind(&local.into()).expect("bind the client");
    socket.connect(&server.into()).expect("connect");
    let mut stream: std::net::TcpStream = socket.into();
    let body = json!({"user": user, "password": password}).to_string();
    write!(
        stream,
        "POST /api/v1/login HTTP/1.1\r\nHost: {server}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("send");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read");
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let retry = head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case("retry-after")
            .then(|| v.trim().parse().ok())
            .flatten()
    });
    (status, retry, body.to_string())
}

/// `/metrics` as text.
fn metrics(s: &Server) -> String {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    agent
        .get(&format!("{}/metrics", s.url))
        .call()
        .expect("metrics")
        .body_mut()
        .read_to_string()
        .expect("metrics text")
}

/// One host trying passwords on many user names is stopped after
/// `login_failures_per_address` failures, whatever the name, right password included: 429
/// with `Retry-After`, audited `login_locked` with `locked_by=address`; another address is not
/// locked. The limits and the refusals are in `/metrics`.
#[test]
fn failed_logins_from_one_address_lock_it_for_every_user() {
    let s = Server::start(
        "[limits]\nlogin_failures_per_address = 3\nlogin_failures_per_user = 100\nlogin_window = \"10m\"\n",
    );
    let _ = s.user_with_token("ana", "user");
    for name in ["root", "admin", "oracle"] {
        let (status, _, body) = login_from(&s, "127.0.0.1", name, "a wrong guess");
        assert_eq!(status, 401, "{body}");
    }
    let (status, retry, body) = login_from(&s, "127.0.0.1", "ana", "a long enough password");
    assert_eq!(status, 429, "{body}");
    assert!(body.contains("address"), "{body}");
    assert!(retry.is_some_and(|r| (1..=600).contains(&r)), "{retry:?}");
    let (status, _, body) = login_from(&s, "127.0.0.2", "ana", "a long enough password");
    assert_eq!(status, 200, "another address is not locked: {body}");
    assert_eq!(s.metric("loupe_limit_login_failures_per_address"), 3.0);
    assert_eq!(s.metric("loupe_limit_login_failures_per_user"), 100.0);
    assert_eq!(s.metric("loupe_limit_login_window_seconds"), 600.0);
    assert_eq!(
        s.metric("loupe_logins_refused_total{locked_by=\"address\"}"),
        1.0
    );
    s.flush();
    assert_eq!(
        s.count(
            "index=_audit action=login_locked locked_by=address client_address=127.0.0.1 user=ana"
        ),
        1
    );
    assert_eq!(
        s.count("index=_audit action=login_failed client_address=127.0.0.1"),
        3
    );
}

/// `POST /api/v1/jobs` as `token`: status and answer.
fn start_job(s: &Server, token: &str, query: &str) -> (u16, serde_json::Value) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut r = agent
        .post(&format!("{}/api/v1/jobs", s.url))
        .header("Authorization", &format!("Bearer {token}"))
        .send_json(json!({"query": query, "timeout": 60}))
        .expect("job");
    let status = r.status().as_u16();
    let text = r.body_mut().read_to_string().unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(json!(text)))
}

/// A user with `searches_per_user` searches running or queued gets 429 and a message naming
/// the limit, from the jobs API and the sync search alike (Splunk's srchJobsQuota); another
/// user is not held back; cancelling gives the places back.
#[test]
fn a_user_over_its_concurrent_searches_gets_429() {
    let s = Server::start(
        "[limits]\nsearches_per_user = 2\nmax_concurrent_searches = 4\nmax_queued_searches = 8\n",
    );
    let ana = s.user_with_token("ana", "user");
    let bob = s.user_with_token("bob", "user");
    let mut sids = Vec::new();
    for _ in 0..2 {
        let (status, a) = start_job(&s, &ana, HEAVY);
        assert_eq!(status, 201, "{a}");
        sids.push(a["sid"].as_str().expect("sid").to_string());
    }
    wait_until(30, "ana's two searches run", || {
        s.metric("loupe_searches_running") == 2.0
    });
    let (status, a) = start_job(&s, &ana, "| makeresults");
    assert_eq!(status, 429, "{a}");
    let msg = a["error"].as_str().unwrap_or_default();
    assert!(
        msg.contains("searches_per_user") && msg.contains('2'),
        "{a}"
    );
    let (status, a, retry) = s.search_with(&ana, &json!({"query": "| makeresults"}));
    assert_eq!(status, 429, "the sync search too: {a}");
    assert!(retry.is_some(), "Retry-After");
    let (status, a, _) = s.search_with(&bob, &json!({"query": "| makeresults"}));
    assert_eq!(status, 200, "another user is not held back: {a}");
    assert_eq!(s.metric("loupe_limit_searches_per_user"), 2.0);
    assert_eq!(s.metric("loupe_searches_user_quota_refused_total"), 2.0);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    for sid in &sids {
        let r = agent
            .delete(&format!("{}/api/v1/jobs/{sid}", s.url))
            .header("Authorization", &format!("Bearer {ana}"))
            .call()
            .expect("cancel");
        assert!(r.status().is_success(), "{}", r.status());
    }
    wait_until(60, "ana's places are given back", || {
        s.search_with(&ana, &json!({"query": "| makeresults"})).0 == 200
    });
}

/// `[[tokens]] sourcetypes` (wildcards) bounds what a sender may write: a batch with one
/// event of another sourcetype is refused whole with HEC code 7 and the event's number,
/// nothing of it indexed; `/raw` with such a sourcetype too; allowed ones pass.
#[test]
fn a_token_bound_to_sourcetypes_refuses_others_and_indexes_nothing_of_the_batch() {
    let s = Server::start(
        "[[tokens]]\nname = \"web\"\ntoken = \"web-token-0123456789\"\nsourcetypes = [\"access_*\", \"nginx_error\"]\nindexes = [\"web*\"]\n",
    );
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let send = |path: &str, body: &str| {
        let mut r = agent
            .post(&format!("{}{path}", s.url))
            .header("Authorization", "Splunk web-token-0123456789")
            .send(body.as_bytes())
            .expect("hec");
        let status = r.status().as_u16();
        let text = r.body_mut().read_to_string().unwrap_or_default();
        (
            status,
            serde_json::from_str::<serde_json::Value>(&text).unwrap_or(json!(text)),
        )
    };
    let batch = [
        json!({"event": "stone one", "sourcetype": "access_combined", "index": "web"}),
        json!({"event": "stone two", "sourcetype": "nginx_error", "index": "web"}),
        json!({"event": "stone three", "sourcetype": "linux_secure", "index": "web"}),
        json!({"event": "stone four", "sourcetype": "access_combined", "index": "web"}),
    ]
    .map(|e| e.to_string())
    .concat();
    let (status, a) = send("/services/collector/event", &batch);
    assert_eq!(status, 400, "{a}");
    assert_eq!(a["code"], 7, "{a}");
    assert_eq!(a["invalid-event-number"], 2, "{a}");
    assert!(
        a["text"]
            .as_str()
            .unwrap_or_default()
            .contains("linux_secure"),
        "{a}"
    );
    let (status, a) = send(
        "/services/collector/raw?sourcetype=syslog&index=web",
        "stone raw\n",
    );
    assert_eq!(status, 400, "{a}");
    assert_eq!(a["code"], 7, "{a}");
    // With no sourcetype an event is `httpevent`, which this token was not given either.
    let (status, a) = send(
        "/services/collector/event",
        &json!({"event": "stone default", "index": "web"}).to_string(),
    );
    assert_eq!(status, 400, "{a}");
    let (status, a) = send(
        "/services/collector/event",
        &json!({"event": "stone kept", "sourcetype": "ACCESS_combined", "index": "weblogs"})
            .to_string(),
    );
    assert_eq!(status, 200, "{a}");
    assert_eq!(s.count("index=web* stone"), 1, "only the allowed event");
    assert_eq!(s.count("index=web* stone kept"), 1);
    assert_eq!(s.metric("loupe_ingest_sourcetype_refused_total"), 3.0);
    // The token reads what its wildcard lets it write, and nothing else.
    let (status, a, _) = s.search_with(
        "web-token-0123456789",
        &json!({"query": "stone OR free", "earliest": "-1d"}),
    );
    assert_eq!(status, 200, "{a}");
    assert_eq!(a["events"].as_array().map(Vec::len), Some(1), "{a}");
    // The test token has no list: it writes any sourcetype.
    let (status, a) = s.hec(
        "/services/collector/event",
        json!({"event": "free", "sourcetype": "linux_secure"})
            .to_string()
            .as_bytes(),
        &[],
    );
    assert_eq!(status, 200, "{a}");
}

/// `[limits] token_events_per_second` is the rate of every token without its own
/// `max_events_per_second`, which still wins; an unknown `[limits]` key stops the server
/// from starting, naming the key and its line.
#[test]
fn the_limits_table_sets_the_default_token_rate_and_refuses_unknown_keys() {
    let s = Server::start(
        "[limits]\ntoken_events_per_second = 5\n[[tokens]]\nname = \"own\"\ntoken = \"own-rate-0123456789\"\nmax_events_per_second = 100000\n",
    );
    let batch: String = (0..50)
        .map(|i| json!({"event": format!("rated {i}")}).to_string())
        .collect();
    let (status, a) = s.hec("/services/collector/event", batch.as_bytes(), &[]);
    assert_eq!(status, 200, "{a}");
    let (status, a) = s.hec("/services/collector/event", batch.as_bytes(), &[]);
    assert_eq!(
        status, 429,
        "the default rate applies to the test token: {a}"
    );
    assert_eq!(a["code"], 9, "{a}");
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    for _ in 0..2 {
        let r = agent
            .post(&format!("{}/services/collector/event", s.url))
            .header("Authorization", "Splunk own-rate-0123456789")
            .send(batch.as_bytes())
            .expect("hec");
        assert_eq!(r.status().as_u16(), 200, "its own rate wins");
    }
    assert_eq!(s.metric("loupe_limit_token_events_per_second"), 5.0);
    assert!(metrics(&s).contains("loupe_limit_max_concurrent_searches 4"));

    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("loupe.toml");
    std::fs::write(
        &path,
        format!(
            "data_dir = {:?}\n[limits]\nsearches_per_user = 3\nlogin_failures_per_adress = 3\n",
            dir.path().join("data")
        ),
    )
    .expect("write");
    let out = Command::new(bin("loupe"))
        .args(["serve", "--config", path.to_str().expect("utf-8")])
        .output()
        .expect("run loupe");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains("login_failures_per_adress") && err.contains("line 4"),
        "{err}"
    );
}
