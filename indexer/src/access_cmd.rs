//! `loupe user …`, `loupe token create` and `loupe audit verify`: on the data dir itself
//! (whoever runs them holds the files, so they need no token), the same tables the server
//! reads at each request, so a change holds at once without a restart.

use anyhow::{bail, Context};
use clap::Subcommand;
use loupe::config::Config;
use loupe_meta::MetaStore;
use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum UserAction {
    /// Create a user with a role (`admin`, `power`, `user`, `auditor`, a `[roles.NAME]` or a role made through the API).
    Add {
        name: String,
        #[arg(long)]
        role: String,
        /// Read the password from the first line of standard input (else: no password,
        /// the user signs in with tokens only).
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set a user's password (first line of standard input); ends its sessions.
    Passwd { name: String },
    /// Delete a user, its tokens and sessions (never its saved searches or dashboards).
    Del { name: String },
    /// List users and their roles.
    List,
}

#[derive(Subcommand)]
pub enum TokenAction {
    /// Make an API token for a user; printed once, kept only as its hash.
    Create {
        #[arg(long)]
        user: String,
        /// Lifetime (`90d`, `12h`); none: until the user is deleted.
        #[arg(long)]
        expires: Option<String>,
    },
    /// List tokens (never their secret): user, id, created, expiry, last use.
    List {
        #[arg(long)]
        user: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum AuditAction {
    /// Check the hash chain of `_audit`; exit 0 intact, 3 broken (the first broken event named).
    Verify,
}

/// Where the command works: `--data-dir`, else the config's `data_dir`; the config.
pub struct Place {
    pub config: Option<PathBuf>,
    pub data_dir: Option<PathBuf>,
}

impl Place {
    fn resolve(&self) -> anyhow::Result<(PathBuf, Config)> {
        let cfg = match &self.config {
            Some(p) => Config::load(p)?,
            None => Config::default(),
        };
        cfg.role_table()?;
        let dir = match (&self.data_dir, &self.config) {
            (Some(d), _) => d.clone(),
            (None, Some(_)) => cfg.data_dir.clone(),
            (None, None) => bail!("give --data-dir DIR (or --config loupe.toml)"),
        };
        Ok((dir, cfg))
    }
}

fn read_password() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the password from standard input")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

/// Seals a change made here into `_audit` like the server's own (`loupe::audit::record_from_cli`).
/// The change is made already: a failure is said, not hidden, and does not undo it.
fn audited(dir: &std::path::Path, meta: &MetaStore, action: &str, detail: serde_json::Value) {
    if let Err(e) = loupe::audit::record_from_cli(dir, meta, action, detail) {
        eprintln!("warning: the audit event {action:?} was not written: {e}");
    }
}

fn when(ns: Option<i64>) -> String {
    ns.and_then(|n| jiff::Timestamp::from_nanosecond(n as i128).ok())
        .map_or_else(
            || "-".to_string(),
            |t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        )
}

pub fn user(place: &Place, action: UserAction) -> anyhow::Result<ExitCode> {
    let (dir, cfg) = place.resolve()?;
    let meta = MetaStore::open(&dir)?;
    // The config's roles and those made through the API.
    let roles = loupe::roles::load(&cfg, &meta)?;
    match action {
        UserAction::Add {
            name,
            role,
            password_stdin,
        } => {
            if roles.get(&role).is_none() {
                bail!(
                    "no role {role:?} (roles: {})",
                    roles.names().collect::<Vec<_>>().join(", ")
                );
            }
            if name.trim().is_empty() || name.contains(char::is_whitespace) {
                bail!("a user name has no spaces and is not empty");
            }
            let hash = if password_stdin {
                Some(loupe_access::password::hash(&read_password()?)?)
            } else {
                None
            };
            let has_password = hash.is_some();
            meta.add_user(&name, &role, hash)?;
            println!("user {name:?} added with role {role}");
            let after = serde_json::json!({"role": role, "password": has_password});
            audited(
                &dir,
                &meta,
                "user_add",
                serde_json::json!({"object": name, "before": null, "after": after}),
            );
        }
        UserAction::Passwd { name } => {
            let hash = loupe_access::password::hash(&read_password()?)?;
            if !meta.set_password(&name, hash)? {
                bail!("no user named {name:?}");
            }
            println!("password of {name:?} changed; its sessions are closed");
            audited(
                &dir,
                &meta,
                "user_passwd",
                serde_json::json!({"object": name, "after": {"password": "changed"}}),
            );
        }
        UserAction::Del { name } => {
            let before = meta
                .users()?
                .into_iter()
                .find(|u| u.name == name)
                .map(|u| serde_json::json!({"role": u.role, "password": u.has_password}));
            if !meta.delete_user(&name)? {
                bail!("no user named {name:?}");
            }
            println!("user {name:?} deleted with its tokens and sessions");
            audited(
                &dir,
                &meta,
                "user_del",
                serde_json::json!({"object": name, "before": before, "after": null}),
            );
        }
        UserAction::List => {
            println!("{:<24} {:<16} password", "user", "role");
            for u in meta.users()? {
                println!(
                    "{:<24} {:<16} {}",
                    u.name,
                    u.role,
                    if u.has_password { "yes" } else { "no" }
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn token(place: &Place, action: TokenAction) -> anyhow::Result<ExitCode> {
    let (dir, _) = place.resolve()?;
    let meta = MetaStore::open(&dir)?;
    match action {
        TokenAction::Create { user, expires } => {
            let expires_ns = match expires {
                None => None,
                Some(e) => {
                    let secs = loupe_access::role::parse_span(&e)
                        .filter(|s| *s > 0)
                        .with_context(|| format!("--expires {e:?}: expected 90d, 12h, 30m"))?;
                    Some(loupe::ingest::now_ns().saturating_add(secs as i64 * 1_000_000_000))
                }
            };
            let secret = loupe_access::token::generate(loupe::api::access::USER_TOKEN_PREFIX)?;
            meta.add_token(&user, &loupe_access::token::digest(&secret), expires_ns)?;
            // The only time it is shown: the server keeps its hash.
            println!("{secret}");
            eprintln!(
                "token for {user:?} (expires {}); it is not shown again",
                when(expires_ns)
            );
            // Never the secret: who got a token, until when.
            audited(
                &dir,
                &meta,
                "token_create",
                serde_json::json!({"object": user, "after": {"expires": when(expires_ns)}}),
            );
        }
        TokenAction::List { user } => {
            println!(
                "{:<24} {:<14} {:<22} {:<22} last used",
                "user", "id", "created", "expires"
            );
            for t in meta.tokens(user.as_deref())? {
                println!(
                    "{:<24} {:<14} {:<22} {:<22} {}",
                    t.user,
                    t.id,
                    when(Some(t.created_ns)),
                    when(t.expires_ns),
                    when(t.last_used_ns)
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn audit(place: &Place, action: AuditAction) -> anyhow::Result<ExitCode> {
    let (dir, _) = place.resolve()?;
    match action {
        AuditAction::Verify => match loupe::audit::verify(&dir).map_err(anyhow::Error::msg)? {
            Ok(n) if n.first > 1 => {
                println!(
                    "audit chain intact: {} events (seq {} to {}; 1 to {} removed by retention)",
                    n.checked(),
                    n.first,
                    n.last,
                    n.first - 1
                );
                Ok(ExitCode::SUCCESS)
            }
            Ok(n) => {
                println!("audit chain intact: {} events", n.checked());
                Ok(ExitCode::SUCCESS)
            }
            Err(broken) => {
                println!("{broken}");
                Ok(ExitCode::from(3))
            }
        },
    }
}
