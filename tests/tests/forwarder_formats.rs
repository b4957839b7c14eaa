//! Windows-born files (UTF-16 LE with a BOM, Windows-1252) and multi-line events
//! through the real forwarder: text arrives as UTF-8, and the last joined event of an
//! idle file is shipped without waiting for a next line.

use loupe_e2e::{forwarder_config, forwarder_once, raws, wait_until, ForwarderProcess, Server};

#[test]
fn forwarder_decodes_utf16_and_windows_1252() {
    let server = Server::start("");
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    let mut utf16 = vec![0xFF, 0xFE];
    for u in "12:00:01 02/03/2026 OK Tâche envoi-mails u16\r\n12:00:02 02/03/2026 ERREUR Tâche purge u16\r\n".encode_utf16() {
        utf16.extend_from_slice(&u.to_le_bytes());
    }
    std::fs::write(logs.join("a.log"), &utf16).unwrap();
    std::fs::write(
        logs.join("b.log"),
        b"12:00:03 02/03/2026 OK \xc9tat d\xe9j\xe0 \x80 cp\r\n",
    )
    .unwrap();
    let inputs = format!(
        "[[input]]\npath = \"{0}/a.log\"\nsourcetype = \"batch\"\n[[input]]\npath = \"{0}/b.log\"\nsourcetype = \"batch\"\nencoding = \"windows-1252\"\n",
        logs.display()
    );
    let cfg = forwarder_config(dir.path(), &[&server.url], &inputs);
    let (code, err) = forwarder_once(&cfg, 60);
    assert_eq!(code, 0, "{err}");
    let mut got = raws(&server, "index=main (u16 OR cp)", 10);
    got.sort();
    assert_eq!(
        got,
        [
            "12:00:01 02/03/2026 OK Tâche envoi-mails u16",
            "12:00:02 02/03/2026 ERREUR Tâche purge u16",
            "12:00:03 02/03/2026 OK État déjà € cp",
        ]
    );
}

#[test]
fn forwarder_ships_last_multiline_event_when_file_goes_idle() {
    let server = Server::start("");
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    std::fs::write(
        logs.join("app.log"),
        "2026-03-02 10:00:01 ERROR first boom\n    at a.B.c(B.java:1)\n    at a.B.d(B.java:2)\n2026-03-02 10:00:02 ERROR second boom\n    at x.Y.z(Y.java:9)\n",
    )
    .unwrap();
    let inputs = format!(
        "[[input]]\npath = \"{}/*.log\"\nsourcetype = \"auto\"\n",
        logs.display()
    );
    let cfg = forwarder_config(dir.path(), &[&server.url], &inputs);
    let _fwd = ForwarderProcess::start(&cfg);
    // The second event has no successor: only the idle timeout can complete it.
    wait_until(60, "both stack traces", || {
        server.count("index=main boom") >= 2
    });
    assert_eq!(server.count("index=main boom"), 2);
    let got = raws(&server, "index=main second", 5);
    assert_eq!(
        got,
        ["2026-03-02 10:00:02 ERROR second boom\n    at x.Y.z(Y.java:9)"]
    );
}

#[test]
fn zone_less_timestamps_take_the_hosts_zone_unless_the_input_says_otherwise() {
    let server = Server::start("");
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    std::fs::write(logs.join("paris.log"), "08:00:00 05/03/2026 INFO tzhost\n").unwrap();
    std::fs::write(logs.join("ny.log"), "08:00:00 05/03/2026 INFO tzinput\n").unwrap();
    let inputs = format!(
        "[[input]]\npath = \"{0}/paris.log\"\nsourcetype = \"batch\"\n[[input]]\npath = \"{0}/ny.log\"\nsourcetype = \"batch\"\ntimezone = \"America/New_York\"\n",
        logs.display()
    );
    let cfg = forwarder_config(dir.path(), &[&server.url], &inputs);
    // A French server: its clock says 08:00 at 07:00 UTC.
    let out = std::process::Command::new(loupe_e2e::bin("loupe-forwarder"))
        .env("TZ", "Europe/Paris")
        .arg("--once")
        .arg("--config")
        .arg(&cfg)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (_, a) = server.search(
        "index=main (tzhost OR tzinput) | table _time _raw | sort _raw",
        10,
    );
    let got: Vec<(String, String)> = a["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["_raw"].as_str().unwrap().into(),
                r["_time"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "08:00:00 05/03/2026 INFO tzhost".to_string(),
                "2026-03-05T07:00:00Z".to_string()
            ),
            (
                "08:00:00 05/03/2026 INFO tzinput".to_string(),
                "2026-03-05T13:00:00Z".to_string()
            ),
        ]
    );
}
