//! `/api/v1/dashboards`: thin CRUD over [`loupe_meta::MetaStore`], every body checked before it
//! is kept — the model's own rules, then each panel's and input's search parsed and planned as
//! it will run, so a broken panel is refused with the parser's message and the panel it is in
//! instead of failing later on a wall screen.
// Handlers return `Result<_, Response>`: boxing axum's Response would only add an allocation.
#![allow(clippy::result_large_err)]

use super::saved::{blocking, lookup_dir, validate, Invalid};
use super::{api_auth, api_error, AppState};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use loupe_meta::dashboard::{substitute, InputKind};
use loupe_meta::{Dashboard, SavedSearch, StoredDashboard};

/// Why a dashboard is refused: the message (naming the panel or input), and where.
pub struct DashboardInvalid {
    /// 0-based index of the panel at fault.
    pub panel: Option<usize>,
    pub invalid: Invalid,
}

impl DashboardInvalid {
    fn response(self) -> Response {
        let mut r = self.invalid.response_json();
        if let (Some(p), Some(obj)) = (self.panel, r.as_object_mut()) {
            obj.insert("panel".into(), p.into());
        }
        (StatusCode::BAD_REQUEST, Json(r)).into_response()
    }
}

/// A search as the saved-search check sees it (query and range only).
fn probe(query: String, earliest: Option<String>, latest: Option<String>) -> SavedSearch {
    let keep = |t: Option<String>| t.filter(|t| !t.contains('$') && !t.trim().is_empty());
    SavedSearch {
        name: "dashboard panel".into(),
        query,
        description: String::new(),
        earliest: keep(earliest),
        latest: keep(latest),
        cron: None,
        timezone: None,
        enabled: true,
        schedule_window: None,
        catch_up: Default::default(),
        keep_runs: None,
        alert: None,
    }
}

/// Checks a dashboard as it will run: the model's rules, then every input's and panel's search
/// with each `$token$` replaced by its input's initial value. Warnings (a lookup table that
/// does not exist yet) do not refuse it.
pub fn validate_dashboard(
    d: &Dashboard,
    macros: &loupe_query::MacroTable,
    lookup_dir: &std::path::Path,
) -> Result<Vec<String>, DashboardInvalid> {
    d.check().map_err(|e| DashboardInvalid {
        panel: None,
        invalid: Invalid::plain(e.0),
    })?;
    let token = |name: &str| -> Option<String> {
        for i in &d.inputs {
            match i.kind {
                InputKind::Time => {
                    if name == format!("{}.earliest", i.token) {
                        return Some(i.earliest.clone().unwrap_or_default());
                    }
                    if name == format!("{}.latest", i.token) {
                        return Some(i.latest.clone().unwrap_or_default());
                    }
                }
                _ if i.token == name => {
                    return Some(
                        i.default
                            .clone()
                            .or_else(|| i.defaults.first().cloned())
                            .filter(|v| !v.is_empty())
                            .unwrap_or_else(|| "*".into()),
                    )
                }
                _ => {}
            }
        }
        None
    };
    let mut warnings = Vec::new();
    for (i, input) in d.inputs.iter().enumerate() {
        if let Some(q) = &input.search {
            let s = probe(substitute(q, token), None, None);
            match validate(&s, macros, lookup_dir) {
                Ok(w) => warnings.extend(w.into_iter().map(|w| format!("input {}: {w}", i + 1))),
                Err(mut e) => {
                    e.message = format!("input {} ({}): {}", i + 1, input.token, e.message);
                    return Err(DashboardInvalid {
                        panel: None,
                        invalid: e,
                    });
                }
            }
        }
    }
    for (i, query) in d.panel_queries() {
        let p = &d.panels[i];
        let base = p.base.as_ref().and_then(|b| d.searches.get(b));
        let earliest = p
            .earliest
            .clone()
            .or_else(|| base.and_then(|b| b.earliest.clone()));
        let latest = p
            .latest
            .clone()
            .or_else(|| base.and_then(|b| b.latest.clone()));
        let s = probe(
            substitute(&query, token),
            earliest.map(|t| substitute(&t, token)),
            latest.map(|t| substitute(&t, token)),
        );
        let at = format!("panel {} ({:?})", i + 1, p.title);
        match validate(&s, macros, lookup_dir) {
            Ok(w) => warnings.extend(w.into_iter().map(|w| format!("{at}: {w}"))),
            Err(mut e) => {
                e.message = format!("{at}: {}", e.message);
                return Err(DashboardInvalid {
                    panel: Some(i),
                    invalid: e,
                });
            }
        }
    }
    Ok(warnings)
}

/// The JSON of a stored dashboard: its body plus `managed_by` when a file owns it.
pub fn stored_json(s: &StoredDashboard) -> serde_json::Value {
    let mut v = serde_json::to_value(&s.dashboard).unwrap_or_default();
    if let (Some(file), Some(obj)) = (&s.managed_by, v.as_object_mut()) {
        obj.insert("managed_by".into(), serde_json::Value::String(file.clone()));
    }
    v
}

fn parse_body(body: &[u8]) -> Result<Dashboard, Response> {
    super::json_body(body, "dashboard")
}

/// `GET /api/v1/dashboards`.
pub async fn list(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Err(r) = api_auth(&state, &headers) {
        return r;
    }
    let meta = state.meta.clone();
    match blocking(move || meta.dashboards()).await {
        Ok(all) => {
            let list: Vec<_> = all.iter().map(stored_json).collect();
            Json(serde_json::json!({ "dashboards": list })).into_response()
        }
        Err(r) => r,
    }
}

async fn stored(state: &AppState, id: &str) -> Result<StoredDashboard, Response> {
    let meta = state.meta.clone();
    let key = id.to_string();
    blocking(move || meta.dashboard(&key))
        .await?
        .ok_or_else(|| {
            api_error(
                StatusCode::NOT_FOUND,
                format!("no dashboard with id {id:?}"),
                None,
            )
        })
}

/// The dashboard as it is, unless a file manages it (then it changes by its file, never
/// through the API).
async fn editable(state: &AppState, id: &str) -> Result<StoredDashboard, Response> {
    let s = stored(state, id).await?;
    match &s.managed_by {
        Some(file) => Err(api_error(
            StatusCode::CONFLICT,
            format!(
                "dashboard {:?} is managed by {file}: change the file and run `loupe apply`",
                s.dashboard.id
            ),
            Some(serde_json::json!({"managed_by": file})),
        )),
        None => Ok(s),
    }
}

/// `POST /api/v1/dashboards`: 201 with the stored body and any warnings.
pub async fn create(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let scope = match super::api_may(&state, &headers, loupe_access::Capability::Schedule) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let d = match parse_body(&body) {
        Ok(d) => d,
        Err(r) => return r,
    };
    let warnings = match validate_dashboard(&d, &state.macros, &lookup_dir(&state)) {
        Ok(w) => w,
        Err(e) => return e.response(),
    };
    let meta = state.meta.clone();
    let kept = d.clone();
    match blocking(move || meta.create_dashboard(kept, None)).await {
        Ok(()) => {
            let after = serde_json::to_value(&d).ok();
            state
                .audit
                .change("dashboard_create", &scope, &d.id, None, after)
                .await;
            (
                StatusCode::CREATED,
                Json(serde_json::json!({"dashboard": d, "warnings": warnings})),
            )
                .into_response()
        }
        Err(r) => r,
    }
}

/// `GET /api/v1/dashboards/{id}`.
pub async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Err(r) = api_auth(&state, &headers) {
        return r;
    }
    match stored(&state, &id).await {
        Ok(s) => Json(stored_json(&s)).into_response(),
        Err(r) => r,
    }
}

/// `PUT /api/v1/dashboards/{id}`: replaces the body (a new `id` renames).
pub async fn update(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let scope = match super::api_may(&state, &headers, loupe_access::Capability::Schedule) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let d = match parse_body(&body) {
        Ok(d) => d,
        Err(r) => return r,
    };
    let before = match editable(&state, &id).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let warnings = match validate_dashboard(&d, &state.macros, &lookup_dir(&state)) {
        Ok(w) => w,
        Err(e) => return e.response(),
    };
    let meta = state.meta.clone();
    let kept = d.clone();
    let key = id.clone();
    match blocking(move || meta.update_dashboard(&key, kept, None)).await {
        Ok(()) => {
            let (was, now) = (
                serde_json::to_value(&before.dashboard).ok(),
                serde_json::to_value(&d).ok(),
            );
            state
                .audit
                .change("dashboard_update", &scope, &id, was, now)
                .await;
            Json(serde_json::json!({"dashboard": d, "warnings": warnings})).into_response()
        }
        Err(r) => r,
    }
}

/// `DELETE /api/v1/dashboards/{id}`.
pub async fn delete(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let scope = match super::api_may(&state, &headers, loupe_access::Capability::Schedule) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let before = match editable(&state, &id).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let meta = state.meta.clone();
    let key = id.clone();
    match blocking(move || meta.delete_dashboard(&key)).await {
        Ok(_) => {
            let was = serde_json::to_value(&before.dashboard).ok();
            state
                .audit
                .change("dashboard_delete", &scope, &id, was, None)
                .await;
            StatusCode::NO_CONTENT.into_response()
        }
        Err(r) => r,
    }
}
