//! The durable ingest path: log first, acknowledge, then index.
//!
//! ```text
//! HEC handler --submit--> [log thread] --append+fsync (group commit)--> reply (ack)
//!                               |
//!                               +--(lsn, events)--> [index thread] --add--> StoreWriter --commit every interval-->
//!                                                          |                             checkpoint: log trimmed
//! ```
//! A batch with a channel and sequence already seen is answered as a success and not
//! logged again, so a sender that retries after a lost answer never duplicates events.

use super::now_ns;
use crate::config::IndexConfig;
use crate::store::wal::{decode_batch, encode_batch, LoggedBatch, Wal};
use crate::store::{retention, Store, StoreError, StoreWriter, WriterOptions};
use crossbeam_channel::{bounded, Receiver, RecvTimeoutError, Sender, TrySendError};
use loupe_event::{Event, Value};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Why a batch was not accepted; each maps to an HEC answer.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum IngestError {
    #[error("server is busy: the ingest queue is full")]
    Busy,
    #[error("disk is full: {0}")]
    DiskFull(String),
    /// Indexing is failing (a commit failed, as on a full disk): senders should retry later.
    #[error("indexing is failing, commits are retried every second: {0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

/// What happened to an accepted batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accepted {
    /// Logged durably under this record number.
    Logged(u64),
    /// Same channel and sequence as a batch already logged: nothing done.
    Duplicate,
}

/// Settings of the pipeline.
#[derive(Debug, Clone)]
pub struct PipelineOptions {
    pub commit_interval: Duration,
    pub min_free_disk: u64,
    pub retention: BTreeMap<String, IndexConfig>,
    pub writer: WriterOptions,
    /// Batches waiting to be logged before ingest answers 503.
    pub queue_depth: usize,
    /// Bytes of events acknowledged or waiting to be logged but not yet indexed, above which
    /// ingest answers 503 (HEC code 9, which senders retry): the bound on what ingest holds in
    /// memory when senders outpace indexing.
    pub queue_bytes: usize,
    /// Told of the buckets retention is about to delete (the audit trail's anchor).
    pub before_retention: Option<retention::BeforeDelete>,
}

impl Default for PipelineOptions {
    fn default() -> Self {
        PipelineOptions {
            commit_interval: Duration::from_secs(1),
            min_free_disk: 256 << 20,
            retention: BTreeMap::new(),
            writer: WriterOptions::default(),
            queue_depth: 256,
            queue_bytes: DEFAULT_QUEUE_BYTES,
            before_retention: None,
        }
    }
}

/// What ingest may hold between a request and its events being indexed (see
/// [`PipelineOptions::queue_bytes`]). 16 MB keeps two cores' indexing fed (HEC from four
/// senders ran at the same rate as with 32 MB) and is 30 MiB less of the server's peak.
pub const DEFAULT_QUEUE_BYTES: usize = 16 << 20;

/// Counters exported on `/metrics` and written to `_internal`.
#[derive(Debug, Default)]
pub struct Counters {
    pub events: AtomicU64,
    pub raw_bytes: AtomicU64,
    pub batches: AtomicU64,
    pub duplicates: AtomicU64,
    pub truncated: AtomicU64,
    pub timestamp_unparsed: AtomicU64,
    pub invalid_utf8: AtomicU64,
    pub rejected_busy: AtomicU64,
    /// Bytes of events taken but not yet indexed (see [`PipelineOptions::queue_bytes`]).
    pub queued_bytes: Arc<AtomicU64>,
    pub commits: AtomicU64,
    /// Syslog messages received (datagrams and TCP frames), dropped ones included.
    pub syslog_received: AtomicU64,
    /// Syslog datagrams dropped because the syslog queue was full.
    pub syslog_dropped: AtomicU64,
}

struct LogRequest {
    batch: LoggedBatch,
    held: Held,
    reply: tokio::sync::oneshot::Sender<Result<Accepted, IngestError>>,
}

/// A batch's share of [`PipelineOptions::queue_bytes`], given back when dropped: once its
/// events are indexed, or wherever the batch is refused or found a duplicate.
struct Held {
    bytes: u64,
    queued: Arc<AtomicU64>,
}

impl Drop for Held {
    fn drop(&mut self) {
        self.queued.fetch_sub(self.bytes, Ordering::AcqRel);
    }
}

/// What an event occupies in memory while it waits: its text and names, the struct, and its
/// fields. An estimate (allocator slack left out), close enough to bound a queue by.
fn resident_bytes(ev: &Event) -> u64 {
    let names =
        ev.raw.len() + ev.host.len() + ev.source.len() + ev.sourcetype.len() + ev.index.len();
    let fields: usize = ev
        .fields
        .iter()
        .map(|(k, v)| k.len() + std::mem::size_of::<(String, Value)>() + value_bytes(v))
        .sum();
    (std::mem::size_of::<Event>() + names + fields) as u64
}

fn value_bytes(v: &Value) -> usize {
    match v {
        Value::Str(s) => s.len(),
        Value::Multi(items) => items
            .iter()
            .map(|i| std::mem::size_of::<Value>() + value_bytes(i))
            .sum(),
        _ => 0,
    }
}

enum IndexMsg {
    Batch(u64, Vec<Event>, Held),
    Flush(std::sync::mpsc::Sender<Result<(), String>>),
    /// Work that needs the writer to itself (an erasure), run after a commit.
    Exclusive(Box<dyn FnOnce(&mut StoreWriter) + Send>),
    /// Sent once the log thread has stopped: commit, close, exit.
    Stop,
}

/// Handle to the running pipeline; cheap to share behind an `Arc`.
pub struct Pipeline {
    log_tx: Mutex<Option<Sender<LogRequest>>>,
    queue_bytes: u64,
    index_tx: Sender<IndexMsg>,
    pub counters: Arc<Counters>,
    healthy: Arc<AtomicBool>,
    acks: Mutex<HashMap<String, u64>>,
    threads: Mutex<Vec<std::thread::JoinHandle<()>>>,
    checkpoint: Arc<AtomicU64>,
    wal_dir: PathBuf,
    /// Asks the log thread to remove every committed record from its files.
    purge_tx: Sender<std::sync::mpsc::Sender<Result<(), String>>>,
}

/// A reply channel of the log thread's purge.
type PurgeReply = std::sync::mpsc::Sender<Result<(), String>>;

/// Sequences seen per channel: everything at or below `floor`, plus the set above it.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
struct Seen {
    floor: Option<u64>,
    above: BTreeSet<u64>,
}

const SEEN_WINDOW: usize = 4096;

impl Seen {
    fn contains(&self, seq: u64) -> bool {
        self.floor.is_some_and(|f| seq <= f) || self.above.contains(&seq)
    }
    fn insert(&mut self, seq: u64) {
        self.above.insert(seq);
        while self.above.len() > SEEN_WINDOW {
            if let Some(first) = self.above.pop_first() {
                self.floor = Some(self.floor.map_or(first, |f| f.max(first)));
            }
        }
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct DedupTable {
    channels: HashMap<String, Seen>,
}

impl DedupTable {
    fn load(path: &Path) -> Result<DedupTable, StoreError> {
        match std::fs::read(path) {
            Ok(b) => serde_json::from_slice(&b)
                .map_err(|e| StoreError::Corrupt(format!("{}: {e}", path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(DedupTable::default()),
            Err(e) => Err(StoreError::io(path, e)),
        }
    }
    fn save(&self, path: &Path) -> Result<(), StoreError> {
        let tmp = path.with_extension("tmp");
        let data = serde_json::to_vec(self).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        std::fs::write(&tmp, data).map_err(|e| StoreError::io(&tmp, e))?;
        std::fs::File::open(&tmp)
            .and_then(|f| f.sync_all())
            .map_err(|e| StoreError::io(&tmp, e))?;
        std::fs::rename(&tmp, path).map_err(|e| StoreError::io(path, e))
    }
    fn seen(&self, b: &LoggedBatch) -> bool {
        match (&b.channel, b.sequence) {
            (Some(c), Some(s)) => self.channels.get(c).is_some_and(|seen| seen.contains(s)),
            _ => false,
        }
    }
    fn insert(&mut self, b: &LoggedBatch) {
        if let (Some(c), Some(s)) = (&b.channel, b.sequence) {
            self.channels.entry(c.clone()).or_default().insert(s);
        }
    }
    fn remove(&mut self, b: &LoggedBatch) {
        if let (Some(c), Some(s)) = (&b.channel, b.sequence) {
            if let Some(seen) = self.channels.get_mut(c) {
                seen.above.remove(&s);
            }
        }
    }
}

/// What replaying the log left: the open log, the dedup table, the writer and the last lsn.
struct Replayed {
    wal: Wal,
    dedup: DedupTable,
    dedup_path: std::path::PathBuf,
    writer: StoreWriter,
    last: u64,
    events: u64,
}

/// Indexes and commits what the log holds beyond the store's last commit (what a `kill -9`
/// left acknowledged but unsearchable), as a server does when it starts.
fn replay(
    store: &Arc<Store>,
    writer: &crate::store::WriterOptions,
) -> Result<Replayed, StoreError> {
    let wal_dir = store.root().join("wal");
    let dedup_path = wal_dir.join("dedup.json");
    std::fs::create_dir_all(&wal_dir).map_err(|e| StoreError::io(&wal_dir, e))?;
    let mut dedup = DedupTable::load(&dedup_path)?;
    let mut writer = StoreWriter::new(store.clone(), writer.clone());
    let mut replayed = 0u64;
    let mut wal = Wal::open(&wal_dir, |lsn, payload| {
        let batch = decode_batch(payload)?;
        dedup.insert(&batch);
        for ev in batch.events {
            writer.add(ev, lsn)?;
            replayed += 1;
        }
        Ok(())
    })?;
    writer.commit()?;
    let last = wal.next_lsn().saturating_sub(1);
    wal.checkpoint(last)?;
    dedup.save(&dedup_path)?;
    Ok(Replayed {
        wal,
        dedup,
        dedup_path,
        writer,
        last,
        events: replayed,
    })
}

/// Recovers the log's uncommitted tail into a store this process holds the lock of (no
/// server running), so an offline `loupe search --data-dir` after a crash sees every
/// acknowledged event; returns how many events were recovered.
pub fn recover(store: &Arc<Store>) -> Result<u64, StoreError> {
    let mut r = replay(store, &crate::store::WriterOptions::default())?;
    r.writer.close_all()?;
    Ok(r.events)
}

/// Runs `work` with the writer of a store this process holds the lock of (no server
/// running), after the log's tail is recovered; then commits, and removes from the log every
/// record, all of them now committed: what an offline erasure needs, since the log would
/// otherwise keep a copy of what it erased.
pub fn offline<R>(
    store: &Arc<Store>,
    work: impl FnOnce(&mut StoreWriter) -> Result<R, StoreError>,
) -> Result<R, StoreError> {
    let mut r = replay(store, &crate::store::WriterOptions::default())?;
    let out = work(&mut r.writer);
    r.writer.close_all()?;
    let out = out?;
    r.dedup.save(&r.dedup_path)?;
    r.wal.purge(r.wal.next_lsn().saturating_sub(1))?;
    Ok(out)
}

impl Pipeline {
    /// Opens the log, replays what the store had not committed, and starts the log and index threads.
    pub fn start(store: Arc<Store>, opts: PipelineOptions) -> Result<Pipeline, StoreError> {
        let wal_dir = store.root().join("wal");
        let Replayed {
            wal,
            dedup,
            dedup_path,
            writer,
            last,
            events: replayed,
        } = replay(&store, &opts.writer)?;
        if replayed > 0 {
            tracing::info!(events = replayed, "replayed the write-ahead log");
        }
        for name in ["main", "_internal"] {
            store.create_index(name)?;
        }

        let counters = Arc::new(Counters::default());
        let healthy = Arc::new(AtomicBool::new(true));
        let checkpoint = Arc::new(AtomicU64::new(last));
        let (log_tx, log_rx) = bounded::<LogRequest>(opts.queue_depth);
        let (index_tx, index_rx) = bounded::<IndexMsg>(64);
        // "A commit moved the checkpoint": the log thread trims then, not at the next batch.
        let (committed_tx, committed_rx) = bounded::<()>(1);
        let (purge_tx, purge_rx) = bounded::<PurgeReply>(4);

        let log_thread = {
            let index_tx = index_tx.clone();
            let checkpoint = checkpoint.clone();
            let counters = counters.clone();
            let root = store.root().to_path_buf();
            let min_free = opts.min_free_disk;
            std::thread::Builder::new()
                .name("loupe-wal".into())
                .spawn(move || {
                    log_loop(
                        wal,
                        dedup,
                        dedup_path,
                        (log_rx, committed_rx, purge_rx),
                        index_tx,
                        checkpoint,
                        counters,
                        root,
                        min_free,
                    )
                })
                .map_err(|e| StoreError::io(&wal_dir, e))?
        };
        let index_thread = {
            let checkpoint = checkpoint.clone();
            let counters = counters.clone();
            let healthy = healthy.clone();
            let opts = opts.clone();
            std::thread::Builder::new()
                .name("loupe-index".into())
                .spawn(move || {
                    index_loop(
                        writer,
                        (index_rx, committed_tx),
                        checkpoint,
                        counters,
                        healthy,
                        opts,
                    )
                })
                .map_err(|e| StoreError::io(store.root(), e))?
        };
        Ok(Pipeline {
            log_tx: Mutex::new(Some(log_tx)),
            queue_bytes: opts.queue_bytes as u64,
            index_tx,
            counters,
            healthy,
            acks: Mutex::new(HashMap::new()),
            threads: Mutex::new(vec![log_thread, index_thread]),
            checkpoint,
            wal_dir,
            purge_tx,
        })
    }

    /// Runs `work` on the index thread with the store's writer to itself, after everything
    /// acknowledged before the call is committed; commits again after it. Ingest waits
    /// meanwhile (its batches queue, then get 503 as on any full queue).
    pub fn exclusive<R: Send + 'static>(
        &self,
        work: impl FnOnce(&mut StoreWriter) -> R + Send + 'static,
    ) -> Result<R, IngestError> {
        let (tx, rx) = std::sync::mpsc::channel();
        let job: Box<dyn FnOnce(&mut StoreWriter) + Send> = Box::new(move |w| {
            let _ = tx.send(work(w));
        });
        self.index_tx
            .send(IndexMsg::Exclusive(job))
            .map_err(|_| IngestError::Internal("ingest has stopped".into()))?;
        rx.recv()
            .map_err(|_| IngestError::Internal("ingest has stopped".into()))
    }

    /// Removes from the write-ahead log's files every record the store has committed (see
    /// [`crate::store::wal::Wal::purge`]); after an erasure, so no copy of it stays there.
    pub fn purge_log(&self) -> Result<(), IngestError> {
        let (tx, rx) = std::sync::mpsc::channel();
        self.purge_tx
            .send(tx)
            .map_err(|_| IngestError::Internal("ingest has stopped".into()))?;
        rx.recv()
            .map_err(|_| IngestError::Internal("ingest has stopped".into()))?
            .map_err(IngestError::Internal)
    }

    /// Logs a batch durably; returns once it would survive `kill -9`, or why it was refused.
    pub async fn submit(&self, batch: LoggedBatch) -> Result<Accepted, IngestError> {
        if !self.healthy.load(Ordering::Relaxed) {
            return Err(IngestError::Unavailable("see the server log".into()));
        }
        // A batch alone is always taken (the body limit bounds it); past the bound the
        // sender is told to come back, before anything is logged or acknowledged.
        let bytes = batch.events.iter().map(resident_bytes).sum::<u64>();
        let queued = &self.counters.queued_bytes;
        let before = queued.fetch_add(bytes, Ordering::AcqRel);
        let held = Held {
            bytes,
            queued: queued.clone(),
        };
        if before > 0 && before + bytes > self.queue_bytes {
            drop(held);
            self.counters.rejected_busy.fetch_add(1, Ordering::Relaxed);
            return Err(IngestError::Busy);
        }
        let (reply, rx) = tokio::sync::oneshot::channel();
        let tx = self
            .log_tx
            .lock()
            .clone()
            .ok_or_else(|| IngestError::Internal("shutting down".into()))?;
        match tx.try_send(LogRequest { batch, held, reply }) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                self.counters.rejected_busy.fetch_add(1, Ordering::Relaxed);
                return Err(IngestError::Busy);
            }
            Err(TrySendError::Disconnected(_)) => {
                return Err(IngestError::Internal("ingest has stopped".into()))
            }
        }
        rx.await
            .map_err(|_| IngestError::Internal("ingest has stopped".into()))?
    }

    /// Issues the next ack id of a channel (Splunk's numbering: 0, 1, 2… per channel).
    pub fn next_ack_id(&self, channel: &str) -> u64 {
        let mut acks = self.acks.lock();
        let n = acks.entry(channel.to_string()).or_insert(0);
        let id = *n;
        *n += 1;
        id
    }

    /// Whether an ack id was issued on a channel; issued means durable, since we answer only after the log sync.
    pub fn is_acked(&self, channel: &str, id: u64) -> bool {
        self.acks.lock().get(channel).is_some_and(|n| id < *n)
    }

    /// True if the channel has been seen (Splunk answers code 11 to unknown channels on `/ack`).
    pub fn knows_channel(&self, channel: &str) -> bool {
        self.acks.lock().contains_key(channel)
    }

    /// Commits now and waits: everything acknowledged before the call is searchable after it.
    pub fn flush(&self) -> Result<(), IngestError> {
        // Anything acknowledged has already been handed to the index thread (in order), so a
        // flush message queued behind it commits it.
        let (tx, rx) = std::sync::mpsc::channel();
        self.index_tx
            .send(IndexMsg::Flush(tx))
            .map_err(|_| IngestError::Internal("ingest has stopped".into()))?;
        rx.recv()
            .map_err(|_| IngestError::Internal("ingest has stopped".into()))?
            .map_err(IngestError::Internal)
    }

    /// True while indexing works (health endpoints report it).
    pub fn is_healthy(&self) -> bool {
        self.healthy.load(Ordering::Relaxed)
    }

    /// Stops accepting, indexes and commits what was logged, and joins the threads.
    pub fn shutdown(&self) {
        self.log_tx.lock().take();
        let mut threads: Vec<_> = self.threads.lock().drain(..).collect();
        // The log thread ends when its queue is closed and drained; only then may the index thread stop.
        if !threads.is_empty() {
            let _ = threads.remove(0).join();
        }
        let _ = self.index_tx.send(IndexMsg::Stop);
        let joined = threads.into_iter().all(|t| t.join().is_ok());
        // Everything logged is now committed: say so, and the next start replays nothing.
        if joined {
            let cp = self.checkpoint.load(Ordering::Acquire);
            if let Err(e) = crate::store::wal::write_checkpoint(&self.wal_dir, cp) {
                tracing::warn!(error = %e, "cannot write the final checkpoint");
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn log_loop(
    mut wal: Wal,
    mut dedup: DedupTable,
    dedup_path: PathBuf,
    (rx, committed, purge): (Receiver<LogRequest>, Receiver<()>, Receiver<PurgeReply>),
    index_tx: Sender<IndexMsg>,
    checkpoint: Arc<AtomicU64>,
    counters: Arc<Counters>,
    root: PathBuf,
    min_free_disk: u64,
) {
    let mut trimmed_to = checkpoint.load(Ordering::Acquire);
    let mut free_checked = Instant::now() - Duration::from_secs(10);
    let mut free_ok = true;
    let mut buf = Vec::with_capacity(1 << 20);
    let mut committed = committed;
    let mut purge = purge;
    let mut trim = |wal: &mut Wal, dedup: &DedupTable| {
        let cp = checkpoint.load(Ordering::Acquire);
        if cp > trimmed_to {
            match dedup.save(&dedup_path).and_then(|_| wal.checkpoint(cp)) {
                Ok(()) => trimmed_to = cp,
                Err(e) => tracing::warn!(error = %e, "cannot trim the write-ahead log"),
            }
        }
    };
    loop {
        let first = crossbeam_channel::select! {
            recv(rx) -> r => match r {
                Ok(r) => r,
                Err(_) => break,
            },
            recv(committed) -> r => {
                match r {
                    Ok(()) => trim(&mut wal, &dedup),
                    // The index thread has stopped: no more commits to wait for.
                    Err(_) => committed = crossbeam_channel::never(),
                }
                continue;
            }
            recv(purge) -> r => {
                match r {
                    Ok(reply) => {
                        trim(&mut wal, &dedup);
                        let cp = checkpoint.load(Ordering::Acquire);
                        let res = dedup
                            .save(&dedup_path)
                            .and_then(|_| wal.purge(cp))
                            .map_err(|e| e.to_string());
                        let _ = reply.send(res);
                    }
                    // The handle is gone: no more purges to wait for.
                    Err(_) => purge = crossbeam_channel::never(),
                }
                continue;
            }
        };
        let mut group = vec![first];
        let mut bytes = 0usize;
        while bytes < (32 << 20) {
            match rx.try_recv() {
                Ok(r) => {
                    bytes += r.batch.events.iter().map(|e| e.raw.len()).sum::<usize>();
                    group.push(r)
                }
                Err(_) => break,
            }
        }
        if free_checked.elapsed() > Duration::from_millis(500) {
            free_ok = fs4::available_space(&root)
                .map(|a| a >= min_free_disk)
                .unwrap_or(true);
            free_checked = Instant::now();
        }
        let mut logged: Vec<(LogRequest, u64)> = Vec::with_capacity(group.len());
        let mut failure: Option<IngestError> = None;
        for req in group {
            if dedup.seen(&req.batch) {
                counters.duplicates.fetch_add(1, Ordering::Relaxed);
                let _ = req.reply.send(Ok(Accepted::Duplicate));
                continue;
            }
            if !free_ok {
                let _ = req.reply.send(Err(IngestError::DiskFull(format!(
                    "less than {} MB free under {}",
                    min_free_disk >> 20,
                    root.display()
                ))));
                continue;
            }
            if let Some(err) = &failure {
                let _ = req.reply.send(Err(err.clone()));
                continue;
            }
            buf.clear();
            encode_batch(&req.batch, &mut buf);
            match wal.append(&buf) {
                Ok(lsn) => {
                    dedup.insert(&req.batch);
                    logged.push((req, lsn));
                }
                Err(e) => {
                    let err = to_ingest_error(&e);
                    let _ = req.reply.send(Err(err.clone()));
                    failure = Some(err);
                }
            }
        }
        if failure.is_none() && !logged.is_empty() {
            if let Err(e) = wal.sync() {
                failure = Some(to_ingest_error(&e));
            }
        }
        if let Some(err) = failure {
            tracing::error!(error = %err, "write-ahead log write failed; batches refused");
            for (req, _) in logged {
                dedup.remove(&req.batch);
                let _ = req.reply.send(Err(err.clone()));
            }
            if let Err(e) = wal.abandon_segment() {
                tracing::error!(error = %e, "cannot open a new log segment");
            }
            continue;
        }
        for (req, lsn) in logged {
            counters.batches.fetch_add(1, Ordering::Relaxed);
            let LogRequest { batch, held, reply } = req;
            // Handed to the indexer before the answer, so a flush requested after the ack covers it.
            if index_tx
                .send(IndexMsg::Batch(lsn, batch.events, held))
                .is_err()
            {
                return;
            }
            let _ = reply.send(Ok(Accepted::Logged(lsn)));
        }
        trim(&mut wal, &dedup);
    }
    // Shutting down: the index thread stops when this sender drops.
    let cp = checkpoint.load(Ordering::Acquire);
    let _ = dedup
        .save(&dedup_path)
        .and_then(|_| wal.checkpoint(cp.min(wal.next_lsn().saturating_sub(1))));
}

fn to_ingest_error(e: &StoreError) -> IngestError {
    if e.is_disk_full() {
        IngestError::DiskFull(e.to_string())
    } else {
        IngestError::Internal(e.to_string())
    }
}

/// After a failed commit: the open buckets go back to their last commit ([`StoreWriter::abandon`])
/// and the events logged since the last full commit are added again from the log, each bucket
/// skipping the records it had committed. The next commit then holds everything acknowledged.
fn reindex_from_log(writer: &mut StoreWriter, after: u64, up_to: u64) {
    writer.abandon();
    let dir = writer.store().root().join("wal");
    let mut events = 0u64;
    let res = crate::store::wal::read_range(&dir, after, up_to, |lsn, payload| {
        for ev in decode_batch(payload)?.events {
            writer.add(ev, lsn)?;
            events += 1;
        }
        Ok(())
    });
    match res {
        Ok(()) => tracing::info!(
            events,
            after,
            up_to,
            "uncommitted events indexed again from the log"
        ),
        // They stay in the log, which is not trimmed past them: a restart replays them.
        Err(e) => tracing::error!(error = %e, "cannot index the log's uncommitted events again"),
    }
}

fn index_loop(
    mut writer: StoreWriter,
    (rx, committed): (Receiver<IndexMsg>, Sender<()>),
    checkpoint: Arc<AtomicU64>,
    counters: Arc<Counters>,
    healthy: Arc<AtomicBool>,
    opts: PipelineOptions,
) {
    let mut last_lsn = checkpoint.load(Ordering::Acquire);
    let mut next_commit = Instant::now() + opts.commit_interval;
    let mut next_retention = Instant::now();
    let mut reported = InternalReport::default();
    // A commit, the health it proves or disproves, and after a failure the events since the
    // last full commit indexed again from the log.
    let commit = |writer: &mut StoreWriter,
                  last_lsn: u64,
                  reported: &mut InternalReport|
     -> Result<(), String> {
        let res = reported
            .emit(writer, &counters)
            .and_then(|()| {
                if writer.is_dirty() {
                    writer.commit()?;
                    counters.commits.fetch_add(1, Ordering::Relaxed);
                }
                Ok(())
            })
            .map_err(|e| e.to_string());
        match &res {
            Ok(()) => {
                if checkpoint.swap(last_lsn, Ordering::AcqRel) != last_lsn {
                    // Full: a signal is already waiting, and one trim covers both.
                    let _ = committed.try_send(());
                }
                healthy.store(true, Ordering::Relaxed);
            }
            Err(e) => {
                tracing::error!(error = %e, "commit failed; will retry");
                healthy.store(false, Ordering::Relaxed);
                reindex_from_log(writer, checkpoint.load(Ordering::Acquire), last_lsn);
            }
        }
        res
    };
    loop {
        let timeout = next_commit.saturating_duration_since(Instant::now());
        // Under a steady stream the receive never times out: the commit is also due when a
        // batch ends past the interval, so what was acknowledged is searchable within it.
        let due = match rx.recv_timeout(timeout) {
            Ok(IndexMsg::Batch(lsn, events, held)) => {
                for ev in events {
                    count_event(&counters, &ev);
                    if let Err(e) = writer.add(ev, lsn) {
                        tracing::error!(error = %e, "indexing failed");
                        healthy.store(false, Ordering::Relaxed);
                    }
                }
                drop(held);
                last_lsn = lsn;
                Instant::now() >= next_commit
            }
            Ok(IndexMsg::Flush(reply)) => {
                let _ = reply.send(commit(&mut writer, last_lsn, &mut reported));
                next_commit = Instant::now() + opts.commit_interval;
                false
            }
            Ok(IndexMsg::Exclusive(work)) => {
                // Committed first: the work sees every event handed over, and the
                // checkpoint covers every record whose events it may change.
                let _ = commit(&mut writer, last_lsn, &mut reported);
                work(&mut writer);
                let _ = commit(&mut writer, last_lsn, &mut reported);
                next_commit = Instant::now() + opts.commit_interval;
                false
            }
            Err(RecvTimeoutError::Timeout) => true,
            Ok(IndexMsg::Stop) | Err(RecvTimeoutError::Disconnected) => break,
        };
        if due {
            let _ = commit(&mut writer, last_lsn, &mut reported);
            next_commit = Instant::now() + opts.commit_interval;
            if Instant::now() >= next_retention {
                let store = writer.store().clone();
                if let Err(e) = retention::enforce(
                    &store,
                    Some(&mut writer),
                    &opts.retention,
                    now_ns(),
                    opts.before_retention.as_ref(),
                ) {
                    tracing::warn!(error = %e, "retention failed");
                }
                next_retention = Instant::now() + Duration::from_secs(60);
            }
        }
    }
    let _ = commit(&mut writer, last_lsn, &mut reported);
    if let Err(e) = writer.close_all() {
        tracing::error!(error = %e, "closing buckets failed");
    }
}

fn count_event(c: &Counters, ev: &Event) {
    c.events.fetch_add(1, Ordering::Relaxed);
    c.raw_bytes
        .fetch_add(ev.raw.len() as u64, Ordering::Relaxed);
    if ev.flags.truncated {
        c.truncated.fetch_add(1, Ordering::Relaxed);
    }
    if ev.flags.time_from_receipt {
        c.timestamp_unparsed.fetch_add(1, Ordering::Relaxed);
    }
    if ev.flags.lossy_utf8 {
        c.invalid_utf8.fetch_add(1, Ordering::Relaxed);
    }
}

/// What was last written to `_internal`, so only changes produce an event.
#[derive(Default)]
struct InternalReport {
    last: [u64; 4],
    /// Syslog received and dropped, reported in their own `component=syslog` event.
    last_syslog: [u64; 2],
}

impl InternalReport {
    /// Writes an ingest metrics event to `_internal` when anything noteworthy changed.
    fn emit(&mut self, writer: &mut StoreWriter, c: &Counters) -> Result<(), StoreError> {
        self.emit_syslog(writer, c)?;
        let now = [
            c.truncated.load(Ordering::Relaxed),
            c.timestamp_unparsed.load(Ordering::Relaxed),
            c.invalid_utf8.load(Ordering::Relaxed),
            c.duplicates.load(Ordering::Relaxed),
        ];
        if now == self.last {
            return Ok(());
        }
        let names = [
            "truncated",
            "timestamp_unparsed",
            "invalid_utf8",
            "duplicate_batches",
        ];
        let mut raw = String::from("component=ingest");
        let mut fields = vec![("component".to_string(), Value::Str("ingest".into()))];
        for (i, name) in names.iter().enumerate() {
            let delta = now[i] - self.last[i];
            raw.push_str(&format!(" {name}={delta}"));
            fields.push((name.to_string(), Value::Int(delta as i64)));
        }
        let ev = Event {
            time_ns: now_ns(),
            raw,
            host: hostname(),
            source: "loupe:ingest".into(),
            sourcetype: "loupe_metrics".into(),
            index: "_internal".into(),
            fields,
            ..Default::default()
        };
        writer.add(ev, 0)?;
        self.last = now;
        Ok(())
    }

    /// `component=syslog received=N dropped=N` (deltas since the last one) when either moved,
    /// so datagrams lost to a full queue are searchable, not only on `/metrics`.
    fn emit_syslog(&mut self, writer: &mut StoreWriter, c: &Counters) -> Result<(), StoreError> {
        let now = [
            c.syslog_received.load(Ordering::Relaxed),
            c.syslog_dropped.load(Ordering::Relaxed),
        ];
        if now == self.last_syslog {
            return Ok(());
        }
        let (received, dropped) = (now[0] - self.last_syslog[0], now[1] - self.last_syslog[1]);
        let ev = Event {
            time_ns: now_ns(),
            raw: format!("component=syslog received={received} dropped={dropped}"),
            host: hostname(),
            source: "loupe:syslog".into(),
            sourcetype: "loupe_metrics".into(),
            index: "_internal".into(),
            fields: vec![
                ("component".to_string(), Value::Str("syslog".into())),
                ("received".to_string(), Value::Int(received as i64)),
                ("dropped".to_string(), Value::Int(dropped as i64)),
            ],
            ..Default::default()
        };
        writer.add(ev, 0)?;
        self.last_syslog = now;
        Ok(())
    }
}

/// This machine's name, the default `host` of events that name none.
pub fn hostname() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| {
            std::fs::read_to_string("/etc/hostname")
                .ok()
                .map(|s| s.trim().to_string())
        })
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seen_window_keeps_a_floor() {
        let mut s = Seen::default();
        for i in 0..(SEEN_WINDOW as u64 + 10) {
            s.insert(i);
        }
        assert!(s.contains(0));
        assert!(s.contains(SEEN_WINDOW as u64 + 9));
        assert!(!s.contains(SEEN_WINDOW as u64 + 10));
        assert!(s.above.len() <= SEEN_WINDOW);
    }

    fn batch_of(n: usize, tag: &str) -> LoggedBatch {
        LoggedBatch {
            channel: None,
            sequence: None,
            events: (0..n)
                .map(|i| Event {
                    time_ns: 1_700_000_000_000_000_000 + i as i64,
                    raw: format!("{tag} {i} {}", "x".repeat(1_000)),
                    index: "main".into(),
                    ..Default::default()
                })
                .collect(),
        }
    }

    /// While indexing is behind, what waits for it is bounded in bytes: past the bound a batch
    /// is refused as busy before it is logged, and taken again once indexing caught up.
    #[test]
    fn ingest_answers_busy_past_its_queue_bytes_and_takes_the_batch_once_indexing_caught_up() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(dir.path()).unwrap());
        let opts = PipelineOptions {
            min_free_disk: 0,
            queue_bytes: 1 << 20,
            ..PipelineOptions::default()
        };
        let pipeline = Arc::new(Pipeline::start(store.clone(), opts).unwrap());
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        // The index thread is held by an exclusive job until `release` is sent.
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        let (held_tx, held_rx) = std::sync::mpsc::channel::<()>();
        let holder = {
            let p = pipeline.clone();
            std::thread::spawn(move || {
                p.exclusive(move |_| {
                    let _ = held_tx.send(());
                    let _ = release_rx.recv();
                })
            })
        };
        held_rx.recv().unwrap();
        // The first batch is taken whatever its size (queue empty), 2 MB over the bound.
        assert!(matches!(
            rt.block_on(pipeline.submit(batch_of(2_000, "first"))),
            Ok(Accepted::Logged(_))
        ));
        let queued = pipeline.counters.queued_bytes.load(Ordering::Acquire);
        assert!(
            queued > 2_000_000,
            "the acknowledged batch is held: {queued}"
        );
        assert_eq!(
            rt.block_on(pipeline.submit(batch_of(10, "second"))),
            Err(IngestError::Busy)
        );
        assert_eq!(pipeline.counters.rejected_busy.load(Ordering::Relaxed), 1);
        release_tx.send(()).unwrap();
        holder.join().unwrap().unwrap();
        pipeline.flush().unwrap();
        assert_eq!(pipeline.counters.queued_bytes.load(Ordering::Acquire), 0);
        assert!(matches!(
            rt.block_on(pipeline.submit(batch_of(10, "second"))),
            Ok(Accepted::Logged(_))
        ));
        pipeline.flush().unwrap();
        let count: u64 = store
            .buckets_of("main")
            .iter()
            .map(|b| b.summary().count)
            .sum();
        assert_eq!(
            count, 2_010,
            "nothing of the refused batch was indexed twice or lost"
        );
        pipeline.shutdown();
    }

    /// A commit trims the log on its own: an idle server keeps its index, not a second copy
    /// of what it indexed, without waiting for another batch.
    #[test]
    fn a_commit_trims_the_log_without_another_batch() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(dir.path()).unwrap());
        let opts = PipelineOptions {
            min_free_disk: 0,
            ..PipelineOptions::default()
        };
        let pipeline = Pipeline::start(store, opts).unwrap();
        let events = (0..2_000)
            .map(|i| Event {
                time_ns: 1_700_000_000_000_000_000 + i,
                raw: format!("event {i} {}", "x".repeat(1_000)),
                index: "main".into(),
                ..Default::default()
            })
            .collect();
        let batch = LoggedBatch {
            channel: None,
            sequence: None,
            events,
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(pipeline.submit(batch)).unwrap();
        let wal_dir = dir.path().join("wal");
        let wal_bytes = || -> u64 {
            std::fs::read_dir(&wal_dir)
                .unwrap()
                .flatten()
                .filter(|e| e.path().extension().is_some_and(|x| x == "wal"))
                .map(|e| e.metadata().map(|m| m.len()).unwrap_or(0))
                .sum()
        };
        assert!(
            wal_bytes() > 2_000_000,
            "the batch is logged before the answer"
        );
        pipeline.flush().unwrap();
        // The log thread trims when told of the commit; wait for that, not for a time.
        let deadline = Instant::now() + Duration::from_secs(30);
        while wal_bytes() > 0 {
            assert!(Instant::now() < deadline, "log still {} bytes", wal_bytes());
            std::thread::sleep(Duration::from_millis(10));
        }
        pipeline.shutdown();
    }
}
