//! CSV lookup tables as files in `<data_dir>/lookups/` (DESIGN.md §5): `lookup batchs.csv …`
//! and `lookup batchs …` name the same file; a file is re-read when it changes.

use loupe_query::{LookupError, LookupProvider, LookupTable, Row};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

/// A parsed table and the file stamp (modification time, length) it was read at.
type Cached = (SystemTime, u64, Arc<LookupTable>);

/// Lookup tables of a data dir, cached until their file changes.
pub struct DirLookups {
    dir: PathBuf,
    cache: Mutex<HashMap<String, Cached>>,
}

impl DirLookups {
    /// Tables under `dir` (usually `<data_dir>/lookups`).
    pub fn new(dir: PathBuf) -> Self {
        DirLookups {
            dir,
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
