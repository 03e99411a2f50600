//! Slashing parameters (`slashing/params`, JSON).

use crate::state::codec::*;
use crate::state::math::*;
use crate::state::{StateError, StateRead};
use serde::{Deserialize, Serialize};

pub const SLASHING_PARAMS_KEY: &[u8] = b"slashing/params";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SlashingParams {
    /// Downtime is judged over the last `signed_blocks_window` blocks.
    pub signed_blocks_window: u64,
    /// A validator must sign at least this fraction of the window.
    pub min_signed_per_window_bps: u32,
    pub downtime_jail_secs: u64,
    pub slash_fraction_double_sign_bps: u32,
    pub slash_fraction_downtime_bps: u32,
}

impl Default for SlashingParams {
    fn default() -> Self {
        Self {
            signed_blocks_window: 100,
            min_signed_per_window_bps: 5000,
            downtime_jail_secs: 600,
            slash_fraction_double_sign_bps: 500,
            slash_fraction_downtime_bps: 100,
        }
    }
}

impl SlashingParams {
    pub fn validate(&self) -> Result<(), String> {
        if self.signed_blocks_window == 0 || self.signed_blocks_window > 100_000 {
            return Err("signed_blocks_window must be 1..=100000".into());
        }
        for v in [
            self.min_signed_per_window_bps,
            self.slash_fraction_double_sign_bps,
            self.slash_fraction_downtime_bps,
        ] {
            if v as u128 > BPS {
                return Err("fractions are basis points, at most 10000".into());
            }
        }
        Ok(())
    }
}

pub fn slashing_params(state: &dyn StateRead) -> Result<SlashingParams, StateError> {
    load_json(state, SLASHING_PARAMS_KEY)
}

/// Slashing's parameters as governance edits them.
pub const SUBSPACE: Subspace = Subspace {
    name: "slashing",
    key: SLASHING_PARAMS_KEY,
    fixed_at_genesis: &[],
    current: |s| to_json_value(SLASHING_PARAMS_KEY, &slashing_params(s)?),
    encode: |v| decode_checked::<SlashingParams>(v, SlashingParams::validate),
};
use crate::state::params::{decode_checked, to_json_value, Subspace};
