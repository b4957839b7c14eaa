//! Built-in sourcetypes: how each kind of log is broken into events and timestamped.
//!
//! A sourcetype bundles the props Splunk users know from `props.conf`:
//! timestamp formats and where to find them, the line-breaking rule, and
//! whether events are JSON. One exists per Loghub system (named like its
//! folder), plus the common web/system ones and `auto`, which guesses per
//! event. Names are matched case-insensitively.
//!
//! Users add their own in `[sourcetypes.NAME]` tables ([`crate::props`]); a name that is
//! neither theirs nor built in behaves as `auto` and keeps its name ([`auto_named`]).

use crate::linebreak::{EventBreaker, LineBreaking};
use crate::props::{Definition, HeaderKind, HeaderReader};
use crate::timestamp::{TimeFormat as F, TimestampRecognizer, TimestampRule};
use std::borrow::Cow;
use std::sync::Arc;

/// A kind of log: its timestamp rules, line breaking and payload type.
#[derive(Debug, Clone)]
pub struct Sourcetype {
    name: Cow<'static, str>,
    /// `None` means `auto`: every known format, anywhere near the start.
    rules: Option<&'static [TimestampRule]>,
    line_breaking: LineBreaking,
    json: bool,
    /// A user's definition (`[sourcetypes.NAME]`); it overrides `rules` where it says.
    custom: Option<Arc<Definition>>,
}

impl PartialEq for Sourcetype {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
            && self.rules == other.rules
            && self.line_breaking == other.line_breaking
            && self.json == other.json
            && self.custom.as_ref().map(|d| &d.props) == other.custom.as_ref().map(|d| &d.props)
    }
}

const fn st(
    name: &'static str,
    rules: &'static [TimestampRule],
    line_breaking: LineBreaking,
) -> Sourcetype {
    Sourcetype {
        name: Cow::Borrowed(name),
        rules: Some(rules),
        line_breaking,
        json: false,
        custom: None,
    }
}

const START: LineBreaking = LineBreaking::TimestampStart;
const EACH: LineBreaking = LineBreaking::EachLine;

const SYSLOG: &[TimestampRule] = &[
    TimestampRule::start(F::Syslog),
    TimestampRule::start(F::Iso8601),
];
const ISO: &[TimestampRule] = &[TimestampRule::start(F::Iso8601)];
const CTIME: &[TimestampRule] = &[TimestampRule::start(F::Ctime)];
const LOGHUB_EPOCH: &[TimestampRule] = &[TimestampRule::field(F::EpochWithDate, 1)];

static BUILTINS: &[Sourcetype] = &[
    st("Android", &[TimestampRule::start(F::AndroidLogcat)], START),
    st("Apache", CTIME, START),
    st("BGL", LOGHUB_EPOCH, START),
    st("HDFS", &[TimestampRule::start(F::CompactYmdHms)], START),
    st("HPC", &[TimestampRule::field(F::EpochSeconds, 4)], START),
    st("Hadoop", ISO, START),
    st("HealthApp", &[TimestampRule::start(F::HealthApp)], START),
    st("Linux", SYSLOG, START),
    st("Mac", SYSLOG, START),
    st("OpenSSH", SYSLOG, START),
    st(
        "OpenStack",
        &[
            TimestampRule::field(F::Iso8601, 1),
            TimestampRule::start(F::Iso8601),
        ],
        START,
    ),
    st("Proxifier", &[TimestampRule::start(F::Proxifier)], START),
    st("Spark", &[TimestampRule::start(F::SlashYmd2)], START),
    st("Thunderbird", LOGHUB_EPOCH, START),
    st("Windows", ISO, START),
    st("Zookeeper", ISO, START),
    st("access_combined", &[TimestampRule::search(F::Clf)], EACH),
    Sourcetype {
        name: Cow::Borrowed("_json"),
        rules: Some(&[
            TimestampRule::start(F::JsonKey),
            TimestampRule::search(F::Iso8601),
        ]),
        line_breaking: EACH,
        json: true,
        custom: None,
    },
    st("batch", &[TimestampRule::start(F::TimeDayFirstDate)], START),
    st("syslog", SYSLOG, START),
    st("linux_secure", SYSLOG, START),
    st("apache_error", CTIME, START),
    Sourcetype {
        name: Cow::Borrowed("auto"),
        rules: None,
        line_breaking: LineBreaking::IndentedContinuation,
        json: false,
        custom: None,
    },
];

/// Other spellings users type for a built-in (Splunk's own `json` included).
const ALIASES: &[(&str, &str)] = &[("json", "_json")];

/// The user-defined ([`crate::props::install`]) or built-in sourcetype with this name (any
/// case), or `None`; [`crate::props::resolve`] never fails.
pub fn lookup(name: &str) -> Option<Sourcetype> {
    if let Some(st) = crate::props::installed(name) {
        return Some(st);
    }
    builtin(name)
}

/// The built-in sourcetype with this name (any case).
pub fn builtin(name: &str) -> Option<Sourcetype> {
    let name = ALIASES
        .iter()
        .find(|(alias, _)| alias.eq_ignore_ascii_case(name))
        .map_or(name, |(_, canonical)| canonical);
    BUILTINS
        .iter()
        .find(|s| s.name.eq_ignore_ascii_case(name))
        .cloned()
}

/// Names of all built-in sourcetypes, for help texts and error messages.
pub fn builtin_names() -> Vec<&'static str> {
    BUILTINS
        .iter()
        .filter_map(|s| match &s.name {
            Cow::Borrowed(n) => Some(*n),
            Cow::Owned(_) => None,
        })
        .collect()
}

/// All built-in sourcetypes, for `loupe sourcetypes`.
pub fn builtins() -> &'static [Sourcetype] {
    BUILTINS
}

/// `auto` under another name: what a sourcetype nobody defined behaves as.
pub fn auto_named(name: &str) -> Sourcetype {
    Sourcetype {
        name: Cow::Owned(name.to_string()),
        rules: None,
        line_breaking: LineBreaking::IndentedContinuation,
        json: false,
        custom: None,
    }
}

impl Sourcetype {
    /// A user-defined sourcetype (see [`crate::props::SourcetypeTable`]).
    pub(crate) fn custom(name: &str, def: Arc<Definition>) -> Sourcetype {
        // `event_start` (a regex) or a `time_format` says where events start.
        let line_breaking =
            if def.event_start.is_some() || def.time.as_ref().is_some_and(|t| t.layout.is_some()) {
                LineBreaking::TimestampStart
            } else {
                LineBreaking::IndentedContinuation
            };
        Sourcetype {
            name: Cow::Owned(name.to_string()),
            rules: None,
            line_breaking,
            json: def.kv == crate::props::KvMode::Json,
            custom: Some(def),
        }
    }

    /// The canonical name (as listed by [`builtin_names`]), stored on every event.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The user's definition, when this sourcetype is one.
    pub fn definition(&self) -> Option<&Definition> {
        self.custom.as_deref()
    }

    /// A fresh timestamp recognizer for one stream of this sourcetype.
    pub fn recognizer(&self) -> TimestampRecognizer {
        if let Some(def) = &self.custom {
            let r = match &def.time {
                Some(t) => TimestampRecognizer::custom(t.clone()),
                None => TimestampRecognizer::auto(),
            };
            return r
                .with_zone(def.zone.clone())
                .with_date_order(def.date_order);
        }
        match self.rules {
            Some(rules) => TimestampRecognizer::with_rules(rules.to_vec()),
            None => TimestampRecognizer::auto(),
        }
    }

    /// A fresh line breaker for one stream of this sourcetype; a definition's own
    /// `max_event_bytes` wins over the caller's.
    pub fn breaker(&self, max_event_bytes: usize) -> EventBreaker {
        let max = self
            .custom
            .as_ref()
            .and_then(|d| d.max_event_bytes)
            .unwrap_or(max_event_bytes);
        if let Some(re) = self.custom.as_ref().and_then(|d| d.event_start.clone()) {
            return EventBreaker::with_event_start(max, re);
        }
        let recognizer = match self.line_breaking {
            LineBreaking::TimestampStart => Some(self.recognizer()),
            _ => None,
        };
        EventBreaker::new(max, self.line_breaking, recognizer)
    }

    /// The largest event this sourcetype keeps, when its definition says.
    pub fn max_event_bytes(&self) -> Option<usize> {
        self.custom.as_ref().and_then(|d| d.max_event_bytes)
    }

    /// A header reader for one stream, when the sourcetype's files carry a header.
    pub fn header_reader(&self) -> Option<HeaderReader> {
        if self.is_auto() {
            return Some(HeaderReader::new(HeaderKind::Auto));
        }
        let kind: HeaderKind = self.custom.as_ref()?.header?;
        Some(HeaderReader::new(kind))
    }

    /// A one-line summary of the rules, for `loupe sourcetypes`.
    pub fn describe(&self) -> String {
        if let Some(def) = &self.custom {
            let p = &def.props;
            let mut parts = Vec::new();
            let mut add = |k: &str, v: &Option<String>| {
                if let Some(v) = v {
                    parts.push(format!("{k}={v:?}"));
                }
            };
            add("time_format", &p.time_format);
            add("time_prefix", &p.time_prefix);
            add("timezone", &p.timezone);
            add("date_order", &p.date_order);
            add("event_start", &p.event_start);
            add("header", &p.header);
            add("kv", &p.kv);
            if let Some(n) = p.max_timestamp_lookahead {
                parts.push(format!("max_timestamp_lookahead={n}"));
            }
            if let Some(n) = p.max_event_bytes {
                parts.push(format!("max_event_bytes={n}"));
            }
            for e in &p.extract {
                parts.push(format!("extract={e:?}"));
            }
            if parts.is_empty() {
                return "custom, as auto".into();
            }
            return format!("custom: {}", parts.join(" "));
        }
        let breaking = match self.line_breaking {
            LineBreaking::EachLine => "one event per line",
            LineBreaking::TimestampStart => "a line starting with a timestamp starts an event",
            LineBreaking::IndentedContinuation => {
                "indented and stack-trace lines continue the event"
            }
        };
        match self.rules {
            None => format!("every known timestamp format in the first bytes; {breaking}"),
            Some(rules) => {
                let r: Vec<String> = rules
                    .iter()
                    .map(|r| format!("{:?} {:?}", r.format, r.anchor))
                    .collect();
                format!(
                    "timestamps: {}; {breaking}{}",
                    r.join(", "),
                    if self.json { "; JSON fields" } else { "" }
                )
            }
        }
    }

    /// True when each event is a JSON object, so ingest indexes its top-level keys.
    pub fn is_json(&self) -> bool {
        self.json
    }

    /// How lines are grouped into events.
    pub fn line_breaking(&self) -> LineBreaking {
        self.line_breaking
    }

    /// True when continuation lines (stack traces) are joined to the previous event.
    pub fn is_multiline(&self) -> bool {
        self.line_breaking != LineBreaking::EachLine
    }

    /// True for `auto` (and names nobody defined), which guess the timestamp format per event.
    pub fn is_auto(&self) -> bool {
        self.rules.is_none() && self.custom.is_none()
    }

    /// The timestamp rules, tried in order; empty for `auto`.
    pub fn timestamp_rules(&self) -> &[TimestampRule] {
        self.rules.unwrap_or(&[])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_is_case_insensitive() {
        assert_eq!(lookup("hdfs").map(|s| s.name), Some("HDFS".into()));
        assert_eq!(
            lookup("ACCESS_COMBINED").map(|s| s.name),
            Some("access_combined".into())
        );
        assert_eq!(lookup("json").map(|s| s.name), Some("_json".into()));
        assert!(lookup("nope").is_none());
        assert!(lookup("auto").is_some_and(|s| s.is_auto()));
    }

    #[test]
    fn names_are_unique() {
        let mut names: Vec<String> = builtin_names().iter().map(|n| n.to_lowercase()).collect();
        let n = names.len();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), n);
    }
}
