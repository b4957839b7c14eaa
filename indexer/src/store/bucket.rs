//! A bucket: one tantivy index holding one index's events of one day, plus its summary.
//!
//! The summary (time range, counts by host/source/sourcetype, per-minute histogram,
//! the last write-ahead-log record included) is stored as the tantivy commit payload,
//! so it is exactly as durable and as current as the documents it describes.

use super::directory::BucketDirectory;
use super::schema::{self, Fields};
use super::StoreError;
use loupe_event::{Event, Value};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use tantivy::schema::OwnedValue;
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument};

/// What a bucket holds, kept beside its documents so planning never opens them.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct BucketSummary {
    pub min_time: i64,
    pub max_time: i64,
    pub count: u64,
    /// Bytes of `_raw` received, for raw/indexed size ratios.
    pub raw_bytes: u64,
    /// Highest write-ahead-log record whose events are all in this commit (0: not from the log).
    pub wal_lsn: u64,
    pub hosts: BTreeMap<String, u64>,
    pub sources: BTreeMap<String, u64>,
    pub sourcetypes: BTreeMap<String, u64>,
    /// Event counts per minute (epoch minute -> count): the timeline and `timechart count` read this.
    pub minutes: BTreeMap<i64, u64>,
    /// [`super::vocabulary::VERSION`] of the terms in this bucket (0: written before versions).
    #[serde(default)]
    pub vocabulary: u32,
    /// When each host, source and sourcetype was seen (`metadata` answers from these); empty
    /// in buckets written before they were kept, where the bucket's own range stands in.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub host_times: BTreeMap<String, SeenTimes>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub source_times: BTreeMap<String, SeenTimes>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub sourcetype_times: BTreeMap<String, SeenTimes>,
    /// Every (host, source, sourcetype) combination with its count and time range, as
    /// VictoriaLogs keeps its streams: `stats count by host, sourcetype`, `dc(host)` and
    /// `tstats` over a whole bucket read these instead of a column per document. `None` in
    /// buckets written before they were kept, or past [`MAX_STREAMS`] combinations (then
    /// the fast columns answer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub streams: Option<Vec<Stream>>,
}

/// Combinations kept per bucket at most: past this the summary (rewritten at every commit)
/// would grow faster than what it saves, and searches read the fast columns instead.
pub const MAX_STREAMS: usize = 10_000;

/// One (host, source, sourcetype) combination of a bucket.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Stream {
    pub host: String,
    pub source: String,
    pub sourcetype: String,
    pub count: u64,
    /// Oldest and newest event time, nanoseconds.
    pub first: i64,
    pub last: i64,
}

/// The time range of the events holding one value, and when the last of them was indexed.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq)]
pub struct SeenTimes {
    /// Oldest event time, nanoseconds.
    pub first: i64,
    /// Newest event time, nanoseconds.
    pub last: i64,
    /// Latest index time, epoch seconds (Splunk's `recentTime`).
    pub recent: i64,
}

impl SeenTimes {
    fn of(time_ns: i64, indexed_s: i64) -> SeenTimes {
        SeenTimes {
            first: time_ns,
            last: time_ns,
            recent: indexed_s,
        }
    }

    /// Both ranges together.
    pub fn widen(&mut self, other: &SeenTimes) {
        self.first = self.first.min(other.first);
        self.last = self.last.max(other.last);
        self.recent = self.recent.max(other.recent);
    }
}

impl BucketSummary {
    /// Counts an event's scalars; its per-value counts go to a [`Tally`] first.
    fn add_scalars(&mut self, ev: &Event) {
        if self.count == 0 {
            self.vocabulary = super::vocabulary::VERSION;
            // Kept from the first event on; a bucket that had events before streams existed
            // never gets them (they would miss its older events).
            self.streams = Some(Vec::new());
            self.min_time = ev.time_ns;
            self.max_time = ev.time_ns;
        } else {
            self.min_time = self.min_time.min(ev.time_ns);
            self.max_time = self.max_time.max(ev.time_ns);
        }
        self.count += 1;
        self.raw_bytes += ev.raw.len() as u64;
    }
}

/// Per-value counts of the events added since the last commit, folded into the summary when it
/// is committed: hash lookups per event, where the summary's sorted maps took ten string
/// comparisons each among a few hundred hosts, on the thread every event goes through. Kept
/// per stream (host, then source, then sourcetype); the per-field counts are made from the
/// streams at the fold.
#[derive(Debug, Default)]
struct Tally {
    streams: foldhash::HashMap<String, foldhash::HashMap<String, foldhash::HashMap<String, Seen>>>,
    minutes: foldhash::HashMap<i64, u64>,
}

/// A count and when its events were seen.
type Seen = (u64, SeenTimes);

impl Tally {
    fn add(&mut self, ev: &Event, indexed_s: i64) {
        self.add_parts(
            ev.time_ns,
            [&ev.host, &ev.source, &ev.sourcetype],
            indexed_s,
        );
    }

    /// Counts one event by its time and its host, source and sourcetype.
    fn add_parts(&mut self, time_ns: i64, [host, source, sourcetype]: [&str; 3], indexed_s: i64) {
        let seen = SeenTimes::of(time_ns, indexed_s);
        let sources = entry(&mut self.streams, host);
        let sourcetypes = entry(sources, source);
        match sourcetypes.get_mut(sourcetype) {
            Some((n, times)) => {
                *n += 1;
                times.widen(&seen);
            }
            None => {
                sourcetypes.insert(sourcetype.to_string(), (1, seen));
            }
        }
        *self
            .minutes
            .entry(time_ns.div_euclid(60_000_000_000))
            .or_insert(0) += 1;
    }

    /// Adds the counts to `summary` and starts over.
    fn fold_into(&mut self, summary: &mut BucketSummary) {
        let mut streams: Option<BTreeMap<(String, String, String), Stream>> =
            summary.streams.take().map(|v| {
                v.into_iter()
                    .map(|s| ((s.host.clone(), s.source.clone(), s.sourcetype.clone()), s))
                    .collect()
            });
        for (host, sources) in self.streams.drain() {
            for (source, sourcetypes) in sources {
                for (sourcetype, (n, seen)) in sourcetypes {
                    for (key, counts, times) in [
                        (&host, &mut summary.hosts, &mut summary.host_times),
                        (&source, &mut summary.sources, &mut summary.source_times),
                        (
                            &sourcetype,
                            &mut summary.sourcetypes,
                            &mut summary.sourcetype_times,
                        ),
                    ] {
                        if let Some(c) = counts.get_mut(key.as_str()) {
                            *c += n;
                        } else {
                            counts.insert(key.clone(), n);
                        }
                        match times.get_mut(key.as_str()) {
                            Some(t) => t.widen(&seen),
                            None => {
                                times.insert(key.clone(), seen);
                            }
                        }
                    }
                    if let Some(map) = streams.as_mut() {
                        let s = map
                            .entry((host.clone(), source.clone(), sourcetype))
                            .or_insert_with_key(|(h, so, st)| Stream {
                                host: h.clone(),
                                source: so.clone(),
                                sourcetype: st.clone(),
                                count: 0,
                                first: seen.first,
                                last: seen.last,
                            });
                        s.count += n;
                        s.first = s.first.min(seen.first);
                        s.last = s.last.max(seen.last);
                        if map.len() > MAX_STREAMS {
                            streams = None;
                        }
                    }
                }
            }
        }
        summary.streams = streams.map(|m| m.into_values().collect());
        for (minute, n) in self.minutes.drain() {
            *summary.minutes.entry(minute).or_insert(0) += n;
        }
    }
}

/// The value under `key`, made empty when missing (the key copied only then).
fn entry<'a, V: Default>(map: &'a mut foldhash::HashMap<String, V>, key: &str) -> &'a mut V {
    if !map.contains_key(key) {
        map.insert(key.to_string(), V::default());
    }
    map.get_mut(key).expect("inserted above")
}

/// Identity of a bucket: which index, which day, which roll within the day.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BucketKey {
    pub index: String,
    /// Days since the epoch (UTC) of the events it holds.
    pub day: i64,
    pub seq: u32,
}

impl BucketKey {
    /// Directory name, sortable and readable: `db_20260302_0`.
    pub fn dir_name(&self) -> String {
        let date = jiff::Timestamp::from_second(self.day * 86_400)
            .map(|t| t.to_zoned_datetime(jiff::tz::TimeZone::UTC).date())
            .map(|d| format!("{:04}{:02}{:02}", d.year(), d.month(), d.day()))
            .unwrap_or_else(|_| format!("d{}", self.day));
        format!("db_{date}_{}", self.seq)
    }

    /// Reads a directory name back; `None` for anything that is not a bucket.
    pub fn parse(index: &str, dir_name: &str) -> Option<BucketKey> {
        let rest = dir_name.strip_prefix("db_")?;
        let (date, seq) = rest.split_once('_')?;
        let seq: u32 = seq.parse().ok()?;
        if date.len() != 8 {
            return None;
        }
        let y: i16 = date[0..4].parse().ok()?;
        let m: i8 = date[4..6].parse().ok()?;
        let d: i8 = date[6..8].parse().ok()?;
        let civil = jiff::civil::Date::new(y, m, d).ok()?;
        let ts = civil
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .ok()?
            .timestamp();
        Some(BucketKey {
            index: index.to_string(),
            day: ts.as_second().div_euclid(86_400),
            seq,
        })
    }

    /// The day a timestamp falls in.
    pub fn day_of(time_ns: i64) -> i64 {
        time_ns.div_euclid(86_400 * 1_000_000_000)
    }
}

/// Doc-store block size: 512 KiB compresses log text about 10% better than 256 KiB, and still
/// decompresses in well under a millisecond when `head` reads one event.
const DOC_STORE_BLOCK: usize = 512 * 1024;

/// Decompressed doc-store blocks cached per segment by the shared searcher, for the few
/// lookups that go through it (the newest events of a search); row readers keep their own.
const DOC_STORE_CACHE_BLOCKS: usize = 2;

/// A bucket open for reading; shared by searches, refreshed after each commit.
pub struct Bucket {
    pub key: BucketKey,
    pub dir: PathBuf,
    pub index: Index,
    pub reader: IndexReader,
    pub fields: Fields,
    summary: parking_lot::RwLock<BucketSummary>,
    /// A writer has it open (`dbinspect` says `hot`; closed buckets are `warm`).
    hot: std::sync::atomic::AtomicBool,
}

impl std::fmt::Debug for Bucket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bucket")
            .field("key", &self.key)
            .field("dir", &self.dir)
            .finish()
    }
}

impl Bucket {
    /// Opens an existing bucket directory, or creates it with the shared schema.
    pub fn open_or_create(key: BucketKey, dir: &Path) -> Result<Bucket, StoreError> {
        let (schema, mut fields) = schema::build();
        let index = if dir.join("meta.json").exists() {
            Index::open(BucketDirectory::open(dir)?)?
        } else {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::io(dir, e))?;
            let settings = tantivy::IndexSettings {
                // zstd level 1: on blocks of stream-sorted log lines it compresses a little
                // better than level 3 (83 against 84 MB on the benchmark corpus) and faster.
                docstore_compression: tantivy::store::Compressor::Zstd(
                    tantivy::store::ZstdCompressor {
                        compression_level: Some(1),
                    },
                ),
                docstore_blocksize: DOC_STORE_BLOCK,
                ..Default::default()
            };
            Index::builder()
                .schema(schema)
                .settings(settings)
                .open_or_create(BucketDirectory::open(dir)?)?
        };
        schema::register_tokenizers(&index);
        // A bucket written before `_indextime` existed keeps its schema; its events have none.
        fields.indextime = index.schema().get_field("_indextime").ok();
        fields.warning = index.schema().get_field("_warning").ok();
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            // Decompressed doc-store blocks kept per segment as long as the segment lives:
            // tantivy's default (100 × 256 KiB per segment) would keep most of the raw text
            // of a large store in memory.
            .doc_store_cache_num_blocks(DOC_STORE_CACHE_BLOCKS)
            .try_into()?;
        let summary = read_summary(&index)?;
        if summary.count > 0 && summary.vocabulary != super::vocabulary::VERSION {
            return Err(StoreError::OldVocabulary {
                path: dir.to_path_buf(),
                found: summary.vocabulary,
            });
        }
        Ok(Bucket {
            key,
            dir: dir.to_path_buf(),
            index,
            reader,
            fields,
            summary: parking_lot::RwLock::new(summary),
            hot: std::sync::atomic::AtomicBool::new(false),
        })
    }

    /// True while a writer of this process has the bucket open: it may still grow.
    pub fn is_hot(&self) -> bool {
        self.hot.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The committed summary (what searches may rely on).
    pub fn summary(&self) -> BucketSummary {
        self.summary.read().clone()
    }

    /// Time range of committed events, for pruning.
    pub fn time_range(&self) -> Option<(i64, i64)> {
        let s = self.summary.read();
        (s.count > 0).then_some((s.min_time, s.max_time))
    }

    /// Makes a fresh commit visible to searches.
    pub(crate) fn refresh(&self, summary: BucketSummary) -> Result<(), StoreError> {
        self.reader.reload()?;
        *self.summary.write() = summary;
        Ok(())
    }

    /// The summary of this bucket's events in `searcher` but those of `erased`, counted again
    /// from the fast columns (time, host, source, sourcetype, index time), so counts, time
    /// ranges and the per-minute histogram hold only what remains; `_raw` bytes are not in a
    /// column, so the caller says how many went (`erased_raw`).
    pub(crate) fn summary_without(
        &self,
        searcher: &tantivy::Searcher,
        erased: &std::collections::HashSet<tantivy::DocAddress>,
        erased_raw: u64,
    ) -> Result<BucketSummary, StoreError> {
        let old = self.summary();
        let mut summary = BucketSummary {
            raw_bytes: old.raw_bytes.saturating_sub(erased_raw),
            wal_lsn: old.wal_lsn,
            vocabulary: old.vocabulary,
            // Every remaining event is counted again, so the streams are whole again too.
            streams: Some(Vec::new()),
            ..BucketSummary::default()
        };
        let mut tally = Tally::default();
        for (ord, seg) in searcher.segment_readers().iter().enumerate() {
            let fast = seg.fast_fields();
            let time = fast.i64("_time")?;
            // Absent in buckets written before `_indextime` existed.
            let indextime = fast.i64("_indextime").ok();
            let columns = [
                fast.str("host")?,
                fast.str("source")?,
                fast.str("sourcetype")?,
            ];
            let mut names: [foldhash::HashMap<u64, String>; 3] = Default::default();
            for doc in 0..seg.max_doc() {
                if seg.is_deleted(doc)
                    || erased.contains(&tantivy::DocAddress::new(ord as u32, doc))
                {
                    continue;
                }
                let t = time.first(doc).unwrap_or(0);
                let mut parts: [String; 3] = Default::default();
                for (i, col) in columns.iter().enumerate() {
                    let Some(col) = col else { continue };
                    let Some(term) = col.term_ords(doc).next() else {
                        continue;
                    };
                    let name = names[i].entry(term).or_insert_with(|| {
                        let mut s = String::new();
                        let _ = col.ord_to_str(term, &mut s);
                        s
                    });
                    parts[i] = name.clone();
                }
                let indexed = indextime.as_ref().and_then(|c| c.first(doc)).unwrap_or(0);
                if summary.count == 0 {
                    summary.min_time = t;
                    summary.max_time = t;
                } else {
                    summary.min_time = summary.min_time.min(t);
                    summary.max_time = summary.max_time.max(t);
                }
                summary.count += 1;
                tally.add_parts(t, [&parts[0], &parts[1], &parts[2]], indexed);
            }
        }
        tally.fold_into(&mut summary);
        Ok(summary)
    }

    /// Bytes on disk, for size-based retention and the size ratio in benchmarks.
    pub fn disk_bytes(&self) -> u64 {
        dir_size(&self.dir)
    }
}

/// Total size of a directory tree (best effort: unreadable entries count as 0).
pub fn dir_size(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => dir_size(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

fn read_summary(index: &Index) -> Result<BucketSummary, StoreError> {
    let metas = index.load_metas()?;
    match metas.payload {
        Some(p) if !p.is_empty() => serde_json::from_str(&p)
            .map_err(|e| StoreError::Corrupt(format!("bucket summary is not valid JSON: {e}"))),
        _ => Ok(BucketSummary::default()),
    }
}

/// Documents handed to tantivy per message (one wake-up of its indexing threads each). Its
/// channel holds [`TANTIVY_CHANNEL_MESSAGES`], so this bounds how far ahead of indexing the caller runs:
/// at 8, 80,000 documents, just over one [`STREAM_WINDOW_DOCS`] window. That is what keeps the
/// indexing threads busy while the next window fills; more is memory only (at 16 the channel
/// held 160,000 documents under HEC ingest, some 30 MiB of the server's peak).
const BATCH_DOCS: usize = 8;

/// Messages tantivy's document channel holds (its `PIPELINE_MAX_SIZE_IN_DOCS`).
const TANTIVY_CHANNEL_MESSAGES: usize = 10_000;

// The channel must take a whole window, or the indexing threads wait while the next one fills.
const _: () = assert!(BATCH_DOCS * TANTIVY_CHANNEL_MESSAGES >= STREAM_WINDOW_DOCS);

/// Documents gathered at most before they are put in stream order and handed to tantivy.
///
/// Events arrive interleaved (many hosts and sourcetypes in one HEC batch). Grouped by stream
/// inside a window, neighbouring documents share their words: doc-id gaps in the postings
/// shrink, doc-store blocks hold similar lines (which zstd compresses better), and the
/// indexing threads find the terms they update still in cache. The window bounds the memory
/// this costs. A new writer's window starts at [`FIRST_WINDOW_DOCS`] and grows fourfold with each
/// hand-over, so its indexing threads are not left waiting for a whole window at the start.
/// 64 Ki documents: windows of 128 Ki made the index 2.5 % smaller (153 against 157 MB on the
/// benchmark corpus) for twice the memory, with the channel behind them as large again.
const STREAM_WINDOW_DOCS: usize = 64 * 1024;

/// The first window of a writer (see [`STREAM_WINDOW_DOCS`]).
const FIRST_WINDOW_DOCS: usize = 16 * 1024;

/// Raw bytes gathered at most before the window is handed over (huge events, small windows).
const STREAM_WINDOW_BYTES: usize = 64 << 20;

/// Which stream an event belongs to: sourcetype first (lines of one kind together, whatever
/// their host), then source, then the line's shape ([`line_shape`]). Within a stream events
/// keep their order, so `_time` mostly rises and its fast column stays small.
fn stream_key(ev: &Event) -> (u64, u64, u64) {
    use std::hash::BuildHasher;
    let h = foldhash::fast::FixedState::with_seed(0x10be);
    let (shape, n) = line_shape(ev.raw.as_bytes());
    (
        h.hash_one(ev.sourcetype.as_str()),
        h.hash_one(ev.source.as_str()),
        h.hash_one(&shape[..n]),
    )
}

/// Bytes of a line's opening that decide its shape.
const SHAPE_BYTES: usize = 96;

/// The shape of a line's opening (the bytes and their count): its first [`SHAPE_BYTES`] bytes with each run of digits
/// taken as one `0` and each run of spaces and tabs as one space. One file often holds the
/// lines of several programs (a syslog aggregate, a host's `messages`, a mixed export), and
/// each program opens its lines its own way: grouped by shape within a window, the lines of one
/// program lie together as if they had a sourcetype of their own, so the words the indexing
/// threads update stay in cache and the doc store's blocks compress better (the benchmark's
/// plain corpus, 16 programs line by line: index 16 % smaller, import 5–8 % less CPU), while
/// the numbers of a timestamp, a pid or a counter, and the padding before them, do not split a
/// group.
fn line_shape(raw: &[u8]) -> ([u8; SHAPE_BYTES], usize) {
    let (mut shape, mut n) = ([0u8; SHAPE_BYTES], 0);
    for &b in raw.iter().take(SHAPE_BYTES) {
        let b = match b {
            b'0'..=b'9' => b'0',
            b'\t' => b' ',
            b => b,
        };
        if matches!(b, b'0' | b' ') && n > 0 && shape[n - 1] == b {
            continue;
        }
        shape[n] = b;
        n += 1;
    }
    (shape, n)
}

/// The write side of a bucket: its tantivy writer and the summary of what was added since open.
pub struct BucketWriter {
    pub bucket: std::sync::Arc<Bucket>,
    writer: IndexWriter,
    /// Documents not yet handed to tantivy, with their stream key: sorted by stream, then
    /// sent in batches, one channel message each.
    window: Vec<((u64, u64, u64), TantivyDocument)>,
    window_bytes: usize,
    /// Documents that make the current window full (grows up to [`STREAM_WINDOW_DOCS`]).
    window_docs: usize,
    pending: BucketSummary,
    /// Per-value counts not yet folded into `pending`.
    tally: Tally,
    dirty: bool,
    /// Monotonic use counter for least-recently-used eviction.
    pub last_used: u64,
    /// Marks the bucket hot for as long as this writer lives, however it ends.
    _hot: HotMark,
}

/// Clears a bucket's hot flag when its writer goes (closed, evicted or abandoned).
struct HotMark(std::sync::Arc<Bucket>);

impl HotMark {
    fn new(bucket: std::sync::Arc<Bucket>) -> HotMark {
        bucket.hot.store(true, std::sync::atomic::Ordering::Relaxed);
        HotMark(bucket)
    }
}

impl Drop for HotMark {
    fn drop(&mut self) {
        self.0
            .hot
            .store(false, std::sync::atomic::Ordering::Relaxed);
    }
}

impl BucketWriter {
    /// Opens a writer with its own memory budget and indexing threads.
    pub fn open(
        bucket: std::sync::Arc<Bucket>,
        threads: usize,
        budget_bytes: usize,
    ) -> Result<Self, StoreError> {
        let writer = bucket.index.writer_with_num_threads(
            threads.max(1),
            budget_bytes.max(15_000_000 * threads.max(1)),
        )?;
        let pending = bucket.summary();
        Ok(BucketWriter {
            _hot: HotMark::new(bucket.clone()),
            bucket,
            writer,
            window: Vec::new(),
            window_bytes: 0,
            window_docs: FIRST_WINDOW_DOCS,
            pending,
            tally: Tally::default(),
            dirty: false,
            last_used: 0,
        })
    }

    /// Events in this bucket so far, committed or not (decides when to roll to a new bucket).
    pub fn count(&self) -> u64 {
        self.pending.count
    }

    /// Highest log record already committed into this bucket; replay skips anything at or below it.
    pub fn committed_lsn(&self) -> u64 {
        self.bucket.summary.read().wal_lsn
    }

    /// Adds one event (taken by value: its strings move into the document); searchable at the next commit.
    pub fn add(&mut self, ev: Event, lsn: u64) -> Result<(), StoreError> {
        // When it became part of the index (a replay after a crash stamps the replay).
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        self.pending.add_scalars(&ev);
        self.tally.add(&ev, now);
        self.pending.wal_lsn = self.pending.wal_lsn.max(lsn);
        self.dirty = true;
        let f = &self.bucket.fields;
        let key = stream_key(&ev);
        // One allocation for the document's values (it copies every string it is given).
        let mut doc = TantivyDocument::with_capacity(
            ev.raw.len() + ev.host.len() + ev.source.len() + ev.sourcetype.len() + 64,
        );
        doc.add_i64(f.time, ev.time_ns);
        if let Some(indextime) = f.indextime {
            doc.add_i64(indextime, now);
        }
        doc.add_text(f.host, &ev.host);
        doc.add_text(f.source, &ev.source);
        doc.add_text(f.sourcetype, &ev.sourcetype);
        let mut warnings = warnings(&ev);
        if let Some(field) = f.warning {
            for w in warnings.drain(..) {
                doc.add_text(field, w);
            }
        }
        if !ev.fields.is_empty() || !warnings.is_empty() {
            let mut obj: BTreeMap<String, OwnedValue> = BTreeMap::new();
            for (k, v) in ev.fields {
                if let Some(ov) = owned_value(&v) {
                    obj.insert(k, ov);
                }
            }
            if !warnings.is_empty() {
                // A bucket made before `_warning` existed.
                obj.insert(
                    schema::WARNING_NAME.into(),
                    OwnedValue::Array(
                        warnings
                            .into_iter()
                            .map(|w| OwnedValue::Str(w.into()))
                            .collect(),
                    ),
                );
            }
            doc.add_object(f.fields, obj);
        }
        doc.add_text(f.raw, &ev.raw);
        self.window_bytes += ev.raw.len();
        self.window.push((key, doc));
        if self.window.len() >= self.window_docs || self.window_bytes >= STREAM_WINDOW_BYTES {
            self.send_window()?;
        }
        Ok(())
    }

    /// Hands the window to tantivy in stream order (a stable sort: a stream keeps its order).
    fn send_window(&mut self) -> Result<(), StoreError> {
        let mut window = std::mem::take(&mut self.window);
        self.window_bytes = 0;
        self.window_docs = (self.window_docs * 4).min(STREAM_WINDOW_DOCS);
        window.sort_by_key(|(key, _)| *key);
        let mut docs = window.into_iter().map(|(_, doc)| doc).peekable();
        while docs.peek().is_some() {
            let batch: Vec<_> = docs
                .by_ref()
                .take(BATCH_DOCS)
                .map(tantivy::indexer::UserOperation::Add)
                .collect();
            self.writer.run(batch)?;
        }
        Ok(())
    }

    /// Makes everything added durable and visible, with the summary as the commit payload.
    pub fn commit(&mut self) -> Result<(), StoreError> {
        if !self.dirty {
            return Ok(());
        }
        self.tally.fold_into(&mut self.pending);
        let payload = serde_json::to_string(&self.pending)
            .map_err(|e| StoreError::Corrupt(format!("cannot encode bucket summary: {e}")))?;
        self.send_window()?;
        let mut prepared = self.writer.prepare_commit()?;
        prepared.set_payload(&payload);
        prepared.commit()?;
        self.bucket.refresh(self.pending.clone())?;
        self.dirty = false;
        Ok(())
    }

    /// Commits and waits for merges, so the bucket is compact on disk.
    pub fn close(mut self) -> Result<(), StoreError> {
        self.commit()?;
        self.writer.wait_merging_threads()?;
        self.bucket.reader.reload()?;
        Ok(())
    }

    /// True when there are uncommitted events.
    pub fn is_dirty(&self) -> bool {
        self.dirty
    }
}

/// Names of the repairs made to an event, indexed as `ingest_warning` so they can be found.
fn warnings(ev: &Event) -> Vec<&'static str> {
    let mut w = Vec::new();
    if ev.flags.time_from_receipt {
        w.push("timestamp_unparsed");
    }
    if ev.flags.truncated {
        w.push("truncated");
    }
    if ev.flags.lossy_utf8 {
        w.push("invalid_utf8");
    }
    if ev.flags.not_syslog {
        w.push("not_syslog");
    }
    w
}

fn owned_value(v: &Value) -> Option<OwnedValue> {
    Some(match v {
        Value::Null => return None,
        Value::Bool(b) => OwnedValue::Bool(*b),
        Value::Int(i) => OwnedValue::I64(*i),
        Value::Float(f) if f.is_finite() => OwnedValue::F64(*f),
        Value::Float(f) => OwnedValue::Str(f.to_string()),
        Value::Str(s) => OwnedValue::Str(s.clone()),
        Value::Multi(items) => OwnedValue::Array(items.iter().filter_map(owned_value).collect()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_dir_names_round_trip() {
        let key = BucketKey {
            index: "main".into(),
            day: BucketKey::day_of(1_772_409_600_000_000_000),
            seq: 3,
        };
        assert_eq!(key.dir_name(), "db_20260302_3");
        assert_eq!(BucketKey::parse("main", "db_20260302_3"), Some(key));
        assert_eq!(BucketKey::parse("main", "lost+found"), None);
        assert_eq!(BucketKey::day_of(-1), -1);
    }
}
