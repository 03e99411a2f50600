//! The module cache: disk persistence across VM restarts, LRU eviction, pinning.

mod common;

use std::sync::Arc;

use common::*;
use proof_vm::{Vm, VmConfig, VmError};
use serde_json::json;

fn vm_at(dir: &std::path::Path, lru: usize) -> Arc<Vm> {
    Arc::new(
        Vm::new(VmConfig {
            cache_dir: Some(dir.to_path_buf()),
            lru_size: lru,
            ..VmConfig::default()
        })
        .unwrap(),
    )
}

#[test]
fn compiled_code_survives_a_restart_without_recompiling() {
    let dir = tempfile::tempdir().unwrap();
    let code = {
        let vm = vm_at(dir.path(), 10);
        let c = vm.store_code(&artifact("token")).unwrap();
        assert_eq!(vm.cache_stats().compilations, 1);
        c
    };
    let vm = vm_at(dir.path(), 10);
    let h = Harness {
        vm: vm.clone(),
        code,
        storage: Default::default(),
        querier: Default::default(),
        opts: Default::default(),
    };
    h.instantiate(
        &addr(1),
        json!({"name": "T", "symbol": "TKN", "decimals": 6,
        "initial_balances": [{"address": addr(1), "amount": "10"}], "minter": null}),
    )
    .ok();
    let s = vm.cache_stats();
    assert_eq!((s.compilations, s.hits_disk), (0, 1));
    h.query(json!({"token_info": {}})).ok();
    assert_eq!(vm.cache_stats().hits_memory, 1);
}

#[test]
fn storing_code_already_in_memory_does_not_compile_it_again() {
    let dir = tempfile::tempdir().unwrap();
    let vm = vm_at(dir.path(), 10);
    let a = vm.store_code(&artifact("token")).unwrap();
    let b = vm.store_code(&artifact("token")).unwrap();
    assert_eq!(a, b);
    assert_eq!(vm.cache_stats().compilations, 1);
}

#[test]
fn corrupt_artifact_is_recompiled_from_stored_wasm() {
    let dir = tempfile::tempdir().unwrap();
    let code = vm_at(dir.path(), 10)
        .store_code(&artifact("token"))
        .unwrap();
    for entry in walk(dir.path()) {
        if entry.extension().is_some_and(|e| e == "module") {
            std::fs::write(&entry, b"garbage").unwrap();
        }
    }
    let vm = vm_at(dir.path(), 10);
    vm.pin(&code).unwrap();
    assert_eq!(vm.cache_stats().compilations, 1);
    assert_eq!(vm.cache_stats().hits_disk, 0);
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn lru_evicts_and_pinned_codes_stay() {
    let vm = Arc::new(
        Vm::new(VmConfig {
            lru_size: 1,
            ..VmConfig::default()
        })
        .unwrap(),
    );
    let token = vm.store_code(&artifact("token")).unwrap();
    let hostile = vm.store_code(&artifact("hostile")).unwrap();
    // Memory-only cache of one: the token was evicted and cannot be reloaded.
    assert!(matches!(
        vm.cache().get(&token),
        Err(VmError::CodeNotFound(_))
    ));
    vm.cache().get(&hostile).unwrap();
    vm.pin(&hostile).unwrap();
    let tester = vm.store_code(&artifact("tester")).unwrap();
    vm.cache().get(&tester).unwrap();
    // Pinned codes survive LRU pressure.
    vm.cache().get(&hostile).unwrap();
    assert!(vm.cache_stats().hits_pinned >= 1);
    vm.unpin(&hostile);
    assert!(matches!(vm.pin(&token), Err(VmError::CodeNotFound(_))));
}

#[test]
fn unknown_code_is_an_error() {
    let vm = shared_vm();
    let o = vm.query(
        &proof_vm::Checksum([0; 32]),
        proof_vm::testing::mock_backend(Default::default(), Default::default()),
        &env(),
        b"{}",
        &Default::default(),
    );
    assert!(matches!(o.result, Err(VmError::CodeNotFound(_))));
    assert_eq!(o.gas_used, 0);
}

#[test]
fn instances_are_not_reused_between_calls() {
    // Global state written by one call (the allocator heap, statics) must not leak to the next:
    // two identical queries cost exactly the same gas.
    let h = Harness::new("token");
    h.instantiate(
        &addr(1),
        json!({"name": "T", "symbol": "TKN", "decimals": 6,
        "initial_balances": [], "minter": null}),
    )
    .ok();
    let a = h.query(json!({"token_info": {}}));
    let b = h.query(json!({"token_info": {}}));
    assert_eq!(a.query_json(), b.query_json());
    assert_eq!(a.gas_used, b.gas_used);
}

#[test]
fn concurrent_calls_on_one_vm() {
    let h = Arc::new(Harness::new("token"));
    h.instantiate(
        &addr(1),
        json!({"name": "T", "symbol": "TKN", "decimals": 6,
        "initial_balances": [{"address": addr(1), "amount": "1000"}], "minter": null}),
    )
    .ok();
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let h = h.clone();
            std::thread::spawn(move || {
                for _ in 0..50 {
                    let r = h.query(json!({"balance": {"address": addr(1)}}));
                    assert_eq!(r.query_json()["balance"], "1000");
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

/// A querier that answers by querying a contract on the same VM (a nested call, as the chain
/// does for `WasmQuery::Smart`).
struct NestedQuerier {
    vm: Arc<Vm>,
    code: proof_vm::Checksum,
    storage: proof_vm::testing::MockStorage,
}

impl proof_vm::Querier for NestedQuerier {
    fn query_raw(
        &self,
        _request: &[u8],
        gas_limit: u64,
    ) -> Result<(Vec<u8>, u64), proof_vm::BackendError> {
        let backend = proof_vm::testing::mock_backend(self.storage.clone(), Default::default());
        let opts = proof_vm::CallOptions {
            gas_limit,
            capture_debug: false,
        };
        let out = self.vm.query(
            &self.code,
            backend,
            &env(),
            br#"{"get":{"key":"greeting"}}"#,
            &opts,
        );
        let res = out
            .result
            .map_err(|e| proof_vm::BackendError::Other(e.to_string()))?;
        let inner: serde_json::Value = serde_json::from_slice(&res).unwrap();
        let sys = json!({"ok": inner});
        Ok((sys.to_string().into_bytes(), out.gas_used))
    }
}

fn nested(pool: u32) -> Res {
    let mut cfg = VmConfig::default();
    cfg.engine.pool_instances = pool;
    let vm = Arc::new(Vm::new(cfg).unwrap());
    let h = Harness::with_vm(vm.clone(), "tester");
    h.instantiate(&addr(1), json!({"greeting": "nested hello"}))
        .ok();
    let querier = NestedQuerier {
        vm: vm.clone(),
        code: h.code,
        storage: h.storage.clone(),
    };
    let backend = proof_vm::Backend {
        storage: Box::new(h.storage.clone()),
        api: Arc::new(proof_vm::addr::Bech32Api::new("proof")),
        querier: Box::new(querier),
    };
    let msg = json!({"raw": {"request": b64(b"{}")}}).to_string();
    let out = vm.query(&h.code, backend, &env(), msg.as_bytes(), &h.opts);
    Res {
        result: out
            .result
            .map(|b| proof_vm::types::parse_contract_result(&b).unwrap()),
        gas_used: out.gas_used,
        debug: out.debug,
    }
}

#[test]
fn nested_queries_work_and_pool_exhaustion_is_a_resource_error() {
    let r = nested(4);
    let sys = r.query_json();
    let inner = unb64(sys["ok"]["ok"].as_str().unwrap());
    assert_eq!(inner, br#""nested hello""#);
    // One slot: the nested instance cannot be created. The node sees a resource error (never a
    // contract result).
    let r = nested(1);
    match r.vm_err() {
        VmError::Backend(proof_vm::BackendError::Other(m)) => {
            assert!(m.contains("node resource exhausted"), "{m}")
        }
        e => panic!("{e:?}"),
    }
}

/// The disk cache has a cap: storing more than it holds forgets the least recently used files
/// (every code can be compiled again from the wasm the chain keeps), and never exceeds the cap.
#[test]
fn the_disk_cache_stays_under_its_cap() {
    let dir = tempfile::tempdir().unwrap();
    let size = |d: &std::path::Path| -> u64 {
        fn walk(d: &std::path::Path) -> u64 {
            std::fs::read_dir(d)
                .map(|rd| {
                    rd.flatten()
                        .map(|e| {
                            let m = e.metadata().unwrap();
                            if m.is_dir() {
                                walk(&e.path())
                            } else {
                                m.len()
                            }
                        })
                        .sum()
                })
                .unwrap_or(0)
        }
        walk(d)
    };
    // Room for about two of the three artifacts (wasm + compiled module each).
    let one = {
        let probe = tempfile::tempdir().unwrap();
        let vm = vm_at(probe.path(), 10);
        vm.store_code(&artifact("token")).unwrap();
        size(probe.path())
    };
    let cap = one * 2 + one / 2;
    let vm = Vm::new(VmConfig {
        cache_dir: Some(dir.path().to_path_buf()),
        cache_disk_bytes: cap,
        ..VmConfig::default()
    })
    .unwrap();
    let codes: Vec<_> = ["token", "hostile", "template"]
        .iter()
        .map(|n| vm.store_code(&artifact(n)).unwrap())
        .collect();
    assert!(size(dir.path()) <= cap, "{} > {cap}", size(dir.path()));
    assert_eq!(vm.cache().disk_bytes(), size(dir.path()));
    // The newest code is still on disk; a fresh VM loads it without compiling.
    let fresh = vm_at(dir.path(), 10);
    fresh.cache().get(&codes[2]).unwrap();
    assert_eq!(fresh.cache_stats().compilations, 0);
    // The oldest is gone from disk: the node compiles it again from the chain's copy.
    assert!(matches!(
        fresh.cache().get(&codes[0]),
        Err(VmError::CodeNotFound(_))
    ));
    fresh.store_code(&artifact("token")).unwrap();
}
