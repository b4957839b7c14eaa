//! `loupe`: the indexer's command line (DESIGN.md §3).

use anyhow::{bail, Context};
use clap::{Parser, Subcommand, ValueEnum};
use loupe::config::Config;
use loupe::import::{import_to_server, import_to_store, ImportSpec, InputFormat};
use loupe::search::{SearchRequest, SearchResponse, SearchScope};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

mod config_cmd;
mod saved_cmd;

/// Indexing threads allocate and free constantly; glibc's arenas contend, mimalloc does not.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "loupe",
    version,
    about = "Loupe: a self-hosted log platform (indexer, search, console)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the indexer: HEC ingest, search API and console on one port.
    Serve {
        #[arg(long)]
        config: Option<PathBuf>,
        #[arg(long)]
        data_dir: Option<PathBuf>,
        #[arg(long)]
        listen: Option<String>,
    },
    /// Bulk-load files (into a data dir, or through a server's HEC endpoint).
    Import {
        #[arg(long, conflicts_with = "url")]
        data_dir: Option<PathBuf>,
        #[arg(long, requires = "token")]
        url: Option<String>,
        #[arg(long, env = "LOUPE_TOKEN")]
        token: Option<String>,
        #[arg(long, default_value = "main")]
        index: String,
        #[arg(long, default_value = "auto")]
        sourcetype: String,
        #[arg(long)]
        host: Option<String>,
        /// Value of the `source` field (default: the file path).
        #[arg(long)]
        source: Option<String>,
        /// `raw` log text, or `hec`: one HEC envelope per line.
        #[arg(long, value_enum, default_value_t = Format::Raw)]
        format: Format,
        /// Year of year-less timestamps (default: the file's modification year).
        #[arg(long)]
        year: Option<i32>,
        /// Time zone of zone-less timestamps (IANA name; default UTC).
        #[arg(long)]
        timezone: Option<String>,
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Run a search and print the results.
    Search {
        #[arg(long, conflicts_with = "url")]
        data_dir: Option<PathBuf>,
        #[arg(long, requires = "token")]
        url: Option<String>,
        #[arg(long, env = "LOUPE_TOKEN")]
        token: Option<String>,
        #[arg(long)]
        earliest: Option<String>,
        #[arg(long)]
        latest: Option<String>,
        #[arg(long, value_enum, default_value_t = Output::Table)]
        output: Output,
        /// Most events printed when the query has no `head`.
        #[arg(long, default_value_t = 100)]
        limit: usize,
        query: String,
    },
    /// Print a search's plan as JSON (exit 0 planned, 2 syntax error, 3 parsed but unsupported).
    Explain {
        /// Data dir whose indexes and buckets the plan is made for (optional).
        #[arg(long)]
        data_dir: Option<PathBuf>,
        #[arg(long)]
        earliest: Option<String>,
        #[arg(long)]
        latest: Option<String>,
        query: String,
    },
    /// List the built-in sourcetypes.
    Sourcetypes,
    /// Objects from files (a directory, or one Splunk savedsearches.conf): prints the diff;
    /// exit 0 applied, 2 invalid (nothing changed), 1 otherwise.
    Apply {
        #[arg(long, conflicts_with = "data_dir", requires = "token")]
        url: Option<String>,
        #[arg(long, env = "LOUPE_TOKEN")]
        token: Option<String>,
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Print the diff only.
        #[arg(long)]
        dry_run: bool,
        path: PathBuf,
    },
    /// Every object as files that `apply` takes back unchanged.
    Export {
        #[arg(long, conflicts_with = "data_dir", requires = "token")]
        url: Option<String>,
        #[arg(long, env = "LOUPE_TOKEN")]
        token: Option<String>,
        #[arg(long)]
        data_dir: Option<PathBuf>,
        dir: PathBuf,
    },
    /// Saved searches of a running server: list, show, run, enable, disable.
    Saved {
        #[arg(long, env = "LOUPE_URL", default_value = "http://127.0.0.1:8088")]
        url: String,
        #[arg(long, env = "LOUPE_TOKEN")]
        token: String,
        #[command(subcommand)]
        action: saved_cmd::SavedAction,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Raw,
    Hec,
}

#[derive(Clone, Copy, ValueEnum, PartialEq)]
enum Output {
    Table,
    Json,
    Csv,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve {
            config,
            data_dir,
            listen,
        } => {
            let mut cfg = match &config {
                Some(p) => Config::load(p)?,
                None => Config {
                    data_dir: PathBuf::from("./loupe-data"),
                    ..Config::default()
                },
            };
            if let Some(d) = data_dir {
                cfg.data_dir = d;
            }
            if let Some(l) = listen {
                cfg.listen = l;
            }
            let rt = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            rt.block_on(loupe::server::serve(cfg))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Import {
            data_dir,
            url,
            token,
            index,
            sourcetype,
            host,
            source,
            format,
            year,
            timezone,
            files,
        } => {
            loupe::store::validate_index_name(&index)?;
            let tz = match &timezone {
                Some(t) => {
                    jiff::tz::TimeZone::get(t).with_context(|| format!("time zone {t:?}"))?
                }
                None => jiff::tz::TimeZone::UTC,
            };
            let spec = ImportSpec {
                index,
                sourcetype,
                host,
                source,
                format: match format {
                    Format::Raw => InputFormat::Raw,
                    Format::Hec => InputFormat::Hec,
                },
                max_event_bytes: 1 << 20,
                default_year: year,
                tz,
            };
            let total: u64 = files
                .iter()
                .map(|f| {
                    std::fs::metadata(f)
                        .map(|m| m.len())
                        .with_context(|| format!("{}", f.display()))
                })
                .sum::<anyhow::Result<u64>>()?;
            let bar = indicatif::ProgressBar::new(total);
            bar.set_style(
                indicatif::ProgressStyle::with_template("{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            let started = Instant::now();
            let progress = |n: u64| bar.inc(n);
            let stats = match (&data_dir, &url) {
                (Some(d), None) => import_to_store(d, &files, &spec, &progress)?,
                (None, Some(u)) => {
                    import_to_server(u, token.as_deref().unwrap_or(""), &files, &spec, &progress)?
                }
                _ => bail!("give --data-dir DIR or --url URL --token T"),
            };
            bar.finish_and_clear();
            let secs = started.elapsed().as_secs_f64().max(1e-9);
            println!(
                "imported {} events ({:.1} MB) in {:.2} s: {:.0} events/s, {:.1} MB/s",
                stats.events,
                stats.bytes as f64 / 1e6,
                secs,
                stats.events as f64 / secs,
                stats.bytes as f64 / 1e6 / secs
            );
            if stats.truncated + stats.timestamp_unparsed + stats.bad_lines > 0 {
                println!(
                    "warnings: {} truncated, {} without a readable timestamp (receipt time used), {} unreadable lines skipped",
                    stats.truncated, stats.timestamp_unparsed, stats.bad_lines
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Search {
            data_dir,
            url,
            token,
            earliest,
            latest,
            output,
            limit,
            query,
        } => {
            let req = SearchRequest {
                query,
                earliest,
                latest,
                limit,
                now_ns: None,
                ..Default::default()
            };
            let resp = match (&data_dir, &url) {
                (Some(d), None) => {
                    let store = loupe::store::Store::open_read_only(d)?;
                    match loupe::search::run(&store, &SearchScope::default(), &req) {
                        Ok(r) => r,
                        Err(e) if e.is_query_error() => {
                            eprintln!("error: {e}");
                            return Ok(ExitCode::from(2));
                        }
                        Err(e) => return Err(e.into()),
                    }
                }
                (None, Some(u)) => match remote_search(u, token.as_deref().unwrap_or(""), &req)? {
                    Ok(r) => r,
                    Err(msg) => {
                        eprintln!("error: {msg}");
                        return Ok(ExitCode::from(2));
                    }
                },
                _ => bail!("give --data-dir DIR or --url URL --token T"),
            };
            print_results(&resp, output)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Explain {
            data_dir,
            earliest,
            latest,
            query,
        } => {
            let dir = data_dir.unwrap_or_else(|| PathBuf::from("/nonexistent/loupe-explain"));
            let store = loupe::store::Store::open_read_only(&dir)?;
            let req = SearchRequest {
                query,
                earliest,
                latest,
                limit: 100,
                now_ns: None,
                ..Default::default()
            };
            match loupe::search::explain(&store, &SearchScope::default(), &req) {
                Ok(plan) => {
                    println!("{}", serde_json::to_string_pretty(&plan)?);
                    Ok(ExitCode::SUCCESS)
                }
                Err(e @ loupe::search::SearchError::Syntax { .. }) => {
                    eprintln!("error: {e}");
                    Ok(ExitCode::from(2))
                }
                Err(
                    e @ (loupe::search::SearchError::Unsupported(_)
                    | loupe::search::SearchError::Plan { .. }),
                ) => {
                    eprintln!("error: {e}");
                    Ok(ExitCode::from(3))
                }
                Err(e) if e.is_query_error() => {
                    eprintln!("error: {e}");
                    Ok(ExitCode::from(2))
                }
                Err(e) => Err(e.into()),
            }
        }
        Command::Apply {
            url,
            token,
            data_dir,
            dry_run,
            path,
        } => config_cmd::apply(
            &path,
            dry_run,
            url.as_deref(),
            token.as_deref(),
            data_dir.as_deref(),
        ),
        Command::Export {
            url,
            token,
            data_dir,
            dir,
        } => config_cmd::export(&dir, url.as_deref(), token.as_deref(), data_dir.as_deref()),
        Command::Saved { url, token, action } => {
            saved_cmd::run(action, &url, &token)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Sourcetypes => {
            for name in loupe_event::sourcetype::builtin_names() {
                println!("{name}");
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Runs a search on a server; `Err(message)` is a query error (exit 2).
fn remote_search(
    url: &str,
    token: &str,
    req: &SearchRequest,
) -> anyhow::Result<Result<SearchResponse, String>> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let body = serde_json::json!({"query": req.query, "earliest": req.earliest, "latest": req.latest, "limit": req.limit});
    let mut resp = agent
        .post(&format!("{}/api/v1/search", url.trim_end_matches('/')))
        .header("Authorization", &format!("Bearer {token}"))
        .send_json(&body)
        .with_context(|| format!("cannot reach {url}"))?;
    let status = resp.status().as_u16();
    let text = resp.body_mut().read_to_string()?;
    let json: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("server answered {status}: {text}"))?;
    if status == 400 {
        return Ok(Err(json["error"].as_str().unwrap_or(&text).to_string()));
    }
    if status != 200 {
        bail!(
            "server answered {status}: {}",
            json["error"].as_str().unwrap_or(&text)
        );
    }
    let columns: Vec<String> = serde_json::from_value(json["columns"].clone()).unwrap_or_default();
    let rows: Vec<serde_json::Map<String, serde_json::Value>> =
        serde_json::from_value(json["rows"].clone()).unwrap_or_default();
    Ok(Ok(SearchResponse {
        columns,
        rows,
        ..Default::default()
    }))
}

fn cell(v: Option<&serde_json::Value>) -> String {
    match v {
        None | Some(serde_json::Value::Null) => String::new(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

fn print_results(resp: &SearchResponse, output: Output) -> anyhow::Result<()> {
    use std::io::Write;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match output {
        Output::Json => {
            for row in &resp.rows {
                serde_json::to_writer(&mut out, row)?;
                writeln!(out)?;
            }
        }
        Output::Csv => {
            writeln!(
                out,
                "{}",
                resp.columns
                    .iter()
                    .map(|c| csv_quote(c))
                    .collect::<Vec<_>>()
                    .join(",")
            )?;
            for row in &resp.rows {
                let cells: Vec<String> = resp
                    .columns
                    .iter()
                    .map(|c| csv_quote(&cell(row.get(c))))
                    .collect();
                writeln!(out, "{}", cells.join(","))?;
            }
        }
        Output::Table => {
            let widths: Vec<usize> = resp
                .columns
                .iter()
                .map(|c| {
                    resp.rows
                        .iter()
                        .map(|r| cell(r.get(c)).chars().count().min(120))
                        .max()
                        .unwrap_or(0)
                        .max(c.len())
                })
                .collect();
            let line = |cells: Vec<String>| -> String {
                cells
                    .iter()
                    .zip(&widths)
                    .map(|(c, w)| {
                        let c: String = c.chars().take(120).collect();
                        format!("{c:<w$}")
                    })
                    .collect::<Vec<_>>()
                    .join("  ")
                    .trim_end()
                    .to_string()
            };
            writeln!(out, "{}", line(resp.columns.clone()))?;
            for row in &resp.rows {
                writeln!(
                    out,
                    "{}",
                    line(resp.columns.iter().map(|c| cell(row.get(c))).collect())
                )?;
            }
        }
    }
    out.flush()?;
    Ok(())
}

fn csv_quote(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}
