//! `proof tx yy ...`: HTLC lock, claim and refund; a guardian's pause and resume.

use std::path::PathBuf;

use anyhow::{bail, Result};
use clap::{ArgGroup, Args, Subcommand};
use yy_msgs::{ExecuteMsg, Expiration, Status};

use super::contract::YyContract;
use super::secret;
use crate::progress::Progress;
use crate::submit::{print_committed, submit, submit_one, Extra, TxFlags, TxSpec};
use crate::util::{parse_address, parse_one_coin};
use crate::wasm_tx::execute_json;
use crate::Ctx;

#[derive(Args)]
pub struct YyTxArgs {
    #[command(flatten)]
    contract: YyContract,
    #[command(subcommand)]
    cmd: YyTx,
}

#[derive(Subcommand)]
pub enum YyTx {
    /// Lock a coin for RECIPIENT against the secret of a hash, until it expires (HTLC). The
    /// side that starts a swap makes the secret (--secret-out); the other side locks with the
    /// same --hash and an earlier expiry
    #[command(group(ArgGroup::new("lock_hash").required(true).args(["hash", "secret_out"])))]
    #[command(group(ArgGroup::new("expiry").required(true).args(["expires_in_blocks", "expires_at_height", "expires_at_time"])))]
    Lock {
        /// The coin locked, e.g. 1000000uxyz
        amount: String,
        #[arg(long)]
        recipient: String,
        /// The swap's id: 3-64 characters of a-z, 0-9 and -, never used before on this chain
        #[arg(long)]
        id: String,
        /// sha256 of the secret (64 hex digits), from the side that made it
        #[arg(long)]
        hash: Option<String>,
        /// Make a new secret, write it to this file (which must not exist) and lock with its hash
        #[arg(long)]
        secret_out: Option<PathBuf>,
        /// Expire this many blocks from now
        #[arg(long)]
        expires_in_blocks: Option<u64>,
        #[arg(long)]
        expires_at_height: Option<u64>,
        /// Expire at this unix time (seconds)
        #[arg(long)]
        expires_at_time: Option<u64>,
        #[command(flatten)]
        tx: TxFlags,
    },
    /// Pay a swap to its recipient with its secret, before it expires (anyone may; the secret
    /// becomes public in the `wasm-yy_claim` event)
    Claim {
        id: String,
        /// The secret: 64 hex digits, or a file holding them
        #[arg(long)]
        secret: String,
        #[command(flatten)]
        tx: TxFlags,
    },
    /// Return an expired swap to its sender (anyone may)
    Refund {
        id: String,
        #[command(flatten)]
        tx: TxFlags,
    },
    /// A guardian's or governance's pause of an altcoin (both directions, and new locks)
    Pause {
        denom: String,
        #[arg(long, default_value = "")]
        reason: String,
        #[command(flatten)]
        tx: TxFlags,
    },
    /// Resume an altcoin (a guardian resumes only a guardian's pause)
    Resume {
        denom: String,
        #[command(flatten)]
        tx: TxFlags,
    },
}

pub async fn run(ctx: &Ctx, args: YyTxArgs) -> Result<()> {
    let yy = args.contract.address()?;
    match args.cmd {
        YyTx::Lock {
            amount,
            recipient,
            id,
            hash,
            secret_out,
            expires_in_blocks,
            expires_at_height,
            expires_at_time,
            tx,
        } => {
            let spec = TxSpec::from_flags(ctx, &tx)?;
            let coin = parse_one_coin(&amount, "amount")?;
            let recipient = parse_address(&recipient)?.to_string();
            let expires = match (expires_in_blocks, expires_at_height, expires_at_time) {
                (Some(n), _, _) => {
                    if n == 0 {
                        bail!("--expires-in-blocks must be positive");
                    }
                    Expiration::AtHeight(ctx.rpc()?.latest_height().await? + n)
                }
                (None, Some(h), _) => Expiration::AtHeight(h),
                (None, None, Some(t)) => Expiration::AtTime(t),
                (None, None, None) => bail!("give an expiry"),
            };
            let hash = match (hash, secret_out) {
                (Some(h), _) => {
                    let h = h.trim().to_ascii_lowercase();
                    if h.len() != 64 || hex::decode(&h).is_err() {
                        bail!("--hash must be 64 hex digits (a sha256)");
                    }
                    h
                }
                (None, Some(path)) => secret::hash_of(&*secret::create(&path)?),
                (None, None) => bail!("give --hash or --secret-out"),
            };
            let msg = ExecuteMsg::Lock {
                id: id.clone(),
                hash: hash.clone(),
                recipient,
                expires,
            };
            let any = execute_json(&spec.from, &yy, &msg, std::slice::from_ref(&coin))?;
            let mut progress = Progress::new(ctx, 1);
            if let Some(c) = submit(ctx, &spec, vec![any], &mut progress).await? {
                let expiry = super::query::expiry_text(&expires);
                let extras: Vec<Extra> = vec![
                    ("id", "swap id", id),
                    ("hash", "hash", hash),
                    ("expires", "expires", expiry),
                ];
                print_committed(ctx, &c, &extras, false);
            }
            Ok(())
        }
        YyTx::Claim { id, secret, tx } => {
            let spec = TxSpec::from_flags(ctx, &tx)?;
            let s = secret::read(&secret)?;
            let msg = ExecuteMsg::Claim {
                id,
                preimage: hex::encode(s.as_ref()),
            };
            submit_one(ctx, &spec, execute_json(&spec.from, &yy, &msg, &[])?, true).await
        }
        YyTx::Refund { id, tx } => {
            let spec = TxSpec::from_flags(ctx, &tx)?;
            let msg = ExecuteMsg::Refund { id };
            submit_one(ctx, &spec, execute_json(&spec.from, &yy, &msg, &[])?, true).await
        }
        YyTx::Pause { denom, reason, tx } => {
            let spec = TxSpec::from_flags(ctx, &tx)?;
            let msg = ExecuteMsg::SetStatus {
                denom,
                status: Status::Paused,
                reason,
            };
            submit_one(ctx, &spec, execute_json(&spec.from, &yy, &msg, &[])?, true).await
        }
        YyTx::Resume { denom, tx } => {
            let spec = TxSpec::from_flags(ctx, &tx)?;
            let msg = ExecuteMsg::SetStatus {
                denom,
                status: Status::Active,
                reason: String::new(),
            };
            submit_one(ctx, &spec, execute_json(&spec.from, &yy, &msg, &[])?, true).await
        }
    }
}
