//! `/api/v1/jobs` and `/api/v1/export`: thin handlers over [`crate::jobs`] and the search's
//! streaming sink.
// Handlers return `Result<_, Response>`: boxing axum's Response would only add an allocation.
#![allow(clippy::result_large_err)]

use super::{api_auth, api_error, refused, request_timeout, search_error, AppState};
use crate::jobs::Job;
use crate::search::admission::CancelOnDrop;
use crate::search::watch::Watch;
use crate::search::{self, SearchRequest, SearchScope};
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use std::sync::Arc;

/// Body of `POST /api/v1/jobs`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobBody {
    pub query: String,
    #[serde(default)]
    pub earliest: Option<String>,
    #[serde(default)]
    pub latest: Option<String>,
    /// Most events (or streamed rows) the job keeps; default 1,000, at most 50,000.
    #[serde(default)]
    pub max_count: Option<usize>,
    #[serde(default)]
    pub timeout: Option<serde_json::Value>,
    /// The instant relative times (`-24h`, `@d`, the query's `earliest=`) count from: epoch
    /// seconds or ISO 8601; none = now. A dashboard shown "as of" a past day uses it.
    #[serde(default)]
    pub now: Option<String>,
    /// IANA zone of `@d`, day spans and `strftime` (default: the server's); the console
    /// sends the zone it shows times in.
    #[serde(default)]
    pub timezone: Option<String>,
}

/// `?offset=&count=` of the paging endpoints.
#[derive(Debug, Deserialize)]
pub struct Page {
    #[serde(default)]
    pub offset: usize,
    #[serde(default = "default_count")]
    pub count: usize,
}

fn default_count() -> usize {
    100
}

/// The most rows one page gives.
const MAX_PAGE: usize = 10_000;

/// A syntax error is answered at once (the console underlines it), not as a failed job.
pub(crate) fn check_syntax(state: &AppState, query: &str) -> Result<(), Response> {
    let expanded = loupe_query::expand_macros(query, &state.macros);
    let result = expanded.and_then(|text| loupe_query::parse(&text).map(|_| ()));
    match result {
        Ok(()) => Ok(()),
        Err(e) => {
            let (_, column) = e.line_col(query);
            Err(search_error(search::SearchError::Syntax {
                message: e.to_string(),
                start: e.span.start,
                end: e.span.end,
                column,
            }))
        }
    }
}

/// `POST /api/v1/jobs`: `{sid}` at once, 201.
pub async fn create(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let scope = match api_auth(&state, &headers) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let body: JobBody = match super::json_body(&body, "job request") {
        Ok(b) => b,
        Err(r) => return r,
    };
    let timeout = match request_timeout(body.timeout.as_ref()) {
        Ok(t) => t,
        Err(e) => return api_error(StatusCode::BAD_REQUEST, e, None),
    };
    if let Err(r) = check_syntax(&state, &body.query) {
        return r;
    }
    let limit = body.max_count.unwrap_or(1000).clamp(1, 50_000);
    let tz = match super::request_zone(body.timezone.as_deref()) {
        Ok(z) => z,
        Err(r) => return r,
    };
    let zone = tz.clone().unwrap_or_else(search::server_zone);
    let now_ns = match body.now.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        None => None,
        Some(t) => match loupe_event::reltime::resolve(t, crate::ingest::now_ns(), &zone) {
            Ok(ns) => Some(ns),
            Err(e) => return api_error(StatusCode::BAD_REQUEST, format!("now {t:?}: {e}"), None),
        },
    };
    let mut req = state.request(body.query, body.earliest, body.latest, limit);
    req.now_ns = now_ns;
    req.tz = tz;
    let owner = scope.principal.clone();
    match state.jobs.start(
        state.store.clone(),
        state.admission.clone(),
        owner,
        scope,
        req,
        timeout,
    ) {
        Ok(job) => (
            StatusCode::CREATED,
            Json(serde_json::json!({"sid": job.sid})),
        )
            .into_response(),
        Err(r) => refused(r),
    }
}

pub(crate) fn find(state: &AppState, headers: &HeaderMap, sid: &str) -> Result<Arc<Job>, Response> {
    let scope = api_auth(state, headers)?;
    state.jobs.get(sid, &scope.principal).ok_or_else(|| {
        api_error(
            StatusCode::NOT_FOUND,
            format!("no job {sid:?} (it may have expired)"),
            None,
        )
    })
}

/// `GET /api/v1/jobs`: the caller's jobs, newest first.
pub async fn list(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let scope = match api_auth(&state, &headers) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let jobs: Vec<serde_json::Value> = state
        .jobs
        .list(&scope.principal)
        .iter()
        .map(|j| j.status())
        .collect();
    Json(serde_json::json!({ "jobs": jobs })).into_response()
}

/// `GET /api/v1/jobs/{sid}`.
pub async fn status(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(sid): Path<String>,
) -> Response {
    match find(&state, &headers, &sid) {
        Ok(job) => Json(job.status()).into_response(),
        Err(r) => r,
    }
}

/// `DELETE /api/v1/jobs/{sid}`: cancels; the job stays readable as `cancelled` until it expires.
pub async fn cancel(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(sid): Path<String>,
) -> Response {
    match find(&state, &headers, &sid) {
        Ok(job) => {
            job.cancel();
            Json(job.status()).into_response()
        }
        Err(r) => r,
    }
}

fn page_of(
    rows: Vec<serde_json::Map<String, serde_json::Value>>,
    columns: Vec<String>,
    page: &Page,
    total: usize,
    preview: bool,
) -> Response {
    Json(serde_json::json!({
        "columns": columns,
        "rows": rows,
        "offset": page.offset,
        "total": total,
        "preview": preview,
    }))
    .into_response()
}

/// Columns in order of first appearance over `rows`.
fn columns_of(rows: &[serde_json::Map<String, serde_json::Value>]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in rows {
        for k in r.keys() {
            if !out.contains(k) {
                out.push(k.clone());
            }
        }
    }
    out
}

/// A page of a running job's preview (events only: rows that hold `_raw`).
fn preview_page(job: &Job, page: &Page, only_events: bool) -> Response {
    let rows: Vec<_> = job
        .watch
        .preview_rows(page.offset, page.count.min(MAX_PAGE))
        .iter()
        .filter(|r| !only_events || r.contains("_raw"))
        .map(search::row_json)
        .collect();
    let columns = columns_of(&rows);
    page_of(rows, columns, page, job.watch.preview_len(), true)
}

/// `GET /api/v1/jobs/{sid}/results`: a page of result rows; while running, of the preview.
pub async fn results(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(sid): Path<String>,
    Query(page): Query<Page>,
) -> Response {
    let job = match find(&state, &headers, &sid) {
        Ok(j) => j,
        Err(r) => return r,
    };
    let Some(a) = job.answer() else {
        return preview_page(&job, &page, false);
    };
    let rows: Vec<_> = a
        .rows
        .iter()
        .skip(page.offset)
        .take(page.count.min(MAX_PAGE))
        .cloned()
        .collect();
    page_of(rows, a.columns.clone(), &page, a.rows.len(), false)
}

/// `GET /api/v1/jobs/{sid}/events`: a page of events, newest first.
pub async fn events(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(sid): Path<String>,
    Query(page): Query<Page>,
) -> Response {
    let job = match find(&state, &headers, &sid) {
        Ok(j) => j,
        Err(r) => return r,
    };
    let Some(a) = job.answer() else {
        return preview_page(&job, &page, true);
    };
    let events: Vec<_> = a
        .events
        .iter()
        .skip(page.offset)
        .take(page.count.min(MAX_PAGE))
        .filter_map(|e| match serde_json::to_value(e) {
            Ok(serde_json::Value::Object(m)) => Some(m),
            _ => None,
        })
        .collect();
    let columns = columns_of(&events);
    page_of(events, columns, &page, a.events.len(), false)
}

/// Runs `f` (a search on the job's behalf) under a slot of its own.
async fn side_search<T: Send + 'static>(
    state: &AppState,
    job: &Arc<Job>,
    f: impl FnOnce(&crate::store::Store, &SearchScope, &SearchRequest) -> Result<T, search::SearchError>
        + Send
        + 'static,
) -> Result<T, Response> {
    let ticket = state.admission.enter(None).await.map_err(refused)?;
    let cancel = CancelOnDrop(ticket.guard.clone());
    let store = state.store.clone();
    let job = job.clone();
    let out = tokio::task::spawn_blocking(move || {
        let mut req = job.request.clone();
        req.guard = ticket.guard.clone();
        req.watch = None;
        let out = f(&store, &job.scope, &req);
        drop(ticket);
        out
    })
    .await;
    drop(cancel);
    match out {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(search_error(e)),
        Err(e) => Err(api_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            e.to_string(),
            None,
        )),
    }
}

/// `GET /api/v1/jobs/{sid}/timeline`: counts per bin over the job's whole range.
pub async fn timeline(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(sid): Path<String>,
) -> Response {
    let job = match find(&state, &headers, &sid) {
        Ok(j) => j,
        Err(r) => return r,
    };
    match side_search(&state, &job, search::timeline).await {
        Ok(t) => Json(t).into_response(),
        Err(r) => r,
    }
}

/// Events a field summary is made over.
const SUMMARY_EVENTS: usize = 10_000;

/// `GET /api/v1/jobs/{sid}/summary`: coverage, distinct count and top values per field.
pub async fn summary(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(sid): Path<String>,
) -> Response {
    let job = match find(&state, &headers, &sid) {
        Ok(j) => j,
        Err(r) => return r,
    };
    match side_search(&state, &job, |store, scope, req| {
        search::summary(store, scope, req, SUMMARY_EVENTS)
    })
    .await
    {
        Ok(s) => Json(s).into_response(),
        Err(r) => r,
    }
}

/// `?query=&earliest=&latest=&output=` of `GET /api/v1/export`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportQuery {
    pub query: String,
    #[serde(default)]
    pub earliest: Option<String>,
    #[serde(default)]
    pub latest: Option<String>,
    #[serde(default)]
    pub output: Option<String>,
    #[serde(default)]
    pub timezone: Option<String>,
}

/// `GET /api/v1/export`: every result row, streamed as it is produced (NDJSON or CSV);
/// a client that stops reading stops the search.
pub async fn export(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<ExportQuery>,
) -> Response {
    let scope = match api_auth(&state, &headers) {
        Ok(s) => s,
        Err(r) => return r,
    };
    if !scope.may(loupe_access::Capability::Export) {
        return api_error(
            StatusCode::FORBIDDEN,
            format!(
                "role {} may not export (capability \"export\")",
                scope.role_name()
            ),
            None,
        );
    }
    let csv = match q.output.as_deref().unwrap_or("ndjson") {
        "ndjson" | "json" => false,
        "csv" => true,
        other => {
            return api_error(
                StatusCode::BAD_REQUEST,
                format!("output={other}: use ndjson or csv"),
                None,
            )
        }
    };
    if let Err(r) = check_syntax(&state, &q.query) {
        return r;
    }
    let tz = match super::request_zone(q.timezone.as_deref()) {
        Ok(z) => z,
        Err(r) => return r,
    };
    let slot = match state.admission.reserve(&scope.principal) {
        Ok(s) => s,
        Err(r) => return refused(r),
    };
    let ticket = match state.admission.enter(None).await {
        Ok(t) => t,
        Err(r) => return refused(r),
    };
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<loupe_query::Row>>(4);
    let mut req = state.request(q.query, q.earliest, q.latest, usize::MAX);
    req.tz = tz;
    req.guard = ticket.guard.clone();
    req.watch = Some(Arc::new(Watch::streaming(tx)));
    let store = state.store.clone();
    let admission = state.admission.clone();
    let (err_tx, err_rx) = tokio::sync::oneshot::channel::<String>();
    let audit = state.audit.clone();
    let runtime = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        let outcome = search::run(&store, &scope, &req);
        if let Err(search::SearchError::Stopped(stop)) = &outcome {
            admission.record_stop(stop);
        }
        let audited = match &outcome {
            Ok(r) => Ok((&r.stats, r.stats.matched as usize)),
            Err(e) => Err(e.to_string()),
        };
        runtime.block_on(audit.search("export", &scope, &req, audited));
        drop(req);
        drop(ticket);
        drop(slot);
        if let Err(e) = outcome {
            let _ = err_tx.send(e.to_string());
        }
    });
    // The first batch decides the answer: an error before any row is a JSON error.
    let first = rx.recv().await;
    let Some(first) = first else {
        return match err_rx.await {
            Ok(msg) => api_error(StatusCode::BAD_REQUEST, msg, None),
            Err(_) => empty_export(csv),
        };
    };
    let mut encoder = Encoder::new(csv, &first);
    let head = encoder.encode(&first);
    let stream = futures_util::stream::unfold(
        (rx, encoder, Some(head), Some(err_rx)),
        |(mut rx, mut enc, head, mut err_rx)| async move {
            if let Some(h) = head {
                return Some((Ok::<Bytes, std::io::Error>(h), (rx, enc, None, err_rx)));
            }
            match rx.recv().await {
                Some(rows) => {
                    let bytes = enc.encode(&rows);
                    Some((Ok(bytes), (rx, enc, None, err_rx)))
                }
                None => {
                    // A failure after rows were sent can only end the stream abruptly.
                    if let Some(e) = err_rx.take() {
                        if let Ok(msg) = e.await {
                            return Some((Err(std::io::Error::other(msg)), (rx, enc, None, None)));
                        }
                    }
                    None
                }
            }
        },
    );
    let content_type = if csv {
        "text/csv; charset=utf-8"
    } else {
        "application/x-ndjson"
    };
    (
        [(header::CONTENT_TYPE, content_type)],
        Body::from_stream(stream),
    )
        .into_response()
}

fn empty_export(csv: bool) -> Response {
    let content_type = if csv {
        "text/csv; charset=utf-8"
    } else {
        "application/x-ndjson"
    };
    ([(header::CONTENT_TYPE, content_type)], Body::empty()).into_response()
}

/// Rows to NDJSON lines or CSV (columns from the first batch, header first; later fields
/// that were not in it are left out, as a CSV has one header).
struct Encoder {
    csv: Option<Vec<String>>,
    header_written: bool,
}

impl Encoder {
    fn new(csv: bool, first: &[loupe_query::Row]) -> Encoder {
        if !csv {
            return Encoder {
                csv: None,
                header_written: true,
            };
        }
        let mut columns: Vec<String> = Vec::new();
        for r in first {
            for (k, _) in r.iter() {
                let hidden = k.starts_with('_') && k != "_time" && k != "_raw";
                if !hidden && !columns.iter().any(|c| c == k) {
                    columns.push(k.to_string());
                }
            }
        }
        Encoder {
            csv: Some(columns),
            header_written: false,
        }
    }

    fn encode(&mut self, rows: &[loupe_query::Row]) -> Bytes {
        let mut out = Vec::with_capacity(rows.len() * 256);
        match &mut self.csv {
            None => {
                for r in rows {
                    if serde_json::to_writer(&mut out, &search::row_json(r)).is_ok() {
                        out.push(b'\n');
                    }
                }
            }
            Some(columns) => {
                let mut w = csv::Writer::from_writer(&mut out);
                if !self.header_written {
                    let _ = w.write_record(columns.iter());
                    self.header_written = true;
                }
                for r in rows {
                    let m = search::row_json(r);
                    let record = columns.iter().map(|c| match m.get(c) {
                        Some(serde_json::Value::String(s)) => s.clone(),
                        Some(serde_json::Value::Null) | None => String::new(),
                        Some(serde_json::Value::Array(items)) => items
                            .iter()
                            .map(|v| {
                                v.as_str()
                                    .map(str::to_string)
                                    .unwrap_or_else(|| v.to_string())
                            })
                            .collect::<Vec<_>>()
                            .join("\n"),
                        Some(other) => other.to_string(),
                    });
                    let _ = w.write_record(record);
                }
                let _ = w.flush();
                drop(w);
            }
        }
        Bytes::from(out)
    }
}
