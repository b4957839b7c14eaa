//! The HTTP API (axum): HEC ingest, search, health and metrics on one port.
//!
//! Handlers are thin: they authenticate, decode, call into `ingest` or `search`
//! with the state passed explicitly, and encode the answer.
// Handlers return `Result<_, Response>`: boxing axum's Response would only add an allocation.
#![allow(clippy::result_large_err)]

pub mod hec;

use crate::config::{Config, TokenConfig};
use crate::ingest::pipeline::Pipeline;
use crate::search::{self, SearchRequest, SearchScope};
use crate::store::Store;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Everything a handler may need, cloned cheaply into each request.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<Store>,
    pub pipeline: Arc<Pipeline>,
    pub config: Arc<Config>,
    pub tokens: Arc<Vec<TokenConfig>>,
    pub hostname: String,
}

/// Builds the router: HEC under `/services/collector`, the API under `/api/v1`.
pub fn router(state: AppState) -> Router {
    let hec_routes = Router::new()
        .route("/services/collector", post(hec::event))
        .route("/services/collector/event", post(hec::event))
        .route("/services/collector/event/1.0", post(hec::event))
        .route("/services/collector/raw", post(hec::raw))
        .route("/services/collector/raw/1.0", post(hec::raw))
        .route("/services/collector/health", get(hec::health))
        .route("/services/collector/health/1.0", get(hec::health))
        .route("/services/collector/ack", post(hec::ack))
        .layer(DefaultBodyLimit::disable());
    Router::new()
        .merge(hec_routes)
        .route("/api/v1/search", post(search_handler))
        .route("/api/v1/flush", post(flush_handler))
        .route("/api/v1/indexes", get(indexes_handler))
        .route("/health", get(health_handler))
        .route("/metrics", get(metrics_handler))
        .layer(DefaultBodyLimit::max(1 << 20))
        .with_state(state)
}

/// A JSON error for the `/api` routes.
fn api_error(
    status: StatusCode,
    message: impl Into<String>,
    extra: Option<serde_json::Value>,
) -> Response {
    let mut body = serde_json::json!({ "error": message.into() });
    if let (Some(serde_json::Value::Object(extra)), Some(obj)) = (extra, body.as_object_mut()) {
        obj.extend(extra);
    }
    (status, Json(body)).into_response()
}

/// `Authorization: Bearer <token>`; the token's indexes become the search scope.
fn api_auth(state: &AppState, headers: &HeaderMap) -> Result<SearchScope, Response> {
    let value = headers
        .get("authorization")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("Splunk "))
        .map(str::trim)
        .unwrap_or("");
    if token.is_empty() {
        return Err(api_error(
            StatusCode::UNAUTHORIZED,
            "missing Authorization: Bearer <token>",
            None,
        ));
    }
    match state
        .tokens
        .iter()
        .find(|t| t.token == token && !t.disabled)
    {
        Some(t) => Ok(SearchScope {
            allowed_indexes: t.indexes.clone(),
        }),
        None => Err(api_error(StatusCode::FORBIDDEN, "invalid token", None)),
    }
}

/// Body of `POST /api/v1/search`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchBody {
    pub query: String,
    #[serde(default)]
    pub earliest: Option<String>,
    #[serde(default)]
    pub latest: Option<String>,
    #[serde(default)]
    pub limit: Option<usize>,
}

async fn search_handler(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let scope = match api_auth(&state, &headers) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let body: SearchBody = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => {
            return api_error(
                StatusCode::BAD_REQUEST,
                format!("invalid search request: {e}"),
                None,
            )
        }
    };
    let req = SearchRequest {
        query: body.query,
        earliest: body.earliest,
        latest: body.latest,
        limit: body.limit.unwrap_or(100).min(50_000),
        now_ns: None,
        limits: state.config.limits.clone(),
    };
    let store = state.store.clone();
    match tokio::task::spawn_blocking(move || search::run(&store, &scope, &req)).await {
        Ok(Ok(resp)) => Json(resp).into_response(),
        Ok(Err(e)) => search_error(e),
        Err(e) => api_error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string(), None),
    }
}

/// Maps search errors to HTTP: the query's fault is 400 (with the span and column for the console
/// when the error has a place in the query), ours 500.
pub fn search_error(e: search::SearchError) -> Response {
    match &e {
        search::SearchError::Syntax {
            start, end, column, ..
        } => api_error(
            StatusCode::BAD_REQUEST,
            e.to_string(),
            Some(serde_json::json!({"span": {"start": start, "end": end}, "column": column})),
        ),
        search::SearchError::Plan {
            span: Some(span),
            column,
            ..
        } => api_error(
            StatusCode::BAD_REQUEST,
            e.to_string(),
            Some(
                serde_json::json!({"span": {"start": span.start, "end": span.end}, "column": column}),
            ),
        ),
        _ if e.is_query_error() => api_error(StatusCode::BAD_REQUEST, e.to_string(), None),
        _ => api_error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string(), None),
    }
}

async fn flush_handler(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Err(r) = api_auth(&state, &headers) {
        return r;
    }
    let pipeline = state.pipeline.clone();
    match tokio::task::spawn_blocking(move || pipeline.flush()).await {
        Ok(Ok(())) => Json(serde_json::json!({"flushed": true})).into_response(),
        Ok(Err(e)) => api_error(StatusCode::SERVICE_UNAVAILABLE, e.to_string(), None),
        Err(e) => api_error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string(), None),
    }
}

async fn indexes_handler(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let scope = match api_auth(&state, &headers) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let list: Vec<serde_json::Value> = state
        .store
        .index_names()
        .into_iter()
        .filter(|i| scope.allowed_indexes.as_ref().is_none_or(|a| a.contains(i)))
        .map(|name| {
            let buckets = state.store.buckets_of(&name);
            let events: u64 = buckets.iter().map(|b| b.summary().count).sum();
            let bytes: u64 = buckets.iter().map(|b| b.disk_bytes()).sum();
            serde_json::json!({"name": name, "buckets": buckets.len(), "events": events, "disk_bytes": bytes})
        })
        .collect();
    Json(serde_json::json!({ "indexes": list })).into_response()
}

async fn health_handler(State(state): State<AppState>) -> Response {
    let ok = state.pipeline.is_healthy();
    let status = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(serde_json::json!({"status": if ok { "ok" } else { "degraded" }})),
    )
        .into_response()
}

async fn metrics_handler(State(state): State<AppState>) -> Response {
    let c = &state.pipeline.counters;
    let mut out = String::new();
    let metrics = [
        (
            "loupe_ingest_events_total",
            "Events indexed",
            c.events.load(Ordering::Relaxed),
        ),
        (
            "loupe_ingest_raw_bytes_total",
            "Bytes of _raw indexed",
            c.raw_bytes.load(Ordering::Relaxed),
        ),
        (
            "loupe_ingest_batches_total",
            "Batches logged",
            c.batches.load(Ordering::Relaxed),
        ),
        (
            "loupe_ingest_duplicate_batches_total",
            "Retried batches recognised and skipped",
            c.duplicates.load(Ordering::Relaxed),
        ),
        (
            "loupe_ingest_truncated_total",
            "Events cut at the maximum size",
            c.truncated.load(Ordering::Relaxed),
        ),
        (
            "loupe_ingest_timestamp_unparsed_total",
            "Events stamped with receipt time",
            c.timestamp_unparsed.load(Ordering::Relaxed),
        ),
        (
            "loupe_ingest_invalid_utf8_total",
            "Events decoded lossily",
            c.invalid_utf8.load(Ordering::Relaxed),
        ),
        (
            "loupe_ingest_busy_total",
            "Batches refused with 503",
            c.rejected_busy.load(Ordering::Relaxed),
        ),
        (
            "loupe_commits_total",
            "Index commits",
            c.commits.load(Ordering::Relaxed),
        ),
    ];
    for (name, help, v) in metrics {
        out.push_str(&format!(
            "# HELP {name} {help}\n# TYPE {name} counter\n{name} {v}\n"
        ));
    }
    ([("content-type", "text/plain; version=0.0.4")], out).into_response()
}
