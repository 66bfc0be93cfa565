//! The `downballot` command line: one documented configuration, one subcommand per task.
//! Errors surface as one line on stderr with the cause chain and exit code 1.

/// Subcommand implementations.
pub mod commands;
/// The command-line and environment configuration.
pub mod config;
/// District commands: import boundaries and the catalog, look up points, re-resolve people.
pub mod geo;
/// Race commands: import results and upcoming races, competition summaries.
pub mod races;

use std::process::ExitCode;

use clap::Parser;

/// Runs the command line and returns the process exit code.
pub fn main() -> ExitCode {
    let cli = config::Cli::parse();
    init_logging(&cli);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cli.worker_threads.unwrap_or(2).max(1))
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("downballot: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("downballot: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(cli: &config::Cli) {
    use tracing_subscriber::EnvFilter;
    // The server logs what it does; one-shot commands print their own summary, so by default
    // they log only warnings (migrations applied, writer stopped … stay out of a terminal).
    let default = match cli.command {
        config::Command::Serve { .. } => "info",
        _ => "warn",
    };
    let filter =
        EnvFilter::try_from_env("DOWNBALLOT_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if cli.log_json {
        builder.json().init();
    } else {
        builder.init();
    }
}
