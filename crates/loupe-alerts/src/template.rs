//! `$token$` substitution for webhook body templates and e-mail subjects, in the spirit of
//! Splunk's `$result.host$` / `$name$` tokens, so a Teams, Slack, Mattermost or Zoom incoming
//! webhook gets its own JSON shape:
//!
//! ```text
//! Slack / Mattermost: {"text": "$severity$ alert $search_name$: $result_count$ results $results_link$"}
//! Teams (workflow):   {"type": "message", "text": "**$search_name$** on $result.host$ — $results_link$"}
//! Zoom (incoming):    {"head": {"text": "$search_name$"}, "body": [{"type": "message", "text": "$results_table$"}]}
//! ```
//!
//! Tokens: `$search_name$` (also `$name$`), `$sid$`, `$results_link$`, `$owner$`, `$app$`,
//! `$severity$`, `$state$` (`fired`/`resolved`), `$result_count$` (also `$job.resultCount$`),
//! `$trigger_time$`, `$scheduled_time$`, `$earliest$`, `$latest$` (RFC 3339), `$query$`
//! (also `$search$`), `$key$` (the throttle key), `$result.FIELD$` (that field of the first row),
//! `$results_table$` (the rows as a text table). `$$` is a literal `$`; an unknown token is left
//! as written, so a stray `$` in a message is harmless.
//!
//! In a webhook body, substituted values are escaped as JSON string content (quotes,
//! backslashes, newlines), since templates put tokens inside JSON strings.

use crate::actions::Firing;

/// How substituted values are escaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escape {
    /// As they are (mail subject).
    None,
    /// As JSON string content (webhook body).
    Json,
}

/// Renders `template` for `firing`.
pub fn render(template: &str, firing: &Firing, escape: Escape) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find('$') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        if let Some(stripped) = after.strip_prefix('$') {
            out.push('$');
            rest = stripped;
            continue;
        }
        let end = after.find('$');
        let value = end.and_then(|e| {
            let name = &after[..e];
            let plausible = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_alphanumeric() || "_.:-{}@".contains(c));
            if plausible {
                token(name, firing)
            } else {
                None
            }
        });
        match (value, end) {
            (Some(v), Some(e)) => {
                match escape {
                    Escape::None => out.push_str(&v),
                    Escape::Json => {
                        let quoted = serde_json::Value::String(v).to_string();
                        out.push_str(&quoted[1..quoted.len() - 1]);
                    }
                }
                rest = &after[e + 1..];
            }
            _ => {
                out.push('$');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn token(name: &str, f: &Firing) -> Option<String> {
    let time = |t: Option<jiff::Timestamp>| t.map(|t| t.to_string()).unwrap_or_default();
    Some(match name {
        "search_name" | "name" => f.search_name.clone(),
        "sid" => f.sid.clone(),
        "results_link" => f.results_link.clone(),
        "owner" => f.owner.clone(),
        "app" => f.app.clone(),
        "severity" => severity_name(f.severity).to_string(),
        "state" => if f.resolved { "resolved" } else { "fired" }.to_string(),
        "result_count" | "job.resultCount" => f.rows.len().to_string(),
        "trigger_time" => f.trigger_time.to_string(),
        "scheduled_time" => f.scheduled_time.to_string(),
        "earliest" => time(f.earliest),
        "latest" => time(Some(f.latest)),
        "query" | "search" => f.query.clone(),
        "key" => f.key.clone(),
        "results_table" => crate::table::text_table(&f.columns, &f.rows),
        _ => {
            let field = name.strip_prefix("result.")?;
            f.rows
                .first()
                .and_then(|r| r.get(field))
                .map(crate::table::cell_text)
                .unwrap_or_default()
        }
    })
}

/// Severity as the API spells it.
pub fn severity_name(s: loupe_meta::Severity) -> &'static str {
    use loupe_meta::Severity::*;
    match s {
        Info => "info",
        Low => "low",
        Medium => "medium",
        High => "high",
        Critical => "critical",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::tests::firing;

    #[test]
    fn tokens_and_escapes() {
        let f = firing();
        assert_eq!(
            render(
                "$search_name$ on $result.host$ ($result_count$) $$5 $nope$ $ x",
                &f,
                Escape::None
            ),
            "5xx burst on web-1 (2) $5 $nope$ $ x"
        );
        let body = render(r#"{"text":"$result.msg$"}"#, &f, Escape::Json);
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["text"], "said \"hi\"\nthen left");
    }
}
