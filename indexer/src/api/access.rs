//! Who is calling: API tokens (`[[tokens]]` of `loupe.toml`, or a user's from `loupe token
//! create`), browser sessions (a cookie from `POST /api/v1/login`), the first-start setup
//! link, and the cross-site check every state-changing request passes.
//!
//! The session cookie is HttpOnly (no script reads it), SameSite=Strict (no other site's
//! page sends it) and Secure under TLS; its value is a random secret of which the metadata
//! keeps only the SHA-256. Cross-site requests are refused from what browsers say of them
//! (`Sec-Fetch-Site`, else `Origin` against `Host`), which a page on another site cannot
//! forge, so no CSRF token travels in the page.

use super::{api_error, token_scope, AppState};
use crate::search::SearchScope;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use loupe_access::token;
use serde::Deserialize;
use std::sync::Arc;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "loupe_session";
/// Prefix of users' API tokens (`loupe token create`).
pub const USER_TOKEN_PREFIX: &str = "lpt_";
const SESSION_PREFIX: &str = "lps_";
const SETUP_SCOPE: &str = "access";
const SETUP_KEY: &str = "setup";

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get("authorization")?.to_str().ok()?;
    value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("Splunk "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

/// The value of cookie `name`.
fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
}

fn meta_error(e: loupe_meta::MetaError) -> Response {
    api_error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string(), None)
}

/// The scope of user `name` with role `role`; a role gone from the config refuses the
/// user rather than widening it.
pub(crate) fn user_scope(
    state: &AppState,
    name: &str,
    role: &str,
) -> Result<SearchScope, Response> {
    let found = state.roles.read().get(role).cloned();
    match found {
        Some(r) => Ok(SearchScope::of_role(name, Arc::new(r))),
        None => Err(api_error(
            StatusCode::FORBIDDEN,
            format!("user {name:?} has role {role:?}, which is not defined"),
            None,
        )),
    }
}

/// Authenticates a request: a bearer token (config or user), else the session cookie.
pub(crate) fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<SearchScope, Response> {
    let now = crate::ingest::now_ns();
    if let Some(t) = bearer(headers) {
        if let Some(cfg) = state.tokens.iter().find(|c| c.token == t && !c.disabled) {
            return Ok(token_scope(cfg));
        }
        if t.starts_with(USER_TOKEN_PREFIX) {
            if let Some(u) = state
                .meta
                .token_user(&token::digest(t), now)
                .map_err(meta_error)?
            {
                return user_scope(state, &u.name, &u.role);
            }
        }
        return Err(api_error(StatusCode::FORBIDDEN, "invalid token", None));
    }
    if let Some(id) = cookie(headers, SESSION_COOKIE) {
        let a = &state.config.access;
        if let Some(u) = state
            .meta
            .session_user(
                &token::digest(id),
                now,
                a.session_idle.as_nanos() as i64,
                a.session_absolute.as_nanos() as i64,
            )
            .map_err(meta_error)?
        {
            return user_scope(state, &u.name, &u.role);
        }
        return Err(api_error(
            StatusCode::UNAUTHORIZED,
            "session expired: sign in again",
            None,
        ));
    }
    Err(api_error(
        StatusCode::UNAUTHORIZED,
        "missing Authorization: Bearer <token>",
        None,
    ))
}

/// Refuses a state-changing request another site's page made the browser send. HEC is
/// exempt: its senders are programs, and its token travels in a header no form can set.
pub async fn refuse_cross_site(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let hec = req.uri().path().starts_with("/services/collector");
    if !safe && !hec && is_cross_site(req.headers()) {
        return api_error(
            StatusCode::FORBIDDEN,
            "cross-site request refused (Origin or Sec-Fetch-Site is another site)",
            None,
        );
    }
    next.run(req).await
}

fn is_cross_site(h: &HeaderMap) -> bool {
    if let Some(site) = h.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return !matches!(site, "same-origin" | "none");
    }
    let Some(origin) = h.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        // Neither header: not a browser (curl, the CLI, a forwarder).
        return false;
    };
    let host = h
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let origin_host = origin.split_once("://").map_or("", |(_, rest)| rest);
    origin == "null" || !origin_host.eq_ignore_ascii_case(host)
}

/// The `Set-Cookie` of a session (an empty value with `Max-Age=0` clears it).
fn session_cookie(state: &AppState, value: &str, max_age: u64) -> HeaderValue {
    let secure = if state.config.tls.is_some() {
        "; Secure"
    } else {
        ""
    };
    let text = format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    );
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    pub user: String,
    pub password: String,
}

/// `POST /api/v1/login` `{user, password}`: a session cookie and `{user, role}`; 401 with
/// the same message whether the user or the password is wrong.
///
/// Failed logins are counted per user name and per client address (`[limits]`): past either
/// limit the login is answered 429 with `Retry-After`, right password or not, and audited
/// `login_locked` with `locked_by` `user` or `address`.
pub async fn login(
    State(state): State<AppState>,
    peer: Option<axum::Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>,
    body: axum::body::Bytes,
) -> Response {
    let body: LoginBody = match super::json_body(&body, "login") {
        Ok(b) => b,
        Err(r) => return r,
    };
    // The peer of the TCP connection: a proxy's `X-Forwarded-For` is whatever the client
    // wrote, so it is not trusted.
    let address = peer.map(|axum::Extension(c)| c.0.ip().to_string());
    let now = std::time::Instant::now();
    let locked = match state.logins.check(&body.user, now) {
        Err(wait) => Some(("user", wait)),
        Ok(()) => address
            .as_deref()
            .and_then(|a| state.login_addresses.check(a, now).err())
            .map(|wait| ("address", wait)),
    };
    if let Some((by, wait)) = locked {
        state
            .audit
            .record(
                "login_locked",
                &body.user,
                "-",
                serde_json::json!({"locked_by": by, "client_address": address}),
            )
            .await;
        let mut r = api_error(
            StatusCode::TOO_MANY_REQUESTS,
            format!("too many failed logins for this {by}: wait before trying again"),
            None,
        );
        if let Ok(v) = HeaderValue::from_str(&wait.as_secs().max(1).to_string()) {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return r;
    }
    let meta = state.meta.clone();
    let (user, password) = (body.user.clone(), body.password.clone());
    let password_again = body.password;
    // argon2 takes tens of milliseconds of CPU: off the async threads.
    let checked = tokio::task::spawn_blocking(move || {
        let found = meta.user(&user)?;
        Ok::<_, loupe_meta::MetaError>(found.and_then(|(u, hash)| {
            hash.filter(|h| loupe_access::password::verify(&password, h))
                .map(|_| u)
        }))
    })
    .await;
    let checked = match (checked, &state.config.ldap) {
        // Not a local user with that password: the directory, when there is one.
        (Ok(Ok(None)), Some(ldap)) => {
            directory_login(&state, ldap, &body.user, &password_again).await
        }
        (other, _) => other,
    };
    let user = match checked {
        Ok(Ok(Some(u))) => u,
        Ok(Ok(None)) => {
            let now = std::time::Instant::now();
            state.logins.failed(&body.user, now);
            if let Some(a) = &address {
                state.login_addresses.failed(a, now);
            }
            state
                .audit
                .record(
                    "login_failed",
                    &body.user,
                    "-",
                    serde_json::json!({"client_address": address}),
                )
                .await;
            return api_error(StatusCode::UNAUTHORIZED, "wrong user or password", None);
        }
        Ok(Err(e)) => return meta_error(e),
        Err(e) => return api_error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string(), None),
    };
    let id = match token::generate(SESSION_PREFIX) {
        Ok(id) => id,
        Err(e) => return api_error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string(), None),
    };
    if let Err(e) = state.meta.add_session(&token::digest(&id), &user.name) {
        return meta_error(e);
    }
    state.logins.succeeded(&user.name);
    state
        .audit
        .record("login", &user.name, &user.role, serde_json::json!({}))
        .await;
    let max_age = state.config.access.session_absolute.as_secs();
    let mut resp = Json(serde_json::json!({"user": user.name, "role": user.role})).into_response();
    resp.headers_mut()
        .insert(header::SET_COOKIE, session_cookie(&state, &id, max_age));
    resp
}

type Checked =
    Result<Result<Option<loupe_meta::User>, loupe_meta::MetaError>, tokio::task::JoinError>;

/// A login through `[ldap]`: the user is recorded with the role its groups give now (a
/// user of the directory in no mapped group signs in as nobody).
async fn directory_login(
    state: &AppState,
    ldap: &crate::config::LdapConfig,
    user: &str,
    password: &str,
) -> Checked {
    let role = match crate::directory::login(ldap, user, password).await {
        Ok(role) => role,
        Err(e) => {
            if matches!(e, crate::directory::DirectoryError::Unavailable(_)) {
                tracing::error!("directory login of {user:?}: {e}");
            }
            return Ok(Ok(None));
        }
    };
    let meta = state.meta.clone();
    let (name, r) = (user.to_string(), role.clone());
    tokio::task::spawn_blocking(move || {
        if !meta.put_directory_user(&name, &r)? {
            return Ok(None);
        }
        Ok(meta.user(&name)?.map(|(u, _)| u))
    })
    .await
}

/// `POST /api/v1/logout`: ends the session and clears the cookie.
pub async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(id) = cookie(&headers, SESSION_COOKIE) {
        if let Ok(scope) = authenticate(&state, &headers) {
            state
                .audit
                .record(
                    "logout",
                    &scope.principal,
                    scope.role_name(),
                    serde_json::json!({}),
                )
                .await;
        }
        if let Err(e) = state.meta.delete_session(&token::digest(id)) {
            return meta_error(e);
        }
    }
    let mut resp = Json(serde_json::json!({"logged_out": true})).into_response();
    resp.headers_mut()
        .insert(header::SET_COOKIE, session_cookie(&state, "", 0));
    resp
}

/// `GET /api/v1/me`: who the caller is, its role and capabilities (the console shows the
/// login page on 401).
pub async fn me(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match authenticate(&state, &headers) {
        Ok(scope) => {
            let caps: Vec<&str> = loupe_access::Capability::ALL
                .into_iter()
                .filter(|c| scope.may(*c))
                .map(|c| c.name())
                .collect();
            Json(serde_json::json!({
                "user": scope.principal,
                "role": scope.role_name(),
                "capabilities": caps,
            }))
            .into_response()
        }
        Err(r) => r,
    }
}

/// At a start with no user yet: a one-time secret for the setup link (printed once; its
/// digest is kept, so the link works after a restart until an admin exists).
pub fn setup_link(meta: &loupe_meta::MetaStore) -> Result<Option<String>, String> {
    if !meta.users().map_err(|e| e.to_string())?.is_empty() {
        meta.set_kv(SETUP_SCOPE, SETUP_KEY, None)
            .map_err(|e| e.to_string())?;
        return Ok(None);
    }
    let secret = token::generate("setup_").map_err(|e| e.to_string())?;
    meta.set_kv(SETUP_SCOPE, SETUP_KEY, Some(token::digest(&secret)))
        .map_err(|e| e.to_string())?;
    Ok(Some(secret))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetupBody {
    pub token: String,
    pub user: String,
    pub password: String,
}

/// `POST /api/v1/setup` `{token, user, password}`: the first admin, once, with the secret
/// of the setup link.
pub async fn setup(State(state): State<AppState>, body: axum::body::Bytes) -> Response {
    let body: SetupBody = match super::json_body(&body, "setup") {
        Ok(b) => b,
        Err(r) => return r,
    };
    let expected = match state.meta.get_kv(SETUP_SCOPE, SETUP_KEY) {
        Ok(e) => e,
        Err(e) => return meta_error(e),
    };
    if expected.as_deref() != Some(token::digest(&body.token).as_str()) {
        return api_error(
            StatusCode::FORBIDDEN,
            "this setup link is not valid (used already, or not the one printed at start)",
            None,
        );
    }
    let password = body.password.clone();
    let hash =
        match tokio::task::spawn_blocking(move || loupe_access::password::hash(&password)).await {
            Ok(Ok(h)) => h,
            Ok(Err(e)) => return api_error(StatusCode::BAD_REQUEST, e.to_string(), None),
            Err(e) => return api_error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string(), None),
        };
    if let Err(e) = state.meta.add_user(&body.user, "admin", Some(hash)) {
        return api_error(StatusCode::CONFLICT, e.to_string(), None);
    }
    if let Err(e) = state.meta.set_kv(SETUP_SCOPE, SETUP_KEY, None) {
        return meta_error(e);
    }
    state
        .audit
        .record(
            "user_add",
            &body.user,
            "admin",
            serde_json::json!({"via": "setup link", "target": body.user}),
        )
        .await;
    (
        StatusCode::CREATED,
        Json(serde_json::json!({"user": body.user, "role": "admin"})),
    )
        .into_response()
}
