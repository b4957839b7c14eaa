//! The console as people get it: served by `loupe serve` itself (CSP, ETags, gzip) and driven
//! in a real browser (Debian's chromium through playwright-core, `web/tests/console.mjs`).

use loupe_e2e::{
    bin, browser, forwarder_config, forwarder_once, import_into, load_app, load_batch_world,
    load_web, run_web_script, shared_data, Server, TOKEN,
};
use std::path::Path;

/// The translation table has every key in both languages (a node script, no browser).
#[test]
fn every_console_string_is_in_english_and_french() {
    run_web_script("tests/i18n.mjs", &[], None);
}

/// What the bundled dashboards read: the batch world with its inventory, the portal's logs,
/// SSH logins as `linux_secure`, a forwarder's own `_internal` counters, a scheduled run in
/// `_scheduler`; then the bundled dashboards applied as files.
fn load_dashboard_world(s: &Server) {
    load_app(s);
    load_batch_world(s);
    let ssh = shared_data().join("loghub/OpenSSH/OpenSSH_2k.log");
    import_into(
        s,
        &[
            "--index",
            "main",
            "--sourcetype",
            "linux_secure",
            "--host",
            "bastion-1",
            &ssh.to_string_lossy(),
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    std::fs::write(&log, "forwarded line one\nforwarded line two\n").unwrap();
    let config = forwarder_config(
        dir.path(),
        &[&s.url],
        &format!(
            "[[input]]\npath = {:?}\nindex = \"main\"\n",
            log.to_string_lossy()
        ),
    );
    let (code, err) = forwarder_once(&config, 60);
    assert_eq!(code, 0, "{err}");
    let (status, _) = s.api(
        "POST",
        "/api/v1/saved-searches",
        Some(&serde_json::json!({"name": "probe", "query": "index=web | stats count"})),
    );
    assert_eq!(status, 201);
    let (status, run) = s.api(
        "POST",
        "/api/v1/saved-searches/probe/run?trigger_actions=true",
        None,
    );
    assert_eq!(status, 200, "{run}");
    // One directory, as `make demo` does: an apply removes the managed objects it no longer holds.
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/examples");
    let config = dir.path().join("config");
    std::fs::create_dir_all(&config).unwrap();
    let status = std::process::Command::new("cp")
        .arg("-r")
        .arg(examples.join("batch-supervision/."))
        .arg(examples.join("monitoring/."))
        .arg(&config)
        .status()
        .expect("cp");
    assert!(status.success());
    let out = std::process::Command::new(bin("loupe"))
        .args(["apply", "--url", &s.url, "--token", TOKEN])
        .arg(&config)
        .output()
        .expect("run loupe apply");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    s.flush();
}

#[test]
fn the_console_is_served_with_its_security_headers_and_cache_validators() {
    let s = Server::start("");
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut r = agent
        .get(&format!("{}/search?q=error", s.url))
        .call()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let header = |r: &ureq::http::Response<ureq::Body>, k: &str| {
        r.headers()
            .get(k)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    };
    assert!(header(&r, "content-type").starts_with("text/html"));
    let csp = header(&r, "content-security-policy");
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-eval"),
        "{csp}"
    );
    assert_eq!(header(&r, "x-content-type-options"), "nosniff");
    let etag = header(&r, "etag");
    let html = r.body_mut().read_to_string().unwrap();
    let script = html
        .split("src=\"")
        .nth(1)
        .and_then(|x| x.split('"').next())
        .expect("a script in the page")
        .to_string();
    assert!(script.starts_with("/assets/"), "{script}");
    // Revalidation: the same ETag gives 304.
    let r = agent
        .get(&format!("{}/", s.url))
        .header("If-None-Match", &etag)
        .call()
        .unwrap();
    assert_eq!(r.status().as_u16(), 304);
    // The bundle: cached for good, compressed when asked.
    // (curl shows the headers as sent: the HTTP client here inflates gzip by itself.)
    let out = std::process::Command::new("curl")
        .args([
            "-s",
            "-o",
            "/dev/null",
            "-D",
            "-",
            "-H",
            "Accept-Encoding: gzip",
        ])
        .arg(format!("{}{script}", s.url))
        .output()
        .expect("curl");
    let head = String::from_utf8_lossy(&out.stdout).to_lowercase();
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(
        head.contains("cache-control: public, max-age=31536000, immutable"),
        "{head}"
    );
    assert!(head.contains("content-encoding: gzip"), "{head}");
    let r = agent
        .get(&format!("{}/assets/nope.js", s.url))
        .call()
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
}

#[test]
fn the_search_page_works_in_a_real_browser() {
    let Some(browser) = browser() else {
        return;
    };
    let s = Server::start("");
    load_web(&s);
    load_dashboard_world(&s);
    let (status, _) = s.hec(
        "/services/collector/event",
        br#"{"event":"xssprobe <img src=x onerror=alert(1)>","index":"web"}"#,
        &[],
    );
    assert_eq!(status, 200);
    // Show context: one stream of ten lines around an error (one of them hostile), and another
    // host's lines interleaved with them, which the context must leave out.
    let mut body = String::new();
    for i in 0..10 {
        let line = match i {
            3 => "ctx-a line 3 <img src=x onerror=alert(3)>".to_string(),
            5 => "ctx-a line 5 ctxerror disk full".to_string(),
            _ => format!("ctx-a line {i}"),
        };
        for (host, raw, offset) in [
            ("ctx-a", line, 0.0),
            ("ctx-b", format!("ctx-b line {i}"), 0.5),
        ] {
            body.push_str(
                &serde_json::json!({"time": 1_767_225_600.0 + f64::from(i) + offset, "host": host,
                    "source": "/var/log/ctx.log", "index": "main", "event": raw})
                .to_string(),
            );
        }
    }
    let (status, _) = s.hec("/services/collector/event", body.as_bytes(), &[]);
    assert_eq!(status, 200);
    s.flush();
    run_web_script("tests/console.mjs", &[&s.url, TOKEN], Some(&browser));
}

/// The roles page (`/roles`) in a real browser, `web/tests/roles.mjs`: an admin lists every
/// role with its origin and holders, makes one through the form (a bad row filter refused in
/// the form), changes its row filter, is refused the deletion of a role a user holds (the 409
/// shown) and deletes one nobody holds; a user of role `user` is not offered the page and the
/// API refuses them. Then the server holds what the browser did.
#[test]
fn the_roles_page_manages_api_roles_in_a_real_browser() {
    let Some(browser) = browser() else {
        return;
    };
    let s = Server::start(
        "[roles.helpdesk]\nindexes_allowed = [\"sante\"]\nmask = [\"fr_nir\"]\ncapabilities = [\"search\"]\n",
    );
    let (status, a) = s.api(
        "POST",
        "/api/v1/roles",
        Some(
            &serde_json::json!({"name": "ward3", "indexes_allowed": ["sante"],
            "search_filter": "ward=3 OR note=\"<b>bold</b>\"", "capabilities": ["search"]}),
        ),
    );
    assert_eq!(status, 201, "{a}");
    let password = "a long enough password";
    for (name, role) in [("ada", "admin"), ("bob", "user"), ("nina", "ward3")] {
        s.cli(
            &["user", "add", name, "--role", role, "--password-stdin"],
            Some(&format!("{password}\n")),
        );
    }
    run_web_script(
        "tests/roles.mjs",
        &[&s.url, "ada", "bob", password],
        Some(&browser),
    );
    // What the page did is what the server holds: triage made, changed and deleted by ada,
    // ward3 still there (held by nina, and refused to bob).
    let (status, _) = s.api("GET", "/api/v1/roles/triage", None);
    assert_eq!(status, 404);
    let (status, ward3) = s.api("GET", "/api/v1/roles/ward3", None);
    assert_eq!(status, 200, "{ward3}");
    assert_eq!(ward3["users"], serde_json::json!(["nina"]), "{ward3}");
    let events = s.audit_events("index=_audit object=triage action=role_*");
    let update = events
        .iter()
        .find(|e| e["action"] == "role_update")
        .unwrap_or_else(|| panic!("no role_update of triage: {events:?}"));
    assert_eq!(update["user"], "ada", "{update}");
    assert_eq!(update["before"]["search_filter"], "ward=5", "{update}");
    assert_eq!(
        update["after"]["search_filter"], "ward=6 OR ward=7",
        "{update}"
    );
    assert_eq!(
        update["after"]["mask"],
        serde_json::json!(["fr_nir"]),
        "{update}"
    );
    for action in ["role_create", "role_delete"] {
        assert!(
            events.iter().any(|e| e["action"] == action),
            "{action}: {events:?}"
        );
    }
}
