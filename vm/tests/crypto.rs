//! Crypto imports through the `tester` contract, with vectors made by independent libraries.

mod common;

use common::*;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

fn tester() -> Harness {
    let h = Harness::new("tester");
    h.instantiate(&addr(1), json!({"greeting": "hi"})).ok();
    h
}

/// (ok bytes, error text) of an `Outcome` answer.
fn ask(h: &Harness, q: Value) -> (Option<Vec<u8>>, Option<String>) {
    let v = h.query(q).query_json();
    (
        v["ok"].as_str().map(unb64),
        v["err"].as_str().map(str::to_string),
    )
}

fn valid(h: &Harness, q: Value) -> bool {
    match ask(h, q) {
        (Some(b), None) => b == [1],
        other => panic!("expected a verdict, got {other:?}"),
    }
}

/// True only for a "valid" verdict (a malformed signature is an error, also not valid).
fn verifies(h: &Harness, q: Value) -> bool {
    matches!(ask(h, q), (Some(b), None) if b == [1])
}

fn err(h: &Harness, q: Value) -> String {
    match ask(h, q) {
        (None, Some(e)) => e,
        other => panic!("expected an error, got {other:?}"),
    }
}

#[test]
fn secp256k1_verify_and_recover() {
    use k256::ecdsa::{RecoveryId, Signature, SigningKey};
    let h = tester();
    let sk = SigningKey::from_slice(&[0x11; 32]).unwrap();
    let hash = Sha256::digest(b"message");
    let (sig, recid): (Signature, RecoveryId) = sk.sign_prehash_recoverable(&hash).unwrap();
    let pk_c = sk
        .verifying_key()
        .to_encoded_point(true)
        .as_bytes()
        .to_vec();
    let pk_u = sk
        .verifying_key()
        .to_encoded_point(false)
        .as_bytes()
        .to_vec();
    let q = |hash: &[u8], sig: &[u8], pk: &[u8]| json!({"secp256k1_verify": {"hash": b64(hash), "sig": b64(sig), "pubkey": b64(pk)}});
    assert!(valid(&h, q(&hash, &sig.to_bytes(), &pk_c)));
    assert!(valid(&h, q(&hash, &sig.to_bytes(), &pk_u)));
    // High-S form of the same signature is accepted (CosmWasm normalizes).
    let mut other = Sha256::digest(b"other").to_vec();
    assert!(!valid(&h, q(&other, &sig.to_bytes(), &pk_c)));
    other.truncate(31);
    assert!(err(&h, q(&other, &sig.to_bytes(), &pk_c)).contains("hash"));
    assert!(err(&h, q(&hash, &sig.to_bytes()[..63], &pk_c))
        .to_lowercase()
        .contains("signature"));
    assert!(err(&h, q(&hash, &sig.to_bytes(), &[5u8; 33])).contains("public key"));

    let r = |param: u8| json!({"secp256k1_recover": {"hash": b64(&hash), "sig": b64(&sig.to_bytes()), "param": param}});
    let (rec, e) = ask(&h, r(recid.to_byte()));
    assert_eq!((rec.unwrap(), e), (pk_u.clone(), None));
    let (rec, _) = ask(&h, r(recid.to_byte() ^ 1));
    assert_ne!(rec, Some(pk_u));
    assert!(err(&h, r(4)).to_lowercase().contains("recovery"));
}

#[test]
fn secp256r1_verify_and_recover() {
    use ecdsa::RecoveryId;
    use p256::ecdsa::{Signature, SigningKey};
    let h = tester();
    let sk = SigningKey::from_slice(&[0x22; 32]).unwrap();
    let hash = Sha256::digest(b"p256 message");
    let (sig, recid): (Signature, RecoveryId) = sk.sign_prehash_recoverable(&hash).unwrap();
    let pk = sk
        .verifying_key()
        .to_encoded_point(false)
        .as_bytes()
        .to_vec();
    let q = |hash: &[u8], pk: &[u8]| json!({"secp256r1_verify": {"hash": b64(hash), "sig": b64(&sig.to_bytes()), "pubkey": b64(pk)}});
    assert!(valid(&h, q(&hash, &pk)));
    assert!(!valid(&h, q(&Sha256::digest(b"x"), &pk)));
    let (rec, _) = ask(
        &h,
        json!({"secp256r1_recover": {"hash": b64(&hash), "sig": b64(&sig.to_bytes()), "param": recid.to_byte()}}),
    );
    assert_eq!(rec.unwrap(), pk);
}

#[test]
fn ed25519_verify_and_batch() {
    use ed25519_dalek::{Signer, SigningKey};
    let h = tester();
    let keys: Vec<SigningKey> = (1..=3u8)
        .map(|i| SigningKey::from_bytes(&[i; 32]))
        .collect();
    let msgs: Vec<Vec<u8>> = (0..3).map(|i| format!("msg {i}").into_bytes()).collect();
    let sigs: Vec<Vec<u8>> = keys
        .iter()
        .zip(&msgs)
        .map(|(k, m)| k.sign(m).to_bytes().to_vec())
        .collect();
    let pks: Vec<Vec<u8>> = keys
        .iter()
        .map(|k| k.verifying_key().to_bytes().to_vec())
        .collect();
    let one = |m: &[u8], s: &[u8], p: &[u8]| json!({"ed25519_verify": {"msg": b64(m), "sig": b64(s), "pubkey": b64(p)}});
    assert!(valid(&h, one(&msgs[0], &sigs[0], &pks[0])));
    assert!(!valid(&h, one(&msgs[1], &sigs[0], &pks[0])));
    assert!(valid(&h, one(b"", &keys[0].sign(b"").to_bytes(), &pks[0])));
    assert!(err(&h, one(&msgs[0], &sigs[0][..10], &pks[0]))
        .to_lowercase()
        .contains("signature"));
    assert!(err(&h, one(&msgs[0], &sigs[0], &pks[0][..31])).contains("public key"));

    let enc = |v: &[Vec<u8>]| v.iter().map(|x| b64(x)).collect::<Vec<_>>();
    let batch = |m: &[Vec<u8>], s: &[Vec<u8>], p: &[Vec<u8>]| json!({"ed25519_batch_verify": {"msgs": enc(m), "sigs": enc(s), "pubkeys": enc(p)}});
    assert!(valid(&h, batch(&msgs, &sigs, &pks)));
    let mut bad = sigs.clone();
    bad.swap(0, 1);
    assert!(!valid(&h, batch(&msgs, &bad, &pks)));
    assert!(valid(&h, batch(&[], &[], &[])));
    // one message, many keys
    let same: Vec<Vec<u8>> = keys
        .iter()
        .map(|k| k.sign(b"same").to_bytes().to_vec())
        .collect();
    assert!(valid(&h, batch(&[b"same".to_vec()], &same, &pks)));
    // one key, many messages
    let by_one: Vec<Vec<u8>> = msgs
        .iter()
        .map(|m| keys[0].sign(m).to_bytes().to_vec())
        .collect();
    assert!(valid(&h, batch(&msgs, &by_one, &pks[..1])));
    // shape mismatch
    assert!(!err(&h, batch(&msgs[..2], &sigs, &pks)).is_empty());
}

/// A message shared by every signature of a batch is hashed once per signature, so it must be
/// paid once per signature (it was paid once for the whole batch).
#[test]
fn ed25519_batch_pays_a_shared_message_per_signature() {
    use proof_vm::GasSchedule;
    let h = tester();
    let n = 100usize;
    let gas_for = |len: usize| {
        let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
        let pks = vec![b64(key.verifying_key().as_bytes()); n];
        let sigs = vec![b64(&[0u8; 64]); n];
        let q = json!({"ed25519_batch_verify": {"msgs": [b64(&vec![b'm'; len])], "sigs": sigs, "pubkeys": pks}});
        h.query(q).gas_used
    };
    let extra = 4096;
    let grew = gas_for(extra + 16) - gas_for(16);
    let per_signature = GasSchedule::default().crypto_byte * (n * extra) as u64;
    assert!(
        grew >= per_signature,
        "{extra} more bytes cost {grew} gas, less than {per_signature} for {n} hashes of them"
    );
}

#[test]
fn bls12_381_functions() {
    use bls12_381::{G1Affine, G1Projective, G2Affine, G2Projective, Scalar};
    let h = tester();
    let p1 = G1Affine::generator();
    let p2 = G1Affine::from(G1Projective::generator() * Scalar::from(5u64));
    let mut both = p1.to_compressed().to_vec();
    both.extend_from_slice(&p2.to_compressed());
    let expected = G1Affine::from(G1Projective::generator() * Scalar::from(6u64)).to_compressed();
    let (ok, _) = ask(&h, json!({"bls_aggregate_g1": {"points": b64(&both)}}));
    assert_eq!(ok.unwrap(), expected.to_vec());
    assert!(!err(&h, json!({"bls_aggregate_g1": {"points": ""}})).is_empty());
    assert!(!err(&h, json!({"bls_aggregate_g1": {"points": b64(&[0u8; 48])}})).is_empty());

    let q1 = G2Affine::generator().to_compressed();
    let q3 = G2Affine::from(G2Projective::generator() * Scalar::from(3u64));
    let mut qs = q1.to_vec();
    qs.extend_from_slice(&q3.to_compressed());
    let expected = G2Affine::from(G2Projective::generator() * Scalar::from(4u64)).to_compressed();
    let (ok, _) = ask(&h, json!({"bls_aggregate_g2": {"points": b64(&qs)}}));
    assert_eq!(ok.unwrap(), expected.to_vec());

    // e(5·G1, G2) == e(G1, 5·G2)
    let q5 = G2Affine::from(G2Projective::generator() * Scalar::from(5u64)).to_compressed();
    let pe = |s: &[u8]| json!({"bls_pairing_equality": {"ps": b64(&p2.to_compressed()), "qs": b64(&q1), "r": b64(&p1.to_compressed()), "s": b64(s)}});
    assert!(valid(&h, pe(&q5)));
    assert!(!valid(&h, pe(&q3.to_compressed())));

    use bls12_381::hash_to_curve::{ExpandMsgXmd, HashToCurve};
    let dst = b"QUUX-V01-CS02-with-BLS12381G1_XMD:SHA-256_SSWU_RO_";
    let want = G1Affine::from(<G1Projective as HashToCurve<
        ExpandMsgXmd<sha2_09::Sha256>,
    >>::hash_to_curve(b"abc", dst))
    .to_compressed();
    let (ok, _) = ask(
        &h,
        json!({"bls_hash_to_g1": {"msg": b64(b"abc"), "dst": b64(dst)}}),
    );
    assert_eq!(ok.unwrap(), want.to_vec());
    let want = G2Affine::from(<G2Projective as HashToCurve<
        ExpandMsgXmd<sha2_09::Sha256>,
    >>::hash_to_curve(b"abc", dst))
    .to_compressed();
    let (ok, _) = ask(
        &h,
        json!({"bls_hash_to_g2": {"msg": b64(b"abc"), "dst": b64(dst)}}),
    );
    assert_eq!(ok.unwrap(), want.to_vec());
}

#[test]
fn mldsa65_and_hybrid_extensions() {
    use proof_sdk::crypto::{KeyType, PrivateKey, PublicKey};
    let h = tester();
    let msg = b"post-quantum hello";
    let sk = PrivateKey::from_seed(KeyType::Mldsa65, &[7u8; 64], 0).unwrap();
    let sig = sk.sign(msg);
    let PublicKey::Mldsa65(pk) = sk.public_key() else {
        panic!()
    };
    let q = |m: &[u8], s: &[u8], p: &[u8]| json!({"mldsa_verify": {"msg": b64(m), "sig": b64(s), "pubkey": b64(p)}});
    assert!(valid(&h, q(msg, &sig, &pk)));
    assert!(!valid(&h, q(b"tampered", &sig, &pk)));
    assert_eq!(err(&h, q(msg, &sig, &pk[..100])), "error code 5");
    assert_eq!(err(&h, q(msg, &sig[..100], &pk)), "error code 4");

    let hk = PrivateKey::from_seed(KeyType::Hybrid, &[8u8; 64], 0).unwrap();
    let hsig = hk.sign(msg);
    let PublicKey::Hybrid { ed25519, mldsa65 } = hk.public_key() else {
        panic!()
    };
    let mut hpk = ed25519.to_vec();
    hpk.extend_from_slice(&mldsa65);
    let hq = |m: &[u8], s: &[u8]| json!({"hybrid_verify": {"msg": b64(m), "sig": b64(s), "pubkey": b64(&hpk)}});
    assert!(valid(&h, hq(msg, &hsig)));
    // Breaking either half fails.
    let mut broken = hsig.clone();
    broken[0] ^= 1;
    assert!(!verifies(&h, hq(msg, &broken)));
    let mut broken = hsig.clone();
    let n = broken.len();
    broken[n - 10] ^= 1;
    assert!(!verifies(&h, hq(msg, &broken)));
    let mut broken = hsig.clone();
    broken[100] ^= 1;
    assert!(!verifies(&h, hq(msg, &broken)));
}

#[test]
fn signature_checks_cost_their_schedule() {
    use ed25519_dalek::{Signer, SigningKey};
    let h = tester();
    let k = SigningKey::from_bytes(&[1; 32]);
    let s = k.sign(b"m").to_bytes();
    let pk = k.verifying_key().to_bytes();
    let q = json!({"ed25519_verify": {"msg": b64(b"m"), "sig": b64(&s), "pubkey": b64(&pk)}});
    let g = h.query(q).gas_used;
    let base = h.query(json!({"get": {"key": "x"}})).gas_used;
    let sched = proof_vm::GasSchedule::default();
    assert!(g >= sched.ed25519_verify, "{g}");
    assert!(g > base + sched.ed25519_verify / 2);
}
