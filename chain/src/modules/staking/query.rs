//! Queries of proof of stake and the checkpoint layer: the Cosmos SDK's staking queries
//! (protobuf, as cosmjs sends them), slashing signing info, and our JSON checkpoint queries
//! with inclusion proofs.

use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
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
use proof_sdk::{Address, PublicKey};
use prost::Message;

use crate::modules::bank;
use crate::modules::staking::{self, Validator};
use crate::query::paging::page;
use crate::query::{decode, parse_addr, timestamp, QueryError};
use crate::state::{Delta, StateRead};

/// Bech32 prefix of consensus addresses.
pub const VALCONS_PREFIX: &str = "proofvalcons";

fn valoper(s: &str) -> Result<Address, QueryError> {
    staking::parse_valoper(s).map_err(|e| QueryError::InvalidArgument(e.to_string()))
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
        delegator_shares: crate::state::math::shares_to_dec(v.shares),
        description: Some(Description {
            moniker: v.moniker.clone(),
            ..Default::default()
        }),
        unbonding_height: 0,
        unbonding_time: None,
        commission: Some(Commission {
            commission_rates: Some(CommissionRates {
                rate: crate::state::math::bps_to_dec(v.commission_bps),
                max_rate: crate::state::math::bps_to_dec(v.max_commission_bps),
                max_change_rate: crate::state::math::bps_to_dec(v.max_change_bps),
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
            shares: crate::state::math::shares_to_dec(shares),
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

/// Answers `cosmos.staking.v1beta1.Query`; `None` if `path` is not one of its methods.
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
                    historical_entries: crate::state::params::HISTORICAL_ENTRIES as u32,
                    bond_denom: p.bond_denom,
                    min_commission_rate: crate::state::math::bps_to_dec(p.min_commission_bps),
                }),
            }
            .encode_to_vec()
        }
        _ => return Ok(None),
    }))
}
