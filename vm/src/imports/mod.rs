//! Host functions a contract can import (`env.*`), and the per-call host context they run in.

mod addr;
mod crypto;
mod debug;
mod query;
mod storage;
mod zk;

use std::sync::Arc;

use wasmtime::{Caller, Linker, Memory, StoreLimits, TypedFunc};

use crate::backend::{Backend, RecordIter};
use crate::error::{VmError, VmResult};
use crate::gas::{self, GasSchedule};
use crate::instrument::{CHARGE_BULK, CHARGE_GROW, INTERNAL_MODULE, STACK_EXHAUSTED, STACK_LIMIT};
use crate::memory;

/// Every import a contract may declare (all in module `env`).
pub const SUPPORTED_IMPORTS: &[&str] = &[
    "abort",
    "debug",
    "db_read",
    "db_write",
    "db_remove",
    "db_scan",
    "db_next",
    "db_next_key",
    "db_next_value",
    "addr_validate",
    "addr_canonicalize",
    "addr_humanize",
    "query_chain",
    "secp256k1_verify",
    "secp256k1_recover_pubkey",
    "secp256r1_verify",
    "secp256r1_recover_pubkey",
    "ed25519_verify",
    "ed25519_batch_verify",
    "bls12_381_aggregate_g1",
    "bls12_381_aggregate_g2",
    "bls12_381_pairing_equality",
    "bls12_381_hash_to_g1",
    "bls12_381_hash_to_g2",
    // Proof chain extensions (see vm/CONTRACTS.md).
    "proof_mldsa65_verify",
    "proof_hybrid_verify",
    "proof_zk_verify_batch",
    "proof_zk_verify_exit",
    "proof_zk_verify_signature",
    "proof_zk_vk_digest",
];

/// Size limits of host function inputs, CosmWasm's.
pub mod limits {
    const KI: usize = 1024;
    const MI: usize = 1024 * KI;
    pub const DB_KEY: usize = 64 * KI;
    pub const DB_VALUE: usize = 128 * KI;
    pub const CANONICAL_ADDRESS: usize = 64;
    pub const HUMAN_ADDRESS: usize = 256;
    pub const QUERY_REQUEST: usize = 64 * KI;
    pub const MESSAGE_HASH: usize = 32;
    pub const ECDSA_SIGNATURE: usize = 64;
    pub const ECDSA_PUBKEY: usize = 65;
    pub const ED25519_SIGNATURE: usize = 64;
    pub const ED25519_PUBKEY: usize = 32;
    pub const ED25519_MESSAGE: usize = 128 * KI;
    pub const ED25519_BATCH_COUNT: usize = 256;
    pub const DEBUG: usize = 2 * MI;
    pub const ABORT: usize = 2 * MI;
    pub const BLS_AGGREGATE: usize = 2 * MI;
    pub const BLS_MESSAGE: usize = 5 * MI;
    pub const BLS_DST: usize = 5 * KI;
    pub const PQ_MESSAGE: usize = 128 * KI;
    pub const PQ_SIGNATURE: usize = 8 * KI;
    pub const PQ_PUBKEY: usize = 4 * KI;
    /// A rollup batch's published data (12 bytes a transfer: ~43k transfers) and its proof
    /// (15-18 KB today).
    pub const ZK_DATA: usize = 512 * KI;
    pub const ZK_PROOF: usize = 64 * KI;
    /// An exit proof (1 876 bytes).
    pub const ZK_EXIT_PROOF: usize = 4 * KI;
    /// Open iterators per call.
    pub const ITERATORS: usize = 1024;
}

/// State of one call, owned by its wasmtime `Store`.
pub struct HostCtx {
    pub backend: Backend,
    pub memory: Option<Memory>,
    pub allocate: Option<TypedFunc<u32, u32>>,
    pub iterators: Vec<RecordIter>,
    /// The host is running the contract's `allocate` for an import (see `alloc_write`).
    pub in_allocate: bool,
    /// Queries may not write.
    pub read_only: bool,
    pub schedule: Arc<GasSchedule>,
    /// Captured `debug` messages, when asked for.
    pub debug_log: Option<Vec<String>>,
    pub limits: StoreLimits,
}

pub(crate) type Ctx<'a> = Caller<'a, HostCtx>;

/// Turns a VM error into a trap carrying it (recovered by the instance after the call).
pub(crate) fn trap<T>(r: VmResult<T>) -> wasmtime::Result<T> {
    r.map_err(wasmtime::Error::new)
}

pub(crate) fn charge(c: &mut Ctx<'_>, gas: u64) -> VmResult<()> {
    gas::charge(c, gas)
}

fn memory_of(c: &Ctx<'_>) -> VmResult<Memory> {
    c.data()
        .memory
        .ok_or_else(|| VmError::Trap("memory not exported".into()))
}

/// Reads the region at `ptr` (at most `max` bytes), charging per byte read.
pub(crate) fn read(c: &mut Ctx<'_>, ptr: u32, max: usize) -> VmResult<Vec<u8>> {
    let mem = memory_of(c)?;
    let len = memory::region_length(mem.data(&*c), ptr)?;
    let per_byte = c.data().schedule.read_byte;
    charge(c, per_byte.saturating_mul(len.min(max) as u64))?;
    memory::read_region(mem.data(&*c), ptr, max)
}

/// Reads an optional region: pointer 0 is `None`.
pub(crate) fn read_opt(c: &mut Ctx<'_>, ptr: u32, max: usize) -> VmResult<Option<Vec<u8>>> {
    if ptr == 0 {
        Ok(None)
    } else {
        read(c, ptr, max).map(Some)
    }
}

/// Writes `data` into the contract's region at `ptr`, charging per byte written.
pub(crate) fn write(c: &mut Ctx<'_>, ptr: u32, data: &[u8]) -> VmResult<()> {
    let per_byte = c.data().schedule.write_byte;
    charge(c, per_byte.saturating_mul(data.len() as u64))?;
    let mem = memory_of(c)?;
    memory::write_region(mem.data_mut(&mut *c), ptr, data)
}

/// Asks the contract to allocate a region for `data` (its `allocate` export), fills it and
/// returns the region pointer; the contract owns it from then on.
/// Writes `data` into a region the contract's `allocate` gives. An `allocate` that calls an
/// import which needs `allocate` again is refused: each such cycle would stack native host
/// frames that the wasm stack-unit count does not see, so the nesting stops at one level.
pub(crate) fn alloc_write(c: &mut Ctx<'_>, data: &[u8]) -> VmResult<u32> {
    let alloc = c
        .data()
        .allocate
        .clone()
        .ok_or_else(|| VmError::Trap("allocate not exported".into()))?;
    if c.data().in_allocate {
        return Err(VmError::host(
            "allocate",
            "the contract's allocate called an import that needed allocate again",
        ));
    }
    let len = u32::try_from(data.len()).map_err(|_| VmError::region("data too long"))?;
    c.data_mut().in_allocate = true;
    let ptr = alloc.call(&mut *c, len);
    c.data_mut().in_allocate = false;
    let ptr = ptr.map_err(crate::instance::classify)?;
    write(c, ptr, data)?;
    Ok(ptr)
}

pub(crate) fn host_call(c: &mut Ctx<'_>) -> VmResult<()> {
    let g = c.data().schedule.host_call;
    charge(c, g)
}

/// The linker with every host function; built once per engine.
pub fn linker(engine: &wasmtime::Engine) -> Linker<HostCtx> {
    let mut l = Linker::new(engine);
    storage::register(&mut l);
    addr::register(&mut l);
    query::register(&mut l);
    debug::register(&mut l);
    crypto::register(&mut l);
    zk::register(&mut l);
    l.func_wrap(
        INTERNAL_MODULE,
        CHARGE_BULK,
        |mut c: Ctx<'_>, len: u32| -> wasmtime::Result<u32> {
            let per = c.data().schedule.bulk_memory_byte;
            trap(charge(&mut c, per.saturating_mul(len as u64)))?;
            Ok(len)
        },
    )
    .expect("define charge_bulk");
    l.func_wrap(
        INTERNAL_MODULE,
        CHARGE_GROW,
        |mut c: Ctx<'_>, pages: u32| -> wasmtime::Result<u32> {
            let per = c.data().schedule.memory_grow_page;
            trap(charge(&mut c, per.saturating_mul(pages as u64)))?;
            Ok(pages)
        },
    )
    .expect("define charge_grow");
    l.func_wrap(
        INTERNAL_MODULE,
        STACK_EXHAUSTED,
        |_: Ctx<'_>, _: u32| -> wasmtime::Result<u32> {
            trap(Err(VmError::Trap(format!(
                "call stack exhausted: more than {STACK_LIMIT} stack units in use"
            ))))
        },
    )
    .expect("define stack_exhausted");
    l
}
