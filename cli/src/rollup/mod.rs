//! `proof tx rollup ...` and `proof query rollup ...`: the L3 rollups' chain side, through the
//! `rollup-verifier` and `xx` system contracts (their messages are `rollup-msgs`'s); and
//! `proof rollup ...`, the L3 wallet, which talks to a rollup's operator.
//!
//! Rooms: `contracts.rs` (where the two contracts are, their smart queries), `data.rs` (a
//! rollup's state rebuilt from the batch data on chain, for exit proofs), `tx.rs`, `query.rs`,
//! `keys.rs` (rollup keys in the keyring), `wallet.rs` (send, withdraw, balance, status, exit).

mod contracts;
mod data;
mod keys;
mod query;
mod tx;
mod wallet;

pub use query::{run as query, RollupQueryArgs};
pub use tx::{run as tx, RollupTxArgs};
pub use wallet::{run as wallet, RollupArgs};
