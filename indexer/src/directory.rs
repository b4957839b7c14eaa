//! Login with the directory people already have (`[ldap]`): LDAP or Active Directory by a
//! simple bind as the user, then their groups mapped to a role. Loupe keeps no copy of the
//! directory's passwords; it records the user and the role its groups gave at the last login.
//!
//! Over TLS (`ldaps://`, or `ldap://` with `starttls = true`) the directory's certificate
//! is verified against `ca_file` (or the system's roots) and the URL's host name: a
//! directory that cannot prove who it is never sees a password.

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

/// The TLS client settings of `[ldap]`: `None` for the system's roots; an error names what is
/// wrong (a scheme that is not `ldap`/`ldaps`, StartTLS over `ldaps`, an unreadable CA file
/// or one holding no certificate). Checked at start, so a typo does not wait for a login.
pub fn tls_config(
    cfg: &LdapConfig,
) -> Result<Option<std::sync::Arc<rustls021::ClientConfig>>, String> {
    let scheme = cfg
        .url
        .split_once("://")
        .map(|(s, _)| s.to_ascii_lowercase());
    match scheme.as_deref() {
        Some("ldap") => {}
        Some("ldaps") if cfg.starttls => {
            return Err(format!(
                "[ldap] url {:?} is TLS already: starttls applies to ldap:// only",
                cfg.url
            ))
        }
        Some("ldaps") => {}
        _ => {
            return Err(format!(
                "[ldap] url {:?}: expected ldap://host:port or ldaps://host:port",
                cfg.url
            ))
        }
    }
    let Some(path) = &cfg.ca_file else {
        return Ok(None);
    };
    use rustls::pki_types::pem::PemObject;
    let certs = rustls::pki_types::CertificateDer::pem_file_iter(path)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("[ldap] ca_file {}: {e}", path.display()))?;
    let mut roots = rustls021::RootCertStore::empty();
    for c in &certs {
        roots
            .add(&rustls021::Certificate(c.to_vec()))
            .map_err(|e| format!("[ldap] ca_file {}: {e}", path.display()))?;
    }
    if roots.is_empty() {
        return Err(format!(
            "[ldap] ca_file {}: no certificate in it",
            path.display()
        ));
    }
    let config = rustls021::ClientConfig::builder()
        .with_safe_defaults()
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Some(std::sync::Arc::new(config)))
}

/// Binds as `user` with `password` and returns the role of the first mapped group they are in.
pub async fn login(cfg: &LdapConfig, user: &str, password: &str) -> Result<String, DirectoryError> {
    // An empty password is an unauthenticated bind, which most directories accept.
    if password.is_empty() || user.trim().is_empty() {
        return Err(DirectoryError::Refused);
    }
    let dn = cfg.user_dn.replace("{user}", &dn_escape(user));
    let unavailable = |e: ldap3::LdapError| DirectoryError::Unavailable(e.to_string());
    let mut settings = LdapConnSettings::new()
        .set_conn_timeout(TIMEOUT)
        .set_starttls(cfg.starttls);
    if let Some(tls) = tls_config(cfg).map_err(DirectoryError::Unavailable)? {
        settings = settings.set_config(tls);
    }
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
