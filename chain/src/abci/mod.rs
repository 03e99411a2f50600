//! The ABCI++ application: block execution, mempool admission and queries, glued to
//! CometBFT through tower-abci's `v038` server.
//!
//! Each ABCI connection is served by its own service and handles requests synchronously in
//! arrival order (CheckTx order matters for sequences). Consensus, mempool and queries share the
//! committed [`Store`](crate::store::Store); only Commit writes to it.

pub mod consensus;
pub mod executor;
pub mod genesis;
pub mod mempool;
pub mod query;
pub mod server;
