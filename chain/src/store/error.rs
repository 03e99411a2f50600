//! Why the store refused or failed an operation.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Db(#[from] rocksdb::Error),
    #[error("merkle tree error: {0}")]
    Tree(String),
    #[error("version {requested} is not available (earliest kept: {earliest}, latest: {latest})")]
    VersionUnavailable {
        requested: u64,
        earliest: u64,
        latest: u64,
    },
    #[error("corrupt store: {0}")]
    Corrupt(String),
}
