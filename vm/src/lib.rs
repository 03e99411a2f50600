//! `proof-vm`: a metered wasmtime runtime that runs unmodified CosmWasm contracts
//! (cosmwasm-std 2.x/3.x, `interface_version_8`).
//!
//! The VM knows nothing of the chain: it talks to it through the [`backend`] traits. A code is
//! validated and instrumented at upload ([`validate`], [`instrument`]), compiled once with
//! cranelift and cached on disk and in memory ([`cache`]); every call gets a fresh instance with
//! its own gas (wasmtime fuel, [`gas`]) and memory limits ([`instance`]).

pub mod addr;
pub mod backend;
pub mod cache;
pub mod engine;
pub mod error;
pub mod gas;
pub mod imports;
pub mod instance;
pub mod instrument;
pub mod memory;
pub mod testing;
pub mod types;
pub mod validate;
mod vm;

pub use backend::{Api, Backend, BatchClaim, Order, Querier, Storage, ZkVerdict};
pub use cache::{CacheStats, Checksum};
pub use error::{BackendError, VmError, VmResult};
pub use gas::GasSchedule;
pub use instance::{CallOptions, Outcome};
pub use vm::{IbcEntry, Vm, VmConfig};
