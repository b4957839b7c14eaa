//! The `webhook` action: an HTTP POST of Splunk's payload, or of the saved `body_template`
//! rendered (see [`crate::template`] for the Teams, Slack, Mattermost and Zoom shapes).
//!
//! Splunk's payload is `{search_name, sid, results_link, owner, app, result}` with `result` the
//! first row; Loupe adds `results` (every row up to the cap), `result_count`, `severity`,
//! `state` (`fired`/`resolved`), `trigger_time` and `key`, so one receiver sees the whole firing.
//!
//! A 2xx answer is success; 408, 429, 5xx and connection failures are retried; other 4xx
//! answers are not (the receiver refuses this body and will again).

use super::{capped, ActionConfig, Firing};
use crate::error::ActionError;
use crate::template::{render, severity_name, Escape};

/// The JSON body Splunk's webhook action sends, with Loupe's additions.
pub fn payload(config: &ActionConfig, firing: &Firing) -> serde_json::Value {
    serde_json::json!({
        "search_name": firing.search_name,
        "sid": firing.sid,
        "results_link": firing.results_link,
        "owner": firing.owner,
        "app": firing.app,
        "result": firing.rows.first().cloned().unwrap_or_default(),
        "results": capped(config, firing),
        "result_count": firing.rows.len(),
        "severity": severity_name(firing.severity),
        "state": if firing.resolved { "resolved" } else { "fired" },
        "trigger_time": firing.trigger_time.as_second(),
        "key": firing.key,
    })
}

/// POSTs the firing to `url`.
pub fn send(
    config: &ActionConfig,
    url: &str,
    body_template: Option<&str>,
    firing: &Firing,
) -> Result<(), ActionError> {
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(ActionError::permanent(format!(
            "webhook URL {url:?} is not http:// or https://"
        )));
    }
    let body = match body_template {
        Some(t) => render(t, firing, Escape::Json),
        None => payload(config, firing).to_string(),
    };
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(config.webhook_timeout))
        .http_status_as_error(false)
        .build()
        .into();
    let response = agent
        .post(url)
        .header("Content-Type", "application/json")
        .header("User-Agent", "loupe-alerts")
        .send(body.as_bytes())
        .map_err(|e| ActionError::transient(format!("POST {url}: {e}")))?;
    let status = response.status().as_u16();
    if (200..300).contains(&status) {
        return Ok(());
    }
    let mut text = response
        .into_body()
        .with_config()
        .limit(2048)
        .read_to_string()
        .unwrap_or_default();
    text.truncate(200);
    let message = format!("POST {url}: HTTP {status} {}", text.trim());
    if status == 408 || status == 429 || status >= 500 {
        Err(ActionError::transient(message))
    } else {
        Err(ActionError::permanent(message))
    }
}
