//! Circuit gadgets: bits and range checks, selection, Vesta affine arithmetic (native to the
//! circuit field), fixed-base windowed and signed-digit variable-base scalar multiplication, and
//! the arity-8 Merkle update. Witness values are computed lazily from the inputs' values, so the
//! same code synthesizes the shape (no values) and the witness.

use crate::hash::{hash_node_gadget, NODE_ARITY};
use crate::tree::{ARITY_BITS, INDEX_BITS, PATH_LEVELS};
use crate::F;
use ff::{Field, PrimeField};
use nova_snark::frontend::{
    gadgets::poseidon::Elt, num, num::AllocatedNum, ConstraintSystem, LinearCombination,
    SynthesisError,
};
use std::sync::OnceLock;

pub type Num = AllocatedNum<F>;
/// A linear combination with its value (no variable of its own).
type LcNum = num::Num<F>;
type Res<T> = Result<T, SynthesisError>;

/// `1/x`, or 0 for `x = 0` (then the constraint that uses it is unsatisfied).
fn inv0(x: F) -> F {
    Option::from(x.invert()).unwrap_or(F::ZERO)
}

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
    let inv = alloc(cs.namespace(|| "inv"), || Ok(inv0(val(&q.x)? - val(&p.x)?)))?;
    cs.enforce(
        || "distinct",
        |l| l + q.x.get_variable() - p.x.get_variable(),
        |l| l + inv.get_variable(),
        |l| l + CS::one(),
    );
    let lam = chord_slope(cs.namespace(|| "lambda"), p, q)?;
    let x3 = chord_x(cs.namespace(|| "x3"), &lam, &p.x, &q.x)?;
    reflect(cs.namespace(|| "y3"), &lam, p, x3)
}

/// The slope `λ` of the line through `p` and `q`: `λ·(q.x − p.x) = q.y − p.y` (1 constraint). It
/// is unique only if `p.x ≠ q.x`, which callers enforce or guarantee; a zero denominator leaves
/// the constraint unsatisfied for any `q.y ≠ p.y`.
fn chord_slope<CS: ConstraintSystem<F>>(mut cs: CS, p: &Pt, q: &Pt) -> Res<Num> {
    let lam = alloc(cs.namespace(|| "value"), || {
        Ok((val(&q.y)? - val(&p.y)?) * inv0(val(&q.x)? - val(&p.x)?))
    })?;
    cs.enforce(
        || "slope",
        |l| l + lam.get_variable(),
        |l| l + q.x.get_variable() - p.x.get_variable(),
        |l| l + q.y.get_variable() - p.y.get_variable(),
    );
    Ok(lam)
}

/// `x3 = λ² − x1 − x2`: the x of the third point on the line of slope `λ` through the points with
/// x-coordinates `x1`, `x2` (1 constraint).
fn chord_x<CS: ConstraintSystem<F>>(mut cs: CS, lam: &Num, x1: &Num, x2: &Num) -> Res<Num> {
    let x3 = alloc(cs.namespace(|| "x"), || {
        Ok(val(lam)?.square() - val(x1)? - val(x2)?)
    })?;
    cs.enforce(
        || "x eq",
        |l| l + lam.get_variable(),
        |l| l + lam.get_variable(),
        |l| l + x3.get_variable() + x1.get_variable() + x2.get_variable(),
    );
    Ok(x3)
}

/// The third point of the line of slope `λ` through `p`, at `x3`, reflected:
/// `y3 = λ·(p.x − x3) − p.y` (1 constraint).
fn reflect<CS: ConstraintSystem<F>>(mut cs: CS, lam: &Num, p: &Pt, x3: Num) -> Res<Pt> {
    let y3 = alloc(cs.namespace(|| "y"), || {
        Ok(val(lam)? * (val(&p.x)? - val(&x3)?) - val(&p.y)?)
    })?;
    cs.enforce(
        || "y eq",
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
    reflect(cs.namespace(|| "y3"), &lam, p, x3)
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

/// `2a + t` in one step (Eisenträger–Lauter–Montgomery: `(a + t) + a` without the middle `y`;
/// 5 constraints instead of 8 for a doubling then an addition). Requires `a.x != t.x` and
/// `(a + t).x != a.x`; callers guarantee both for every assignment, which makes every slope, and
/// so the result, unique: unlike [`add`] there is no inverse check.
pub fn double_add<CS: ConstraintSystem<F>>(mut cs: CS, a: &Pt, t: &Pt) -> Res<Pt> {
    let l1 = chord_slope(cs.namespace(|| "lambda1"), a, t)?;
    let x3 = chord_x(cs.namespace(|| "x3"), &l1, &a.x, &t.x)?;
    // slope from (a + t) back to a: 2·a.y / (a.x − x3) − lambda1
    let l2 = alloc(cs.namespace(|| "lambda2"), || {
        // a zero denominator (impossible for callers' inputs) leaves the constraint unsatisfied
        Ok(val(&a.y)?.double() * inv0(val(&a.x)? - val(&x3)?) - val(&l1)?)
    })?;
    cs.enforce(
        || "slope2",
        |l| l + l1.get_variable() + l2.get_variable(),
        |l| l + a.x.get_variable() - x3.get_variable(),
        |l| l + (F::from(2u64), a.y.get_variable()),
    );
    let x4 = chord_x(cs.namespace(|| "x4"), &l2, &x3, &a.x)?;
    reflect(cs.namespace(|| "y4"), &l2, a, x4)
}

/// `c·P` for `c = 3·2^n + Σ (2 b_i − 1) 2^i` (`n` bits little-endian; the signed digits below
/// two fixed `+1` digits, see `schnorr::challenge_scalar`): `acc = 3P` (a checked doubling and
/// addition), then `acc = 2·acc ± P` per bit with [`double_add`] (6 constraints per bit with the
/// sign). The fixed digits are what makes `double_add` safe: every partial scalar `k` is odd with
/// `3 ≤ |k| < 2^(n+2)`, far below the group order, so neither `acc = ±P` nor `acc ± P = −acc` can
/// hold for any assignment of the bits (with a leading `±1` instead, `k = ±1` could repeat).
pub fn signed_var_base_mul<CS: ConstraintSystem<F>>(cs: &mut CS, bits: &[Num], p: &Pt) -> Res<Pt> {
    let d = double(cs.namespace(|| "2P"), p)?;
    let mut acc = add(cs.namespace(|| "3P"), &d, p)?;
    for (i, b) in bits.iter().enumerate().rev() {
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
        let t = Pt { x: p.x.clone(), y };
        acc = double_add(cs.namespace(|| format!("dbl-add{i}")), &acc, &t)?;
    }
    Ok(acc)
}

/// Enforce `cur == children[digit]` where `digit` has the little-endian `bits`, with a tree of
/// selections (`m = a + b·(c − a)`, bit 0 on adjacent pairs first): `NODE_ARITY − 1` constraints,
/// the last one checked against `cur` instead of allocated.
fn enforce_child_at<CS: ConstraintSystem<F>>(
    cs: &mut CS,
    bits: &[Num],
    children: &[Num],
    cur: &Num,
) -> Res<()> {
    let mut layer = children.to_vec();
    for (t, bit) in bits.iter().enumerate() {
        let last = t + 1 == bits.len();
        let mut next = Vec::with_capacity(layer.len() / 2);
        for (k, pair) in layer.chunks(2).enumerate() {
            let (a, b) = (&pair[0], &pair[1]);
            let m = if last {
                cur.clone()
            } else {
                alloc(cs.namespace(|| format!("mux{t}.{k}")), || {
                    Ok(if val(bit)? == F::ONE {
                        val(b)?
                    } else {
                        val(a)?
                    })
                })?
            };
            cs.enforce(
                || format!("mux{t}.{k} eq"),
                |l| l + bit.get_variable(),
                |l| l + b.get_variable() - a.get_variable(),
                |l| l + m.get_variable() - a.get_variable(),
            );
            next.push(m);
        }
        layer = next;
    }
    Ok(())
}

/// `eq_j · delta` for every child position `j` (`eq_j` = 1 at the digit with the little-endian
/// `bits`, else 0): `delta` is split by the top bit, each half by the next, and so on
/// (`NODE_ARITY − 1` products; the other half of each split is linear).
fn split_by_digit<CS: ConstraintSystem<F>>(
    cs: &mut CS,
    bits: &[Num],
    delta: LcNum,
) -> Res<Vec<LcNum>> {
    let mut pieces = vec![delta];
    for (t, bit) in bits.iter().enumerate().rev() {
        let mut next = Vec::with_capacity(2 * pieces.len());
        for (h, p) in pieces.into_iter().enumerate() {
            let hi = alloc(cs.namespace(|| format!("split{t}.{h}")), || {
                Ok(val(bit)? * p.get_value().ok_or(SynthesisError::AssignmentMissing)?)
            })?;
            cs.enforce(
                || format!("split{t}.{h} eq"),
                |l| l + bit.get_variable(),
                |_| p.lc(F::ONE),
                |l| l + hi.get_variable(),
            );
            let hi = LcNum::from(hi);
            next.push(p.add(&hi.clone().scale(-F::ONE)));
            next.push(hi);
        }
        pieces = next;
    }
    Ok(pieces)
}

/// `children` with `old` replaced by `new` at the position with little-endian `bits`, after
/// proving `old` is there: a selection tree pins it (`children.len() − 1` constraints) and the new
/// children are `c_j + eq_j·(new − old)` (`children.len() − 1` products), as linear combinations.
fn replace_child<CS: ConstraintSystem<F>>(
    cs: &mut CS,
    bits: &[Num],
    children: &[Num],
    old: &Num,
    new: &Num,
) -> Res<Vec<LcNum>> {
    if children.len() != 1 << bits.len() {
        return Err(SynthesisError::Unsatisfiable(
            "children per index bits".into(),
        ));
    }
    enforce_child_at(cs, bits, children, old)?;
    let delta = LcNum::from(new.clone()).add(&LcNum::from(old.clone()).scale(-F::ONE));
    let pieces = split_by_digit(cs, bits, delta)?;
    Ok(children
        .iter()
        .zip(pieces)
        .map(|(c, piece)| LcNum::from(c.clone()).add(&piece))
        .collect())
}

/// One leaf update along a path of [`NODE_ARITY`]-ary nodes: proves `leaf_old` is at the index
/// with little-endian `index_bits` under the returned old root and computes the root with
/// `leaf_new` there instead. `children[l]` are the node's children at level `l` (witness). Per
/// level: the current node is pinned at its position among the children (7 constraints), the new
/// children are the old ones plus `eq_j·(new − old)` (7 constraints; linear combinations, not
/// allocated), and two node hashes.
pub fn merkle_update<CS: ConstraintSystem<F>>(
    cs: &mut CS,
    index_bits: &[Num],
    leaf_old: Num,
    leaf_new: Num,
    children: &[[F; NODE_ARITY]],
) -> Res<(Num, Num)> {
    let (mut cur_old, mut cur_new) = (leaf_old, leaf_new);
    for (l, ch) in children.iter().enumerate() {
        let mut cs = cs.namespace(|| format!("level{l}"));
        let bits = &index_bits[ARITY_BITS * l..ARITY_BITS * (l + 1)];
        let c: Vec<Num> = ch
            .iter()
            .enumerate()
            .map(|(j, v)| alloc(cs.namespace(|| format!("c{j}")), || Ok(*v)))
            .collect::<Res<_>>()?;
        let replaced = replace_child(&mut cs, bits, &c, &cur_old, &cur_new)?;
        let old: [Elt<F>; NODE_ARITY] = std::array::from_fn(|j| Elt::Allocated(c[j].clone()));
        let new: [Elt<F>; NODE_ARITY] = std::array::from_fn(|j| Elt::Num(replaced[j].clone()));
        cur_old = hash_node_gadget(&mut cs.namespace(|| "old"), &old)?;
        cur_new = hash_node_gadget(&mut cs.namespace(|| "new"), &new)?;
    }
    Ok((cur_old, cur_new))
}

/// The top of the tree carried in the running state: proves `node_old` is the entry of `top` at
/// the position with little-endian `bits` and returns `top` with `node_new` there instead
/// (`top.len() − 1` selections and as many products, plus one allocation per entry tied to its
/// linear combination by a linear constraint, which adds nothing to Nova's cross term).
pub fn update_top<CS: ConstraintSystem<F>>(
    cs: &mut CS,
    bits: &[Num],
    top: &[Num],
    node_old: &Num,
    node_new: &Num,
) -> Res<Vec<Num>> {
    replace_child(cs, bits, top, node_old, node_new)?
        .into_iter()
        .enumerate()
        .map(|(j, lc)| {
            let n = alloc(cs.namespace(|| format!("top{j}")), || {
                lc.get_value().ok_or(SynthesisError::AssignmentMissing)
            })?;
            enforce_eq_lc(cs, &format!("top{j} eq"), lc.lc(F::ONE), &n);
            Ok(n)
        })
        .collect()
}

/// One leaf update in the tree whose top nodes are in the running state: the path from the leaf
/// up to its top node ([`merkle_update`] over `children`, the levels below the top), then the top
/// node replaced ([`update_top`] by the index's remaining high bits). Returns the new top.
pub fn update_leaf<CS: ConstraintSystem<F>>(
    cs: &mut CS,
    index_bits: &[Num],
    leaf_old: Num,
    leaf_new: Num,
    children: &[[F; NODE_ARITY]],
    top: &[Num],
) -> Res<Vec<Num>> {
    if children.len() != PATH_LEVELS || index_bits.len() != INDEX_BITS {
        return Err(SynthesisError::Unsatisfiable("leaf update shape".into()));
    }
    let (node_old, node_new) = merkle_update(cs, index_bits, leaf_old, leaf_new, children)?;
    update_top(
        &mut cs.namespace(|| "top"),
        &index_bits[ARITY_BITS * PATH_LEVELS..],
        top,
        &node_old,
        &node_new,
    )
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
        // includes the digit patterns that keep a plain signed-digit ladder at ±P (10000…, 01111…)
        let lows: [u128; 5] = [
            0x1234_5678_9abc_def0_0fed_cba9_8765_4321,
            0,
            u128::MAX,
            1 << 127,
            (1 << 127) - 1,
        ];
        for (n, low) in lows.into_iter().enumerate() {
            let lb: Vec<bool> = (0..128).map(|i| (low >> i) & 1 == 1).collect();
            let kb = alloc_bits(&mut cs.namespace(|| format!("k{n}")), 128, Some(lb)).unwrap();
            let cp = signed_var_base_mul(&mut cs.namespace(|| format!("cP{n}")), &kb, &pp).unwrap();
            let c = crate::schnorr::challenge_scalar(&F::from_u128(low));
            let native = p.to_point().unwrap() * c;
            assert_eq!(value(&cp), PublicKey::from_point(&native), "low {low:#x}");
        }
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

    /// The Merkle update reproduces the native old and new roots at every digit position, and
    /// a witness with the wrong position or a forged sibling does not reach the old root.
    use crate::tree::{Account, AccountTree, INDEX_BITS};

    /// A tree with an account at each of `filled` (key from `seed`, balances 10, 11, …).
    fn filled_tree(seed: u8, filled: &[u32]) -> AccountTree {
        let pk = SecretKey::from_seed(&[seed; 32]).public_key();
        let mut t = AccountTree::new();
        for (i, idx) in filled.iter().enumerate() {
            let a = Account {
                pubkey: pk,
                balance: 10 + i as u64,
                nonce: 0,
            };
            t.set(*idx, a);
        }
        t
    }

    /// A constraint system holding the bits of `bits_of` and the old and new leaf hashes of
    /// `index` in `t` (balance + 1), and the tree after that update.
    fn leaf_update(
        t: &AccountTree,
        index: u32,
        bits_of: u32,
    ) -> (TestConstraintSystem<F>, Vec<Num>, Num, Num, AccountTree) {
        let old = t.get(index);
        let mut new_t = t.clone();
        let mut a = old;
        a.balance += 1;
        new_t.set(index, a);
        let mut cs = TestConstraintSystem::<F>::new();
        let bits: Vec<bool> = (0..INDEX_BITS).map(|i| (bits_of >> i) & 1 == 1).collect();
        let b = alloc_bits(&mut cs.namespace(|| "idx"), INDEX_BITS, Some(bits)).unwrap();
        let lo = alloc(cs.namespace(|| "lo"), || Ok(old.hash())).unwrap();
        let ln = alloc(cs.namespace(|| "ln"), || Ok(a.hash())).unwrap();
        (cs, b, lo, ln, new_t)
    }

    #[test]
    fn merkle_update_matches_native_tree() {
        let filled = [0u32, 1, 7, 8, 63, 64, 4095, 0xfff_fff];
        let t = filled_tree(8, &filled);
        let run = |t: &AccountTree, index: u32, bits_of: u32, children: Vec<[F; NODE_ARITY]>| {
            let (mut cs, b, lo, ln, new_t) = leaf_update(t, index, bits_of);
            let (ro, rn) = merkle_update(&mut cs, &b, lo, ln, &children).unwrap();
            let ok = cs.is_satisfied() && ro.get_value() == Some(t.root());
            (ok, rn.get_value() == Some(new_t.root()))
        };
        for idx in filled.iter().chain(&[5u32, 0x123_456]) {
            assert_eq!(run(&t, *idx, *idx, t.children(*idx)), (true, true), "{idx}");
        }
        // the path of index 7 claimed at position 6 (same siblings)
        assert!(!run(&t, 7, 6, t.children(7)).0);
        // a forged sibling
        let mut forged = t.children(64);
        forged[2][5] += F::ONE;
        assert!(!run(&t, 64, 64, forged).0);
    }

    #[test]
    fn top_update_matches_native_tree() {
        use crate::tree::TOP_NODES;
        let filled = [0u32, 9, 1 << 18, 5 << 18, 0xfff_fff];
        let t = filled_tree(9, &filled);
        // the path below the top, then the top update on the state's `top`
        let run = |t: &AccountTree, index: u32, bits_of: u32, top: Vec<F>| {
            let (mut cs, b, lo, ln, new_t) = leaf_update(t, index, bits_of);
            let top: Vec<Num> = top
                .iter()
                .enumerate()
                .map(|(j, v)| alloc(cs.namespace(|| format!("t{j}")), || Ok(*v)).unwrap())
                .collect();
            let out = update_leaf(&mut cs, &b, lo, ln, &t.path_children(index), &top).unwrap();
            let out: Vec<F> = out.iter().map(|n| n.get_value().unwrap()).collect();
            (cs.is_satisfied(), out == new_t.top())
        };
        assert_eq!(t.top().len(), TOP_NODES);
        for idx in filled.iter().chain(&[5u32, 3 << 18, 0x123_456]) {
            assert_eq!(run(&t, *idx, *idx, t.top()), (true, true), "{idx}");
        }
        // the same path claimed under another top node (only the top digits differ)
        assert!(!run(&t, 1 << 18, 5 << 18, t.top()).0);
        // a state whose top node above the account is wrong
        let mut top = t.top();
        top[5] += F::ONE;
        assert!(!run(&t, 5 << 18, 5 << 18, top).0);
        // a wrong node elsewhere in the top does not matter to this access
        let mut top = t.top();
        top[6] += F::ONE;
        assert!(run(&t, 5 << 18, 5 << 18, top).0);
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
