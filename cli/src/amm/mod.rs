//! `proof tx amm ...` and `proof query amm ...`: the AMM system contract (its messages are
//! `amm-msgs`'s). Swaps are queued by their transaction and cleared at the end of its block at
//! one price, so `swap` reads the fill from the block's end-block events.
//!
//! Rooms: `contract.rs` (where the contract is), `tx.rs`, `query.rs`.

mod contract;
mod query;
mod tx;

pub use query::{run as query, AmmQueryArgs};
pub use tx::{run as tx, AmmTxArgs};
