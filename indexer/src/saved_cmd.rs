//! `loupe saved list|show|run|enable|disable`: saved searches through a server's API (the
//! server owns the metadata file and its one writer).

use anyhow::{bail, Context};
use clap::Subcommand;

#[derive(Subcommand)]
pub enum SavedAction {
    /// Every saved search: name, schedule, enabled, whether a file manages it.
    List,
    /// One saved search as JSON.
    Show { name: String },
    /// Runs it now and prints its results.
    Run { name: String },
    /// Turns its schedule on.
    Enable { name: String },
    /// Turns its schedule off (it can still be run by hand).
    Disable { name: String },
}

struct Api {
    agent: ureq::Agent,
    url: String,
    token: String,
}

impl Api {
    fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> anyhow::Result<(u16, serde_json::Value)> {
        let url = format!("{}{path}", self.url.trim_end_matches('/'));
        let auth = format!("Bearer {}", self.token);
        let resp = match (method, body) {
            ("GET", _) => self.agent.get(&url).header("Authorization", &auth).call(),
            ("PUT", Some(b)) => self
                .agent
                .put(&url)
                .header("Authorization", &auth)
                .send_json(b),
            ("POST", _) => self
                .agent
                .post(&url)
                .header("Authorization", &auth)
                .send_empty(),
            _ => bail!("unsupported request {method} {path}"),
        };
        let mut resp = resp.with_context(|| format!("cannot reach {}", self.url))?;
        let status = resp.status().as_u16();
        let text = resp.body_mut().read_to_string()?;
        let json = serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text));
        Ok((status, json))
    }

    fn ok(
        &self,
        method: &str,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> anyhow::Result<serde_json::Value> {
        let (status, json) = self.call(method, path, body)?;
        if !(200..300).contains(&status) {
            bail!(
                "{}",
                json["error"]
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| json.to_string())
            );
        }
        Ok(json)
    }
}

fn path_of(name: &str) -> String {
    let mut out = String::from("/api/v1/saved-searches/");
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Runs one `loupe saved` action against `url`.
pub fn run(action: SavedAction, url: &str, token: &str) -> anyhow::Result<()> {
    let api = Api {
        agent: ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into(),
        url: url.to_string(),
        token: token.to_string(),
    };
    match action {
        SavedAction::List => {
            let all = api.ok("GET", "/api/v1/saved-searches", None)?;
            println!("{:<40} {:<18} {:<8} managed by", "name", "cron", "enabled");
            for s in all["saved_searches"].as_array().into_iter().flatten() {
                println!(
                    "{:<40} {:<18} {:<8} {}",
                    s["name"].as_str().unwrap_or(""),
                    s["cron"].as_str().unwrap_or("-"),
                    s["enabled"].as_bool().unwrap_or(true),
                    s["managed_by"].as_str().unwrap_or("-"),
                );
            }
        }
        SavedAction::Show { name } => {
            let s = api.ok("GET", &path_of(&name), None)?;
            println!("{}", serde_json::to_string_pretty(&s)?);
        }
        SavedAction::Enable { name } => set_enabled(&api, &name, true)?,
        SavedAction::Disable { name } => set_enabled(&api, &name, false)?,
        SavedAction::Run { name } => {
            let job = api.ok("POST", &format!("{}/run", path_of(&name)), None)?;
            let sid = job["sid"]
                .as_str()
                .context("no sid in the answer")?
                .to_string();
            let status = loop {
                let st = api.ok("GET", &format!("/api/v1/jobs/{sid}"), None)?;
                match st["state"].as_str() {
                    Some("queued" | "running") => {
                        std::thread::sleep(std::time::Duration::from_millis(100))
                    }
                    _ => break st,
                }
            };
            if status["state"] != "done" {
                bail!(
                    "{name}: {} ({})",
                    status["state"].as_str().unwrap_or("?"),
                    status["error"].as_str().unwrap_or("no message")
                );
            }
            let page = api.ok(
                "GET",
                &format!("/api/v1/jobs/{sid}/results?count=10000"),
                None,
            )?;
            for row in page["rows"].as_array().into_iter().flatten() {
                println!("{row}");
            }
        }
    }
    Ok(())
}

fn set_enabled(api: &Api, name: &str, enabled: bool) -> anyhow::Result<()> {
    let mut s = api.ok("GET", &path_of(name), None)?;
    if let Some(obj) = s.as_object_mut() {
        obj.remove("managed_by");
        obj.insert("enabled".into(), serde_json::Value::Bool(enabled));
    }
    api.ok("PUT", &path_of(name), Some(&s))?;
    println!("{name}: {}", if enabled { "enabled" } else { "disabled" });
    Ok(())
}
