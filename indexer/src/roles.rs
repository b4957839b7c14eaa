//! The roles of an instance and where each comes from: the built-ins, `[roles.NAME]` of
//! `loupe.toml`, and those made through `/api/v1/roles`, kept in `meta.sqlite`. The file's
//! roles are changed by the file only (the API refuses, as for objects `loupe apply`
//! manages): a role defined in two places would have no single truth. A stored role that
//! no longer passes the checks, or that the file now defines, is skipped with a warning —
//! its users are then refused, never widened.

use crate::config::Config;
use loupe_access::{RoleConfig, Roles};
use loupe_meta::MetaStore;

/// Where a role is defined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    Builtin,
    Config,
    Api,
}

/// Why a role cannot be used as given.
#[derive(Debug, thiserror::Error)]
pub enum RoleError {
    #[error("role name {0:?}: use 1 to 64 letters, digits, '_', '-' or '.'")]
    Name(String),
    #[error("{0}")]
    Invalid(String),
    #[error("cannot read the stored roles: {0}")]
    Meta(#[from] loupe_meta::MetaError),
}

/// Where `name` is defined, if anywhere (`stored`: it is in `meta.sqlite`).
pub fn origin(cfg: &Config, name: &str, stored: bool) -> Option<Origin> {
    if loupe_access::role::BUILTIN_ROLES.contains(&name) {
        Some(Origin::Builtin)
    } else if cfg.roles.contains_key(name) {
        Some(Origin::Config)
    } else if stored {
        Some(Origin::Api)
    } else {
        None
    }
}

/// Checks a role table as the config's are checked: its name, maskers, capabilities and
/// spans, and a `search_filter` that is one search expression.
pub fn check(name: &str, role: &RoleConfig) -> Result<(), RoleError> {
    let good_name = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if !good_name {
        return Err(RoleError::Name(name.to_string()));
    }
    loupe_access::Role::from_config(name, role).map_err(|e| RoleError::Invalid(e.to_string()))?;
    if let Some(f) = &role.search_filter {
        crate::search::role_filter(f)
            .map_err(|e| RoleError::Invalid(format!("role {name:?} search_filter {f:?}: {e}")))?;
    }
    Ok(())
}

/// Parses a stored role's JSON.
pub fn parse_stored(text: &str) -> Result<RoleConfig, RoleError> {
    serde_json::from_str(text).map_err(|e| RoleError::Invalid(e.to_string()))
}

/// The built-ins, the config's roles and the stored ones (those still valid and not shadowed
/// by the config).
pub fn load(cfg: &Config, meta: &MetaStore) -> Result<Roles, RoleError> {
    let mut roles = cfg
        .role_table()
        .map_err(|e| RoleError::Invalid(e.to_string()))?;
    for stored in meta.roles()? {
        if origin(cfg, &stored.name, true) != Some(Origin::Api) {
            tracing::warn!(
                "stored role {:?} is ignored: loupe.toml defines a role of that name",
                stored.name
            );
            continue;
        }
        let added = parse_stored(&stored.config).and_then(|r| {
            check(&stored.name, &r)?;
            roles
                .add(&stored.name, &r)
                .map_err(|e| RoleError::Invalid(e.to_string()))
        });
        if let Err(e) = added {
            tracing::warn!("stored role {:?} is ignored: {e}", stored.name);
        }
    }
    cfg.check_ldap_roles(&roles)
        .map_err(|e| RoleError::Invalid(e.to_string()))?;
    Ok(roles)
}

/// The `[[ldap.roles]]` groups that map to `role`: such a role cannot be deleted while the
/// file names it (the next start would fail).
pub fn ldap_groups_of<'c>(cfg: &'c Config, role: &str) -> Vec<&'c str> {
    cfg.ldap
        .iter()
        .flat_map(|l| &l.roles)
        .filter(|r| r.role == role)
        .map(|r| r.group.as_str())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_roles_join_the_config_ones_unless_shadowed_or_broken() {
        let dir = tempfile::tempdir().unwrap();
        let meta = MetaStore::open(dir.path()).unwrap();
        let cfg = Config::parse("[roles.desk]\ncapabilities = [\"search\"]\n").unwrap();
        meta.add_role(
            "ops",
            r#"{"indexes_allowed":["web*"],"capabilities":["search"]}"#.into(),
        )
        .unwrap();
        meta.add_role("desk", r#"{"capabilities":["admin"]}"#.into())
            .unwrap();
        meta.add_role("broken", r#"{"mask":["nothing"]}"#.into())
            .unwrap();
        let roles = load(&cfg, &meta).unwrap();
        assert!(roles.get("ops").is_some_and(|r| r.allows_index("weblogs")));
        assert!(
            roles
                .get("desk")
                .is_some_and(|r| !r.may(loupe_access::Capability::Admin)),
            "the file's role wins"
        );
        assert!(roles.get("broken").is_none());
        assert_eq!(origin(&cfg, "admin", false), Some(Origin::Builtin));
        assert_eq!(origin(&cfg, "desk", true), Some(Origin::Config));
        assert_eq!(origin(&cfg, "ops", true), Some(Origin::Api));
        assert!(check("bad name", &RoleConfig::default()).is_err());
        // A directory group may map to a role made through the API, not to one that is not.
        let ldap = |role: &str| {
            Config::parse(&format!(
                "[ldap]\nurl = \"ldap://127.0.0.1:1\"\nuser_dn = \"uid={{user}}\"\ngroup_base = \"dc=x\"\n[[ldap.roles]]\ngroup = \"g\"\nrole = \"{role}\"\n"
            ))
            .unwrap()
        };
        assert!(load(&ldap("ops"), &meta).is_ok());
        assert_eq!(ldap_groups_of(&ldap("ops"), "ops"), vec!["g"]);
        let err = load(&ldap("nobody"), &meta).unwrap_err().to_string();
        assert!(err.contains("nobody"), "{err}");
        assert!(check(
            "x",
            &RoleConfig {
                search_filter: Some("a | head 1".into()),
                ..RoleConfig::default()
            }
        )
        .is_err());
    }
}
