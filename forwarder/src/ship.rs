//! The HEC client: posts a batch to one of the indexers (round-robin, failing over
//! on errors) with the channel and the batch's sequence number, and retries with
//! exponential backoff and jitter until it is acknowledged (HTTP 200 — Loupe
//! answers only after its write-ahead log is fsynced) or refused for good (4xx).

use crate::config::{Compression, Output};
use crate::stats::Stats;
use flate2::write::GzEncoder;
use loupe_proto::{HecAnswer, CHANNEL_HEADER, SEQUENCE_HEADER};
use std::io::Write;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

/// How a batch ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Durable in the index.
    Acked,
    /// Refused by the indexer (bad token, bad index...): logged, counted, not retried.
    Dropped(String),
    /// Events before `first_bad` were indexed; event `first_bad` (HEC code `code`) was refused.
    Partial {
        /// 0-based number of the refused event.
        first_bad: usize,
        /// The HEC code (7: index not allowed, 6: bad data...).
        code: u16,
        /// The indexer's answer.
        why: String,
    },
}

/// What one attempt said.
enum Attempt {
    Ok,
    Retry(String),
    Fatal(String),
    Partial(usize, u16, String),
}

/// Errors setting the client up (TLS files).
#[derive(Debug, thiserror::Error)]
pub enum ShipError {
    /// A TLS file that cannot be used.
    #[error("TLS: {0}")]
    Tls(String),
}

/// Sends batches to the indexers.
pub struct Shipper {
    agent: ureq::Agent,
    output: Output,
    channel: String,
    next_url: usize,
    stats: Arc<Stats>,
    /// First retry delay; doubles up to `max_backoff`.
    pub base_backoff: Duration,
    /// Longest wait between two rounds of attempts.
    pub max_backoff: Duration,
}

impl Shipper {
    /// A client for `output` on `channel`.
    pub fn new(output: &Output, channel: String, stats: Arc<Stats>) -> Result<Shipper, ShipError> {
        let builder = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(output.timeout));
        let builder = tls(builder, output)?;
        Ok(Shipper {
            agent: builder.build().into(),
            output: output.clone(),
            channel,
            next_url: 0,
            stats,
            base_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(10),
        })
    }

    /// Delivers one batch, blocking until it is acknowledged or refused for good.
    pub fn deliver(&mut self, seq: u64, body: &[u8]) -> Outcome {
        let payload = match self.output.compression {
            Compression::Gzip => gzip(body),
            Compression::None => body.to_vec(),
        };
        let mut round = 0u32;
        loop {
            let mut last = String::new();
            for _ in 0..self.output.urls.len() {
                let url = self.output.urls[self.next_url % self.output.urls.len()].clone();
                match self.attempt(&url, seq, &payload) {
                    Attempt::Ok => {
                        self.stats
                            .bytes_shipped
                            .fetch_add(payload.len() as u64, Ordering::Relaxed);
                        // Round-robin: the next batch starts at the next indexer.
                        self.next_url = self.next_url.wrapping_add(1);
                        return Outcome::Acked;
                    }
                    Attempt::Fatal(why) => return Outcome::Dropped(why),
                    Attempt::Partial(first_bad, code, why) => {
                        return Outcome::Partial {
                            first_bad,
                            code,
                            why,
                        }
                    }
                    Attempt::Retry(why) => {
                        self.stats.retries.fetch_add(1, Ordering::Relaxed);
                        last = format!("{url}: {why}");
                        self.next_url = self.next_url.wrapping_add(1);
                    }
                }
            }
            let wait = backoff(self.base_backoff, self.max_backoff, round);
            if round.is_multiple_of(10) {
                self.stats.warn(format!(
                    "batch {seq} not delivered ({last}); retrying in {} ms",
                    wait.as_millis()
                ));
            }
            round = round.saturating_add(1);
            std::thread::sleep(wait);
        }
    }

    fn attempt(&self, base: &str, seq: u64, payload: &[u8]) -> Attempt {
        let mut req = self
            .agent
            .post(&format!("{base}/services/collector/event"))
            .header("Authorization", &format!("Splunk {}", self.output.token))
            .header(CHANNEL_HEADER, &self.channel)
            .header(SEQUENCE_HEADER, &seq.to_string())
            .header("Content-Type", "application/json");
        if self.output.compression == Compression::Gzip {
            req = req.header("Content-Encoding", "gzip");
        }
        match req.send(payload) {
            Err(e) => Attempt::Retry(describe(&e)),
            Ok(mut r) => {
                let status = r.status().as_u16();
                let text = r.body_mut().read_to_string().unwrap_or_default();
                let answer: Option<HecAnswer> = serde_json::from_str(&text).ok();
                match status {
                    200 if answer.as_ref().is_none_or(|a| a.code == 0) => Attempt::Ok,
                    200 => Attempt::Retry(format!("unexpected answer {text}")),
                    503 | 500..=599 | 429 => Attempt::Retry(format!("HTTP {status} {text}")),
                    400 => match answer.and_then(|a| a.invalid_event_number.map(|n| (n, a.code))) {
                        Some((n, code)) => Attempt::Partial(n, code, format!("HTTP 400 {text}")),
                        None => Attempt::Fatal(format!("HTTP 400 {text}")),
                    },
                    _ => Attempt::Fatal(format!("HTTP {status} {text}")),
                }
            }
        }
    }
}

/// A transport error as a user can act on it: certificate trouble names the setting to fix.
fn describe(e: &ureq::Error) -> String {
    #[cfg(feature = "tls")]
    {
        let tls = match e {
            ureq::Error::Rustls(t) => Some(t),
            ureq::Error::Io(io) => io.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()),
            _ => None,
        };
        match tls {
            Some(t @ rustls::Error::InvalidCertificate(_)) => {
                return format!(
                    "TLS: the indexer's certificate is not trusted ({t}): [output] ca_file must \
                     hold the CA that signed it, and the URL's host must be one of its names"
                )
            }
            Some(t @ rustls::Error::AlertReceived(_)) => {
                return format!(
                    "TLS: the indexer refused the connection ({t}): does it require a client \
                     certificate ([output] client_cert_file, client_key_file)?"
                )
            }
            Some(t) => return format!("TLS: {t}"),
            None => {}
        }
    }
    e.to_string()
}

/// `base * 2^round`, capped, with ±25 % jitter so that many forwarders do not retry in step.
pub fn backoff(base: Duration, max: Duration, round: u32) -> Duration {
    let exp = base.saturating_mul(1u32 << round.min(16)).min(max);
    let jitter = (random_u64() % 500) as f64 / 1000.0 + 0.75;
    exp.mul_f64(jitter)
}

fn random_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0),
    );
    h.finish()
}

fn gzip(body: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(
        Vec::with_capacity(body.len() / 4),
        flate2::Compression::fast(),
    );
    // Writing to a Vec cannot fail.
    let _ = enc.write_all(body);
    enc.finish().unwrap_or_default()
}

#[cfg(feature = "tls")]
fn tls(
    builder: ureq::config::ConfigBuilder<ureq::typestate::AgentScope>,
    output: &Output,
) -> Result<ureq::config::ConfigBuilder<ureq::typestate::AgentScope>, ShipError> {
    use ureq::tls::{Certificate, ClientCert, PemItem, PrivateKey, RootCerts, TlsConfig};
    let mut tc = TlsConfig::builder();
    if let Some(ca) = &output.ca_file {
        let pem =
            std::fs::read(ca).map_err(|e| ShipError::Tls(format!("{}: {e}", ca.display())))?;
        let certs: Vec<Certificate<'static>> = ureq::tls::parse_pem(&pem)
            .filter_map(|i| match i {
                Ok(PemItem::Certificate(c)) => Some(c),
                _ => None,
            })
            .collect();
        if certs.is_empty() {
            return Err(ShipError::Tls(format!("{}: no certificate", ca.display())));
        }
        tc = tc.root_certs(RootCerts::new_with_certs(&certs));
    }
    if let Some(cert) = &output.client_cert_file {
        let pem =
            std::fs::read(cert).map_err(|e| ShipError::Tls(format!("{}: {e}", cert.display())))?;
        let key_pem = match &output.client_key_file {
            Some(k) => {
                std::fs::read(k).map_err(|e| ShipError::Tls(format!("{}: {e}", k.display())))?
            }
            None => pem.clone(),
        };
        let chain: Vec<Certificate<'static>> = ureq::tls::parse_pem(&pem)
            .filter_map(|i| match i {
                Ok(PemItem::Certificate(c)) => Some(c),
                _ => None,
            })
            .collect();
        if chain.is_empty() {
            return Err(ShipError::Tls(format!(
                "{}: no certificate",
                cert.display()
            )));
        }
        let key_file = output.client_key_file.as_ref().unwrap_or(cert);
        let key = PrivateKey::from_pem(&key_pem)
            .map_err(|e| ShipError::Tls(format!("{}: no usable key: {e}", key_file.display())))?;
        tc = tc.client_cert(Some(ClientCert::new_with_certs(&chain, key)));
    }
    Ok(builder.tls_config(tc.build()))
}

#[cfg(not(feature = "tls"))]
fn tls(
    builder: ureq::config::ConfigBuilder<ureq::typestate::AgentScope>,
    output: &Output,
) -> Result<ureq::config::ConfigBuilder<ureq::typestate::AgentScope>, ShipError> {
    if output.urls.iter().any(|u| u.starts_with("https://")) {
        return Err(ShipError::Tls(
            "https:// needs a build with the `tls` feature (cargo build --features tls)".into(),
        ));
    }
    Ok(builder)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let b = Duration::from_millis(100);
        let m = Duration::from_secs(5);
        assert!(backoff(b, m, 0) <= Duration::from_millis(125));
        assert!(backoff(b, m, 3) >= Duration::from_millis(600));
        assert!(backoff(b, m, 30) <= Duration::from_millis(6250));
    }
}
