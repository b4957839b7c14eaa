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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
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
