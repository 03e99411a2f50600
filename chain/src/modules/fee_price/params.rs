//! The fee price's parameters (`fee_price/params`, JSON): which pool prices XYZ in USD.

use proof_sdk::Address;
use serde::{Deserialize, Serialize};

use crate::state::params::{decode_checked, to_json_value, Subspace};
use crate::state::{StateError, StateRead};

pub const PARAMS_KEY: &[u8] = b"fee_price/params";

/// The TWAP windows allowed: long enough that a few blocks' prices cannot move it much, short
/// enough that the AMM keeps the observations.
pub const MAX_WINDOW_BLOCKS: u64 = 100_000;

/// A pool of the AMM whose quote denom is worth one USD per `10^quote_decimals` units.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceSource {
    /// The amm contract.
    pub contract: String,
    pub pool: u64,
    /// The TWAP's window in blocks; a pool younger than this gives no price.
    pub window_blocks: u64,
    /// The pool's quote reserve must hold at least this (its smallest units), or it is too thin
    /// to price anything.
    #[serde(with = "proof_sdk::checkpoint::u128_str")]
    pub min_quote_reserve: u128,
    /// Decimals of the quote denom (6 for `uusd`-style denoms), at most 18.
    pub quote_decimals: u8,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FeePriceParams {
    /// `None`: fees use the `chain.xyz_price_micro_usd` parameter.
    pub source: Option<PriceSource>,
}

impl FeePriceParams {
    pub fn validate(&self) -> Result<(), String> {
        let Some(s) = &self.source else {
            return Ok(());
        };
        s.contract
            .parse::<Address>()
            .map_err(|e| format!("source.contract {:?}: {e}", s.contract))?;
        if s.window_blocks == 0 || s.window_blocks > MAX_WINDOW_BLOCKS {
            return Err(format!(
                "source.window_blocks must be in 1..={MAX_WINDOW_BLOCKS}"
            ));
        }
        if s.quote_decimals > 18 {
            return Err("source.quote_decimals must be at most 18".into());
        }
        if s.min_quote_reserve == 0 {
            return Err("source.min_quote_reserve must be positive (a thin pool is a cheap lever on every fee)".into());
        }
        Ok(())
    }

    pub fn load(state: &dyn StateRead) -> Result<Self, StateError> {
        crate::state::codec::load_json(state, PARAMS_KEY)
    }
}

/// The fee price's parameters as governance edits them (`fee_price.source`).
pub const SUBSPACE: Subspace = Subspace {
    name: "fee_price",
    key: PARAMS_KEY,
    fixed_at_genesis: &[],
    current: |s| to_json_value(PARAMS_KEY, &FeePriceParams::load(s)?),
    encode: |v| decode_checked::<FeePriceParams>(v, FeePriceParams::validate),
};

/// micro-USD per XYZ from an AMM price (quote units per uxyz, scaled by `amm_msgs`' 10^18):
/// `price * 10^6 (uxyz per XYZ) * 10^6 (micro-USD per USD) / 10^quote_decimals / 10^18`, which is
/// `price / 10^(quote_decimals + 6)`, rounded down; `None` if it does not fit a u64.
pub fn micro_usd_per_xyz(price: u128, quote_decimals: u8) -> Option<u64> {
    let den = 10u128.checked_pow(u32::from(quote_decimals) + 6)?;
    u64::try_from(price / den).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_usd_pool_at_one_dollar_prices_xyz_at_a_million_micro_usd() {
        let one = 1_000_000_000_000_000_000u128; // 1 uusd per uxyz: $1 per XYZ
        assert_eq!(micro_usd_per_xyz(one, 6), Some(1_000_000));
        assert_eq!(micro_usd_per_xyz(one / 4, 6), Some(250_000));
        // An 18-decimal stablecoin: 10^12 of its units per uxyz is $1.
        assert_eq!(
            micro_usd_per_xyz(one * 1_000_000_000_000, 18),
            Some(1_000_000)
        );
        assert_eq!(micro_usd_per_xyz(u128::MAX, 6), None);
    }

    #[test]
    fn validation_refuses_sources_that_price_nothing_safely() {
        let good = PriceSource {
            contract: Address::module("amm").to_string(),
            pool: 1,
            window_blocks: 100,
            min_quote_reserve: 1_000_000,
            quote_decimals: 6,
        };
        let with = |s: PriceSource| FeePriceParams { source: Some(s) }.validate();
        assert_eq!(with(good.clone()), Ok(()));
        assert!(FeePriceParams::default().validate().is_ok());
        for bad in [
            PriceSource {
                window_blocks: 0,
                ..good.clone()
            },
            PriceSource {
                window_blocks: MAX_WINDOW_BLOCKS + 1,
                ..good.clone()
            },
            PriceSource {
                quote_decimals: 19,
                ..good.clone()
            },
            PriceSource {
                min_quote_reserve: 0,
                ..good.clone()
            },
            PriceSource {
                contract: "proof1nope".into(),
                ..good.clone()
            },
        ] {
            assert!(with(bad.clone()).is_err(), "{bad:?}");
        }
    }
}
