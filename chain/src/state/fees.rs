//! The fixed transaction fee of the ZZ economics: every transaction pays at least the uxyz worth
//! of `fixed_fee_micro_usd` (2 US cents) at the XYZ/USD price, on top of the gas-price minimum
//! (whichever is higher). Fees go to `fee_collector` and are paid to the validators (by stake,
//! after commission, to their delegators) with the epoch's rewards at each checkpoint.
//!
//! The price is the AMM's TWAP of a pool governance names (`modules::fee_price` reads it at end
//! block into `Params::oracle_xyz_price_micro_usd`), else the `xyz_price_micro_usd` chain
//! parameter (micro-USD per XYZ); 0 means "no price": then only the gas-price minimum applies.

use super::params::Params;

/// uxyz per XYZ.
const UXYZ_PER_XYZ: u128 = 1_000_000;

/// The fixed fee in uxyz: `ceil(fixed_fee_micro_usd * 10^6 / xyz_price_micro_usd)` (0 without a
/// price). Exact integer arithmetic, rounded up so the fee is never worth less than intended.
pub fn fixed_fee(p: &Params) -> u128 {
    let price = p.xyz_price();
    if price == 0 {
        return 0;
    }
    (p.fixed_fee_micro_usd as u128 * UXYZ_PER_XYZ).div_ceil(price as u128)
}

/// The smallest fee a transaction with `gas_limit` must pay.
pub fn min_tx_fee(p: &Params, gas_limit: u64) -> u128 {
    p.min_fee(gas_limit).max(fixed_fee(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_cents_at_a_price() {
        let mut p = Params::default();
        assert_eq!(fixed_fee(&p), 0, "no price, no fixed fee");
        p.xyz_price_micro_usd = 400_000; // $0.40 per XYZ: 2 cents = 0.05 XYZ
        assert_eq!(fixed_fee(&p), 50_000);
        p.xyz_price_micro_usd = 3_000_000; // $3: 2 cents = 6666.67 uxyz, rounded up
        assert_eq!(fixed_fee(&p), 6_667);
        assert_eq!(min_tx_fee(&p, 200_000), 6_667);
        assert_eq!(min_tx_fee(&p, 1_000_000), 25_000, "gas minimum when higher");
        // The AMM's price, when the fee module has one, wins over the parameter.
        p.oracle_xyz_price_micro_usd = Some(1_000_000); // $1: 2 cents = 20,000 uxyz
        assert_eq!(fixed_fee(&p), 20_000);
    }
}
