//! # loupe-forwarder
//!
//! Tails log files, masks personal data, and ships events to a Loupe (or any
//! Splunk HEC) indexer so that every line arrives once — across rotation,
//! truncation, restarts and `kill -9` of either side.
//!
//! The principal types:
//! - [`Config`] (`config`): the TOML file, validated strictly (`--check`).
//! - [`tail::Tailer`]: one file being read; [`fingerprint::Fingerprint`] says which
//!   file it is regardless of its name; [`encoding::Encoding`] turns UTF-16 and
//!   Windows-1252 into UTF-8.
//! - [`mask::Masker`]: regex and checked built-in rules applied before events leave.
//! - [`batch::Batch`] → [`spool::Spool`] (durable, bounded, sequence-numbered) →
//!   [`ship::Shipper`] (HEC with channel + `X-Loupe-Sequence`, retries) →
//!   [`checkpoint::Checkpoint`] (written only after the indexer acknowledged).
//! - [`job`]: `run --name NAME -- COMMAND`, a job that writes no log, recorded by a start and
//!   an end event through a spool of its own.
//! - [`service`]: the forwarder as a Windows service; [`winpath`]: Windows paths in one form
//!   (`C:\batchs\…` as `source`) and the default locations under `%ProgramData%\Loupe`.
//!
//! The pipeline: the reader thread cuts events, seals batches by size or age and
//! writes each to the spool under the next sequence number; the shipper thread
//! sends the oldest spooled batch until it is acknowledged, then moves the
//! checkpoint and deletes it. A crash anywhere either resends a spooled batch with
//! its old sequence (deduplicated by the indexer) or re-reads lines that were never
//! spooled (never sent): nothing is lost, nothing is indexed twice.
//!
//! ```no_run
//! use loupe_forwarder::{Config, RunOptions};
//! let config = Config::load(std::path::Path::new("forwarder.toml")).expect("valid config");
//! // Ship everything that exists now, wait for the acknowledgements, return.
//! let opts = RunOptions { once: true, ..RunOptions::default() };
//! let summary = loupe_forwarder::run(&config, &opts).expect("shipped");
//! println!("{} events", summary.events);
//! ```

#![warn(missing_docs)]

pub mod batch;
pub mod checkpoint;
pub mod config;
pub mod encoding;
pub mod fingerprint;
pub mod job;
pub use loupe_access::mask;
pub mod service;
pub mod ship;
pub mod spool;
pub mod stats;
pub mod tail;
pub mod watch;
pub mod winpath;

pub use config::{Config, ConfigError};

use batch::Batch;
use checkpoint::{Checkpoint, FileMark, StateError};
use config::HostRule;
use loupe_event::{TimeContext, TimestampRecognizer};
use loupe_proto::Envelope;
use ship::{Outcome, Shipper};
use spool::Spool;
use stats::Stats;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tail::{TailEvent, Tailer};

/// How often globs are walked for new files (open files are polled every `poll_interval`);
/// a notification that names appeared walks them at once.
const DISCOVER_EVERY: Duration = Duration::from_secs(1);

/// Shortest gap between two passes woken by notifications: a writer flushing every line
/// costs one pass per burst, not one per line.
const MIN_WAKE_GAP: Duration = Duration::from_millis(10);

/// How often a reader paused by a full spool looks again.
const BACKPRESSURE_RECHECK: Duration = Duration::from_millis(200);

/// How to run.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Ship what exists now, wait for acknowledgements, return.
    pub once: bool,
    /// Set from another thread (a Windows service stop): the reader spools what it has
    /// batched and returns; the shipper gets `stop_grace` to deliver the spool. What is not
    /// acknowledged by then stays spooled and goes first, under its sequence, at the next start.
    pub stop: Option<Arc<AtomicBool>>,
    /// How long a stop waits for the spool to be delivered (the service uses [`STOP_GRACE`]).
    pub stop_grace: Duration,
}

/// How long a stop waits for the spool to be delivered before leaving the rest spooled: less
/// than the Windows service manager's patience (it reports a service that takes longer to stop
/// as hung).
pub const STOP_GRACE: Duration = Duration::from_secs(10);

/// What a `--once` run did.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// Events read and spooled in this run.
    pub events: u64,
    /// Batches refused by the indexer.
    pub dropped_batches: u64,
}

/// Why the forwarder stopped.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// State directory trouble.
    #[error(transparent)]
    State(#[from] StateError),
    /// TLS set-up.
    #[error(transparent)]
    Ship(#[from] ship::ShipError),
}

/// Runs the forwarder: forever, or until everything is shipped with `once`.
pub fn run(cfg: &Config, opts: &RunOptions) -> Result<Summary, RunError> {
    std::fs::create_dir_all(&cfg.state_dir).map_err(checkpoint::io_err(&cfg.state_dir))?;
    let spool = Spool::open(&cfg.state_dir)?;
    // Sequences restart at 1 without a checkpoint: a new channel then, or the indexer would
    // take the new batches for ones it already has.
    let fresh = !Checkpoint::path(&cfg.state_dir).exists() && spool.list()?.is_empty();
    let channel = checkpoint::channel(&cfg.state_dir, fresh)?;
    let checkpoint = Checkpoint::load(&cfg.state_dir)?;
    let stats = Arc::new(Stats::default());

    // Where each file resumes: acknowledged marks, overlaid by spooled (not yet acked) ones.
    let mut known: BTreeMap<String, FileMark> = checkpoint.files.clone();
    let mut next_seq = checkpoint.last_seq + 1;
    for p in spool.list()? {
        let b = spool.read(&p)?;
        next_seq = next_seq.max(b.seq + 1);
        for (id, m) in b.marks {
            known.insert(id, m);
        }
    }

    // Shared: the shipper takes a number too when it resends the rest of a partly refused batch.
    let next_seq = Arc::new(AtomicU64::new(next_seq));
    let shipper = Shipper::new(&cfg.output, channel, stats.clone())?;
    let done = Arc::new(AtomicBool::new(false));
    let (tx, rx) = mpsc::channel::<()>();
    let (shipped_tx, shipped_rx) = mpsc::channel::<()>();
    let ship_thread = {
        let spool = spool.clone();
        let stats = stats.clone();
        let done = done.clone();
        let state_dir = cfg.state_dir.clone();
        let seq = next_seq.clone();
        std::thread::Builder::new()
            .name("ship".into())
            .spawn(move || {
                ship_loop(
                    shipper, spool, checkpoint, &state_dir, &stats, &done, &seq, rx,
                );
                let _ = shipped_tx.send(());
            })
            .map_err(|e| StateError::Io {
                path: cfg.state_dir.clone(),
                source: e,
            })?
    };

    let mut reader = Reader {
        cfg,
        spool: &spool,
        stats: &stats,
        known,
        next_seq: &next_seq,
        batch: Batch::default(),
        internal: Batch::default(),
        tailers: Vec::new(),
        recognizers: HashMap::new(),
        hostname: config::hostname(),
        host_zone: host_zone(),
        tx,
        events_this_run: 0,
    };
    let result = reader.run(opts.once, opts.stop.as_deref());
    done.store(true, Ordering::SeqCst);
    let _ = reader.tx.send(());
    let events = reader.events_this_run;
    drop(reader);
    let stopping = opts.stop.as_ref().is_some_and(|s| s.load(Ordering::SeqCst));
    if !stopping || shipped_rx.recv_timeout(opts.stop_grace).is_ok() {
        let _ = ship_thread.join();
    }
    // Else the shipper is still retrying an unreachable indexer: it is left behind, its
    // batches safe in the spool (each checkpoint write is atomic, so none is half written).
    result?;
    Ok(Summary {
        events,
        dropped_batches: stats.dropped_batches.load(Ordering::Relaxed),
    })
}

#[allow(clippy::too_many_arguments)]
fn ship_loop(
    mut shipper: Shipper,
    spool: Spool,
    mut checkpoint: Checkpoint,
    state_dir: &Path,
    stats: &Stats,
    done: &AtomicBool,
    next_seq: &AtomicU64,
    rx: mpsc::Receiver<()>,
) {
    loop {
        let next = match spool.list() {
            Ok(l) => l.into_iter().next(),
            Err(e) => {
                stats.warn(format!("spool: {e}"));
                std::thread::sleep(Duration::from_secs(1));
                continue;
            }
        };
        let Some(path) = next else {
            if done.load(Ordering::SeqCst) {
                return;
            }
            let _ = rx.recv_timeout(Duration::from_millis(200));
            continue;
        };
        let batch = match spool.read(&path) {
            Ok(b) => b,
            Err(e) => {
                stats.warn(format!("unreadable spooled batch, set aside: {e}"));
                let _ = std::fs::rename(&path, path.with_extension("bad"));
                continue;
            }
        };
        match shipper.deliver(batch.seq, &batch.body) {
            Outcome::Acked => {
                stats.batches.fetch_add(1, Ordering::Relaxed);
            }
            Outcome::Dropped(why) => {
                let msg = format!(
                    "batch {} ({} events) refused, dropped: {why}",
                    batch.seq, batch.count
                );
                if batch.internal {
                    // Not to `_internal` again: it is what was refused.
                    eprintln!("loupe-forwarder: {msg}");
                } else {
                    stats.warn(msg);
                }
                stats.dropped_batches.fetch_add(1, Ordering::Relaxed);
                stats
                    .dropped_events
                    .fetch_add(batch.count as u64, Ordering::Relaxed);
            }
            Outcome::Partial {
                first_bad,
                code,
                why,
            } => {
                // The events before `first_bad` are indexed under this sequence; the rest goes
                // again under a new one (same spool slot, so it stays first in line).
                let (rest, dropped) = batch::remainder(&batch.body, first_bad, code);
                let msg = format!(
                    "batch {}: {dropped} event(s) refused and dropped: {why}",
                    batch.seq
                );
                if batch.internal {
                    eprintln!("loupe-forwarder: {msg}");
                } else {
                    stats.warn(msg);
                }
                stats
                    .dropped_events
                    .fetch_add(dropped as u64, Ordering::Relaxed);
                if !rest.is_empty() {
                    let count = rest.iter().filter(|&&b| b == b'\n').count();
                    let seq = next_seq.fetch_add(1, Ordering::SeqCst);
                    match spool.replace(&batch, seq, count, &rest) {
                        Ok(()) => continue,
                        Err(e) => stats.warn(format!("spool: {e}")),
                    }
                }
            }
        }
        // Only now does the checkpoint move past these lines.
        checkpoint.merge(batch.seq, &batch.marks);
        checkpoint.prune();
        loop {
            match checkpoint
                .save(state_dir)
                .and_then(|()| spool.remove(&batch))
            {
                Ok(()) => break,
                Err(e) => {
                    stats.warn(format!("checkpoint: {e}"));
                    std::thread::sleep(Duration::from_secs(1));
                }
            }
        }
    }
}

/// This host's time zone, for timestamps that carry none: a French batch server writes
/// `08:00:00 05/03/2026` in Paris time. jiff reads `TZ` and `/etc/localtime` on Unix and the
/// time-zone settings on Windows; UTC when they say nothing usable.
fn host_zone() -> jiff::tz::TimeZone {
    jiff::tz::TimeZone::try_system().unwrap_or(jiff::tz::TimeZone::UTC)
}

/// The named groups `re` captures in `source`, as indexed fields.
fn source_fields(re: &regex::Regex, source: &str) -> BTreeMap<String, serde_json::Value> {
    let Some(caps) = re.captures(source) else {
        return BTreeMap::new();
    };
    re.capture_names()
        .flatten()
        .filter_map(|name| {
            let m = caps.name(name)?;
            Some((name.to_string(), serde_json::Value::from(m.as_str())))
        })
        .collect()
}

struct Reader<'a> {
    cfg: &'a Config,
    spool: &'a Spool,
    stats: &'a Arc<Stats>,
    known: BTreeMap<String, FileMark>,
    next_seq: &'a AtomicU64,
    batch: Batch,
    internal: Batch,
    tailers: Vec<Tailer>,
    recognizers: HashMap<String, TimestampRecognizer>,
    hostname: String,
    /// This machine's zone (TZ, /etc/localtime; on Windows its time-zone settings), read once.
    host_zone: jiff::tz::TimeZone,
    tx: mpsc::Sender<()>,
    events_this_run: u64,
}

impl Reader<'_> {
    fn run(&mut self, once: bool, stop: Option<&AtomicBool>) -> Result<(), RunError> {
        let mut last_stats = Instant::now();
        // Watching starts before the first pass: a line written during it still wakes the next.
        let mut waker = (!once).then(|| {
            watch::Waker::new(
                &self.cfg.inputs,
                self.cfg.watch,
                &self.cfg.state_dir,
                self.stats,
            )
        });
        let mut rescan = false;
        self.discover();
        self.reopen_renamed();
        if let Some(w) = waker.as_ref() {
            // Said once the files are open and their directories watched: from here on a
            // rename or a deletion cannot hide a file's lines (tests and supervisors wait
            // for this line).
            eprintln!(
                "loupe-forwarder: started, following {} files ({})",
                self.tailers.len(),
                if w.watching() {
                    "watching for changes"
                } else {
                    "polling"
                }
            );
        }
        let mut last_discover = Some(Instant::now());
        loop {
            if stop.is_some_and(|s| s.load(Ordering::SeqCst)) {
                // Partial lines and held-back events are not shipped: the checkpoint stays
                // before them and they are read again, whole, at the next start.
                self.internal_log();
                self.seal()?;
                return Ok(());
            }
            let started = Instant::now();
            // Walking directories costs more than polling open files: at most once a second,
            // unless a notification said names changed.
            if rescan || last_discover.is_none_or(|t| t.elapsed() >= DISCOVER_EVERY) {
                rescan = false;
                last_discover = Some(started);
                if let Some(w) = waker.as_ref() {
                    self.follow_renamed(w.take_renames());
                }
                self.discover();
            }
            let mut out = Vec::new();
            let mut i = 0;
            while i < self.tailers.len() {
                let mut read_any = false;
                loop {
                    if self.spool.bytes() > self.cfg.spool_max_bytes {
                        break; // Back-pressure: the shipper is behind.
                    }
                    let t = &mut self.tailers[i];
                    if let Err(e) = t.check(self.stats, &mut out) {
                        self.stats.warn(format!("{}: {e}", t.path.display()));
                        t.gone = true;
                        break;
                    }
                    let n = match t.read(self.cfg.batch_max_bytes, self.stats, &mut out) {
                        Ok(n) => n,
                        Err(e) => {
                            self.stats.warn(format!("{}: {e}", t.path.display()));
                            0
                        }
                    };
                    if t.binary && !t.binary_warned {
                        t.binary_warned = true;
                        self.stats.warn(format!(
                            "{}: looks binary (NUL bytes or mostly control bytes in its first {} bytes), skipped; binary = \"ship\" on its input reads it anyway",
                            t.path.display(),
                            tail::BINARY_PROBE_BYTES
                        ));
                    }
                    self.add_events(i, &mut out);
                    if self.batch.bytes() >= self.cfg.batch_max_bytes {
                        self.seal()?;
                    }
                    if n == 0 {
                        break;
                    }
                    read_any = true;
                }
                let t = &mut self.tailers[i];
                let idle = t.last_growth.elapsed() >= self.cfg.idle_timeout;
                // Rotated away or deleted, and quiet since: see `Tailer::released`.
                let drop_it = t.released(read_any, once, Instant::now(), self.cfg.rotate_wait);
                if t.has_pending() && (once || idle || drop_it) {
                    t.flush(self.stats, &mut out);
                    self.add_events(i, &mut out);
                }
                if drop_it {
                    self.tailers.swap_remove(i);
                } else {
                    i += 1;
                }
            }
            self.internal_log();
            if once {
                self.internal_event();
                self.seal()?;
                return Ok(());
            }
            if last_stats.elapsed() >= self.cfg.stats_interval {
                last_stats = Instant::now();
                self.internal_event();
            }
            if (self.batch.count > 0 && self.batch.age() >= self.cfg.batch_max_age)
                || self.internal.age() >= self.cfg.batch_max_age
            {
                self.seal()?;
            }
            let Some(waker) = waker.as_mut() else {
                continue;
            };
            match waker.wait(self.next_deadline(started, last_stats)) {
                watch::Wake::Timeout => waker.refresh(self.stats),
                watch::Wake::Changed { rescan: r } => {
                    rescan = r;
                    let since = started.elapsed();
                    if since < MIN_WAKE_GAP {
                        std::thread::sleep(MIN_WAKE_GAP - since);
                    }
                }
            }
        }
    }

    /// When the next pass must run even if no file changes: the next poll, and anything due
    /// earlier — a batch reaching `batch_max_age`, a file reaching `idle_timeout` (its last
    /// partial line is shipped, a rotated file is let go), the stats event, a full spool.
    fn next_deadline(&self, started: Instant, last_stats: Instant) -> Instant {
        let now = Instant::now();
        let mut due = started + self.cfg.poll_interval;
        due = due.min(last_stats + self.cfg.stats_interval);
        for b in [&self.batch, &self.internal] {
            if b.count > 0 {
                due = due.min(now + self.cfg.batch_max_age.saturating_sub(b.age()));
            }
        }
        for t in &self.tailers {
            let idle_at = t.last_growth + self.cfg.idle_timeout;
            if idle_at > now || t.has_pending() {
                due = due.min(idle_at.max(now));
            }
            if let Some(release_at) = t.release_deadline(self.cfg.rotate_wait) {
                due = due.min(release_at.max(now));
            }
        }
        if self.spool.bytes() > self.cfg.spool_max_bytes {
            due = due.min(now + BACKPRESSURE_RECHECK);
        }
        due
    }

    /// Opens files that match and are not followed yet; notes renames.
    fn discover(&mut self) {
        for (idx, input) in self.cfg.inputs.iter().enumerate() {
            for path in tail::discover(input) {
                let Ok(meta) = std::fs::metadata(&path) else {
                    continue;
                };
                let id = fingerprint::file_id(&path, &meta);
                if let Some(t) = self.tailers.iter_mut().find(|t| t.id == id) {
                    t.path = path;
                    continue;
                }
                let resume = self.known.get(&id).map(|m| (m.fp, m.offset));
                match Tailer::open(&path, idx, input, resume) {
                    Ok(t) => self.tailers.push(t),
                    Err(e) => self.stats.warn(format!("{}: {e}", path.display())),
                }
            }
        }
    }

    /// Files renamed from a name the globs match to one they do not, which no tailer follows
    /// yet: opened under the name they had (their `source`), read to their end, then let go
    /// like any rotated file. Without this a file created and rotated away within one pass
    /// would never be read.
    fn follow_renamed(&mut self, renames: Vec<(std::path::PathBuf, std::path::PathBuf)>) {
        for (from, to) in renames {
            let Some(idx) = self
                .cfg
                .inputs
                .iter()
                .position(|inp| tail::matches(inp, &from))
            else {
                continue;
            };
            if self.cfg.inputs.iter().any(|inp| tail::matches(inp, &to)) {
                continue; // Discovery finds it under its new name.
            }
            let Ok(meta) = std::fs::metadata(&to) else {
                continue; // Gone again.
            };
            if !meta.is_file() {
                continue;
            }
            let id = fingerprint::file_id(&to, &meta);
            if self.tailers.iter().any(|t| t.id == id) {
                continue; // Followed already: it keeps its handle across the rename.
            }
            let resume = self.known.get(&id).map(|m| (m.fp, m.offset));
            match Tailer::open(&to, idx, &self.cfg.inputs[idx], resume) {
                Ok(mut t) => {
                    t.path = from.clone();
                    t.source = from;
                    self.tailers.push(t);
                }
                Err(e) => self.stats.warn(format!("{}: {e}", to.display())),
            }
        }
    }

    /// Files renamed out of the glob before a restart: their marks name a path that now holds
    /// another file (or none), so discovery cannot find them. Each is looked for by identity
    /// in the directory it was in and, when its content is still the one checkpointed (same
    /// fingerprint) with bytes after the mark, read to its end — the held-back last event
    /// included — under its old `source`; then it is let go like any rotated file.
    fn reopen_renamed(&mut self) {
        let mut dirs: HashMap<std::path::PathBuf, Vec<(String, std::path::PathBuf)>> =
            HashMap::new();
        let marks: Vec<(String, FileMark)> = self
            .known
            .iter()
            .filter(|(id, _)| !self.tailers.iter().any(|t| &t.id == *id))
            .map(|(id, m)| (id.clone(), m.clone()))
            .collect();
        for (id, mark) in marks {
            let Some(dir) = mark.path.parent() else {
                continue;
            };
            let files = dirs.entry(dir.to_path_buf()).or_insert_with(|| {
                std::fs::read_dir(dir)
                    .map(|rd| {
                        rd.flatten()
                            .filter_map(|e| {
                                let meta = e.metadata().ok()?;
                                meta.is_file()
                                    .then(|| (fingerprint::file_id(&e.path(), &meta), e.path()))
                            })
                            .collect()
                    })
                    .unwrap_or_default()
            });
            let Some((_, path)) = files.iter().find(|(fid, _)| *fid == id) else {
                continue;
            };
            let len = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
            if len <= mark.offset {
                continue; // Shipped to its end.
            }
            let source = mark.source.clone().unwrap_or_else(|| mark.path.clone());
            let idx = match mark.input.filter(|&i| i < self.cfg.inputs.len()) {
                Some(i) => i,
                None => match self.cfg.inputs.iter().position(|inp| {
                    let s = source.to_string_lossy();
                    inp.include.is_match(config::normalize_pattern(&s))
                }) {
                    Some(i) => i,
                    None => continue,
                },
            };
            let input = &self.cfg.inputs[idx];
            match Tailer::open(path, idx, input, Some((mark.fp, mark.offset))) {
                // Another content under a reused identity would be read from 0: not this file.
                Ok(t) if t.offset() != mark.offset => {}
                Ok(mut t) => {
                    t.path = mark.path.clone();
                    t.source = source;
                    self.tailers.push(t);
                }
                Err(e) => self.stats.warn(format!("{}: {e}", path.display())),
            }
        }
    }

    fn add_events(&mut self, i: usize, out: &mut Vec<TailEvent>) {
        if out.is_empty() {
            return;
        }
        let t = &mut self.tailers[i];
        let input = &self.cfg.inputs[t.input];
        let host = match &input.host {
            HostRule::Fixed(h) => h.clone(),
            HostRule::Segment(n) => if cfg!(windows) {
                winpath::windows_segment(&t.source.to_string_lossy(), *n)
            } else {
                tail::path_segment(&t.source, *n)
            }
            .unwrap_or_else(|| self.hostname.clone()),
        };
        let file_source = winpath::source_form(&t.source);
        let from_source = input
            .source_fields
            .as_ref()
            .map(|re| source_fields(re, &file_source))
            .unwrap_or_default();
        let source = input.source.clone().unwrap_or(file_source);
        // Zone-less times: the input's zone, else the sourcetype's (applied by its
        // recognizer), else this host's, as its clock shows them.
        let ctx = TimeContext::new(t.year, self.host_zone.clone());
        let recognizer = self
            .recognizers
            .entry(format!(
                "{}\0{}",
                input.sourcetype.name(),
                input
                    .timezone
                    .as_ref()
                    .and_then(|z| z.iana_name())
                    .unwrap_or("")
            ))
            .or_insert_with(|| match &input.timezone {
                Some(z) => input.sourcetype.recognizer().with_zone(Some(z.clone())),
                None => input.sourcetype.recognizer(),
            });
        for ev in out.drain(..) {
            let TailEvent {
                mut text,
                truncated,
                fp,
                resume,
            } = ev;
            let mark = FileMark {
                path: t.path.clone(),
                fp,
                offset: resume,
                source: Some(t.source.clone()),
                input: Some(t.input),
            };
            if text.trim().is_empty() {
                self.batch.mark(&t.id, mark);
                continue;
            }
            let mut fields: BTreeMap<String, serde_json::Value> = from_source.clone();
            if !input.masker.is_empty() {
                let fired = input.masker.apply(&mut text);
                if !fired.is_empty() {
                    self.stats.masked.fetch_add(1, Ordering::Relaxed);
                    fields.insert("masked".to_string(), serde_json::json!(fired));
                }
            }
            // After masking: a header's fields never carry what a mask removed.
            let Some(named) = t.header_fields(&text) else {
                // A header line names the fields of the rows after it; it is not an event.
                self.batch.mark(&t.id, mark);
                continue;
            };
            for (k, v) in named {
                if let Ok(j) = serde_json::to_value(&v) {
                    fields.insert(k, j);
                }
            }
            if truncated {
                fields.insert("forwarder_warning".into(), "truncated".into());
            }
            let time = recognizer.recognize(&text, &ctx).map(|ns| {
                serde_json::Value::String(format!(
                    "{}.{:09}",
                    ns.div_euclid(1_000_000_000),
                    ns.rem_euclid(1_000_000_000)
                ))
            });
            let env = Envelope {
                time,
                host: Some(host.clone()),
                source: Some(source.clone()),
                sourcetype: Some(input.sourcetype.name().to_string()),
                index: Some(input.index.clone()),
                event: Some(serde_json::Value::String(text)),
                fields: (!fields.is_empty()).then_some(fields),
            };
            self.stats.events.fetch_add(1, Ordering::Relaxed);
            self.events_this_run += 1;
            self.batch.add(&env, Some((&t.id, mark)));
        }
    }

    /// Queues the forwarder's warnings as events for `_internal`.
    fn internal_log(&mut self) {
        for msg in self.stats.take_log() {
            let text =
                serde_json::json!({"component": "forwarder", "log_level": "WARN", "message": msg});
            self.queue_internal(text, None);
        }
    }

    /// Queues the counters as an event for `_internal`, each also an indexed field, so
    /// `index=_internal spool_bytes>0` and `timechart max(spool_bytes)` need no `spath`; with
    /// the forwarder's version, for the fleet's "who still runs the old one".
    fn internal_event(&mut self) {
        let snap = self.stats.snapshot(self.spool.bytes());
        let fields = snap
            .as_object()
            .map(|m| {
                m.iter()
                    .filter(|(k, v)| v.is_number() || k.as_str() == "version")
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect::<BTreeMap<_, _>>()
            })
            .filter(|f| !f.is_empty());
        self.queue_internal(snap, fields);
    }

    /// One event of the forwarder's own for `_internal` (sourcetype `loupe_forwarder`).
    fn queue_internal(
        &mut self,
        event: serde_json::Value,
        fields: Option<BTreeMap<String, serde_json::Value>>,
    ) {
        // Stamped when made, not when received: a spooled counter event then shows how late
        // the forwarder's data arrives (the fleet's lag, `_indextime - _time`).
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as f64 / 1000.0)
            .ok();
        let env = Envelope {
            time: now
                .and_then(serde_json::Number::from_f64)
                .map(serde_json::Value::Number),
            host: Some(self.hostname.clone()),
            source: Some("loupe-forwarder".into()),
            sourcetype: Some("loupe_forwarder".into()),
            index: Some("_internal".into()),
            event: Some(serde_json::Value::String(event.to_string())),
            fields,
        };
        self.internal.add(&env, None);
    }

    /// Spools the current batches (files' events, then the forwarder's own in a batch of
    /// their own, so a token not allowed on `_internal` cannot cost a user event).
    fn seal(&mut self) -> Result<(), RunError> {
        let user = std::mem::take(&mut self.batch);
        self.seal_one(user, false)?;
        if self.internal.count > 0 {
            let internal = std::mem::take(&mut self.internal);
            self.seal_one(internal, true)?;
        }
        Ok(())
    }

    fn seal_one(&mut self, b: Batch, internal: bool) -> Result<(), RunError> {
        if b.count == 0 {
            // Marks without events (blank lines) wait for the next batch.
            self.batch = b;
            return Ok(());
        }
        let seq = self.next_seq.fetch_add(1, Ordering::SeqCst);
        self.spool
            .write(seq, b.count, internal, &b.marks, &b.body)?;
        for (id, m) in b.marks {
            self.known.insert(id, m);
        }
        let _ = self.tx.send(());
        Ok(())
    }
}
