//! Search-time field extraction: the fields an analyst can use without writing `rex`.
//!
//! For each event, in this order (a field already extracted is not overwritten):
//! 1. the sourcetype's own fields (access_combined: `clientip`, `method`, `status`, ...;
//!    linux_secure/OpenSSH: `user`, `src`, `src_port`, `action`; batch: `status`,
//!    `message`; each Loghub system: `level`, `component`, `pid`, ...);
//! 2. JSON events (`_json`, or an `auto` event that is a JSON object): every key,
//!    nested objects as `a.b`, arrays as `a{}` (Splunk's `spath` names);
//! 3. automatic `key=value` pairs, Splunk style (`key="quoted value"` allowed); a key
//!    seen twice becomes multi-valued.
//!
//! This runs at search time, not on the import path, so the sourcetype patterns
//! are regexes (compiled once).

use crate::props::KvMode;
use crate::sourcetype;
use crate::value::Value;
use regex::Regex;
use std::sync::OnceLock;

/// Adds the search-time fields of `raw` (an event of `sourcetype`) to `out`, so
/// `stats count by status` works on raw access logs without configuration.
pub fn extract_fields(sourcetype: &str, raw: &str, out: &mut Vec<(String, Value)>) {
    let canonical = sourcetype::lookup(sourcetype);
    let name = canonical.as_ref().map_or("", |s| s.name());
    let start = out.len();
    let mut fields = Fields { out, start };

    if let Some(rule) = rules().iter().find(|r| r.sourcetype == name) {
        if let Some(caps) = rule.re.captures(raw) {
            for group in rule.re.capture_names().flatten() {
                if let Some(m) = caps.name(group) {
                    if !m.as_str().is_empty() {
                        fields.add_if_absent(group, Value::Str(m.as_str().to_owned()));
                    }
                }
            }
        }
    }
    match name {
        "access_combined" => access_extras(&mut fields),
        "linux_secure" | "OpenSSH" | "Linux" | "syslog" => auth_fields(raw, &mut fields),
        _ => {}
    }
    let def = canonical.as_ref().and_then(|s| s.definition());
    if let Some(def) = def {
        for re in def.extract() {
            if let Some(caps) = re.captures(raw) {
                for group in re.capture_names().flatten() {
                    if let Some(m) = caps.name(group) {
                        fields.add_if_absent(group, Value::Str(m.as_str().to_owned()));
                    }
                }
            }
        }
    }
    let kv = def.map(|d| d.kv()).unwrap_or_default();
    if kv == KvMode::None {
        return;
    }

    let trimmed = raw.trim_start();
    let json_sourcetype = canonical.as_ref().is_some_and(|s| s.is_json());
    // Any name nobody defined is `auto` (it keeps its own name).
    let auto = canonical.is_none() || def.is_some() || name == "auto";
    let try_json = json_sourcetype || (auto && trimmed.starts_with('{'));
    if try_json {
        if let Ok(serde_json::Value::Object(map)) =
            serde_json::from_str::<serde_json::Value>(trimmed)
        {
            let mut flat: Vec<(String, Vec<Value>)> = Vec::new();
            for (k, v) in &map {
                flatten(k.clone(), v, &mut flat);
            }
            for (k, mut vals) in flat {
                let value = if vals.len() == 1 {
                    vals.pop().unwrap_or(Value::Null)
                } else {
                    Value::Multi(vals)
                };
                fields.add_if_absent(&k, value);
            }
            return;
        }
    }
    if kv == KvMode::Json {
        return;
    }
    auto_kv(raw, &mut fields);
}

/// False only when [`extract_fields`] cannot give `name` for this event: a search that
/// needs a few fields then skips extraction on most events.
pub fn may_extract(sourcetype: &str, raw: &str, name: &str) -> bool {
    sourcetype_may_give(sourcetype, name) || text_may_hold(raw, name)
}

/// True for fields whose value a sourcetype computes instead of copying it from the text
/// (`action=failure` from "Failed password"): an index of the text's words cannot narrow a
/// search on them, every candidate row must be checked.
pub fn derived_field(name: &str) -> bool {
    name.eq_ignore_ascii_case("action")
}

/// True when the sourcetype's own patterns can give `name` (whatever the text).
pub fn sourcetype_may_give(sourcetype: &str, name: &str) -> bool {
    let canonical = sourcetype::lookup(sourcetype);
    let st = canonical.as_ref().map_or("", |s| s.name());
    let from_pattern = rules()
        .iter()
        .find(|r| r.sourcetype == st)
        .is_some_and(|r| r.re.capture_names().flatten().any(|g| g == name));
    let from_custom = canonical
        .as_ref()
        .and_then(|s| s.definition())
        .is_some_and(|d| {
            d.extract()
                .iter()
                .any(|re| re.capture_names().flatten().any(|g| g == name))
        });
    from_pattern
        || from_custom
        || match st {
            "access_combined" => matches!(name, "uri_path" | "uri_query"),
            "linux_secure" | "OpenSSH" | "Linux" | "syslog" => {
                matches!(name, "user" | "src" | "src_port" | "action")
            }
            _ => false,
        }
}

/// False when JSON and `key=value` extraction cannot give `name` from `raw`; see [`KeyFinder`].
pub fn text_may_hold(raw: &str, name: &str) -> bool {
    KeyFinder::new(name).may_hold(raw.as_bytes())
}

/// What an event's text must contain for JSON or `key=value` extraction to give a field: the
/// last segment of its name (`b` of `a.b{}`) right before `=` (a `key=value` pair) or `"`
/// (the end of a JSON key). A scan that reads a few fields asks this of every event whose
/// own rules do not give them; the bare name alone (`ip` in "ship", "skip", "zip") sent
/// one event in ten of the corpus through extraction for nothing.
#[derive(Clone, Debug)]
pub struct KeyFinder {
    key: memchr::memmem::Finder<'static>,
}

impl KeyFinder {
    /// The finder for field `name` (built once per search, not per event).
    pub fn new(name: &str) -> KeyFinder {
        KeyFinder {
            key: memchr::memmem::Finder::new(text_key(name).as_bytes()).into_owned(),
        }
    }

    /// False when the text cannot give the field by JSON or `key=value` extraction.
    pub fn may_hold(&self, raw: &[u8]) -> bool {
        let len = self.key.needle().len();
        self.key
            .find_iter(raw)
            .any(|at| matches!(raw.get(at + len), Some(b'=' | b'"')))
    }
}

/// The part of a field name that JSON or `key=value` text must contain for extraction to give
/// it (see [`KeyFinder`]).
pub fn text_key(name: &str) -> &str {
    name.rsplit('.')
        .map(|seg| seg.trim_end_matches("{}"))
        .find(|seg| !seg.is_empty())
        .unwrap_or(name)
}

/// The fields added by this call (those before `start` belong to the caller).
struct Fields<'a> {
    out: &'a mut Vec<(String, Value)>,
    start: usize,
}

impl Fields<'_> {
    fn get(&self, name: &str) -> Option<&Value> {
        self.out[self.start..]
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }

    fn add_if_absent(&mut self, name: &str, value: Value) {
        if self.get(name).is_none() {
            self.out.push((name.to_owned(), value));
        }
    }
}

struct Rule {
    sourcetype: &'static str,
    re: Regex,
}

/// Pattern per sourcetype; named groups become fields (empty captures are skipped).
const PATTERNS: &[(&str, &str)] = &[
    (
        "access_combined",
        r#"^(?P<clientip>\S+) (?P<ident>\S+) (?P<user>\S+) \[[^\]]*\] "(?P<method>[A-Za-z]+) (?P<uri>\S+)(?: (?P<version>[^"\s]+))?" (?P<status>\d{3}) (?P<bytes>\d+|-)(?: "(?P<referer>(?:[^"\\]|\\.)*)" "(?P<useragent>(?:[^"\\]|\\.)*)")?(?: (?P<response_time_ms>\d+))?"#,
    ),
    (
        "batch",
        r"^\d\d:\d\d:\d\d \d\d/\d\d/\d{4} (?P<status>[A-Za-z]+)\s+(?P<message>.*)$",
    ),
    (
        "apache_error",
        r"^\[[^\]]+\]\s+\[(?:(?P<module>[^:\]\s]+):)?(?P<level>[a-z0-9]+)\](?:\s+\[pid (?P<pid>\d+)(?::tid (?P<tid>\d+))?\])?(?:\s+\[client (?P<client>[^\]]+)\])?",
    ),
    (
        "Apache",
        r"^\[[^\]]+\]\s+\[(?:(?P<module>[^:\]\s]+):)?(?P<level>[a-z0-9]+)\](?:\s+\[pid (?P<pid>\d+)(?::tid (?P<tid>\d+))?\])?(?:\s+\[client (?P<client>[^\]]+)\])?",
    ),
    (
        "syslog",
        r"^[A-Za-z]{3} [ \d]?\d \d\d:\d\d:\d\d(?:\.\d+)? \S+ (?P<process>[^\[:\s]+)(?:\[(?P<pid>\d+)\])?:",
    ),
    (
        "linux_secure",
        r"^[A-Za-z]{3} [ \d]?\d \d\d:\d\d:\d\d(?:\.\d+)? \S+ (?P<process>[^\[:\s]+)(?:\[(?P<pid>\d+)\])?:",
    ),
    (
        "Linux",
        r"^[A-Za-z]{3} [ \d]?\d \d\d:\d\d:\d\d \S+\s+(?P<component>[^\[:]+?)(?:\[(?P<pid>\d+)\])?:",
    ),
    (
        "Mac",
        r"^[A-Za-z]{3} [ \d]?\d \d\d:\d\d:\d\d \S+ (?P<component>[^\[:]+?)(?:\[(?P<pid>\d+)\])?(?: \(.*?\))?:",
    ),
    (
        "OpenSSH",
        r"^[A-Za-z]{3} [ \d]?\d \d\d:\d\d:\d\d \S+ (?P<process>[^\[:\s]+)(?:\[(?P<pid>\d+)\])?:",
    ),
    (
        "Android",
        r"^\d\d-\d\d \d\d:\d\d:\d\d\.\d+\s+(?P<pid>\d+)\s+(?P<tid>\d+)\s+(?P<level>[A-Z])\s+(?P<component>.*?):\s",
    ),
    (
        "BGL",
        r"^(?P<label>\S+) \d+ \S+ (?P<node>\S+) \S+ (?P<node_repeat>\S+) (?P<type>\S+) (?P<component>\S+) (?P<level>\S+)",
    ),
    (
        "HDFS",
        r"^\d{6} \d{6} (?P<pid>\d+) (?P<level>[A-Z]+) (?P<component>[^:\s]+):",
    ),
    (
        "HPC",
        r"^(?P<log_id>\d+) (?P<node>\S+) (?P<component>\S+) (?P<state>\S+) \d+ (?P<flag>-?\d+)",
    ),
    (
        "Hadoop",
        r"^\S+ \S+ (?P<level>[A-Z]+) \[(?P<process>[^\]]*)\] (?P<component>[^:\s]+):",
    ),
    (
        "HealthApp",
        r"^[^|]+\|(?P<component>[^|]*)\|(?P<pid>[^|]*)\|",
    ),
    (
        "OpenStack",
        r"^(?P<logrecord>\S+) \S+ \S+ (?P<pid>\d+) (?P<level>[A-Z]+) (?P<component>\S+)(?: \[(?P<request_id>req-[^\s\]]+)?[^\]]*\])?",
    ),
    ("Proxifier", r"^\[[^\]]+\] (?P<program>.+?) - "),
    (
        "Spark",
        r"^\S+ \S+ (?P<level>[A-Z]+) (?P<component>[^:\s]+):",
    ),
    (
        "Thunderbird",
        r"^(?P<label>\S+) \d+ \S+ (?P<node>\S+) [A-Za-z]{3} +\d+ \S+ (?P<location>\S+) (?P<component>.+?)(?:\[(?P<pid>\d+)\])? ?:(?:\s|$)",
    ),
    ("Windows", r"^\S+ \S+, (?P<level>\w+)\s+(?P<component>\S+)"),
    (
        "Zookeeper",
        r"^\S+ \S+ - (?P<level>[A-Z]+)\s+\[(?P<thread>.*):(?P<component>[^:@\]]+)@(?P<line>\d+)\] - ",
    ),
];

fn rules() -> &'static [Rule] {
    static RULES: OnceLock<Vec<Rule>> = OnceLock::new();
    RULES.get_or_init(|| {
        PATTERNS
            .iter()
            .filter_map(|(st, pat)| {
                // The patterns are constants covered by tests; a bad one is skipped, not fatal.
                Regex::new(pat).ok().map(|re| Rule { sourcetype: st, re })
            })
            .collect()
    })
}

/// `uri_path` and `uri_query` from `uri`.
fn access_extras(fields: &mut Fields<'_>) {
    let Some(Value::Str(uri)) = fields.get("uri").cloned() else {
        return;
    };
    match uri.split_once('?') {
        Some((path, query)) => {
            fields.add_if_absent("uri_path", Value::Str(path.to_owned()));
            if !query.is_empty() {
                fields.add_if_absent("uri_query", Value::Str(query.to_owned()));
            }
        }
        None => fields.add_if_absent("uri_path", Value::Str(uri)),
    }
}

/// sshd / PAM authentication lines: `user`, `src`, `src_port`, `action`.
fn auth_fields(raw: &str, fields: &mut Fields<'_>) {
    static RES: OnceLock<Vec<(Regex, Option<&'static str>)>> = OnceLock::new();
    let res = RES.get_or_init(|| {
        let pats: &[(&str, Option<&str>)] = &[
            (
                r"(?P<verdict>Failed|Accepted) \S+ for (?:invalid user )?(?P<user>\S+) from (?P<src>[0-9A-Fa-f.:]+)(?: port (?P<src_port>\d+))?",
                None,
            ),
            (
                r"[Ii]nvalid user (?P<user>\S*?) from (?P<src>[0-9A-Fa-f.:]+?)(?::? port (?P<src_port>\d+))?(?:\s|$)",
                Some("failure"),
            ),
            (
                r"authentication failure;.*?rhost=(?P<src>\S+)(?:\s+user=(?P<user>\S+))?",
                Some("failure"),
            ),
            (r"Connection closed by (?P<src>[0-9A-Fa-f.:]+?)(?: port (?P<src_port>\d+))?(?:\s|$)", None),
            (r"Received disconnect from (?P<src>[0-9A-Fa-f.:]+?)(?: port (?P<src_port>\d+))?:", None),
            (r"getaddrinfo for \S+ \[(?P<src>[0-9A-Fa-f.:]+)\]", None),
            (r"session (?:opened|closed) for user (?P<user>[^\s(]+)", None),
            (r"(?:^|\s)from (?P<src>\d{1,3}(?:\.\d{1,3}){3})(?: port (?P<src_port>\d+))?", None),
        ];
        pats.iter()
            .filter_map(|(p, a)| Regex::new(p).ok().map(|re| (re, *a)))
            .collect()
    });
    for (re, action) in res {
        let Some(caps) = re.captures(raw) else {
            continue;
        };
        for name in ["user", "src", "src_port"] {
            if let Some(m) = caps.name(name) {
                if !m.as_str().is_empty() {
                    fields.add_if_absent(name, Value::Str(m.as_str().to_owned()));
                }
            }
        }
        let verdict = match caps.name("verdict").map(|m| m.as_str()) {
            Some("Failed") => Some("failure"),
            Some("Accepted") => Some("success"),
            _ => *action,
        };
        if let Some(a) = verdict {
            fields.add_if_absent("action", Value::Str(a.to_owned()));
        }
    }
}

/// Flattens JSON into Splunk `spath` names: `a.b` for objects, `a{}` for arrays.
fn flatten(name: String, v: &serde_json::Value, out: &mut Vec<(String, Vec<Value>)>) {
    match v {
        serde_json::Value::Object(map) => {
            for (k, child) in map {
                flatten(format!("{name}.{k}"), child, out);
            }
        }
        serde_json::Value::Array(items) => {
            let name = format!("{name}{{}}");
            for item in items {
                flatten(name.clone(), item, out);
            }
        }
        serde_json::Value::Null => {}
        scalar => {
            let value = Value::from_json(scalar);
            match out.iter_mut().find(|(k, _)| *k == name) {
                Some((_, vals)) => vals.push(value),
                None => out.push((name, vec![value])),
            }
        }
    }
}

fn is_key_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-')
}

/// Splunk-style automatic `key=value` extraction.
fn auto_kv(raw: &str, fields: &mut Fields<'_>) {
    let b = raw.as_bytes();
    let mut seen: Vec<(String, Vec<Value>)> = Vec::new();
    let mut i = 0;
    while let Some(off) = memchr::memchr(b'=', &b[i..]) {
        let eq = i + off;
        // The key: the run of key bytes before `=`, starting at a letter or `_`.
        let mut ks = eq;
        while ks > 0 && is_key_byte(b[ks - 1]) {
            ks -= 1;
        }
        while ks < eq && !(b[ks].is_ascii_alphabetic() || b[ks] == b'_') {
            ks += 1;
        }
        let key = &raw[ks..eq];
        // The value: quoted, or up to a delimiter.
        let vs = eq + 1;
        let (value, next) = if b.get(vs) == Some(&b'"') {
            match quoted(raw, vs + 1) {
                Some((v, end)) => (v, end),
                None => (String::new(), vs + 1),
            }
        } else {
            let mut ve = vs;
            while ve < b.len()
                && !b[ve].is_ascii_whitespace()
                && !matches!(
                    b[ve],
                    b',' | b';' | b'&' | b'"' | b'\'' | b')' | b']' | b'}' | b'>'
                )
            {
                ve += 1;
            }
            (raw[vs..ve].to_owned(), ve)
        };
        if !key.is_empty() && key.len() <= 128 && !value.is_empty() {
            let v = Value::Str(value);
            match seen.iter_mut().find(|(k, _)| k == key) {
                Some((_, vals)) => vals.push(v),
                None => seen.push((key.to_owned(), vec![v])),
            }
        }
        i = next.max(eq + 1);
        if i >= b.len() {
            break;
        }
    }
    for (k, mut vals) in seen {
        let value = if vals.len() == 1 {
            vals.pop().unwrap_or(Value::Null)
        } else {
            Value::Multi(vals)
        };
        fields.add_if_absent(&k, value);
    }
}

/// A double-quoted value starting after the quote at `s`: unescaped text and the
/// index after the closing quote.
fn quoted(raw: &str, s: usize) -> Option<(String, usize)> {
    let b = raw.as_bytes();
    let mut out = String::new();
    let mut k = s;
    let mut run = s;
    while k < b.len() {
        match b[k] {
            b'\\' if matches!(b.get(k + 1), Some(b'"') | Some(b'\\')) => {
                out.push_str(&raw[run..k]);
                out.push(char::from(b[k + 1]));
                k += 2;
                run = k;
            }
            b'"' => {
                out.push_str(&raw[run..k]);
                return Some((out, k + 1));
            }
            _ => k += 1,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn may_extract_is_true_whenever_extraction_gives_the_field() {
        let events = [
            (
                "access_combined",
                r#"10.1.2.3 - bob [10/Oct/2026:13:55:36 +0200] "GET /a?b=1 HTTP/1.1" 200 512 "-" "curl""#,
            ),
            (
                "linux_secure",
                "Mar  1 10:00:00 srv sshd[42]: Failed password for root from 1.2.3.4 port 22 ssh2",
            ),
            ("_json", r#"{"user":{"name":"x","tags":["a"]},"n":1}"#),
            ("auto", "level=warn took=12ms path=\"/x y\""),
            ("batch", "04:03:45 13/03/2026 ERROR envoi impossible"),
        ];
        for (st, raw) in events {
            let mut out = Vec::new();
            extract_fields(st, raw, &mut out);
            assert!(!out.is_empty(), "{st}: something is extracted");
            for (name, _) in &out {
                assert!(may_extract(st, raw, name), "{st}: {name} is extracted");
            }
        }
        assert!(!may_extract("auto", "level=warn", "status"));
        // The name inside other words, or not followed by `=` or a JSON key's quote.
        assert!(!may_extract("auto", "ship from zip ip 10.0.0.1", "ip"));
        assert!(may_extract("auto", "src.ip=10.0.0.1", "ip"));
        assert!(may_extract(
            "auto",
            r#"{"net": {"ip": "10.0.0.1"}}"#,
            "net.ip"
        ));
        assert!(may_extract("auto", r#"{"ip":["10.0.0.1"]}"#, "ip{}"));
        assert!(!may_extract("_json", r#"{"a":1}"#, "b.c"));
    }

    #[test]
    fn every_pattern_compiles() {
        for (st, p) in PATTERNS {
            assert!(Regex::new(p).is_ok(), "{st}");
            assert!(sourcetype::lookup(st).is_some(), "{st} is not a sourcetype");
        }
        assert_eq!(rules().len(), PATTERNS.len());
    }
}
