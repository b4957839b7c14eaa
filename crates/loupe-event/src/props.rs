//! User-defined sourcetypes: the `[sourcetypes.NAME]` tables that `loupe.toml` and
//! `forwarder.toml` share (Splunk's `props.conf`, as TOML).
//!
//! A sourcetype is a label the user chooses. [`SourcetypeTable::resolve`] always gives one:
//! a user definition, else a built-in, else `auto` under the name asked for, so an
//! unknown name never refuses data. A definition is checked when the config is read —
//! a regex that does not compile or a layout without a conversion is an error naming the
//! sourcetype and the key — and compiled once.
//!
//! ```
//! use loupe_event::props::SourcetypeTable;
//! let table = SourcetypeTable::from_toml(r#"
//! [batch_mail]
//! time_format = "%H:%M:%S %d/%m/%Y"
//! timezone = "Europe/Paris"
//! event_start = '^\d{2}:\d{2}:\d{2} '
//! "#).expect("valid");
//! assert_eq!(table.resolve("batch_mail").name(), "batch_mail");
//! assert!(table.resolve("myapp").is_auto()); // unknown: auto, keeping its name
//! assert_eq!(table.resolve("myapp").name(), "myapp");
//! ```

use crate::sourcetype::{self, Sourcetype};
use crate::strftime::TimeLayout;
use crate::timestamp::{CustomTime, DateOrder};
use crate::value::Value;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

/// Splunk's `MAX_TIMESTAMP_LOOKAHEAD` default: how far past the prefix a timestamp may end.
pub const DEFAULT_LOOKAHEAD: usize = 128;

/// One `[sourcetypes.NAME]` table as written; unknown keys are errors.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SourcetypeProps {
    /// strftime layout of the timestamp (`%b`, `%e`, `%f`/`%.f`, `%z`, `%Z` allowed).
    #[serde(default)]
    pub time_format: Option<String>,
    /// A regex the timestamp follows.
    #[serde(default)]
    pub time_prefix: Option<String>,
    /// Bytes after the prefix (or the start) that may hold the timestamp.
    #[serde(default)]
    pub max_timestamp_lookahead: Option<usize>,
    /// IANA zone of times written without an offset.
    #[serde(default)]
    pub timezone: Option<String>,
    /// `dmy` or `mdy`, for ambiguous `NN/NN/YYYY` dates.
    #[serde(default)]
    pub date_order: Option<String>,
    /// A regex: a line matching it starts an event; others continue the previous one.
    #[serde(default)]
    pub event_start: Option<String>,
    /// Events are cut beyond this size.
    #[serde(default)]
    pub max_event_bytes: Option<usize>,
    /// `csv`, `tsv` or `w3c`: a header names the fields; header lines are never events.
    #[serde(default)]
    pub header: Option<String>,
    /// Regexes with named groups, applied at search time.
    #[serde(default)]
    pub extract: Vec<String>,
    /// Automatic field extraction at search time: `auto`, `json` or `none`.
    #[serde(default)]
    pub kv: Option<String>,
}

/// Why a sourcetype definition was refused; every message names the sourcetype and key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourcetypeError {
    /// A regex (`time_prefix`, `event_start`, `extract`) that does not compile.
    #[error("sourcetype {name:?}: {key} is not a valid regex: {message}")]
    Regex {
        /// The sourcetype.
        name: String,
        /// The key.
        key: &'static str,
        /// The regex engine's explanation.
        message: String,
    },
    /// Any other bad value.
    #[error("sourcetype {name:?}: {message}")]
    Invalid {
        /// The sourcetype.
        name: String,
        /// What is wrong.
        message: String,
    },
    /// TOML syntax or an unknown key ([`SourcetypeTable::from_toml`] only).
    #[error("sourcetypes: {0}")]
    Toml(String),
}

/// How a header names the fields of the rows after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HeaderKind {
    /// The first line holds comma-separated names.
    Csv,
    /// The first line holds tab-separated names.
    Tsv,
    /// `#Fields: a b c` directives (IIS, W3C extended log format); other `#` lines are skipped.
    W3c,
    /// What `auto` does: W3C directives (`#Software:`, `#Fields:`...) are headers, and a first
    /// line that is only comma-separated labels (a spreadsheet or Event Viewer export) is a
    /// CSV header; rows get field names only when their cells match the names in number.
    Auto,
}

/// Automatic search-time extraction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum KvMode {
    /// JSON objects, else `key=value` pairs (the default).
    #[default]
    Auto,
    /// JSON objects only.
    Json,
    /// Nothing automatic: only the sourcetype's own `extract` regexes.
    None,
}

/// A compiled user definition.
#[derive(Debug, Clone)]
pub struct Definition {
    /// The table as written (listed by `loupe sourcetypes`).
    pub props: SourcetypeProps,
    pub(crate) time: Option<CustomTime>,
    pub(crate) zone: Option<jiff::tz::TimeZone>,
    pub(crate) date_order: DateOrder,
    pub(crate) event_start: Option<regex::bytes::Regex>,
    pub(crate) max_event_bytes: Option<usize>,
    pub(crate) header: Option<HeaderKind>,
    pub(crate) extract: Vec<regex::Regex>,
    pub(crate) kv: KvMode,
}

impl Definition {
    /// Checks and compiles one table.
    pub fn compile(name: &str, props: &SourcetypeProps) -> Result<Definition, SourcetypeError> {
        let invalid = |message: String| SourcetypeError::Invalid {
            name: name.to_string(),
            message,
        };
        let regex = |key: &'static str, re: &str| {
            regex::Regex::new(re).map_err(|e| SourcetypeError::Regex {
                name: name.to_string(),
                key,
                message: e.to_string(),
            })
        };
        let layout = props
            .time_format
            .as_deref()
            .map(TimeLayout::new)
            .transpose()
            .map_err(|e| invalid(e.to_string()))?;
        let prefix = props
            .time_prefix
            .as_deref()
            .map(|p| regex("time_prefix", p))
            .transpose()?;
        let lookahead = props.max_timestamp_lookahead.unwrap_or(DEFAULT_LOOKAHEAD);
        if lookahead == 0 {
            return Err(invalid("max_timestamp_lookahead must be at least 1".into()));
        }
        let time = (layout.is_some() || prefix.is_some()).then(|| CustomTime {
            layout,
            prefix,
            lookahead,
        });
        let zone = props
            .timezone
            .as_deref()
            .map(|z| {
                jiff::tz::TimeZone::get(z)
                    .map_err(|e| invalid(format!("timezone {z:?} is not an IANA zone: {e}")))
            })
            .transpose()?;
        let date_order = match props.date_order.as_deref() {
            None | Some("dmy") => DateOrder::Dmy,
            Some("mdy") => DateOrder::Mdy,
            Some(o) => {
                return Err(invalid(format!(
                    "date_order {o:?}: expected \"dmy\" or \"mdy\""
                )))
            }
        };
        let event_start = props
            .event_start
            .as_deref()
            .map(|p| {
                regex::bytes::Regex::new(p).map_err(|e| SourcetypeError::Regex {
                    name: name.to_string(),
                    key: "event_start",
                    message: e.to_string(),
                })
            })
            .transpose()?;
        if props.max_event_bytes == Some(0) {
            return Err(invalid("max_event_bytes must be at least 1".into()));
        }
        let header = match props.header.as_deref() {
            None => None,
            Some("csv") => Some(HeaderKind::Csv),
            Some("tsv") => Some(HeaderKind::Tsv),
            Some("w3c") => Some(HeaderKind::W3c),
            Some(h) => {
                return Err(invalid(format!(
                    "header {h:?}: expected \"csv\", \"tsv\" or \"w3c\""
                )))
            }
        };
        let mut extract = Vec::new();
        for re in &props.extract {
            let compiled = regex("extract", re)?;
            if compiled.capture_names().flatten().next().is_none() {
                return Err(invalid(format!(
                    "extract {re:?} has no named group (?<field>...): it would extract nothing"
                )));
            }
            extract.push(compiled);
        }
        let kv = match props.kv.as_deref() {
            None | Some("auto") => KvMode::Auto,
            Some("json") => KvMode::Json,
            Some("none") => KvMode::None,
            Some(k) => {
                return Err(invalid(format!(
                    "kv {k:?}: expected \"auto\", \"json\" or \"none\""
                )))
            }
        };
        Ok(Definition {
            props: props.clone(),
            time,
            zone,
            date_order,
            event_start,
            max_event_bytes: props.max_event_bytes,
            header,
            extract,
            kv,
        })
    }

    /// The zone of zone-less times, when the definition names one.
    pub fn timezone(&self) -> Option<&jiff::tz::TimeZone> {
        self.zone.as_ref()
    }

    /// The header rule, if any.
    pub fn header(&self) -> Option<HeaderKind> {
        self.header
    }

    /// The search-time extraction mode.
    pub fn kv(&self) -> KvMode {
        self.kv
    }

    /// The search-time regexes.
    pub fn extract(&self) -> &[regex::Regex] {
        &self.extract
    }
}

/// Every sourcetype a process knows: the built-ins and the user's definitions.
#[derive(Debug, Clone, Default)]
pub struct SourcetypeTable {
    /// Lower-case name -> sourcetype.
    custom: BTreeMap<String, Sourcetype>,
}

impl SourcetypeTable {
    /// Compiles the `[sourcetypes]` tables of a config; the first bad one is the error.
    pub fn new(
        defs: &BTreeMap<String, SourcetypeProps>,
    ) -> Result<SourcetypeTable, SourcetypeError> {
        let mut custom = BTreeMap::new();
        for (name, props) in defs {
            if name.trim().is_empty() {
                return Err(SourcetypeError::Invalid {
                    name: name.clone(),
                    message: "a sourcetype needs a name".into(),
                });
            }
            let def = Definition::compile(name, props)?;
            custom.insert(name.to_lowercase(), Sourcetype::custom(name, Arc::new(def)));
        }
        Ok(SourcetypeTable { custom })
    }

    /// Parses TOML whose top-level tables are sourcetypes (for tests and examples; configs
    /// deserialize [`SourcetypeProps`] in their own `[sourcetypes]` table).
    pub fn from_toml(text: &str) -> Result<SourcetypeTable, SourcetypeError> {
        let defs: BTreeMap<String, SourcetypeProps> =
            toml::from_str(text).map_err(|e| SourcetypeError::Toml(e.to_string()))?;
        SourcetypeTable::new(&defs)
    }

    /// The sourcetype called `name`: the user's, else a built-in, else `auto` keeping `name`.
    pub fn resolve(&self, name: &str) -> Sourcetype {
        if let Some(st) = self.custom.get(&name.to_lowercase()) {
            return st.clone();
        }
        sourcetype::builtin(name).unwrap_or_else(|| sourcetype::auto_named(name))
    }

    /// The user's definitions, by name.
    pub fn custom(&self) -> impl Iterator<Item = &Sourcetype> {
        self.custom.values()
    }

    /// True when the user defined this name.
    pub fn is_custom(&self, name: &str) -> bool {
        self.custom.contains_key(&name.to_lowercase())
    }
}

/// The process's table. Sourcetypes are process configuration, read once at start: search-time
/// extraction, HEC `/raw` and timestamping of HEC events all reach it from here instead of
/// every call in between carrying a table.
static INSTALLED: RwLock<Option<SourcetypeTable>> = RwLock::new(None);

/// Makes `table` the one [`installed`] returns (a server or forwarder does this at start).
pub fn install(table: SourcetypeTable) {
    if let Ok(mut t) = INSTALLED.write() {
        *t = Some(table);
    }
}

/// The user definition installed for `name`, if any.
pub fn installed(name: &str) -> Option<Sourcetype> {
    let t = INSTALLED.read().ok()?;
    t.as_ref()?.custom.get(&name.to_lowercase()).cloned()
}

/// [`SourcetypeTable::resolve`] on the installed table (built-ins and `auto` without one).
pub fn resolve(name: &str) -> Sourcetype {
    installed(name)
        .or_else(|| sourcetype::builtin(name))
        .unwrap_or_else(|| sourcetype::auto_named(name))
}

/// Reads a header-bearing stream: says which lines are header lines (never events) and
/// names the fields of the others.
#[derive(Debug, Clone)]
pub struct HeaderReader {
    kind: HeaderKind,
    names: Option<Vec<String>>,
    /// `auto`: a first line was seen.
    started: bool,
    /// `auto`: the names came from a CSV header (else from `#Fields:`).
    csv: bool,
}

/// At least three comma-separated labels of letters, spaces and `-_()/.`, no digit: a header
/// row, not a log line (log lines have times and numbers).
fn looks_like_csv_header(text: &str) -> bool {
    let cells: Vec<&str> = text.split(',').collect();
    cells.len() >= 3
        && cells.iter().all(|c| {
            let c = c.trim().trim_matches('"');
            !c.is_empty()
                && c.len() <= 40
                && c.chars().any(|ch| ch.is_alphabetic())
                && c.chars().all(|ch| {
                    ch.is_alphabetic() || matches!(ch, ' ' | '-' | '_' | '(' | ')' | '/' | '.')
                })
        })
}

/// What one event of a header-bearing stream is.
#[derive(Debug, Clone, PartialEq)]
pub enum HeaderLine {
    /// A header line: not an event.
    Header,
    /// A data row and its named fields (empty values left out).
    Row(Vec<(String, Value)>),
}

impl HeaderReader {
    /// A reader at the start of a stream.
    pub fn new(kind: HeaderKind) -> HeaderReader {
        HeaderReader {
            kind,
            names: None,
            started: false,
            csv: false,
        }
    }

    /// The header rule it follows.
    pub fn kind(&self) -> HeaderKind {
        self.kind
    }

    /// The field names read so far (`None` before the header).
    pub fn names(&self) -> Option<&[String]> {
        self.names.as_deref()
    }

    /// Classifies the next event of the stream.
    pub fn read(&mut self, text: &str) -> HeaderLine {
        match self.kind {
            HeaderKind::W3c => {
                if let Some(rest) = text.strip_prefix('#') {
                    if let Some(fields) = rest.strip_prefix("Fields:") {
                        self.names = Some(unique(fields.split_whitespace().map(str::to_string)));
                    }
                    return HeaderLine::Header;
                }
                match &self.names {
                    Some(names) => HeaderLine::Row(zip(names, text.split(' ').map(str::to_string))),
                    None => HeaderLine::Row(Vec::new()),
                }
            }
            HeaderKind::Auto => {
                let first = !self.started;
                self.started = true;
                if let Some(rest) = text.strip_prefix('#') {
                    const DIRECTIVES: &[&str] = &[
                        "Software:",
                        "Version:",
                        "Date:",
                        "Fields:",
                        "Remark:",
                        "Start-Date:",
                        "End-Date:",
                    ];
                    if DIRECTIVES.iter().any(|d| rest.starts_with(d)) {
                        if let Some(fields) = rest.strip_prefix("Fields:") {
                            self.names =
                                Some(unique(fields.split_whitespace().map(str::to_string)));
                            self.csv = false;
                        }
                        return HeaderLine::Header;
                    }
                }
                if first && looks_like_csv_header(text) {
                    self.names = Some(unique(split_record(text, b',').into_iter()));
                    self.csv = true;
                    return HeaderLine::Header;
                }
                let Some(names) = &self.names else {
                    return HeaderLine::Row(Vec::new());
                };
                let cells: Vec<String> = if self.csv {
                    split_record(text, b',')
                } else {
                    text.split(' ').map(str::to_string).collect()
                };
                if cells.len() != names.len() {
                    return HeaderLine::Row(Vec::new());
                }
                HeaderLine::Row(zip(names, cells.into_iter()))
            }
            HeaderKind::Csv | HeaderKind::Tsv => {
                let delim = if self.kind == HeaderKind::Csv {
                    b','
                } else {
                    b'\t'
                };
                let cells = split_record(text, delim);
                match &self.names {
                    None => {
                        self.names = Some(unique(cells.into_iter()));
                        HeaderLine::Header
                    }
                    Some(names) => HeaderLine::Row(zip(names, cells.into_iter())),
                }
            }
        }
    }
}

/// Duplicate names get `_2`, `_3`... so no value is lost to a name seen twice.
fn unique(names: impl Iterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for n in names {
        let base = if n.trim().is_empty() {
            format!("field{}", out.len() + 1)
        } else {
            n.trim().to_string()
        };
        let mut name = base.clone();
        let mut k = 2;
        while out.contains(&name) {
            name = format!("{base}_{k}");
            k += 1;
        }
        out.push(name);
    }
    out
}

fn zip(names: &[String], values: impl Iterator<Item = String>) -> Vec<(String, Value)> {
    names
        .iter()
        .zip(values)
        .filter(|(_, v)| !v.is_empty() && v != "-")
        .map(|(n, v)| (n.clone(), Value::Str(v)))
        .collect()
}

/// One CSV/TSV record (quoted fields may hold delimiters, `""` and newlines).
fn split_record(text: &str, delim: u8) -> Vec<String> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .delimiter(delim)
        .flexible(true)
        .from_reader(text.as_bytes());
    match rdr.records().next() {
        Some(Ok(rec)) => rec.iter().map(str::to_string).collect(),
        _ => text.split(char::from(delim)).map(str::to_string).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_definitions_name_the_sourcetype_and_key() {
        let e = SourcetypeTable::from_toml("[a]\nevent_start = '('\n").unwrap_err();
        assert!(
            e.to_string()
                .contains("\"a\": event_start is not a valid regex"),
            "{e}"
        );
        let e = SourcetypeTable::from_toml("[a]\ntime_prefix = '[x'\n").unwrap_err();
        assert!(e.to_string().contains("time_prefix"), "{e}");
        let e = SourcetypeTable::from_toml("[a]\ntimezone = 'Mars/Olympus'\n").unwrap_err();
        assert!(e.to_string().contains("Mars/Olympus"), "{e}");
        let e = SourcetypeTable::from_toml("[a]\nheader = 'xml'\n").unwrap_err();
        assert!(e.to_string().contains("header"), "{e}");
        let e = SourcetypeTable::from_toml("[a]\nextract = ['x(\\d+)']\n").unwrap_err();
        assert!(e.to_string().contains("named group"), "{e}");
        let e = SourcetypeTable::from_toml("[a]\ntime_formt = '%H'\n").unwrap_err();
        assert!(e.to_string().contains("time_formt"), "{e}");
        assert!(e.to_string().contains("line 2"), "{e}");
    }

    #[test]
    fn any_name_resolves() {
        let t = SourcetypeTable::default();
        assert_eq!(t.resolve("seqlog").name(), "seqlog");
        assert!(t.resolve("seqlog").is_auto());
        assert_eq!(t.resolve("ACCESS_COMBINED").name(), "access_combined");
    }

    #[test]
    fn csv_header_with_duplicates_and_quoted_newlines() {
        let mut h = HeaderReader::new(HeaderKind::Csv);
        assert_eq!(h.read("Level,Date,Source,Source"), HeaderLine::Header);
        assert_eq!(h.names().unwrap(), ["Level", "Date", "Source", "Source_2"]);
        let HeaderLine::Row(f) = h.read("Error,02/03/2026 10:00:00,disk,\"a, b\nc\"") else {
            panic!("row expected");
        };
        assert_eq!(f[3], ("Source_2".into(), Value::Str("a, b\nc".into())));
        let mut w = HeaderReader::new(HeaderKind::W3c);
        assert_eq!(w.read("#Software: IIS"), HeaderLine::Header);
        assert_eq!(
            w.read("#Fields: date time cs-uri-stem sc-status"),
            HeaderLine::Header
        );
        let HeaderLine::Row(f) = w.read("2026-03-02 10:00:01 /index.html 200") else {
            panic!("row expected");
        };
        assert_eq!(f[3], ("sc-status".into(), Value::Str("200".into())));
    }
}
