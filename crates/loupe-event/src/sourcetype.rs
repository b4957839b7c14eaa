//! Built-in sourcetypes: how each kind of log is broken into events and timestamped.
//!
//! A sourcetype bundles the props Splunk users know from `props.conf`:
//! timestamp formats and where to find them, the line-breaking rule, and
//! whether events are JSON. One exists per Loghub system (named like its
//! folder), plus the common web/system ones and `auto`, which guesses per
//! event. Names are matched case-insensitively.

use crate::linebreak::{EventBreaker, LineBreaking};
use crate::timestamp::{TimeFormat as F, TimestampRecognizer, TimestampRule};

/// A kind of log: its timestamp rules, line breaking and payload type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sourcetype {
    name: &'static str,
    /// `None` means `auto`: every known format, anywhere near the start.
    rules: Option<&'static [TimestampRule]>,
    line_breaking: LineBreaking,
    json: bool,
}

const fn st(
    name: &'static str,
    rules: &'static [TimestampRule],
    line_breaking: LineBreaking,
) -> Sourcetype {
    Sourcetype {
        name,
        rules: Some(rules),
        line_breaking,
        json: false,
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
        name: "_json",
        rules: Some(&[
            TimestampRule::start(F::JsonKey),
            TimestampRule::search(F::Iso8601),
        ]),
        line_breaking: EACH,
        json: true,
    },
    st("batch", &[TimestampRule::start(F::TimeDayFirstDate)], START),
    st("syslog", SYSLOG, START),
    st("linux_secure", SYSLOG, START),
    st("apache_error", CTIME, START),
    Sourcetype {
        name: "auto",
        rules: None,
        line_breaking: LineBreaking::IndentedContinuation,
        json: false,
    },
];

/// Other spellings users type for a built-in (Splunk's own `json` included).
const ALIASES: &[(&str, &str)] = &[("json", "_json")];

/// The built-in sourcetype with this name (any case), or `None` so the caller can
/// report an unknown sourcetype instead of guessing.
pub fn lookup(name: &str) -> Option<Sourcetype> {
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
    BUILTINS.iter().map(|s| s.name).collect()
}

impl Sourcetype {
    /// The canonical name (as listed by [`builtin_names`]), stored on every event.
    pub fn name(&self) -> &str {
        self.name
    }

    /// A fresh timestamp recognizer for one stream of this sourcetype.
    pub fn recognizer(&self) -> TimestampRecognizer {
        match self.rules {
            Some(rules) => TimestampRecognizer::with_rules(rules.to_vec()),
            None => TimestampRecognizer::auto(),
        }
    }

    /// A fresh line breaker for one stream of this sourcetype.
    pub fn breaker(&self, max_event_bytes: usize) -> EventBreaker {
        let recognizer = match self.line_breaking {
            LineBreaking::TimestampStart => Some(self.recognizer()),
            _ => None,
        };
        EventBreaker::new(max_event_bytes, self.line_breaking, recognizer)
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

    /// True for `auto`, which guesses the timestamp format per event.
    pub fn is_auto(&self) -> bool {
        self.rules.is_none()
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
        assert_eq!(lookup("hdfs").map(|s| s.name), Some("HDFS"));
        assert_eq!(
            lookup("ACCESS_COMBINED").map(|s| s.name),
            Some("access_combined")
        );
        assert_eq!(lookup("json").map(|s| s.name), Some("_json"));
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
