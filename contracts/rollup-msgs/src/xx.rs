//! `xx`: XYZ between the chain and its rollups. Holds what the rollups hold; queues deposits
//! for their operators; pays withdrawals when the verifier settles the batch containing them.

use crate::codec::{Base64, Hex32, U128};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct InstantiateMsg {
    /// The `rollup-verifier` contract: the only caller of `settle`.
    pub verifier: String,
    /// The denom rollups carry (`uxyz`).
    pub denom: String,
    /// Forced inclusion: a deposit left at the front of the queue for this many blocks (from
    /// when it was made or reached the front, whichever is later) lets anyone freeze its rollup.
    pub inclusion_blocks: u64,
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
    /// represent) into account `to` of a live, registered `rollup`. The first deposit to an
    /// account sets its key for good and needs `key_proof`: the key's Schnorr signature over
    /// `proof_zk::schnorr::key_possession_message(rollup, to, depositor)`, which makes the
    /// depositor the account's owner on the chain (its exits are paid to them). Later deposits
    /// must carry the same key.
    Deposit {
        rollup: u32,
        to: u32,
        pubkey_x: Hex32,
        pubkey_y: Hex32,
        #[serde(default)]
        key_proof: Option<Base64>,
    },
    /// A verified batch of `rollup` (verifier only): it included `deposits`, which must be the
    /// front of the rollup's queue in order, and pays `payouts`, and its `fees` to `operator`
    /// (fees leave the senders' balances and no rollup account holds them: the operator's
    /// share is paid on the chain when the batch that earned it is verified).
    Settle {
        rollup: u32,
        batch: u64,
        deposits: Vec<DepositOp>,
        payouts: Vec<Payout>,
        fees: U128,
        operator: String,
    },
    /// The deposit `seq` (the queue's front) can never be included: refund it (verifier only).
    Reject { rollup: u32, seq: u64 },
    /// `rollup` is frozen (verifier only): no more deposits; exits and refunds from now on.
    Freeze { rollup: u32 },
    /// Pays account `index` of frozen `rollup` its exit `amount` (verifier only), to the owner.
    PayExit {
        rollup: u32,
        index: u32,
        amount: U128,
    },
    /// Refunds up to `limit` queued deposits of a frozen rollup to their depositors (anyone).
    RefundPending { rollup: u32, limit: Option<u32> },
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
    /// The chain account that owns account `index` of `rollup` (its first depositor).
    Owner {
        rollup: u32,
        index: u32,
    },
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ConfigResponse {
    pub verifier: String,
    pub denom: String,
    pub inclusion_blocks: u64,
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
    /// The oldest queued deposit has waited past `inclusion_blocks`.
    pub overdue: bool,
    pub frozen: bool,
    /// Paid out to exiting accounts and refunded to depositors since the freeze.
    pub exited: U128,
    pub refunded: U128,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct OwnerResponse {
    pub owner: Option<String>,
    pub pubkey_x: Option<Hex32>,
    pub pubkey_y: Option<Hex32>,
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
