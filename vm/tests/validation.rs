//! Upload-time validation and instrumentation, with hand-written modules.

mod common;

use common::*;
use proof_vm::validate::{analyze, WasmLimits};
use proof_vm::{Vm, VmConfig, VmError};

/// A minimal contract: a bump allocator, the markers, and `$body` as extra module fields.
fn contract(body: &str) -> String {
    contract_with_imports("", body)
}

fn contract_with_imports(imports: &str, body: &str) -> String {
    format!(
        r#"(module
  {imports}
  (memory (export "memory") 2)
  (global $heap (mut i32) (i32.const 1024))
  (func $allocate (export "allocate") (param $size i32) (result i32)
    (local $r i32)
    (local.set $r (global.get $heap))
    (i32.store (local.get $r) (i32.add (local.get $r) (i32.const 12)))
    (i32.store offset=4 (local.get $r) (local.get $size))
    (i32.store offset=8 (local.get $r) (i32.const 0))
    (global.set $heap (i32.add (local.get $r) (i32.add (local.get $size) (i32.const 12))))
    (local.get $r))
  (func (export "deallocate") (param i32))
  (func (export "interface_version_8"))
  {body}
)"#
    )
}

fn rejected(wat: &str) -> String {
    let wasm = wat::parse_str(wat).expect("wat");
    match analyze(&wasm, &WasmLimits::default()) {
        Err(VmError::Validation(m)) => m,
        other => panic!("expected rejection, got {other:?}"),
    }
}

#[test]
fn real_contracts_pass() {
    for name in [
        "tester",
        "hostile",
        "token",
        "amm",
        "xx",
        "rollup_verifier",
        "yy",
    ] {
        let report = analyze(&artifact(name), &WasmLimits::default()).expect(name);
        assert!(report.exports.contains("instantiate"), "{name}");
        assert!(
            report.has_priced_memory_ops,
            "{name}: rustc 1.95 emits bulk memory"
        );
    }
    let t = analyze(&artifact("tester"), &WasmLimits::default()).unwrap();
    for cap in ["iterator", "stargate", "cosmwasm_3_0", "ibc2"] {
        assert!(t.required_capabilities.contains(cap), "{cap}");
    }
    for e in [
        "migrate",
        "sudo",
        "reply",
        "ibc_channel_open",
        "ibc2_packet_send",
        "ibc_destination_callback",
    ] {
        assert!(t.exports.contains(e), "{e}");
    }
}

#[test]
fn minimal_contract_passes() {
    analyze(
        &wat::parse_str(contract("")).unwrap(),
        &WasmLimits::default(),
    )
    .unwrap();
}

#[test]
fn memory_rules() {
    let no_mem = contract("").replace(r#"(memory (export "memory") 2)"#, "");
    assert!(rejected(&no_mem).contains("memory"));
    let big = contract("").replace(
        r#"(memory (export "memory") 2)"#,
        r#"(memory (export "memory") 513)"#,
    );
    assert!(rejected(&big).contains("initial size 513"));
    let max = contract("").replace(
        r#"(memory (export "memory") 2)"#,
        r#"(memory (export "memory") 2 10)"#,
    );
    assert!(rejected(&max).contains("maximum must be unset"));
    let hidden = contract("").replace(r#"(memory (export "memory") 2)"#, "(memory 2)");
    assert!(rejected(&hidden).contains("exported"));
    let imported = contract("").replace(
        r#"(memory (export "memory") 2)"#,
        r#"(import "env" "memory" (memory 2))"#,
    );
    assert!(rejected(&imported).contains("non-function import"));
}

#[test]
fn export_rules() {
    assert!(
        rejected(&contract("").replace(r#"(func (export "interface_version_8"))"#, ""))
            .contains("interface_version")
    );
    let v7 = contract("").replace("interface_version_8", "interface_version_7");
    assert!(rejected(&v7).contains("unsupported interface version"));
    let two = contract(r#"(func (export "interface_version_9"))"#);
    assert!(rejected(&two).contains("more than one"));
    let no_alloc = contract("").replace(r#"(export "allocate")"#, "");
    assert!(rejected(&no_alloc).contains("\"allocate\""));
}

#[test]
fn import_whitelist() {
    let bad = contract_with_imports(r#"(import "env" "fd_write" (func (param i32)))"#, "");
    assert!(rejected(&bad).contains("unsupported import \"env.fd_write\""));
    let wasi = contract_with_imports(
        r#"(import "wasi_snapshot_preview1" "proc_exit" (func (param i32)))"#,
        "",
    );
    assert!(rejected(&wasi).contains("unsupported import"));
    let internal = contract_with_imports(
        r#"(import "proof_vm_internal" "charge_bulk_memory" (func (param i32) (result i32)))"#,
        "",
    );
    assert!(rejected(&internal).contains("unsupported import"));
    let global = contract_with_imports(r#"(import "env" "g" (global i32))"#, "");
    assert!(rejected(&global).contains("non-function import"));
    let ok = contract_with_imports(
        r#"(import "env" "db_read" (func (param i32) (result i32)))"#,
        "",
    );
    analyze(&wat::parse_str(ok).unwrap(), &WasmLimits::default()).unwrap();
}

#[test]
fn proposals_are_rejected() {
    let simd = contract("(func (result v128) (v128.const i64x2 0 0))");
    assert!(rejected(&simd).to_lowercase().contains("simd"));
    let threads = contract("(func (param i32) (result i32) (i32.atomic.load (local.get 0)))");
    assert!(!rejected(&threads).is_empty());
    let reftypes = contract("(func (result i32) (ref.is_null (ref.null func)))");
    assert!(rejected(&reftypes).contains("reference-type"));
    let table_ops = contract("(table 1 1 funcref) (func (result i32) (table.size 0))");
    assert!(rejected(&table_ops).contains("reference-type"));
    let tail = contract("(func $f (return_call $f))");
    assert!(!rejected(&tail).is_empty());
}

#[test]
fn function_limits() {
    let params = format!("(func (param {}))", "i32 ".repeat(101));
    assert!(rejected(&contract(&params)).contains("101 params"));
    let results = "(func (result i32 i32) (i32.const 1) (i32.const 2))";
    assert!(rejected(&contract(results)).contains("2 results"));
    let locals = format!("(func (local {}))", "i64 ".repeat(101));
    assert!(rejected(&contract(&locals)).contains("101 locals"));
    let unbounded = contract("(table 10 funcref)");
    assert!(rejected(&unbounded).contains("maximum size"));
    let big_table = contract("(table 10 3000 funcref)");
    assert!(rejected(&big_table).contains("3000"));
    let limits = WasmLimits {
        max_functions: 3,
        ..WasmLimits::default()
    };
    let wasm = wat::parse_str(contract("(func) (func)")).unwrap();
    assert!(
        matches!(analyze(&wasm, &limits), Err(VmError::Validation(m)) if m.contains("functions"))
    );
    let small = WasmLimits {
        max_wasm_bytes: 10,
        ..WasmLimits::default()
    };
    assert!(matches!(analyze(&wasm, &small), Err(VmError::Validation(m)) if m.contains("bytes")));
    assert!(matches!(
        analyze(b"not wasm", &WasmLimits::default()),
        Err(VmError::Validation(_))
    ));
}

#[test]
fn instrumented_artifacts_stay_valid() {
    for name in ["tester", "hostile", "token", "amm", "yy"] {
        let wasm = artifact(name);
        let out = proof_vm::instrument::instrument(&wasm).unwrap();
        let mut v = wasmparser::Validator::new_with_features(proof_vm::validate::features());
        v.validate_all(&out).expect(name);
        let count = |w: &[u8]| {
            wasmparser::Parser::new(0)
                .parse_all(w)
                .filter_map(|p| match p.unwrap() {
                    wasmparser::Payload::ImportSection(r) => Some(r.count()),
                    _ => None,
                })
                .sum::<u32>()
        };
        assert_eq!(count(&out), count(&wasm) + 3, "{name}");
    }
}

/// `execute` does `memory.fill` of `len` bytes (from the message's first byte) and returns a
/// fixed `{"ok":...}`; `query` tries to write storage.
fn bulk_contract() -> Vec<u8> {
    let module = contract_with_imports(
        r#"(import "env" "db_write" (func $db_write (param i32 i32)))
           (import "env" "db_read" (func $db_read (param i32) (result i32)))"#,
        r#"
  (data (i32.const 200) "{\"ok\":{}}")
  (func $result (result i32)
    (local $r i32)
    (local.set $r (call $allocate (i32.const 0)))
    (i32.store (local.get $r) (i32.const 200))
    (i32.store offset=4 (local.get $r) (i32.const 9))
    (i32.store offset=8 (local.get $r) (i32.const 9))
    (local.get $r))
  (func (export "execute") (param i32 i32 i32) (result i32)
    ;; length = first byte of msg * 64 KiB
    (memory.fill (i32.const 65536) (i32.const 7)
      (i32.mul (i32.load8_u (i32.load (local.get 2))) (i32.const 65536)))
    (call $result))
  (func (export "query") (param i32 i32) (result i32)
    (call $db_write (local.get 1) (local.get 1))
    (call $result))
  (func (export "sudo") (param i32 i32) (result i32)
    (i32.const 4))
  ;; db_read with a region pointer past the end of memory
  (func (export "migrate") (param i32 i32) (result i32)
    (drop (call $db_read (i32.const -16)))
    (call $result))
  ;; db_read with a 100 000-byte key (over the 64 KiB limit)
  (func (export "reply") (param i32 i32) (result i32)
    (i32.store (i32.const 300) (i32.const 2048))
    (i32.store (i32.const 304) (i32.const 100000))
    (i32.store (i32.const 308) (i32.const 100000))
    (drop (call $db_read (i32.const 300)))
    (call $result))
"#,
    )
    .replace(
        r#"(memory (export "memory") 2)"#,
        r#"(memory (export "memory") 20)"#,
    );
    wat::parse_str(module).unwrap()
}

fn raw_vm() -> (Vm, proof_vm::Checksum) {
    let vm = Vm::new(VmConfig::default()).unwrap();
    let code = vm.store_code(&bulk_contract()).unwrap();
    (vm, code)
}

fn backend() -> proof_vm::Backend {
    proof_vm::testing::mock_backend(Default::default(), Default::default())
}

#[test]
fn memory_fill_is_priced_by_length() {
    let (vm, code) = raw_vm();
    let opts = proof_vm::CallOptions::default();
    let run = |n: u8| {
        let o = vm.execute(&code, backend(), &env(), &info(&addr(1), &[]), &[n], &opts);
        assert_eq!(o.result.unwrap(), br#"{"ok":{}}"#);
        o.gas_used
    };
    let g0 = run(0);
    let g1 = run(1);
    let g16 = run(16);
    let per = proof_vm::GasSchedule::default().bulk_memory_byte;
    // Host charges are whole fuel units: the exact cost is the fuel for `bytes * per`.
    let priced = |bytes: u64| proof_vm::gas::fuel_to_gas(proof_vm::gas::gas_to_fuel(bytes * per));
    assert_eq!(g1 - g0, priced(65536));
    assert_eq!(g16 - g0, priced(16 * 65536));
    // Past the end of memory (20 pages): an out-of-bounds trap, after being charged.
    let o = vm.execute(
        &code,
        backend(),
        &env(),
        &info(&addr(1), &[]),
        &[200],
        &opts,
    );
    assert!(
        matches!(o.result, Err(VmError::Trap(ref m)) if m.contains("out of bounds")),
        "{:?}",
        o.result
    );
}

#[test]
fn queries_cannot_write_and_bad_results_are_errors() {
    let (vm, code) = raw_vm();
    let opts = proof_vm::CallOptions::default();
    let o = vm.query(&code, backend(), &env(), b"{}", &opts);
    match o.result {
        Err(VmError::HostCall { func, msg }) => {
            assert_eq!(func, "db_write");
            assert!(msg.contains("read-only"));
        }
        other => panic!("{other:?}"),
    }
    // sudo returns a pointer to garbage: a region error, not a crash.
    let o = vm.sudo(&code, backend(), &env(), b"{}", &opts);
    assert!(
        matches!(o.result, Err(VmError::Region(_))),
        "{:?}",
        o.result
    );
}

#[test]
fn bad_regions_from_a_contract_are_clean_errors() {
    let (vm, code) = raw_vm();
    let opts = proof_vm::CallOptions::default();
    let o = vm.call(&code, backend(), "migrate", &[&env(), b"{}"], false, &opts);
    assert!(
        matches!(o.result, Err(VmError::Region(ref m)) if m.contains("outside memory")),
        "{:?}",
        o.result
    );
    let o = vm.reply(&code, backend(), &env(), b"{}", &opts);
    assert!(
        matches!(o.result, Err(VmError::Region(ref m)) if m.contains("exceeds the limit")),
        "{:?}",
        o.result
    );
    assert!(o.gas_used > 0);
}
