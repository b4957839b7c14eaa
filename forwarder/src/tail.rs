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
use loupe_event::props::{HeaderLine, HeaderReader};
use loupe_event::{EventBreaker, LineBreaking, Value};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

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
    /// When the path was first seen to lead elsewhere (renamed away, deleted): the grace a
    /// rotated file gets counts from here, since it may have been quiet for long before.
    moved_at: Option<Instant>,
    max_line: usize,
    /// The pending joined event holds a line cut at `max_line_bytes`.
    held_truncated: bool,
    /// The first block was looked at for binary content.
    text_checked: bool,
    /// The file looks binary and its input says `binary = "skip"`: it is not read.
    pub binary: bool,
    /// The warning about it was given.
    pub binary_warned: bool,
    skip_binary: bool,
    /// Header rule of the sourcetype (`header = "csv"`...): names the fields of each row.
    header: Option<HeaderReader>,
}

/// How much of a file's start is looked at to tell text from binary.
pub const BINARY_PROBE_BYTES: usize = 4096;

/// True when `head` (a file's first bytes, UTF-8 or single-byte text expected) holds NUL
/// bytes or is mostly control bytes: an archive, an image, a database — not a log.
pub fn looks_binary(head: &[u8]) -> bool {
    if head.is_empty() {
        return false;
    }
    if memchr::memchr(0, head).is_some() {
        return true;
    }
    let control = head
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c | 0x1b))
        .count();
    control * 10 > head.len()
}

const CHUNK: usize = 64 * 1024;

thread_local! {
    /// The read buffer, one per reading thread: a file that grew by one line is read ten
    /// times a second, and a fresh zeroed 64 KiB each time was a tenth of an idle forwarder's CPU.
    static CHUNK_BUFFER: std::cell::RefCell<Vec<u8>> = std::cell::RefCell::new(vec![0u8; CHUNK]);
}

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
            moved_at: None,
            max_line: input.max_line_bytes,
            held_truncated: false,
            text_checked: offset > 0,
            binary: false,
            binary_warned: false,
            skip_binary: input.binary == crate::config::Binary::Skip,
            header: st.header_reader(),
        };
        t.detect_encoding()?;
        if offset > 0 {
            t.prime_header()?;
        }
        Ok(t)
    }

    /// Resuming mid-file: reads the header lines at its start again, so the rows after the
    /// checkpoint get their field names.
    fn prime_header(&mut self) -> std::io::Result<()> {
        let Some(h) = self.header.as_mut() else {
            return Ok(());
        };
        self.file.seek(SeekFrom::Start(0))?;
        let mut head = Vec::new();
        self.file.by_ref().take(64 * 1024).read_to_end(&mut head)?;
        let (text, _) = self.encoding.decode_line(&head);
        for line in text.lines() {
            let line = line.trim_start_matches('\u{feff}');
            match h.read(line) {
                HeaderLine::Header if h.names().is_some() && !line.starts_with('#') => break,
                HeaderLine::Header => {}
                HeaderLine::Row(_) => break,
            }
        }
        Ok(())
    }

    /// The fields a header gives this event, or `None` when the event is a header line.
    pub fn header_fields(&mut self, text: &str) -> Option<Vec<(String, Value)>> {
        match self.header.as_mut() {
            None => Some(Vec::new()),
            Some(h) => match h.read(text) {
                HeaderLine::Header => None,
                HeaderLine::Row(f) => Some(f),
            },
        }
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
                self.flush(stats, out);
                stats.truncations.fetch_add(1, Ordering::Relaxed);
                self.offset = 0;
                self.buf.clear();
                self.buf_off = 0;
                self.skipping = false;
                self.text_checked = false;
                self.binary = false;
                if let Some(h) = self.header.as_mut() {
                    *h = HeaderReader::new(h.kind());
                }
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
        if self.binary {
            return Ok(0);
        }
        if !self.text_checked && self.skip_binary && self.encoding == Encoding::Utf8 {
            self.file.seek(SeekFrom::Start(0))?;
            let mut head = Vec::with_capacity(BINARY_PROBE_BYTES);
            self.file
                .by_ref()
                .take(BINARY_PROBE_BYTES as u64)
                .read_to_end(&mut head)?;
            if head.is_empty() {
                return Ok(0);
            }
            self.text_checked = true;
            if looks_binary(&head) {
                self.binary = true;
                stats.binary_skipped.fetch_add(1, Ordering::Relaxed);
                return Ok(0);
            }
        }
        self.file.seek(SeekFrom::Start(self.offset))?;
        CHUNK_BUFFER.with_borrow_mut(|chunk| self.read_chunks(chunk, budget, stats, out))
    }

    /// [`Tailer::read`]'s loop, into the thread's `chunk`.
    fn read_chunks(
        &mut self,
        chunk: &mut [u8],
        budget: usize,
        stats: &Stats,
        out: &mut Vec<TailEvent>,
    ) -> std::io::Result<usize> {
        let mut total = 0;
        while total < budget {
            let mut n = self.file.read(chunk)?;
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
        let joining = self.joining;
        // Joined events come out when the next one starts: the cut they carry is the one held
        // with them, not that of the line that ends them.
        let mut held = self.held_truncated;
        self.breaker.push(text.as_bytes(), &mut |ev| {
            let cut = if joining {
                std::mem::replace(&mut held, false)
            } else {
                truncated
            };
            out.push(TailEvent {
                text: ev.text.into_owned(),
                truncated: ev.truncated || cut,
                fp,
                resume,
            })
        });
        self.held_truncated = joining && (held || truncated);
        self.dirty = true;
    }

    /// True when a partial line or a joined event waits for more input.
    pub fn has_pending(&self) -> bool {
        self.dirty
    }

    /// Ships what waits: the unfinished last line and the pending joined event (file idle,
    /// rotated away, or `--once` at end of file).
    pub fn flush(&mut self, stats: &Stats, out: &mut Vec<TailEvent>) {
        if !self.buf.is_empty() {
            let head = std::mem::take(&mut self.buf);
            let (start, end, trunc) = (self.buf_off, self.offset, self.skipping);
            if trunc {
                stats.lines_truncated.fetch_add(1, Ordering::Relaxed);
            }
            self.push_line(&head, trunc, start, end, out);
            self.buf_off = self.offset;
            self.skipping = false;
        }
        let fp = self.fp;
        let resume = self.offset;
        let held = std::mem::replace(&mut self.held_truncated, false);
        self.breaker.finish(&mut |ev| {
            out.push(TailEvent {
                text: ev.text.into_owned(),
                truncated: ev.truncated || held,
                fp,
                resume,
            })
        });
        self.dirty = false;
    }

    /// Whether this file can be let go after a pass (`read_any`: the pass read from it).
    ///
    /// A file renamed away or deleted is kept until it has been quiet for `wait` *since the
    /// move was seen*: writers finish their last lines in the renamed file, and a file that
    /// had been quiet for an hour before its rotation must not be dropped in the instant
    /// between the rename and those lines. `once` lets go at end of file.
    pub fn released(&mut self, read_any: bool, once: bool, now: Instant, wait: Duration) -> bool {
        if self.gone {
            return true;
        }
        // A file that grew lately is kept whatever its name: no need to ask the file system.
        let quiet = now.saturating_duration_since(self.last_growth) >= wait;
        if read_any || !(once || quiet || self.moved_at.is_some()) {
            return false;
        }
        if self.still_at_path() {
            self.moved_at = None;
            return false;
        }
        if once {
            return true;
        }
        let moved = *self.moved_at.get_or_insert(now);
        now.saturating_duration_since(moved.max(self.last_growth)) >= wait
    }

    /// When [`Tailer::released`] may say yes to a file seen moved, if nothing is read
    /// before: a pass must run then.
    pub fn release_deadline(&self, wait: Duration) -> Option<Instant> {
        self.moved_at.map(|m| m.max(self.last_growth) + wait)
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
        // From `C:\batchs`, not `C:/batchs`: every path found is then in Windows' own form.
        let base = crate::winpath::native(&base);
        let walker = walkdir::WalkDir::new(&base).follow_links(true);
        let walker = match depth {
            Some(d) => walker.max_depth(d),
            None => walker,
        };
        for entry in walker.into_iter().flatten() {
            if !entry.file_type().is_file() {
                continue;
            }
            if matches(input, entry.path()) {
                found.push(entry.path().to_path_buf());
            }
        }
    }
    found.sort();
    found.dedup();
    found
}

/// True when `input` follows `path` (its globs include it and none excludes it).
pub fn matches(input: &Input, path: &Path) -> bool {
    let s = match_form(path);
    input.include.is_match(&s) && !input.exclude.is_match(&s)
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
        t.flush(&stats, &mut out);
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
    fn a_file_quiet_long_before_its_rotation_is_kept_for_the_lines_after_it() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("a.log");
        std::fs::write(&p, "one\n").unwrap();
        let inp = input(d.path(), "");
        let stats = Stats::default();
        let mut t = Tailer::open(&p, 0, &inp, None).unwrap();
        let mut out = Vec::new();
        t.read(1 << 20, &stats, &mut out).unwrap();
        t.flush(&stats, &mut out);
        let idle = Duration::from_secs(2);
        // An hour without a line, as a nightly job's log between two runs.
        let later = Instant::now() + Duration::from_secs(3600);
        assert!(!t.released(false, false, later, idle), "still at its path");
        // Rotation, seen by a pass before the writer's last line lands in the renamed file.
        std::fs::rename(&p, d.path().join("a.log.1")).unwrap();
        assert!(!t.released(false, false, later, idle));
        assert_eq!(t.release_deadline(idle), Some(later + idle));
        std::fs::OpenOptions::new()
            .append(true)
            .open(d.path().join("a.log.1"))
            .unwrap()
            .write_all(b"two\n")
            .unwrap();
        out.clear();
        t.check(&stats, &mut out).unwrap();
        t.read(1 << 20, &stats, &mut out).unwrap();
        t.flush(&stats, &mut out);
        assert_eq!(
            out.iter().map(|e| e.text.as_str()).collect::<Vec<_>>(),
            ["two"]
        );
        // Let go once quiet for the grace period after the move, and not before.
        let t_growth = t.last_growth;
        let after = later.max(t_growth) + idle;
        assert!(!t.released(false, false, after - Duration::from_millis(1), idle));
        assert!(t.released(false, false, after, idle));
        // `--once` lets a moved file go at once.
        let mut t = Tailer::open(&d.path().join("a.log.1"), 0, &inp, None).unwrap();
        std::fs::rename(d.path().join("a.log.1"), d.path().join("a.log.2")).unwrap();
        assert!(t.released(false, true, Instant::now(), idle));
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
        t.flush(&stats, &mut out);
        assert_eq!(out.len(), 2);
        assert_eq!(out[1].resume as usize, text.len());
    }

    #[test]
    fn an_over_long_line_is_flagged_on_its_own_event_and_counted() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("a.log");
        let long = format!("2026-03-02 10:00:01 BIG {}", "x".repeat(3 << 20));
        // Joined (`auto`): the cut line comes out when the next event starts; then the last
        // line, cut and without a newline, comes out of the flush.
        std::fs::write(&p, format!("{long}\nsmall one\n{long}")).unwrap();
        let inp = input(d.path(), "max_line_bytes = 1024\nsourcetype = \"auto\"\n");
        let stats = Stats::default();
        let mut t = Tailer::open(&p, 0, &inp, None).unwrap();
        let mut out = Vec::new();
        while t.read(1 << 20, &stats, &mut out).unwrap() > 0 {}
        t.flush(&stats, &mut out);
        let flags: Vec<(usize, bool)> = out.iter().map(|e| (e.text.len(), e.truncated)).collect();
        assert_eq!(flags, [(1024, true), (9, false), (1024, true)]);
        assert_eq!(stats.lines_truncated.load(Ordering::Relaxed), 2);
    }

    #[test]
    fn binary_files_are_skipped_unless_shipped() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("blob.log");
        let mut bytes = b"PK\x03\x04".to_vec();
        bytes.extend((0..200_000u32).map(|i| (i % 251) as u8));
        std::fs::write(&p, &bytes).unwrap();
        let stats = Stats::default();
        let mut out = Vec::new();
        let mut t = Tailer::open(&p, 0, &input(d.path(), ""), None).unwrap();
        assert_eq!(t.read(1 << 20, &stats, &mut out).unwrap(), 0);
        assert!(t.binary && out.is_empty());
        assert_eq!(stats.binary_skipped.load(Ordering::Relaxed), 1);
        let mut t = Tailer::open(&p, 0, &input(d.path(), "binary = \"ship\"\n"), None).unwrap();
        assert!(t.read(1 << 20, &stats, &mut out).unwrap() > 0);
        assert!(!out.is_empty());
        // Text with a few control bytes (ANSI colours, form feeds) is still text.
        assert!(!looks_binary(
            b"\x1b[31mERROR\x1b[0m disk full\n\x0cpage 2\n"
        ));
        assert!(looks_binary(b"text\0more"));
    }

    #[test]
    fn csv_header_names_the_fields_and_is_no_event() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("e.log");
        std::fs::write(&p, "Level,Date,Message\nError,02/03/2026 10:00:00,\"disk\nfull\"\nInfo,02/03/2026 10:00:01,ok\n").unwrap();
        let text = format!(
            "state_dir = \"/tmp/s\"\n[output]\nurls = [\"http://x\"]\ntoken = \"t\"\n[[input]]\npath = \"{}/*.log\"\nsourcetype = \"evt\"\n[sourcetypes.evt]\nheader = \"csv\"\n",
            d.path().display()
        );
        let inp = Config::parse(&text, Path::new("t.toml"))
            .unwrap()
            .inputs
            .remove(0);
        let stats = Stats::default();
        let mut t = Tailer::open(&p, 0, &inp, None).unwrap();
        let mut out = Vec::new();
        t.read(1 << 20, &stats, &mut out).unwrap();
        t.flush(&stats, &mut out);
        let rows: Vec<Option<Vec<(String, Value)>>> =
            out.iter().map(|e| t.header_fields(&e.text)).collect();
        assert_eq!(rows.len(), 3, "{out:?}");
        assert!(rows[0].is_none());
        let row = rows[1].as_ref().unwrap();
        assert_eq!(row[2], ("Message".into(), Value::Str("disk\nfull".into())));
        // Resumed after the header: the names are read again from the file's start.
        let resume = out[1].resume;
        let mut t = Tailer::open(&p, 0, &inp, Some((t.fp, resume))).unwrap();
        let mut out = Vec::new();
        t.read(1 << 20, &stats, &mut out).unwrap();
        t.flush(&stats, &mut out);
        let row = t.header_fields(&out[0].text).unwrap();
        assert_eq!(row[0], ("Level".into(), Value::Str("Info".into())));
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
