//! Login with the directory people already have (`[ldap]`): LDAP or Active Directory by a
//! simple bind as the user, then their groups mapped to a role. Loupe keeps no copy of the
//! directory's passwords; it records the user and the role its groups gave at the last login.

use crate::config::LdapConfig;
use ldap3::{dn_escape, ldap_escape, LdapConnAsync, LdapConnSettings, Scope, SearchEntry};
use std::time::Duration;

/// Longest wait for the directory, per connection and per operation.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Why a directory login did not give a role.
#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    /// Wrong user or password (or an empty password, which LDAP would take as anonymous).
    #[error("wrong user or password")]
    Refused,
    /// The bind worked but no group of the user maps to a role.
    #[error("user {0:?} is in no group that [[ldap.roles]] maps to a role")]
    NoRole(String),
    #[error("directory: {0}")]
    Unavailable(String),
}

/// Binds as `user` with `password` and returns the role of the first mapped group they are in.
pub async fn login(cfg: &LdapConfig, user: &str, password: &str) -> Result<String, DirectoryError> {
    // An empty password is an unauthenticated bind, which most directories accept.
    if password.is_empty() || user.trim().is_empty() {
        return Err(DirectoryError::Refused);
    }
    let dn = cfg.user_dn.replace("{user}", &dn_escape(user));
    let unavailable = |e: ldap3::LdapError| DirectoryError::Unavailable(e.to_string());
    let settings = LdapConnSettings::new().set_conn_timeout(TIMEOUT);
    let (conn, mut ldap) = LdapConnAsync::with_settings(settings, &cfg.url)
        .await
        .map_err(unavailable)?;
    ldap3::drive!(conn);
    let bound = ldap
        .with_timeout(TIMEOUT)
        .simple_bind(&dn, password)
        .await
        .map_err(unavailable)?;
    // 49: invalidCredentials; 32: the DN does not exist (some servers say so).
    match bound.rc {
        0 => {}
        49 | 32 | 53 => return Err(DirectoryError::Refused),
        _ => return Err(DirectoryError::Unavailable(bound.to_string())),
    }
    let filter = cfg.group_filter.replace("{dn}", &ldap_escape(&dn));
    let (entries, _) = ldap
        .with_timeout(TIMEOUT)
        .search(&cfg.group_base, Scope::Subtree, &filter, vec!["cn"])
        .await
        .and_then(|r| r.success())
        .map_err(unavailable)?;
    let _ = ldap.unbind().await;
    let groups: Vec<String> = entries
        .into_iter()
        .flat_map(|e| {
            SearchEntry::construct(e)
                .attrs
                .remove("cn")
                .unwrap_or_default()
        })
        .collect();
    cfg.roles
        .iter()
        .find(|r| groups.iter().any(|g| g.eq_ignore_ascii_case(&r.group)))
        .map(|r| r.role.clone())
        .ok_or_else(|| DirectoryError::NoRole(user.to_string()))
}
