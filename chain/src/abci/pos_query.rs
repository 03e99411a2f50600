//! Queries of proof of stake and the checkpoint layer: the Cosmos SDK's staking queries
//! (protobuf, as cosmjs sends them), slashing signing info, and our JSON checkpoint queries
//! with inclusion proofs.

use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmos_sdk_proto::cosmos::slashing::v1beta1::{
    QuerySigningInfoRequest, QuerySigningInfoResponse, ValidatorSigningInfo,
};
use cosmos_sdk_proto::cosmos::staking::v1beta1::{
    BondStatus, Commission, CommissionRates, Delegation, DelegationResponse, Description,
    Params as ProtoParams, Pool, QueryDelegationRequest, QueryDelegationResponse,
    QueryDelegatorDelegationsRequest, QueryDelegatorDelegationsResponse, QueryParamsRequest,
    QueryParamsResponse, QueryPoolRequest, QueryPoolResponse, QueryUnbondingDelegationRequest,
    QueryUnbondingDelegationResponse, QueryValidatorDelegationsRequest,
    QueryValidatorDelegationsResponse, QueryValidatorRequest, QueryValidatorResponse,
    QueryValidatorsRequest, QueryValidatorsResponse, UnbondingDelegation, UnbondingDelegationEntry,
    Validator as ProtoValidator,
};
use cosmos_sdk_proto::cosmos::upgrade::v1beta1::{
    Plan as ProtoPlan, QueryAppliedPlanRequest, QueryAppliedPlanResponse, QueryCurrentPlanResponse,
};
use proof_sdk::checkpoint::{self, BlockProof, CheckpointResponse};
use proof_sdk::{Address, PublicKey};
use prost::Message;
use serde::Deserialize;

use super::paging::page;
use super::query::{decode, parse_addr, QueryError};
use crate::state::epoch::{self, EpochParams, StoredCheckpoint};
use crate::state::staking::{self, Validator};
use crate::state::{bank, upgrade, Delta, StateRead};

/// Bech32 prefix of consensus addresses.
pub const VALCONS_PREFIX: &str = "proofvalcons";

fn json_req<'a, T: Deserialize<'a>>(data: &'a [u8]) -> Result<T, QueryError> {
    let data: &[u8] = if data.is_empty() { b"{}" } else { data };
    serde_json::from_slice(data)
        .map_err(|e| QueryError::InvalidArgument(format!("cannot decode JSON request: {e}")))
}

fn json<T: serde::Serialize>(v: &T) -> Result<Vec<u8>, QueryError> {
    serde_json::to_vec(v).map_err(|e| QueryError::Internal(e.to_string()))
}

fn valoper(s: &str) -> Result<Address, QueryError> {
    staking::parse_valoper(s).map_err(|e| QueryError::InvalidArgument(e.to_string()))
}

fn timestamp(ns: i64) -> tendermint_proto::google::protobuf::Timestamp {
    tendermint_proto::google::protobuf::Timestamp {
        seconds: ns.div_euclid(1_000_000_000),
        nanos: ns.rem_euclid(1_000_000_000) as i32,
    }
}

fn validator_proto(v: &Validator) -> ProtoValidator {
    let pk = PublicKey::Ed25519(v.cons_pubkey).to_any();
    ProtoValidator {
        operator_address: staking::valoper(&v.operator()),
        consensus_pubkey: Some(cosmos_sdk_proto::Any {
            type_url: pk.type_url,
            value: pk.value,
        }),
        jailed: v.jailed,
        status: if v.bonded {
            BondStatus::Bonded as i32
        } else {
            BondStatus::Unbonded as i32
        },
        tokens: v.tokens.to_string(),
        delegator_shares: staking::shares_to_dec(v.shares),
        description: Some(Description {
            moniker: v.moniker.clone(),
            ..Default::default()
        }),
        unbonding_height: 0,
        unbonding_time: None,
        commission: Some(Commission {
            commission_rates: Some(CommissionRates {
                rate: staking::bps_to_dec(v.commission_bps),
                max_rate: staking::bps_to_dec(v.max_commission_bps),
                max_change_rate: staking::bps_to_dec(v.max_change_bps),
            }),
            update_time: None,
        }),
        min_self_delegation: v.min_self_delegation.to_string(),
        unbonding_on_hold_ref_count: 0,
        unbonding_ids: vec![],
    }
}

fn delegation_response(
    v: &Validator,
    del: &Address,
    shares: u128,
    denom: &str,
) -> Result<DelegationResponse, QueryError> {
    Ok(DelegationResponse {
        delegation: Some(Delegation {
            delegator_address: del.to_string(),
            validator_address: staking::valoper(&v.operator()),
            shares: staking::shares_to_dec(shares),
        }),
        balance: Some(ProtoCoin {
            denom: denom.to_string(),
            amount: v
                .tokens_for(shares)
                .map_err(|e| QueryError::Internal(e.to_string()))?
                .to_string(),
        }),
    })
}

fn must_validator(view: &dyn StateRead, op: &Address) -> Result<Validator, QueryError> {
    let mut d = Delta::new(view);
    staking::get_validator(&mut d, op)?.ok_or_else(|| {
        QueryError::NotFound(format!("validator {} not found", staking::valoper(op)))
    })
}

#[derive(Deserialize)]
struct EpochReq {
    epoch: Option<u64>,
}

#[derive(Deserialize)]
struct HeightReq {
    height: u64,
}

#[derive(Deserialize)]
struct RecordReq {
    epoch: u64,
    index: u64,
}

fn stored_response(s: StoredCheckpoint) -> Result<CheckpointResponse, QueryError> {
    let hash = hex::decode(&s.hash)
        .ok()
        .and_then(|h| <[u8; 32]>::try_from(h).ok())
        .ok_or_else(|| QueryError::Internal("corrupt checkpoint hash".into()))?;
    Ok(CheckpointResponse {
        checkpoint: s.checkpoint,
        hash,
        written_at: s.written_at,
    })
}

/// Answers the proof-of-stake query paths; `None` if `path` is not one of them.
pub fn route(view: &dyn StateRead, path: &str, data: &[u8]) -> Result<Option<Vec<u8>>, QueryError> {
    let denom = || -> Result<String, QueryError> { Ok(staking::params(view)?.bond_denom) };
    Ok(Some(match path {
        "/cosmos.staking.v1beta1.Query/Validators" => {
            let r: QueryValidatorsRequest = decode(data)?;
            let want = match r.status.as_str() {
                "" => None,
                "BOND_STATUS_BONDED" => Some(true),
                "BOND_STATUS_UNBONDED" | "BOND_STATUS_UNBONDING" => Some(false),
                other => {
                    return Err(QueryError::InvalidArgument(format!(
                        "invalid status {other}"
                    )))
                }
            };
            let (validators, pagination) =
                page(view, staking::VALIDATORS_PREFIX, r.pagination, |k, v| {
                    let val = staking::decode_validator(k, &v)?;
                    Ok(want
                        .is_none_or(|b| val.bonded == b)
                        .then(|| validator_proto(&val)))
                })?;
            QueryValidatorsResponse {
                validators,
                pagination,
            }
            .encode_to_vec()
        }
        "/cosmos.staking.v1beta1.Query/Validator" => {
            let r: QueryValidatorRequest = decode(data)?;
            let v = must_validator(view, &valoper(&r.validator_addr)?)?;
            QueryValidatorResponse {
                validator: Some(validator_proto(&v)),
            }
            .encode_to_vec()
        }
        "/cosmos.staking.v1beta1.Query/Delegation" => {
            let r: QueryDelegationRequest = decode(data)?;
            let del = parse_addr(&r.delegator_addr)?;
            let v = must_validator(view, &valoper(&r.validator_addr)?)?;
            let mut d = Delta::new(view);
            let shares = staking::delegation_shares(&mut d, &del, &v.operator())?;
            if shares == 0 {
                return Err(QueryError::NotFound(format!(
                    "delegation with delegator {} not found for validator {}",
                    r.delegator_addr, r.validator_addr
                )));
            }
            QueryDelegationResponse {
                delegation_response: Some(delegation_response(&v, &del, shares, &denom()?)?),
            }
            .encode_to_vec()
        }
        "/cosmos.staking.v1beta1.Query/DelegatorDelegations" => {
            let r: QueryDelegatorDelegationsRequest = decode(data)?;
            let del = parse_addr(&r.delegator_addr)?;
            let denom = denom()?;
            let prefix = staking::delegations_of_prefix(&del);
            let (delegation_responses, pagination) = page(view, &prefix, r.pagination, |k, _| {
                let op = staking::leading_address(k)?;
                let v = must_validator(view, &op)?;
                let shares = staking::delegation_shares(&mut Delta::new(view), &del, &op)?;
                Ok(Some(delegation_response(&v, &del, shares, &denom)?))
            })?;
            QueryDelegatorDelegationsResponse {
                delegation_responses,
                pagination,
            }
            .encode_to_vec()
        }
        "/cosmos.staking.v1beta1.Query/ValidatorDelegations" => {
            let r: QueryValidatorDelegationsRequest = decode(data)?;
            let v = must_validator(view, &valoper(&r.validator_addr)?)?;
            let denom = denom()?;
            let prefix = staking::delegations_to_prefix(&v.operator());
            let (delegation_responses, pagination) = page(view, &prefix, r.pagination, |k, s| {
                let del = staking::leading_address(k)?;
                let shares = staking::decode_shares(k, &s)?;
                Ok(Some(delegation_response(&v, &del, shares, &denom)?))
            })?;
            QueryValidatorDelegationsResponse {
                delegation_responses,
                pagination,
            }
            .encode_to_vec()
        }
        "/cosmos.staking.v1beta1.Query/UnbondingDelegation" => {
            let r: QueryUnbondingDelegationRequest = decode(data)?;
            let del = parse_addr(&r.delegator_addr)?;
            let op = valoper(&r.validator_addr)?;
            let entries = staking::unbonding_of(view, &del, &op)?;
            if entries.is_empty() {
                return Err(QueryError::NotFound(format!(
                    "unbonding delegation with delegator {} not found for validator {}",
                    r.delegator_addr, r.validator_addr
                )));
            }
            QueryUnbondingDelegationResponse {
                unbond: Some(UnbondingDelegation {
                    delegator_address: del.to_string(),
                    validator_address: staking::valoper(&op),
                    entries: entries
                        .iter()
                        .map(|e| UnbondingDelegationEntry {
                            creation_height: e.creation_height as i64,
                            completion_time: Some(timestamp(e.completion_ns)),
                            initial_balance: e.initial_balance.to_string(),
                            balance: e.balance.to_string(),
                            unbonding_id: 0,
                            unbonding_on_hold_ref_count: 0,
                        })
                        .collect(),
                }),
            }
            .encode_to_vec()
        }
        "/cosmos.staking.v1beta1.Query/Pool" => {
            let _: QueryPoolRequest = decode(data)?;
            let denom = denom()?;
            let mut d = Delta::new(view);
            QueryPoolResponse {
                pool: Some(Pool {
                    not_bonded_tokens: bank::balance(&mut d, &staking::not_bonded_pool(), &denom)?
                        .to_string(),
                    bonded_tokens: bank::balance(&mut d, &staking::bonded_pool(), &denom)?
                        .to_string(),
                }),
            }
            .encode_to_vec()
        }
        "/cosmos.staking.v1beta1.Query/Params" => {
            let _: QueryParamsRequest = decode(data)?;
            let p = staking::params(view)?;
            QueryParamsResponse {
                params: Some(ProtoParams {
                    unbonding_time: Some(tendermint_proto::google::protobuf::Duration {
                        seconds: p.unbonding_time_secs as i64,
                        nanos: 0,
                    }),
                    max_validators: p.max_validators,
                    max_entries: p.max_entries,
                    historical_entries: 0,
                    bond_denom: p.bond_denom,
                    min_commission_rate: staking::bps_to_dec(p.min_commission_bps),
                }),
            }
            .encode_to_vec()
        }
        "/cosmos.slashing.v1beta1.Query/SigningInfo" => {
            let r: QuerySigningInfoRequest = decode(data)?;
            let a = Address::from_bech32(&r.cons_address, VALCONS_PREFIX)
                .map_err(|e| QueryError::InvalidArgument(e.to_string()))?;
            let cons: [u8; 20] = a
                .as_bytes()
                .try_into()
                .map_err(|_| QueryError::InvalidArgument("consensus address is 20 bytes".into()))?;
            let mut d = Delta::new(view);
            let info = staking::signing_info(&mut d, &cons)?.ok_or_else(|| {
                QueryError::NotFound(format!("signing info of {} not found", r.cons_address))
            })?;
            QuerySigningInfoResponse {
                val_signing_info: Some(ValidatorSigningInfo {
                    address: r.cons_address,
                    start_height: info.start_height as i64,
                    index_offset: info.index_offset as i64,
                    jailed_until: Some(timestamp(info.jailed_until_ns)),
                    tombstoned: info.tombstoned,
                    missed_blocks_counter: info.missed_blocks_counter as i64,
                }),
            }
            .encode_to_vec()
        }
        "/proof.gov.v1.Query/Proposal" => {
            #[derive(Deserialize)]
            struct Req {
                id: u64,
            }
            let r: Req = json_req(data)?;
            let mut d = Delta::new(view);
            let p = crate::state::gov::proposal(&mut d, r.id)?
                .ok_or_else(|| QueryError::NotFound(format!("proposal {} not found", r.id)))?;
            json(&p)?
        }
        "/cosmos.upgrade.v1beta1.Query/CurrentPlan" => {
            #[allow(deprecated)]
            let plan = upgrade::plan(view)?.map(|p| ProtoPlan {
                name: p.name,
                time: None,
                height: p.height as i64,
                info: p.info,
                upgraded_client_state: None,
            });
            QueryCurrentPlanResponse { plan }.encode_to_vec()
        }
        "/cosmos.upgrade.v1beta1.Query/AppliedPlan" => {
            let r: QueryAppliedPlanRequest = decode(data)?;
            let height = upgrade::applied(view, &r.name)?.unwrap_or(0) as i64;
            QueryAppliedPlanResponse { height }.encode_to_vec()
        }
        "/proof.epoch.v1.Query/Params" => json(&EpochParams::load(view)?)?,
        "/proof.epoch.v1.Query/Current" => {
            let s = epoch::epoch_state(view)?
                .ok_or_else(|| QueryError::NotFound("epochs not initialised".into()))?;
            json(&serde_json::json!({
                "epoch": s.epoch,
                "start_height": s.start_height,
                "start_time_ns": s.start_time_ns,
                "prev_hash": hex::encode_upper(s.prev_hash),
            }))?
        }
        "/proof.checkpoint.v1.Query/Checkpoint" => {
            let r: EpochReq = json_req(data)?;
            let e = match r.epoch {
                Some(e) => e,
                None => epoch::latest_epoch(view)?
                    .ok_or_else(|| QueryError::NotFound("no checkpoint yet".into()))?,
            };
            let s = epoch::checkpoint(view, e)?
                .ok_or_else(|| QueryError::NotFound(format!("no checkpoint for epoch {e}")))?;
            json(&stored_response(s)?)?
        }
        "/proof.checkpoint.v1.Query/BlockProof" => {
            let r: HeightReq = json_req(data)?;
            let s = epoch::checkpoint_for_height(view, r.height)?.ok_or_else(|| {
                QueryError::NotFound(format!("no checkpoint covers block {}", r.height))
            })?;
            let cp = &s.checkpoint;
            let hashes = epoch::epoch_block_hashes(view, cp.epoch)?;
            let index = (r.height - cp.start_height) as usize;
            let app_hash = *hashes
                .get(index)
                .ok_or_else(|| QueryError::Internal("checkpoint block hashes missing".into()))?;
            let leaves: Vec<_> = hashes
                .iter()
                .zip(cp.start_height..)
                .map(|(ah, h)| checkpoint::leaf_hash(&checkpoint::block_leaf(h, ah)))
                .collect();
            let proof = checkpoint::prove(&leaves, index)
                .ok_or_else(|| QueryError::Internal("height outside the checkpoint".into()))?;
            let resp = stored_response(s.clone())?;
            json(&BlockProof {
                checkpoint: resp.checkpoint,
                checkpoint_hash: resp.hash,
                height: r.height,
                app_hash,
                proof,
            })?
        }
        "/proof.checkpoint.v1.Query/RecordProof" => {
            let r: RecordReq = json_req(data)?;
            let s = epoch::checkpoint(view, r.epoch)?.ok_or_else(|| {
                QueryError::NotFound(format!("no checkpoint for epoch {}", r.epoch))
            })?;
            let leaves = s
                .records
                .iter()
                .map(|h| {
                    hex::decode(h)
                        .map(|b| checkpoint::leaf_hash(&b))
                        .map_err(|e| QueryError::Internal(e.to_string()))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let proof = checkpoint::prove(&leaves, r.index as usize).ok_or_else(|| {
                QueryError::NotFound(format!(
                    "epoch {} has {} records, no index {}",
                    r.epoch,
                    leaves.len(),
                    r.index
                ))
            })?;
            json(&serde_json::json!({
                "record": s.records[r.index as usize],
                "proof": proof,
                "checkpoint_hash": s.hash,
            }))?
        }
        _ => return Ok(None),
    }))
}
