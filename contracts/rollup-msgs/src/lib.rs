//! The messages of the rollup system contracts (`rollup-verifier`, `xx`) and the byte formats of
//! rollup batches they read, shared by the contracts and their Rust clients (CLI, operator).
//! Serde only: no cosmwasm-std, so native clients do not build the contract runtime.
//!
//! Formats are `proof-zk`'s (`zk-circuits/src/ops.rs`, `exit.rs`); this crate parses them
//! without the circuit's field arithmetic: what a contract needs is who gets paid and what was
//! deposited, while hashes and proofs are checked natively by the chain (`proof_zk_*` imports).

pub mod chain;
pub mod codec;
pub mod curve;
pub mod data;
pub mod verifier;
pub mod xx;

pub use codec::{Base64, Hex32, U128};
