//! `proof tx gov ...` and `proof query gov ...`: parameter-change proposals and votes.

use anyhow::{bail, Context, Result};
use clap::Subcommand;
use proof_sdk::gov;
use serde_json::Value;

use crate::staking::{broadcast, TxArgs};
use crate::tx::key_address;
use crate::util::parse_one_coin;
use crate::Ctx;

#[derive(Subcommand)]
pub enum GovTx {
    /// Propose parameter changes, e.g. --change staking.max_validators=50 (value is JSON)
    ParamChange {
        from: String,
        #[arg(long = "change", required = true)]
        changes: Vec<String>,
        #[arg(long, default_value = "parameter change")]
        title: String,
        /// Initial deposit, e.g. 10000000000uxyz
        #[arg(long)]
        deposit: String,
        #[command(flatten)]
        common: TxArgs,
    },
    /// Add to a proposal's deposit
    Deposit {
        from: String,
        id: u64,
        amount: String,
        #[command(flatten)]
        common: TxArgs,
    },
    /// Vote yes, no, abstain or veto (weighted by your bonded stake)
    Vote {
        from: String,
        id: u64,
        #[arg(value_parser = ["yes", "no", "abstain", "veto"])]
        option: String,
        #[command(flatten)]
        common: TxArgs,
    },
}

#[derive(Subcommand)]
pub enum GovQuery {
    /// A proposal: changes, deposit, status and (once tallied) the stake-weighted tally
    Proposal { id: u64 },
}

pub async fn tx(ctx: &Ctx, cmd: GovTx) -> Result<()> {
    match cmd {
        GovTx::ParamChange {
            from,
            changes,
            title,
            deposit,
            common,
        } => {
            let mut parsed = Vec::new();
            for c in &changes {
                let (path, value) = c
                    .split_once('=')
                    .with_context(|| format!("--change {c:?}: expected SUBSPACE.KEY=JSON"))?;
                let (sub, key) = path
                    .split_once('.')
                    .with_context(|| format!("--change {c:?}: expected SUBSPACE.KEY=JSON"))?;
                serde_json::from_str::<Value>(value).with_context(|| {
                    format!("--change {c:?}: the value must be JSON (strings quoted)")
                })?;
                parsed.push((sub.to_string(), key.to_string(), value.to_string()));
            }
            let refs: Vec<(&str, &str, &str)> = parsed
                .iter()
                .map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str()))
                .collect();
            let proposer = key_address(ctx, &from)?;
            let msg = gov::submit_param_change(
                &proposer,
                &title,
                &refs,
                &parse_one_coin(&deposit, "deposit")?,
            );
            broadcast(ctx, &from, msg, &common).await
        }
        GovTx::Deposit {
            from,
            id,
            amount,
            common,
        } => {
            let who = key_address(ctx, &from)?;
            broadcast(
                ctx,
                &from,
                gov::deposit(&who, id, &parse_one_coin(&amount, "amount")?),
                &common,
            )
            .await
        }
        GovTx::Vote {
            from,
            id,
            option,
            common,
        } => {
            let who = key_address(ctx, &from)?;
            let opt = match option.as_str() {
                "yes" => gov::YES,
                "no" => gov::NO,
                "abstain" => gov::ABSTAIN,
                _ => gov::NO_WITH_VETO,
            };
            broadcast(ctx, &from, gov::vote(&who, id, opt), &common).await
        }
    }
}

pub async fn query(ctx: &Ctx, cmd: GovQuery) -> Result<()> {
    let rpc = ctx.rpc()?;
    match cmd {
        GovQuery::Proposal { id } => {
            let body = serde_json::json!({ "id": id }).to_string();
            let r = rpc
                .abci_query("/proof.gov.v1.Query/Proposal", body.as_bytes(), None, false)
                .await?;
            if r.code != 0 {
                bail!("proposal query failed (code {}): {}", r.code, r.log);
            }
            let v: Value =
                serde_json::from_slice(&r.value).context("cannot decode the proposal")?;
            ctx.output
                .emit(&v, || serde_json::to_string_pretty(&v).unwrap_or_default());
        }
    }
    Ok(())
}
