//! The HTTP API (axum): HEC ingest, search, health and metrics on one port.
//!
//! Handlers are thin: they authenticate, decode, call into `ingest` or `search`
//! with the state passed explicitly, and encode the answer.
// Handlers return `Result<_, Response>`: boxing axum's Response would only add an allocation.
#![allow(clippy::result_large_err)]

pub mod access;
pub mod config;
pub mod console;
pub mod dashboards;
pub mod erase;
pub mod hec;
pub mod jobs;
pub mod live;
pub mod postprocess;
pub mod roles;
pub mod saved;

use crate::config::{Config, TokenConfig};
use crate::ingest::pipeline::Pipeline;
use crate::search::admission::{Admission, CancelOnDrop, Refused};
use crate::search::lookups::LookupGrant;
use crate::search::{self, SearchRequest, SearchScope};
use crate::store::Store;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use loupe_query::MacroTable;
use serde::Deserialize;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Largest body of an `/api` request (a query of tens of kilobytes fits many times over).
pub const MAX_API_BODY: usize = 1 << 20;

/// Everything a handler may need, cloned cheaply into each request.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<Store>,
    pub pipeline: Arc<Pipeline>,
    pub config: Arc<Config>,
    pub tokens: Arc<Vec<TokenConfig>>,
    pub hostname: String,
    /// Search slots, budgets and the shutdown switch shared by every search.
    pub admission: Arc<Admission>,
    /// `[macros]` of the config, parsed once.
    pub macros: Arc<MacroTable>,
    /// Search jobs (`/api/v1/jobs`).
    pub jobs: Arc<crate::jobs::Jobs>,
    /// Saved searches, alerts and their history (`meta.sqlite`).
    pub meta: Arc<loupe_meta::MetaStore>,
    /// Runs the scheduled searches; told of every change of them.
    pub scheduler: Arc<loupe_alerts::Scheduler>,
    /// Requests whose headers are in and whose answer is not sent yet (`/metrics`): what a
    /// shutdown waits for, and a load figure for operators.
    pub in_flight: Arc<std::sync::atomic::AtomicU64>,
    /// Live tails streaming now (`/metrics`): each polls once a second until its client goes.
    pub tails_open: Arc<std::sync::atomic::AtomicU64>,
    /// The built-in roles, `[roles.NAME]` and those of `/api/v1/roles`; replaced whole
    /// when the API changes one, so a new search sees the change at once.
    pub roles: Arc<parking_lot::RwLock<loupe_access::Roles>>,
    /// Writes `_audit`.
    pub audit: Arc<crate::audit::Auditor>,
    /// Per-token ingest rate limits.
    pub quota: Arc<crate::ingest::quota::IngestQuota>,
    /// Failed logins per user name (`[limits] login_failures_per_user`).
    pub logins: Arc<loupe_access::throttle::LoginThrottle>,
    /// Failed logins per client address (`[limits] login_failures_per_address`).
    pub login_addresses: Arc<loupe_access::throttle::LoginThrottle>,
    /// `[geoip] database`, read at start (`iplocation`).
    pub geo: Option<Arc<dyn loupe_query::Geolocator>>,
}

impl AppState {
    /// A search on behalf of an API caller: the server's limits and macros, a guard set later
    /// by the slot that runs it.
    pub fn request(
        &self,
        query: String,
        earliest: Option<String>,
        latest: Option<String>,
        limit: usize,
    ) -> SearchRequest {
        SearchRequest {
            query,
            earliest,
            latest,
            limit,
            now_ns: None,
            tz: None,
            index_earliest: None,
            limits: self.config.limits.search.clone(),
            guard: Arc::default(),
            macros: self.macros.clone(),
            watch: None,
            objects: Some(search::Objects(self.meta.clone())),
            geo: self.geo.clone(),
        }
    }

    /// Gives the scheduler the saved searches as they are now (after a create, update,
    /// delete or apply); searches it cannot schedule are logged.
    pub fn reschedule(&self) {
        match self.meta.saved_searches() {
            Ok(all) => {
                let searches = all.into_iter().map(|s| s.search).collect();
                for (name, e) in self.scheduler.set_searches(searches) {
                    tracing::warn!("saved search {name:?} is not scheduled: {e}");
                }
            }
            Err(e) => tracing::error!("cannot read the saved searches: {e}"),
        }
    }
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
    // The console: its pages route in the browser; gzip for the bundle (HEC and the API
    // answer small JSON, or stream exports that a proxy may compress).
    let console_routes = Router::new()
        .route("/", get(console::page))
        .route("/search", get(console::page))
        .route("/saved", get(console::page))
        .route("/alerts", get(console::page))
        .route("/dashboards", get(console::page))
        .route("/dashboards/{id}", get(console::page))
        .route("/roles", get(console::page))
        .route("/login", get(console::page))
        .route("/setup", get(console::page))
        .route("/assets/{*rest}", get(console::asset))
        .layer(tower_http::compression::CompressionLayer::new());
    Router::new()
        .merge(console_routes)
        .merge(hec_routes)
        .route("/api/v1/search", post(search_handler))
        .route("/api/v1/login", post(access::login))
        .route("/api/v1/logout", post(access::logout))
        .route("/api/v1/me", get(access::me))
        .route("/api/v1/setup", post(access::setup))
        .route("/api/v1/jobs", post(jobs::create).get(jobs::list))
        .route("/api/v1/jobs/{sid}", get(jobs::status).delete(jobs::cancel))
        .route("/api/v1/jobs/{sid}/results", get(jobs::results))
        .route("/api/v1/jobs/{sid}/events", get(jobs::events))
        .route("/api/v1/jobs/{sid}/timeline", get(jobs::timeline))
        .route("/api/v1/jobs/{sid}/summary", get(jobs::summary))
        .route("/api/v1/jobs/{sid}/postprocess", post(postprocess::run))
        .route("/api/v1/export", get(jobs::export))
        .route("/api/v1/context", get(live::context))
        .route("/api/v1/tail", get(live::tail))
        .route(
            "/api/v1/saved-searches",
            get(saved::list).post(saved::create),
        )
        .route(
            "/api/v1/saved-searches/{name}",
            get(saved::show).put(saved::update).delete(saved::delete),
        )
        .route("/api/v1/saved-searches/{name}/run", post(saved::run_now))
        .route("/api/v1/saved-searches/{name}/runs", get(saved::runs))
        .route(
            "/api/v1/dashboards",
            get(dashboards::list).post(dashboards::create),
        )
        .route(
            "/api/v1/dashboards/{id}",
            get(dashboards::show)
                .put(dashboards::update)
                .delete(dashboards::delete),
        )
        .route("/api/v1/roles", get(roles::list).post(roles::create))
        .route(
            "/api/v1/roles/{name}",
            get(roles::show).put(roles::update).delete(roles::delete),
        )
        .route("/api/v1/parse", post(saved::parse))
        .route("/api/v1/alerts/fired", get(saved::fired))
        .route("/api/v1/config/apply", post(config::apply))
        .route("/api/v1/config/export", get(config::export))
        .route("/api/v1/erase", post(erase::erase))
        .route("/api/v1/flush", post(flush_handler))
        .route("/api/v1/indexes", get(indexes_handler))
        .route("/health", get(health_handler))
        .route("/metrics", get(metrics_handler))
        .layer(DefaultBodyLimit::max(MAX_API_BODY))
        .layer(axum::middleware::from_fn(refuse_declared_oversize))
        .layer(axum::middleware::from_fn(access::refuse_cross_site))
        .layer(axum::middleware::map_response(json_errors))
        .layer(axum::middleware::from_fn_with_state(
            state.in_flight.clone(),
            count_in_flight,
        ))
        .with_state(state)
}

/// Counts a request from its headers to its answer (the body streams after that).
async fn count_in_flight(
    State(n): State<Arc<std::sync::atomic::AtomicU64>>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    struct Done(Arc<std::sync::atomic::AtomicU64>);
    impl Drop for Done {
        // Also when the client goes away and the handler is dropped mid-way.
        fn drop(&mut self) {
            self.0.fetch_sub(1, Ordering::Relaxed);
        }
    }
    n.fetch_add(1, Ordering::Relaxed);
    let _done = Done(n);
    next.run(req).await
}

/// A body declared larger than the API takes is refused before a byte of it is read: the
/// client gets its 413 at once instead of after uploading megabytes (HEC has its own limit).
async fn refuse_declared_oversize(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let hec = req.uri().path().starts_with("/services/collector");
    if !hec && declared.is_some_and(|n| n > MAX_API_BODY as u64) {
        return closing(api_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("request body larger than the limit of {MAX_API_BODY} bytes"),
            None,
        ));
    }
    next.run(req).await
}

/// An answer sent before the request's body was read: the server drops the connection
/// after it, so it says so, and a client's connection pool does not send its next request
/// into a closed socket (a shipper's retry after a 413 failed with "peer disconnected").
pub(crate) fn closing(mut resp: Response) -> Response {
    resp.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    resp
}

/// Every error answer is JSON, including those axum writes itself (413 body too large, 404,
/// 405, a body that is not JSON): clients read `error` whatever went wrong.
async fn json_errors(resp: Response) -> Response {
    let status = resp.status();
    let is_json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    let text = axum::body::to_bytes(body, 64 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let message = match status {
        StatusCode::PAYLOAD_TOO_LARGE => {
            format!("request body larger than the limit of {MAX_API_BODY} bytes")
        }
        _ if text.is_empty() => status.canonical_reason().unwrap_or("error").to_string(),
        _ => text,
    };
    let mut out = api_error(status, message, None);
    for (name, value) in parts.headers.iter() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            out.headers_mut().insert(name.clone(), value.clone());
        }
    }
    out
}

/// The JSON body of a request, or the 400 that names what is wrong with it.
pub(crate) fn json_body<T: serde::de::DeserializeOwned>(
    body: &[u8],
    what: &str,
) -> Result<T, Response> {
    serde_json::from_slice(body).map_err(|e| {
        api_error(
            StatusCode::BAD_REQUEST,
            format!("invalid {what}: {e}"),
            None,
        )
    })
}

/// A JSON error for the `/api` routes.
pub(crate) fn api_error(
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

/// The caller's scope: a token of `loupe.toml` (its indexes), a user's token or browser
/// session (its role); see [`access::authenticate`].
pub(crate) fn api_auth(state: &AppState, headers: &HeaderMap) -> Result<SearchScope, Response> {
    access::authenticate(state, headers)
}

/// [`api_auth`], then 403 unless the caller has capability `c`.
pub(crate) fn api_may(
    state: &AppState,
    headers: &HeaderMap,
    c: loupe_access::Capability,
) -> Result<SearchScope, Response> {
    let scope = api_auth(state, headers)?;
    if !scope.may(c) {
        return Err(api_error(
            StatusCode::FORBIDDEN,
            format!(
                "role {} may not do this (capability {:?})",
                scope.role_name(),
                c.name()
            ),
            None,
        ));
    }
    Ok(scope)
}

/// What a token may search: its indexes, and its lookup tables. A token limited to some
/// indexes gets no lookup table unless its `lookups_read`/`lookups_write` name it, since a
/// table written from one index would otherwise reveal it to every other.
pub fn token_scope(t: &TokenConfig) -> SearchScope {
    let restricted = t.indexes.is_some();
    let grant = |list: &Option<Vec<String>>| match list {
        Some(l) => Some(l.clone()),
        None if restricted => Some(Vec::new()),
        None => None,
    };
    SearchScope {
        allowed_indexes: t.indexes.clone(),
        principal: t.name.clone(),
        lookups: LookupGrant {
            who: format!("token {:?}", t.name),
            read: grant(&t.lookups_read),
            write: grant(&t.lookups_write),
        },
        role: None,
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
    /// A time limit below `[limits] search_timeout` (`"30s"` or seconds).
    #[serde(default)]
    pub timeout: Option<serde_json::Value>,
    /// IANA zone of `@d`, day spans and `strftime` (default: the server's).
    #[serde(default)]
    pub timezone: Option<String>,
    /// Which shapes of the answer to send.
    #[serde(default)]
    pub output: Output,
}

/// The shapes of a search answer a client asks for. An event list can be sent as `rows` (flat
/// fields, what a table shows) or as `events` (time, metadata and `_raw`, what an event list
/// shows); sending both doubled the bytes of every event search, so by default each event goes
/// once.
#[derive(Debug, Clone, Copy, Default, serde::Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Output {
    /// Events as `events`, tables as `rows`.
    #[default]
    Auto,
    /// `rows` only.
    Rows,
    /// `events` only (empty for a table).
    Events,
    /// Both, as before.
    Both,
}

impl Output {
    /// Drops what the client did not ask for.
    pub fn shape(self, resp: &mut search::SearchResponse) {
        match self {
            Output::Auto if !resp.events.is_empty() => resp.rows.clear(),
            Output::Auto | Output::Both => {}
            Output::Rows => resp.events.clear(),
            Output::Events => resp.rows.clear(),
        }
    }
}

/// The zone a request names (`"Europe/Paris"`), `None` when it names none; an unknown name
/// is the client's error, never a silent UTC.
pub fn request_zone(name: Option<&str>) -> Result<Option<jiff::tz::TimeZone>, Response> {
    match name.map(str::trim).filter(|n| !n.is_empty()) {
        None => Ok(None),
        Some(n) => jiff::tz::TimeZone::get(n).map(Some).map_err(|_| {
            api_error(
                StatusCode::BAD_REQUEST,
                format!("timezone {n:?}: not an IANA time zone (such as Europe/Paris)"),
                None,
            )
        }),
    }
}

/// A request's own time limit: seconds as a number, or a span (`"30s"`, `"2m"`).
pub(crate) fn request_timeout(
    v: Option<&serde_json::Value>,
) -> Result<Option<std::time::Duration>, String> {
    let secs = match v {
        None | Some(serde_json::Value::Null) => return Ok(None),
        Some(serde_json::Value::Number(n)) => n.as_f64(),
        Some(serde_json::Value::String(s)) => loupe_query::ops::parse_time_span(s),
        Some(_) => None,
    };
    match secs {
        Some(s) if s > 0.0 && s.is_finite() => Ok(Some(std::time::Duration::from_secs_f64(s))),
        _ => Err("timeout must be a positive number of seconds or a span such as \"30s\"".into()),
    }
}

/// A search refused at the door: 503 with `Retry-After`, as for a busy HEC; 429 when it is
/// the caller's own quota that is full (the server is not busy, this user is).
pub fn refused(r: Refused) -> Response {
    let status = match r {
        Refused::UserQuota { .. } => StatusCode::TOO_MANY_REQUESTS,
        Refused::QueueFull { .. } | Refused::ShuttingDown => StatusCode::SERVICE_UNAVAILABLE,
    };
    let mut resp = api_error(status, r.to_string(), None);
    resp.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    resp
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
    let body: SearchBody = match json_body(&body, "search request") {
        Ok(b) => b,
        Err(r) => return r,
    };
    let timeout = match request_timeout(body.timeout.as_ref()) {
        Ok(t) => t,
        Err(e) => return api_error(StatusCode::BAD_REQUEST, e, None),
    };
    let tz = match request_zone(body.timezone.as_deref()) {
        Ok(z) => z,
        Err(r) => return r,
    };
    // Held while queued and running, and given back once the search has stopped.
    let slot = match state.admission.reserve(&scope.principal) {
        Ok(s) => s,
        Err(r) => return refused(r),
    };
    let ticket = match state.admission.enter(timeout).await {
        Ok(t) => t,
        Err(r) => return refused(r),
    };
    // Dropped with this future when the client goes away: the search stops at its next check.
    let cancel = CancelOnDrop(ticket.guard.clone());
    let output = body.output;
    let mut req = state.request(
        body.query,
        body.earliest,
        body.latest,
        body.limit.unwrap_or(100).min(50_000),
    );
    req.tz = tz;
    req.guard = ticket.guard.clone();
    let store = state.store.clone();
    let admission = state.admission.clone();
    // The ticket (the slot) goes with the work: it is free only once the search has stopped,
    // and the outcome is counted there, since a gone client leaves nobody here to count it.
    let audit = state.audit.clone();
    let runtime = tokio::runtime::Handle::current();
    let answer = tokio::task::spawn_blocking(move || {
        let _ticket = ticket;
        let _slot = slot;
        let answer = search::run(&store, &scope, &req);
        if let Err(search::SearchError::Stopped(stop)) = &answer {
            admission.record_stop(stop);
        }
        // Here rather than after the answer: a client that went away was still searching.
        let outcome = match &answer {
            Ok(r) => Ok((&r.stats, r.rows.len())),
            Err(e) => Err(e.to_string()),
        };
        runtime.block_on(audit.search("search", &scope, &req, outcome));
        answer.map(|mut r| {
            output.shape(&mut r);
            r
        })
    })
    .await;
    drop(cancel); // after the end, cancelling changes nothing
    match answer {
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
        search::SearchError::Forbidden(_) => api_error(StatusCode::FORBIDDEN, e.to_string(), None),
        search::SearchError::Stopped(stop) => {
            let status = match stop {
                loupe_query::Stop::Shutdown | loupe_query::Stop::ServerMemory { .. } => {
                    StatusCode::SERVICE_UNAVAILABLE
                }
                // Nobody reads the answer of a cancelled search; 499 as nginx logs it.
                loupe_query::Stop::Cancelled => {
                    StatusCode::from_u16(499).unwrap_or(StatusCode::BAD_REQUEST)
                }
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            let mut resp = api_error(
                status,
                e.to_string(),
                Some(serde_json::json!({"stopped_by": stop.reason()})),
            );
            if status == StatusCode::SERVICE_UNAVAILABLE {
                resp.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            }
            resp
        }
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
        .filter(|i| scope.allows_index(i))
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
        (
            "loupe_syslog_received_total",
            "Syslog messages received (datagrams and TCP frames)",
            c.syslog_received.load(Ordering::Relaxed),
        ),
        (
            "loupe_syslog_dropped_total",
            "Syslog datagrams dropped because the syslog queue was full",
            c.syslog_dropped.load(Ordering::Relaxed),
        ),
    ];
    for (name, help, v) in metrics {
        out.push_str(&format!(
            "# HELP {name} {help}\n# TYPE {name} counter\n{name} {v}\n"
        ));
    }
    out.push_str(&format!(
        "# HELP loupe_ingest_queued_bytes Bytes of events taken but not yet indexed (503 above ingest_queue)\n# TYPE loupe_ingest_queued_bytes gauge\nloupe_ingest_queued_bytes {}\n",
        c.queued_bytes.load(Ordering::Relaxed)
    ));
    out.push_str(&format!(
        "# HELP loupe_ingest_throttled_total Batches refused with 429 (a token over its max_events_per_second)\n# TYPE loupe_ingest_throttled_total counter\nloupe_ingest_throttled_total {}\n",
        state.quota.throttled.load(Ordering::Relaxed)
    ));
    let a = state.admission.counts();
    out.push_str(&format!(
        "# HELP loupe_http_requests_in_flight Requests received and not answered yet\n# TYPE loupe_http_requests_in_flight gauge\nloupe_http_requests_in_flight {}\n",
        state.in_flight.load(Ordering::Relaxed)
    ));
    out.push_str(&format!(
        "# HELP loupe_tails_open Live tails streaming to a client now\n# TYPE loupe_tails_open gauge\nloupe_tails_open {}\n",
        state.tails_open.load(Ordering::Relaxed)
    ));
    let searches = [
        (
            "loupe_searches_running",
            "Searches running now",
            "gauge",
            a.running as u64,
        ),
        (
            "loupe_searches_queued",
            "Searches waiting for a slot",
            "gauge",
            a.queued as u64,
        ),
        (
            "loupe_searches_refused_total",
            "Searches refused with 503 (queue full)",
            "counter",
            a.refused,
        ),
        (
            "loupe_searches_completed_total",
            "Searches that ended (any outcome)",
            "counter",
            a.completed,
        ),
        (
            "loupe_search_memory_bytes",
            "Bytes held by running searches",
            "gauge",
            a.memory_bytes as u64,
        ),
    ];
    for (name, help, kind, v) in searches {
        out.push_str(&format!(
            "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {v}\n"
        ));
    }
    out.push_str("# HELP loupe_searches_stopped_total Searches stopped before their end, by reason\n# TYPE loupe_searches_stopped_total counter\n");
    let stopped = state.admission.stopped();
    for (reason, n) in crate::search::admission::STOP_REASONS.iter().zip(stopped) {
        out.push_str(&format!(
            "loupe_searches_stopped_total{{reason=\"{reason}\"}} {n}\n"
        ));
    }
    limit_metrics(&state, &mut out);
    ([("content-type", "text/plain; version=0.0.4")], out).into_response()
}

/// The abuse limits as configured (`[limits]`, 0 meaning none) and their refusals, so an
/// operator sees both what is allowed and who hits it.
fn limit_metrics(state: &AppState, out: &mut String) {
    let abuse = &state.config.limits.abuse;
    let search = &state.config.limits.search;
    let gauges = [
        (
            "loupe_limit_login_failures_per_user",
            "Failed logins of one user name that lock its logins",
            u64::from(state.logins.max_failures()),
        ),
        (
            "loupe_limit_login_failures_per_address",
            "Failed logins from one client address that lock logins from it",
            u64::from(state.login_addresses.max_failures()),
        ),
        (
            "loupe_limit_login_window_seconds",
            "How long failed logins are remembered and a lock lasts",
            abuse.login_window.as_secs(),
        ),
        (
            "loupe_limit_searches_per_user",
            "Searches one principal may have running or queued (0: no limit)",
            abuse.searches_per_user as u64,
        ),
        (
            "loupe_limit_token_events_per_second",
            "Default events per second of a token without max_events_per_second (0: no limit)",
            u64::from(abuse.token_events_per_second),
        ),
        (
            "loupe_limit_max_concurrent_searches",
            "Searches running at once on this server",
            search.max_concurrent_searches as u64,
        ),
        (
            "loupe_limit_max_queued_searches",
            "Searches waiting for a slot before 503",
            search.max_queued_searches as u64,
        ),
    ];
    for (name, help, v) in gauges {
        out.push_str(&format!(
            "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {v}\n"
        ));
    }
    out.push_str(&format!(
        "# HELP loupe_logins_refused_total Logins refused with 429 because the user or the address was locked\n# TYPE loupe_logins_refused_total counter\nloupe_logins_refused_total{{locked_by=\"user\"}} {}\nloupe_logins_refused_total{{locked_by=\"address\"}} {}\n",
        state.logins.refused.load(Ordering::Relaxed),
        state.login_addresses.refused.load(Ordering::Relaxed),
    ));
    out.push_str(&format!(
        "# HELP loupe_searches_user_quota_refused_total Searches refused with 429 (their principal had searches_per_user running or queued)\n# TYPE loupe_searches_user_quota_refused_total counter\nloupe_searches_user_quota_refused_total {}\n",
        state.admission.user_refused(),
    ));
    out.push_str(&format!(
        "# HELP loupe_ingest_sourcetype_refused_total HEC batches refused because a token may not write an event's sourcetype\n# TYPE loupe_ingest_sourcetype_refused_total counter\nloupe_ingest_sourcetype_refused_total {}\n",
        state.quota.sourcetype_refused.load(Ordering::Relaxed),
    ));
}
