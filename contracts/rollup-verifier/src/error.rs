use cosmwasm_std::StdError;
use thiserror::Error;

#[derive(Error, Debug)]
pub enum ContractError {
    #[error("{0}")]
    Std(#[from] StdError),
    #[error("only governance may {0}")]
    NotGovernance(&'static str),
    #[error("only rollup {rollup}'s operator may post its batches")]
    NotOperator { rollup: u32 },
    #[error("no rollup {0}")]
    UnknownRollup(u32),
    #[error("registering a rollup bonds exactly {amount}{denom}")]
    WrongBond { amount: u128, denom: String },
    #[error("the chain supports no circuit with {0} operations per step")]
    UnsupportedStepSize(u32),
    #[error("no settlement contract is set: governance must set it before batches are posted")]
    NoSettlement,
    #[error("batch data: {0}")]
    BadData(String),
    #[error("the proof does not verify for rollup {rollup} from its current root")]
    InvalidProof { rollup: u32 },
    #[error("the proof or its inputs are malformed")]
    MalformedProof,
    #[error("the chain does not derive verifier key {0}")]
    UnknownKey(String),
    #[error("this block has no proof verification room left; the transaction fits a later block")]
    NoRoom,
    #[error("proofs cannot be verified here (queries and governance execution verify none)")]
    Unsupported,
    #[error("rollup {0} is frozen: exits only")]
    Frozen(u32),
    #[error("rollup {0} is not frozen")]
    NotFrozen(u32),
    #[error(
        "rollup {rollup} is live: it verified a batch at height {last}, and no deposit is overdue"
    )]
    Live { rollup: u32, last: u64 },
    #[error("the exit proof does not match rollup {0}'s verified root")]
    InvalidExitProof(u32),
    #[error("account {index} of rollup {rollup} has already exited")]
    AlreadyExited { rollup: u32, index: u32 },
    #[error("account {0} holds nothing to exit")]
    NothingToExit(u32),
    #[error("rollup {0} has no queued deposit")]
    NoQueuedDeposit(u32),
    #[error("the queued deposit can be included: its account is empty or holds the same key, and has room for it")]
    DepositIsValid,
    #[error("the settlement contract can only be adopted once, from a contract that names this verifier and shares its creator")]
    CannotAdopt,
    #[error("{what} must be at least {min}")]
    DeadlineTooShort { what: &'static str, min: u64 },
    #[error("verifier error code {0}")]
    VerifierCode(u32),
}

/// Errors compare by what they say (`StdError` has no equality of its own); tests use it.
impl PartialEq for ContractError {
    fn eq(&self, other: &Self) -> bool {
        self.to_string() == other.to_string()
    }
}
