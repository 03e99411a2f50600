//! The zk module's parameters (`zk/params`, JSON): how much proof verification a block may do.

use crate::state::params::{decode_checked, to_json_value, Subspace};
use crate::state::{StateError, StateRead};
use serde::{Deserialize, Serialize};

pub const PARAMS_KEY: &[u8] = b"zk/params";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ZkParams {
    /// Measured verification work one block may do, in microseconds of the benchmark machine
    /// (`proof_zk::keys::verify_cost_micros` weighs each proof by its circuit). Verification
    /// costs more CPU than a transaction's gas buys, so this is what bounds what proofs add to a
    /// block's time. The default fits one proof of the largest circuit (K = 9-16), or two of
    /// K ≤ 3; a proof heavier than the whole room is refused outright.
    pub max_block_verify_micros: u64,
}

impl Default for ZkParams {
    fn default() -> Self {
        ZkParams {
            max_block_verify_micros: 1_200_000,
        }
    }
}

impl ZkParams {
    pub fn validate(&self) -> Result<(), String> {
        // Above ~10 s a block could no longer finish inside CometBFT's default timeouts.
        if self.max_block_verify_micros > 10_000_000 {
            return Err("max_block_verify_micros must be at most 10000000 (10 s)".into());
        }
        Ok(())
    }
}

pub fn params(state: &dyn StateRead) -> Result<ZkParams, StateError> {
    crate::state::codec::load_json(state, PARAMS_KEY)
}

/// The zk module's parameters as governance edits them.
pub const SUBSPACE: Subspace = Subspace {
    name: "zk",
    key: PARAMS_KEY,
    fixed_at_genesis: &[],
    current: |s| to_json_value(PARAMS_KEY, &params(s)?),
    encode: |v| decode_checked::<ZkParams>(v, ZkParams::validate),
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_room_fits_every_supported_circuit() {
        let room = ZkParams::default().max_block_verify_micros;
        for k in proof_zk::keys::STEP_SIZES {
            assert!(
                proof_zk::keys::verify_cost_micros(k).unwrap() <= room,
                "K = {k}"
            );
        }
        assert!(ZkParams::default().validate().is_ok());
        let too_much = ZkParams {
            max_block_verify_micros: 10_000_001,
        };
        assert!(too_much.validate().is_err());
    }
}
