//! `proof tx rollup ...` and `proof query rollup ...`: the L3 rollups' chain side, through the
//! `rollup-verifier` and `xx` system contracts (their messages are `rollup-msgs`'s).
//!
//! Rooms: `contracts.rs` (where the two contracts are, their smart queries), `data.rs` (a
//! rollup's state rebuilt from the batch data on chain, for exit proofs), `tx.rs`, `query.rs`.

mod contracts;
mod data;
mod query;
mod tx;

pub use query::{run as query, RollupQueryArgs};
pub use tx::{run as tx, RollupTxArgs};
