//! Tailing: finding files that match an input's globs, reading what they gain,
//! noticing truncation / in-place replacement, and cutting lines (in the file's own
//! encoding) into events with the sourcetype's [`EventBreaker`].
//!
//! Every event carries a *resume offset*: where a fresh reader would start so that
//! this event is not read again and no later one is missed. For one-line events
//! that is the end of the line; for joined (multi-line) events, which only come out
//! when the next event starts, it is the start of that next event's first line.

use crate::config::Input;
use crate::encoding::Encoding;
use crate::fingerprint::{file_id, Fingerprint};
use crate::stats::Stats;
use loupe_event::{EventBreaker, LineBreaking};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::Instant;

/// One event cut from a file.
#[derive(Debug, Clone)]
pub struct TailEvent {
    /// UTF-8 text, without the trailing newline.
    pub text: String,
    /// Cut at the maximum line / event size.
    pub truncated: bool,
    /// Identity of the content it came from.
    pub fp: Fingerprint,
    /// Where to resume once this event is delivered.
    pub resume: u64,
}

/// A file being read.
pub struct Tailer {
    /// Platform identity ([`file_id`]).
    pub id: String,
    /// Current path (changes on rename).
    pub path: PathBuf,
    /// Path it was opened under: the event's `source`.
    pub source: PathBuf,
    /// Index of its `[[input]]`.
    pub input: usize,
    /// Content identity.
    pub fp: Fingerprint,
    /// Set once the path no longer leads to this file (renamed away or deleted).
    pub gone: bool,
    /// Year for year-less timestamps: the file's modification year.
    pub year: i32,
    file: File,
    /// Next byte to read.
    offset: u64,
    /// Unfinished line; its first byte is at `buf_off`.
    buf: Vec<u8>,
    buf_off: u64,
    /// Inside an over-long line whose head is kept in `buf`.
    skipping: bool,
    encoding: Encoding,
    forced: Option<Encoding>,
    breaker: EventBreaker,
    joining: bool,
    /// Lines were pushed into the breaker or `buf` since the last flush.
    dirty: bool,
    last_len: u64,
    last_mtime: Option<std::time::SystemTime>,
    /// Last time the file grew.
    pub last_growth: Instant,
    max_line: usize,
}

const CHUNK: usize = 64 * 1024;

impl Tailer {
    /// Opens `path`; `resume` is a checkpointed (fingerprint, offset) for its id, used
    /// only if the content still starts the same.
    pub fn open(
        path: &Path,
        input_idx: usize,
        input: &Input,
        resume: Option<(Fingerprint, u64)>,
    ) -> std::io::Result<Tailer> {
        let mut file = File::open(path)?;
        let meta = file.metadata()?;
        let id = file_id(path, &meta);
        let mut fp = Fingerprint::of(&mut file)?;
        let mut offset = 0;
        if let Some((old, off)) = resume {
            if let Some(now) = old.recheck(&mut file)? {
                if off <= meta.len() {
                    fp = now;
                    offset = off;
                }
            }
        }
        let year = meta
            .modified()
            .ok()
            .and_then(|t| jiff::Timestamp::try_from(t).ok())
            .map(|t| i32::from(t.to_zoned_datetime(jiff::tz::TimeZone::UTC).year()))
            .unwrap_or(1970);
        let st = &input.sourcetype;
        let mut t = Tailer {
            id,
            path: path.to_path_buf(),
            source: path.to_path_buf(),
            input: input_idx,
            fp,
            gone: false,
            year,
            file,
            offset,
            buf: Vec::new(),
            buf_off: offset,
            skipping: false,
            encoding: Encoding::Utf8,
            forced: input.encoding,
            breaker: st.breaker(input.max_line_bytes),
            joining: st.line_breaking() != LineBreaking::EachLine,
            dirty: false,
            last_len: meta.len(),
            last_mtime: meta.modified().ok(),
            last_growth: Instant::now(),
            max_line: input.max_line_bytes,
        };
        t.detect_encoding()?;
        Ok(t)
    }

    /// Reads the BOM; at offset 0 the read position skips it.
    fn detect_encoding(&mut self) -> std::io::Result<()> {
        self.file.seek(SeekFrom::Start(0))?;
        let mut head = [0u8; 3];
        let n = read_full(&mut self.file, &mut head)?;
        let head = &head[..n];
        let (enc, bom) = match (self.forced, Encoding::detect_bom(head)) {
            (Some(f), _) => (f, f.bom_len(head)),
            (None, Some((e, n))) => (e, n),
            (None, None) => (Encoding::Utf8, 0),
        };
        // Too short to tell yet: wait for more bytes before reading anything.
        if self.forced.is_none() && n < 2 && self.offset == 0 {
            self.encoding = Encoding::Utf8;
            return Ok(());
        }
        self.encoding = enc;
        if self.offset < bom as u64 {
            self.offset = bom as u64;
            self.buf_off = self.offset;
        }
        Ok(())
    }

    /// The offset a fresh reader would start at now, if everything read were delivered.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Checks size and head before reading: truncation or replacement in place (copy-truncate)
    /// restarts at 0, after the old content's pending event is flushed into `out`.
    pub fn check(&mut self, stats: &Stats, out: &mut Vec<TailEvent>) -> std::io::Result<()> {
        let meta = self.file.metadata()?;
        let len = meta.len();
        let mtime = meta.modified().ok();
        // Same size and time: nothing happened (a copy-truncate that refilled the file to
        // the same size still changes the modification time).
        if len == self.last_len && mtime == self.last_mtime && len >= self.offset {
            return Ok(());
        }
        self.last_len = len;
        self.last_mtime = mtime;
        let same = if len < self.offset {
            None
        } else {
            self.fp.recheck(&mut self.file)?
        };
        match same {
            Some(fp) => self.fp = fp,
            None => {
                self.flush(out);
                stats.truncations.fetch_add(1, Ordering::Relaxed);
                self.offset = 0;
                self.buf.clear();
                self.buf_off = 0;
                self.skipping = false;
                self.fp = Fingerprint::of(&mut self.file)?;
                self.detect_encoding()?;
            }
        }
        Ok(())
    }

    /// Reads up to about `budget` bytes; returns how many were read (0 at end of file).
    pub fn read(
        &mut self,
        budget: usize,
        stats: &Stats,
        out: &mut Vec<TailEvent>,
    ) -> std::io::Result<usize> {
        if self.offset == 0 && self.forced.is_none() && self.encoding == Encoding::Utf8 {
            self.detect_encoding()?;
        }
        self.file.seek(SeekFrom::Start(self.offset))?;
        let mut total = 0;
        let mut chunk = vec![0u8; CHUNK];
        while total < budget {
            let mut n = self.file.read(&mut chunk)?;
            if n == 0 {
                break;
            }
            let unit = self.encoding.unit();
            if n % unit != 0 {
                // Half a UTF-16 unit: leave it for the next read.
                n -= n % unit;
                if n == 0 {
                    break;
                }
                self.file.seek(SeekFrom::Start(self.offset + n as u64))?;
            }
            total += n;
            stats.bytes_read.fetch_add(n as u64, Ordering::Relaxed);
            self.consume(&chunk[..n], stats, out);
        }
        if total > 0 {
            self.last_growth = Instant::now();
            self.last_len = self.last_len.max(self.offset);
        }
        Ok(total)
    }

    fn consume(&mut self, mut data: &[u8], stats: &Stats, out: &mut Vec<TailEvent>) {
        let enc = self.encoding;
        if self.skipping {
            match enc.find_line_end(data) {
                None => {
                    self.offset += data.len() as u64;
                    return;
                }
                Some(e) => {
                    self.offset += e as u64;
                    let head = std::mem::take(&mut self.buf);
                    let start = self.buf_off;
                    self.line(&head, true, start, self.offset, stats, out);
                    self.buf_off = self.offset;
                    self.skipping = false;
                    data = &data[e..];
                }
            }
        }
        let scan_from = self.buf.len() - self.buf.len() % enc.unit();
        let scan_from = scan_from.saturating_sub(enc.unit());
        self.buf.extend_from_slice(data);
        self.offset += data.len() as u64;
        let mut pos = 0;
        let mut from = scan_from;
        let buf = std::mem::take(&mut self.buf);
        while let Some(e) = enc.find_line_end(&buf[from..]) {
            let end = from + e;
            let line = &buf[pos..end];
            let long = line.len() > self.max_line;
            let cut = if long {
                cut_len(line, self.max_line, enc.unit())
            } else {
                line.len()
            };
            let start = self.buf_off + pos as u64;
            self.line(
                &line[..cut],
                long,
                start,
                self.buf_off + end as u64,
                stats,
                out,
            );
            pos = end;
            from = end;
        }
        self.buf = buf;
        self.buf.drain(..pos);
        self.buf_off += pos as u64;
        if self.buf.len() > self.max_line {
            let keep = cut_len(&self.buf, self.max_line, enc.unit());
            self.buf.truncate(keep);
            self.skipping = true;
        }
        if !self.buf.is_empty() {
            self.dirty = true;
        }
    }

    fn line(
        &mut self,
        bytes: &[u8],
        truncated: bool,
        start: u64,
        end: u64,
        stats: &Stats,
        out: &mut Vec<TailEvent>,
    ) {
        if truncated {
            stats.lines_truncated.fetch_add(1, Ordering::Relaxed);
        }
        stats.lines_read.fetch_add(1, Ordering::Relaxed);
        self.push_line(bytes, truncated, start, end, out);
    }

    fn push_line(
        &mut self,
        bytes: &[u8],
        truncated: bool,
        start: u64,
        end: u64,
        out: &mut Vec<TailEvent>,
    ) {
        let (mut text, _lossy) = self.encoding.decode_line(bytes);
        text.push('\n');
        let resume = if self.joining { start } else { end };
        let fp = self.fp;
        self.breaker.push(text.as_bytes(), &mut |ev| {
            out.push(TailEvent {
                text: ev.text.into_owned(),
                truncated: ev.truncated || truncated,
                fp,
                resume,
            })
        });
        self.dirty = true;
    }

    /// True when a partial line or a joined event waits for more input.
    pub fn has_pending(&self) -> bool {
        self.dirty
    }

    /// Ships what waits: the unfinished last line and the pending joined event (file idle,
    /// rotated away, or `--once` at end of file).
    pub fn flush(&mut self, out: &mut Vec<TailEvent>) {
        if !self.buf.is_empty() {
            let head = std::mem::take(&mut self.buf);
            let (start, end, trunc) = (self.buf_off, self.offset, self.skipping);
            self.push_line(&head, trunc, start, end, out);
            self.buf_off = self.offset;
            self.skipping = false;
        }
        let fp = self.fp;
        let resume = self.offset;
        self.breaker.finish(&mut |ev| {
            out.push(TailEvent {
                text: ev.text.into_owned(),
                truncated: ev.truncated,
                fp,
                resume,
            })
        });
        self.dirty = false;
    }

    /// True when `path` still leads to this very file.
    pub fn still_at_path(&self) -> bool {
        match std::fs::metadata(&self.path) {
            Ok(m) => file_id(&self.path, &m) == self.id,
            Err(_) => false,
        }
    }
}

/// Cut length at most `max`, on a unit and (for UTF-8) character boundary.
fn cut_len(line: &[u8], max: usize, unit: usize) -> usize {
    let mut c = max.min(line.len());
    c -= c % unit;
    if unit == 1 {
        let mut back = 0;
        while c > 0 && c < line.len() && back < 3 && (line[c] & 0xC0) == 0x80 {
            c -= 1;
            back += 1;
        }
    }
    c
}

fn read_full(f: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        let r = f.read(&mut buf[n..])?;
        if r == 0 {
            break;
        }
        n += r;
    }
    Ok(n)
}

/// Files matching an input now: each glob is walked from its literal prefix.
pub fn discover(input: &Input) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for pattern in &input.paths {
        let norm = crate::config::normalize_pattern(pattern);
        let (base, depth) = walk_root(&norm);
        let walker = walkdir::WalkDir::new(&base).follow_links(true);
        let walker = match depth {
            Some(d) => walker.max_depth(d),
            None => walker,
        };
        for entry in walker.into_iter().flatten() {
            if !entry.file_type().is_file() {
                continue;
            }
            let p = entry.path();
            let s = match_form(p);
            if input.include.is_match(&s) && !input.exclude.is_match(&s) {
                found.push(p.to_path_buf());
            }
        }
    }
    found.sort();
    found.dedup();
    found
}

/// The path as globs see it (`/` separators on every platform).
fn match_form(p: &Path) -> String {
    let s = p.to_string_lossy();
    if cfg!(windows) {
        s.replace('\\', "/")
    } else {
        s.into_owned()
    }
}

/// The directory to walk (the pattern's components before the first glob
/// character) and how deep (`None` for `**`).
fn walk_root(pattern: &str) -> (PathBuf, Option<usize>) {
    let parts: Vec<&str> = pattern.split('/').collect();
    let first_glob = parts
        .iter()
        .position(|c| c.contains(['*', '?', '[', '{']))
        .unwrap_or(parts.len());
    let base = if first_glob == parts.len() {
        // No glob: the file itself (walkdir yields a file root as its only entry).
        pattern.to_string()
    } else {
        let b = parts[..first_glob].join("/");
        if b.is_empty() && pattern.starts_with('/') {
            "/".into()
        } else if b.is_empty() {
            ".".into()
        } else {
            b
        }
    };
    let depth = if pattern.contains("**") {
        None
    } else {
        Some(parts.len().saturating_sub(first_glob))
    };
    (PathBuf::from(base), depth)
}

/// The Nth (1-based) normal segment of a path, for `host_segment`.
pub fn path_segment(path: &Path, n: usize) -> Option<String> {
    path.components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            _ => None,
        })
        .nth(n.checked_sub(1)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use std::io::Write;

    fn input(dir: &Path, extra: &str) -> Input {
        let text = format!(
            "state_dir = \"/tmp/s\"\n[output]\nurls = [\"http://x\"]\ntoken = \"t\"\n[[input]]\npath = \"{}/**/*.log\"\n{extra}",
            dir.display()
        );
        Config::parse(&text, Path::new("t.toml"))
            .unwrap()
            .inputs
            .remove(0)
    }

    #[test]
    fn walk_roots() {
        assert_eq!(
            walk_root("/var/log/*.log"),
            (PathBuf::from("/var/log"), Some(1))
        );
        assert_eq!(walk_root("/var/**/x/*.log").1, None);
        assert_eq!(
            walk_root("/var/log/a.log"),
            (PathBuf::from("/var/log/a.log"), Some(0))
        );
        assert_eq!(
            path_segment(Path::new("/logs/hosts/web-1/a.log"), 3).as_deref(),
            Some("web-1")
        );
    }

    #[test]
    fn discovers_nested_and_excludes() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("a/b")).unwrap();
        std::fs::write(d.path().join("a/b/x.log"), "1\n").unwrap();
        std::fs::write(d.path().join("top.log"), "1\n").unwrap();
        std::fs::write(d.path().join("a/skip.txt"), "1\n").unwrap();
        let inp = input(
            d.path(),
            &format!("exclude = \"{}/top.log\"\n", d.path().display()),
        );
        let found = discover(&inp);
        assert_eq!(found, vec![d.path().join("a/b/x.log")]);
    }

    #[test]
    fn lines_long_lines_partial_and_truncation() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("a.log");
        let long = "x".repeat(100);
        std::fs::write(&p, format!("one\r\n{long}\nthree\npart")).unwrap();
        let inp = input(
            d.path(),
            "max_line_bytes = 20\nsourcetype = \"access_combined\"\n",
        );
        let stats = Stats::default();
        let mut t = Tailer::open(&p, 0, &inp, None).unwrap();
        let mut out = Vec::new();
        t.read(1 << 20, &stats, &mut out).unwrap();
        let texts: Vec<&str> = out.iter().map(|e| e.text.as_str()).collect();
        assert_eq!(texts, ["one", &long[..20], "three"]);
        assert!(out[1].truncated);
        assert_eq!(out[2].resume, (5 + 101 + 6) as u64);
        assert!(t.has_pending());
        t.flush(&mut out);
        assert_eq!(out.last().unwrap().text, "part");
        assert_eq!(stats.lines_truncated.load(Ordering::Relaxed), 1);
        // Truncation in place: restart at 0.
        std::fs::write(&p, "new\n").unwrap();
        out.clear();
        t.check(&stats, &mut out).unwrap();
        t.read(1 << 20, &stats, &mut out).unwrap();
        assert_eq!(
            out.iter().map(|e| e.text.as_str()).collect::<Vec<_>>(),
            ["new"]
        );
        // Growth keeps going from the offset.
        std::fs::OpenOptions::new()
            .append(true)
            .open(&p)
            .unwrap()
            .write_all(b"more\n")
            .unwrap();
        out.clear();
        t.check(&stats, &mut out).unwrap();
        t.read(1 << 20, &stats, &mut out).unwrap();
        assert_eq!(
            out.iter().map(|e| e.text.as_str()).collect::<Vec<_>>(),
            ["more"]
        );
    }

    #[test]
    fn multiline_resume_is_start_of_next_event() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("a.log");
        let text =
            "2026-03-02 10:00:01 ERROR boom\n  at a.b(C.java:1)\n2026-03-02 10:00:02 INFO ok\n";
        std::fs::write(&p, text).unwrap();
        let inp = input(d.path(), "sourcetype = \"auto\"\n");
        let stats = Stats::default();
        let mut t = Tailer::open(&p, 0, &inp, None).unwrap();
        let mut out = Vec::new();
        t.read(1 << 20, &stats, &mut out).unwrap();
        assert_eq!(out.len(), 1);
        assert!(out[0].text.contains("C.java"));
        assert_eq!(
            out[0].resume as usize,
            text.find("2026-03-02 10:00:02").unwrap()
        );
        t.flush(&mut out);
        assert_eq!(out.len(), 2);
        assert_eq!(out[1].resume as usize, text.len());
    }

    #[test]
    fn utf16_file_with_bom() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("w.log");
        let mut bytes = vec![0xFF, 0xFE];
        for u in "Tâche OK\r\nTâche KO\r\n".encode_utf16() {
            bytes.extend_from_slice(&u.to_le_bytes());
        }
        std::fs::write(&p, &bytes).unwrap();
        let inp = input(d.path(), "sourcetype = \"access_combined\"\n");
        let stats = Stats::default();
        let mut t = Tailer::open(&p, 0, &inp, None).unwrap();
        let mut out = Vec::new();
        t.read(1 << 20, &stats, &mut out).unwrap();
        assert_eq!(
            out.iter().map(|e| e.text.as_str()).collect::<Vec<_>>(),
            ["Tâche OK", "Tâche KO"]
        );
        assert_eq!(out[1].resume, bytes.len() as u64);
    }
}
