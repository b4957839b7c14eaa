//! `/api/v1/context` (an event's neighbours in its stream) and `/api/v1/tail` (a search
//! followed live as server-sent events): thin handlers over [`crate::search::context`] and
//! [`crate::search::tail`]; both search through [`crate::search::run`] in the caller's scope.
// Handlers return `Result<_, Response>`: boxing axum's Response would only add an allocation.
#![allow(clippy::result_large_err)]

use super::{api_auth, api_error, refused, search_error, AppState};
use crate::search::admission::CancelOnDrop;
use crate::search::context::{self, ContextRequest};
use crate::search::tail::{Row, TailCursor};
use crate::search::{self, SearchScope};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// `?index=&host=&source=&time=&before=&after=` of `GET /api/v1/context`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContextQuery {
    pub index: String,
    #[serde(default)]
    pub host: String,
    #[serde(default)]
    pub source: String,
    /// The event's `_time`: RFC 3339 (as events carry it) or epoch seconds.
    pub time: String,
    #[serde(default = "ten")]
    pub before: usize,
    #[serde(default = "ten")]
    pub after: usize,
}

fn ten() -> usize {
    10
}

/// `GET /api/v1/context`: `{before, at, after}`, each oldest first.
pub async fn context(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<ContextQuery>,
) -> Response {
    let scope = match api_auth(&state, &headers) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let time_ns = match loupe_event::reltime::resolve(&q.time, 0, &jiff::tz::TimeZone::UTC) {
        Ok(ns) => ns,
        Err(e) => {
            return api_error(
                StatusCode::BAD_REQUEST,
                format!("time {:?}: {e}", q.time),
                None,
            )
        }
    };
    let ticket = match state.admission.enter(None).await {
        Ok(t) => t,
        Err(r) => return refused(r),
    };
    let cancel = CancelOnDrop(ticket.guard.clone());
    let mut base = state.request(String::new(), None, None, 0);
    base.guard = ticket.guard.clone();
    let store = state.store.clone();
    let c = ContextRequest {
        index: q.index,
        host: q.host,
        source: q.source,
        time_ns,
        before: q.before,
        after: q.after,
    };
    let out = tokio::task::spawn_blocking(move || {
        let _ticket = ticket;
        context::context(&store, &scope, &base, &c)
    })
    .await;
    drop(cancel);
    match out {
        Ok(Ok(c)) => Json(c).into_response(),
        Ok(Err(e)) => search_error(e),
        Err(e) => api_error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string(), None),
    }
}

/// `?query=&backlog=` of `GET /api/v1/tail`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TailQuery {
    pub query: String,
    /// Events already there shown first (newest of the look-back), at most 200; default 20.
    #[serde(default)]
    pub backlog: Option<usize>,
}

/// Time between two polls of a tail: at most one search a second per open tail.
const POLL: Duration = Duration::from_secs(1);
/// Index time each poll looks back over (see [`TailCursor`]), at least: a commit interval
/// longer than a few seconds lengthens it.
const LOOKBACK: Duration = Duration::from_secs(30);
/// Most events one poll gives: what a tail may send per second.
const PER_POLL: usize = 500;
/// Batches waiting for a slow client; past it the polling waits (no unbounded buffer).
const BUFFER: usize = 8;

/// What a poll found: new events, or why the tail ends.
enum Polled {
    Rows(Vec<Row>, bool),
    Failed(String),
}

async fn poll(state: &AppState, scope: &SearchScope, query: &str, index_earliest: i64) -> Polled {
    let ticket = match state.admission.enter(None).await {
        Ok(t) => t,
        Err(r) => return Polled::Failed(r.to_string()),
    };
    let cancel = CancelOnDrop(ticket.guard.clone());
    // Every event time: what is new is what was indexed since, whatever its timestamp.
    let mut req = state.request(query.to_string(), None, None, PER_POLL);
    req.index_earliest = Some(index_earliest);
    req.guard = ticket.guard.clone();
    let store = state.store.clone();
    let scope = scope.clone();
    let out = tokio::task::spawn_blocking(move || {
        let _ticket = ticket;
        search::run(&store, &scope, &req)
    })
    .await;
    drop(cancel);
    match out {
        Ok(Ok(resp)) => {
            if !resp.rows.is_empty() && !resp.columns.iter().any(|c| c == "_raw") {
                return Polled::Failed(
                    "a live tail shows events: this search transforms them (stats, table…)".into(),
                );
            }
            let full = resp.rows.len() >= PER_POLL;
            Polled::Rows(resp.rows, full)
        }
        Ok(Err(e)) => Polled::Failed(e.to_string()),
        Err(e) => Polled::Failed(e.to_string()),
    }
}

fn sse(name: &str, data: &serde_json::Value) -> Event {
    Event::default().event(name).data(data.to_string())
}

/// `GET /api/v1/tail?query=`: server-sent events — `events` (a JSON array of new events,
/// oldest first), `status` (`{"limited": true}` when more arrived in a second than a poll sends,
/// so some may be skipped),
/// `error` (and the stream ends). Polls once a second, ends when the client goes away.
pub async fn tail(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<TailQuery>,
) -> Response {
    let scope = match api_auth(&state, &headers) {
        Ok(s) => s,
        Err(r) => return r,
    };
    if let Err(r) = super::jobs::check_syntax(&state, &q.query) {
        return r;
    }
    state
        .audit
        .record(
            "tail",
            &scope.principal,
            scope.role_name(),
            serde_json::json!({"query": q.query}),
        )
        .await;
    let backlog = q.backlog.unwrap_or(20).min(200);
    let (tx, rx) = tokio::sync::mpsc::channel::<Event>(BUFFER);
    /// Counts the tail as open until its task ends, however it ends.
    struct Open(Arc<AtomicU64>);
    impl Drop for Open {
        fn drop(&mut self) {
            self.0.fetch_sub(1, Ordering::Relaxed);
        }
    }
    state.tails_open.fetch_add(1, Ordering::Relaxed);
    let open = Open(state.tails_open.clone());
    tokio::spawn(async move {
        let _open = open;
        let mut cursor = TailCursor::new(LOOKBACK.max(state.config.commit_interval * 3));
        let mut first = true;
        loop {
            if !first {
                tokio::select! {
                    _ = tx.closed() => return,
                    _ = tokio::time::sleep(POLL) => {}
                }
            }
            let now = crate::ingest::now_ns();
            let (rows, full) =
                match poll(&state, &scope, &q.query, cursor.index_earliest(now)).await {
                    Polled::Rows(rows, full) => (rows, full),
                    Polled::Failed(message) => {
                        let _ = tx
                            .send(sse("error", &serde_json::json!({ "error": message })))
                            .await;
                        return;
                    }
                };
            let polled = rows.len();
            let mut fresh = cursor.admit(rows, now);
            if first {
                // What was there before the tail began: only the newest few.
                let skip = fresh.len().saturating_sub(backlog);
                fresh.drain(..skip);
                first = false;
            } else if full && fresh.len() == polled {
                // A full poll with nothing already sent in it: events between this poll's
                // oldest and the last one sent may have been skipped.
                if tx
                    .send(sse("status", &serde_json::json!({"limited": true})))
                    .await
                    .is_err()
                {
                    return;
                }
            }
            if !fresh.is_empty()
                && tx
                    .send(sse(
                        "events",
                        &serde_json::Value::Array(
                            fresh.into_iter().map(serde_json::Value::Object).collect(),
                        ),
                    ))
                    .await
                    .is_err()
            {
                return;
            }
        }
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|e| (Ok::<Event, std::convert::Infallible>(e), rx))
    });
    Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(10)))
        .into_response()
}
