//! The messages of the `amm` system contract: constant-product pools of the chain's coin (the
//! pool's `base`, `uxyz`) against any other denom (its `quote`), whose swaps are cleared once
//! per block at one price. Serde only, for the contract and its Rust clients (the CLI).
//!
//! Prices are quote per base, scaled by [`PRICE_SCALE`] (a USD-pegged quote gives XYZ's USD
//! price). Amounts are decimal strings ([`U128`]).

use serde::{Deserialize, Serialize};

pub use rollup_msgs::U128;

/// Prices are `quote * PRICE_SCALE / base`.
pub const PRICE_SCALE: u128 = 1_000_000_000_000_000_000;

/// The market rules, set at instantiation and by governance (`update_params`).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Kept by the pool (its LPs) from every swap's input, in basis points.
    pub swap_fee_bps: u32,
    /// One swap's input at most, in basis points of the pool's reserve of that coin.
    pub max_swap_bps: u32,
    /// All of one block's swap inputs on one side at most, in basis points of that reserve.
    pub max_block_bps: u32,
    /// The circuit breaker: a clearing price further than this (basis points) from the TWAP
    /// over `twap_blocks` refunds the block's swaps and halts the pool for `cooldown_blocks`.
    pub band_bps: u32,
    pub twap_blocks: u64,
    pub cooldown_blocks: u64,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct InstantiateMsg {
    /// Who may change the parameters and resume a halted pool (the governance module account).
    pub governance: String,
    /// The denom on one side of every pool (`uxyz`).
    pub base_denom: String,
    pub params: Params,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum ExecuteMsg {
    /// Opens a pool of the base denom against the other attached coin (exactly two coins, one
    /// pool per quote denom). The creator gets `sqrt(base * quote) - 1000` shares; 1,000 stay
    /// locked for good, so the share price can never be inflated from an empty pool.
    CreatePool {},
    /// Adds both attached coins at the pool's ratio: shares for the smaller side's worth, the
    /// rest of the other coin is returned. Shares added in a block cannot leave in it.
    AddLiquidity { pool: u64, min_shares: U128 },
    /// Burns `shares` for their part of both reserves (rounded down), at least the minimums.
    RemoveLiquidity {
        pool: u64,
        shares: U128,
        min_base: U128,
        min_quote: U128,
    },
    /// Moves LP shares to another account.
    TransferShares {
        pool: u64,
        recipient: String,
        amount: U128,
    },
    /// Queues a swap of the one attached coin (base or the pool's quote) for the other. It is
    /// cleared at the end of the block with every other swap of the pool at one price; if that
    /// gives less than `min_out`, or the block is past `deadline` (a height), it is refunded.
    Swap {
        pool: u64,
        min_out: U128,
        #[serde(default)]
        deadline: Option<u64>,
    },
    /// Governance: new market rules.
    UpdateParams { params: Params },
    /// Governance: reopens a pool the circuit breaker halted, before its cooldown ends.
    ResumePool { pool: u64 },
}

/// The chain calls this at the end of every block with swaps queued (gas-bounded; a failure
/// refunds nothing and halts nothing: the swaps stay queued for the next block).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum SudoMsg {
    EndBlock {},
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum QueryMsg {
    Config {},
    Pool {
        pool: u64,
    },
    /// The pool of a quote denom.
    PoolByDenom {
        denom: String,
    },
    Pools {
        #[serde(default)]
        start_after: Option<u64>,
        #[serde(default)]
        limit: Option<u32>,
    },
    Shares {
        pool: u64,
        owner: String,
    },
    /// The time-weighted average price over the last `window` blocks (Uniswap v2 style, from
    /// end-of-block prices: a price moved and restored inside one block never reaches it).
    /// Fixed cost: two observations are read whatever the window.
    Twap {
        pool: u64,
        window: u64,
    },
    /// The swaps queued in the pool for this block.
    Pending {
        pool: u64,
    },
    /// What a swap of `amount` of `offer_denom` would get if the block cleared now, with the
    /// swaps already queued (an estimate: later swaps of the block move the price).
    Quote {
        pool: u64,
        offer_denom: String,
        amount: U128,
    },
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ConfigResponse {
    pub governance: String,
    pub base_denom: String,
    pub params: Params,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct PoolResponse {
    pub id: u64,
    pub base_denom: String,
    pub quote_denom: String,
    pub base_reserve: U128,
    pub quote_reserve: U128,
    pub total_shares: U128,
    /// The price after the last clearing, quote per base scaled by [`PRICE_SCALE`].
    pub price: U128,
    /// Swaps are refused until this height (the circuit breaker), if it is in the future.
    pub halted_until: u64,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct PoolsResponse {
    pub pools: Vec<PoolResponse>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct SharesResponse {
    pub shares: U128,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct TwapResponse {
    /// Quote per base scaled by [`PRICE_SCALE`].
    pub price: U128,
    /// The blocks actually averaged: less than asked when the pool is younger.
    pub window: u64,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct PendingSwap {
    pub seq: u64,
    pub trader: String,
    /// `true` when the swap offers base for quote.
    pub offer_base: bool,
    pub amount: U128,
    pub min_out: U128,
    pub deadline: Option<u64>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct QuoteResponse {
    /// The output, after the fee; 0 if the swap would be refunded (too large, pool halted).
    pub out: U128,
    /// The clearing price, quote per base scaled by [`PRICE_SCALE`].
    pub price: U128,
    /// Swaps already queued that the estimate cleared with.
    pub queued: u32,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct PendingResponse {
    pub swaps: Vec<PendingSwap>,
}
