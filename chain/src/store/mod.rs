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
mod error;
mod layout;
mod proof;
mod pruning;
mod tree;

pub use db::{CommitBatch, ProofStep, Store, TxRecord};
pub use error::StoreError;
pub use proof::{
    verify_key, verify_membership, verify_non_membership, verify_steps, PROOF_OP_TYPE,
};
pub use pruning::Pruning;
pub use tree::{Tree, SUBSTORES, SUBSTORE_VERSION_KEY};
