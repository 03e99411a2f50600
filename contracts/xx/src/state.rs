//! Storage layout.

use cosmwasm_std::{Addr, Uint128};
use cw_storage_plus::{Item, Map};
use rollup_msgs::xx::DepositOp;
use rollup_msgs::Hex32;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Config {
    pub verifier: Addr,
    pub denom: String,
    pub inclusion_blocks: u64,
}

/// A rollup's account with the contract.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
pub struct Shard {
    pub held: Uint128,
    pub pending: Uint128,
    /// Sequence number of the next deposit queued.
    pub next_seq: u64,
    /// Sequence number of the oldest deposit not yet included (or rejected, or refunded).
    pub included_seq: u64,
    pub frozen: bool,
    pub exited: Uint128,
    pub refunded: Uint128,
    /// When the queue's front last moved (a deposit's wait is counted from the later of this
    /// and when it was made, so one stuck deposit cannot make the rest overdue at once).
    pub front_since: u64,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Queued {
    pub depositor: Addr,
    pub height: u64,
    pub op: DepositOp,
}

pub const CONFIG: Item<Config> = Item::new("config");
pub const SHARDS: Map<u32, Shard> = Map::new("shards");
/// Queued deposits by (rollup, seq); removed when a batch includes them.
pub const QUEUE: Map<(u32, u64), Queued> = Map::new("queue");
/// Who owns each rollup account on the chain, and its key: set by the first deposit to it, whose
/// depositor proved the key's possession for that account (keys are set only by deposits and
/// never change, so neither ever needs updating). Exits pay the owner; every later deposit must
/// carry the same key, so no deposit can be queued that a batch could not include for its key.
pub const OWNERS: Map<(u32, u32), (Addr, Hex32, Hex32)> = Map::new("owners");
