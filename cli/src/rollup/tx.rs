//! `proof tx rollup ...`: register, deposit, freeze, exit, reject-deposit.

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use proof_sdk::{Address, Coin};
use rollup_msgs::verifier::{ConfigResponse, ExecuteMsg as VerifierMsg, QueryMsg as VerifierQuery};
use rollup_msgs::xx::{ExecuteMsg as XxMsg, PendingResponse, QueryMsg as XxQuery};
use rollup_msgs::{Base64, Hex32};

use super::contracts::{smart, SystemContracts};
use super::data::rebuild;
use crate::progress::Progress;
use crate::submit::{print_committed, submit, TxFlags, TxSpec};
use crate::util::parse_amount;
use crate::wasm_tx::execute_json;
use crate::Ctx;

#[derive(Args)]
pub struct RollupTxArgs {
    #[command(flatten)]
    contracts: SystemContracts,
    #[command(subcommand)]
    cmd: RollupTx,
}

#[derive(Subcommand)]
pub enum RollupTx {
    /// Register a rollup you operate (bonds the verifier's operator bond; governance bonds none)
    Register {
        /// Operations per Nova step: the circuit, so the verifier key (one the chain supports)
        #[arg(long, default_value_t = 3)]
        ops_per_step: u32,
        #[command(flatten)]
        tx: TxFlags,
    },
    /// Deposit into account INDEX of a rollup. The first deposit to an account sets its key and
    /// makes you its owner on the chain (its exits are paid to you): it needs the rollup key
    /// (--key, or its raw --seed) to sign the proof that you hold it. Later deposits need only
    /// --pubkey.
    /// Needs --xx (or PROOF_XX): funds go only to a settlement contract you name.
    #[command(group(clap::ArgGroup::new("account_key").required(true).args(["key", "seed", "pubkey"])))]
    Deposit {
        rollup: u32,
        /// What to deposit, e.g. 1000000uxyz (the rollup's denom)
        amount: String,
        /// Account index in the rollup's tree (0 to 2^24 - 1)
        #[arg(long)]
        to: u32,
        /// The rollup key (`proof rollup keys add`) the account is for: sets the account's key,
        /// with its proof, on the first deposit
        #[arg(long)]
        key: Option<String>,
        /// The rollup key's raw 32-byte seed (64 hex digits), instead of --key
        #[arg(long)]
        seed: Option<String>,
        /// The account's public key `X:Y` (two 64-hex-digit little-endian field elements), for
        /// an account whose key is already set
        #[arg(long)]
        pubkey: Option<String>,
        #[command(flatten)]
        tx: TxFlags,
    },
    /// Freeze a rollup whose operator stopped (no batch in the liveness window, or a deposit left out)
    Freeze {
        rollup: u32,
        #[command(flatten)]
        tx: TxFlags,
    },
    /// Take an account's balance out of a frozen rollup, paid to the account's owner; the exit
    /// proof is built from the batch data on chain (no operator needed)
    Exit {
        rollup: u32,
        /// Account index
        #[arg(long)]
        index: u32,
        #[command(flatten)]
        tx: TxFlags,
    },
    /// Refund the deposit at the front of a rollup's queue that no batch can include (its
    /// account holds another key, or the deposit would overflow it)
    RejectDeposit {
        rollup: u32,
        #[command(flatten)]
        tx: TxFlags,
    },
}

/// The 32-byte little-endian field element `s` (64 hex digits).
fn hex32(s: &str, what: &str) -> Result<Hex32> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(s.trim(), &mut out)
        .with_context(|| format!("{what} must be 64 hex digits"))?;
    Ok(Hex32(out))
}

fn parse_pubkey(s: &str) -> Result<(Hex32, Hex32)> {
    let (x, y) = s
        .split_once(':')
        .context("--pubkey must be X:Y (two 64-hex-digit field elements)")?;
    let (x, y) = (hex32(x, "the key's X")?, hex32(y, "the key's Y")?);
    if !rollup_msgs::curve::is_on_curve(&x, &y) {
        bail!("--pubkey is not a point of Vesta: no rollup can hold it");
    }
    Ok((x, y))
}

async fn send(
    ctx: &Ctx,
    spec: &TxSpec,
    msg: cosmos_sdk_proto::Any,
    steps: usize,
    progress: Option<Progress>,
) -> Result<()> {
    let mut progress = progress.unwrap_or_else(|| Progress::new(ctx, steps));
    if let Some(c) = submit(ctx, spec, vec![msg], &mut progress).await? {
        print_committed(ctx, &c, &[], true);
    }
    Ok(())
}

/// Rebuilds the rollup from the chain, proves account `index` at its verified root, and sends
/// the verifier the message `make` builds around that proof.
async fn send_with_exit_proof(
    ctx: &Ctx,
    spec: &TxSpec,
    verifier: &Address,
    rollup: u32,
    index: u32,
    make: impl FnOnce(Base64) -> VerifierMsg,
) -> Result<()> {
    let rpc = ctx.rpc()?;
    let mut progress = Progress::new(ctx, 2);
    let (_, tree) = rebuild(&rpc, verifier, rollup, &mut progress).await?;
    let proof = proof_zk::exit_proof(&tree, index)?.to_bytes();
    let msg = make(Base64(proof));
    send(
        ctx,
        spec,
        execute_json(&spec.from, verifier, &msg, &[])?,
        2,
        Some(progress),
    )
    .await
}

/// Exits account `index` of frozen rollup `rollup` (paid to the account's owner on the chain).
pub(super) async fn exit(
    ctx: &Ctx,
    spec: &TxSpec,
    verifier: &Address,
    rollup: u32,
    index: u32,
) -> Result<()> {
    send_with_exit_proof(ctx, spec, verifier, rollup, index, |proof| {
        VerifierMsg::Exit { rollup, proof }
    })
    .await
}

pub async fn run(ctx: &Ctx, args: RollupTxArgs) -> Result<()> {
    let rpc = ctx.rpc()?;
    let c = &args.contracts;
    match args.cmd {
        RollupTx::Register { ops_per_step, tx } => {
            let spec = TxSpec::from_flags(ctx, &tx)?;
            let verifier = c.verifier()?;
            let cfg: ConfigResponse = smart(&rpc, &verifier, &VerifierQuery::Config {}).await?;
            let funds = if cfg.governance == spec.from.to_string() || cfg.operator_bond.0 == 0 {
                vec![]
            } else {
                vec![Coin::new(cfg.operator_bond.0, &cfg.bond_denom)]
            };
            let msg = VerifierMsg::Register {
                ops_per_step,
                operator: None,
            };
            send(
                ctx,
                &spec,
                execute_json(&spec.from, &verifier, &msg, &funds)?,
                1,
                None,
            )
            .await
        }
        RollupTx::Deposit {
            rollup,
            amount,
            to,
            key,
            seed,
            pubkey,
            tx,
        } => {
            let spec = TxSpec::from_flags(ctx, &tx)?;
            // The node is not asked where to send money: a lying node could name its own.
            let xx = c.xx_given()?;
            let sk = match (key, seed) {
                (Some(name), _) => Some(super::keys::secret_key(ctx, &name)?),
                (None, Some(seed)) => {
                    let mut b = [0u8; 32];
                    hex::decode_to_slice(seed.trim(), &mut b)
                        .context("--seed must be 64 hex digits")?;
                    Some(proof_zk::SecretKey::from_seed(&b))
                }
                (None, None) => None,
            };
            let ((pubkey_x, pubkey_y), key_proof) = match (sk, pubkey) {
                (Some(sk), _) => {
                    let pk = sk.public_key();
                    let (word, extra) =
                        proof_zk::schnorr::key_possession_message(rollup, to, spec.from.as_bytes());
                    let sig = sk.sign(word, extra).to_bytes().to_vec();
                    let x = Hex32(proof_zk::f_to_bytes(&pk.x));
                    let y = Hex32(proof_zk::f_to_bytes(&pk.y));
                    ((x, y), Some(Base64(sig)))
                }
                (None, Some(pk)) => (parse_pubkey(&pk)?, None),
                (None, None) => bail!("give --key (first deposit) or --pubkey"),
            };
            let funds = parse_amount(&amount, "amount")?;
            let msg = XxMsg::Deposit {
                rollup,
                to,
                pubkey_x,
                pubkey_y,
                key_proof,
            };
            send(
                ctx,
                &spec,
                execute_json(&spec.from, &xx, &msg, &funds)?,
                1,
                None,
            )
            .await
        }
        RollupTx::Freeze { rollup, tx } => {
            let spec = TxSpec::from_flags(ctx, &tx)?;
            let verifier = c.verifier()?;
            let msg = VerifierMsg::Freeze { rollup };
            send(
                ctx,
                &spec,
                execute_json(&spec.from, &verifier, &msg, &[])?,
                1,
                None,
            )
            .await
        }
        RollupTx::Exit { rollup, index, tx } => {
            let spec = TxSpec::from_flags(ctx, &tx)?;
            let verifier = c.verifier()?;
            exit(ctx, &spec, &verifier, rollup, index).await
        }
        RollupTx::RejectDeposit { rollup, tx } => {
            let spec = TxSpec::from_flags(ctx, &tx)?;
            let verifier = c.verifier()?;
            let xx = c.xx(&rpc).await?;
            let front: PendingResponse = smart(
                &rpc,
                &xx,
                &XxQuery::Pending {
                    rollup,
                    start_after: None,
                    limit: Some(1),
                },
            )
            .await?;
            let d = front
                .deposits
                .first()
                .context("the rollup has no queued deposit")?;
            send_with_exit_proof(ctx, &spec, &verifier, rollup, d.op.to, |proof| {
                VerifierMsg::RejectDeposit { rollup, proof }
            })
            .await
        }
    }
}
