//! `POST /api/v1/erase`: erasure on request (GDPR art. 17), capability `erase`; a dry run
//! unless the body says `"confirm": true`. See [`crate::erase`].
// Handlers return `Result<_, Response>`: boxing axum's Response would only add an allocation.
#![allow(clippy::result_large_err)]

use super::{api_error, api_may, search_error, AppState};
use crate::erase::{self, EraseError, EraseRequest};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;

/// Body of `POST /api/v1/erase`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EraseBody {
    pub index: String,
    /// A search expression, no `|`.
    pub query: String,
    #[serde(default)]
    pub earliest: Option<String>,
    #[serde(default)]
    pub latest: Option<String>,
    /// Erase; without it, only count and show (the default).
    #[serde(default)]
    pub confirm: bool,
    /// Erase even above `[access] erase_max_events`.
    #[serde(default)]
    pub force: bool,
    /// Events shown by a dry run (default 10, at most 100).
    #[serde(default)]
    pub sample: Option<usize>,
}

fn erase_error(e: EraseError) -> Response {
    match e {
        EraseError::Search(e) => search_error(e),
        EraseError::Forbidden(_) => api_error(StatusCode::FORBIDDEN, e.to_string(), None),
        EraseError::TooMany { matched, max } => api_error(
            StatusCode::CONFLICT,
            e.to_string(),
            Some(json!({"matched": matched, "max": max})),
        ),
        EraseError::Invalid(_) => api_error(StatusCode::BAD_REQUEST, e.to_string(), None),
        EraseError::Store(_) => api_error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string(), None),
    }
}

/// `POST /api/v1/erase`: `{dry_run: true, matched, buckets, sample}`, or once confirmed
/// `{dry_run: false, erased, buckets_rewritten, buckets_removed}` after the events are gone
/// from the buckets and the write-ahead log. Both are audited.
pub async fn erase(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let scope = match api_may(&state, &headers, loupe_access::Capability::Erase) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let body: EraseBody = match super::json_body(&body, "erase request") {
        Ok(b) => b,
        Err(r) => return r,
    };
    let req = EraseRequest {
        index: body.index,
        search: body.query,
        earliest: body.earliest,
        latest: body.latest,
    };
    let detail = json!({
        "query": req.search,
        "erased_index": req.index,
        "earliest": req.earliest,
        "latest": req.latest,
    });
    let pipeline = state.pipeline.clone();
    if !body.confirm {
        let store = state.store.clone();
        let (scope2, req2) = (scope.clone(), req.clone());
        let sample = body.sample.unwrap_or(10).min(100);
        let answer = tokio::task::spawn_blocking(move || {
            // What was acknowledged before the request is what a confirmed erasure would see.
            pipeline
                .flush()
                .map_err(|e| EraseError::Invalid(e.to_string()))?;
            erase::preview(&store, &scope2, &req2, sample)
        })
        .await;
        return match answer {
            Ok(Ok(p)) => {
                let mut d = detail;
                d["matched"] = json!(p.matched);
                state
                    .audit
                    .record("erase_preview", &scope.principal, scope.role_name(), d)
                    .await;
                let mut out = json!({"dry_run": true});
                if let (Some(o), Ok(serde_json::Value::Object(p))) =
                    (out.as_object_mut(), serde_json::to_value(&p))
                {
                    o.extend(p);
                }
                Json(out).into_response()
            }
            Ok(Err(e)) => erase_error(e),
            Err(e) => api_error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string(), None),
        };
    }
    let max = (!body.force).then_some(state.config.access.erase_max_events);
    let (scope2, req2) = (scope.clone(), req.clone());
    let answer = tokio::task::spawn_blocking(move || {
        let out = pipeline
            .exclusive(move |w| erase::erase(w, &scope2, &req2, max))
            .map_err(|e| EraseError::Invalid(e.to_string()))??;
        // Before the answer: when it says erased, the log holds no copy either.
        pipeline
            .purge_log()
            .map_err(|e| EraseError::Invalid(format!("events erased, log not purged: {e}")))?;
        Ok::<_, EraseError>(out)
    })
    .await;
    match answer {
        Ok(Ok(out)) => {
            let mut d = detail;
            d["erased"] = json!(out.erased);
            d["buckets_rewritten"] = json!(out.buckets_rewritten);
            d["buckets_removed"] = json!(out.buckets_removed);
            d["forced"] = json!(body.force);
            state
                .audit
                .record("erase", &scope.principal, scope.role_name(), d)
                .await;
            if req.index == crate::audit::AUDIT_INDEX && out.erased > 0 {
                // The trail itself lost events: say so now, not at the next interval.
                state.audit.check_soon();
            }
            let mut out_json = json!({"dry_run": false});
            if let (Some(o), Ok(serde_json::Value::Object(p))) =
                (out_json.as_object_mut(), serde_json::to_value(out))
            {
                o.extend(p);
            }
            Json(out_json).into_response()
        }
        Ok(Err(e)) => {
            let mut d = detail;
            d["error"] = json!(e.to_string());
            state
                .audit
                .record("erase_refused", &scope.principal, scope.role_name(), d)
                .await;
            erase_error(e)
        }
        Err(e) => api_error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string(), None),
    }
}
