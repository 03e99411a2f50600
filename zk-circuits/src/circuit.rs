//! The Nova step circuit: `K` operation slots per step over the running state
//! `z = [top_0 … top_63, data_acc, op_count, fee_total, rollup]`, where `top` are the tree's nodes at level
//! [`PATH_LEVELS`](crate::tree::PATH_LEVELS) (two levels below the root). Carrying them in the state instead of the root saves
//! re-hashing the top two levels on each of a slot's four paths (8 of 32 node hashes); the
//! verifier hashes `top` to the root natively.
//!
//! Each slot (see `README.md` for the constraint table):
//! 1. kind bits `(dep, tr, wd)` with `real = dep + tr + wd ∈ {0,1}`, `sig = tr + wd`;
//! 2. the 98-bit operation word from its bits (from, to: 24 bits each, packed amount and fee),
//!    amount = mantissa·10^exp, fee likewise;
//! 3. accumulator `acc' = real ? Poseidon_Acc(acc, word, e1, e2) : acc`, `count' = count + real`,
//!    `fees' = fees + sig·fee`;
//! 4. leaf A (`from`): proves the old leaf under its top node, debits `sig·(amount + fee)` with a
//!    64-bit range check of the new balance (no overdraft), bumps the nonce by `sig`, and replaces
//!    the top node;
//! 5. signature: the signer key is leaf A's key (or the generator for unsigned kinds), must be on
//!    the curve, and `s·G == R + c·pk` with `c` from `Poseidon_Challenge(R.x, pk.x, word +
//!    nonce·2^98 + rollup·2^162, e1)` where `nonce` is leaf A's current nonce (so a signature
//!    cannot be replayed) and `rollup` the state's rollup id (nor replayed in another rollup);
//! 6. leaf B (`to`): proves the old leaf under the top after step 4, credits `(dep + tr)·amount`
//!    with a 64-bit range check, a deposit sets the key if the account is empty (else it must
//!    match), and a transfer's receiver must hold a key (a curve point).

use crate::gadgets::*;
use crate::hash::{hash4_gadget, Domain, NODE_ARITY};
use crate::ops::{
    PublicOp, RollupId, AMOUNT_MANTISSA_BITS, EXP_BITS, FEE_MANTISSA_BITS, KIND_DEPOSIT,
    KIND_TRANSFER, KIND_WITHDRAW, ROLLUP_SHIFT, WORD_BITS,
};
use crate::schnorr::{generator, PublicKey, SecretKey, Signature};
use crate::tree::{Account, AccountTree, INDEX_BITS, TOP_NODES};
use crate::{Fr, F};
use ff::{Field, PrimeField};
use halo2curves::pasta::Vesta;
use nova_snark::frontend::{
    num::AllocatedNum, ConstraintSystem, LinearCombination, SynthesisError,
};
use nova_snark::traits::circuit::StepCircuit;
use std::sync::OnceLock;

/// Number of 3-bit windows of the fixed-base multiplication (255-bit scalars).
pub const WINDOWS: usize = 85;

/// Per-window tables for `s·G`: window `w`, digit `d` holds `(d+1)·8^w·G`, except window 0
/// which also subtracts `Σ_w 8^w·G`, so the sum over windows is exactly `s·G` and no entry is
/// the identity.
pub fn fixed_base_tables() -> &'static Vec<[(F, F); 8]> {
    static T: OnceLock<Vec<[(F, F); 8]>> = OnceLock::new();
    T.get_or_init(|| {
        let g = Vesta::generator();
        let eight = Fr::from(8u64);
        let mut offset = Fr::ZERO;
        let mut p = Fr::ONE;
        for _ in 0..WINDOWS {
            offset += p;
            p *= eight;
        }
        let mut base = Fr::ONE;
        let mut out = Vec::with_capacity(WINDOWS);
        for w in 0..WINDOWS {
            let mut t = [(F::ZERO, F::ZERO); 8];
            for (d, e) in t.iter_mut().enumerate() {
                let mut k = Fr::from(d as u64 + 1) * base;
                if w == 0 {
                    k -= offset;
                }
                let pk = PublicKey::from_point(&(g * k));
                *e = (pk.x, pk.y);
            }
            out.push(t);
            base *= eight;
        }
        out
    })
}

/// Everything one slot needs: the public op, the signature, and both leaves with their paths.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlotWitness {
    pub op: PublicOp,
    /// For unsigned kinds (deposit, no-op) a signature by the key `1` (public key = `G`).
    pub sig: Signature,
    pub acct_a: Account,
    pub children_a: Vec<[F; NODE_ARITY]>,
    pub acct_b: Account,
    pub children_b: Vec<[F; NODE_ARITY]>,
}

impl SlotWitness {
    /// Apply `op` to `tree` exactly as the circuit does (no validity checks: balances wrap, which
    /// the circuit's range checks then refuse) and return the slot's witness. `rollup` is only
    /// used to sign unsigned kinds with the unit key.
    pub fn apply(
        tree: &mut AccountTree,
        rollup: RollupId,
        op: &PublicOp,
        sig: Option<Signature>,
    ) -> SlotWitness {
        let amount = op.amount().unwrap_or(u64::MAX);
        let fee = if op.needs_sig() {
            op.fee().unwrap_or(u64::MAX)
        } else {
            0
        };
        let acct_a = tree.get(op.from);
        let children_a = tree.path_children(op.from);
        if op.needs_sig() {
            let mut a = acct_a;
            a.balance = a.balance.wrapping_sub(amount).wrapping_sub(fee);
            a.nonce = a.nonce.wrapping_add(1);
            tree.set(op.from, a);
        }
        let acct_b = tree.get(op.to);
        let children_b = tree.path_children(op.to);
        if op.kind == KIND_DEPOSIT || op.kind == KIND_TRANSFER {
            let mut b = acct_b;
            b.balance = b.balance.wrapping_add(amount);
            if op.kind == KIND_DEPOSIT {
                b.pubkey = PublicKey {
                    x: op.extra[0],
                    y: op.extra[1],
                };
            }
            tree.set(op.to, b);
        }
        let sig = match sig {
            Some(s) if op.needs_sig() => s,
            _ => unit_key().sign(op.sig_word(rollup, acct_a.nonce), op.extra[0]),
        };
        SlotWitness {
            op: *op,
            sig,
            acct_a,
            children_a,
            acct_b,
            children_b,
        }
    }

    /// A padding slot on `tree` (changes nothing).
    pub fn noop(tree: &mut AccountTree, rollup: RollupId) -> SlotWitness {
        SlotWitness::apply(tree, rollup, &PublicOp::NOOP, None)
    }
}

fn unit_key() -> &'static SecretKey {
    static K: OnceLock<SecretKey> = OnceLock::new();
    K.get_or_init(|| SecretKey(Fr::ONE))
}

/// The step circuit: `slots.len()` operations per Nova step.
#[derive(Clone, Debug)]
pub struct RollupStep {
    pub slots: Vec<SlotWitness>,
}

impl RollupStep {
    /// A step of `k` no-ops on the empty tree (used to derive the circuit's shape).
    pub fn blank(k: usize) -> RollupStep {
        let mut t = AccountTree::new();
        RollupStep {
            slots: (0..k)
                .map(|_| SlotWitness::noop(&mut t, RollupId(0)))
                .collect(),
        }
    }
}

/// Position of the data accumulator in `z` (after the top nodes).
pub const Z_ACC: usize = TOP_NODES;
/// Position of the operation count in `z`.
pub const Z_COUNT: usize = TOP_NODES + 1;
/// Position of the fee total in `z`.
pub const Z_FEES: usize = TOP_NODES + 2;
/// Position of the rollup id in `z` (passed through every step unchanged).
pub const Z_ROLLUP: usize = TOP_NODES + 3;
/// The running state's length: the top nodes, accumulator, count, fees and rollup id.
pub const ARITY: usize = TOP_NODES + 4;

/// The running state before the first step of `rollup` on `tree`: its top nodes, zeros and the
/// rollup id.
pub fn initial_z(tree: &AccountTree, rollup: RollupId) -> Vec<F> {
    initial_z_from_top(tree.top(), rollup)
}

/// [`initial_z`] from the top nodes alone (what the verifier has).
pub fn initial_z_from_top(mut top: Vec<F>, rollup: RollupId) -> Vec<F> {
    top.extend([F::ZERO, F::ZERO, F::ZERO, F::from(rollup)]);
    top
}

impl StepCircuit<F> for RollupStep {
    fn arity(&self) -> usize {
        ARITY
    }

    fn synthesize<CS: ConstraintSystem<F>>(
        &self,
        cs: &mut CS,
        z: &[AllocatedNum<F>],
    ) -> Result<Vec<AllocatedNum<F>>, SynthesisError> {
        if z.len() != ARITY {
            return Err(SynthesisError::Unsatisfiable("step arity".into()));
        }
        let mut state = State {
            top: z[..TOP_NODES].to_vec(),
            acc: z[Z_ACC].clone(),
            count: z[Z_COUNT].clone(),
            fees: z[Z_FEES].clone(),
            rollup: z[Z_ROLLUP].clone(),
        };
        for (i, w) in self.slots.iter().enumerate() {
            state = synthesize_slot(&mut cs.namespace(|| format!("slot{i}")), w, state)?;
        }
        let mut out = state.top;
        out.extend([state.acc, state.count, state.fees, state.rollup]);
        Ok(out)
    }
}

fn bits_of(v: u64, n: usize) -> Option<Vec<bool>> {
    Some((0..n).map(|i| (v >> i) & 1 == 1).collect())
}

fn kind_bit<CS: ConstraintSystem<F>>(
    cs: &mut CS,
    name: &str,
    on: bool,
) -> Result<Num, SynthesisError> {
    alloc_bit(cs.namespace(|| name.to_string()), || Ok(on))
}

/// `a + b` (values and one linear constraint).
fn sum<CS: ConstraintSystem<F>>(mut cs: CS, terms: &[(&Num, F)]) -> Result<Num, SynthesisError> {
    let r = alloc(cs.namespace(|| "sum"), || {
        terms
            .iter()
            .try_fold(F::ZERO, |a, (t, c)| Ok(a + val(t)? * c))
    })?;
    let lc = terms.iter().fold(LinearCombination::zero(), |l, (t, c)| {
        l + (*c, t.get_variable())
    });
    enforce_eq_lc(&mut cs, "sum eq", lc, &r);
    Ok(r)
}

/// The running state inside a step.
struct State {
    top: Vec<Num>,
    acc: Num,
    count: Num,
    fees: Num,
    rollup: Num,
}

fn synthesize_slot<CS: ConstraintSystem<F>>(
    cs: &mut CS,
    w: &SlotWitness,
    State {
        top,
        acc,
        count,
        fees,
        rollup,
    }: State,
) -> Result<State, SynthesisError> {
    let op = &w.op;
    let one = F::ONE;
    // 1. kinds
    let dep = kind_bit(cs, "dep", op.kind == KIND_DEPOSIT)?;
    let tr = kind_bit(cs, "tr", op.kind == KIND_TRANSFER)?;
    let wd = kind_bit(cs, "wd", op.kind == KIND_WITHDRAW)?;
    let real = sum(
        cs.namespace(|| "real"),
        &[(&dep, one), (&tr, one), (&wd, one)],
    )?;
    cs.enforce(
        || "real boolean",
        |l| l + real.get_variable(),
        |l| l + CS::one() - real.get_variable(),
        |l| l,
    );
    let sig = sum(cs.namespace(|| "needs_sig"), &[(&tr, one), (&wd, one)])?;
    let credits = sum(cs.namespace(|| "credits"), &[(&dep, one), (&tr, one)])?;

    // 2. word
    let from_bits = alloc_bits(
        &mut cs.namespace(|| "from"),
        INDEX_BITS,
        bits_of(op.from.into(), INDEX_BITS),
    )?;
    let to_bits = alloc_bits(
        &mut cs.namespace(|| "to"),
        INDEX_BITS,
        bits_of(op.to.into(), INDEX_BITS),
    )?;
    let am = AMOUNT_MANTISSA_BITS;
    let fm = FEE_MANTISSA_BITS;
    let am_bits = alloc_bits(
        &mut cs.namespace(|| "amount_m"),
        am,
        bits_of(op.amount_packed, am),
    )?;
    let ae_bits = alloc_bits(
        &mut cs.namespace(|| "amount_e"),
        EXP_BITS,
        bits_of(op.amount_packed >> am, EXP_BITS),
    )?;
    let fm_bits = alloc_bits(
        &mut cs.namespace(|| "fee_m"),
        fm,
        bits_of(op.fee_packed, fm),
    )?;
    let fe_bits = alloc_bits(
        &mut cs.namespace(|| "fee_e"),
        EXP_BITS,
        bits_of(op.fee_packed >> fm, EXP_BITS),
    )?;
    let word = alloc(cs.namespace(|| "word"), || Ok(op.word()))?;
    let word_lc = LinearCombination::zero()
        + dep.get_variable()
        + (F::from(2u64), tr.get_variable())
        + (F::from(3u64), wd.get_variable())
        + &pack(&from_bits, 2)
        + &pack(&to_bits, 26)
        + &pack(&am_bits, 50)
        + &pack(&ae_bits, 50 + am)
        + &pack(&fm_bits, 85)
        + &pack(&fe_bits, 85 + fm);
    enforce_eq_lc(cs, "word eq", word_lc, &word);
    let p10a = pow10(&mut cs.namespace(|| "pow10 amount"), &ae_bits)?;
    let amount = mul_lc(
        cs.namespace(|| "amount"),
        &p10a,
        &pack(&am_bits, 0),
        pack_val(&am_bits, 0).ok(),
    )?;
    let p10f = pow10(&mut cs.namespace(|| "pow10 fee"), &fe_bits)?;
    let fee = mul_lc(
        cs.namespace(|| "fee"),
        &p10f,
        &pack(&fm_bits, 0),
        pack_val(&fm_bits, 0).ok(),
    )?;
    let e1 = alloc(cs.namespace(|| "e1"), || Ok(op.extra[0]))?;
    let e2 = alloc(cs.namespace(|| "e2"), || Ok(op.extra[1]))?;

    // 3. accumulator and counters
    let h = hash4_gadget(
        &mut cs.namespace(|| "acc hash"),
        Domain::Accumulator,
        [&acc, &word, &e1, &e2],
    )?;
    let acc2 = select(cs.namespace(|| "acc"), &real, &h, &acc)?;
    let count2 = sum(cs.namespace(|| "count"), &[(&count, one), (&real, one)])?;
    let fee_paid = sig.mul(cs.namespace(|| "fee paid"), &fee)?;
    let fees2 = sum(cs.namespace(|| "fees"), &[(&fees, one), (&fee_paid, one)])?;

    // 4. leaf A
    let a = &w.acct_a;
    let pax = alloc(cs.namespace(|| "a.pk.x"), || Ok(a.pubkey.x))?;
    let pay = alloc(cs.namespace(|| "a.pk.y"), || Ok(a.pubkey.y))?;
    let bala = alloc(cs.namespace(|| "a.balance"), || Ok(F::from(a.balance)))?;
    let noncea = alloc(cs.namespace(|| "a.nonce"), || Ok(F::from(a.nonce)))?;
    let leaf_a = hash4_gadget(
        &mut cs.namespace(|| "leaf a"),
        Domain::Leaf,
        [&pax, &pay, &bala, &noncea],
    )?;
    let total = sum(
        cs.namespace(|| "amount+fee"),
        &[(&amount, one), (&fee, one)],
    )?;
    let debit = sig.mul(cs.namespace(|| "debit"), &total)?;
    let bala2 = sum(
        cs.namespace(|| "a.balance'"),
        &[(&bala, one), (&debit, -one)],
    )?;
    range_bits(&mut cs.namespace(|| "a.balance' range"), &bala2, 64)?;
    let noncea2 = sum(cs.namespace(|| "a.nonce'"), &[(&noncea, one), (&sig, one)])?;
    let leaf_a2 = hash4_gadget(
        &mut cs.namespace(|| "leaf a'"),
        Domain::Leaf,
        [&pax, &pay, &bala2, &noncea2],
    )?;
    let top = update_leaf(
        &mut cs.namespace(|| "path a"),
        &from_bits,
        leaf_a,
        leaf_a2,
        &w.children_a,
        &top,
    )?;

    // 5. signature
    let g = generator();
    let pk = Pt {
        x: select_const(cs.namespace(|| "pk.x"), &sig, &pax, g.x)?,
        y: select_const(cs.namespace(|| "pk.y"), &sig, &pay, g.y)?,
    };
    on_curve(&mut cs.namespace(|| "pk on curve"), &pk)?;
    let sig_word = sum(
        cs.namespace(|| "sig word"),
        &[
            (&word, one),
            (&noncea, pow2(WORD_BITS)),
            (&rollup, pow2(ROLLUP_SHIFT)),
        ],
    )?;
    let r = Pt {
        x: alloc(cs.namespace(|| "R.x"), || Ok(w.sig.rx))?,
        y: alloc(cs.namespace(|| "R.y"), || Ok(w.sig.ry))?,
    };
    on_curve(&mut cs.namespace(|| "R on curve"), &r)?;
    let ch = hash4_gadget(
        &mut cs.namespace(|| "challenge"),
        Domain::Challenge,
        [&r.x, &pk.x, &sig_word, &e1],
    )?;
    let ch_bits = range_bits(&mut cs.namespace(|| "challenge bits"), &ch, 254)?;
    let s_repr = w.sig.s.to_repr();
    let s_bits: Vec<bool> = (0..3 * WINDOWS)
        .map(|i| (s_repr.as_ref()[i / 8] >> (i % 8)) & 1 == 1)
        .collect();
    let s_bits = alloc_bits(&mut cs.namespace(|| "s"), 3 * WINDOWS, Some(s_bits))?;
    let lhs = fixed_base_mul(&mut cs.namespace(|| "sG"), &s_bits, fixed_base_tables())?;
    let cpk = signed_var_base_mul(&mut cs.namespace(|| "c*pk"), &ch_bits[..128], &pk)?;
    let rhs = add(cs.namespace(|| "R + c*pk"), &cpk, &r)?;
    enforce_eq(cs, "sig x", &lhs.x, &rhs.x);
    enforce_eq(cs, "sig y", &lhs.y, &rhs.y);

    // 6. leaf B
    let b = &w.acct_b;
    let pbx = alloc(cs.namespace(|| "b.pk.x"), || Ok(b.pubkey.x))?;
    let pby = alloc(cs.namespace(|| "b.pk.y"), || Ok(b.pubkey.y))?;
    let balb = alloc(cs.namespace(|| "b.balance"), || Ok(F::from(b.balance)))?;
    let nonceb = alloc(cs.namespace(|| "b.nonce"), || Ok(F::from(b.nonce)))?;
    let leaf_b = hash4_gadget(
        &mut cs.namespace(|| "leaf b"),
        Domain::Leaf,
        [&pbx, &pby, &balb, &nonceb],
    )?;
    // a deposit may only set the key of an empty account or re-state the existing one
    for (name, old, new) in [("x", &pbx, &e1), ("y", &pby, &e2)] {
        let t = dep.mul(cs.namespace(|| format!("dep key {name}")), old)?;
        cs.enforce(
            || format!("dep key {name} empty or equal"),
            |l| l + t.get_variable(),
            |l| l + old.get_variable() - new.get_variable(),
            |l| l,
        );
    }
    // a transfer's receiver must hold a key (a curve point): value never goes to a keyless
    // account, whose key a later deposit could otherwise set
    let g = generator();
    let recv = Pt {
        x: select_const(cs.namespace(|| "recv.x"), &tr, &pbx, g.x)?,
        y: select_const(cs.namespace(|| "recv.y"), &tr, &pby, g.y)?,
    };
    on_curve(&mut cs.namespace(|| "receiver on curve"), &recv)?;
    let pbx2 = select(cs.namespace(|| "b.pk.x'"), &dep, &e1, &pbx)?;
    let pby2 = select(cs.namespace(|| "b.pk.y'"), &dep, &e2, &pby)?;
    let credit = credits.mul(cs.namespace(|| "credit"), &amount)?;
    let balb2 = sum(
        cs.namespace(|| "b.balance'"),
        &[(&balb, one), (&credit, one)],
    )?;
    range_bits(&mut cs.namespace(|| "b.balance' range"), &balb2, 64)?;
    let leaf_b2 = hash4_gadget(
        &mut cs.namespace(|| "leaf b'"),
        Domain::Leaf,
        [&pbx2, &pby2, &balb2, &nonceb],
    )?;
    let top = update_leaf(
        &mut cs.namespace(|| "path b"),
        &to_bits,
        leaf_b,
        leaf_b2,
        &w.children_b,
        &top,
    )?;

    Ok(State {
        top,
        acc: acc2,
        count: count2,
        fees: fees2,
        rollup,
    })
}

/// Synthesize one step on `z` into a test constraint system: whether every constraint holds, the
/// constraint count, and the outputs. A debugging and testing aid (slow: named constraints).
pub fn check_step(step: &RollupStep, z: &[F]) -> (bool, usize, Option<Vec<F>>) {
    use nova_snark::frontend::util_cs::test_cs::TestConstraintSystem;
    let mut cs = TestConstraintSystem::<F>::new();
    let zin: Result<Vec<_>, _> = z
        .iter()
        .enumerate()
        .map(|(i, v)| AllocatedNum::alloc(cs.namespace(|| format!("z{i}")), || Ok(*v)))
        .collect();
    let out = zin.and_then(|zin| step.synthesize(&mut cs, &zin));
    let outs = out
        .ok()
        .and_then(|o| o.iter().map(|x| x.get_value()).collect());
    (
        outs.is_some() && cs.is_satisfied(),
        cs.num_constraints(),
        outs,
    )
}
