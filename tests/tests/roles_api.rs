//! Roles through the API (`/api/v1/roles`): made, changed and deleted by an admin, kept in
//! `meta.sqlite` across a restart, audited with before and after, effective for the next
//! search of their users; the built-ins and the roles of `loupe.toml` refused for edits.

use loupe_e2e::{Server, TOKEN};
use serde_json::json;

const NIR: &str = "1 85 05 75 701 169 92";
const NIR_MASKED: &str = "1 85 05 ** *** *** **";

/// `method path` as `token`: status and answer.
fn call(
    s: &Server,
    token: &str,
    method: &str,
    path: &str,
    body: Option<serde_json::Value>,
) -> (u16, serde_json::Value) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let url = format!("{}{path}", s.url);
    let auth = format!("Bearer {token}");
    let r = match (method, body) {
        ("GET", _) => agent.get(&url).header("Authorization", &auth).call(),
        ("DELETE", _) => agent.delete(&url).header("Authorization", &auth).call(),
        ("POST", Some(b)) => agent.post(&url).header("Authorization", &auth).send_json(b),
        ("PUT", Some(b)) => agent.put(&url).header("Authorization", &auth).send_json(b),
        other => panic!("unsupported {other:?}"),
    };
    let mut r = r.expect("request");
    let status = r.status().as_u16();
    let text = r.body_mut().read_to_string().unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(json!(text)))
}

fn search(s: &Server, token: &str, query: &str) -> String {
    let (status, a, _) = s.search_with(
        token,
        &json!({"query": query, "earliest": "-1d", "limit": 100}),
    );
    assert_eq!(status, 200, "{query}: {a}");
    a["events"].to_string()
}

#[test]
fn roles_made_through_the_api_apply_at_once_persist_and_are_audited() {
    let mut s = Server::start(
        "[roles.helpdesk]\nindexes_allowed = [\"sante\"]\ncapabilities = [\"search\"]\n",
    );
    for (index, text) in [
        ("web", "GET /index.html 200"),
        ("sante", &format!("patient {NIR} admitted") as &str),
    ] {
        let (status, a) = s.hec(
            "/services/collector/event",
            json!({"index": index, "event": text})
                .to_string()
                .as_bytes(),
            &[],
        );
        assert_eq!(status, 200, "{a}");
    }
    s.flush();

    // Only an admin manages roles.
    let bob = s.user_with_token("bob", "user");
    let (status, a) = call(&s, &bob, "GET", "/api/v1/roles", None);
    assert_eq!(status, 403, "{a}");
    let (status, a) = call(
        &s,
        &bob,
        "POST",
        "/api/v1/roles",
        Some(json!({"name": "mine", "indexes_allowed": ["*", "_*"]})),
    );
    assert_eq!(status, 403, "{a}");

    let (status, a) = call(
        &s,
        TOKEN,
        "POST",
        "/api/v1/roles",
        Some(json!({"name": "ops", "indexes_allowed": ["web"], "capabilities": ["search"]})),
    );
    assert_eq!(status, 201, "{a}");
    assert_eq!(a["origin"], "api", "{a}");
    let olga = s.user_with_token("olga", "ops");
    let seen = search(&s, &olga, "*");
    assert!(
        seen.contains("index.html") && !seen.contains("patient"),
        "{seen}"
    );

    // A change is effective for the next search, no restart.
    let (status, a) = call(
        &s,
        TOKEN,
        "PUT",
        "/api/v1/roles/ops",
        Some(
            json!({"indexes_allowed": ["web", "sante"], "mask": ["fr_nir"], "capabilities": ["search"]}),
        ),
    );
    assert_eq!(status, 200, "{a}");
    let seen = search(&s, &olga, "*");
    assert!(
        seen.contains("index.html") && seen.contains(NIR_MASKED),
        "{seen}"
    );
    assert!(!seen.contains(NIR), "masked: {seen}");

    // What the API may not change, and what it refuses to store.
    let (status, a) = call(
        &s,
        TOKEN,
        "PUT",
        "/api/v1/roles/helpdesk",
        Some(json!({"indexes_allowed": ["*"]})),
    );
    assert_eq!(status, 409, "{a}");
    assert!(
        a["error"]
            .as_str()
            .unwrap_or_default()
            .contains("loupe.toml"),
        "{a}"
    );
    let (status, a) = call(&s, TOKEN, "DELETE", "/api/v1/roles/admin", None);
    assert_eq!(status, 409, "{a}");
    let (status, a) = call(
        &s,
        TOKEN,
        "POST",
        "/api/v1/roles",
        Some(json!({"name": "helpdesk"})),
    );
    assert_eq!(status, 409, "{a}");
    let (status, a) = call(
        &s,
        TOKEN,
        "POST",
        "/api/v1/roles",
        Some(json!({"name": "ops"})),
    );
    assert_eq!(status, 409, "already exists: {a}");
    let (status, a) = call(
        &s,
        TOKEN,
        "POST",
        "/api/v1/roles",
        Some(json!({"name": "x", "mask": ["fr_nri"]})),
    );
    assert_eq!(status, 400, "{a}");
    let (status, a) = call(
        &s,
        TOKEN,
        "POST",
        "/api/v1/roles",
        Some(json!({"name": "x", "search_filter": "a | head 1"})),
    );
    assert_eq!(status, 400, "{a}");
    let (status, a) = call(
        &s,
        TOKEN,
        "POST",
        "/api/v1/roles",
        Some(json!({"name": "x", "indexs_allowed": ["web"]})),
    );
    assert_eq!(status, 400, "unknown key: {a}");
    let (status, a) = call(&s, TOKEN, "DELETE", "/api/v1/roles/ops", None);
    assert_eq!(status, 409, "olga holds it: {a}");

    let (status, a) = call(&s, TOKEN, "GET", "/api/v1/roles", None);
    assert_eq!(status, 200, "{a}");
    let origins: Vec<(String, String, bool)> = a["roles"]
        .as_array()
        .expect("roles")
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap_or_default().to_string(),
                r["origin"].as_str().unwrap_or_default().to_string(),
                r["editable"].as_bool().unwrap_or_default(),
            )
        })
        .collect();
    assert!(
        origins.contains(&("admin".into(), "builtin".into(), false)),
        "{origins:?}"
    );
    assert!(
        origins.contains(&("helpdesk".into(), "config".into(), false)),
        "{origins:?}"
    );
    assert!(
        origins.contains(&("ops".into(), "api".into(), true)),
        "{origins:?}"
    );
    // Who holds a role is part of the list.
    let ops = a["roles"]
        .as_array()
        .expect("roles")
        .iter()
        .find(|r| r["name"] == "ops")
        .expect("ops listed");
    assert_eq!(ops["users"], json!(["olga"]), "{ops}");
    assert_eq!(ops["ldap_groups"], json!([]), "{ops}");

    // A role nobody holds is deleted.
    let (status, a) = call(
        &s,
        TOKEN,
        "POST",
        "/api/v1/roles",
        Some(json!({"name": "tmp", "capabilities": ["search"]})),
    );
    assert_eq!(status, 201, "{a}");
    let (status, _) = call(&s, TOKEN, "DELETE", "/api/v1/roles/tmp", None);
    assert_eq!(status, 204);
    let (status, _) = call(&s, TOKEN, "GET", "/api/v1/roles/tmp", None);
    assert_eq!(status, 404);

    // Audited with before and after.
    let events = s.audit_events("index=_audit action=role_*");
    let update = events
        .iter()
        .find(|e| e["action"] == "role_update")
        .unwrap_or_else(|| panic!("{events:?}"));
    assert_eq!(update["object"], "ops", "{update}");
    assert_eq!(
        update["before"]["indexes_allowed"],
        json!(["web"]),
        "{update}"
    );
    assert_eq!(
        update["after"]["indexes_allowed"],
        json!(["web", "sante"]),
        "{update}"
    );
    assert_eq!(update["after"]["mask"], json!(["fr_nir"]), "{update}");
    for action in ["role_create", "role_delete"] {
        assert!(
            events.iter().any(|e| e["action"] == action),
            "{action}: {events:?}"
        );
    }

    // Kept in meta.sqlite: the role and its user survive a restart.
    // A directory group may be given an API role; the file then holds it against deletion.
    s.terminate();
    let config = s.dir.path().join("loupe.toml");
    let mut text = std::fs::read_to_string(&config).expect("read config");
    text.push_str(
        "[ldap]\nurl = \"ldap://127.0.0.1:1\"\nuser_dn = \"uid={user},dc=example,dc=org\"\n\
         group_base = \"dc=example,dc=org\"\n[[ldap.roles]]\ngroup = \"operators\"\nrole = \"ops\"\n",
    );
    std::fs::write(&config, text).expect("write config");
    s.restart();
    let seen = search(&s, &olga, "*");
    assert!(seen.contains(NIR_MASKED), "{seen}");
    let (status, a) = call(&s, TOKEN, "DELETE", "/api/v1/roles/ops", None);
    assert_eq!(status, 409, "{a}");
    assert!(
        a["error"]
            .as_str()
            .unwrap_or_default()
            .contains("ldap.roles"),
        "{a}"
    );
}
