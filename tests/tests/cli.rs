//! The command line: `loupe import` and `loupe search` on the shared samples, exit codes.

use loupe_e2e::{bin, shared_data, Server};
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

/// `loupe CMD --url U --token T ARGS...` against a test server.
fn remote(s: &Server, cmd: &str, args: &[&str]) -> (i32, String, String) {
    let mut all = vec![cmd, "--url", &s.url, "--token", loupe_e2e::TOKEN];
    all.extend_from_slice(args);
    loupe(&all)
}

fn grep_count(path: &std::path::Path, needle: &str) -> u64 {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| l.contains(needle))
        .count() as u64
}

#[test]
fn import_then_search_a_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let file = shared_data().join("loghub/OpenSSH/OpenSSH_2k.log");
    let (code, out, err) = loupe(&[
        "import",
        "--data-dir",
        data.to_str().unwrap(),
        "--index",
        "main",
        "--sourcetype",
        "OpenSSH",
        "--year",
        "2024",
        "--host",
        "LabSZ",
        file.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("imported 2000 events") && out.contains("events/s") && out.contains("MB/s"),
        "{out}"
    );

    let expected = grep_count(&file, "Failed password");
    let (code, out, err) = loupe(&[
        "search",
        "--data-dir",
        data.to_str().unwrap(),
        "--output",
        "json",
        "\"Failed password\" | stats count",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.trim(), format!("{{\"count\":{expected}}}"));

    // Time range from the command line (the sample is 10 Dec .. 11 Jan; year given above).
    let (code, out, _) = loupe(&[
        "search",
        "--data-dir",
        data.to_str().unwrap(),
        "--earliest",
        "2024-12-10T07:00:00Z",
        "--latest",
        "2024-12-10T08:00:00Z",
        "--output",
        "csv",
        "* | stats count",
    ]);
    assert_eq!(code, 0);
    let n: u64 = out.lines().nth(1).unwrap().parse().unwrap();
    let in_hour = std::fs::read_to_string(&file)
        .unwrap()
        .lines()
        .filter(|l| l.starts_with("Dec 10 07:"))
        .count() as u64;
    assert_eq!(n, in_hour);

    let (code, out, _) = loupe(&[
        "search",
        "--data-dir",
        data.to_str().unwrap(),
        "--output",
        "json",
        "sshd | head 3",
    ]);
    assert_eq!(code, 0);
    assert_eq!(out.lines().count(), 3);
    let first: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert_eq!(first["host"], "LabSZ");
    assert_eq!(first["sourcetype"], "OpenSSH");

    // A broken query: exit 2 and the column.
    let (code, _, err) = loupe(&[
        "search",
        "--data-dir",
        data.to_str().unwrap(),
        "\"unclosed | stats count",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("column"), "{err}");
}

#[test]
fn import_errors_are_clear() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (code, _, err) = loupe(&[
        "import",
        "--data-dir",
        data.to_str().unwrap(),
        "/no/such/file.log",
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("/no/such/file.log"), "{err}");
}

#[test]
fn import_through_a_server_and_search_it_remotely() {
    let s = Server::start("");
    let file = shared_data().join("web/access.log");
    let (code, out, err) = remote(
        &s,
        "import",
        &[
            "--sourcetype",
            "access_combined",
            "--index",
            "web",
            file.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("imported 31681 events"), "{out}");
    s.flush();
    let (code, out, err) = remote(
        &s,
        "search",
        &["--output", "json", "index=web wp-login | stats count"],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out.trim(),
        format!("{{\"count\":{}}}", grep_count(&file, "wp-login"))
    );
    let (code, _, err) = remote(&s, "search", &["index=web | stats count by"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn json_and_batch_files_keep_their_fields_and_local_times() {
    let s = Server::start("");
    let portal = shared_data().join("app/portal.json.log");
    let (code, _, err) = remote(
        &s,
        "import",
        &[
            "--sourcetype",
            "_json",
            "--index",
            "app",
            portal.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{err}");
    let logins = grep_count(&portal, "\"action\": \"login\"");
    assert!(logins > 0);
    assert_eq!(
        s.count("index=app action=login"),
        logins,
        "JSON keys are indexed fields"
    );

    let log = shared_data().join("batchs/ORDO-PROD-01/batchs/mutuelle-azur/import_adherents.log");
    let (code, _, err) = remote(
        &s,
        "import",
        &[
            "--sourcetype",
            "batch",
            "--index",
            "batchs",
            "--timezone",
            "Europe/Paris",
            "--host",
            "ORDO-PROD-01",
            "--source",
            "/batchs/mutuelle-azur/import_adherents.log",
            log.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{err}");
    s.flush();
    let (_, answer) = s.search(
        "index=batchs source=/batchs/mutuelle-azur/import_adherents.log \"03:45:34 02/03/2026\"",
        1,
    );
    // 03:45:34 on 2 March 2026 in Paris (UTC+1) is 02:45:34 UTC.
    assert_eq!(
        answer["events"][0]["_time"], "2026-03-02T02:45:34Z",
        "{answer}"
    );
    assert_eq!(answer["events"][0]["host"], "ORDO-PROD-01");
}

#[test]
fn explain_prints_the_plan_and_exit_codes() {
    let (code, out, err) = loupe(&[
        "explain",
        "\"Failed password\" host=web* | stats count by host",
    ]);
    assert_eq!(code, 0, "{err}");
    let plan: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        plan["pushdown"],
        "(_raw:term(\"failed password\") AND host:wildcard(=\"web*\"))"
    );
    assert_eq!(plan["reads_stored_documents"], false, "{plan}");
    let (code, out, _) = loupe(&["explain", "status=500 | rex \"(?<x>\\d+)\" | table x"]);
    assert_eq!(code, 0);
    let plan: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(plan["row_filter"], true);
    assert_eq!(plan["reads_stored_documents"], true);
    assert_eq!(plan["operators"].as_array().unwrap().len(), 2);
    assert_eq!(
        plan["event_fields"],
        serde_json::json!(["_raw", "status", "x"])
    );
    // A stats over indexed columns only reads no stored document; rex + stats run on all threads.
    let (_, out, _) = loupe(&["explain", "* | eval h=lower(host) | stats count by h"]);
    let plan: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(plan["event_fields"], serde_json::json!(["host"]));
    assert_eq!(plan["reads_stored_documents"], false, "{plan}");
    let (_, out, _) = loupe(&[
        "explain",
        "* | rex \"(?<x>\\d+)\" | stats count by x | sort -count",
    ]);
    let plan: serde_json::Value = serde_json::from_str(&out).unwrap();
    let threads: Vec<&str> = plan["operators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["threads"].as_str().unwrap())
        .collect();
    assert_eq!(threads, ["all", "all", "one"], "{plan}");
    assert_eq!(
        plan["operators"][0]["fields"],
        serde_json::json!(["_raw"]),
        "{plan}"
    );
    assert_eq!(
        plan["operators"][1]["fields"],
        serde_json::json!(["x"]),
        "{plan}"
    );
    let (code, _, err) = loupe(&["explain", "* | tstats count"]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("tstats"), "{err}");
    let (code, _, err) = loupe(&["explain", "* | eval x=nosuchfunction(1)"]);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("unsupported: function(s) nosuchfunction (column 12)"),
        "{err}"
    );
    // Whatever is unsupported is named, at its own column: a command, an option, an option value.
    for (q, said) in [
        (
            "* | datamodel Web search",
            "datamodel: unsupported command (column 5)",
        ),
        (
            "* | top limit=3 foo=1 host",
            "top: unsupported option foo= (column 17)",
        ),
        (
            "* | top useother=t host",
            "top: useother=true is not supported (column 9)",
        ),
        (
            "* | stats count\n| bin _time bins=10",
            "bin: needs span= (bins= is not supported) (column 13)",
        ),
    ] {
        let (code, _, err) = loupe(&["explain", q]);
        assert_eq!(code, 3, "{q}: {err}");
        assert!(err.contains(said), "{q}: {err}");
    }
    let (code, _, err) = loupe(&["explain", "* | head abc"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn subsecond_times_survive_the_row_path() {
    let s = Server::start("");
    let (status, _) = s.hec(
        "/services/collector/event",
        br#"{"time":"1772409651.195","event":"subsecond-probe","fields":{"k":"v"}}"#,
        &[],
    );
    assert_eq!(status, 200);
    let (_, answer) = s.search("subsecond-probe k=v | table _time k", 10);
    assert_eq!(
        answer["rows"][0]["_time"], "2026-03-02T00:00:51.195Z",
        "{answer}"
    );
}
