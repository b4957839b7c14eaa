//! File identity: a CRC of a file's first bytes plus, where the platform has them,
//! its device and inode. Names change with rotation and inodes are reused, so
//! neither alone says "this is the file we were reading".

use serde::{Deserialize, Serialize};
use std::fs::{File, Metadata};
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// How many leading bytes identify a file's content.
pub const HEAD_BYTES: usize = 256;

/// A file's identity at a point in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    /// Bytes covered by `head_crc` (less than [`HEAD_BYTES`] while the file is small).
    pub head_len: u32,
    /// CRC-32 of the first `head_len` bytes.
    pub head_crc: u32,
}

impl Fingerprint {
    /// Reads the head of an open file (the read position is left unspecified).
    pub fn of(file: &mut File) -> std::io::Result<Fingerprint> {
        let head = read_head(file, HEAD_BYTES)?;
        Ok(Fingerprint {
            head_len: head.len() as u32,
            head_crc: crc32fast::hash(&head),
        })
    }

    /// Checks that the file still starts with the bytes this fingerprint saw, and
    /// returns the (possibly longer) fingerprint it has now; `None` means other content.
    pub fn recheck(&self, file: &mut File) -> std::io::Result<Option<Fingerprint>> {
        let head = read_head(file, HEAD_BYTES)?;
        let n = self.head_len as usize;
        if head.len() < n || crc32fast::hash(&head[..n]) != self.head_crc {
            return Ok(None);
        }
        Ok(Some(Fingerprint {
            head_len: head.len() as u32,
            head_crc: crc32fast::hash(&head),
        }))
    }
}

fn read_head(file: &mut File, n: usize) -> std::io::Result<Vec<u8>> {
    file.seek(SeekFrom::Start(0))?;
    let mut head = Vec::with_capacity(n);
    file.by_ref().take(n as u64).read_to_end(&mut head)?;
    Ok(head)
}

/// The platform part of a file's identity: `dev:inode` on Unix, the volume (`C:`,
/// `\\srv\share`; the serial number for a relative path) and the file index on Windows (both
/// survive a rename, so rotation is followed); the path only where the platform gives neither
/// (or the file cannot be opened to ask).
pub fn file_id(path: &Path, meta: &Metadata) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let _ = path;
        format!("u:{}:{}", meta.dev(), meta.ino())
    }
    #[cfg(windows)]
    {
        let _ = meta;
        // std opens with FILE_SHARE_READ | WRITE | DELETE: writers and rotation are not hindered.
        match File::open(path).and_then(|f| winapi_util::file::information(&f)) {
            // The volume as the path names it (stable across restarts, unlike the serial
            // number under Wine); the serial number for a path without one.
            Ok(info) => match crate::winpath::volume_prefix(&path.to_string_lossy()) {
                Some(volume) => format!("w:{volume}:{:x}", info.file_index()),
                None => format!(
                    "w:{:x}:{:x}",
                    info.volume_serial_number(),
                    info.file_index()
                ),
            },
            Err(_) => format!("p:{}", path.display()),
        }
    }
    #[cfg(not(any(unix, windows)))]
    {
        let _ = meta;
        format!("p:{}", path.display())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn grows_then_detects_replacement() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.log");
        std::fs::write(&p, b"hello\n").unwrap();
        let mut f = File::open(&p).unwrap();
        let fp = Fingerprint::of(&mut f).unwrap();
        assert_eq!(fp.head_len, 6);
        std::fs::OpenOptions::new()
            .append(true)
            .open(&p)
            .unwrap()
            .write_all(&[b'x'; 400])
            .unwrap();
        let grown = fp.recheck(&mut f).unwrap().expect("same file");
        assert_eq!(grown.head_len as usize, HEAD_BYTES);
        std::fs::write(&p, b"other content\n").unwrap();
        assert_eq!(grown.recheck(&mut f).unwrap(), None);
    }
}
