use std::path::PathBuf;

use thiserror::Error;

#[derive(Debug, Error)]
pub enum KeystoreError {
    #[error("no key named {0:?} (see `proof keys list`)")]
    NotFound(String),
    #[error("no rollup key named {0:?} (see `proof rollup keys list`)")]
    NoRollupKey(String),
    #[error("a key named {0:?} already exists (delete it first or pick another name)")]
    Exists(String),
    #[error("wrong password for key {0:?}")]
    WrongPassword(String),
    #[error("invalid key name {0:?}: use letters, digits, '-' and '_'")]
    BadName(String),
    #[error("invalid mnemonic: {0}")]
    BadMnemonic(String),
    #[error("key file {path}: {reason}")]
    Corrupt { path: PathBuf, reason: String },
    #[error("keystore I/O at {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}
