//! Objects as files in git: `loupe apply` checks every file before changing anything, prints
//! the diff, manages what it made; `loupe export` gives files that `apply` takes back as a
//! no-op; Splunk's savedsearches.conf is read as it is.

use loupe_e2e::{bin, load_batch_world, Server, TOKEN};
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

fn examples() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/examples")
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

fn names(s: &Server) -> Vec<String> {
    let (_, list) = s.api("GET", "/api/v1/saved-searches", None);
    list["saved_searches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn apply_export_apply_is_a_no_op_and_files_own_their_objects() {
    let s = Server::start("");
    load_batch_world(&s);
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("config");
    copy_dir(&examples().join("batch-supervision"), &dir);
    let dir_s = dir.to_string_lossy().to_string();
    // Dry run: the diff, nothing made.
    let (code, out, err) = loupe(&s, &["apply", "--dry-run", &dir_s]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("+ create saved search \"Batch errors (daily)\""),
        "{out}"
    );
    assert!(
        out.contains("= adopt lookup \"batchs\""),
        "the inventory is already there: {out}"
    );
    assert!(names(&s).is_empty());
    let (code, out, err) = loupe(&s, &["apply", &dir_s]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("5 changed, 0 unchanged"), "{out}");
    assert_eq!(names(&s).len(), 3);
    // A managed object refuses edits through the API, naming its file.
    let (_, body) = s.api(
        "GET",
        "/api/v1/saved-searches/Batch%20silent%20(daily%20job%20without%20a%20line%20in%2026%20h)",
        None,
    );
    assert_eq!(
        body["managed_by"], "saved-searches/batch-silent.toml",
        "{body}"
    );
    let (status, a) = s.api(
        "DELETE",
        "/api/v1/saved-searches/Batch%20errors%20(weekly%20report)",
        None,
    );
    assert_eq!(status, 409, "{a}");
    assert!(
        a["error"]
            .as_str()
            .unwrap()
            .contains("batch-weekly-report.toml"),
        "{a}"
    );
    // Again: nothing to do.
    let (code, out, _) = loupe(&s, &["apply", &dir_s]);
    assert_eq!(code, 0);
    assert!(out.contains("0 changed, 5 unchanged"), "{out}");
    // One broken file: every error named, nothing applied (not even the good new file).
    std::fs::write(
        dir.join("saved-searches/new.toml"),
        "name = \"new\"\nquery = \"index=batchs\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("saved-searches/broken.toml"),
        "name = \"broken\"\nquery = \"index=batchs | head abc\"\n",
    )
    .unwrap();
    let (code, out, err) = loupe(&s, &["apply", &dir_s]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains("saved-searches/broken.toml: expected a number after head"),
        "{err}"
    );
    assert!(!names(&s).contains(&"new".to_string()));
    std::fs::remove_file(dir.join("saved-searches/broken.toml")).unwrap();
    // A removed file removes what it managed; an API-made object is left alone.
    let (status, _) = s.api(
        "POST",
        "/api/v1/saved-searches",
        Some(&serde_json::json!({"name": "made by hand", "query": "index=batchs"})),
    );
    assert_eq!(status, 201);
    std::fs::remove_file(dir.join("saved-searches/batch-weekly-report.toml")).unwrap();
    let (code, out, err) = loupe(&s, &["apply", &dir_s]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("- delete saved search \"Batch errors (weekly report)\""),
        "{out}"
    );
    assert!(out.contains("+ create saved search \"new\""), "{out}");
    let now = names(&s);
    assert!(
        now.contains(&"made by hand".to_string())
            && !now.contains(&"Batch errors (weekly report)".to_string()),
        "{now:?}"
    );
    // Export writes everything, API-made objects too; applying the export changes nothing
    // but adopting what was made by hand.
    let exported = work.path().join("exported");
    let (code, out, err) = loupe(&s, &["export", &exported.to_string_lossy()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        exported.join("saved-searches/made-by-hand.toml").exists(),
        "{out}"
    );
    let (code, out, _) = loupe(&s, &["apply", &exported.to_string_lossy()]);
    assert_eq!(code, 0);
    assert!(
        out.contains("= adopt saved search \"made by hand\""),
        "{out}"
    );
    assert!(out.contains("1 changed, 5 unchanged"), "{out}");
    let again = work.path().join("again");
    loupe(&s, &["export", &again.to_string_lossy()]);
    let (code, out, _) = loupe(&s, &["apply", &again.to_string_lossy()]);
    assert_eq!(code, 0);
    assert!(
        out.contains("0 changed, 6 unchanged"),
        "export → apply is a no-op: {out}"
    );
    for f in [
        "saved-searches/made-by-hand.toml",
        "saved-searches/batch-silent.toml",
        "lookups/batchs.csv",
    ] {
        assert_eq!(
            std::fs::read(exported.join(f)).unwrap(),
            std::fs::read(again.join(f)).unwrap(),
            "{f}"
        );
    }
}

#[test]
fn a_splunk_savedsearches_conf_is_applied_as_it_is() {
    let s = Server::start("");
    let conf = examples().join("splunk/savedsearches.conf");
    let (code, out, err) = loupe(&s, &["apply", &conf.to_string_lossy()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("+ create saved search \"SSH brute force\""),
        "{out}"
    );
    assert!(out.contains("warning: savedsearches.conf#Portal 5xx burst: not carried over: dispatch.buckets = 300"), "{out}");
    let (_, a) = s.api("GET", "/api/v1/saved-searches/SSH%20brute%20force", None);
    assert_eq!(a["cron"], "*/15 * * * *");
    assert_eq!(a["alert"]["mode"], "per_result", "{a}");
    assert_eq!(a["alert"]["throttle_fields"], serde_json::json!(["src_ip"]));
    assert_eq!(
        a["alert"]["actions"][0]["attach"],
        serde_json::json!(["csv"])
    );
    let (_, b) = s.api("GET", "/api/v1/saved-searches/Portal%205xx%20burst", None);
    assert_eq!(
        b["alert"]["condition"],
        serde_json::json!({"type": "where", "expr": "count > 50"})
    );
    let (_, c) = s.api(
        "GET",
        "/api/v1/saved-searches/Weekly%20portal%20traffic",
        None,
    );
    assert!(c.get("cron").is_none(), "enableSched = 0: {c}");
    // Straight on a data dir, with the server stopped.
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(bin("loupe"))
        .args(["apply", "--data-dir"])
        .arg(dir.path())
        .arg(&conf)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = std::process::Command::new(bin("loupe"))
        .args(["export", "--data-dir"])
        .arg(dir.path())
        .arg(dir.path().join("export"))
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(dir
        .path()
        .join("export/saved-searches/ssh-brute-force.toml")
        .exists());
}
