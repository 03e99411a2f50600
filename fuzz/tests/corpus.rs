//! The CI's bounded run of the fuzz targets, in the workspace's own build: each target over its
//! seeds, its corpus (`fuzz/corpus/<target>/`, what coverage-guided runs kept) and every input
//! that once failed it (`fuzz/regressions/<target>/`), then a seeded batch of mutations of them.
//! The long coverage-guided runs are `fuzz/run.sh` (`cargo fuzz`), recorded in RELIABILITY.md.

use std::path::PathBuf;

use rand::{Rng, SeedableRng};

/// Mutated inputs per target: bounded so the suite stays quick (a mutated contract that still
/// validates is compiled, a proof that still decodes is verified: those cost up to a second);
/// libFuzzer does the volume.
const MUTATIONS: usize = 3_000;
const COSTLY_MUTATIONS: usize = 150;

fn inputs(target: &str) -> Vec<Vec<u8>> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut all = proof_fuzz::seeds(target);
    for dir in ["corpus", "regressions"] {
        for f in proof_fuzz::files(&root.join(dir).join(target)) {
            all.push(std::fs::read(f).unwrap());
        }
    }
    all
}

/// Bit flips, byte changes, truncations, insertions and splices of the known inputs.
fn mutate(rng: &mut rand::rngs::StdRng, pool: &[Vec<u8>]) -> Vec<u8> {
    let mut v = pool[rng.gen_range(0..pool.len())].clone();
    for _ in 0..rng.gen_range(1..6) {
        let n = v.len();
        match rng.gen_range(0..5) {
            0 if n > 0 => {
                let i = rng.gen_range(0..n);
                v[i] ^= 1 << rng.gen_range(0..8);
            }
            1 if n > 0 => {
                let i = rng.gen_range(0..n);
                v[i] = rng.gen();
            }
            2 if n > 0 => v.truncate(rng.gen_range(0..n)),
            3 => {
                let i = rng.gen_range(0..=n);
                let bytes: Vec<u8> = (0..rng.gen_range(1..16)).map(|_| rng.gen()).collect();
                v.splice(i..i, bytes);
            }
            _ => {
                let other = &pool[rng.gen_range(0..pool.len())];
                if !other.is_empty() {
                    let at = rng.gen_range(0..other.len());
                    v.extend_from_slice(&other[at..]);
                }
            }
        }
    }
    v
}

fn run(target: &str, f: fn(&[u8]), mutations: usize) {
    let pool = inputs(target);
    for input in &pool {
        f(input);
    }
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x5eed);
    for _ in 0..mutations {
        f(&mutate(&mut rng, &pool));
    }
}

fn zk_params_in_target() {
    if std::env::var_os("PROOF_ZK_PARAMS").is_none() {
        // The zk tests' cache: generating parameters once per target dir, not per binary.
        std::env::set_var(
            "PROOF_ZK_PARAMS",
            PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("proof-zk-params"),
        );
    }
}

#[test]
fn check_tx() {
    run("check_tx", proof_fuzz::check_tx, MUTATIONS);
}

#[test]
fn abci_query() {
    run("abci_query", proof_fuzz::abci_query, MUTATIONS);
}

#[test]
fn wasm_upload() {
    run("wasm_upload", proof_fuzz::wasm_compile, COSTLY_MUTATIONS);
}

#[test]
fn zk_verify() {
    zk_params_in_target();
    run("zk_verify", proof_fuzz::zk_verify, COSTLY_MUTATIONS);
}
