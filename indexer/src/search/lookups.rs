//! CSV lookup tables as files in `<data_dir>/lookups/` (DESIGN.md §5): `lookup batchs.csv …`
//! and `lookup batchs …` name the same file; a file is re-read when it changes.
//!
//! Every table is read and written through a [`LookupGrant`], the caller's share of the
//! tables (from its token or role): the planner hands the operators a provider that already
//! holds it, so `inputlookup`, `lookup`, `outputlookup` and a lookup inside a subsearch all
//! meet the same check and no command has its own.

use loupe_query::{LookupError, LookupProvider, LookupTable, Row};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

/// A parsed table and the file stamp (modification time, length) it was read at.
type Cached = (SystemTime, u64, Arc<LookupTable>);

/// Which lookup tables a principal may read and write: `None` is every table, a list holds
/// names or wildcards (`batch*`), matched without `.csv` and case-insensitively.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LookupGrant {
    /// Who holds the grant, for messages (`token "web"`).
    pub who: String,
    pub read: Option<Vec<String>>,
    pub write: Option<Vec<String>>,
}

impl LookupGrant {
    /// Every table, read and write (the command line on a data dir, unrestricted tokens).
    pub fn all(who: impl Into<String>) -> LookupGrant {
        LookupGrant {
            who: who.into(),
            read: None,
            write: None,
        }
    }

    fn allows(list: &Option<Vec<String>>, name: &str) -> bool {
        let base = name.strip_suffix(".csv").unwrap_or(name);
        list.as_ref().is_none_or(|names| {
            names.iter().any(|n| {
                let n = n.strip_suffix(".csv").unwrap_or(n);
                super::pushdown::wildcard_eq(n, base)
            })
        })
    }

    pub fn may_read(&self, name: &str) -> bool {
        Self::allows(&self.read, name)
    }

    pub fn may_write(&self, name: &str) -> bool {
        Self::allows(&self.write, name)
    }

    fn denied(&self, name: &str, action: &'static str) -> LookupError {
        LookupError::Denied {
            name: name.to_string(),
            who: self.who.clone(),
            action,
        }
    }
}

/// Lookup tables of a data dir, cached until their file changes, seen through a grant.
pub struct DirLookups {
    dir: PathBuf,
    grant: LookupGrant,
    cache: Mutex<HashMap<String, Cached>>,
}

impl DirLookups {
    /// Tables under `dir` (usually `<data_dir>/lookups`), as far as `grant` allows.
    pub fn new(dir: PathBuf, grant: LookupGrant) -> Self {
        DirLookups {
            dir,
            grant,
            cache: Mutex::new(HashMap::new()),
        }
    }

    fn path(&self, name: &str) -> Result<PathBuf, LookupError> {
        let base = name.strip_suffix(".csv").unwrap_or(name);
        let safe = !base.is_empty()
            && base
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
            && !base.starts_with('.');
        if !safe {
            return Err(LookupError::Provider {
                name: name.into(),
                message: "invalid lookup name".into(),
            });
        }
        Ok(self.dir.join(format!("{base}.csv")))
    }
}

impl LookupProvider for DirLookups {
    fn table(&self, name: &str) -> Result<Arc<LookupTable>, LookupError> {
        if !self.grant.may_read(name) {
            return Err(self.grant.denied(name, "read"));
        }
        let path = self.path(name)?;
        let meta = std::fs::metadata(&path).map_err(|_| LookupError::NotFound(name.to_string()))?;
        let stamp = (
            meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
            meta.len(),
        );
        if let Some((m, l, t)) = self.cache.lock().get(name) {
            if (*m, *l) == stamp {
                return Ok(t.clone());
            }
        }
        let bytes = std::fs::read(&path).map_err(|e| LookupError::Provider {
            name: name.into(),
            message: format!("{}: {e}", path.display()),
        })?;
        let table = Arc::new(LookupTable::from_csv(
            name.strip_suffix(".csv").unwrap_or(name),
            &bytes,
        )?);
        self.cache
            .lock()
            .insert(name.to_string(), (stamp.0, stamp.1, table.clone()));
        Ok(table)
    }

    fn write(&self, name: &str, rows: &[Row]) -> Result<(), LookupError> {
        if !self.grant.may_write(name) {
            return Err(self.grant.denied(name, "write"));
        }
        let path = self.path(name)?;
        let io = |e: std::io::Error| LookupError::Provider {
            name: name.into(),
            message: format!("{}: {e}", path.display()),
        };
        std::fs::create_dir_all(&self.dir).map_err(io)?;
        let bytes = LookupTable::from_rows(name, rows).to_csv()?;
        let tmp = path.with_extension("csv.tmp");
        std::fs::write(&tmp, bytes).map_err(io)?;
        std::fs::rename(&tmp, &path).map_err(io)
    }
}
