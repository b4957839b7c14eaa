//! The store: indexes made of day buckets on disk, written by one [`StoreWriter`], read by many searches.
//!
//! Layout under the data dir:
//! ```text
//! indexes/<index>/db_<YYYYMMDD>_<seq>/   one tantivy index per bucket (summary in its commit payload)
//! wal/                                   write-ahead log of acknowledged HEC batches (see `wal`)
//! ```

pub mod bucket;
pub mod directory;
pub mod docstore;
pub mod erase;
pub mod retention;
pub mod schema;
pub mod vocabulary;
pub mod wal;

use bucket::{Bucket, BucketKey, BucketWriter};
use loupe_event::Event;
use parking_lot::RwLock;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Everything that can go wrong in the store; messages name the file or index involved.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("index engine: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    #[error("corrupt data: {0}")]
    Corrupt(String),
    #[error("invalid index name {0:?}: an index name holds lower-case letters, digits, '_' and '-', does not start with '-' (nor '_', kept for internal indexes) and has at most 80 characters")]
    BadIndexName(String),
    #[error("unknown index {0:?}")]
    UnknownIndex(String),
    #[error("the data dir {0} is in use by another Loupe process")]
    Locked(PathBuf),
    #[error("{}: indexed with vocabulary version {found}, this Loupe reads version {}; import its events again into a new data dir", path.display(), vocabulary::VERSION)]
    OldVocabulary { path: PathBuf, found: u32 },
}

impl StoreError {
    /// Attaches the path to an I/O error, so messages say which file failed.
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        StoreError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    /// True when the error means the disk is full (ingest then answers 503, not 500).
    pub fn is_disk_full(&self) -> bool {
        let io = match self {
            StoreError::Io { source, .. } => Some(source),
            _ => None,
        };
        io.is_some_and(|e| {
            e.raw_os_error() == Some(28) || e.kind() == std::io::ErrorKind::StorageFull
        }) || self.to_string().contains("No space left")
    }
}

/// Index names become directory names: keep them to a safe alphabet.
pub fn validate_index_name(name: &str) -> Result<(), StoreError> {
    // Splunk's rule, so names travel between the two; lower case only, so `MAIN` and `CON`
    // are refused rather than made beside `main` (and clash on case-insensitive disks).
    let ok = !name.is_empty()
        && name.len() <= MAX_INDEX_NAME
        && !name.starts_with('-')
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(StoreError::BadIndexName(name.to_string()))
    }
}

/// Longest index name (Splunk's limit).
pub const MAX_INDEX_NAME: usize = 80;

/// A directory name an older Loupe may have made an index of (any case): still opened, so
/// a stricter rule never hides data already on disk.
fn legacy_index_dir(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('-')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Tuning of the write side; defaults suit a 2-core machine.
#[derive(Debug, Clone)]
pub struct WriterOptions {
    /// Hot buckets kept open at once; older ones are committed and closed.
    pub max_hot: usize,
    /// Indexing threads per hot bucket.
    pub threads_per_bucket: usize,
    /// Memory budget per hot bucket.
    pub budget_per_bucket: usize,
    /// A day bucket rolls to a new one past this many events.
    pub max_bucket_events: u64,
    /// A bucket no event went to for this many events is closed, its indexing memory freed.
    pub idle_events: u64,
}

impl Default for WriterOptions {
    fn default() -> Self {
        WriterOptions {
            max_hot: 3,
            threads_per_bucket: 2,
            budget_per_bucket: 128 << 20,
            max_bucket_events: 50_000_000,
            idle_events: 50_000,
        }
    }
}

/// The on-disk store: all indexes and their buckets, safe to share between threads.
pub struct Store {
    root: PathBuf,
    indexes: RwLock<BTreeMap<String, Vec<Arc<Bucket>>>>,
    _lock: Option<std::fs::File>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("root", &self.root).finish()
    }
}

impl Store {
    /// Opens (creating if needed) the store for writing; takes the data dir's lock so two writers never collide.
    pub fn open(data_dir: &Path) -> Result<Store, StoreError> {
        std::fs::create_dir_all(data_dir.join("indexes"))
            .map_err(|e| StoreError::io(data_dir, e))?;
        let lock_path = data_dir.join("LOCK");
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| StoreError::io(&lock_path, e))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(StoreError::Locked(data_dir.to_path_buf()))
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(StoreError::io(&lock_path, e)),
        }
        let mut store = Store::open_read_only(data_dir)?;
        store._lock = Some(lock);
        Ok(store)
    }

    /// Opens the store for searching only (no lock: a server may be writing meanwhile).
    pub fn open_read_only(data_dir: &Path) -> Result<Store, StoreError> {
        let root = data_dir.to_path_buf();
        let mut indexes = BTreeMap::new();
        let idx_root = root.join("indexes");
        if idx_root.exists() {
            for entry in std::fs::read_dir(&idx_root).map_err(|e| StoreError::io(&idx_root, e))? {
                let entry = entry.map_err(|e| StoreError::io(&idx_root, e))?;
                let name = entry.file_name().to_string_lossy().to_string();
                if !legacy_index_dir(&name) || !entry.path().is_dir() {
                    continue;
                }
                let mut buckets = Vec::new();
                for b in
                    std::fs::read_dir(entry.path()).map_err(|e| StoreError::io(&entry.path(), e))?
                {
                    let b = b.map_err(|e| StoreError::io(&entry.path(), e))?;
                    let dir_name = b.file_name().to_string_lossy().to_string();
                    let Some(key) = BucketKey::parse(&name, &dir_name) else {
                        continue;
                    };
                    if !b.path().join("meta.json").exists() {
                        continue;
                    }
                    buckets.push(Arc::new(Bucket::open_or_create(key, &b.path())?));
                }
                buckets.sort_by(|a, b| a.key.cmp(&b.key));
                indexes.insert(name, buckets);
            }
        }
        Ok(Store {
            root,
            indexes: RwLock::new(indexes),
            _lock: None,
        })
    }

    /// The data dir this store lives in.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Names of the indexes that exist.
    pub fn index_names(&self) -> Vec<String> {
        self.indexes.read().keys().cloned().collect()
    }

    /// True if the index exists (has been created, possibly still empty).
    pub fn has_index(&self, name: &str) -> bool {
        self.indexes.read().contains_key(name)
    }

    /// Creates an empty index (idempotent).
    pub fn create_index(&self, name: &str) -> Result<(), StoreError> {
        validate_index_name(name)?;
        let dir = self.root.join("indexes").join(name);
        std::fs::create_dir_all(&dir).map_err(|e| StoreError::io(&dir, e))?;
        self.indexes.write().entry(name.to_string()).or_default();
        Ok(())
    }

    /// Buckets of the given indexes overlapping `[earliest, latest)`, newest first (so `head` stops early).
    pub fn buckets_for(
        &self,
        indexes: &[String],
        earliest: Option<i64>,
        latest: Option<i64>,
    ) -> Vec<Arc<Bucket>> {
        let map = self.indexes.read();
        let mut out: Vec<Arc<Bucket>> = Vec::new();
        for name in indexes {
            let Some(buckets) = map.get(name) else {
                continue;
            };
            for b in buckets {
                let Some((lo, hi)) = b.time_range() else {
                    continue;
                };
                if earliest.is_some_and(|e| hi < e) || latest.is_some_and(|l| lo >= l) {
                    continue;
                }
                out.push(b.clone());
            }
        }
        out.sort_by_key(|b| std::cmp::Reverse(b.time_range().map(|r| r.1).unwrap_or(i64::MIN)));
        out
    }

    /// All buckets of one index (retention and stats use it).
    pub fn buckets_of(&self, index: &str) -> Vec<Arc<Bucket>> {
        self.indexes.read().get(index).cloned().unwrap_or_default()
    }

    fn bucket_dir(&self, key: &BucketKey) -> PathBuf {
        self.root
            .join("indexes")
            .join(&key.index)
            .join(key.dir_name())
    }

    /// Finds or creates the bucket for a key and registers it for searching.
    fn bucket(&self, key: &BucketKey) -> Result<Arc<Bucket>, StoreError> {
        if let Some(b) = self
            .indexes
            .read()
            .get(&key.index)
            .and_then(|v| v.iter().find(|b| &b.key == key))
        {
            return Ok(b.clone());
        }
        let bucket = Arc::new(Bucket::open_or_create(key.clone(), &self.bucket_dir(key))?);
        let mut map = self.indexes.write();
        let list = map.entry(key.index.clone()).or_default();
        if let Some(b) = list.iter().find(|b| &b.key == key) {
            return Ok(b.clone());
        }
        list.push(bucket.clone());
        list.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(bucket)
    }

    /// Forgets a bucket and deletes its files (retention).
    pub(crate) fn remove_bucket(&self, key: &BucketKey) -> Result<(), StoreError> {
        let removed = {
            let mut map = self.indexes.write();
            map.get_mut(&key.index).and_then(|list| {
                let pos = list.iter().position(|b| &b.key == key)?;
                Some(list.remove(pos))
            })
        };
        if let Some(b) = removed {
            std::fs::remove_dir_all(&b.dir).map_err(|e| StoreError::io(&b.dir, e))?;
        }
        Ok(())
    }

    /// Total events committed in an index.
    pub fn event_count(&self, index: &str) -> u64 {
        self.buckets_of(index)
            .iter()
            .map(|b| b.summary().count)
            .sum()
    }
}

/// Bucket sequence numbers from here on are spill buckets (events of days that got no bucket of their own).
pub const SPILL_SEQ: u32 = 1000;

/// Where an event is written: its day's bucket, or its index's spill bucket.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Slot {
    Day(Arc<str>, i64),
    Spill(Arc<str>),
}

/// The single writer of a store: routes events to day buckets, keeps a few open, commits them together.
///
/// Streaming data (one or two current days) always gets one bucket per day. Data whose days are
/// scattered (a backfill of old logs, broken clocks) must not open a writer per day: at most
/// `max_hot` day buckets are open; an idle one is closed to make room, and while all are busy the
/// other days go to the index's *spill* bucket, whose time range is simply wider.
pub struct StoreWriter {
    store: Arc<Store>,
    opts: WriterOptions,
    hot: foldhash::HashMap<Slot, BucketWriter>,
    /// The day slot the last event went to: nearly every event goes where the one before it
    /// went, and then finds its slot without allocating.
    last_day: Option<Slot>,
    clock: u64,
}

impl StoreWriter {
    /// A writer over a store opened with [`Store::open`].
    pub fn new(store: Arc<Store>, opts: WriterOptions) -> Self {
        StoreWriter {
            store,
            opts,
            hot: foldhash::HashMap::default(),
            last_day: None,
            clock: 0,
        }
    }

    /// The store written to.
    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// Adds an event from log record `lsn` (0 for imports); skipped if its bucket already committed that record.
    pub fn add(&mut self, ev: Event, lsn: u64) -> Result<(), StoreError> {
        self.clock += 1;
        // Looked for a few times per idle span (and never more often than every 8,192 events).
        if self
            .clock
            .is_multiple_of((self.opts.idle_events / 4).clamp(1, 8_192))
        {
            self.close_idle()?;
        }
        let day = BucketKey::day_of(ev.time_ns);
        let slot = self.route(&ev.index, day)?;
        let full = self
            .hot
            .get(&slot)
            .is_some_and(|w| w.count() >= self.opts.max_bucket_events);
        if full {
            if let Some(w) = self.hot.remove(&slot) {
                w.close()?;
            }
            self.open(&slot, day)?;
        }
        let clock = self.clock;
        let writer = self
            .hot
            .get_mut(&slot)
            .ok_or_else(|| StoreError::Corrupt("hot bucket vanished".into()))?;
        writer.last_used = clock;
        if lsn != 0 && lsn <= writer.committed_lsn() {
            return Ok(());
        }
        writer.add(ev, lsn)
    }

    /// True when no event went to `w` for the last `idle_events` events.
    fn is_idle(&self, w: &BucketWriter) -> bool {
        w.last_used + self.opts.idle_events < self.clock
    }

    /// Closes the buckets no event went to lately (yesterday's, once today's events flow):
    /// each holds an indexing arena of up to its memory budget until closed.
    fn close_idle(&mut self) -> Result<(), StoreError> {
        let idle: Vec<Slot> = self
            .hot
            .iter()
            .filter(|(_, w)| self.is_idle(w))
            .map(|(k, _)| k.clone())
            .collect();
        for slot in idle {
            if let Some(w) = self.hot.remove(&slot) {
                w.close()?;
            }
        }
        Ok(())
    }

    /// Picks (opening if needed) the slot of an event's day.
    fn route(&mut self, index: &str, day: i64) -> Result<Slot, StoreError> {
        if let Some(last @ Slot::Day(i, d)) = &self.last_day {
            if *d == day && **i == *index && self.hot.contains_key(last) {
                return Ok(last.clone());
            }
        }
        let slot = Slot::Day(index.into(), day);
        if self.hot.contains_key(&slot) {
            self.last_day = Some(slot.clone());
            return Ok(slot);
        }
        let days_open = self
            .hot
            .keys()
            .filter(|k| matches!(k, Slot::Day(..)))
            .count();
        if days_open >= self.opts.max_hot {
            let idle = self
                .hot
                .iter()
                .filter(|(k, _)| matches!(k, Slot::Day(..)))
                .min_by_key(|(_, w)| w.last_used)
                .filter(|(_, w)| self.is_idle(w))
                .map(|(k, _)| k.clone());
            match idle {
                Some(k) => {
                    if let Some(w) = self.hot.remove(&k) {
                        w.close()?;
                    }
                }
                None => {
                    let spill = Slot::Spill(index.into());
                    if !self.hot.contains_key(&spill) {
                        self.open(&spill, day)?;
                    }
                    return Ok(spill);
                }
            }
        }
        self.open(&slot, day)?;
        self.last_day = Some(slot.clone());
        Ok(slot)
    }

    fn open(&mut self, slot: &Slot, day: i64) -> Result<(), StoreError> {
        let index = match slot {
            Slot::Day(i, _) | Slot::Spill(i) => i.to_string(),
        };
        validate_index_name(&index)?;
        let existing = self.store.buckets_of(&index);
        let key = match slot {
            Slot::Day(_, d) => {
                // The newest roll of that day, so restarts append where they left off; a full one rolls.
                let newest = existing
                    .iter()
                    .filter(|b| b.key.day == *d && b.key.seq < SPILL_SEQ)
                    .max_by_key(|b| b.key.seq);
                let seq = match newest {
                    Some(b) if b.summary().count >= self.opts.max_bucket_events => b.key.seq + 1,
                    Some(b) => b.key.seq,
                    None => 0,
                };
                BucketKey {
                    index: index.clone(),
                    day: *d,
                    seq,
                }
            }
            Slot::Spill(_) => {
                let seq = existing
                    .iter()
                    .filter(|b| b.key.day == day)
                    .map(|b| b.key.seq + 1)
                    .max()
                    .unwrap_or(0)
                    .max(SPILL_SEQ);
                BucketKey {
                    index: index.clone(),
                    day,
                    seq,
                }
            }
        };
        let bucket = self.store.bucket(&key)?;
        let bw = BucketWriter::open(
            bucket,
            self.opts.threads_per_bucket,
            self.opts.budget_per_bucket,
        )?;
        self.hot.insert(slot.clone(), bw);
        Ok(())
    }

    /// Commits every bucket with new events: they become durable and searchable.
    pub fn commit(&mut self) -> Result<(), StoreError> {
        for w in self.hot.values_mut() {
            w.commit()?;
        }
        Ok(())
    }

    /// True when something was added since the last commit.
    pub fn is_dirty(&self) -> bool {
        self.hot.values().any(BucketWriter::is_dirty)
    }

    /// Drops every open bucket writer without committing. A failed commit leaves tantivy's
    /// writer having lost part of what it held (a worker that failed to write its segment takes
    /// its documents with it), so the buckets go back to their last commit and the caller adds
    /// the events since then again.
    pub fn abandon(&mut self) {
        self.hot.clear();
        self.last_day = None;
    }

    /// Commits and closes every hot bucket (end of import, shutdown, retention).
    pub fn close_all(&mut self) -> Result<(), StoreError> {
        for (_, w) in self.hot.drain() {
            w.close()?;
        }
        Ok(())
    }

    /// Commits and closes every hot bucket of `index` (before an erasure rewrites them: one
    /// writer per bucket at a time, and the documents it chose must stay where they are).
    pub fn close_index(&mut self, index: &str) -> Result<(), StoreError> {
        let slots: Vec<Slot> = self
            .hot
            .iter()
            .filter(|(_, w)| w.bucket.key.index == index)
            .map(|(s, _)| s.clone())
            .collect();
        for s in slots {
            if self.last_day.as_ref() == Some(&s) {
                self.last_day = None;
            }
            if let Some(w) = self.hot.remove(&s) {
                w.close()?;
            }
        }
        Ok(())
    }

    /// Closes the hot bucket of a key if open (before retention deletes it).
    pub(crate) fn close_bucket(&mut self, key: &BucketKey) -> Result<(), StoreError> {
        let slot = self
            .hot
            .iter()
            .find(|(_, w)| &w.bucket.key == key)
            .map(|(s, _)| s.clone());
        if let Some(w) = slot.and_then(|s| self.hot.remove(&s)) {
            w.close()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_names_are_checked() {
        assert!(validate_index_name("main").is_ok());
        assert!(validate_index_name("_internal").is_ok());
        assert!(validate_index_name("web-2").is_ok());
        assert!(validate_index_name("../etc").is_err());
        assert!(validate_index_name("").is_err());
        assert!(validate_index_name("-x").is_err());
        for bad in ["MAIN", "CON", "Web", "a b", "a/b", "a.b", "é"] {
            assert!(validate_index_name(bad).is_err(), "{bad}");
        }
        assert!(validate_index_name(&"a".repeat(80)).is_ok());
        assert!(validate_index_name(&"a".repeat(81)).is_err());
        let msg = validate_index_name("MAIN").unwrap_err().to_string();
        assert!(
            msg.contains("invalid index name") && msg.contains("lower-case"),
            "{msg}"
        );
    }

    /// A store in `dir` and its writer with a small per-bucket budget (tests open several).
    fn small_writer(dir: &Path, opts: WriterOptions) -> (Arc<Store>, StoreWriter) {
        let store = Arc::new(Store::open(dir).unwrap());
        let opts = WriterOptions {
            budget_per_bucket: 30 << 20,
            ..opts
        };
        (store.clone(), StoreWriter::new(store, opts))
    }

    fn ev(t: i64, raw: &str) -> Event {
        Event {
            time_ns: t,
            raw: raw.into(),
            host: "h".into(),
            source: "s".into(),
            sourcetype: "st".into(),
            index: "main".into(),
            ..Default::default()
        }
    }

    /// Reading every event of a bucket leaves nothing of its doc store in the process: the
    /// store file is read, not mapped, and the decompressed blocks were the reader's own.
    #[test]
    fn reading_events_maps_no_doc_store_and_keeps_no_shared_blocks() {
        use crate::search::rows::{KeywordCache, RowReader};
        let dir = tempfile::tempdir().unwrap();
        let (store, mut w) = small_writer(dir.path(), WriterOptions::default());
        let t = 86_400_000_000_000i64 * 20_000;
        for i in 0..2_000 {
            w.add(ev(t + i, &format!("event {i} of a store read in full")), 0)
                .unwrap();
        }
        w.close_all().unwrap();
        let bucket = &store.buckets_of("main")[0];
        let searcher = bucket.reader.searcher();
        let reader = RowReader::new(bucket, &searcher, &loupe_query::needs::FieldNeeds::All);
        let mut cache = KeywordCache::default();
        let mut read = 0;
        for (ord, seg) in searcher.segment_readers().iter().enumerate() {
            for doc in 0..seg.max_doc() {
                let row = reader
                    .row(&mut cache, tantivy::DocAddress::new(ord as u32, doc), t)
                    .unwrap();
                assert!(row.get("_raw").is_some());
                read += 1;
            }
        }
        assert_eq!(read, 2_000);
        assert_eq!(searcher.doc_store_cache_stats().num_entries, 0);
        let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
        let bucket_dir = bucket.dir.to_string_lossy().to_string();
        let mapped: Vec<&str> = maps
            .lines()
            .filter(|l| l.contains(&bucket_dir) && l.ends_with(".store"))
            .collect();
        assert!(mapped.is_empty(), "{mapped:?}");
        // The other files of the bucket are still mapped (what keeps searches fast).
        assert!(maps.lines().any(|l| l.contains(&bucket_dir)));
    }

    #[test]
    fn events_land_in_day_buckets_and_survive_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let day = 86_400_000_000_000i64;
        {
            let store = Arc::new(Store::open(dir.path()).unwrap());
            let mut w = StoreWriter::new(store.clone(), WriterOptions::default());
            for i in 0..10 {
                w.add(ev(day * 20_000 + i, "a"), 0).unwrap();
                w.add(ev(day * 20_001 + i, "b"), 0).unwrap();
            }
            w.close_all().unwrap();
            assert_eq!(store.buckets_of("main").len(), 2);
            assert_eq!(store.event_count("main"), 20);
        }
        let store = Store::open(dir.path()).unwrap();
        let buckets = store.buckets_for(&["main".into()], Some(day * 20_001), None);
        assert_eq!(buckets.len(), 1);
        assert_eq!(buckets[0].summary().count, 10);
        assert_eq!(buckets[0].summary().hosts["h"], 10);
        // Each host's own time range survives too (`metadata` reads it).
        let seen = buckets[0].summary().host_times["h"];
        assert_eq!((seen.first, seen.last), (day * 20_001, day * 20_001 + 9));
        assert!(seen.recent > 1_700_000_000, "{seen:?}");
        // Nothing writes to it now.
        assert!(!buckets[0].is_hot());
    }

    /// Each (host, source, sourcetype) combination is kept with its count and time range,
    /// across commits, and survives reopening; past the cap the bucket keeps none.
    #[test]
    fn a_bucket_keeps_its_streams_up_to_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let day = 86_400_000_000_000i64 * 20_000;
        let streams = |store: &Store| {
            let mut v = store.buckets_of("main")[0].summary().streams.unwrap();
            v.sort_by(|a, b| (&a.host, &a.source).cmp(&(&b.host, &b.source)));
            v.into_iter()
                .map(|s| (s.host, s.source, s.sourcetype, s.count, s.first, s.last))
                .collect::<Vec<_>>()
        };
        {
            let (store, mut w) = small_writer(dir.path(), WriterOptions::default());
            for i in 0..30i64 {
                let mut e = ev(day + i, "x");
                e.host = format!("h{}", i % 2);
                e.source = format!("s{}", i % 3);
                w.add(e, 0).unwrap();
                if i == 10 {
                    w.commit().unwrap();
                }
            }
            w.close_all().unwrap();
            assert_eq!(streams(&store).len(), 6);
        }
        let store = Store::open(dir.path()).unwrap();
        let got = streams(&store);
        assert_eq!(got.len(), 6);
        // h0 with s0: i = 0, 6, 12, 18, 24.
        assert_eq!(
            got[0],
            ("h0".into(), "s0".into(), "st".into(), 5, day, day + 24)
        );
        assert_eq!(got.iter().map(|s| s.3).sum::<u64>(), 30);

        let dir = tempfile::tempdir().unwrap();
        let (store, mut w) = small_writer(dir.path(), WriterOptions::default());
        for i in 0..=bucket::MAX_STREAMS as i64 {
            let mut e = ev(day + i, "x");
            e.source = format!("s{i}");
            w.add(e, 0).unwrap();
        }
        w.close_all().unwrap();
        let s = store.buckets_of("main")[0].summary();
        assert!(s.streams.is_none());
        assert_eq!(s.sources.len(), bucket::MAX_STREAMS + 1);
    }

    #[test]
    fn a_bucket_is_hot_while_its_writer_is_open() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(dir.path()).unwrap());
        let mut w = StoreWriter::new(store.clone(), WriterOptions::default());
        w.add(ev(86_400_000_000_000 * 20_000, "a"), 0).unwrap();
        w.commit().unwrap();
        assert!(store.buckets_of("main")[0].is_hot());
        w.close_all().unwrap();
        assert!(!store.buckets_of("main")[0].is_hot());
    }

    #[test]
    fn scattered_days_spill_instead_of_opening_a_writer_each() {
        let dir = tempfile::tempdir().unwrap();
        let day = 86_400_000_000_000i64;
        let opts = WriterOptions {
            max_hot: 2,
            ..WriterOptions::default()
        };
        let (store, mut w) = small_writer(dir.path(), opts);
        for i in 0..500 {
            w.add(ev(day * (20_000 + (i * 7919) % 300), "scattered"), 0)
                .unwrap();
        }
        w.close_all().unwrap();
        let buckets = store.buckets_of("main");
        assert_eq!(buckets.len(), 3, "two day buckets and one spill bucket");
        assert_eq!(buckets.iter().filter(|b| b.key.seq >= SPILL_SEQ).count(), 1);
        assert_eq!(store.event_count("main"), 500);
        // Pruning still works on the spill bucket's real range.
        let spill = buckets.iter().find(|b| b.key.seq >= SPILL_SEQ).unwrap();
        let (lo, hi) = spill.time_range().unwrap();
        assert!(hi - lo > day * 100);
    }

    #[test]
    fn a_bucket_left_idle_is_closed_and_its_events_searchable() {
        let dir = tempfile::tempdir().unwrap();
        let day = 86_400_000_000_000i64;
        let opts = WriterOptions {
            idle_events: 40,
            ..WriterOptions::default()
        };
        let (store, mut w) = small_writer(dir.path(), opts);
        for i in 0..10 {
            w.add(ev(day * 20_000 + i, "yesterday"), 0).unwrap();
        }
        for i in 0..60 {
            w.add(ev(day * 20_001 + i, "today"), 0).unwrap();
        }
        // Nothing was committed by hand: closing the idle bucket did it.
        let yesterday = store.buckets_for(&["main".into()], None, Some(day * 20_001));
        assert_eq!(yesterday.len(), 1);
        assert_eq!(yesterday[0].summary().count, 10);
        assert_eq!(yesterday[0].reader.searcher().num_docs(), 10);
        assert!(w.hot.keys().all(|s| *s != Slot::Day("main".into(), 20_000)));
        assert!(w.is_dirty(), "today's bucket is still open");
    }

    /// Every document of `bucket`, in store order, through tantivy's own reader.
    fn stored_documents(bucket: &bucket::Bucket) -> Vec<tantivy::TantivyDocument> {
        let searcher = bucket.reader.searcher();
        let mut docs = Vec::new();
        for (ord, seg) in searcher.segment_readers().iter().enumerate() {
            for doc in 0..seg.max_doc() {
                docs.push(
                    searcher
                        .doc(tantivy::DocAddress::new(ord as u32, doc))
                        .unwrap(),
                );
            }
        }
        docs
    }

    /// Ingest's repairs are a keyword of their own, not a key of `_fields`: a line without a
    /// timestamp is stored with no JSON object at all, and `ingest_warning` is still searched
    /// and shown as before, together with a field of that name a shipper sent itself.
    #[test]
    fn ingest_warnings_are_their_own_field_and_answer_as_ingest_warning() {
        use crate::search::{run, SearchRequest, SearchScope};
        use tantivy::schema::Value as _;
        let dir = tempfile::tempdir().unwrap();
        let (store, mut w) = small_writer(dir.path(), WriterOptions::default());
        let t = 86_400_000_000_000i64 * 20_000;
        let mut no_time = ev(t, "no time here");
        no_time.flags.time_from_receipt = true;
        let mut cut = ev(t + 1, "cut short");
        cut.flags.time_from_receipt = true;
        cut.flags.truncated = true;
        let mut sent = ev(t + 2, "sent by a shipper");
        sent.fields.push((
            "ingest_warning".into(),
            loupe_event::Value::Str("client_said".into()),
        ));
        let mut both = ev(t + 4, "both kinds");
        both.fields.push((
            "ingest_warning".into(),
            loupe_event::Value::Str("client_said".into()),
        ));
        both.flags.lossy_utf8 = true;
        for e in [no_time, cut, sent, ev(t + 3, "clean"), both] {
            w.add(e, 0).unwrap();
        }
        w.close_all().unwrap();

        let bucket = &store.buckets_of("main")[0];
        let warning = bucket.fields.warning.expect("a new bucket has _warning");
        let mut stored = Vec::new();
        for d in stored_documents(bucket) {
            let raw = d.get_first(bucket.fields.raw).unwrap().as_str().unwrap();
            let warnings: Vec<String> = d
                .get_all(warning)
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect();
            let has_json = d.get_first(bucket.fields.fields).is_some();
            stored.push((raw.to_string(), warnings, has_json));
        }
        stored.sort();
        let owned = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            stored,
            vec![
                ("both kinds".to_string(), owned(&["invalid_utf8"]), true),
                ("clean".to_string(), vec![], false),
                (
                    "cut short".into(),
                    owned(&["timestamp_unparsed", "truncated"]),
                    false
                ),
                ("no time here".into(), owned(&["timestamp_unparsed"]), false),
                ("sent by a shipper".into(), vec![], true),
            ]
        );

        let count = |q: &str| {
            let req = SearchRequest {
                query: format!("index=main earliest=0 {q} | stats count"),
                ..SearchRequest::default()
            };
            let resp = run(&store, &SearchScope::default(), &req).unwrap();
            resp.rows[0]["count"].as_i64().unwrap()
        };
        assert_eq!(count("ingest_warning=timestamp_unparsed"), 2);
        assert_eq!(count("ingest_warning=TRUNCATED"), 1);
        assert_eq!(count("ingest_warning=trunc*"), 1);
        assert_eq!(count("ingest_warning=client_said"), 2);
        assert_eq!(count("ingest_warning=invalid_utf8"), 1);
        assert_eq!(count("ingest_warning=*"), 4);
        assert_eq!(count("NOT ingest_warning=*"), 1);
        assert_eq!(
            count("cut ingest_warning=timestamp_unparsed ingest_warning=truncated"),
            1
        );

        let req = SearchRequest {
            query: "index=main earliest=0 ingest_warning=* | sort _raw | table _raw ingest_warning"
                .into(),
            ..SearchRequest::default()
        };
        let rows = run(&store, &SearchScope::default(), &req).unwrap().rows;
        let shown: Vec<serde_json::Value> = rows
            .iter()
            .map(|r| r.get("ingest_warning").cloned().unwrap_or_default())
            .collect();
        assert_eq!(
            shown,
            vec![
                serde_json::json!(["client_said", "invalid_utf8"]),
                serde_json::json!(["timestamp_unparsed", "truncated"]),
                serde_json::json!("timestamp_unparsed"),
                serde_json::json!("client_said"),
            ]
        );
    }

    /// The `_raw` of every stored document, in store order, after `add` wrote events of one
    /// day (`t`) through a writer with one indexing thread (so store order is hand-over order).
    fn stored_raws_of(add: impl FnOnce(&mut StoreWriter, i64)) -> Vec<String> {
        use tantivy::schema::Value;
        let dir = tempfile::tempdir().unwrap();
        let opts = WriterOptions {
            threads_per_bucket: 1,
            ..WriterOptions::default()
        };
        let (store, mut w) = small_writer(dir.path(), opts);
        add(&mut w, 86_400_000_000_000i64 * 20_000);
        w.close_all().unwrap();
        let bucket = &store.buckets_of("main")[0];
        stored_documents(bucket)
            .iter()
            .map(|d| {
                let raw = d.get_first(bucket.fields.raw).unwrap().as_str().unwrap();
                raw.to_string()
            })
            .collect()
    }

    #[test]
    fn interleaved_streams_are_stored_side_by_side_each_in_its_order() {
        let raws = stored_raws_of(|w, t| {
            for i in 0..300 {
                for src in ["a", "b", "c"] {
                    let mut e = ev(t, &format!("{src} {i:03}"));
                    e.source = src.into();
                    w.add(e, 0).unwrap();
                }
            }
        });
        assert_eq!(raws.len(), 900);
        // Three runs, one per source, each in arrival order.
        let runs: Vec<&[String]> = raws.chunk_by(|a, b| a[..1] == b[..1]).collect();
        assert_eq!(runs.len(), 3, "{:?}", &raws[..10]);
        for run in runs {
            let expected: Vec<String> = (0..300)
                .map(|i| format!("{} {i:03}", &run[0][..1]))
                .collect();
            assert_eq!(run, expected.as_slice());
        }
    }

    /// One file holding the lines of three programs (a syslog aggregate): within a window
    /// the lines of each lie together, in arrival order, whatever numbers each line holds.
    #[test]
    fn lines_of_one_source_are_grouped_by_their_shape() {
        let programs = [
            |i: usize| {
                format!(
                    "2026-03-02 10:{:02}:{:02} sshd[{}]: Failed password",
                    i / 60,
                    i % 60,
                    100 + i
                )
            },
            |i: usize| {
                format!(
                    "Mar  2 10:{:02}:{:02} cron[{}]: job {i} started",
                    i / 60,
                    i % 60,
                    7 * i
                )
            },
            |i: usize| format!("[{:>6}.{:03}] kernel: eth0 link up", i * 3, i % 1000),
        ];
        let raws = stored_raws_of(|w, t| {
            for i in 0..300 {
                for line in &programs {
                    w.add(ev(t + i as i64, &line(i)), 0).unwrap();
                }
            }
        });
        assert_eq!(raws.len(), 900);
        let program = |raw: &str| programs.iter().position(|p| p(0)[..4] == raw[..4]);
        let runs: Vec<&[String]> = raws.chunk_by(|a, b| program(a) == program(b)).collect();
        assert_eq!(runs.len(), 3, "{:?}", &raws[..6]);
        for run in runs {
            let line = programs[program(&run[0]).unwrap()];
            let expected: Vec<String> = (0..300).map(line).collect();
            assert_eq!(run, expected.as_slice());
        }
    }

    #[test]
    fn a_bucket_of_another_vocabulary_is_refused_not_misread() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = Arc::new(Store::open(dir.path()).unwrap());
            let mut w = StoreWriter::new(store, WriterOptions::default());
            w.add(ev(86_400_000_000_000 * 20_000, "port 2222"), 0)
                .unwrap();
            w.close_all().unwrap();
        }
        let key = BucketKey {
            index: "main".into(),
            day: 20_000,
            seq: 0,
        };
        let bucket = dir.path().join("indexes/main").join(key.dir_name());
        let meta = std::fs::read_to_string(bucket.join("meta.json")).unwrap();
        let current = format!("\\\"vocabulary\\\":{}", vocabulary::VERSION);
        assert!(meta.contains(&current), "{meta}");
        std::fs::write(
            bucket.join("meta.json"),
            meta.replace(&current, "\\\"vocabulary\\\":1"),
        )
        .unwrap();
        let err = Store::open(dir.path()).unwrap_err();
        assert!(
            matches!(err, StoreError::OldVocabulary { found: 1, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("import its events again"), "{err}");
    }

    #[test]
    fn a_second_writer_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let _a = Store::open(dir.path()).unwrap();
        assert!(matches!(
            Store::open(dir.path()),
            Err(StoreError::Locked(_))
        ));
    }
}
