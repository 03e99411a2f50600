//! `proof-relayer`: create clients, connections and channels; relay packets.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use proof_relayer::config::Config;
use proof_relayer::metrics::{self, Metrics};
use proof_relayer::supervisor::PathWorker;
use proof_relayer::{connect, path_chains, setup};
use serde_json::json;

#[derive(Parser)]
#[command(
    name = "proof-relayer",
    version,
    about = "IBC relayer for Proof chain and Cosmos SDK chains"
)]
struct Cli {
    /// The relayer's config (chains and paths).
    #[arg(long, env = "PROOF_RELAYER_CONFIG")]
    config: PathBuf,
    /// A file whose first line is the keyring password (else `PROOF_KEYRING_PASSWORD`).
    #[arg(long)]
    password_file: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Output::Text)]
    output: Output,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum Output {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Cmd {
    /// Create what a path lacks.
    #[command(subcommand)]
    Create(Create),
    /// Relay what is pending on a path now (both directions), then stop.
    Clear {
        #[arg(long)]
        path: String,
    },
    /// Relay every path (or the named ones) until interrupted.
    Start {
        #[arg(long)]
        path: Vec<String>,
    },
}

#[derive(Subcommand)]
enum Create {
    /// A client of `reference` on `host`.
    Client {
        #[arg(long)]
        host: String,
        #[arg(long)]
        reference: String,
    },
    /// Clients, connection and channel of a configured path (whatever it lacks).
    Path { name: String },
}

fn password(cli: &Cli) -> Result<String> {
    let p = proof_sdk::keystore::given_password(cli.password_file.as_deref())?
        .context("no keyring password: set PROOF_KEYRING_PASSWORD or pass --password-file")?;
    Ok(p.to_string())
}

fn say(out: Output, text: String, value: serde_json::Value) {
    match out {
        Output::Text => println!("{text}"),
        Output::Json => println!("{value}"),
    }
}

#[tokio::main]
async fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "proof_relayer=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let mut cfg = Config::load(&cli.config)?;
    let pw = password(&cli)?;
    match &cli.cmd {
        Cmd::Create(Create::Client { host, reference }) => {
            let h = connect(cfg.chain(host).context("no such host chain")?, &pw)?;
            let r = connect(
                cfg.chain(reference).context("no such reference chain")?,
                &pw,
            )?;
            let id = setup::create_client(&h, &r).await?;
            say(
                cli.output,
                format!("created client {id} on {host}"),
                json!({"chain": host, "client_id": id}),
            );
        }
        Cmd::Create(Create::Path { name }) => {
            let (a, b) = path_chains(&cfg, name, &pw)?;
            setup::create_path(&mut cfg, &cli.config, name, &a, &b).await?;
            let p = cfg.path(name)?;
            say(
                cli.output,
                format!(
                    "path {name}: {} {} {} {} <-> {} {} {} {}",
                    p.a.chain,
                    p.a.client.as_deref().unwrap_or("-"),
                    p.a.connection.as_deref().unwrap_or("-"),
                    p.a.channel.as_deref().unwrap_or("-"),
                    p.b.chain,
                    p.b.client.as_deref().unwrap_or("-"),
                    p.b.connection.as_deref().unwrap_or("-"),
                    p.b.channel.as_deref().unwrap_or("-"),
                ),
                serde_json::to_value(p)?,
            );
        }
        Cmd::Clear { path } => {
            let (a, b) = path_chains(&cfg, path, &pw)?;
            let w = PathWorker {
                name: path.clone(),
                a,
                b,
                path: cfg.path(path)?.clone(),
                global: cfg.global.clone(),
                metrics: Metrics::new(),
            };
            let r = w.clear().await?;
            say(
                cli.output,
                format!(
                    "path {path}: {} received, {} acknowledged, {} timed out in {} transactions",
                    r.received, r.acknowledged, r.timed_out, r.txs
                ),
                json!({"path": path, "received": r.received, "acknowledged": r.acknowledged, "timed_out": r.timed_out, "txs": r.txs}),
            );
        }
        Cmd::Start { path } => {
            let m = Metrics::new();
            if let Some(addr) = cfg.global.metrics_addr.clone() {
                let m = m.clone();
                tokio::spawn(async move {
                    if let Err(e) = metrics::serve(&addr, m).await {
                        tracing::error!(error = %e, "metrics server stopped");
                    }
                });
            }
            let names: Vec<String> = if path.is_empty() {
                cfg.paths.iter().map(|p| p.name.clone()).collect()
            } else {
                path.clone()
            };
            let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
            let mut workers = Vec::new();
            for name in &names {
                let (a, b) = path_chains(&cfg, name, &pw)?;
                let w = PathWorker {
                    name: name.clone(),
                    a,
                    b,
                    path: cfg.path(name)?.clone(),
                    global: cfg.global.clone(),
                    metrics: m.clone(),
                };
                let rx = stop_rx.clone();
                workers.push(tokio::spawn(async move { w.run(rx).await }));
            }
            tracing::info!(paths = ?names, "relaying");
            tokio::signal::ctrl_c().await?;
            let _ = stop_tx.send(true);
            for w in workers {
                if let Ok(Err(e)) = w.await {
                    tracing::error!(error = %format!("{e:#}"), "worker stopped");
                }
            }
        }
    }
    Ok(())
}
