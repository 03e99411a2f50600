//! Staking parameters (`staking/params`, JSON) and the module accounts stake sits in.

use crate::modules::epoch::params::EpochParams;
use crate::state::codec::*;
use crate::state::math::*;
use crate::state::{StateError, StateRead};
use proof_sdk::Address;
use serde::{Deserialize, Serialize};

/// uxyz per unit of CometBFT voting power.
pub const POWER_REDUCTION: u128 = 1_000_000;

pub const BONDED_POOL: &str = "bonded_tokens_pool";

pub const NOT_BONDED_POOL: &str = "not_bonded_tokens_pool";

pub const PARAMS_KEY: &[u8] = b"staking/params";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct StakingParams {
    pub bond_denom: String,
    /// How long undelegated tokens stay locked (block time).
    pub unbonding_time_secs: u64,
    /// Size of the active set sent to CometBFT (highest power first).
    pub max_validators: u32,
    /// Unbonding / redelegation entries per (delegator, validator) pair.
    pub max_entries: u32,
    pub min_commission_bps: u32,
}

impl Default for StakingParams {
    fn default() -> Self {
        Self {
            bond_denom: proof_sdk::BASE_DENOM.into(),
            unbonding_time_secs: 21 * 24 * 3600,
            max_validators: 100,
            max_entries: 7,
            min_commission_bps: 0,
        }
    }
}

impl StakingParams {
    pub fn validate(&self) -> Result<(), String> {
        proof_sdk::coin::validate_denom(&self.bond_denom).map_err(|e| e.to_string())?;
        if self.max_validators == 0 || self.max_entries == 0 {
            return Err("max_validators and max_entries must be positive".into());
        }
        if self.min_commission_bps as u128 > BPS {
            return Err("min_commission_bps above 10000".into());
        }
        Ok(())
    }
}

pub fn params(state: &dyn StateRead) -> Result<StakingParams, StateError> {
    load_json(state, PARAMS_KEY)
}

pub fn bonded_pool() -> Address {
    Address::module(BONDED_POOL)
}

pub fn not_bonded_pool() -> Address {
    Address::module(NOT_BONDED_POOL)
}

pub(crate) fn dev_fund(state: &dyn StateRead) -> Result<Address, StateError> {
    EpochParams::load(state)?.development_address()
}

pub(crate) fn bond_denom(kv: &dyn PosKv) -> Result<String, StateError> {
    Ok(params(kv.as_read())?.bond_denom)
}

/// Staking's parameters as governance edits them; the bond denom is fixed (pools are held in it).
pub const SUBSPACE: Subspace = Subspace {
    name: "staking",
    key: PARAMS_KEY,
    fixed_at_genesis: &["bond_denom"],
    current: |s| to_json_value(PARAMS_KEY, &params(s)?),
    encode: |v| decode_checked::<StakingParams>(v, StakingParams::validate),
};
use crate::state::params::{decode_checked, to_json_value, Subspace};
