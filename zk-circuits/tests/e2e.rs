//! End to end: parameters (cached on disk), a real batch proven with Nova and compressed with
//! Spartan/IPA, verified from bytes; tampered proofs, other public inputs, a wrong verifier key
//! and a batch with an invalid witness are all rejected.

use proof_zk::circuit::SlotWitness;
use proof_zk::prover::{build_steps, prove_steps, ZkParams};
use proof_zk::{
    exit_proof, prove_batch, verify, verify_exit, AccountTree, BatchData, Op, RollupId, SecretKey,
    ZkError, F,
};
use std::path::PathBuf;

const K: usize = 2;
const ROLLUP: RollupId = RollupId(7);

fn params() -> &'static ZkParams {
    static P: std::sync::OnceLock<ZkParams> = std::sync::OnceLock::new();
    P.get_or_init(load)
}

fn cache_dir() -> PathBuf {
    std::env::var_os("PROOF_ZK_PARAMS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("proof-zk-params"))
}

fn load() -> ZkParams {
    ZkParams::load_or_generate(&cache_dir(), K).unwrap()
}

#[test]
fn prove_verify_and_reject_tampering() {
    let p = params();
    // the cache round-trips to the same parameters
    let again = load();
    assert_eq!(again.vk_digest(), p.vk_digest());
    // the key every node derives is the pinned one
    assert_eq!(Some(p.vk_digest()), proof_zk::keys::pinned_digest(K as u32));
    assert_eq!(again.pp_digest(), p.pp_digest());

    let alice = SecretKey::from_seed(&[11; 32]);
    let bob = SecretKey::from_seed(&[12; 32]);
    let mut tree = AccountTree::new();
    let ops = vec![
        Op::Deposit {
            to: 0,
            pubkey: alice.public_key(),
            amount: 1_000_000,
        },
        Op::Deposit {
            to: 5,
            pubkey: bob.public_key(),
            amount: 10,
        },
        Op::transfer(&alice, ROLLUP, 0, 5, 250_000, 100, 0).unwrap(),
        Op::transfer(&bob, ROLLUP, 5, 0, 20, 0, 0).unwrap(),
        Op::withdraw(&alice, ROLLUP, 0, 1000, 1, 1, F::from(0xc0ffeeu64)).unwrap(),
    ];
    let old_root = tree.root();
    let bp = prove_batch(p, ROLLUP, &mut tree, &ops).unwrap();
    assert_eq!(bp.old_root, old_root);
    assert_eq!(bp.new_root, tree.root());
    assert_eq!(bp.num_steps, 3);
    assert_eq!(tree.get(0).balance, 1_000_000 - 250_100 + 20 - 1001);
    assert_eq!(tree.get(5).balance, 10 + 250_000 - 20);

    // the verifier recomputes the data hash from the published bytes
    let data = BatchData::decode(&bp.data).unwrap();
    assert_eq!(data.data_hash(), bp.data_hash);
    let digest = p.vk_digest();
    let v = verify(
        &digest,
        p.vk_bytes(),
        ROLLUP,
        &old_root,
        &bp.new_root,
        &bp.data_hash,
        &bp.proof,
    )
    .unwrap();
    assert_eq!(v.num_ops, 5);
    assert_eq!(v.fees, 101);

    // the rest of the checks reuse one decoded verifier key
    let vr = p.verifier();
    let verify = |_: &[u8; 32], _: &[u8], r: RollupId, o: &F, n: &F, d: &F, pr: &[u8]| {
        vr.verify(r, o, n, d, pr)
    };
    // other public inputs
    let other = F::from(1234u64);
    for (o, n, d) in [
        (other, bp.new_root, bp.data_hash),
        (old_root, other, bp.data_hash),
        (old_root, bp.new_root, other),
    ] {
        assert!(verify(&digest, p.vk_bytes(), ROLLUP, &o, &n, &d, &bp.proof).is_err());
    }
    // the same proof for another rollup
    assert!(matches!(
        verify(
            &digest,
            p.vk_bytes(),
            RollupId(8),
            &old_root,
            &bp.new_root,
            &bp.data_hash,
            &bp.proof
        ),
        Err(ZkError::Verification(_))
    ));
    // tampered DA bytes give another data hash, which the proof does not match
    let mut da = bp.data.clone();
    let last = da.len() - 1;
    da[last] ^= 1;
    if let Ok(t) = BatchData::decode(&da) {
        assert!(verify(
            &digest,
            p.vk_bytes(),
            ROLLUP,
            &old_root,
            &bp.new_root,
            &t.data_hash(),
            &bp.proof
        )
        .is_err());
    }
    // tampered proof bytes: every flipped byte position sampled is rejected, none panics
    let n = bp.proof.len();
    for pos in [0, 5, 8, 40, n / 3, n / 2, 2 * n / 3, n - 40, n - 1] {
        let mut t = bp.proof.clone();
        t[pos] ^= 0x01;
        assert!(
            verify(
                &digest,
                p.vk_bytes(),
                ROLLUP,
                &old_root,
                &bp.new_root,
                &bp.data_hash,
                &t
            )
            .is_err(),
            "tampered byte {pos} accepted"
        );
    }
    assert!(verify(
        &digest,
        p.vk_bytes(),
        ROLLUP,
        &old_root,
        &bp.new_root,
        &bp.data_hash,
        &bp.proof[..n - 1]
    )
    .is_err());
    // wrong verifier key digest
    let mut bad = digest;
    bad[0] ^= 1;
    assert!(matches!(
        proof_zk::verify(
            &bad,
            p.vk_bytes(),
            ROLLUP,
            &old_root,
            &bp.new_root,
            &bp.data_hash,
            &bp.proof
        ),
        Err(ZkError::VkDigestMismatch)
    ));

    // exit proofs against the verified root
    let e = exit_proof(&tree, 5).unwrap();
    verify_exit(&bp.new_root, &e).unwrap();
    assert_eq!(e.account.balance, 249_990);

    // an invalid batch is refused and leaves the tree as it was
    let root = tree.root();
    let overdraft = Op::transfer(&bob, ROLLUP, 5, 0, 1_000_000, 0, 1).unwrap();
    assert!(prove_batch(p, ROLLUP, &mut tree, &[overdraft]).is_err());
    assert_eq!(tree.root(), root);
}

#[test]
fn invalid_witness_yields_no_verifying_proof() {
    let p = params();
    let alice = SecretKey::from_seed(&[21; 32]);
    let mallory = SecretKey::from_seed(&[22; 32]);
    let mut tree = AccountTree::new();
    build_steps(
        K,
        ROLLUP,
        &mut tree,
        &[Op::Deposit {
            to: 1,
            pubkey: alice.public_key(),
            amount: 100,
        }],
    )
    .unwrap();
    let old_root = tree.root();
    // Mallory signs a transfer out of Alice's account; the operator bypasses the native checks.
    let forged = Op::transfer(&mallory, ROLLUP, 1, 2, 100, 0, 0).unwrap();
    let pub_op = forged.public().unwrap();
    let mut work = tree.clone();
    let slot = SlotWitness::apply(&mut work, ROLLUP, &pub_op, forged.signature().map(|s| s.0));
    let pad = SlotWitness::noop(&mut work, ROLLUP);
    let steps = vec![proof_zk::circuit::RollupStep {
        slots: vec![slot, pad],
    }];
    let data = BatchData { ops: vec![pub_op] };
    match prove_steps(p, ROLLUP, &tree, &steps) {
        Err(_) => {}
        Ok((proof, _, _)) => {
            let r = verify(
                &p.vk_digest(),
                p.vk_bytes(),
                ROLLUP,
                &old_root,
                &work.root(),
                &data.data_hash(),
                &proof,
            );
            assert!(r.is_err(), "a forged transfer verified");
        }
    }
}

#[test]
fn corrupt_parameter_cache_is_regenerated() {
    let p = params();
    let dir = tempfile::tempdir().unwrap();
    let path = ZkParams::cache_path(dir.path(), K);
    let src = ZkParams::cache_path(&cache_dir(), K);
    std::fs::copy(&src, &path).unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(&path, &bytes).unwrap();
    // the checksum catches the flipped byte; the parameters are regenerated, identical
    let q = ZkParams::load_or_generate(dir.path(), K).unwrap();
    assert_eq!(q.vk_digest(), p.vk_digest());
    assert_eq!(q.pp_digest(), p.pp_digest());
    assert_ne!(std::fs::read(&path).unwrap(), bytes);
}
