//! `loupe erase`: erasure on request (GDPR art. 17) on a data dir (no server running: this
//! process holds its lock) or through a server (`POST /api/v1/erase`, capability `erase`).
//! A dry run unless `--yes`. Exit 0 done (or shown), 2 invalid search, 3 refused (more
//! events than `[access] erase_max_events`, without `--force`), 1 otherwise.

use anyhow::{bail, Context};
use loupe::config::Config;
use loupe::erase::{self, EraseError, EraseRequest};
use loupe::search::SearchScope;
use loupe::store::{Store, StoreError};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

/// What `loupe erase` was given.
pub struct EraseArgs {
    pub config: Option<PathBuf>,
    pub data_dir: Option<PathBuf>,
    pub url: Option<String>,
    pub token: Option<String>,
    pub request: EraseRequest,
    pub yes: bool,
    pub force: bool,
    pub sample: usize,
}

pub fn run(a: EraseArgs) -> anyhow::Result<ExitCode> {
    match (&a.data_dir, &a.url) {
        (Some(d), None) => offline(d, &a),
        (None, Some(u)) => remote(u, a.token.as_deref().unwrap_or(""), &a),
        (None, None) if a.config.is_some() => {
            let cfg = Config::load(a.config.as_deref().unwrap_or(Path::new("")))?;
            offline(&cfg.data_dir.clone(), &a)
        }
        _ => bail!("give --data-dir DIR or --url URL --token T"),
    }
}

fn exit_of(e: EraseError) -> anyhow::Result<ExitCode> {
    eprintln!("error: {e}");
    match e {
        EraseError::TooMany { .. } => Ok(ExitCode::from(3)),
        e if e.is_request_error() => Ok(ExitCode::from(2)),
        e => Err(e.into()),
    }
}

fn print_sample(sample: &[serde_json::Map<String, serde_json::Value>]) {
    for row in sample {
        let time = row.get("_time").map(|v| v.to_string()).unwrap_or_default();
        let raw = row.get("_raw").and_then(|v| v.as_str()).unwrap_or("");
        println!("  {time} {raw}");
    }
}

fn offline(dir: &Path, a: &EraseArgs) -> anyhow::Result<ExitCode> {
    let max = match &a.config {
        Some(p) => Config::load(p)?.access.erase_max_events,
        None => Config::default().access.erase_max_events,
    };
    let store = match Store::open(dir) {
        Ok(s) => Arc::new(s),
        Err(StoreError::Locked(_)) => bail!(
            "a server is running on {}: erase through it with --url URL --token T",
            dir.display()
        ),
        Err(e) => return Err(e.into()),
    };
    let scope = SearchScope::default();
    if !a.yes {
        loupe::ingest::pipeline::recover(&store)
            .with_context(|| format!("recovering the write-ahead log of {}", dir.display()))?;
        return match erase::preview(&store, &scope, &a.request, a.sample) {
            Ok(p) => {
                println!(
                    "{} event(s) of index {} in {} bucket(s) match; nothing erased (add --yes to erase them)",
                    p.matched, a.request.index, p.buckets
                );
                print_sample(&p.sample);
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => exit_of(e),
        };
    }
    let meta = loupe_meta::MetaStore::open(dir)?;
    let user = loupe::audit::cli_principal();
    let mut audit = loupe::audit::OfflineAudit::open(&meta).map_err(|e| anyhow::anyhow!("{e}"))?;
    let max = (!a.force).then_some(max);
    let req = &a.request;
    let mut refused = None;
    let out = loupe::ingest::pipeline::offline(&store, |w| {
        let mut detail = serde_json::json!({
            "query": req.search,
            "erased_index": req.index,
            "earliest": req.earliest,
            "latest": req.latest,
            "forced": a.force,
        });
        let (action, out) = match erase::erase(w, &scope, req, max) {
            Ok(out) => {
                detail["erased"] = out.erased.into();
                detail["buckets_rewritten"] = out.buckets_rewritten.into();
                detail["buckets_removed"] = out.buckets_removed.into();
                ("erase", Some(out))
            }
            Err(e) => {
                detail["error"] = e.to_string().into();
                refused = Some(e);
                ("erase_refused", None)
            }
        };
        audit
            .record(w, (action, &user, "-"), detail)
            .map_err(StoreError::Corrupt)?;
        Ok(out)
    })?;
    audit
        .commit_head(&meta)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    match (out, refused) {
        (Some(out), _) => {
            println!(
                "erased {} event(s) of index {} ({} bucket(s) rewritten, {} removed)",
                out.erased, req.index, out.buckets_rewritten, out.buckets_removed
            );
            Ok(ExitCode::SUCCESS)
        }
        (None, Some(e)) => exit_of(e),
        (None, None) => bail!("erasure ended without an answer"),
    }
}

fn remote(url: &str, token: &str, a: &EraseArgs) -> anyhow::Result<ExitCode> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let body = serde_json::json!({
        "index": a.request.index,
        "query": a.request.search,
        "earliest": a.request.earliest,
        "latest": a.request.latest,
        "confirm": a.yes,
        "force": a.force,
        "sample": a.sample,
    });
    let mut resp = agent
        .post(&format!("{}/api/v1/erase", url.trim_end_matches('/')))
        .header("Authorization", &format!("Bearer {token}"))
        .send_json(&body)
        .with_context(|| format!("cannot reach {url}"))?;
    let status = resp.status().as_u16();
    let text = resp.body_mut().read_to_string()?;
    let json: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("server answered {status}: {text}"))?;
    let message = json["error"].as_str().unwrap_or(&text).to_string();
    match status {
        200 => {}
        400 => {
            eprintln!("error: {message}");
            return Ok(ExitCode::from(2));
        }
        409 => {
            eprintln!("error: {message}");
            return Ok(ExitCode::from(3));
        }
        _ => bail!("server answered {status}: {message}"),
    }
    if json["dry_run"].as_bool().unwrap_or(true) {
        println!(
            "{} event(s) of index {} in {} bucket(s) match; nothing erased (add --yes to erase them)",
            json["matched"], a.request.index, json["buckets"]
        );
        let sample: Vec<serde_json::Map<String, serde_json::Value>> =
            serde_json::from_value(json["sample"].clone()).unwrap_or_default();
        print_sample(&sample);
    } else {
        println!(
            "erased {} event(s) of index {} ({} bucket(s) rewritten, {} removed)",
            json["erased"], a.request.index, json["buckets_rewritten"], json["buckets_removed"]
        );
    }
    Ok(ExitCode::SUCCESS)
}
