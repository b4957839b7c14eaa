//! `loupe dashboard list|import|export`: dashboards of a running server through its API (the
//! server owns the metadata file and its one writer), as the JSON files `loupe apply` reads.

use anyhow::{bail, Context};
use clap::Subcommand;
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum DashboardAction {
    /// Every dashboard: id, title, panels, whether a file manages it.
    List,
    /// Creates the dashboard of FILE (JSON, as `docs/dashboards.md`), or replaces the one
    /// with its id.
    Import { file: PathBuf },
    /// Prints the dashboard ID as JSON (or writes it to `--output`).
    Export {
        id: String,
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
}

fn call(
    agent: &ureq::Agent,
    method: &str,
    url: &str,
    token: &str,
    body: Option<&serde_json::Value>,
) -> anyhow::Result<(u16, serde_json::Value)> {
    let auth = format!("Bearer {token}");
    let resp = match (method, body) {
        ("GET", _) => agent.get(url).header("Authorization", &auth).call(),
        ("POST", Some(b)) => agent.post(url).header("Authorization", &auth).send_json(b),
        ("PUT", Some(b)) => agent.put(url).header("Authorization", &auth).send_json(b),
        _ => bail!("unsupported request {method} {url}"),
    };
    let mut resp = resp.with_context(|| format!("cannot reach {url}"))?;
    let status = resp.status().as_u16();
    let text = resp.body_mut().read_to_string()?;
    let json = serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text));
    Ok((status, json))
}

fn error_of(status: u16, json: &serde_json::Value) -> anyhow::Error {
    anyhow::anyhow!(
        "server answered {status}: {}",
        json["error"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| json.to_string())
    )
}

/// Runs one `loupe dashboard` action against `url`.
pub fn run(action: DashboardAction, url: &str, token: &str) -> anyhow::Result<()> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let base = format!("{}/api/v1/dashboards", url.trim_end_matches('/'));
    match action {
        DashboardAction::List => {
            let (status, all) = call(&agent, "GET", &base, token, None)?;
            if status != 200 {
                return Err(error_of(status, &all));
            }
            println!("{:<30} {:<40} {:<7} managed by", "id", "title", "panels");
            for d in all["dashboards"].as_array().into_iter().flatten() {
                println!(
                    "{:<30} {:<40} {:<7} {}",
                    d["id"].as_str().unwrap_or(""),
                    d["title"].as_str().unwrap_or(""),
                    d["panels"].as_array().map(|p| p.len()).unwrap_or(0),
                    d["managed_by"].as_str().unwrap_or("-"),
                );
            }
        }
        DashboardAction::Import { file } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            // Checked here first, so a typo is reported with its line before any request.
            let d: loupe_meta::Dashboard = serde_json::from_str(&text)
                .with_context(|| format!("{} is not a dashboard", file.display()))?;
            let body = serde_json::to_value(&d)?;
            let one = format!("{base}/{}", d.id);
            let (exists, _) = call(&agent, "GET", &one, token, None)?;
            let (status, json, verb) = if exists == 200 {
                let (s, j) = call(&agent, "PUT", &one, token, Some(&body))?;
                (s, j, "updated")
            } else {
                let (s, j) = call(&agent, "POST", &base, token, Some(&body))?;
                (s, j, "created")
            };
            if !(200..300).contains(&status) {
                return Err(error_of(status, &json));
            }
            for w in json["warnings"].as_array().into_iter().flatten() {
                println!("warning: {}", w.as_str().unwrap_or_default());
            }
            println!("{verb} dashboard {:?}", d.id);
        }
        DashboardAction::Export { id, output } => {
            if !loupe_meta::dashboard::valid_id(&id) {
                bail!("invalid dashboard id {id:?}");
            }
            let (status, mut json) = call(&agent, "GET", &format!("{base}/{id}"), token, None)?;
            if status != 200 {
                return Err(error_of(status, &json));
            }
            if let Some(o) = json.as_object_mut() {
                o.remove("managed_by");
            }
            let d: loupe_meta::Dashboard = serde_json::from_value(json)?;
            match output {
                Some(path) => {
                    std::fs::write(&path, d.to_file())
                        .with_context(|| format!("cannot write {}", path.display()))?;
                    println!("wrote {}", path.display());
                }
                None => print!("{}", d.to_file()),
            }
        }
    }
    Ok(())
}
