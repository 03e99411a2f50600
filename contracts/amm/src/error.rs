use cosmwasm_std::StdError;
use thiserror::Error;

#[derive(Error, Debug)]
pub enum ContractError {
    #[error("{0}")]
    Std(#[from] StdError),
    #[error("only governance may do this")]
    NotGovernance,
    #[error("an amount is too large for the pool's arithmetic")]
    Overflow,
    #[error("the pool's invariant would break: refused")]
    InvariantBroken,
    #[error("a new pool needs more liquidity: sqrt(base * quote) must be at least {min}")]
    PoolTooSmall { min: u128 },
    #[error("attach exactly {0}")]
    WrongFunds(String),
    #[error("a pool of {0} exists already")]
    PoolExists(String),
    #[error("no pool {0}")]
    NoPool(u64),
    #[error("no pool of {0}")]
    NoPoolOfDenom(String),
    #[error("the pool's price does not give {wanted} shares (only {got})")]
    TooFewShares { wanted: u128, got: u128 },
    #[error("removing gives {base} base and {quote} quote, under the minimums asked")]
    BelowMinimum { base: u128, quote: u128 },
    #[error("{owner} holds {held} shares of pool {pool}, not {wanted}")]
    NotEnoughShares {
        owner: String,
        pool: u64,
        held: u128,
        wanted: u128,
    },
    #[error("shares added in this block cannot be removed in it")]
    SameBlockRemoval,
    #[error("one swap may offer at most {max} ({bps} bps of the pool's reserve)")]
    SwapTooLarge { max: u128, bps: u32 },
    #[error("this block's swaps on that side of pool {pool} reached their limit ({max}, {bps} bps of its reserve); try the next block")]
    BlockVolumeFull { pool: u64, max: u128, bps: u32 },
    #[error("this block's batch is full ({0} swaps); try the next block")]
    BatchFull(usize),
    #[error("pool {pool} is halted by its circuit breaker until height {until}")]
    Halted { pool: u64, until: u64 },
    #[error("the swap's deadline (height {0}) has passed")]
    DeadlinePassed(u64),
    #[error("invalid parameters: {0}")]
    BadParams(String),
    #[error("nothing to do: {0}")]
    Empty(String),
}

/// Errors compare by what they say (`StdError` has no equality of its own); tests use it.
impl PartialEq for ContractError {
    fn eq(&self, other: &Self) -> bool {
        self.to_string() == other.to_string()
    }
}
