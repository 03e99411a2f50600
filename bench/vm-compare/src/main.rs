//! proof-vm vs cosmwasm-vm 3.x on the same wasm, in one process: compile time, instantiation
//! from cache, cw20-style transfer (including instantiation), query, and gas per call.
//!
//! Run: `bash contracts/build.sh && cd bench/vm-compare && cargo run --release`

mod lower;

use std::collections::HashSet;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use cosmwasm_std::testing::{message_info, mock_env};
use cosmwasm_std::{Addr, Empty, Env, MessageInfo};
use cosmwasm_vm::testing::{MockApi, MockQuerier as CwQuerier, MockStorage as CwStorage};
use cosmwasm_vm::{
    call_execute_raw, call_instantiate_raw, call_query_raw, Backend as CwBackend, Cache as CwCache,
    CacheOptions, InstanceOptions, Size,
};
use proof_vm::testing::{MockQuerier, MockStorage};
use proof_vm::{Backend, CallOptions, Vm, VmConfig};

const GAS_LIMIT: u64 = 500_000_000_000;
const CAPABILITIES: &[&str] = &[
    "iterator",
    "staking",
    "stargate",
    "ibc2",
    "cosmwasm_1_1",
    "cosmwasm_1_2",
    "cosmwasm_1_3",
    "cosmwasm_1_4",
    "cosmwasm_2_0",
    "cosmwasm_2_1",
    "cosmwasm_2_2",
    "cosmwasm_3_0",
];

fn artifact(name: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../contracts/artifacts")
        .join(format!("{name}.wasm"));
    std::fs::read(&p)
        .unwrap_or_else(|e| panic!("{}: {e}; run bash contracts/build.sh", p.display()))
}

struct Case {
    contract: &'static str,
    init: Vec<u8>,
    exec: Vec<u8>,
    query: Vec<u8>,
}

fn cases(a: &Addr, b: &Addr) -> Vec<Case> {
    let j = |v: serde_json::Value| v.to_string().into_bytes();
    vec![
        Case {
            contract: "token",
            init: j(
                serde_json::json!({"name": "Bench", "symbol": "BNCH", "decimals": 6,
                "initial_balances": [{"address": a, "amount": "1000000000000"}], "minter": null}),
            ),
            exec: j(serde_json::json!({"transfer": {"recipient": b, "amount": "1"}})),
            query: j(serde_json::json!({"balance": {"address": a}})),
        },
        // One of ours without the proof-only imports, so cosmwasm-vm accepts it.
        Case {
            contract: "hostile",
            init: j(serde_json::json!("")),
            exec: j(serde_json::json!({"recurse": {"depth": 100}})),
            query: j(
                serde_json::json!({"float": {"a": 4607182418800017408u64, "b": 4611686018427387904u64, "op": "mul"}}),
            ),
        },
    ]
}

fn per_op(total: Duration, n: u32) -> f64 {
    total.as_secs_f64() * 1e6 / n as f64
}

#[derive(Default, Debug)]
struct Row {
    compile_ms: f64,
    instantiate_us: f64,
    execute_us: f64,
    query_us: f64,
    exec_gas: u64,
    query_gas: u64,
}

fn bench_proof(wasm: &[u8], case: &Case, env: &Env, info: &MessageInfo, n: u32) -> Row {
    let env = serde_json::to_vec(env).unwrap();
    let info = serde_json::to_vec(info).unwrap();
    let mut row = Row::default();
    // Compile: fresh VM and cache directory each time.
    let mut compile = Duration::ZERO;
    for _ in 0..3 {
        let dir = tempfile::tempdir().unwrap();
        let vm = Vm::new(VmConfig {
            cache_dir: Some(dir.path().into()),
            ..VmConfig::default()
        })
        .unwrap();
        let t = Instant::now();
        vm.store_code(wasm).unwrap();
        compile += t.elapsed();
    }
    row.compile_ms = compile.as_secs_f64() * 1e3 / 3.0;

    let dir = tempfile::tempdir().unwrap();
    let vm = Vm::new(VmConfig {
        cache_dir: Some(dir.path().into()),
        ..VmConfig::default()
    })
    .unwrap();
    let code = vm.store_code(wasm).unwrap();
    vm.pin(&code).unwrap();
    let storage = MockStorage::default();
    let mk = || Backend {
        storage: Box::new(storage.clone()),
        api: std::sync::Arc::new(proof_vm::addr::Bech32Api::new("cosmwasm")),
        querier: Box::new(MockQuerier::default()),
    };
    let opts = CallOptions {
        gas_limit: GAS_LIMIT,
        capture_debug: false,
    };
    let out = vm.instantiate(&code, mk(), &env, &info, &case.init, &opts);
    let res = out.result.expect("instantiate");
    assert!(
        res.starts_with(br#"{"ok""#),
        "{}",
        String::from_utf8_lossy(&res)
    );

    let mut backend = mk();
    let t = Instant::now();
    for _ in 0..n {
        let (r, b) = vm.instantiate_only(&code, backend);
        r.unwrap();
        backend = b;
    }
    row.instantiate_us = per_op(t.elapsed(), n);

    let t = Instant::now();
    for _ in 0..n {
        let out = vm.execute(&code, backend, &env, &info, &case.exec, &opts);
        let res = out.result.expect("execute");
        debug_assert!(res.starts_with(br#"{"ok""#));
        row.exec_gas = out.gas_used;
        backend = out.backend;
    }
    row.execute_us = per_op(t.elapsed(), n);

    let t = Instant::now();
    for _ in 0..n {
        let out = vm.query(&code, backend, &env, &case.query, &opts);
        out.result.expect("query");
        row.query_gas = out.gas_used;
        backend = out.backend;
    }
    row.query_us = per_op(t.elapsed(), n);
    row
}

fn cw_cache(dir: &std::path::Path) -> CwCache<MockApi, CwStorage, CwQuerier> {
    let caps: HashSet<String> = CAPABILITIES.iter().map(|s| s.to_string()).collect();
    let opts = CacheOptions::new(dir, caps, Size::mebi(200), Size::mebi(32));
    unsafe { CwCache::new(opts).unwrap() }
}

fn bench_cosmwasm(wasm: &[u8], case: &Case, env: &Env, info: &MessageInfo, n: u32) -> Row {
    let mut row = Row::default();
    let mut compile = Duration::ZERO;
    for _ in 0..3 {
        let dir = tempfile::tempdir().unwrap();
        let cache = cw_cache(dir.path());
        let t = Instant::now();
        cache.store_code(wasm, true, true).unwrap();
        compile += t.elapsed();
    }
    row.compile_ms = compile.as_secs_f64() * 1e3 / 3.0;

    let dir = tempfile::tempdir().unwrap();
    let cache = cw_cache(dir.path());
    let code = cache.store_code(wasm, true, true).unwrap();
    cache.pin(&code).unwrap();
    let opts = InstanceOptions {
        gas_limit: GAS_LIMIT,
    };
    let mut backend = CwBackend {
        api: MockApi::default(),
        storage: CwStorage::default(),
        querier: CwQuerier::new(&[]),
    };
    let envb = serde_json::to_vec(env).unwrap();
    let infob = serde_json::to_vec(info).unwrap();
    {
        let mut inst = cache.get_instance(&code, backend, opts).unwrap();
        let res = call_instantiate_raw(&mut inst, &envb, &infob, &case.init).unwrap();
        assert!(
            res.starts_with(br#"{"ok""#),
            "{}",
            String::from_utf8_lossy(&res)
        );
        backend = inst.recycle().unwrap();
    }

    let t = Instant::now();
    for _ in 0..n {
        let inst = cache.get_instance(&code, backend, opts).unwrap();
        backend = inst.recycle().unwrap();
    }
    row.instantiate_us = per_op(t.elapsed(), n);

    let t = Instant::now();
    for _ in 0..n {
        let mut inst = cache.get_instance(&code, backend, opts).unwrap();
        let res = call_execute_raw(&mut inst, &envb, &infob, &case.exec).unwrap();
        debug_assert!(res.starts_with(br#"{"ok""#));
        let report = inst.create_gas_report();
        row.exec_gas = report.used_internally + report.used_externally;
        backend = inst.recycle().unwrap();
    }
    row.execute_us = per_op(t.elapsed(), n);

    let t = Instant::now();
    for _ in 0..n {
        let mut inst = cache.get_instance(&code, backend, opts).unwrap();
        call_query_raw(&mut inst, &envb, &case.query).unwrap();
        let report = inst.create_gas_report();
        row.query_gas = report.used_internally + report.used_externally;
        backend = inst.recycle().unwrap();
    }
    row.query_us = per_op(t.elapsed(), n);
    let _ = Empty {};
    row
}

/// Wall time to burn a fixed gas budget in hostile loops: how gas relates to CPU time on proof-vm.
fn gas_rate(env: &Env, info: &MessageInfo) {
    let vm = Vm::new(VmConfig::default()).unwrap();
    let code = vm.store_code(&artifact("hostile")).unwrap();
    let env = serde_json::to_vec(env).unwrap();
    let info = serde_json::to_vec(info).unwrap();
    let mk = || Backend {
        storage: Box::new(MockStorage::default()),
        api: std::sync::Arc::new(proof_vm::addr::Bech32Api::new("cosmwasm")),
        querier: Box::new(MockQuerier::default()),
    };
    let limit = 200_000_000_000u64;
    let opts = CallOptions {
        gas_limit: limit,
        capture_debug: false,
    };
    vm.instantiate(&code, mk(), &env, &info, b"\"\"", &opts)
        .result
        .unwrap();
    println!(
        "\n| hostile loop (gas limit {limit}) | stopped by | wall time (ms) | gas per second |"
    );
    println!("|---|---|---:|---:|");
    for (name, msg) in [
        ("infinite_loop", r#"{"infinite_loop":{}}"#),
        (
            "memory.fill 1 MiB loop",
            r#"{"fill_loop":{"len":1048576,"times":18446744073709551615}}"#,
        ),
        ("memory.copy 1 MiB loop", r#"{"copy_loop":{"len":1048576}}"#),
        ("storage write loop", r#"{"storage_loop":{}}"#),
    ] {
        let t = Instant::now();
        let out = vm.execute(&code, mk(), &env, &info, msg.as_bytes(), &opts);
        let el = t.elapsed();
        let why = match out.result {
            Err(e) => e.to_string(),
            Ok(_) => "returned".into(),
        };
        println!(
            "| {name} | {why} | {:.0} | {:.2e} |",
            el.as_secs_f64() * 1e3,
            out.gas_used as f64 / el.as_secs_f64()
        );
    }
}

/// Host-side cost of the post-quantum verifications (to price them in GAS.md).
fn pq_timings() {
    use proof_sdk::crypto::{KeyType, PrivateKey};
    println!("\n| signature check (host, proof_sdk) | us per verification |");
    println!("|---|---:|");
    for kind in [
        KeyType::Ed25519,
        KeyType::Secp256k1,
        KeyType::Mldsa65,
        KeyType::Hybrid,
    ] {
        let sk = PrivateKey::from_seed(kind, &[3u8; 64], 0).unwrap();
        let msg = b"a message of typical sign-bytes length, around one hundred bytes......................";
        let sig = sk.sign(msg);
        let pk = sk.public_key();
        let n = 300;
        let t = Instant::now();
        for _ in 0..n {
            pk.verify(msg, &sig).unwrap();
        }
        println!("| {kind} | {:.1} |", per_op(t.elapsed(), n));
    }
}

fn main() {
    let n: u32 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(2000);
    let api = MockApi::default();
    let alice = Addr::unchecked(api.addr_make("alice"));
    let bob = Addr::unchecked(api.addr_make("bob"));
    let env = mock_env();
    let info = message_info(&alice, &[]);
    if std::env::args().nth(2).as_deref() == Some("proof-only") {
        // For profiling: proof-vm token transfers only.
        let case = cases(&alice, &bob).remove(0);
        let r = bench_proof(&artifact(case.contract), &case, &env, &info, n);
        println!("{r:?}");
        return;
    }
    println!("iterations per measurement: {n}\n");
    println!("| contract | VM | compile (ms) | instantiate from cache (us) | execute incl. instantiation (us) | query incl. instantiation (us) | gas/execute | gas/query |");
    println!("|---|---|---:|---:|---:|---:|---:|---:|");
    for case in cases(&alice, &bob) {
        let original = artifact(case.contract);
        let lowered = lower::lower_bulk_memory(&original);
        let p = bench_proof(&lowered, &case, &env, &info, n);
        let c = bench_cosmwasm(&lowered, &case, &env, &info, n);
        let o = bench_proof(&original, &case, &env, &info, n);
        for (name, r) in [
            ("proof-vm", &p),
            ("cosmwasm-vm 3.0.10", &c),
            ("proof-vm, original wasm (bulk memory)", &o),
        ] {
            println!(
                "| {} | {name} | {:.1} | {:.2} | {:.2} | {:.2} | {} | {} |",
                case.contract,
                r.compile_ms,
                r.instantiate_us,
                r.execute_us,
                r.query_us,
                r.exec_gas,
                r.query_gas
            );
        }
        println!(
            "| {} | **proof-vm speedup (same wasm)** | {:.1}x | {:.1}x | {:.1}x | {:.1}x | | |",
            case.contract,
            c.compile_ms / p.compile_ms,
            c.instantiate_us / p.instantiate_us,
            c.execute_us / p.execute_us,
            c.query_us / p.query_us
        );
    }
    gas_rate(&env, &info);
    pq_timings();
}
