//! A real SMTP server for tests: Python's `aiosmtpd` from the venv at `$LOUPE_PYTHON` (the
//! Makefile installs it), keeping each mail as `N.eml` with its envelope as `N.json`.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The server: accepts LOGIN `loupe` / `s3cret`, keeps every mail. With a certificate and key
/// it offers STARTTLS and requires it, for mail and for login alike.
const SERVER: &str = r#"
import asyncio, json, os, ssl, sys
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

port, out = int(sys.argv[1]), sys.argv[2]
tls = None
if len(sys.argv) > 4:
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(sys.argv[3], sys.argv[4])

class Keep:
    async def handle_DATA(self, server, session, envelope):
        n = len([f for f in os.listdir(out) if f.endswith(".eml")])
        with open(os.path.join(out, f"{n}.json"), "w") as f:
            json.dump({"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos,
                       "authenticated": bool(session.authenticated),
                       "tls": session.ssl is not None}, f)
        with open(os.path.join(out, f"{n}.eml"), "wb") as f:
            f.write(envelope.original_content or envelope.content)
        return "250 OK"

def auth(server, session, envelope, mechanism, data):
    ok = isinstance(data, LoginPassword) and data.login == b"loupe" and data.password == b"s3cret"
    # handled=False: aiosmtpd then answers a failure itself (535); by default it sends nothing.
    return AuthResult(success=ok, handled=False)

c = Controller(Keep(), hostname="127.0.0.1", port=port, authenticator=auth,
               auth_require_tls=tls is not None, tls_context=tls, require_starttls=tls is not None)
c.start()
print("READY", flush=True)
sys.stdin.read()
c.stop()
"#;

/// Splits a mail into its MIME parts: `{subject, from, to, parts: [{type, filename, path}]}`.
pub const EXPLODE: &str = r#"
import email, json, sys
from email import policy
msg = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=policy.default)
parts = []
for i, part in enumerate(msg.walk()):
    if part.is_multipart():
        parts.append({"type": part.get_content_type()})
        continue
    payload = part.get_payload(decode=True)
    path = f"{sys.argv[2]}/part{i}"
    open(path, "wb").write(payload)
    parts.append({"type": part.get_content_type(), "filename": part.get_filename(), "path": path})
print(json.dumps({"subject": msg["subject"], "from": msg["from"], "to": msg["to"], "parts": parts}))
"#;

/// A running aiosmtpd; stopped when dropped.
pub struct Smtp {
    child: Child,
    /// Its port on 127.0.0.1.
    pub port: u16,
    /// Its folder: `mail/` holds the mails.
    pub dir: tempfile::TempDir,
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The venv's Python, or `None` (with a note on stderr) when `LOUPE_PYTHON` is unset.
pub fn python() -> Option<PathBuf> {
    match std::env::var_os("LOUPE_PYTHON") {
        Some(p) => Some(PathBuf::from(p)),
        None => {
            // Straight to stderr, past the test harness's capture, so the skip is seen.
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "note: LOUPE_PYTHON is not set (make test sets it): skipping the real SMTP and pdftotext tests"
            );
            None
        }
    }
}

/// Starts aiosmtpd on a free port.
pub fn start_smtp(py: &Path) -> Smtp {
    start(py, false)
}

/// Starts aiosmtpd requiring STARTTLS, with a certificate for 127.0.0.1 signed by a CA of the
/// test's own (its PEM, what a client must trust, is [`Smtp::cert`]).
pub fn start_smtp_tls(py: &Path) -> Smtp {
    start(py, true)
}

fn start(py: &Path, tls: bool) -> Smtp {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("server.py");
    std::fs::write(&script, SERVER).unwrap();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mail_dir = dir.path().join("mail");
    std::fs::create_dir(&mail_dir).unwrap();
    let mut cmd = Command::new(py);
    cmd.arg(&script).arg(port.to_string()).arg(&mail_dir);
    if tls {
        let ca = crate::tls::TestCa::new(dir.path(), "smtp");
        let (cert, key) = ca.sign(dir.path(), "smtp-server", &["127.0.0.1"]);
        cmd.arg(&cert).arg(&key);
    }
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start aiosmtpd (make pydeps installs it)");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(
        line.trim(),
        "READY",
        "aiosmtpd did not start (is it installed in the venv?)"
    );
    Smtp { child, port, dir }
}

impl Smtp {
    /// The CA (PEM) that signed the server's certificate, when it was started with TLS.
    pub fn cert(&self) -> PathBuf {
        self.dir.path().join("smtp-ca.pem")
    }

    /// The mails received so far, oldest first.
    pub fn mails(&self) -> Vec<PathBuf> {
        let dir = self.dir.path().join("mail");
        let mut n = 0;
        let mut out = Vec::new();
        while dir.join(format!("{n}.eml")).exists() {
            out.push(dir.join(format!("{n}.eml")));
            n += 1;
        }
        out
    }

    /// The MIME parts of a mail, as [`EXPLODE`] lists them.
    pub fn parts(&self, py: &Path, eml: &Path) -> serde_json::Value {
        let script = self.dir.path().join("explode.py");
        std::fs::write(&script, EXPLODE).expect("write explode.py");
        let out_dir = self.dir.path().join(format!(
            "parts-{}",
            eml.file_stem().and_then(|s| s.to_str()).unwrap_or("x")
        ));
        std::fs::create_dir_all(&out_dir).expect("parts dir");
        let out = Command::new(py)
            .arg(&script)
            .arg(eml)
            .arg(&out_dir)
            .output()
            .expect("run explode.py");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("parts JSON")
    }
}

/// `pdftotext -raw` of a PDF file, whitespace runs as one space.
pub fn pdf_text(pdf: &Path) -> String {
    let out = Command::new("pdftotext")
        .arg("-raw")
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext (Debian poppler-utils; the Makefile installs it)");
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}
