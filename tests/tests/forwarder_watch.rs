//! How the forwarder notices changes: file-system notifications wake it within moments
//! even when its poll interval is an hour, and with `watch = false` polling alone still
//! finds appended lines, new files, rotation and truncation. Real binaries, real HTTP.

use loupe_e2e::{
    append_lines, assert_exactly_once, edit_forwarder_config, forwarder_config, wait_until,
    ForwarderProcess, Server,
};
use std::io::Write;
use std::path::Path;

fn input(dir: &Path) -> String {
    format!(
        "[[input]]\npath = \"{}/*.log\"\nindex = \"main\"\nsourcetype = \"access_combined\"\n",
        dir.join("logs").display()
    )
}

/// Appends, a new file, rename rotation, truncation in place: each must arrive exactly once.
fn changes_arrive(server: &Server, logs: &Path, tag: &str) {
    let log = logs.join("app.log");
    // Growth of a file followed since the start.
    append_lines(&log, tag, 100..300);
    assert_exactly_once(server, tag, 300);
    // A new file that matches the glob.
    append_lines(&logs.join("new.log"), &format!("{tag}new"), 0..50);
    assert_exactly_once(server, &format!("{tag}new"), 50);
    // Rename rotation: the old file gets its last lines after the rename, then a new one.
    let rotated = logs.join("app.log.1");
    std::fs::rename(&log, &rotated).expect("rotate");
    append_lines(&rotated, tag, 300..350);
    append_lines(&log, tag, 350..400);
    assert_exactly_once(server, tag, 400);
    // Truncation in place, then new content.
    std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(&log)
        .expect("truncate");
    append_lines(&log, tag, 400..450);
    assert_exactly_once(server, tag, 450);
}

/// A forwarder whose every timer is an hour except `batch_max_age` and `idle_timeout`: once
/// its batch is sealed and its files idle, only a notification can wake it within the
/// tests' one-minute bounds.
fn sleepy(dir: &Path, url: &str, idle: &str) -> std::path::PathBuf {
    let cfg = forwarder_config(dir, &[url], &input(dir));
    edit_forwarder_config(
        &cfg,
        "stats_interval = \"1h\"\n",
        "",
        &[
            ("poll_interval = \"50ms\"", "poll_interval = \"1h\""),
            (
                "idle_timeout = \"300ms\"",
                &format!("idle_timeout = \"{idle}\""),
            ),
        ],
    );
    cfg
}

#[test]
fn forwarder_with_an_hour_poll_interval_ships_changes_as_they_happen() {
    let server = Server::start("");
    let dir = tempfile::tempdir().expect("temp dir");
    let logs = dir.path().join("logs");
    std::fs::create_dir_all(&logs).expect("logs dir");
    append_lines(&logs.join("app.log"), "inot", 0..100);
    let cfg = sleepy(dir.path(), &server.url, "1h");
    let _fwd = ForwarderProcess::start(&cfg);
    assert_exactly_once(&server, "inot", 100);
    changes_arrive(&server, &logs, "inot");
}

#[test]
fn forwarder_woken_by_a_partial_line_ships_it_after_idle_timeout() {
    // The notification wakes the reader, which keeps the unfinished line; nothing more comes,
    // so only the `idle_timeout` deadline (not the hourly poll) can ship it.
    let server = Server::start("");
    let dir = tempfile::tempdir().expect("temp dir");
    let logs = dir.path().join("logs");
    std::fs::create_dir_all(&logs).expect("logs dir");
    append_lines(&logs.join("app.log"), "idle", 0..10);
    let cfg = sleepy(dir.path(), &server.url, "300ms");
    let _fwd = ForwarderProcess::start(&cfg);
    assert_exactly_once(&server, "idle", 10);
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(logs.join("app.log"))
        .expect("open");
    f.write_all(b"idlepartial line without a newline")
        .expect("write");
    wait_until(60, "the partial last line", || {
        server.count("index=main idlepartial") == 1
    });
}

#[test]
fn forwarder_polls_when_watching_is_off() {
    let server = Server::start("");
    let dir = tempfile::tempdir().expect("temp dir");
    let logs = dir.path().join("logs");
    std::fs::create_dir_all(&logs).expect("logs dir");
    append_lines(&logs.join("app.log"), "polled", 0..100);
    let cfg = forwarder_config(dir.path(), &[&server.url], &input(dir.path()));
    edit_forwarder_config(&cfg, "watch = false\n", "", &[]);
    let _fwd = ForwarderProcess::start(&cfg);
    assert_exactly_once(&server, "polled", 100);
    changes_arrive(&server, &logs, "polled");
}
