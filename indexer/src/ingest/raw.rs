//! Raw text to events: line breaking and timestamps by sourcetype, for `/raw` bodies and file imports.

use super::{EventDefaults, Limits};
use loupe_event::linebreak::{EventBreaker, RawEvent};
use loupe_event::props::{HeaderLine, HeaderReader};
use loupe_event::sourcetype::Sourcetype;
use loupe_event::timestamp::{TimeContext, TimestampRecognizer};
use loupe_event::{Event, EventFlags};

/// Incremental parser of one stream of raw text (a file, a request body).
pub struct RawParser {
    breaker: EventBreaker,
    recognizer: TimestampRecognizer,
    ctx: TimeContext,
    meta: EventDefaults,
    now_ns: i64,
    json: bool,
    max_event_bytes: usize,
    header: Option<HeaderReader>,
}

impl RawParser {
    /// A parser for one stream; `meta` gives host, source, sourcetype and index to every event.
    pub fn new(sourcetype: &Sourcetype, meta: EventDefaults, limits: &Limits) -> Self {
        RawParser {
            breaker: sourcetype.breaker(limits.max_event_bytes),
            recognizer: sourcetype.recognizer(),
            ctx: limits.time_context(),
            meta,
            now_ns: limits.now_ns,
            json: sourcetype.is_json(),
            max_event_bytes: sourcetype
                .max_event_bytes()
                .unwrap_or(limits.max_event_bytes),
            header: sourcetype.header_reader(),
        }
    }

    /// Feeds bytes (any split); complete events are passed to `out`.
    pub fn push(&mut self, chunk: &[u8], out: &mut dyn FnMut(Event)) {
        let (breaker, mut rest) = self.split();
        breaker.push(chunk, &mut |raw| rest.emit(raw, out));
    }

    /// Flushes the last event at end of stream.
    pub fn finish(&mut self, out: &mut dyn FnMut(Event)) {
        let (breaker, mut rest) = self.split();
        breaker.finish(&mut |raw| rest.emit(raw, out));
    }

    fn split(&mut self) -> (&mut EventBreaker, Emitter<'_>) {
        (
            &mut self.breaker,
            Emitter {
                recognizer: &mut self.recognizer,
                ctx: &self.ctx,
                meta: &self.meta,
                now_ns: self.now_ns,
                json: self.json,
                max_event_bytes: self.max_event_bytes,
                header: self.header.as_mut(),
            },
        )
    }
}

struct Emitter<'a> {
    recognizer: &'a mut TimestampRecognizer,
    ctx: &'a TimeContext,
    meta: &'a EventDefaults,
    now_ns: i64,
    json: bool,
    max_event_bytes: usize,
    header: Option<&'a mut HeaderReader>,
}

impl Emitter<'_> {
    fn emit(&mut self, raw: RawEvent<'_>, out: &mut dyn FnMut(Event)) {
        if raw.text.trim().is_empty() {
            return;
        }
        let mut fields = Vec::new();
        if let Some(h) = self.header.as_mut() {
            // Header lines name the fields of the rows after them; they are never events.
            match h.read(&raw.text) {
                HeaderLine::Header => return,
                HeaderLine::Row(f) => fields = f,
            }
        }
        let time = self.recognizer.recognize(&raw.text, self.ctx);
        if self.json {
            if let Ok(serde_json::Value::Object(map)) =
                serde_json::from_str::<serde_json::Value>(&raw.text)
            {
                super::hec::flatten_json("", &map, &mut fields, 0);
            }
        }
        let mut text = raw.text.into_owned();
        let mut truncated = raw.truncated;
        if text.len() > self.max_event_bytes {
            let mut cut = self.max_event_bytes;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            text.truncate(cut);
            truncated = true;
        }
        out(Event {
            time_ns: time.unwrap_or(self.now_ns),
            raw: text,
            host: self.meta.host.clone(),
            source: self.meta.source.clone(),
            sourcetype: self.meta.sourcetype.clone(),
            index: self.meta.index.clone(),
            fields,
            flags: EventFlags {
                time_from_receipt: time.is_none(),
                truncated,
                lossy_utf8: raw.lossy_utf8,
                not_syslog: false,
            },
        });
    }
}

/// Parses a whole `/raw` body.
pub fn parse_raw_body(
    body: &[u8],
    sourcetype: &Sourcetype,
    meta: EventDefaults,
    limits: &Limits,
) -> Vec<Event> {
    let mut parser = RawParser::new(sourcetype, meta, limits);
    let mut events = Vec::new();
    parser.push(body, &mut |e| events.push(e));
    parser.finish(&mut |e| events.push(e));
    events
}
