//! Benchmark of the rollup prover/verifier. Prints every figure of BENCHMARKS.md's ZK section.
//!
//! `zk-bench [--k OPS_PER_STEP] [--transfers N] [--params DIR]`, or `zk-bench --host-costs`

use proof_zk::circuit::{check_step, initial_z, RollupStep, SlotWitness};
use proof_zk::prover::{Verifier, ZkParams};
use proof_zk::tree::Account;
use proof_zk::{prove_batch, AccountTree, BatchData, Op, RollupId, SecretKey};

const ROLLUP: RollupId = RollupId(1);
use std::time::Instant;

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// 16 users with funded accounts spread over the tree (indices 4099 apart).
fn keyed_users() -> (Vec<SecretKey>, AccountTree) {
    let users: Vec<SecretKey> = (0..16u8)
        .map(|i| SecretKey::from_seed(&[i + 1; 32]))
        .collect();
    let mut tree = AccountTree::new();
    for (i, u) in users.iter().enumerate() {
        tree.set(
            i as u32 * 4099,
            Account {
                pubkey: u.public_key(),
                balance: 1_000_000_000,
                nonce: 0,
            },
        );
    }
    (users, tree)
}

/// `--host-costs`: what the chain's `proof_zk_*` host functions spend besides the SNARK: decoding
/// and hashing a batch's published data, and checking an exit proof.
fn host_costs() -> Result<(), Box<dyn std::error::Error>> {
    let (users, tree) = keyed_users();
    let n = 1024;
    let ops: Vec<Op> = (0..n)
        .map(|i| {
            let from = i % users.len();
            Op::transfer(
                &users[from],
                ROLLUP,
                from as u32 * 4099,
                ((from + 1) % 16) as u32 * 4099,
                5,
                1,
                (i / 16) as u64,
            )
        })
        .collect::<Result<_, _>>()?;
    let data = BatchData::from_ops(&ops)?.encode();
    let runs = 20;
    let t = Instant::now();
    for _ in 0..runs {
        std::hint::black_box(BatchData::decode(&data)?.data_hash());
    }
    let per = t.elapsed() / runs;
    println!(
        "data decode + hash: {per:.2?} for {n} transfers ({} bytes): {:.2} us per transfer, {:.0} ns per byte",
        data.len(),
        per.as_secs_f64() * 1e6 / n as f64,
        per.as_secs_f64() * 1e9 / data.len() as f64
    );
    let proof = proof_zk::exit_proof(&tree, 4099)?.to_bytes();
    let root = tree.root();
    let runs = 200;
    let t = Instant::now();
    for _ in 0..runs {
        let p = proof_zk::ExitProof::from_bytes(&proof)?;
        proof_zk::verify_exit(&root, &p)?;
    }
    println!("exit proof decode + verify: {:.2?}", t.elapsed() / runs);
    let (word, extra) = proof_zk::schnorr::key_possession_message(1, 4099, &[7; 20]);
    let sig = users[1].sign(word, extra).to_bytes();
    let pk = users[1].public_key();
    let t = Instant::now();
    for _ in 0..runs {
        let s = proof_zk::Signature::from_bytes(&sig).ok_or("signature")?;
        assert!(s.verify(&pk, word, extra));
    }
    println!(
        "Schnorr signature decode + verify: {:.2?}",
        t.elapsed() / runs
    );
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    if std::env::args().any(|a| a == "--host-costs") {
        return host_costs();
    }
    let k = arg("--k", 8);
    let n = arg("--transfers", 64);
    let args: Vec<String> = std::env::args().collect();
    let dir = args
        .iter()
        .position(|a| a == "--params")
        .and_then(|i| args.get(i + 1))
        .map(std::path::PathBuf::from)
        .unwrap_or_else(ZkParams::default_dir);

    let cached = ZkParams::cache_path(&dir, k).exists();
    let t = Instant::now();
    let params = ZkParams::load_or_generate(&dir, k)?;
    println!(
        "params: K={k} ops/step, {} in {:.1?} ({}), pp digest {:?}",
        if cached { "loaded" } else { "generated" },
        t.elapsed(),
        ZkParams::cache_path(&dir, k).display(),
        params.pp_digest()
    );
    let (c1, c2) = params.num_constraints();
    let (v1, v2) = params.num_variables();
    println!("augmented step circuit: primary {c1} constraints / {v1} vars, secondary {c2} / {v2}");

    // one slot's own constraints (a transfer), measured on a test constraint system
    let (users, mut tree) = keyed_users();
    let op = Op::transfer(&users[0], ROLLUP, 0, 4099, 5, 1, 0)?;
    let mut w = tree.clone();
    let slot = SlotWitness::apply(&mut w, ROLLUP, &op.public()?, op.signature().map(|s| s.0));
    let (ok, slot_constraints, _) =
        check_step(&RollupStep { slots: vec![slot] }, &initial_z(&tree, ROLLUP));
    assert!(ok);
    println!("step circuit per operation slot: {slot_constraints} constraints");
    println!(
        "constraints per transfer (augmented primary / K): {}",
        c1 / k
    );

    // N transfers in a ring, nonces tracked
    let mut nonces = vec![0u64; users.len()];
    let mut ops = Vec::with_capacity(n);
    for i in 0..n {
        let from = i % users.len();
        let to = (i * 7 + 3) % users.len();
        ops.push(Op::transfer(
            &users[from],
            ROLLUP,
            from as u32 * 4099,
            to as u32 * 4099,
            1000 + i as u64,
            10,
            nonces[from],
        )?);
        nonces[from] += 1;
    }
    let t = Instant::now();
    let bp = prove_batch(&params, ROLLUP, &mut tree, &ops)?;
    let total = t.elapsed();
    let witness = total - bp.times.recursive - bp.times.compress;
    println!(
        "prove {n} transfers ({} steps): total {:.2?} = witness {:.2?} + folding {:.2?} + compression {:.2?}",
        bp.num_steps, total, witness, bp.times.recursive, bp.times.compress
    );
    println!(
        "prove time per transfer: {:.1} ms (folding only: {:.1} ms)",
        total.as_secs_f64() * 1e3 / n as f64,
        bp.times.recursive.as_secs_f64() * 1e3 / n as f64
    );
    println!(
        "proven transfers/s: {:.2} end to end, {:.2} folding throughput",
        n as f64 / total.as_secs_f64(),
        n as f64 / bp.times.recursive.as_secs_f64()
    );
    let da = BatchData::decode(&bp.data)?;
    println!(
        "DA: {} bytes for {n} transfers ({} bytes/transfer + 12-byte header)",
        bp.data.len(),
        (bp.data.len() - 12) / n
    );
    assert_eq!(da.data_hash(), bp.data_hash);
    println!("compressed proof: {} bytes", bp.proof.len());
    println!(
        "verifier key: {} bytes, digest {}",
        params.vk_bytes().len(),
        hex::encode(params.vk_digest())
    );

    let t = Instant::now();
    let v = Verifier::new(params.vk_bytes(), &params.vk_digest())?;
    let decode = t.elapsed();
    // The first verification also hashes the key for Nova's digest (kept after), so it is
    // timed apart from the steady state a node sees.
    let t = Instant::now();
    v.verify(ROLLUP, &bp.old_root, &bp.new_root, &bp.data_hash, &bp.proof)?;
    let first = t.elapsed();
    let runs = 5;
    let t = Instant::now();
    for _ in 0..runs {
        v.verify(ROLLUP, &bp.old_root, &bp.new_root, &bp.data_hash, &bp.proof)?;
    }
    let per = t.elapsed() / runs;
    println!(
        "verify: {per:.2?} per proof, first {first:.2?} (verifier key decode {decode:.2?}, once)"
    );
    Ok(())
}
