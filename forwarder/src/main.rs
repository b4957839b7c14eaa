//! `loupe-forwarder --config forwarder.toml [--once] [--check]`, `run -- JOB`, `service …`:
//! see the library docs.

use anyhow::Context;
use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;

/// Tails log files and ships them to a Loupe indexer over HEC.
#[derive(Parser, Debug)]
#[command(name = "loupe-forwarder", version)]
struct Cli {
    /// The forwarder's TOML configuration [default: /etc/loupe-forwarder/forwarder.toml;
    /// on Windows %ProgramData%\Loupe\forwarder.toml].
    #[arg(long, short)]
    config: Option<PathBuf>,
    /// Ship what exists now, wait for acknowledgements, exit.
    #[arg(long)]
    once: bool,
    /// Validate the configuration and exit (0 valid, 1 not).
    #[arg(long)]
    check: bool,
    #[command(subcommand)]
    job: Option<Job>,
}

#[derive(clap::Subcommand, Debug)]
enum Job {
    /// Run a job that writes no log and ship an event at its start and one at its end (exit
    /// code, duration, last lines of output); exits with the job's code.
    Run {
        /// The job's name (its events' source is `job:NAME`).
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "main")]
        index: String,
        /// Seconds to wait for the indexer at the end before leaving the events spooled.
        #[arg(long, default_value_t = 30)]
        ship_timeout: u64,
        /// The command and its arguments, after `--`.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
        command: Vec<String>,
    },
    /// Windows: install, remove, start or stop the forwarder as the service `LoupeForwarder`
    /// (run as an administrator), with this `--config`.
    Service {
        #[command(subcommand)]
        action: ServiceAction,
    },
}

#[derive(clap::Subcommand, Debug, Clone, Copy)]
enum ServiceAction {
    /// Register the service (automatic start, LocalSystem) with this `--config`, checked first.
    Install,
    /// Stop it if it runs, then remove it.
    Uninstall,
    /// Start it and wait until it runs.
    Start,
    /// Stop it and wait until it has stopped (its checkpoints written).
    Stop,
    /// What the service manager starts (not for a console).
    #[command(hide = true)]
    Run,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = cli
        .config
        .clone()
        .unwrap_or_else(loupe_forwarder::winpath::default_config);
    if let Some(Job::Service { action }) = &cli.job {
        use loupe_forwarder::service;
        let r = match action {
            ServiceAction::Install => service::install(&config),
            ServiceAction::Uninstall => service::uninstall(),
            ServiceAction::Start => service::start(),
            ServiceAction::Stop => service::stop(),
            ServiceAction::Run => service::dispatch(&config),
        };
        return match r {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("loupe-forwarder service: {e}");
                ExitCode::FAILURE
            }
        };
    }
    if let Some(Job::Run {
        name,
        index,
        ship_timeout,
        command,
    }) = &cli.job
    {
        let spec = loupe_forwarder::job::JobSpec {
            name: name.clone(),
            command: command.clone(),
            index: index.clone(),
            ship_timeout: std::time::Duration::from_secs(*ship_timeout),
        };
        let outcome = loupe_forwarder::Config::load(&config)
            .map_err(anyhow::Error::from)
            .and_then(|cfg| loupe_forwarder::job::run(&cfg, &spec).map_err(anyhow::Error::from));
        return match outcome {
            Ok(o) => {
                if o.pending > 0 {
                    eprintln!(
                        "loupe-forwarder run: the indexer is unreachable; {} event batch(es) kept in the spool for the next run",
                        o.pending
                    );
                }
                ExitCode::from(o.exit_code.clamp(0, 255) as u8)
            }
            Err(e) => {
                eprintln!("loupe-forwarder run: {e:#}");
                ExitCode::FAILURE
            }
        };
    }
    match run(&cli, &config) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("loupe-forwarder: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: &Cli, path: &std::path::Path) -> anyhow::Result<()> {
    let config = loupe_forwarder::Config::load(path)?;
    if cli.check {
        // Builds the HTTP client too: TLS files that are not PEM certificates and keys fail here.
        loupe_forwarder::ship::Shipper::new(
            &config.output,
            String::new(),
            std::sync::Arc::new(loupe_forwarder::stats::Stats::default()),
        )
        .with_context(|| format!("{}: [output]", path.display()))?;
        println!(
            "{}: ok ({} input(s), {} indexer(s))",
            path.display(),
            config.inputs.len(),
            config.output.urls.len()
        );
        return Ok(());
    }
    let summary = loupe_forwarder::run(
        &config,
        &loupe_forwarder::RunOptions {
            once: cli.once,
            ..Default::default()
        },
    )
    .context("forwarder stopped")?;
    if cli.once {
        eprintln!(
            "loupe-forwarder: shipped {} events ({} batches dropped)",
            summary.events, summary.dropped_batches
        );
    }
    Ok(())
}
