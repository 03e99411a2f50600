use cosmwasm_std::StdError;
use thiserror::Error;

#[derive(Error, Debug)]
pub enum ContractError {
    #[error("{0}")]
    Std(#[from] StdError),
    #[error("only the rollup verifier settles batches")]
    NotVerifier,
    #[error("a deposit carries exactly one coin of {0}")]
    WrongFunds(String),
    #[error("{0} cannot be represented in a rollup (amounts have 30 significant bits and a decimal exponent, and at most 64 bits)")]
    UnrepresentableAmount(u128),
    #[error("the public key must be a point of Vesta with canonical coordinates")]
    BadPubkey,
    #[error("account index {0} is outside the rollup's tree (2^24 accounts)")]
    BadAccount(u32),
    #[error("batch {batch} of rollup {rollup} includes deposit #{position} that is not the next queued one")]
    DepositMismatch {
        rollup: u32,
        batch: u64,
        position: usize,
    },
    #[error("rollup {0} is not a live registered rollup: it takes no deposits")]
    NotLive(u32),
    #[error("account {index} of rollup {rollup} holds another key")]
    KeyMismatch { rollup: u32, index: u32 },
    #[error("the first deposit to an account needs key_proof: the key's signature over its possession message for this depositor")]
    BadKeyProof,
    #[error("inclusion_blocks must be at least {min}")]
    DeadlineTooShort { min: u64 },
    #[error("rollup {0} is frozen: exits and refunds only")]
    Frozen(u32),
    #[error("rollup {0} is not frozen")]
    NotFrozen(u32),
    #[error("deposit {seq} is not the front of rollup {rollup}'s queue")]
    NotQueueFront { rollup: u32, seq: u64 },
    #[error("account {index} of rollup {rollup} has no owner on the chain")]
    NoOwner { rollup: u32, index: u32 },
    #[error("rollup {rollup} would pay out {wanted} but holds {held}")]
    Overdrawn {
        rollup: u32,
        wanted: u128,
        held: u128,
    },
}

/// Errors compare by what they say (`StdError` has no equality of its own); tests use it.
impl PartialEq for ContractError {
    fn eq(&self, other: &Self) -> bool {
        self.to_string() == other.to_string()
    }
}
