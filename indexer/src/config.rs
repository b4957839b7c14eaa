//! `loupe.toml`: the indexer's configuration (contract in DESIGN.md §3); unknown keys are errors.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Why a configuration could not be used; the message names the key and, for TOML errors, the line.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("{0}")]
    Invalid(String),
}

/// The whole indexer configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default = "default_data_dir")]
    pub data_dir: PathBuf,
    #[serde(default = "default_listen")]
    pub listen: String,
    #[serde(default)]
    pub tokens: Vec<TokenConfig>,
    #[serde(default)]
    pub indexes: BTreeMap<String, IndexConfig>,
    /// Create an index the first time an event names it; off means such events are refused (code 7).
    #[serde(default = "default_true")]
    pub auto_create_indexes: bool,
    /// Largest HEC body accepted, in bytes (413 above it).
    #[serde(default = "default_max_content_length")]
    pub max_content_length: usize,
    /// Events longer than this are cut and counted in `_internal`.
    #[serde(default = "default_max_event_bytes")]
    pub max_event_bytes: usize,
    /// Year given to year-less timestamps when nothing better is known.
    #[serde(default)]
    pub default_year: Option<i32>,
    /// Time zone of zone-less timestamps (IANA name); UTC when absent.
    #[serde(default)]
    pub timezone: Option<String>,
    /// `[limits]`: the memory bounds of every search (`max_groups`, `max_rows_buffered`, ...)
    /// and the abuse limits (failed logins, searches per user, ingest rate) in one table, as
    /// Splunk's limits.conf; a missing key keeps its default, an unknown one is an error.
    #[serde(default)]
    pub limits: LimitsConfig,
    /// How often indexed data becomes searchable (and the write-ahead log is trimmed).
    #[serde(default = "default_commit_interval", with = "humantime_ms")]
    pub commit_interval: Duration,
    /// Free disk below which ingest answers 503 rather than risk a half-written batch.
    #[serde(default = "default_min_free_disk")]
    pub min_free_disk: ByteSize,
    /// Events taken but not yet indexed, in bytes, above which ingest answers 503 (code 9):
    /// the bound on ingest's memory when senders outpace indexing.
    #[serde(default = "default_ingest_queue")]
    pub ingest_queue: ByteSize,
    /// CSV lookups, macros, etc. are resolved relative to the data dir; this is where macros live.
    #[serde(default)]
    pub macros: BTreeMap<String, String>,
    /// Alert and report e-mail (DESIGN §3): `smtp`, `from`, `username`, `password_file`, `starttls`.
    #[serde(default)]
    pub email: Option<loupe_alerts::EmailConfig>,
    /// Programs a `script` action may run, by name (never a path from a request).
    #[serde(default)]
    pub scripts: BTreeMap<String, loupe_alerts::ScriptConfig>,
    /// The console's address as people reach it, for the links in alerts (default: the
    /// listen address).
    #[serde(default)]
    pub console_url: Option<String>,
    /// How long a finished search job stays readable (`/api/v1/jobs/{sid}`).
    #[serde(default = "default_job_ttl", with = "humantime_ms")]
    pub job_ttl: Duration,
    /// Serve HTTPS with this certificate (forwarders across a network); absent means plain HTTP.
    #[serde(default)]
    pub tls: Option<TlsConfig>,
    /// User-defined sourcetypes (`[sourcetypes.NAME]`), the same tables as in `forwarder.toml`.
    #[serde(default)]
    pub sourcetypes: BTreeMap<String, loupe_event::props::SourcetypeProps>,
    /// Syslog listeners (`[[syslog]]`): devices and daemons that speak only syslog send straight
    /// to the indexer, without a forwarder.
    #[serde(default)]
    pub syslog: Vec<SyslogConfig>,
    /// Custom roles (`[roles.NAME]`), beside the built-in `admin`, `power`, `user`, `auditor`.
    #[serde(default)]
    pub roles: BTreeMap<String, loupe_access::RoleConfig>,
    /// Sessions and the scheduler's role (`[access]`).
    #[serde(default)]
    pub access: AccessConfig,
    /// Login with the directory people already have (`[ldap]`): LDAP or Active Directory.
    #[serde(default)]
    pub ldap: Option<LdapConfig>,
    /// The IP location database of `iplocation` (`[geoip]`).
    #[serde(default)]
    pub geoip: Option<GeoipConfig>,
}

/// `[limits]`: what a search may hold ([`loupe_query::Limits`]) and how much one user, one
/// address or one token may ask of the server ([`AbuseLimits`]). One table for both, as
/// operators look for every limit in one place; each key is checked where it stands, so an
/// unknown or mistyped key is refused with its line.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LimitsConfig {
    pub search: loupe_query::Limits,
    pub abuse: AbuseLimits,
}

/// The abuse limits of `[limits]`: a guessed password, a runaway script or a chatty sender
/// slows down only itself.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AbuseLimits {
    /// Failed logins of one user name within `login_window` that lock its logins (default 5).
    pub login_failures_per_user: u32,
    /// Failed logins from one client address within `login_window` that lock logins from
    /// it, whatever the user name (default 20): one host trying many names is stopped too.
    pub login_failures_per_address: u32,
    /// How long failed logins are remembered, and the lock lasts (default 15 minutes).
    #[serde(with = "humantime_ms")]
    pub login_window: Duration,
    /// Searches one principal may have running or queued at once (API, jobs, export;
    /// default 20, enough for a dashboard's panels); past it 429 (Splunk's srchJobsQuota).
    pub searches_per_user: usize,
    /// Events per second of a `[[tokens]]` entry without its own `max_events_per_second`
    /// (default 0: no limit).
    pub token_events_per_second: u32,
}

impl Default for AbuseLimits {
    fn default() -> Self {
        AbuseLimits {
            login_failures_per_user: 5,
            login_failures_per_address: 20,
            login_window: Duration::from_secs(15 * 60),
            searches_per_user: 20,
            token_events_per_second: 0,
        }
    }
}

/// The keys of [`AbuseLimits`], the rest of `[limits]` going to [`loupe_query::Limits`].
const ABUSE_KEYS: [&str; 5] = [
    "login_failures_per_user",
    "login_failures_per_address",
    "login_window",
    "searches_per_user",
    "token_events_per_second",
];

impl<'de> Deserialize<'de> for LimitsConfig {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(LimitsVisitor)
    }
}

struct LimitsVisitor;

/// Checks one key's value against the struct it belongs to while the TOML reader still
/// knows its line (an error raised after the whole table is read would name only the table).
struct KeyValue<'k> {
    key: &'k str,
    abuse: bool,
}

impl<'de> serde::de::DeserializeSeed<'de> for KeyValue<'_> {
    type Value = toml::Value;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<toml::Value, D::Error> {
        use serde::de::Error;
        let value = toml::Value::deserialize(d)?;
        let mut one = toml::Table::new();
        one.insert(self.key.to_string(), value.clone());
        let checked = if self.abuse {
            toml::Value::Table(one).try_into::<AbuseLimits>().map(drop)
        } else {
            toml::Value::Table(one)
                .try_into::<loupe_query::Limits>()
                .map(drop)
        };
        checked.map_err(|e| {
            let msg = e.message().to_string();
            if msg.contains("unknown field") {
                D::Error::custom(format!(
                    "[limits] {msg}, or one of {}",
                    ABUSE_KEYS.map(|k| format!("`{k}`")).join(", ")
                ))
            } else {
                D::Error::custom(format!("[limits] {}: {msg}", self.key))
            }
        })?;
        Ok(value)
    }
}

impl<'de> serde::de::Visitor<'de> for LimitsVisitor {
    type Value = LimitsConfig;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("the [limits] table")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<LimitsConfig, A::Error> {
        use serde::de::Error;
        let (mut search, mut abuse) = (toml::Table::new(), toml::Table::new());
        while let Some(key) = map.next_key::<String>()? {
            let is_abuse = ABUSE_KEYS.contains(&key.as_str());
            let value = map.next_value_seed(KeyValue {
                key: &key,
                abuse: is_abuse,
            })?;
            if is_abuse { &mut abuse } else { &mut search }.insert(key, value);
        }
        Ok(LimitsConfig {
            search: toml::Value::Table(search)
                .try_into()
                .map_err(|e| A::Error::custom(format!("[limits] {e}")))?,
            abuse: toml::Value::Table(abuse)
                .try_into()
                .map_err(|e| A::Error::custom(format!("[limits] {e}")))?,
        })
    }
}

/// `[geoip]`: a MaxMind-format City database (GeoLite2-City.mmdb, GeoIP2-City.mmdb, or any
/// file of that shape), read at start and again when the file changes; without it
/// `iplocation` is refused.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeoipConfig {
    /// Path of the `.mmdb` file.
    pub database: PathBuf,
}

/// `[ldap]`: a user who is not in `meta.sqlite` with a password signs in by binding to the
/// directory as themselves; their groups give their role.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LdapConfig {
    /// `ldap://host:389`, or `ldaps://host:636` for TLS from the first byte.
    pub url: String,
    /// Upgrade an `ldap://` connection with StartTLS before the bind (the password never
    /// crosses the network in clear); refused with `ldaps://`, which is TLS already.
    #[serde(default)]
    pub starttls: bool,
    /// PEM CA certificates the directory's certificate must chain to (default: the
    /// system's). The certificate is always verified, its name against the URL's host.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// The user's DN, `{user}` replaced by the login name (`uid={user},ou=people,dc=example,dc=org`,
    /// or `{user}@example.org` for Active Directory).
    pub user_dn: String,
    /// Where groups are searched.
    pub group_base: String,
    /// Which groups hold the user, `{dn}` replaced by the user's DN (default `(member={dn})`).
    #[serde(default = "default_group_filter")]
    pub group_filter: String,
    /// Group name (its `cn`) → role; the first group of the list the user is in wins.
    #[serde(default)]
    pub roles: Vec<LdapRole>,
}

/// One `[[ldap.roles]]` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LdapRole {
    pub group: String,
    pub role: String,
}

fn default_group_filter() -> String {
    "(member={dn})".to_string()
}

/// `[access]`: how long browser sessions live and which role scheduled searches run with.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessConfig {
    /// A session unused this long ends (default 30 minutes).
    #[serde(default = "default_session_idle", with = "humantime_ms")]
    pub session_idle: Duration,
    /// A session ends this long after its login, used or not (default 12 hours).
    #[serde(default = "default_session_absolute", with = "humantime_ms")]
    pub session_absolute: Duration,
    /// The role scheduled searches and alerts run with: they belong to the instance, not
    /// to whoever wrote them, so deleting a user never changes what they read (default
    /// `admin`).
    #[serde(default = "default_scheduler_role")]
    pub scheduler_role: String,
    /// An erasure matching more events than this is refused unless forced (default 10,000):
    /// a mistyped search must not empty an index.
    #[serde(default = "default_erase_max_events")]
    pub erase_max_events: u64,
    /// How often the server checks the audit trail's hash chain (and at start); a broken
    /// chain is written to `_internal`, where the bundled alert finds it (default 10 minutes).
    #[serde(default = "default_audit_verify_interval", with = "humantime_ms")]
    pub audit_verify_interval: Duration,
}

impl Default for AccessConfig {
    fn default() -> Self {
        AccessConfig {
            session_idle: default_session_idle(),
            session_absolute: default_session_absolute(),
            scheduler_role: default_scheduler_role(),
            erase_max_events: default_erase_max_events(),
            audit_verify_interval: default_audit_verify_interval(),
        }
    }
}

fn default_erase_max_events() -> u64 {
    10_000
}
fn default_audit_verify_interval() -> Duration {
    Duration::from_secs(600)
}

fn default_session_idle() -> Duration {
    Duration::from_secs(30 * 60)
}
fn default_session_absolute() -> Duration {
    Duration::from_secs(12 * 3600)
}
fn default_scheduler_role() -> String {
    "admin".to_string()
}

/// One `[[syslog]]` table: where to listen and what to stamp on the events received there.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyslogConfig {
    /// `udp://IP:PORT` or `tcp://IP:PORT`.
    pub listen: String,
    /// Index of the events (default `main`).
    #[serde(default = "default_syslog_index")]
    pub index: String,
    /// Sourcetype of the events (default `syslog`), which decides search-time extractions.
    #[serde(default = "default_syslog_sourcetype")]
    pub sourcetype: String,
    /// Host given to every event, instead of the HOSTNAME the message carries (for senders
    /// that write a useless one, such as `localhost`).
    #[serde(default)]
    pub host: Option<String>,
    /// Longest message kept, in bytes (default 64 KiB): longer UDP datagrams and TCP frames
    /// are cut and flagged `ingest_warning=truncated`. It also bounds each connection's buffer.
    #[serde(default = "default_syslog_max_message")]
    pub max_message_bytes: usize,
}

/// The transport of a syslog listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SyslogTransport {
    Udp,
    Tcp,
}

impl std::fmt::Display for SyslogTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SyslogTransport::Udp => "udp",
            SyslogTransport::Tcp => "tcp",
        })
    }
}

impl SyslogConfig {
    /// The transport and socket address of `listen`; the message says what is wrong, since a
    /// typo here would otherwise only show as silence from the devices.
    pub fn endpoint(&self) -> Result<(SyslogTransport, std::net::SocketAddr), String> {
        let (scheme, addr) = self.listen.split_once("://").ok_or_else(|| {
            format!(
                "[[syslog]] listen = {:?}: expected udp://IP:PORT or tcp://IP:PORT",
                self.listen
            )
        })?;
        let transport = match scheme.to_ascii_lowercase().as_str() {
            "udp" => SyslogTransport::Udp,
            "tcp" => SyslogTransport::Tcp,
            other => {
                return Err(format!(
                    "[[syslog]] listen = {:?}: unknown scheme {other:?} (use udp:// or tcp://)",
                    self.listen
                ))
            }
        };
        let addr: std::net::SocketAddr = addr.trim_end_matches('/').parse().map_err(|_| {
            format!(
                "[[syslog]] listen = {:?}: {addr:?} is not an IP:PORT address (e.g. 0.0.0.0:514, [::]:514)",
                self.listen
            )
        })?;
        Ok((transport, addr))
    }
}

fn default_syslog_index() -> String {
    "main".to_string()
}
fn default_syslog_sourcetype() -> String {
    "syslog".to_string()
}
fn default_syslog_max_message() -> usize {
    64 * 1024
}

/// `[tls]`: the server's certificate chain and key (PEM), and optionally the CA that client
/// certificates must chain to (mutual TLS: only forwarders holding such a certificate connect).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// PEM certificate chain, server certificate first.
    pub cert_file: PathBuf,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1).
    pub key_file: PathBuf,
    /// PEM CA certificates; when set, every client must present a certificate they signed.
    #[serde(default)]
    pub client_ca_file: Option<PathBuf>,
}

/// An ingest/API token and what it may write.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenConfig {
    pub name: String,
    pub token: String,
    /// Indexes this token may write to; absent means all.
    #[serde(default)]
    pub indexes: Option<Vec<String>>,
    /// The index used when an event names none.
    #[serde(default)]
    pub default_index: Option<String>,
    #[serde(default)]
    pub disabled: bool,
    /// Lookup tables this token may read (names or wildcards, `.csv` optional); absent means
    /// all for a token without `indexes`, none for one limited to some indexes.
    #[serde(default)]
    pub lookups_read: Option<Vec<String>>,
    /// Lookup tables this token may write with `outputlookup` (same defaults).
    #[serde(default)]
    pub lookups_write: Option<Vec<String>>,
    /// Sourcetypes this token may write (names or wildcards, `access_*`); absent means all.
    /// A batch holding an event of another sourcetype is refused whole (HEC code 7).
    #[serde(default)]
    pub sourcetypes: Option<Vec<String>>,
    /// Most events per second this token may send (HEC answers 429 with `Retry-After`
    /// above it); absent: `[limits] token_events_per_second` (by default no limit).
    #[serde(default)]
    pub max_events_per_second: Option<u32>,
}

/// Per-index settings: retention.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndexConfig {
    /// Buckets whose newest event is older than this are deleted (`90d`, `12h`).
    #[serde(default)]
    pub max_age: Option<DurationText>,
    /// Oldest buckets are deleted while the index is larger than this (`50GB`).
    #[serde(default)]
    pub max_size: Option<ByteSize>,
}

/// `name(a, b)` → (`name`, [`a`, `b`]); a plain `name` has no parameters.
fn macro_signature(key: &str) -> (&str, Vec<String>) {
    match key.trim().split_once('(') {
        Some((name, rest)) => {
            let params = rest.trim_end().trim_end_matches(')');
            let args = params
                .split(',')
                .map(|a| a.trim().to_string())
                .filter(|a| !a.is_empty())
                .collect();
            (name.trim(), args)
        }
        None => (key.trim(), Vec::new()),
    }
}

fn default_data_dir() -> PathBuf {
    PathBuf::from("/var/lib/loupe")
}
fn default_listen() -> String {
    "127.0.0.1:8088".to_string()
}
fn default_true() -> bool {
    true
}
fn default_max_content_length() -> usize {
    100 * 1024 * 1024
}
fn default_max_event_bytes() -> usize {
    1024 * 1024
}
fn default_job_ttl() -> Duration {
    Duration::from_secs(600)
}
fn default_commit_interval() -> Duration {
    Duration::from_secs(1)
}
fn default_ingest_queue() -> ByteSize {
    ByteSize(crate::ingest::pipeline::DEFAULT_QUEUE_BYTES as u64)
}
fn default_min_free_disk() -> ByteSize {
    ByteSize(256 * 1024 * 1024)
}

mod humantime_ms {
    use super::parse_duration;
    use serde::Deserialize;
    use std::time::Duration;
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let s = String::deserialize(d)?;
        parse_duration(&s).map_err(serde::de::Error::custom)
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: default_data_dir(),
            listen: default_listen(),
            tokens: Vec::new(),
            indexes: BTreeMap::new(),
            auto_create_indexes: true,
            max_content_length: default_max_content_length(),
            max_event_bytes: default_max_event_bytes(),
            default_year: None,
            timezone: None,
            limits: LimitsConfig::default(),
            commit_interval: default_commit_interval(),
            min_free_disk: default_min_free_disk(),
            ingest_queue: default_ingest_queue(),
            macros: BTreeMap::new(),
            job_ttl: default_job_ttl(),
            email: None,
            scripts: BTreeMap::new(),
            console_url: None,
            tls: None,
            sourcetypes: BTreeMap::new(),
            syslog: Vec::new(),
            roles: BTreeMap::new(),
            access: AccessConfig::default(),
            ldap: None,
            geoip: None,
        }
    }
}

impl Config {
    /// `[macros]` as a table: keys `name` or `name(a, b)` (the parameters' names, used as
    /// `$a$` in the definition), values the definitions.
    pub fn macro_table(&self) -> loupe_query::MacroTable {
        let mut table = loupe_query::MacroTable::new();
        for (key, definition) in &self.macros {
            let (name, args) = macro_signature(key);
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            table.define(name, &args, definition);
        }
        table
    }

    /// Reads and validates a config file; errors carry the file name and TOML's line/column.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Config::parse(&text).map_err(|e| match e {
            ConfigError::Parse { message, .. } => ConfigError::Parse {
                path: path.to_path_buf(),
                message,
            },
            other => other,
        })
    }

    /// Parses config text (used by `load` and by tests).
    pub fn parse(text: &str) -> Result<Config, ConfigError> {
        let cfg: Config = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: PathBuf::from("loupe.toml"),
            message: e.to_string(),
        })?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// The sourcetypes of this config (built-ins and `[sourcetypes.NAME]`).
    pub fn sourcetype_table(&self) -> Result<loupe_event::props::SourcetypeTable, ConfigError> {
        loupe_event::props::SourcetypeTable::new(&self.sourcetypes)
            .map_err(|e| ConfigError::Invalid(e.to_string()))
    }

    /// Every `[[ldap.roles]]` role is one of `roles` (the file's and those made through the
    /// API, so this is checked once both are known: `crate::roles::load`).
    pub fn check_ldap_roles(&self, roles: &loupe_access::Roles) -> Result<(), ConfigError> {
        for r in self.ldap.iter().flat_map(|l| &l.roles) {
            if roles.get(&r.role).is_none() {
                return Err(ConfigError::Invalid(format!(
                    "[[ldap.roles]] group {:?}: role {:?} is not a role",
                    r.group, r.role
                )));
            }
        }
        Ok(())
    }

    /// The built-in roles and `[roles.NAME]`, checked: maskers, capabilities, spans, and a
    /// `search_filter` that parses as one search expression.
    pub fn role_table(&self) -> Result<loupe_access::Roles, ConfigError> {
        let roles = loupe_access::Roles::new(&self.roles)
            .map_err(|e| ConfigError::Invalid(e.to_string()))?;
        for (name, r) in &self.roles {
            if let Some(f) = &r.search_filter {
                crate::search::role_filter(f).map_err(|e| {
                    ConfigError::Invalid(format!("[roles.{name}] search_filter {f:?}: {e}"))
                })?;
            }
        }
        if roles.get(&self.access.scheduler_role).is_none() {
            return Err(ConfigError::Invalid(format!(
                "[access] scheduler_role {:?} is not a role",
                self.access.scheduler_role
            )));
        }
        Ok(roles)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if let Some(ldap) = &self.ldap {
            crate::directory::tls_config(ldap).map_err(ConfigError::Invalid)?;
        }
        self.sourcetype_table()?;
        self.role_table()?;
        for name in self.indexes.keys() {
            crate::store::validate_index_name(name)
                .map_err(|e| ConfigError::Invalid(e.to_string()))?;
        }
        let mut endpoints = std::collections::HashSet::new();
        for input in &self.syslog {
            let endpoint = input.endpoint().map_err(ConfigError::Invalid)?;
            if !endpoints.insert(endpoint) {
                return Err(ConfigError::Invalid(format!(
                    "[[syslog]] listen = {:?} is configured twice",
                    input.listen
                )));
            }
            crate::store::validate_index_name(&input.index).map_err(|e| {
                ConfigError::Invalid(format!("[[syslog]] listen = {:?}: {e}", input.listen))
            })?;
            if input.sourcetype.trim().is_empty() {
                return Err(ConfigError::Invalid(format!(
                    "[[syslog]] listen = {:?}: sourcetype is empty",
                    input.listen
                )));
            }
            if !(480..=16 << 20).contains(&input.max_message_bytes) {
                return Err(ConfigError::Invalid(format!(
                    "[[syslog]] listen = {:?}: max_message_bytes must be between 480 and 16777216",
                    input.listen
                )));
            }
        }
        if let Some(tz) = &self.timezone {
            jiff::tz::TimeZone::get(tz)
                .map_err(|e| ConfigError::Invalid(format!("timezone {tz:?}: {e}")))?;
        }
        let mut seen = std::collections::HashSet::new();
        for t in &self.tokens {
            if t.token.len() < 8 {
                return Err(ConfigError::Invalid(format!(
                    "token {:?} is shorter than 8 characters",
                    t.name
                )));
            }
            if !seen.insert(&t.token) {
                return Err(ConfigError::Invalid(format!(
                    "token {:?} is configured twice",
                    t.name
                )));
            }
        }
        Ok(())
    }

    /// Retention per index: `[indexes.NAME]`, and for `_audit` a year unless it says
    /// otherwise (the CNIL asks that traces be kept 6 to 12 months).
    pub fn retention(&self) -> BTreeMap<String, IndexConfig> {
        let mut r = self.indexes.clone();
        r.entry(crate::audit::AUDIT_INDEX.to_string())
            .or_insert_with(|| IndexConfig {
                max_age: Some(DurationText(Duration::from_secs(365 * 86_400))),
                max_size: None,
            });
        r
    }

    /// The zone for zone-less timestamps.
    pub fn time_zone(&self) -> jiff::tz::TimeZone {
        self.timezone
            .as_deref()
            .and_then(|t| jiff::tz::TimeZone::get(t).ok())
            .unwrap_or(jiff::tz::TimeZone::UTC)
    }
}

/// A size written for humans (`50GB`, `512MB`, `1024`), kept as bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteSize(pub u64);

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            N(u64),
            S(String),
        }
        match Raw::deserialize(d)? {
            Raw::N(n) => Ok(ByteSize(n)),
            Raw::S(s) => parse_size(&s)
                .map(ByteSize)
                .map_err(serde::de::Error::custom),
        }
    }
}

/// A duration written for humans (`90d`, `12h`, `30m`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DurationText(pub Duration);

impl<'de> Deserialize<'de> for DurationText {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        parse_duration(&s)
            .map(DurationText)
            .map_err(serde::de::Error::custom)
    }
}

/// Parses `50GB`, `1.5G`, `512MiB`, `100` (bytes).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num.parse().map_err(|_| format!("invalid size {s:?}"))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        "t" | "tb" | "tib" => 1 << 40,
        other => {
            return Err(format!(
                "invalid size unit {other:?} in {s:?} (use B, KB, MB, GB, TB)"
            ))
        }
    };
    Ok((n * mult as f64) as u64)
}

/// Parses `90d`, `12h`, `30m`, `45s`, `500ms`, `2w`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num.parse().map_err(|_| format!("invalid duration {s:?}"))?;
    let secs = match unit.trim() {
        "ms" => return Ok(Duration::from_millis(n)),
        "" | "s" => n,
        "m" | "min" => n * 60,
        "h" => n * 3600,
        "d" => n * 86_400,
        "w" => n * 7 * 86_400,
        other => {
            return Err(format!(
                "invalid duration unit {other:?} in {s:?} (use ms, s, m, h, d, w)"
            ))
        }
    };
    Ok(Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contract_example_parses() {
        let cfg = Config::parse(
            r#"
data_dir = "/var/lib/loupe"
listen = "127.0.0.1:8088"
[[tokens]]
name = "default"
token = "abcdefgh-1234"
indexes = ["main", "web"]
[indexes.main]
max_age = "90d"
max_size = "50GB"
"#,
        )
        .unwrap();
        assert_eq!(cfg.tokens[0].indexes.as_ref().unwrap().len(), 2);
        let main = &cfg.indexes["main"];
        assert_eq!(main.max_age.unwrap().0, Duration::from_secs(90 * 86_400));
        assert_eq!(main.max_size.unwrap().0, 50 << 30);
    }

    #[test]
    fn tls_table_is_strict() {
        let cfg = Config::parse("[tls]\ncert_file = \"/c.pem\"\nkey_file = \"/k.pem\"\n").unwrap();
        let tls = cfg.tls.unwrap();
        assert_eq!(tls.cert_file, PathBuf::from("/c.pem"));
        assert!(tls.client_ca_file.is_none());
        let err = Config::parse("[tls]\ncert_file = \"/c.pem\"\nkey = \"/k.pem\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("key"), "{err}");
    }

    #[test]
    fn unknown_keys_are_errors_with_a_line() {
        let err = Config::parse("data_dir = \"/x\"\nlisten_on = \"x\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("listen_on"), "{err}");
        assert!(err.contains("line 2") || err.contains("2:"), "{err}");
    }

    #[test]
    fn sourcetypes_tables() {
        let cfg = Config::parse(
            "[sourcetypes.batch_mail]\ntime_format = \"%H:%M:%S %d/%m/%Y\"\ntimezone = \"Europe/Paris\"\n",
        )
        .unwrap();
        assert!(cfg.sourcetype_table().unwrap().is_custom("batch_mail"));
        let err = Config::parse("[sourcetypes.x]\nevent_start = \"(\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("event_start is not a valid regex"), "{err}");
        let err = Config::parse("data_dir = \"/x\"\n[sourcetypes.x]\ntime_formt = \"%H\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("time_formt") && err.contains("line 3"),
            "{err}"
        );
    }

    #[test]
    fn syslog_tables() {
        let cfg = Config::parse(
            "[[syslog]]\nlisten = \"udp://127.0.0.1:5514\"\n[[syslog]]\nlisten = \"tcp://[::1]:5514\"\nindex = \"net\"\nsourcetype = \"cisco\"\nhost = \"fw1\"\n",
        )
        .unwrap();
        assert_eq!(cfg.syslog.len(), 2);
        assert_eq!(cfg.syslog[0].index, "main");
        assert_eq!(cfg.syslog[0].sourcetype, "syslog");
        assert_eq!(cfg.syslog[0].max_message_bytes, 65536);
        let (t, a) = cfg.syslog[1].endpoint().unwrap();
        assert_eq!((t, a.port()), (SyslogTransport::Tcp, 5514));
        assert_eq!(cfg.syslog[1].host.as_deref(), Some("fw1"));
        for (text, want) in [
            ("listen = \"http://127.0.0.1:5514\"", "unknown scheme"),
            ("listen = \"127.0.0.1:5514\"", "expected udp://"),
            ("listen = \"udp://localhost\"", "not an IP:PORT"),
            ("listen = \"udp://1.2.3.4:99999\"", "not an IP:PORT"),
            ("listen = \"udp://127.0.0.1:1\"\nport = 3", "unknown field"),
            (
                "listen = \"udp://127.0.0.1:1\"\nindex = \"A B\"",
                "udp://127.0.0.1:1",
            ),
        ] {
            let err = Config::parse(&format!("[[syslog]]\n{text}\n"))
                .unwrap_err()
                .to_string();
            assert!(err.contains(want), "{text}: {err}");
        }
        let twice = "[[syslog]]\nlisten = \"udp://127.0.0.1:1\"\n[[syslog]]\nlisten = \"udp://127.0.0.1:1\"\n";
        assert!(Config::parse(twice)
            .unwrap_err()
            .to_string()
            .contains("twice"));
    }

    #[test]
    fn roles_access_and_audit_retention() {
        let c = Config::parse(
            "[roles.helpdesk]\nindexes_allowed = [\"sante\"]\nmask = [\"fr_nir\"]\n[access]\nscheduler_role = \"helpdesk\"\nsession_idle = \"5m\"\n",
        )
        .unwrap();
        assert_eq!(c.access.session_idle, Duration::from_secs(300));
        assert!(c.role_table().unwrap().get("helpdesk").is_some());
        let audit = &c.retention()["_audit"];
        assert_eq!(
            audit.max_age.map(|d| d.0),
            Some(Duration::from_secs(365 * 86_400))
        );
        assert!(Config::parse("[access]\nscheduler_role = \"nobody\"\n").is_err());
        assert!(Config::parse("[roles.x]\nsearch_filter = \"a | head 1\"\n").is_err());
    }

    #[test]
    fn sizes_and_durations() {
        assert_eq!(parse_size("512MB").unwrap(), 512 << 20);
        assert_eq!(parse_size("1.5GB").unwrap(), 3 << 29);
        assert!(parse_size("12 parsecs").is_err());
        assert_eq!(parse_duration("12h").unwrap(), Duration::from_secs(43_200));
        assert!(parse_duration("soon").is_err());
    }

    #[test]
    fn limits_table_sets_some_keys_and_refuses_unknown_ones() {
        let cfg = Config::parse("[limits]\nmax_groups = 10\nsearches_per_user = 2\n").unwrap();
        assert_eq!(cfg.limits.search.max_groups, 10);
        assert_eq!(cfg.limits.abuse.searches_per_user, 2);
        let defaults = loupe_query::Limits::default();
        assert_eq!(
            cfg.limits.search.max_rows_buffered,
            defaults.max_rows_buffered
        );
        assert_eq!(
            cfg.limits.abuse.login_failures_per_user,
            AbuseLimits::default().login_failures_per_user
        );
        assert_eq!(Config::parse("").unwrap().limits, LimitsConfig::default());
        let cfg =
            Config::parse("[limits]\nlogin_window = \"2m\"\nsearch_timeout = \"30s\"\n").unwrap();
        assert_eq!(cfg.limits.abuse.login_window, Duration::from_secs(120));
        assert_eq!(cfg.limits.search.search_timeout, Duration::from_secs(30));
        for (text, key, line) in [
            ("[limits]\nmax_grups = 10\n", "max_grups", 2),
            (
                "data_dir = \"/x\"\n[limits]\nmax_groups = 1\nsearches_per_usr = 3\n",
                "searches_per_usr",
                4,
            ),
            ("[limits]\n\nlogin_window = \"soon\"\n", "login_window", 3),
            ("[limits]\nsearches_per_user = -1\n", "searches_per_user", 2),
        ] {
            let err = Config::parse(text).unwrap_err().to_string();
            assert!(err.contains(key), "{err}");
            assert!(err.contains(&format!("line {line}")), "{text}: {err}");
        }
    }

    #[test]
    fn geoip_table_names_the_database_and_refuses_unknown_keys_with_a_line() {
        let cfg = Config::parse("[geoip]\ndatabase = \"/x/GeoLite2-City.mmdb\"\n").unwrap();
        assert_eq!(
            cfg.geoip.map(|g| g.database),
            Some(PathBuf::from("/x/GeoLite2-City.mmdb"))
        );
        assert!(Config::parse("").unwrap().geoip.is_none());
        let err = Config::parse("data_dir = \"/x\"\n[geoip]\ndatabse = \"/x.mmdb\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("databse"), "{err}");
        assert!(err.contains("line 3") || err.contains("3:"), "{err}");
    }
}
