//! `proof-zk`: Nova rollup circuits, prover and verifier for batches of L3 transfers.
//!
//! * [`tree`]: the account tree (arity-8 sparse Merkle tree of depth 8 over Poseidon) and its
//!   native mirror; exit proofs ([`exit`]).
//! * [`schnorr`]: Schnorr signatures over Vesta, whose base field is the circuit's field, so the
//!   verification is native arithmetic in-circuit.
//! * [`ops`]: batch operations (deposit, transfer, withdrawal), the packed amount format and the
//!   data-availability encoding whose hash the circuit binds.
//! * [`circuit`]: the Nova step circuit (several operations per step).
//! * [`prover`]: public parameters (deterministic, cached on disk, identified by digest),
//!   `prove_batch` and `verify` over bytes.
//! * [`replay`]: a rollup's state rebuilt from its published batch data alone.
//! * [`keys`]: the verifier keys a chain node derives itself (cached by step size, named by
//!   digest) and the measured verification cost of each.
//!
//! See `README.md` in this crate for the circuit layout, constraint counts and byte formats.

pub mod circuit;
pub mod error;
pub mod exit;
pub mod gadgets;
pub mod hash;
pub mod keys;
pub mod ops;
pub mod prover;
pub mod replay;
pub mod schnorr;
pub mod schnorr_batch;
pub mod tree;

pub use error::{OpError, ZkError};
pub use exit::{exit_proof, verify_exit, ExitProof};
pub use ops::{BatchData, Op, RollupId};
pub use prover::{prove_batch, prove_steps_from_top, verify, BatchProof, Verified, ZkParams};
pub use schnorr::{PublicKey, SecretKey, Signature};
pub use tree::{Account, AccountTree};

/// The circuit's field: the Pallas scalar field, which is also the Vesta base field.
pub type F = halo2curves::pasta::Fq;
/// The Vesta scalar field (signature scalars).
pub type Fr = halo2curves::pasta::Fp;

/// Serialize a field element as 32 little-endian bytes (canonical).
pub fn f_to_bytes(x: &F) -> [u8; 32] {
    use ff::PrimeField;
    let mut out = [0u8; 32];
    out.copy_from_slice(x.to_repr().as_ref());
    out
}

/// Parse 32 little-endian bytes as a canonical field element.
pub fn f_from_bytes(b: &[u8; 32]) -> Option<F> {
    use ff::PrimeField;
    let mut r = <F as PrimeField>::Repr::default();
    r.as_mut().copy_from_slice(b);
    Option::from(F::from_repr(r))
}
