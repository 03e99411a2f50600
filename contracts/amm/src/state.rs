//! Storage layout.

use amm_msgs::Params;
use cosmwasm_std::{Addr, Uint256};
use cw_storage_plus::{Item, Map};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Config {
    pub governance: Addr,
    pub base_denom: String,
    pub params: Params,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Pool {
    pub id: u64,
    pub quote_denom: String,
    pub base: u128,
    pub quote: u128,
    pub shares: u128,
    /// End-of-block price (quote per base, scaled) and the TWAP accumulator: Σ price × blocks,
    /// up to `cum_height`.
    pub price: u128,
    pub cum: Uint256,
    pub cum_height: u64,
    pub halted_until: u64,
    /// The queued inputs per side, what the batch-volume limit bounds. They count what waits in
    /// the batch (which may span blocks while busier pools clear first) and go back to zero
    /// when the batch clears.
    pub pending_base_in: u128,
    pub pending_quote_in: u128,
    pub next_seq: u64,
    /// Swaps waiting in the queue.
    pub queued: u32,
}

/// A swap waiting for the end of the block.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Queued {
    pub trader: Addr,
    pub offer_base: bool,
    /// The whole input, fee included.
    pub amount: u128,
    pub min_out: u128,
    pub deadline: Option<u64>,
}

/// The TWAP accumulator at the end of a block where the price changed.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Observation {
    pub cum: Uint256,
    pub price: u128,
}

pub const CONFIG: Item<Config> = Item::new("config");
pub const NEXT_POOL: Item<u64> = Item::new("next_pool");
pub const POOLS: Map<u64, Pool> = Map::new("pools");
pub const POOL_BY_DENOM: Map<&str, u64> = Map::new("pool_by_denom");
pub const SHARES: Map<(u64, &Addr), u128> = Map::new("shares");
/// The height at which an owner last added liquidity to a pool.
pub const LAST_ADD: Map<(u64, &Addr), u64> = Map::new("last_add");
/// Queued swaps: (pool, seq).
pub const QUEUE: Map<(u64, u64), Queued> = Map::new("queue");
/// Pools with queued swaps: the only ones the end of a block touches.
pub const DIRTY: Map<u64, ()> = Map::new("dirty");
/// The pool the next end of block starts clearing from.
pub const CLEAR_CURSOR: Item<u64> = Item::new("clear_cursor");
/// (pool, height) -> the accumulator there.
pub const OBSERVATIONS: Map<(u64, u64), Observation> = Map::new("observations");
