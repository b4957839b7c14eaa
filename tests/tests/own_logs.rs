//! A new user's own logs: any sourcetype name, custom `[sourcetypes.NAME]` definitions used
//! by `import`, the forwarder and `loupe sourcetypes test`, bad definitions refused with
//! their line, and `loupe search --data-dir` after `kill -9` of the server. Real binaries.

use loupe_e2e::{bin, forwarder_config, forwarder_once, Server, TOKEN};
use std::path::Path;
use std::process::Command;

fn loupe(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(bin("loupe"))
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run loupe");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

/// NDJSON rows of `loupe search --data-dir DIR --output json QUERY`.
fn offline(data: &Path, config: Option<&Path>, query: &str) -> Vec<serde_json::Value> {
    let mut args = vec!["search", "--output", "json", "--data-dir"];
    let d = data.to_string_lossy().to_string();
    args.push(&d);
    let c = config.map(|c| c.to_string_lossy().to_string());
    if let Some(c) = &c {
        args.push("--config");
        args.push(c);
    }
    args.push(query);
    let (code, out, err) = loupe(&args);
    assert_eq!(code, 0, "{err}");
    out.lines()
        .map(|l| serde_json::from_str(l).expect("json row"))
        .collect()
}

const DEFS: &str = r#"
[sourcetypes.batch_mail]
time_format = "%H:%M:%S %d/%m/%Y"
timezone = "Europe/Paris"
event_start = '^\d{2}:\d{2}:\d{2} '
extract = ['^\S+ \S+ (?<status>[A-Z]+) (?<activity>\w+)']

[sourcetypes.winevt]
header = "csv"

[sourcetypes.never]
time_format = "%Y-%m-%dT%H:%M:%S"
"#;

#[test]
fn any_sourcetype_name_is_accepted_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let log = dir.path().join("app.log");
    std::fs::write(
        &log,
        "2026-03-02 10:00:01 INFO started\n2026-03-02 10:00:02 ERROR boom\n  at x\n",
    )
    .unwrap();
    let (code, _, err) = loupe(&[
        "import",
        "--data-dir",
        data.to_str().unwrap(),
        "--sourcetype",
        "myapp",
        log.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let rows = offline(&data, None, "sourcetype=myapp | stats count by sourcetype");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["count"], 2, "auto line breaking: {rows:?}");

    // A forwarder input naming a sourcetype nobody defined ships, under that name.
    let server = Server::start("");
    let logs = dir.path().join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    std::fs::write(logs.join("s.log"), "seqno=1 hello\nseqno=2 world\n").unwrap();
    let cfg = forwarder_config(
        dir.path(),
        &[&server.url],
        &format!(
            "[[input]]\npath = \"{}/*.log\"\nsourcetype = \"seqlog\"\n",
            logs.display()
        ),
    );
    let (code, err) = forwarder_once(&cfg, 60);
    assert_eq!(code, 0, "{err}");
    assert_eq!(server.count("index=main sourcetype=seqlog"), 2);
}

#[test]
fn custom_sourcetypes_import_with_their_rules() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("loupe.toml");
    std::fs::write(&config, DEFS).unwrap();
    let data = dir.path().join("data");
    let log = dir.path().join("batch.log");
    // Paris is UTC+1 in March; a line without the time pattern continues the event.
    std::fs::write(
        &log,
        "01:45:13 02/03/2026 ERROR mailing smtp refused\ncontinued detail\n02:00:00 02/03/2026 OK export done\n",
    )
    .unwrap();
    let (code, _, err) = loupe(&[
        "import",
        "--config",
        config.to_str().unwrap(),
        "--data-dir",
        data.to_str().unwrap(),
        "--sourcetype",
        "batch_mail",
        log.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let rows = offline(
        &data,
        Some(&config),
        "sourcetype=batch_mail | sort _time | table _time status activity",
    );
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[0]["_time"], "2026-03-02T00:45:13Z");
    assert_eq!(rows[0]["status"], "ERROR");
    assert_eq!(rows[0]["activity"], "mailing");
    assert_eq!(rows[1]["_time"], "2026-03-02T01:00:00Z");

    // A CSV export: the header row names indexed fields and is no event; a quoted message
    // spans two lines.
    let csv = dir.path().join("events.csv");
    std::fs::write(
        &csv,
        "Level,Date and Time,Source,Event ID,Message\nError,02/03/2026 10:00:00,Disk,7,\"The disk is full.\nFree some space.\"\nInformation,02/03/2026 10:05:00,Service Control Manager,7036,Started.\n",
    )
    .unwrap();
    let (code, _, err) = loupe(&[
        "import",
        "--config",
        config.to_str().unwrap(),
        "--data-dir",
        data.to_str().unwrap(),
        "--sourcetype",
        "winevt",
        csv.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let rows = offline(
        &data,
        Some(&config),
        "sourcetype=winevt | sort _time | table _time Level Source",
    );
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[0]["Level"], "Error");
    assert_eq!(rows[0]["_time"], "2026-03-02T10:00:00Z");
    assert_eq!(rows[1]["Source"], "Service Control Manager");
}

#[test]
fn sourcetypes_lists_and_tests_definitions() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("loupe.toml");
    std::fs::write(&config, DEFS).unwrap();
    let (code, out, err) = loupe(&["sourcetypes", "--config", config.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("batch_mail") && out.contains("%H:%M:%S %d/%m/%Y"),
        "{out}"
    );
    assert!(
        out.contains("access_combined") && out.contains("built-in"),
        "{out}"
    );

    let log = dir.path().join("batch.log");
    std::fs::write(
        &log,
        "01:45:13 02/03/2026 ERROR mailing\ndetail\n02:00:00 02/03/2026 OK export\n",
    )
    .unwrap();
    let (code, out, err) = loupe(&[
        "sourcetypes",
        "test",
        "--config",
        config.to_str().unwrap(),
        "batch_mail",
        log.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("2026-03-02T01:45:13+01:00[Europe/Paris]"),
        "{out}"
    );
    assert!(out.contains("time_format \"%H:%M:%S %d/%m/%Y\""), "{out}");
    assert!(out.contains("2 line(s)"), "{out}");
    assert!(
        out.contains("2 event(s) shown, 0 without a timestamp"),
        "{out}"
    );

    // A time_format that never matches: receipt time, and the preview says why.
    let (code, out, _) = loupe(&[
        "sourcetypes",
        "test",
        "--config",
        config.to_str().unwrap(),
        "never",
        log.to_str().unwrap(),
    ]);
    assert_eq!(code, 0);
    assert!(out.contains("did not match"), "{out}");
    assert!(out.contains("without a timestamp"), "{out}");

    // Bad definitions: the key, the sourcetype and, for unknown keys, the line.
    std::fs::write(&config, "[sourcetypes.x]\nevent_start = '(unclosed'\n").unwrap();
    let (code, _, err) = loupe(&["sourcetypes", "--config", config.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        err.contains("\"x\": event_start is not a valid regex"),
        "{err}"
    );
    std::fs::write(&config, "[sourcetypes.x]\ntime_prefix = '['\n").unwrap();
    let (_, _, err) = loupe(&["sourcetypes", "--config", config.to_str().unwrap()]);
    assert!(err.contains("time_prefix is not a valid regex"), "{err}");
    std::fs::write(&config, "\n[sourcetypes.x]\ntimeformat = '%H'\n").unwrap();
    let (code, _, err) = loupe(&["sourcetypes", "--config", config.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        err.contains("timeformat") && err.contains("line 3"),
        "{err}"
    );
}

/// The report: after `kill -9` of `loupe serve`, `loupe search --data-dir` showed 0 of 50
/// acknowledged events. With no server holding the data dir, it now recovers the log's tail.
#[test]
fn offline_search_after_kill9_sees_every_acknowledged_event() {
    // Nothing is committed within the test: only the write-ahead log has the events.
    let mut server = Server::start("commit_interval = \"1h\"\n");
    let mut body = String::new();
    for i in 0..50 {
        body.push_str(&format!(
            "{{\"time\": 1772445600, \"event\": \"crashprobe n={i}\"}}\n"
        ));
    }
    let (status, answer) = server.hec("/services/collector/event", body.as_bytes(), &[]);
    assert_eq!(status, 200, "{answer}");
    let data = server.data_dir();
    // While the server runs, the user is pointed at --url.
    let (code, _, err) = loupe(&[
        "search",
        "--data-dir",
        data.to_str().unwrap(),
        "crashprobe | stats count",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("--url"), "{err}");
    server.kill9();
    let rows = offline(&data, None, "crashprobe | stats count");
    assert_eq!(rows[0]["count"], 50);
    // Recovered once: a server started afterwards indexes nothing twice.
    server.restart();
    assert_eq!(server.count("crashprobe"), 50);
    let _ = TOKEN;
}
