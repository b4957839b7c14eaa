//! `cluster` and `patterns`: events grouped by the shape of their text, so that a
//! million lines read as a few dozen templates. Both share one grouping, close to
//! Drain's (He et al., 2017) without its per-system configuration: a value is split on
//! blanks and punctuation, tokens holding a digit, names, paths, addresses, dates, `key=`
//! values, severity words and the words of a line's header (found by its shape, see
//! [`header_end`]) are variables (`<*>`, a run of them counting as one), and an event joins
//! the template of the same length and the same first word after the header that differs
//! from it in fewer than the fraction `1 - t` of its constant tokens; positions where
//! members differ become `<*>` in the template. At the end the templates settle (see
//! [`Grouper::settle`]). `match=termset` and `match=ngramset` compare sets of words or of
//! three-letter sequences of the masked message instead, as Splunk's `cluster` can.

use crate::ast::{Command, CommandKind};
use crate::plan::{ExecContext, ExecError, Operator, Opts, PlanError};
use crate::row::{text_ref, Row, RowBatch};
use loupe_event::Value;
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

/// How two values are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Match {
    /// Token by token, in order (Splunk's default).
    Termlist,
    /// The sets of tokens.
    Termset,
    /// The sets of three-character sequences.
    Ngramset,
}

const WILDCARD: &str = "<*>";

/// Characters that end a token besides blanks: the punctuation that glues a name to
/// its value (`uid=0`, `onExtend:1514`, `sshd[24200]`, `a|b|c`), so the name stays a
/// constant word while the value is masked. All are ASCII, so a value is scanned byte by
/// byte.
const SEPARATORS: [bool; 256] = {
    let mut t = [false; 256];
    let marks = b" \t\n\r\x0b\x0c=:,;|()[]{}\"'<>@";
    let mut i = 0;
    while i < marks.len() {
        t[marks[i] as usize] = true;
        i += 1;
    }
    t
};

fn is_separator_byte(b: u8) -> bool {
    SEPARATORS[b as usize]
}

fn is_separator(c: char) -> bool {
    c.is_ascii() && is_separator_byte(c as u8)
}

/// Month and weekday names are parts of dates, so variables like the digits around them.
fn is_date_word(t: &str) -> bool {
    if t.len() != 3 || !t.starts_with(|c: char| c.is_ascii_uppercase()) {
        return false;
    }
    const NAMES: [&str; 19] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec", "Mon",
        "Tue", "Wed", "Thu", "Fri", "Sat", "Sun",
    ];
    NAMES.contains(&t)
}

/// Severity words say how bad an event is, not what it is (the same message is logged at
/// two levels), and a header's level sits among its other variables.
fn is_level(t: &str) -> bool {
    if !(4..=8).contains(&t.len()) || !t.starts_with(|c: char| c.is_ascii_uppercase()) {
        return false;
    }
    const LEVELS: [&str; 18] = [
        "INFO", "WARN", "WARNING", "ERROR", "DEBUG", "TRACE", "FATAL", "NOTICE", "CRITICAL",
        "SEVERE", "Info", "Warning", "Warn", "Error", "Debug", "Trace", "Fatal", "Notice",
    ];
    LEVELS.contains(&t)
}

/// Units written after a number (`18.4 KB`, `<1 sec`) belong to the number's variable.
fn is_unit(t: &str) -> bool {
    matches!(
        t,
        "B" | "KB"
            | "kB"
            | "MB"
            | "GB"
            | "TB"
            | "KiB"
            | "MiB"
            | "GiB"
            | "TiB"
            | "s"
            | "sec"
            | "secs"
            | "ms"
            | "us"
            | "ns"
    )
}

/// The end of an RFC 3164 syslog header, wherever the line has it (a collector may prefix
/// its own): `Jun 14 15:16:01 combo sshd(pam_unix)[19939]:` — the host and the program tag
/// change with the sender, not with the kind of event. The first match of
/// `[A-Z][a-z]{2} +\d{1,2} \d{2}:\d{2}:\d{2} +\S+ +[^\s:]+:`, found by hand: a regex costs
/// more than the rest of an event's tokenizing. Without a tag closed by `:`
/// (`sandboxd[129] ([31211]):`), the header ends after the host.
fn syslog_header_end(head: &str) -> Option<usize> {
    let b = head.as_bytes();
    let digit = |i: usize| b[i].is_ascii_digit();
    let space = |i: usize| b.get(i).is_some_and(|c| c.is_ascii_whitespace());
    for i in 1..b.len().saturating_sub(8) {
        if !(b[i + 2] == b':'
            && b[i + 5] == b':'
            && digit(i)
            && digit(i + 1)
            && digit(i + 3)
            && digit(i + 4)
            && digit(i + 6)
            && digit(i + 7)
            && b[i - 1] == b' ')
        {
            continue;
        }
        // Before the time: `Mmm`, blanks, a day of one or two digits and one space.
        let mut j = i - 1;
        let day = (1..=2).take_while(|k| j >= *k && digit(j - k)).count();
        if day == 0 {
            continue;
        }
        j -= day;
        let spaces = (1..=j).take_while(|k| b[j - k] == b' ').count();
        if spaces == 0 || j - spaces < 3 {
            continue;
        }
        j -= spaces;
        if !(b[j - 3].is_ascii_uppercase()
            && b[j - 2].is_ascii_lowercase()
            && b[j - 1].is_ascii_lowercase())
        {
            continue;
        }
        // After it: blanks, a host, blanks, a tag and its `:`.
        let mut k = i + 8;
        if !space(k) {
            continue;
        }
        while space(k) {
            k += 1;
        }
        let host = k;
        while k < b.len() && !space(k) {
            k += 1;
        }
        if k == host || !space(k) {
            continue;
        }
        let host_end = k;
        while space(k) {
            k += 1;
        }
        let tag = k;
        while k < b.len() && !space(k) && b[k] != b':' {
            k += 1;
        }
        if k > tag && b.get(k) == Some(&b':') {
            return Some(k + 1);
        }
        // A tag not closed by `:` (`sandboxd[129] ([31211]):`): the header ends at the host.
        return Some(host_end);
    }
    None
}

/// Most blank-separated fields a header's scan looks at.
const HEADER_FIELDS: usize = 12;

/// Most words that are not header fields (`partition status`, `RAS KERNEL`) a header may hold
/// before a severity or a Unix time, which then ends the header.
const HEADER_WORDS: usize = 3;

/// A severity as a header writes it: a word (`INFO`, `Info`, `[notice]` aside) or a
/// single letter (`I`, `W`, `E` — logcat and glog).
fn is_header_level(field: &str) -> bool {
    let w = field.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    is_level(w) || matches!(w, "V" | "D" | "I" | "W" | "E" | "F")
}

/// A Unix time in seconds (nine or ten digits), which headers write beside their dates.
fn is_epoch(field: &str) -> bool {
    (9..=10).contains(&field.len()) && field.bytes().all(|b| b.is_ascii_digit())
}

/// The end of the field that starts `s`: at the next blank, or after the `]` that closes
/// a `[` it opens (`[Sun Dec 04 04:47:44 2005]`, `[QuorumPeer[myid=1]/…]`).
fn field_end(s: &str) -> usize {
    if s.starts_with('[') {
        let mut depth = 0usize;
        for (i, b) in s.bytes().enumerate() {
            match b {
                b'[' => depth += 1,
                b']' => {
                    depth -= 1;
                    if depth == 0 {
                        return i
                            + 1
                            + s[i + 1..]
                                .find(char::is_whitespace)
                                .unwrap_or(s.len() - i - 1);
                    }
                }
                _ => {}
            }
        }
    }
    s.find(char::is_whitespace).unwrap_or(s.len())
}

/// Where the message starts, when the line has a header that Drain would be told of by a
/// per-system format (Loupe is not). Every word before it is a variable: timestamps, hosts,
/// pids, threads, levels and components say who logged, not what.
///
/// - An RFC 3164 header, wherever the line has it.
/// - In a line that starts with a timestamp (a field holding a digit, a bracketed one, or
///   `-`): the fields holding a digit, `-` and bracketed fields that follow it, and further
///   through a severity or a Unix time that comes at most [`HEADER_WORDS`] other words later
///   (`- 1117838570 … RAS KERNEL INFO`, `2286759 full partition status 1061219795 -1`), then
///   bracketed fields and `-` (`INFO [main]`), then one component ending with `: `
///   (`org.a.MRAppMaster: Created …`). A message's own `Lot 1: …` is not a component.
/// - In a line whose first field is `|`-separated (`20171223-22:15:29:633|Step_LSC|3000|…`),
///   everything up to its last `|`.
fn header_end(s: &str) -> usize {
    let head = &s[..s.floor_char_boundary(160)];
    if let Some(end) = syslog_header_end(head) {
        return end;
    }
    let first = head.split(char::is_whitespace).next().unwrap_or("");
    let digit = |f: &str| f.bytes().any(|b| b.is_ascii_digit());
    if !(digit(first) || first == "-") {
        return 0;
    }
    if first.starts_with(|c: char| c.is_ascii_digit()) {
        if let Some(i) = first.rfind('|') {
            return i + 1;
        }
    }
    let mut end = 0;
    let mut pos = 0;
    let mut pending = 0;
    let mut after_level = false;
    // Bracketed fields (thread names) may be long: they are looked for in the whole line.
    let head = &s[..s.floor_char_boundary(400)];
    for _ in 0..HEADER_FIELDS {
        let rest = &head[pos..];
        let skip = rest.len() - rest.trim_start().len();
        let start = pos + skip;
        if start >= head.len() {
            break;
        }
        let len = field_end(&head[start..]);
        let field = &head[start..start + len];
        pos = start + len;
        let weak = field == "-" || digit(field) || field.starts_with('[');
        let level = is_header_level(field);
        if pending == 0
            && end > 0
            && field.len() > 1
            && field.ends_with(':')
            && field.chars().any(char::is_alphabetic)
            && head[pos..].starts_with(char::is_whitespace)
        {
            // The word right after the header names a component when it ends with `:`.
            return pos;
        } else if (level || is_epoch(field)) && !after_level {
            // Ends the header so far, with the words since its last field.
            pending = 0;
            end = pos;
            after_level = level;
        } else if weak && pending == 0 {
            end = pos;
        } else if pending == 0 && after_level && head[pos..].starts_with("  ") {
            // A word padded to a column after the severity: a component (`Info  CBS  …`).
            end = pos;
        } else {
            pending += 1;
            if pending > HEADER_WORDS {
                break;
            }
        }
    }
    end
}

/// Paths, URLs, host names and file names (`/var/log`, `go.microsoft.com`,
/// `chrome.exe`) name things the event is about, not what kind of event it is.
fn is_name(word: &str) -> bool {
    let b = word.as_bytes();
    word.contains('/')
        || b.windows(3)
            .any(|w| w[1] == b'.' && w[0].is_ascii_alphanumeric() && w[2].is_ascii_alphanumeric())
}

/// One word of a value: the separators before it as written (kept only to write the
/// template back) and its text, `<*>` when it is a variable. An event's tokens borrow from
/// its text, so comparing it with the templates allocates nothing; a template owns its own.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Token<'a> {
    sep: Cow<'a, str>,
    text: Cow<'a, str>,
}

impl Token<'_> {
    fn into_owned(self) -> Token<'static> {
        Token {
            sep: Cow::Owned(self.sep.into_owned()),
            text: Cow::Owned(self.text.into_owned()),
        }
    }

    fn is_variable(&self) -> bool {
        self.text == WILDCARD
    }
}

/// The length of a parenthesized aside that only restates values (`(18.4 KB)`,
/// `(20020519)`), `tail` starting just inside it: through its `)`. An optional aside
/// changes neither what an event is nor, dropped, its number of tokens.
fn numeric_aside(tail: &str) -> Option<usize> {
    let close = tail.find([')', '('])?;
    if !tail[close..].starts_with(')') {
        return None;
    }
    let mut words = tail[..close].split(is_separator).filter(|w| !w.is_empty());
    let mut any = false;
    for w in words.by_ref() {
        if !(w.bytes().any(|b| b.is_ascii_digit()) || is_unit(w)) {
            return None;
        }
        any = true;
    }
    any.then_some(close + 1)
}

/// The length of a MAC or IPv6 address (`5c:50:15:4c:18:1c`, `2607:f140::8`) that starts
/// `tail`: hex groups of at most four digits joined by two `:` or more, a digit among them,
/// ending the word. Split at its `:`, its letter groups (`ed`, `fecd`) would read as words.
fn hex_address(tail: &str) -> Option<usize> {
    let b = tail.as_bytes();
    let (mut colons, mut group, mut digit) = (0, 0, false);
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b':' => {
                colons += 1;
                group = 0;
            }
            c if c.is_ascii_hexdigit() => {
                group += 1;
                digit |= c.is_ascii_digit();
                if group > 4 {
                    return None;
                }
            }
            _ => break,
        }
        i += 1;
    }
    let ends = b
        .get(i)
        .is_none_or(|c| c.is_ascii_whitespace() || b",;)]'\"".contains(c));
    (colons >= 2 && digit && ends && b[i - 1] != b':').then_some(i)
}

/// An event's tokens, the separators after its last one, and how many of its tokens are
/// its header's (0 or 1: a header is all variables).
struct Tokens<'a> {
    toks: Vec<Token<'a>>,
    tail: &'a str,
    lead: usize,
}

/// Tokens of a value, variables masked: words holding a digit, date words, severity
/// words, header words, units after a number, a name glued to a number in parentheses
/// (`LOCAL(0)`) and the value after `=` (all of it when quoted: `tag="View Lock"`) are
/// variables; a run of dots ends a word (`icbi.........0`); parenthesized asides of
/// numbers (`(18.4 KB)`) are dropped; and a run of variables becomes one `<*>`, so that a
/// list of numbers, a timestamp or an address of any length gives the same template.
fn tokens(s: &str) -> Tokens<'_> {
    let mut out: Vec<Token<'_>> = Vec::with_capacity(32);
    let header = header_end(s);
    let mut lead = 0;
    let mut rest = s;
    // The quote that opened a `key="value"` still open: its words are the value.
    let mut quoted_value: Option<char> = None;
    loop {
        let start = rest
            .bytes()
            .position(|b| !is_separator_byte(b))
            .unwrap_or(rest.len());
        let (sep, tail) = rest.split_at(start);
        if quoted_value.is_some_and(|q| sep.contains(q)) {
            quoted_value = None;
        }
        if sep.ends_with("=\"") || sep.ends_with("='") {
            quoted_value = sep.chars().next_back();
        }
        if tail.is_empty() {
            return Tokens {
                toks: out,
                tail: sep,
                lead,
            };
        }
        let in_header = s.len() - tail.len() < header;
        if !in_header && quoted_value.is_none() && sep.trim_end().ends_with('(') {
            if let Some(n) = numeric_aside(tail) {
                rest = &tail[n..];
                continue;
            }
        }
        // A word ends at a separator, or at a run of dots after its first character.
        let t = tail.as_bytes();
        let mut end = 1;
        while end < t.len()
            && !is_separator_byte(t[end])
            && !(t[end] == b'.' && t.get(end + 1) == Some(&b'.'))
        {
            end += 1;
        }
        if t[0] == b'.' {
            end = t
                .iter()
                .position(|&b| is_separator_byte(b))
                .unwrap_or(t.len());
        }
        let address = hex_address(tail);
        if let Some(n) = address {
            end = n;
        }
        let (word, after) = tail.split_at(end);
        rest = after;
        if word.bytes().all(|b| b == b'-' || b == b'.')
            || word.len() < 2 && !word.as_bytes()[0].is_ascii_alphanumeric()
        {
            // Dashes alone (`- - -` standing for absent values) say nothing about the event.
            continue;
        }
        let after_variable = out.last().is_some_and(Token::is_variable);
        let variable = in_header
            || address.is_some()
            || quoted_value.is_some()
            || word.bytes().any(|b| b.is_ascii_digit())
            || is_date_word(word)
            || is_level(word)
            || is_name(word)
            || sep.ends_with('=')
            || (after_variable && is_unit(word))
            || after
                .strip_prefix('(')
                .is_some_and(|a| numeric_aside(a).is_some());
        if variable && after_variable {
            continue;
        }
        out.push(Token {
            sep: Cow::Borrowed(sep),
            text: Cow::Borrowed(if variable { WILDCARD } else { word }),
        });
        if in_header {
            lead = out.len();
        }
    }
}

/// Separators as written in a template: a run of blanks reads as one space.
fn squash_blanks(sep: &str) -> String {
    let mut out = String::with_capacity(sep.len());
    for c in sep.chars() {
        if c.is_whitespace() {
            if !out.ends_with(' ') {
                out.push(' ');
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// A template written back as text.
fn render(template: &[Token<'_>], tail: &str) -> String {
    let mut out = String::new();
    for t in template {
        out.push_str(&squash_blanks(&t.sep));
        out.push_str(&t.text);
    }
    out.push_str(tail);
    out.trim_start().to_string()
}

/// The three-character sequences of an event's message: its tokens after the header,
/// variables masked, joined by spaces. Taken from the raw text, the digits of a timestamp,
/// an id and an address make every event its own cluster at `t=0.8` (on Loghub's HDFS
/// sample, 1999 clusters for 2000 lines, where there are 14 kinds); masked, only the words
/// that say what happened count. Each sequence is packed into one number (three 21-bit
/// code points), sorted, so that two sets intersect by a merge, without hashing.
fn ngrams(toks: &[Token<'_>], lead: usize) -> Vec<u64> {
    let mut chars: Vec<char> = Vec::with_capacity(128);
    for t in toks.get(lead..).unwrap_or_default() {
        if !chars.is_empty() {
            chars.push(' ');
        }
        chars.extend(t.text.chars());
    }
    let mut grams: Vec<u64> = chars
        .windows(3)
        .map(|w| (u64::from(w[0]) << 42) | (u64::from(w[1]) << 21) | u64::from(w[2]))
        .collect();
    grams.sort_unstable();
    grams.dedup();
    grams
}

/// The Jaccard index of two sorted sets of n-grams.
fn jaccard_sorted(a: &[u64], b: &[u64]) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    let (mut i, mut j, mut inter) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                inter += 1;
                i += 1;
                j += 1;
            }
        }
    }
    inter as f64 / (a.len() + b.len() - inter) as f64
}

/// Whether sets of these sizes can reach a Jaccard index of `t` at all: it is at most
/// the smaller size over the larger, so most groups are ruled out before their sets are
/// compared.
fn sizes_can_match(a: usize, b: usize, t: f64) -> bool {
    let (lo, hi) = if a < b { (a, b) } else { (b, a) };
    hi == 0 || lo as f64 >= t * hi as f64 - 1e-9
}

/// An event's tokens as one key: events whose masked tokens are the same have the same
/// sets, so they join the same cluster without comparing sets again.
fn masked_key(toks: &[Token<'_>]) -> String {
    let mut key = String::with_capacity(64);
    for t in toks {
        key.push_str(&t.text);
        key.push('\u{1f}');
    }
    key
}

struct Group {
    template: Vec<Token<'static>>,
    /// The separators after the template's last token in its first event.
    tail: String,
    set: HashSet<String>,
    grams: Vec<u64>,
    count: usize,
    /// Where its first event is in the output (`cluster` keeps that event).
    first: usize,
    /// How many of its tokens are the header's.
    lead: usize,
    /// The group it was merged into when the grouping settled.
    merged_into: Option<usize>,
}

/// The grouping shared by `cluster` and `patterns`.
pub(crate) struct Grouper {
    threshold: f64,
    mode: Match,
    groups: Vec<Group>,
    /// Group numbers by template length and first word after the header (termlist, as
    /// Drain's prefix tree does: a message's first word says most about its kind), or all in
    /// bucket 0.
    by_len: HashMap<(usize, u64), Vec<usize>, foldhash::fast::FixedState>,
    max_groups: usize,
    /// With sets (termset, ngramset): the group of each masked token sequence seen, so an
    /// event like one before it joins that event's group at once (the sets are compared with
    /// every group otherwise).
    seen: HashMap<String, usize, foldhash::fast::FixedState>,
}

impl Grouper {
    pub(crate) fn new(threshold: f64, mode: Match, max_groups: usize) -> Grouper {
        Grouper {
            threshold,
            mode,
            groups: Vec::new(),
            by_len: HashMap::default(),
            max_groups,
            seen: HashMap::default(),
        }
    }

    /// The group of `value` (created when none is close enough), 0-based in order of creation.
    pub(crate) fn add(&mut self, value: &str, position: usize) -> Result<usize, ExecError> {
        let Tokens { toks, tail, lead } = tokens(value);
        let bucket = match self.mode {
            Match::Termlist => (toks.len(), toks.get(lead).map_or(0, |t| hash_word(&t.text))),
            _ => (0, 0),
        };
        let key = match self.mode {
            Match::Termlist => None,
            _ => {
                let key = masked_key(&toks);
                if let Some(&g) = self.seen.get(&key) {
                    self.groups[g].count += 1;
                    return Ok(g);
                }
                Some(key)
            }
        };
        let set: HashSet<String> = match self.mode {
            Match::Termset => toks.iter().map(|t| t.text.to_string()).collect(),
            _ => HashSet::new(),
        };
        let grams = match self.mode {
            Match::Ngramset => ngrams(&toks, lead),
            _ => Vec::new(),
        };
        // Only the event's constant tokens say what it is: variables (masked here) are
        // equal everywhere, and a template's `<*>` is no evidence.
        let constant = toks.iter().filter(|t| !t.is_variable()).count();
        let mut best: Option<(usize, f64)> = None;
        for &g in self.by_len.get(&bucket).into_iter().flatten() {
            let grp = &self.groups[g];
            let sim = match self.mode {
                Match::Termlist => {
                    if constant == 0 {
                        1.0
                    } else {
                        if grp.template.get(lead).map(|t| &t.text)
                            != toks.get(lead).map(|t| &t.text)
                        {
                            continue;
                        }
                        let same = grp
                            .template
                            .iter()
                            .zip(&toks)
                            .filter(|(a, b)| a.text == b.text && !b.is_variable())
                            .count();
                        if !close_enough(same, constant, self.threshold) {
                            continue;
                        }
                        same as f64 / constant as f64
                    }
                }
                Match::Termset => {
                    if !sizes_can_match(grp.set.len(), set.len(), self.threshold) {
                        continue;
                    }
                    jaccard(&grp.set, &set)
                }
                Match::Ngramset => {
                    if !sizes_can_match(grp.grams.len(), grams.len(), self.threshold) {
                        continue;
                    }
                    jaccard_sorted(&grp.grams, &grams)
                }
            };
            if (self.mode == Match::Termlist || sim >= self.threshold)
                && best.is_none_or(|(_, b)| sim > b)
            {
                best = Some((g, sim));
            }
        }
        if let Some((g, _)) = best {
            self.remember(key, g);
            let grp = &mut self.groups[g];
            grp.count += 1;
            if self.mode == Match::Termlist {
                for (t, x) in grp.template.iter_mut().zip(&toks) {
                    if t.text != x.text {
                        t.text = Cow::Borrowed(WILDCARD);
                    }
                }
            }
            return Ok(g);
        }
        if self.groups.len() >= self.max_groups {
            return Err(ExecError::limit(
                "cluster",
                "clusters",
                self.max_groups,
                "max_groups",
            ));
        }
        self.groups.push(Group {
            template: toks.into_iter().map(Token::into_owned).collect(),
            tail: squash_blanks(tail).trim_end().to_string(),
            set,
            grams,
            count: 1,
            first: position,
            lead,
            merged_into: None,
        });
        self.by_len
            .entry(bucket)
            .or_default()
            .push(self.groups.len() - 1);
        self.remember(key, self.groups.len() - 1);
        Ok(self.groups.len() - 1)
    }

    /// Keeps the group of a masked token sequence, up to [`MAX_SEEN`] of them (`patterns`
    /// keeps no rows, so this map is what would grow with the events).
    fn remember(&mut self, key: Option<String>, g: usize) {
        if let Some(key) = key {
            if self.seen.len() < MAX_SEEN {
                self.seen.insert(key, g);
            }
        }
    }
}

/// Most distinct masked token sequences whose group is remembered.
const MAX_SEEN: usize = 100_000;

/// Most templates of one length and first word compared pairwise when the grouping settles.
const SETTLE_PAIRS: usize = 4096;

/// Templates that differ only at one position, in at least this many distinct words, merge:
/// the word there is a variable (a user or service name) the tokenizer could not tell.
const SETTLE_DISTINCT: usize = 4;

impl Grouper {
    /// Merges templates once every event is in (termlist only): a template whose every
    /// difference from another falls on the other's `<*>` and that shares the fraction `t`
    /// of its constant words with it is one of its instances (an event that came first and
    /// formed its own group: `user admin` before `user <*>`), and templates that differ at a
    /// single position in [`SETTLE_DISTINCT`] distinct words or more are one. Returns each
    /// group's final number, 0-based in order of creation.
    pub(crate) fn settle(&mut self) -> Vec<usize> {
        if self.mode == Match::Termlist {
            let buckets: Vec<Vec<usize>> = self.by_len.values().cloned().collect();
            for bucket in buckets {
                self.settle_bucket(bucket);
            }
        }
        let mut number = vec![0; self.groups.len()];
        let mut next = 0;
        for g in 0..self.groups.len() {
            let root = self.root(g);
            if root == g {
                number[g] = next;
                next += 1;
            } else {
                number[g] = number[root];
            }
        }
        number
    }

    /// The group that `g` was merged into in the end (itself if none).
    fn root(&self, mut g: usize) -> usize {
        while let Some(r) = self.groups[g].merged_into {
            g = r;
        }
        g
    }

    fn settle_bucket(&mut self, mut live: Vec<usize>) {
        loop {
            let mut merged = false;
            if live.len() <= SETTLE_PAIRS {
                // The most general first, so that an instance joins the widest template.
                live.sort_by_key(|&g| {
                    let wild = self.groups[g]
                        .template
                        .iter()
                        .filter(|t| t.is_variable())
                        .count();
                    (std::cmp::Reverse(wild), g)
                });
                let mut i = live.len();
                while i > 1 {
                    i -= 1;
                    let a = live[i];
                    let target = live[..i].iter().copied().find(|&b| self.instance_of(a, b));
                    if let Some(b) = target {
                        self.merge(a, b);
                        live.remove(i);
                        merged = true;
                    }
                }
            }
            let len = live.first().map_or(0, |&g| self.groups[g].template.len());
            for pos in 0..len {
                let mut by_rest: HashMap<Vec<&str>, Vec<usize>> = HashMap::new();
                for &g in &live {
                    let t = &self.groups[g].template;
                    let rest: Vec<&str> = t
                        .iter()
                        .enumerate()
                        .filter(|(j, _)| *j != pos)
                        .map(|(_, t)| &*t.text)
                        .collect();
                    by_rest.entry(rest).or_default().push(g);
                }
                let mut sets: Vec<Vec<usize>> = by_rest
                    .into_values()
                    .filter(|gs| gs.len() >= SETTLE_DISTINCT)
                    .collect();
                if sets.is_empty() {
                    continue;
                }
                for gs in &mut sets {
                    gs.sort_unstable();
                    for &a in &gs[1..] {
                        self.merge(a, gs[0]);
                    }
                }
                live.retain(|&g| self.groups[g].merged_into.is_none());
                merged = true;
            }
            if !merged {
                return;
            }
        }
    }

    /// Whether group `a`'s template is an instance of `b`'s: equal wherever `b` is constant,
    /// and sharing the fraction `t` of `a`'s constant words.
    fn instance_of(&self, a: usize, b: usize) -> bool {
        let (ta, tb) = (&self.groups[a].template, &self.groups[b].template);
        let lead = self.groups[a].lead;
        if ta.get(lead).map(|t| &t.text) != tb.get(lead).map(|t| &t.text) {
            return false;
        }
        let mut constant = 0;
        let mut same = 0;
        for (x, y) in ta.iter().zip(tb) {
            if !y.is_variable() && x.text != y.text {
                return false;
            }
            if !x.is_variable() {
                constant += 1;
                same += usize::from(x.text == y.text);
            }
        }
        close_enough(same, constant, self.threshold)
    }

    /// Group `a` joins `b`: its events, and `<*>` where their templates differ.
    fn merge(&mut self, a: usize, b: usize) {
        let (count, first) = (self.groups[a].count, self.groups[a].first);
        let ta = std::mem::take(&mut self.groups[a].template);
        let grp = &mut self.groups[b];
        grp.count += count;
        grp.first = grp.first.min(first);
        for (t, x) in grp.template.iter_mut().zip(&ta) {
            if t.text != x.text {
                t.text = Cow::Borrowed(WILDCARD);
            }
        }
        self.groups[a].template = ta;
        self.groups[a].merged_into = Some(b);
    }
}

/// Whether an event (or a template) with `constant` constant words, `same` of them equal in
/// a template, is close enough to join it: all equal, or fewer than the fraction `1 - t`
/// of them different — so that with `t=0.8` one word in ten may differ, but not one in five
/// (`VM Paused`, `VM Resumed`).
fn close_enough(same: usize, constant: usize, t: f64) -> bool {
    same == constant || ((constant - same) as f64) < (1.0 - t) * constant as f64 - 1e-9
}

fn hash_word(w: &str) -> u64 {
    use std::hash::BuildHasher;
    foldhash::fast::FixedState::with_seed(18).hash_one(w)
}

fn jaccard<T: std::hash::Hash + Eq>(a: &HashSet<T>, b: &HashSet<T>) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    let inter = a.intersection(b).count();
    inter as f64 / (a.len() + b.len() - inter) as f64
}

/// Builds `cluster` or `patterns`.
pub(crate) fn build(cmd: &Command, ctx: &ExecContext) -> Result<Box<dyn Operator>, PlanError> {
    let CommandKind::Args(a) = &cmd.kind else {
        return Err(PlanError::at(cmd, "not a clustering command"));
    };
    if let Some(n) = a.count {
        return Err(PlanError::at(cmd, format!("unexpected number `{n}`")));
    }
    if let Some(f) = a.fields.first() {
        return Err(PlanError::at(
            cmd,
            format!("unexpected argument `{f}` (the field is given as field=)"),
        ));
    }
    let mut o = Opts::new(cmd, &a.options);
    let field = o.take("field").unwrap_or("_raw").to_string();
    let threshold = match o.take("t") {
        None => 0.8,
        Some(v) => v
            .parse::<f64>()
            .ok()
            .filter(|t| *t > 0.0 && *t <= 1.0)
            .ok_or_else(|| PlanError::at(cmd, format!("t={v} is not a number in (0, 1]")))?,
    };
    let mode = match o.take("match").unwrap_or("termlist") {
        "termlist" => Match::Termlist,
        "termset" => Match::Termset,
        "ngramset" => Match::Ngramset,
        other => {
            return Err(PlanError::at(
                cmd,
                format!("unsupported match={other} (termlist, termset or ngramset)"),
            ))
        }
    };
    let grouper = Grouper::new(threshold, mode, ctx.limits.max_groups);
    let max_rows = ctx.limits.max_rows_buffered;
    let op: Box<dyn Operator> = if cmd.name == "patterns" {
        let countfield = o.take("countfield").unwrap_or("count").to_string();
        o.done()?;
        Box::new(Patterns {
            field,
            grouper,
            countfield,
        })
    } else {
        let showcount = o.take_bool("showcount", false)?;
        let labelonly = o.take_bool("labelonly", false)?;
        let countfield = o.take("countfield").unwrap_or("cluster_count").to_string();
        let labelfield = o.take("labelfield").unwrap_or("cluster_label").to_string();
        o.done()?;
        Box::new(Cluster {
            field,
            grouper,
            showcount,
            labelonly,
            countfield,
            labelfield,
            rows: Vec::new(),
            labels: Vec::new(),
            max_rows,
            budget: super::block::Budget::of(ctx),
        })
    };
    Ok(op)
}

/// `cluster`: without `labelonly`, the first event of each cluster; with it, every event
/// labelled with its cluster number (1-based, in order of creation).
struct Cluster {
    field: String,
    grouper: Grouper,
    showcount: bool,
    labelonly: bool,
    countfield: String,
    labelfield: String,
    rows: RowBatch,
    labels: Vec<usize>,
    max_rows: usize,
    budget: super::block::Budget,
}

impl Operator for Cluster {
    fn push(&mut self, batch: RowBatch, _out: &mut RowBatch) -> Result<(), ExecError> {
        for row in batch {
            let value = row.get(&self.field).map(text_ref).unwrap_or_default();
            let g = self.grouper.add(&value, self.rows.len())?;
            drop(value);
            self.labels.push(g);
            self.budget.charge("cluster", row.heap_bytes() + 8)?;
            self.rows.push(row);
            if self.rows.len() > self.max_rows {
                return Err(ExecError::limit(
                    "cluster",
                    "buffered rows",
                    self.max_rows,
                    "max_rows_buffered",
                ));
            }
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut RowBatch) -> Result<(), ExecError> {
        let rows = std::mem::take(&mut self.rows);
        let numbers = self.grouper.settle();
        for (i, (mut row, g)) in rows.into_iter().zip(&self.labels).enumerate() {
            let grp = &self.grouper.groups[self.grouper.root(*g)];
            if !self.labelonly && grp.first != i {
                continue;
            }
            row.set(&self.labelfield, Value::Int(numbers[*g] as i64 + 1));
            if self.showcount {
                row.set(&self.countfield, Value::Int(grp.count as i64));
            }
            out.push(row);
        }
        Ok(())
    }
}

/// `patterns`: one row per template, `pattern` and its `count`, most frequent first.
struct Patterns {
    field: String,
    grouper: Grouper,
    countfield: String,
}

impl Operator for Patterns {
    fn push(&mut self, batch: RowBatch, _out: &mut RowBatch) -> Result<(), ExecError> {
        for row in batch {
            let Some(value) = row.get(&self.field).map(text_ref) else {
                continue;
            };
            self.grouper.add(&value, 0)?;
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut RowBatch) -> Result<(), ExecError> {
        self.grouper.settle();
        let mut groups: Vec<&Group> = self
            .grouper
            .groups
            .iter()
            .filter(|g| g.merged_into.is_none())
            .collect();
        groups.sort_by_key(|g| std::cmp::Reverse(g.count));
        for g in groups {
            // With sets, the template is the group's first event, variables masked.
            let template = render(&g.template, &g.tail);
            out.push(Row::from_pairs([
                ("pattern", Value::Str(template)),
                (self.countfield.as_str(), Value::Int(g.count as i64)),
            ]));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template(s: &str) -> String {
        let t = tokens(s);
        render(&t.toks, squash_blanks(t.tail).trim_end())
    }

    #[test]
    fn syslog_header_as_its_regex_finds_it() {
        let re =
            regex::Regex::new(r"[A-Z][a-z]{2} +\d{1,2} \d{2}:\d{2}:\d{2} +\S+ +[^\s:]+:").unwrap();
        for line in [
            "Jun 14 15:16:01 combo sshd(pam_unix)[19939]: check pass; user unknown",
            "Jul  1 09:00:55 calvisitor-10-105-160-95 kernel[0]: AppleThunderboltNHI",
            "- 1131566461 2005.11.09 dn228 Nov 9 12:01:01 dn228/dn228 crond[2915]: session",
            "Dec 10 06:55:46 LabSZ sshd[24200]: reverse mapping checking",
            "Dec 123 06:55:46 LabSZ sshd[24200]: x",
            "Dec 12  06:55:46 LabSZ sshd[24200]: x",
            "ab Dec 1 06:55:46  LabSZ   sshd: x",
            "Dec 1 06:55:46 LabSZ",
            "12:00:00 no header: here",
            "Mon Dec 1 06:55:46 a b: Tue Dec 2 07:00:00 c d:",
        ] {
            assert_eq!(
                syslog_header_end(line),
                re.find(line).map(|m| m.end()),
                "{line}"
            );
        }
        // Without a tag closed by `:`, through the host.
        let line = "Jul  1 09:29:02 calvisitor-10 sandboxd[129] ([31211]): deny";
        assert_eq!(
            syslog_header_end(line),
            Some("Jul  1 09:29:02 calvisitor-10".len())
        );
    }

    #[test]
    fn header_words_levels_and_units_are_variables() {
        // The syslog host and tag, wherever the header is.
        assert_eq!(
            template("Jun 14 15:16:01 combo sshd(pam_unix)[19939]: check pass; user unknown"),
            "<*>]: check pass; user unknown"
        );
        assert_eq!(
            template("- 1131566461 2005.11.09 dn228 Nov 9 12:01:01 dn228/dn228 crond[2915]: session closed"),
            "<*>]: session closed"
        );
        // A timestamped line's thread and component, up to its first `: `.
        assert_eq!(
            template("2015-10-18 18:01:47,978 INFO [main] org.a.MRAppMaster: Created MRAppMaster"),
            "<*>: Created MRAppMaster"
        );
        // ... but not a message's own `Lot 1:`.
        assert_eq!(
            template("02:20:10 02/03/2026 INFO  Lot 1: 1076 enregistrements"),
            "<*> Lot <*> enregistrements"
        );
        assert_eq!(
            template(r#"acquire lock=2335, tag="View Lock", name=com.android"#),
            r#"acquire lock=<*>, tag="<*>", name=<*>"#
        );
        assert_eq!(
            template("close, 451 bytes sent, 18846 bytes (18.4 KB) received"),
            "close, <*> bytes sent, <*> bytes received"
        );
        assert_eq!(
            template("synchronized to LOCAL(0), stratum 10"),
            "synchronized to <*>, stratum <*>"
        );
        assert_eq!(
            template("BSSID changed to 88:75:56:a0:95:ed, Addr: fe80::c6b3:1ff:fecd:467f"),
            "BSSID changed to <*>, Addr: <*>"
        );
        assert_eq!(
            template("data store interrupt caused by icbi.........0"),
            "data store interrupt caused by icbi<*>"
        );
    }

    #[test]
    fn headers_without_a_format() {
        // Fields through a Unix time, words between them included.
        assert_eq!(
            template("2286759 full partition status 1061219795 -1 running"),
            "<*> running"
        );
        // ... or through a severity.
        assert_eq!(
            template("- 1117838570 2005.06.03 R02-M1-N0-C:J12-U11 2005-06-03-15.42.50.675872 R02-M1-N0-C:J12-U11 RAS KERNEL INFO instruction cache parity error corrected"),
            "<*> instruction cache parity error corrected"
        );
        // Bracketed threads after the severity, but not the message's own `out:`.
        assert_eq!(
            template("2015-07-29 17:41:44,747 - INFO  [QuorumPeer[myid=1]/0:0:0:0:0:0:0:0:2181:FastLeaderElection@774] - Notification time out: 3200"),
            "<*> Notification time out: <*>"
        );
        // A column padded after the severity, then a component.
        assert_eq!(
            template("2016-09-28 04:30:30, Info                  CBS    Session: 30546173_4261722401 initialized by client WindowsUpdateAgent."),
            "<*> initialized by client WindowsUpdateAgent."
        );
        // A logcat severity letter.
        assert_eq!(
            template("03-17 16:13:38.935  1702  3697 W ActivityManager: getTasks: caller 10113 does not hold REAL_GET_TASKS"),
            "<*>: getTasks: caller <*> does not hold REAL_GET_TASKS"
        );
        // `|`-separated fields.
        assert_eq!(
            template("20171223-22:15:29:633|Step_StandReportReceiver|30002312|onReceive action: android.intent.action.SCREEN_ON"),
            "<*>|onReceive action: <*>"
        );
    }
}
