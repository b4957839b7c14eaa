//! Line breaking: turns a byte stream into events, incrementally.
//!
//! Files and HTTP bodies arrive in chunks cut anywhere (mid-line, even inside a
//! UTF-8 sequence), so an [`EventBreaker`] keeps the unfinished line between
//! [`push`](EventBreaker::push) calls. Lines end at `\n`; a trailing `\r` is
//! dropped. Invalid UTF-8 is decoded lossily and flagged, never rejected.
//! Events longer than the maximum size are cut at a character boundary and
//! flagged; the rest of such an event is skipped rather than becoming new events.
//!
//! Multi-line events (stack traces) are joined according to a [`LineBreaking`]
//! rule. In the joining modes an event is only complete when the next event
//! starts, so the last event of a stream comes out of
//! [`finish`](EventBreaker::finish) (a tailer calls it when the file goes idle).
//!
//! The common case (a single-line, valid UTF-8 event inside one chunk) is handed
//! out as `Cow::Borrowed`, without copying.

use crate::timestamp::TimestampRecognizer;
use memchr::memchr;
use std::borrow::Cow;

/// Splunk's default `TRUNCATE`: events are cut beyond this many bytes unless configured.
pub const DEFAULT_MAX_EVENT_BYTES: usize = 10_000;

/// Splunk's default `MAX_EVENTS`: a joined event never spans more lines than this,
/// so a file with no recognizable timestamps cannot collapse into a few huge events.
pub const DEFAULT_MAX_LINES_PER_EVENT: usize = 256;

/// How much of a line is looked at to decide whether it starts an event; kept even
/// when the maximum event size is smaller, so detection never depends on chunking.
const DETECT_BYTES: usize = 1024;

/// One event's text as cut from the stream, before timestamping and metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawEvent<'a> {
    /// The event text, borrowed from the input when no repair was needed.
    pub text: Cow<'a, str>,
    /// The event was longer than the maximum and was cut.
    pub truncated: bool,
    /// The bytes were not valid UTF-8 and were decoded with replacement characters.
    pub lossy_utf8: bool,
}

/// How lines are grouped into events; a sourcetype property.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LineBreaking {
    /// Every non-blank line is an event (access logs, JSON lines).
    EachLine,
    /// A line that does not begin with a timestamp joins the previous event
    /// (stack traces, `Caused by:`, indented continuations).
    TimestampStart,
    /// A line that begins with whitespace joins the previous event (`auto`).
    IndentedContinuation,
}

#[derive(Debug, Clone)]
enum Join {
    None,
    Timestamp(Box<TimestampRecognizer>),
    Indent,
    /// A sourcetype's `event_start`: a line matching it starts an event.
    Pattern(regex::bytes::Regex),
}

/// Splits a byte stream into events; one per stream, fed chunk by chunk.
#[derive(Debug, Clone)]
pub struct EventBreaker {
    max: usize,
    max_lines: usize,
    join: Join,
    /// Unfinished line from earlier chunks (at most `max + 1` or `DETECT_BYTES` kept).
    carry: Vec<u8>,
    /// Bytes of the unfinished line were dropped because it is over-long.
    carry_dropped: bool,
    /// Pending joined event when it is not inside the current chunk.
    pend: Vec<u8>,
    pend_active: bool,
    pend_lines: usize,
    pend_truncated: bool,
    /// The pending event reached the maximum: its further continuation lines are dropped.
    pend_full: bool,
    /// Blank lines seen after the pending event, kept only if a continuation follows.
    pend_blanks: usize,
    /// The pending event is a CSV record inside a quoted field: the next line continues it.
    pend_quoted: bool,
}

impl EventBreaker {
    /// A breaker with the given rule; `TimestampStart` needs the sourcetype's recognizer
    /// (without one it falls back to `IndentedContinuation`).
    pub fn new(
        max_event_bytes: usize,
        rule: LineBreaking,
        recognizer: Option<TimestampRecognizer>,
    ) -> EventBreaker {
        let join = match (rule, recognizer) {
            (LineBreaking::EachLine, _) => Join::None,
            (LineBreaking::TimestampStart, Some(r)) => Join::Timestamp(Box::new(r)),
            (LineBreaking::TimestampStart, None) | (LineBreaking::IndentedContinuation, _) => {
                Join::Indent
            }
        };
        EventBreaker {
            max: max_event_bytes.max(1),
            max_lines: DEFAULT_MAX_LINES_PER_EVENT,
            join,
            carry: Vec::new(),
            carry_dropped: false,
            pend: Vec::new(),
            pend_active: false,
            pend_lines: 0,
            pend_truncated: false,
            pend_full: false,
            pend_blanks: 0,
            pend_quoted: false,
        }
    }

    /// A breaker where a line matching `event_start` starts an event and every other line
    /// continues the previous one (a sourcetype's own rule).
    pub fn with_event_start(
        max_event_bytes: usize,
        event_start: regex::bytes::Regex,
    ) -> EventBreaker {
        let mut b = EventBreaker::new(max_event_bytes, LineBreaking::EachLine, None);
        b.join = Join::Pattern(event_start);
        b
    }

    /// One event per line, the fastest mode.
    pub fn each_line(max_event_bytes: usize) -> EventBreaker {
        EventBreaker::new(max_event_bytes, LineBreaking::EachLine, None)
    }

    /// Changes the cap on lines per joined event (default [`DEFAULT_MAX_LINES_PER_EVENT`]).
    pub fn with_max_lines(mut self, max_lines: usize) -> EventBreaker {
        self.max_lines = max_lines.max(1);
        self
    }

    /// The maximum event size in bytes, as configured.
    pub fn max_event_bytes(&self) -> usize {
        self.max
    }

    /// Feeds the next chunk; complete events are passed to `out` as they are found.
    pub fn push(&mut self, chunk: &[u8], out: &mut dyn FnMut(RawEvent<'_>)) {
        let mut pos = 0;
        let mut pr: Option<(usize, usize)> = None;
        if !self.carry.is_empty() || self.carry_dropped {
            match memchr(b'\n', chunk) {
                None => {
                    self.carry_extend(chunk);
                    return;
                }
                Some(nl) => {
                    self.carry_extend(&chunk[..nl]);
                    pos = nl + 1;
                    let mut line = std::mem::take(&mut self.carry);
                    let dropped = std::mem::replace(&mut self.carry_dropped, false);
                    if !dropped && line.last() == Some(&b'\r') {
                        line.pop();
                    }
                    self.on_line(chunk, &line, None, dropped, &mut pr, out);
                    line.clear();
                    self.carry = line;
                }
            }
        }
        while let Some(nl) = memchr(b'\n', &chunk[pos..]) {
            let end = pos + nl;
            let mut e = end;
            if e > pos && chunk[e - 1] == b'\r' {
                e -= 1;
            }
            self.on_line(chunk, &chunk[pos..e], Some(pos), false, &mut pr, out);
            pos = end + 1;
        }
        self.materialize(chunk, &mut pr);
        if pos < chunk.len() {
            self.carry_extend(&chunk[pos..]);
        }
    }

    /// Ends the stream: the unfinished last line and any pending joined event come out.
    /// The breaker is then ready for a new stream.
    pub fn finish(&mut self, out: &mut dyn FnMut(RawEvent<'_>)) {
        let mut pr = None;
        if !self.carry.is_empty() || self.carry_dropped {
            let mut line = std::mem::take(&mut self.carry);
            let dropped = std::mem::replace(&mut self.carry_dropped, false);
            if !dropped && line.last() == Some(&b'\r') {
                line.pop();
            }
            self.on_line(&[], &line, None, dropped, &mut pr, out);
            line.clear();
            self.carry = line;
        }
        self.flush(&[], &mut pr, out);
        self.pend.clear();
    }

    /// Appends to the unfinished line, keeping at most `max + 1` bytes (enough to cut
    /// it) or [`DETECT_BYTES`], whichever is more.
    fn carry_extend(&mut self, bytes: &[u8]) {
        let cap = (self.max + 1).max(DETECT_BYTES);
        let room = cap.saturating_sub(self.carry.len());
        if bytes.len() <= room {
            self.carry.extend_from_slice(bytes);
        } else {
            self.carry.extend_from_slice(&bytes[..room]);
            self.carry_dropped = true;
        }
    }

    /// Handles one complete line; `line_pos` is its start in `chunk` when it lies there.
    fn on_line(
        &mut self,
        chunk: &[u8],
        line: &[u8],
        line_pos: Option<usize>,
        dropped: bool,
        pr: &mut Option<(usize, usize)>,
        out: &mut dyn FnMut(RawEvent<'_>),
    ) {
        let long = dropped || line.len() > self.max;
        let blank = line.iter().all(u8::is_ascii_whitespace);
        let start = match &mut self.join {
            Join::None => {
                if !blank {
                    let (cut, truncated) = cut_at(line, self.max, long);
                    emit(&line[..cut], truncated, out);
                }
                return;
            }
            _ if blank => {
                if self.pend_active {
                    self.pend_blanks += 1;
                }
                return;
            }
            _ if !self.pend_active || self.pend_lines >= self.max_lines => true,
            Join::Timestamp(r) => r.starts_with_timestamp(&line[..line.len().min(DETECT_BYTES)]),
            Join::Indent if self.pend_quoted => false,
            Join::Indent => !line[0].is_ascii_whitespace() && !continues_trace(line),
            Join::Pattern(re) => re.is_match(&line[..line.len().min(DETECT_BYTES)]),
        };
        if matches!(self.join, Join::Indent) {
            let odd = memchr::memchr_iter(b'"', line).count() % 2 == 1;
            self.pend_quoted = if start {
                // A CSV record (Windows Event Viewer exports) whose quoted field holds a newline.
                odd && memchr::memmem::find(line, b",\"").is_some()
            } else {
                self.pend_quoted != odd
            };
        }
        if start {
            self.flush(chunk, pr, out);
            let (cut, truncated) = cut_at(line, self.max, long);
            self.pend_active = true;
            self.pend_lines = 1;
            self.pend_truncated = truncated;
            self.pend_full = truncated;
            self.pend_blanks = 0;
            match line_pos {
                Some(p) => *pr = Some((p, p + cut)),
                None => {
                    self.pend.clear();
                    self.pend.extend_from_slice(&line[..cut]);
                }
            }
            return;
        }
        // A continuation line.
        self.pend_lines += 1;
        let blanks = std::mem::take(&mut self.pend_blanks);
        if self.pend_full {
            return;
        }
        let cur = match *pr {
            Some((s, e)) => e - s,
            None => self.pend.len(),
        };
        let seps = blanks + 1;
        if !long && cur + seps + line.len() <= self.max {
            if let (Some((s, e)), Some(p)) = (*pr, line_pos) {
                if p - e == seps && chunk[e..p].iter().all(|&c| c == b'\n') {
                    *pr = Some((s, p + line.len()));
                    return;
                }
            }
            self.materialize(chunk, pr);
            self.pend.extend(std::iter::repeat_n(b'\n', seps));
            self.pend.extend_from_slice(line);
        } else {
            self.materialize(chunk, pr);
            let room = self.max.saturating_sub(cur);
            let nl = seps.min(room);
            self.pend.extend(std::iter::repeat_n(b'\n', nl));
            let room = room - nl;
            if room > 0 {
                let (cut, _) = cut_at(line, room, true);
                self.pend.extend_from_slice(&line[..cut]);
            }
            self.pend_truncated = true;
            self.pend_full = true;
        }
    }

    /// Moves a pending event that lives in the chunk into the owned buffer.
    fn materialize(&mut self, chunk: &[u8], pr: &mut Option<(usize, usize)>) {
        if let Some((s, e)) = pr.take() {
            self.pend.clear();
            self.pend.extend_from_slice(&chunk[s..e]);
        }
    }

    /// Emits the pending joined event, if any.
    fn flush(
        &mut self,
        chunk: &[u8],
        pr: &mut Option<(usize, usize)>,
        out: &mut dyn FnMut(RawEvent<'_>),
    ) {
        if !self.pend_active {
            return;
        }
        self.pend_active = false;
        self.pend_blanks = 0;
        let truncated = self.pend_truncated;
        match pr.take() {
            Some((s, e)) => emit(&chunk[s..e], truncated, out),
            None => emit(&self.pend, truncated, out),
        }
    }
}

/// Lines of a stack trace that do not begin with whitespace but continue the event before
/// them: Java's `Caused by:` and exception lines, Python's `Traceback` header and final
/// `ValueError: ...` line, and the sentences Python puts between chained exceptions.
fn continues_trace(line: &[u8]) -> bool {
    const PREFIXES: &[&[u8]] = &[
        b"Caused by:",
        b"Suppressed:",
        b"Traceback (most recent call last)",
        b"During handling of the above exception",
        b"The above exception was the direct cause",
        b"... ",
    ];
    if PREFIXES.iter().any(|p| line.starts_with(p)) {
        return true;
    }
    // `java.lang.IllegalStateException: boom`, `ValueError: bad`, `KeyboardInterrupt`.
    let word_end = line
        .iter()
        .position(|&c| !(c.is_ascii_alphanumeric() || c == b'.' || c == b'_' || c == b'$'))
        .unwrap_or(line.len());
    if word_end == 0 || !matches!(line.get(word_end), None | Some(b':')) {
        return false;
    }
    let word = &line[..word_end];
    [
        &b"Error"[..],
        b"Exception",
        b"Throwable",
        b"Warning",
        b"Interrupt",
        b"Exit",
    ]
    .iter()
    .any(|s| word.ends_with(s))
}

/// Where to cut a line to at most `max` bytes without splitting a UTF-8 sequence.
fn cut_at(line: &[u8], max: usize, long: bool) -> (usize, bool) {
    if !long && line.len() <= max {
        return (line.len(), false);
    }
    let mut c = max.min(line.len());
    let mut back = 0;
    while c > 0 && c < line.len() && back < 3 && (line[c] & 0xC0) == 0x80 {
        c -= 1;
        back += 1;
    }
    (c, true)
}

fn emit(bytes: &[u8], truncated: bool, out: &mut dyn FnMut(RawEvent<'_>)) {
    match std::str::from_utf8(bytes) {
        Ok(s) => out(RawEvent {
            text: Cow::Borrowed(s),
            truncated,
            lossy_utf8: false,
        }),
        Err(_) => out(RawEvent {
            text: Cow::Owned(String::from_utf8_lossy(bytes).into_owned()),
            truncated,
            lossy_utf8: true,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(b: &mut EventBreaker, chunks: &[&[u8]]) -> Vec<(String, bool, bool, bool)> {
        let mut v = Vec::new();
        for c in chunks {
            b.push(c, &mut |e| {
                let borrowed = matches!(e.text, Cow::Borrowed(_));
                v.push((e.text.into_owned(), e.truncated, e.lossy_utf8, borrowed));
            });
        }
        b.finish(&mut |e| v.push((e.text.into_owned(), e.truncated, e.lossy_utf8, false)));
        v
    }

    #[test]
    fn single_lines_are_borrowed() {
        let mut b = EventBreaker::each_line(100);
        let v = run(&mut b, &[b"a\r\nb\n\n  \nc"]);
        let texts: Vec<&str> = v.iter().map(|x| x.0.as_str()).collect();
        assert_eq!(texts, ["a", "b", "c"]);
        assert!(v[0].3 && v[1].3);
    }

    #[test]
    fn cut_respects_char_boundaries() {
        let s = "aé€😀".as_bytes();
        for max in 0..s.len() + 2 {
            let (c, _) = cut_at(s, max, s.len() > max);
            assert!(std::str::from_utf8(&s[..c]).is_ok(), "max {max}");
            assert!(c <= max);
        }
    }
}
