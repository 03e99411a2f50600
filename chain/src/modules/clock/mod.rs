//! The end-block hook for system contracts (in the spirit of Juno's `x/clock`): after the
//! block's transactions, the chain calls `sudo {"end_block":{}}` on each contract governance
//! lists in `clock.contracts`, in list order. The AMM clears its batch auctions there.
//!
//! Invariants:
//! - Each call runs on its own gas meter of the contract's `gas_limit` and its own layer of the
//!   block: a call that fails (an error, a panic, out of gas, a missing contract) changes nothing
//!   and is reported in an `end_block_hook` event with the error; it never halts the chain and
//!   never stops the calls after it. Only this node's own failure (storage, resources) stops it.
//! - The work is bounded by the parameters: at most [`params::MAX_CONTRACTS`] calls a block, each
//!   within its gas limit, all of them within [`params::MAX_TOTAL_GAS`]. Nobody pays for this gas,
//!   so only governance may spend it.
//! - A call sees the block's height and time, no transaction, no funds, and cannot upload code.

pub mod hooks;
pub mod params;
pub mod query;

pub use params::{ClockParams, HookContract};
