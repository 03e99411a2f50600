//! `xx`: XYZ settlement between the chain and its rollup shards (a system contract; its admin
//! is governance). It holds every uxyz the rollups hold: deposits are paid in and queued for the
//! rollup's operator; a verified batch (reported by `rollup-verifier`, its only settler) must
//! include the front of the queue, in order, and its withdrawals are paid out.
//!
//! Invariant (supply): the contract's balance = Σ over rollups of (held + pending), where held =
//! deposits included − withdrawals paid; `settle` never pays more than a rollup holds.

pub mod contract;
pub mod error;
pub mod msg;
pub mod state;

pub use crate::error::ContractError;
