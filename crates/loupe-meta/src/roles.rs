//! Roles made through the API, in `meta.sqlite`: their table as JSON text, which the server
//! checks (maskers, capabilities, filter) before storing and again when it loads them. Roles
//! of `loupe.toml` are not here: the file stays their only source.

use crate::store::{now_ns, MetaError, MetaStore};
use rusqlite::{params, OptionalExtension};

/// One stored role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRole {
    pub name: String,
    /// The role's table as JSON (the fields of `[roles.NAME]`).
    pub config: String,
    pub created_ns: i64,
    pub updated_ns: i64,
}

fn role_row(r: &rusqlite::Row<'_>) -> Result<StoredRole, rusqlite::Error> {
    Ok(StoredRole {
        name: r.get(0)?,
        config: r.get(1)?,
        created_ns: r.get(2)?,
        updated_ns: r.get(3)?,
    })
}

impl MetaStore {
    /// Every stored role, by name.
    pub fn roles(&self) -> Result<Vec<StoredRole>, MetaError> {
        self.read(|c| {
            let mut st =
                c.prepare("SELECT name, config, created_ns, updated_ns FROM roles ORDER BY name")?;
            let rows = st.query_map([], role_row)?.collect();
            rows
        })
    }

    /// One stored role.
    pub fn role(&self, name: &str) -> Result<Option<StoredRole>, MetaError> {
        self.read(|c| {
            c.query_row(
                "SELECT name, config, created_ns, updated_ns FROM roles WHERE name = ?1",
                params![name],
                role_row,
            )
            .optional()
        })
    }

    /// Creates a role; `Conflict` when the name is taken.
    pub fn add_role(&self, name: &str, config: String) -> Result<(), MetaError> {
        let name = name.to_string();
        let path = self.path().to_path_buf();
        self.write(move |t| {
            let n = t
                .execute(
                    "INSERT OR IGNORE INTO roles (name, config, created_ns, updated_ns)
                     VALUES (?1, ?2, ?3, ?3)",
                    params![name, config, now_ns()],
                )
                .map_err(|source| MetaError::Sqlite { path, source })?;
            if n == 0 {
                return Err(MetaError::Conflict(format!(
                    "a role named {name:?} already exists"
                )));
            }
            Ok(())
        })
    }

    /// Replaces a stored role's table; false when there is no such role.
    pub fn update_role(&self, name: &str, config: String) -> Result<bool, MetaError> {
        let name = name.to_string();
        let path = self.path().to_path_buf();
        self.write(move |t| {
            t.execute(
                "UPDATE roles SET config = ?2, updated_ns = ?3 WHERE name = ?1",
                params![name, config, now_ns()],
            )
            .map(|n| n > 0)
            .map_err(|source| MetaError::Sqlite { path, source })
        })
    }

    /// Deletes a stored role; false when there was none. Users keeping it are refused at
    /// their next request, never widened.
    pub fn delete_role(&self, name: &str) -> Result<bool, MetaError> {
        let name = name.to_string();
        let path = self.path().to_path_buf();
        self.write(move |t| {
            t.execute("DELETE FROM roles WHERE name = ?1", params![name])
                .map(|n| n > 0)
                .map_err(|source| MetaError::Sqlite { path, source })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_created_updated_and_deleted() {
        let dir = tempfile::tempdir().unwrap();
        let meta = MetaStore::open(dir.path()).unwrap();
        meta.add_role("desk", r#"{"capabilities":["search"]}"#.into())
            .unwrap();
        assert!(matches!(
            meta.add_role("desk", "{}".into()),
            Err(MetaError::Conflict(_))
        ));
        assert!(meta.update_role("desk", "{}".into()).unwrap());
        assert!(!meta.update_role("nobody", "{}".into()).unwrap());
        assert_eq!(
            meta.role("desk").unwrap().map(|r| r.config),
            Some("{}".into())
        );
        assert_eq!(meta.roles().unwrap().len(), 1);
        assert!(meta.delete_role("desk").unwrap());
        assert!(!meta.delete_role("desk").unwrap());
        assert!(meta.roles().unwrap().is_empty());
    }
}
