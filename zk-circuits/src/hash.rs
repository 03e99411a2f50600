//! Poseidon over the circuit field (Pallas scalar field = Vesta base field), arity 4 (width 5),
//! through nova-snark's neptune-derived sponge. The native function and the gadget run the same
//! sponge code (`Sponge` vs `SpongeCircuit`) with the same constants, so they agree by construction;
//! `tests::native_matches_circuit` checks it.
//!
//! Every hash absorbs exactly four elements (callers pad with zeros) and squeezes one, under a
//! domain separator that says what is being hashed, so a leaf can never be confused with an
//! inner node, a signature challenge or an accumulator step.

use crate::F;
use nova_snark::frontend::{
    gadgets::poseidon::{
        Elt, IOPattern, PoseidonConstants, Simplex, Sponge, SpongeAPI, SpongeCircuit, SpongeOp,
        SpongeTrait, Strength,
    },
    num::AllocatedNum,
    ConstraintSystem, SynthesisError,
};
use std::sync::OnceLock;
use typenum::U4;

/// Domain separators (the sponge's capacity tag).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Domain {
    /// Account leaf: (pk.x, pk.y, balance, nonce).
    Leaf = 1,
    /// Inner tree node: four children.
    Node = 2,
    /// Schnorr challenge: (R.x, pk.x, signed word, extra).
    Challenge = 3,
    /// Public-data accumulator step: (acc, word, extra1, extra2).
    Accumulator = 4,
}

fn constants() -> &'static PoseidonConstants<F, U4> {
    static C: OnceLock<PoseidonConstants<F, U4>> = OnceLock::new();
    C.get_or_init(|| Sponge::<F, U4>::api_constants(Strength::Standard))
}

fn pattern() -> IOPattern {
    IOPattern(vec![SpongeOp::Absorb(4), SpongeOp::Squeeze(1)])
}

/// Native Poseidon of four field elements under `domain`.
pub fn hash4(domain: Domain, x: [F; 4]) -> F {
    let mut sponge = Sponge::new_with_constants(constants(), Simplex);
    let acc = &mut ();
    sponge.start(pattern(), Some(domain as u32), acc);
    SpongeAPI::absorb(&mut sponge, 4, &x, acc);
    let out = SpongeAPI::squeeze(&mut sponge, 1, acc);
    // `finish` only fails if the IO pattern was not followed, which it is by construction above.
    let _ = sponge.finish(acc);
    out[0]
}

/// In-circuit Poseidon of four allocated elements under `domain`.
pub fn hash4_gadget<CS: ConstraintSystem<F>>(
    cs: &mut CS,
    domain: Domain,
    x: [&AllocatedNum<F>; 4],
) -> Result<AllocatedNum<F>, SynthesisError> {
    let elts: Vec<Elt<F>> = x.iter().map(|a| Elt::Allocated((*a).clone())).collect();
    let mut ns = cs.namespace(|| "poseidon");
    let out = {
        let mut sponge = SpongeCircuit::new_with_constants(constants(), Simplex);
        let acc = &mut ns;
        sponge.start(pattern(), Some(domain as u32), acc);
        SpongeAPI::absorb(&mut sponge, 4, &elts, acc);
        let out = SpongeAPI::squeeze(&mut sponge, 1, acc);
        sponge
            .finish(acc)
            .map_err(|_| SynthesisError::Unsatisfiable("poseidon sponge".into()))?;
        out
    };
    let r = Elt::ensure_allocated(&out[0], &mut ns.namespace(|| "out"));
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use nova_snark::frontend::util_cs::test_cs::TestConstraintSystem;

    #[test]
    fn native_matches_circuit() {
        let x = [F::from(1u64), F::from(2u64), F::from(3u64), F::from(4u64)];
        let mut cs = TestConstraintSystem::<F>::new();
        let a: Vec<_> = x
            .iter()
            .enumerate()
            .map(|(i, v)| AllocatedNum::alloc(cs.namespace(|| format!("x{i}")), || Ok(*v)).unwrap())
            .collect();
        let out = hash4_gadget(&mut cs, Domain::Node, [&a[0], &a[1], &a[2], &a[3]]).unwrap();
        assert!(cs.is_satisfied());
        assert_eq!(out.get_value(), Some(hash4(Domain::Node, x)));
        // domains separate
        assert_ne!(hash4(Domain::Node, x), hash4(Domain::Leaf, x));
        eprintln!("poseidon arity-4 constraints: {}", cs.num_constraints());
    }
}
