//! `proof-rollup`: run a rollup's operator (`start`), or rebuild a rollup's state from the chain
//! alone and compare it with what the chain verified (`rebuild`).

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use proof_rollup::operator::{run, OperatorConfig};
use proof_sdk::keystore::Keystore;
use proof_sdk::rpc::RpcClient;
use proof_sdk::Address;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Parser)]
#[command(
    name = "proof-rollup",
    version,
    about = "The operator of a Proof L3 rollup"
)]
struct Cli {
    /// CometBFT RPC address of a node
    #[arg(
        long,
        global = true,
        env = "PROOF_NODE",
        default_value = "http://127.0.0.1:26657"
    )]
    node: String,
    /// The rollup-verifier contract
    #[arg(long, global = true, env = "PROOF_ROLLUP_VERIFIER")]
    verifier: Option<String>,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run the operator: API, sequencer, provers, poster
    Start(Box<StartArgs>),
    /// Rebuild the rollup's state from the batch data on the chain (no operator database) and
    /// check it against the verified root
    Rebuild {
        rollup: u32,
        /// `json`: one JSON document on stdout
        #[arg(long, short = 'o', default_value = "text")]
        output: String,
    },
}

#[derive(clap::Args)]
struct StartArgs {
    /// The rollup this operator runs (its id in the verifier)
    #[arg(long)]
    rollup: u32,
    /// Journal and receipt key live here
    #[arg(long, env = "PROOF_ROLLUP_HOME", default_value = ".proof-rollup")]
    home: PathBuf,
    /// The xx settlement contract [default: the verifier's]
    #[arg(long, env = "PROOF_XX")]
    xx: Option<String>,
    /// The operator's chain key: its name in the keyring
    #[arg(long)]
    from: String,
    /// The keyring (a `proof` client's HOME/keys)
    #[arg(long, env = "PROOF_KEYRING_DIR")]
    keyring_dir: PathBuf,
    /// Read the keyring password from this file's first line (PROOF_KEYRING_PASSWORD wins)
    #[arg(long)]
    password_file: Option<PathBuf>,
    /// Where the API (and /metrics) listens
    #[arg(long, default_value = "127.0.0.1:7780")]
    listen: SocketAddr,
    /// Prover worker threads
    #[arg(long, default_value_t = 2)]
    provers: usize,
    /// Operations per batch
    #[arg(long, default_value_t = 256)]
    batch_size: usize,
    /// A batch closes this many milliseconds after its first operation
    #[arg(long, default_value_t = 2000)]
    batch_ms: u64,
    /// The least fee a transfer or withdrawal pays
    #[arg(long, default_value_t = 1)]
    min_fee: u64,
    /// Proving parameter cache [default: $PROOF_ZK_PARAMS or <tmp>/proof-zk-params]
    #[arg(long)]
    params_dir: Option<PathBuf>,
    #[arg(long, default_value_t = 1.3)]
    gas_adjustment: f64,
    /// How often the xx deposit queue is read
    #[arg(long, default_value_t = 1000)]
    deposit_poll_ms: u64,
    /// Batches allowed to wait for proofs before transfers are refused
    #[arg(long, default_value_t = 64)]
    max_pending_batches: u64,
}

fn password(file: Option<&PathBuf>) -> Result<zeroize::Zeroizing<String>> {
    proof_sdk::keystore::given_password(file.map(|f| f.as_path()))
        .context("reading --password-file")?
        .context("the keyring password: set PROOF_KEYRING_PASSWORD or pass --password-file")
}

fn verifier(v: Option<String>) -> Result<Address> {
    let v = v.context(
        "the rollup-verifier contract: pass --verifier proof1... or set PROOF_ROLLUP_VERIFIER",
    )?;
    v.parse()
        .map_err(|e| anyhow::anyhow!("invalid --verifier {v:?}: {e}"))
}

#[tokio::main]
async fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let cli = Cli::parse();
    match cli.cmd {
        Cmd::Start(a) => {
            let pw = password(a.password_file.as_ref())?;
            let key = Keystore::open(&a.keyring_dir)
                .signing_key(&a.from, &pw)
                .with_context(|| {
                    format!("unlocking key {:?} in {}", a.from, a.keyring_dir.display())
                })?;
            let xx =
                a.xx.map(|x| {
                    x.parse()
                        .map_err(|e| anyhow::anyhow!("invalid --xx {x:?}: {e}"))
                })
                .transpose()?;
            run(OperatorConfig {
                home: a.home,
                node: cli.node,
                verifier: verifier(cli.verifier)?,
                xx,
                rollup: a.rollup,
                key,
                listen: a.listen,
                provers: a.provers,
                batch_size: a.batch_size.max(1),
                batch_time: Duration::from_millis(a.batch_ms),
                min_fee: a.min_fee,
                params_dir: a.params_dir.unwrap_or_else(proof_zk::ZkParams::default_dir),
                gas_adjustment: a.gas_adjustment,
                deposit_poll: Duration::from_millis(a.deposit_poll_ms),
                max_pending_batches: a.max_pending_batches,
            })
            .await
        }
        Cmd::Rebuild { rollup, output } => {
            let rpc = RpcClient::new(&cli.node)?;
            let verifier = verifier(cli.verifier)?;
            let (info, tree) =
                proof_rollup::chain::rebuild(&rpc, &verifier, rollup, |done, total| {
                    if output != "json" {
                        eprint!("\rreplaying batch {done}/{total}");
                    }
                })
                .await?;
            let root = hex::encode(proof_zk::f_to_bytes(&tree.root()));
            if output == "json" {
                println!(
                    "{}",
                    serde_json::json!({"rollup": rollup, "batches": info.batch_index,
                        "root": root, "accounts": tree.len(), "matches_chain": true})
                );
            } else {
                eprintln!();
                println!(
                    "rollup {rollup}: {} batches replayed from the chain, {} accounts, root {root} (the verified root)",
                    info.batch_index,
                    tree.len()
                );
            }
            Ok(())
        }
    }
}
