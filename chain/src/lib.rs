//! The Proof chain node: an ABCI++ application driven by CometBFT v0.38.
//!
//! Rooms: [`store`] (authenticated versioned state), [`state`] (deltas, gas, modules' state),
//! [`tx`] (decode, ante, execute), [`abci`] (the four ABCI connections), [`node`] (running it).

pub mod abci;
pub mod app;
pub mod modules;
pub mod node;
pub mod query;
pub mod state;
pub mod store;
pub mod tx;
