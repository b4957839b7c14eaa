//! `loupe sourcetypes test NAME FILE`: how a file's first events break and which `_time`
//! each gets, and why — Splunk's "Add data" preview, on the command line, so a user can
//! check a `[sourcetypes.NAME]` definition before importing anything.

use loupe_event::props::HeaderLine;
use loupe_event::sourcetype::Sourcetype;
use loupe_event::timestamp::TimeContext;

/// One event as the sourcetype cuts it.
#[derive(Debug, Clone, PartialEq)]
pub struct PreviewEvent {
    /// Its text.
    pub text: String,
    /// Epoch nanoseconds read from it, `None` when receipt time would be used.
    pub time_ns: Option<i64>,
    /// What gave the time (format and byte), or why there is none.
    pub why: String,
    /// A header line (names fields, never an event).
    pub header: bool,
    /// Fields the header gives this row.
    pub fields: Vec<(String, String)>,
    /// Cut at the maximum event size.
    pub truncated: bool,
}

/// Breaks `bytes` with `st` and timestamps the first `max` events (header lines included).
pub fn preview(
    st: &Sourcetype,
    bytes: &[u8],
    ctx: &TimeContext,
    max_event_bytes: usize,
    max: usize,
) -> Vec<PreviewEvent> {
    let mut breaker = st.breaker(max_event_bytes);
    let mut recognizer = st.recognizer();
    let mut header = st.header_reader();
    let mut out = Vec::new();
    let no_time = match st.definition().and_then(|d| d.props.time_format.as_deref()) {
        Some(f) => format!("no timestamp: time_format {f:?} did not match; receipt time"),
        None => "no timestamp found; receipt time".to_string(),
    };
    let mut on_event = |ev: loupe_event::RawEvent<'_>| {
        if out.len() >= max || ev.text.trim().is_empty() {
            return;
        }
        let mut fields = Vec::new();
        if let Some(h) = header.as_mut() {
            match h.read(&ev.text) {
                HeaderLine::Header => {
                    out.push(PreviewEvent {
                        text: ev.text.into_owned(),
                        time_ns: None,
                        why: match h.names() {
                            Some(n) => format!("header: fields {}", n.join(", ")),
                            None => "header line".into(),
                        },
                        header: true,
                        fields,
                        truncated: false,
                    });
                    return;
                }
                HeaderLine::Row(f) => {
                    fields = f.into_iter().map(|(k, v)| (k, v.to_string())).collect();
                }
            }
        }
        let time_ns = recognizer.recognize(&ev.text, ctx);
        let why = match time_ns {
            Some(_) => recognizer.last_match().unwrap_or_default(),
            None => no_time.clone(),
        };
        out.push(PreviewEvent {
            text: ev.text.into_owned(),
            time_ns,
            why,
            header: false,
            fields,
            truncated: ev.truncated,
        });
    };
    breaker.push(bytes, &mut on_event);
    breaker.finish(&mut on_event);
    out
}
