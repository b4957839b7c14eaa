//! Dashboards over real HTTP and as files: CRUD with every panel's search checked on save (a
//! broken one refused naming its panel), managed dashboards refusing edits (409 naming the
//! file), `apply` → `export` → `apply` a no-op, and `loupe dashboard import|export`.

use loupe_e2e::{bin, load_batch_world, wait_until, Server, TOKEN};
use std::path::Path;

fn loupe(s: &Server, args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(bin("loupe"))
        .args(args)
        .args(["--url", &s.url, "--token", TOKEN])
        .output()
        .expect("run loupe");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

/// `loupe dashboard --url … --token … ARGS` (the connection is the `dashboard` command's).
fn dashboard_cmd(s: &Server, args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(bin("loupe"))
        .args(["dashboard", "--url", &s.url, "--token", TOKEN])
        .args(args)
        .output()
        .expect("run loupe dashboard");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

fn board(id: &str, query: &str) -> serde_json::Value {
    serde_json::json!({
        "id": id, "title": "Web errors",
        "inputs": [{"token": "time", "type": "time", "earliest": "-24h@h", "latest": "now"},
                   {"token": "host", "type": "dropdown", "default": "*"}],
        "searches": {"web": {"query": "index=web host=$host$"}},
        "panels": [
            {"title": "Errors", "type": "single", "base": "web", "query": "| stats count"},
            {"title": "By status", "type": "table", "query": query,
             "drilldown": {"search": "index=web status=$row.status$"}}
        ]
    })
}

#[test]
fn dashboards_crud_checks_every_panel_search_on_save() {
    let s = Server::start("");
    let (status, created) = s.api(
        "POST",
        "/api/v1/dashboards",
        Some(&board("web", "index=web | stats count by status")),
    );
    assert_eq!(status, 201, "{created}");
    let (status, again) = s.api(
        "POST",
        "/api/v1/dashboards",
        Some(&board("web", "index=web")),
    );
    assert_eq!(status, 409, "the id is taken: {again}");
    let (_, got) = s.api("GET", "/api/v1/dashboards/web", None);
    assert_eq!(
        got["panels"][1]["drilldown"]["search"],
        "index=web status=$row.status$"
    );
    assert!(got.get("managed_by").is_none(), "{got}");
    // A broken panel search: 400 with the parser's message, naming the panel it is in.
    let (status, bad) = s.api(
        "PUT",
        "/api/v1/dashboards/web",
        Some(&board("web", "index=web | head abc")),
    );
    assert_eq!(status, 400, "{bad}");
    let msg = bad["error"].as_str().unwrap();
    assert!(
        msg.starts_with("panel 2 (\"By status\"): expected a number after head"),
        "{msg}"
    );
    assert_eq!(bad["panel"], 1);
    assert_eq!(
        bad["span"]["start"], 17,
        "the span is in the panel's own query: {bad}"
    );
    // A post-process search on a base is checked joined to it.
    let mut post = board("web", "index=web");
    post["panels"][0]["query"] = "| stats count by".into();
    let (status, bad) = s.api("PUT", "/api/v1/dashboards/web", Some(&post));
    assert_eq!(status, 400, "{bad}");
    assert!(
        bad["error"]
            .as_str()
            .unwrap()
            .starts_with("panel 1 (\"Errors\")"),
        "{bad}"
    );
    // The model's own rules, and unknown keys.
    let mut nobase = board("web", "index=web");
    nobase["panels"][0]["base"] = "nope".into();
    let (status, bad) = s.api("PUT", "/api/v1/dashboards/web", Some(&nobase));
    assert_eq!(status, 400);
    assert!(
        bad["error"]
            .as_str()
            .unwrap()
            .contains("no base search named \"nope\""),
        "{bad}"
    );
    let mut typo = board("web", "index=web");
    typo["panels"][0]["qeury"] = "x".into();
    let (status, bad) = s.api("PUT", "/api/v1/dashboards/web", Some(&typo));
    assert_eq!(status, 400);
    assert!(bad["error"].as_str().unwrap().contains("qeury"), "{bad}");
    // Nothing refused was kept; a good update is, and a new id renames.
    let (_, got) = s.api("GET", "/api/v1/dashboards/web", None);
    assert_eq!(
        got["panels"][1]["query"],
        "index=web | stats count by status"
    );
    let (status, _) = s.api(
        "PUT",
        "/api/v1/dashboards/web",
        Some(&board("web-2", "index=web | stats count by host")),
    );
    assert_eq!(status, 200);
    let (status, _) = s.api("GET", "/api/v1/dashboards/web", None);
    assert_eq!(status, 404);
    let (_, list) = s.api("GET", "/api/v1/dashboards", None);
    let ids: Vec<_> = list["dashboards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, ["web-2"]);
    let (status, _) = s.api("DELETE", "/api/v1/dashboards/web-2", None);
    assert_eq!(status, 204);
    let (status, _) = s.api("DELETE", "/api/v1/dashboards/web-2", None);
    assert_eq!(status, 404);
    // The command line: import creates then replaces, export gives the file back.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("web.json");
    std::fs::write(
        &file,
        board("cli", "index=web | stats count by status").to_string(),
    )
    .unwrap();
    let (code, out, err) = dashboard_cmd(&s, &["import", &file.to_string_lossy()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("created dashboard \"cli\""), "{out}");
    let (code, out, _) = dashboard_cmd(&s, &["import", &file.to_string_lossy()]);
    assert_eq!(code, 0);
    assert!(out.contains("updated dashboard \"cli\""), "{out}");
    let (code, exported, err) = dashboard_cmd(&s, &["export", "cli"]);
    assert_eq!(code, 0, "{err}");
    let back: serde_json::Value = serde_json::from_str(&exported).unwrap();
    assert_eq!(
        back["panels"],
        board("cli", "index=web | stats count by status")["panels"]
    );
    std::fs::write(&file, board("cli", "index=web | head abc").to_string()).unwrap();
    let (code, _, err) = dashboard_cmd(&s, &["import", &file.to_string_lossy()]);
    assert_eq!(code, 1);
    assert!(err.contains("expected a number after head"), "{err}");
}

/// Starts a job and waits for its end; its sid.
fn finished_job(s: &Server, body: serde_json::Value) -> String {
    let (status, job) = s.api("POST", "/api/v1/jobs", Some(&body));
    assert_eq!(status, 201, "{job}");
    let sid = job["sid"].as_str().unwrap().to_string();
    wait_until(30, "the job ends", || {
        s.api("GET", &format!("/api/v1/jobs/{sid}"), None).1["state"] == "done"
    });
    sid
}

fn rows(page: &serde_json::Value) -> Vec<serde_json::Value> {
    let mut r = page["rows"].as_array().cloned().unwrap_or_default();
    r.sort_by_key(|x| x.to_string());
    r
}

#[test]
fn panels_post_process_the_answer_of_one_base_search() {
    let s = Server::start("");
    load_batch_world(&s);
    s.flush();
    let now = "2026-03-13T12:00:00+01:00";
    let base = "index=batchs ERROR | lookup batchs.csv chemin_logs AS source OUTPUT nom_du_batch AS batch client";
    let post = "| stats count AS erreurs BY client batch";
    // A transforming post-process over a streaming base: what the whole search gives.
    let b = finished_job(
        &s,
        serde_json::json!({"query": base, "earliest": "-7d@d", "now": now, "max_count": 50000}),
    );
    let (status, shared) = s.api(
        "POST",
        &format!("/api/v1/jobs/{b}/postprocess"),
        Some(&serde_json::json!({ "query": post })),
    );
    assert_eq!(status, 200, "{shared}");
    let whole = finished_job(
        &s,
        serde_json::json!({"query": format!("{base} {post}"), "earliest": "-7d@d", "now": now}),
    );
    let (_, alone) = s.api("GET", &format!("/api/v1/jobs/{whole}/results"), None);
    assert_eq!(rows(&shared), rows(&alone));
    assert_eq!(shared["total"], 6, "{shared}");
    // Over an event search: the events' search-time fields (`status` of the batch lines).
    let e = finished_job(
        &s,
        serde_json::json!({"query": "index=batchs", "max_count": 50000}),
    );
    let (_, shared) = s.api(
        "POST",
        &format!("/api/v1/jobs/{e}/postprocess"),
        Some(&serde_json::json!({"query": "stats count by status"})),
    );
    let (_, alone) = s.search("index=batchs | stats count by status", 100);
    assert_eq!(rows(&shared), rows(&alone), "{shared}");
    assert!(shared["total"].as_u64().unwrap() >= 2, "{shared}");
    // The query's fault is a 400 at its place in the post-process text.
    let (status, bad) = s.api(
        "POST",
        &format!("/api/v1/jobs/{e}/postprocess"),
        Some(&serde_json::json!({"query": "| head abc"})),
    );
    assert_eq!(status, 400, "{bad}");
    assert_eq!(bad["span"]["start"], 7, "{bad}");
    // An answer cut at the job's cap is never post-processed: 409, the panel runs alone.
    let cut = finished_job(
        &s,
        serde_json::json!({"query": "index=batchs", "max_count": 10}),
    );
    let (status, r) = s.api(
        "POST",
        &format!("/api/v1/jobs/{cut}/postprocess"),
        Some(&serde_json::json!({"query": "| stats count"})),
    );
    assert_eq!(status, 409, "{r}");
    assert!(
        r["error"].as_str().unwrap().contains("cut at 10 rows"),
        "{r}"
    );
    let (status, _) = s.api(
        "POST",
        "/api/v1/jobs/nope/postprocess",
        Some(&serde_json::json!({"query": "| stats count"})),
    );
    assert_eq!(status, 404);
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.path().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

#[test]
fn bundled_dashboards_apply_export_apply_as_a_no_op_and_stay_read_only() {
    let s = Server::start("");
    load_batch_world(&s);
    s.flush();
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/examples");
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("config");
    copy_dir(&examples.join("batch-supervision"), &dir);
    copy_dir(&examples.join("monitoring"), &dir);
    let dir_s = dir.to_string_lossy().to_string();
    let (code, out, err) = loupe(&s, &["apply", &dir_s]);
    assert_eq!(code, 0, "{out}{err}");
    for id in ["batch-jobs", "ssh-security", "patient-portal", "loupe"] {
        assert!(
            out.contains(&format!("+ create dashboard {id:?}")),
            "{id}: {out}"
        );
    }
    // A job seen as of a past instant: relative times count from `now` (how the batch
    // dashboard is shown on the March 2026 samples).
    let errors_24h = |now: Option<&str>| -> u64 {
        let mut body =
            serde_json::json!({"query": "index=batchs ERROR | stats count", "earliest": "-24h"});
        if let Some(n) = now {
            body["now"] = n.into();
        }
        let (status, job) = s.api("POST", "/api/v1/jobs", Some(&body));
        assert_eq!(status, 201, "{job}");
        let sid = job["sid"].as_str().unwrap().to_string();
        wait_until(30, "the job ends", || {
            s.api("GET", &format!("/api/v1/jobs/{sid}"), None).1["state"] == "done"
        });
        let (_, page) = s.api("GET", &format!("/api/v1/jobs/{sid}/results"), None);
        page["rows"][0]["count"].as_u64().unwrap_or(0)
    };
    assert_eq!(errors_24h(Some("2026-03-13T12:00:00+01:00")), 4);
    assert_eq!(errors_24h(None), 0, "the samples are of March 2026");
    let (status, bad) = s.api(
        "POST",
        "/api/v1/jobs",
        Some(&serde_json::json!({"query": "index=batchs", "now": "yesterday-ish"})),
    );
    assert_eq!(status, 400, "{bad}");
    // Managed: the API refuses to change or delete it, naming the file.
    let (_, d) = s.api("GET", "/api/v1/dashboards/batch-jobs", None);
    assert_eq!(d["managed_by"], "dashboards/batch-jobs.json", "{d}");
    let mut body = d.clone();
    body.as_object_mut().unwrap().remove("managed_by");
    let (status, r) = s.api("PUT", "/api/v1/dashboards/batch-jobs", Some(&body));
    assert_eq!(status, 409, "{r}");
    assert!(
        r["error"]
            .as_str()
            .unwrap()
            .contains("dashboards/batch-jobs.json"),
        "{r}"
    );
    let (status, r) = s.api("DELETE", "/api/v1/dashboards/loupe", None);
    assert_eq!(status, 409, "{r}");
    assert_eq!(r["managed_by"], "dashboards/loupe.json");
    // One made through the API, then export → apply changes nothing but adopting it, and a
    // second export gives the same bytes.
    let (status, _) = s.api(
        "POST",
        "/api/v1/dashboards",
        Some(&board("by-hand", "index=web | stats count by status")),
    );
    assert_eq!(status, 201);
    let exported = work.path().join("exported");
    let (code, out, err) = loupe(&s, &["export", &exported.to_string_lossy()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(exported.join("dashboards/by-hand.json").exists(), "{out}");
    let (code, out, _) = loupe(&s, &["apply", &exported.to_string_lossy()]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("= adopt dashboard \"by-hand\""), "{out}");
    assert!(out.contains("1 changed, 8 unchanged"), "{out}");
    let again = work.path().join("again");
    loupe(&s, &["export", &again.to_string_lossy()]);
    let (code, out, _) = loupe(&s, &["apply", &again.to_string_lossy()]);
    assert_eq!(code, 0);
    assert!(
        out.contains("0 changed, 9 unchanged"),
        "export → apply is a no-op: {out}"
    );
    for f in ["dashboards/by-hand.json", "dashboards/batch-jobs.json"] {
        assert_eq!(
            std::fs::read(exported.join(f)).unwrap(),
            std::fs::read(again.join(f)).unwrap(),
            "{f}"
        );
    }
    // The bundled file is what export writes back: a dashboard's file round-trips byte for byte.
    assert_eq!(
        std::fs::read_to_string(again.join("dashboards/loupe.json")).unwrap(),
        std::fs::read_to_string(dir.join("dashboards/loupe.json")).unwrap()
    );
    // A broken dashboard file: named with its panel, nothing applied; a removed file removes
    // what it managed.
    let broken = dir.join("dashboards/broken.json");
    std::fs::write(
        &broken,
        r#"{"id": "broken", "title": "x", "panels": [{"title": "p", "type": "table", "query": "index=web | head abc"}]}"#,
    )
    .unwrap();
    let (code, out, err) = loupe(&s, &["apply", &dir_s]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains("dashboards/broken.json: panel 1 (\"p\"): expected a number after head"),
        "{err}"
    );
    std::fs::remove_file(&broken).unwrap();
    std::fs::remove_file(dir.join("dashboards/ssh-security.json")).unwrap();
    let (code, out, _) = loupe(&s, &["apply", &dir_s]);
    assert_eq!(code, 0);
    assert!(out.contains("- delete dashboard \"ssh-security\""), "{out}");
    let (status, _) = s.api("GET", "/api/v1/dashboards/ssh-security", None);
    assert_eq!(status, 404);
}
