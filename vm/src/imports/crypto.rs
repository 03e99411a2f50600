//! Signature and pairing imports. Return codes follow cosmwasm-std's expectations:
//! 0 valid, 1 invalid, 3 bad hash, 4 bad signature, 5 bad public key, 6 bad recovery param,
//! 7 batch shape, 8 invalid point, 9 unknown hash function, 10 other error,
//! 11/12 pairing inputs not a multiple of G1/G2 size, 13 unequal point counts,
//! 14/15 G2 aggregate empty/not multiple, 16/17 G1 aggregate empty/not multiple.
//! Every computation runs under `catch_unwind`: a bug in a crypto crate fails the call, never the
//! host.

use std::panic::{catch_unwind, AssertUnwindSafe};

use bls12_381::hash_to_curve::{ExpandMsgXmd, HashToCurve};
use bls12_381::{G1Affine, G1Projective, G2Affine, G2Prepared, G2Projective};
use wasmtime::Linker;

use super::{alloc_write, charge, host_call, limits, read, trap, write, Ctx, HostCtx};
use crate::error::{VmError, VmResult};
use crate::gas::GasSchedule;
use crate::imports::storage::decode_sections;

const VALID: u32 = 0;
const INVALID: u32 = 1;
const BAD_HASH: u32 = 3;
const BAD_SIG: u32 = 4;
const BAD_PUBKEY: u32 = 5;
const BAD_RECOVERY: u32 = 6;
const BATCH_SHAPE: u32 = 7;
const INVALID_POINT: u32 = 8;
const UNKNOWN_HASH: u32 = 9;
const GENERIC: u32 = 10;

fn guarded<T>(f: impl FnOnce() -> Result<T, u32>) -> Result<T, u32> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(Err(GENERIC))
}

fn code(r: Result<bool, u32>) -> u32 {
    match r {
        Ok(true) => VALID,
        Ok(false) => INVALID,
        Err(c) => c,
    }
}

// ---- ECDSA ----

/// Prehash verification and public-key recovery on one curve crate (`k256`, `p256`): the two
/// curves differ only in the crate, so one body serves both.
macro_rules! ecdsa_on {
    ($curve:ident, $verify:ident, $recover:ident) => {
        fn $verify(hash: &[u8], sig: &[u8], pk: &[u8]) -> Result<bool, u32> {
            use $curve::ecdsa::signature::hazmat::PrehashVerifier;
            if hash.len() != 32 {
                return Err(BAD_HASH);
            }
            if sig.len() != 64 {
                return Err(BAD_SIG);
            }
            let vk = $curve::ecdsa::VerifyingKey::from_sec1_bytes(pk).map_err(|_| BAD_PUBKEY)?;
            let sig = $curve::ecdsa::Signature::from_slice(sig).map_err(|_| GENERIC)?;
            let sig = sig.normalize_s().unwrap_or(sig);
            Ok(vk.verify_prehash(hash, &sig).is_ok())
        }

        fn $recover(hash: &[u8], sig: &[u8], param: u32) -> Result<Vec<u8>, u32> {
            if hash.len() != 32 {
                return Err(BAD_HASH);
            }
            if sig.len() != 64 {
                return Err(BAD_SIG);
            }
            let id = u8::try_from(param)
                .ok()
                .and_then(ecdsa::RecoveryId::from_byte)
                .ok_or(BAD_RECOVERY)?;
            let sig = $curve::ecdsa::Signature::from_slice(sig).map_err(|_| GENERIC)?;
            let vk = $curve::ecdsa::VerifyingKey::recover_from_prehash(hash, &sig, id)
                .map_err(|_| GENERIC)?;
            Ok(vk.to_encoded_point(false).as_bytes().to_vec())
        }
    };
}

ecdsa_on!(k256, ecdsa_k1, recover_k1);
ecdsa_on!(p256, ecdsa_r1, recover_r1);

type Verify = fn(&[u8], &[u8], &[u8]) -> Result<bool, u32>;

fn ecdsa_verify(c: &mut Ctx<'_>, h: u32, s: u32, p: u32, cost: u64, f: Verify) -> VmResult<u32> {
    host_call(c)?;
    let hash = read(c, h, limits::MESSAGE_HASH)?;
    let sig = read(c, s, limits::ECDSA_SIGNATURE)?;
    let pk = read(c, p, limits::ECDSA_PUBKEY)?;
    charge(c, cost)?;
    Ok(code(guarded(|| f(&hash, &sig, &pk))))
}

type Recover = fn(&[u8], &[u8], u32) -> Result<Vec<u8>, u32>;
/// Which field of the gas schedule prices an import.
type CostOf = fn(&GasSchedule) -> u64;

fn ecdsa_recover(
    c: &mut Ctx<'_>,
    h: u32,
    s: u32,
    param: u32,
    cost: u64,
    f: Recover,
) -> VmResult<u64> {
    host_call(c)?;
    let hash = read(c, h, limits::MESSAGE_HASH)?;
    let sig = read(c, s, limits::ECDSA_SIGNATURE)?;
    charge(c, cost)?;
    match guarded(|| f(&hash, &sig, param)) {
        Ok(pk) => Ok(alloc_write(c, &pk)? as u64),
        Err(e) => Ok((e as u64) << 32),
    }
}

// ---- ed25519 (ZIP 215 rules, like CosmWasm's ed25519-zebra) ----

fn ed25519(msg: &[u8], sig: &[u8], pk: &[u8]) -> Result<bool, u32> {
    let sig: [u8; 64] = sig.try_into().map_err(|_| BAD_SIG)?;
    let pk: [u8; 32] = pk.try_into().map_err(|_| BAD_PUBKEY)?;
    let vk = ed25519_consensus::VerificationKey::try_from(pk).map_err(|_| BAD_PUBKEY)?;
    Ok(vk
        .verify(&ed25519_consensus::Signature::from(sig), msg)
        .is_ok())
}

fn ed25519_verify(c: &mut Ctx<'_>, m: u32, s: u32, p: u32) -> VmResult<u32> {
    host_call(c)?;
    let msg = read(c, m, limits::ED25519_MESSAGE)?;
    let sig = read(c, s, limits::ED25519_SIGNATURE)?;
    let pk = read(c, p, limits::ED25519_PUBKEY)?;
    let cost = c.data().schedule.ed25519_verify;
    let per_byte = c.data().schedule.crypto_byte;
    charge(c, cost.saturating_add(per_byte * msg.len() as u64))?;
    Ok(code(guarded(|| ed25519(&msg, &sig, &pk))))
}

fn ed25519_batch_verify(c: &mut Ctx<'_>, m: u32, s: u32, p: u32) -> VmResult<u32> {
    host_call(c)?;
    let max = (limits::ED25519_MESSAGE + 4) * limits::ED25519_BATCH_COUNT;
    let msgs = read(c, m, max)?;
    let sigs = read(
        c,
        s,
        (limits::ED25519_SIGNATURE + 4) * limits::ED25519_BATCH_COUNT,
    )?;
    let pks = read(
        c,
        p,
        (limits::ED25519_PUBKEY + 4) * limits::ED25519_BATCH_COUNT,
    )?;
    let (Some(msgs), Some(sigs), Some(pks)) = (
        decode_sections(&msgs),
        decode_sections(&sigs),
        decode_sections(&pks),
    ) else {
        return Err(VmError::host("ed25519_batch_verify", "malformed sections"));
    };
    let n = sigs.len();
    if n > limits::ED25519_BATCH_COUNT || msgs.len() > limits::ED25519_BATCH_COUNT {
        return Err(VmError::host("ed25519_batch_verify", "batch too large"));
    }
    let cost = c.data().schedule.ed25519_batch_verify;
    let per_byte = c.data().schedule.crypto_byte;
    // Every signature hashes its message (R ‖ A ‖ M), so one message shared by n signatures is
    // hashed n times and paid n times.
    let bytes: usize = if msgs.len() == 1 {
        msgs[0].len().saturating_mul(n)
    } else {
        msgs.iter().map(|m| m.len()).sum()
    };
    charge(
        c,
        cost.cost(n as u64).saturating_add(per_byte * bytes as u64),
    )?;
    let shape_ok = (msgs.len() == n && pks.len() == n)
        || (msgs.len() == 1 && pks.len() == n)
        || (pks.len() == 1 && msgs.len() == n);
    if !shape_ok {
        return Ok(BATCH_SHAPE);
    }
    let r = guarded(|| {
        for i in 0..n {
            let msg = if msgs.len() == 1 { msgs[0] } else { msgs[i] };
            let pk = if pks.len() == 1 { pks[0] } else { pks[i] };
            if !ed25519(msg, sigs[i], pk)? {
                return Ok(false);
            }
        }
        Ok(true)
    });
    Ok(code(r))
}

// ---- BLS12-381 ----

fn g1(bytes: &[u8]) -> Result<G1Affine, u32> {
    let arr: &[u8; 48] = bytes.try_into().map_err(|_| INVALID_POINT)?;
    Option::from(G1Affine::from_compressed(arr)).ok_or(INVALID_POINT)
}

fn g2(bytes: &[u8]) -> Result<G2Affine, u32> {
    let arr: &[u8; 96] = bytes.try_into().map_err(|_| INVALID_POINT)?;
    Option::from(G2Affine::from_compressed(arr)).ok_or(INVALID_POINT)
}

fn aggregate_g1(points: &[u8]) -> Result<Vec<u8>, u32> {
    if points.is_empty() {
        return Err(16);
    }
    if !points.len().is_multiple_of(48) {
        return Err(17);
    }
    let mut acc = G1Projective::identity();
    for p in points.chunks(48) {
        acc += g1(p)?;
    }
    Ok(G1Affine::from(acc).to_compressed().to_vec())
}

fn aggregate_g2(points: &[u8]) -> Result<Vec<u8>, u32> {
    if points.is_empty() {
        return Err(14);
    }
    if !points.len().is_multiple_of(96) {
        return Err(15);
    }
    let mut acc = G2Projective::identity();
    for p in points.chunks(96) {
        acc += g2(p)?;
    }
    Ok(G2Affine::from(acc).to_compressed().to_vec())
}

/// e(p1, q1) · … · e(pn, qn) == e(r, s)
fn pairing_equality(ps: &[u8], qs: &[u8], r: &[u8], s: &[u8]) -> Result<bool, u32> {
    if !ps.len().is_multiple_of(48) {
        return Err(11);
    }
    if !qs.len().is_multiple_of(96) {
        return Err(12);
    }
    if ps.len() / 48 != qs.len() / 96 {
        return Err(13);
    }
    let mut g1s = Vec::new();
    let mut g2s = Vec::new();
    for (p, q) in ps.chunks(48).zip(qs.chunks(96)) {
        g1s.push(g1(p)?);
        g2s.push(G2Prepared::from(g2(q)?));
    }
    g1s.push(-g1(r)?);
    g2s.push(G2Prepared::from(g2(s)?));
    let terms: Vec<(&G1Affine, &G2Prepared)> = g1s.iter().zip(g2s.iter()).collect();
    let gt = bls12_381::multi_miller_loop(&terms).final_exponentiation();
    Ok(gt == bls12_381::Gt::identity())
}

fn bls_aggregate(c: &mut Ctx<'_>, src: u32, out: u32, is_g1: bool) -> VmResult<u32> {
    host_call(c)?;
    let points = read(c, src, limits::BLS_AGGREGATE)?;
    let s = &c.data().schedule;
    let (cost, size) = if is_g1 {
        (s.bls12_381_aggregate_g1, 48)
    } else {
        (s.bls12_381_aggregate_g2, 96)
    };
    charge(c, cost.cost((points.len() / size) as u64))?;
    let r = guarded(|| {
        if is_g1 {
            aggregate_g1(&points)
        } else {
            aggregate_g2(&points)
        }
    });
    match r {
        Ok(point) => write(c, out, &point).map(|_| VALID),
        Err(e) => Ok(e),
    }
}

fn bls_pairing(c: &mut Ctx<'_>, ps: u32, qs: u32, r: u32, s: u32) -> VmResult<u32> {
    host_call(c)?;
    let ps = read(c, ps, limits::BLS_AGGREGATE)?;
    let qs = read(c, qs, limits::BLS_AGGREGATE)?;
    let r = read(c, r, 48)?;
    let s = read(c, s, 96)?;
    let cost = c.data().schedule.bls12_381_pairing_equality;
    charge(c, cost.cost((ps.len() / 48) as u64))?;
    Ok(code(guarded(|| pairing_equality(&ps, &qs, &r, &s))))
}

fn bls_hash(c: &mut Ctx<'_>, hash_fn: u32, m: u32, d: u32, out: u32, to_g1: bool) -> VmResult<u32> {
    host_call(c)?;
    let msg = read(c, m, limits::BLS_MESSAGE)?;
    let dst = read(c, d, limits::BLS_DST)?;
    let s = &c.data().schedule;
    let cost = if to_g1 {
        s.bls12_381_hash_to_g1
    } else {
        s.bls12_381_hash_to_g2
    };
    let per_byte = s.crypto_byte;
    charge(c, cost.saturating_add(per_byte * msg.len() as u64))?;
    if hash_fn != 0 {
        return Ok(UNKNOWN_HASH);
    }
    type Xmd = ExpandMsgXmd<sha2_09::Sha256>;
    let r = guarded(|| {
        Ok(if to_g1 {
            let p = <G1Projective as HashToCurve<Xmd>>::hash_to_curve(&msg, &dst);
            G1Affine::from(p).to_compressed().to_vec()
        } else {
            let p = <G2Projective as HashToCurve<Xmd>>::hash_to_curve(&msg, &dst);
            G2Affine::from(p).to_compressed().to_vec()
        })
    });
    match r {
        Ok(point) => write(c, out, &point).map(|_| VALID),
        Err(e) => Ok(e),
    }
}

// ---- post-quantum (Proof chain extension) ----

fn pq_code(r: Result<(), proof_sdk::crypto::CryptoError>) -> u32 {
    use proof_sdk::crypto::CryptoError as E;
    match r {
        Ok(()) => VALID,
        Err(E::BadSignature(_)) => INVALID,
        Err(E::SignatureLength { .. }) => BAD_SIG,
        Err(E::MalformedKey { .. }) => BAD_PUBKEY,
        Err(_) => GENERIC,
    }
}

fn pq_verify(c: &mut Ctx<'_>, m: u32, s: u32, p: u32, hybrid: bool) -> VmResult<u32> {
    use proof_sdk::crypto::{PublicKey, MLDSA65_PUBKEY_LEN};
    host_call(c)?;
    let msg = read(c, m, limits::PQ_MESSAGE)?;
    let sig = read(c, s, limits::PQ_SIGNATURE)?;
    let pk = read(c, p, limits::PQ_PUBKEY)?;
    let sched = &c.data().schedule;
    let cost = if hybrid {
        sched.hybrid_verify
    } else {
        sched.mldsa65_verify
    };
    let per_byte = sched.crypto_byte;
    charge(c, cost.saturating_add(per_byte * msg.len() as u64))?;
    let key = if hybrid {
        if pk.len() != 32 + MLDSA65_PUBKEY_LEN {
            return Ok(BAD_PUBKEY);
        }
        PublicKey::Hybrid {
            ed25519: pk[..32].try_into().expect("32 bytes"),
            mldsa65: pk[32..].into(),
        }
    } else {
        if pk.len() != MLDSA65_PUBKEY_LEN {
            return Ok(BAD_PUBKEY);
        }
        PublicKey::Mldsa65(pk.into())
    };
    Ok(guarded(|| Ok(pq_code(key.verify(&msg, &sig)))).unwrap_or(GENERIC))
}

pub(super) fn register(l: &mut Linker<HostCtx>) {
    let verifies: [(&str, CostOf, Verify); 2] = [
        ("secp256k1_verify", |g| g.secp256k1_verify, ecdsa_k1),
        ("secp256r1_verify", |g| g.secp256r1_verify, ecdsa_r1),
    ];
    for (name, cost_of, f) in verifies {
        l.func_wrap(
            "env",
            name,
            move |mut c: Ctx<'_>, h: u32, s: u32, p: u32| {
                let cost = cost_of(&c.data().schedule);
                trap(ecdsa_verify(&mut c, h, s, p, cost, f))
            },
        )
        .unwrap();
    }
    let recovers: [(&str, CostOf, Recover); 2] = [
        (
            "secp256k1_recover_pubkey",
            |g| g.secp256k1_recover_pubkey,
            recover_k1,
        ),
        (
            "secp256r1_recover_pubkey",
            |g| g.secp256r1_recover_pubkey,
            recover_r1,
        ),
    ];
    for (name, cost_of, f) in recovers {
        l.func_wrap(
            "env",
            name,
            move |mut c: Ctx<'_>, h: u32, s: u32, param: u32| {
                let cost = cost_of(&c.data().schedule);
                trap(ecdsa_recover(&mut c, h, s, param, cost, f))
            },
        )
        .unwrap();
    }
    l.func_wrap(
        "env",
        "ed25519_verify",
        |mut c: Ctx<'_>, m: u32, s: u32, p: u32| trap(ed25519_verify(&mut c, m, s, p)),
    )
    .unwrap();
    l.func_wrap(
        "env",
        "ed25519_batch_verify",
        |mut c: Ctx<'_>, m: u32, s: u32, p: u32| trap(ed25519_batch_verify(&mut c, m, s, p)),
    )
    .unwrap();
    l.func_wrap(
        "env",
        "bls12_381_aggregate_g1",
        |mut c: Ctx<'_>, src: u32, out: u32| trap(bls_aggregate(&mut c, src, out, true)),
    )
    .unwrap();
    l.func_wrap(
        "env",
        "bls12_381_aggregate_g2",
        |mut c: Ctx<'_>, src: u32, out: u32| trap(bls_aggregate(&mut c, src, out, false)),
    )
    .unwrap();
    l.func_wrap(
        "env",
        "bls12_381_pairing_equality",
        |mut c: Ctx<'_>, ps: u32, qs: u32, r: u32, s: u32| trap(bls_pairing(&mut c, ps, qs, r, s)),
    )
    .unwrap();
    l.func_wrap(
        "env",
        "bls12_381_hash_to_g1",
        |mut c: Ctx<'_>, hf: u32, m: u32, d: u32, o: u32| trap(bls_hash(&mut c, hf, m, d, o, true)),
    )
    .unwrap();
    l.func_wrap(
        "env",
        "bls12_381_hash_to_g2",
        |mut c: Ctx<'_>, hf: u32, m: u32, d: u32, o: u32| {
            trap(bls_hash(&mut c, hf, m, d, o, false))
        },
    )
    .unwrap();
    l.func_wrap(
        "env",
        "proof_mldsa65_verify",
        |mut c: Ctx<'_>, m: u32, s: u32, p: u32| trap(pq_verify(&mut c, m, s, p, false)),
    )
    .unwrap();
    l.func_wrap(
        "env",
        "proof_hybrid_verify",
        |mut c: Ctx<'_>, m: u32, s: u32, p: u32| trap(pq_verify(&mut c, m, s, p, true)),
    )
    .unwrap();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bls_aggregate_shape_errors() {
        assert_eq!(aggregate_g1(&[]), Err(16));
        assert_eq!(aggregate_g1(&[0u8; 47]), Err(17));
        assert_eq!(aggregate_g1(&[0u8; 48]), Err(INVALID_POINT));
        assert_eq!(aggregate_g2(&[]), Err(14));
        assert_eq!(aggregate_g2(&[0u8; 95]), Err(15));
        let gen = G1Affine::generator().to_compressed();
        let two = G1Affine::from(G1Projective::generator() + G1Projective::generator());
        let mut both = gen.to_vec();
        both.extend_from_slice(&gen);
        assert_eq!(aggregate_g1(&both).unwrap(), two.to_compressed().to_vec());
    }

    #[test]
    fn bls_pairing_equality_works() {
        // e(2·G1, G2) == e(G1, 2·G2)
        let g1_2 = G1Affine::from(G1Projective::generator() * bls12_381::Scalar::from(2u64));
        let g2_2 = G2Affine::from(G2Projective::generator() * bls12_381::Scalar::from(2u64));
        let ps = g1_2.to_compressed();
        let qs = G2Affine::generator().to_compressed();
        let r = G1Affine::generator().to_compressed();
        assert_eq!(
            pairing_equality(&ps, &qs, &r, &g2_2.to_compressed()),
            Ok(true)
        );
        assert_eq!(pairing_equality(&ps, &qs, &r, &qs), Ok(false));
        assert_eq!(pairing_equality(&ps[..47], &qs, &r, &qs), Err(11));
        assert_eq!(pairing_equality(&ps, &qs[..95], &r, &qs), Err(12));
        assert_eq!(pairing_equality(&[], &qs, &r, &qs), Err(13));
    }
}
