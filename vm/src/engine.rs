//! The wasmtime engine: cranelift, fuel metering, NaN canonicalisation, a native stack backstop
//! and (optionally) the pooling allocator. One engine serves every contract.
//!
//! Nothing here may change a call's outcome or gas: the stack depth a contract may reach is
//! counted in the code itself (`instrument.rs`), so two nodes compiling with different settings
//! or CPUs agree. `max_wasm_stack` only backstops that count, sized well above the native stack
//! it can reach (measured in `tests/hostile.rs`); were it ever hit, the call fails as a node
//! condition (`VmError::Resource`), never as a recorded result.

use wasmtime::{
    Config, Enabled, Engine, InstanceAllocationStrategy, OperatorCost, OptLevel,
    PoolingAllocationConfig,
};

use crate::error::{VmError, VmResult};

#[derive(Clone, Debug)]
pub struct EngineConfig {
    /// Linear memory cap of one instance (32 MiB default, CosmWasm's 512 pages).
    pub memory_limit: usize,
    /// Native stack one call's wasm may use: the backstop behind the deterministic limit.
    pub max_wasm_stack: usize,
    /// Cranelift's optimisation level. Affects speed only, never gas or outcomes.
    pub opt_level: OptLevel,
    /// Pre-reserved instance slots of the pooling allocator (instances alive at once, nested
    /// queries included); 0 disables pooling. Running out is a [`VmError::Resource`] error, which
    /// the node must not record as a call result. Each slot reserves (not commits) 4 GiB of
    /// address space plus guard pages, so bounds checks can be elided.
    pub pool_instances: u32,
    /// Table entries per instance (matches the upload-time limit).
    pub table_elements: usize,
    /// Bytes of a pooled memory slot kept mapped between instances. Dirty pages in this range
    /// are reset by copying (found with Linux's `PAGEMAP_SCAN` where available) instead of
    /// being unmapped, so the next instance does not page-fault on them.
    pub keep_resident: usize,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            memory_limit: 32 * 1024 * 1024,
            max_wasm_stack: 1024 * 1024,
            opt_level: OptLevel::Speed,
            pool_instances: 256,
            table_elements: 2500,
            keep_resident: 4 * 1024 * 1024,
        }
    }
}

pub fn build(cfg: &EngineConfig) -> VmResult<Engine> {
    // One fuel per operator (wasmtime's defaults). wasmtime's own per-byte charge for bulk memory
    // is switched off: `instrument.rs` prices those operations (finer than wasmtime's minimum of
    // one fuel per byte), and `memory.grow` per page, so there is one source of truth.
    let mut cost = OperatorCost::new();
    cost.variable.memory_copy_per_byte = 0;
    cost.variable.memory_fill_per_byte = 0;
    cost.variable.memory_init_per_byte = 0;
    cost.variable.memory_grow_per_page = 0;
    let mut c = Config::new();
    c.consume_fuel(true)
        .operator_cost(cost)
        .cranelift_nan_canonicalization(true)
        .cranelift_opt_level(cfg.opt_level)
        .max_wasm_stack(cfg.max_wasm_stack)
        // What contracts may use (validated again, with clearer errors, at upload).
        .wasm_bulk_memory(true)
        .wasm_multi_value(true)
        .wasm_simd(false)
        .wasm_relaxed_simd(false)
        .wasm_multi_memory(false)
        .wasm_memory64(false)
        .wasm_tail_call(false)
        .wasm_gc(false)
        .wasm_wide_arithmetic(false)
        .wasm_custom_page_sizes(false)
        .wasm_stack_switching(false);
    if cfg.pool_instances > 0 {
        let mut pool = PoolingAllocationConfig::default();
        pool.total_core_instances(cfg.pool_instances)
            .total_memories(cfg.pool_instances)
            .total_tables(cfg.pool_instances)
            .max_memories_per_module(1)
            .max_tables_per_module(1)
            .table_elements(cfg.table_elements)
            .max_memory_size(cfg.memory_limit)
            .linear_memory_keep_resident(cfg.keep_resident)
            .table_keep_resident(64 * 1024)
            .pagemap_scan(Enabled::Auto);
        c.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    }
    Engine::new(&c).map_err(|e| VmError::Compile(format!("engine: {e}")))
}
