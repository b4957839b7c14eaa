//! `loupe apply` and `loupe export`: objects as files, against a running server (`--url`) or
//! straight on a data dir (`--data-dir`).

use anyhow::{bail, Context};
use loupe::api::config::Objects;
use loupe::apply::{self, Plan};
use std::path::Path;
use std::process::ExitCode;

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

fn print_plan(plan: &Plan, dry_run: bool) {
    for w in &plan.warnings {
        println!("warning: {w}");
    }
    for e in &plan.errors {
        eprintln!("error: {e}");
    }
    let changed: Vec<_> = plan
        .changes
        .iter()
        .filter(|c| c.action != "unchanged")
        .collect();
    for c in &changed {
        println!("{c}");
    }
    let unchanged = plan.changes.len() - changed.len();
    let verb = if dry_run || !plan.errors.is_empty() {
        "would change"
    } else {
        "changed"
    };
    println!("{} {verb}, {unchanged} unchanged", changed.len());
}

/// `loupe apply`: exit 0 applied (or planned, with `--dry-run`), 2 invalid (nothing changed).
pub fn apply(
    path: &Path,
    dry_run: bool,
    url: Option<&str>,
    token: Option<&str>,
    data_dir: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let files = match loupe_meta::files::read(path) {
        Ok(f) => f,
        Err(errors) => {
            for e in &errors {
                eprintln!("error: {e}");
            }
            eprintln!("nothing applied: {} file error(s)", errors.len());
            return Ok(ExitCode::from(2));
        }
    };
    let plan: Plan = match (url, data_dir) {
        (Some(url), None) => {
            let body = Objects::from_files(files, dry_run);
            let mut r = agent()
                .post(&format!(
                    "{}/api/v1/config/apply",
                    url.trim_end_matches('/')
                ))
                .header("Authorization", &format!("Bearer {}", token.unwrap_or("")))
                .send_json(&body)
                .with_context(|| format!("cannot reach {url}"))?;
            let status = r.status().as_u16();
            let text = r.body_mut().read_to_string()?;
            let json: serde_json::Value = serde_json::from_str(&text)
                .with_context(|| format!("server answered {status}: {text}"))?;
            if status != 200 && json.get("errors").is_none() {
                bail!(
                    "server answered {status}: {}",
                    json["error"].as_str().unwrap_or(&text)
                );
            }
            plan_of(&json)
        }
        (None, Some(dir)) => {
            let meta = loupe_meta::MetaStore::open(dir)?;
            let lookup_dir = dir.join("lookups");
            let macros = loupe_query::MacroTable::new();
            let plan = apply::plan(&meta, &lookup_dir, &macros, &files);
            if plan.errors.is_empty() && !dry_run {
                apply::execute(&meta, &lookup_dir, &plan, &files).map_err(anyhow::Error::msg)?;
            }
            plan
        }
        _ => bail!("give --url URL --token T or --data-dir DIR"),
    };
    print_plan(&plan, dry_run);
    Ok(if plan.errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

fn plan_of(json: &serde_json::Value) -> Plan {
    let strings = |k: &str| -> Vec<String> {
        json[k]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect()
    };
    let action = |s: &str| -> &'static str {
        match s {
            "create" => "create",
            "update" => "update",
            "adopt" => "adopt",
            "delete" => "delete",
            _ => "unchanged",
        }
    };
    Plan {
        changes: json["changes"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| apply::Change {
                action: action(c["action"].as_str().unwrap_or("")),
                kind: match c["kind"].as_str() {
                    Some("lookup") => "lookup",
                    Some("dashboard") => "dashboard",
                    _ => "saved_search",
                },
                name: c["name"].as_str().unwrap_or("").to_string(),
                file: c["file"].as_str().unwrap_or("").to_string(),
            })
            .collect(),
        warnings: strings("warnings"),
        errors: strings("errors"),
    }
}

/// `loupe export DIR`: every object as files `apply` takes back.
pub fn export(
    dir: &Path,
    url: Option<&str>,
    token: Option<&str>,
    data_dir: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let all = match (url, data_dir) {
        (Some(url), None) => {
            let mut r = agent()
                .get(&format!(
                    "{}/api/v1/config/export",
                    url.trim_end_matches('/')
                ))
                .header("Authorization", &format!("Bearer {}", token.unwrap_or("")))
                .call()
                .with_context(|| format!("cannot reach {url}"))?;
            let status = r.status().as_u16();
            let text = r.body_mut().read_to_string()?;
            if status != 200 {
                bail!("server answered {status}: {text}");
            }
            let objects: Objects = serde_json::from_str(&text)?;
            apply::Exported {
                searches: objects
                    .saved_searches
                    .into_iter()
                    .map(|s| (s.search, s.file))
                    .collect(),
                dashboards: objects
                    .dashboards
                    .into_iter()
                    .map(|d| (d.dashboard, d.file))
                    .collect(),
                lookups: objects
                    .lookups
                    .into_iter()
                    .map(|l| (l.name, l.csv.into_bytes()))
                    .collect(),
            }
        }
        (None, Some(d)) => {
            let meta = loupe_meta::MetaStore::open(d)?;
            apply::export_objects(&meta, &d.join("lookups")).map_err(anyhow::Error::msg)?
        }
        _ => bail!("give --url URL --token T or --data-dir DIR"),
    };
    let written = loupe_meta::files::write(dir, &all.searches, &all.dashboards, &all.lookups)?;
    for f in &written {
        println!("wrote {f}");
    }
    Ok(ExitCode::SUCCESS)
}
