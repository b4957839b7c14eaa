//! The `email` action: one message to the recipients, with the results table as text and as
//! HTML, and the CSV and PDF attachments asked for, sent with `lettre` over SMTP.
//!
//! The server is `loupe.toml`'s `[email]` (DESIGN §3): `smtp = "smtp://host:25"` talks plain
//! SMTP and upgrades with STARTTLS whenever the server offers it (`starttls = "auto"`, the
//! default) — `starttls = "required"` refuses to send in clear (the password and the health
//! data in the table never cross the network unencrypted), `starttls = "never"` stays in clear,
//! for a local relay with a broken TLS set-up; `smtps://host:465` is TLS from the first byte.
//! Certificates are checked against the webpki roots, plus `ca_file` (PEM) for the internal
//! CA a clinic's relay is usually signed by. `username` with `password_file` (read at each send, trailing newline dropped,
//! so a rotated secret needs no restart) authenticates with PLAIN or LOGIN.
//!
//! The message is `multipart/mixed`: a `multipart/alternative` (text, then HTML: clients show
//! the richest they can), then `results.csv` and `results.pdf`. The subject is the action's
//! `subject` template (see [`crate::template`]), by default
//! `Loupe alert: $search_name$ ($result_count$ results)`.

use super::{capped, show_path, ActionConfig, Firing};
use crate::error::ActionError;
use crate::template::{render, severity_name, Escape};
use lettre::message::header::ContentType;
use lettre::message::{Attachment as MailAttachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{Message, SmtpTransport, Transport};
use loupe_meta::Attachment;
use serde::Deserialize;
use std::path::PathBuf;

/// Default subject template.
pub const DEFAULT_SUBJECT: &str = "Loupe alert: $search_name$ ($result_count$ results)";

/// `[email]` of `loupe.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailConfig {
    /// `smtp://host[:port]` (port 25 by default) or `smtps://host[:port]` (465).
    pub smtp: String,
    /// Sender address (`loupe@example.org` or `Loupe <loupe@example.org>`).
    pub from: String,
    /// SMTP user, when the server wants authentication.
    #[serde(default)]
    pub username: Option<String>,
    /// File holding the password (kept out of `loupe.toml`, which lives in git).
    #[serde(default)]
    pub password_file: Option<PathBuf>,
    /// STARTTLS on `smtp://`.
    #[serde(default)]
    pub starttls: StartTls,
    /// PEM file of a CA (or the server's own certificate) trusted beside the webpki roots.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
}

/// STARTTLS on a `smtp://` server.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StartTls {
    /// Upgrade when the server offers it.
    #[default]
    Auto,
    /// Upgrade, or send nothing.
    Required,
    /// Never upgrade.
    Never,
}

/// Where and how to connect, from `smtp`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpUrl {
    /// Host name or address.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// TLS from the first byte (`smtps://`).
    pub implicit_tls: bool,
}

impl SmtpUrl {
    /// Parses `smtp://host[:port]` or `smtps://host[:port]` (IPv6 in brackets).
    pub fn parse(url: &str) -> Result<SmtpUrl, ActionError> {
        let bad = |why: &str| ActionError::permanent(format!("[email] smtp = {url:?}: {why}"));
        let (implicit_tls, rest) = if let Some(r) = url.strip_prefix("smtps://") {
            (true, r)
        } else if let Some(r) = url.strip_prefix("smtp://") {
            (false, r)
        } else {
            return Err(bad("expected smtp:// or smtps://"));
        };
        let rest = rest.trim_end_matches('/');
        let (host, port) = if let Some(v6) = rest.strip_prefix('[') {
            let (h, after) = v6.split_once(']').ok_or_else(|| bad("unclosed ["))?;
            (h.to_string(), after.strip_prefix(':'))
        } else {
            match rest.rsplit_once(':') {
                Some((h, p)) => (h.to_string(), Some(p)),
                None => (rest.to_string(), None),
            }
        };
        if host.is_empty() {
            return Err(bad("no host"));
        }
        let port = match port {
            Some(p) => p.parse().map_err(|_| bad("bad port"))?,
            None if implicit_tls => 465,
            None => 25,
        };
        Ok(SmtpUrl {
            host,
            port,
            implicit_tls,
        })
    }
}

/// Builds the message (public so the indexer can offer "send a test mail" and tests can look).
pub fn message(
    config: &ActionConfig,
    from: &str,
    to: &[String],
    subject: Option<&str>,
    attach: &[Attachment],
    firing: &Firing,
) -> Result<Message, ActionError> {
    let from: Mailbox = from
        .parse()
        .map_err(|e| ActionError::permanent(format!("[email] from = {from:?}: {e}")))?;
    let mut builder = Message::builder().from(from).subject(render(
        subject.unwrap_or(DEFAULT_SUBJECT),
        firing,
        Escape::None,
    ));
    if to.is_empty() {
        return Err(ActionError::permanent("e-mail action has no recipient"));
    }
    for addr in to {
        let mb: Mailbox = addr
            .parse()
            .map_err(|e| ActionError::permanent(format!("recipient {addr:?}: {e}")))?;
        builder = builder.to(mb);
    }
    let rows = capped(config, firing);
    let (text, html) = bodies(firing, rows);
    let mut mixed = MultiPart::mixed().multipart(MultiPart::alternative_plain_html(text, html));
    if attach.contains(&Attachment::Csv) {
        let csv = crate::table::csv_bytes(&firing.columns, rows);
        mixed = mixed.singlepart(attachment("results.csv", "text/csv; charset=utf-8", csv)?);
    }
    if attach.contains(&Attachment::Pdf) {
        let pdf = crate::report::render_pdf(&crate::report::Report::for_firing(firing, rows));
        mixed = mixed.singlepart(attachment("results.pdf", "application/pdf", pdf)?);
    }
    builder
        .multipart(mixed)
        .map_err(|e| ActionError::permanent(format!("building the message: {e}")))
}

fn attachment(name: &str, content_type: &str, body: Vec<u8>) -> Result<SinglePart, ActionError> {
    let ct = ContentType::parse(content_type)
        .map_err(|e| ActionError::permanent(format!("content type {content_type}: {e}")))?;
    Ok(MailAttachment::new(name.to_string()).body(body, ct))
}

fn bodies(f: &Firing, rows: &[crate::searcher::Row]) -> (String, String) {
    use crate::table::{html_escape, html_table, text_table};
    let what = if f.resolved {
        "is resolved".to_string()
    } else {
        format!("fired with {} result(s)", f.rows.len())
    };
    let window = match f.earliest {
        Some(e) => format!("{e} to {}", f.latest),
        None => format!("all time to {}", f.latest),
    };
    let more = if rows.len() < f.rows.len() {
        format!("\n(first {} of {} rows)\n", rows.len(), f.rows.len())
    } else {
        String::new()
    };
    let text = format!(
        "Alert \"{}\" {what} (severity {}).\nSearch: {}\nTime range: {window}\nResults: {}\n\n{}{more}",
        f.search_name,
        severity_name(f.severity),
        f.query,
        f.results_link,
        text_table(&f.columns, rows),
    );
    let html = format!(
        "<!DOCTYPE html>\n<html><body style=\"font-family:sans-serif\">\n<p>Alert <b>{}</b> {what} (severity {}).</p>\n<p>Search: <code>{}</code><br>Time range: {}<br><a href=\"{}\">Open in Loupe</a></p>\n{}{}</body></html>\n",
        html_escape(&f.search_name),
        severity_name(f.severity),
        html_escape(&f.query),
        html_escape(&window),
        html_escape(&f.results_link),
        html_table(&f.columns, rows),
        html_escape(&more),
    );
    (text, html)
}

/// Sends the firing's mail through `[email]`.
pub fn send(
    config: &ActionConfig,
    to: &[String],
    subject: Option<&str>,
    attach: &[Attachment],
    firing: &Firing,
) -> Result<(), ActionError> {
    let Some(email) = &config.email else {
        return Err(ActionError::permanent(
            "e-mail action but no [email] section in loupe.toml",
        ));
    };
    let msg = message(config, &email.from, to, subject, attach, firing)?;
    transport(config, email)?
        .send(&msg)
        .map(|_| ())
        .map_err(|e| {
            let text = format!("SMTP {}: {e}", email.smtp);
            if e.is_permanent() {
                ActionError::permanent(text)
            } else {
                ActionError::transient(text)
            }
        })
}

fn transport(config: &ActionConfig, email: &EmailConfig) -> Result<SmtpTransport, ActionError> {
    let url = SmtpUrl::parse(&email.smtp)?;
    let tls_params = || {
        let mut b = TlsParameters::builder(url.host.clone());
        if let Some(ca) = &email.ca_file {
            let bad = |e: &dyn std::fmt::Display| {
                ActionError::permanent(format!("[email] ca_file {}: {e}", show_path(ca)))
            };
            let pem = std::fs::read(ca).map_err(|e| bad(&e))?;
            b = b.add_root_certificate(Certificate::from_pem(&pem).map_err(|e| bad(&e))?);
        }
        b.build()
            .map_err(|e| ActionError::permanent(format!("TLS for {}: {e}", url.host)))
    };
    let tls = if url.implicit_tls {
        Tls::Wrapper(tls_params()?)
    } else {
        match email.starttls {
            StartTls::Auto => Tls::Opportunistic(tls_params()?),
            StartTls::Required => Tls::Required(tls_params()?),
            StartTls::Never => Tls::None,
        }
    };
    let mut builder = SmtpTransport::builder_dangerous(url.host.as_str())
        .port(url.port)
        .tls(tls)
        .timeout(Some(config.smtp_timeout));
    if let Some(user) = &email.username {
        let password = match &email.password_file {
            Some(p) => std::fs::read_to_string(p)
                .map_err(|e| {
                    ActionError::transient(format!("[email] password_file {}: {e}", show_path(p)))
                })?
                .trim_end_matches(['\r', '\n'])
                .to_string(),
            None => String::new(),
        };
        builder = builder.credentials(Credentials::new(user.clone(), password));
    }
    Ok(builder.build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_urls() {
        let u = SmtpUrl::parse("smtp://127.0.0.1:2525").unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.implicit_tls),
            ("127.0.0.1", 2525, false)
        );
        assert_eq!(
            SmtpUrl::parse("smtps://mail.example.org").unwrap().port,
            465
        );
        assert_eq!(SmtpUrl::parse("smtp://[::1]:25").unwrap().host, "::1");
        assert!(SmtpUrl::parse("http://x").is_err());
    }

    #[test]
    fn the_message_has_its_parts() {
        let f = crate::actions::tests::firing();
        let m = message(
            &ActionConfig::default(),
            "Loupe <loupe@example.org>",
            &["team@example.org".into()],
            Some("[$severity$] $search_name$"),
            &[Attachment::Csv, Attachment::Pdf],
            &f,
        )
        .unwrap();
        let raw = String::from_utf8_lossy(&m.formatted()).to_string();
        assert!(raw.contains("Subject: [high] 5xx burst"), "{raw}");
        for part in [
            "multipart/mixed",
            "multipart/alternative",
            "text/plain",
            "text/html",
            "text/csv",
            "application/pdf",
            "results.pdf",
        ] {
            assert!(raw.contains(part), "missing {part}");
        }
    }
}
