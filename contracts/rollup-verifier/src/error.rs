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
    #[error("verifier error code {0}")]
    VerifierCode(u32),
}

/// Errors compare by what they say (`StdError` has no equality of its own); tests use it.
impl PartialEq for ContractError {
    fn eq(&self, other: &Self) -> bool {
        self.to_string() == other.to_string()
    }
}
