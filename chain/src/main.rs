//! `proofd`: initialise and run a Proof chain node.

use std::path::PathBuf;

use anyhow::Result;
use clap::{Parser, Subcommand};
use proof_chain::node::{self, init::GenesisOptions};

#[derive(Parser)]
#[command(
    name = "proofd",
    version,
    about = "Proof chain node (ABCI++ application + CometBFT supervisor)"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Create a node home with keys, configs and a one-validator genesis.
    Init {
        #[arg(long, env = "PROOFD_HOME")]
        home: PathBuf,
        #[arg(long, default_value = "proof-local")]
        chain_id: String,
        #[arg(long, default_value = "node0")]
        moniker: String,
        /// ADDR=COINS funded at genesis (repeatable).
        #[arg(long = "genesis-account")]
        genesis_accounts: Vec<String>,
        /// JSON file: [{"address": "proof1..", "coins": "100uxyz"}].
        #[arg(long)]
        genesis_accounts_file: Option<PathBuf>,
        #[arg(long, default_value_t = 1000)]
        block_time_ms: u64,
        #[arg(long)]
        overwrite: bool,
        /// Shift every port by 100*N (run several networks side by side).
        #[arg(long, default_value_t = 0)]
        port_index_offset: u16,
        /// JSON file with the app genesis `staking` section (staking, slashing, epoch params)
        #[arg(long)]
        staking_genesis: Option<PathBuf>,
        /// Self-stake of each genesis validator, uxyz
        #[arg(long, default_value_t = node::init::DEFAULT_VALIDATOR_STAKE)]
        validator_stake: u128,
        /// ADDR=GAS: a contract the chain calls at every end block with GAS (repeatable; the
        /// genesis `clock.contracts`, which governance changes later).
        #[arg(long = "end-block-contract")]
        end_block_contracts: Vec<String>,
        #[arg(long, env = "PROOF_COMETBFT")]
        cometbft: Option<PathBuf>,
    },
    /// Create N validator homes (node0..) sharing one genesis, for a local network.
    Testnet {
        #[arg(long)]
        output_dir: PathBuf,
        #[arg(long, default_value_t = 4)]
        validators: u16,
        #[arg(long, default_value = "proof-localnet")]
        chain_id: String,
        #[arg(long = "genesis-account")]
        genesis_accounts: Vec<String>,
        #[arg(long)]
        genesis_accounts_file: Option<PathBuf>,
        #[arg(long, default_value_t = 1000)]
        block_time_ms: u64,
        #[arg(long)]
        overwrite: bool,
        /// Shift every port by 100*N (run several networks side by side).
        #[arg(long, default_value_t = 0)]
        port_index_offset: u16,
        /// JSON file with the app genesis `staking` section (staking, slashing, epoch params)
        #[arg(long)]
        staking_genesis: Option<PathBuf>,
        /// Self-stake of each genesis validator, uxyz
        #[arg(long, default_value_t = node::init::DEFAULT_VALIDATOR_STAKE)]
        validator_stake: u128,
        /// ADDR=GAS: a contract the chain calls at every end block with GAS (repeatable; the
        /// genesis `clock.contracts`, which governance changes later).
        #[arg(long = "end-block-contract")]
        end_block_contracts: Vec<String>,
        #[arg(long, env = "PROOF_COMETBFT")]
        cometbft: Option<PathBuf>,
    },
    /// Run the node: ABCI application plus a supervised CometBFT.
    Start {
        #[arg(long, env = "PROOFD_HOME")]
        home: PathBuf,
        #[arg(long, env = "PROOF_COMETBFT")]
        cometbft: Option<PathBuf>,
    },
    /// Print the version.
    Version,
}

fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    match Cli::parse().cmd {
        Cmd::Init {
            home,
            chain_id,
            moniker,
            genesis_accounts,
            genesis_accounts_file,
            block_time_ms,
            overwrite,
            port_index_offset,
            staking_genesis,
            validator_stake,
            end_block_contracts,
            cometbft,
        } => {
            let bin = node::cometbft::find_binary(cometbft.as_deref())?;
            let accounts =
                node::init::collect_accounts(&genesis_accounts, genesis_accounts_file.as_deref())?;
            let opts = GenesisOptions {
                chain_id,
                accounts,
                block_time_ms,
                port_index_offset,
                staking: node::init::load_staking(staking_genesis.as_deref())?,
                validator_stake,
                clock: node::init::end_block_contracts(&end_block_contracts)?,
            };
            node::init::init_node(&bin, &home, &moniker, &opts, overwrite)?;
            println!(
                "initialised {} (chain id {})",
                home.display(),
                opts.chain_id
            );
        }
        Cmd::Testnet {
            output_dir,
            validators,
            chain_id,
            genesis_accounts,
            genesis_accounts_file,
            block_time_ms,
            overwrite,
            port_index_offset,
            staking_genesis,
            validator_stake,
            end_block_contracts,
            cometbft,
        } => {
            let bin = node::cometbft::find_binary(cometbft.as_deref())?;
            let accounts =
                node::init::collect_accounts(&genesis_accounts, genesis_accounts_file.as_deref())?;
            let opts = GenesisOptions {
                chain_id,
                accounts,
                block_time_ms,
                port_index_offset,
                staking: node::init::load_staking(staking_genesis.as_deref())?,
                validator_stake,
                clock: node::init::end_block_contracts(&end_block_contracts)?,
            };
            for home in node::init::testnet(&bin, &output_dir, validators, &opts, overwrite)? {
                println!("{}", home.display());
            }
        }
        Cmd::Start { home, cometbft } => {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(4)
                // Top-level contract calls run on the thread handling the ABCI request: room for
                // the VM's 512 KiB wasm stack plus the host frames around it, with a wide margin.
                .thread_stack_size(16 << 20)
                .enable_all()
                .build()?;
            let result = rt.block_on(node::start::run(&home, cometbft.as_deref()));
            // A halt for an upgrade leaves the consensus handler parked: don't wait for it.
            rt.shutdown_timeout(std::time::Duration::from_secs(5));
            result?;
        }
        Cmd::Version => println!("proofd {}", env!("CARGO_PKG_VERSION")),
    }
    Ok(())
}
