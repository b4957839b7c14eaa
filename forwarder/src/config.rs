//! The forwarder's TOML configuration (contract in DESIGN.md §3), read strictly:
//! unknown keys, bad globs and bad regexes are errors that name the line, so a typo never
//! silently stops a log from being shipped. Any sourcetype name is accepted: one without
//! a definition (`[sourcetypes.NAME]`, shared with `loupe.toml`) behaves as `auto`.

use crate::encoding::Encoding;
use crate::mask::{Builtin, MaskRule, Masker};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Why a configuration was refused; the message is what `--check` prints.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The config file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// TOML syntax or schema error (unknown key, wrong type), with its line.
    #[error("{path}: line {line}: {message}")]
    Syntax {
        /// The config file.
        path: PathBuf,
        /// 1-based line of the error (0 when unknown).
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A value that parses as TOML but makes no sense (bad glob, regex, sourcetype...).
    #[error("{path}: {message}")]
    Invalid {
        /// The config file.
        path: PathBuf,
        /// What is wrong, naming the input.
        message: String,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    state_dir: Option<PathBuf>,
    output: RawOutput,
    #[serde(default)]
    input: Vec<RawInput>,
    #[serde(default)]
    batch_max_bytes: Option<usize>,
    #[serde(default)]
    batch_max_age: Option<String>,
    #[serde(default)]
    poll_interval: Option<String>,
    #[serde(default)]
    idle_timeout: Option<String>,
    #[serde(default)]
    rotate_wait: Option<String>,
    #[serde(default)]
    spool_max_bytes: Option<u64>,
    #[serde(default)]
    stats_interval: Option<String>,
    #[serde(default)]
    watch: Option<bool>,
    #[serde(default)]
    sourcetypes: std::collections::BTreeMap<String, loupe_event::props::SourcetypeProps>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOutput {
    urls: Vec<String>,
    token: String,
    #[serde(default)]
    ca_file: Option<PathBuf>,
    #[serde(default)]
    client_cert_file: Option<PathBuf>,
    #[serde(default)]
    client_key_file: Option<PathBuf>,
    #[serde(default)]
    compression: Option<String>,
    #[serde(default)]
    timeout: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInput {
    path: OneOrMany,
    #[serde(default)]
    exclude: Option<OneOrMany>,
    #[serde(default)]
    index: Option<String>,
    #[serde(default)]
    sourcetype: Option<String>,
    #[serde(default)]
    host: Option<String>,
    #[serde(default)]
    host_segment: Option<usize>,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    encoding: Option<String>,
    #[serde(default)]
    max_line_bytes: Option<usize>,
    #[serde(default)]
    binary: Option<String>,
    #[serde(default)]
    timezone: Option<String>,
    #[serde(default)]
    source_fields: Option<String>,
    #[serde(default)]
    mask: Vec<RawMask>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s],
            OneOrMany::Many(v) => v,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMask {
    #[serde(default)]
    builtin: Option<String>,
    #[serde(default)]
    regex: Option<String>,
    #[serde(default)]
    replace: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

/// Payload compression on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// `Content-Encoding: gzip` (the default: logs compress 5-10x).
    Gzip,
    /// Plain JSON, for debugging with a packet capture.
    None,
}

/// Where and how batches are sent.
#[derive(Debug, Clone)]
pub struct Output {
    /// Indexer base URLs, tried round-robin with failover.
    pub urls: Vec<String>,
    /// HEC token sent as `Authorization: Splunk <token>`.
    pub token: String,
    /// PEM file of the CAs trusted for `https://` (default: the bundled Mozilla roots).
    pub ca_file: Option<PathBuf>,
    /// PEM client certificate chain for mutual TLS.
    pub client_cert_file: Option<PathBuf>,
    /// PEM private key of the client certificate (default: inside `client_cert_file`).
    pub client_key_file: Option<PathBuf>,
    /// Body compression.
    pub compression: Compression,
    /// Per-request timeout.
    pub timeout: Duration,
}

/// How the `host` field of an input's events is chosen.
#[derive(Debug, Clone)]
pub enum HostRule {
    /// A fixed name (default: this machine's hostname).
    Fixed(String),
    /// The Nth segment (1-based) of the file's path, for collected logs laid out per host.
    Segment(usize),
}

/// One `[[input]]`: a set of files and what their events are.
#[derive(Debug, Clone)]
pub struct Input {
    /// Globs matched against absolute paths (`**` crosses directories).
    pub paths: Vec<String>,
    /// Compiled include globs.
    pub include: globset::GlobSet,
    /// Compiled exclude globs.
    pub exclude: globset::GlobSet,
    /// Target index (default `main`).
    pub index: String,
    /// Sourcetype name; decides line breaking and timestamps.
    pub sourcetype: loupe_event::Sourcetype,
    /// Host rule.
    pub host: HostRule,
    /// Fixed source; `None` means the file path.
    pub source: Option<String>,
    /// Text encoding; `None` means detect a BOM, else UTF-8.
    pub encoding: Option<Encoding>,
    /// Lines longer than this are cut (and counted).
    pub max_line_bytes: usize,
    /// Masking rules applied before anything leaves the host.
    pub masker: Masker,
    /// What to do with a file that looks binary.
    pub binary: Binary,
    /// Zone of this input's zone-less timestamps (`timezone = "Europe/Paris"`); it wins over
    /// the sourcetype's and the host's. `None`: the sourcetype's, else the host's.
    pub timezone: Option<jiff::tz::TimeZone>,
    /// A regex on the event's `source` whose named groups become indexed fields of every
    /// event of the file (`(?<client>[^\\]+)` → `client=mutuelle-azur`): the batch
    /// world's client and job come from where the log is, not from its lines.
    pub source_fields: Option<regex::Regex>,
}

/// An input's `binary`: files with NUL bytes or mostly non-text in their first block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Binary {
    /// Skipped with a warning in `_internal` (the default, as Splunk does).
    Skip,
    /// Read as text anyway.
    Ship,
}

/// A validated forwarder configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Checkpoints, channel id and spool live here (default: `/var/lib/loupe-forwarder`,
    /// `%ProgramData%\Loupe\state` on Windows).
    pub state_dir: PathBuf,
    /// The indexers.
    pub output: Output,
    /// The watched files.
    pub inputs: Vec<Input>,
    /// A batch is sealed when its body reaches this size.
    pub batch_max_bytes: usize,
    /// ...or when its first event is this old.
    pub batch_max_age: Duration,
    /// How often files are checked for growth and new files (with `watch`, a fallback).
    pub poll_interval: Duration,
    /// Wake on file-system notifications (inotify, ReadDirectoryChangesW...) rather than
    /// waiting for the next poll; polling goes on where watching is unavailable.
    pub watch: bool,
    /// A file silent this long has its last partial line and pending event shipped.
    pub idle_timeout: Duration,
    /// A file renamed away or deleted is read this long after the move was seen (and after
    /// its last growth) before it is let go: writers finish their last lines in the renamed
    /// file, sometimes seconds later. Independent of `idle_timeout`, which a user lowers to
    /// ship partial lines sooner.
    pub rotate_wait: Duration,
    /// Reading pauses while the spool holds more than this.
    pub spool_max_bytes: u64,
    /// How often counters go to `_internal`.
    pub stats_interval: Duration,
    /// The sourcetypes of this config (built-ins and `[sourcetypes.NAME]`).
    pub sourcetypes: loupe_event::props::SourcetypeTable,
}

/// Default cut for very long lines.
pub const DEFAULT_MAX_LINE_BYTES: usize = 256 * 1024;

impl Config {
    /// Reads and validates a config file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Config::parse(&text, path)
    }

    /// Validates config text; `path` only names it in messages.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1)
                .unwrap_or(0);
            ConfigError::Syntax {
                path: path.to_path_buf(),
                line,
                message: e.message().to_string(),
            }
        })?;
        let invalid = |message: String| ConfigError::Invalid {
            path: path.to_path_buf(),
            message,
        };
        if raw.output.urls.is_empty() {
            return Err(invalid("[output] urls is empty".into()));
        }
        for u in &raw.output.urls {
            if !(u.starts_with("http://") || u.starts_with("https://")) {
                return Err(invalid(format!(
                    "[output] url {u:?} must start with http:// or https://"
                )));
            }
        }
        if raw.output.token.trim().is_empty() {
            return Err(invalid("[output] token is empty".into()));
        }
        let compression = match raw.output.compression.as_deref() {
            None | Some("gzip") => Compression::Gzip,
            Some("none") => Compression::None,
            Some(other) => {
                return Err(invalid(format!(
                    "[output] compression {other:?}: expected \"gzip\" or \"none\""
                )))
            }
        };
        if raw.output.client_key_file.is_some() && raw.output.client_cert_file.is_none() {
            return Err(invalid(
                "[output] client_key_file needs client_cert_file".into(),
            ));
        }
        for f in [
            &raw.output.ca_file,
            &raw.output.client_cert_file,
            &raw.output.client_key_file,
        ]
        .into_iter()
        .flatten()
        {
            if !f.is_file() {
                return Err(invalid(format!(
                    "[output] TLS file {} not found",
                    f.display()
                )));
            }
        }
        let output = Output {
            urls: raw
                .output
                .urls
                .iter()
                .map(|u| u.trim_end_matches('/').to_string())
                .collect(),
            token: raw.output.token,
            ca_file: raw.output.ca_file,
            client_cert_file: raw.output.client_cert_file,
            client_key_file: raw.output.client_key_file,
            compression,
            timeout: dur(raw.output.timeout.as_deref(), "30s", "[output] timeout")
                .map_err(invalid)?,
        };
        let sourcetypes = loupe_event::props::SourcetypeTable::new(&raw.sourcetypes)
            .map_err(|e| invalid(e.to_string()))?;
        let mut inputs = Vec::new();
        for (i, ri) in raw.input.into_iter().enumerate() {
            let n = i + 1;
            let paths = ri.path.into_vec();
            if paths.is_empty() {
                return Err(invalid(format!("input #{n}: path is empty")));
            }
            let include = globs(&paths).map_err(|e| invalid(format!("input #{n}: {e}")))?;
            let excl = ri.exclude.map(OneOrMany::into_vec).unwrap_or_default();
            let exclude = globs(&excl).map_err(|e| invalid(format!("input #{n}: exclude: {e}")))?;
            let st_name = ri.sourcetype.unwrap_or_else(|| "auto".into());
            // Any name: the user's definition, a built-in, or `auto` keeping the name.
            let sourcetype = sourcetypes.resolve(&st_name);
            let binary = match ri.binary.as_deref() {
                None | Some("skip") => Binary::Skip,
                Some("ship") => Binary::Ship,
                Some(b) => {
                    return Err(invalid(format!(
                        "input #{n}: binary {b:?}: expected \"skip\" or \"ship\""
                    )))
                }
            };
            let host = match (ri.host, ri.host_segment) {
                (Some(_), Some(_)) => {
                    return Err(invalid(format!(
                        "input #{n}: set either host or host_segment, not both"
                    )))
                }
                (Some(h), None) => HostRule::Fixed(h),
                (None, Some(0)) => {
                    return Err(invalid(format!("input #{n}: host_segment starts at 1")))
                }
                (None, Some(s)) => HostRule::Segment(s),
                (None, None) => HostRule::Fixed(hostname()),
            };
            let encoding = match ri.encoding.as_deref() {
                None | Some("auto") => None,
                Some(e) => Some(
                    Encoding::from_name(e)
                        .ok_or_else(|| invalid(format!("input #{n}: unknown encoding {e:?} (utf-8, utf-16le, utf-16be, windows-1252, latin-1)")))?,
                ),
            };
            let timezone = match ri.timezone.as_deref() {
                None | Some("local") => None,
                Some(z) => Some(jiff::tz::TimeZone::get(z).map_err(|e| {
                    invalid(format!(
                        "input #{n}: timezone {z:?} is not an IANA zone (e.g. \"Europe/Paris\", \"UTC\"): {e}"
                    ))
                })?),
            };
            let source_fields = match ri.source_fields.as_deref() {
                None => None,
                Some(re) => {
                    let r = regex::Regex::new(re).map_err(|e| {
                        invalid(format!("input #{n}: source_fields: bad regex: {e}"))
                    })?;
                    if !r.capture_names().any(|c| c.is_some()) {
                        return Err(invalid(format!(
                            "input #{n}: source_fields has no named group (?<name>…): it would add no field"
                        )));
                    }
                    Some(r)
                }
            };
            let index = ri.index.unwrap_or_else(|| "main".into());
            if index.is_empty()
                || !index
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                return Err(invalid(format!("input #{n}: bad index name {index:?}")));
            }
            let mut rules = Vec::new();
            for (j, m) in ri.mask.into_iter().enumerate() {
                let what = format!("input #{n}, mask #{}", j + 1);
                let rule = match (m.builtin, m.regex) {
                    (Some(b), None) => {
                        let builtin = Builtin::from_name(&b).ok_or_else(|| {
                            invalid(format!(
                                "{what}: unknown builtin {b:?} ({})",
                                Builtin::names()
                            ))
                        })?;
                        MaskRule::builtin(builtin, m.replace)
                    }
                    (None, Some(re)) => {
                        let name = m.name.unwrap_or_else(|| format!("regex{}", j + 1));
                        MaskRule::regex(&name, &re, m.replace.unwrap_or_else(|| "****".into()))
                            .map_err(|e| invalid(format!("{what}: bad regex: {e}")))?
                    }
                    _ => {
                        return Err(invalid(format!(
                            "{what}: set exactly one of builtin or regex"
                        )))
                    }
                };
                rules.push(rule);
            }
            inputs.push(Input {
                paths,
                include,
                exclude,
                index,
                sourcetype,
                host,
                source: ri.source,
                encoding,
                max_line_bytes: ri.max_line_bytes.unwrap_or(DEFAULT_MAX_LINE_BYTES).max(16),
                masker: Masker::new(rules),
                binary,
                timezone,
                source_fields,
            });
        }
        Ok(Config {
            state_dir: raw
                .state_dir
                .unwrap_or_else(crate::winpath::default_state_dir),
            output,
            inputs,
            batch_max_bytes: raw.batch_max_bytes.unwrap_or(1 << 20).max(1024),
            batch_max_age: dur(raw.batch_max_age.as_deref(), "1s", "batch_max_age")
                .map_err(invalid)?,
            poll_interval: dur(raw.poll_interval.as_deref(), "250ms", "poll_interval")
                .map_err(invalid)?,
            watch: raw.watch.unwrap_or(true),
            idle_timeout: dur(raw.idle_timeout.as_deref(), "2s", "idle_timeout")
                .map_err(invalid)?,
            rotate_wait: dur(raw.rotate_wait.as_deref(), "5s", "rotate_wait").map_err(invalid)?,
            spool_max_bytes: raw.spool_max_bytes.unwrap_or(1 << 30),
            stats_interval: dur(raw.stats_interval.as_deref(), "60s", "stats_interval")
                .map_err(invalid)?,
            sourcetypes,
        })
    }
}

/// Compiles globs; on Windows `\` is a separator and case does not matter, elsewhere paths use
/// `/` and case does.
fn globs(patterns: &[String]) -> Result<globset::GlobSet, String> {
    let mut b = globset::GlobSetBuilder::new();
    for p in patterns {
        let norm = normalize_pattern(p);
        let g = globset::GlobBuilder::new(&norm)
            .literal_separator(true)
            .backslash_escape(!cfg!(windows))
            // NTFS names are case-insensitive: `D:\Batchs\*.log` must match `d:\batchs\x.LOG`.
            .case_insensitive(cfg!(windows))
            .build()
            .map_err(|e| format!("bad glob {p:?}: {e}"))?;
        b.add(g);
    }
    b.build().map_err(|e| e.to_string())
}

/// Windows paths (`D:\batchs\**\*.log`) are matched with `/` separators.
pub fn normalize_pattern(p: &str) -> String {
    if cfg!(windows) {
        crate::winpath::glob_form(p)
    } else {
        p.to_string()
    }
}

/// Parses `250ms`, `2s`, `5m`, `1h`.
fn dur(v: Option<&str>, default: &str, what: &str) -> Result<Duration, String> {
    let s = v.unwrap_or(default).trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("{what}: bad duration {s:?} (e.g. 250ms, 2s, 5m)"))?;
    Ok(match unit {
        "ms" => Duration::from_millis(n),
        "s" | "" => Duration::from_secs(n),
        "m" => Duration::from_secs(n * 60),
        "h" => Duration::from_secs(n * 3600),
        _ => return Err(format!("{what}: bad duration unit in {s:?}")),
    })
}

/// This machine's name, the default `host` of every event.
pub fn hostname() -> String {
    if let Ok(h) = std::env::var("COMPUTERNAME") {
        if !h.is_empty() {
            return h;
        }
    }
    #[cfg(unix)]
    {
        let mut buf = [0u8; 256];
        // SAFETY: buf is writable for its whole length; gethostname NUL-terminates on success.
        let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
        if rc == 0 {
            let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
            if let Ok(s) = std::str::from_utf8(&buf[..end]) {
                if !s.is_empty() {
                    return s.to_string();
                }
            }
        }
    }
    std::env::var("HOSTNAME").unwrap_or_else(|_| "localhost".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str =
        "state_dir = \"/tmp/x\"\n[output]\nurls = [\"http://127.0.0.1:1\"]\ntoken = \"t\"\n";

    fn parse(extra: &str) -> Result<Config, ConfigError> {
        Config::parse(&format!("{BASE}{extra}"), Path::new("f.toml"))
    }

    #[test]
    fn full_config_parses() {
        let c = parse("[[input]]\npath = \"/var/log/**/*.log\"\nexclude = [\"/var/log/old/**\"]\nindex = \"web\"\nsourcetype = \"access_combined\"\nhost_segment = 3\nencoding = \"windows-1252\"\n[[input.mask]]\nbuiltin = \"fr_nir\"\n[[input.mask]]\nregex = \"secret=\\\\w+\"\nreplace = \"secret=***\"\n").unwrap();
        assert_eq!(c.inputs.len(), 1);
        assert!(c.inputs[0].include.is_match("/var/log/a/b/x.log"));
        assert!(c.inputs[0].exclude.is_match("/var/log/old/x.log"));
        assert_eq!(c.poll_interval, Duration::from_millis(250));
        assert!(c.watch);
        let c = Config::parse(
            &format!("watch = false\npoll_interval = \"1h\"\n{BASE}"),
            Path::new("f.toml"),
        )
        .unwrap();
        assert!(!c.watch);
        assert_eq!(c.poll_interval, Duration::from_secs(3600));
    }

    #[test]
    fn timezone_source_fields_and_the_default_state_dir() {
        let c = parse("[[input]]\npath = '/b/**/*.log'\ntimezone = \"Europe/Paris\"\nsource_fields = '/b/(?<client>[^/]+)/'\n[[input]]\npath = '/c'\ntimezone = \"local\"\n").unwrap();
        assert_eq!(
            c.inputs[0].timezone.as_ref().and_then(|z| z.iana_name()),
            Some("Europe/Paris")
        );
        assert!(c.inputs[0].source_fields.is_some());
        assert!(c.inputs[1].timezone.is_none());
        let e = parse("[[input]]\npath = '/b'\ntimezone = \"Paris\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("input #1: timezone \"Paris\""), "{e}");
        let e = parse("[[input]]\npath = '/b'\nsource_fields = '/b/[^/]+'\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("no named group"), "{e}");
        let e = parse("[[input]]\npath = '/b'\nsource_fields = '(?<x>'\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("source_fields: bad regex"), "{e}");
        let c = Config::parse(
            "[output]\nurls = [\"http://h:1\"]\ntoken = \"t\"\n",
            Path::new("f.toml"),
        )
        .unwrap();
        assert_eq!(c.state_dir, crate::winpath::default_state_dir());
    }

    #[test]
    fn the_windows_zip_s_example_is_valid_and_finds_client_and_job() {
        let text = include_str!("../packaging/windows/forwarder.toml");
        let c = Config::parse(text, Path::new("forwarder.toml")).unwrap();
        let input = &c.inputs[0];
        assert_eq!(input.index, "batchs");
        assert_eq!(input.sourcetype.name(), "batch");
        let re = input.source_fields.as_ref().unwrap();
        let caps = re
            .captures(r"C:\batchs\mutuelle-azur\envoi_mail_decompte.log")
            .unwrap();
        assert_eq!(&caps["client"], "mutuelle-azur");
        assert_eq!(&caps["job"], "envoi_mail_decompte");
        // Written in another case, on another drive: the same.
        let caps = re
            .captures(r"d:\Batchs\caisse-solidaire\purge.LOG")
            .unwrap();
        assert_eq!(&caps["job"], "purge");
    }

    #[test]
    fn tls_files_must_exist() {
        let e = Config::parse(
            "state_dir = \"/tmp/x\"\n[output]\nurls = [\"https://h:1\"]\ntoken = \"t\"\nca_file = \"/nonexistent/ca.pem\"\n",
            Path::new("f.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("/nonexistent/ca.pem"), "{e}");
        let e = Config::parse(
            "state_dir = \"/tmp/x\"\n[output]\nurls = [\"https://h:1\"]\ntoken = \"t\"\nclient_key_file = \"/k.pem\"\n",
            Path::new("f.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("client_cert_file"), "{e}");
    }

    #[test]
    fn unknown_key_names_its_line() {
        let e = parse("[[input]]\npath = \"/x\"\nbogus = 1\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 7"), "{e}");
        assert!(e.contains("bogus"), "{e}");
    }

    #[test]
    fn bad_glob_regex_sourcetype_are_errors() {
        let e = parse("[[input]]\npath = \"/x/[a\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("bad glob"), "{e}");
        let e = parse("[[input]]\npath = \"/x\"\n[[input.mask]]\nregex = \"(\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("bad regex"), "{e}");
        let e = parse("[sourcetypes.x]\nevent_start = \"(\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("event_start is not a valid regex"), "{e}");
        let e = parse("[sourcetypes.x]\ntime_formt = \"%H\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("time_formt") && e.contains("line 6"), "{e}");
    }

    #[test]
    fn any_sourcetype_name_and_custom_ones() {
        let c = parse("[[input]]\npath = \"/x\"\nsourcetype = \"seqlog\"\n[[input]]\npath = \"/y\"\nsourcetype = \"batch_mail\"\nbinary = \"ship\"\n[sourcetypes.batch_mail]\ntime_format = \"%H:%M:%S %d/%m/%Y\"\n").unwrap();
        assert_eq!(c.inputs[0].sourcetype.name(), "seqlog");
        assert!(c.inputs[0].sourcetype.is_auto());
        assert_eq!(c.inputs[0].binary, Binary::Skip);
        assert!(c.inputs[1].sourcetype.definition().is_some());
        assert_eq!(c.inputs[1].binary, Binary::Ship);
    }
}
