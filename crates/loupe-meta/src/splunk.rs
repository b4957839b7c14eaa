//! Splunk's `savedsearches.conf`, read as it is, so a team moving from Splunk brings its
//! file unchanged: stanzas become [`SavedSearch`]es, and every key Loupe does not carry over
//! is listed (never silently dropped).
//!
//! ```
//! let conf = "[Failed logins]\nsearch = sourcetype=linux_secure \"Failed password\" \\\n  | stats count by src_ip\ncron_schedule = */5 * * * *\nenableSched = 1\ncounttype = number of results\nrelation = greater than\nquantity = 0\n";
//! let read = loupe_meta::splunk::read_conf(conf).unwrap();
//! assert_eq!(read.searches[0].search.cron.as_deref(), Some("*/5 * * * *"));
//! assert!(read.searches[0].search.query.ends_with("| stats count by src_ip"));
//! ```

use crate::objects::{
    Action, Alert, AlertMode, Attachment, CatchUp, Condition, Relation, SavedSearch, Severity,
};
use std::collections::BTreeMap;

/// A stanza that could not be read: where and why.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ConfError {
    pub line: usize,
    pub message: String,
}

/// One saved search read from a stanza, with the keys that were not carried over.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfSearch {
    pub search: SavedSearch,
    /// Line of the stanza header.
    pub line: usize,
    /// `key = value` pairs Loupe does not support, as written.
    pub unsupported: Vec<String>,
}

/// The searches of a file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ConfFile {
    pub searches: Vec<ConfSearch>,
}

/// Keys whose meaning is the console's or Splunk's own bookkeeping: not carried over, and not
/// worth a warning each (they are summarised as one).
fn cosmetic(key: &str) -> bool {
    key.starts_with("display.")
        || key.starts_with("request.ui_")
        || key.starts_with("alert.track")
        || key == "is_visible"
        || key == "auto_summarize"
        || key.starts_with("auto_summarize.")
        || key.starts_with("dispatchAs")
        || key == "dispatch.ttl"
        || key == "dispatch.spawn_process"
}

/// A stanza's keys: name → (line, value).
type Keys = BTreeMap<String, (usize, String)>;

/// Reads a whole `savedsearches.conf`.
pub fn read_conf(text: &str) -> Result<ConfFile, ConfError> {
    let mut stanzas: Vec<(usize, String, Keys)> = Vec::new();
    let mut lines = text.lines().enumerate().peekable();
    while let Some((i, raw)) = lines.next() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if line.starts_with('[') {
            let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) else {
                return Err(ConfError {
                    line: i + 1,
                    message: format!("stanza header {line:?} does not end with ]"),
                });
            };
            stanzas.push((i + 1, name.trim().to_string(), BTreeMap::new()));
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            return Err(ConfError {
                line: i + 1,
                message: format!("expected `key = value`, found {line:?}"),
            });
        };
        // A value continues on the next line while it ends with a backslash.
        let mut value = value.trim().to_string();
        while value.ends_with('\\') {
            value.pop();
            match lines.next() {
                Some((_, next)) => {
                    value = value.trim_end().to_string();
                    value.push('\n');
                    value.push_str(next.trim());
                }
                None => break,
            }
        }
        let Some((_, _, keys)) = stanzas.last_mut() else {
            // `default` settings before any stanza apply to none here.
            continue;
        };
        keys.insert(key.trim().to_string(), (i + 1, value));
    }
    let mut out = ConfFile::default();
    for (line, name, keys) in stanzas {
        if name == "default" {
            continue;
        }
        out.searches.push(stanza(line, name, keys)?);
    }
    Ok(out)
}

fn flag(v: &str) -> bool {
    matches!(
        v.trim().to_ascii_lowercase().as_str(),
        "1" | "true" | "yes" | "t"
    )
}

fn stanza(line: usize, name: String, mut keys: Keys) -> Result<ConfSearch, ConfError> {
    let mut take = |k: &str| keys.remove(k).map(|(_, v)| v);
    let Some(query) = take("search") else {
        return Err(ConfError {
            line,
            message: format!("stanza [{name}] has no `search`"),
        });
    };
    let cron = take("cron_schedule");
    let scheduled = take("enableSched").is_some_and(|v| flag(&v));
    let disabled = take("disabled").is_some_and(|v| flag(&v));
    let description = take("description").unwrap_or_default();
    let earliest = take("dispatch.earliest_time").filter(|v| !v.is_empty());
    let latest = take("dispatch.latest_time").filter(|v| !v.is_empty());
    let schedule_window = take("schedule_window").filter(|v| v != "0" && v != "auto");
    let counttype = take("counttype");
    let relation = take("relation");
    let quantity = take("quantity");
    let alert_condition = take("alert_condition");
    let digest = take("alert.digest_mode");
    let suppress = take("alert.suppress").is_some_and(|v| flag(&v));
    let period = take("alert.suppress.period");
    let fields = take("alert.suppress.fields");
    let severity = take("alert.severity");
    let actions_list = take("actions").unwrap_or_default();
    let email_on = take("action.email").is_some_and(|v| flag(&v))
        || actions_list.split(',').any(|a| a.trim() == "email");
    let webhook_on = take("action.webhook").is_some_and(|v| flag(&v))
        || actions_list.split(',').any(|a| a.trim() == "webhook");
    let email_to = take("action.email.to");
    let email_subject = take("action.email.subject").or_else(|| take("action.email.subject.alert"));
    let send_pdf = take("action.email.sendpdf").is_some_and(|v| flag(&v));
    let send_csv = take("action.email.sendcsv").is_some_and(|v| flag(&v));
    let webhook_url = take("action.webhook.param.url");
    let bad = |message: String| ConfError { line, message };

    let relation = match relation.as_deref().map(str::trim) {
        None => None,
        Some("greater than") => Some(Relation::GreaterThan),
        Some("less than") => Some(Relation::LessThan),
        Some("equal to") => Some(Relation::EqualTo),
        Some("not equal to") => Some(Relation::NotEqualTo),
        Some("rises by") => Some(Relation::RisesBy),
        Some("drops by") => Some(Relation::DropsBy),
        Some(other) => {
            return Err(bad(format!(
                "[{name}] relation = {other}: not a Splunk relation"
            )))
        }
    };
    let quantity = match quantity {
        None => None,
        Some(q) => Some(
            q.trim()
                .parse::<f64>()
                .map_err(|_| bad(format!("[{name}] quantity = {q}: not a number")))?,
        ),
    };
    let counted = |kind: &str| -> Result<Condition, ConfError> {
        let relation = relation.unwrap_or(Relation::GreaterThan);
        let quantity = quantity.unwrap_or(0.0);
        Ok(match kind {
            "number of hosts" => Condition::Hosts { relation, quantity },
            "number of sources" => Condition::Sources { relation, quantity },
            _ => Condition::Results { relation, quantity },
        })
    };
    let condition = match (counttype.as_deref().map(str::trim), alert_condition) {
        (Some("custom"), Some(c)) | (None, Some(c)) => Some(Condition::Where {
            expr: c
                .trim()
                .strip_prefix("search ")
                .unwrap_or(c.trim())
                .trim()
                .to_string(),
        }),
        (Some("always"), _) => Some(Condition::Always),
        (
            Some(
                kind @ ("number of events" | "number of results" | "number of hosts"
                | "number of sources"),
            ),
            _,
        ) => Some(counted(kind)?),
        (Some(other), _) => {
            return Err(bad(format!("[{name}] counttype = {other}: not supported")))
        }
        (None, None) => None,
    };
    let mut actions = Vec::new();
    if email_on {
        let to: Vec<String> = email_to
            .unwrap_or_default()
            .split([',', ';'])
            .map(|a| a.trim().to_string())
            .filter(|a| !a.is_empty())
            .collect();
        let mut attach = Vec::new();
        if send_csv {
            attach.push(Attachment::Csv);
        }
        if send_pdf {
            attach.push(Attachment::Pdf);
        }
        actions.push(Action::Email {
            to,
            subject: email_subject.map(|s| s.replace("$name$", "$search_name$")),
            attach,
        });
    }
    if webhook_on {
        match webhook_url {
            Some(url) => actions.push(Action::Webhook {
                url,
                body_template: None,
            }),
            None => {
                return Err(bad(format!(
                    "[{name}] action.webhook without action.webhook.param.url"
                )))
            }
        }
    }
    let severity = match severity.as_deref().map(str::trim) {
        None => Severity::Medium,
        Some("1" | "2") => Severity::Info,
        Some("3") => Severity::Low,
        Some("4") => Severity::Medium,
        Some("5") => Severity::High,
        Some("6") => Severity::Critical,
        Some(other) => return Err(bad(format!("[{name}] alert.severity = {other}: 1 to 6"))),
    };
    let alert = condition.map(|condition| Alert {
        condition,
        mode: match digest.as_deref().map(flag) {
            Some(false) => AlertMode::PerResult,
            _ => AlertMode::Digest,
        },
        throttle: suppress.then(|| period.unwrap_or_else(|| "60s".into())),
        throttle_fields: if suppress {
            fields
                .unwrap_or_default()
                .split(',')
                .map(|f| f.trim().to_string())
                .filter(|f| !f.is_empty())
                .collect()
        } else {
            Vec::new()
        },
        severity,
        notify_resolved: false,
        actions,
    });
    let mut unsupported: Vec<String> = keys
        .iter()
        .filter(|(k, _)| !cosmetic(k))
        .map(|(k, (_, v))| format!("{k} = {v}"))
        .collect();
    let skipped = keys.keys().filter(|k| cosmetic(k)).count();
    if skipped > 0 {
        unsupported.push(format!(
            "{skipped} display/UI setting(s) (display.*, request.ui_*, alert.track…) not carried over"
        ));
    }
    Ok(ConfSearch {
        search: SavedSearch {
            name,
            query: query.trim().to_string(),
            description,
            earliest,
            latest,
            cron: if scheduled {
                cron
            } else {
                cron.filter(|_| false)
            },
            timezone: None,
            enabled: !disabled,
            schedule_window,
            catch_up: CatchUp::Skip,
            keep_runs: None,
            alert,
        },
        line,
        unsupported,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_splunk_alert_stanza_becomes_an_alert() {
        let conf = r#"
# Security alerts
[default]
dispatch.ttl = 2p

[SSH brute force]
search = sourcetype=linux_secure "Failed password" \
  | stats count by src_ip \
  | where count > 10
description = many failures from one address
cron_schedule = */15 * * * *
enableSched = 1
dispatch.earliest_time = -15m@m
dispatch.latest_time = now
counttype = number of results
relation = greater than
quantity = 0
alert.digest_mode = 0
alert.suppress = 1
alert.suppress.period = 1h
alert.suppress.fields = src_ip
alert.severity = 5
actions = email, webhook
action.email.to = secops@example.org; oncall@example.org
action.email.sendcsv = 1
action.email.sendpdf = 1
action.webhook.param.url = https://hooks.example.org/x
display.visualizations.show = 0
alert.track = 1
dispatch.buckets = 300

[Dashboard panel]
search = index=web | timechart count
enableSched = 0
cron_schedule = 0 * * * *
"#;
        let f = read_conf(conf).unwrap();
        assert_eq!(f.searches.len(), 2);
        let s = &f.searches[0];
        assert_eq!(s.line, 6);
        assert_eq!(
            s.search.query,
            "sourcetype=linux_secure \"Failed password\"\n| stats count by src_ip\n| where count > 10"
        );
        assert_eq!(s.search.earliest.as_deref(), Some("-15m@m"));
        let a = s.search.alert.as_ref().unwrap();
        assert_eq!(a.mode, AlertMode::PerResult);
        assert_eq!(a.throttle.as_deref(), Some("1h"));
        assert_eq!(a.throttle_fields, vec!["src_ip"]);
        assert_eq!(a.severity, Severity::High);
        assert_eq!(
            a.actions[0],
            Action::Email {
                to: vec!["secops@example.org".into(), "oncall@example.org".into()],
                subject: None,
                attach: vec![Attachment::Csv, Attachment::Pdf],
            }
        );
        assert!(matches!(&a.actions[1], Action::Webhook { url, .. } if url.ends_with("/x")));
        assert_eq!(s.unsupported[0], "dispatch.buckets = 300");
        assert!(
            s.unsupported[1].contains("2 display/UI"),
            "{:?}",
            s.unsupported
        );
        // Not scheduled: no cron.
        assert_eq!(f.searches[1].search.cron, None);
        assert!(f.searches[1].search.alert.is_none());
        let err = read_conf("[x]\nsearch = *\nrelation = bigger\ncounttype = number of results\n")
            .unwrap_err();
        assert_eq!(err.line, 1);
        assert!(read_conf("[x\nsearch = *").is_err());
    }
}
