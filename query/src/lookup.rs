//! CSV lookup tables, behind a [`LookupProvider`] the indexer implements (this crate does
//! no I/O): a [`LookupTable`] is parsed from CSV bytes and indexes its rows on the match
//! fields a `lookup` command uses, built once per combination of fields.

use crate::row::{text, Row};
use loupe_event::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// A lookup table could not be found, read or written.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LookupError {
    /// No table by that name (with or without `.csv`).
    #[error("lookup table `{0}` does not exist")]
    NotFound(String),
    /// The CSV could not be parsed.
    #[error("lookup table `{name}`: {message}")]
    Csv {
        /// Table name.
        name: String,
        /// What is wrong.
        message: String,
    },
    /// The provider failed (I/O, permissions, ...).
    #[error("lookup table `{name}`: {message}")]
    Provider {
        /// Table name.
        name: String,
        /// What failed.
        message: String,
    },
    /// The caller's grant does not name the table (answered whether or not it exists).
    #[error(
        "lookup table `{name}`: {who} may not {action} it (lookups_{action} of its token or role)"
    )]
    Denied {
        /// Table name.
        name: String,
        /// The principal, as the operator knows it (`token "web"`).
        who: String,
        /// `read` or `write`.
        action: &'static str,
    },
    /// The table has no column of that name.
    #[error("lookup table `{table}` has no column `{column}`")]
    NoColumn {
        /// Table name.
        table: String,
        /// Missing column.
        column: String,
    },
}

/// Where lookup tables come from; `lookup batchs.csv` and `lookup batchs` must resolve to
/// the same table (the provider strips or adds `.csv`).
pub trait LookupProvider: Send + Sync {
    /// The table called `name`.
    fn table(&self, name: &str) -> Result<Arc<LookupTable>, LookupError>;
    /// Replaces (creates) the table called `name` with `rows` (`outputlookup`).
    fn write(&self, name: &str, rows: &[Row]) -> Result<(), LookupError>;
}

type Index = HashMap<Vec<String>, Vec<usize>>;

/// A parsed CSV lookup table: a header and rows of text cells.
#[derive(Debug, Default)]
pub struct LookupTable {
    name: String,
    columns: Vec<String>,
    rows: Vec<Vec<String>>,
    indexes: Mutex<HashMap<Vec<usize>, Arc<Index>>>,
}

impl LookupTable {
    /// Parses CSV bytes (first line is the header; a UTF-8 BOM is skipped).
    pub fn from_csv(name: &str, bytes: &[u8]) -> Result<LookupTable, LookupError> {
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let err = |e: csv::Error| LookupError::Csv {
            name: name.to_string(),
            message: e.to_string(),
        };
        let mut rd = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
        let columns: Vec<String> = rd
            .headers()
            .map_err(err)?
            .iter()
            .map(|h| h.trim().to_string())
            .collect();
        let mut rows = Vec::new();
        for rec in rd.records() {
            let rec = rec.map_err(err)?;
            let mut cells: Vec<String> = rec.iter().map(str::to_string).collect();
            cells.resize(columns.len(), String::new());
            rows.push(cells);
        }
        Ok(LookupTable {
            name: name.to_string(),
            columns,
            rows,
            indexes: Mutex::new(HashMap::new()),
        })
    }

    /// Builds a table from rows (columns in order of first appearance).
    pub fn from_rows(name: &str, rows: &[Row]) -> LookupTable {
        let mut columns: Vec<String> = Vec::new();
        for r in rows {
            for n in r.names() {
                if !columns.iter().any(|c| c == n) {
                    columns.push(n.to_string());
                }
            }
        }
        let cells = rows
            .iter()
            .map(|r| {
                columns
                    .iter()
                    .map(|c| r.get(c).map(text).unwrap_or_default())
                    .collect()
            })
            .collect();
        LookupTable {
            name: name.to_string(),
            columns,
            rows: cells,
            indexes: Mutex::new(HashMap::new()),
        }
    }

    /// CSV text of the table (what a provider writes for `outputlookup`).
    pub fn to_csv(&self) -> Result<Vec<u8>, LookupError> {
        let mut w = csv::Writer::from_writer(Vec::new());
        let err = |e: &dyn std::fmt::Display| LookupError::Csv {
            name: self.name.clone(),
            message: e.to_string(),
        };
        w.write_record(&self.columns).map_err(|e| err(&e))?;
        for r in &self.rows {
            w.write_record(r).map_err(|e| err(&e))?;
        }
        w.into_inner().map_err(|e| err(&e))
    }

    /// The table's name as given to the constructor.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Header columns.
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// Number of data rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// True without data rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Position of a column.
    pub fn column(&self, name: &str) -> Result<usize, LookupError> {
        self.columns
            .iter()
            .position(|c| c == name)
            .ok_or_else(|| LookupError::NoColumn {
                table: self.name.clone(),
                column: name.to_string(),
            })
    }

    /// Cell text (empty string when the row is short).
    pub fn cell(&self, row: usize, col: usize) -> &str {
        self.rows
            .get(row)
            .and_then(|r| r.get(col))
            .map_or("", String::as_str)
    }

    /// Data row `i` as a [`Row`] (empty cells are absent fields).
    pub fn row(&self, i: usize) -> Row {
        let mut r = Row::new();
        for (c, name) in self.columns.iter().enumerate() {
            let v = self.cell(i, c);
            if !v.is_empty() {
                r.set(name.clone(), Value::Str(v.to_string()));
            }
        }
        r
    }

    /// Rows whose `cols` equal `key` (exact, case-sensitive as Splunk's default), via an
    /// index built on first use for that combination of columns.
    pub fn find(&self, cols: &[usize], key: &[String]) -> Vec<usize> {
        let index = {
            let mut cache = self.indexes.lock().unwrap_or_else(|p| p.into_inner());
            cache
                .entry(cols.to_vec())
                .or_insert_with(|| {
                    let mut idx: Index = HashMap::new();
                    for i in 0..self.rows.len() {
                        let k = cols.iter().map(|&c| self.cell(i, c).to_string()).collect();
                        idx.entry(k).or_default().push(i);
                    }
                    Arc::new(idx)
                })
                .clone()
        };
        index.get(key).cloned().unwrap_or_default()
    }
}

/// An in-memory [`LookupProvider`] (tests, embedding): names resolve with or without `.csv`.
#[derive(Debug, Default)]
pub struct MemoryLookups {
    tables: Mutex<HashMap<String, Arc<LookupTable>>>,
}

fn base_name(name: &str) -> &str {
    name.strip_suffix(".csv").unwrap_or(name)
}

impl MemoryLookups {
    /// An empty set of tables.
    pub fn new() -> MemoryLookups {
        MemoryLookups::default()
    }

    /// Adds a table parsed from CSV bytes.
    pub fn insert_csv(&self, name: &str, bytes: &[u8]) -> Result<(), LookupError> {
        let t = LookupTable::from_csv(base_name(name), bytes)?;
        self.tables
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(base_name(name).to_string(), Arc::new(t));
        Ok(())
    }
}

impl LookupProvider for MemoryLookups {
    fn table(&self, name: &str) -> Result<Arc<LookupTable>, LookupError> {
        self.tables
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(base_name(name))
            .cloned()
            .ok_or_else(|| LookupError::NotFound(name.to_string()))
    }

    fn write(&self, name: &str, rows: &[Row]) -> Result<(), LookupError> {
        let t = LookupTable::from_rows(base_name(name), rows);
        self.tables
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(base_name(name).to_string(), Arc::new(t));
        Ok(())
    }
}
