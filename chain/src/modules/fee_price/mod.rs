//! The XYZ/USD price of the fixed transaction fee, read from the AMM (`state::fees`): at end
//! block, after the clock has let the AMM clear, the TWAP of the pool governance names
//! (`fee_price.source`: the amm contract, a pool of XYZ against a USD-pegged denom, the window)
//! becomes the price the next blocks' fees are computed at (`state::keys::ORACLE_XYZ_PRICE`,
//! loaded with the chain parameters: one more key where they are loaded, none in the fee check).
//!
//! Invariants:
//! - The price only comes from a pool deep enough (`min_quote_reserve`) whose TWAP covers the
//!   whole window; otherwise (no source, no such contract or pool, a young or thin pool, a failed
//!   query) the price is removed and fees fall back to the `chain.xyz_price_micro_usd` parameter.
//! - Reading costs two smart queries of fixed gas ([`hooks::QUERY_GAS`] each) a block, whatever the
//!   pool; a price moved inside one block never reaches the TWAP (the AMM's own invariant).

pub mod hooks;
pub mod params;
pub mod query;

pub use params::{FeePriceParams, PriceSource};
