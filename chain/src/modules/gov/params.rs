//! Governance parameters (`gov/params`, JSON) and the module account deposits sit in.

use crate::state::codec::PosKv;
use crate::state::math::BPS;
use crate::state::StateError;
use proof_sdk::Address;
use serde::{Deserialize, Serialize};

pub const PARAMS_KEY: &[u8] = b"gov/params";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct GovParams {
    #[serde(with = "proof_sdk::checkpoint::u128_str")]
    pub min_deposit: u128,
    /// What a proposal must bring at submission, in basis points of `min_deposit` (the SDK's
    /// `min_initial_deposit_ratio`): every open proposal costs the chain state until it closes,
    /// so none is free to open.
    pub min_initial_deposit_bps: u32,
    pub max_deposit_secs: u64,
    pub voting_secs: u64,
    pub quorum_bps: u32,
    pub threshold_bps: u32,
    pub veto_bps: u32,
    /// Gas a passed proposal's messages may use together (contract migrations run on it).
    pub max_execution_gas: u64,
}

impl Default for GovParams {
    fn default() -> Self {
        Self {
            min_deposit: 10_000_000_000,
            min_initial_deposit_bps: 2500,
            max_deposit_secs: 2 * 24 * 3600,
            voting_secs: 2 * 24 * 3600,
            quorum_bps: 3340,
            threshold_bps: 5000,
            veto_bps: 3340,
            max_execution_gas: 100_000_000,
        }
    }
}

impl GovParams {
    pub fn validate(&self) -> Result<(), String> {
        if self.voting_secs == 0 || self.max_deposit_secs == 0 {
            return Err("gov periods must be positive".into());
        }
        if self.max_execution_gas == 0 {
            return Err("max_execution_gas must be positive".into());
        }
        for b in [
            self.quorum_bps,
            self.threshold_bps,
            self.veto_bps,
            self.min_initial_deposit_bps,
        ] {
            if b as u128 > BPS {
                return Err("gov fractions are basis points, at most 10000".into());
            }
        }
        Ok(())
    }
}

pub fn params(kv: &dyn PosKv) -> Result<GovParams, StateError> {
    crate::state::codec::load_json(kv.as_read(), PARAMS_KEY)
}

/// The governance module's account: holds deposits, and is the authority proposals act as.
pub fn gov_account() -> Address {
    proof_sdk::gov::module_address()
}

/// Governance's own parameters as governance edits them.
pub const SUBSPACE: Subspace = Subspace {
    name: "gov",
    key: PARAMS_KEY,
    fixed_at_genesis: &[],
    current: |s| {
        to_json_value(
            PARAMS_KEY,
            &crate::state::codec::load_json::<GovParams>(s, PARAMS_KEY)?,
        )
    },
    encode: |v| decode_checked::<GovParams>(v, GovParams::validate),
};
use crate::state::params::{decode_checked, to_json_value, Subspace};
