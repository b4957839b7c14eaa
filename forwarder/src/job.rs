//! `loupe-forwarder run --name NAME -- COMMAND ARGS…`: runs a job that writes no log (an
//! API-calling batch, a script) and ships one event when it starts and one when it ends —
//! exit code, duration and the last lines of its output — so that "did last night's job run,
//! and how did it end?" has an answer in Loupe like every other batch.
//!
//! The events take the forwarder's durable path: each is written to a spool of the job's own
//! (`state_dir/jobs/NAME/`, with its own channel and sequence numbers, so a resend is
//! deduplicated by the indexer) before it is sent, and removed once acknowledged. When the
//! indexer cannot be reached within the ship timeout the batch stays spooled and the next
//! `run` of any job sends it first. The job's output passes through to ours unchanged and its
//! exit code becomes ours.

use crate::checkpoint::{self, io_err, StateError};
use crate::ship::{Outcome, Shipper};
use crate::spool::Spool;
use crate::stats::Stats;
use crate::Config;
use std::collections::{BTreeMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Lines of output kept for the end event.
pub const TAIL_LINES: usize = 20;

/// How to run one job.
#[derive(Debug, Clone)]
pub struct JobSpec {
    /// The job's name: its `source` (`job:NAME`) and its spool.
    pub name: String,
    /// Program and arguments.
    pub command: Vec<String>,
    /// Index of its events.
    pub index: String,
    /// How long to wait for the indexer at the end before leaving the events spooled.
    pub ship_timeout: Duration,
}

/// What a run did.
#[derive(Debug, Clone)]
pub struct JobOutcome {
    /// The job's exit code (128 + signal on Unix when killed; 127 when it could not start).
    pub exit_code: i32,
    /// Batches still spooled (the indexer was unreachable).
    pub pending: usize,
}

/// Why a job could not be run or recorded.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// The name makes the job's directory: a safe file name only.
    #[error("invalid job name {0:?}: letters, digits, '_', '-' and '.'")]
    Name(String),
    /// Nothing after `--`.
    #[error("no command to run (give it after `--`)")]
    NoCommand,
    /// The job's spool or sequence file.
    #[error(transparent)]
    State(#[from] StateError),
    /// TLS set-up of the shipper.
    #[error(transparent)]
    Ship(#[from] crate::ship::ShipError),
}

fn job_dir(state_dir: &Path, name: &str) -> PathBuf {
    state_dir.join("jobs").join(name)
}

/// The next sequence number of a job's channel, kept beside its spool.
fn next_seq(dir: &Path) -> Result<u64, StateError> {
    let path = dir.join("seq");
    let last: u64 = std::fs::read_to_string(&path)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0);
    let next = last + 1;
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, next.to_string()).map_err(io_err(&tmp))?;
    std::fs::rename(&tmp, &path).map_err(io_err(&path))?;
    Ok(next)
}

fn hostname() -> String {
    std::env::var("COMPUTERNAME")
        .or_else(|_| std::env::var("HOSTNAME"))
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| {
            std::fs::read_to_string("/etc/hostname")
                .ok()
                .map(|h| h.trim().to_string())
        })
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

fn envelope(spec: &JobSpec, host: &str, event: serde_json::Value) -> Vec<u8> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0);
    let mut line = serde_json::to_vec(&serde_json::json!({
        "time": format!("{now:.6}"),
        "host": host,
        "source": format!("job:{}", spec.name),
        "sourcetype": "loupe:job",
        "index": spec.index,
        "event": event,
    }))
    .unwrap_or_default();
    line.push(b'\n');
    line
}

/// A job's spool and the shipper on its channel.
struct Outbox {
    spool: Spool,
    dir: PathBuf,
    shipper: Arc<Mutex<Shipper>>,
}

impl Outbox {
    fn open(cfg: &Config, name: &str) -> Result<Outbox, JobError> {
        let dir = job_dir(&cfg.state_dir, name);
        std::fs::create_dir_all(&dir).map_err(io_err(&dir))?;
        let spool = Spool::open(&dir)?;
        let fresh = !dir.join("seq").exists() && spool.list()?.is_empty();
        let channel = checkpoint::channel(&dir, fresh)?;
        let shipper = Shipper::new(&cfg.output, channel, Arc::new(Stats::default()))?;
        Ok(Outbox {
            spool,
            dir,
            shipper: Arc::new(Mutex::new(shipper)),
        })
    }

    fn put(&self, body: &[u8]) -> Result<(), JobError> {
        let seq = next_seq(&self.dir)?;
        self.spool.write(seq, 1, false, &BTreeMap::new(), body)?;
        Ok(())
    }

    /// Sends what is spooled, oldest first, for at most `timeout`; the batches left.
    fn flush(&self, timeout: Duration) -> usize {
        let (spool, shipper) = (self.spool.clone(), self.shipper.clone());
        let (tx, rx) = std::sync::mpsc::channel();
        // Delivery retries until acknowledged: it runs on its own thread so the wait is bounded.
        std::thread::spawn(move || {
            for path in spool.list().unwrap_or_default() {
                let Ok(batch) = spool.read(&path) else {
                    continue;
                };
                let outcome = match shipper.lock() {
                    Ok(mut s) => s.deliver(batch.seq, &batch.body),
                    Err(_) => return,
                };
                if let Outcome::Dropped(why) = &outcome {
                    eprintln!("loupe-forwarder run: the indexer refused a job event: {why}");
                }
                let _ = spool.remove(&batch);
                if tx.send(()).is_err() {
                    return;
                }
            }
        });
        let deadline = Instant::now() + timeout;
        let pending = self.spool.list().map(|l| l.len()).unwrap_or(0);
        let mut sent = 0;
        while sent < pending {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(()) => sent += 1,
                Err(_) => break,
            }
        }
        self.spool.list().map(|l| l.len()).unwrap_or(0)
    }
}

/// Other jobs' batches left spooled by earlier runs: sent before this one.
fn pending_jobs(cfg: &Config, except: &str) -> Vec<String> {
    let dir = cfg.state_dir.join("jobs");
    std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .filter(|n| n != except)
        .filter(|n| {
            std::fs::read_dir(dir.join(n).join("spool"))
                .map(|mut d| d.next().is_some())
                .unwrap_or(false)
        })
        .collect()
}

/// Copies a child's stream to ours, keeping its last lines.
fn pass_through(
    stream: impl Read + Send + 'static,
    mut out: impl Write + Send + 'static,
    tail: Arc<Mutex<VecDeque<String>>>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stream);
        let mut line = Vec::new();
        while let Ok(n) = reader.read_until(b'\n', &mut line) {
            if n == 0 {
                break;
            }
            let _ = out.write_all(&line);
            let _ = out.flush();
            if let Ok(mut t) = tail.lock() {
                t.push_back(String::from_utf8_lossy(&line).trim_end().to_string());
                while t.len() > TAIL_LINES {
                    t.pop_front();
                }
            }
            line.clear();
        }
    })
}

/// True for a Windows batch file (`.bat`, `.cmd`, any case).
fn is_batch(p: &Path) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("bat") || e.eq_ignore_ascii_case("cmd"))
}

/// The program to start. On Windows a batch file is run by Rust's standard library through
/// `cmd.exe /e:ON /v:OFF /d /c`, with its arguments escaped for cmd (so `run -- job.bat "a&b"`
/// passes `a&b`, it does not run `b`), and `cmd`'s exit code — the batch's `exit /b N` or last
/// error level — is the job's. But std does not look for programs in the current directory (a
/// safety choice); a batch file named bare on the command line (`run -- job.bat`) is meant to
/// be there, as cmd.exe itself would take it: it is given as `.\job.bat`.
fn resolve_program(program: &str) -> PathBuf {
    let p = Path::new(program);
    if cfg!(windows) && is_batch(p) && p.components().count() == 1 && p.is_file() {
        return Path::new(".").join(p);
    }
    p.to_path_buf()
}

/// Runs the job and records its start and end.
pub fn run(cfg: &Config, spec: &JobSpec) -> Result<JobOutcome, JobError> {
    let valid = !spec.name.is_empty()
        && spec
            .name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
        && !spec.name.starts_with('.');
    if !valid {
        return Err(JobError::Name(spec.name.clone()));
    }
    let Some((program, args)) = spec.command.split_first() else {
        return Err(JobError::NoCommand);
    };
    for other in pending_jobs(cfg, &spec.name) {
        if let Ok(o) = Outbox::open(cfg, &other) {
            o.flush(spec.ship_timeout);
        }
    }
    let outbox = Outbox::open(cfg, &spec.name)?;
    let host = hostname();
    let started = Instant::now();
    let command_line = spec.command.join(" ");
    let child = Command::new(resolve_program(program))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => {
            outbox.put(&envelope(
                spec,
                &host,
                serde_json::json!({"job": spec.name, "phase": "end", "status": "error",
                    "exit_code": 127, "duration_s": 0.0, "command": command_line,
                    "error": format!("cannot start {program}: {e}")}),
            ))?;
            let pending = outbox.flush(spec.ship_timeout);
            return Ok(JobOutcome {
                exit_code: 127,
                pending,
            });
        }
    };
    outbox.put(&envelope(
        spec,
        &host,
        serde_json::json!({"job": spec.name, "phase": "start", "command": command_line, "pid": child.id()}),
    ))?;
    // The start event goes while the job runs; the job never waits for the indexer.
    let early = {
        let (spool, shipper) = (outbox.spool.clone(), outbox.shipper.clone());
        std::thread::spawn(move || {
            for path in spool.list().unwrap_or_default() {
                let Ok(batch) = spool.read(&path) else {
                    continue;
                };
                if shipper
                    .lock()
                    .map(|mut s| s.deliver(batch.seq, &batch.body))
                    .is_err()
                {
                    return;
                }
                let _ = spool.remove(&batch);
            }
        })
    };
    let tail = Arc::new(Mutex::new(VecDeque::new()));
    let outs = [
        child
            .stdout
            .take()
            .map(|s| pass_through(s, std::io::stdout(), tail.clone())),
        child
            .stderr
            .take()
            .map(|s| pass_through(s, std::io::stderr(), tail.clone())),
    ];
    let status = child.wait().map_err(io_err(Path::new(program)))?;
    for t in outs.into_iter().flatten() {
        let _ = t.join();
    }
    #[cfg(unix)]
    let exit_code = status.code().unwrap_or_else(|| {
        use std::os::unix::process::ExitStatusExt;
        128 + status.signal().unwrap_or(0)
    });
    // Windows always has a code (a killed process gets the one TerminateProcess was given).
    #[cfg(not(unix))]
    let exit_code = status.code().unwrap_or(1);
    let lines: Vec<String> = tail
        .lock()
        .map(|t| t.iter().cloned().collect())
        .unwrap_or_default();
    outbox.put(&envelope(
        spec,
        &host,
        serde_json::json!({
            "job": spec.name,
            "phase": "end",
            "status": if exit_code == 0 { "success" } else { "failure" },
            "exit_code": exit_code,
            "duration_s": (started.elapsed().as_secs_f64() * 1000.0).round() / 1000.0,
            "command": command_line,
            "output_tail": lines.join("\n"),
        }),
    ))?;
    // The start event's thread may still be delivering (never joined: it retries for as long
    // as the indexer is down); a batch both send is one sequence, deduplicated by the indexer.
    drop(early);
    let pending = outbox.flush(spec.ship_timeout);
    Ok(JobOutcome { exit_code, pending })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_files_are_known_by_their_extension() {
        assert!(is_batch(Path::new("envoi_mail.bat")));
        assert!(is_batch(Path::new(r"C:\batchs\bin\PURGE.CMD")));
        assert!(!is_batch(Path::new("export.sh")));
        assert!(!is_batch(Path::new("bat")));
        // Elsewhere than Windows, and for anything but a bare batch file there, unchanged.
        assert_eq!(resolve_program("sh"), PathBuf::from("sh"));
    }
}
