//! # loupe-e2e
//!
//! Helpers for end-to-end tests that run the real `loupe` binary: [`Server`] starts
//! `loupe serve` on a free port with its own data dir and token, [`Server::kill9`]
//! kills it the hard way, [`Server::restart`] brings it back on the same data;
//! [`Server::hec`] posts to HEC and [`Server::search`] runs a search after a flush.
//!
//! ```no_run
//! let server = loupe_e2e::Server::start("");
//! let (status, _) = server.hec("/services/collector/event", r#"{"event":"hello"}"#.as_bytes(), &[]);
//! assert_eq!(status, 200);
//! assert_eq!(server.count("hello"), 1);
//! ```

pub mod smtp;
pub mod tls;
pub mod wine;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The token every test server accepts.
pub const TOKEN: &str = "test-token-0123456789";

/// Where the built binaries are (`make test` sets `LOUPE_BIN_DIR`).
pub fn bin(name: &str) -> PathBuf {
    let dir = std::env::var("LOUPE_BIN_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/debug"));
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} is not built: run `make test` (or `cargo build --workspace --bins`)",
        path.display()
    );
    path
}

/// The shared sample data (`../shared/data`).
pub fn shared_data() -> PathBuf {
    std::env::var("LOUPE_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data"))
}

/// A running `loupe serve`.
pub struct Server {
    pub child: Child,
    pub url: String,
    pub dir: tempfile::TempDir,
    config: PathBuf,
    agent: ureq::Agent,
    /// What the server printed on stdout after its `listening` line.
    printed: Printed,
}

type Printed = std::sync::Arc<std::sync::Mutex<Vec<String>>>;

fn agent() -> ureq::Agent {
    agent_trusting(None, None)
}

/// A client for the test server; `ca` (PEM) is the CA its HTTPS certificate chains to, `client`
/// a (certificate, key) PEM pair for servers that require one.
fn agent_trusting(ca: Option<&Path>, client: Option<(&Path, &Path)>) -> ureq::Agent {
    let mut b = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(std::time::Duration::from_secs(60)));
    use ureq::tls::{Certificate, ClientCert, PemItem, PrivateKey, RootCerts, TlsConfig};
    let certs = |path: &Path| -> Vec<Certificate<'static>> {
        let pem = std::fs::read(path).expect("read PEM file");
        let certs: Vec<Certificate<'static>> = ureq::tls::parse_pem(&pem)
            .filter_map(|i| match i {
                Ok(PemItem::Certificate(c)) => Some(c),
                _ => None,
            })
            .collect();
        assert!(!certs.is_empty(), "no certificate in {}", path.display());
        certs
    };
    if let Some(ca) = ca {
        let mut tls = TlsConfig::builder().root_certs(RootCerts::new_with_certs(&certs(ca)));
        if let Some((cert, key)) = client {
            let key = PrivateKey::from_pem(&std::fs::read(key).expect("read key")).expect("key");
            tls = tls.client_cert(Some(ClientCert::new_with_certs(&certs(cert), key)));
        }
        b = b.tls_config(tls.build());
    }
    b.build().into()
}

impl Server {
    /// `loupe ARGS --config <this server's config>` with `stdin`; its stdout, trimmed (the
    /// command must succeed).
    pub fn cli(&self, args: &[&str], stdin: Option<&str>) -> String {
        use std::io::Write;
        let mut child = Command::new(bin("loupe"))
            .args(args)
            .arg("--config")
            .arg(self.dir.path().join("loupe.toml"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run loupe");
        if let Some(text) = stdin {
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(text.as_bytes())
                .expect("write stdin");
        }
        drop(child.stdin.take());
        let out = child.wait_with_output().expect("wait loupe");
        assert!(out.status.success(), "{args:?}: {out:?}");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// A user with `role` and the password `a long enough password`, and a token of theirs
    /// (printed once by `loupe token create`).
    pub fn user_with_token(&self, name: &str, role: &str) -> String {
        self.cli(
            &["user", "add", name, "--role", role, "--password-stdin"],
            Some("a long enough password\n"),
        );
        let token = self.cli(
            &["token", "create", "--user", name, "--expires", "1d"],
            None,
        );
        assert!(token.starts_with("lpt_"), "{token}");
        token
    }

    /// Starts a server on a free port; `extra` is appended to its `loupe.toml` (indexes, limits...).
    pub fn start(extra: &str) -> Server {
        Server::start_on("127.0.0.1:0", extra)
    }

    /// Starts a server serving HTTPS: `tls` is the body of its `[tls]` table, `ca` the PEM CA
    /// that its certificate chains to (trusted by this helper's own client).
    /// `client` is the (certificate, key) this helper presents when the server requires one.
    pub fn start_tls(tls: &str, ca: &Path, client: Option<(&Path, &Path)>) -> Server {
        let mut s = Server::start_on("127.0.0.1:0", &format!("[tls]\n{tls}\n"));
        s.agent = agent_trusting(Some(ca), client);
        assert!(s.url.starts_with("https://"), "{}", s.url);
        s
    }

    /// Starts a server listening on `listen` with `extra` config lines.
    pub fn start_on(listen: &str, extra: &str) -> Server {
        Server::start_in(tempfile::tempdir().expect("temp dir"), listen, extra)
    }

    /// Starts a server whose data dir is `dir/data`, which the caller may have prepared (a
    /// mount point, say).
    pub fn start_in(dir: tempfile::TempDir, listen: &str, extra: &str) -> Server {
        let config = dir.path().join("loupe.toml");
        let data = dir.path().join("data");
        // Commits every 200 ms unless `extra` says otherwise.
        let commit = if extra.contains("commit_interval") {
            ""
        } else {
            "commit_interval = \"200ms\"\n"
        };
        let text = format!(
            "data_dir = {data:?}\nlisten = \"{listen}\"\n{commit}{extra}\n[[tokens]]\nname = \"test\"\ntoken = \"{TOKEN}\"\n"
        );
        std::fs::write(&config, text).expect("write config");
        let (child, url, printed) = spawn(&config);
        Server {
            child,
            url,
            dir,
            config,
            agent: agent(),
            printed,
        }
    }

    /// The data dir of this server.
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// `kill -9`: no shutdown path runs.
    pub fn kill9(&mut self) {
        let _ = self.child.kill(); // SIGKILL on Unix
        let _ = self.child.wait();
    }

    /// SIGTERM and wait (at most 60 s) for a clean exit; returns the exit status.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("run kill");
        assert!(sent.success());
        let (tx, rx) = std::sync::mpsc::channel();
        let mut child = std::mem::replace(
            &mut self.child,
            Command::new("true").spawn().expect("spawn true"),
        );
        std::thread::spawn(move || {
            let _ = tx.send(child.wait());
        });
        rx.recv_timeout(std::time::Duration::from_secs(60))
            .expect("loupe serve did not stop within 60 s of SIGTERM")
            .expect("wait")
    }

    /// Starts again on the same data dir (and a new port).
    pub fn restart(&mut self) {
        let (child, url, printed) = spawn(&self.config);
        self.child = child;
        self.url = url;
        self.printed = printed;
    }

    /// The first line the server printed on stdout that contains `needle` (waiting up to
    /// 30 s for it).
    pub fn printed_line(&self, needle: &str) -> String {
        let mut found = None;
        wait_until(30, &format!("loupe serve prints {needle:?}"), || {
            found = self
                .printed
                .lock()
                .map(|lines| lines.iter().find(|l| l.contains(needle)).cloned())
                .unwrap_or(None);
            found.is_some()
        });
        found.unwrap_or_default()
    }

    /// POSTs to an HEC path with the test token; returns status and the JSON answer.
    pub fn hec(
        &self,
        path: &str,
        body: &[u8],
        headers: &[(&str, &str)],
    ) -> (u16, serde_json::Value) {
        let (status, _, answer) = self.hec_with_headers(path, body, headers);
        (status, answer)
    }

    /// [`Server::hec`], with the answer's headers (names lowercase).
    pub fn hec_with_headers(
        &self,
        path: &str,
        body: &[u8],
        headers: &[(&str, &str)],
    ) -> (u16, Vec<(String, String)>, serde_json::Value) {
        let mut req = self
            .agent
            .post(&format!("{}{path}", self.url))
            .header("Authorization", &format!("Splunk {TOKEN}"));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        match req.send(body) {
            Ok(mut r) => {
                let status = r.status().as_u16();
                let names = r
                    .headers()
                    .iter()
                    .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
                    .collect();
                let text = r.body_mut().read_to_string().unwrap_or_default();
                (
                    status,
                    names,
                    serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)),
                )
            }
            Err(e) => (0, Vec::new(), serde_json::Value::String(e.to_string())),
        }
    }

    /// Makes everything acknowledged searchable (no sleeping: the server commits and answers).
    pub fn flush(&self) {
        let (status, text) = self.try_flush();
        assert_eq!(status, 200, "flush: {text}");
    }

    /// Asks for a commit and returns the answer, whatever it is.
    pub fn try_flush(&self) -> (u16, String) {
        let mut r = self
            .agent
            .post(&format!("{}/api/v1/flush", self.url))
            .header("Authorization", &format!("Bearer {TOKEN}"))
            .send_empty()
            .expect("flush");
        let text = r.body_mut().read_to_string().unwrap_or_default();
        (r.status().as_u16(), text)
    }

    /// Flushes, then runs a search through the API; returns status and answer.
    pub fn search(&self, query: &str, limit: usize) -> (u16, serde_json::Value) {
        self.flush();
        // Both shapes, so a test reads whichever it checks (a client asks for one).
        let body = serde_json::json!({"query": query, "limit": limit, "output": "both"});
        let mut r = self
            .agent
            .post(&format!("{}/api/v1/search", self.url))
            .header("Authorization", &format!("Bearer {TOKEN}"))
            .send_json(&body)
            .expect("search");
        let status = r.status().as_u16();
        let text = r.body_mut().read_to_string().unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)),
        )
    }

    /// The `_audit` events `query` finds over the last day (after a flush), each `_raw` read as
    /// the JSON the audit trail writes.
    pub fn audit_events(&self, query: &str) -> Vec<serde_json::Value> {
        self.flush();
        let (status, a, _) = self.search_with(
            TOKEN,
            &serde_json::json!({"query": query, "earliest": "-1d", "limit": 100}),
        );
        assert_eq!(status, 200, "{a}");
        a["events"]
            .as_array()
            .expect("events")
            .iter()
            .filter_map(|e| serde_json::from_str(e["_raw"].as_str()?).ok())
            .collect()
    }

    /// `POST /api/v1/search` with `body` as `token` (no flush): status, answer and the
    /// `Retry-After` header when there is one.
    pub fn search_with(
        &self,
        token: &str,
        body: &serde_json::Value,
    ) -> (u16, serde_json::Value, Option<String>) {
        let mut r = self
            .agent
            .post(&format!("{}/api/v1/search", self.url))
            .header("Authorization", &format!("Bearer {token}"))
            .send_json(body)
            .expect("search");
        let status = r.status().as_u16();
        let retry = r
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let text = r.body_mut().read_to_string().unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)),
            retry,
        )
    }

    /// `method path` of the API with the test token and an optional JSON body: status and
    /// answer (JSON when it parses, else the text).
    pub fn api(
        &self,
        method: &str,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let url = format!("{}{path}", self.url);
        let auth = format!("Bearer {TOKEN}");
        let answer = match (method, body) {
            ("GET", _) => self.agent.get(&url).header("Authorization", &auth).call(),
            ("DELETE", _) => self
                .agent
                .delete(&url)
                .header("Authorization", &auth)
                .call(),
            ("POST", Some(b)) => self
                .agent
                .post(&url)
                .header("Authorization", &auth)
                .send_json(b),
            ("POST", None) => self
                .agent
                .post(&url)
                .header("Authorization", &auth)
                .send_empty(),
            ("PUT", Some(b)) => self
                .agent
                .put(&url)
                .header("Authorization", &auth)
                .send_json(b),
            other => panic!("unsupported request {other:?}"),
        };
        let mut r = answer.expect("API request");
        let status = r.status().as_u16();
        let text = r.body_mut().read_to_string().unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)),
        )
    }

    /// One value of `/metrics` (the first line starting with `name`), 0 when absent.
    pub fn metric(&self, name: &str) -> f64 {
        let mut r = self
            .agent
            .get(&format!("{}/metrics", self.url))
            .call()
            .expect("metrics");
        let text = r.body_mut().read_to_string().unwrap_or_default();
        text.lines()
            .filter(|l| !l.starts_with('#'))
            .find_map(|l| {
                let (k, v) = l.rsplit_once(' ')?;
                (k == name).then(|| v.parse().ok()).flatten()
            })
            .unwrap_or(0.0)
    }

    /// `QUERY | stats count`, as a number.
    pub fn count(&self, query: &str) -> u64 {
        let (status, body) = self.search(&format!("{query} | stats count"), 1);
        assert_eq!(status, 200, "{body}");
        body["rows"][0]["count"]
            .as_u64()
            .unwrap_or_else(|| panic!("no count in {body}"))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(config: &Path) -> (Child, String, Printed) {
    let mut child = Command::new(bin("loupe"))
        .args(["serve", "--config"])
        .arg(config)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start loupe serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let url = loop {
        match lines.next() {
            Some(Ok(line)) => {
                if let Some(url) = line.strip_prefix("loupe listening on ") {
                    break url.trim().to_string();
                }
            }
            _ => panic!("loupe serve exited before listening"),
        }
    };
    // Keep draining stdout so the server never blocks on a full pipe.
    let printed = Printed::default();
    let keep = printed.clone();
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            if let Ok(mut l) = keep.lock() {
                l.push(line);
            }
        }
    });
    (child, url, printed)
}

/// Starts `loupe serve` listening on a fixed address, so a client configured with that
/// address before the server existed (a forwarder spooling) finds it when it comes up.
pub fn server_on(listen: &str) -> Server {
    Server::start_on(listen, "")
}

/// A localhost port nothing listens on (at the time of the call).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind a free port")
}

/// Polls `cond` (every 100 ms) until it holds; panics with `what` after `secs` seconds.
pub fn wait_until(secs: u64, what: &str, cond: impl FnMut() -> bool) {
    wait_until_or(secs, cond, || {
        format!("timed out after {secs} s waiting for: {what}")
    });
}

/// [`wait_until`] whose failure message is built only when it fails (e.g. listing what is
/// missing, which costs a search).
pub fn wait_until_or(secs: u64, mut cond: impl FnMut() -> bool, failure: impl FnOnce() -> String) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while !cond() {
        if std::time::Instant::now() >= deadline {
            panic!("{}", failure());
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// Writes a `forwarder.toml` in `dir` (state in `dir/state`) for `urls`, with `inputs`
/// (TOML text of `[[input]]` tables) and fast polling; returns its path.
pub fn forwarder_config(dir: &Path, urls: &[&str], inputs: &str) -> PathBuf {
    let state = dir.join("state");
    let urls: Vec<String> = urls.iter().map(|u| format!("{u:?}")).collect();
    let text = format!(
        "state_dir = {state:?}\npoll_interval = \"50ms\"\nidle_timeout = \"300ms\"\nbatch_max_age = \"100ms\"\nbatch_max_bytes = 65536\n[output]\nurls = [{}]\ntoken = \"{TOKEN}\"\ntimeout = \"10s\"\n{inputs}\n",
        urls.join(", ")
    );
    let path = dir.join("forwarder.toml");
    std::fs::write(&path, text).expect("write forwarder.toml");
    path
}

/// Runs `loupe-forwarder --config C --once` to completion (at most `secs`); returns (exit code, stderr).
pub fn forwarder_once(config: &Path, secs: u64) -> (i32, String) {
    let mut child = Command::new(bin("loupe-forwarder"))
        .args(["--once", "--config"])
        .arg(config)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start loupe-forwarder");
    let mut stderr = child.stderr.take().expect("stderr");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut stderr, &mut s);
        s
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    let status = loop {
        if let Some(st) = child.try_wait().expect("wait") {
            break st;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("loupe-forwarder --once did not finish within {secs} s");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    (
        status.code().unwrap_or(-1),
        reader.join().unwrap_or_default(),
    )
}

/// Starts `loupe-forwarder --config C` in the background (killed on drop).
pub struct ForwarderProcess {
    /// The running forwarder.
    pub child: Child,
}

impl ForwarderProcess {
    /// Spawns it.
    pub fn start(config: &Path) -> ForwarderProcess {
        ForwarderProcess::spawn(config, None)
    }

    /// Spawns it with its stderr (warnings) written to `log`, for tests that read them.
    pub fn start_logging(config: &Path, log: &Path) -> ForwarderProcess {
        ForwarderProcess::spawn(config, Some(log))
    }

    /// Spawns it and returns once it says it follows its files (its first discovery is done
    /// and its directories are watched): a file renamed away before that moment was never
    /// the forwarder's to follow.
    fn spawn(config: &Path, log: Option<&Path>) -> ForwarderProcess {
        let stderr = match log {
            Some(path) => Stdio::from(std::fs::File::create(path).expect("create forwarder log")),
            None => Stdio::piped(),
        };
        let mut child = Command::new(bin("loupe-forwarder"))
            .arg("--config")
            .arg(config)
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .expect("start loupe-forwarder");
        const READY: &str = "loupe-forwarder: started";
        match (log, child.stderr.take()) {
            (None, Some(pipe)) => {
                let (tx, rx) = std::sync::mpsc::channel();
                std::thread::spawn(move || {
                    use std::io::BufRead;
                    for line in std::io::BufReader::new(pipe).lines().map_while(Result::ok) {
                        eprintln!("{line}");
                        if line.starts_with(READY) {
                            let _ = tx.send(());
                        }
                    }
                });
                // A forwarder that exits early closes the pipe, which ends the wait too.
                let _ = rx.recv_timeout(std::time::Duration::from_secs(60));
            }
            (Some(path), _) => wait_until(60, "the forwarder to start", || {
                std::fs::read_to_string(path).is_ok_and(|t| t.contains(READY))
                    || child.try_wait().ok().flatten().is_some()
            }),
            _ => {}
        }
        ForwarderProcess { child }
    }

    /// `kill -9`.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ForwarderProcess {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// Appends `<tag> line=<i> ...` for each `i` in `range` to `path` (created if missing).
pub fn append_lines(path: &Path, tag: &str, range: std::ops::Range<usize>) {
    let mut s = String::new();
    for i in range {
        s.push_str(&format!(
            "{tag} line={i:06} some payload to make it longer\n"
        ));
    }
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .expect("open log");
    std::io::Write::write_all(&mut f, s.as_bytes()).expect("append");
}

/// Waits (at most 60 s) until lines 0..n tagged `tag` ([`append_lines`]) are in `index=main`,
/// then asserts each is there exactly once.
pub fn assert_exactly_once(server: &Server, tag: &str, n: usize) {
    let query = format!("index=main {tag}");
    wait_until(60, &format!("{n} events tagged {tag}"), || {
        server.count(&query) >= n as u64
    });
    assert_eq!(server.count(&query), n as u64, "duplicates for {tag}");
    let all = raws(server, &query, n + 100);
    assert_eq!(all.len(), n, "{tag}: events returned");
    let distinct: std::collections::HashSet<&str> = all.iter().map(String::as_str).collect();
    assert_eq!(distinct.len(), n, "{tag}: some line is in the index twice");
    for i in 0..n {
        let line = format!("{tag} line={i:06} some payload to make it longer");
        assert!(distinct.contains(line.as_str()), "missing: {line}");
    }
}

/// Rewrites a forwarder config: `global` lines go at the top (settings outside tables), `output` lines
/// into its `[output]` table, and every `from` is replaced by `to` in `replace`.
pub fn edit_forwarder_config(path: &Path, global: &str, output: &str, replace: &[(&str, &str)]) {
    let mut text = std::fs::read_to_string(path).expect("read forwarder.toml");
    for (from, to) in replace {
        assert!(text.contains(from), "{from:?} not in {text}");
        text = text.replace(from, to);
    }
    text = text.replacen("[output]\n", &format!("[output]\n{output}"), 1);
    std::fs::write(path, format!("{global}{text}")).expect("write forwarder.toml");
}

/// The `_raw` of every event a search returns (up to `limit`); reads answers of any
/// size (`Server::search` stops at ureq's default 10 MB).
pub fn raws(server: &Server, query: &str, limit: usize) -> Vec<String> {
    server.flush();
    let body = serde_json::json!({"query": query, "limit": limit});
    let mut r = server
        .agent
        .post(&format!("{}/api/v1/search", server.url))
        .header("Authorization", &format!("Bearer {TOKEN}"))
        .send_json(&body)
        .expect("search");
    let status = r.status().as_u16();
    let text = r
        .body_mut()
        .with_config()
        .limit(1 << 30)
        .read_to_string()
        .expect("read search answer");
    assert_eq!(status, 200, "{}", &text[..text.len().min(400)]);
    let body: serde_json::Value = serde_json::from_str(&text).expect("JSON answer");
    body["events"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|e| e["_raw"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// `loupe import --url <server> --token <token> ARGS...`, asserting success.
pub fn import_into(s: &Server, args: &[&str]) {
    let mut all = vec!["import", "--url", &s.url, "--token", TOKEN];
    all.extend_from_slice(args);
    let out = Command::new(bin("loupe"))
        .args(&all)
        .output()
        .expect("run loupe import");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Loads the patient portal's access log into index `web` (host `portal-web-1`, `access_combined`).
pub fn load_web(s: &Server) {
    let web = shared_data().join("web/access.log");
    import_into(
        s,
        &[
            "--index",
            "web",
            "--sourcetype",
            "access_combined",
            "--host",
            "portal-web-1",
            &web.to_string_lossy(),
        ],
    );
}

/// Loads the portal's JSON log into index `app` (host `portal-app-1`, `_json`).
pub fn load_app(s: &Server) {
    let app = shared_data().join("app/portal.json.log");
    import_into(
        s,
        &[
            "--index",
            "app",
            "--sourcetype",
            "_json",
            "--host",
            "portal-app-1",
            &app.to_string_lossy(),
        ],
    );
}

/// Loads every batch log into index `batchs` (host = its server, source = the inventory's path form
/// `/batchs/<client>/<batch>.log`, Paris time) and installs the inventory as lookup `batchs.csv`.
pub fn load_batch_world(s: &Server) {
    let root = shared_data().join("batchs");
    for server in ["ORDO-PROD-01", "ORDO-PROD-02"] {
        for client in std::fs::read_dir(root.join(server).join("batchs")).expect("batch folder") {
            let client = client.expect("entry").path();
            for log in std::fs::read_dir(&client).expect("client folder") {
                let log = log.expect("entry").path();
                if std::fs::metadata(&log).map(|m| m.len()).unwrap_or(0) == 0 {
                    continue;
                }
                let name = |p: &Path| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .unwrap_or_default()
                        .to_string()
                };
                let source = format!("/batchs/{}/{}", name(&client), name(&log));
                let path = log.to_string_lossy().to_string();
                import_into(
                    s,
                    &[
                        "--index",
                        "batchs",
                        "--sourcetype",
                        "batch",
                        "--timezone",
                        "Europe/Paris",
                        "--host",
                        server,
                        "--source",
                        &source,
                        &path,
                    ],
                );
            }
        }
    }
    let lookups = s.data_dir().join("lookups");
    std::fs::create_dir_all(&lookups).expect("lookups dir");
    std::fs::copy(root.join("batchs.csv"), lookups.join("batchs.csv")).expect("copy inventory");
}

/// Debian's chromium (`LOUPE_BROWSER`), or `None` with a note when it is not installed
/// (`make test` installs it): the console's browser tests then skip.
pub fn browser() -> Option<String> {
    let browser = std::env::var("LOUPE_BROWSER").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if Path::new(&browser).exists() {
        Some(browser)
    } else {
        eprintln!("note: no browser at {browser} (make test installs Debian's chromium): skipping");
        None
    }
}

/// Runs `web/<script>` under Node with `args` (in `browser` when given; screenshots into
/// `LOUPE_SCREENSHOT_DIR` when set), asserting it succeeds: its output is the failure message.
pub fn run_web_script(script: &str, args: &[&str], browser: Option<&str>) {
    let web = Path::new(env!("CARGO_MANIFEST_DIR")).join("../web");
    let mut node = Command::new("node");
    node.arg(script).args(args).current_dir(&web);
    if let Some(b) = browser {
        node.env("LOUPE_BROWSER", b).env(
            "LOUPE_SCREENSHOT_DIR",
            std::env::var("LOUPE_SCREENSHOT_DIR").unwrap_or_default(),
        );
    }
    let out = node
        .output()
        .expect("run node (the console's tests need Node.js and `make web`)");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
