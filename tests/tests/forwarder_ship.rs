//! The forwarder end to end: real `loupe-forwarder` and `loupe serve` binaries over
//! real HTTP. Each test writes numbered lines and checks that every one is in the
//! index exactly once (`stats count` and the distinct set of `_raw`).

use loupe_e2e::{
    append_lines as append, assert_exactly_once, forwarder_config, forwarder_once, free_port,
    server_on, wait_until, ForwarderProcess, Server,
};
use std::path::Path;

fn input(dir: &Path) -> String {
    format!(
        "[[input]]\npath = \"{}/*.log\"\nindex = \"main\"\nsourcetype = \"access_combined\"\nhost = \"fwd-test\"\n",
        dir.join("logs").display()
    )
}

#[test]
fn forwarder_once_ships_every_line_exactly_once() {
    let server = Server::start("");
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("logs/sub")).unwrap();
    append(&dir.path().join("logs/a.log"), "oncea", 0..3000);
    append(&dir.path().join("logs/b.log"), "onceb", 0..10);
    // Not matched: other extension, other directory depth.
    append(&dir.path().join("logs/c.txt"), "oncec", 0..10);
    append(&dir.path().join("logs/sub/d.log"), "onced", 0..10);
    let cfg = forwarder_config(dir.path(), &[&server.url], &input(dir.path()));
    let (code, err) = forwarder_once(&cfg, 120);
    assert_eq!(code, 0, "{err}");
    assert_exactly_once(&server, "oncea", 3000);
    assert_exactly_once(&server, "onceb", 10);
    assert_eq!(server.count("oncec"), 0);
    assert_eq!(server.count("onced"), 0);
    assert_eq!(server.count("host=fwd-test"), 3010);
    // A second run has nothing new to send.
    let (code, err) = forwarder_once(&cfg, 60);
    assert_eq!(code, 0, "{err}");
    assert_eq!(server.count("index=main oncea"), 3000);
    // Self-monitoring went to _internal.
    assert!(server.count("index=_internal sourcetype=loupe_forwarder") >= 2);
}

#[test]
fn forwarder_follows_rename_rotation_and_copy_truncate() {
    let server = Server::start("");
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("logs")).unwrap();
    let log = dir.path().join("logs/app.log");
    append(&log, "rot", 0..500);
    let cfg = forwarder_config(dir.path(), &[&server.url], &input(dir.path()));
    let _fwd = ForwarderProcess::start(&cfg);
    wait_until(60, "first 500 lines", || {
        server.count("index=main rot") >= 500
    });

    // Rename rotation: the writer appends to the old file after the rename (it still has it
    // open), then a new file takes the name.
    let rotated = dir.path().join("logs/app.log.1");
    std::fs::rename(&log, &rotated).unwrap();
    append(&rotated, "rot", 500..700);
    append(&log, "rot", 700..1000);
    wait_until(60, "1000 lines after rename rotation", || {
        server.count("index=main rot") >= 1000
    });

    // Copy-truncate: copy, truncate in place, keep writing to the same file.
    std::fs::copy(&log, dir.path().join("logs/app.log.2")).unwrap();
    std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(&log)
        .unwrap();
    append(&log, "rot", 1000..1300);
    assert_exactly_once(&server, "rot", 1300);

    // Deletion, then a new file under the same name: read from its start.
    std::fs::remove_file(&log).unwrap();
    std::fs::remove_file(&rotated).unwrap();
    append(&log, "rot", 1300..1400);
    assert_exactly_once(&server, "rot", 1400);
}

#[test]
fn forwarder_kill9_mid_file_then_restart_loses_and_duplicates_nothing() {
    let server = Server::start("");
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("logs")).unwrap();
    let log = dir.path().join("logs/big.log");
    // Six blocks of 10,000 lines, each with its own tag (a search returns at most 50,000 events).
    let blocks = 6;
    for b in 0..blocks {
        append(&log, &format!("kill{b}"), 0..10_000);
    }
    let cfg = forwarder_config(dir.path(), &[&server.url], &input(dir.path()));
    // Small batches (~60 lines): many acknowledgements, so the kills land mid-file.
    small_batches(&cfg);
    // Three kill -9 at different points of the file, each once the forwarder's checkpoint
    // has moved (read from its state dir: searching would be too slow to catch it mid-file).
    let checkpoint = dir.path().join("state/checkpoint.json");
    let last_seq = || -> u64 {
        std::fs::read(&checkpoint)
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            .and_then(|v| v["last_seq"].as_u64())
            .unwrap_or(0)
    };
    for round in 0..3 {
        let mut fwd = ForwarderProcess::start(&cfg);
        let before = last_seq();
        wait_until(60, &format!("checkpoint progress in round {round}"), || {
            last_seq() > before
        });
        fwd.kill9();
    }
    let shipped: u64 = (0..blocks)
        .map(|b| server.count(&format!("index=main kill{b}")))
        .sum();
    assert!(
        shipped < 60_000,
        "killed too late to test anything ({shipped})"
    );
    append(&log, "kill6", 0..100);
    let (code, err) = forwarder_once(&cfg, 120);
    assert_eq!(code, 0, "{err}");
    for b in 0..blocks {
        assert_exactly_once(&server, &format!("kill{b}"), 10_000);
    }
    assert_exactly_once(&server, "kill6", 100);
}

#[test]
fn forwarder_spools_while_indexer_is_down_and_delivers_when_back() {
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("logs")).unwrap();
    append(&dir.path().join("logs/a.log"), "down", 0..2000);
    // Two indexers configured; the first never answers (failover).
    let dead = format!("http://127.0.0.1:{}", free_port());
    let cfg = forwarder_config(dir.path(), &[&dead, &url], &input(dir.path()));
    let mut fwd = ForwarderProcess::start(&cfg);
    let spool = dir.path().join("state/spool");
    wait_until(60, "batches in the spool", || {
        std::fs::read_dir(&spool)
            .map(|d| {
                d.flatten()
                    .any(|e| e.path().extension().is_some_and(|x| x == "batch"))
            })
            .unwrap_or(false)
    });
    let server = server_on(&format!("127.0.0.1:{port}"));
    append(&dir.path().join("logs/a.log"), "down", 2000..2500);
    assert_exactly_once(&server, "down", 2500);
    // The failed attempts were logged to _internal as well.
    wait_until(60, "the forwarder's retry warnings in _internal", || {
        server.count("index=_internal sourcetype=loupe_forwarder \"not delivered\"") >= 1
    });
    wait_until(60, "spool drained", || {
        std::fs::read_dir(&spool)
            .map(|d| {
                d.flatten()
                    .all(|e| e.path().extension().is_none_or(|x| x != "batch"))
            })
            .unwrap_or(false)
    });
    fwd.kill9();
}

#[test]
fn forwarder_survives_indexer_kill9_during_shipping() {
    let port = free_port();
    let mut server = server_on(&format!("127.0.0.1:{port}"));
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("logs")).unwrap();
    let log = dir.path().join("logs/a.log");
    append(&log, "ikill", 0..30_000);
    let cfg = forwarder_config(dir.path(), &[&server.url], &input(dir.path()));
    small_batches(&cfg);
    let _fwd = ForwarderProcess::start(&cfg);
    // Kill the indexer as soon as the forwarder has its first acknowledgement.
    let checkpoint = dir.path().join("state/checkpoint.json");
    wait_until(60, "a first acknowledged batch", || checkpoint.exists());
    server.kill9();
    append(&log, "ikill", 30_000..31_000);
    // Same data dir, same port (the config names it): the forwarder's retries find it.
    server.restart();
    assert_exactly_once(&server, "ikill", 31_000);
}

#[test]
fn forwarder_drops_only_events_for_a_refused_index() {
    // A token limited to `main`: events for `secret` (and the forwarder's own `_internal`
    // ones) are refused with code 7; everything for `main` still arrives, exactly once.
    let server = Server::start(
        "[[tokens]]\nname = \"limited\"\ntoken = \"limited-token-42\"\nindexes = [\"main\"]\n",
    );
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    append(&logs.join("a.log"), "parta", 0..200);
    append(&logs.join("b.log"), "partb", 0..200);
    append(&logs.join("c.log"), "partc", 0..200);
    // Three inputs, so the refused events sit in the middle of the batch: the indexer keeps
    // the ones before, and the forwarder resends the ones after under a new sequence.
    let inputs = ["a", "b", "c"]
        .iter()
        .map(|f| {
            let index = if *f == "b" { "secret" } else { "main" };
            format!(
                "[[input]]\npath = \"{}/{f}.log\"\nindex = \"{index}\"\nsourcetype = \"access_combined\"\n",
                logs.display()
            )
        })
        .collect::<String>();
    let cfg = forwarder_config(dir.path(), &[&server.url], &inputs);
    let text = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(&cfg, text.replace(loupe_e2e::TOKEN, "limited-token-42")).unwrap();
    let (code, err) = forwarder_once(&cfg, 60);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("refused"), "{err}");
    assert_exactly_once(&server, "parta", 200);
    assert_exactly_once(&server, "partc", 200);
    assert_eq!(server.count("partb"), 0);
}

/// Batches of about 60 lines instead of the default 64 KiB: many acknowledgements per file,
/// so a kill lands in the middle of it.
fn small_batches(cfg: &std::path::Path) {
    let text = std::fs::read_to_string(cfg).unwrap();
    std::fs::write(
        cfg,
        text.replace("batch_max_bytes = 65536", "batch_max_bytes = 4096"),
    )
    .unwrap();
}
