//! `proof tx ...`: build, sign (SIGN_MODE_DIRECT), broadcast and wait for transactions.
//! `submit` is the one path every transaction takes (gas estimate, signing, CheckTx, waiting).

use std::time::Duration;

use anyhow::{bail, Result};
use clap::{Args, Subcommand};
use proof_sdk::{msgs, Coin};

use crate::submit::{key_address, submit_one, Gas, TxSpec};
use crate::util::{parse_amount, parse_duration, resolve_address};
use crate::Ctx;

#[derive(Subcommand)]
pub enum TxCmd {
    /// Bank module transactions
    Bank {
        #[command(subcommand)]
        cmd: BankTx,
    },
    /// CosmWasm contracts: upload, instantiate, execute, migrate, admins
    Wasm {
        #[command(subcommand)]
        cmd: Box<crate::wasm_tx::WasmTx>,
    },
    /// Delegate, unbond, redelegate, create a validator
    Staking {
        #[command(subcommand)]
        cmd: crate::staking::StakingTx,
    },
    /// Unjail a validator
    Slashing {
        #[command(subcommand)]
        cmd: crate::staking::SlashingTx,
    },
    /// Parameter-change proposals, deposits and votes
    Gov {
        #[command(subcommand)]
        cmd: crate::gov::GovTx,
    },
    /// L3 rollups: register, deposit, freeze, exit, reject a deposit no batch can include
    Rollup(crate::rollup::RollupTxArgs),
    /// The AMM: create pools, add and remove liquidity, move LP shares, swap (cleared at the end
    /// of the block at one price)
    Amm(crate::amm::AmmTxArgs),
    /// YY: HTLC atomic swaps (lock, claim, refund), guardians' pauses of bridged altcoins
    Yy(crate::yy::YyTxArgs),
    /// IBC: ICS-20 transfers to other chains
    Ibc {
        #[command(subcommand)]
        cmd: crate::ibc::IbcTx,
    },
}

#[derive(Subcommand)]
pub enum BankTx {
    /// Send coins from a local key to an address
    Send(SendArgs),
}

#[derive(Args)]
pub struct SendArgs {
    /// Name of the local key that signs and pays
    from: String,
    /// Recipient: proof1... address (or a local key name)
    to: String,
    /// Coins to send, e.g. 1000uxyz or 10uxyz,5foo
    amount: String,
    /// Fee paid to validators (empty for none)
    #[arg(long, default_value = "5000uxyz")]
    fees: String,
    /// Gas limit
    #[arg(long, default_value_t = 200_000)]
    gas: u64,
    #[arg(long, default_value = "")]
    memo: String,
    /// Reject the transaction if it is not committed by this block height (0 = never)
    #[arg(long, default_value_t = 0)]
    timeout_height: u64,
    /// Chain id to sign for [default: the node's]
    #[arg(long)]
    chain_id: Option<String>,
    /// Return after the node accepted the tx into its mempool, without waiting for a block
    #[arg(long)]
    no_wait: bool,
    /// How long to wait for the tx to be committed (e.g. 30s, 2m)
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    wait_timeout: Duration,
}

pub async fn run(ctx: &Ctx, cmd: TxCmd) -> Result<()> {
    match cmd {
        TxCmd::Bank {
            cmd: BankTx::Send(args),
        } => send(ctx, args).await,
        TxCmd::Wasm { cmd } => crate::wasm_tx::run(ctx, *cmd).await,
        TxCmd::Staking { cmd } => crate::staking::tx_staking(ctx, cmd).await,
        TxCmd::Slashing { cmd } => crate::staking::tx_slashing(ctx, cmd).await,
        TxCmd::Gov { cmd } => crate::gov::tx(ctx, cmd).await,
        TxCmd::Rollup(args) => crate::rollup::tx(ctx, args).await,
        TxCmd::Amm(args) => crate::amm::tx(ctx, args).await,
        TxCmd::Yy(args) => crate::yy::tx(ctx, args).await,
        TxCmd::Ibc { cmd } => crate::ibc::tx(ctx, cmd).await,
    }
}

async fn send(ctx: &Ctx, args: SendArgs) -> Result<()> {
    // Validate everything local before touching the network or asking for a password.
    let ks = ctx.keystore();
    let from = key_address(ctx, &args.from)?;
    let to = resolve_address(&ks, &args.to)?;
    let amount = parse_amount(&args.amount, "amount")?;
    let fee: Vec<Coin> = if args.fees.trim().is_empty() {
        Vec::new()
    } else {
        parse_amount(&args.fees, "--fees")?
    };
    if args.gas == 0 {
        bail!("--gas must be positive (a bank send needs well under 200000)");
    }
    let spec = TxSpec {
        key_name: args.from,
        from: from.clone(),
        fee: Some(fee),
        gas: Gas::Fixed(args.gas),
        gas_adjustment: 1.0,
        memo: args.memo,
        timeout_height: args.timeout_height,
        chain_id: args.chain_id,
        no_wait: args.no_wait,
        wait_timeout: args.wait_timeout,
    };
    submit_one(ctx, &spec, msgs::bank_send(&from, &to, &amount), false).await
}
