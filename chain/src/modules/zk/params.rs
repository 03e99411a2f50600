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
    /// The step sizes (circuits) rollups may use. Each is a verifier key every node derives
    /// (seconds to tens of seconds, 55-240 MB kept) the first time it is asked for, so the set a
    /// transaction can make nodes derive is this short list, not every size the prover knows.
    pub step_sizes: Vec<u32>,
}

/// More circuits than this would let the list itself become the derivation attack it bounds.
pub const MAX_STEP_SIZES: usize = 4;

impl Default for ZkParams {
    fn default() -> Self {
        ZkParams {
            max_block_verify_micros: 1_200_000,
            step_sizes: vec![2, 3, 8],
        }
    }
}

impl ZkParams {
    pub fn supports(&self, k: u32) -> bool {
        self.step_sizes.contains(&k)
    }

    pub fn validate(&self) -> Result<(), String> {
        // Above ~10 s a block could no longer finish inside CometBFT's default timeouts.
        if self.max_block_verify_micros > 10_000_000 {
            return Err("max_block_verify_micros must be at most 10000000 (10 s)".into());
        }
        if self.step_sizes.len() > MAX_STEP_SIZES {
            return Err(format!("at most {MAX_STEP_SIZES} step sizes"));
        }
        for &k in &self.step_sizes {
            // Every listed circuit must fit an empty block, or its rollups could never post.
            match proof_zk::keys::verify_cost_micros(k) {
                None => return Err(format!("step size {k} is not a circuit this chain has")),
                Some(w) if w > self.max_block_verify_micros => {
                    return Err(format!(
                        "a K = {k} proof weighs {w} us, more than max_block_verify_micros"
                    ))
                }
                Some(_) => {}
            }
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
            ..Default::default()
        };
        assert!(too_much.validate().is_err());
        let too_small = ZkParams {
            max_block_verify_micros: 500_000,
            ..Default::default()
        };
        assert!(too_small.validate().unwrap_err().contains("K = 8"));
        let unknown = ZkParams {
            step_sizes: vec![17],
            ..Default::default()
        };
        assert!(unknown.validate().is_err());
        let many = ZkParams {
            step_sizes: vec![1, 2, 3, 4, 5],
            ..Default::default()
        };
        assert!(many.validate().is_err());
    }
}
