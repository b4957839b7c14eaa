//! Write-ahead log: where an HEC batch becomes durable before it is acknowledged.
//!
//! Records are appended to numbered segment files and fsynced in groups (one fsync
//! for every batch that arrived meanwhile). Each record is
//! `[len u32][crc32 u32][lsn u64][payload]`; a torn tail after a crash fails its
//! checksum and is cut off. Once the store has committed everything up to a record,
//! `wal/checkpoint` says so and older segments are deleted.

use super::StoreError;
use loupe_event::{Event, EventFlags, Value};
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

const HEADER: usize = 16;
/// A segment is rotated past this size.
const SEGMENT_BYTES: u64 = 64 << 20;
/// A segment holding only committed records is replaced by an empty one past this size, so
/// an idle server keeps no more than this of log beside its index.
const COMMITTED_SEGMENT_BYTES: u64 = 1 << 20;
/// A record larger than this is corruption, not data (HEC bodies are bounded well below).
const MAX_RECORD: usize = 1 << 30;

/// The log: append, sync, replay, trim.
pub struct Wal {
    dir: PathBuf,
    /// First lsn of every segment, oldest first; the last is being written.
    segments: Vec<u64>,
    out: BufWriter<File>,
    out_bytes: u64,
    next_lsn: u64,
}

impl std::fmt::Debug for Wal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Wal")
            .field("dir", &self.dir)
            .field("next_lsn", &self.next_lsn)
            .finish()
    }
}

fn segment_path(dir: &Path, first_lsn: u64) -> PathBuf {
    dir.join(format!("{first_lsn:020}.wal"))
}

impl Wal {
    /// Opens the log, cutting any torn tail, and calls `replay` for each record after the checkpoint.
    pub fn open(
        dir: &Path,
        mut replay: impl FnMut(u64, &[u8]) -> Result<(), StoreError>,
    ) -> Result<Wal, StoreError> {
        std::fs::create_dir_all(dir).map_err(|e| StoreError::io(dir, e))?;
        let checkpoint = read_checkpoint(dir)?;
        let mut segments = list_segments(dir)?;
        let mut next_lsn = checkpoint + 1;
        for (i, &first) in segments.iter().enumerate() {
            let path = segment_path(dir, first);
            let data = std::fs::read(&path).map_err(|e| StoreError::io(&path, e))?;
            let mut pos = 0usize;
            while let Some((lsn, payload, len)) = read_record(&data[pos..]) {
                if lsn > checkpoint {
                    replay(lsn, payload)?;
                }
                next_lsn = next_lsn.max(lsn + 1);
                pos += len;
            }
            if pos < data.len() {
                // A torn write (crash, or a failed write after which the segment was abandoned):
                // nothing from there on was acknowledged, so the tail is cut.
                if i + 1 != segments.len() {
                    tracing::warn!(path = %path.display(), pos, "cutting damaged tail of an older log segment");
                }
                let f = OpenOptions::new()
                    .write(true)
                    .open(&path)
                    .map_err(|e| StoreError::io(&path, e))?;
                f.set_len(pos as u64)
                    .map_err(|e| StoreError::io(&path, e))?;
                f.sync_all().map_err(|e| StoreError::io(&path, e))?;
            }
        }
        // Always start a fresh segment: simpler than appending after a cut tail.
        let path = segment_path(dir, next_lsn);
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| StoreError::io(&path, e))?;
        sync_dir(dir)?;
        if segments.last() != Some(&next_lsn) {
            segments.push(next_lsn);
        }
        let out_bytes = file.metadata().map(|m| m.len()).unwrap_or(0);
        Ok(Wal {
            dir: dir.to_path_buf(),
            segments,
            out: BufWriter::with_capacity(1 << 20, file),
            out_bytes,
            next_lsn,
        })
    }

    /// Appends one record (buffered; durable only after [`Wal::sync`]) and returns its lsn.
    pub fn append(&mut self, payload: &[u8]) -> Result<u64, StoreError> {
        let lsn = self.next_lsn;
        let mut crc = crc32fast::Hasher::new();
        crc.update(&lsn.to_le_bytes());
        crc.update(payload);
        let mut header = [0u8; HEADER];
        header[0..4].copy_from_slice(&(payload.len() as u32).to_le_bytes());
        header[4..8].copy_from_slice(&crc.finalize().to_le_bytes());
        header[8..16].copy_from_slice(&lsn.to_le_bytes());
        let path = self.current_path();
        self.out
            .write_all(&header)
            .map_err(|e| StoreError::io(&path, e))?;
        self.out
            .write_all(payload)
            .map_err(|e| StoreError::io(&path, e))?;
        self.out_bytes += (HEADER + payload.len()) as u64;
        self.next_lsn += 1;
        Ok(lsn)
    }

    /// Makes every appended record durable (one fsync for the whole group).
    pub fn sync(&mut self) -> Result<(), StoreError> {
        let path = self.current_path();
        self.out.flush().map_err(|e| StoreError::io(&path, e))?;
        self.out
            .get_ref()
            .sync_data()
            .map_err(|e| StoreError::io(&path, e))?;
        if self.out_bytes >= SEGMENT_BYTES {
            self.rotate()?;
        }
        Ok(())
    }

    /// Abandons the current segment after a failed write: the unsynced records were never
    /// acknowledged, and their lsns are simply skipped (replay stops at the damaged tail).
    pub fn abandon_segment(&mut self) -> Result<(), StoreError> {
        let _ = self.out.flush();
        self.rotate()
    }

    fn rotate(&mut self) -> Result<(), StoreError> {
        let path = segment_path(&self.dir, self.next_lsn);
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| StoreError::io(&path, e))?;
        sync_dir(&self.dir)?;
        self.out = BufWriter::with_capacity(1 << 20, file);
        self.out_bytes = 0;
        self.segments.push(self.next_lsn);
        Ok(())
    }

    fn current_path(&self) -> PathBuf {
        segment_path(&self.dir, *self.segments.last().unwrap_or(&0))
    }

    /// The lsn the next record will get.
    pub fn next_lsn(&self) -> u64 {
        self.next_lsn
    }

    /// Records that everything up to `lsn` is committed in the store, and deletes segments wholly before it.
    pub fn checkpoint(&mut self, lsn: u64) -> Result<(), StoreError> {
        write_checkpoint(&self.dir, lsn)?;
        // Everything appended is committed: the segment being written can go too, once it is
        // worth a new file (the whole batch of an import otherwise stayed on disk, up to 64 MB).
        if lsn + 1 >= self.next_lsn && self.out_bytes >= COMMITTED_SEGMENT_BYTES {
            self.rotate()?;
        }
        // Segment i holds lsns [segments[i], segments[i+1]); it can go when segments[i+1] - 1 <= lsn.
        while self.segments.len() > 1 && self.segments[1] <= lsn + 1 {
            let first = self.segments.remove(0);
            let path = segment_path(&self.dir, first);
            std::fs::remove_file(&path).map_err(|e| StoreError::io(&path, e))?;
        }
        Ok(())
    }

    /// Removes every record up to `lsn` (committed) from the log's files, not only whole
    /// segments: after an erasure no copy of an erased event may stay in a segment kept for
    /// its uncommitted neighbours, or kept because it is small. A segment holding both is
    /// rewritten with the uncommitted records only (same name: replay reads every record of
    /// every segment, whatever its first lsn).
    pub fn purge(&mut self, lsn: u64) -> Result<(), StoreError> {
        write_checkpoint(&self.dir, lsn)?;
        if self.out_bytes > 0 {
            let path = self.current_path();
            self.out.flush().map_err(|e| StoreError::io(&path, e))?;
            self.rotate()?;
        }
        let current = self.segments.len() - 1;
        let mut kept = Vec::with_capacity(self.segments.len());
        for i in 0..current {
            let (first, end) = (self.segments[i], self.segments[i + 1]);
            let path = segment_path(&self.dir, first);
            if end <= lsn + 1 {
                std::fs::remove_file(&path).map_err(|e| StoreError::io(&path, e))?;
                continue;
            }
            if first <= lsn {
                let data = std::fs::read(&path).map_err(|e| StoreError::io(&path, e))?;
                let mut out = Vec::with_capacity(data.len());
                let mut pos = 0usize;
                while let Some((rec, _, len)) = read_record(&data[pos..]) {
                    if rec > lsn {
                        out.extend_from_slice(&data[pos..pos + len]);
                    }
                    pos += len;
                }
                let tmp = path.with_extension("tmp");
                std::fs::write(&tmp, &out).map_err(|e| StoreError::io(&tmp, e))?;
                File::open(&tmp)
                    .and_then(|f| f.sync_all())
                    .map_err(|e| StoreError::io(&tmp, e))?;
                std::fs::rename(&tmp, &path).map_err(|e| StoreError::io(&path, e))?;
            }
            kept.push(first);
        }
        kept.push(self.segments[current]);
        self.segments = kept;
        sync_dir(&self.dir)
    }

    /// Bytes of log not yet checkpointed (exported as a metric).
    pub fn disk_bytes(&self) -> u64 {
        self.segments
            .iter()
            .map(|s| {
                std::fs::metadata(segment_path(&self.dir, *s))
                    .map(|m| m.len())
                    .unwrap_or(0)
            })
            .sum()
    }
}

/// First lsns of the log's segments, oldest first.
fn list_segments(dir: &Path) -> Result<Vec<u64>, StoreError> {
    let mut segments: Vec<u64> = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| StoreError::io(dir, e))? {
        let entry = entry.map_err(|e| StoreError::io(dir, e))?;
        let name = entry.file_name().to_string_lossy().to_string();
        if let Some(n) = name
            .strip_suffix(".wal")
            .and_then(|n| n.parse::<u64>().ok())
        {
            segments.push(n);
        }
    }
    segments.sort_unstable();
    Ok(segments)
}

/// Reads again, without changing anything, the records `after < lsn <= up_to` of a log another
/// thread is appending to: what the indexer must add again when a commit failed. Those records
/// were synced before they were handed to the indexer, and the log is never trimmed past an
/// uncommitted one, so all of them are there; a record being written fails its checksum and ends
/// its segment.
pub fn read_range(
    dir: &Path,
    after: u64,
    up_to: u64,
    mut each: impl FnMut(u64, &[u8]) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    for first in list_segments(dir)? {
        if first > up_to {
            break;
        }
        let path = segment_path(dir, first);
        let data = match std::fs::read(&path) {
            Ok(data) => data,
            // Trimmed meanwhile: it held only committed records.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(StoreError::io(&path, e)),
        };
        let mut pos = 0usize;
        while let Some((lsn, payload, len)) = read_record(&data[pos..]) {
            if lsn > up_to {
                return Ok(());
            }
            if lsn > after {
                each(lsn, payload)?;
            }
            pos += len;
        }
    }
    Ok(())
}

/// Atomically records that the store holds every record up to `lsn` (used at shutdown too).
pub fn write_checkpoint(dir: &Path, lsn: u64) -> Result<(), StoreError> {
    let tmp = dir.join("checkpoint.tmp");
    let dst = dir.join("checkpoint");
    std::fs::write(&tmp, lsn.to_string()).map_err(|e| StoreError::io(&tmp, e))?;
    File::open(&tmp)
        .and_then(|f| f.sync_all())
        .map_err(|e| StoreError::io(&tmp, e))?;
    std::fs::rename(&tmp, &dst).map_err(|e| StoreError::io(&dst, e))?;
    sync_dir(dir)
}

fn read_checkpoint(dir: &Path) -> Result<u64, StoreError> {
    let path = dir.join("checkpoint");
    match std::fs::read_to_string(&path) {
        Ok(s) => s
            .trim()
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("{}: not a number", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
        Err(e) => Err(StoreError::io(&path, e)),
    }
}

fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    #[cfg(unix)]
    {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| StoreError::io(dir, e))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Parses one record at the start of `data`: (lsn, payload, total length), or None if absent or damaged.
fn read_record(data: &[u8]) -> Option<(u64, &[u8], usize)> {
    if data.len() < HEADER {
        return None;
    }
    let len = u32::from_le_bytes(data[0..4].try_into().ok()?) as usize;
    let crc = u32::from_le_bytes(data[4..8].try_into().ok()?);
    let lsn = u64::from_le_bytes(data[8..16].try_into().ok()?);
    if len > MAX_RECORD || data.len() < HEADER + len {
        return None;
    }
    let payload = &data[HEADER..HEADER + len];
    let mut h = crc32fast::Hasher::new();
    h.update(&lsn.to_le_bytes());
    h.update(payload);
    (h.finalize() == crc).then_some((lsn, payload, HEADER + len))
}

/// A batch as logged: the events plus the sender's identity for deduplication.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LoggedBatch {
    pub channel: Option<String>,
    pub sequence: Option<u64>,
    pub events: Vec<Event>,
}

/// Encodes a batch compactly (the log is written at ingest speed; JSON would double its cost).
pub fn encode_batch(batch: &LoggedBatch, out: &mut Vec<u8>) {
    out.push(1); // format version
    put_str(out, batch.channel.as_deref().unwrap_or(""));
    out.extend_from_slice(
        &batch
            .sequence
            .map(|s| s.wrapping_add(1))
            .unwrap_or(0)
            .to_le_bytes(),
    );
    out.extend_from_slice(&(batch.events.len() as u32).to_le_bytes());
    for ev in &batch.events {
        out.extend_from_slice(&ev.time_ns.to_le_bytes());
        let flags = u8::from(ev.flags.time_from_receipt)
            | u8::from(ev.flags.truncated) << 1
            | u8::from(ev.flags.lossy_utf8) << 2
            | u8::from(ev.flags.not_syslog) << 3;
        out.push(flags);
        put_str(out, &ev.index);
        put_str(out, &ev.host);
        put_str(out, &ev.source);
        put_str(out, &ev.sourcetype);
        put_str(out, &ev.raw);
        out.extend_from_slice(&(ev.fields.len() as u32).to_le_bytes());
        for (k, v) in &ev.fields {
            put_str(out, k);
            put_str(
                out,
                &serde_json::to_string(v).unwrap_or_else(|_| "null".into()),
            );
        }
    }
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u32).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], StoreError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.data.len());
        let end = end.ok_or_else(|| StoreError::Corrupt("truncated log record".into()))?;
        let s = &self.data[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn u32(&mut self) -> Result<u32, StoreError> {
        Ok(u32::from_le_bytes(
            self.take(4)?
                .try_into()
                .map_err(|_| StoreError::Corrupt("bad u32".into()))?,
        ))
    }
    fn u64(&mut self) -> Result<u64, StoreError> {
        Ok(u64::from_le_bytes(
            self.take(8)?
                .try_into()
                .map_err(|_| StoreError::Corrupt("bad u64".into()))?,
        ))
    }
    fn string(&mut self) -> Result<String, StoreError> {
        let n = self.u32()? as usize;
        let b = self.take(n)?;
        String::from_utf8(b.to_vec())
            .map_err(|_| StoreError::Corrupt("log record holds invalid UTF-8".into()))
    }
}

/// Decodes what [`encode_batch`] wrote.
pub fn decode_batch(data: &[u8]) -> Result<LoggedBatch, StoreError> {
    let mut r = Reader { data, pos: 0 };
    let version = r.take(1)?[0];
    if version != 1 {
        return Err(StoreError::Corrupt(format!(
            "unknown log record version {version}"
        )));
    }
    let channel = Some(r.string()?).filter(|c| !c.is_empty());
    let seq = r.u64()?;
    let sequence = (seq != 0).then(|| seq - 1);
    let n = r.u32()? as usize;
    let mut events = Vec::with_capacity(n.min(1 << 20));
    for _ in 0..n {
        let time_ns = r.u64()? as i64;
        let flags = r.take(1)?[0];
        let index = r.string()?;
        let host = r.string()?;
        let source = r.string()?;
        let sourcetype = r.string()?;
        let raw = r.string()?;
        let nf = r.u32()? as usize;
        let mut fields = Vec::with_capacity(nf.min(1024));
        for _ in 0..nf {
            let k = r.string()?;
            let v: Value = serde_json::from_str(&r.string()?).unwrap_or(Value::Null);
            fields.push((k, v));
        }
        events.push(Event {
            time_ns,
            raw,
            host,
            source,
            sourcetype,
            index,
            fields,
            flags: EventFlags {
                time_from_receipt: flags & 1 != 0,
                truncated: flags & 2 != 0,
                lossy_utf8: flags & 4 != 0,
                not_syslog: flags & 8 != 0,
            },
        });
    }
    Ok(LoggedBatch {
        channel,
        sequence,
        events,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log_bytes(dir: &Path) -> Vec<u8> {
        let mut all = Vec::new();
        for first in list_segments(dir).unwrap() {
            all.extend(std::fs::read(segment_path(dir, first)).unwrap());
        }
        all
    }

    /// After a purge no committed record is in any file, uncommitted ones are still
    /// replayed, and the log goes on appending.
    #[test]
    fn purge_drops_committed_records_and_keeps_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let mut wal = Wal::open(dir.path(), |_, _| Ok(())).unwrap();
        let a = wal.append(b"committed erased-text").unwrap();
        let b = wal.append(b"uncommitted still-here").unwrap();
        wal.sync().unwrap();
        let found = |needle: &[u8]| {
            log_bytes(dir.path())
                .windows(needle.len())
                .any(|w| w == needle)
        };
        assert!(found(b"erased-text"));
        wal.purge(a).unwrap();
        assert!(!found(b"erased-text"));
        assert!(found(b"still-here"));
        let c = wal.append(b"after").unwrap();
        wal.sync().unwrap();
        drop(wal);
        let mut replayed = Vec::new();
        Wal::open(dir.path(), |lsn, p| {
            replayed.push((lsn, p.to_vec()));
            Ok(())
        })
        .unwrap();
        assert_eq!(
            replayed,
            vec![
                (b, b"uncommitted still-here".to_vec()),
                (c, b"after".to_vec())
            ]
        );
    }

    fn batch(n: usize) -> LoggedBatch {
        LoggedBatch {
            channel: Some("c1".into()),
            sequence: Some(7),
            events: (0..n)
                .map(|i| Event {
                    time_ns: i as i64,
                    raw: format!("line {i}"),
                    host: "h".into(),
                    index: "main".into(),
                    fields: vec![("k".into(), Value::Int(i as i64))],
                    flags: EventFlags {
                        truncated: i % 2 == 0,
                        ..Default::default()
                    },
                    ..Default::default()
                })
                .collect(),
        }
    }

    #[test]
    fn batches_round_trip() {
        let b = batch(3);
        let mut buf = Vec::new();
        encode_batch(&b, &mut buf);
        assert_eq!(decode_batch(&buf).unwrap(), b);
        assert!(decode_batch(&buf[..buf.len() - 1]).is_err());
    }

    #[test]
    fn replay_after_checkpoint_and_torn_tail() {
        let dir = tempfile::tempdir().unwrap();
        let mut wal = Wal::open(dir.path(), |_, _| Ok(())).unwrap();
        for i in 0..5u8 {
            wal.append(&[i; 10]).unwrap();
        }
        wal.sync().unwrap();
        wal.checkpoint(2).unwrap();
        drop(wal);
        // Tear the last record, as a crash mid-write would.
        let seg = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .find(|p| {
                p.extension().is_some_and(|e| e == "wal") && std::fs::metadata(p).unwrap().len() > 0
            })
            .unwrap();
        let len = std::fs::metadata(&seg).unwrap().len();
        OpenOptions::new()
            .write(true)
            .open(&seg)
            .unwrap()
            .set_len(len - 3)
            .unwrap();
        let mut seen = Vec::new();
        let wal = Wal::open(dir.path(), |lsn, p| {
            seen.push((lsn, p[0]));
            Ok(())
        })
        .unwrap();
        assert_eq!(seen, vec![(3, 2), (4, 3)]);
        assert_eq!(wal.next_lsn(), 5);
    }

    /// The records a reopened log replays.
    fn replayed(dir: &Path) -> Vec<(u64, Vec<u8>)> {
        let mut seen = Vec::new();
        Wal::open(dir, |lsn, p| {
            seen.push((lsn, p.to_vec()));
            Ok(())
        })
        .unwrap();
        seen
    }

    /// Once all of it is committed, the segment being written is replaced by an empty one.
    #[test]
    fn a_fully_committed_log_leaves_an_empty_segment() {
        let dir = tempfile::tempdir().unwrap();
        let mut wal = Wal::open(dir.path(), |_, _| Ok(())).unwrap();
        let record = vec![b'x'; 64 << 10];
        for _ in 0..8 {
            wal.append(&record).unwrap();
        }
        wal.sync().unwrap();
        // Below the threshold the segment stays (a busy log is not rotated at every commit).
        wal.checkpoint(8).unwrap();
        assert!(wal.disk_bytes() > 500_000);
        for _ in 0..16 {
            wal.append(&record).unwrap();
        }
        wal.sync().unwrap();
        // Not all committed: kept.
        wal.checkpoint(20).unwrap();
        assert!(wal.disk_bytes() > 1 << 20);
        wal.checkpoint(24).unwrap();
        assert_eq!(wal.disk_bytes(), 0);
        assert_eq!(wal.segments.len(), 1);
        wal.append(b"after").unwrap();
        wal.sync().unwrap();
        drop(wal);
        assert_eq!(replayed(dir.path()), vec![(25, b"after".to_vec())]);
    }

    #[test]
    fn checkpoint_deletes_old_segments() {
        let dir = tempfile::tempdir().unwrap();
        let mut wal = Wal::open(dir.path(), |_, _| Ok(())).unwrap();
        wal.append(b"a").unwrap();
        wal.sync().unwrap();
        wal.rotate().unwrap();
        wal.append(b"b").unwrap();
        wal.sync().unwrap();
        assert_eq!(wal.segments.len(), 2);
        wal.checkpoint(1).unwrap();
        assert_eq!(wal.segments.len(), 1);
        drop(wal);
        assert_eq!(replayed(dir.path()), vec![(2, b"b".to_vec())]);
    }
}
