//! `proof-rollup`: the operator of an L3 rollup (see `rollup/README.md`).
//!
//! Users send signed transfers and withdrawals to the [`api`]; the [`sequencer`] checks them
//! against the operator's latest state, writes them to the [`journal`] (fsync before it answers)
//! and answers with a signed [`receipt`] naming the batch and position: a soft confirmation.
//! Deposits come from the chain's `xx` queue ([`deposits`]). Closed batches go to the
//! [`pipeline`]: the batcher builds each batch's Nova steps on the state the previous batch left
//! (so batch i+1 is ready while batch i is being proven), N prover workers prove them in
//! parallel, and the [`poster`] submits the proofs to the rollup-verifier contract strictly in
//! order. [`chain`] reads the verifier and `xx` contracts, and rebuilds a rollup's state from the
//! data posted on the chain alone. [`operator`] wires the parts together.

pub mod answers;
pub mod api;
pub mod chain;
pub mod client;
pub mod deposits;
pub mod error;
pub mod events;
pub mod intake;
pub mod journal;
pub mod metrics;
pub mod operator;
pub mod pipeline;
pub mod poster;
pub mod receipt;
pub mod sequencer;
pub mod sigcheck;
pub mod status;
pub mod wire;

pub use error::Rejection;
