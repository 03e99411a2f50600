//! What a validator's operator does to its validator: create it with a self-delegation, and
//! edit its description, commission and minimum self-delegation.

use super::delegations::*;
use super::error::*;
use super::keys::*;
use super::params::*;
use super::validators::*;
use crate::modules::bank::{self};
use crate::modules::slashing::params::slashing_params;
use crate::modules::slashing::signing_info::{set_signing_info, SigningInfo};
use crate::state::codec::*;
use crate::state::math::*;
use proof_sdk::staking::valoper;
use proof_sdk::{Address, Coin};

/// What a new validator declares.
pub struct NewValidator {
    pub operator: Address,
    pub cons_pubkey: [u8; 32],
    pub moniker: String,
    pub commission_bps: u32,
    pub max_commission_bps: u32,
    pub max_change_bps: u32,
    pub min_self_delegation: u128,
    pub self_stake: u128,
}

/// Creates a validator with its operator's self-delegation. The self-stake moves from the
/// operator's balance to the bonded pool unless `minted` (genesis mints it there directly).
pub fn create_validator(
    kv: &mut dyn PosKv,
    (height, now_ns): (u64, i64),
    nv: NewValidator,
    minted: bool,
) -> Result<(), StakingError> {
    let p = params(kv.as_read())?;
    if get_validator(kv, &nv.operator)?.is_some() {
        return Err(StakingError::ValidatorExists(valoper(&nv.operator)));
    }
    let cons = cons_address(&nv.cons_pubkey);
    if let Some(other) = validator_by_cons(kv, &cons)? {
        return Err(StakingError::PubkeyInUse(valoper(&other)));
    }
    if nv.commission_bps > nv.max_commission_bps
        || nv.max_commission_bps as u128 > BPS
        || nv.max_change_bps > nv.max_commission_bps
    {
        return Err(StakingError::Commission(
            "need rate <= max_rate <= 1 and max_change_rate <= max_rate".into(),
        ));
    }
    if nv.commission_bps < p.min_commission_bps {
        return Err(StakingError::Commission(format!(
            "rate below the chain's minimum of {} bps",
            p.min_commission_bps
        )));
    }
    if nv.self_stake == 0 || nv.self_stake < nv.min_self_delegation {
        return Err(StakingError::SelfDelegationTooLow(
            nv.self_stake,
            nv.min_self_delegation,
        ));
    }
    let coin = [Coin::new(nv.self_stake, p.bond_denom.clone())];
    if minted {
        bank::mint(kv, &bonded_pool(), &coin)?;
    } else {
        bank::send(kv, &nv.operator, &bonded_pool(), &coin)?;
    }
    let mut v = Validator {
        operator: nv.operator.as_bytes().to_vec(),
        cons_pubkey: nv.cons_pubkey,
        moniker: nv.moniker,
        tokens: 0,
        shares: 0,
        commission_bps: nv.commission_bps,
        max_commission_bps: nv.max_commission_bps,
        max_change_bps: nv.max_change_bps,
        min_self_delegation: nv.min_self_delegation,
        jailed: false,
        bonded: false,
        creation_height: height,
        commission_updated_ns: now_ns,
    };
    add_stake(kv, &mut v, &nv.operator, nv.self_stake)?;
    set_validator(kv, &v)?;
    kv.kv_put(
        [CONS_PREFIX, cons.as_slice()].concat(),
        nv.operator.as_bytes().to_vec(),
    )?;
    let window = slashing_params(kv.as_read())?.signed_blocks_window;
    set_signing_info(
        kv,
        &cons,
        &SigningInfo {
            start_height: height,
            missed_bitmap: vec![0; window.div_ceil(8) as usize],
            ..Default::default()
        },
    )?;
    Ok(())
}

/// What `MsgEditValidator` changes; `None` keeps the current value.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ValidatorEdit {
    pub moniker: Option<String>,
    pub commission_bps: Option<u32>,
    pub min_self_delegation: Option<u128>,
}

/// A commission rate may change once per day (of block time), as in the Cosmos SDK.
pub const COMMISSION_CHANGE_SECS: u64 = 24 * 3600;

/// The SDK's `MsgEditValidator` rules: the commission stays within `[chain minimum, max_rate]`,
/// moves by at most `max_change_rate`, at most once per 24 h; the minimum self-delegation may only
/// rise, and never above what the operator has staked.
pub fn edit_validator(
    kv: &mut dyn PosKv,
    now_ns: i64,
    op: &Address,
    edit: &ValidatorEdit,
) -> Result<(), StakingError> {
    let mut v = must_validator(kv, op)?;
    if let Some(m) = &edit.moniker {
        v.moniker = m.clone();
    }
    if let Some(rate) = edit.commission_bps {
        let p = params(kv.as_read())?;
        let since = crate::state::after_secs(v.commission_updated_ns, COMMISSION_CHANGE_SECS);
        if now_ns < since {
            return Err(StakingError::Commission(
                "the commission can change once per 24 hours".into(),
            ));
        }
        if rate > v.max_commission_bps || rate < p.min_commission_bps {
            return Err(StakingError::Commission(format!(
                "rate must be within [{}, {}] bps",
                p.min_commission_bps, v.max_commission_bps
            )));
        }
        if rate.abs_diff(v.commission_bps) > v.max_change_bps {
            return Err(StakingError::Commission(format!(
                "rate may change by at most {} bps at a time",
                v.max_change_bps
            )));
        }
        v.commission_bps = rate;
        v.commission_updated_ns = now_ns;
    }
    if let Some(min) = edit.min_self_delegation {
        if min <= v.min_self_delegation {
            return Err(StakingError::InvalidAmount(
                "the minimum self-delegation can only increase".into(),
            ));
        }
        let own = v.tokens_for(delegation_shares(kv, op, op)?)?;
        if min > own {
            return Err(StakingError::SelfDelegationTooLow(own, min));
        }
        v.min_self_delegation = min;
    }
    set_validator(kv, &v)?;
    Ok(())
}
