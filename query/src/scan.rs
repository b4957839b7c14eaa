//! What the engine may run on an event's raw text itself, without building a row per event.
//!
//! `* | rex "from (?<ip>[0-9.]+)" | stats count by ip` reads two million events to find a
//! hundred thousand matches. Built as rows, every event costs a row, its fields and a pass
//! through each operator; here the regex runs on the stored text, and only a match reaches
//! `stats`, as the texts of its groups. [`RawExtraction::plan`] says when that gives exactly
//! what the operators would; [`RawExtraction::scan`] reads one text into the aggregate and
//! says what happened.
//!
//! ```
//! use loupe_query::{parse, mergeable_stats, Limits, RawExtraction, RawScan};
//! let p = parse(r#"* | rex "from (?<ip>[0-9.]+)" | stats count by ip"#).unwrap();
//! let mut stats = mergeable_stats(&p.commands[2..], &Limits::default()).unwrap().unwrap();
//! let fused = RawExtraction::plan(&p.commands[1..2], &stats).unwrap();
//! let mut scratch = fused.scratch();
//! for text in ["sshd: from 10.0.0.7 port 22", "nothing here", "from 10.0.0.7 again"] {
//!     fused.scan(text.as_bytes(), &mut scratch, &mut stats).unwrap();
//! }
//! assert!(matches!(fused.scan(b"nothing", &mut scratch, &mut stats).unwrap(), RawScan::NoMatch));
//! let rows = stats.finish();
//! assert_eq!(rows.len(), 1);
//! assert_eq!(rows[0].get("count"), Some(&loupe_query::Value::Int(2)));
//! ```

use crate::agg::AggInput;
use crate::ast::{Command, CommandKind};
use crate::ops::stats::GroupedAggs;
use crate::pcre::{CaptureSlots, SplRegex};
use crate::plan::ExecError;
use crate::row::Row;
use loupe_event::Value;
use memchr::memmem::Finder;
use std::ops::Range;

/// Most literals a match may start with that [`RawExtraction`] checks for itself; past that
/// (case-insensitive words), the regex's own search is as quick.
const MAX_PREFIXES: usize = 8;

/// A `rex` over `_raw` whose named groups are all a following `stats` reads.
#[derive(Debug, Clone)]
pub struct RawExtraction {
    re: SplRegex,
    /// The fields `stats` reads (by-fields and aggregated ones), each with its group's index.
    read: Vec<(String, usize)>,
    /// For each by-field, its position in `read`.
    by: Vec<usize>,
    /// Literals every match starts with one of: a text holding none cannot match, which a
    /// substring search says faster than the regex engine's own start-up per text.
    prefixes: Vec<Finder<'static>>,
}

/// What one event's text gave [`RawExtraction::scan`].
#[derive(Debug, PartialEq, Eq)]
pub enum RawScan {
    /// Matched: the aggregate has read it.
    Counted,
    /// The regex did not match: the event reaches `stats` without the fields `rex` would set,
    /// so it counts only if it has them from elsewhere (key=value, JSON, indexed fields).
    NoMatch,
    /// A group `stats` reads took no part in the match: the event needs the row path.
    Undecided,
}

/// Per-thread state of a scan: its own regex (the engine's caches are per regex, and a
/// shared one makes threads take turns), capture slots and group positions.
#[derive(Debug, Clone)]
pub struct ScanScratch {
    re: SplRegex,
    slots: CaptureSlots,
    groups: Vec<usize>,
    spans: Vec<Option<Range<usize>>>,
}

impl RawExtraction {
    /// `Some` when `local` is one `rex` over `_raw` keeping the first match (no `max_match`,
    /// `mode` or `offset_field`), and `stats` groups by at least one field and reads only fields
    /// the regex names. Then an event the regex does not match lacks a by-field unless the
    /// event gives it otherwise, and a match decides every value `stats` reads.
    pub fn plan(local: &[Command], stats: &GroupedAggs) -> Option<RawExtraction> {
        let [cmd] = local else {
            return None;
        };
        let CommandKind::Rex(r) = &cmd.kind else {
            return None;
        };
        if !r.options.is_empty() || r.field.as_deref().is_some_and(|f| f != "_raw") {
            return None;
        }
        if stats.by().is_empty() {
            return None;
        }
        let re = SplRegex::new(&r.pattern).ok()?;
        let aggregated = stats
            .specs()
            .iter()
            .map(|spec| match &spec.input {
                AggInput::Rows => Some(None),
                AggInput::Field(f) => Some(Some(f)),
                AggInput::Eval(_) => None,
            })
            .collect::<Option<Vec<_>>>()?;
        let mut names: Vec<&String> = Vec::new();
        for f in stats.by().iter().chain(aggregated.into_iter().flatten()) {
            if !names.contains(&f) {
                names.push(f);
            }
        }
        let read = names
            .into_iter()
            .map(|name| Some((name.clone(), re.group_index(name)?)))
            .collect::<Option<Vec<_>>>()?;
        let by = stats
            .by()
            .iter()
            .map(|f| read.iter().position(|(n, _)| n == f))
            .collect::<Option<Vec<_>>>()?;
        let prefixes = match &re {
            SplRegex::Linear(l) => required_prefixes(l.as_str()),
            SplRegex::Backtracking(_) => Vec::new(),
        };
        Some(RawExtraction {
            re,
            read,
            by,
            prefixes,
        })
    }

    /// The fields `stats` reads, all named groups of the regex.
    pub fn fields(&self) -> impl Iterator<Item = &str> {
        self.read.iter().map(|(n, _)| n.as_str())
    }

    /// State for one thread's scan.
    pub fn scratch(&self) -> ScanScratch {
        ScanScratch {
            re: self.re.clone(),
            slots: self.re.capture_slots(),
            groups: self.read.iter().map(|(_, g)| *g).collect(),
            spans: Vec::with_capacity(self.read.len()),
        }
    }

    /// False when `raw` holds none of the literals every match starts with.
    fn may_match(&self, raw: &[u8]) -> bool {
        self.prefixes.is_empty() || self.prefixes.iter().any(|f| f.find(raw).is_some())
    }

    /// Runs the regex on one event's text, as stored; a match goes into `stats` (the partial
    /// this thread fills) as the row `rex` would have given it. The text is checked as UTF-8
    /// only once it holds a literal every match starts with (most texts of such a scan do
    /// not); text that is not UTF-8 is left to the row path.
    pub fn scan(
        &self,
        raw: &[u8],
        scratch: &mut ScanScratch,
        stats: &mut GroupedAggs,
    ) -> Result<RawScan, ExecError> {
        if !self.may_match(raw) {
            return Ok(RawScan::NoMatch);
        }
        let Ok(raw) = std::str::from_utf8(raw) else {
            return Ok(RawScan::Undecided);
        };
        let ScanScratch {
            re,
            slots,
            groups,
            spans,
        } = scratch;
        let found = re
            .first_groups(raw, slots, groups, spans)
            .map_err(|e| ExecError::Other(format!("rex: {e}")))?;
        if !found {
            return Ok(RawScan::NoMatch);
        }
        if spans.iter().any(Option::is_none) {
            return Ok(RawScan::Undecided);
        }
        let mut key: [&str; 4] = [""; 4];
        if self.by.len() <= key.len() {
            for (k, &i) in key.iter_mut().zip(&self.by) {
                *k = spans[i].clone().map_or("", |s| &raw[s]);
            }
            stats.update_texts(&key[..self.by.len()], || self.row(raw, spans))?;
        } else {
            stats.update(&self.row(raw, spans))?;
        }
        Ok(RawScan::Counted)
    }

    /// The fields `rex` sets that `stats` reads, as a row.
    fn row(&self, raw: &str, spans: &[Option<Range<usize>>]) -> Row {
        let mut row = Row::new();
        for ((name, _), span) in self.read.iter().zip(spans) {
            if let Some(span) = span {
                row.set(name, Value::Str(raw[span.clone()].to_string()));
            }
        }
        row
    }
}

/// The literals every match of `pattern` starts with one of, when they are few and none is
/// shorter than two bytes (else checking them saves nothing); empty when unknown.
fn required_prefixes(pattern: &str) -> Vec<Finder<'static>> {
    use regex_syntax::hir::literal::{ExtractKind, Extractor};
    let Ok(hir) = regex_syntax::Parser::new().parse(pattern) else {
        return Vec::new();
    };
    let seq = Extractor::new().kind(ExtractKind::Prefix).extract(&hir);
    match seq.literals() {
        Some(lits)
            if !lits.is_empty()
                && lits.len() <= MAX_PREFIXES
                && lits.iter().all(|l| l.as_bytes().len() >= 2) =>
        {
            lits.iter()
                .map(|l| Finder::new(l.as_bytes()).into_owned())
                .collect()
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_what_every_match_starts_with() {
        let lits = |p: &str| {
            required_prefixes(p)
                .iter()
                .map(|f| String::from_utf8_lossy(f.needle()).into_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(lits("from (?<ip>[0-9.]+)"), ["from "]);
        assert_eq!(lits("(?:user|login)=(?<u>\\w+)"), ["user=", "login="]);
        // A match may start anywhere: nothing to check.
        assert!(lits("(?<w>\\w+) from").is_empty());
        assert!(lits("x?(?<d>\\d+)").is_empty());
    }
}
