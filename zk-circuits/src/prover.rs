//! Public parameters, `prove_batch` and `verify`.
//!
//! Nova over Pallas/Vesta; the compressed proof is Spartan (`spartan::snark::RelaxedR1CSSNARK`)
//! with the IPA polynomial commitment on both curves: a transparent setup, no ceremony. Public
//! parameters are a deterministic function of the circuit (the commitment keys are hashed to
//! the curve from fixed labels) and are identified by Nova's parameter digest; the verifier key
//! by the SHA-256 of its bytes.
//!
//! ## Formats
//! * proof: `"PZK2" | num_steps u32 LE | old_top | bincode(CompressedSNARK)` (bincode 2, legacy
//!   config); `old_top`: the [`TOP_NODES`] tree nodes at level
//!   [`PATH_LEVELS`](crate::tree::PATH_LEVELS) before the batch, 32-byte canonical field
//!   elements, which the verifier hashes to the old root. The new top is in `z_n`, which the
//!   compressed SNARK carries; the verifier hashes it to the new root.
//! * verifier key: `bincode(VerifierKey)`; `vk_digest = SHA-256(vk bytes)`.
//! * public inputs: `z0 = [old_top, 0, 0, 0, rollup]`,
//!   `z_n = [new_top, data_hash, num_ops, fees, rollup]`.
//! * parameter cache: `<dir>/proof-zk-<CIRCUIT_VERSION>-k<K>.params` =
//!   `"PZKP" | SHA-256(payload) | payload`, payload = `bincode((pp, pk, vk))`; written to a
//!   temporary file and renamed; a file whose hash does not match is regenerated.

use crate::circuit::{initial_z_from_top, RollupStep, SlotWitness, Z_ACC, Z_COUNT, Z_FEES};
use crate::error::{OpError, ZkError};
use crate::ops::{BatchData, Op, PublicOp, RollupId, KIND_DEPOSIT, KIND_TRANSFER};
use crate::tree::{root_of_top, AccountTree, TOP_NODES};
use crate::{f_from_bytes, f_to_bytes, F};
use ff::PrimeField;
use nova_snark::{
    nova::{CompressedSNARK, ProverKey, PublicParams, RecursiveSNARK, VerifierKey},
    provider::{ipa_pc::EvaluationEngine, PallasEngine, VestaEngine},
    spartan::snark::RelaxedR1CSSNARK,
    traits::snark::RelaxedR1CSSNARKTrait,
};
use serde::{de::DeserializeOwned, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

type E1 = PallasEngine;
type E2 = VestaEngine;
type S1 = RelaxedR1CSSNARK<E1, EvaluationEngine<E1>>;
type S2 = RelaxedR1CSSNARK<E2, EvaluationEngine<E2>>;
type Pp = PublicParams<E1, E2, RollupStep>;
type Pk = ProverKey<E1, E2, RollupStep, S1, S2>;
type Vk = VerifierKey<E1, E2, RollupStep, S1, S2>;
type Snark = CompressedSNARK<E1, E2, RollupStep, S1, S2>;

/// Bump when the circuit changes: it names the parameter cache files.
pub const CIRCUIT_VERSION: &str = "v5";
const PROOF_MAGIC: &[u8; 4] = b"PZK2";
/// Bytes of the proof header: magic, step count, old top nodes.
const PROOF_HEADER: usize = 8 + 32 * TOP_NODES;
const CACHE_MAGIC: &[u8; 4] = b"PZKP";
/// Upper bound on a proof's size (the real ones are ~10-20 KB).
pub const MAX_PROOF_BYTES: usize = 1 << 20;
const MAX_STEPS: u32 = 1 << 24;

fn bincode_cfg() -> impl bincode::config::Config {
    bincode::config::legacy()
}

fn encode<T: Serialize>(x: &T) -> Result<Vec<u8>, ZkError> {
    bincode::serde::encode_to_vec(x, bincode_cfg()).map_err(|e| ZkError::Cache(e.to_string()))
}

/// Strict bincode decoding; `LIMIT` bounds what a length prefix may make the decoder allocate.
fn decode_exact<T: DeserializeOwned, const LIMIT: usize>(
    b: &[u8],
    what: &'static str,
) -> Result<T, ZkError> {
    let cfg = bincode::config::legacy().with_limit::<LIMIT>();
    let (x, n) = bincode::serde::decode_from_slice(b, cfg).map_err(|_| ZkError::Encoding(what))?;
    if n != b.len() {
        return Err(ZkError::Encoding(what));
    }
    Ok(x)
}

/// Proving and verifying parameters for `ops_per_step` operations per Nova step.
pub struct ZkParams {
    pub ops_per_step: usize,
    pp: Pp,
    pk: Pk,
    vk: Arc<Vk>,
    vk_bytes: Vec<u8>,
    vk_digest: [u8; 32],
}

impl ZkParams {
    /// Generate parameters (deterministic; tens of seconds for K = 8).
    pub fn generate(ops_per_step: usize) -> Result<ZkParams, ZkError> {
        if ops_per_step == 0 {
            return Err(ZkError::Encoding("ops_per_step must be at least 1"));
        }
        let pp = Pp::setup(
            &RollupStep::blank(ops_per_step),
            &*S1::ck_floor(),
            &*S2::ck_floor(),
        )?;
        let (pk, vk) = Snark::setup(&pp)?;
        Self::assemble(ops_per_step, pp, pk, vk)
    }

    fn assemble(ops_per_step: usize, pp: Pp, pk: Pk, vk: Vk) -> Result<ZkParams, ZkError> {
        let vk_bytes = encode(&vk)?;
        let vk_digest = Sha256::digest(&vk_bytes).into();
        Ok(ZkParams {
            ops_per_step,
            pp,
            pk,
            vk: Arc::new(vk),
            vk_bytes,
            vk_digest,
        })
    }

    /// The default cache directory: `$PROOF_ZK_PARAMS`, else `<tmp>/proof-zk-params`.
    pub fn default_dir() -> PathBuf {
        std::env::var_os("PROOF_ZK_PARAMS")
            .map(PathBuf::from)
            .unwrap_or_else(|| std::env::temp_dir().join("proof-zk-params"))
    }

    /// The cache file for `ops_per_step` under `dir`.
    pub fn cache_path(dir: &Path, ops_per_step: usize) -> PathBuf {
        dir.join(format!("proof-zk-{CIRCUIT_VERSION}-k{ops_per_step}.params"))
    }

    /// Load parameters from `dir`, or generate and store them.
    pub fn load_or_generate(dir: &Path, ops_per_step: usize) -> Result<ZkParams, ZkError> {
        let path = Self::cache_path(dir, ops_per_step);
        if let Ok(bytes) = std::fs::read(&path) {
            if let Ok(p) = Self::from_cache_bytes(&bytes, ops_per_step) {
                return Ok(p);
            }
        }
        let p = Self::generate(ops_per_step)?;
        std::fs::create_dir_all(dir)?;
        let payload = encode(&(&p.pp, &p.pk, &*p.vk))?;
        let mut out = Vec::with_capacity(payload.len() + 36);
        out.extend_from_slice(CACHE_MAGIC);
        out.extend_from_slice(&Sha256::digest(&payload));
        out.extend_from_slice(&payload);
        static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let seq = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let tmp = path.with_extension(format!("tmp{}-{seq}", std::process::id()));
        std::fs::write(&tmp, &out)?;
        std::fs::rename(&tmp, &path)?;
        Ok(p)
    }

    fn from_cache_bytes(b: &[u8], ops_per_step: usize) -> Result<ZkParams, ZkError> {
        if b.len() < 36 || &b[..4] != CACHE_MAGIC {
            return Err(ZkError::Cache("bad header".into()));
        }
        if Sha256::digest(&b[36..]).as_slice() != &b[4..36] {
            return Err(ZkError::Cache("checksum mismatch".into()));
        }
        let (pp, pk, vk): (Pp, Pk, Vk) =
            decode_exact::<_, { 1 << 32 }>(&b[36..], "parameter cache")?;
        Self::assemble(ops_per_step, pp, pk, vk)
    }

    /// The serialized verifier key (what the chain stores).
    pub fn vk_bytes(&self) -> &[u8] {
        &self.vk_bytes
    }
    /// SHA-256 of the verifier key bytes.
    pub fn vk_digest(&self) -> [u8; 32] {
        self.vk_digest
    }
    /// Nova's digest of the public parameters (identifies the circuit and keys).
    pub fn pp_digest(&self) -> F {
        self.pp.digest()
    }
    /// Constraints per step of the (augmented primary, secondary) circuits.
    pub fn num_constraints(&self) -> (usize, usize) {
        self.pp.num_constraints()
    }
    /// Variables per step of the (augmented primary, secondary) circuits.
    pub fn num_variables(&self) -> (usize, usize) {
        self.pp.num_variables()
    }
    /// A verifier holding the decoded key.
    pub fn verifier(&self) -> Verifier {
        Verifier {
            vk: self.vk.clone(),
            vk_digest: self.vk_digest,
        }
    }
}

/// A proven batch: its public inputs, DA bytes and proof bytes.
#[derive(Clone, Debug)]
pub struct BatchProof {
    pub rollup: RollupId,
    pub old_root: F,
    pub new_root: F,
    pub data_hash: F,
    pub num_ops: u64,
    pub fees: u128,
    /// The DA encoding of the batch (`BatchData::encode`).
    pub data: Vec<u8>,
    /// The proof bytes (format in the module docs).
    pub proof: Vec<u8>,
    /// Nova steps proven.
    pub num_steps: usize,
    /// Proving time by phase.
    pub times: ProveTimes,
}

/// Native validity rules (the circuit enforces the same): see [`OpError`].
fn validate(tree: &AccountTree, rollup: RollupId, op: &Op, p: &PublicOp) -> Result<(), OpError> {
    let amount = p.amount().ok_or(OpError::AmountNotPackable(0))?;
    let mut after_a = None;
    if let Some((sig, nonce)) = op.signature() {
        let a = tree.get(p.from);
        if a.pubkey.is_empty() {
            return Err(OpError::EmptySender(p.from));
        }
        if !a.pubkey.is_on_curve() {
            return Err(OpError::InvalidPubkey);
        }
        if nonce != a.nonce {
            return Err(OpError::BadNonce {
                expected: a.nonce,
                got: nonce,
            });
        }
        if !sig.verify(&a.pubkey, p.sig_word(rollup, nonce), p.extra[0]) {
            return Err(OpError::BadSignature);
        }
        let fee = p.fee().ok_or(OpError::FeeNotPackable(0))?;
        let needed = u128::from(amount) + u128::from(fee);
        if needed > u128::from(a.balance) {
            return Err(OpError::InsufficientBalance {
                balance: a.balance,
                needed,
            });
        }
        after_a = Some(a.balance - needed as u64);
    }
    if p.kind == KIND_DEPOSIT || p.kind == KIND_TRANSFER {
        let b = tree.get(p.to);
        let bal = if p.to == p.from {
            after_a.unwrap_or(b.balance)
        } else {
            b.balance
        };
        if bal.checked_add(amount).is_none() {
            return Err(OpError::BalanceOverflow);
        }
        if p.kind == KIND_TRANSFER && !b.pubkey.is_on_curve() {
            return Err(OpError::EmptyReceiver(p.to));
        }
        if p.kind == KIND_DEPOSIT {
            let pk = crate::schnorr::PublicKey {
                x: p.extra[0],
                y: p.extra[1],
            };
            if !pk.is_on_curve() {
                return Err(OpError::InvalidPubkey);
            }
            if !b.pubkey.is_empty() && b.pubkey != pk {
                return Err(OpError::PubkeyMismatch);
            }
        }
    }
    Ok(())
}

/// Build the step witnesses for `ops` of `rollup` on `tree` (checking every rule natively first)
/// and return them with the batch data. `tree` is updated only on success.
pub fn build_steps(
    ops_per_step: usize,
    rollup: RollupId,
    tree: &mut AccountTree,
    ops: &[Op],
) -> Result<(Vec<RollupStep>, BatchData), ZkError> {
    let mut work = tree.clone();
    let built = build_steps_on(ops_per_step, rollup, &mut work, ops)?;
    *tree = work;
    Ok(built)
}

/// [`build_steps`] applying the ops to `work` directly; on an error `work` is partly updated, so
/// callers pass a copy they can drop.
fn build_steps_on(
    ops_per_step: usize,
    rollup: RollupId,
    work: &mut AccountTree,
    ops: &[Op],
) -> Result<(Vec<RollupStep>, BatchData), ZkError> {
    if ops.is_empty() {
        return Err(ZkError::EmptyBatch);
    }
    let data = BatchData::from_ops(ops)?;
    let mut slots = Vec::with_capacity(ops.len().div_ceil(ops_per_step) * ops_per_step);
    for (index, (op, p)) in ops.iter().zip(&data.ops).enumerate() {
        validate(work, rollup, op, p).map_err(|source| ZkError::Op { index, source })?;
        slots.push(SlotWitness::apply(
            work,
            rollup,
            p,
            op.signature().map(|s| s.0),
        ));
    }
    while slots.len() % ops_per_step != 0 {
        slots.push(SlotWitness::noop(work, rollup));
    }
    let steps = slots
        .chunks(ops_per_step)
        .map(|c| RollupStep { slots: c.to_vec() })
        .collect();
    Ok((steps, data))
}

/// Time spent in the two proving phases.
#[derive(Clone, Copy, Debug, Default)]
pub struct ProveTimes {
    /// Folding all steps (RecursiveSNARK).
    pub recursive: Duration,
    /// Compressing (Spartan + IPA).
    pub compress: Duration,
}

/// Prove prepared steps of `rollup` from the state `old` they were built on; returns the proof
/// bytes, `z_n` and timings.
pub fn prove_steps(
    params: &ZkParams,
    rollup: RollupId,
    old: &AccountTree,
    steps: &[RollupStep],
) -> Result<(Vec<u8>, Vec<F>, ProveTimes), ZkError> {
    prove_steps_from_top(params, rollup, old.top(), steps)
}

/// [`prove_steps`] from the old tree's top nodes alone: all a prover that did not build the
/// steps (another thread, or another machine) needs besides them.
pub fn prove_steps_from_top(
    params: &ZkParams,
    rollup: RollupId,
    old_top: Vec<F>,
    steps: &[RollupStep],
) -> Result<(Vec<u8>, Vec<F>, ProveTimes), ZkError> {
    let first = steps.first().ok_or(ZkError::EmptyBatch)?;
    if old_top.len() != TOP_NODES {
        return Err(ZkError::Encoding("old top: wrong number of nodes"));
    }
    let z0 = initial_z_from_top(old_top, rollup);
    let t0 = Instant::now();
    let mut rs = RecursiveSNARK::new(&params.pp, first, &z0)?;
    for s in steps {
        rs.prove_step(&params.pp, s)?;
    }
    let zn = rs.outputs().to_vec();
    let t1 = Instant::now();
    let snark = Snark::prove(&params.pp, &params.pk, &rs)?;
    let times = ProveTimes {
        recursive: t1 - t0,
        compress: t1.elapsed(),
    };
    let mut proof = Vec::new();
    proof.extend_from_slice(PROOF_MAGIC);
    proof.extend_from_slice(&(steps.len() as u32).to_le_bytes());
    for x in &z0[..TOP_NODES] {
        proof.extend_from_slice(&f_to_bytes(x));
    }
    proof.extend_from_slice(&encode(&snark)?);
    Ok((proof, zn, times))
}

/// Prove that `ops` (ordered deposits, transfers, withdrawals) of `rollup` move `tree` from its
/// current root to a new one. On success `tree` holds the new state.
pub fn prove_batch(
    params: &ZkParams,
    rollup: RollupId,
    tree: &mut AccountTree,
    ops: &[Op],
) -> Result<BatchProof, ZkError> {
    let old_root = tree.root();
    // One copy of the tree: it becomes the state only once the batch is proven.
    let mut work = tree.clone();
    let (steps, data) = build_steps_on(params.ops_per_step, rollup, &mut work, ops)?;
    let (proof, zn, times) = prove_steps(params, rollup, tree, &steps)?;
    let data_hash = data.data_hash();
    let new_root = work.root();
    if zn[..TOP_NODES] != work.top()[..] || zn[Z_ACC] != data_hash {
        return Err(ZkError::Nova(
            "circuit output differs from the native state".into(),
        ));
    }
    let fees = data.total_fees().ok_or(ZkError::Encoding("fee"))?;
    *tree = work;
    Ok(BatchProof {
        rollup,
        old_root,
        new_root,
        data_hash,
        num_ops: ops.len() as u64,
        fees,
        data: data.encode(),
        proof,
        num_steps: steps.len(),
        times,
    })
}

/// What a verified proof attests beyond the roots and data hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verified {
    /// Operations in the batch (padding excluded).
    pub num_ops: u64,
    /// Total fees paid to the operator.
    pub fees: u128,
}

fn small(x: &F) -> Option<u128> {
    let r = x.to_repr();
    if r.as_ref()[16..].iter().any(|b| *b != 0) {
        return None;
    }
    let mut b = [0u8; 16];
    b.copy_from_slice(&r.as_ref()[..16]);
    Some(u128::from_le_bytes(b))
}

/// A decoded verifier key, for verifying many proofs.
pub struct Verifier {
    vk: Arc<Vk>,
    vk_digest: [u8; 32],
}

impl Verifier {
    /// Decode a verifier key whose SHA-256 must be `vk_digest`.
    pub fn new(vk_bytes: &[u8], vk_digest: &[u8; 32]) -> Result<Verifier, ZkError> {
        if Sha256::digest(vk_bytes).as_slice() != vk_digest {
            return Err(ZkError::VkDigestMismatch);
        }
        let vk = decode_exact::<_, { 1 << 31 }>(vk_bytes, "verifier key")?;
        Ok(Verifier {
            vk: Arc::new(vk),
            vk_digest: *vk_digest,
        })
    }

    pub fn vk_digest(&self) -> [u8; 32] {
        self.vk_digest
    }

    /// Verify `proof` for `rollup`'s transition `old_root -> new_root` with public data
    /// `data_hash`.
    pub fn verify(
        &self,
        rollup: RollupId,
        old_root: &F,
        new_root: &F,
        data_hash: &F,
        proof: &[u8],
    ) -> Result<Verified, ZkError> {
        if proof.len() < PROOF_HEADER || proof.len() > MAX_PROOF_BYTES || &proof[..4] != PROOF_MAGIC
        {
            return Err(ZkError::Encoding("proof header"));
        }
        let mut n = [0u8; 4];
        n.copy_from_slice(&proof[4..8]);
        let num_steps = u32::from_le_bytes(n);
        if num_steps == 0 || num_steps > MAX_STEPS {
            return Err(ZkError::Encoding("proof step count"));
        }
        let old_top = proof[8..PROOF_HEADER]
            .chunks_exact(32)
            .map(|c| {
                c.try_into()
                    .ok()
                    .and_then(f_from_bytes)
                    .ok_or(ZkError::Encoding("proof top node"))
            })
            .collect::<Result<Vec<F>, _>>()?;
        // The hash binds the top to the root; the proof binds it to the transition.
        if root_of_top(&old_top) != Some(*old_root) {
            return Err(ZkError::PublicInputsMismatch);
        }
        let snark: Snark =
            decode_exact::<_, { 4 * MAX_PROOF_BYTES }>(&proof[PROOF_HEADER..], "proof body")?;
        let z0 = initial_z_from_top(old_top, rollup);
        // A malformed proof must never take the host down: contain any panic in the library.
        let res = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            snark.verify(&self.vk, num_steps as usize, &z0)
        }))
        .map_err(|_| ZkError::Verification("verifier panicked on malformed proof".into()))?;
        let zn = res.map_err(|e| ZkError::Verification(e.to_string()))?;
        // Nova has checked z_n's length; the circuit passes the rollup id through unchanged.
        if root_of_top(&zn[..TOP_NODES]) != Some(*new_root) || zn[Z_ACC] != *data_hash {
            return Err(ZkError::PublicInputsMismatch);
        }
        let num_ops = small(&zn[Z_COUNT]).and_then(|x| u64::try_from(x).ok());
        let fees = small(&zn[Z_FEES]);
        match (num_ops, fees) {
            (Some(num_ops), Some(fees)) => Ok(Verified { num_ops, fees }),
            _ => Err(ZkError::PublicInputsMismatch),
        }
    }
}

/// Verify a batch proof from bytes: the verifier key (checked against `vk_digest`), the public
/// inputs and the proof. This is the host-function entry point.
///
/// Decoding a verifier key costs seconds (it is 50-160 MB), so the decoded keys are kept per
/// process by digest: a digest seen before skips hashing and decoding `vk_bytes`.
pub fn verify(
    vk_digest: &[u8; 32],
    vk_bytes: &[u8],
    rollup: RollupId,
    old_root: &F,
    new_root: &F,
    data_hash: &F,
    proof: &[u8],
) -> Result<Verified, ZkError> {
    verifier_for(vk_digest, vk_bytes)?.verify(rollup, old_root, new_root, data_hash, proof)
}

/// How many decoded verifier keys `verify` keeps (a handful of rollups, each large).
const KEPT_VERIFIERS: usize = 4;

fn verifier_for(vk_digest: &[u8; 32], vk_bytes: &[u8]) -> Result<Arc<Verifier>, ZkError> {
    type Kept = std::sync::Mutex<Vec<Arc<Verifier>>>;
    static KEPT: std::sync::OnceLock<Kept> = std::sync::OnceLock::new();
    let kept = KEPT.get_or_init(Default::default);
    let lock = || {
        kept.lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    };
    if let Some(v) = lock().iter().find(|v| v.vk_digest == *vk_digest) {
        return Ok(v.clone());
    }
    let v = Arc::new(Verifier::new(vk_bytes, vk_digest)?);
    let mut list = lock();
    if list.len() >= KEPT_VERIFIERS {
        list.remove(0);
    }
    list.push(v.clone());
    Ok(v)
}
