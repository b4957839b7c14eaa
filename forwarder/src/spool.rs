//! The on-disk spool: every sealed batch is written here (tmp, fsync, rename) with
//! its sequence number before it is sent, and removed once acknowledged. It is the
//! queue between reading and shipping: bounded (reading pauses when it is full),
//! replayed in sequence order after a restart, and a resent batch keeps its
//! sequence so the indexer drops it if it had already logged it.

use crate::checkpoint::{io_err, sync_dir, FileMark, StateError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

#[derive(Debug, Serialize, Deserialize)]
struct Header {
    seq: u64,
    count: usize,
    #[serde(default)]
    internal: bool,
    marks: BTreeMap<String, FileMark>,
}

/// Writes a batch file atomically (tmp, fsync, rename, directory sync); returns its size.
fn write_batch_file(
    dir: &Path,
    path: &Path,
    header: &Header,
    body: &[u8],
) -> Result<u64, StateError> {
    let tmp = path.with_extension("tmp");
    let header = serde_json::to_vec(header).map_err(|e| StateError::Corrupt {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    {
        let mut f = std::fs::File::create(&tmp).map_err(io_err(&tmp))?;
        f.write_all(&header).map_err(io_err(&tmp))?;
        f.write_all(b"\n").map_err(io_err(&tmp))?;
        f.write_all(body).map_err(io_err(&tmp))?;
        f.sync_all().map_err(io_err(&tmp))?;
    }
    std::fs::rename(&tmp, path).map_err(io_err(path))?;
    sync_dir(dir);
    Ok((header.len() + 1 + body.len()) as u64)
}

/// A batch read back from the spool.
#[derive(Debug)]
pub struct Spooled {
    /// Its sequence number within the channel.
    pub seq: u64,
    /// Number of events.
    pub count: usize,
    /// Only the forwarder's own events (`_internal`).
    pub internal: bool,
    /// Resume points to checkpoint once acknowledged.
    pub marks: BTreeMap<String, FileMark>,
    /// Uncompressed HEC body.
    pub body: Vec<u8>,
    /// Its file.
    pub path: PathBuf,
    /// Its file's size, for the spool accounting.
    pub file_bytes: u64,
}

/// The spool directory and its running size.
#[derive(Debug, Clone)]
pub struct Spool {
    dir: PathBuf,
    bytes: Arc<AtomicU64>,
}

impl Spool {
    /// Opens (creates) `state_dir/spool`, removing torn writes (never acknowledged, never sent).
    pub fn open(state_dir: &Path) -> Result<Spool, StateError> {
        let dir = state_dir.join("spool");
        std::fs::create_dir_all(&dir).map_err(io_err(&dir))?;
        let mut total = 0;
        for e in std::fs::read_dir(&dir).map_err(io_err(&dir))?.flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "tmp") {
                let _ = std::fs::remove_file(&p);
            } else if let Ok(m) = e.metadata() {
                total += m.len();
            }
        }
        Ok(Spool {
            dir,
            bytes: Arc::new(AtomicU64::new(total)),
        })
    }

    /// Bytes currently spooled.
    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    /// Durably stores a sealed batch under its sequence number.
    pub fn write(
        &self,
        seq: u64,
        count: usize,
        internal: bool,
        marks: &BTreeMap<String, FileMark>,
        body: &[u8],
    ) -> Result<(), StateError> {
        let path = self.dir.join(format!("{seq:020}.batch"));
        let header = Header {
            seq,
            count,
            internal,
            marks: marks.clone(),
        };
        let len = write_batch_file(&self.dir, &path, &header, body)?;
        self.bytes.fetch_add(len, Ordering::Relaxed);
        Ok(())
    }

    /// Spooled batch files, oldest sequence first.
    pub fn list(&self) -> Result<Vec<PathBuf>, StateError> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(&self.dir)
            .map_err(io_err(&self.dir))?
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "batch"))
            .collect();
        v.sort();
        Ok(v)
    }

    /// Reads one spooled batch.
    pub fn read(&self, path: &Path) -> Result<Spooled, StateError> {
        let bytes = std::fs::read(path).map_err(io_err(path))?;
        let corrupt = |message: String| StateError::Corrupt {
            path: path.to_path_buf(),
            message,
        };
        let nl = memchr::memchr(b'\n', &bytes).ok_or_else(|| corrupt("no header".into()))?;
        let h: Header = serde_json::from_slice(&bytes[..nl]).map_err(|e| corrupt(e.to_string()))?;
        Ok(Spooled {
            seq: h.seq,
            count: h.count,
            internal: h.internal,
            marks: h.marks,
            body: bytes[nl + 1..].to_vec(),
            path: path.to_path_buf(),
            file_bytes: bytes.len() as u64,
        })
    }

    /// Replaces a spooled batch by what is left of it under a new sequence number, keeping its
    /// place at the head of the spool (the file name keeps the original number).
    pub fn replace(
        &self,
        b: &Spooled,
        seq: u64,
        count: usize,
        body: &[u8],
    ) -> Result<(), StateError> {
        let header = Header {
            seq,
            count,
            internal: b.internal,
            marks: b.marks.clone(),
        };
        let new_len = write_batch_file(&self.dir, &b.path, &header, body)?;
        self.bytes.fetch_add(new_len, Ordering::Relaxed);
        self.bytes
            .fetch_sub(b.file_bytes.min(self.bytes()), Ordering::Relaxed);
        Ok(())
    }

    /// Forgets an acknowledged (or dropped) batch.
    pub fn remove(&self, b: &Spooled) -> Result<(), StateError> {
        std::fs::remove_file(&b.path).map_err(io_err(&b.path))?;
        self.bytes
            .fetch_sub(b.file_bytes.min(self.bytes()), Ordering::Relaxed);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_list_read_remove_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let s = Spool::open(dir.path()).unwrap();
        s.write(10, 1, false, &BTreeMap::new(), b"{\"event\":\"b\"}\n")
            .unwrap();
        s.write(9, 1, true, &BTreeMap::new(), b"{\"event\":\"a\"}\n")
            .unwrap();
        std::fs::write(dir.path().join("spool/00000000000000000011.tmp"), b"torn").unwrap();
        let s = Spool::open(dir.path()).unwrap();
        let l = s.list().unwrap();
        assert_eq!(l.len(), 2);
        let first = s.read(&l[0]).unwrap();
        assert_eq!(first.seq, 9);
        assert!(first.internal);
        assert_eq!(first.body, b"{\"event\":\"a\"}\n");
        let before = s.bytes();
        s.remove(&first).unwrap();
        assert!(s.bytes() < before);
        assert_eq!(s.list().unwrap().len(), 1);
    }
}
