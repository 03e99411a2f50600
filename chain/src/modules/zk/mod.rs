//! Native rollup proof verification for contracts (the `proof_zk_*` imports).
//!
//! The VM reaches it through its `Api` ([`crate::modules::wasm`]'s contract API forwards here);
//! the rollup-verifier and XX system contracts are its users. Its one message, `msgs.rs`
//! `MsgRecordBatch`, puts a verified batch into the epoch's checkpoint (the L1 record). The module keeps no state of its
//! own besides its parameters: verifier keys are node-local files derived from the circuit
//! ([`keys`]), and a block's verification room ([`VerifyRoom`]) lives for one block.
//!
//! Invariants:
//! - Every answer is a deterministic function of the request and the chain's parameters: a key
//!   is derived from the step size named in the claim, never taken from a cache's say-so, so a
//!   node that lost or never had a key derives it and answers the same.
//! - A block verifies at most `max_block_verify_micros` of measured verification work; a
//!   transaction that would pass it is left for a later block (`TxError::BlockFull`).
//! - A node that cannot derive or load a key (disk, memory) reports a node condition, never a
//!   transaction result.

pub mod keys;
pub mod msgs;
pub mod params;
mod room;
mod verify;

pub use room::VerifyRoom;
pub use verify::{verify_batch, verify_exit, verify_signature, vk_digest};
