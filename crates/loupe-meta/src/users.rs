//! Users, their API tokens and their browser sessions in `meta.sqlite`.
//!
//! This crate stores what it is given: password hashes come already hashed (argon2, by
//! `loupe-access`), tokens and session ids as their SHA-256 digest, so nothing here can
//! authenticate anyone if the file is copied.

use crate::store::{now_ns, MetaError, MetaStore};
use rusqlite::{params, OptionalExtension};

/// A user as listed (never with its hash).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct User {
    pub name: String,
    pub role: String,
    /// False for a user who signs in only with tokens (or a directory, later).
    pub has_password: bool,
    pub created_ns: i64,
}

/// One API token of a user, as listed (the secret itself is never kept).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TokenInfo {
    pub user: String,
    /// The first characters of the digest: enough to tell tokens apart in a list.
    pub id: String,
    pub created_ns: i64,
    pub expires_ns: Option<i64>,
    pub last_used_ns: Option<i64>,
}

fn user_row(r: &rusqlite::Row<'_>) -> Result<User, rusqlite::Error> {
    Ok(User {
        name: r.get(0)?,
        role: r.get(1)?,
        has_password: r.get::<_, Option<String>>(2)?.is_some(),
        created_ns: r.get(3)?,
    })
}

impl MetaStore {
    /// Creates a user; `Conflict` when the name is taken.
    pub fn add_user(
        &self,
        name: &str,
        role: &str,
        password_hash: Option<String>,
    ) -> Result<(), MetaError> {
        let (name, role) = (name.to_string(), role.to_string());
        let path = self.path().to_path_buf();
        self.write(move |t| {
            let now = now_ns();
            let n = t
                .execute(
                    "INSERT OR IGNORE INTO users (name, role, password_hash, created_ns, updated_ns)
                     VALUES (?1, ?2, ?3, ?4, ?4)",
                    params![name, role, password_hash, now],
                )
                .map_err(|source| MetaError::Sqlite { path, source })?;
            if n == 0 {
                return Err(MetaError::Conflict(format!(
                    "a user named {name:?} already exists"
                )));
            }
            Ok(())
        })
    }

    /// Records a directory user with the role its groups give now (at each login); a
    /// local user of that name (one with a password) is left as it is. True when recorded.
    pub fn put_directory_user(&self, name: &str, role: &str) -> Result<bool, MetaError> {
        let (name, role) = (name.to_string(), role.to_string());
        let path = self.path().to_path_buf();
        self.write(move |t| {
            let now = now_ns();
            let n = t
                .execute(
                    "INSERT INTO users (name, role, password_hash, created_ns, updated_ns)
                     VALUES (?1, ?2, NULL, ?3, ?3)
                     ON CONFLICT (name) DO UPDATE SET role = excluded.role, updated_ns = ?3
                     WHERE users.password_hash IS NULL",
                    params![name, role, now],
                )
                .map_err(|source| MetaError::Sqlite { path, source })?;
            Ok(n > 0)
        })
    }

    /// Every user, by name.
    pub fn users(&self) -> Result<Vec<User>, MetaError> {
        self.read(|c| {
            let mut st =
                c.prepare("SELECT name, role, password_hash, created_ns FROM users ORDER BY name")?;
            let rows = st.query_map([], user_row)?.collect();
            rows
        })
    }

    /// One user and its password hash.
    pub fn user(&self, name: &str) -> Result<Option<(User, Option<String>)>, MetaError> {
        self.read(|c| {
            c.query_row(
                "SELECT name, role, password_hash, created_ns FROM users WHERE name = ?1",
                params![name],
                |r| Ok((user_row(r)?, r.get::<_, Option<String>>(2)?)),
            )
            .optional()
        })
    }

    /// Replaces a user's password hash and ends its sessions (a changed password signs
    /// everyone out); false when there is no such user.
    pub fn set_password(&self, name: &str, password_hash: String) -> Result<bool, MetaError> {
        let name = name.to_string();
        let path = self.path().to_path_buf();
        self.write(move |t| {
            let sql = |source| MetaError::Sqlite {
                path: path.clone(),
                source,
            };
            let n = t
                .execute(
                    "UPDATE users SET password_hash = ?2, updated_ns = ?3 WHERE name = ?1",
                    params![name, password_hash, now_ns()],
                )
                .map_err(sql)?;
            t.execute("DELETE FROM sessions WHERE user = ?1", params![name])
                .map_err(sql)?;
            Ok(n > 0)
        })
    }

    /// Deletes a user with its tokens and sessions; its saved searches and dashboards stay
    /// (they belong to the instance). False when there was none.
    pub fn delete_user(&self, name: &str) -> Result<bool, MetaError> {
        let name = name.to_string();
        let path = self.path().to_path_buf();
        self.write(move |t| {
            let sql = |source| MetaError::Sqlite {
                path: path.clone(),
                source,
            };
            // Explicit, not only ON DELETE CASCADE: a connection opened without
            // `foreign_keys` would otherwise leave tokens that outlive their user.
            t.execute("DELETE FROM api_tokens WHERE user = ?1", params![name])
                .map_err(sql)?;
            t.execute("DELETE FROM sessions WHERE user = ?1", params![name])
                .map_err(sql)?;
            let n = t
                .execute("DELETE FROM users WHERE name = ?1", params![name])
                .map_err(sql)?;
            Ok(n > 0)
        })
    }

    /// Keeps a new token of `user` by its digest; `NotFound` when the user does not exist.
    pub fn add_token(
        &self,
        user: &str,
        digest: &str,
        expires_ns: Option<i64>,
    ) -> Result<(), MetaError> {
        if self.user(user)?.is_none() {
            return Err(MetaError::NotFound(format!("no user named {user:?}")));
        }
        let (user, digest) = (user.to_string(), digest.to_string());
        let path = self.path().to_path_buf();
        self.write(move |t| {
            t.execute(
                "INSERT INTO api_tokens (digest, user, created_ns, expires_ns) VALUES (?1, ?2, ?3, ?4)",
                params![digest, user, now_ns(), expires_ns],
            )
            .map_err(|source| MetaError::Sqlite { path, source })?;
            Ok(())
        })
    }

    /// The user a token digest belongs to, if it has not expired at `now_ns`; records its use.
    pub fn token_user(&self, digest: &str, now_ns: i64) -> Result<Option<User>, MetaError> {
        let found = self.read(|c| {
            c.query_row(
                "SELECT u.name, u.role, u.password_hash, u.created_ns FROM api_tokens t
                 JOIN users u ON u.name = t.user
                 WHERE t.digest = ?1 AND (t.expires_ns IS NULL OR t.expires_ns > ?2)",
                params![digest, now_ns],
                user_row,
            )
            .optional()
        })?;
        if found.is_some() {
            let digest = digest.to_string();
            let path = self.path().to_path_buf();
            self.write(move |t| {
                t.execute(
                    "UPDATE api_tokens SET last_used_ns = ?2 WHERE digest = ?1",
                    params![digest, now_ns],
                )
                .map_err(|source| MetaError::Sqlite { path, source })?;
                Ok(())
            })?;
        }
        Ok(found)
    }

    /// The tokens of `user` (all users when `None`).
    pub fn tokens(&self, user: Option<&str>) -> Result<Vec<TokenInfo>, MetaError> {
        self.read(|c| {
            let mut st = c.prepare(
                "SELECT user, digest, created_ns, expires_ns, last_used_ns FROM api_tokens
                 WHERE ?1 IS NULL OR user = ?1 ORDER BY user, created_ns",
            )?;
            let rows = st
                .query_map(params![user], |r| {
                    Ok(TokenInfo {
                        user: r.get(0)?,
                        id: r.get::<_, String>(1)?.chars().take(12).collect(),
                        created_ns: r.get(2)?,
                        expires_ns: r.get(3)?,
                        last_used_ns: r.get(4)?,
                    })
                })?
                .collect();
            rows
        })
    }

    /// Opens a browser session for `user` under the digest of its id.
    pub fn add_session(&self, digest: &str, user: &str) -> Result<(), MetaError> {
        let (digest, user) = (digest.to_string(), user.to_string());
        let path = self.path().to_path_buf();
        self.write(move |t| {
            let now = now_ns();
            t.execute(
                "INSERT INTO sessions (digest, user, created_ns, last_seen_ns) VALUES (?1, ?2, ?3, ?3)",
                params![digest, user, now],
            )
            .map_err(|source| MetaError::Sqlite { path, source })?;
            Ok(())
        })
    }

    /// The user of a live session: not idle for `idle_ns`, not older than `absolute_ns`
    /// (an expired one is deleted); a live one is marked seen at `now_ns`.
    pub fn session_user(
        &self,
        digest: &str,
        now_ns: i64,
        idle_ns: i64,
        absolute_ns: i64,
    ) -> Result<Option<User>, MetaError> {
        let found = self.read(|c| {
            c.query_row(
                "SELECT u.name, u.role, u.password_hash, u.created_ns, s.created_ns, s.last_seen_ns
                 FROM sessions s JOIN users u ON u.name = s.user WHERE s.digest = ?1",
                params![digest],
                |r| Ok((user_row(r)?, r.get::<_, i64>(4)?, r.get::<_, i64>(5)?)),
            )
            .optional()
        })?;
        let Some((user, created, seen)) = found else {
            return Ok(None);
        };
        let live = now_ns - seen < idle_ns && now_ns - created < absolute_ns;
        let digest = digest.to_string();
        let path = self.path().to_path_buf();
        self.write(move |t| {
            let sql = if live {
                "UPDATE sessions SET last_seen_ns = ?2 WHERE digest = ?1"
            } else {
                "DELETE FROM sessions WHERE digest = ?1 AND ?2 IS NOT NULL"
            };
            t.execute(sql, params![digest, now_ns])
                .map_err(|source| MetaError::Sqlite { path, source })?;
            Ok(())
        })?;
        Ok(live.then_some(user))
    }

    /// Ends a session (logout); false when there was none.
    pub fn delete_session(&self, digest: &str) -> Result<bool, MetaError> {
        let digest = digest.to_string();
        let path = self.path().to_path_buf();
        self.write(move |t| {
            let n = t
                .execute("DELETE FROM sessions WHERE digest = ?1", params![digest])
                .map_err(|source| MetaError::Sqlite { path, source })?;
            Ok(n > 0)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_tokens_sessions() {
        let dir = tempfile::tempdir().unwrap();
        let meta = MetaStore::open(dir.path()).unwrap();
        meta.add_user("ana", "helpdesk", Some("$argon2id$x".into()))
            .unwrap();
        assert!(matches!(
            meta.add_user("ana", "admin", None),
            Err(MetaError::Conflict(_))
        ));
        meta.add_token("ana", "d1", Some(1_000)).unwrap();
        meta.add_token("ana", "d2", None).unwrap();
        assert!(meta.add_token("bob", "d3", None).is_err());
        assert_eq!(
            meta.token_user("d1", 999).unwrap().unwrap().role,
            "helpdesk"
        );
        assert!(meta.token_user("d1", 1_000).unwrap().is_none(), "expired");
        assert!(meta.token_user("nope", 0).unwrap().is_none());
        let listed = meta.tokens(Some("ana")).unwrap();
        assert_eq!(listed.len(), 2);
        assert_eq!(listed[0].last_used_ns, Some(999));

        meta.add_session("s1", "ana").unwrap();
        let created = meta.user("ana").unwrap().unwrap().0.created_ns;
        let now = created + 10;
        assert!(meta
            .session_user("s1", now, 100, 1_000_000)
            .unwrap()
            .is_some());
        // Idle too long: gone, and stays gone.
        assert!(meta
            .session_user("s1", now + 10_000, 100, i64::MAX)
            .unwrap()
            .is_none());
        assert!(meta
            .session_user("s1", now, 100, i64::MAX)
            .unwrap()
            .is_none());

        meta.add_session("s2", "ana").unwrap();
        assert!(meta.delete_user("ana").unwrap());
        assert!(meta.token_user("d2", 0).unwrap().is_none());
        assert!(meta
            .session_user("s2", now, i64::MAX, i64::MAX)
            .unwrap()
            .is_none());
        assert!(meta.users().unwrap().is_empty());
    }
}
