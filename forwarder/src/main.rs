//! `loupe-forwarder --config forwarder.toml [--once] [--check]`: see the library docs.

use anyhow::Context;
use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;

/// Tails log files and ships them to a Loupe indexer over HEC.
#[derive(Parser, Debug)]
#[command(name = "loupe-forwarder", version)]
struct Cli {
    /// The forwarder's TOML configuration.
    #[arg(long, short, default_value = "/etc/loupe-forwarder/forwarder.toml")]
    config: PathBuf,
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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
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
        let outcome = loupe_forwarder::Config::load(&cli.config)
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
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("loupe-forwarder: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: &Cli) -> anyhow::Result<()> {
    let config = loupe_forwarder::Config::load(&cli.config)?;
    if cli.check {
        // Builds the HTTP client too: TLS files that are not PEM certificates and keys fail here.
        loupe_forwarder::ship::Shipper::new(
            &config.output,
            String::new(),
            std::sync::Arc::new(loupe_forwarder::stats::Stats::default()),
        )
        .with_context(|| format!("{}: [output]", cli.config.display()))?;
        println!(
            "{}: ok ({} input(s), {} indexer(s))",
            cli.config.display(),
            config.inputs.len(),
            config.output.urls.len()
        );
        return Ok(());
    }
    let summary = loupe_forwarder::run(&config, &loupe_forwarder::RunOptions { once: cli.once })
        .context("forwarder stopped")?;
    if cli.once {
        eprintln!(
            "loupe-forwarder: shipped {} events ({} batches dropped)",
            summary.events, summary.dropped_batches
        );
    }
    Ok(())
}
