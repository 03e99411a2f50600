//! How the VM talks to the chain: storage, address API and querier. The VM knows nothing else
//! about the chain. Implementations must be deterministic.

use crate::error::BackendError;

pub type BackendResult<T> = Result<T, BackendError>;
pub type Record = (Vec<u8>, Vec<u8>);
/// An open iterator of [`Storage::scan`].
pub type RecordIter = Box<dyn Iterator<Item = BackendResult<Record>> + Send>;

/// Iteration order, with the ABI's numeric values (`db_scan`'s `order` argument).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    Ascending = 1,
    Descending = 2,
}

impl Order {
    pub fn from_abi(v: i32) -> Option<Order> {
        match v {
            1 => Some(Order::Ascending),
            2 => Some(Order::Descending),
            _ => None,
        }
    }
}

/// A contract's key-value store (already prefixed for the contract by the caller).
pub trait Storage: Send {
    fn get(&self, key: &[u8]) -> BackendResult<Option<Vec<u8>>>;
    fn set(&mut self, key: &[u8], value: &[u8]) -> BackendResult<()>;
    fn remove(&mut self, key: &[u8]) -> BackendResult<()>;
    /// Records with `start <= key < end` in `order`. The iterator is a snapshot taken at the
    /// call: writes made while it is open do not affect it. It should produce records lazily
    /// (a contract may read one record of a huge range), and a record it cannot produce (out
    /// of gas, a storage failure) is an `Err` item.
    fn scan(
        &self,
        start: Option<&[u8]>,
        end: Option<&[u8]>,
        order: Order,
    ) -> BackendResult<RecordIter>;
}

/// Address handling (bech32 on Proof chain), and the chain's native proof verifiers. Errors are
/// messages (or verdicts) returned to the contract.
pub trait Api: Send + Sync {
    fn addr_validate(&self, human: &str) -> Result<(), String>;
    fn addr_canonicalize(&self, human: &str) -> Result<Vec<u8>, String>;
    fn addr_humanize(&self, canonical: &[u8]) -> Result<String, String>;

    /// Verifies a rollup batch proof: `proof` moves rollup `claim.rollup` from `claim.old_root`
    /// to `claim.new_root` with the published `data` (whose hash the verifier computes), under
    /// the verifier key named by `claim.vk_digest`. The VM knows no circuit: a chain without
    /// rollups keeps this default.
    fn zk_verify_batch(&self, claim: &BatchClaim, data: &[u8], proof: &[u8]) -> ZkVerdict {
        let _ = (claim, data, proof);
        ZkVerdict::Unsupported
    }

    /// Verifies an exit proof (an account and its Merkle path) against a verified `root`.
    fn zk_verify_exit(&self, root: &[u8; 32], proof: &[u8]) -> ZkVerdict {
        let _ = (root, proof);
        ZkVerdict::Unsupported
    }

    /// Verifies a rollup account's Schnorr signature (over Vesta): `pubkey` = `x | y`, `msg` =
    /// `word | extra` (32-byte little-endian field elements each), `sig` = `rx | ry | s`.
    fn zk_verify_signature(&self, pubkey: &[u8], msg: &[u8], sig: &[u8]) -> ZkVerdict {
        let _ = (pubkey, msg, sig);
        ZkVerdict::Unsupported
    }

    /// The digest of the verifier key this node derives for step size `ops_per_step`, or why
    /// there is none (`UnknownKey`: a step size the chain does not support).
    fn zk_vk_digest(&self, ops_per_step: u32) -> Result<[u8; 32], ZkVerdict> {
        let _ = ops_per_step;
        Err(ZkVerdict::Unsupported)
    }
}

/// The public inputs of a rollup batch proof, as `proof_zk_verify_batch` reads them: 104 bytes,
/// `vk_digest [32] | ops_per_step u32 LE | rollup u32 LE | old_root [32] | new_root [32]`. The
/// step size names the circuit, so a node derives the key from it and only compares digests: the
/// answer never depends on which keys a node happens to have seen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchClaim {
    pub vk_digest: [u8; 32],
    pub ops_per_step: u32,
    pub rollup: u32,
    pub old_root: [u8; 32],
    pub new_root: [u8; 32],
}

impl BatchClaim {
    pub const BYTES: usize = 104;

    pub fn from_bytes(b: &[u8]) -> Option<BatchClaim> {
        if b.len() != Self::BYTES {
            return None;
        }
        let a32 = |o: usize| -> [u8; 32] { b[o..o + 32].try_into().expect("32 bytes") };
        let u32le = |o: usize| u32::from_le_bytes(b[o..o + 4].try_into().expect("4 bytes"));
        Some(BatchClaim {
            vk_digest: a32(0),
            ops_per_step: u32le(32),
            rollup: u32le(36),
            old_root: a32(40),
            new_root: a32(72),
        })
    }
}

/// What a chain's proof verifier answers; the import returns the code (see `CONTRACTS.md`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ZkVerdict {
    Valid = 0,
    /// Well-formed, but not a proof of this claim.
    Invalid = 1,
    /// The verifier key digest (or step size) is not one this chain derives.
    UnknownKey = 2,
    /// The claim, data or proof bytes do not decode.
    Malformed = 3,
    /// The block has no verification room left: the transaction belongs in a later block.
    NoRoom = 4,
    /// The chain has no proof verifier.
    Unsupported = 5,
}

/// Answers `query_chain`. `request` is a JSON `QueryRequest`; the answer is a JSON
/// `SystemResult<ContractResult<Binary>>`. Returns the answer and the gas it used (VM gas units),
/// which must not exceed `gas_limit` (return `BackendError::OutOfGas` instead).
pub trait Querier: Send {
    fn query_raw(&self, request: &[u8], gas_limit: u64) -> BackendResult<(Vec<u8>, u64)>;
}

/// Everything a call needs from the chain. Moved into the call and handed back after it.
pub struct Backend {
    pub storage: Box<dyn Storage>,
    pub api: std::sync::Arc<dyn Api>,
    pub querier: Box<dyn Querier>,
}
