//! `yy`: the YY layer, altcoins bridged over IBC (a system contract; its admin and its
//! `governance` are the governance module account).
//!
//! - `registry`: the altcoins governance registered, each an ICS-20 voucher whose denom is
//!   checked against its trace's hash (or a native denom), with who may pause and resume them.
//! - `rate_limit`: the chain's IBC transfer hook (`sudo`) checks every packet of a registered
//!   altcoin against its quotas per channel (fixed windows, gross inflow and outflow, as
//!   Osmosis' `ibc-rate-limit`) and records it in all of them or in none; a circuit breaker
//!   pauses an altcoin whose inflow reaches a threshold, and a frozen client pauses its channel's.
//! - `htlc`: hash-time-locked swaps of any coin, for atomic swaps with other chains.
//!
//! Every call's cost is bounded: at most 4 quotas per altcoin, 64 altcoins per channel, 100
//! entries per listing; nothing iterates over unbounded state.

pub mod contract;
pub mod error;
pub mod htlc;
pub mod msg;
pub mod rate_limit;
pub mod registry;
pub mod state;

pub use crate::error::ContractError;

#[cfg(test)]
mod tests;
