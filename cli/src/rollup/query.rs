//! `proof query rollup ...`: info, list, batch, deposits, exit-proof.

use anyhow::Result;
use clap::{Args, Subcommand};
use rollup_msgs::verifier::{BatchInfo, QueryMsg as VerifierQuery, RollupInfo, RollupsResponse};
use rollup_msgs::xx::{PendingResponse, QueryMsg as XxQuery, RollupBalance};
use serde_json::json;

use super::contracts::{smart, SystemContracts};
use super::data::rebuild;
use crate::output::{fields, table};
use crate::progress::Progress;
use crate::Ctx;

#[derive(Args)]
pub struct RollupQueryArgs {
    #[command(flatten)]
    contracts: SystemContracts,
    #[command(subcommand)]
    cmd: RollupQuery,
}

#[derive(Subcommand)]
pub enum RollupQuery {
    /// A rollup: operator, circuit, verified root and batch count, what it holds and owes
    Info { rollup: u32 },
    /// Every registered rollup
    List,
    /// A verified batch; with --prove, verify as a light client that the epoch's checkpoint
    /// commits to it (the L1 record; the epoch must have closed)
    Batch {
        rollup: u32,
        index: u64,
        #[arg(long)]
        prove: bool,
    },
    /// Deposits queued for a rollup and not yet included, oldest first
    Deposits {
        rollup: u32,
        #[arg(long)]
        limit: Option<u32>,
    },
    /// The exit proof of an account at the rollup's last verified root, rebuilt from the batch
    /// data on chain (no operator needed)
    ExitProof {
        rollup: u32,
        /// Account index
        index: u32,
    },
}

fn rollup_rows(r: &RollupInfo) -> Vec<(&'static str, String)> {
    vec![
        ("rollup", r.id.to_string()),
        ("operator", r.operator.clone()),
        ("ops per step", r.ops_per_step.to_string()),
        ("vk digest", hex::encode(r.vk_digest.0)),
        ("state root", hex::encode(r.state_root.0)),
        ("batches", r.batch_index.to_string()),
        ("last batch height", r.last_batch_height.to_string()),
        ("bond", r.bond.0.to_string()),
        (
            "frozen",
            r.frozen_at
                .map_or("no".into(), |h| format!("since height {h}")),
        ),
    ]
}

pub async fn run(ctx: &Ctx, args: RollupQueryArgs) -> Result<()> {
    let rpc = ctx.rpc()?;
    let c = &args.contracts;
    match args.cmd {
        RollupQuery::Info { rollup } => {
            let verifier = c.verifier()?;
            let info: RollupInfo =
                smart(&rpc, &verifier, &VerifierQuery::Rollup { id: rollup }).await?;
            let xx = c.xx(&rpc).await?;
            let bal: RollupBalance = smart(&rpc, &xx, &XxQuery::Rollup { rollup }).await?;
            let doc = json!({"rollup": info, "settlement": bal});
            ctx.output.emit(&doc, || {
                let mut rows = rollup_rows(&info);
                rows.extend([
                    ("held", bal.held.0.to_string()),
                    ("pending deposits", bal.pending.0.to_string()),
                    ("deposit overdue", bal.overdue.to_string()),
                    ("exited", bal.exited.0.to_string()),
                    ("refunded", bal.refunded.0.to_string()),
                ]);
                fields(&rows)
            });
        }
        RollupQuery::List => {
            let verifier = c.verifier()?;
            let mut all = Vec::new();
            let mut start_after = None;
            loop {
                let page: RollupsResponse = smart(
                    &rpc,
                    &verifier,
                    &VerifierQuery::Rollups {
                        start_after,
                        limit: Some(100),
                    },
                )
                .await?;
                let n = page.rollups.len();
                start_after = page.rollups.last().map(|r| r.id);
                all.extend(page.rollups);
                if n < 100 {
                    break;
                }
            }
            ctx.output.emit(&json!({"rollups": all}), || {
                let rows: Vec<Vec<String>> = all
                    .iter()
                    .map(|r| {
                        vec![
                            r.id.to_string(),
                            r.operator.clone(),
                            r.ops_per_step.to_string(),
                            r.batch_index.to_string(),
                            if r.frozen_at.is_some() {
                                "frozen".into()
                            } else {
                                "live".into()
                            },
                        ]
                    })
                    .collect();
                table(&["ROLLUP", "OPERATOR", "K", "BATCHES", "STATE"], &rows)
            });
        }
        RollupQuery::Batch {
            rollup,
            index,
            prove,
        } => {
            let verifier = c.verifier()?;
            let b: BatchInfo =
                smart(&rpc, &verifier, &VerifierQuery::Batch { rollup, index }).await?;
            if prove {
                let record = proof_sdk::checkpoint::rollup_batch_record(
                    verifier.as_bytes(),
                    rollup,
                    index,
                    &b.old_root.0,
                    &b.new_root.0,
                    &b.data_sha256.0,
                );
                let args = crate::staking::CheckpointArgs::prove_record(b.height, &record);
                return crate::staking::checkpoint(ctx, args).await;
            }
            ctx.output.emit(&json!(b), || {
                fields(&[
                    ("rollup", b.rollup.to_string()),
                    ("index", b.index.to_string()),
                    ("height", b.height.to_string()),
                    ("old root", hex::encode(b.old_root.0)),
                    ("new root", hex::encode(b.new_root.0)),
                    ("data sha256", hex::encode(b.data_sha256.0)),
                    ("deposits", b.deposits.to_string()),
                    ("transfers", b.transfers.to_string()),
                    ("withdrawals", b.withdrawals.to_string()),
                    ("withdrawn", b.withdrawn.0.to_string()),
                    ("fees", b.fees.0.to_string()),
                ])
            });
        }
        RollupQuery::Deposits { rollup, limit } => {
            let xx = c.xx(&rpc).await?;
            let p: PendingResponse = smart(
                &rpc,
                &xx,
                &XxQuery::Pending {
                    rollup,
                    start_after: None,
                    limit,
                },
            )
            .await?;
            ctx.output.emit(&json!(p), || {
                let rows: Vec<Vec<String>> = p
                    .deposits
                    .iter()
                    .map(|d| {
                        vec![
                            d.seq.to_string(),
                            d.op.to.to_string(),
                            d.op.amount.0.to_string(),
                            d.depositor.clone(),
                            d.height.to_string(),
                        ]
                    })
                    .collect();
                table(&["SEQ", "ACCOUNT", "AMOUNT", "DEPOSITOR", "HEIGHT"], &rows)
            });
        }
        RollupQuery::ExitProof { rollup, index } => {
            let verifier = c.verifier()?;
            let mut progress = Progress::new(ctx, 1);
            let (info, tree) = rebuild(&rpc, &verifier, rollup, &mut progress).await?;
            let account = tree.get(index);
            let proof = proof_zk::exit_proof(&tree, index)?.to_bytes();
            let doc = json!({
                "rollup": rollup,
                "index": index,
                "root": hex::encode(info.state_root.0),
                "balance": account.balance.to_string(),
                "nonce": account.nonce,
                "pubkey": proof_rollup::wire::pubkey_hex(&account.pubkey),
                "proof": rollup_msgs::Base64(proof.clone()),
            });
            ctx.output.emit(&doc, || {
                fields(&[
                    ("rollup", rollup.to_string()),
                    ("account", index.to_string()),
                    ("root", hex::encode(info.state_root.0)),
                    ("balance", account.balance.to_string()),
                    ("nonce", account.nonce.to_string()),
                    (
                        "proof (base64)",
                        doc["proof"].as_str().unwrap_or_default().to_string(),
                    ),
                ])
            });
        }
    }
    Ok(())
}
