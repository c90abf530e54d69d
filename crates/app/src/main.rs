//! The `agencyflow` binary: parses the command line and hands off.

mod cli;
mod commands;
mod config;
mod demo;
mod import_export;
mod jobs_cmd;
mod runtime;

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // One TLS crypto provider for sqlx, lettre and reqwest; without this the
    // first TLS handshake panics when more than one is compiled in.
    let _ = rustls::crypto::ring::default_provider().install_default();
    // A `.env` in the working folder fills variables the environment does
    // not set, so a PAUTA install's `.env` works unchanged.
    let dotenv = dotenvy::dotenv();
    init_tracing();
    if let Err(e) = &dotenv
        && !e.not_found()
    {
        tracing::warn!(error = %e, "could not read .env");
    }
    let cli = cli::Cli::parse();
    match commands::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("AF_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_sessions=warn"));
    let json = std::env::var("AF_LOG_FORMAT").is_ok_and(|v| v == "json");
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}
