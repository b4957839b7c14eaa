//! The `script` action: a program allow-listed in `loupe.toml` runs with the firing's rows as
//! CSV on its standard input. The action names the program by its allow-list *name*, never by
//! a path, so an API user cannot make the server run anything else.
//!
//! ```toml
//! [scripts.page_oncall]
//! program = "/usr/local/bin/page-oncall"
//! args = ["--team", "batch"]
//! ```
//!
//! The environment carries `LOUPE_SEARCH_NAME`, `LOUPE_SID`, `LOUPE_SEVERITY`,
//! `LOUPE_RESULT_COUNT`, `LOUPE_RESULTS_LINK`, `LOUPE_STATE` and `LOUPE_KEY`. Exit code 0 is
//! success; any other, or running past the time limit (the program is then killed), is a
//! failure with the end of its standard error, retried like other actions.

use super::{capped, show_path, ActionConfig, Firing};
use crate::error::ActionError;
use serde::Deserialize;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// One allow-listed program.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScriptConfig {
    /// Absolute path of the program.
    pub program: PathBuf,
    /// Arguments, fixed in the config.
    #[serde(default)]
    pub args: Vec<String>,
}

/// Runs the script `name` for the firing.
pub fn send(config: &ActionConfig, name: &str, firing: &Firing) -> Result<(), ActionError> {
    let Some(script) = config.scripts.get(name) else {
        return Err(ActionError::permanent(format!(
            "script {name:?} is not allow-listed in loupe.toml [scripts]"
        )));
    };
    let csv = crate::table::csv_bytes(&firing.columns, capped(config, firing));
    let mut child = Command::new(&script.program)
        .args(&script.args)
        .env("LOUPE_SEARCH_NAME", &firing.search_name)
        .env("LOUPE_SID", &firing.sid)
        .env(
            "LOUPE_SEVERITY",
            crate::template::severity_name(firing.severity),
        )
        .env("LOUPE_RESULT_COUNT", firing.rows.len().to_string())
        .env("LOUPE_RESULTS_LINK", &firing.results_link)
        .env(
            "LOUPE_STATE",
            if firing.resolved { "resolved" } else { "fired" },
        )
        .env("LOUPE_KEY", &firing.key)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            ActionError::permanent(format!(
                "script {name}: cannot start {}: {e}",
                show_path(&script.program)
            ))
        })?;
    // Feed stdin and drain stderr on their own threads so a program that writes a lot before
    // reading (or never reads) cannot dead-lock the worker.
    let stdin = child.stdin.take();
    let writer = std::thread::spawn(move || {
        if let Some(mut stdin) = stdin {
            // A program that exits without reading its input is not an error of ours.
            let _ = stdin.write_all(&csv);
        }
    });
    let stderr = child.stderr.take();
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(mut e) = stderr {
            let _ = e.read_to_end(&mut buf);
        }
        buf
    });
    let deadline = Instant::now() + config.script_timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => {
                return Err(ActionError::transient(format!(
                    "script {name}: waiting: {e}"
                )));
            }
        }
    };
    let _ = writer.join();
    let err = reader.join().unwrap_or_default();
    let tail = String::from_utf8_lossy(&err[err.len().saturating_sub(500)..])
        .trim()
        .to_string();
    match status {
        None => Err(ActionError::transient(format!(
            "script {name}: killed after {:?}",
            config.script_timeout
        ))),
        Some(s) if s.success() => Ok(()),
        Some(s) => Err(ActionError::transient(format!(
            "script {name}: exited with {s}{}{tail}",
            if tail.is_empty() { "" } else { ": " }
        ))),
    }
}
