//! The chain's modules, one folder each. A module owns its state layout (keys), its parameters,
//! its genesis, its messages and their handlers, its queries and its events; it may use the
//! floor below ([`crate::state`], [`crate::tx`], [`crate::query`], [`crate::store`]) and the
//! modules it builds on, never the pipeline above it ([`crate::app`], [`crate::abci`]).

pub mod auth;
pub mod bank;
pub mod clock;
pub mod component;
pub mod epoch;
pub mod fee_price;
pub mod gov;
pub mod handler;
pub mod ibc;
pub mod params;
pub mod slashing;
pub mod staking;
pub mod upgrade;
pub mod wasm;
pub mod zk;
