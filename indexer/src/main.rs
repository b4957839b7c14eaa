//! `loupe`: the indexer's command line (DESIGN.md §3).

use anyhow::{bail, Context};
use clap::{Parser, Subcommand, ValueEnum};
use loupe::config::Config;
use loupe::import::{import_to_server, import_to_store, ImportSpec, InputFormat};
use loupe::search::{SearchRequest, SearchResponse, SearchScope};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

mod access_cmd;
mod config_cmd;
mod dashboard_cmd;
mod erase_cmd;
mod saved_cmd;

/// Indexing threads allocate and free constantly; glibc's arenas contend, mimalloc does not.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc 3's `mi_option_e` (libmimalloc-sys 0.1.49 names no
/// constant for it).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Freed memory goes back to the system 10 ms after it is freed (100 ms for whole arenas),
/// as in mimalloc 2, not after mimalloc 3's 1 s (10 s for arenas): under HEC ingest every
/// commit frees a segment's indexing arenas and the next one allocates new ones, and with the
/// long delay the server kept about 400 MiB resident for 165 MiB of live heap (with it: about
/// 290 MiB, for some 10 % more CPU; `make bench`, "HEC over HTTP").
/// An operator's `MIMALLOC_PURGE_DELAY` wins.
fn return_freed_memory_promptly() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
        return;
    }
    // SAFETY: sets one of mimalloc's integer options, which it reads atomically; any value is
    // valid for this option.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 10) }
}

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
        /// A `loupe.toml` whose `[sourcetypes.NAME]` tables define custom sourcetypes.
        #[arg(long)]
        config: Option<PathBuf>,
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
        /// A `loupe.toml` whose `[sourcetypes.NAME]` extractions apply.
        #[arg(long)]
        config: Option<PathBuf>,
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
    /// List the built-in and custom sourcetypes, or `test` one on a file.
    Sourcetypes {
        /// A `loupe.toml` whose `[sourcetypes.NAME]` tables are listed and tested too.
        #[arg(long, global = true)]
        config: Option<PathBuf>,
        #[command(subcommand)]
        action: Option<SourcetypesAction>,
    },
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
    /// Dashboards of a running server: list, import FILE, export ID (JSON files).
    Dashboard {
        #[arg(long, env = "LOUPE_URL", default_value = "http://127.0.0.1:8088")]
        url: String,
        #[arg(long, env = "LOUPE_TOKEN")]
        token: String,
        #[command(subcommand)]
        action: dashboard_cmd::DashboardAction,
    },
    /// Users of a data dir: add, passwd, del, list.
    User {
        #[arg(long, global = true)]
        config: Option<PathBuf>,
        #[arg(long, global = true)]
        data_dir: Option<PathBuf>,
        #[command(subcommand)]
        action: access_cmd::UserAction,
    },
    /// API tokens of users: create (printed once), list.
    Token {
        #[arg(long, global = true)]
        config: Option<PathBuf>,
        #[arg(long, global = true)]
        data_dir: Option<PathBuf>,
        #[command(subcommand)]
        action: access_cmd::TokenAction,
    },
    /// Erase events on request (GDPR art. 17): shows what SEARCH matches in INDEX; with
    /// `--yes` deletes them from the buckets and the write-ahead log. Exit 0 done or shown,
    /// 2 invalid search, 3 refused (above `[access] erase_max_events` without `--force`).
    Erase {
        /// A `loupe.toml` whose `[access] erase_max_events` applies (offline).
        #[arg(long)]
        config: Option<PathBuf>,
        #[arg(long, conflicts_with = "url")]
        data_dir: Option<PathBuf>,
        #[arg(long, requires = "token")]
        url: Option<String>,
        #[arg(long, env = "LOUPE_TOKEN")]
        token: Option<String>,
        #[arg(long)]
        index: String,
        #[arg(long)]
        earliest: Option<String>,
        #[arg(long)]
        latest: Option<String>,
        /// Erase; without it nothing changes (a dry run).
        #[arg(long)]
        yes: bool,
        /// Erase even above `[access] erase_max_events`.
        #[arg(long)]
        force: bool,
        /// Matching events a dry run prints.
        #[arg(long, default_value_t = 5)]
        sample: usize,
        /// A search expression (no `|`): terms, "phrases", field=value, earliest=…
        search: String,
    },
    /// The audit trail: verify its hash chain.
    Audit {
        #[arg(long, global = true)]
        config: Option<PathBuf>,
        #[arg(long, global = true)]
        data_dir: Option<PathBuf>,
        #[command(subcommand)]
        action: access_cmd::AuditAction,
    },
}

#[derive(Subcommand)]
enum SourcetypesAction {
    /// How the first events of FILE break under NAME and which `_time` each gets, and why.
    Test {
        name: String,
        file: PathBuf,
        /// How many events to show.
        #[arg(long, default_value_t = 10)]
        events: usize,
        /// Year of year-less timestamps (default: the file's modification year).
        #[arg(long)]
        year: Option<i32>,
        /// Zone of zone-less timestamps (IANA; default: the config's, else UTC).
        #[arg(long)]
        timezone: Option<String>,
    },
}

/// Reads `--config` (when given) and installs its sourcetypes for this process.
fn load_sourcetypes(config: Option<&std::path::Path>) -> anyhow::Result<Option<Config>> {
    let Some(path) = config else {
        return Ok(None);
    };
    let cfg = Config::load(path)?;
    loupe_event::props::install(cfg.sourcetype_table()?);
    Ok(Some(cfg))
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
    return_freed_memory_promptly();
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
        Command::User {
            config,
            data_dir,
            action,
        } => access_cmd::user(&access_cmd::Place { config, data_dir }, action),
        Command::Token {
            config,
            data_dir,
            action,
        } => access_cmd::token(&access_cmd::Place { config, data_dir }, action),
        Command::Audit {
            config,
            data_dir,
            action,
        } => access_cmd::audit(&access_cmd::Place { config, data_dir }, action),
        Command::Erase {
            config,
            data_dir,
            url,
            token,
            index,
            earliest,
            latest,
            yes,
            force,
            sample,
            search,
        } => erase_cmd::run(erase_cmd::EraseArgs {
            config,
            data_dir,
            url,
            token,
            request: loupe::erase::EraseRequest {
                index,
                search,
                earliest,
                latest,
            },
            yes,
            force,
            sample,
        }),
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
            loupe_event::props::install(cfg.sourcetype_table()?);
            let rt = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            rt.block_on(loupe::server::serve(cfg))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Import {
            config,
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
            load_sourcetypes(config.as_deref())?;
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
            config,
            data_dir,
            url,
            token,
            earliest,
            latest,
            output,
            limit,
            query,
        } => {
            let cfg = load_sourcetypes(config.as_deref())?;
            // `iplocation` offline reads the database the config names, as the server does.
            let geo = match cfg.as_ref().and_then(|c| c.geoip.as_ref()) {
                Some(g) => Some(Arc::new(loupe::geoip::MmdbGeolocator::open(&g.database)?)
                    as Arc<dyn loupe_query::Geolocator>),
                None => None,
            };
            let req = SearchRequest {
                query,
                earliest,
                latest,
                limit,
                now_ns: None,
                geo,
                ..Default::default()
            };
            let resp = match (&data_dir, &url) {
                (Some(d), None) => {
                    let store = open_for_offline_search(d)?;
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
        Command::Dashboard { url, token, action } => {
            dashboard_cmd::run(action, &url, &token)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Sourcetypes { config, action } => {
            let cfg = load_sourcetypes(config.as_deref())?;
            let table = match &cfg {
                Some(c) => c.sourcetype_table()?,
                None => Default::default(),
            };
            match action {
                None => {
                    for st in table.custom() {
                        println!("{:<18} {}", st.name(), st.describe());
                    }
                    for st in loupe_event::sourcetype::builtins() {
                        println!("{:<18} built-in: {}", st.name(), st.describe());
                    }
                    println!("(any other name behaves as auto and keeps its name)");
                }
                Some(SourcetypesAction::Test {
                    name,
                    file,
                    events,
                    year,
                    timezone,
                }) => sourcetypes_test(&table, cfg.as_ref(), &name, &file, events, year, timezone)?,
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `loupe sourcetypes test`: the preview of a file's first events, printed.
fn sourcetypes_test(
    table: &loupe_event::props::SourcetypeTable,
    cfg: Option<&Config>,
    name: &str,
    file: &std::path::Path,
    events: usize,
    year: Option<i32>,
    timezone: Option<String>,
) -> anyhow::Result<()> {
    use std::io::Read;
    let st = table.resolve(name);
    let tz = match timezone {
        Some(t) => jiff::tz::TimeZone::get(&t).with_context(|| format!("time zone {t:?}"))?,
        None => cfg
            .map(Config::time_zone)
            .unwrap_or(jiff::tz::TimeZone::UTC),
    };
    let f = std::fs::File::open(file).with_context(|| format!("{}", file.display()))?;
    let mtime_year = f
        .metadata()
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| jiff::Timestamp::try_from(t).ok())
        .map(|t| t.to_zoned_datetime(tz.clone()).year() as i32);
    let mut bytes = Vec::new();
    f.take(4 << 20)
        .read_to_end(&mut bytes)
        .with_context(|| format!("{}", file.display()))?;
    let ctx = loupe_event::TimeContext::new(year.or(mtime_year).unwrap_or(1970), tz.clone());
    let kind = if table.is_custom(name) {
        "custom"
    } else if st.is_auto() {
        "auto"
    } else {
        "built-in"
    };
    println!("sourcetype {} ({kind}): {}", st.name(), st.describe());
    let shown = loupe::preview::preview(&st, &bytes, &ctx, 1 << 20, events);
    // Times shown in the zone they were read in.
    let tz = st
        .definition()
        .and_then(|d| d.timezone())
        .cloned()
        .unwrap_or(tz);
    let mut unparsed = 0;
    for (i, ev) in shown.iter().enumerate() {
        let lines = ev.text.lines().count();
        if ev.header {
            println!("#{:<3} {}", i + 1, ev.why);
        } else {
            let time = match ev.time_ns {
                Some(ns) => jiff::Timestamp::from_nanosecond(i128::from(ns))
                    .map(|t| t.to_zoned_datetime(tz.clone()).to_string())
                    .unwrap_or_else(|_| ns.to_string()),
                None => {
                    unparsed += 1;
                    "-".to_string()
                }
            };
            println!(
                "#{:<3} _time={time}  ({}){}  {} line(s)",
                i + 1,
                ev.why,
                if ev.truncated { " truncated" } else { "" },
                lines
            );
            for (k, v) in &ev.fields {
                println!("       {k}={v}");
            }
        }
        for l in ev.text.lines().take(6) {
            let l: String = l.chars().take(160).collect();
            println!("     | {l}");
        }
        if lines > 6 {
            println!("     | ... {} more line(s)", lines - 6);
        }
    }
    let n = shown.iter().filter(|e| !e.header).count();
    println!("{n} event(s) shown, {unparsed} without a timestamp");
    Ok(())
}

/// The store of `--data-dir` for a search without a server. When no server holds the data
/// dir, the write-ahead log's uncommitted tail (what a `kill -9` left acknowledged but not yet
/// committed) is recovered first, so every acknowledged event is found; when one does, what
/// it committed is read and the user is told where the rest is.
fn open_for_offline_search(dir: &std::path::Path) -> anyhow::Result<loupe::store::Store> {
    use loupe::store::{Store, StoreError};
    if !dir.join("indexes").is_dir() {
        return Ok(Store::open_read_only(dir)?);
    }
    match Store::open(dir) {
        Ok(store) => {
            let store = std::sync::Arc::new(store);
            let n = loupe::ingest::pipeline::recover(&store)
                .with_context(|| format!("recovering the write-ahead log of {}", dir.display()))?;
            if n > 0 {
                eprintln!("recovered {n} acknowledged event(s) from the write-ahead log");
            }
            drop(store);
            Ok(Store::open_read_only(dir)?)
        }
        Err(StoreError::Locked(_)) => {
            eprintln!(
                "note: a server is running on {}: events it acknowledged in the last commit interval may be missing here; search through --url URL for all of them",
                dir.display()
            );
            Ok(Store::open_read_only(dir)?)
        }
        Err(e) => Err(e.into()),
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
    let body = serde_json::json!({"query": req.query, "earliest": req.earliest, "latest": req.latest, "limit": req.limit, "output": "rows"});
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
