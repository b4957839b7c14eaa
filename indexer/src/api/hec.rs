//! HEC handlers: `/services/collector/{event,raw,health,ack}`, Splunk-compatible answers.
// Handlers return `Result<_, Response>` so an early error is one `?`-like match: boxing axum's
// Response would only add an allocation on the error path.
#![allow(clippy::result_large_err)]

use super::AppState;
use crate::ingest::pipeline::{Accepted, IngestError};
use crate::ingest::{hec, now_ns, raw, EventDefaults, Limits};
use crate::store::wal::LoggedBatch;
use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use loupe_proto::{AckAnswer, AckRequest, HecAnswer, HecCode, CHANNEL_HEADER, SEQUENCE_HEADER};
use std::collections::HashMap;

/// An HEC answer with the status its code implies, always JSON.
pub fn answer(a: HecAnswer) -> Response {
    let status = match a.code {
        0 | 17 => 200,
        1 | 4 => 403,
        2 | 3 => 401,
        8 => 500,
        9 | 18 => 503,
        _ => 400,
    };
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
        axum::Json(a),
    )
        .into_response()
}

fn code(c: HecCode) -> Response {
    answer(HecAnswer::new(c))
}

/// The token a request authenticated with.
struct Authed {
    name: String,
    indexes: Option<Vec<String>>,
    sourcetypes: Option<Vec<String>>,
    default_index: String,
    max_events_per_second: Option<u32>,
}

/// 429 with `Retry-After` when the token is over its rate (code 9, which clients retry on).
fn throttle(state: &AppState, auth: &Authed, events: usize) -> Result<(), Response> {
    let Some(rate) = auth.max_events_per_second else {
        return Ok(());
    };
    state.quota.take(&auth.name, rate, events).map_err(|wait| {
        let a = HecAnswer::with_text(
            HecCode::ServerBusy,
            format!(
                "Too many requests: token {:?} may send {rate} events per second; retry in {wait} s",
                auth.name
            ),
        );
        let mut r = (StatusCode::TOO_MANY_REQUESTS, axum::Json(a)).into_response();
        if let Ok(v) = axum::http::HeaderValue::from_str(&wait.to_string()) {
            r.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
        }
        r
    })
}

/// Refusals come before the body is read, so they close the connection: hyper would close it
/// anyway (the unread body cannot be skipped), and saying so keeps a pooling client from
/// sending its next request into a socket that is going away.
fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    query: &HashMap<String, String>,
) -> Result<Authed, Response> {
    check_token(state, headers, query).map_err(super::closing)
}

fn check_token(
    state: &AppState,
    headers: &HeaderMap,
    query: &HashMap<String, String>,
) -> Result<Authed, Response> {
    let header = headers
        .get("authorization")
        .and_then(|h| h.to_str().ok())
        .map(str::trim);
    let token = match header {
        Some(h) => {
            let mut parts = h.splitn(2, ' ');
            let scheme = parts.next().unwrap_or("");
            let value = parts.next().map(str::trim).unwrap_or("");
            // Only Splunk's scheme, as the docs say: `Bearer` is the API's, and a collector that
            // took it would let an API token write under another convention.
            if !scheme.eq_ignore_ascii_case("splunk") || value.is_empty() {
                return Err(code(HecCode::InvalidAuthorization));
            }
            value.to_string()
        }
        None => match query.get("token") {
            Some(t) => t.clone(),
            None => return Err(code(HecCode::TokenRequired)),
        },
    };
    let Some(t) = state
        .tokens
        .iter()
        .find(|t| constant_time_eq(t.token.as_bytes(), token.as_bytes()))
    else {
        return Err(code(HecCode::InvalidToken));
    };
    if t.disabled {
        return Err(code(HecCode::TokenDisabled));
    }
    Ok(Authed {
        name: t.name.clone(),
        indexes: t.indexes.clone(),
        sourcetypes: t.sourcetypes.clone(),
        default_index: t.default_index.clone().unwrap_or_else(|| "main".into()),
        max_events_per_second: t.max_events_per_second.or_else(|| {
            let default = state.config.limits.abuse.token_events_per_second;
            (default > 0).then_some(default)
        }),
    })
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Reads the body within the size limit, un-gzipping if asked; errors are HEC answers.
async fn read_body(state: &AppState, headers: &HeaderMap, body: Body) -> Result<Bytes, Response> {
    let limit = state.config.max_content_length;
    let too_large = || {
        let a = HecAnswer::with_text(
            HecCode::InvalidDataFormat,
            format!("Content too large: the limit is {limit} bytes"),
        );
        super::closing((StatusCode::PAYLOAD_TOO_LARGE, axum::Json(a)).into_response())
    };
    let declared = headers
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let bytes = axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| too_large())?;
    let gzip = headers
        .get("content-encoding")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("gzip"));
    if !gzip {
        return Ok(bytes);
    }
    match crate::ingest::body::gunzip(&bytes, limit) {
        Ok(out) => Ok(Bytes::from(out)),
        Err(crate::ingest::body::BodyError::TooLarge(_)) => Err(too_large()),
        Err(e) => Err(answer(HecAnswer::with_text(
            HecCode::InvalidDataFormat,
            e.to_string(),
        ))),
    }
}

fn channel_of(
    headers: &HeaderMap,
    query: &HashMap<String, String>,
) -> Result<Option<String>, Response> {
    let ch = headers
        .get(CHANNEL_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or_else(|| query.get("channel").cloned());
    match ch {
        Some(c) if c.trim().is_empty() || c.len() > 128 => Err(code(HecCode::InvalidChannel)),
        other => Ok(other),
    }
}

fn sequence_of(headers: &HeaderMap) -> Result<Option<u64>, Response> {
    match headers
        .get(SEQUENCE_HEADER)
        .map(|v| v.to_str().ok().and_then(|s| s.trim().parse::<u64>().ok()))
    {
        None => Ok(None),
        Some(Some(n)) => Ok(Some(n)),
        Some(None) => Err(answer(HecAnswer::with_text(
            HecCode::InvalidDataFormat,
            format!("{SEQUENCE_HEADER} must be a number"),
        ))),
    }
}

fn limits(state: &AppState) -> Limits {
    Limits {
        max_event_bytes: state.config.max_event_bytes,
        now_ns: now_ns(),
        default_year: state
            .config
            .default_year
            .unwrap_or_else(|| jiff::ZonedDateTime::now().year() as i32),
        tz: state.config.time_zone(),
    }
}

/// Checks each event's index against the token and the store; the first bad one ends the batch (code 7).
fn check_indexes(
    state: &AppState,
    auth: &Authed,
    events: &[loupe_event::Event],
) -> Option<(usize, String)> {
    for (i, ev) in events.iter().enumerate() {
        let allowed = auth.indexes.as_ref().is_none_or(|list| {
            list.iter()
                .any(|x| loupe_access::role::index_matches(x, &ev.index))
        });
        // The audit trail is written by the server alone: a sender that could add to it
        // could forge what it records.
        if ev.index == crate::audit::AUDIT_INDEX {
            return Some((
                i,
                format!(
                    "Incorrect index: {:?} is written by the server only",
                    ev.index
                ),
            ));
        }
        if !allowed {
            return Some((
                i,
                format!(
                    "Incorrect index: token {:?} may not write to {:?}",
                    auth.name, ev.index
                ),
            ));
        }
        if !state.store.has_index(&ev.index) {
            if let Err(e) = crate::store::validate_index_name(&ev.index) {
                return Some((i, format!("Incorrect index: {e}")));
            }
            // Internal indexes (`_audit`, `_internal`...) are Loupe's own: never made by a sender.
            let creatable = state.config.indexes.contains_key(&ev.index)
                || (state.config.auto_create_indexes && !ev.index.starts_with('_'));
            let created = creatable && state.store.create_index(&ev.index).is_ok();
            if !created {
                return Some((i, format!("Incorrect index: {:?} does not exist", ev.index)));
            }
        }
    }
    None
}

/// Checks each event's sourcetype against the token's `sourcetypes`: the first event outside
/// them refuses the whole batch (HEC code 7, 400, with `invalid-event-number`). Unlike a bad
/// index, nothing before it is kept: a sender writing a sourcetype it was not given is
/// misconfigured or not who it says, and half its batch would be as wrong as the rest.
fn check_sourcetypes(
    state: &AppState,
    auth: &Authed,
    events: &[loupe_event::Event],
) -> Result<(), Response> {
    let Some(allowed) = &auth.sourcetypes else {
        return Ok(());
    };
    let Some((i, ev)) = events.iter().enumerate().find(|(_, ev)| {
        !allowed
            .iter()
            .any(|p| loupe_access::role::wildcard_matches(p, &ev.sourcetype))
    }) else {
        return Ok(());
    };
    state
        .quota
        .sourcetype_refused
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    Err(answer(HecAnswer {
        invalid_event_number: Some(i),
        ..HecAnswer::with_text(
            HecCode::IncorrectIndex,
            format!(
                "Incorrect sourcetype: token {:?} may not write sourcetype {:?}; nothing of this batch was indexed",
                auth.name, ev.sourcetype
            ),
        )
    }))
}

async fn submit(
    state: &AppState,
    batch: LoggedBatch,
    channel: Option<&str>,
) -> Result<Option<u64>, Response> {
    if batch.events.is_empty() {
        return Ok(None);
    }
    if state.admission.pool().is_shut_down() {
        return Err(answer(HecAnswer::with_text(
            HecCode::ServerBusy,
            "Server is busy: shutting down",
        )));
    }
    match state.pipeline.submit(batch).await {
        Ok(Accepted::Logged(_)) | Ok(Accepted::Duplicate) => {
            Ok(channel.map(|c| state.pipeline.next_ack_id(c)))
        }
        Err(IngestError::Busy) => Err(code(HecCode::ServerBusy)),
        Err(IngestError::DiskFull(msg)) => Err(answer(HecAnswer::with_text(
            HecCode::ServerBusy,
            format!("Server is busy: {msg}"),
        ))),
        Err(e @ IngestError::Unavailable(_)) => Err(answer(HecAnswer::with_text(
            HecCode::ServerBusy,
            format!("Server is busy: {e}"),
        ))),
        Err(IngestError::Internal(msg)) => Err(answer(HecAnswer::with_text(
            HecCode::InternalError,
            format!("Internal server error: {msg}"),
        ))),
    }
}

/// `POST /services/collector[/event[/1.0]]`.
pub async fn event(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let auth = match authenticate(&state, &headers, &query) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let (channel, sequence) = match (channel_of(&headers, &query), sequence_of(&headers)) {
        (Ok(c), Ok(s)) => (c, s),
        (Err(r), _) | (_, Err(r)) => return super::closing(r),
    };
    let body = match read_body(&state, &headers, body).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let defaults = EventDefaults {
        host: query
            .get("host")
            .cloned()
            .unwrap_or_else(|| state.hostname.clone()),
        source: query
            .get("source")
            .cloned()
            .unwrap_or_else(|| format!("http:{}", auth.name)),
        sourcetype: query
            .get("sourcetype")
            .cloned()
            .unwrap_or_else(|| "httpevent".into()),
        index: query
            .get("index")
            .cloned()
            .unwrap_or_else(|| auth.default_index.clone()),
    };
    let lim = limits(&state);
    let parsed =
        tokio::task::spawn_blocking(move || hec::parse_event_body(&body, &defaults, &lim)).await;
    let (mut events, mut error) = match parsed {
        Ok(Ok(evs)) => (evs, None),
        Ok(Err(e)) => (e.good, Some((e.code, e.index, e.message))),
        Err(e) => return answer(HecAnswer::with_text(HecCode::InternalError, e.to_string())),
    };
    if let Err(r) = throttle(&state, &auth, events.len()) {
        return r;
    }
    if let Err(r) = check_sourcetypes(&state, &auth, &events) {
        return r;
    }
    if let Some((i, msg)) = check_indexes(&state, &auth, &events) {
        events.truncate(i);
        error = Some((HecCode::IncorrectIndex, i, msg));
    }
    let ack = match submit(
        &state,
        LoggedBatch {
            channel: channel.clone(),
            sequence,
            events,
        },
        channel.as_deref(),
    )
    .await
    {
        Ok(a) => a,
        Err(r) => return r,
    };
    match error {
        None => answer(HecAnswer {
            ack_id: ack.or_else(|| channel.as_deref().map(|c| state.pipeline.next_ack_id(c))),
            ..HecAnswer::new(HecCode::Success)
        }),
        Some((c, i, msg)) => {
            let mut a = HecAnswer::with_text(c, msg);
            if matches!(
                c,
                HecCode::InvalidDataFormat
                    | HecCode::IncorrectIndex
                    | HecCode::EventFieldRequired
                    | HecCode::EventFieldBlank
                    | HecCode::IndexedFieldsError
            ) {
                a.invalid_event_number = Some(i);
            }
            a.ack_id = ack;
            answer(a)
        }
    }
}

/// `POST /services/collector/raw[/1.0]`: the body is line-broken by the sourcetype.
pub async fn raw(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let auth = match authenticate(&state, &headers, &query) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let (channel, sequence) = match (channel_of(&headers, &query), sequence_of(&headers)) {
        (Ok(c), Ok(s)) => (c, s),
        (Err(r), _) | (_, Err(r)) => return super::closing(r),
    };
    let body = match read_body(&state, &headers, body).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    if body.iter().all(|b| b.is_ascii_whitespace()) {
        return code(HecCode::NoData);
    }
    let sourcetype_name = query
        .get("sourcetype")
        .cloned()
        .unwrap_or_else(|| "auto".into());
    let st = loupe_event::sourcetype::lookup(&sourcetype_name)
        .or_else(|| loupe_event::sourcetype::lookup("auto"));
    let Some(st) = st else {
        return answer(HecAnswer::with_text(
            HecCode::InternalError,
            "no sourcetype rules available",
        ));
    };
    let defaults = EventDefaults {
        host: query
            .get("host")
            .cloned()
            .unwrap_or_else(|| state.hostname.clone()),
        source: query
            .get("source")
            .cloned()
            .unwrap_or_else(|| format!("http:{}", auth.name)),
        sourcetype: sourcetype_name,
        index: query
            .get("index")
            .cloned()
            .unwrap_or_else(|| auth.default_index.clone()),
    };
    let lim = limits(&state);
    let events =
        match tokio::task::spawn_blocking(move || raw::parse_raw_body(&body, &st, defaults, &lim))
            .await
        {
            Ok(evs) => evs,
            Err(e) => return answer(HecAnswer::with_text(HecCode::InternalError, e.to_string())),
        };
    if let Err(r) = throttle(&state, &auth, events.len()) {
        return r;
    }
    if let Err(r) = check_sourcetypes(&state, &auth, &events) {
        return r;
    }
    if let Some((_, msg)) = check_indexes(&state, &auth, &events) {
        return answer(HecAnswer {
            invalid_event_number: Some(0),
            ..HecAnswer::with_text(HecCode::IncorrectIndex, msg)
        });
    }
    match submit(
        &state,
        LoggedBatch {
            channel: channel.clone(),
            sequence,
            events,
        },
        channel.as_deref(),
    )
    .await
    {
        Ok(ack) => answer(HecAnswer {
            ack_id: ack,
            ..HecAnswer::new(HecCode::Success)
        }),
        Err(r) => r,
    }
}

/// `GET /services/collector/health`.
pub async fn health(State(state): State<AppState>) -> Response {
    if state.pipeline.is_healthy() {
        code(HecCode::Healthy)
    } else {
        code(HecCode::QueuesFull)
    }
}

/// `POST /services/collector/ack`: which ack ids of a channel are durable.
pub async fn ack(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if let Err(r) = authenticate(&state, &headers, &query) {
        return r;
    }
    let channel = match channel_of(&headers, &query) {
        Ok(Some(c)) => c,
        Ok(None) => return super::closing(code(HecCode::ChannelMissing)),
        Err(r) => return super::closing(r),
    };
    let body = match read_body(&state, &headers, body).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let req: AckRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            return answer(HecAnswer::with_text(
                HecCode::InvalidDataFormat,
                format!("Invalid data format: {e}"),
            ))
        }
    };
    if !state.pipeline.knows_channel(&channel) {
        return code(HecCode::InvalidChannel);
    }
    let acks = req
        .acks
        .iter()
        .map(|id| (id.to_string(), state.pipeline.is_acked(&channel, *id)))
        .collect();
    (StatusCode::OK, axum::Json(AckAnswer { acks })).into_response()
}
