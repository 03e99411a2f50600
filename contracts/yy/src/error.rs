use core::fmt;

use cosmwasm_std::StdError;
use thiserror::Error;

/// Why a packet was rate limited (boxed: it would make every `Result` of the contract large).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimit {
    pub denom: String,
    pub channel: String,
    pub quota: String,
    pub direction: &'static str,
    pub would_be: u128,
    pub max: u128,
    pub resets_at: u64,
}

impl fmt::Display for RateLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} on {}, quota {:?}: {} would be {}, over its max {}; the window resets at {} (unix seconds)",
            self.denom, self.channel, self.quota, self.direction, self.would_be, self.max, self.resets_at
        )
    }
}

#[derive(Error, Debug)]
pub enum ContractError {
    #[error("{0}")]
    Std(#[from] StdError),
    #[error("only governance may do this")]
    NotGovernance,
    #[error("only governance or a guardian may do this")]
    NotGuardian,
    #[error("{denom} was paused by {cause}: only governance may resume it")]
    GovernanceResumes { denom: String, cause: String },
    #[error("{denom} is paused already, by {cause}")]
    AlreadyPaused { denom: String, cause: String },
    #[error("{0} is not paused")]
    NotPaused(String),
    #[error("an amount is too large for the contract's arithmetic")]
    Overflow,
    #[error("invalid {field}: {why}")]
    Invalid { field: &'static str, why: String },
    #[error("{denom} is not ibc/ + the sha256 of {path:?}: that is {expected}")]
    WrongIbcHash {
        denom: String,
        path: String,
        expected: String,
    },
    #[error("{0} is registered already")]
    AlreadyRegistered(String),
    #[error("the trace {0:?} is registered already, as {1}")]
    TraceRegistered(String, String),
    #[error("{0} is the chain's own coin, not an altcoin")]
    NativeDenom(String),
    #[error("{channel} carries {max} altcoins already")]
    ChannelFull { channel: String, max: usize },
    #[error("{0} is not registered")]
    NotRegistered(String),
    #[error("no altcoin of trace {0:?}")]
    NoTrace(String),
    #[error("{denom} is paused: {reason}")]
    Paused { denom: String, reason: String },
    #[error("rate limited: {0}")]
    RateLimited(Box<RateLimit>),
    #[error("attach exactly {0}")]
    WrongFunds(String),
    #[error("a swap {0:?} exists or existed: ids are never reused")]
    DuplicateId(String),
    #[error("the expiry has passed already")]
    ExpiryPassed,
    #[error("no open swap {0:?}")]
    NoSwap(String),
    #[error("no settled swap {0:?}")]
    NotSettled(String),
    #[error("swap {0:?} was claimed already")]
    AlreadyClaimed(String),
    #[error("swap {0:?} was refunded already")]
    AlreadyRefunded(String),
    #[error("swap {0:?} has expired: it can only be refunded")]
    Expired(String),
    #[error("swap {0:?} has not expired: until then only a claim can end it")]
    NotExpired(String),
    #[error("the preimage's sha256 is not the swap's hash")]
    WrongPreimage,
    #[error("cannot migrate from contract {found:?}: this code is {expected:?}")]
    WrongContract { expected: String, found: String },
}

/// Errors compare by what they say (`StdError` has no equality of its own); tests use it.
impl PartialEq for ContractError {
    fn eq(&self, other: &Self) -> bool {
        self.to_string() == other.to_string()
    }
}
