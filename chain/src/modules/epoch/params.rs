//! Epoch parameters (`epoch/params`, JSON): epoch length, emission and its halving, and the
//! reward split with the accounts it pays.

use crate::state::math::BPS;
use crate::state::{StateError, StateRead};
use proof_sdk::Address;
use serde::{Deserialize, Serialize};

pub const PARAMS_KEY: &[u8] = b"epoch/params";

pub const DISTRIBUTION: &str = "distribution";

pub const LIQUIDITY: &str = "liquidity_incentives";

pub const DEVELOPMENT: &str = "development_fund";

pub(crate) const NS: i64 = 1_000_000_000;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct EpochParams {
    /// Epoch length in block time.
    pub epoch_secs: u64,
    /// uxyz minted per epoch before any halving.
    #[serde(with = "proof_sdk::checkpoint::u128_str")]
    pub emission_per_epoch: u128,
    /// The emission halves every `halving_secs` of block time since genesis (8760 h).
    pub halving_secs: u64,
    pub most_active_bps: u32,
    pub validators_bps: u32,
    pub liquidity_bps: u32,
    pub development_bps: u32,
    /// Bech32 accounts; empty = the module accounts `liquidity_incentives` / `development_fund`.
    pub liquidity_account: String,
    pub development_account: String,
}

impl Default for EpochParams {
    fn default() -> Self {
        Self {
            epoch_secs: 600,
            emission_per_epoch: 1_000_000_000,
            halving_secs: 8760 * 3600,
            most_active_bps: 4000,
            validators_bps: 4000,
            liquidity_bps: 1000,
            development_bps: 1000,
            liquidity_account: String::new(),
            development_account: String::new(),
        }
    }
}

pub(crate) fn account_or_module(s: &str, module: &str) -> Result<Address, String> {
    if s.is_empty() {
        Ok(Address::module(module))
    } else {
        s.parse()
            .map_err(|e: proof_sdk::address::AddressError| e.to_string())
    }
}

impl EpochParams {
    pub fn load(state: &dyn StateRead) -> Result<Self, StateError> {
        crate::state::codec::load_json(state, PARAMS_KEY)
    }

    pub fn validate(&self) -> Result<(), String> {
        if self.epoch_secs == 0 || self.halving_secs == 0 {
            return Err("epoch_secs and halving_secs must be positive".into());
        }
        if i64::try_from(self.epoch_secs.max(self.halving_secs))
            .ok()
            .and_then(|s| s.checked_mul(NS))
            .is_none()
        {
            return Err("epoch_secs / halving_secs too large".into());
        }
        let sum = self.most_active_bps as u64
            + self.validators_bps as u64
            + self.liquidity_bps as u64
            + self.development_bps as u64;
        if sum != BPS as u64 {
            return Err(format!(
                "the four reward shares must add up to 10000 bps, got {sum}"
            ));
        }
        account_or_module(&self.liquidity_account, LIQUIDITY)?;
        account_or_module(&self.development_account, DEVELOPMENT)?;
        Ok(())
    }

    pub fn liquidity_address(&self) -> Result<Address, StateError> {
        account_or_module(&self.liquidity_account, LIQUIDITY).map_err(|e| StateError::Corrupt {
            key: "epoch/params".into(),
            reason: e,
        })
    }

    pub fn development_address(&self) -> Result<Address, StateError> {
        account_or_module(&self.development_account, DEVELOPMENT).map_err(|e| StateError::Corrupt {
            key: "epoch/params".into(),
            reason: e,
        })
    }

    /// The emission of an epoch closing at `now_ns`.
    pub fn emission_at(&self, genesis_ns: i64, now_ns: i64) -> u128 {
        let elapsed = now_ns.saturating_sub(genesis_ns).max(0) as u128;
        let period = self.halving_secs as u128 * NS as u128;
        let halvings = elapsed / period.max(1);
        if halvings >= 128 {
            0
        } else {
            self.emission_per_epoch >> halvings
        }
    }
}

/// Epoch parameters as governance edits them.
pub const SUBSPACE: Subspace = Subspace {
    name: "epoch",
    key: PARAMS_KEY,
    fixed_at_genesis: &[],
    current: |s| to_json_value(PARAMS_KEY, &EpochParams::load(s)?),
    encode: |v| decode_checked::<EpochParams>(v, EpochParams::validate),
};
use crate::state::params::{decode_checked, to_json_value, Subspace};
