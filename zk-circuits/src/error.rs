//! Typed errors.

use thiserror::Error;

/// Why one batch operation is refused by the native checks (the circuit enforces the same rules).
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum OpError {
    #[error("account index {0} outside the tree (max 2^24 - 1)")]
    IndexOutOfRange(u32),
    #[error("amount {0} cannot be packed (more than 30 significant bits)")]
    AmountNotPackable(u64),
    #[error("fee {0} cannot be packed (more than 8 significant bits)")]
    FeeNotPackable(u64),
    #[error("sender account {0} is empty")]
    EmptySender(u32),
    #[error("receiver account {0} has no key")]
    EmptyReceiver(u32),
    #[error("bad signature")]
    BadSignature,
    #[error("nonce {got} but account nonce is {expected}")]
    BadNonce { expected: u64, got: u64 },
    #[error("balance {balance} is less than amount + fee {needed}")]
    InsufficientBalance { balance: u64, needed: u128 },
    #[error("receiver balance would overflow 64 bits")]
    BalanceOverflow,
    #[error("deposit public key does not match the account's")]
    PubkeyMismatch,
    #[error("public key is not a point of Vesta")]
    InvalidPubkey,
    #[error("operations must be ordered deposits, then transfers, then withdrawals")]
    BadOrder,
}

/// Errors of the proving / verifying library.
#[derive(Debug, Error)]
pub enum ZkError {
    #[error("operation {index}: {source}")]
    Op { index: usize, source: OpError },
    #[error("empty batch")]
    EmptyBatch,
    #[error("malformed encoding: {0}")]
    Encoding(&'static str),
    #[error("verifier key digest mismatch")]
    VkDigestMismatch,
    #[error("proof does not verify: {0}")]
    Verification(String),
    #[error("public inputs do not match the proof")]
    PublicInputsMismatch,
    #[error("nova: {0}")]
    Nova(String),
    #[error("parameter cache: {0}")]
    Cache(String),
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    #[error("exit proof does not match the root")]
    ExitProofInvalid,
}

impl From<nova_snark::errors::NovaError> for ZkError {
    fn from(e: nova_snark::errors::NovaError) -> Self {
        ZkError::Nova(e.to_string())
    }
}
