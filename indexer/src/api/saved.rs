//! `/api/v1/saved-searches`: thin CRUD over [`loupe_meta::MetaStore`], with every body checked
//! before it is kept (query parsed and planned, time range, cron, zone).
// Handlers return `Result<_, Response>`: boxing axum's Response would only add an allocation.
#![allow(clippy::result_large_err)]

use super::{api_auth, api_error, refused, AppState};
use crate::search;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use loupe_meta::{MetaError, SavedSearch, StoredSearch};
use loupe_query::{CommandKind, ExecContext, RowBatch};
use std::collections::HashMap;
use std::sync::Arc;

/// Why a saved search body is refused: the message, and the place in the query if any.
pub struct Invalid {
    pub message: String,
    pub span: Option<(usize, usize)>,
    pub column: Option<usize>,
}

impl Invalid {
    pub(crate) fn plain(message: impl Into<String>) -> Invalid {
        Invalid {
            message: message.into(),
            span: None,
            column: None,
        }
    }

    pub(crate) fn response(self) -> Response {
        (StatusCode::BAD_REQUEST, Json(self.response_json())).into_response()
    }

    /// The 400 body: `{error, span?, column?}`.
    pub(crate) fn response_json(self) -> serde_json::Value {
        let mut v = serde_json::json!({ "error": self.message });
        if let (Some((start, end)), Some(obj)) = (self.span, v.as_object_mut()) {
            obj.insert(
                "span".into(),
                serde_json::json!({"start": start, "end": end}),
            );
            obj.insert("column".into(), serde_json::json!(self.column));
        }
        v
    }
}

/// Checks a saved search as it would run: its query parses and plans, its time range and
/// cron read, its zone exists. What it names that does not exist yet (a lookup table, a macro
/// that `loupe apply` may bring later) is a warning, not a refusal.
pub fn validate(
    s: &SavedSearch,
    macros: &loupe_query::MacroTable,
    lookup_dir: &std::path::Path,
) -> Result<Vec<String>, Invalid> {
    let mut warnings = Vec::new();
    let bad_name = s.name.trim().is_empty()
        || s.name.len() > 200
        || s.name
            .chars()
            .any(|c| c.is_control() || c == '/' || c == '\\');
    if bad_name {
        return Err(Invalid::plain(format!(
            "invalid name {:?}: 1 to 200 characters, no '/', '\\' or control characters",
            s.name
        )));
    }
    if let Some(tz) = &s.timezone {
        jiff::tz::TimeZone::get(tz).map_err(|e| Invalid::plain(format!("timezone {tz:?}: {e}")))?;
    }
    let now = jiff::Timestamp::now().as_nanosecond() as i64;
    for (key, value) in [("earliest", &s.earliest), ("latest", &s.latest)] {
        if let Some(v) = value
            .as_deref()
            .filter(|v| !v.trim().is_empty() && v.trim() != "0")
        {
            loupe_event::reltime::resolve(v, now, &jiff::tz::TimeZone::UTC)
                .map_err(|e| Invalid::plain(format!("{key} {v:?}: {e}")))?;
        }
    }
    crate::schedule::check(s).map_err(Invalid::plain)?;
    let expanded = match loupe_query::expand_macros(&s.query, macros) {
        Ok(text) => text,
        Err(e) if e.message.starts_with("unknown macro") => {
            warnings.push(format!("{} (define it before the search runs)", e.message));
            return Ok(warnings);
        }
        Err(e) => return Err(syntax(&s.query, e)),
    };
    let mut pipeline = loupe_query::parse(&expanded).map_err(|e| syntax(&expanded, e))?;
    let planned = |e: loupe_query::PlanError| {
        let span = e.span.map(|sp| (sp.start, sp.end));
        Invalid {
            column: span.map(|(start, _)| search::column_of(&expanded, start)),
            message: e.message,
            span,
        }
    };
    // `tstats` is checked as the search and stats it stands for.
    loupe_query::tstats::expand(&mut pipeline).map_err(planned)?;
    let unsupported = loupe_query::unsupported_functions(&pipeline);
    if !unsupported.is_empty() {
        return Err(Invalid::plain(format!(
            "unsupported: function(s) {}",
            unsupported.join(", ")
        )));
    }
    let mut missing = false;
    for cmd in &pipeline.commands {
        let table = match &cmd.kind {
            CommandKind::Lookup(l) => Some(&l.table),
            CommandKind::Inputlookup(i) => Some(&i.table),
            _ => None,
        };
        if let Some(t) = table {
            let file = format!("{}.csv", t.strip_suffix(".csv").unwrap_or(t));
            if !lookup_dir.join(&file).exists() {
                warnings.push(format!("lookup table {t:?} does not exist yet"));
                missing = true;
            }
        }
    }
    // What another object (`from lookup:`, `savedsearch`) stands for is known when it runs.
    let names_object = pipeline
        .commands
        .first()
        .is_some_and(|c| matches!(c.name.as_str(), "from" | "savedsearch"));
    if !missing && !names_object {
        // Planned as it will run; subsearches stand for empty results (they run at run time).
        let first = usize::from(matches!(
            pipeline.commands.first().map(|c| &c.kind),
            Some(CommandKind::Search(_))
        ));
        let rest = &pipeline.commands[first..];
        let ctx = ExecContext {
            lookups: Some(Arc::new(search::lookups::DirLookups::new(
                lookup_dir.to_path_buf(),
                search::lookups::LookupGrant::all("validation"),
            ))),
            // Whether the server has a database is known when it runs, as for lookup tables.
            geo: Some(Arc::new(loupe_query::geo::Unlocated)),
            subsearches: (0..rest.len())
                .map(|i| (i, RowBatch::new()))
                .collect::<HashMap<_, _>>(),
            ..ExecContext::default()
        };
        loupe_query::compile(rest, &ctx).map_err(planned)?;
    }
    Ok(warnings)
}

/// What the console's editor shows for a query (`POST /api/v1/parse`): every problem with its
/// byte span, the fields the pipeline makes (for completion), and the vocabulary it may use.
pub fn parse_report(
    query: &str,
    macros: &loupe_query::MacroTable,
    lookup_dir: &std::path::Path,
) -> serde_json::Value {
    let mut diagnostics = Vec::new();
    let mut fields: Vec<String> = Vec::new();
    let probe = SavedSearch {
        name: "editor".into(),
        query: query.to_string(),
        description: String::new(),
        earliest: None,
        latest: None,
        cron: None,
        timezone: None,
        enabled: true,
        schedule_window: None,
        catch_up: Default::default(),
        keep_runs: None,
        alert: None,
    };
    match validate(&probe, macros, lookup_dir) {
        Ok(warnings) => {
            for w in warnings {
                diagnostics.push(
                    serde_json::json!({"start": 0, "end": 0, "severity": "warning", "message": w}),
                );
            }
        }
        Err(e) => {
            let (start, end) = e.span.unwrap_or((0, query.len()));
            // Spans past the text (they point into the macro-expanded query) are clamped.
            let end = end.min(query.len()).max(start.min(query.len()));
            diagnostics.push(serde_json::json!({"start": start.min(query.len()), "end": end, "severity": "error", "message": e.message}));
        }
    }
    if let Ok(text) = loupe_query::expand_macros(query, macros) {
        if let Ok(p) = loupe_query::parse(&text) {
            for cmd in &p.commands {
                let made: Vec<String> = match &cmd.kind {
                    CommandKind::Eval(assign) => assign.iter().map(|(n, _)| n.clone()).collect(),
                    CommandKind::Rex(r) => loupe_query::compile_spl_regex(&r.pattern)
                        .map(|re| re.capture_names().flatten().map(str::to_string).collect())
                        .unwrap_or_default(),
                    CommandKind::Rename(pairs) => pairs.iter().map(|(_, to)| to.clone()).collect(),
                    CommandKind::Stats(st) | CommandKind::Eventstats(st) => st
                        .by
                        .iter()
                        .cloned()
                        .chain(st.funcs.iter().map(|f| {
                            f.alias.clone().unwrap_or_else(|| match &f.arg {
                                Some(a) => format!("{}({a})", f.func),
                                None => f.func.clone(),
                            })
                        }))
                        .collect(),
                    _ => Vec::new(),
                };
                for f in made {
                    if !fields.contains(&f) {
                        fields.push(f);
                    }
                }
            }
        }
    }
    let ok = !diagnostics.iter().any(|d| d["severity"] == "error");
    serde_json::json!({
        "ok": ok,
        "diagnostics": diagnostics,
        "fields": fields,
        "commands": loupe_query::TYPED_COMMANDS,
        "functions": loupe_query::eval_functions().collect::<Vec<_>>(),
        "stats_functions": loupe_query::AGG_FUNCTIONS,
    })
}

/// `POST /api/v1/parse` `{query}`.
pub async fn parse(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(r) = api_auth(&state, &headers) {
        return r;
    }
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Body {
        query: String,
    }
    let body: Body = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => {
            return api_error(
                StatusCode::BAD_REQUEST,
                format!("invalid parse request: {e}"),
                None,
            )
        }
    };
    Json(parse_report(
        &body.query,
        &state.macros,
        &lookup_dir(&state),
    ))
    .into_response()
}

fn syntax(text: &str, e: loupe_query::ParseError) -> Invalid {
    let (_, column) = e.line_col(text);
    Invalid {
        message: e.to_string(),
        span: Some((e.span.start, e.span.end)),
        column: Some(column),
    }
}

pub(crate) fn meta_error(e: MetaError) -> Response {
    let status = match e {
        MetaError::Conflict(_) => StatusCode::CONFLICT,
        MetaError::NotFound(_) => StatusCode::NOT_FOUND,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    api_error(status, e.to_string(), None)
}

/// The JSON of a stored search: its body plus `managed_by` when a file owns it.
pub fn stored_json(s: &StoredSearch) -> serde_json::Value {
    let mut v = serde_json::to_value(&s.search).unwrap_or_default();
    if let (Some(file), Some(obj)) = (&s.managed_by, v.as_object_mut()) {
        obj.insert("managed_by".into(), serde_json::Value::String(file.clone()));
    }
    v
}

fn parse_body(body: &[u8]) -> Result<SavedSearch, Response> {
    super::json_body(body, "saved search")
}

pub(crate) fn lookup_dir(state: &AppState) -> std::path::PathBuf {
    state.store.root().join("lookups")
}

/// Runs a metadata call off the async threads (SQLite blocks).
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, MetaError> + Send + 'static,
) -> Result<T, Response> {
    match tokio::task::spawn_blocking(f).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(meta_error(e)),
        Err(e) => Err(api_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            e.to_string(),
            None,
        )),
    }
}

/// `GET /api/v1/saved-searches`.
pub async fn list(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Err(r) = api_auth(&state, &headers) {
        return r;
    }
    let meta = state.meta.clone();
    match blocking(move || meta.saved_searches()).await {
        Ok(all) => {
            let list: Vec<_> = all.iter().map(stored_json).collect();
            Json(serde_json::json!({ "saved_searches": list })).into_response()
        }
        Err(r) => r,
    }
}

/// `POST /api/v1/saved-searches`: 201 with the stored body and any warnings.
pub async fn create(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let scope = match super::api_may(&state, &headers, loupe_access::Capability::Schedule) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let s = match parse_body(&body) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let warnings = match validate(&s, &state.macros, &lookup_dir(&state)) {
        Ok(w) => w,
        Err(e) => return e.response(),
    };
    let meta = state.meta.clone();
    let stored = s.clone();
    match blocking(move || meta.create_saved_search(stored, None)).await {
        Ok(()) => {
            state.reschedule();
            state
                .audit
                .change(
                    "saved_search_create",
                    &scope,
                    &s.name,
                    None,
                    serde_json::to_value(&s).ok(),
                )
                .await;
            (
                StatusCode::CREATED,
                Json(serde_json::json!({"saved_search": s, "warnings": warnings})),
            )
                .into_response()
        }
        Err(r) => r,
    }
}

async fn stored(state: &AppState, name: &str) -> Result<StoredSearch, Response> {
    let meta = state.meta.clone();
    let key = name.to_string();
    blocking(move || meta.saved_search(&key))
        .await?
        .ok_or_else(|| {
            api_error(
                StatusCode::NOT_FOUND,
                format!("no saved search named {name:?}"),
                None,
            )
        })
}

/// A managed object is changed by its file, never through the API.
/// The stored search `name` as it is before a change, refused when a file manages it.
async fn editable(state: &AppState, name: &str) -> Result<StoredSearch, Response> {
    let before = stored(state, name).await?;
    refuse_managed(&before)?;
    Ok(before)
}

fn refuse_managed(s: &StoredSearch) -> Result<(), Response> {
    match &s.managed_by {
        Some(file) => Err(api_error(
            StatusCode::CONFLICT,
            format!(
                "saved search {:?} is managed by {file}: change the file and run `loupe apply`",
                s.search.name
            ),
            Some(serde_json::json!({"managed_by": file})),
        )),
        None => Ok(()),
    }
}

/// `GET /api/v1/saved-searches/{name}`.
pub async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Response {
    if let Err(r) = api_auth(&state, &headers) {
        return r;
    }
    match stored(&state, &name).await {
        Ok(s) => Json(stored_json(&s)).into_response(),
        Err(r) => r,
    }
}

/// `PUT /api/v1/saved-searches/{name}`: replaces the body (a new `name` renames).
pub async fn update(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    let scope = match super::api_may(&state, &headers, loupe_access::Capability::Schedule) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let s = match parse_body(&body) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let before = match editable(&state, &name).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let warnings = match validate(&s, &state.macros, &lookup_dir(&state)) {
        Ok(w) => w,
        Err(e) => return e.response(),
    };
    let meta = state.meta.clone();
    let stored = s.clone();
    let key = name.clone();
    match blocking(move || meta.update_saved_search(&key, stored, None)).await {
        Ok(()) => {
            state.reschedule();
            state
                .audit
                .change(
                    "saved_search_update",
                    &scope,
                    &name,
                    serde_json::to_value(&before.search).ok(),
                    serde_json::to_value(&s).ok(),
                )
                .await;
            Json(serde_json::json!({"saved_search": s, "warnings": warnings})).into_response()
        }
        Err(r) => r,
    }
}

/// `DELETE /api/v1/saved-searches/{name}`.
pub async fn delete(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Response {
    let scope = match super::api_may(&state, &headers, loupe_access::Capability::Schedule) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let before = match editable(&state, &name).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let meta = state.meta.clone();
    let forget = name.clone();
    match blocking(move || meta.delete_saved_search(&name)).await {
        Ok(_) => {
            state.reschedule();
            state
                .audit
                .change(
                    "saved_search_delete",
                    &scope,
                    &forget,
                    serde_json::to_value(&before.search).ok(),
                    None,
                )
                .await;
            let _ = loupe_alerts::StateStore::forget(
                &crate::schedule::MetaState(state.meta.clone()),
                &forget,
            );
            StatusCode::NO_CONTENT.into_response()
        }
        Err(r) => r,
    }
}

/// `?trigger_actions=` of the run endpoint.
#[derive(Debug, serde::Deserialize)]
pub struct RunQuery {
    #[serde(default)]
    pub trigger_actions: bool,
}

/// `POST /api/v1/saved-searches/{name}/run`: starts it now as a job (`{sid}`); with
/// `?trigger_actions=true`, runs it as the scheduler does — condition, throttle, actions,
/// `_scheduler` and `_alerts` — and answers the run's record (Splunk's dispatch with
/// `trigger_actions=1`).
pub async fn run_now(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(name): Path<String>,
    axum::extract::Query(q): axum::extract::Query<RunQuery>,
) -> Response {
    let scope = match api_auth(&state, &headers) {
        Ok(s) => s,
        Err(r) => return r,
    };
    if q.trigger_actions {
        let scheduler = state.scheduler.clone();
        return match tokio::task::spawn_blocking(move || scheduler.run_now(&name)).await {
            Ok(Ok(run)) => Json(run).into_response(),
            Ok(Err(e)) => api_error(StatusCode::NOT_FOUND, e.to_string(), None),
            Err(e) => api_error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string(), None),
        };
    }
    let s = match stored(&state, &name).await {
        Ok(s) => s.search,
        Err(r) => return r,
    };
    let req = state.request(s.query, s.earliest, s.latest, 1000);
    let owner = scope.principal.clone();
    match state.jobs.start(
        state.store.clone(),
        state.admission.clone(),
        owner,
        scope,
        req,
        None,
    ) {
        Ok(job) => (
            StatusCode::CREATED,
            Json(serde_json::json!({"sid": job.sid})),
        )
            .into_response(),
        Err(r) => refused(r),
    }
}

/// `GET /api/v1/saved-searches/{name}/runs`: its run history, newest first.
pub async fn runs(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Response {
    if let Err(r) = api_auth(&state, &headers) {
        return r;
    }
    let meta = state.meta.clone();
    match blocking(move || meta.runs(&name, 100)).await {
        Ok(runs) => Json(serde_json::json!({ "runs": runs })).into_response(),
        Err(r) => r,
    }
}

/// `GET /api/v1/alerts/fired`: the newest firings (and resolved notices), newest first.
pub async fn fired(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Err(r) = api_auth(&state, &headers) {
        return r;
    }
    let meta = state.meta.clone();
    match blocking(move || meta.firings(None, 200)).await {
        Ok(list) => Json(serde_json::json!({ "fired": list })).into_response(),
        Err(r) => r,
    }
}
