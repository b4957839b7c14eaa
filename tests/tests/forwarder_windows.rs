//! The Windows forwarder (`loupe-forwarder.exe`, cross-built by `make windows`) run under Wine
//! against a Linux `loupe serve`: Windows-born files (UTF-16 LE with a BOM and CRLF,
//! Windows-1252, UTF-8 without a BOM), the `source` as Windows shows it, the host's time zone,
//! rename rotation and copy-truncate, every program of the prefix killed (`wineserver -k`)
//! and restarted, `run -- job.bat`, and the service commands.
//!
//! Each test skips, saying why, when the exe, Wine or MinGW is missing — except under
//! `make test`, which builds and installs them and sets `LOUPE_WINDOWS_EXE`: there a missing
//! piece fails. See `loupe_e2e::wine` for the prefix (made once under the target directory).

use loupe_e2e::wine::{z_path, Wine};
use loupe_e2e::{assert_exactly_once, wait_until, Server, TOKEN};
use std::io::Write;
use std::path::Path;
use std::process::{Child, Stdio};

/// A forwarder config with Windows paths: state in `state` (a Linux dir, seen through `Z:`).
fn config(dir: &Path, url: &str, inputs: &str) -> String {
    let state = z_path(&dir.join("state"));
    format!(
        "state_dir = '{state}'\npoll_interval = \"50ms\"\nidle_timeout = \"300ms\"\nbatch_max_age = \"100ms\"\n[output]\nurls = [\"{url}\"]\ntoken = \"{TOKEN}\"\ntimeout = \"10s\"\n{inputs}\n"
    )
}

fn write_config(dir: &Path, text: &str) -> String {
    let path = dir.join("forwarder.toml");
    std::fs::write(&path, text).expect("write forwarder.toml");
    z_path(&path)
}

/// UTF-16 LE text with CRLF line ends, as PowerShell's `Out-File` writes it.
fn utf16(text: &str) -> Vec<u8> {
    text.replace('\n', "\r\n")
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect()
}

/// Appends `<tag> line=<i> …` lines (the form `assert_exactly_once` expects) in UTF-16 LE with
/// CRLF, starting the file with a BOM when it is empty or new.
fn append_utf16(path: &Path, tag: &str, range: std::ops::Range<usize>) {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .expect("open log");
    let mut bytes = Vec::new();
    if f.metadata().map(|m| m.len()).unwrap_or(0) == 0 {
        bytes.extend_from_slice(&[0xFF, 0xFE]);
    }
    for i in range {
        bytes.extend(utf16(&format!(
            "{tag} line={i:06} some payload to make it longer\n"
        )));
    }
    f.write_all(&bytes).expect("append");
}

/// Runs a Wine program to its end: exit code, stdout, stderr. They go through files, not
/// pipes: the service manager that the first program of a prefix boots inherits them and may
/// outlive it, so a pipe would not reach its end until that manager stops.
fn run(mut c: std::process::Command) -> (Option<i32>, String, String) {
    let out = tempfile::NamedTempFile::new().expect("temp file");
    let err = tempfile::NamedTempFile::new().expect("temp file");
    let status = c
        .stdout(out.reopen().expect("reopen"))
        .stderr(err.reopen().expect("reopen"))
        .status()
        .expect("run under wine");
    let read = |f: &tempfile::NamedTempFile| {
        String::from_utf8_lossy(&std::fs::read(f.path()).unwrap_or_default()).into_owned()
    };
    (status.code(), read(&out), read(&err))
}

/// `wine loupe-forwarder.exe --config CFG`, in the background, stderr appended to `log`;
/// returns once it says it follows its files (its first discovery done, its directories
/// watched), as `ForwarderProcess` does on Linux.
fn start(wine: &Wine, cfg: &str, log: &Path) -> Child {
    const READY: &str = "loupe-forwarder: started";
    let starts = || {
        std::fs::read_to_string(log)
            .map(|t| t.matches(READY).count())
            .unwrap_or(0)
    };
    let before = starts();
    let stderr = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .expect("forwarder log");
    let mut child = wine
        .forwarder()
        .args(["--config", cfg])
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .expect("start wine");
    wait_until(60, "the forwarder to start under wine", || {
        starts() > before || child.try_wait().ok().flatten().is_some()
    });
    child
}

/// The rows of `query | table FIELDS`, each as the fields' values joined by ` | `, sorted.
fn table(server: &Server, query: &str, fields: &str) -> Vec<String> {
    let (status, body) = server.search(&format!("{query} | table {fields}"), 100);
    assert_eq!(status, 200, "{body}");
    let names: Vec<&str> = fields.split_whitespace().collect();
    let mut rows: Vec<String> = body["rows"]
        .as_array()
        .unwrap_or_else(|| panic!("no rows in {body}"))
        .iter()
        .map(|r| {
            names
                .iter()
                .map(|n| match &r[*n] {
                    serde_json::Value::String(s) => s.clone(),
                    serde_json::Value::Null => "-".to_string(),
                    v => v.to_string(),
                })
                .collect::<Vec<_>>()
                .join(" | ")
        })
        .collect();
    rows.sort();
    rows
}

#[test]
fn windows_files_arrive_decoded_with_windows_sources_and_local_time() {
    let Some(wine) = Wine::get(
        "windows_files_arrive_decoded_with_windows_sources_and_local_time",
        "shared",
    ) else {
        return;
    };
    let server = Server::start("");
    // Only this test uses C:\batchs; what an earlier run left there goes.
    let batchs = wine.drive_c().join("batchs");
    let _ = std::fs::remove_dir_all(&batchs);
    for client in ["mutuelle-azur", "caisse-solidaire", "prevoyance-ouest"] {
        std::fs::create_dir_all(batchs.join(client)).unwrap();
    }
    // PowerShell's Out-File: UTF-16 LE, BOM, CRLF.
    let mut envoi = vec![0xFF, 0xFE];
    envoi.extend(utf16(
        "08:00:00 05/03/2026 INFO  Début du traitement envoi_mail\n08:00:05 05/03/2026 ERROR Échec de l'envoi, code retour=2\n",
    ));
    std::fs::write(batchs.join("mutuelle-azur/envoi_mail.log"), envoi).unwrap();
    // A .bat's redirection: the ANSI code page (Windows-1252), CRLF.
    std::fs::write(
        batchs.join("caisse-solidaire/import_tiers.log"),
        b"08:10:00 05/03/2026 WARN  Re\xe7u 3 fichiers, d\xe9j\xe0 trait\xe9s: 2 (\x80)\r\n",
    )
    .unwrap();
    // UTF-8 without a BOM, LF.
    std::fs::write(
        batchs.join("prevoyance-ouest/purge_comptes.log"),
        "08:20:00 05/03/2026 INFO  Purge terminée: 12 comptes supprimés\n",
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    // Two glob styles for one tree: `\` for the first input, `/` for the second (and for the
    // first's exclude); every source comes out as C:\batchs\<client>\<job>.log all the same.
    let inputs = r#"
[[input]]
path = 'C:\batchs\**\*.log'
exclude = 'C:/batchs/caisse-solidaire/*.log'
sourcetype = "batch"
host_segment = 2
[[input]]
path = 'C:/batchs/caisse-solidaire/*.log'
sourcetype = "batch"
encoding = "windows-1252"
host = "ORDO-PROD-01"
source_fields = '(?i)\\batchs\\(?<client>[^\\]+)\\(?<job>[^\\]+)\.log$'
"#;
    let cfg = write_config(dir.path(), &config(dir.path(), &server.url, inputs));
    // A French server: its clock's zone is Paris (Wine takes the zone from TZ).
    let mut once = wine.forwarder();
    once.env("TZ", "Europe/Paris")
        .args(["--config", &cfg, "--once"]);
    let (code, _, err) = run(once);
    assert_eq!(code, Some(0), "--once under wine: {err}");
    let rows = table(
        &server,
        "index=main sourcetype=batch",
        "_time host source client job _raw",
    );
    assert_eq!(
        rows,
        [
            r"2026-03-05T07:00:00Z | mutuelle-azur | C:\batchs\mutuelle-azur\envoi_mail.log | - | - | 08:00:00 05/03/2026 INFO  Début du traitement envoi_mail",
            r"2026-03-05T07:00:05Z | mutuelle-azur | C:\batchs\mutuelle-azur\envoi_mail.log | - | - | 08:00:05 05/03/2026 ERROR Échec de l'envoi, code retour=2",
            r"2026-03-05T07:10:00Z | ORDO-PROD-01 | C:\batchs\caisse-solidaire\import_tiers.log | caisse-solidaire | import_tiers | 08:10:00 05/03/2026 WARN  Reçu 3 fichiers, déjà traités: 2 (€)",
            r"2026-03-05T07:20:00Z | prevoyance-ouest | C:\batchs\prevoyance-ouest\purge_comptes.log | - | - | 08:20:00 05/03/2026 INFO  Purge terminée: 12 comptes supprimés",
        ]
    );
}

#[test]
fn rotation_copy_truncate_and_a_killed_forwarder_lose_and_double_nothing() {
    // `wineserver -k` kills every program of its prefix: this test has one of its own.
    let Some(wine) = Wine::get(
        "rotation_copy_truncate_and_a_killed_forwarder_lose_and_double_nothing",
        "kill",
    ) else {
        return;
    };
    let server = Server::start("");
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    let inputs = format!(
        "[[input]]\npath = '{}\\*.log'\nsourcetype = \"auto\"\n",
        z_path(&logs)
    );
    let cfg = write_config(dir.path(), &config(dir.path(), &server.url, &inputs));
    let stderr = dir.path().join("forwarder.stderr");
    let app = logs.join("app.log");
    let tag = "wrot";
    let shipped = |n: u64| {
        wait_until(60, &format!("{n} lines indexed"), || {
            server.count(&format!("index=main {tag}")) >= n
        })
    };

    append_utf16(&app, tag, 0..300);
    let mut fwd = start(&wine, &cfg, &stderr);
    shipped(300);

    // Rename rotation, the writer finishing its last lines in the renamed file.
    std::fs::rename(&app, logs.join("app.log.1")).unwrap();
    append_utf16(&logs.join("app.log.1"), tag, 300..350);
    append_utf16(&app, tag, 350..600);
    shipped(600);

    // Copy-truncate, as log rotators do it: the copy is not matched by the glob.
    std::fs::copy(&app, logs.join("app.log.2")).unwrap();
    std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(&app)
        .unwrap();
    append_utf16(&app, tag, 600..800);
    shipped(800);

    // Every program of the prefix killed at once, lines written before and while it is down.
    append_utf16(&app, tag, 800..900);
    wine.kill_all();
    let _ = fwd.wait();
    append_utf16(&app, tag, 900..1000);
    let mut fwd = start(&wine, &cfg, &stderr);
    assert_exactly_once(&server, tag, 1000);
    let _ = fwd.kill();
    let _ = fwd.wait();
}

#[test]
fn run_reports_a_batch_files_exit_code() {
    let name = "run_reports_a_batch_files_exit_code";
    let Some(wine) = Wine::get(name, "shared") else {
        return;
    };
    let server = Server::start("");
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(dir.path(), &config(dir.path(), &server.url, ""));
    std::fs::write(
        dir.path().join("envoi_mail.bat"),
        "@echo off\r\necho 42 mails envoyes\r\necho SMTP refuse 1>&2\r\nexit /b 3\r\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("purge.cmd"),
        "@echo off\r\necho purge ok\r\n",
    )
    .unwrap();
    let job = |name: &str, script: &str| {
        let mut c = wine.forwarder();
        // The batch file named bare, from the directory it is in, as Task Scheduler's
        // "Start in" does it.
        c.current_dir(dir.path())
            .args([
                "--config",
                &cfg,
                "run",
                "--name",
                name,
                "--ship-timeout",
                "20",
            ])
            .args(["--", script]);
        run(c)
    };
    let (code, stdout, stderr) = job("envoi-mail", "envoi_mail.bat");
    assert_eq!(
        code,
        Some(3),
        "the job's exit code is ours: {stdout} {stderr}"
    );
    assert!(stdout.contains("42 mails envoyes"), "{stdout}");
    let (code, _, stderr) = job("purge", "purge.cmd");
    assert_eq!(code, Some(0), "{stderr}");
    let rows = table(
        &server,
        "index=main sourcetype=loupe:job phase=end",
        "source exit_code status",
    );
    assert_eq!(
        rows,
        ["job:envoi-mail | 3 | failure", "job:purge | 0 | success"]
    );
    let (_, a) = server.search(
        "index=main source=job:envoi-mail phase=end | table output_tail",
        1,
    );
    let tail = a["rows"][0]["output_tail"].as_str().unwrap_or_default();
    assert!(
        tail.contains("42 mails envoyes") && tail.contains("SMTP refuse"),
        "{a}"
    );
    assert_eq!(
        server.count("index=main sourcetype=loupe:job phase=start"),
        2
    );
}

/// `loupe-forwarder.exe service …` under Wine: its exit code and output.
fn service(wine: &Wine, args: &[&str]) -> (Option<i32>, String) {
    let mut c = wine.forwarder();
    c.args(args);
    let (code, out, err) = run(c);
    (code, format!("{out}{err}"))
}

/// The checkpointed offset of every file, and the number of batches still spooled.
fn checkpointed(state: &Path) -> (Vec<u64>, usize) {
    let text = std::fs::read_to_string(state.join("checkpoint.json")).unwrap_or_default();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    let offsets = v["files"]
        .as_object()
        .map(|f| f.values().filter_map(|m| m["offset"].as_u64()).collect())
        .unwrap_or_default();
    let spooled = std::fs::read_dir(state.join("spool"))
        .map(|d| d.count())
        .unwrap_or(0);
    (offsets, spooled)
}

#[test]
fn the_service_installs_starts_stops_with_checkpoints_written_and_uninstalls() {
    // Wine's service manager is per prefix: this test has one of its own.
    let Some(wine) = Wine::get(
        "the_service_installs_starts_stops_with_checkpoints_written_and_uninstalls",
        "service",
    ) else {
        return;
    };
    let _server = wine.persistent_server();
    // What an interrupted earlier run left.
    let _ = service(&wine, &["service", "uninstall"]);
    let server = Server::start("");
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    let app = logs.join("envoi_mail.log");
    let tag = "wsvc";
    append_utf16(&app, tag, 0..200);
    let inputs = format!(
        "[[input]]\npath = '{}\\*.log'\nsourcetype = \"auto\"\n",
        z_path(&logs)
    );
    let cfg = write_config(dir.path(), &config(dir.path(), &server.url, &inputs));
    let shipped = |n: u64| {
        wait_until(60, &format!("{n} lines indexed"), || {
            server.count(&format!("index=main {tag}")) >= n
        })
    };

    let (code, out) = service(&wine, &["--config", &cfg, "service", "install"]);
    assert_eq!(code, Some(0), "install: {out}");
    let (code, out) = service(&wine, &["service", "start"]);
    assert_eq!(code, Some(0), "start: {out}");
    shipped(200);
    append_utf16(&app, tag, 200..300);
    shipped(300);

    // A stop writes the checkpoints: the whole file is acknowledged, nothing is left spooled.
    let (code, out) = service(&wine, &["service", "stop"]);
    assert_eq!(code, Some(0), "stop: {out}");
    let len = std::fs::metadata(&app).unwrap().len();
    let state = dir.path().join("state");
    assert_eq!(server.count(&format!("index=main {tag}")), 300);
    assert_eq!(
        checkpointed(&state),
        (vec![len], 0),
        "{}",
        std::fs::read_to_string(state.join("checkpoint.json")).unwrap_or_default()
    );

    // Lines written while it is stopped are shipped once it is started again.
    append_utf16(&app, tag, 300..400);
    let (code, out) = service(&wine, &["service", "start"]);
    assert_eq!(code, Some(0), "start again: {out}");
    assert_exactly_once(&server, tag, 400);
    let (code, out) = service(&wine, &["service", "uninstall"]);
    assert_eq!(code, Some(0), "uninstall: {out}");
    let (code, out) = service(&wine, &["service", "stop"]);
    assert_ne!(code, Some(0), "no service any more: {out}");

    // Its stderr went to %ProgramData%\Loupe\logs (Wine gives services C:\users\Public).
    let log = ["ProgramData", "users/Public"]
        .iter()
        .map(|d| wine.drive_c().join(d).join("Loupe/logs/forwarder.log"))
        .find(|p| p.exists())
        .expect("the service's log file");
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.contains("loupe-forwarder service: starting with"),
        "{text}"
    );
    assert!(text.contains("loupe-forwarder service: stopped"), "{text}");
}

#[test]
fn without_config_it_reads_program_data_where_the_zip_s_example_passes_check() {
    let Some(wine) = Wine::get(
        "without_config_it_reads_program_data_where_the_zip_s_example_passes_check",
        "shared",
    ) else {
        return;
    };
    // The example of the zip, with CRLF line ends as `make windows` packs it.
    let example = include_str!("../../forwarder/packaging/windows/forwarder.toml");
    let dir = wine.drive_c().join("ProgramData/Loupe");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("forwarder.toml"), example.replace('\n', "\r\n")).unwrap();
    let mut c = wine.forwarder();
    c.arg("--check");
    let (code, out, err) = run(c);
    assert_eq!(code, Some(0), "{out}{err}");
    assert_eq!(
        out.trim_end(),
        r"C:\ProgramData\Loupe\forwarder.toml: ok (1 input(s), 1 indexer(s))"
    );
}

#[test]
fn the_windows_build_ships_over_https_trusting_its_ca_file() {
    let Some(wine) = Wine::get(
        "the_windows_build_ships_over_https_trusting_its_ca_file",
        "shared",
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    // A CA of the test's own and a certificate it signs for 127.0.0.1.
    let ca = loupe_e2e::tls::TestCa::new(dir.path(), "wine");
    let ca_pem = ca.pem.clone();
    let (cert_file, key_file) = ca.sign(dir.path(), "server", &["127.0.0.1"]);
    let server = Server::start_tls(
        &format!("cert_file = {cert_file:?}\nkey_file = {key_file:?}\n"),
        &ca_pem,
        None,
    );

    let logs = dir.path().join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    append_utf16(&logs.join("app.log"), "wtls", 0..50);
    let inputs = format!(
        "[[input]]\npath = '{}\\*.log'\nsourcetype = \"auto\"\n",
        z_path(&logs)
    );
    let text = config(dir.path(), &server.url, &inputs).replacen(
        "[output]\n",
        &format!("[output]\nca_file = '{}'\n", z_path(&ca_pem)),
        1,
    );
    let cfg = write_config(dir.path(), &text);
    let mut once = wine.forwarder();
    once.args(["--config", &cfg, "--once"]);
    let (code, _, err) = run(once);
    assert_eq!(code, Some(0), "--once over HTTPS under wine: {err}");
    assert_exactly_once(&server, "wtls", 50);
}
