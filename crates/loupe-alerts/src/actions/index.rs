//! The `index` action: the firing as a JSON event in the index named, so firings are
//! searched, charted and alerted on like any other data.
//!
//! The scheduler already writes every firing into `_alerts` (DESIGN §8), so an `index` action
//! without an index, or naming `_alerts`, succeeds without writing a second copy; naming
//! another index (`alerts_web`, say) writes the firing there too.

use super::Firing;
use crate::error::ActionError;
use crate::record::epoch;
use crate::searcher::EventSink;

/// Emits the firing through the sink.
pub fn send(sink: &dyn EventSink, index: Option<&str>, firing: &Firing) -> Result<(), ActionError> {
    let index = index.unwrap_or(crate::ALERTS_INDEX);
    if index == crate::ALERTS_INDEX {
        return Ok(());
    }
    sink.emit(index, event(firing))
        .map_err(|e| ActionError::transient(format!("writing to index {index}: {e}")))
}

/// The event: Splunk's alert fields plus the rows.
pub fn event(f: &Firing) -> serde_json::Value {
    serde_json::json!({
        "time": epoch(f.trigger_time),
        "event_type": if f.resolved { "resolved" } else { "fired" },
        "search_name": f.search_name,
        "sid": f.sid,
        "severity": crate::template::severity_name(f.severity),
        "scheduled_time": f.scheduled_time.to_string(),
        "trigger_time": f.trigger_time.to_string(),
        "key": f.key,
        "result_count": f.rows.len(),
        "results_link": f.results_link,
        "result": f.rows.first().cloned().unwrap_or_default(),
        "results": f.rows,
    })
}
