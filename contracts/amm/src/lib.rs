//! `amm`: constant-product pools of the chain's coin against other denoms (a system contract;
//! its admin is governance).
//!
//! Swaps are not executed in transaction order: each is queued, and at the end of the block
//! (`sudo end_block`, called by the chain) every swap of a pool clears at one price,
//! `P = (y + Q) / (x + B)` quote per base, where `x, y` are the reserves and `B, Q` the block's
//! base and quote inputs after the fee. That is the price at which the net imbalance executes
//! against `x·y = k` exactly, so both directions get it and ordering inside a block is worth
//! nothing (a sandwich buys and sells at the same price and pays the fee twice).
//!
//! Invariants: `x·y` never decreases (outputs round down, fees stay in the pool); a pool holds
//! exactly its reserves plus its queued inputs; LP shares added in a block cannot be withdrawn in
//! it (no borrow-and-repay around the block's clearing).

pub mod clearing;
pub mod contract;
pub mod error;
pub mod math;
pub mod msg;
pub mod state;
pub mod twap;

pub use crate::error::ContractError;

#[cfg(test)]
mod tests;
