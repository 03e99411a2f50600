//! `proof`: the command-line client of the Proof chain (keys, queries, transactions).

mod amm;
mod gov;
mod ibc;
mod keys;
mod output;
mod password;
mod progress;
mod query;
mod rollup;
mod rpc_util;
mod staking;
mod submit;
mod tx;
mod util;
mod wasm_query;
mod wasm_tx;
mod yy;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

use output::OutputFormat;
use proof_sdk::keystore::Keystore;
use proof_sdk::rpc::RpcClient;

/// Test-only: makes newly created keys use cheap argon2 parameters so test suites run fast.
/// Keys created this way are easy to brute-force; never set it for real keys.
pub const INSECURE_FAST_KDF_ENV: &str = "PROOF_KEYRING_INSECURE_FAST_KDF";

#[derive(Parser)]
#[command(
    name = "proof",
    version,
    about = "Keys, queries and transactions for the Proof chain"
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

    /// Output format; `json` prints exactly one JSON document on stdout
    #[arg(long, short = 'o', global = true, value_enum, default_value_t = OutputFormat::Text)]
    output: OutputFormat,

    /// Client home directory (keys live in HOME/keys) [default: ~/.proof]
    #[arg(long, global = true, env = "PROOF_HOME")]
    home: Option<PathBuf>,

    /// Keys directory (overrides HOME/keys)
    #[arg(long, global = true)]
    keyring_dir: Option<PathBuf>,

    /// Read the keyring password from the first line of this file
    /// (PROOF_KEYRING_PASSWORD takes precedence; otherwise you are prompted)
    #[arg(long, global = true)]
    password_file: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Manage the local encrypted keyring
    Keys {
        #[command(subcommand)]
        cmd: keys::KeysCmd,
    },
    /// Read chain state from a node
    #[command(alias = "q")]
    Query {
        #[command(subcommand)]
        cmd: query::QueryCmd,
    },
    /// Sign and broadcast transactions
    Tx {
        #[command(subcommand)]
        cmd: tx::TxCmd,
    },
    /// The L3 wallet: rollup keys, transfers and withdrawals through a rollup's operator
    Rollup(rollup::RollupArgs),
}

/// What every command needs from the global flags.
pub struct Ctx {
    node: String,
    pub output: OutputFormat,
    keys_dir: PathBuf,
    pub password_file: Option<PathBuf>,
}

impl Ctx {
    fn from_cli(cli: &Cli) -> Result<Self> {
        let keys_dir = match (&cli.keyring_dir, &cli.home) {
            (Some(dir), _) => dir.clone(),
            (None, Some(home)) => home.join("keys"),
            (None, None) => default_home()?.join("keys"),
        };
        Ok(Self {
            node: cli.node.clone(),
            output: cli.output,
            keys_dir,
            password_file: cli.password_file.clone(),
        })
    }

    pub fn keystore(&self) -> Keystore {
        if fast_kdf_requested() {
            Keystore::open_insecure_fast(&self.keys_dir)
        } else {
            Keystore::open(&self.keys_dir)
        }
    }

    pub fn keys_dir(&self) -> &std::path::Path {
        &self.keys_dir
    }

    /// Where the light client keeps the last header it verified per chain (beside the keys).
    pub fn trust_store(&self) -> proof_sdk::light::TrustStore {
        let home = self.keys_dir.parent().unwrap_or(&self.keys_dir);
        proof_sdk::light::TrustStore {
            dir: home.join("light"),
        }
    }

    pub fn rpc(&self) -> Result<RpcClient> {
        RpcClient::new(&self.node).with_context(|| format!("invalid --node {:?}", self.node))
    }
}

pub fn fast_kdf_requested() -> bool {
    std::env::var(INSECURE_FAST_KDF_ENV).is_ok_and(|v| v == "1")
}

fn default_home() -> Result<PathBuf> {
    let home = std::env::var_os("HOME")
        .or_else(|| std::env::var_os("USERPROFILE"))
        .filter(|h| !h.is_empty())
        .context("cannot determine your home directory; pass --home DIR")?;
    Ok(PathBuf::from(home).join(".proof"))
}

async fn run(cli: Cli) -> Result<()> {
    let ctx = Ctx::from_cli(&cli)?;
    match cli.command {
        Command::Keys { cmd } => keys::run(&ctx, cmd),
        Command::Query { cmd } => query::run(&ctx, cmd).await,
        Command::Tx { cmd } => tx::run(&ctx, cmd).await,
        Command::Rollup(args) => rollup::wallet(&ctx, args).await,
    }
}

fn main() -> ExitCode {
    // Usage errors exit 1 like every other error (clap's default is 2); --help/--version exit 0.
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            for cause in e.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            ExitCode::FAILURE
        }
    }
}
