//! Proof of stake: validators, delegations (as shares of a validator's tokens), unbonding and
//! redelegation entries, the validator set sent to CometBFT, and slashing's effect on stake.
//!
//! Tokens: every delegated uxyz sits in the `bonded_tokens_pool` module account (whether or not
//! its validator is in the active set); tokens that are unbonding sit in
//! `not_bonded_tokens_pool` until their completion time (block time) passes. A validator's
//! `tokens` are shared among its delegators pro rata to their `shares`, so a slash (which lowers
//! `tokens`) reduces every delegator's stake in proportion. Shares are exact integers: the first
//! delegation gets one share per uxyz, later ones `amount * shares / tokens` (rounded down, in
//! favour of the existing delegators). Slashed tokens and rounding dust go to the development
//! fund, so no uxyz is ever created or destroyed here.
//!
//! Records are borsh (canonical) under `staking/` and `slashing/`; params are JSON.

mod active_set;
mod delegations;
mod error;
pub mod hooks;
pub mod keys;
pub mod msgs;
mod operators;
pub mod params;
pub mod query;
mod unbonding;
mod validators;

pub use active_set::*;
pub use delegations::*;
pub use error::*;
pub use keys::{delegations_of_prefix, delegations_to_prefix, leading_address, VALIDATORS_PREFIX};
pub use operators::*;
pub use params::*;
pub use proof_sdk::staking::{valoper, VALOPER_PREFIX};
pub use unbonding::*;
pub use validators::*;
