//! The Windows forwarder under Wine: [`Wine::get`] finds `loupe-forwarder.exe` (built by
//! `make windows`) and a Wine prefix under the target directory, made once and reused by every
//! later test and run (Wine's start-up is what costs: about 5 s for a prefix, under a second
//! per program after).
//!
//! A prefix is made with `wineboot -i` (without Mono and Gecko, which a console program never
//! needs), then gets `bcryptprimitives.dll` built from `tests/wine/bcryptprimitives.c` with
//! MinGW in its `system32`: Rust's standard library calls `ProcessPrng` from it on Windows 10
//! and later, and Wine 8 does not have it, so nothing Rust-built starts without it. Real
//! Windows has the real DLL; the shim is never shipped.
//!
//! Tests in one prefix share one `wineserver`; `wineserver -k` (a kill of every program at
//! once, the hardest stop Windows programs get) is for a test with a prefix of its own.
//! Prefix creation is serialised by a lock file, so tests in separate processes (nextest) or
//! separate test binaries may ask for the same prefix at once.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The shim's source, compiled into each prefix (and again when it changes).
const SHIM_SOURCE: &str = include_str!("../wine/bcryptprimitives.c");

/// A Wine prefix with the Windows forwarder ready to run in it.
pub struct Wine {
    /// `loupe-forwarder.exe`.
    pub exe: PathBuf,
    /// `WINEPREFIX`.
    pub prefix: PathBuf,
}

/// The cargo target directory: `LOUPE_BIN_DIR`'s parent, else the workspace's `target`.
fn target_dir() -> PathBuf {
    std::env::var("LOUPE_BIN_DIR")
        .ok()
        .and_then(|d| Path::new(&d).parent().map(Path::to_path_buf))
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"))
}

fn on_path(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

impl Wine {
    /// The prefix `name` (made if needed), or `None` — after printing why — when the Windows
    /// forwarder is not built or Wine or MinGW are missing. Under `make test`
    /// (`LOUPE_WINDOWS_EXE` set) a missing piece fails the test instead: CI must not skip.
    pub fn get(test: &str, name: &str) -> Option<Wine> {
        let required = std::env::var_os("LOUPE_WINDOWS_EXE").is_some();
        let exe = std::env::var_os("LOUPE_WINDOWS_EXE")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                target_dir().join("x86_64-pc-windows-gnu/release/loupe-forwarder.exe")
            });
        let missing = if !exe.exists() {
            Some(format!("{} is not built (`make windows`)", exe.display()))
        } else if !on_path("wine") || !on_path("wineserver") {
            Some("wine is not installed (`make wine`)".to_string())
        } else if !on_path("x86_64-w64-mingw32-gcc") {
            Some("MinGW is not installed (`make mingw`)".to_string())
        } else {
            None
        };
        if let Some(why) = missing {
            assert!(!required, "{test}: {why}");
            // Straight to stderr: the test harness captures `println!` of passing tests.
            use std::io::Write;
            let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {why}");
            return None;
        }
        let root = target_dir().join("wine");
        std::fs::create_dir_all(&root).expect("wine dir");
        let prefix = root.join(name);
        // One lock for every prefix: two first boots of Wine at once (each test binary
        // makes its own prefix) can leave one without its DLLs ("could not load kernel32.dll").
        let lock = std::fs::File::create(root.join("prefixes.lock")).expect("lock file");
        lock.lock().expect("lock the prefix");
        let wine = Wine { exe, prefix };
        wine.prepare();
        drop(lock);
        Some(wine)
    }

    fn prepare(&self) {
        let marker = self.prefix.join("loupe-shim.c");
        if std::fs::read_to_string(&marker).is_ok_and(|s| s == SHIM_SOURCE) {
            return;
        }
        let boot = || {
            self.command("wineboot")
                .arg("-i")
                .output()
                .expect("run wineboot")
        };
        let mut out = boot();
        if !out.status.success() {
            // A first boot that failed half-way leaves a prefix Wine cannot use: start over once.
            let _ = self.command("wineserver").arg("-k").status();
            let _ = std::fs::remove_dir_all(&self.prefix);
            out = boot();
        }
        assert!(
            out.status.success(),
            "wineboot: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // Until the boot's wineserver has ended (and saved the registry), services installed
        // in the new prefix are not started: the first start of one times out.
        let _ = self.command("wineserver").arg("-w").status();
        let system32 = self.prefix.join("drive_c/windows/system32");
        assert!(system32.is_dir(), "no {}", system32.display());
        let src = self.prefix.join("bcryptprimitives.c");
        std::fs::write(&src, SHIM_SOURCE).expect("write shim source");
        let out = Command::new("x86_64-w64-mingw32-gcc")
            .args(["-shared", "-O2", "-s", "-o"])
            .arg(system32.join("bcryptprimitives.dll"))
            .arg(&src)
            .arg("-ladvapi32")
            .output()
            .expect("run x86_64-w64-mingw32-gcc");
        assert!(
            out.status.success(),
            "building the shim: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::write(&marker, SHIM_SOURCE).expect("write marker");
    }

    /// A Wine tool (`wineboot`, `wineserver`, `wine`) with this prefix and quiet logs.
    pub fn command(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.env("WINEPREFIX", &self.prefix)
            .env("WINEDEBUG", "-all")
            // No Mono or Gecko installer dialog at prefix creation; the shim before any
            // built-in of that name.
            .env("WINEDLLOVERRIDES", "mscoree,mshtml=;bcryptprimitives=n,b")
            .stdin(Stdio::null());
        c
    }

    /// `wine loupe-forwarder.exe ARGS…`.
    pub fn forwarder(&self) -> Command {
        let mut c = self.command("wine");
        c.arg(&self.exe);
        c
    }

    /// The prefix's `C:\`.
    pub fn drive_c(&self) -> PathBuf {
        self.prefix.join("drive_c")
    }

    /// `wineserver -k`: every Windows program of the prefix killed at once, no shutdown code
    /// run — as a power cut or a killed process tree would.
    pub fn kill_all(&self) {
        let _ = self.command("wineserver").arg("-k").status();
        // Returns once the server is gone (its programs with it).
        let _ = self.command("wineserver").arg("-w").status();
    }
}

/// A prefix's wineserver kept running until dropped (then killed with every program of the
/// prefix): without it the server ends a few seconds after the last program, taking the
/// services with it, and the next program boots the prefix again — starting every automatic
/// service a second time.
pub struct PersistentServer<'a>(&'a Wine);

impl Wine {
    /// Restarts this prefix's wineserver in persistent mode.
    pub fn persistent_server(&self) -> PersistentServer<'_> {
        self.kill_all();
        let ok = self
            .command("wineserver")
            .arg("-p")
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "wineserver -p failed");
        PersistentServer(self)
    }
}

impl Drop for PersistentServer<'_> {
    fn drop(&mut self) {
        self.0.kill_all();
    }
}

/// A Linux path as Wine's programs see it: drive `Z:` is `/`.
pub fn z_path(p: &Path) -> String {
    format!("Z:{}", p.display()).replace('/', "\\")
}
