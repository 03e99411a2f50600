//! `proof query staking|checkpoint ...` and `proof tx staking|slashing ...`: proof of stake and
//! the checkpoint layer from the command line.

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use cosmos_sdk_proto::cosmos::staking::v1beta1::{
    DelegationResponse, QueryDelegationRequest, QueryDelegationResponse,
    QueryDelegatorDelegationsRequest, QueryDelegatorDelegationsResponse, QueryParamsRequest,
    QueryParamsResponse, QueryPoolRequest, QueryPoolResponse, QueryUnbondingDelegationRequest,
    QueryUnbondingDelegationResponse, QueryValidatorRequest, QueryValidatorResponse,
    QueryValidatorsRequest, QueryValidatorsResponse, Validator,
};
use proof_sdk::staking::{self as smsg, parse_valoper, valoper};

use proof_sdk::light::{LightClient, Origin, TrustOptions, TrustRoot};
use proof_sdk::{pos_client, BASE_DENOM};
use serde_json::{json, Value};

use crate::output::{fields, table};
use crate::submit::{broadcast, key_address, TxArgs};
use crate::util::{parse_one_coin, resolve_address};
use crate::Ctx;

#[derive(Subcommand)]
pub enum StakingQuery {
    /// Every validator (or only bonded / unbonded ones)
    Validators {
        #[arg(long, value_parser = ["bonded", "unbonded"])]
        status: Option<String>,
    },
    /// One validator by operator address (proofvaloper1... or proof1...)
    Validator { validator: String },
    /// A delegation of DELEGATOR to VALIDATOR
    Delegation {
        delegator: String,
        validator: String,
    },
    /// Every delegation of DELEGATOR
    Delegations { delegator: String },
    /// Unbonding entries of DELEGATOR from VALIDATOR
    Unbonding {
        delegator: String,
        validator: String,
    },
    /// Bonded and unbonding token totals
    Pool,
    /// Staking parameters
    Params,
    /// The validator set CometBFT is running (consensus keys and voting power)
    ConsensusSet {
        #[arg(long)]
        height: Option<u64>,
    },
}

#[derive(Args)]
pub struct CheckpointArgs {
    /// Epoch number [default: the latest checkpoint, or the one covering --height]
    #[arg(long)]
    epoch: Option<u64>,
    /// Prove that this block is in the checkpoint (implies --verify of the block)
    #[arg(long)]
    height: Option<u64>,
    /// Verify the checkpoint as a light client: read it with a state proof against a block
    /// header whose commit signatures are checked from a trusted header, then its hash, reward
    /// arithmetic and link to the previous checkpoint, and with --height the block's inclusion
    #[arg(long)]
    verify: bool,
    /// Height of a header you trust (with --trust-hash); otherwise the header the last
    /// verification saved, or on first use the node's first block
    #[arg(long, requires = "trust_hash")]
    trust_height: Option<u64>,
    /// Hash (hex) of the header at --trust-height
    #[arg(long, requires = "trust_height")]
    trust_hash: Option<String>,
    /// How long a trusted header stays usable (seconds; keep it below the unbonding time)
    #[arg(long, default_value_t = 14 * 24 * 3600)]
    trust_period_secs: u64,
    /// Prove that this record (hex; e.g. a rollup batch's) is in the checkpoint (implies --verify)
    #[arg(long)]
    record: Option<String>,
}

impl CheckpointArgs {
    /// Verify, as a light client, that `record` is in the checkpoint of the epoch covering
    /// `height`.
    pub fn prove_record(height: u64, record: &[u8]) -> Self {
        CheckpointArgs {
            epoch: None,
            height: Some(height),
            verify: true,
            trust_height: None,
            trust_hash: None,
            trust_period_secs: 14 * 24 * 3600,
            record: Some(hex::encode(record)),
        }
    }
}

#[derive(Subcommand)]
pub enum StakingTx {
    /// Delegate AMOUNT from key FROM to VALIDATOR
    Delegate(DelegateArgs),
    /// Start unbonding AMOUNT of FROM's delegation to VALIDATOR
    Unbond(DelegateArgs),
    /// Move AMOUNT of FROM's stake from SRC to DST
    Redelegate(RedelegateArgs),
    /// Create a validator operated by key FROM
    CreateValidator(CreateValidatorArgs),
    /// Change the moniker, commission (once per 24 h, within max-change) or raise the minimum
    /// self-delegation of the validator operated by key FROM
    EditValidator {
        from: String,
        #[arg(long)]
        moniker: Option<String>,
        /// New commission in basis points (e.g. 500 = 5%)
        #[arg(long)]
        commission_bps: Option<u32>,
        #[arg(long)]
        min_self_delegation: Option<u128>,
        #[command(flatten)]
        common: TxArgs,
    },
}

#[derive(Subcommand)]
pub enum SlashingTx {
    /// Unjail the validator operated by key FROM
    Unjail {
        from: String,
        #[command(flatten)]
        common: TxArgs,
    },
}

#[derive(Args)]
pub struct DelegateArgs {
    from: String,
    validator: String,
    amount: String,
    #[command(flatten)]
    common: TxArgs,
}

#[derive(Args)]
pub struct RedelegateArgs {
    from: String,
    src: String,
    dst: String,
    amount: String,
    #[command(flatten)]
    common: TxArgs,
}

#[derive(Args)]
pub struct CreateValidatorArgs {
    from: String,
    /// Base64 ed25519 consensus key (`pub_key.value` of priv_validator_key.json)
    #[arg(long)]
    pubkey: String,
    /// Self-delegation, e.g. 1000000000uxyz
    #[arg(long)]
    amount: String,
    #[arg(long)]
    moniker: String,
    /// Commission in basis points (1000 = 10%)
    #[arg(long, default_value_t = 1000)]
    commission_bps: u32,
    #[arg(long, default_value_t = 2000)]
    max_commission_bps: u32,
    #[arg(long, default_value_t = 100)]
    max_change_bps: u32,
    #[arg(long, default_value_t = 1)]
    min_self_delegation: u128,
    #[command(flatten)]
    common: TxArgs,
}

const Q: &str = "/cosmos.staking.v1beta1.Query/";

fn power(tokens: &str) -> String {
    tokens
        .parse::<u128>()
        .map(|t| (t / 1_000_000).to_string())
        .unwrap_or_default()
}

fn status_name(s: i32) -> &'static str {
    match s {
        3 => "bonded",
        2 => "unbonding",
        _ => "unbonded",
    }
}

fn rate(dec: &str) -> String {
    // Dec atomics (18 decimals) -> percent with two decimals.
    dec.parse::<u128>()
        .map(|a| {
            let bps = a / 100_000_000_000_000;
            format!("{}.{:02}%", bps / 100, bps % 100)
        })
        .unwrap_or_else(|_| dec.to_string())
}

fn validator_json(v: &Validator) -> Value {
    let c = v
        .commission
        .as_ref()
        .and_then(|c| c.commission_rates.as_ref());
    json!({
        "operator_address": v.operator_address,
        "moniker": v.description.as_ref().map(|d| d.moniker.clone()).unwrap_or_default(),
        "status": status_name(v.status),
        "jailed": v.jailed,
        "tokens": v.tokens,
        "power": power(&v.tokens),
        "commission_rate": c.map(|c| rate(&c.rate)).unwrap_or_default(),
        "consensus_pubkey": v.consensus_pubkey.as_ref().map(|p| {
            use base64::Engine as _;
            // ed25519 PubKey proto: field 1, 32 bytes -> skip the 2-byte tag/length.
            base64::engine::general_purpose::STANDARD.encode(p.value.get(2..).unwrap_or_default())
        }),
    })
}

fn delegation_json(d: &DelegationResponse) -> Value {
    let del = d.delegation.clone().unwrap_or_default();
    json!({
        "delegator": del.delegator_address,
        "validator": del.validator_address,
        "balance": d.balance.as_ref().map(|b| format!("{}{}", b.amount, b.denom)).unwrap_or_default(),
    })
}

fn val_addr(s: &str) -> Result<String> {
    Ok(valoper(&parse_valoper(s).with_context(|| {
        format!("{s:?} is not a proofvaloper1... or proof1... address")
    })?))
}

pub async fn query(ctx: &Ctx, cmd: StakingQuery) -> Result<()> {
    let rpc = ctx.rpc()?;
    let ks = ctx.keystore();
    match cmd {
        StakingQuery::Validators { status } => {
            let r: QueryValidatorsResponse = rpc
                .grpc_query(
                    &format!("{Q}Validators"),
                    &QueryValidatorsRequest {
                        status: match status.as_deref() {
                            Some("bonded") => "BOND_STATUS_BONDED".into(),
                            Some(_) => "BOND_STATUS_UNBONDED".into(),
                            None => String::new(),
                        },
                        pagination: None,
                    },
                    None,
                )
                .await?;
            let list: Vec<Value> = r.validators.iter().map(validator_json).collect();
            ctx.output.emit(&json!({ "validators": list }), || {
                table(
                    &[
                        "moniker",
                        "operator",
                        "status",
                        "jailed",
                        "power",
                        "commission",
                    ],
                    &list
                        .iter()
                        .map(|v| {
                            [
                                "moniker",
                                "operator_address",
                                "status",
                                "jailed",
                                "power",
                                "commission_rate",
                            ]
                            .iter()
                            .map(|k| match &v[k] {
                                Value::String(s) => s.clone(),
                                other => other.to_string(),
                            })
                            .collect()
                        })
                        .collect::<Vec<_>>(),
                )
            });
        }
        StakingQuery::Validator { validator } => {
            let r: QueryValidatorResponse = rpc
                .grpc_query(
                    &format!("{Q}Validator"),
                    &QueryValidatorRequest {
                        validator_addr: val_addr(&validator)?,
                    },
                    None,
                )
                .await?;
            let v = validator_json(&r.validator.unwrap_or_default());
            ctx.output.emit(&v, || text_fields(&v));
        }
        StakingQuery::Delegation {
            delegator,
            validator,
        } => {
            let r: QueryDelegationResponse = rpc
                .grpc_query(
                    &format!("{Q}Delegation"),
                    &QueryDelegationRequest {
                        delegator_addr: resolve_address(&ks, &delegator)?.to_string(),
                        validator_addr: val_addr(&validator)?,
                    },
                    None,
                )
                .await?;
            let v = delegation_json(&r.delegation_response.unwrap_or_default());
            ctx.output.emit(&v, || text_fields(&v));
        }
        StakingQuery::Delegations { delegator } => {
            let r: QueryDelegatorDelegationsResponse = rpc
                .grpc_query(
                    &format!("{Q}DelegatorDelegations"),
                    &QueryDelegatorDelegationsRequest {
                        delegator_addr: resolve_address(&ks, &delegator)?.to_string(),
                        pagination: None,
                    },
                    None,
                )
                .await?;
            let list: Vec<Value> = r.delegation_responses.iter().map(delegation_json).collect();
            ctx.output.emit(&json!({ "delegations": list }), || {
                table(
                    &["validator", "balance"],
                    &list
                        .iter()
                        .map(|d| {
                            vec![
                                d["validator"].as_str().unwrap_or_default().to_string(),
                                d["balance"].as_str().unwrap_or_default().to_string(),
                            ]
                        })
                        .collect::<Vec<_>>(),
                )
            });
        }
        StakingQuery::Unbonding {
            delegator,
            validator,
        } => {
            let r: QueryUnbondingDelegationResponse = rpc
                .grpc_query(
                    &format!("{Q}UnbondingDelegation"),
                    &QueryUnbondingDelegationRequest {
                        delegator_addr: resolve_address(&ks, &delegator)?.to_string(),
                        validator_addr: val_addr(&validator)?,
                    },
                    None,
                )
                .await?;
            let entries: Vec<Value> = r
                .unbond
                .unwrap_or_default()
                .entries
                .iter()
                .map(|e| {
                    json!({
                        "creation_height": e.creation_height.to_string(),
                        "completion_time_unix": e.completion_time.as_ref().map(|t| t.seconds).unwrap_or_default(),
                        "initial_balance": e.initial_balance,
                        "balance": e.balance,
                    })
                })
                .collect();
            ctx.output.emit(&json!({ "entries": entries }), || {
                table(
                    &["created at", "completes (unix)", "balance"],
                    &entries
                        .iter()
                        .map(|e| {
                            vec![
                                e["creation_height"].as_str().unwrap_or_default().into(),
                                e["completion_time_unix"].to_string(),
                                e["balance"].as_str().unwrap_or_default().into(),
                            ]
                        })
                        .collect::<Vec<_>>(),
                )
            });
        }
        StakingQuery::Pool => {
            let r: QueryPoolResponse = rpc
                .grpc_query(&format!("{Q}Pool"), &QueryPoolRequest {}, None)
                .await?;
            let p = r.pool.unwrap_or_default();
            let v =
                json!({"bonded_tokens": p.bonded_tokens, "not_bonded_tokens": p.not_bonded_tokens});
            ctx.output.emit(&v, || text_fields(&v));
        }
        StakingQuery::Params => {
            let r: QueryParamsResponse = rpc
                .grpc_query(&format!("{Q}Params"), &QueryParamsRequest {}, None)
                .await?;
            let p = r.params.unwrap_or_default();
            let v = json!({
                "bond_denom": p.bond_denom,
                "max_validators": p.max_validators,
                "max_entries": p.max_entries,
                "unbonding_time_secs": p.unbonding_time.map(|d| d.seconds).unwrap_or_default(),
                "min_commission_rate": rate(&p.min_commission_rate),
            });
            ctx.output.emit(&v, || text_fields(&v));
        }
        StakingQuery::ConsensusSet { height } => {
            let set = pos_client::consensus_validators(&rpc, height).await?;
            let list: Vec<Value> = set
                .iter()
                .map(|v| json!({"address": v.address, "pub_key": v.pub_key, "power": v.power.to_string()}))
                .collect();
            ctx.output.emit(&json!({ "validators": list }), || {
                table(
                    &["address", "pub_key", "power"],
                    &set.iter()
                        .map(|v| vec![v.address.clone(), v.pub_key.clone(), v.power.to_string()])
                        .collect::<Vec<_>>(),
                )
            });
        }
    }
    Ok(())
}

fn text_fields(v: &Value) -> String {
    let rows: Vec<(&str, String)> = v
        .as_object()
        .map(|o| {
            o.iter()
                .map(|(k, v)| {
                    (
                        k.as_str(),
                        match v {
                            Value::String(s) => s.clone(),
                            other => other.to_string(),
                        },
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    fields(&rows)
}

pub async fn checkpoint(ctx: &Ctx, args: CheckpointArgs) -> Result<()> {
    let rpc = ctx.rpc()?;
    let record = args
        .record
        .as_deref()
        .map(|h| hex::decode(h.trim()).context("--record must be hex"))
        .transpose()?;
    if args.verify || args.height.is_some() || record.is_some() {
        let given = args
            .trust_height
            .zip(args.trust_hash.clone())
            .map(|(height, hash)| TrustOptions { height, hash });
        let store = ctx.trust_store();
        let chain_id = rpc.chain_id().await?;
        // A header the user gives replaces what was saved; otherwise the saved one (or first
        // use, when this home has trusted no chain yet).
        let saved = match given {
            Some(_) => None,
            None => store.load(&chain_id)?,
        };
        let had_saved = saved.is_some();
        let mut light = LightClient::start(
            &rpc,
            std::time::Duration::from_secs(args.trust_period_secs),
            given,
            saved,
        )
        .await
        .with_context(|| {
            if had_saved {
                format!(
                    "starting from the header saved in {} (if the chain was restarted from a new \
                     genesis, remove that file or pass --trust-height/--trust-hash)",
                    store.dir.display()
                )
            } else {
                "starting the light client".to_string()
            }
        })?;
        let v = pos_client::verify_checkpoint(&rpc, &mut light, args.epoch, args.height).await?;
        store.save(&light.saved_trust())?;
        let cp = &v.checkpoint.checkpoint;
        // The record against the verified checkpoint's records root.
        let proven_record = match &record {
            None => None,
            Some(r) => {
                let p = pos_client::record_proof(&rpc, cp.epoch, r).await?;
                cp.verify_record(r, &p.proof)
                    .map_err(|e| anyhow::anyhow!("the record's proof does not check: {e}"))?;
                Some(p)
            }
        };
        let doc = json!({
            "verified": true,
            "epoch": cp.epoch,
            "hash": hex::encode_upper(v.checkpoint.hash),
            "proven_at_header": v.proven_at,
            "trust": v.trust,
            "linked_to_previous": v.linked_to_previous,
            "block": v.block.as_ref().map(|b| json!({
                "height": b.height,
                "app_hash": hex::encode_upper(b.app_hash),
                "proof": b.proof,
            })),
            "checkpoint": cp,
            "record": proven_record.as_ref().map(|p| json!({"index": p.index, "record": p.record, "proof": p.proof})),
        });
        ctx.output.emit(&doc, || {
            let mut rows = vec![
                ("epoch", cp.epoch.to_string()),
                ("hash", hex::encode_upper(v.checkpoint.hash)),
                ("blocks", format!("{}..={}", cp.start_height, cp.end_height)),
                (
                    "checks",
                    "hash ok, rewards add up".to_string()
                        + if v.linked_to_previous {
                            ", links to the previous checkpoint"
                        } else {
                            " (first epoch)"
                        },
                ),
            ];
            if let Some(p) = &proven_record {
                rows.push((
                    "record",
                    format!(
                        "#{} of {} included (its proof reaches the records root)",
                        p.index, cp.record_count
                    ),
                ));
            }
            if let Some(b) = &v.block {
                rows.push((
                    "block",
                    format!(
                        "{} included (app hash {} matches the header of block {})",
                        b.height,
                        hex::encode_upper(b.app_hash),
                        b.height + 1
                    ),
                ));
            }
            rows.push((
                "light client",
                format!(
                    "read with a state proof against header {} (commit signatures checked from {})",
                    v.proven_at,
                    match &v.trust {
                        TrustRoot::Given { height } => format!("the trusted header {height}"),
                        TrustRoot::Saved { height, origin } => format!(
                            "header {height}, verified before from {}",
                            match origin {
                                Origin::Given { height } => format!("the header {height} you gave"),
                                Origin::FirstUse { height } => format!(
                                    "header {height} taken on first use (pass --trust-height/--trust-hash to start from a header you know)"
                                ),
                            }
                        ),
                        TrustRoot::FirstUse { height } => format!(
                            "header {height} taken on first use: pass --trust-height/--trust-hash to start from a header you know"
                        ),
                    }
                ),
            ));
            rows.push(("verified", "yes".into()));
            fields(&rows)
        });
        return Ok(());
    }
    let r = pos_client::checkpoint(&rpc, args.epoch).await?;
    let cp = &r.checkpoint;
    let doc =
        json!({"hash": hex::encode_upper(r.hash), "written_at": r.written_at, "checkpoint": cp});
    ctx.output.emit(&doc, || {
        let rw = &cp.rewards;
        fields(&[
            ("epoch", cp.epoch.to_string()),
            ("hash", hex::encode_upper(r.hash)),
            ("prev hash", hex::encode_upper(cp.prev_hash)),
            ("blocks", format!("{}..={}", cp.start_height, cp.end_height)),
            ("written at", r.written_at.to_string()),
            ("blocks root", hex::encode_upper(cp.blocks_root)),
            (
                "records",
                format!(
                    "{} (root {})",
                    cp.record_count,
                    hex::encode_upper(cp.records_root)
                ),
            ),
            (
                "validator set hash",
                hex::encode_upper(cp.validator_set_hash),
            ),
            ("contracts root", hex::encode_upper(cp.contracts_root)),
            ("emission", format!("{}{BASE_DENOM}", rw.emission)),
            ("fees", format!("{}{BASE_DENOM}", rw.fees)),
            (
                "most active",
                format!(
                    "{} ({}{BASE_DENOM})",
                    rw.most_active.as_deref().unwrap_or("none"),
                    rw.most_active_amount
                ),
            ),
            ("payouts", rw.payouts.len().to_string()),
        ])
    });
    Ok(())
}

pub async fn tx_staking(ctx: &Ctx, cmd: StakingTx) -> Result<()> {
    let single = |s: &str| parse_one_coin(s, "amount");
    match cmd {
        StakingTx::Delegate(a) => {
            let from = key_address(ctx, &a.from)?;
            let v = parse_valoper(&a.validator)?;
            let msg = smsg::delegate(&from, &v, &single(&a.amount)?);
            broadcast(ctx, &a.from, msg, &a.common).await
        }
        StakingTx::Unbond(a) => {
            let from = key_address(ctx, &a.from)?;
            let v = parse_valoper(&a.validator)?;
            let msg = smsg::undelegate(&from, &v, &single(&a.amount)?);
            broadcast(ctx, &a.from, msg, &a.common).await
        }
        StakingTx::Redelegate(a) => {
            let from = key_address(ctx, &a.from)?;
            let msg = smsg::redelegate(
                &from,
                &parse_valoper(&a.src)?,
                &parse_valoper(&a.dst)?,
                &single(&a.amount)?,
            );
            broadcast(ctx, &a.from, msg, &a.common).await
        }
        StakingTx::EditValidator {
            from,
            moniker,
            commission_bps,
            min_self_delegation,
            common,
        } => {
            if moniker.is_none() && commission_bps.is_none() && min_self_delegation.is_none() {
                anyhow::bail!(
                    "nothing to edit: give --moniker, --commission-bps or --min-self-delegation"
                );
            }
            let op = key_address(ctx, &from)?;
            let msg =
                smsg::edit_validator(&op, moniker.as_deref(), commission_bps, min_self_delegation);
            broadcast(ctx, &from, msg, &common).await
        }
        StakingTx::CreateValidator(a) => {
            let from = key_address(ctx, &a.from)?;
            use base64::Engine as _;
            let key: [u8; 32] = base64::engine::general_purpose::STANDARD
                .decode(a.pubkey.trim())
                .context("--pubkey is not base64")?
                .try_into()
                .map_err(|_| anyhow::anyhow!("--pubkey must be a 32-byte ed25519 key"))?;
            let msg = smsg::create_validator(&smsg::CreateValidator {
                operator: &from,
                consensus_key: key,
                moniker: &a.moniker,
                commission_bps: a.commission_bps,
                max_commission_bps: a.max_commission_bps,
                max_change_bps: a.max_change_bps,
                min_self_delegation: a.min_self_delegation,
                self_stake: single(&a.amount)?,
            });
            broadcast(ctx, &a.from, msg, &a.common).await
        }
    }
}

pub async fn tx_slashing(ctx: &Ctx, cmd: SlashingTx) -> Result<()> {
    match cmd {
        SlashingTx::Unjail { from, common } => {
            let op = key_address(ctx, &from)?;
            broadcast(ctx, &from, smsg::unjail(&op), &common).await
        }
    }
}
