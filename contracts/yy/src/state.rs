//! Storage layout.

use cosmwasm_std::Addr;
use cw_storage_plus::{Item, Map};
use serde::{Deserialize, Serialize};
use yy_msgs::{Altcoin, Expiration, Outcome, PauseCause};

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Config {
    pub governance: Addr,
    pub native_denom: String,
    pub guardians: Vec<Addr>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Registered {
    pub altcoin: Altcoin,
    pub pause: Option<Pause>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Pause {
    pub cause: PauseCause,
    pub reason: String,
    pub since: u64,
}

/// One quota's window on one channel, matched to the quota by name.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Flow {
    pub name: String,
    pub inflow: u128,
    pub outflow: u128,
    pub window_start: u64,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Swap {
    pub sender: Addr,
    pub recipient: Addr,
    /// Lower-case hex, as a claim's digest is compared.
    pub hash: String,
    pub denom: String,
    pub amount: u128,
    pub expires: Expiration,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Settled {
    pub outcome: Outcome,
    /// Lower-case hex.
    pub preimage: Option<String>,
    pub height: u64,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ContractVersion {
    pub contract: String,
    pub version: String,
}

pub const CONFIG: Item<Config> = Item::new("config");
pub const CONTRACT_VERSION: Item<ContractVersion> = Item::new("contract_version");
pub const ALTCOINS: Map<&str, Registered> = Map::new("altcoins");
/// (trace_path, base_denom) -> denom.
pub const BY_TRACE: Map<(&str, &str), String> = Map::new("by_trace");
/// (channel, denom): what a frozen client pauses.
pub const BY_CHANNEL: Map<(&str, &str), ()> = Map::new("by_channel");
/// (denom, channel) -> one flow per quota: one read and one write per packet.
pub const FLOWS: Map<(&str, &str), Vec<Flow>> = Map::new("flows");
pub const SWAPS: Map<&str, Swap> = Map::new("swaps");
/// (recipient, id) of open swaps.
pub const BY_RECIPIENT: Map<(&Addr, &str), ()> = Map::new("by_recipient");
/// Ids of swaps claimed or refunded: kept so that an id never comes back.
pub const SETTLED: Map<&str, Settled> = Map::new("settled");
