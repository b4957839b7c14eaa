//! `POST /api/v1/jobs/{sid}/postprocess` `{query, offset?, count?}`: a post-process search over
//! the answer of the caller's finished job (a dashboard's base search), answered at once as a
//! page of rows; the work is [`crate::postprocess`]'s.
// Handlers return `Result<_, Response>`: boxing axum's Response would only add an allocation.
#![allow(clippy::result_large_err)]

use super::jobs::find;
use super::{api_error, AppState};
use crate::jobs::JobState;
use crate::postprocess::{self, Base, PostError};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

/// Body of the request.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostBody {
    pub query: String,
    #[serde(default)]
    pub offset: usize,
    #[serde(default = "default_count")]
    pub count: usize,
}

fn default_count() -> usize {
    10_000
}

/// Epoch seconds of a job's range bound, when it reads.
fn bound(spec: Option<&str>, now_ns: i64) -> Option<f64> {
    let spec = spec.map(str::trim).filter(|s| !s.is_empty() && *s != "0")?;
    loupe_event::reltime::resolve(spec, now_ns, &jiff::tz::TimeZone::UTC)
        .ok()
        .map(|ns| ns as f64 / 1e9)
}

pub async fn run(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(sid): Path<String>,
    body: Bytes,
) -> Response {
    let job = match find(&state, &headers, &sid) {
        Ok(j) => j,
        Err(r) => return r,
    };
    let body: PostBody = match super::json_body(&body, "post-process request") {
        Ok(b) => b,
        Err(r) => return r,
    };
    let Some(answer) = job.answer() else {
        let why = match job.state() {
            JobState::Queued | JobState::Running => "has not finished",
            _ => "has no answer (it failed or was cancelled)",
        };
        return api_error(
            StatusCode::CONFLICT,
            format!("job {sid:?} {why}: a post-process search reads a finished job"),
            None,
        );
    };
    let now_ns = job.request.now_ns.unwrap_or_else(crate::ingest::now_ns);
    let macros = state.macros.clone();
    let lookup_dir = state.store.root().join("lookups");
    let grant = job.scope.lookups.clone();
    let limits = state.config.limits.search.clone();
    let guard = std::sync::Arc::new(state.admission.guard(None));
    let request = job.request.clone();
    let outcome = tokio::task::spawn_blocking(move || {
        let base = Base {
            answer: &answer,
            limit: request.limit,
            earliest: bound(request.earliest.as_deref(), now_ns),
            latest: bound(request.latest.as_deref(), now_ns),
            now: now_ns as f64 / 1e9,
            geo: request.geo.clone(),
        };
        postprocess::run(
            &base,
            &body.query,
            &macros,
            lookup_dir,
            grant,
            limits,
            guard,
        )
        .map(|resp| (resp, body.offset, body.count.min(10_000)))
    })
    .await;
    match outcome {
        Ok(Ok((resp, offset, count))) => {
            let total = resp.rows.len();
            let rows: Vec<_> = resp.rows.into_iter().skip(offset).take(count).collect();
            Json(serde_json::json!({
                "columns": resp.columns,
                "rows": rows,
                "offset": offset,
                "total": total,
                "preview": false,
            }))
            .into_response()
        }
        Ok(Err(e @ PostError::Invalid { .. })) => {
            let span = match &e {
                PostError::Invalid { span, .. } => *span,
                _ => None,
            };
            api_error(
                StatusCode::BAD_REQUEST,
                e.to_string(),
                span.map(|(start, end)| serde_json::json!({"span": {"start": start, "end": end}})),
            )
        }
        Ok(Err(e @ PostError::Incomplete(_))) => {
            api_error(StatusCode::CONFLICT, e.to_string(), None)
        }
        Ok(Err(e)) => api_error(StatusCode::UNPROCESSABLE_ENTITY, e.to_string(), None),
        Err(e) => api_error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string(), None),
    }
}
