//! Exact integer pool arithmetic; every rounding is in the pool's favour.

use cosmwasm_std::{Isqrt, Uint128, Uint256};

use crate::error::ContractError;

pub const BPS: u128 = 10_000;
/// Shares locked in every pool at creation (Uniswap v2's `MINIMUM_LIQUIDITY`).
pub const LOCKED_SHARES: u128 = 1_000;

pub(crate) fn narrow(v: Uint256) -> Result<u128, ContractError> {
    Uint128::try_from(v)
        .map(|u| u.u128())
        .map_err(|_| ContractError::Overflow)
}

/// `floor(a * b / c)`.
pub fn mul_div(a: u128, b: u128, c: u128) -> Result<u128, ContractError> {
    if c == 0 {
        return Err(ContractError::Overflow);
    }
    narrow(Uint256::from(a) * Uint256::from(b) / Uint256::from(c))
}

/// `ceil(a * b / c)`.
pub fn mul_div_up(a: u128, b: u128, c: u128) -> Result<u128, ContractError> {
    if c == 0 {
        return Err(ContractError::Overflow);
    }
    let p = Uint256::from(a) * Uint256::from(b);
    let c = Uint256::from(c);
    narrow((p + c - Uint256::one()) / c)
}

pub fn add(a: u128, b: u128) -> Result<u128, ContractError> {
    a.checked_add(b).ok_or(ContractError::Overflow)
}

/// What of `amount` enters the pool's pricing after the fee (the fee stays in the pool).
pub fn after_fee(amount: u128, fee_bps: u32) -> Result<u128, ContractError> {
    mul_div(amount, BPS - u128::from(fee_bps), BPS)
}

/// The shares of a new pool: `sqrt(base * quote)`, of which [`LOCKED_SHARES`] stay locked.
pub fn initial_shares(base: u128, quote: u128) -> Result<u128, ContractError> {
    let s = narrow((Uint256::from(base) * Uint256::from(quote)).isqrt())?;
    if s <= LOCKED_SHARES {
        return Err(ContractError::PoolTooSmall {
            min: LOCKED_SHARES + 1,
        });
    }
    Ok(s)
}

/// `x·y` without overflow.
pub fn product(x: u128, y: u128) -> Uint256 {
    Uint256::from(x) * Uint256::from(y)
}

/// The price `quote / base` scaled by `amm_msgs::PRICE_SCALE`.
pub fn price(base: u128, quote: u128) -> Result<u128, ContractError> {
    mul_div(quote, amm_msgs::PRICE_SCALE, base)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundings_go_the_pools_way() {
        assert_eq!(mul_div(7, 3, 2).unwrap(), 10);
        assert_eq!(mul_div_up(7, 3, 2).unwrap(), 11);
        assert_eq!(mul_div_up(6, 3, 2).unwrap(), 9);
        assert_eq!(after_fee(1_000, 30).unwrap(), 997);
        assert_eq!(after_fee(999, 30).unwrap(), 996, "996.003 rounds down");
        assert!(mul_div(1, 1, 0).is_err());
        assert!(
            mul_div(u128::MAX, 2, 1).is_err(),
            "a result over u128 is an error"
        );
        assert_eq!(mul_div(u128::MAX, u128::MAX, u128::MAX).unwrap(), u128::MAX);
    }

    #[test]
    fn initial_shares_are_the_geometric_mean() {
        // Uniswap v2: sqrt(1e6 * 4e6) = 2e6.
        assert_eq!(initial_shares(1_000_000, 4_000_000).unwrap(), 2_000_000);
        assert_eq!(initial_shares(1_000_000, 2_000_000).unwrap(), 1_414_213);
        assert!(
            initial_shares(1_000, 1_000).is_err(),
            "sqrt = 1000 leaves nothing"
        );
        assert_eq!(initial_shares(u128::MAX, 1).unwrap(), u64::MAX as u128);
    }
}
