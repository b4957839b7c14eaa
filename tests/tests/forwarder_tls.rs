//! HTTPS end to end: `loupe serve` with a `[tls]` table and certificates made at test time
//! (rcgen), `loupe-forwarder` trusting them through `ca_file`. A certificate the forwarder
//! does not trust is refused with a message that names the setting, and nothing is lost.

use loupe_e2e::tls::TestCa;
use loupe_e2e::{
    append_lines, assert_exactly_once, edit_forwarder_config, forwarder_config, forwarder_once,
    wait_until, ForwarderProcess, Server,
};
use std::path::Path;

fn input(dir: &Path) -> String {
    format!(
        "[[input]]\npath = \"{}/*.log\"\nindex = \"main\"\nsourcetype = \"access_combined\"\n",
        dir.join("logs").display()
    )
}

/// A server with a certificate for 127.0.0.1 and localhost, signed by `ca`; with `clients`,
/// it requires client certificates signed by that CA (the helper's own is signed too).
fn https_server(dir: &Path, ca: &TestCa, clients: Option<&TestCa>) -> Server {
    let (cert, key) = ca.sign(dir, "server", &["127.0.0.1", "localhost"]);
    let mut tls = format!("cert_file = {cert:?}\nkey_file = {key:?}\n");
    let helper = clients.map(|c| {
        tls.push_str(&format!("client_ca_file = {:?}\n", c.pem));
        c.sign(dir, "helper", &["helper.test"])
    });
    Server::start_tls(
        &tls,
        &ca.pem,
        helper.as_ref().map(|(c, k)| (c.as_path(), k.as_path())),
    )
}

fn spooled_batches(state: &Path) -> usize {
    std::fs::read_dir(state.join("spool"))
        .map(|d| {
            d.flatten()
                .filter(|e| e.path().extension().is_some_and(|x| x == "batch"))
                .count()
        })
        .unwrap_or(0)
}

#[test]
fn forwarder_ships_over_https_with_its_ca_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let ca = TestCa::new(dir.path(), "good");
    let server = https_server(dir.path(), &ca, None);
    std::fs::create_dir_all(dir.path().join("logs")).expect("logs");
    append_lines(&dir.path().join("logs/a.log"), "tlsok", 0..2000);
    let cfg = forwarder_config(dir.path(), &[&server.url], &input(dir.path()));
    edit_forwarder_config(&cfg, "", &format!("ca_file = {:?}\n", ca.pem), &[]);
    let (code, err) = forwarder_once(&cfg, 120);
    assert_eq!(code, 0, "{err}");
    assert_exactly_once(&server, "tlsok", 2000);
}

#[test]
fn forwarder_refuses_an_untrusted_certificate_and_loses_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let ca = TestCa::new(dir.path(), "good");
    let other = TestCa::new(dir.path(), "other");
    let server = https_server(dir.path(), &ca, None);
    std::fs::create_dir_all(dir.path().join("logs")).expect("logs");
    append_lines(&dir.path().join("logs/a.log"), "tlsbad", 0..500);
    let cfg = forwarder_config(dir.path(), &[&server.url], &input(dir.path()));
    edit_forwarder_config(&cfg, "", &format!("ca_file = {:?}\n", other.pem), &[]);
    let log = dir.path().join("forwarder.err");
    let mut fwd = ForwarderProcess::start_logging(&cfg, &log);
    wait_until(60, "a TLS warning naming ca_file", || {
        std::fs::read_to_string(&log)
            .map(|t| t.contains("TLS") && t.contains("ca_file"))
            .unwrap_or(false)
    });
    let text = std::fs::read_to_string(&log).expect("log");
    assert!(text.contains("not trusted"), "{text}");
    assert!(
        spooled_batches(&dir.path().join("state")) > 0,
        "nothing spooled"
    );
    assert_eq!(server.count("index=main tlsbad"), 0);
    fwd.kill9();
    // The operator fixes ca_file: the spooled batches go, exactly once.
    edit_forwarder_config(
        &cfg,
        "",
        "",
        &[(
            &format!("ca_file = {:?}", other.pem),
            &format!("ca_file = {:?}", ca.pem),
        )],
    );
    let (code, err) = forwarder_once(&cfg, 120);
    assert_eq!(code, 0, "{err}");
    assert_exactly_once(&server, "tlsbad", 500);
    assert_eq!(spooled_batches(&dir.path().join("state")), 0);
}

#[test]
fn forwarder_presents_its_client_certificate_for_mutual_tls() {
    let dir = tempfile::tempdir().expect("temp dir");
    let ca = TestCa::new(dir.path(), "good");
    let clients = TestCa::new(dir.path(), "clients");
    let server = https_server(dir.path(), &ca, Some(&clients));
    std::fs::create_dir_all(dir.path().join("logs")).expect("logs");
    append_lines(&dir.path().join("logs/a.log"), "mtls", 0..300);
    // Without a client certificate the server refuses the connection.
    let cfg = forwarder_config(dir.path(), &[&server.url], &input(dir.path()));
    edit_forwarder_config(&cfg, "", &format!("ca_file = {:?}\n", ca.pem), &[]);
    let log = dir.path().join("forwarder.err");
    let mut fwd = ForwarderProcess::start_logging(&cfg, &log);
    wait_until(60, "a refused TLS connection", || {
        std::fs::read_to_string(&log)
            .map(|t| t.contains("not delivered"))
            .unwrap_or(false)
    });
    // (With TLS 1.3 the server's refusal can reach the client as an alert naming the missing
    // certificate or, when the request was already being written, as a broken pipe.)
    fwd.kill9();
    assert_eq!(server.count("index=main mtls"), 0);
    // With one signed by the CA the server asks for, everything arrives once.
    let (cert, key) = clients.sign(dir.path(), "forwarder", &["forwarder.test"]);
    edit_forwarder_config(
        &cfg,
        "",
        &format!("client_cert_file = {cert:?}\nclient_key_file = {key:?}\n"),
        &[],
    );
    let (code, err) = forwarder_once(&cfg, 120);
    assert_eq!(code, 0, "{err}");
    assert_exactly_once(&server, "mtls", 300);
}

#[test]
fn loupe_serve_with_unusable_tls_files_stops_and_names_the_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let ca = TestCa::new(dir.path(), "good");
    let (cert, _key) = ca.sign(dir.path(), "server", &["127.0.0.1"]);
    let not_a_key = dir.path().join("not-a-key.pem");
    std::fs::write(&not_a_key, "hello\n").expect("write");
    for (cert, key, named) in [
        (
            dir.path().join("missing.pem"),
            not_a_key.clone(),
            "missing.pem",
        ),
        (cert.clone(), not_a_key.clone(), "not-a-key.pem"),
    ] {
        let config = dir.path().join("loupe.toml");
        std::fs::write(
            &config,
            format!(
                "data_dir = {:?}\nlisten = \"127.0.0.1:0\"\n[tls]\ncert_file = {cert:?}\nkey_file = {key:?}\n",
                dir.path().join("data")
            ),
        )
        .expect("write config");
        let out = std::process::Command::new(loupe_e2e::bin("loupe"))
            .args(["serve", "--config"])
            .arg(&config)
            .output()
            .expect("run loupe serve");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(err.contains(named), "{err}");
        assert!(
            !String::from_utf8_lossy(&out.stdout).contains("listening"),
            "it listened"
        );
    }
}
