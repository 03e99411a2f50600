//! `proof tx yy ...` and `proof query yy ...`: the YY system contract (its messages are
//! `yy-msgs`'s): HTLC atomic swaps, guardians' pauses, the altcoin registry and its flows.
//! Governance's own messages (`register`, `update_limits`, `set_guardians`) go through
//! `proof tx gov execute-contract`.
//!
//! Rooms: `contract.rs` (where the contract is), `secret.rs` (HTLC secrets), `tx.rs`, `query.rs`.

mod contract;
mod query;
mod secret;
mod tx;

pub use query::{run as query, YyQueryArgs};
pub use tx::{run as tx, YyTxArgs};
