//! `/api/v1/config/apply` and `/api/v1/config/export`: what `loupe apply --url` and
//! `loupe export --url` send and read; the decisions are [`crate::apply`]'s.
// Handlers return `Result<_, Response>`: boxing axum's Response would only add an allocation.
#![allow(clippy::result_large_err)]

use super::{api_auth, api_error, AppState};
use crate::apply;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use loupe_meta::files::FileObject;
use loupe_meta::{Dashboard, SavedSearch};
use serde::{Deserialize, Serialize};

/// The objects of a directory, as JSON.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Objects {
    #[serde(default)]
    pub saved_searches: Vec<FileSearch>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dashboards: Vec<FileDashboard>,
    #[serde(default)]
    pub lookups: Vec<FileLookup>,
    #[serde(default)]
    pub dry_run: bool,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileDashboard {
    /// The file it comes from (`managed_by`); none on export of an API-made dashboard.
    #[serde(default)]
    pub file: Option<String>,
    pub dashboard: Dashboard,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSearch {
    /// The file it comes from (`managed_by`); none on export of an API-made object.
    #[serde(default)]
    pub file: Option<String>,
    pub search: SavedSearch,
    #[serde(default)]
    pub unsupported: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileLookup {
    #[serde(default)]
    pub file: Option<String>,
    pub name: String,
    /// The table's CSV text.
    pub csv: String,
}

impl Objects {
    /// From files read by `loupe apply`.
    pub fn from_files(objects: Vec<FileObject>, dry_run: bool) -> Objects {
        let mut out = Objects {
            dry_run,
            ..Objects::default()
        };
        for o in objects {
            match o {
                FileObject::SavedSearch {
                    file,
                    search,
                    unsupported,
                } => out.saved_searches.push(FileSearch {
                    file: Some(file),
                    search: *search,
                    unsupported,
                }),
                FileObject::Dashboard { file, dashboard } => out.dashboards.push(FileDashboard {
                    file: Some(file),
                    dashboard: *dashboard,
                }),
                FileObject::Lookup { file, name, csv } => out.lookups.push(FileLookup {
                    file: Some(file),
                    name,
                    csv: String::from_utf8_lossy(&csv).into_owned(),
                }),
            }
        }
        out
    }

    pub fn into_files(self) -> Vec<FileObject> {
        let mut out: Vec<FileObject> = self
            .saved_searches
            .into_iter()
            .map(|s| FileObject::SavedSearch {
                file: s.file.unwrap_or_else(|| {
                    format!(
                        "saved-searches/{}.toml",
                        loupe_meta::files::slug(&s.search.name)
                    )
                }),
                search: Box::new(s.search),
                unsupported: s.unsupported,
            })
            .collect();
        out.extend(self.dashboards.into_iter().map(|d| {
            FileObject::Dashboard {
                file: d
                    .file
                    .unwrap_or_else(|| format!("dashboards/{}.json", d.dashboard.id)),
                dashboard: Box::new(d.dashboard),
            }
        }));
        out.extend(self.lookups.into_iter().map(|l| FileObject::Lookup {
            file: l.file.unwrap_or_else(|| format!("lookups/{}.csv", l.name)),
            name: l.name,
            csv: l.csv.into_bytes(),
        }));
        out
    }
}

/// `POST /api/v1/config/apply`: the plan, and unless `dry_run` its execution; 400 with the
/// errors when the files cannot be applied (nothing changed).
pub async fn apply(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let scope = match super::api_may(&state, &headers, loupe_access::Capability::Apply) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let objects: Objects = match serde_json::from_slice(&body) {
        Ok(o) => o,
        Err(e) => {
            return api_error(
                StatusCode::BAD_REQUEST,
                format!("invalid objects: {e}"),
                None,
            )
        }
    };
    let dry_run = objects.dry_run;
    let files = objects.into_files();
    let meta = state.meta.clone();
    let macros = state.macros.clone();
    let lookup_dir = state.store.root().join("lookups");
    let outcome = tokio::task::spawn_blocking(move || {
        let plan = apply::plan(&meta, &lookup_dir, &macros, &files);
        if plan.errors.is_empty() && !dry_run {
            apply::execute(&meta, &lookup_dir, &plan, &files).map(|()| plan)
        } else {
            Ok(plan)
        }
    })
    .await;
    match outcome {
        Ok(Ok(plan)) if plan.errors.is_empty() => {
            if !dry_run {
                state.reschedule();
                // The plan is the change: what was there before, what is there now.
                let change = serde_json::to_value(&plan).unwrap_or_default();
                state
                    .audit
                    .record(
                        "config_apply",
                        &scope.principal,
                        scope.role_name(),
                        serde_json::json!({ "change": change }),
                    )
                    .await;
            }
            Json(plan).into_response()
        }
        Ok(Ok(plan)) => (StatusCode::BAD_REQUEST, Json(plan)).into_response(),
        Ok(Err(e)) => api_error(StatusCode::INTERNAL_SERVER_ERROR, e, None),
        Err(e) => api_error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string(), None),
    }
}

/// `GET /api/v1/config/export`: every object.
pub async fn export(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Err(r) = api_auth(&state, &headers) {
        return r;
    }
    let meta = state.meta.clone();
    let lookup_dir = state.store.root().join("lookups");
    match tokio::task::spawn_blocking(move || apply::export_objects(&meta, &lookup_dir)).await {
        Ok(Ok(all)) => Json(Objects {
            saved_searches: all
                .searches
                .into_iter()
                .map(|(search, file)| FileSearch {
                    file,
                    search,
                    unsupported: Vec::new(),
                })
                .collect(),
            dashboards: all
                .dashboards
                .into_iter()
                .map(|(dashboard, file)| FileDashboard { file, dashboard })
                .collect(),
            lookups: all
                .lookups
                .into_iter()
                .map(|(name, csv)| FileLookup {
                    file: None,
                    name,
                    csv: String::from_utf8_lossy(&csv).into_owned(),
                })
                .collect(),
            dry_run: false,
        })
        .into_response(),
        Ok(Err(e)) => api_error(StatusCode::INTERNAL_SERVER_ERROR, e, None),
        Err(e) => api_error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string(), None),
    }
}
