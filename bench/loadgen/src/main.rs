//! proof-loadgen: sustained signed bank transfers at a target rate against a Proof chain,
//! reporting committed tx/s and submit->commit latency.
//!
//! ```text
//! proof-loadgen accounts --count 2000 --seed bench --coins 1000000000000uxyz > accounts.json
//! proofd testnet ... --genesis-accounts-file accounts.json      # fund the senders
//! proof-loadgen run --node http://127.0.0.1:26657 --rate 1000 --duration 30 --count 2000 --seed bench
//! proof-loadgen sweep --node ... --rates 500,1000,2000 --duration 30 --count 2000 --seed bench
//! proof-loadgen run ... --ibc-channel channel-0 --amount 1uxyz --gas 400000 --fee 10000uxyz
//! proof-loadgen ibc-report --a http://127.0.0.1:26657 --b ... --channel channel-0 --from-a H --from-b H
//! ```

mod deploy;
mod ibc;
mod keys;
mod metrics;
mod run;
mod sched;
mod stats;

use std::sync::Arc;

use anyhow::{bail, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};
use proof_sdk::{coin::parse_coins, KeyType};

use run::{BlockResults, PubkeyMode, RunOpts, Senders};

#[derive(Parser)]
#[command(name = "proof-loadgen", version, about)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Clone, Copy, ValueEnum)]
enum KeyKind {
    Ed25519,
    Secp256k1,
    Mldsa65,
    Hybrid,
}

impl From<KeyKind> for KeyType {
    fn from(k: KeyKind) -> Self {
        match k {
            KeyKind::Ed25519 => KeyType::Ed25519,
            KeyKind::Secp256k1 => KeyType::Secp256k1,
            KeyKind::Mldsa65 => KeyType::Mldsa65,
            KeyKind::Hybrid => KeyType::Hybrid,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Output {
    Text,
    Json,
}

#[derive(Args, Clone)]
struct KeyArgs {
    /// Number of sender accounts (same value for `accounts` and `run`).
    #[arg(long, default_value_t = 2000)]
    count: u32,
    /// Seed the sender keys are derived from (any string).
    #[arg(long, default_value = "proof-loadgen")]
    seed: String,
    #[arg(long, value_enum, default_value = "ed25519")]
    key_type: KeyKind,
}

#[derive(Args, Clone)]
struct LoadArgs {
    /// CometBFT RPC URL(s), comma separated; sender i submits to node i % N.
    #[arg(long, value_delimiter = ',', default_value = "http://127.0.0.1:26657")]
    node: Vec<String>,
    /// Measured seconds (after warmup).
    #[arg(long, default_value_t = 30.0)]
    duration: f64,
    /// Seconds of load before the measurement window.
    #[arg(long, default_value_t = 5.0)]
    warmup: f64,
    /// Chain id (default: read from the node's status).
    #[arg(long)]
    chain_id: Option<String>,
    /// Upper bound on concurrent broadcast requests.
    #[arg(long, default_value_t = 1024)]
    max_in_flight: usize,
    /// Block poll interval in milliseconds.
    #[arg(long, default_value_t = 50)]
    poll_ms: u64,
    /// Public key in every tx, or only in each sender's first.
    #[arg(long, value_enum, default_value = "always")]
    pubkey: PubkeyMode,
    /// proofd Prometheus URL(s) (e.g. http://127.0.0.1:26660/metrics), comma separated: report
    /// the node's ABCI time and CheckTx counts during the run.
    #[arg(long, value_delimiter = ',')]
    metrics: Vec<String>,
    /// When to read block_results for result codes: after the load (default; keeps CometBFT's
    /// costly JSON encoding of results out of the measurement), during it, or skip.
    #[arg(long, value_enum, default_value = "after")]
    block_results: BlockResults,
    /// Also report the CPU time of these processes over the run: NAME=PID, comma separated.
    #[arg(long, value_delimiter = ',')]
    watch_pid: Vec<String>,
    #[arg(long, default_value_t = 200_000)]
    gas: u64,
    #[arg(long, default_value = "5000uxyz")]
    fee: String,
    /// Amount each transfer sends.
    #[arg(long, default_value = "1uxyz")]
    amount: String,
    /// Contract workload: each tx transfers 1 token of this contract (see `deploy-token`)
    /// instead of sending `--amount`.
    #[arg(long)]
    token: Option<String>,
    /// IBC workload: each tx is an ICS-20 transfer of `--amount` on this channel of port
    /// `transfer`, to the recipient's address on the counterparty.
    #[arg(long, conflicts_with = "token")]
    ibc_channel: Option<String>,
    #[arg(long, value_enum, default_value = "text")]
    output: Output,
    /// No progress lines on stderr.
    #[arg(long)]
    quiet: bool,
    #[command(flatten)]
    keys: KeyArgs,
}

#[derive(Subcommand)]
enum Cmd {
    /// Print the genesis accounts file (JSON) funding the senders.
    Accounts {
        #[command(flatten)]
        keys: KeyArgs,
        /// Coins for each sender.
        #[arg(long, default_value = "1000000000000uxyz")]
        coins: String,
    },
    /// Upload and instantiate the token contract with a balance for every sender (sender 0
    /// pays); prints the contract address.
    DeployToken {
        #[command(flatten)]
        keys: KeyArgs,
        #[arg(long, default_value = "http://127.0.0.1:26657")]
        node: String,
        /// The token contract's wasm (contracts/artifacts/token.wasm).
        #[arg(long)]
        wasm: std::path::PathBuf,
        /// Tokens each sender starts with.
        #[arg(long, default_value_t = 1_000_000_000)]
        per_sender: u128,
    },
    /// What became of the ICS-20 packets sent on a channel of chain A to chain B: counts, the
    /// relay rate, and latency per direction in blocks and seconds (from both chains' blocks).
    IbcReport {
        /// Chain A's CometBFT RPC (where the packets were sent).
        #[arg(long)]
        a: String,
        /// Chain B's CometBFT RPC.
        #[arg(long)]
        b: String,
        /// The channel on A the packets left by.
        #[arg(long)]
        channel: String,
        /// First height of A to read (before the load started).
        #[arg(long)]
        from_a: u64,
        /// First height of B to read.
        #[arg(long)]
        from_b: u64,
        /// First wait up to this many seconds until every packet on the channel is
        /// acknowledged (or timed out).
        #[arg(long, default_value_t = 0)]
        wait_secs: u64,
        #[arg(long, value_enum, default_value = "text")]
        output: Output,
    },
    /// One load run at a fixed rate.
    Run {
        /// Target submissions per second.
        #[arg(long)]
        rate: f64,
        #[command(flatten)]
        load: LoadArgs,
    },
    /// Several runs, one per rate, then a table.
    Sweep {
        /// Comma-separated target rates.
        #[arg(long, value_delimiter = ',', required = true)]
        rates: Vec<f64>,
        #[command(flatten)]
        load: LoadArgs,
    },
}

fn run_opts(load: &LoadArgs, rate: f64) -> Result<RunOpts> {
    Ok(RunOpts {
        nodes: load
            .node
            .iter()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect(),
        rate,
        duration: load.duration,
        warmup: load.warmup,
        seed: load.keys.seed.clone(),
        key_type: load.keys.key_type.into(),
        chain_id: load.chain_id.clone(),
        max_in_flight: load.max_in_flight,
        poll_ms: load.poll_ms,
        pubkey: load.pubkey,
        metrics: load.metrics.clone(),
        block_results: load.block_results,
        watch: load
            .watch_pid
            .iter()
            .map(|w| metrics::parse_watch(w))
            .collect::<Result<_>>()?,
        gas: load.gas,
        fee: parse_coins(&load.fee)?,
        amount: parse_coins(&load.amount)?,
        token: load.token.as_deref().map(str::parse).transpose()?,
        ibc_channel: load.ibc_channel.clone(),
        quiet: load.quiet,
    })
}

fn derive(keys: &KeyArgs, quiet: bool) -> Result<Arc<Senders>> {
    let t = std::time::Instant::now();
    let kind: KeyType = keys.key_type.into();
    let s = Senders::derive(kind, &keys.seed, keys.count)?;
    if !quiet {
        eprintln!(
            "[loadgen] derived {} {kind} keys in {:.1} s",
            keys.count,
            t.elapsed().as_secs_f64()
        );
    }
    Ok(Arc::new(s))
}

#[tokio::main]
async fn main() -> Result<()> {
    let cli = Cli::parse();
    match cli.cmd {
        Cmd::Accounts { keys: k, coins } => {
            let s = Senders::derive(k.key_type.into(), &k.seed, k.count)?;
            let accounts = keys::genesis_accounts(&s.addrs, &coins)?;
            println!("{}", serde_json::to_string_pretty(&accounts)?);
        }
        Cmd::DeployToken {
            keys: k,
            node,
            wasm,
            per_sender,
        } => {
            let s = Senders::derive(k.key_type.into(), &k.seed, k.count)?;
            let c = proof_sdk::rpc::RpcClient::new(&node)?;
            let chain_id = c.chain_id().await?;
            let addr = deploy::deploy_token(&c, &chain_id, &s.keys[0], &wasm, &s.addrs, per_sender)
                .await?;
            println!("{addr}");
        }
        Cmd::IbcReport {
            a,
            b,
            channel,
            from_a,
            from_b,
            wait_secs,
            output,
        } => {
            let (a, b) = (
                proof_sdk::rpc::RpcClient::new(&a)?,
                proof_sdk::rpc::RpcClient::new(&b)?,
            );
            if wait_secs > 0 {
                ibc::wait_settled(&a, &channel, std::time::Duration::from_secs(wait_secs)).await?;
            }
            let r = ibc::report(&a, &b, &channel, from_a, from_b).await?;
            match output {
                Output::Json => println!("{}", serde_json::to_string_pretty(&r)?),
                Output::Text => ibc::print_text(&r),
            }
        }
        Cmd::Run { rate, load } => {
            let opts = run_opts(&load, rate)?;
            let senders = derive(&load.keys, load.quiet)?;
            let r = run::run(&opts, senders).await?;
            match load.output {
                Output::Json => println!("{}", serde_json::to_string_pretty(&r)?),
                Output::Text => run::print_text(&r),
            }
        }
        Cmd::Sweep { rates, load } => {
            if rates.is_empty() {
                bail!("--rates is empty");
            }
            let senders = derive(&load.keys, load.quiet)?;
            let mut reports = Vec::new();
            for rate in rates {
                let opts = run_opts(&load, rate)?;
                let r = run::run(&opts, senders.clone()).await?;
                if load.output == Output::Text {
                    run::print_text(&r);
                    println!();
                }
                reports.push(r);
            }
            match load.output {
                Output::Json => println!("{}", serde_json::to_string_pretty(&reports)?),
                Output::Text => {
                    println!(
                        "{:>8} {:>9} {:>9} {:>9} {:>9} {:>8} {:>8} {:>8} {:>8} {:>7} {:>8}",
                        "target",
                        "submit/s",
                        "commit/s",
                        "whole/s",
                        "rejected",
                        "p50 ms",
                        "p90 ms",
                        "p99 ms",
                        "max ms",
                        "blocks",
                        "tx/blk"
                    );
                    for r in &reports {
                        println!(
                            "{:>8.0} {:>9.1} {:>9.1} {:>9.1} {:>9} {:>8.0} {:>8.0} {:>8.0} {:>8.0} {:>7} {:>8.1}",
                            r.target_rate,
                            r.achieved_submit_rate,
                            r.window.sustained_tps,
                            r.overall_committed_tps,
                            r.rejected + r.rpc_errors,
                            r.latency.p50_ms,
                            r.latency.p90_ms,
                            r.latency.p99_ms,
                            r.latency.max_ms,
                            r.window.blocks,
                            r.window.mean_txs_per_block
                        );
                    }
                }
            }
        }
    }
    Ok(())
}
