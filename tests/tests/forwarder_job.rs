//! `loupe-forwarder run`: a job that writes no log gets a start and an end event (exit code,
//! duration, last output lines), through a spool that keeps them while the indexer is down.

use loupe_e2e::{bin, forwarder_config, free_port, server_on, Server};

fn run_job(config: &std::path::Path, name: &str, script: &str) -> (i32, String, String) {
    let out = std::process::Command::new(bin("loupe-forwarder"))
        .arg("--config")
        .arg(config)
        .args([
            "run",
            "--name",
            name,
            "--index",
            "main",
            "--ship-timeout",
            "5",
            "--",
            "sh",
            "-c",
            script,
        ])
        .output()
        .expect("run loupe-forwarder");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[test]
fn a_job_is_recorded_by_its_start_and_end() {
    let s = Server::start("");
    let dir = tempfile::tempdir().unwrap();
    let config = forwarder_config(dir.path(), &[&s.url], "");
    let (code, out, err) = run_job(
        &config,
        "nightly-export",
        "echo hello from the job; echo oops >&2; exit 3",
    );
    assert_eq!(code, 3, "the job's exit code is ours: {err}");
    assert!(
        out.contains("hello from the job"),
        "output passes through: {out}"
    );
    assert_eq!(s.count("source=job:nightly-export"), 2);
    let (_, a) = s.search(
        "source=job:nightly-export phase=end | table exit_code status output_tail duration_s",
        1,
    );
    let row = &a["rows"][0];
    assert_eq!(row["exit_code"], 3, "{a}");
    assert_eq!(row["status"], "failure");
    let tail = row["output_tail"].as_str().unwrap();
    assert!(
        tail.contains("hello from the job") && tail.contains("oops"),
        "{tail}"
    );
    // A command that cannot start is recorded too.
    let out = std::process::Command::new(bin("loupe-forwarder"))
        .arg("--config")
        .arg(&config)
        .args(["run", "--name", "missing", "--", "/nonexistent/program"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(127));
    assert_eq!(s.count("source=job:missing exit_code=127"), 1);
}

#[test]
fn job_events_wait_in_the_spool_while_the_indexer_is_down() {
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let dir = tempfile::tempdir().unwrap();
    let config = forwarder_config(dir.path(), &[&url], "");
    let (code, _, err) = run_job(&config, "purge", "echo purged 12 rows");
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("kept in the spool"), "{err}");
    let s = server_on(&format!("127.0.0.1:{port}"));
    // The next run sends the earlier one's events first, then its own.
    let (code, _, err) = run_job(&config, "import", "true");
    assert_eq!(code, 0, "{err}");
    assert_eq!(s.count("source=job:purge"), 2);
    assert_eq!(s.count("source=job:import"), 2);
    assert_eq!(s.count("source=job:purge phase=end \"purged 12 rows\""), 1);
}
