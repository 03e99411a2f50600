//! `proof tx gov ...` and `proof query gov ...`: proposals (parameter changes, contract
//! migrations and governed executions, software upgrades), deposits and votes; `proof query gov plan|applied`.

use anyhow::{Context, Result};
use clap::Subcommand;
use cosmos_sdk_proto::cosmos::upgrade::v1beta1::{
    QueryAppliedPlanRequest, QueryAppliedPlanResponse, QueryCurrentPlanRequest,
    QueryCurrentPlanResponse,
};
use proof_sdk::gov;
use serde_json::Value;

use crate::submit::{broadcast, key_address, TxArgs};
use crate::util::{parse_address, parse_one_coin};
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
    /// Propose migrating a contract whose admin is governance (e.g. a system contract)
    MigrateContract {
        from: String,
        contract: String,
        code_id: u64,
        /// The contract's migrate message (JSON)
        msg: String,
        #[command(flatten)]
        proposal: ProposalArgs,
        #[command(flatten)]
        common: TxArgs,
    },
    /// Propose executing a contract as governance (a system contract's governed messages: the
    /// yy registry's `register`, the amm's `update_params`, ...)
    ExecuteContract {
        from: String,
        contract: String,
        /// The execute message (JSON)
        msg: String,
        #[command(flatten)]
        proposal: ProposalArgs,
        #[command(flatten)]
        common: TxArgs,
    },
    /// Propose a software upgrade: at HEIGHT every node halts unless its binary has NAME
    SoftwareUpgrade {
        from: String,
        name: String,
        #[arg(long)]
        height: u64,
        /// For operators: where to get the new binary, checksums, ...
        #[arg(long, default_value = "")]
        info: String,
        #[command(flatten)]
        proposal: ProposalArgs,
        #[command(flatten)]
        common: TxArgs,
    },
    /// Propose cancelling the scheduled software upgrade
    CancelUpgrade {
        from: String,
        #[command(flatten)]
        proposal: ProposalArgs,
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

/// What every gov v1 proposal carries besides its messages.
#[derive(clap::Args)]
pub struct ProposalArgs {
    #[arg(long)]
    title: String,
    #[arg(long, default_value = "")]
    summary: String,
    /// Initial deposit, e.g. 10000000000uxyz
    #[arg(long)]
    deposit: String,
}

#[derive(Subcommand)]
pub enum GovQuery {
    /// A proposal: changes, messages, deposit, status and (once tallied) the stake-weighted tally
    Proposal { id: u64 },
    /// The scheduled software upgrade, if any
    Plan,
    /// The height an upgrade was applied at
    Applied { name: String },
    /// The gov module account: make it a contract's admin to put the contract under governance
    ModuleAddress,
}

/// Submits a gov v1 proposal running `messages`.
async fn propose(
    ctx: &Ctx,
    from: &str,
    messages: Vec<cosmos_sdk_proto::Any>,
    p: &ProposalArgs,
    common: &TxArgs,
) -> Result<()> {
    let proposer = key_address(ctx, from)?;
    let deposit = parse_one_coin(&p.deposit, "deposit")?;
    let msg = gov::submit_proposal(&proposer, &p.title, &p.summary, messages, &deposit);
    broadcast(ctx, from, msg, common).await
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
        GovTx::MigrateContract {
            from,
            contract,
            code_id,
            msg,
            proposal,
            common,
        } => {
            let contract = parse_address(&contract)?;
            serde_json::from_str::<Value>(&msg).context("the migrate message must be JSON")?;
            let m = gov::migrate_contract(&contract, code_id, msg.as_bytes());
            propose(ctx, &from, vec![m], &proposal, &common).await
        }
        GovTx::ExecuteContract {
            from,
            contract,
            msg,
            proposal,
            common,
        } => {
            let contract = parse_address(&contract)?;
            serde_json::from_str::<Value>(&msg).context("the execute message must be JSON")?;
            let m = gov::execute_contract(&contract, msg.as_bytes());
            propose(ctx, &from, vec![m], &proposal, &common).await
        }
        GovTx::SoftwareUpgrade {
            from,
            name,
            height,
            info,
            proposal,
            common,
        } => {
            let m = gov::software_upgrade(&name, height, &info);
            propose(ctx, &from, vec![m], &proposal, &common).await
        }
        GovTx::CancelUpgrade {
            from,
            proposal,
            common,
        } => propose(ctx, &from, vec![gov::cancel_upgrade()], &proposal, &common).await,
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
            let v: Value = rpc
                .json_query(
                    "/proof.gov.v1.Query/Proposal",
                    serde_json::json!({ "id": id }),
                    None,
                )
                .await?;
            ctx.output
                .emit(&v, || serde_json::to_string_pretty(&v).unwrap_or_default());
        }
        GovQuery::Plan => {
            let r: QueryCurrentPlanResponse = rpc
                .grpc_query(
                    "/cosmos.upgrade.v1beta1.Query/CurrentPlan",
                    &QueryCurrentPlanRequest {},
                    None,
                )
                .await?;
            let v = match &r.plan {
                Some(p) => serde_json::json!({"name": p.name, "height": p.height, "info": p.info}),
                None => Value::Null,
            };
            ctx.output.emit(&v, || match &r.plan {
                Some(p) => format!("upgrade {:?} at height {}: {}", p.name, p.height, p.info),
                None => "no upgrade scheduled".into(),
            });
        }
        GovQuery::ModuleAddress => {
            let a = gov::module_address().to_string();
            ctx.output
                .emit(&serde_json::json!({ "address": a }), || a.clone());
        }
        GovQuery::Applied { name } => {
            let r: QueryAppliedPlanResponse = rpc
                .grpc_query(
                    "/cosmos.upgrade.v1beta1.Query/AppliedPlan",
                    &QueryAppliedPlanRequest { name: name.clone() },
                    None,
                )
                .await?;
            let v = serde_json::json!({"name": name, "height": r.height});
            ctx.output.emit(&v, || match r.height {
                0 => format!("upgrade {name:?} has not been applied"),
                h => format!("upgrade {name:?} was applied at height {h}"),
            });
        }
    }
    Ok(())
}
