//! Schnorr signatures over Vesta (`y^2 = x^3 + 5` over the circuit field `F`, group order = `Fr`).
//!
//! * Keys: `pk = sk * G`, `G = (-1, 2)` (halo2curves' Vesta generator).
//! * Signing a 2-element message `(word, extra)`: deterministic nonce
//!   `r = SHA-512("proof-zk/schnorr/nonce" ‖ sk ‖ word ‖ extra ‖ ctr) mod |Fr|`, `R = r*G`,
//!   `h = Poseidon_Challenge(R.x, pk.x, word, extra)`. The signer retries with the next counter
//!   while `h >= 2^254` (probability ~2^-127), so `h` always has a unique 254-bit decomposition
//!   in-circuit. The challenge scalar is the signed-digit value of the low 128 bits `b_i` of `h`
//!   below two fixed `+1` digits: `c = 3·2^128 + Σ (2 b_i − 1) 2^i = 2·low + 1 + 2^129` (an
//!   injective map onto odd integers, so the challenge space has 2^128 elements), and
//!   `s = r + c·sk`.
//! * Verification: `s*G == R + c*pk` with `R` a Vesta point. The signed-digit form with the fixed
//!   leading digits is what lets the circuit's variable-base multiplication use incomplete
//!   double-and-add formulas without exceptional cases (`gadgets::signed_var_base_mul`).

use crate::hash::{hash4, Domain};
use crate::{Fr, F};
use ff::{Field, FromUniformBytes, PrimeField};
use halo2curves::group::Curve;
use halo2curves::pasta::{Vesta, VestaAffine};
use halo2curves::CurveAffine;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha512};

/// A secret signing key (a Vesta scalar).
#[derive(Clone)]
pub struct SecretKey(pub(crate) Fr);

/// An affine Vesta point; `(0, 0)` is the empty account's key (not a curve point).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicKey {
    pub x: F,
    pub y: F,
}

/// A signature: the nonce point `R` and the response `s`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signature {
    pub rx: F,
    pub ry: F,
    pub s: Fr,
}

impl PublicKey {
    /// The empty account's key.
    pub const EMPTY: PublicKey = PublicKey {
        x: F::ZERO,
        y: F::ZERO,
    };

    pub fn is_empty(&self) -> bool {
        self.x == F::ZERO && self.y == F::ZERO
    }

    /// Whether the key is a point of Vesta (the circuit enforces the same for signers).
    pub fn is_on_curve(&self) -> bool {
        self.y.square() == self.x.square() * self.x + F::from(5u64)
    }

    /// The curve point, if the coordinates satisfy the curve equation. halo2curves' `from_xy`
    /// alone would read `(0, 0)` as the point at infinity, which the circuit refuses (it checks
    /// `y^2 = x^3 + 5`): every native check goes through here so it refuses it too.
    pub(crate) fn to_affine(self) -> Option<VestaAffine> {
        if !self.is_on_curve() {
            return None;
        }
        VestaAffine::from_xy(self.x, self.y).into()
    }

    pub(crate) fn to_point(self) -> Option<Vesta> {
        self.to_affine().map(|a| a.into())
    }

    pub(crate) fn from_point(p: &Vesta) -> PublicKey {
        let a = p.to_affine();
        // The identity has no affine coordinates; it never arises from a non-zero scalar.
        let c: Option<halo2curves::Coordinates<VestaAffine>> = a.coordinates().into();
        match c {
            Some(c) => PublicKey {
                x: *c.x(),
                y: *c.y(),
            },
            None => PublicKey::EMPTY,
        }
    }
}

/// The Vesta generator as affine coordinates.
pub fn generator() -> PublicKey {
    PublicKey::from_point(&Vesta::generator())
}

/// Whether a challenge hash is signable (below 2^254, so its 254-bit decomposition is unique).
pub(crate) fn challenge_ok(h: &F) -> bool {
    h.to_repr().as_ref()[31] < 0x40
}

/// The low 128 bits of the challenge hash, little-endian.
pub(crate) fn challenge_low(h: &F) -> u128 {
    let r = h.to_repr();
    let mut b = [0u8; 16];
    b.copy_from_slice(&r.as_ref()[..16]);
    u128::from_le_bytes(b)
}

/// `c = 2·low + 1 + 2^129` as a Vesta scalar.
pub(crate) fn challenge_scalar(h: &F) -> Fr {
    let low = challenge_low(h);
    let two128 = Fr::from_u128(u128::MAX) + Fr::ONE;
    Fr::from_u128(low).double() + Fr::ONE + two128.double()
}

pub(crate) fn challenge_hash(rx: F, pk: &PublicKey, word: F, extra: F) -> F {
    hash4(Domain::Challenge, [rx, pk.x, word, extra])
}

impl SecretKey {
    /// Derive a key from a 32-byte seed (SHA-512 then reduction: uniform, non-zero w.o.p.).
    pub fn from_seed(seed: &[u8; 32]) -> SecretKey {
        let mut h = Sha512::new();
        h.update(b"proof-zk/schnorr/key");
        h.update(seed);
        let wide: [u8; 64] = h.finalize().into();
        SecretKey(Fr::from_uniform_bytes(&wide))
    }

    pub fn public_key(&self) -> PublicKey {
        PublicKey::from_point(&(Vesta::generator() * self.0))
    }

    /// Sign the message `(word, extra)`; see the module docs.
    pub fn sign(&self, word: F, extra: F) -> Signature {
        let pk = self.public_key();
        let mut ctr: u64 = 0;
        loop {
            let mut h = Sha512::new();
            h.update(b"proof-zk/schnorr/nonce");
            h.update(self.0.to_repr());
            h.update(word.to_repr());
            h.update(extra.to_repr());
            h.update(ctr.to_le_bytes());
            let wide: [u8; 64] = h.finalize().into();
            let r = Fr::from_uniform_bytes(&wide);
            let rp = PublicKey::from_point(&(Vesta::generator() * r));
            let e = challenge_hash(rp.x, &pk, word, extra);
            if r != Fr::ZERO && challenge_ok(&e) {
                let s = r + challenge_scalar(&e) * self.0;
                return Signature {
                    rx: rp.x,
                    ry: rp.y,
                    s,
                };
            }
            ctr += 1;
        }
    }
}

/// Length of an encoded signature: `rx | ry | s`, each 32 bytes little-endian, canonical.
pub const SIGNATURE_BYTES: usize = 96;

/// The message a key signs to prove it is held by whoever deposits it into account `index` of
/// `rollup` (so that account's exits are paid to `depositor`): `word = index << 2 | rollup << 32
/// | "key" << 64`, `extra` = the depositor's canonical address bytes as a field element. The
/// word's two low bits are 0, the no-op kind no transfer or withdrawal signs, so such a
/// signature can never authorise an operation. (A 32-byte contract address contributes its
/// first 31 bytes: a field element holds no more, and two hash-derived addresses never share
/// them.)
pub fn key_possession_message(rollup: u32, index: u32, depositor: &[u8]) -> (F, F) {
    let word = u128::from(index) << 2 | u128::from(rollup) << 32 | 0x6b6579u128 << 64;
    let mut b = [0u8; 32];
    let n = depositor.len().min(31);
    b[..n].copy_from_slice(&depositor[..n]);
    let extra = crate::f_from_bytes(&b).expect("31 bytes are below the modulus");
    (F::from_u128(word), extra)
}

impl Signature {
    pub fn to_bytes(&self) -> [u8; SIGNATURE_BYTES] {
        let mut out = [0u8; SIGNATURE_BYTES];
        out[..32].copy_from_slice(self.rx.to_repr().as_ref());
        out[32..64].copy_from_slice(self.ry.to_repr().as_ref());
        out[64..].copy_from_slice(self.s.to_repr().as_ref());
        out
    }

    /// Strict decoding: canonical field elements and scalar.
    pub fn from_bytes(b: &[u8]) -> Option<Signature> {
        if b.len() != SIGNATURE_BYTES {
            return None;
        }
        let rx = crate::f_from_bytes(b[..32].try_into().ok()?)?;
        let ry = crate::f_from_bytes(b[32..64].try_into().ok()?)?;
        let mut r = <Fr as PrimeField>::Repr::default();
        r.as_mut().copy_from_slice(&b[64..]);
        let s = Option::from(Fr::from_repr(r))?;
        Some(Signature { rx, ry, s })
    }

    /// Native verification (the same equation, and the same points, as the circuit): `R` and
    /// the key must be curve points ([`PublicKey::to_affine`]; an operator that took `(0, 0)`
    /// would confirm a transfer no batch can prove).
    pub fn verify(&self, pk: &PublicKey, word: F, extra: F) -> bool {
        let r = PublicKey {
            x: self.rx,
            y: self.ry,
        };
        let Some(pkp) = pk.to_point() else {
            return false;
        };
        let Some(rp) = r.to_point() else { return false };
        let e = challenge_hash(self.rx, pk, word, extra);
        if !challenge_ok(&e) {
            return false;
        }
        Vesta::generator() * self.s == rp + pkp * challenge_scalar(&e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_possession_messages_are_bound_and_never_an_operation() {
        let (w, e) = key_possession_message(3, 9, &[1; 20]);
        assert_eq!(w.to_repr().as_ref()[0] & 3, 0, "the no-op kind");
        assert_ne!(key_possession_message(4, 9, &[1; 20]), (w, e));
        assert_ne!(key_possession_message(3, 10, &[1; 20]), (w, e));
        assert_ne!(key_possession_message(3, 9, &[2; 20]), (w, e));
        assert_ne!(
            key_possession_message(3, 9, &[0xff; 32]),
            key_possession_message(3, 9, &[0xfe; 32])
        );
    }

    #[test]
    fn sign_verify_and_reject() {
        let sk = SecretKey::from_seed(&[7u8; 32]);
        let pk = sk.public_key();
        assert!(pk.is_on_curve());
        let sig = sk.sign(F::from(42u64), F::from(9u64));
        assert!(sig.verify(&pk, F::from(42u64), F::from(9u64)));
        assert!(!sig.verify(&pk, F::from(43u64), F::from(9u64)));
        assert!(!sig.verify(&pk, F::from(42u64), F::from(8u64)));
        let other = SecretKey::from_seed(&[8u8; 32]).public_key();
        assert!(!sig.verify(&other, F::from(42u64), F::from(9u64)));
        let mut bad = sig;
        bad.s += Fr::ONE;
        assert!(!bad.verify(&pk, F::from(42u64), F::from(9u64)));
        // deterministic
        assert_eq!(sig, sk.sign(F::from(42u64), F::from(9u64)));
        // bytes round-trip strictly
        assert_eq!(Signature::from_bytes(&sig.to_bytes()), Some(sig));
        assert_eq!(Signature::from_bytes(&sig.to_bytes()[1..]), None);
        // R at infinity, with s = c·sk, satisfies s·G = R + c·pk but is no curve point: refused.
        let e = challenge_hash(F::ZERO, &pk, F::from(42u64), F::from(9u64));
        let at_infinity = Signature {
            rx: F::ZERO,
            ry: F::ZERO,
            s: challenge_scalar(&e) * sk.0,
        };
        assert!(
            Vesta::generator() * at_infinity.s == pk.to_point().unwrap() * challenge_scalar(&e),
            "the forged equation holds"
        );
        assert!(!at_infinity.verify(&pk, F::from(42u64), F::from(9u64)));
        assert!(!sig.verify(&PublicKey::EMPTY, F::from(42u64), F::from(9u64)));
        let mut over = sig.to_bytes();
        over[..32].fill(0xff);
        assert_eq!(Signature::from_bytes(&over), None);
        assert_eq!(
            generator(),
            PublicKey {
                x: -F::ONE,
                y: F::from(2u64)
            }
        );
    }
}
