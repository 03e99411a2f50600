//! Why a staking operation was refused.

use crate::modules::bank::BankError;
use crate::state::StateError;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum StakingError {
    #[error("validator {0} does not exist")]
    NoValidator(String),
    #[error("validator {0} already exists")]
    ValidatorExists(String),
    #[error("consensus key is already used by validator {0}")]
    PubkeyInUse(String),
    #[error("no delegation from {0} to {1}")]
    NoDelegation(String, String),
    #[error("invalid amount: {0}")]
    InvalidAmount(String),
    #[error("invalid commission: {0}")]
    Commission(String),
    #[error("too many unbonding or redelegation entries for this pair (max {0})")]
    MaxEntries(u32),
    #[error("cannot redelegate to the same validator")]
    SelfRedelegation,
    #[error("redelegation from {0} is blocked: it received a redelegation that has not matured")]
    TransitiveRedelegation(String),
    #[error("validator {0} is not jailed")]
    NotJailed(String),
    #[error("validator {0} is tombstoned and can never be unjailed")]
    Tombstoned(String),
    #[error("validator {0} is jailed until {1} ns (block time is {2})")]
    StillJailed(String, i64, i64),
    #[error("validator's self-delegation {0} is below its minimum {1}")]
    SelfDelegationTooLow(u128, u128),
    #[error("{0}")]
    Invalid(String),
    #[error("arithmetic overflow in {0}")]
    Overflow(&'static str),
    #[error(transparent)]
    Bank(#[from] BankError),
    #[error(transparent)]
    State(#[from] StateError),
}

impl From<crate::state::math::Overflow> for StakingError {
    fn from(o: crate::state::math::Overflow) -> Self {
        StakingError::Overflow(o.0)
    }
}

impl StakingError {
    /// For bookkeeping that cannot fail on valid state (block hooks, genesis): anything but a
    /// storage error means the state is inconsistent, which no node may paper over.
    pub fn into_state(self) -> StateError {
        match self {
            StakingError::State(s) => s,
            other => StateError::Corrupt {
                key: "staking".into(),
                reason: other.to_string(),
            },
        }
    }
}
