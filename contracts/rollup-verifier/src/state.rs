//! Storage layout.

use cosmwasm_std::{Addr, Uint128};
use cw_storage_plus::{Item, Map};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Config {
    pub governance: Addr,
    pub settlement: Option<Addr>,
    pub operator_bond: Uint128,
    pub bond_denom: String,
    pub liveness_blocks: u64,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Rollup {
    pub operator: Addr,
    pub ops_per_step: u32,
    pub vk_digest: [u8; 32],
    pub state_root: [u8; 32],
    pub batch_index: u64,
    pub registered_height: u64,
    pub last_batch_height: u64,
    pub bond: Uint128,
    /// Frozen (exits only) since this height.
    pub frozen_at: Option<u64>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Batch {
    pub old_root: [u8; 32],
    pub new_root: [u8; 32],
    pub data_sha256: [u8; 32],
    pub deposits: u32,
    pub transfers: u32,
    pub withdrawals: u32,
    pub withdrawn: Uint128,
    pub fees: Uint128,
    pub height: u64,
}

pub const CONFIG: Item<Config> = Item::new("config");
/// The id the next rollup gets (ids start at 1).
pub const NEXT_ID: Item<u32> = Item::new("next_id");
pub const ROLLUPS: Map<u32, Rollup> = Map::new("rollups");
/// Every verified batch, by (rollup, index).
pub const BATCHES: Map<(u32, u64), Batch> = Map::new("batches");
/// Accounts of frozen rollups that have exited, by (rollup, index): each exits once.
pub const EXITED: Map<(u32, u32), ()> = Map::new("exited");
