//! Objects as files in a directory kept in git (`loupe apply DIR`, `loupe export DIR`):
//!
//! ```text
//! DIR/saved-searches/<name>.toml   one saved search per file, keys as the API body
//! DIR/*.conf                       Splunk savedsearches.conf files, read as they are
//! DIR/lookups/<name>.csv           lookup tables
//! DIR/dashboards/<id>.json          one dashboard per file, keys as the API body
//! ```
//!
//! Reading checks every file before anything is applied, and each error names its file and
//! line. Writing gives files that reading takes back unchanged.

use crate::dashboard::Dashboard;
use crate::objects::SavedSearch;
use std::path::{Path, PathBuf};

/// One object found in the directory.
#[derive(Debug, Clone, PartialEq)]
pub enum FileObject {
    SavedSearch {
        /// Path relative to the directory, `/`-separated: the object's `managed_by`.
        file: String,
        search: Box<SavedSearch>,
        /// Keys of a Splunk file that were not carried over.
        unsupported: Vec<String>,
    },
    Dashboard {
        file: String,
        dashboard: Box<Dashboard>,
    },
    Lookup {
        file: String,
        /// Table name (file name without `.csv`).
        name: String,
        csv: Vec<u8>,
    },
}

/// A file that cannot be used: which, where, why.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}{}: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct FileError {
    pub file: String,
    pub line: Option<usize>,
    pub message: String,
}

fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .components()
        .map(|c| c.as_os_str().to_string_lossy().to_string())
        .collect::<Vec<_>>()
        .join("/")
}

fn sorted_files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == ext))
        .collect();
    out.sort();
    out
}

/// Reads `path`: a directory laid out as above, or one Splunk `.conf` file.
pub fn read(path: &Path) -> Result<Vec<FileObject>, Vec<FileError>> {
    let mut objects = Vec::new();
    let mut errors = Vec::new();
    if path.is_file() {
        let root = path.parent().unwrap_or(Path::new("."));
        read_conf(root, path, &mut objects, &mut errors);
    } else if path.is_dir() {
        for file in sorted_files(&path.join("saved-searches"), "toml") {
            let rel = relative(path, &file);
            match std::fs::read_to_string(&file) {
                Err(e) => errors.push(FileError {
                    file: rel,
                    line: None,
                    message: e.to_string(),
                }),
                Ok(text) => match toml::from_str::<SavedSearch>(&text) {
                    Ok(search) => objects.push(FileObject::SavedSearch {
                        file: rel,
                        search: Box::new(search),
                        unsupported: Vec::new(),
                    }),
                    Err(e) => errors.push(FileError {
                        line: e
                            .span()
                            .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1),
                        file: rel,
                        message: e.message().to_string(),
                    }),
                },
            }
        }
        for file in sorted_files(path, "conf") {
            read_conf(path, &file, &mut objects, &mut errors);
        }
        for file in sorted_files(&path.join("dashboards"), "json") {
            let rel = relative(path, &file);
            let text = match std::fs::read_to_string(&file) {
                Ok(t) => t,
                Err(e) => {
                    errors.push(FileError {
                        file: rel,
                        line: None,
                        message: e.to_string(),
                    });
                    continue;
                }
            };
            match serde_json::from_str::<Dashboard>(&text) {
                Ok(d) => match d.check() {
                    Ok(()) => objects.push(FileObject::Dashboard {
                        file: rel,
                        dashboard: Box::new(d),
                    }),
                    Err(e) => errors.push(FileError {
                        file: rel,
                        line: None,
                        message: e.0,
                    }),
                },
                Err(e) => errors.push(FileError {
                    file: rel,
                    line: Some(e.line()),
                    message: e.to_string(),
                }),
            }
        }
        for file in sorted_files(&path.join("lookups"), "csv") {
            let rel = relative(path, &file);
            let name = file
                .file_stem()
                .map(|s| s.to_string_lossy().to_string())
                .unwrap_or_default();
            match std::fs::read(&file) {
                Ok(csv) => objects.push(FileObject::Lookup {
                    file: rel,
                    name,
                    csv,
                }),
                Err(e) => errors.push(FileError {
                    file: rel,
                    line: None,
                    message: e.to_string(),
                }),
            }
        }
    } else {
        errors.push(FileError {
            file: path.display().to_string(),
            line: None,
            message: "no such file or directory".into(),
        });
    }
    // One name, one file.
    let mut seen: std::collections::HashMap<String, String> = Default::default();
    let mut seen_ids: std::collections::HashMap<String, String> = Default::default();
    for o in &objects {
        match o {
            FileObject::SavedSearch { file, search, .. } => {
                if let Some(first) = seen.insert(search.name.clone(), file.clone()) {
                    errors.push(FileError {
                        file: file.clone(),
                        line: None,
                        message: format!(
                            "saved search {:?} is also defined in {first}",
                            search.name
                        ),
                    });
                }
            }
            FileObject::Dashboard { file, dashboard } => {
                if let Some(first) = seen_ids.insert(dashboard.id.clone(), file.clone()) {
                    errors.push(FileError {
                        file: file.clone(),
                        line: None,
                        message: format!("dashboard {:?} is also defined in {first}", dashboard.id),
                    });
                }
            }
            FileObject::Lookup { .. } => {}
        }
    }
    if errors.is_empty() {
        Ok(objects)
    } else {
        Err(errors)
    }
}

fn read_conf(root: &Path, file: &Path, objects: &mut Vec<FileObject>, errors: &mut Vec<FileError>) {
    let rel = relative(root, file);
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) => {
            errors.push(FileError {
                file: rel,
                line: None,
                message: e.to_string(),
            });
            return;
        }
    };
    match crate::splunk::read_conf(&text) {
        Ok(conf) => {
            for s in conf.searches {
                objects.push(FileObject::SavedSearch {
                    file: format!("{rel}#{}", s.search.name),
                    search: Box::new(s.search),
                    unsupported: s.unsupported,
                });
            }
        }
        Err(e) => errors.push(FileError {
            file: rel,
            line: Some(e.line),
            message: e.message,
        }),
    }
}

/// The file name a saved search is exported to: its name in lower case, runs of anything
/// but letters and digits as one `-`.
pub fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_matches('-').to_string();
    if out.is_empty() {
        "search".into()
    } else {
        out
    }
}

/// A saved search as the TOML of its file.
pub fn to_toml(s: &SavedSearch) -> Result<String, FileError> {
    toml::to_string(s).map_err(|e| FileError {
        file: format!("saved-searches/{}.toml", slug(&s.name)),
        line: None,
        message: e.to_string(),
    })
}

/// Writes every object under `dir` (files of managed objects keep their own path); returns
/// the paths written, relative to `dir`.
pub fn write(
    dir: &Path,
    searches: &[(SavedSearch, Option<String>)],
    dashboards: &[(Dashboard, Option<String>)],
    lookups: &[(String, Vec<u8>)],
) -> Result<Vec<String>, FileError> {
    let io = |file: &str, e: std::io::Error| FileError {
        file: file.to_string(),
        line: None,
        message: e.to_string(),
    };
    let mut written = Vec::new();
    let mut taken = std::collections::HashSet::new();
    std::fs::create_dir_all(dir.join("saved-searches")).map_err(|e| io("saved-searches", e))?;
    for (s, managed_by) in searches {
        // A search from a Splunk file or a TOML file keeps its TOML path when it had one.
        let rel = match managed_by {
            Some(f)
                if f.starts_with("saved-searches/") && f.ends_with(".toml") && !f.contains('#') =>
            {
                f.clone()
            }
            _ => {
                let base = slug(&s.name);
                let mut rel = format!("saved-searches/{base}.toml");
                let mut n = 2;
                while taken.contains(&rel) {
                    rel = format!("saved-searches/{base}-{n}.toml");
                    n += 1;
                }
                rel
            }
        };
        taken.insert(rel.clone());
        std::fs::write(dir.join(&rel), to_toml(s)?).map_err(|e| io(&rel, e))?;
        written.push(rel);
    }
    if !dashboards.is_empty() {
        std::fs::create_dir_all(dir.join("dashboards")).map_err(|e| io("dashboards", e))?;
    }
    for (d, managed_by) in dashboards {
        // A managed dashboard keeps its file's name; the id is unique, so no clash otherwise.
        let rel = match managed_by {
            Some(f)
                if f.starts_with("dashboards/")
                    && f.ends_with(".json")
                    && !f[11..].contains('/') =>
            {
                f.clone()
            }
            _ => format!("dashboards/{}.json", d.id),
        };
        if !taken.insert(rel.clone()) {
            return Err(FileError {
                file: rel,
                line: None,
                message: format!("two dashboards would be written here (id {:?})", d.id),
            });
        }
        std::fs::write(dir.join(&rel), d.to_file()).map_err(|e| io(&rel, e))?;
        written.push(rel);
    }
    if !lookups.is_empty() {
        std::fs::create_dir_all(dir.join("lookups")).map_err(|e| io("lookups", e))?;
    }
    for (name, csv) in lookups {
        let rel = format!("lookups/{name}.csv");
        std::fs::write(dir.join(&rel), csv).map_err(|e| io(&rel, e))?;
        written.push(rel);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_round_trip_and_errors_name_their_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let s: SavedSearch = serde_json::from_value(serde_json::json!({
            "name": "Batch errors (daily)", "query": "index=batchs error\n| table host source",
            "cron": "0 7 * * *", "timezone": "Europe/Paris",
            "alert": {"condition": {"type": "results", "relation": "greater_than", "quantity": 0},
                      "actions": [{"type": "email", "to": ["team@example.org"], "attach": ["pdf"]}]}
        }))
        .unwrap();
        let d: Dashboard = serde_json::from_value(serde_json::json!({
            "id": "batchs", "title": "Batchs",
            "panels": [{"title": "n", "type": "single", "query": "index=batchs | stats count"}]
        }))
        .unwrap();
        let written = write(
            dir.path(),
            &[(s.clone(), None)],
            &[(d.clone(), None)],
            &[("batchs".into(), b"a,b\n1,2\n".to_vec())],
        )
        .unwrap();
        assert_eq!(
            written,
            [
                "saved-searches/batch-errors-daily.toml",
                "dashboards/batchs.json",
                "lookups/batchs.csv"
            ]
        );
        let back = read(dir.path()).unwrap();
        assert_eq!(
            back[0],
            FileObject::SavedSearch {
                file: "saved-searches/batch-errors-daily.toml".into(),
                search: Box::new(s),
                unsupported: vec![]
            }
        );
        assert_eq!(
            back[1],
            FileObject::Dashboard {
                file: "dashboards/batchs.json".into(),
                dashboard: Box::new(d)
            }
        );
        assert!(matches!(&back[2], FileObject::Lookup { name, .. } if name == "batchs"));
        std::fs::write(
            dir.path().join("dashboards/bad.json"),
            "{\"id\": \"bad\",\n \"title\": \"x\",\n \"panels\": [], \"colour\": 1}",
        )
        .unwrap();
        let errs = read(dir.path()).unwrap_err();
        assert_eq!(errs[0].file, "dashboards/bad.json");
        assert_eq!(errs[0].line, Some(3), "{errs:?}");
        std::fs::remove_file(dir.path().join("dashboards/bad.json")).unwrap();
        std::fs::write(
            dir.path().join("saved-searches/typo.toml"),
            "name = \"x\"\nquery = \"*\"\n\ncronn = \"* * * * *\"\n",
        )
        .unwrap();
        let errs = read(dir.path()).unwrap_err();
        assert_eq!(errs[0].file, "saved-searches/typo.toml");
        assert_eq!(errs[0].line, Some(4), "{errs:?}");
        assert!(errs[0].to_string().contains("cronn"), "{}", errs[0]);
    }
}
