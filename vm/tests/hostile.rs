//! Hostile contracts: each one must be stopped cleanly (out of gas, trap or error) in bounded
//! time, and the VM must keep working afterwards.

mod common;

use std::time::{Duration, Instant};

use common::*;
use proof_vm::{Vm, VmConfig, VmError};
use serde_json::json;

/// 10^11 gas: ~8.7·10^8 instructions, well under a second of CPU.
const LIMIT: u64 = 100_000_000_000;
const BOUND: Duration = Duration::from_secs(10);

fn hostile() -> Harness {
    let mut h = Harness::new("hostile");
    h.opts.gas_limit = LIMIT;
    h.instantiate(&addr(1), json!("")).ok();
    h
}

fn timed(h: &Harness, msg: serde_json::Value) -> (Res, Duration) {
    let t = Instant::now();
    let r = h.execute(&addr(2), msg);
    (r, t.elapsed())
}

fn assert_healthy(h: &Harness) {
    let r = h.execute(&addr(2), json!({"recurse": {"depth": 10}}));
    assert_eq!(r.attr("r"), "55");
}

#[test]
fn infinite_loop_runs_out_of_gas() {
    let h = hostile();
    let (r, t) = timed(&h, json!({"infinite_loop": {}}));
    assert_eq!(r.vm_err(), &VmError::OutOfGas);
    assert_eq!(r.gas_used, LIMIT);
    assert!(t < BOUND, "{t:?}");
    assert_healthy(&h);
}

#[test]
fn memory_bomb_is_capped() {
    let h = hostile();
    let (r, t) = timed(&h, json!({"memory_bomb": {}}));
    // The 32 MiB cap makes memory.grow fail; Rust's allocator then aborts (unreachable).
    match r.vm_err() {
        VmError::Trap(m) => assert!(m.contains("unreachable"), "{m}"),
        VmError::Aborted(m) => assert!(m.contains("alloc"), "{m}"),
        e => panic!("unexpected {e:?}"),
    }
    assert!(r.gas_used < LIMIT);
    assert!(t < BOUND, "{t:?}");
    assert_healthy(&h);
}

#[test]
fn deep_recursion_overflows_the_stack() {
    let h = hostile();
    let (r, t) = timed(&h, json!({"recurse": {"depth": 100_000_000u64}}));
    match r.vm_err() {
        VmError::Trap(m) => assert!(m.contains("call stack exhausted"), "{m}"),
        e => panic!("unexpected {e:?}"),
    }
    assert!(t < BOUND, "{t:?}");
    assert_healthy(&h);
}

/// The stack limit is counted in stack units by the instrumented code, so where a recursion
/// stops, and the gas used by then, are the same however the code was compiled. (With a limit
/// on native stack bytes, unoptimised code's bigger frames stopped it earlier.)
#[test]
fn stack_overflow_costs_the_same_gas_under_any_compiler_setting() {
    use proof_vm::engine::EngineConfig;
    let overflow = |engine: EngineConfig| {
        let vm = Vm::new(VmConfig {
            engine,
            ..VmConfig::default()
        })
        .unwrap();
        let mut h = Harness::with_vm(std::sync::Arc::new(vm), "hostile");
        h.opts.gas_limit = LIMIT;
        h.instantiate(&addr(1), json!("")).ok();
        let r = h.execute(&addr(2), json!({"recurse": {"depth": 100_000_000u64}}));
        (r.vm_err().clone(), r.gas_used)
    };
    let fast = overflow(EngineConfig::default());
    let slow = overflow(EngineConfig {
        opt_level: wasmtime::OptLevel::None,
        ..EngineConfig::default()
    });
    let roomy = overflow(EngineConfig {
        max_wasm_stack: 2 << 20,
        pool_instances: 0,
        ..EngineConfig::default()
    });
    assert!(
        matches!(&fast.0, VmError::Trap(m) if m.contains("call stack exhausted")),
        "{fast:?}"
    );
    assert_eq!(fast, slow);
    assert_eq!(fast, roomy);
}

#[test]
fn huge_allocations_fail_cleanly() {
    let h = hostile();
    // memory.grow is charged for the pages requested (even if refused): 1 GiB costs more than
    // the whole limit, so the call is out of gas before the grow is even attempted.
    let (r, _) = timed(&h, json!({"huge_alloc": {"bytes": 1u64 << 30}}));
    assert_eq!(r.vm_err(), &VmError::OutOfGas);
    // Just above the 32 MiB cap fails, well below succeeds.
    let (r, _) = timed(&h, json!({"huge_alloc": {"bytes": 33u64 << 20}}));
    assert!(
        matches!(r.vm_err(), VmError::Trap(_) | VmError::Aborted(_)),
        "{:?}",
        r.result
    );
    let (r, _) = timed(&h, json!({"huge_alloc": {"bytes": 8u64 << 20}}));
    assert_eq!(r.attr("len"), (8u64 << 20).to_string());
    assert_healthy(&h);
}

#[test]
fn memory_fill_loop_stops_by_gas_not_wall_time() {
    let h = hostile();
    let (r, t) = timed(
        &h,
        json!({"fill_loop": {"len": 1u32 << 20, "times": u64::MAX}}),
    );
    assert_eq!(r.vm_err(), &VmError::OutOfGas);
    assert!(t < BOUND, "{t:?}");
    // Each fill is priced by its length: 16 fills of 1 MiB cost far more than 16 of 1 KiB.
    let big = h.execute(
        &addr(2),
        json!({"fill_loop": {"len": 1u32 << 20, "times": 16}}),
    );
    let small = h.execute(
        &addr(2),
        json!({"fill_loop": {"len": 1u32 << 10, "times": 16}}),
    );
    assert_eq!(big.attr("filled"), "16");
    let per_byte = proof_vm::GasSchedule::default().bulk_memory_byte;
    let min_extra = 16 * ((1u64 << 20) - (1 << 10)) * per_byte;
    assert!(
        big.gas_used - small.gas_used >= min_extra,
        "{} vs {}",
        big.gas_used,
        small.gas_used
    );
    assert_healthy(&h);
}

#[test]
fn memory_copy_loop_runs_out_of_gas() {
    let h = hostile();
    let (r, t) = timed(&h, json!({"copy_loop": {"len": 1u32 << 20}}));
    assert_eq!(r.vm_err(), &VmError::OutOfGas);
    assert!(t < BOUND, "{t:?}");
}

#[test]
fn storage_write_loop_runs_out_of_gas_and_writes_nothing() {
    let h = hostile();
    let (r, t) = timed(&h, json!({"storage_loop": {}}));
    assert_eq!(r.vm_err(), &VmError::OutOfGas);
    assert!(t < BOUND, "{t:?}");
    assert_eq!(h.get(&0u64.to_be_bytes()), None);
}

fn float(h: &Harness, a: u64, b: u64, op: &str) -> u64 {
    let v = h
        .query(json!({"float": {"a": a, "b": b, "op": op}}))
        .query_json();
    v.as_u64().unwrap()
}

#[test]
fn floats_work_and_nans_are_canonical() {
    let h = hostile();
    let one = 1.0f64.to_bits();
    let two = 2.0f64.to_bits();
    assert_eq!(f64::from_bits(float(&h, one, two, "add")), 3.0);
    assert_eq!(f64::from_bits(float(&h, one, two, "div")), 0.5);
    const CANONICAL: u64 = 0x7ff8_0000_0000_0000;
    // A NaN with a payload and the sign bit set comes out canonical, whatever the operation.
    let weird_nan = 0xfff4_0000_dead_beef;
    for op in ["add", "sub", "mul", "div", "sqrt"] {
        assert_eq!(float(&h, weird_nan, one, op), CANONICAL, "{op}");
    }
    assert_eq!(float(&h, (-1.0f64).to_bits(), 0, "sqrt"), CANONICAL);
    assert_eq!(float(&h, 0, 0, "div"), CANONICAL);
    let v = h
        .query(json!({"sqrt32": {"a": (-4.0f32).to_bits()}}))
        .query_json();
    assert_eq!(v.as_u64().unwrap(), 0x7fc0_0000);
}

/// An `allocate` that calls an import needing `allocate` again would stack host frames the
/// wasm stack units do not count, until the native stack ran out (a node condition that would
/// stop every node): the second level is refused instead, as a contract error.
#[test]
fn an_allocate_that_reenters_the_host_is_refused() {
    use proof_vm::Storage as _;
    let wasm = wat::parse_str(
        r#"(module
          (import "env" "db_read" (func $db_read (param i32) (result i32)))
          (memory (export "memory") 2)
          (data (i32.const 16) "\40\00\00\00\08\00\00\00\03\00\00\00")
          (data (i32.const 64) "key")
          (data (i32.const 128) "\00\01\00\00\00\00\01\00\00\00\00\00")
          (func (export "interface_version_8"))
          (func (export "allocate") (param i32) (result i32)
            (drop (call $db_read (i32.const 16)))
            (i32.const 128))
          (func (export "deallocate") (param i32))
          (func (export "execute") (param i32 i32 i32) (result i32)
            (drop (call $db_read (i32.const 16)))
            (i32.const 0)))"#,
    )
    .unwrap();
    let vm = Vm::new(VmConfig::default()).unwrap();
    let code = vm.store_code(&wasm).unwrap();
    let mut storage = proof_vm::testing::MockStorage::default();
    storage.set(b"key", b"value").unwrap();
    let out = vm.execute(
        &code,
        proof_vm::testing::mock_backend(storage, Default::default()),
        b"{}",
        b"{}",
        b"{}",
        &proof_vm::CallOptions {
            gas_limit: LIMIT,
            capture_debug: false,
        },
    );
    match out.result {
        Err(VmError::HostCall { func, msg }) => {
            assert_eq!(func, "allocate");
            assert!(msg.contains("needed allocate again"), "{msg}");
        }
        other => panic!("expected a refused re-entry, got {other:?}"),
    }
}
