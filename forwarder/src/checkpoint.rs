//! Durable state in `state_dir`: the channel id, and the checkpoint — for each file
//! (identity + fingerprint) the offset up to which its events were acknowledged by
//! the indexer. Written atomically (tmp, fsync, rename) only after an ack.

use crate::fingerprint::Fingerprint;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Where a file's shipping stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileMark {
    /// Last known path (for humans and logs; identity is `id` + `fp`).
    pub path: PathBuf,
    /// Identity of the content the offset belongs to.
    pub fp: Fingerprint,
    /// Byte offset (in the file's own encoding) to resume reading at.
    pub offset: u64,
    /// The path the file was first read under (its events' `source`); after a rename out of
    /// the glob and a restart, the file is found again by identity and keeps this source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<PathBuf>,
    /// Index of the `[[input]]` it was read for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<usize>,
}

/// The checkpoint file's content.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Highest sequence number the indexer acknowledged (or that was dropped).
    pub last_seq: u64,
    /// File id ([`crate::fingerprint::file_id`]) -> mark.
    pub files: BTreeMap<String, FileMark>,
}

/// Errors reading or writing state.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// Disk trouble.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A state file that is not what we wrote.
    #[error("{path}: corrupt state: {message}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// The parse error.
        message: String,
    },
}

pub(crate) fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> StateError + '_ {
    move |source| StateError::Io {
        path: path.to_path_buf(),
        source,
    }
}

impl Checkpoint {
    /// The checkpoint file inside a state dir.
    pub fn path(state_dir: &Path) -> PathBuf {
        state_dir.join("checkpoint.json")
    }

    /// Loads it, or an empty one on first start.
    pub fn load(state_dir: &Path) -> Result<Checkpoint, StateError> {
        let path = Checkpoint::path(state_dir);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| StateError::Corrupt {
                path,
                message: e.to_string(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Checkpoint::default()),
            Err(e) => Err(io_err(&path)(e)),
        }
    }

    /// Applies the marks of an acknowledged batch.
    pub fn merge(&mut self, seq: u64, marks: &BTreeMap<String, FileMark>) {
        self.last_seq = self.last_seq.max(seq);
        for (id, m) in marks {
            self.files.insert(id.clone(), m.clone());
        }
    }

    /// Forgets files that no longer exist anywhere, so the checkpoint does not grow forever.
    pub fn prune(&mut self) {
        self.files.retain(|_, m| m.path.exists());
    }

    /// Writes atomically: a crash leaves either the old or the new checkpoint.
    pub fn save(&self, state_dir: &Path) -> Result<(), StateError> {
        let bytes = serde_json::to_vec_pretty(self).map_err(|e| StateError::Corrupt {
            path: Checkpoint::path(state_dir),
            message: e.to_string(),
        })?;
        write_atomic(&Checkpoint::path(state_dir), &bytes)
    }
}

/// tmp + fsync + rename (+ directory fsync where the platform allows it).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), StateError> {
    let tmp = path.with_extension("tmp");
    {
        let mut f = std::fs::File::create(&tmp).map_err(io_err(&tmp))?;
        f.write_all(bytes).map_err(io_err(&tmp))?;
        f.sync_all().map_err(io_err(&tmp))?;
    }
    std::fs::rename(&tmp, path).map_err(io_err(path))?;
    sync_dir(path.parent().unwrap_or(Path::new(".")));
    Ok(())
}

/// Makes a rename durable on Unix; Windows has no directory handles to sync.
pub fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// The data channel of this forwarder: kept across restarts so that resent batches are
/// recognised by the indexer; `fresh` makes a new one (sequence numbers start over).
pub fn channel(state_dir: &Path, fresh: bool) -> Result<String, StateError> {
    let path = state_dir.join("channel");
    if fresh {
        let id = new_uuid();
        write_atomic(&path, id.as_bytes())?;
        return Ok(id);
    }
    if let Ok(s) = std::fs::read_to_string(&path) {
        let s = s.trim();
        if s.len() == 36 {
            return Ok(s.to_string());
        }
    }
    let id = new_uuid();
    write_atomic(&path, id.as_bytes())?;
    Ok(id)
}

/// A random (v4-shaped) UUID from the OS-seeded std hasher, time and pid.
fn new_uuid() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut bytes = [0u8; 16];
    for (i, chunk) in bytes.chunks_mut(8).enumerate() {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0),
        );
        h.write_u32(std::process::id());
        h.write_usize(i);
        chunk.copy_from_slice(&h.finish().to_le_bytes());
    }
    bytes[6] = (bytes[6] & 0x0F) | 0x40;
    bytes[8] = (bytes[8] & 0x3F) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_is_stable_and_checkpoint_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let c1 = channel(dir.path(), false).unwrap();
        assert_eq!(c1.len(), 36);
        assert_eq!(channel(dir.path(), false).unwrap(), c1);
        assert_ne!(channel(dir.path(), true).unwrap(), c1);
        let mut cp = Checkpoint::load(dir.path()).unwrap();
        let mut marks = BTreeMap::new();
        marks.insert(
            "u:1:2".to_string(),
            FileMark {
                path: "/x".into(),
                fp: Fingerprint {
                    head_len: 3,
                    head_crc: 7,
                },
                offset: 42,
                source: None,
                input: None,
            },
        );
        cp.merge(5, &marks);
        cp.save(dir.path()).unwrap();
        let back = Checkpoint::load(dir.path()).unwrap();
        assert_eq!(back.last_seq, 5);
        assert_eq!(back.files["u:1:2"].offset, 42);
    }
}
