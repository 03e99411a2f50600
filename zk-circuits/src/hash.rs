//! Poseidon over the circuit field (Pallas scalar field = Vesta base field), arity 4 and 8,
//! through nova-snark's neptune-derived sponge. The native function and the gadget run the same
//! sponge code (`Sponge` vs `SpongeCircuit`) with the same constants, so they agree by construction;
//! `tests::native_matches_circuit` checks it.
//!
//! Leaves, challenges and accumulator steps absorb exactly four elements (width 5); inner tree
//! nodes absorb their [`NODE_ARITY`] = 8 children (width 9). Every hash squeezes one element under a
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
use typenum::{U4, U8};

/// Domain separators (the sponge's capacity tag).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Domain {
    /// Account leaf: (pk.x, pk.y, balance, nonce).
    Leaf = 1,
    /// Inner tree node: its eight children.
    Node = 2,
    /// Schnorr challenge: (R.x, pk.x, signed word, extra).
    Challenge = 3,
    /// Public-data accumulator step: (acc, word, extra1, extra2).
    Accumulator = 4,
}

/// Children of an inner tree node: an arity-8 node (width-9 Poseidon, 388 constraints) costs less
/// per level of a 24-bit index than arity 4 (8 × 388 = 3 104 vs 12 × 289 = 3 468 per path).
pub const NODE_ARITY: usize = 8;

fn constants4() -> &'static PoseidonConstants<F, U4> {
    static C: OnceLock<PoseidonConstants<F, U4>> = OnceLock::new();
    C.get_or_init(|| Sponge::<F, U4>::api_constants(Strength::Standard))
}

fn constants8() -> &'static PoseidonConstants<F, U8> {
    static C: OnceLock<PoseidonConstants<F, U8>> = OnceLock::new();
    C.get_or_init(|| Sponge::<F, U8>::api_constants(Strength::Standard))
}

fn pattern(n: usize) -> IOPattern {
    IOPattern(vec![SpongeOp::Absorb(n as u32), SpongeOp::Squeeze(1)])
}

/// Native sponge: absorb `x` under `domain`, squeeze one element. A macro because neptune's
/// arity bound (`Arity`) is not nameable outside the crate, so no generic function can take it.
macro_rules! native_sponge {
    ($consts:expr, $domain:expr, $x:expr) => {{
        let x = $x;
        let mut sponge = Sponge::new_with_constants($consts, Simplex);
        let acc = &mut ();
        sponge.start(pattern(x.len()), Some($domain as u32), acc);
        SpongeAPI::absorb(&mut sponge, x.len() as u32, x, acc);
        let out = SpongeAPI::squeeze(&mut sponge, 1, acc);
        // `finish` only fails if the IO pattern was not followed, which it is by construction.
        let _ = sponge.finish(acc);
        out[0]
    }};
}

/// In-circuit sponge, the same steps as [`native_sponge`] over allocated or linear inputs.
macro_rules! circuit_sponge {
    ($cs:expr, $consts:expr, $domain:expr, $elts:expr) => {{
        let elts = $elts;
        let mut ns = $cs.namespace(|| "poseidon");
        let out = {
            let mut sponge = SpongeCircuit::new_with_constants($consts, Simplex);
            let acc = &mut ns;
            sponge.start(pattern(elts.len()), Some($domain as u32), acc);
            SpongeAPI::absorb(&mut sponge, elts.len() as u32, elts, acc);
            let out = SpongeAPI::squeeze(&mut sponge, 1, acc);
            sponge
                .finish(acc)
                .map_err(|_| SynthesisError::Unsatisfiable("poseidon sponge".into()))?;
            out
        };
        let r = Elt::ensure_allocated(&out[0], &mut ns.namespace(|| "out"));
        r
    }};
}

/// Native Poseidon of four field elements under `domain`.
pub fn hash4(domain: Domain, x: [F; 4]) -> F {
    native_sponge!(constants4(), domain, &x[..])
}

/// In-circuit Poseidon of four allocated elements under `domain`.
pub fn hash4_gadget<CS: ConstraintSystem<F>>(
    cs: &mut CS,
    domain: Domain,
    x: [&AllocatedNum<F>; 4],
) -> Result<AllocatedNum<F>, SynthesisError> {
    let elts: Vec<Elt<F>> = x.iter().map(|a| Elt::Allocated((*a).clone())).collect();
    circuit_sponge!(cs, constants4(), domain, &elts[..])
}

/// Native inner-node hash: `Poseidon_Node` of the node's children.
pub fn hash_node(children: &[F; NODE_ARITY]) -> F {
    native_sponge!(constants8(), Domain::Node, &children[..])
}

/// In-circuit inner-node hash; children may be linear combinations (no allocation needed).
pub fn hash_node_gadget<CS: ConstraintSystem<F>>(
    cs: &mut CS,
    children: &[Elt<F>; NODE_ARITY],
) -> Result<AllocatedNum<F>, SynthesisError> {
    circuit_sponge!(cs, constants8(), Domain::Node, &children[..])
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

    #[test]
    fn node_hash_native_matches_circuit() {
        let x: [F; NODE_ARITY] = std::array::from_fn(|i| F::from(i as u64 + 1));
        let mut cs = TestConstraintSystem::<F>::new();
        let elts: [Elt<F>; NODE_ARITY] = std::array::from_fn(|i| {
            Elt::Allocated(
                AllocatedNum::alloc(cs.namespace(|| format!("x{i}")), || Ok(x[i])).unwrap(),
            )
        });
        let out = hash_node_gadget(&mut cs, &elts).unwrap();
        assert!(cs.is_satisfied());
        assert_eq!(out.get_value(), Some(hash_node(&x)));
        eprintln!("poseidon arity-8 constraints: {}", cs.num_constraints());
    }
}
