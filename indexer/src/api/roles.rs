//! `/api/v1/roles`: roles listed, and made, changed and deleted through the API (capability
//! `admin`). The built-ins and the roles of `loupe.toml` are shown but refused for edits
//! (409, naming where they are defined); API roles live in `meta.sqlite`. Each change is
//! audited with the role before and after, and the server's role table is rebuilt at once,
//! so the next search of a user of that role runs with it.

use super::saved::blocking;
use super::{api_error, AppState};
use crate::roles::{self as defs, Origin};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use loupe_access::{Capability, RoleConfig};
use serde_json::{json, Value};

/// A role as the API shows it: its table, where it is defined, and whether the API may edit it.
/// (The list and `GET /{name}` add who holds it: see [`all`].)
fn role_json(name: &str, origin: Origin, cfg: &RoleConfig) -> Value {
    let mut v = serde_json::to_value(cfg).unwrap_or_else(|_| json!({}));
    if let Some(o) = v.as_object_mut() {
        o.insert("name".into(), json!(name));
        o.insert("origin".into(), json!(origin));
        o.insert("editable".into(), json!(origin == Origin::Api));
    }
    v
}

/// Every role: built-ins, the file's, then the API's; each with `users`, the names of the
/// users of `meta.sqlite` who hold it, and `ldap_groups`, the `[[ldap.roles]]` groups given it
/// (what keeps a role from being deleted).
async fn all(state: &AppState) -> Result<Vec<Value>, Response> {
    let mut out = defined(state).await?;
    let meta = state.meta.clone();
    let users = blocking(move || meta.users()).await?;
    for r in &mut out {
        let name = r["name"].as_str().unwrap_or_default().to_string();
        let holders: Vec<&str> = users
            .iter()
            .filter(|u| u.role == name)
            .map(|u| u.name.as_str())
            .collect();
        let groups = defs::ldap_groups_of(&state.config, &name);
        if let Some(o) = r.as_object_mut() {
            o.insert("users".into(), json!(holders));
            o.insert("ldap_groups".into(), json!(groups));
        }
    }
    Ok(out)
}

/// Every role's table: built-ins, the file's, then the API's.
async fn defined(state: &AppState) -> Result<Vec<Value>, Response> {
    let meta = state.meta.clone();
    let stored = blocking(move || meta.roles()).await?;
    let mut out: Vec<Value> = loupe_access::role::BUILTIN_ROLES
        .iter()
        .filter_map(|n| {
            loupe_access::Role::builtin_config(n).map(|c| role_json(n, Origin::Builtin, &c))
        })
        .collect();
    out.extend(
        state
            .config
            .roles
            .iter()
            .map(|(n, c)| role_json(n, Origin::Config, c)),
    );
    for s in stored {
        if defs::origin(&state.config, &s.name, true) == Some(Origin::Api) {
            if let Ok(c) = defs::parse_stored(&s.config) {
                out.push(role_json(&s.name, Origin::Api, &c));
            }
        }
    }
    Ok(out)
}

/// `GET /api/v1/roles`.
pub async fn list(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Err(r) = super::api_may(&state, &headers, Capability::Admin) {
        return r;
    }
    match all(&state).await {
        Ok(v) => Json(json!({ "roles": v })).into_response(),
        Err(r) => r,
    }
}

/// `GET /api/v1/roles/{name}`.
pub async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Response {
    if let Err(r) = super::api_may(&state, &headers, Capability::Admin) {
        return r;
    }
    match all(&state).await {
        Ok(v) => match v.into_iter().find(|r| r["name"] == name.as_str()) {
            Some(r) => Json(r).into_response(),
            None => not_found(&name),
        },
        Err(r) => r,
    }
}

fn not_found(name: &str) -> Response {
    api_error(
        StatusCode::NOT_FOUND,
        format!("no role named {name:?}"),
        None,
    )
}

/// The role's table from a body; a `name` in it must be `expected` when given.
fn parse_body(body: &[u8], expected: Option<&str>) -> Result<(String, RoleConfig), Response> {
    let mut map: serde_json::Map<String, Value> = super::json_body(body, "role")?;
    let name = match (map.remove("name"), expected) {
        (Some(Value::String(n)), Some(e)) if n != e => {
            return Err(api_error(
                StatusCode::BAD_REQUEST,
                format!("the body names role {n:?}, the path {e:?}: a role is not renamed"),
                None,
            ))
        }
        (Some(Value::String(n)), _) => n,
        (None, Some(e)) => e.to_string(),
        (Some(_), _) | (None, None) => {
            return Err(api_error(
                StatusCode::BAD_REQUEST,
                "a role needs a \"name\" (a string)",
                None,
            ))
        }
    };
    // Read-only fields of what GET answers, so a fetched role can be sent back as it is.
    for key in ["origin", "editable", "users", "ldap_groups"] {
        map.remove(key);
    }
    let cfg: RoleConfig = serde_json::from_value(Value::Object(map))
        .map_err(|e| api_error(StatusCode::BAD_REQUEST, format!("invalid role: {e}"), None))?;
    defs::check(&name, &cfg)
        .map_err(|e| api_error(StatusCode::BAD_REQUEST, e.to_string(), None))?;
    Ok((name, cfg))
}

/// 409 unless `name` is an API role (or, for a creation, no role at all).
fn refuse_fixed(state: &AppState, name: &str) -> Result<(), Response> {
    let why = match defs::origin(&state.config, name, false) {
        Some(Origin::Builtin) => "is a built-in role and cannot be changed",
        Some(Origin::Config) => "is defined in loupe.toml: change the file and restart",
        _ => return Ok(()),
    };
    Err(api_error(
        StatusCode::CONFLICT,
        format!("role {name:?} {why}"),
        Some(json!({"origin": defs::origin(&state.config, name, false)})),
    ))
}

/// The stored table of API role `name`, 404 when there is none.
async fn stored(state: &AppState, name: &str) -> Result<RoleConfig, Response> {
    let meta = state.meta.clone();
    let key = name.to_string();
    let found = blocking(move || meta.role(&key)).await?;
    let s = found.ok_or_else(|| not_found(name))?;
    defs::parse_stored(&s.config)
        .map_err(|e| api_error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string(), None))
}

/// Rebuilds the server's role table from the config and `meta.sqlite`; the write lock is
/// held while reading, so concurrent changes end with a table that has them all.
async fn reload(state: &AppState) -> Result<(), Response> {
    let (roles, cfg, meta) = (
        state.roles.clone(),
        state.config.clone(),
        state.meta.clone(),
    );
    let done = tokio::task::spawn_blocking(move || {
        let mut table = roles.write();
        *table = defs::load(&cfg, &meta)?;
        Ok::<_, defs::RoleError>(())
    })
    .await;
    match done {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(api_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            e.to_string(),
            None,
        )),
        Err(e) => Err(api_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            e.to_string(),
            None,
        )),
    }
}

fn stored_text(cfg: &RoleConfig) -> Result<String, Response> {
    serde_json::to_string(cfg)
        .map_err(|e| api_error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string(), None))
}

/// `POST /api/v1/roles` `{name, indexes_allowed, …}`: 201 with the role.
pub async fn create(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let scope = match super::api_may(&state, &headers, Capability::Admin) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let (name, cfg) = match parse_body(&body, None) {
        Ok(v) => v,
        Err(r) => return r,
    };
    if let Err(r) = refuse_fixed(&state, &name) {
        return r;
    }
    let text = match stored_text(&cfg) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let meta = state.meta.clone();
    let key = name.clone();
    if let Err(r) = blocking(move || meta.add_role(&key, text)).await {
        return r;
    }
    if let Err(r) = reload(&state).await {
        return r;
    }
    let after = serde_json::to_value(&cfg).ok();
    state
        .audit
        .change("role_create", &scope, &name, None, after)
        .await;
    (
        StatusCode::CREATED,
        Json(role_json(&name, Origin::Api, &cfg)),
    )
        .into_response()
}

/// `PUT /api/v1/roles/{name}`: replaces an API role's table.
pub async fn update(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    let scope = match super::api_may(&state, &headers, Capability::Admin) {
        Ok(s) => s,
        Err(r) => return r,
    };
    if let Err(r) = refuse_fixed(&state, &name) {
        return r;
    }
    let (_, cfg) = match parse_body(&body, Some(&name)) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let before = match stored(&state, &name).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let text = match stored_text(&cfg) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let meta = state.meta.clone();
    let key = name.clone();
    match blocking(move || meta.update_role(&key, text)).await {
        Ok(true) => {}
        Ok(false) => return not_found(&name),
        Err(r) => return r,
    }
    if let Err(r) = reload(&state).await {
        return r;
    }
    state
        .audit
        .change(
            "role_update",
            &scope,
            &name,
            serde_json::to_value(&before).ok(),
            serde_json::to_value(&cfg).ok(),
        )
        .await;
    Json(role_json(&name, Origin::Api, &cfg)).into_response()
}

/// `DELETE /api/v1/roles/{name}`: 409 while a user holds the role (give them another first:
/// a user whose role is gone is refused, which is safe but surprising).
pub async fn delete(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Response {
    let scope = match super::api_may(&state, &headers, Capability::Admin) {
        Ok(s) => s,
        Err(r) => return r,
    };
    if let Err(r) = refuse_fixed(&state, &name) {
        return r;
    }
    let before = match stored(&state, &name).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let groups = defs::ldap_groups_of(&state.config, &name);
    if !groups.is_empty() {
        let why = format!(
            "is given by [[ldap.roles]] to group {}: change loupe.toml first",
            groups.join(", ")
        );
        return in_use(&name, &why, "ldap_groups", groups);
    }
    let meta = state.meta.clone();
    let users = match blocking(move || meta.users()).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let holders: Vec<String> = users
        .into_iter()
        .filter(|u| u.role == name)
        .map(|u| u.name)
        .collect();
    if !holders.is_empty() {
        let why = format!(
            "is held by {}: give them another role first",
            holders.join(", ")
        );
        return in_use(&name, &why, "users", holders);
    }
    let meta = state.meta.clone();
    let key = name.clone();
    if let Err(r) = blocking(move || meta.delete_role(&key)).await {
        return r;
    }
    if let Err(r) = reload(&state).await {
        return r;
    }
    state
        .audit
        .change(
            "role_delete",
            &scope,
            &name,
            serde_json::to_value(&before).ok(),
            None,
        )
        .await;
    StatusCode::NO_CONTENT.into_response()
}

/// 409 for a role something still refers to: why, and who (under `key`).
fn in_use<T: serde::Serialize>(name: &str, why: &str, key: &str, who: Vec<T>) -> Response {
    api_error(
        StatusCode::CONFLICT,
        format!("role {name:?} {why}"),
        Some(json!({ key: who })),
    )
}
