//! Circuit gadgets: bits and range checks, selection, Vesta affine arithmetic (native to the
//! circuit field), fixed-base windowed and signed-digit variable-base scalar multiplication, and
//! the arity-4 Merkle update. Witness values are computed lazily from the inputs' values, so the
//! same code synthesizes the shape (no values) and the witness.

use crate::hash::{hash4_gadget, Domain};
use crate::F;
use ff::{Field, PrimeField};
use nova_snark::frontend::{
    num::AllocatedNum, ConstraintSystem, LinearCombination, SynthesisError,
};
use std::sync::OnceLock;

pub type Num = AllocatedNum<F>;
type Res<T> = Result<T, SynthesisError>;

pub(crate) fn val(a: &Num) -> Res<F> {
    a.get_value().ok_or(SynthesisError::AssignmentMissing)
}

/// 2^i in the field, i < 256.
pub(crate) fn pow2(i: usize) -> F {
    static T: OnceLock<Vec<F>> = OnceLock::new();
    T.get_or_init(|| {
        let mut v = Vec::with_capacity(256);
        let mut x = F::ONE;
        for _ in 0..256 {
            v.push(x);
            x = x.double();
        }
        v
    })[i]
}

/// Bits (little-endian) of a field element's canonical representation.
pub(crate) fn f_bits(x: &F) -> Vec<bool> {
    let r = x.to_repr();
    (0..256)
        .map(|i| (r.as_ref()[i / 8] >> (i % 8)) & 1 == 1)
        .collect()
}

pub fn alloc<CS: ConstraintSystem<F>>(cs: CS, f: impl FnOnce() -> Res<F>) -> Res<Num> {
    AllocatedNum::alloc(cs, f)
}

/// A constrained boolean (`b·(1−b) = 0`), from a lazily computed value.
pub fn alloc_bit<CS: ConstraintSystem<F>>(mut cs: CS, f: impl FnOnce() -> Res<bool>) -> Res<Num> {
    let a = alloc(cs.namespace(|| "v"), || {
        Ok(if f()? { F::ONE } else { F::ZERO })
    })?;
    cs.enforce(
        || "boolean",
        |lc| lc + a.get_variable(),
        |lc| lc + CS::one() - a.get_variable(),
        |lc| lc,
    );
    Ok(a)
}

/// `n` constrained bits whose values are `bits` (computed lazily, little-endian).
pub fn alloc_bits<CS: ConstraintSystem<F>>(
    cs: &mut CS,
    n: usize,
    bits: Option<Vec<bool>>,
) -> Res<Vec<Num>> {
    (0..n)
        .map(|i| {
            alloc_bit(cs.namespace(|| format!("b{i}")), || {
                bits.as_ref()
                    .and_then(|b| b.get(i).copied())
                    .ok_or(SynthesisError::AssignmentMissing)
            })
        })
        .collect()
}

/// `Σ 2^(i+shift) bits[i]`.
pub fn pack(bits: &[Num], shift: usize) -> LinearCombination<F> {
    bits.iter()
        .enumerate()
        .fold(LinearCombination::zero(), |lc, (i, b)| {
            lc + (pow2(i + shift), b.get_variable())
        })
}

/// Value of `Σ 2^(i+shift) bits[i]`.
pub fn pack_val(bits: &[Num], shift: usize) -> Res<F> {
    bits.iter()
        .enumerate()
        .try_fold(F::ZERO, |acc, (i, b)| Ok(acc + pow2(i + shift) * val(b)?))
}

/// Enforce `lc == x`.
pub fn enforce_eq_lc<CS: ConstraintSystem<F>>(
    cs: &mut CS,
    name: &str,
    lc: LinearCombination<F>,
    x: &Num,
) {
    cs.enforce(
        || name.to_string(),
        |_| lc - x.get_variable(),
        |l| l + CS::one(),
        |l| l,
    );
}

/// Enforce `a == b`.
pub fn enforce_eq<CS: ConstraintSystem<F>>(cs: &mut CS, name: &str, a: &Num, b: &Num) {
    cs.enforce(
        || name.to_string(),
        |l| l + a.get_variable() - b.get_variable(),
        |l| l + CS::one(),
        |l| l,
    );
}

/// Decompose `x` into `n` bits (so `0 <= x < 2^n`, n < 254) and return them.
pub fn range_bits<CS: ConstraintSystem<F>>(cs: &mut CS, x: &Num, n: usize) -> Res<Vec<Num>> {
    let bits = x.get_value().map(|v| f_bits(&v));
    let b = alloc_bits(&mut cs.namespace(|| "bits"), n, bits)?;
    enforce_eq_lc(cs, "pack", pack(&b, 0), x);
    Ok(b)
}

/// `bit ? t : f` (1 constraint: `bit·(t − f) = r − f`).
pub fn select<CS: ConstraintSystem<F>>(mut cs: CS, bit: &Num, t: &Num, f: &Num) -> Res<Num> {
    let r = alloc(cs.namespace(|| "r"), || {
        Ok(if val(bit)? == F::ONE {
            val(t)?
        } else {
            val(f)?
        })
    })?;
    cs.enforce(
        || "select",
        |l| l + bit.get_variable(),
        |l| l + t.get_variable() - f.get_variable(),
        |l| l + r.get_variable() - f.get_variable(),
    );
    Ok(r)
}

/// `bit ? t : c` for a constant `c`.
pub fn select_const<CS: ConstraintSystem<F>>(mut cs: CS, bit: &Num, t: &Num, c: F) -> Res<Num> {
    let r = alloc(cs.namespace(|| "r"), || {
        Ok(if val(bit)? == F::ONE { val(t)? } else { c })
    })?;
    cs.enforce(
        || "select",
        |l| l + bit.get_variable(),
        |l| l + t.get_variable() - (c, CS::one()),
        |l| l + r.get_variable() - (c, CS::one()),
    );
    Ok(r)
}

/// `a · b` where `b` is a linear combination with known value.
pub fn mul_lc<CS: ConstraintSystem<F>>(
    mut cs: CS,
    a: &Num,
    b: &LinearCombination<F>,
    b_val: Option<F>,
) -> Res<Num> {
    let r = alloc(cs.namespace(|| "r"), || {
        Ok(val(a)? * b_val.ok_or(SynthesisError::AssignmentMissing)?)
    })?;
    cs.enforce(
        || "mul",
        |l| l + a.get_variable(),
        |l| l + b,
        |l| l + r.get_variable(),
    );
    Ok(r)
}

/// `10^e` for 5 exponent bits (4 constraints).
pub fn pow10<CS: ConstraintSystem<F>>(cs: &mut CS, e: &[Num]) -> Res<Num> {
    assert_eq!(e.len(), 5);
    let factor = |i: usize| -> (LinearCombination<F>, Option<F>) {
        let k = F::from(10u64).pow_vartime([1u64 << i]) - F::ONE;
        let lc = LinearCombination::zero() + (F::ONE, CS::one()) + (k, e[i].get_variable());
        (lc, e[i].get_value().map(|b| F::ONE + k * b))
    };
    let (f0, v0) = factor(0);
    let (f1, v1) = factor(1);
    let mut acc = alloc(cs.namespace(|| "p1"), || {
        Ok(v0.ok_or(SynthesisError::AssignmentMissing)?
            * v1.ok_or(SynthesisError::AssignmentMissing)?)
    })?;
    cs.enforce(
        || "p1 eq",
        |l| l + &f0,
        |l| l + &f1,
        |l| l + acc.get_variable(),
    );
    for i in 2..5 {
        let (fi, vi) = factor(i);
        acc = mul_lc(cs.namespace(|| format!("p{i}")), &acc, &fi, vi)?;
    }
    Ok(acc)
}

/// An affine Vesta point with allocated coordinates.
#[derive(Clone)]
pub struct Pt {
    pub x: Num,
    pub y: Num,
}

/// Enforce `y^2 = x^3 + 5` (3 constraints).
pub fn on_curve<CS: ConstraintSystem<F>>(cs: &mut CS, p: &Pt) -> Res<()> {
    let xx = p.x.square(cs.namespace(|| "xx"))?;
    let yy = p.y.square(cs.namespace(|| "yy"))?;
    cs.enforce(
        || "curve",
        |l| l + xx.get_variable(),
        |l| l + p.x.get_variable(),
        |l| l + yy.get_variable() - (F::from(5u64), CS::one()),
    );
    Ok(())
}

/// `p + q` for points with `p.x != q.x` (enforced; 4 constraints). With the x-coordinates
/// distinct the chord slope is unique, so the result is the group sum.
pub fn add<CS: ConstraintSystem<F>>(mut cs: CS, p: &Pt, q: &Pt) -> Res<Pt> {
    let inv = alloc(cs.namespace(|| "inv"), || {
        Ok(Option::from((val(&q.x)? - val(&p.x)?).invert()).unwrap_or(F::ZERO))
    })?;
    cs.enforce(
        || "distinct",
        |l| l + q.x.get_variable() - p.x.get_variable(),
        |l| l + inv.get_variable(),
        |l| l + CS::one(),
    );
    let lam = alloc(cs.namespace(|| "lambda"), || {
        Ok((val(&q.y)? - val(&p.y)?) * val(&inv)?)
    })?;
    cs.enforce(
        || "slope",
        |l| l + lam.get_variable(),
        |l| l + q.x.get_variable() - p.x.get_variable(),
        |l| l + q.y.get_variable() - p.y.get_variable(),
    );
    let x3 = alloc(cs.namespace(|| "x3"), || {
        Ok(val(&lam)?.square() - val(&p.x)? - val(&q.x)?)
    })?;
    cs.enforce(
        || "x3 eq",
        |l| l + lam.get_variable(),
        |l| l + lam.get_variable(),
        |l| l + x3.get_variable() + p.x.get_variable() + q.x.get_variable(),
    );
    let y3 = alloc(cs.namespace(|| "y3"), || {
        Ok(val(&lam)? * (val(&p.x)? - val(&x3)?) - val(&p.y)?)
    })?;
    cs.enforce(
        || "y3 eq",
        |l| l + lam.get_variable(),
        |l| l + p.x.get_variable() - x3.get_variable(),
        |l| l + y3.get_variable() + p.y.get_variable(),
    );
    Ok(Pt { x: x3, y: y3 })
}

/// `2p` for a point of the (odd, prime order) group, whose `y` is never 0 (4 constraints).
pub fn double<CS: ConstraintSystem<F>>(mut cs: CS, p: &Pt) -> Res<Pt> {
    let xx = p.x.square(cs.namespace(|| "xx"))?;
    let lam = alloc(cs.namespace(|| "lambda"), || {
        let inv = Option::from(val(&p.y)?.double().invert()).unwrap_or(F::ZERO);
        Ok(val(&xx)? * F::from(3u64) * inv)
    })?;
    cs.enforce(
        || "slope",
        |l| l + lam.get_variable(),
        |l| l + (F::from(2u64), p.y.get_variable()),
        |l| l + (F::from(3u64), xx.get_variable()),
    );
    let x3 = alloc(cs.namespace(|| "x3"), || {
        Ok(val(&lam)?.square() - val(&p.x)?.double())
    })?;
    cs.enforce(
        || "x3 eq",
        |l| l + lam.get_variable(),
        |l| l + lam.get_variable(),
        |l| l + x3.get_variable() + (F::from(2u64), p.x.get_variable()),
    );
    let y3 = alloc(cs.namespace(|| "y3"), || {
        Ok(val(&lam)? * (val(&p.x)? - val(&x3)?) - val(&p.y)?)
    })?;
    cs.enforce(
        || "y3 eq",
        |l| l + lam.get_variable(),
        |l| l + p.x.get_variable() - x3.get_variable(),
        |l| l + y3.get_variable() + p.y.get_variable(),
    );
    Ok(Pt { x: x3, y: y3 })
}

/// Look up one of 8 constant points by 3 bits (3 constraints, Sapling's `lookup3_xy`).
pub fn lookup3<CS: ConstraintSystem<F>>(mut cs: CS, b: &[Num], table: &[(F, F); 8]) -> Res<Pt> {
    let b01 = b[0].mul(cs.namespace(|| "b01"), &b[1])?;
    let idx = || -> Res<usize> {
        let mut i = 0;
        for (k, bit) in b.iter().enumerate().take(3) {
            if val(bit)? == F::ONE {
                i |= 1 << k;
            }
        }
        Ok(i)
    };
    let mut coords = Vec::with_capacity(2);
    for (ci, name) in [(0usize, "x"), (1usize, "y")] {
        let c: Vec<F> = table
            .iter()
            .map(|p| if ci == 0 { p.0 } else { p.1 })
            .collect();
        let r = alloc(cs.namespace(|| name), || Ok(c[idx()?]))?;
        let one = CS::one();
        let (v0, v1, v2, v01) = (
            b[0].get_variable(),
            b[1].get_variable(),
            b[2].get_variable(),
            b01.get_variable(),
        );
        cs.enforce(
            || format!("lookup {name}"),
            |l| l + v2,
            |l| {
                l + (c[4] - c[0], one)
                    + (c[5] - c[4] - c[1] + c[0], v0)
                    + (c[6] - c[4] - c[2] + c[0], v1)
                    + (c[7] - c[6] - c[5] + c[4] - c[3] + c[2] + c[1] - c[0], v01)
            },
            |l| {
                l + r.get_variable()
                    - (c[0], one)
                    - (c[1] - c[0], v0)
                    - (c[2] - c[0], v1)
                    - (c[3] - c[2] - c[1] + c[0], v01)
            },
        );
        coords.push(r);
    }
    let y = coords.pop().ok_or(SynthesisError::AssignmentMissing)?;
    let x = coords.pop().ok_or(SynthesisError::AssignmentMissing)?;
    Ok(Pt { x, y })
}

/// `s·G` from the little-endian bits of `s` (3·windows bits) with per-window constant tables
/// (`crate::circuit::fixed_base_tables`): one lookup per window plus one addition.
pub fn fixed_base_mul<CS: ConstraintSystem<F>>(
    cs: &mut CS,
    bits: &[Num],
    tables: &[[(F, F); 8]],
) -> Res<Pt> {
    assert_eq!(bits.len(), 3 * tables.len());
    let mut acc = lookup3(cs.namespace(|| "w0"), &bits[0..3], &tables[0])?;
    for (w, table) in tables.iter().enumerate().skip(1) {
        let t = lookup3(
            cs.namespace(|| format!("w{w}")),
            &bits[3 * w..3 * w + 3],
            table,
        )?;
        acc = add(cs.namespace(|| format!("add{w}")), &acc, &t)?;
    }
    Ok(acc)
}

/// `c·P` for the signed-digit scalar `c = Σ (2 b_i − 1) 2^i` (bits little-endian):
/// `acc = ±P; acc = 2·acc ± P` per bit (9 constraints per bit). Partial scalars are odd and
/// smaller than the group order, so `2·acc` never equals `±P`: no exceptional case.
pub fn signed_var_base_mul<CS: ConstraintSystem<F>>(cs: &mut CS, bits: &[Num], p: &Pt) -> Res<Pt> {
    let n = bits.len();
    let signed = |cs: &mut CS, i: usize| -> Res<Pt> {
        let b = &bits[i];
        let y = alloc(cs.namespace(|| format!("ty{i}")), || {
            let s = if val(b)? == F::ONE { F::ONE } else { -F::ONE };
            Ok(s * val(&p.y)?)
        })?;
        cs.enforce(
            || format!("sign{i}"),
            |l| l + (F::from(2u64), b.get_variable()) - CS::one(),
            |l| l + p.y.get_variable(),
            |l| l + y.get_variable(),
        );
        Ok(Pt { x: p.x.clone(), y })
    };
    let mut acc = signed(cs, n - 1)?;
    for i in (0..n - 1).rev() {
        let d = double(cs.namespace(|| format!("dbl{i}")), &acc)?;
        let t = signed(cs, i)?;
        acc = add(cs.namespace(|| format!("add{i}")), &d, &t)?;
    }
    Ok(acc)
}

/// One leaf update along an arity-4 path: proves `leaf_old` is at `index` under the returned old
/// root and computes the root with `leaf_new` there instead. `children[l]` are the four
/// children at level `l` (witness); the constraint `Σ eq_j·c_j = cur` pins the current node at
/// its position, and the new children differ from the old only there. 9 constraints per level
/// plus two Poseidon hashes.
pub fn merkle_update<CS: ConstraintSystem<F>>(
    cs: &mut CS,
    index_bits: &[Num],
    leaf_old: Num,
    leaf_new: Num,
    children: &[[F; 4]],
) -> Res<(Num, Num)> {
    let (mut cur_old, mut cur_new) = (leaf_old, leaf_new);
    for (l, ch) in children.iter().enumerate() {
        let mut cs = cs.namespace(|| format!("level{l}"));
        let (b0, b1) = (&index_bits[2 * l], &index_bits[2 * l + 1]);
        let b01 = b0.mul(cs.namespace(|| "b01"), b1)?;
        let one = CS::one();
        let eq = |j: usize| -> LinearCombination<F> {
            let z = LinearCombination::zero();
            match j {
                0 => z + one - b0.get_variable() - b1.get_variable() + b01.get_variable(),
                1 => z + b0.get_variable() - b01.get_variable(),
                2 => z + b1.get_variable() - b01.get_variable(),
                _ => z + b01.get_variable(),
            }
        };
        let eq_val = |j: usize| -> Res<F> {
            let (x0, x1) = (val(b0)?, val(b1)?);
            Ok(match j {
                0 => (F::ONE - x0) * (F::ONE - x1),
                1 => x0 * (F::ONE - x1),
                2 => (F::ONE - x0) * x1,
                _ => x0 * x1,
            })
        };
        let c: Vec<Num> = (0..4)
            .map(|j| alloc(cs.namespace(|| format!("c{j}")), || Ok(ch[j])))
            .collect::<Res<_>>()?;
        let mut prods = Vec::with_capacity(3);
        for (j, cj) in c.iter().enumerate().take(3) {
            let p = alloc(cs.namespace(|| format!("p{j}")), || {
                Ok(eq_val(j)? * val(cj)?)
            })?;
            cs.enforce(
                || format!("p{j} eq"),
                |l| l + &eq(j),
                |l| l + cj.get_variable(),
                |l| l + p.get_variable(),
            );
            prods.push(p);
        }
        cs.enforce(
            || "position",
            |l| l + b01.get_variable(),
            |l| l + c[3].get_variable(),
            |l| {
                l + cur_old.get_variable()
                    - prods[0].get_variable()
                    - prods[1].get_variable()
                    - prods[2].get_variable()
            },
        );
        let mut c_new = Vec::with_capacity(4);
        for (j, cj) in c.iter().enumerate() {
            let n = alloc(cs.namespace(|| format!("n{j}")), || {
                Ok(val(cj)? + eq_val(j)? * (val(&cur_new)? - val(&cur_old)?))
            })?;
            cs.enforce(
                || format!("n{j} eq"),
                |l| l + &eq(j),
                |l| l + cur_new.get_variable() - cur_old.get_variable(),
                |l| l + n.get_variable() - cj.get_variable(),
            );
            c_new.push(n);
        }
        let ho = hash4_gadget(
            &mut cs.namespace(|| "old"),
            Domain::Node,
            [&c[0], &c[1], &c[2], &c[3]],
        )?;
        let hn = hash4_gadget(
            &mut cs.namespace(|| "new"),
            Domain::Node,
            [&c_new[0], &c_new[1], &c_new[2], &c_new[3]],
        )?;
        cur_old = ho;
        cur_new = hn;
    }
    Ok((cur_old, cur_new))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::circuit::{fixed_base_tables, WINDOWS};
    use crate::schnorr::{PublicKey, SecretKey};
    use crate::Fr;
    use halo2curves::pasta::Vesta;
    use nova_snark::frontend::util_cs::test_cs::TestConstraintSystem;

    fn pt(cs: &mut TestConstraintSystem<F>, name: &str, p: PublicKey) -> Pt {
        Pt {
            x: alloc(cs.namespace(|| format!("{name}.x")), || Ok(p.x)).unwrap(),
            y: alloc(cs.namespace(|| format!("{name}.y")), || Ok(p.y)).unwrap(),
        }
    }

    fn value(p: &Pt) -> PublicKey {
        PublicKey {
            x: p.x.get_value().unwrap(),
            y: p.y.get_value().unwrap(),
        }
    }

    #[test]
    fn scalar_muls_match_native() {
        let s = SecretKey::from_seed(&[5; 32]).0;
        let mut cs = TestConstraintSystem::<F>::new();
        let bits: Vec<bool> = f_bits_fr(&s);
        let b = alloc_bits(&mut cs.namespace(|| "s"), 3 * WINDOWS, Some(bits)).unwrap();
        let sg = fixed_base_mul(&mut cs.namespace(|| "sG"), &b, fixed_base_tables()).unwrap();
        assert_eq!(value(&sg), PublicKey::from_point(&(Vesta::generator() * s)));

        let p = SecretKey::from_seed(&[6; 32]).public_key();
        let pp = pt(&mut cs, "P", p);
        let low: u128 = 0x1234_5678_9abc_def0_0fed_cba9_8765_4321;
        let lb: Vec<bool> = (0..128).map(|i| (low >> i) & 1 == 1).collect();
        let kb = alloc_bits(&mut cs.namespace(|| "k"), 128, Some(lb)).unwrap();
        let cp = signed_var_base_mul(&mut cs.namespace(|| "cP"), &kb, &pp).unwrap();
        let two128 = Fr::from_u128(u128::MAX) + Fr::ONE;
        let c = Fr::from_u128(low).double() + Fr::ONE - two128;
        let native = p.to_point().unwrap() * c;
        assert_eq!(value(&cp), PublicKey::from_point(&native));
        assert!(cs.is_satisfied());
    }

    fn f_bits_fr(x: &Fr) -> Vec<bool> {
        let r = x.to_repr();
        (0..3 * WINDOWS)
            .map(|i| (r.as_ref()[i / 8] >> (i % 8)) & 1 == 1)
            .collect()
    }

    #[test]
    fn addition_of_equal_x_is_unsatisfiable() {
        let p = SecretKey::from_seed(&[7; 32]).public_key();
        let neg = PublicKey { x: p.x, y: -p.y };
        for q in [p, neg] {
            let mut cs = TestConstraintSystem::<F>::new();
            let a = pt(&mut cs, "a", p);
            let b = pt(&mut cs, "b", q);
            let _ = add(cs.namespace(|| "add"), &a, &b).unwrap();
            assert!(!cs.is_satisfied());
        }
        // and a doubling agrees with the group law
        let mut cs = TestConstraintSystem::<F>::new();
        let a = pt(&mut cs, "a", p);
        let d = double(cs.namespace(|| "dbl"), &a).unwrap();
        let pp = p.to_point().unwrap();
        assert_eq!(value(&d), PublicKey::from_point(&(pp + pp)));
        assert!(cs.is_satisfied());
    }

    #[test]
    fn range_check_refuses_64_bit_overflow() {
        for (v, ok) in [
            (F::from(u64::MAX), true),
            (F::from(u64::MAX) + F::ONE, false),
            (-F::ONE, false),
        ] {
            let mut cs = TestConstraintSystem::<F>::new();
            let x = alloc(cs.namespace(|| "x"), || Ok(v)).unwrap();
            range_bits(&mut cs, &x, 64).unwrap();
            assert_eq!(cs.is_satisfied(), ok);
        }
    }
}
