//! `rollup-verifier`: the chain side of the L3 rollups (a system contract; its admin is
//! governance). It registers rollups, holds each one's verified state root, batch index and
//! verifier key digest, verifies posted batches with the chain's native verifier and records
//! them, and hands each verified batch's deposits and withdrawals to the `xx` settlement
//! contract, which holds the money.
//!
//! Messages are `rollup_msgs::verifier`'s, so the CLI and the operator use the same types.

pub mod contract;
pub mod error;
pub mod msg;
pub mod state;
pub mod zk;

pub use crate::error::ContractError;
