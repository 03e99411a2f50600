//! The little field arithmetic contracts need about rollup keys: whether 32 bytes are a field
//! element, and whether a point is on Vesta (`y² = x³ + 5` over the circuit field, Pallas' scalar
//! field). Deposits are checked with it, because a key no batch can carry would block the
//! deposit queue behind it. Constant-time does not matter here: every input is public.

use crate::codec::Hex32;

/// The circuit field's modulus, little-endian 64-bit limbs.
const P: [u64; 4] = [
    0x8c46eb2100000001,
    0x224698fc0994a8dd,
    0x0000000000000000,
    0x4000000000000000,
];

fn limbs(x: &Hex32) -> [u64; 4] {
    let mut out = [0u64; 4];
    for (i, l) in out.iter_mut().enumerate() {
        *l = u64::from_le_bytes(x.0[8 * i..8 * i + 8].try_into().expect("8 bytes"));
    }
    out
}

fn less(a: &[u64; 4], b: &[u64; 4]) -> bool {
    for i in (0..4).rev() {
        if a[i] != b[i] {
            return a[i] < b[i];
        }
    }
    false
}

/// `a - b` (wrapping), for `a >= b` in use.
fn sub(a: &[u64; 4], b: &[u64; 4]) -> [u64; 4] {
    let mut out = [0u64; 4];
    let mut borrow = 0u64;
    for i in 0..4 {
        let (d, b1) = a[i].overflowing_sub(b[i]);
        let (d, b2) = d.overflowing_sub(borrow);
        out[i] = d;
        borrow = u64::from(b1 || b2);
    }
    out
}

/// `(a + b) mod p` for `a, b < p` (p < 2^255, so the sum never overflows 256 bits).
fn add_mod(a: &[u64; 4], b: &[u64; 4]) -> [u64; 4] {
    let mut out = [0u64; 4];
    let mut carry = 0u64;
    for i in 0..4 {
        let (s, c1) = a[i].overflowing_add(b[i]);
        let (s, c2) = s.overflowing_add(carry);
        out[i] = s;
        carry = u64::from(c1 || c2);
    }
    if !less(&out, &P) {
        out = sub(&out, &P);
    }
    out
}

/// `(a · b) mod p` by double-and-add over `b`'s bits (256 steps; inputs below p).
fn mul_mod(a: &[u64; 4], b: &[u64; 4]) -> [u64; 4] {
    let mut acc = [0u64; 4];
    for i in (0..4).rev() {
        for bit in (0..64).rev() {
            acc = add_mod(&acc, &acc);
            if b[i] >> bit & 1 == 1 {
                acc = add_mod(&acc, a);
            }
        }
    }
    acc
}

/// Whether 32 little-endian bytes are a canonical field element (below the modulus): what the
/// chain's decoder requires of every key coordinate and recipient in batch data.
pub fn is_canonical_field(x: &Hex32) -> bool {
    less(&limbs(x), &P)
}

/// Whether `(x, y)` is a point of Vesta with canonical coordinates (the identity has none).
pub fn is_on_curve(x: &Hex32, y: &Hex32) -> bool {
    if !is_canonical_field(x) || !is_canonical_field(y) {
        return false;
    }
    let (x, y) = (limbs(x), limbs(y));
    let lhs = mul_mod(&y, &y);
    let rhs = add_mod(&mul_mod(&mul_mod(&x, &x), &x), &[5, 0, 0, 0]);
    lhs == rhs
}

/// The 64 bytes (`word | extra`) a rollup key signs to prove it is held by `depositor` for
/// account `index` of `rollup`: `proof_zk::schnorr::key_possession_message`'s encoding (the
/// chain's tests check they agree; a 32-byte address contributes its first 31 bytes).
pub fn key_possession_message(rollup: u32, index: u32, depositor: &[u8]) -> [u8; 64] {
    let word = u128::from(index) << 2 | u128::from(rollup) << 32 | 0x6b6579u128 << 64;
    let mut out = [0u8; 64];
    out[..16].copy_from_slice(&word.to_le_bytes());
    let n = depositor.len().min(31);
    out[32..32 + n].copy_from_slice(&depositor[..n]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn le(l: [u64; 4]) -> Hex32 {
        let mut b = [0u8; 32];
        for i in 0..4 {
            b[8 * i..8 * i + 8].copy_from_slice(&l[i].to_le_bytes());
        }
        Hex32(b)
    }

    #[test]
    fn field_elements_are_canonical_only_below_the_modulus() {
        assert!(is_canonical_field(&Hex32([0; 32])));
        assert!(!is_canonical_field(&le(P)));
        let mut p1 = P;
        p1[0] -= 1;
        assert!(is_canonical_field(&le(p1)), "p - 1");
        assert!(!is_canonical_field(&Hex32([0xff; 32])));
    }

    #[test]
    fn arithmetic_wraps_at_the_modulus() {
        let mut p1 = P;
        p1[0] -= 1; // -1
        assert_eq!(add_mod(&p1, &[1, 0, 0, 0]), [0; 4]);
        assert_eq!(mul_mod(&p1, &p1), [1, 0, 0, 0], "(-1)² = 1");
        assert_eq!(mul_mod(&[3, 0, 0, 0], &[7, 0, 0, 0]), [21, 0, 0, 0]);
    }

    #[test]
    fn points_on_vesta_are_told_from_points_off_it() {
        // x = -1: y² = -1 + 5 = 4, so y = 2 is on the curve.
        let mut m1 = P;
        m1[0] -= 1;
        assert!(is_on_curve(&le(m1), &le([2, 0, 0, 0])));
        assert!(!is_on_curve(&le(m1), &le([3, 0, 0, 0])));
        assert!(
            !is_on_curve(&Hex32([0; 32]), &Hex32([0; 32])),
            "the empty key"
        );
        assert!(!is_on_curve(&le(P), &le([2, 0, 0, 0])), "non-canonical x");
    }
}
