//! Bulk import (`loupe import`): files streamed through line breaking and timestamp
//! recognition into the store directly, or to a server over HEC.
//!
//! Files are read in 1 MiB chunks, never whole, so multi-GB files import in bounded memory.

use crate::ingest::{now_ns, raw::RawParser, EventDefaults, Limits};
use crate::store::{Store, StoreError, StoreWriter, WriterOptions};
use loupe_event::Event;
use loupe_proto::Envelope;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

/// How the input files are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputFormat {
    /// Log text, broken into events by the sourcetype.
    Raw,
    /// One HEC envelope per line (what `corpus.py --hec` writes).
    Hec,
}

/// What to import and how to label it.
#[derive(Debug, Clone)]
pub struct ImportSpec {
    pub index: String,
    pub sourcetype: String,
    pub host: Option<String>,
    pub source: Option<String>,
    pub format: InputFormat,
    pub max_event_bytes: usize,
    pub default_year: Option<i32>,
    pub tz: jiff::tz::TimeZone,
}

/// Totals of an import, printed at the end.
#[derive(Debug, Clone, Default)]
pub struct ImportStats {
    pub events: u64,
    /// Bytes read from the files.
    pub bytes: u64,
    /// Bytes of `_raw` indexed.
    pub raw_bytes: u64,
    pub truncated: u64,
    pub timestamp_unparsed: u64,
    pub bad_lines: u64,
}

/// Errors of an import; the message names the file.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("sending to the server failed: {0}")]
    Ship(String),
}

/// Reads every file and hands each event to `sink`; `progress` gets byte counts as they are read.
pub fn read_files(
    files: &[std::path::PathBuf],
    spec: &ImportSpec,
    progress: &dyn Fn(u64),
    sink: &mut dyn FnMut(Event) -> Result<(), ImportError>,
) -> Result<ImportStats, ImportError> {
    let mut stats = ImportStats::default();
    // Any name: a user's definition, a built-in, or `auto` keeping the name given.
    let st =
        (spec.format == InputFormat::Raw).then(|| loupe_event::props::resolve(&spec.sourcetype));
    let host = spec
        .host
        .clone()
        .unwrap_or_else(crate::ingest::pipeline::hostname);
    let mut buf = vec![0u8; 1 << 20];
    for path in files {
        let io = |source| ImportError::Io {
            path: path.display().to_string(),
            source,
        };
        let mut file = std::fs::File::open(path).map_err(io)?;
        let mtime_year = file
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| jiff::Timestamp::try_from(t).ok())
            .map(|t| t.to_zoned_datetime(spec.tz.clone()).year() as i32);
        let limits = Limits {
            max_event_bytes: spec.max_event_bytes,
            now_ns: now_ns(),
            default_year: spec.default_year.or(mtime_year).unwrap_or(1970),
            tz: spec.tz.clone(),
        };
        let meta = EventDefaults {
            host: host.clone(),
            source: spec
                .source
                .clone()
                .unwrap_or_else(|| path.display().to_string()),
            sourcetype: st
                .as_ref()
                .map_or_else(|| spec.sourcetype.clone(), |s| s.name().to_string()),
            index: spec.index.clone(),
        };
        let mut failure: Option<ImportError> = None;
        let mut deliver =
            |ev: Event, stats: &mut ImportStats, failure: &mut Option<ImportError>| {
                if failure.is_some() {
                    return;
                }
                stats.events += 1;
                stats.raw_bytes += ev.raw.len() as u64;
                stats.truncated += u64::from(ev.flags.truncated);
                stats.timestamp_unparsed += u64::from(ev.flags.time_from_receipt);
                if let Err(e) = sink(ev) {
                    *failure = Some(e);
                }
            };
        match &st {
            Some(st) => {
                let mut parser = RawParser::new(st, meta, &limits);
                loop {
                    let n = file.read(&mut buf).map_err(io)?;
                    if n == 0 {
                        break;
                    }
                    stats.bytes += n as u64;
                    progress(n as u64);
                    parser.push(&buf[..n], &mut |ev| deliver(ev, &mut stats, &mut failure));
                    if let Some(e) = failure.take() {
                        return Err(e);
                    }
                }
                parser.finish(&mut |ev| deliver(ev, &mut stats, &mut failure));
            }
            None => {
                let mut pending: Vec<u8> = Vec::new();
                loop {
                    let n = file.read(&mut buf).map_err(io)?;
                    if n == 0 {
                        break;
                    }
                    stats.bytes += n as u64;
                    progress(n as u64);
                    pending.extend_from_slice(&buf[..n]);
                    let cut = match memchr::memrchr(b'\n', &pending) {
                        Some(p) => p + 1,
                        None => continue,
                    };
                    for line in pending[..cut].split(|b| *b == b'\n') {
                        hec_line(line, &meta, &limits, &mut stats, &mut |ev, s| {
                            deliver(ev, s, &mut failure)
                        });
                    }
                    pending.drain(..cut);
                    if let Some(e) = failure.take() {
                        return Err(e);
                    }
                }
                hec_line(&pending, &meta, &limits, &mut stats, &mut |ev, s| {
                    deliver(ev, s, &mut failure)
                });
            }
        }
        if let Some(e) = failure.take() {
            return Err(e);
        }
    }
    Ok(stats)
}

fn hec_line(
    line: &[u8],
    meta: &EventDefaults,
    limits: &Limits,
    stats: &mut ImportStats,
    deliver: &mut dyn FnMut(Event, &mut ImportStats),
) {
    if line.iter().all(|b| b.is_ascii_whitespace()) {
        return;
    }
    match crate::ingest::hec::parse_event_body(line, meta, limits) {
        Ok(evs) => {
            for ev in evs {
                deliver(ev, stats);
            }
        }
        Err(_) => stats.bad_lines += 1,
    }
}

/// Imports into a data dir directly (the fastest path; the server must not be running on it).
pub fn import_to_store(
    data_dir: &Path,
    files: &[std::path::PathBuf],
    spec: &ImportSpec,
    progress: &dyn Fn(u64),
) -> Result<ImportStats, ImportError> {
    let store = Arc::new(Store::open(data_dir)?);
    store.create_index(&spec.index)?;
    let mut writer = StoreWriter::new(store.clone(), WriterOptions::default());
    let stats = read_files(files, spec, progress, &mut |ev| {
        writer.add(ev, 0).map_err(ImportError::from)
    })?;
    writer.close_all()?;
    Ok(stats)
}

/// Imports through a running server's HEC endpoint, in gzip batches with a channel and sequence.
pub fn import_to_server(
    url: &str,
    token: &str,
    files: &[std::path::PathBuf],
    spec: &ImportSpec,
    progress: &dyn Fn(u64),
) -> Result<ImportStats, ImportError> {
    let mut shipper = HecShipper::new(url, token);
    let stats = read_files(files, spec, progress, &mut |ev| shipper.push(ev))?;
    shipper.flush()?;
    Ok(stats)
}

/// Indexed fields as HEC `fields` (scalars and arrays of scalars, as HEC allows).
fn indexed_fields(
    fields: Vec<(String, loupe_event::Value)>,
) -> Option<std::collections::BTreeMap<String, serde_json::Value>> {
    if fields.is_empty() {
        return None;
    }
    let map = fields
        .into_iter()
        .filter_map(|(k, v)| match serde_json::to_value(&v) {
            Ok(serde_json::Value::Null) | Err(_) => None,
            Ok(j) => Some((k, j)),
        })
        .collect();
    Some(map)
}

/// A small HEC client: batches envelopes, gzips them, retries on 503.
pub struct HecShipper {
    agent: ureq::Agent,
    endpoint: String,
    auth: String,
    channel: String,
    sequence: u64,
    batch: Vec<u8>,
    count: usize,
}

impl HecShipper {
    /// A client for one server; the channel is unique to this process.
    pub fn new(url: &str, token: &str) -> Self {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(std::time::Duration::from_secs(120)))
            .build()
            .into();
        HecShipper {
            agent,
            endpoint: format!("{}/services/collector/event", url.trim_end_matches('/')),
            auth: format!("Splunk {token}"),
            channel: format!("loupe-import-{}-{}", std::process::id(), now_ns()),
            sequence: 0,
            batch: Vec::with_capacity(4 << 20),
            count: 0,
        }
    }

    /// Queues an event; sends when the batch reaches 4 MiB.
    pub fn push(&mut self, ev: Event) -> Result<(), ImportError> {
        let env = Envelope {
            time: Some(serde_json::Value::String(format!(
                "{}.{:09}",
                ev.time_ns.div_euclid(1_000_000_000),
                ev.time_ns.rem_euclid(1_000_000_000)
            ))),
            host: Some(ev.host),
            source: Some(ev.source),
            sourcetype: Some(ev.sourcetype),
            index: Some(ev.index),
            event: Some(serde_json::Value::String(ev.raw)),
            fields: indexed_fields(ev.fields),
        };
        serde_json::to_writer(&mut self.batch, &env)
            .map_err(|e| ImportError::Ship(e.to_string()))?;
        self.batch.push(b'\n');
        self.count += 1;
        if self.batch.len() >= 4 << 20 {
            self.flush()?;
        }
        Ok(())
    }

    /// Sends what is queued and waits for the server's durable answer.
    pub fn flush(&mut self) -> Result<(), ImportError> {
        if self.count == 0 {
            return Ok(());
        }
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, &self.batch)
            .map_err(|e| ImportError::Ship(e.to_string()))?;
        let body = gz.finish().map_err(|e| ImportError::Ship(e.to_string()))?;
        let mut delay = std::time::Duration::from_millis(100);
        for attempt in 0..30 {
            let res = self
                .agent
                .post(&self.endpoint)
                .header("Authorization", &self.auth)
                .header("Content-Encoding", "gzip")
                .header(loupe_proto::CHANNEL_HEADER, &self.channel)
                .header(loupe_proto::SEQUENCE_HEADER, &self.sequence.to_string())
                .send(&body[..]);
            match res {
                Ok(r) if r.status().as_u16() == 200 => {
                    self.sequence += 1;
                    self.batch.clear();
                    self.count = 0;
                    return Ok(());
                }
                Ok(mut r) if r.status().as_u16() != 503 => {
                    let text = r.body_mut().read_to_string().unwrap_or_default();
                    return Err(ImportError::Ship(format!(
                        "server answered {}: {text}",
                        r.status()
                    )));
                }
                Ok(_) | Err(_) if attempt < 29 => {
                    std::thread::sleep(delay);
                    delay = (delay * 2).min(std::time::Duration::from_secs(5));
                }
                Ok(r) => return Err(ImportError::Ship(format!("server answered {}", r.status()))),
                Err(e) => return Err(ImportError::Ship(e.to_string())),
            }
        }
        Err(ImportError::Ship("gave up after 30 attempts".into()))
    }
}
