//! The bodies of the fuzz targets, shared by `cargo fuzz` (the binaries in `fuzz_targets/`)
//! and the workspace's tests (`tests/corpus.rs` replays the corpus and the crashes found, and
//! runs a seeded random batch, so every regression stays a test).
//!
//! A target fails by panicking; every input that reaches one is a bug. What each checks:
//! - [`check_tx`]: any bytes as a transaction: CheckTx, then a simulation (which runs the
//!   messages without signatures, so the fuzzer gets past them) answer with an SDK error code,
//!   never a crash, and never leave anything in the node's committed state.
//! - [`abci_query`]: any body on every query path (and `store/<module>/key`) at any height:
//!   an answer or a clean error.
//! - [`wasm_upload`]: any bytes as uploaded code: static validation, then the rewrite that prices
//!   memory operations and limits the stack, must accept or refuse cleanly, and whatever they
//!   accept must be valid wasm ([`wasm_compile`] also compiles it, in the corpus test).
//! - [`zk_verify`]: any bytes as a rollup batch proof for a real batch's public inputs: refused
//!   cleanly, and never accepted for a transition the batch does not make.

mod node;

use std::path::Path;

use bytes::Bytes;
use cosmos_sdk_proto::cosmos::tx::v1beta1::SimulateRequest;
use prost::Message;
use tendermint::abci::request;

pub use node::Node;

/// CheckTx and Simulate of `data` on the shared node.
pub fn check_tx(data: &[u8]) {
    let node = Node::shared();
    let before = node.app_hash();
    let r = node.mempool.check_tx(request::CheckTx {
        tx: Bytes::copy_from_slice(data),
        kind: request::CheckTxKind::New,
    });
    assert!(
        r.code.is_ok() || !r.log.is_empty(),
        "a rejection without a reason"
    );
    // Admitted transactions accumulate in the check state until a commit; forget them.
    node.mempool.reset();
    #[allow(deprecated)]
    let sim = SimulateRequest {
        tx: None,
        tx_bytes: data.to_vec(),
    };
    let r = node.query(
        "/cosmos.tx.v1beta1.Service/Simulate",
        &sim.encode_to_vec(),
        0,
    );
    assert!(r.code.is_ok() || !r.log.is_empty());
    assert_eq!(
        node.app_hash(),
        before,
        "a check or simulation changed state"
    );
}

/// Every query path the node serves, for [`abci_query`] to pick from.
pub const QUERY_PATHS: &[&str] = &[
    "/cosmos.auth.v1beta1.Query/Account",
    "/cosmos.bank.v1beta1.Query/Balance",
    "/cosmos.bank.v1beta1.Query/AllBalances",
    "/cosmos.bank.v1beta1.Query/TotalSupply",
    "/cosmos.bank.v1beta1.Query/SupplyOf",
    "/cosmos.tx.v1beta1.Service/Simulate",
    "/cosmos.tx.v1beta1.Service/GetTx",
    "/cosmos.base.tendermint.v1beta1.Service/GetNodeInfo",
    "/cosmwasm.wasm.v1.Query/SmartContractState",
    "/cosmwasm.wasm.v1.Query/RawContractState",
    "/cosmwasm.wasm.v1.Query/AllContractState",
    "/cosmwasm.wasm.v1.Query/ContractInfo",
    "/cosmwasm.wasm.v1.Query/ContractHistory",
    "/cosmwasm.wasm.v1.Query/ContractsByCode",
    "/cosmwasm.wasm.v1.Query/Code",
    "/cosmwasm.wasm.v1.Query/Codes",
    "/cosmos.staking.v1beta1.Query/Validators",
    "/cosmos.staking.v1beta1.Query/Validator",
    "/cosmos.staking.v1beta1.Query/Delegation",
    "/cosmos.staking.v1beta1.Query/DelegatorDelegations",
    "/cosmos.staking.v1beta1.Query/ValidatorDelegations",
    "/cosmos.staking.v1beta1.Query/UnbondingDelegation",
    "/cosmos.staking.v1beta1.Query/Pool",
    "/cosmos.staking.v1beta1.Query/Params",
    "/cosmos.slashing.v1beta1.Query/SigningInfo",
    "/cosmos.upgrade.v1beta1.Query/CurrentPlan",
    "/cosmos.upgrade.v1beta1.Query/AppliedPlan",
    "/proof.gov.v1.Query/Proposal",
    "/proof.epoch.v1.Query/Params",
    "/proof.epoch.v1.Query/Current",
    "/proof.checkpoint.v1.Query/Checkpoint",
    "/proof.checkpoint.v1.Query/BlockProof",
    "/proof.checkpoint.v1.Query/RecordProof",
    "store/bank/key",
    "store/auth/key",
    "store/wasm/key",
    "store/staking/key",
    "store/epoch/key",
    "store/gov/key",
    "store/x/key",
    "no/such/path",
];

/// A query chosen by the first byte (path), the second (height: latest, an old one, a
/// future one; bit 7 asks for a proof), the rest its body.
pub fn abci_query(data: &[u8]) {
    let [p, h, body @ ..] = data else {
        return;
    };
    let node = Node::shared();
    let path = QUERY_PATHS[*p as usize % QUERY_PATHS.len()];
    let height = match h & 0x3 {
        0 => 0,
        1 => 1,
        2 => node.height(),
        _ => node.height() + 1 + u64::from(h >> 2),
    };
    let r = node.query_with(path, body, height, h & 0x80 != 0);
    assert!(
        r.code.is_ok() || !r.log.is_empty(),
        "{path}: error without a reason"
    );
}

/// Upload-time validation and instrumentation of `data` as wasm (what every upload, and every
/// simulated one, runs before anything is compiled).
pub fn wasm_upload(data: &[u8]) {
    let limits = proof_vm::validate::WasmLimits::default();
    if proof_vm::validate::analyze(data, &limits).is_err() {
        return;
    }
    let rewritten = proof_vm::instrument::instrument(data)
        .expect("instrumentation refused a module validation accepted");
    let mut v = wasmparser_validator();
    v.validate_all(&rewritten)
        .expect("the instrumented module is not valid wasm");
}

/// [`wasm_upload`], then the compile: what validation accepts, the engine compiles (slow: the
/// corpus test runs it, libFuzzer runs the checks above).
pub fn wasm_compile(data: &[u8]) {
    wasm_upload(data);
    if proof_vm::validate::analyze(data, &Default::default()).is_ok() {
        node::vm()
            .store_code(data)
            .expect("a validated module failed to compile");
    }
}

fn wasmparser_validator() -> wasmparser::Validator {
    wasmparser::Validator::new_with_features(proof_vm::validate::features())
}

/// `data` as the proof of a real batch's transition. Proofs are randomised, so many byte
/// strings prove the true statement (any honest proof of it); what must never happen is a proof
/// of a false one: the same bytes checked against a transition to another root are refused.
pub fn zk_verify(data: &[u8]) {
    let batch = node::batch();
    let check = |new_root: &proof_zk::F| {
        proof_zk::verify(
            &batch.vk_digest,
            &batch.vk_bytes,
            batch.rollup,
            &batch.old_root,
            new_root,
            &batch.data_hash,
            data,
        )
    };
    if check(&batch.new_root).is_ok() {
        let forged = batch.new_root + proof_zk::F::from(1u64);
        assert!(
            check(&forged).is_err(),
            "a proof verified for a root the batch does not lead to"
        );
    }
}

/// Starting inputs for a target (its corpus directory adds what fuzzing found): signed
/// transactions of every kind, query bodies, the contract artifacts, the real proof.
pub fn seeds(target: &str) -> Vec<Vec<u8>> {
    match target {
        "check_tx" => node::seed_txs(),
        "abci_query" => (0..QUERY_PATHS.len() as u8)
            .flat_map(|p| {
                [
                    vec![p, 0],
                    vec![p, 2, 0x0a, 0x05, b'p', b'r', b'o', b'o', b'f'],
                    vec![p, 0x82, b'{', b'}'],
                ]
            })
            .collect(),
        // Small modules first: libFuzzer mutates what it is given, and small inputs are fast.
        "wasm_upload" => small_modules()
            .into_iter()
            .chain(
                ["tester", "hostile", "token", "template", "legacy"]
                    .iter()
                    .filter_map(|n| node::artifact(n)),
            )
            .collect(),
        "zk_verify" => vec![node::batch().proof.clone()],
        other => panic!("no fuzz target {other}"),
    }
}

/// Minimal contracts that pass validation, exercising what instrumentation rewrites: calls,
/// returns from nested blocks, loops, branch tables, bulk memory and `memory.grow`, globals.
fn small_modules() -> Vec<Vec<u8>> {
    let exports = r#"(memory (export "memory") 1)
        (func (export "interface_version_8"))
        (func (export "allocate") (param i32) (result i32) (i32.const 16))
        (func (export "deallocate") (param i32))"#;
    [
        "",
        r#"(func $f (param i32) (result i32)
            (block (block (if (local.get 0) (then (return (i32.const 7))))
                (br_table 0 1 1 (local.get 0))))
            (i32.const 1))
          (func (export "execute") (param i32 i32 i32) (result i32) (call $f (local.get 0)))"#,
        r#"(global $g (mut i32) (i32.const 0))
          (func (export "query") (param i32 i32) (result i32)
            (loop $l (global.set $g (i32.add (global.get $g) (i32.const 1)))
              (br_if $l (i32.lt_u (global.get $g) (i32.const 3))))
            (memory.fill (i32.const 0) (i32.const 1) (i32.const 8))
            (memory.copy (i32.const 8) (i32.const 0) (i32.const 8))
            (drop (memory.grow (i32.const 1)))
            (global.get $g))"#,
    ]
    .iter()
    .map(|body| wat::parse_str(format!("(module {exports} {body})")).expect("valid wat"))
    .collect()
}

/// What a plain build of a fuzz target does (no libFuzzer): runs `target` on every file named
/// on the command line (or every file of the directories named), to replay a crash; with
/// `--write-seeds DIR`, writes the target's seeds into DIR instead (`fuzz/run.sh` starts a
/// corpus with them).
pub fn replay(name: &str, target: fn(&[u8])) {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [flag, dir] = args.as_slice() {
        if flag == "--write-seeds" {
            std::fs::create_dir_all(dir).expect("seed dir");
            let seeds = seeds(name);
            for (i, s) in seeds.iter().enumerate() {
                std::fs::write(Path::new(dir).join(format!("seed-{i:03}")), s).expect("write seed");
            }
            eprintln!("{} seeds of {name} written to {dir}", seeds.len());
            return;
        }
    }
    let mut n = 0;
    for arg in &args {
        for file in files(Path::new(arg)) {
            let data = std::fs::read(&file).expect("read input");
            eprintln!("replaying {}", file.display());
            target(&data);
            n += 1;
        }
    }
    eprintln!("{n} inputs of {name} replayed, no failure");
}

/// `path` itself if it is a file, else every file under it, in name order.
pub fn files(path: &Path) -> Vec<std::path::PathBuf> {
    if path.is_file() {
        return vec![path.to_path_buf()];
    }
    let mut out: Vec<_> = std::fs::read_dir(path)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    out.sort();
    out.into_iter().flat_map(|p| files(&p)).collect()
}
