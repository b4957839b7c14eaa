//! `loupe-forwarder --check`: a valid config exits 0; mistakes exit 1 with a message
//! that names what and where (line of an unknown key, the bad glob, the bad regex).

use loupe_e2e::bin;
use std::process::Command;

fn check(text: &str) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("forwarder.toml");
    std::fs::write(&p, text).unwrap();
    let out = Command::new(bin("loupe-forwarder"))
        .args(["--check", "--config"])
        .arg(&p)
        .output()
        .expect("run loupe-forwarder");
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

const HEAD: &str = "state_dir = \"/tmp/lf\"\n[output]\nurls = [\"http://127.0.0.1:8088\", \"http://127.0.0.1:8089\"]\ntoken = \"t\"\n";

#[test]
fn forwarder_check_accepts_a_full_config() {
    let (code, out) = check(&format!(
        "{HEAD}compression = \"gzip\"\n[[input]]\npath = \"/var/log/**/*.log\"\nexclude = \"/var/log/old/**\"\nindex = \"web\"\nsourcetype = \"access_combined\"\nhost_segment = 3\nencoding = \"utf-16le\"\nmax_line_bytes = 65536\n[[input.mask]]\nbuiltin = \"fr_nir\"\n[[input.mask]]\nregex = \"token=\\\\w+\"\nreplace = \"token=***\"\n"
    ));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("ok"), "{out}");
}

#[test]
fn forwarder_check_reports_unknown_key_with_line() {
    let (code, out) = check(&format!(
        "{HEAD}[[input]]\npath = \"/x/*.log\"\nsourcetyp = \"syslog\"\n"
    ));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("line 7"), "{out}");
    assert!(out.contains("sourcetyp"), "{out}");
}

#[test]
fn forwarder_check_reports_bad_glob_and_bad_regex() {
    let (code, out) = check(&format!("{HEAD}[[input]]\npath = \"/x/[ab.log\"\n"));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("bad glob"), "{out}");
    let (code, out) = check(&format!(
        "{HEAD}[[input]]\npath = \"/x/*.log\"\n[[input.mask]]\nregex = \"(unclosed\"\n"
    ));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("bad regex"), "{out}");
    let (code, out) = check(&format!(
        "{HEAD}[[input]]\npath = \"/x/*.log\"\n[[input.mask]]\nbuiltin = \"passport\"\n"
    ));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("unknown builtin"), "{out}");
}

#[test]
fn forwarder_check_reports_tls_files_that_hold_no_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, "not a certificate\n").unwrap();
    let (code, out) = check(&format!(
        "state_dir = \"/tmp/lf\"\n[output]\nurls = [\"https://127.0.0.1:8088\"]\ntoken = \"t\"\nca_file = {ca:?}\n"
    ));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("no certificate"), "{out}");
    assert!(out.contains("ca.pem"), "{out}");
    let (code, out) = check(
        "state_dir = \"/tmp/lf\"\n[output]\nurls = [\"https://127.0.0.1:8088\"]\ntoken = \"t\"\nca_file = \"/nonexistent/ca.pem\"\n",
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("/nonexistent/ca.pem"), "{out}");
}
