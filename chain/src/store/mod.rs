//! The authenticated, versioned state store: a Jellyfish Merkle tree over RocksDB.
//!
//! Invariants:
//! - Version = block height; the JMT root of version `h` is the app hash reported for block `h`.
//! - A version becomes visible only through [`Store::commit`], which writes every column family in
//!   one RocksDB `WriteBatch` with a synced WAL: after `kill -9` either all of a block is there or
//!   none of it, and [`Store::latest`] tells CometBFT where to replay from.
//! - The `latest` column family mirrors the newest committed version as plain key -> value, for
//!   fast reads and lazy range reads; historical reads go through the versioned value index.
//! - Keys of a substore (`wasm/...`) live in a tree of their own (`tree.rs`) whose root is the
//!   main tree's value at the substore's name (`wasm`), as IBC's two-level proofs expect; so a
//!   module's whole state has a root that costs one read.

mod db;
mod layout;
mod proof;
mod tree;

pub use db::{CommitBatch, ProofStep, Store, StoreError, TxRecord};
pub use proof::{
    verify_key, verify_membership, verify_non_membership, verify_steps, PROOF_OP_TYPE,
};
pub use tree::{Tree, SUBSTORES, SUBSTORE_VERSION_KEY};

/// How much history the store keeps.
#[derive(Clone, Copy, Debug, serde::Serialize, serde::Deserialize)]
pub struct Pruning {
    /// Keep this many most recent versions queryable; 0 keeps everything (archive node).
    /// An archive node does not record what becomes prunable, so turning pruning on later only
    /// reclaims data superseded from then on.
    pub keep_recent: u64,
    /// Run the pruner every this many commits.
    pub interval: u64,
}

impl Default for Pruning {
    fn default() -> Self {
        Self {
            keep_recent: 0,
            interval: 10,
        }
    }
}
