//! One call = one fresh instance: a new store with the call's gas and memory limits, the cached
//! pre-instantiated module instantiated into it, the arguments written through `allocate`, the
//! entry point run, and the result region read back. Instances are never reused.

use std::sync::Arc;

use wasmtime::{Store, StoreLimitsBuilder, Trap};

use crate::backend::Backend;
use crate::cache::CompiledCode;
use crate::error::{VmError, VmResult};
use crate::gas::{self, GasSchedule};
use crate::imports::HostCtx;
use crate::memory;

/// Largest result a contract may return (CosmWasm's limit).
pub const MAX_RESULT_LEN: usize = 64 * 1024 * 1024;

#[derive(Clone, Debug)]
pub struct CallOptions {
    /// In VM gas units (see `gas.rs`).
    pub gas_limit: u64,
    /// Collect `debug` messages into [`Outcome::debug`].
    pub capture_debug: bool,
}

impl Default for CallOptions {
    fn default() -> Self {
        CallOptions {
            gas_limit: 1_000_000_000_000,
            capture_debug: false,
        }
    }
}

/// The result of a call. `result` is the contract's JSON `ContractResult` on success; on any
/// error the caller must discard the call's storage writes.
pub struct Outcome {
    pub result: VmResult<Vec<u8>>,
    pub gas_used: u64,
    pub debug: Vec<String>,
    pub backend: Backend,
}

/// Maps a wasmtime error to a VM error, recovering the VM errors host functions trapped with.
pub(crate) fn classify(e: wasmtime::Error) -> VmError {
    if let Some(v) = e.downcast_ref::<VmError>() {
        return v.clone();
    }
    if e.downcast_ref::<wasmtime::PoolConcurrencyLimitError>()
        .is_some()
    {
        return VmError::Resource(format!("{e:#}"));
    }
    if let Some(t) = e.downcast_ref::<Trap>() {
        return match t {
            Trap::OutOfFuel => VmError::OutOfGas,
            // The deterministic stack limit (`instrument.rs`) should always trap first; if the
            // native backstop fires instead, how deep the call got depends on this machine, so
            // the outcome must not become a recorded result.
            Trap::StackOverflow => VmError::Resource(
                "native wasm stack exhausted before the deterministic stack limit".into(),
            ),
            other => VmError::Trap(other.to_string()),
        };
    }
    VmError::Trap(format!("{e:#}"))
}

pub(crate) struct CallSpec<'a> {
    pub entry: &'a str,
    pub args: &'a [&'a [u8]],
    pub read_only: bool,
}

fn new_store(
    code: &CompiledCode,
    schedule: &Arc<GasSchedule>,
    memory_limit: usize,
    backend: Backend,
    read_only: bool,
    capture_debug: bool,
) -> Store<HostCtx> {
    let ctx = HostCtx {
        backend,
        memory: None,
        allocate: None,
        iterators: Vec::new(),
        in_allocate: false,
        read_only,
        schedule: schedule.clone(),
        debug_log: capture_debug.then(Vec::new),
        limits: StoreLimitsBuilder::new()
            .memory_size(memory_limit)
            .memories(1)
            .tables(1)
            .instances(1)
            .build(),
    };
    let mut store = Store::new(code.pre.module().engine(), ctx);
    store.limiter(|c| &mut c.limits);
    store
}

pub(crate) fn call(
    code: &CompiledCode,
    schedule: &Arc<GasSchedule>,
    memory_limit: usize,
    backend: Backend,
    spec: CallSpec<'_>,
    opts: &CallOptions,
) -> Outcome {
    let mut store = new_store(
        code,
        schedule,
        memory_limit,
        backend,
        spec.read_only,
        opts.capture_debug,
    );
    let fuel_limit = opts.gas_limit / gas::GAS_PER_FUEL;
    let result = match store.set_fuel(fuel_limit) {
        Ok(()) => run(code, &mut store, &spec),
        Err(e) => Err(VmError::Trap(e.to_string())),
    };
    let gas_used = if matches!(result, Err(VmError::OutOfGas)) {
        opts.gas_limit
    } else {
        gas::fuel_to_gas(fuel_limit - store.get_fuel().unwrap_or(0))
    };
    let ctx = store.into_data();
    Outcome {
        result,
        gas_used,
        debug: ctx.debug_log.unwrap_or_default(),
        backend: ctx.backend,
    }
}

/// Creates a fresh instance and drops it without calling anything: what every call pays
/// before running the contract (used by benchmarks).
pub(crate) fn instantiate_only(
    code: &CompiledCode,
    schedule: &Arc<GasSchedule>,
    memory_limit: usize,
    backend: Backend,
) -> (VmResult<()>, Backend) {
    let mut store = new_store(code, schedule, memory_limit, backend, true, false);
    let r = store
        .set_fuel(u64::MAX / gas::GAS_PER_FUEL)
        .map_err(|e| VmError::Trap(e.to_string()))
        .and_then(|_| {
            code.pre
                .instantiate(&mut store)
                .map(|_| ())
                .map_err(classify)
        });
    (r, store.into_data().backend)
}

fn run(code: &CompiledCode, store: &mut Store<HostCtx>, spec: &CallSpec<'_>) -> VmResult<Vec<u8>> {
    let missing = || VmError::MissingEntryPoint(spec.entry.to_string());
    let entry = code.funcs.get(spec.entry).ok_or_else(missing)?;
    let instance = code
        .pre
        .instantiate(&mut *store)
        .map_err(|e| match classify(e) {
            VmError::Trap(m) => VmError::Instantiation(m),
            other => other,
        })?;
    let mem = code
        .memory
        .as_ref()
        .and_then(|m| instance.get_module_export(&mut *store, m))
        .and_then(|e| e.into_memory())
        .ok_or_else(|| VmError::Instantiation("no exported memory".into()))?;
    let alloc = code
        .funcs
        .get("allocate")
        .and_then(|a| instance.get_module_export(&mut *store, a))
        .and_then(|e| e.into_func())
        .and_then(|f| f.typed::<u32, u32>(&*store).ok())
        .ok_or_else(|| VmError::MissingEntryPoint("allocate".into()))?;
    let func = instance
        .get_module_export(&mut *store, entry)
        .and_then(|e| e.into_func())
        .ok_or_else(missing)?;
    {
        let d = store.data_mut();
        d.memory = Some(mem);
        d.allocate = Some(alloc.clone());
    }

    // migrate has two arities: (env, msg) and (env, msg, info).
    let arity = func.ty(&*store).params().len();
    let args = if spec.entry == "migrate" && arity == 2 && spec.args.len() == 3 {
        &spec.args[..2]
    } else {
        spec.args
    };
    let write_byte = store.data().schedule.write_byte;
    let mut ptrs = [0u32; 3];
    for (i, arg) in args.iter().enumerate() {
        let len = u32::try_from(arg.len()).map_err(|_| VmError::region("argument too long"))?;
        let fuel = gas::gas_to_fuel(write_byte.saturating_mul(arg.len() as u64));
        let left = store.get_fuel().map_err(|e| VmError::Trap(e.to_string()))?;
        if left < fuel {
            let _ = store.set_fuel(0);
            return Err(VmError::OutOfGas);
        }
        let _ = store.set_fuel(left - fuel);
        let ptr = alloc.call(&mut *store, len).map_err(classify)?;
        memory::write_region(mem.data_mut(&mut *store), ptr, arg)?;
        ptrs[i] = ptr;
    }
    let ret = match args.len() {
        2 => func
            .typed::<(u32, u32), u32>(&*store)
            .map_err(|_| missing())?
            .call(&mut *store, (ptrs[0], ptrs[1])),
        3 => func
            .typed::<(u32, u32, u32), u32>(&*store)
            .map_err(|_| missing())?
            .call(&mut *store, (ptrs[0], ptrs[1], ptrs[2])),
        _ => return Err(missing()),
    }
    .map_err(classify)?;
    memory::read_region(mem.data(&*store), ret, MAX_RESULT_LEN)
}
