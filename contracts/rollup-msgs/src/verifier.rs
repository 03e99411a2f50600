//! `rollup-verifier`: registers rollups, holds each one's verified state root, verifies batch
//! proofs (natively, `proof_zk_verify_batch`) and settles each verified batch through `xx`.

use crate::codec::{Base64, Hex32, U128};
use serde::{Deserialize, Serialize};

/// Root of the empty account tree (circuit `v5`): every rollup starts here, so no balance
/// exists in a rollup that was not deposited. The chain's tests check it against `proof-zk`.
pub const EMPTY_ROOT: Hex32 = Hex32(EMPTY_ROOT_BYTES);
const EMPTY_ROOT_BYTES: [u8; 32] = [
    0xbd, 0x2a, 0x95, 0x5a, 0xe8, 0x73, 0xa1, 0xee, 0xe6, 0xf1, 0xda, 0x80, 0x53, 0x4a, 0x0f, 0x41,
    0xc2, 0x03, 0x87, 0x00, 0xdd, 0x5c, 0x9e, 0x46, 0xb3, 0xc5, 0xcb, 0x57, 0x1f, 0x1f, 0x1c, 0x3a,
];

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct InstantiateMsg {
    /// May register rollups without a bond and set the settlement contract (the gov module).
    pub governance: String,
    /// What an operator registering its own rollup bonds (held by the contract).
    pub operator_bond: U128,
    pub bond_denom: String,
    /// A rollup that verifies no batch for this many blocks may be frozen by anyone.
    pub liveness_blocks: u64,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum ExecuteMsg {
    /// Registers a rollup proven with `ops_per_step` operations per Nova step. From
    /// governance, for `operator`; from anyone else, for themselves, with the bond attached.
    Register {
        ops_per_step: u32,
        operator: Option<String>,
    },
    /// Posts a proven batch moving `rollup` from its current root to `new_root`; only its
    /// operator may. `data` is the batch's published bytes (12 per transfer).
    SubmitBatch {
        rollup: u32,
        new_root: Hex32,
        data: Base64,
        proof: Base64,
    },
    /// Names the `xx` settlement contract (governance only).
    SetSettlement { address: String },
    /// Sent by a newly instantiated `xx` that names this verifier: adopted as the settlement
    /// contract if none is set and it was created by the account that created this contract
    /// (the deployment's trust, used once; governance can re-point it later).
    AdoptSettlement {},
    /// Freezes `rollup` (anyone): allowed once it verified no batch for `liveness_blocks`, or
    /// once `xx` reports a deposit left out past its inclusion deadline. A frozen rollup takes
    /// no batches; its users exit with proofs against the last verified root.
    Freeze { rollup: u32 },
    /// Pays a frozen rollup's account its balance at the last verified root, once, to the
    /// account's owner on the chain (`xx` records who keyed it). `proof`: an exit proof
    /// (`proof_zk::ExitProof::to_bytes`). Anyone may send it.
    Exit { rollup: u32, proof: Base64 },
    /// Refunds the deposit at the front of `rollup`'s queue, which no batch can include: `proof`
    /// (an exit proof against the current root) shows its account holds another key, or a
    /// balance the deposit would overflow. Anyone may send it; it keeps the queue moving.
    RejectDeposit { rollup: u32, proof: Base64 },
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum QueryMsg {
    Config {},
    Rollup {
        id: u32,
    },
    Rollups {
        start_after: Option<u32>,
        limit: Option<u32>,
    },
    Batch {
        rollup: u32,
        index: u64,
    },
    /// Whether account `index` of `rollup` has exited.
    Exited {
        rollup: u32,
        index: u32,
    },
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ConfigResponse {
    pub governance: String,
    pub settlement: Option<String>,
    pub operator_bond: U128,
    pub bond_denom: String,
    /// The id the next registered rollup gets.
    pub next_id: u32,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct RollupInfo {
    pub id: u32,
    pub operator: String,
    pub ops_per_step: u32,
    /// The verifier key this rollup's proofs verify under (derived by every node).
    pub vk_digest: Hex32,
    /// The last verified state root.
    pub state_root: Hex32,
    /// Batches verified so far (the next batch gets this index).
    pub batch_index: u64,
    pub registered_height: u64,
    /// Height of the last verified batch (registration until the first).
    pub last_batch_height: u64,
    pub bond: U128,
    /// Frozen (exits only) since this height.
    pub frozen_at: Option<u64>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct RollupsResponse {
    pub rollups: Vec<RollupInfo>,
}

/// A verified batch, as recorded.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct BatchInfo {
    pub rollup: u32,
    pub index: u64,
    pub old_root: Hex32,
    pub new_root: Hex32,
    /// SHA-256 of the published data (the proof binds its Poseidon hash, which the chain
    /// computed from the same bytes).
    pub data_sha256: Hex32,
    pub deposits: u32,
    pub transfers: u32,
    pub withdrawals: u32,
    pub withdrawn: U128,
    pub fees: U128,
    pub height: u64,
}
