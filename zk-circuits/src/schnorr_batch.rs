//! Batch verification of Schnorr signatures (see `schnorr.rs` for the scheme).
//!
//! `n` signatures are checked with one multi-scalar multiplication: with weights `z_i` drawn at
//! random by the verifier, `(Σ z_i s_i)·G − Σ z_i·R_i − Σ (z_i c_i)·P_i = 0`. Vesta has prime
//! order (cofactor 1), so if any single equation `s_i·G = R_i + c_i·P_i` fails, the sum vanishes
//! only when the `z_i` hit one value modulo the group order: probability at most `2^-128` for
//! 128-bit weights. The weights must be unpredictable to whoever made the signatures, so they
//! come from the caller's random source; this is an operator's shortcut, never consensus (the
//! circuit checks every signature on its own).
//!
//! A failed batch says only that some signature is bad: [`find_invalid`] splits it in halves to
//! name which, so an honest request is never refused for a neighbour's bad signature. Halves of
//! [`SPLIT_MIN`] or fewer are checked one by one: a batch full of bad signatures (they cost
//! nothing to make) then costs little more than checking them singly.

use crate::schnorr::{challenge_hash, challenge_ok, challenge_scalar, PublicKey, Signature};
use crate::{Fr, F};
use ff::{Field, PrimeField};
use halo2curves::group::Group;
use halo2curves::pasta::VestaAffine;
use rand_core::RngCore;

/// One signature to check: the key, the signature, and the message `(word, extra)`.
#[derive(Clone, Copy, Debug)]
pub struct BatchItem {
    pub pk: PublicKey,
    pub sig: Signature,
    pub word: F,
    pub extra: F,
}

/// Whether every signature of `items` verifies (an empty batch does). Agrees with
/// [`Signature::verify`] on each item except with probability `2^-128` per call.
pub fn verify_batch(items: &[BatchItem], rng: &mut impl RngCore) -> bool {
    if items.len() == 1 {
        let i = &items[0];
        return i.sig.verify(&i.pk, i.word, i.extra);
    }
    let mut coeffs = Vec::with_capacity(2 * items.len() + 1);
    let mut bases = Vec::with_capacity(2 * items.len() + 1);
    let mut s_sum = Fr::ZERO;
    for i in items {
        // As in single verification: curve points only, so never the point at infinity (also no
        // base the MSM may take).
        let r = PublicKey {
            x: i.sig.rx,
            y: i.sig.ry,
        };
        let (Some(p), Some(r)) = (i.pk.to_affine(), r.to_affine()) else {
            return false;
        };
        let e = challenge_hash(i.sig.rx, &i.pk, i.word, i.extra);
        if !challenge_ok(&e) {
            return false;
        }
        let mut w = [0u8; 16];
        rng.fill_bytes(&mut w);
        // A zero weight would drop the item from the check.
        let z = Fr::from_u128(u128::from_le_bytes(w).max(1));
        s_sum += z * i.sig.s;
        coeffs.push(-z);
        bases.push(r);
        coeffs.push(-(z * challenge_scalar(&e)));
        bases.push(p);
    }
    coeffs.push(s_sum);
    bases.push(VestaAffine::generator());
    // Serial: the caller's thread does the work (the operator runs one checker per core; the
    // parallel MSM would queue behind the provers on rayon's global pool).
    let mut acc = halo2curves::pasta::Vesta::identity();
    halo2curves::msm::msm_serial(&coeffs, &bases, &mut acc);
    bool::from(acc.is_identity())
}

/// The indices of the items whose signature does not verify, in order (empty when all do).
pub fn find_invalid(items: &[BatchItem], rng: &mut impl RngCore) -> Vec<usize> {
    let mut bad = Vec::new();
    if !verify_batch(items, rng) {
        let mid = items.len() / 2;
        split(&items[..mid], 0, rng, &mut bad);
        split(&items[mid..], mid, rng, &mut bad);
    }
    bad
}

/// Parts of a failed batch this small are checked one signature at a time.
pub const SPLIT_MIN: usize = 16;

fn split(items: &[BatchItem], offset: usize, rng: &mut impl RngCore, bad: &mut Vec<usize>) {
    if items.len() <= SPLIT_MIN {
        for (k, i) in items.iter().enumerate() {
            if !i.sig.verify(&i.pk, i.word, i.extra) {
                bad.push(offset + k);
            }
        }
        return;
    }
    if verify_batch(items, rng) {
        return;
    }
    let mid = items.len() / 2;
    split(&items[..mid], offset, rng, bad);
    split(&items[mid..], offset + mid, rng, bad);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schnorr::SecretKey;

    /// A deterministic stand-in for the OS's random source.
    struct Counter(u64);

    impl RngCore for Counter {
        fn next_u32(&mut self) -> u32 {
            self.next_u64() as u32
        }
        fn next_u64(&mut self) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            self.0
        }
        fn fill_bytes(&mut self, dest: &mut [u8]) {
            for c in dest.chunks_mut(8) {
                let v = self.next_u64().to_le_bytes();
                c.copy_from_slice(&v[..c.len()]);
            }
        }
        fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
            self.fill_bytes(dest);
            Ok(())
        }
    }

    fn items(n: u64) -> Vec<BatchItem> {
        (0..n)
            .map(|i| {
                let sk = SecretKey::from_seed(&[i as u8 + 1; 32]);
                let (word, extra) = (F::from(100 + i), F::from(7 * i));
                BatchItem {
                    pk: sk.public_key(),
                    sig: sk.sign(word, extra),
                    word,
                    extra,
                }
            })
            .collect()
    }

    #[test]
    fn a_batch_passes_exactly_when_every_signature_does() {
        let mut rng = Counter(1);
        let good = items(9);
        assert!(verify_batch(&good, &mut rng));
        assert!(verify_batch(&[], &mut rng));
        assert!(find_invalid(&good, &mut rng).is_empty());

        let mut bad = good.clone();
        bad[2].sig.s += Fr::ONE; // a wrong response
        bad[6].word += F::ONE; // a signature over another message
        bad[8].pk = bad[0].pk; // under another key
        assert!(!verify_batch(&bad, &mut rng));
        assert_eq!(find_invalid(&bad, &mut rng), [2, 6, 8]);
        for (i, it) in bad.iter().enumerate() {
            assert_eq!(
                it.sig.verify(&it.pk, it.word, it.extra),
                ![2, 6, 8].contains(&i),
                "the batch answer agrees with one-by-one verification"
            );
        }
    }

    #[test]
    fn points_off_the_curve_fail_the_batch_not_the_verifier() {
        let mut rng = Counter(2);
        let mut b = items(3);
        b[1].sig.ry += F::ONE; // R is no longer a Vesta point
        assert!(!verify_batch(&b, &mut rng));
        assert_eq!(find_invalid(&b, &mut rng), [1]);
        let mut c = items(3);
        c[0].pk = PublicKey::EMPTY;
        assert_eq!(find_invalid(&c, &mut rng), [0]);
        // R at infinity ((0, 0)) with s = c·sk satisfies the equation but is no curve point.
        let mut d = items(40);
        let sk = SecretKey::from_seed(&[34; 32]); // item 33's key
        let e = crate::schnorr::challenge_hash(F::ZERO, &d[33].pk, d[33].word, d[33].extra);
        d[33].sig = Signature {
            rx: F::ZERO,
            ry: F::ZERO,
            s: crate::schnorr::challenge_scalar(&e) * sk.0,
        };
        assert!(!verify_batch(&d, &mut rng));
        assert_eq!(find_invalid(&d, &mut rng), [33]);
    }

    #[test]
    fn a_large_batch_names_every_bad_signature_through_the_halves() {
        let mut rng = Counter(4);
        let mut b = items(70);
        for i in [0, 17, 35, 69] {
            b[i].sig.s += Fr::ONE;
        }
        assert_eq!(find_invalid(&b, &mut rng), [0, 17, 35, 69]);
    }

    #[test]
    fn two_bad_signatures_cannot_cancel_out() {
        // s_a + d and s_b - d: the unweighted sum of the equations still holds, the weighted
        // one does not.
        let mut rng = Counter(3);
        let mut b = items(4);
        b[0].sig.s += Fr::from(5u64);
        b[1].sig.s -= Fr::from(5u64);
        assert!(!verify_batch(&b, &mut rng));
        assert_eq!(find_invalid(&b, &mut rng), [0, 1]);
    }
}
