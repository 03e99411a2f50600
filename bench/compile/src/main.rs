//! What an upload costs a node, measured (BENCHMARKS.md, "Uploads"):
//! - compile time per byte (cranelift, the node's settings) of every contract artifact and of
//!   synthetic worst cases near the 800 KB limit, and the time of the checks a simulated upload
//!   runs instead (validation and instrumentation, no compile);
//! - the native stack a call can reach under the deterministic stack limit, per frame shape and
//!   compiler setting: the smallest `max_wasm_stack` at which the limit still stops a deep
//!   recursion before wasmtime's native check does, against the 1 MiB the engine reserves.
//!
//! Run: `bash contracts/build.sh && cargo run --release -p proof-compile-bench`

use std::path::PathBuf;
use std::time::Instant;

use proof_vm::engine::EngineConfig;
use proof_vm::testing::{mock_backend, MockQuerier, MockStorage};
use proof_vm::{CallOptions, Vm, VmConfig, VmError};
use wasm_encoder::{
    BlockType, CodeSection, ExportKind, ExportSection, Function, FunctionSection, Instruction,
    MemorySection, MemoryType, Module, TypeSection, ValType,
};

fn artifact(name: &str) -> Option<Vec<u8>> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../contracts/artifacts")
        .join(format!("{name}.wasm"));
    std::fs::read(p).ok()
}

fn vm(engine: EngineConfig) -> Vm {
    Vm::new(VmConfig {
        engine,
        ..VmConfig::default()
    })
    .expect("vm")
}

/// A module with the exports CosmWasm requires and `extra` defined functions of type
/// `(i32) -> i32` (type 1) whose bodies `body` builds; `execute` calls function `entry`.
fn module(extra: usize, locals: u32, body: impl Fn(usize, &mut Function)) -> Vec<u8> {
    let mut types = TypeSection::new();
    types.ty().function([], []); // 0: markers, deallocate-free
    types.ty().function([ValType::I32], [ValType::I32]); // 1
    types
        .ty()
        .function([ValType::I32, ValType::I32, ValType::I32], [ValType::I32]); // 2
    types.ty().function([ValType::I32], []); // 3
    let mut funcs = FunctionSection::new();
    funcs.function(0); // 0 interface_version_8
    funcs.function(1); // 1 allocate
    funcs.function(3); // 2 deallocate
    funcs.function(2); // 3 execute
    for _ in 0..extra {
        funcs.function(1);
    }
    let mut mem = MemorySection::new();
    mem.memory(MemoryType {
        minimum: 17,
        maximum: None,
        memory64: false,
        shared: false,
        page_size_log2: None,
    });
    let mut exports = ExportSection::new();
    exports.export("interface_version_8", ExportKind::Func, 0);
    exports.export("allocate", ExportKind::Func, 1);
    exports.export("deallocate", ExportKind::Func, 2);
    exports.export("execute", ExportKind::Func, 3);
    exports.export("memory", ExportKind::Memory, 0);
    let mut code = CodeSection::new();
    let mut f = Function::new([]);
    f.instruction(&Instruction::End);
    code.function(&f);
    // allocate(size): one region at 16 describing 65536.., big enough for any argument here.
    let mut f = Function::new([]);
    for (at, v) in [(16, 65536i32), (24, 0)] {
        f.instruction(&Instruction::I32Const(at))
            .instruction(&Instruction::I32Const(v))
            .instruction(&Instruction::I32Store(wasm_encoder::MemArg {
                offset: 0,
                align: 2,
                memory_index: 0,
            }));
    }
    f.instruction(&Instruction::I32Const(20))
        .instruction(&Instruction::LocalGet(0))
        .instruction(&Instruction::I32Store(wasm_encoder::MemArg {
            offset: 0,
            align: 2,
            memory_index: 0,
        }))
        .instruction(&Instruction::I32Const(16))
        .instruction(&Instruction::End);
    code.function(&f);
    let mut f = Function::new([]);
    f.instruction(&Instruction::End);
    code.function(&f);
    let mut f = Function::new([]);
    if extra > 0 {
        f.instruction(&Instruction::I32Const(1_000_000))
            .instruction(&Instruction::Call(4))
            .instruction(&Instruction::Drop);
    }
    f.instruction(&Instruction::I32Const(0))
        .instruction(&Instruction::End);
    code.function(&f);
    for i in 0..extra {
        let mut f = Function::new([(locals, ValType::I64)]);
        body(i, &mut f);
        code.function(&f);
    }
    let mut m = Module::new();
    m.section(&types)
        .section(&funcs)
        .section(&mem)
        .section(&exports)
        .section(&code);
    m.finish()
}

/// One function as large as the limit allows: straight-line arithmetic over its locals.
fn huge_function() -> Vec<u8> {
    module(1, 100, |_, f| {
        for i in 0..70_000u32 {
            f.instruction(&Instruction::LocalGet(1 + i % 100))
                .instruction(&Instruction::LocalGet(1 + (i * 7) % 100))
                .instruction(&Instruction::I64Mul)
                .instruction(&Instruction::LocalSet(1 + (i * 13) % 100));
        }
        f.instruction(&Instruction::I32Const(0))
            .instruction(&Instruction::End);
    })
}

/// Many small functions calling each other (the most functions, parameters and locals the
/// upload limits allow).
fn many_functions() -> Vec<u8> {
    module(9_000, 1, |i, f| {
        for k in 0..12 {
            f.instruction(&Instruction::LocalGet(0))
                .instruction(&Instruction::I32Const(k * 7 + 1))
                .instruction(&Instruction::I32Mul)
                .instruction(&Instruction::LocalSet(0));
        }
        f.instruction(&Instruction::LocalGet(0))
            .instruction(&Instruction::Call(4 + ((i + 1) % 9_000) as u32))
            .instruction(&Instruction::I64ExtendI32U)
            .instruction(&Instruction::LocalSet(1))
            .instruction(&Instruction::LocalGet(1))
            .instruction(&Instruction::I32WrapI64)
            .instruction(&Instruction::End);
    })
}

/// Deeply nested control flow with wide branch tables: `funcs` functions of `depth` nested
/// blocks holding `tables` conditional `br_table`s of `width` targets each.
fn branchy(funcs: usize, depth: u32, tables: u32, width: u32) -> Vec<u8> {
    module(funcs, 8, |_, f| {
        for _ in 0..depth {
            f.instruction(&Instruction::Block(BlockType::Empty));
        }
        for _ in 0..tables {
            f.instruction(&Instruction::LocalGet(0))
                .instruction(&Instruction::If(BlockType::Empty))
                .instruction(&Instruction::LocalGet(0))
                .instruction(&Instruction::BrTable(
                    (0..width).map(|t| t % depth).collect::<Vec<u32>>().into(),
                    0,
                ))
                .instruction(&Instruction::End);
        }
        for _ in 0..depth {
            f.instruction(&Instruction::End);
        }
        f.instruction(&Instruction::I32Const(0))
            .instruction(&Instruction::End);
    })
}

/// `funcs` functions of `depth` nested blocks and `count` conditional branches out of them.
fn brif(funcs: usize, depth: u32, count: u32) -> Vec<u8> {
    module(funcs, 8, |_, f| {
        for _ in 0..depth {
            f.instruction(&Instruction::Block(BlockType::Empty));
        }
        for k in 0..count {
            f.instruction(&Instruction::LocalGet(0))
                .instruction(&Instruction::BrIf(k % depth));
        }
        for _ in 0..depth {
            f.instruction(&Instruction::End);
        }
        f.instruction(&Instruction::I32Const(0))
            .instruction(&Instruction::End);
    })
}

/// A recursion whose frames hold `locals` locals and `stack` operand values across the call.
fn recursion(locals: u32, stack: u32) -> Vec<u8> {
    module(1, locals, |_, f| {
        for i in 0..stack {
            f.instruction(&Instruction::LocalGet(1 + i % locals.max(1)));
        }
        f.instruction(&Instruction::LocalGet(0))
            .instruction(&Instruction::I32Const(1))
            .instruction(&Instruction::I32Sub)
            .instruction(&Instruction::Call(4))
            .instruction(&Instruction::Drop);
        for _ in 0..stack {
            f.instruction(&Instruction::Drop);
        }
        f.instruction(&Instruction::LocalGet(0))
            .instruction(&Instruction::End);
    })
}

/// The most branches (`br`, `br_if`, `if`, and each `br_table` target) in one function.
fn most_branches(wasm: &[u8]) -> usize {
    use wasmparser::{Operator, Parser, Payload};
    let mut most = 0;
    for p in Parser::new(0).parse_all(wasm) {
        if let Ok(Payload::CodeSectionEntry(body)) = p {
            let mut n = 0;
            let mut ops = body.get_operators_reader().unwrap();
            while !ops.eof() {
                match ops.read().unwrap() {
                    Operator::Br { .. } | Operator::BrIf { .. } | Operator::If { .. } => n += 1,
                    Operator::BrTable { targets } => n += targets.len() as usize + 1,
                    _ => {}
                }
            }
            most = most.max(n);
        }
    }
    most
}

fn compile_cost(name: &str, wasm: &[u8]) {
    let runs = 3;
    let mut best_compile = f64::MAX;
    let mut best_check = f64::MAX;
    for _ in 0..runs {
        let vm = vm(EngineConfig::default());
        let t = Instant::now();
        vm.check_code(wasm).expect("checks pass");
        best_check = best_check.min(t.elapsed().as_secs_f64());
        let t = Instant::now();
        vm.store_code(wasm).expect("compiles");
        best_compile = best_compile.min(t.elapsed().as_secs_f64());
    }
    let kb = wasm.len() as f64 / 1024.0;
    let weight = vm(EngineConfig::default())
        .analyze(wasm)
        .expect("valid")
        .compile_weight;
    println!(
        "| {name} | {kb:.0} KB | {weight} | {:.0} ms | {:.0} ns | {:.1} ms |",
        best_compile * 1e3,
        best_compile * 1e9 / weight as f64,
        best_check * 1e3,
    );
}

/// Whether a deep call of `wasm` stops at the deterministic limit with `stack` bytes of native
/// stack (rather than wasmtime's native check).
fn stops_deterministically(wasm: &[u8], opt: wasmtime::OptLevel, stack: usize) -> bool {
    let vm = vm(EngineConfig {
        opt_level: opt,
        max_wasm_stack: stack,
        pool_instances: 0,
        ..EngineConfig::default()
    });
    let code = vm.store_code(wasm).expect("compiles");
    let out = vm.execute(
        &code,
        mock_backend(MockStorage::default(), MockQuerier::default()),
        b"{}",
        b"{}",
        b"{}",
        &CallOptions {
            gas_limit: u64::MAX / 4,
            capture_debug: false,
        },
    );
    match out.result {
        Err(VmError::Trap(m)) if m.contains("call stack exhausted") => true,
        Err(VmError::Resource(_)) => false,
        other => panic!("unexpected outcome {other:?}"),
    }
}

/// The least native stack (to 4 KiB) at which the deterministic limit fires first, up to the
/// 2 MiB wasmtime allows (`None` if even that is not enough).
fn native_needed(wasm: &[u8], opt: wasmtime::OptLevel) -> Option<usize> {
    const MAX: usize = 2 << 20;
    if !stops_deterministically(wasm, opt, MAX) {
        return None;
    }
    let (mut lo, mut hi) = (16 * 1024, MAX);
    while hi - lo > 4096 {
        let mid = (lo + hi) / 2;
        if stops_deterministically(wasm, opt, mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Some(hi)
}

fn main() {
    println!("## Compile time per unit of compile weight (wall, best of 3, fresh VM, no cache)\n");
    println!(
        "| code | size | compile weight | compile | per weight unit | checks only (simulation) |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    for name in ["tester", "token", "hostile", "template", "legacy"] {
        if let Some(w) = artifact(name) {
            compile_cost(name, &w);
        }
    }
    compile_cost("worst case: one huge function", &huge_function());
    compile_cost("worst case: 9,000 functions", &many_functions());
    compile_cost(
        "worst case: nested blocks, wide br_table",
        &branchy(40, 400, 20, 399),
    );
    if std::env::var_os("SWEEP").is_some() {
        for name in ["tester", "token", "hostile", "template", "legacy"] {
            if let Some(w) = artifact(name) {
                println!(
                    "branches: {name}: most in one function {}",
                    most_branches(&w)
                );
            }
        }
        for (funcs, depth, count) in [
            (1, 50, 2000),
            (1, 50, 4000),
            (1, 50, 8000),
            (1, 1000, 4000),
            (1, 4000, 4000),
            (20, 50, 2000),
        ] {
            compile_cost(
                &format!("sweep: {funcs} fns x {depth} blocks, {count} br_ifs"),
                &brif(funcs, depth, count),
            );
        }
    }

    println!("\n## Native stack reached at the deterministic limit\n");
    println!(
        "Stack units per call: {} (limit {} units). Smallest `max_wasm_stack` at which the limit",
        proof_vm::instrument::FRAME_UNITS,
        proof_vm::instrument::STACK_LIMIT
    );
    println!("still fires first; the engine reserves 1 MiB.\n");
    println!("| frame | cranelift Speed | cranelift None |");
    println!("|---|---:|---:|");
    let shapes: [(&str, Vec<u8>); 4] = [
        ("1 param, no locals", recursion(0, 0)),
        ("100 locals", recursion(100, 0)),
        (
            "100 locals + 100 values across the call",
            recursion(100, 100),
        ),
        ("8 locals + 1000 values across the call", recursion(8, 1000)),
    ];
    for (name, wasm) in shapes {
        let show =
            |n: Option<usize>| n.map_or("> 2048 KiB".to_string(), |b| format!("{} KiB", b / 1024));
        let speed = native_needed(&wasm, wasmtime::OptLevel::Speed);
        let none = native_needed(&wasm, wasmtime::OptLevel::None);
        println!("| {name} | {} | {} |", show(speed), show(none));
    }
}
