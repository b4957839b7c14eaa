//! The audit trail watched, end to end, with the bundled objects of `docs/examples/security`:
//! the server's chain check writes a broken chain to `_internal` and the bundled alert
//! *Audit chain broken* fires on it — after a forged `_audit` event (written with the files,
//! found at start) and after an erasure of `_audit` (found at once); an intact chain fires
//! nothing. The DPO dashboard loads and each panel's search answers what the audit events hold.

use loupe_e2e::{bin, wait_until, Server, TOKEN};
use std::path::Path;
use std::process::Command;

const ALERT: &str = "/api/v1/saved-searches/Audit%20chain%20broken/run?trigger_actions=true";

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

/// `loupe apply` of the bundled security objects through the server.
fn apply_security(s: &Server) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/examples/security");
    let (code, out, err) = loupe(&[
        "apply",
        "--url",
        &s.url,
        "--token",
        TOKEN,
        dir.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("Audit chain broken"), "{out}");
    assert!(out.contains("dpo"), "{out}");
}

/// Waits for the chain check to have written a broken chain to `_internal`; its `first_bad`.
fn broken_event(s: &Server) -> u64 {
    let mut first_bad = 0;
    wait_until(60, "the chain check records the broken chain", || {
        let (_, r) = s.search(
            "index=_internal component=audit audit_chain=broken | head 1 | table first_bad",
            1,
        );
        first_bad = r["rows"][0]["first_bad"].as_u64().unwrap_or(0);
        first_bad > 0
    });
    first_bad
}

#[test]
fn a_forged_audit_event_fires_the_bundled_alert() {
    let mut s = Server::start("");
    apply_security(&s);
    assert_eq!(s.count("index=main"), 0);
    // Intact: the alert finds nothing.
    let (status, run) = s.api("POST", ALERT, None);
    assert_eq!(status, 200, "{run}");
    assert_eq!(run["fired"], false, "{run}");
    assert!(s.terminate().success());

    // Someone holding the files adds a doctored copy of event 1 to `_audit`.
    let dir = s.data_dir();
    let dir = dir.to_str().expect("utf-8");
    let (code, first, err) = loupe(&[
        "search",
        "--data-dir",
        dir,
        "--output",
        "json",
        "index=_audit seq=1 | table _raw",
    ]);
    assert_eq!(code, 0, "{err}");
    let row: serde_json::Value =
        serde_json::from_str(first.lines().next().expect("a row")).expect("json row");
    let mut forged: serde_json::Value =
        serde_json::from_str(row["_raw"].as_str().expect("_raw")).expect("audit JSON");
    forged["user"] = serde_json::json!("someone else");
    let file = s.dir.path().join("forged.json");
    let envelope =
        serde_json::json!({"index": "_audit", "sourcetype": "_json", "event": forged.to_string()});
    std::fs::write(&file, envelope.to_string()).expect("write");
    let (code, out, err) = loupe(&[
        "import",
        "--data-dir",
        dir,
        "--index",
        "_audit",
        "--format",
        "hec",
        file.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, 0, "{out}{err}");

    // The check at start finds it; the bundled alert fires on it.
    s.restart();
    assert_eq!(broken_event(&s), 1);
    let (status, run) = s.api("POST", ALERT, None);
    assert_eq!(status, 200, "{run}");
    assert_eq!(run["fired"], true, "{run}");
    let (_, fired) = s.api("GET", "/api/v1/alerts/fired", None);
    assert!(fired.to_string().contains("Audit chain broken"), "{fired}");
}

#[test]
fn erasing_from_the_audit_trail_fires_the_bundled_alert() {
    let s = Server::start("");
    apply_security(&s);
    for q in ["index=main one", "index=main two", "index=main three"] {
        let (status, r) = s.search(q, 1);
        assert_eq!(status, 200, "{r}");
    }
    let (status, r) = s.api(
        "POST",
        "/api/v1/erase",
        Some(&serde_json::json!({"index": "_audit", "query": "seq=2", "confirm": true})),
    );
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["erased"], 1, "{r}");
    // Checked at once, not at the next interval (10 minutes by default).
    assert_eq!(broken_event(&s), 2);
    let (_, run) = s.api("POST", ALERT, None);
    assert_eq!(run["fired"], true, "{run}");
}

/// The panels of a dashboard with `$user$` as `*`: (title, query).
fn panels(s: &Server, id: &str) -> Vec<(String, String)> {
    let (status, d) = s.api("GET", &format!("/api/v1/dashboards/{id}"), None);
    assert_eq!(status, 200, "{d}");
    d["panels"]
        .as_array()
        .expect("panels")
        .iter()
        .map(|p| {
            (
                p["title"].as_str().unwrap_or("").to_string(),
                p["query"].as_str().unwrap_or("").replace("$user$", "*"),
            )
        })
        .collect()
}

#[test]
fn the_dpo_dashboard_shows_who_searched_what() {
    let s = Server::start("[indexes.sante]\n");
    let config = s.dir.path().join("loupe.toml");
    let config = config.to_str().expect("utf-8");
    let (code, out, err) = loupe(&["user", "add", "ana", "--role", "user", "--config", config]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = loupe(&["token", "create", "--user", "ana", "--config", config]);
    assert_eq!(code, 0, "{out}{err}");
    let ana = out.trim().to_string();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let body = serde_json::json!({"index": "sante", "event": "patient 4711 admitted"});
    let (status, _) = s.hec(
        "/services/collector/event",
        body.to_string().as_bytes(),
        &[],
    );
    assert_eq!(status, 200);
    s.flush();
    // Ana searches twice, fails to log in once; the admin token exports once and erases.
    for q in [
        "index=sante patient 4711",
        "index=sante admitted | stats count",
    ] {
        let r = agent
            .post(&format!("{}/api/v1/search", s.url))
            .header("Authorization", &format!("Bearer {ana}"))
            .send_json(serde_json::json!({"query": q}))
            .expect("search");
        assert_eq!(r.status().as_u16(), 200);
    }
    let r = agent
        .post(&format!("{}/api/v1/login", s.url))
        .send_json(serde_json::json!({"user": "ana", "password": "not her password"}))
        .expect("login");
    assert_eq!(r.status().as_u16(), 401);
    let r = agent
        .get(&format!(
            "{}/api/v1/export?query=index%3Dsante&output=ndjson",
            s.url
        ))
        .header("Authorization", &format!("Bearer {TOKEN}"))
        .call()
        .expect("export");
    let mut r = r;
    assert_eq!(r.status().as_u16(), 200);
    assert!(r
        .body_mut()
        .read_to_string()
        .expect("export body")
        .contains("4711"));
    // The export is audited once its stream has ended.
    wait_until(30, "the export is audited", || {
        s.count("index=_audit action=export") == 1
    });
    let (status, r) = s.api(
        "POST",
        "/api/v1/erase",
        Some(&serde_json::json!({"index": "sante", "query": "4711", "confirm": true})),
    );
    assert_eq!(status, 200, "{r}");
    apply_security(&s);
    s.flush();

    let mut answers = std::collections::BTreeMap::new();
    for (title, query) in panels(&s, "dpo") {
        let body = serde_json::json!({"query": query, "earliest": "-30d@d", "limit": 1000});
        let (status, r, _) = s.search_with(TOKEN, &body);
        assert_eq!(status, 200, "{title}: {query}: {r}");
        answers.insert(title, r["rows"].clone());
    }
    assert_eq!(answers.len(), 12, "{:?}", answers.keys());
    let single = |t: &str| answers[t][0]["count"].as_u64().unwrap_or(0);
    assert!(single("Searches") >= 3, "{}", answers["Searches"]);
    assert_eq!(single("Exports"), 1, "{}", answers["Exports"]);
    assert_eq!(single("Failed logins"), 1, "{}", answers["Failed logins"]);
    assert_eq!(single("Erasures"), 1, "{}", answers["Erasures"]);
    let rows = |t: &str| answers[t].as_array().cloned().unwrap_or_default();
    let failed = rows("Failed logins by user");
    assert!(
        failed
            .iter()
            .any(|r| r["user"] == "ana" && r["action"] == "login_failed" && r["count"] == 1),
        "{failed:?}"
    );
    let who = rows("Who searched what");
    assert!(
        who.iter().any(|r| r["user"] == "ana"
            && r["query"] == "index=sante patient 4711"
            && r["role"] == "user"),
        "{who:?}"
    );
    let exports = rows("Who exported what");
    assert!(
        exports
            .iter()
            .any(|r| r["user"] == "test" && r["query"] == "index=sante"),
        "{exports:?}"
    );
    let erasures = rows("Erasures: query and count");
    assert!(
        erasures
            .iter()
            .any(|r| r["action"] == "erase" && r["erased_index"] == "sante" && r["erased"] == 1),
        "{erasures:?}"
    );
    let per_day = rows("Per user and day");
    assert!(
        per_day
            .iter()
            .any(|r| r["user"] == "ana" && r["searches"] == 2 && r["distinct_queries"] == 2),
        "{per_day:?}"
    );
    let activity = rows("Activity per user");
    assert!(
        activity
            .iter()
            .any(|r| r["user"] == "ana" && r["action"] == "search" && r["count"] == 2),
        "{activity:?}"
    );
    let daily = rows("Searches per user per day");
    assert!(
        daily.iter().any(|r| r["ana"].as_u64() == Some(2)),
        "{daily:?}"
    );
}

/// `loupe ARGS` with `stdin` on its standard input.
fn loupe_stdin(args: &[&str], stdin: &str) -> (i32, String, String) {
    use std::io::Write;
    let mut child = Command::new(bin("loupe"))
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run loupe");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    let out = child.wait_with_output().expect("wait loupe");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn command_line_user_changes_are_audited_like_the_servers() {
    let mut s = Server::start("");
    let config = s.dir.path().join("loupe.toml");
    let config = config.to_str().expect("utf-8").to_string();
    // While the server holds the data dir: queued, then sealed by the server.
    let (code, out, err) = loupe(&["user", "add", "bob", "--role", "user", "--config", &config]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, token, err) = loupe(&["token", "create", "--user", "bob", "--config", &config]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = loupe_stdin(
        &["user", "passwd", "bob", "--config", &config],
        "a long enough password\n",
    );
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = loupe(&["user", "del", "bob", "--config", &config]);
    assert_eq!(code, 0, "{out}{err}");
    let query = "index=_audit object=bob (action=user_add OR action=token_create OR action=user_passwd OR action=user_del)";
    wait_until(60, "the server seals the command line's events", || {
        s.count(query) == 4
    });
    let (_, r) = s.search(
        &format!("{query} | sort seq | table action user object after.role before.role"),
        10,
    );
    let rows = r["rows"].as_array().cloned().unwrap_or_default();
    let actions: Vec<&str> = rows.iter().filter_map(|r| r["action"].as_str()).collect();
    assert_eq!(
        actions,
        ["user_add", "token_create", "user_passwd", "user_del"],
        "{r}"
    );
    assert!(
        rows.iter()
            .all(|r| r["user"].as_str().is_some_and(|u| u.starts_with("cli:"))),
        "{r}"
    );
    assert_eq!(rows[0]["after.role"], "user", "{r}");
    assert_eq!(rows[3]["before.role"], "user", "{r}");
    // The secret is never in the trail.
    let (_, all) = s.search("index=_audit | table _raw", 100);
    assert!(!all.to_string().contains(token.trim()), "{all}");

    // Without a server: sealed at once by the command itself, the chain continued.
    assert!(s.terminate().success());
    let dir = s.data_dir();
    let dir = dir.to_str().expect("utf-8");
    let (code, out, err) = loupe(&["user", "add", "carol", "--role", "user", "--data-dir", dir]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = loupe(&[
        "search",
        "--data-dir",
        dir,
        "--output",
        "json",
        "index=_audit action=user_add object=carol | table user object",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("\"object\":\"carol\""), "{out}");
    let (code, out, err) = loupe(&["audit", "verify", "--data-dir", dir]);
    assert_eq!(code, 0, "{out}{err}");
    s.restart();
    assert_eq!(s.count("index=_audit action=user_add object=carol"), 1);
}
