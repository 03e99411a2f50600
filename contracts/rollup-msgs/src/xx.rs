//! `xx`: XYZ between the chain and its rollups. Holds what the rollups hold; queues deposits
//! for their operators; pays withdrawals when the verifier settles the batch containing them.

use crate::codec::{Hex32, U128};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct InstantiateMsg {
    /// The `rollup-verifier` contract: the only caller of `settle`.
    pub verifier: String,
    /// The denom rollups carry (`uxyz`).
    pub denom: String,
}

/// A deposit as a batch credits it (and as the queue holds it).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct DepositOp {
    pub to: u32,
    pub amount: U128,
    pub pubkey_x: Hex32,
    pub pubkey_y: Hex32,
}

/// A withdrawal a verified batch pays.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Payout {
    pub recipient: String,
    pub amount: U128,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum ExecuteMsg {
    /// Deposits the attached funds (exactly one coin of the denom, an amount the rollup can
    /// represent) into account `to` of `rollup`, keyed by the public key if it is empty.
    Deposit {
        rollup: u32,
        to: u32,
        pubkey_x: Hex32,
        pubkey_y: Hex32,
    },
    /// A verified batch of `rollup` (verifier only): it included `deposits`, which must be the
    /// front of the rollup's queue in order, and pays `payouts`.
    Settle {
        rollup: u32,
        batch: u64,
        deposits: Vec<DepositOp>,
        payouts: Vec<Payout>,
    },
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum QueryMsg {
    Config {},
    /// What `rollup` holds and owes.
    Rollup {
        rollup: u32,
    },
    /// Deposits queued for `rollup` and not yet included, oldest first.
    Pending {
        rollup: u32,
        start_after: Option<u64>,
        limit: Option<u32>,
    },
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ConfigResponse {
    pub verifier: String,
    pub denom: String,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
pub struct RollupBalance {
    pub rollup: u32,
    /// Inside the rollup: deposits included minus withdrawals paid.
    pub held: U128,
    /// Deposited and queued, not yet included by a batch.
    pub pending: U128,
    /// Sequence number of the next deposit, and of the next one a batch must include.
    pub next_seq: u64,
    pub included_seq: u64,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct PendingDeposit {
    pub seq: u64,
    pub depositor: String,
    pub height: u64,
    pub op: DepositOp,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct PendingResponse {
    pub deposits: Vec<PendingDeposit>,
}
