//! The clock's parameters (`clock/params`, JSON): which contracts the chain calls at end block.

use proof_sdk::Address;
use serde::{Deserialize, Serialize};

use crate::state::params::{decode_checked, to_json_value, Subspace};
use crate::state::{StateError, StateRead};

pub const PARAMS_KEY: &[u8] = b"clock/params";

/// At most this many contracts are called each block.
pub const MAX_CONTRACTS: usize = 8;
/// One contract's gas each block (chain gas; 1 000 VM gas = 1 chain gas).
pub const MAX_GAS_PER_CONTRACT: u64 = 50_000_000;
/// What every call of one block may use together: an unpaid addition to each block, so it is
/// kept to the order of one full transaction of the default block.
pub const MAX_TOTAL_GAS: u64 = 100_000_000;

/// One contract called at end block.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HookContract {
    /// The contract's bech32 address.
    pub address: String,
    /// Gas its call may use each block.
    pub gas_limit: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClockParams {
    /// Called in this order.
    pub contracts: Vec<HookContract>,
}

impl ClockParams {
    pub fn validate(&self) -> Result<(), String> {
        if self.contracts.len() > MAX_CONTRACTS {
            return Err(format!("at most {MAX_CONTRACTS} end-block contracts"));
        }
        let mut seen = std::collections::BTreeSet::new();
        let mut total = 0u64;
        for c in &self.contracts {
            let addr: Address = c
                .address
                .parse()
                .map_err(|e| format!("contract {:?}: {e}", c.address))?;
            if !seen.insert(addr.as_bytes().to_vec()) {
                return Err(format!("contract {} is listed twice", c.address));
            }
            if c.gas_limit == 0 || c.gas_limit > MAX_GAS_PER_CONTRACT {
                return Err(format!(
                    "contract {}: gas_limit must be in 1..={MAX_GAS_PER_CONTRACT}",
                    c.address
                ));
            }
            total = total.saturating_add(c.gas_limit);
        }
        if total > MAX_TOTAL_GAS {
            return Err(format!(
                "the end-block contracts' gas limits add up to {total}, more than {MAX_TOTAL_GAS}"
            ));
        }
        Ok(())
    }

    pub fn load(state: &dyn StateRead) -> Result<Self, StateError> {
        crate::state::codec::load_json(state, PARAMS_KEY)
    }
}

/// The clock's parameters as governance edits them (`clock.contracts`).
pub const SUBSPACE: Subspace = Subspace {
    name: "clock",
    key: PARAMS_KEY,
    fixed_at_genesis: &[],
    current: |s| to_json_value(PARAMS_KEY, &ClockParams::load(s)?),
    encode: |v| decode_checked::<ClockParams>(v, ClockParams::validate),
};

#[cfg(test)]
mod tests {
    use super::*;

    fn hook(seed: &str, gas_limit: u64) -> HookContract {
        HookContract {
            address: Address::module(seed).to_string(),
            gas_limit,
        }
    }

    #[test]
    fn validation_bounds_the_unpaid_work() {
        let ok = ClockParams {
            contracts: vec![hook("a", 40_000_000), hook("b", 50_000_000)],
        };
        assert_eq!(ok.validate(), Ok(()));
        assert!(ClockParams::default().validate().is_ok());
        let twice = ClockParams {
            contracts: vec![hook("a", 1), hook("a", 2)],
        };
        assert!(twice.validate().unwrap_err().contains("twice"));
        for g in [0, MAX_GAS_PER_CONTRACT + 1] {
            let bad = ClockParams {
                contracts: vec![hook("a", g)],
            };
            assert!(bad.validate().unwrap_err().contains("gas_limit"), "{g}");
        }
        let over = ClockParams {
            contracts: vec![hook("a", 50_000_000), hook("b", 50_000_000), hook("c", 1)],
        };
        assert!(over.validate().unwrap_err().contains("add up"));
        let many = ClockParams {
            contracts: (0..=MAX_CONTRACTS)
                .map(|i| hook(&i.to_string(), 1))
                .collect(),
        };
        assert!(many.validate().unwrap_err().contains("at most"));
        let junk = ClockParams {
            contracts: vec![HookContract {
                address: "proof1nope".into(),
                gas_limit: 1,
            }],
        };
        assert!(junk.validate().is_err());
    }
}
