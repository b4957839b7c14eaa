//! The metadata file (`<data_dir>/meta.sqlite`): saved searches, dashboards, lookup
//! descriptions, scheduler state, run and firing history.
//!
//! One writer thread owns the only writing connection, so writes from concurrent requests
//! are serialised without `SQLITE_BUSY` retries; readers use their own connection, which WAL
//! mode lets read while the writer writes. WAL with `synchronous = FULL` makes every
//! committed write survive `kill -9` and power loss. The schema is versioned with
//! `PRAGMA user_version` and migrated forward at open, one numbered step at a time.

use crate::dashboard::Dashboard;
use crate::objects::SavedSearch;
use parking_lot::Mutex;
use rusqlite::{params, Connection, OptionalExtension};
use std::path::{Path, PathBuf};

/// Why the metadata could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum MetaError {
    #[error("{path}: {source}")]
    Sqlite {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("stored object {name:?} is unreadable: {source}")]
    Corrupt {
        name: String,
        source: serde_json::Error,
    },
    #[error("the metadata writer has stopped")]
    WriterGone,
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    NotFound(String),
}

/// The migrations, in order: step `i` takes the schema from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    // 1: the objects and their history.
    "CREATE TABLE saved_searches (
        name TEXT PRIMARY KEY,
        body TEXT NOT NULL,
        managed_by TEXT,
        created_ns INTEGER NOT NULL,
        updated_ns INTEGER NOT NULL
    );
    CREATE TABLE dashboards (
        id TEXT PRIMARY KEY,
        body TEXT NOT NULL,
        managed_by TEXT,
        updated_ns INTEGER NOT NULL
    );
    CREATE TABLE lookups (
        name TEXT PRIMARY KEY,
        description TEXT NOT NULL DEFAULT '',
        managed_by TEXT,
        updated_ns INTEGER NOT NULL
    );
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        search TEXT NOT NULL,
        sid TEXT NOT NULL,
        scheduled_ns INTEGER,
        started_ns INTEGER NOT NULL,
        duration_ms REAL NOT NULL,
        result_count INTEGER NOT NULL,
        fired INTEGER NOT NULL,
        error TEXT,
        results TEXT
    );
    CREATE INDEX runs_by_search ON runs (search, id DESC);
    CREATE TABLE fired (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        search TEXT NOT NULL,
        time_ns INTEGER NOT NULL,
        body TEXT NOT NULL
    );
    CREATE INDEX fired_by_time ON fired (time_ns DESC);
    CREATE TABLE kv (
        scope TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (scope, key)
    );",
    // 2: users, their API tokens and browser sessions (secrets kept as SHA-256 only;
    // deleting a user ends its tokens and sessions, never an object).
    "CREATE TABLE users (
        name TEXT PRIMARY KEY,
        role TEXT NOT NULL,
        password_hash TEXT,
        created_ns INTEGER NOT NULL,
        updated_ns INTEGER NOT NULL
    );
    CREATE TABLE api_tokens (
        digest TEXT PRIMARY KEY,
        user TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
        created_ns INTEGER NOT NULL,
        expires_ns INTEGER,
        last_used_ns INTEGER
    );
    CREATE INDEX api_tokens_by_user ON api_tokens (user);
    CREATE TABLE sessions (
        digest TEXT PRIMARY KEY,
        user TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
        created_ns INTEGER NOT NULL,
        last_seen_ns INTEGER NOT NULL
    );",
    // 3: roles made through the API (`/api/v1/roles`); those of `loupe.toml` stay in the
    // file. The role's table is kept as JSON, checked by the server before it is stored.
    "CREATE TABLE roles (
        name TEXT PRIMARY KEY,
        config TEXT NOT NULL,
        created_ns INTEGER NOT NULL,
        updated_ns INTEGER NOT NULL
    );",
];

/// A stored saved search and who manages it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredSearch {
    pub search: SavedSearch,
    /// The file it came from (`loupe apply`); such objects refuse edits through the API.
    pub managed_by: Option<String>,
    pub updated_ns: i64,
}

/// A stored dashboard and who manages it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredDashboard {
    pub dashboard: Dashboard,
    /// The file it came from (`loupe apply`); such dashboards refuse edits through the API.
    pub managed_by: Option<String>,
    pub updated_ns: i64,
}

/// One run of a saved search, as kept in the history.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RunRecord {
    pub search: String,
    pub sid: String,
    /// The scheduled time it ran for (none for a run on demand).
    pub scheduled_ns: Option<i64>,
    pub started_ns: i64,
    pub duration_ms: f64,
    pub result_count: u64,
    pub fired: bool,
    pub error: Option<String>,
    /// The result rows (JSON array), kept for the last `keep_runs` runs.
    pub results: Option<serde_json::Value>,
}

type Job = Box<dyn FnOnce(&mut Connection) + Send>;

/// The metadata of one data dir.
pub struct MetaStore {
    path: PathBuf,
    writer: crossbeam_channel::Sender<Job>,
    reader: Mutex<Connection>,
}

pub(crate) fn now_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as i64)
        .unwrap_or(0)
}

/// A table of named objects, for the statements saved searches and dashboards share.
struct RowKind {
    table: &'static str,
    key: &'static str,
    /// How messages name one (`a saved search named "x" already exists`).
    named: &'static str,
}

const SAVED_SEARCHES: RowKind = RowKind {
    table: "saved_searches",
    key: "name",
    named: "saved search named",
};

const DASHBOARDS: RowKind = RowKind {
    table: "dashboards",
    key: "id",
    named: "dashboard with id",
};

impl MetaStore {
    /// Opens (creating and migrating) `<data_dir>/meta.sqlite`.
    pub fn open(data_dir: &Path) -> Result<MetaStore, MetaError> {
        let path = data_dir.join("meta.sqlite");
        let err = |source| MetaError::Sqlite {
            path: path.clone(),
            source,
        };
        let mut conn = Connection::open(&path).map_err(err)?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
        )
        .map_err(err)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(err)?;
        migrate(&mut conn).map_err(err)?;
        let reader = Connection::open(&path).map_err(err)?;
        reader
            .busy_timeout(std::time::Duration::from_secs(10))
            .map_err(err)?;
        let (tx, rx) = crossbeam_channel::bounded::<Job>(256);
        std::thread::Builder::new()
            .name("meta-writer".into())
            .spawn(move || {
                for job in rx {
                    job(&mut conn);
                }
            })
            .map_err(|e| MetaError::Conflict(format!("cannot start the metadata writer: {e}")))?;
        Ok(MetaStore {
            path,
            writer: tx,
            reader: Mutex::new(reader),
        })
    }

    /// The SQLite file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn sqlite(&self, source: rusqlite::Error) -> MetaError {
        MetaError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    /// Runs `f` on the writer thread in one transaction; waits for its answer.
    pub fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&rusqlite::Transaction) -> Result<T, MetaError> + Send + 'static,
    ) -> Result<T, MetaError> {
        let (tx, rx) = crossbeam_channel::bounded(1);
        let path = self.path.clone();
        let job: Job = Box::new(move |conn: &mut Connection| {
            let result = (|| {
                let sql = |source| MetaError::Sqlite {
                    path: path.clone(),
                    source,
                };
                let t = conn.transaction().map_err(sql)?;
                let out = f(&t)?;
                t.commit().map_err(sql)?;
                Ok(out)
            })();
            let _ = tx.send(result);
        });
        self.writer.send(job).map_err(|_| MetaError::WriterGone)?;
        rx.recv().map_err(|_| MetaError::WriterGone)?
    }

    /// Runs `f` on the reading connection.
    pub fn read<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, rusqlite::Error>,
    ) -> Result<T, MetaError> {
        let conn = self.reader.lock();
        f(&conn).map_err(|e| self.sqlite(e))
    }

    /// Every saved search, by name.
    pub fn saved_searches(&self) -> Result<Vec<StoredSearch>, MetaError> {
        let rows = self.read(|c| {
            let mut st = c.prepare(
                "SELECT name, body, managed_by, updated_ns FROM saved_searches ORDER BY name",
            )?;
            let rows = st
                .query_map([], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, Option<String>>(2)?,
                        r.get::<_, i64>(3)?,
                    ))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })?;
        rows.into_iter()
            .map(|(name, body, managed_by, updated_ns)| {
                Ok(StoredSearch {
                    search: serde_json::from_str(&body)
                        .map_err(|source| MetaError::Corrupt { name, source })?,
                    managed_by,
                    updated_ns,
                })
            })
            .collect()
    }

    /// One saved search.
    pub fn saved_search(&self, name: &str) -> Result<Option<StoredSearch>, MetaError> {
        let row = self.read(|c| {
            c.query_row(
                "SELECT body, managed_by, updated_ns FROM saved_searches WHERE name = ?1",
                params![name],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, Option<String>>(1)?,
                        r.get::<_, i64>(2)?,
                    ))
                },
            )
            .optional()
        })?;
        row.map(|(body, managed_by, updated_ns)| {
            Ok(StoredSearch {
                search: serde_json::from_str(&body).map_err(|source| MetaError::Corrupt {
                    name: name.to_string(),
                    source,
                })?,
                managed_by,
                updated_ns,
            })
        })
        .transpose()
    }

    /// Creates `s`; `Conflict` when the name is taken.
    pub fn create_saved_search(
        &self,
        s: SavedSearch,
        managed_by: Option<String>,
    ) -> Result<(), MetaError> {
        let body = serde_json::to_string(&s).map_err(|source| MetaError::Corrupt {
            name: s.name.clone(),
            source,
        })?;
        let path = self.path.clone();
        self.write(move |t| {
            let now = now_ns();
            let n = t
                .execute(
                    "INSERT OR IGNORE INTO saved_searches (name, body, managed_by, created_ns, updated_ns)
                     VALUES (?1, ?2, ?3, ?4, ?4)",
                    params![s.name, body, managed_by, now],
                )
                .map_err(|source| MetaError::Sqlite { path, source })?;
            if n == 0 {
                return Err(MetaError::Conflict(format!(
                    "a saved search named {:?} already exists",
                    s.name
                )));
            }
            Ok(())
        })
    }

    /// Replaces the saved search `name` (renaming it when `s.name` differs).
    pub fn update_saved_search(
        &self,
        name: &str,
        s: SavedSearch,
        managed_by: Option<String>,
    ) -> Result<(), MetaError> {
        let body = serde_json::to_string(&s).map_err(|source| MetaError::Corrupt {
            name: s.name.clone(),
            source,
        })?;
        self.replace_row(&SAVED_SEARCHES, name, s.name, body, managed_by)
    }

    /// Deletes the saved search `name`; false when there was none.
    pub fn delete_saved_search(&self, name: &str) -> Result<bool, MetaError> {
        self.delete_row(&SAVED_SEARCHES, name)
    }

    /// Every dashboard, by id.
    pub fn dashboards(&self) -> Result<Vec<StoredDashboard>, MetaError> {
        let rows = self.read(|c| {
            let mut st =
                c.prepare("SELECT id, body, managed_by, updated_ns FROM dashboards ORDER BY id")?;
            let rows = st
                .query_map([], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, Option<String>>(2)?,
                        r.get::<_, i64>(3)?,
                    ))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })?;
        rows.into_iter()
            .map(|(id, body, managed_by, updated_ns)| {
                Ok(StoredDashboard {
                    dashboard: serde_json::from_str(&body)
                        .map_err(|source| MetaError::Corrupt { name: id, source })?,
                    managed_by,
                    updated_ns,
                })
            })
            .collect()
    }

    /// One dashboard.
    pub fn dashboard(&self, id: &str) -> Result<Option<StoredDashboard>, MetaError> {
        let row = self.read(|c| {
            c.query_row(
                "SELECT body, managed_by, updated_ns FROM dashboards WHERE id = ?1",
                params![id],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, Option<String>>(1)?,
                        r.get::<_, i64>(2)?,
                    ))
                },
            )
            .optional()
        })?;
        row.map(|(body, managed_by, updated_ns)| {
            Ok(StoredDashboard {
                dashboard: serde_json::from_str(&body).map_err(|source| MetaError::Corrupt {
                    name: id.to_string(),
                    source,
                })?,
                managed_by,
                updated_ns,
            })
        })
        .transpose()
    }

    /// Creates `d`; `Conflict` when its id is taken.
    pub fn create_dashboard(
        &self,
        d: Dashboard,
        managed_by: Option<String>,
    ) -> Result<(), MetaError> {
        let body = serde_json::to_string(&d).map_err(|source| MetaError::Corrupt {
            name: d.id.clone(),
            source,
        })?;
        let path = self.path.clone();
        self.write(move |t| {
            let n = t
                .execute(
                    "INSERT OR IGNORE INTO dashboards (id, body, managed_by, updated_ns) VALUES (?1, ?2, ?3, ?4)",
                    params![d.id, body, managed_by, now_ns()],
                )
                .map_err(|source| MetaError::Sqlite { path, source })?;
            if n == 0 {
                return Err(MetaError::Conflict(format!(
                    "a dashboard with id {:?} already exists",
                    d.id
                )));
            }
            Ok(())
        })
    }

    /// Replaces the dashboard `id` (changing its id when `d.id` differs).
    pub fn update_dashboard(
        &self,
        id: &str,
        d: Dashboard,
        managed_by: Option<String>,
    ) -> Result<(), MetaError> {
        let body = serde_json::to_string(&d).map_err(|source| MetaError::Corrupt {
            name: d.id.clone(),
            source,
        })?;
        self.replace_row(&DASHBOARDS, id, d.id, body, managed_by)
    }

    /// Deletes the dashboard `id`; false when there was none.
    pub fn delete_dashboard(&self, id: &str) -> Result<bool, MetaError> {
        self.delete_row(&DASHBOARDS, id)
    }

    /// Replaces the row `old` of `kind` with `body` under the key `new`: a rename refuses a
    /// key another row has, a missing row is `NotFound`.
    fn replace_row(
        &self,
        kind: &'static RowKind,
        old: &str,
        new: String,
        body: String,
        managed_by: Option<String>,
    ) -> Result<(), MetaError> {
        let old = old.to_string();
        let path = self.path.clone();
        self.write(move |t| {
            let sql = |source| MetaError::Sqlite {
                path: path.clone(),
                source,
            };
            if new != old {
                let taken = t
                    .query_row(
                        &format!("SELECT 1 FROM {} WHERE {} = ?1", kind.table, kind.key),
                        params![new],
                        |_| Ok(true),
                    )
                    .optional()
                    .map_err(sql)?
                    .unwrap_or(false);
                if taken {
                    return Err(MetaError::Conflict(format!(
                        "a {} {new:?} already exists",
                        kind.named
                    )));
                }
            }
            let n = t
                .execute(
                    &format!(
                        "UPDATE {} SET {key} = ?1, body = ?2, managed_by = ?3, updated_ns = ?4 WHERE {key} = ?5",
                        kind.table,
                        key = kind.key
                    ),
                    params![new, body, managed_by, now_ns(), old],
                )
                .map_err(sql)?;
            if n == 0 {
                return Err(MetaError::NotFound(format!("no {} {old:?}", kind.named)));
            }
            Ok(())
        })
    }

    /// Deletes the row `key` of `kind`; false when there was none.
    fn delete_row(&self, kind: &'static RowKind, key: &str) -> Result<bool, MetaError> {
        let key = key.to_string();
        let path = self.path.clone();
        self.write(move |t| {
            t.execute(
                &format!("DELETE FROM {} WHERE {} = ?1", kind.table, kind.key),
                params![key],
            )
            .map(|n| n > 0)
            .map_err(|source| MetaError::Sqlite { path, source })
        })
    }

    /// Appends a run and keeps only the newest `keep` runs' results of its search.
    pub fn record_run(&self, run: RunRecord, keep: usize) -> Result<(), MetaError> {
        let path = self.path.clone();
        self.write(move |t| {
            let sql = |source| MetaError::Sqlite {
                path: path.clone(),
                source,
            };
            let results = run.results.as_ref().map(|r| r.to_string());
            t.execute(
                "INSERT INTO runs (search, sid, scheduled_ns, started_ns, duration_ms, result_count, fired, error, results)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    run.search,
                    run.sid,
                    run.scheduled_ns,
                    run.started_ns,
                    run.duration_ms,
                    run.result_count as i64,
                    run.fired,
                    run.error,
                    results
                ],
            )
            .map_err(sql)?;
            // Results of older runs are dropped; the runs themselves stay as history.
            t.execute(
                "UPDATE runs SET results = NULL WHERE search = ?1 AND results IS NOT NULL AND id NOT IN
                   (SELECT id FROM runs WHERE search = ?1 ORDER BY id DESC LIMIT ?2)",
                params![run.search, keep as i64],
            )
            .map_err(sql)?;
            Ok(())
        })
    }

    /// The newest `limit` runs of `search`, newest first.
    pub fn runs(&self, search: &str, limit: usize) -> Result<Vec<RunRecord>, MetaError> {
        self.read(|c| {
            let mut st = c.prepare(
                "SELECT search, sid, scheduled_ns, started_ns, duration_ms, result_count, fired, error, results
                 FROM runs WHERE search = ?1 ORDER BY id DESC LIMIT ?2",
            )?;
            let rows = st
                .query_map(params![search, limit as i64], |r| {
                    let results: Option<String> = r.get(8)?;
                    Ok(RunRecord {
                        search: r.get(0)?,
                        sid: r.get(1)?,
                        scheduled_ns: r.get(2)?,
                        started_ns: r.get(3)?,
                        duration_ms: r.get(4)?,
                        result_count: r.get::<_, i64>(5)? as u64,
                        fired: r.get(6)?,
                        error: r.get(7)?,
                        results: results.and_then(|t| serde_json::from_str(&t).ok()),
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    /// Appends a firing (any JSON) to the history of `search`.
    pub fn record_firing(
        &self,
        search: &str,
        time_ns: i64,
        body: serde_json::Value,
    ) -> Result<(), MetaError> {
        let search = search.to_string();
        let path = self.path.clone();
        self.write(move |t| {
            t.execute(
                "INSERT INTO fired (search, time_ns, body) VALUES (?1, ?2, ?3)",
                params![search, time_ns, body.to_string()],
            )
            .map(|_| ())
            .map_err(|source| MetaError::Sqlite { path, source })
        })
    }

    /// The newest `limit` firings, newest first, optionally of one search.
    pub fn firings(
        &self,
        search: Option<&str>,
        limit: usize,
    ) -> Result<Vec<serde_json::Value>, MetaError> {
        self.read(|c| {
            let mut st = c.prepare(
                "SELECT body FROM fired WHERE (?1 IS NULL OR search = ?1) ORDER BY time_ns DESC, id DESC LIMIT ?2",
            )?;
            let rows = st
                .query_map(params![search, limit as i64], |r| r.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows
                .into_iter()
                .filter_map(|t| serde_json::from_str(&t).ok())
                .collect())
        })
    }

    /// A small persistent value (`scope`, `key`): scheduler state, throttles.
    pub fn get_kv(&self, scope: &str, key: &str) -> Result<Option<String>, MetaError> {
        self.read(|c| {
            c.query_row(
                "SELECT value FROM kv WHERE scope = ?1 AND key = ?2",
                params![scope, key],
                |r| r.get(0),
            )
            .optional()
        })
    }

    /// Sets (or with `None` removes) a persistent value.
    pub fn set_kv(&self, scope: &str, key: &str, value: Option<String>) -> Result<(), MetaError> {
        let (scope, key) = (scope.to_string(), key.to_string());
        let path = self.path.clone();
        self.write(move |t| {
            let r = match value {
                Some(v) => t.execute(
                    "INSERT INTO kv (scope, key, value) VALUES (?1, ?2, ?3)
                     ON CONFLICT (scope, key) DO UPDATE SET value = excluded.value",
                    params![scope, key, v],
                ),
                None => t.execute(
                    "DELETE FROM kv WHERE scope = ?1 AND key = ?2",
                    params![scope, key],
                ),
            };
            r.map(|_| ())
                .map_err(|source| MetaError::Sqlite { path, source })
        })
    }

    /// Every value of a scope.
    pub fn kv_scope(&self, scope: &str) -> Result<Vec<(String, String)>, MetaError> {
        self.read(|c| {
            let mut st = c.prepare("SELECT key, value FROM kv WHERE scope = ?1 ORDER BY key")?;
            let rows = st
                .query_map(params![scope], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }
}

/// Brings the schema to the newest version, one step per transaction.
fn migrate(conn: &mut Connection) -> Result<(), rusqlite::Error> {
    let version: usize =
        conn.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))? as usize;
    for (i, step) in MIGRATIONS.iter().enumerate().skip(version) {
        let t = conn.transaction()?;
        t.execute_batch(step)?;
        t.pragma_update(None, "user_version", (i + 1) as i64)?;
        t.commit()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn search(name: &str) -> SavedSearch {
        serde_json::from_value(serde_json::json!({"name": name, "query": "error | stats count"}))
            .unwrap()
    }

    #[test]
    fn crud_and_concurrent_writers() {
        let dir = tempfile::tempdir().unwrap();
        let meta = std::sync::Arc::new(MetaStore::open(dir.path()).unwrap());
        meta.create_saved_search(search("a"), None).unwrap();
        assert!(matches!(
            meta.create_saved_search(search("a"), None),
            Err(MetaError::Conflict(_))
        ));
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let meta = meta.clone();
                std::thread::spawn(move || {
                    for i in 0..25 {
                        meta.create_saved_search(search(&format!("s{t}-{i}")), None)
                            .unwrap();
                        meta.saved_searches().unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(meta.saved_searches().unwrap().len(), 201);
        let mut renamed = search("b");
        renamed.description = "renamed".into();
        meta.update_saved_search("a", renamed, Some("alerts/a.toml".into()))
            .unwrap();
        let b = meta.saved_search("b").unwrap().unwrap();
        assert_eq!(b.managed_by.as_deref(), Some("alerts/a.toml"));
        assert!(meta.saved_search("a").unwrap().is_none());
        assert!(meta.delete_saved_search("b").unwrap());
        assert!(!meta.delete_saved_search("b").unwrap());
        // Reopening migrates nothing and keeps everything.
        drop(meta);
        let meta = MetaStore::open(dir.path()).unwrap();
        assert_eq!(meta.saved_searches().unwrap().len(), 200);
    }

    #[test]
    fn dashboards_crud() {
        let dir = tempfile::tempdir().unwrap();
        let meta = MetaStore::open(dir.path()).unwrap();
        let d: Dashboard =
            serde_json::from_value(serde_json::json!({"id": "a", "title": "A", "panels": []}))
                .unwrap();
        meta.create_dashboard(d.clone(), None).unwrap();
        assert!(matches!(
            meta.create_dashboard(d.clone(), None),
            Err(MetaError::Conflict(_))
        ));
        let mut b = d.clone();
        b.id = "b".into();
        meta.update_dashboard("a", b.clone(), Some("dashboards/b.json".into()))
            .unwrap();
        assert!(meta.dashboard("a").unwrap().is_none());
        let got = meta.dashboard("b").unwrap().unwrap();
        assert_eq!(got.dashboard, b);
        assert_eq!(got.managed_by.as_deref(), Some("dashboards/b.json"));
        assert_eq!(meta.dashboards().unwrap().len(), 1);
        assert!(matches!(
            meta.update_dashboard("zz", d, None),
            Err(MetaError::NotFound(_))
        ));
        assert!(meta.delete_dashboard("b").unwrap());
        assert!(!meta.delete_dashboard("b").unwrap());
    }

    #[test]
    fn runs_keep_the_newest_results() {
        let dir = tempfile::tempdir().unwrap();
        let meta = MetaStore::open(dir.path()).unwrap();
        for i in 0..5 {
            meta.record_run(
                RunRecord {
                    search: "s".into(),
                    sid: format!("sid{i}"),
                    scheduled_ns: Some(i),
                    started_ns: i,
                    duration_ms: 1.0,
                    result_count: 1,
                    fired: i % 2 == 0,
                    error: None,
                    results: Some(serde_json::json!([{"n": i}])),
                },
                2,
            )
            .unwrap();
        }
        let runs = meta.runs("s", 10).unwrap();
        assert_eq!(runs.len(), 5);
        assert_eq!(runs[0].sid, "sid4");
        assert!(runs[0].results.is_some() && runs[1].results.is_some());
        assert!(runs[2].results.is_none(), "only the newest 2 keep results");
        meta.set_kv("sched", "s", Some("123".into())).unwrap();
        assert_eq!(meta.get_kv("sched", "s").unwrap().as_deref(), Some("123"));
        meta.set_kv("sched", "s", None).unwrap();
        assert_eq!(meta.get_kv("sched", "s").unwrap(), None);
    }
}
