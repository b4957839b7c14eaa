//! Configuration as code: what `loupe apply` changes, decided from the files and the metadata
//! before anything is written, then written in one go.
//!
//! Objects from files are *managed* (their `managed_by` is the file): apply creates and
//! updates them, and removes the managed ones whose file is gone. It never changes an object
//! made through the API, except to *adopt* one whose content is exactly the file's (what
//! `loupe export` of API-made objects gives back), so export → apply is a no-op.

use crate::api::dashboards::validate_dashboard;
use crate::api::saved::validate;
use loupe_meta::files::FileObject;
use loupe_meta::{Dashboard, MetaStore, SavedSearch};
use serde::Serialize;
use std::path::Path;

/// One change, as `apply` prints it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    /// `create`, `update`, `adopt`, `delete` or `unchanged`.
    pub action: &'static str,
    /// `saved_search`, `dashboard` or `lookup`.
    pub kind: &'static str,
    pub name: String,
    pub file: String,
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sign = match self.action {
            "create" => '+',
            "update" => '~',
            "delete" => '-',
            "adopt" => '=',
            _ => ' ',
        };
        write!(
            f,
            "{sign} {} {} {:?} ({})",
            self.action,
            self.kind.replace('_', " "),
            self.name,
            self.file
        )
    }
}

/// What apply would do, or why it would not.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Plan {
    pub changes: Vec<Change>,
    /// Splunk keys not carried over, names that do not exist yet: applied anyway.
    pub warnings: Vec<String>,
    /// Anything here means nothing is applied.
    pub errors: Vec<String>,
}

/// Lookup tables managed by files, kept as `(name, file)` in the metadata's key-value scope.
const MANAGED_LOOKUPS: &str = "managed_lookups";

fn lookup_path(dir: &Path, name: &str) -> std::path::PathBuf {
    dir.join(format!("{name}.csv"))
}

fn valid_lookup_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
}

/// Decides the changes; `errors` is non-empty when the files cannot be applied.
pub fn plan(
    meta: &MetaStore,
    lookup_dir: &Path,
    macros: &loupe_query::MacroTable,
    objects: &[FileObject],
) -> Plan {
    let mut out = Plan::default();
    let existing = match meta.saved_searches() {
        Ok(e) => e,
        Err(e) => {
            out.errors.push(e.to_string());
            return out;
        }
    };
    let dashboards = match meta.dashboards() {
        Ok(d) => d,
        Err(e) => {
            out.errors.push(e.to_string());
            return out;
        }
    };
    let mut wanted = std::collections::HashSet::new();
    let mut wanted_dashboards = std::collections::HashSet::new();
    let mut wanted_lookups = std::collections::HashSet::new();
    for o in objects {
        match o {
            FileObject::SavedSearch {
                file,
                search,
                unsupported,
            } => {
                for u in unsupported {
                    out.warnings.push(format!("{file}: not carried over: {u}"));
                }
                match validate(search, macros, lookup_dir) {
                    Ok(w) => out
                        .warnings
                        .extend(w.into_iter().map(|w| format!("{file}: {w}"))),
                    Err(e) => {
                        let at = e
                            .column
                            .map(|c| format!(" (query column {c})"))
                            .unwrap_or_default();
                        out.errors.push(format!("{file}: {}{at}", e.message));
                        continue;
                    }
                }
                wanted.insert(search.name.clone());
                let change = |action| Change {
                    action,
                    kind: "saved_search",
                    name: search.name.clone(),
                    file: file.clone(),
                };
                match existing.iter().find(|e| e.search.name == search.name) {
                    None => out.changes.push(change("create")),
                    Some(e) if e.managed_by.is_some() => {
                        if e.search == **search && e.managed_by.as_deref() == Some(file.as_str()) {
                            out.changes.push(change("unchanged"));
                        } else {
                            out.changes.push(change("update"));
                        }
                    }
                    Some(e) if e.search == **search => out.changes.push(change("adopt")),
                    Some(_) => out.errors.push(format!(
                        "{file}: saved search {:?} already exists, made through the API with other content; delete it there or rename it in the file",
                        search.name
                    )),
                }
            }
            FileObject::Dashboard { file, dashboard } => {
                match validate_dashboard(dashboard, macros, lookup_dir) {
                    Ok(w) => out
                        .warnings
                        .extend(w.into_iter().map(|w| format!("{file}: {w}"))),
                    Err(e) => {
                        let at = e
                            .invalid
                            .column
                            .map(|c| format!(" (query column {c})"))
                            .unwrap_or_default();
                        out.errors
                            .push(format!("{file}: {}{at}", e.invalid.message));
                        continue;
                    }
                }
                wanted_dashboards.insert(dashboard.id.clone());
                let change = |action| Change {
                    action,
                    kind: "dashboard",
                    name: dashboard.id.clone(),
                    file: file.clone(),
                };
                match dashboards.iter().find(|e| e.dashboard.id == dashboard.id) {
                    None => out.changes.push(change("create")),
                    Some(e) if e.managed_by.is_some() => {
                        if e.dashboard == **dashboard
                            && e.managed_by.as_deref() == Some(file.as_str())
                        {
                            out.changes.push(change("unchanged"));
                        } else {
                            out.changes.push(change("update"));
                        }
                    }
                    Some(e) if e.dashboard == **dashboard => out.changes.push(change("adopt")),
                    Some(_) => out.errors.push(format!(
                        "{file}: dashboard {:?} already exists, made through the API with other content; delete it there or change the id in the file",
                        dashboard.id
                    )),
                }
            }
            FileObject::Lookup { file, name, csv } => {
                if !valid_lookup_name(name) {
                    out.errors
                        .push(format!("{file}: invalid lookup name {name:?}"));
                    continue;
                }
                if let Err(e) = loupe_query::LookupTable::from_csv(name, csv) {
                    out.errors.push(format!("{file}: {e}"));
                    continue;
                }
                wanted_lookups.insert(name.clone());
                let managed = meta.get_kv(MANAGED_LOOKUPS, name).ok().flatten();
                let current = std::fs::read(lookup_path(lookup_dir, name)).ok();
                let change = |action| Change {
                    action,
                    kind: "lookup",
                    name: name.clone(),
                    file: file.clone(),
                };
                match (current, managed) {
                    (None, _) => out.changes.push(change("create")),
                    (Some(c), Some(_)) if c == *csv => out.changes.push(change("unchanged")),
                    (Some(_), Some(_)) => out.changes.push(change("update")),
                    (Some(c), None) if c == *csv => out.changes.push(change("adopt")),
                    (Some(_), None) => out.errors.push(format!(
                        "{file}: lookup table {name:?} already exists with other content and is not managed by files"
                    )),
                }
            }
        }
    }
    for e in &existing {
        if let (Some(file), false) = (&e.managed_by, wanted.contains(&e.search.name)) {
            out.changes.push(Change {
                action: "delete",
                kind: "saved_search",
                name: e.search.name.clone(),
                file: file.clone(),
            });
        }
    }
    for e in &dashboards {
        if let (Some(file), false) = (&e.managed_by, wanted_dashboards.contains(&e.dashboard.id)) {
            out.changes.push(Change {
                action: "delete",
                kind: "dashboard",
                name: e.dashboard.id.clone(),
                file: file.clone(),
            });
        }
    }
    for (name, file) in meta.kv_scope(MANAGED_LOOKUPS).unwrap_or_default() {
        if !wanted_lookups.contains(&name) {
            out.changes.push(Change {
                action: "delete",
                kind: "lookup",
                name,
                file,
            });
        }
    }
    out
}

/// Carries out a plan without errors.
pub fn execute(
    meta: &MetaStore,
    lookup_dir: &Path,
    plan: &Plan,
    objects: &[FileObject],
) -> Result<(), String> {
    let search_of = |name: &str| -> Option<(&SavedSearch, &String)> {
        objects.iter().find_map(|o| match o {
            FileObject::SavedSearch { file, search, .. } if search.name == name => {
                Some((&**search, file))
            }
            _ => None,
        })
    };
    let dashboard_of = |id: &str| -> Option<(&Dashboard, &String)> {
        objects.iter().find_map(|o| match o {
            FileObject::Dashboard { file, dashboard } if dashboard.id == id => {
                Some((&**dashboard, file))
            }
            _ => None,
        })
    };
    let csv_of = |name: &str| -> Option<&Vec<u8>> {
        objects.iter().find_map(|o| match o {
            FileObject::Lookup { name: n, csv, .. } if n == name => Some(csv),
            _ => None,
        })
    };
    for c in &plan.changes {
        match (c.kind, c.action) {
            (_, "unchanged") => {}
            ("saved_search", "create") => {
                let (s, file) = search_of(&c.name).ok_or("plan and files disagree")?;
                meta.create_saved_search(s.clone(), Some(file.clone()))
                    .map_err(|e| e.to_string())?;
            }
            ("saved_search", "update" | "adopt") => {
                let (s, file) = search_of(&c.name).ok_or("plan and files disagree")?;
                meta.update_saved_search(&c.name, s.clone(), Some(file.clone()))
                    .map_err(|e| e.to_string())?;
            }
            ("saved_search", "delete") => {
                meta.delete_saved_search(&c.name)
                    .map_err(|e| e.to_string())?;
            }
            ("dashboard", "create") => {
                let (d, file) = dashboard_of(&c.name).ok_or("plan and files disagree")?;
                meta.create_dashboard(d.clone(), Some(file.clone()))
                    .map_err(|e| e.to_string())?;
            }
            ("dashboard", "update" | "adopt") => {
                let (d, file) = dashboard_of(&c.name).ok_or("plan and files disagree")?;
                meta.update_dashboard(&c.name, d.clone(), Some(file.clone()))
                    .map_err(|e| e.to_string())?;
            }
            ("dashboard", "delete") => {
                meta.delete_dashboard(&c.name).map_err(|e| e.to_string())?;
            }
            ("lookup", "create" | "update" | "adopt") => {
                let csv = csv_of(&c.name).ok_or("plan and files disagree")?;
                std::fs::create_dir_all(lookup_dir).map_err(|e| e.to_string())?;
                let path = lookup_path(lookup_dir, &c.name);
                let tmp = path.with_extension("csv.tmp");
                std::fs::write(&tmp, csv)
                    .and_then(|()| std::fs::rename(&tmp, &path))
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                meta.set_kv(MANAGED_LOOKUPS, &c.name, Some(c.file.clone()))
                    .map_err(|e| e.to_string())?;
            }
            ("lookup", "delete") => {
                let path = lookup_path(lookup_dir, &c.name);
                match std::fs::remove_file(&path) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(format!("{}: {e}", path.display())),
                }
                meta.set_kv(MANAGED_LOOKUPS, &c.name, None)
                    .map_err(|e| e.to_string())?;
            }
            other => return Err(format!("unknown change {other:?}")),
        }
    }
    Ok(())
}

/// Every object as `loupe export` writes it.
#[derive(Debug, Default)]
pub struct Exported {
    /// Saved searches with their `managed_by`.
    pub searches: Vec<(SavedSearch, Option<String>)>,
    /// Dashboards with their `managed_by`.
    pub dashboards: Vec<(Dashboard, Option<String>)>,
    /// Lookup tables as (name, CSV bytes).
    pub lookups: Vec<(String, Vec<u8>)>,
}

/// Every object, as `loupe export` writes it.
pub fn export_objects(meta: &MetaStore, lookup_dir: &Path) -> Result<Exported, String> {
    let searches = meta
        .saved_searches()
        .map_err(|e| e.to_string())?
        .into_iter()
        .map(|s| (s.search, s.managed_by))
        .collect();
    let dashboards = meta
        .dashboards()
        .map_err(|e| e.to_string())?
        .into_iter()
        .map(|d| (d.dashboard, d.managed_by))
        .collect();
    let mut lookups = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(lookup_dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "csv"))
        .collect();
    files.sort();
    for p in files {
        let name = p
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default();
        let csv = std::fs::read(&p).map_err(|e| format!("{}: {e}", p.display()))?;
        lookups.push((name, csv));
    }
    Ok(Exported {
        searches,
        dashboards,
        lookups,
    })
}
