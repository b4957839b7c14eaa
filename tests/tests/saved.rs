//! Saved searches through a real `loupe serve`: checked when saved, kept in SQLite across a
//! `kill -9`, run on demand, listed and switched by the command line.

use loupe_e2e::{bin, load_web, wait_until, Server, TOKEN};
use serde_json::json;

fn saved(name: &str, query: &str) -> serde_json::Value {
    json!({"name": name, "query": query, "cron": "*/5 * * * *", "timezone": "Europe/Paris"})
}

#[test]
fn saved_searches_are_checked_kept_and_run() {
    let mut s = Server::start("");
    load_web(&s);
    s.flush();
    let (status, a) = s.api(
        "POST",
        "/api/v1/saved-searches",
        Some(&saved("5xx", "index=web status>=500 | stats count by host")),
    );
    assert_eq!(status, 201, "{a}");
    assert_eq!(a["warnings"], json!([]));
    // Refused with the parser's message and column, or the planner's.
    let (status, a) = s.api(
        "POST",
        "/api/v1/saved-searches",
        Some(&saved("bad", "index=web | head abc")),
    );
    assert_eq!(status, 400, "{a}");
    assert_eq!(a["column"], 18, "{a}");
    let (status, a) = s.api(
        "POST",
        "/api/v1/saved-searches",
        Some(&saved("bad", "index=web | nosuchcommand x")),
    );
    assert_eq!(status, 400, "{a}");
    assert!(
        a["error"].as_str().unwrap().contains("nosuchcommand"),
        "{a}"
    );
    for (key, value) in [
        ("cron", "every day"),
        ("timezone", "Mars/Olympus"),
        ("earliest", "-3 fortnights"),
    ] {
        let mut body = saved("bad", "*");
        body[key] = json!(value);
        let (status, a) = s.api("POST", "/api/v1/saved-searches", Some(&body));
        assert_eq!(status, 400, "{key}: {a}");
    }
    let (status, a) = s.api(
        "POST",
        "/api/v1/saved-searches",
        Some(&json!({"name": "x", "query": "*", "cronn": "* * * * *"})),
    );
    assert_eq!(status, 400, "{a}");
    // What does not exist yet is a warning.
    let (status, a) = s.api(
        "POST",
        "/api/v1/saved-searches",
        Some(&saved(
            "later",
            "index=web | lookup nosuch.csv host OUTPUT owner",
        )),
    );
    assert_eq!(status, 201, "{a}");
    assert!(a["warnings"][0].as_str().unwrap().contains("nosuch"), "{a}");
    let (status, a) = s.api("POST", "/api/v1/saved-searches", Some(&saved("5xx", "*")));
    assert_eq!(status, 409, "{a}");
    // Kept across kill -9.
    s.kill9();
    s.restart();
    let (_, list) = s.api("GET", "/api/v1/saved-searches", None);
    let names: Vec<&str> = list["saved_searches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["5xx", "later"], "{list}");
    // Run on demand: a job with its results.
    let (status, a) = s.api("POST", "/api/v1/saved-searches/5xx/run", None);
    assert_eq!(status, 201, "{a}");
    let sid = a["sid"].as_str().unwrap().to_string();
    wait_until(60, "the run ends", || {
        s.api("GET", &format!("/api/v1/jobs/{sid}"), None).1["state"] == "done"
    });
    let (_, r) = s.api("GET", &format!("/api/v1/jobs/{sid}/results"), None);
    assert!(!r["rows"].as_array().unwrap().is_empty(), "{r}");
    // Update, then delete.
    let mut body = saved("5xx", "index=web status>=500 | stats count by host");
    body["description"] = json!("server errors per host");
    let (status, a) = s.api("PUT", "/api/v1/saved-searches/5xx", Some(&body));
    assert_eq!(status, 200, "{a}");
    let (_, a) = s.api("GET", "/api/v1/saved-searches/5xx", None);
    assert_eq!(a["description"], "server errors per host");
    let (status, _) = s.api("DELETE", "/api/v1/saved-searches/later", None);
    assert_eq!(status, 204);
    let (status, _) = s.api("GET", "/api/v1/saved-searches/later", None);
    assert_eq!(status, 404);
    // The command line lists and switches them.
    let loupe = |args: &[&str]| {
        let out = std::process::Command::new(bin("loupe"))
            .args(["saved", "--url", &s.url, "--token", TOKEN])
            .args(args)
            .output()
            .expect("loupe saved");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    assert!(loupe(&["list"]).contains("5xx"));
    loupe(&["disable", "5xx"]);
    assert_eq!(
        s.api("GET", "/api/v1/saved-searches/5xx", None).1["enabled"],
        false
    );
    loupe(&["enable", "5xx"]);
    assert_eq!(
        s.api("GET", "/api/v1/saved-searches/5xx", None).1["enabled"],
        true
    );
    assert!(loupe(&["run", "5xx"]).contains("count"));
}

/// A search every 3 s, `catch_up = run_missed`, and the server killed (`kill -9`) between
/// two runs and kept down across two scheduled times: after the restart every scheduled
/// time has run exactly once — none twice, none lost — as the `_scheduler` events show.
#[test]
fn a_restart_in_the_middle_of_a_schedule_runs_each_time_once() {
    let mut s = Server::start("");
    let (status, a) = s.api(
        "POST",
        "/api/v1/saved-searches",
        Some(&json!({"name": "tick", "query": "| makeresults | eval n=1",
                     "cron": "*/3 * * * * *", "catch_up": "run_missed"})),
    );
    assert_eq!(status, 201, "{a}");
    let runs = |s: &Server| {
        s.flush();
        let (status, a) = s.search(
            "index=_scheduler search_name=tick status=success | stats count, dc(_time) as d, min(_time) as lo, max(_time) as hi",
            1,
        );
        assert_eq!(status, 200, "{a}");
        let r = &a["rows"][0];
        let n = |k: &str| r[k].as_f64().unwrap_or(0.0);
        (n("count") as u64, n("d") as u64, n("lo"), n("hi"))
    };
    wait_until(60, "a first scheduled run", || runs(&s).0 >= 1);
    s.kill9();
    let down = std::time::Instant::now();
    let killed_at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    // Down across at least two scheduled times.
    wait_until(30, "seven seconds of downtime", || {
        down.elapsed() >= std::time::Duration::from_secs(7)
    });
    s.restart();
    wait_until(60, "runs after the restart", || {
        runs(&s).3 >= killed_at + 6.0
    });
    let (count, distinct, lo, hi) = runs(&s);
    assert_eq!(count, distinct, "a scheduled time ran twice");
    assert_eq!(
        count,
        ((hi - lo) / 3.0).round() as u64 + 1,
        "a scheduled time between {lo} and {hi} was lost ({count} runs)"
    );
}
