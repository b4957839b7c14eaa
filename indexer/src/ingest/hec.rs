//! Turning HEC request bodies into events, with Splunk's per-event error reporting.

use super::{EventDefaults, Limits};
use loupe_event::{Event, EventFlags, Value};
use loupe_proto::{Envelope, HecCode};

/// A body that could not be read in full: the events before `index` are good and are indexed.
#[derive(Debug)]
pub struct BodyError {
    pub code: HecCode,
    /// 0-based number of the first rejected event.
    pub index: usize,
    pub message: String,
    pub good: Vec<Event>,
}

/// Parses `/services/collector/event` bodies: JSON envelopes back to back (or one JSON array of them).
pub fn parse_event_body(
    body: &[u8],
    defaults: &EventDefaults,
    limits: &Limits,
) -> Result<Vec<Event>, BodyError> {
    // A Latin-1 or cut UTF-8 sender loses nothing: the body is decoded lossily, as `/raw`
    // does, and the events that held bad bytes are flagged (`ingest_warning=invalid_utf8`).
    let Some(repairs) = invalid_utf8(body) else {
        return parse_utf8_body(body, defaults, limits, &[]);
    };
    let (text, at) = repairs;
    parse_utf8_body(text.as_bytes(), defaults, limits, &at)
}

/// `None` for valid UTF-8; otherwise the lossy text and the offsets (in it) of each U+FFFD
/// that stands for invalid bytes.
fn invalid_utf8(body: &[u8]) -> Option<(String, Vec<usize>)> {
    if std::str::from_utf8(body).is_ok() {
        return None;
    }
    let mut text = String::with_capacity(body.len() + 16);
    let mut at = Vec::new();
    for chunk in body.utf8_chunks() {
        text.push_str(chunk.valid());
        if !chunk.invalid().is_empty() {
            at.push(text.len());
            text.push(char::REPLACEMENT_CHARACTER);
        }
    }
    Some((text, at))
}

/// serde_json's words for a `\ud800` with no second half are about hex digits; say what it is.
fn json_message(e: &serde_json::Error) -> String {
    let text = e.to_string();
    if text.contains("surrogate") || text.contains("hex escape") {
        return format!(
            "Invalid data format: a \\u escape is a lone UTF-16 surrogate (\\ud800-\\udfff must come in pairs, high then low) at line {} column {}",
            e.line(),
            e.column()
        );
    }
    format!("Invalid data format: {text}")
}

fn parse_utf8_body(
    body: &[u8],
    defaults: &EventDefaults,
    limits: &Limits,
    repaired_at: &[usize],
) -> Result<Vec<Event>, BodyError> {
    let lead = body.len() - body.trim_ascii_start().len();
    let trimmed = trim_ascii(body);
    if trimmed.is_empty() {
        return Err(BodyError {
            code: HecCode::NoData,
            index: 0,
            message: "No data".into(),
            good: Vec::new(),
        });
    }
    let mut events = Vec::new();
    let fail = |events: Vec<Event>, code: HecCode, message: String| {
        let index = events.len();
        BodyError {
            code,
            index,
            message,
            good: events,
        }
    };
    if trimmed[0] == b'[' {
        // Not Splunk's format, but some senders batch as an array; accept it.
        let arr: Vec<Envelope> = serde_json::from_slice(trimmed)
            .map_err(|e| fail(Vec::new(), HecCode::InvalidDataFormat, json_message(&e)))?;
        let lossy = !repaired_at.is_empty();
        for env in arr {
            match envelope_to_event(env, defaults, limits) {
                Ok(mut ev) => {
                    // An array's items have no offsets of their own: flag any that shows one.
                    ev.flags.lossy_utf8 |= lossy && holds_replacement(&ev);
                    events.push(ev)
                }
                Err((code, msg)) => return Err(fail(events, code, msg)),
            }
        }
        return Ok(events);
    }
    // Envelopes are read straight into their struct (no intermediate JSON tree); what starts
    // an item is looked at first, so a non-object gets its own message.
    let mut stream = serde_json::Deserializer::from_slice(trimmed).into_iter::<Envelope>();
    loop {
        let rest = trimmed.get(stream.byte_offset()..).unwrap_or_default();
        match rest.iter().find(|b| !b.is_ascii_whitespace()) {
            None => break,
            Some(b'{') => {}
            Some(_) => {
                return Err(fail(
                    events,
                    HecCode::InvalidDataFormat,
                    "Invalid data format: an event must be a JSON object".into(),
                ))
            }
        }
        let start = lead + stream.byte_offset();
        let env = match stream.next() {
            None => break,
            Some(Ok(env)) => env,
            Some(Err(e)) => return Err(fail(events, HecCode::InvalidDataFormat, json_message(&e))),
        };
        let end = lead + stream.byte_offset();
        match envelope_to_event(env, defaults, limits) {
            Ok(mut ev) => {
                ev.flags.lossy_utf8 |= repaired_at.iter().any(|&i| i >= start && i < end);
                events.push(ev)
            }
            Err((code, msg)) => return Err(fail(events, code, msg)),
        }
    }
    Ok(events)
}

fn holds_replacement(ev: &Event) -> bool {
    ev.raw.contains(char::REPLACEMENT_CHARACTER)
        || ev.host.contains(char::REPLACEMENT_CHARACTER)
        || ev.source.contains(char::REPLACEMENT_CHARACTER)
}

fn trim_ascii(b: &[u8]) -> &[u8] {
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map(|p| p + 1)
        .unwrap_or(start);
    &b[start..end]
}

fn envelope_to_event(
    env: Envelope,
    d: &EventDefaults,
    limits: &Limits,
) -> Result<Event, (HecCode, String)> {
    let time = env.time_ns().map_err(|e| {
        (
            HecCode::InvalidDataFormat,
            format!("Invalid data format: {e}"),
        )
    })?;
    let mut fields: Vec<(String, Value)> = Vec::new();
    let raw = match env.event {
        None => {
            return Err((
                HecCode::EventFieldRequired,
                "Event field is required".into(),
            ))
        }
        Some(serde_json::Value::String(s)) => {
            if s.trim().is_empty() {
                return Err((
                    HecCode::EventFieldBlank,
                    "Event field cannot be blank".into(),
                ));
            }
            // A JSON document sent as text under a JSON sourcetype: its keys are indexed too.
            let json_sourcetype = env
                .sourcetype
                .as_deref()
                .is_some_and(|st| st == "_json" || st == "json");
            if json_sourcetype && s.trim_start().starts_with('{') && env.fields.is_none() {
                if let Ok(serde_json::Value::Object(map)) =
                    serde_json::from_str::<serde_json::Value>(&s)
                {
                    flatten_json("", &map, &mut fields, 0);
                }
            }
            s
        }
        Some(serde_json::Value::Null) => {
            return Err((
                HecCode::EventFieldBlank,
                "Event field cannot be blank".into(),
            ))
        }
        Some(obj @ serde_json::Value::Object(_)) => {
            if let serde_json::Value::Object(map) = &obj {
                if map.is_empty() {
                    return Err((
                        HecCode::EventFieldBlank,
                        "Event field cannot be blank".into(),
                    ));
                }
                flatten_json("", map, &mut fields, 0);
            }
            obj.to_string()
        }
        Some(other) => other.to_string(),
    };
    if let Some(extra) = env.fields {
        for (k, v) in extra {
            match &v {
                serde_json::Value::Object(_) => {
                    return Err((
                        HecCode::IndexedFieldsError,
                        format!("Error in handling indexed fields: {k:?} is an object"),
                    ))
                }
                serde_json::Value::Array(items)
                    if items.iter().any(|i| i.is_object() || i.is_array()) =>
                {
                    return Err((
                        HecCode::IndexedFieldsError,
                        format!("Error in handling indexed fields: {k:?} nests"),
                    ))
                }
                _ => {}
            }
            fields.push((k, Value::from_json(&v)));
        }
    }
    let index = env
        .index
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| d.index.clone());
    let sourcetype = env
        .sourcetype
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| d.sourcetype.clone());
    let mut ev = Event {
        time_ns: 0,
        raw,
        host: env
            .host
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| d.host.clone()),
        source: env
            .source
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| d.source.clone()),
        sourcetype,
        index,
        fields,
        flags: EventFlags::default(),
    };
    limits.truncate(&mut ev);
    ev.time_ns = match time {
        Some(t) => t,
        None => super::recognise_time(&ev.raw, &ev.sourcetype, limits).unwrap_or_else(|| {
            ev.flags.time_from_receipt = !ev.sourcetype.eq_ignore_ascii_case("httpevent");
            limits.now_ns
        }),
    };
    Ok(ev)
}

/// Indexes the scalar leaves of a JSON event as `a.b.c` fields (arrays become multi-values).
pub fn flatten_json(
    prefix: &str,
    map: &serde_json::Map<String, serde_json::Value>,
    out: &mut Vec<(String, Value)>,
    depth: usize,
) {
    if depth > 8 || out.len() > 256 {
        return;
    }
    for (k, v) in map {
        let name = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            serde_json::Value::Object(inner) => flatten_json(&name, inner, out, depth + 1),
            serde_json::Value::Null => {}
            serde_json::Value::Array(items) => {
                let scalars: Vec<Value> = items
                    .iter()
                    .filter(|i| !i.is_object() && !i.is_array())
                    .map(Value::from_json)
                    .collect();
                if !scalars.is_empty() {
                    out.push((format!("{name}{{}}"), Value::Multi(scalars)));
                }
            }
            other => out.push((name, Value::from_json(other))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults() -> EventDefaults {
        EventDefaults {
            host: "indexer".into(),
            source: "http:test".into(),
            sourcetype: "httpevent".into(),
            index: "main".into(),
        }
    }

    fn limits() -> Limits {
        Limits {
            max_event_bytes: 64,
            now_ns: 42,
            default_year: 2026,
            tz: jiff::tz::TimeZone::UTC,
        }
    }

    #[test]
    fn concatenated_envelopes() {
        let body = br#"{"time":1767225601.5,"event":"a","host":"h1"} {"event":{"user":"bob","n":{"x":1}},"fields":{"env":"prod"}}"#;
        let evs = parse_event_body(body, &defaults(), &limits()).unwrap();
        assert_eq!(evs.len(), 2);
        assert_eq!(evs[0].time_ns, 1_767_225_601_500_000_000);
        assert_eq!(evs[0].host, "h1");
        assert_eq!(evs[1].host, "indexer");
        assert_eq!(evs[1].time_ns, 42);
        assert!(evs[1]
            .fields
            .contains(&("user".into(), Value::Str("bob".into()))));
        assert!(evs[1].fields.contains(&("n.x".into(), Value::Int(1))));
        assert!(evs[1]
            .fields
            .contains(&("env".into(), Value::Str("prod".into()))));
    }

    #[test]
    fn errors_name_the_event() {
        let body = br#"{"event":"a"}{"event":"b"}{"event":""}{"event":"d"}"#;
        let err = parse_event_body(body, &defaults(), &limits()).unwrap_err();
        assert_eq!(err.code, HecCode::EventFieldBlank);
        assert_eq!(err.index, 2);
        assert_eq!(err.good.len(), 2);
        let err =
            parse_event_body(br#"{"event":"a"}{"nope":1}"#, &defaults(), &limits()).unwrap_err();
        assert_eq!((err.code, err.index), (HecCode::EventFieldRequired, 1));
        let err = parse_event_body(br#"{"event":"a"} {"event": "b""#, &defaults(), &limits())
            .unwrap_err();
        assert_eq!((err.code, err.index), (HecCode::InvalidDataFormat, 1));
        let err = parse_event_body(b"  ", &defaults(), &limits()).unwrap_err();
        assert_eq!(err.code, HecCode::NoData);
        let err = parse_event_body(
            br#"{"event":"a","fields":{"x":{"y":1}}}"#,
            &defaults(),
            &limits(),
        )
        .unwrap_err();
        assert_eq!(err.code, HecCode::IndexedFieldsError);
        let err = parse_event_body(br#"{"event":"a","time":"later"}"#, &defaults(), &limits())
            .unwrap_err();
        assert_eq!(err.code, HecCode::InvalidDataFormat);
    }

    #[test]
    fn long_events_are_cut_and_flagged() {
        let long = "x".repeat(100);
        let body = format!(r#"{{"event":"{long}"}}"#);
        let evs = parse_event_body(body.as_bytes(), &defaults(), &limits()).unwrap();
        assert_eq!(evs[0].raw.len(), 64);
        assert!(evs[0].flags.truncated);
    }

    #[test]
    fn invalid_utf8_is_decoded_lossily_and_flagged() {
        // Latin-1 "café", then a clean event, then UTF-8 cut inside a 3-byte sequence.
        let mut body = b"{\"event\":\"caf\xe9\"} {\"event\":\"clean\"} ".to_vec();
        body.extend_from_slice(b"{\"event\":\"cut \xe2\x82\"}");
        let evs = parse_event_body(&body, &defaults(), &limits()).unwrap();
        assert_eq!(evs.len(), 3);
        assert_eq!(evs[0].raw, "caf\u{fffd}");
        assert!(evs[0].flags.lossy_utf8);
        assert_eq!(evs[1].raw, "clean");
        assert!(
            !evs[1].flags.lossy_utf8,
            "only the events holding bad bytes are flagged"
        );
        assert_eq!(evs[2].raw, "cut \u{fffd}");
        assert!(evs[2].flags.lossy_utf8);
        // The same in an array, and in a host name.
        let evs = parse_event_body(
            b"[{\"event\":\"ok\"},{\"event\":\"x\",\"host\":\"h\xf6st\"}]",
            &defaults(),
            &limits(),
        )
        .unwrap();
        assert!(!evs[0].flags.lossy_utf8);
        assert!(evs[1].flags.lossy_utf8);
        assert_eq!(evs[1].host, "h\u{fffd}st");
    }

    #[test]
    fn a_lone_surrogate_escape_is_named() {
        let err = parse_event_body(
            br#"{"event":"a"}{"event":"\ud800"}"#,
            &defaults(),
            &limits(),
        )
        .unwrap_err();
        assert_eq!((err.code, err.index), (HecCode::InvalidDataFormat, 1));
        assert!(
            err.message.contains("lone UTF-16 surrogate"),
            "{}",
            err.message
        );
        // A proper pair is a character.
        let evs = parse_event_body(br#"{"event":"\ud83d\ude00"}"#, &defaults(), &limits()).unwrap();
        assert_eq!(evs[0].raw, "\u{1f600}");
    }
}
