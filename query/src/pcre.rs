//! SPL regexes are PCRE. Nearly every pattern real searches hold is within what the
//! linear-time `regex` crate runs, so that engine stays the default; the few that use
//! look-around, back-references or atomic groups run on `fancy-regex`, a backtracking
//! engine, and only those. A backtracking match is bounded by [`BACKTRACK_LIMIT`] steps,
//! so a pattern such as `(a|aa)+\1$` stops with an error instead of holding a search
//! thread forever.

use crate::eval::{pcre_braces, regex_reason};
use std::borrow::Cow;

/// Steps one backtracking match may take (fancy-regex's own default): a hostile pattern
/// over one value fails after about a millisecond's work instead of running forever.
pub const BACKTRACK_LIMIT: usize = 1_000_000;

/// A compiled SPL regex, on whichever engine the pattern needs.
#[derive(Debug, Clone)]
pub enum SplRegex {
    /// The linear-time engine: what every pattern it accepts runs on.
    Linear(regex::Regex),
    /// The backtracking engine, for PCRE features the linear one refuses.
    Backtracking(fancy_regex::Regex),
}

/// Capture positions reused from one match to the next (see [`SplRegex::first_groups`]).
#[derive(Debug, Clone)]
pub struct CaptureSlots(Option<regex::CaptureLocations>);

/// A pattern neither engine accepts; the message is one line, fit to quote in a search error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SplRegexError(pub String);

/// One match ran past [`BACKTRACK_LIMIT`]: the search stops rather than give a wrong
/// "no match" for that value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the regex {pattern:?} needed more than {BACKTRACK_LIMIT} backtracking steps on one value; simplify it (nested repetitions with back-references or look-around are the usual cause)")]
pub struct RegexLimit {
    /// The pattern as given.
    pub pattern: String,
}

impl SplRegex {
    /// Compiles `pattern` as PCRE: braces that open no quantifier are literal, and the
    /// backtracking engine is used only when the linear one refuses the pattern.
    pub fn new(pattern: &str) -> Result<SplRegex, SplRegexError> {
        let p = pcre_braces(pattern);
        let linear = match regex::Regex::new(&p) {
            Ok(re) => return Ok(SplRegex::Linear(re)),
            Err(e) => e,
        };
        match fancy_regex::RegexBuilder::new(&p)
            .backtrack_limit(BACKTRACK_LIMIT)
            .build()
        {
            Ok(re) => Ok(SplRegex::Backtracking(re)),
            Err(fancy) => {
                let reason = regex_reason(&linear);
                // "not supported" is the linear engine refusing a PCRE feature: the other
                // engine's complaint is then the one about the user's actual mistake.
                if reason.contains("not supported") {
                    Err(SplRegexError(fancy_reason(&fancy)))
                } else {
                    Err(SplRegexError(reason))
                }
            }
        }
    }

    /// True when the pattern runs on the backtracking engine (what `explain` may say).
    pub fn is_backtracking(&self) -> bool {
        matches!(self, SplRegex::Backtracking(_))
    }

    /// The pattern as compiled (braces escaped).
    pub fn as_str(&self) -> &str {
        match self {
            SplRegex::Linear(r) => r.as_str(),
            SplRegex::Backtracking(r) => r.as_str(),
        }
    }

    /// Names of the named groups, in order.
    pub fn capture_names(&self) -> Vec<String> {
        match self {
            SplRegex::Linear(r) => r.capture_names().flatten().map(str::to_string).collect(),
            SplRegex::Backtracking(r) => r.capture_names().flatten().map(str::to_string).collect(),
        }
    }

    fn limit(&self) -> RegexLimit {
        RegexLimit {
            pattern: self.as_str().to_string(),
        }
    }

    /// Index of the group called `name`, for [`SplRegex::first_groups`].
    pub fn group_index(&self, name: &str) -> Option<usize> {
        match self {
            SplRegex::Linear(r) => r.capture_names().position(|n| n == Some(name)),
            SplRegex::Backtracking(r) => r.capture_names().position(|n| n == Some(name)),
        }
    }

    /// Slots for [`SplRegex::first_groups`], kept by a scan from one text to the next.
    pub fn capture_slots(&self) -> CaptureSlots {
        match self {
            SplRegex::Linear(r) => CaptureSlots(Some(r.capture_locations())),
            SplRegex::Backtracking(_) => CaptureSlots(None),
        }
    }

    /// Where groups `groups` (by index) are in the first match in `s`, one entry each (`None`
    /// for a group that took no part); `false` when nothing matched. A scan over millions of
    /// texts that mostly do not match allocates nothing on the linear engine.
    pub fn first_groups(
        &self,
        s: &str,
        slots: &mut CaptureSlots,
        groups: &[usize],
        out: &mut Vec<Option<std::ops::Range<usize>>>,
    ) -> Result<bool, RegexLimit> {
        out.clear();
        match (self, &mut slots.0) {
            (SplRegex::Linear(r), Some(locs)) => {
                if r.captures_read(locs, s).is_none() {
                    return Ok(false);
                }
                out.extend(groups.iter().map(|&g| locs.get(g).map(|(a, b)| a..b)));
            }
            (SplRegex::Linear(r), None) => {
                let Some(caps) = r.captures(s) else {
                    return Ok(false);
                };
                out.extend(groups.iter().map(|&g| caps.get(g).map(|m| m.range())));
            }
            (SplRegex::Backtracking(r), _) => {
                let Some(caps) = r.captures(s).map_err(|_| self.limit())? else {
                    return Ok(false);
                };
                out.extend(groups.iter().map(|&g| caps.get(g).map(|m| m.range())));
            }
        }
        Ok(true)
    }

    /// Whether the pattern matches anywhere in `s`.
    pub fn is_match(&self, s: &str) -> Result<bool, RegexLimit> {
        match self {
            SplRegex::Linear(r) => Ok(r.is_match(s)),
            SplRegex::Backtracking(r) => r.is_match(s).map_err(|_| self.limit()),
        }
    }

    /// Replaces every match; `rep` uses `${1}`/`${name}` (and `$$` for a dollar).
    pub fn replace_all<'t>(&self, s: &'t str, rep: &str) -> Result<Cow<'t, str>, RegexLimit> {
        match self {
            SplRegex::Linear(r) => Ok(r.replace_all(s, rep)),
            SplRegex::Backtracking(r) => r.try_replacen(s, 0, rep).map_err(|_| self.limit()),
        }
    }

    /// Replaces only the `nth` match (1-based); `None` when there are fewer matches.
    pub fn replace_nth(
        &self,
        s: &str,
        rep: &str,
        nth: usize,
    ) -> Result<Option<String>, RegexLimit> {
        let splice = |start: usize, end: usize, expanded: String| {
            format!("{}{}{}", &s[..start], expanded, &s[end..])
        };
        match self {
            SplRegex::Linear(r) => {
                Ok(r.captures_iter(s)
                    .nth(nth.saturating_sub(1))
                    .and_then(|caps| {
                        let m = caps.get(0)?;
                        let mut out = String::new();
                        caps.expand(rep, &mut out);
                        Some(splice(m.start(), m.end(), out))
                    }))
            }
            SplRegex::Backtracking(r) => {
                let Some(caps) = r.captures_iter(s).nth(nth.saturating_sub(1)) else {
                    return Ok(None);
                };
                let caps = caps.map_err(|_| self.limit())?;
                let Some(m) = caps.get(0) else {
                    return Ok(None);
                };
                let mut out = String::new();
                caps.expand(rep, &mut out);
                Ok(Some(splice(m.start(), m.end(), out)))
            }
        }
    }

    /// For `rex`: the values of each named group over the first `max_match` matches
    /// (0 = all), one list per name in `names`' order; empty when nothing matched.
    pub fn extract(
        &self,
        s: &str,
        names: &[String],
        max_match: usize,
    ) -> Result<Vec<Vec<String>>, RegexLimit> {
        let mut found: Vec<Vec<String>> = Vec::new();
        let mut take = |n: usize, get: &dyn Fn(&str) -> Option<String>| {
            if max_match != 0 && n >= max_match {
                return false;
            }
            if found.is_empty() {
                found = vec![Vec::new(); names.len()];
            }
            for (i, name) in names.iter().enumerate() {
                if let Some(v) = get(name) {
                    found[i].push(v);
                }
            }
            true
        };
        match self {
            SplRegex::Linear(r) => {
                for (n, caps) in r.captures_iter(s).enumerate() {
                    if !take(n, &|name| caps.name(name).map(|m| m.as_str().to_string())) {
                        break;
                    }
                }
            }
            SplRegex::Backtracking(r) => {
                for (n, caps) in r.captures_iter(s).enumerate() {
                    let caps = caps.map_err(|_| self.limit())?;
                    if !take(n, &|name| caps.name(name).map(|m| m.as_str().to_string())) {
                        break;
                    }
                }
            }
        }
        Ok(found)
    }
}

/// fancy-regex's message, on one line.
fn fancy_reason(e: &fancy_regex::Error) -> String {
    e.to_string().lines().next().unwrap_or_default().to_string()
}
