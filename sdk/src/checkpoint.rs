//! Epoch checkpoints of the ZZ layer: the record the chain writes at the end of every epoch,
//! the binary Merkle tree its roots are built with, and the verifier clients use.
//!
//! The tree is RFC 9162's (Certificate Transparency v2) over SHA-256 with domain separation:
//! a leaf hashes as `H(0x00 ‖ data)`, an inner node as `H(0x01 ‖ left ‖ right)`, a tree of n > 1
//! leaves splits at the largest power of two below n, and the empty tree's root is `H("")`.
//! A leaf can therefore never be passed off as an inner node (no second-preimage trick).

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use thiserror::Error;

pub type Hash = [u8; 32];

pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(data);
    h.finalize().into()
}

pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// Root of the empty tree.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

fn split(n: usize) -> usize {
    // Largest power of two strictly below n (n >= 2).
    let mut k = 1;
    while k << 1 < n {
        k <<= 1;
    }
    k
}

/// The root over already-hashed leaves.
pub fn root_of_hashes(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => {
            let k = split(n);
            node_hash(&root_of_hashes(&leaves[..k]), &root_of_hashes(&leaves[k..]))
        }
    }
}

/// The root over raw leaf data.
pub fn merkle_root<T: AsRef<[u8]>>(leaves: &[T]) -> Hash {
    let hashed: Vec<Hash> = leaves.iter().map(|l| leaf_hash(l.as_ref())).collect();
    root_of_hashes(&hashed)
}

/// An inclusion proof: the sibling hashes from the leaf up to the root.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InclusionProof {
    pub index: u64,
    pub total: u64,
    #[serde(with = "hex_list")]
    pub siblings: Vec<Hash>,
}

/// The proof that leaf `index` is in the tree over `leaves` (already hashed).
pub fn prove(leaves: &[Hash], index: usize) -> Option<InclusionProof> {
    if index >= leaves.len() {
        return None;
    }
    fn path(leaves: &[Hash], index: usize, out: &mut Vec<Hash>) {
        if leaves.len() <= 1 {
            return;
        }
        let k = split(leaves.len());
        if index < k {
            path(&leaves[..k], index, out);
            out.push(root_of_hashes(&leaves[k..]));
        } else {
            path(&leaves[k..], index - k, out);
            out.push(root_of_hashes(&leaves[..k]));
        }
    }
    let mut siblings = Vec::new();
    path(leaves, index, &mut siblings);
    Some(InclusionProof {
        index: index as u64,
        total: leaves.len() as u64,
        siblings,
    })
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum VerifyError {
    #[error("proof index {index} is outside a tree of {total} leaves")]
    IndexOutOfRange { index: u64, total: u64 },
    #[error(
        "proof has {got} sibling hashes, a tree of {total} leaves needs {want} for leaf {index}"
    )]
    WrongLength {
        index: u64,
        total: u64,
        got: usize,
        want: usize,
    },
    #[error("computed root {computed} differs from the checkpoint's {expected}")]
    RootMismatch { computed: String, expected: String },
    #[error("block {height} is not in the checkpoint's range {start}..={end}")]
    HeightOutOfRange { height: u64, start: u64, end: u64 },
    #[error("the proof is for leaf {got} but block {height} is leaf {want}")]
    WrongLeaf { height: u64, got: u64, want: u64 },
    #[error("checkpoint {epoch} says block count {count} but covers {start}..={end}")]
    BadRange {
        epoch: u64,
        count: u64,
        start: u64,
        end: u64,
    },
    #[error("checkpoint hash {computed} differs from the claimed {claimed}")]
    HashMismatch { computed: String, claimed: String },
    #[error("checkpoint {epoch} does not link to the previous one: prev_hash {got}, previous checkpoint hashes to {want}")]
    BrokenLink {
        epoch: u64,
        got: String,
        want: String,
    },
    #[error("reward distribution does not add up: {0}")]
    Rewards(String),
}

/// Recomputes the root from a leaf hash and its proof (RFC 9162 §2.1.3.2).
pub fn root_from_proof(leaf: Hash, proof: &InclusionProof) -> Result<Hash, VerifyError> {
    if proof.index >= proof.total {
        return Err(VerifyError::IndexOutOfRange {
            index: proof.index,
            total: proof.total,
        });
    }
    // Walk down the same splits `prove` took, recording which side each sibling is on.
    let mut sides = Vec::new(); // true: sibling is on the right
    let (mut index, mut n) = (proof.index, proof.total);
    while n > 1 {
        let k = split(n as usize) as u64;
        if index < k {
            sides.push(true);
            n = k;
        } else {
            sides.push(false);
            index -= k;
            n -= k;
        }
    }
    if sides.len() != proof.siblings.len() {
        return Err(VerifyError::WrongLength {
            index: proof.index,
            total: proof.total,
            got: proof.siblings.len(),
            want: sides.len(),
        });
    }
    // Siblings are listed leaf-first; sides were recorded root-first.
    let mut acc = leaf;
    for (sib, right) in proof.siblings.iter().zip(sides.iter().rev()) {
        acc = if *right {
            node_hash(&acc, sib)
        } else {
            node_hash(sib, &acc)
        };
    }
    Ok(acc)
}

/// The leaf data of a block in a checkpoint: its height and the app hash it committed to.
pub fn block_leaf(height: u64, app_hash: &Hash) -> Vec<u8> {
    let mut v = height.to_be_bytes().to_vec();
    v.extend_from_slice(app_hash);
    v
}

/// One payment made at a checkpoint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payout {
    /// Bech32 account address.
    pub address: String,
    /// `most_active`, `commission`, `delegation`, `liquidity`, `development`.
    pub kind: String,
    #[serde(with = "u128_str")]
    pub amount: u128,
}

/// How the epoch's emission (and the fees collected) were paid out.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RewardDistribution {
    /// New uxyz minted for this epoch.
    #[serde(with = "u128_str")]
    pub emission: u128,
    /// Fees collected during the epoch, paid to validators by stake with the validator share.
    #[serde(with = "u128_str")]
    pub fees: u128,
    /// The account with the most fee-paying transactions (None if there were none).
    pub most_active: Option<String>,
    #[serde(with = "u128_str")]
    pub most_active_amount: u128,
    /// Validator share of the emission (before rounding dust).
    #[serde(with = "u128_str")]
    pub validators_amount: u128,
    #[serde(with = "u128_str")]
    pub liquidity_amount: u128,
    /// Development fund share plus every rounding remainder and unclaimable share.
    #[serde(with = "u128_str")]
    pub development_amount: u128,
    pub payouts: Vec<Payout>,
}

impl RewardDistribution {
    /// Everything paid out equals emission plus fees, and the summary matches the payouts.
    pub fn check(&self) -> Result<(), VerifyError> {
        let err = |s: String| Err(VerifyError::Rewards(s));
        let paid: Option<u128> = self
            .payouts
            .iter()
            .try_fold(0u128, |a, p| a.checked_add(p.amount));
        let Some(paid) = paid else {
            return err("payouts overflow".into());
        };
        let Some(total) = self.emission.checked_add(self.fees) else {
            return err("emission + fees overflow".into());
        };
        if paid != total {
            return err(format!("paid {paid} but emission + fees is {total}"));
        }
        let sum_kind = |k: &str| -> u128 {
            self.payouts
                .iter()
                .filter(|p| p.kind == k)
                .map(|p| p.amount)
                .sum()
        };
        if sum_kind("most_active") != self.most_active_amount
            || sum_kind("liquidity") != self.liquidity_amount
            || sum_kind("development") != self.development_amount
        {
            return err("summary amounts differ from the payouts".into());
        }
        Ok(())
    }
}

/// The epoch checkpoint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub chain_id: String,
    pub epoch: u64,
    /// Hash of the previous checkpoint (all zero for epoch 0).
    #[serde(with = "hex32")]
    pub prev_hash: Hash,
    /// Blocks covered: `start_height..=end_height` (the checkpoint itself is written in block
    /// `end_height + 1`, whose app hash cannot be part of its own content).
    pub start_height: u64,
    pub end_height: u64,
    /// Block time (ns since the Unix epoch) when the epoch started and of the block that closed it.
    pub start_time_ns: i64,
    pub end_time_ns: i64,
    /// Merkle root over `block_leaf(h, app_hash(h))` for every covered height, in order.
    #[serde(with = "hex32")]
    pub blocks_root: Hash,
    /// Merkle root over the records higher layers finalized this epoch (rollup batch roots,
    /// bridge records). Empty until those layers exist.
    #[serde(with = "hex32")]
    pub records_root: Hash,
    pub record_count: u64,
    /// CometBFT's validator-set hash (the header's `validators_hash` form) of the set in force
    /// after this checkpoint's block.
    #[serde(with = "hex32")]
    pub validator_set_hash: Hash,
    /// Root of the wasm module's substore (a JMT over every contract's code, info and storage)
    /// after block `end_height`: `store/wasm/key` proofs at that height verify against it.
    #[serde(with = "hex32")]
    pub contracts_root: Hash,
    pub rewards: RewardDistribution,
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    out.extend_from_slice(&(b.len() as u64).to_be_bytes());
    out.extend_from_slice(b);
}

impl Checkpoint {
    /// The canonical encoding the checkpoint hash is taken over (length-prefixed, big-endian).
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let mut o = b"proof/checkpoint/v1".to_vec();
        put_bytes(&mut o, self.chain_id.as_bytes());
        o.extend_from_slice(&self.epoch.to_be_bytes());
        o.extend_from_slice(&self.prev_hash);
        o.extend_from_slice(&self.start_height.to_be_bytes());
        o.extend_from_slice(&self.end_height.to_be_bytes());
        o.extend_from_slice(&self.start_time_ns.to_be_bytes());
        o.extend_from_slice(&self.end_time_ns.to_be_bytes());
        o.extend_from_slice(&self.blocks_root);
        o.extend_from_slice(&self.records_root);
        o.extend_from_slice(&self.record_count.to_be_bytes());
        o.extend_from_slice(&self.validator_set_hash);
        o.extend_from_slice(&self.contracts_root);
        let r = &self.rewards;
        for a in [
            r.emission,
            r.fees,
            r.most_active_amount,
            r.validators_amount,
            r.liquidity_amount,
            r.development_amount,
        ] {
            o.extend_from_slice(&a.to_be_bytes());
        }
        put_bytes(&mut o, r.most_active.as_deref().unwrap_or("").as_bytes());
        o.extend_from_slice(&(r.payouts.len() as u64).to_be_bytes());
        for p in &r.payouts {
            put_bytes(&mut o, p.address.as_bytes());
            put_bytes(&mut o, p.kind.as_bytes());
            o.extend_from_slice(&p.amount.to_be_bytes());
        }
        o
    }

    pub fn hash(&self) -> Hash {
        Sha256::digest(self.canonical_bytes()).into()
    }

    /// Checks what a checkpoint says about itself: range, reward arithmetic, optional claimed
    /// hash and the link to the previous checkpoint.
    pub fn verify(
        &self,
        claimed_hash: Option<&Hash>,
        prev: Option<&Checkpoint>,
    ) -> Result<(), VerifyError> {
        if self.end_height < self.start_height {
            return Err(VerifyError::BadRange {
                epoch: self.epoch,
                count: 0,
                start: self.start_height,
                end: self.end_height,
            });
        }
        self.rewards.check()?;
        if let Some(c) = claimed_hash {
            let h = self.hash();
            if &h != c {
                return Err(VerifyError::HashMismatch {
                    computed: hex::encode(h),
                    claimed: hex::encode(c),
                });
            }
        }
        if let Some(p) = prev {
            let want = p.hash();
            if want != self.prev_hash || p.epoch + 1 != self.epoch {
                return Err(VerifyError::BrokenLink {
                    epoch: self.epoch,
                    got: hex::encode(self.prev_hash),
                    want: hex::encode(want),
                });
            }
        }
        Ok(())
    }

    /// Verifies that block `height` with `app_hash` is one of this checkpoint's blocks.
    pub fn verify_block(
        &self,
        height: u64,
        app_hash: &Hash,
        proof: &InclusionProof,
    ) -> Result<(), VerifyError> {
        if height < self.start_height || height > self.end_height {
            return Err(VerifyError::HeightOutOfRange {
                height,
                start: self.start_height,
                end: self.end_height,
            });
        }
        let want = height - self.start_height;
        if proof.index != want || proof.total != self.end_height - self.start_height + 1 {
            return Err(VerifyError::WrongLeaf {
                height,
                got: proof.index,
                want,
            });
        }
        let root = root_from_proof(leaf_hash(&block_leaf(height, app_hash)), proof)?;
        if root != self.blocks_root {
            return Err(VerifyError::RootMismatch {
                computed: hex::encode(root),
                expected: hex::encode(self.blocks_root),
            });
        }
        Ok(())
    }

    /// Verifies that a higher-layer record is in this checkpoint.
    pub fn verify_record(&self, record: &[u8], proof: &InclusionProof) -> Result<(), VerifyError> {
        if proof.total != self.record_count {
            return Err(VerifyError::IndexOutOfRange {
                index: proof.index,
                total: self.record_count,
            });
        }
        let root = root_from_proof(leaf_hash(record), proof)?;
        if root != self.records_root {
            return Err(VerifyError::RootMismatch {
                computed: hex::encode(root),
                expected: hex::encode(self.records_root),
            });
        }
        Ok(())
    }
}

/// What the checkpoint block-proof query returns.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BlockProof {
    pub checkpoint: Checkpoint,
    #[serde(with = "hex32")]
    pub checkpoint_hash: Hash,
    pub height: u64,
    #[serde(with = "hex32")]
    pub app_hash: Hash,
    pub proof: InclusionProof,
}

/// The record a verified rollup batch adds to its epoch's checkpoint (the L1 record), as the
/// chain's `MsgRecordBatch` writes it: `"rollup-batch/v1" | sender_len u8 | sender (canonical
/// bytes: the verifier contract that verified it) | rollup u32 BE | index u64 BE | old_root |
/// new_root | data_sha256`.
pub fn rollup_batch_record(
    sender: &[u8],
    rollup: u32,
    index: u64,
    old_root: &[u8; 32],
    new_root: &[u8; 32],
    data_sha256: &[u8; 32],
) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + sender.len() + 12 + 96);
    out.extend_from_slice(ROLLUP_BATCH_TAG);
    out.push(sender.len() as u8);
    out.extend_from_slice(sender);
    out.extend_from_slice(&rollup.to_be_bytes());
    out.extend_from_slice(&index.to_be_bytes());
    out.extend_from_slice(old_root);
    out.extend_from_slice(new_root);
    out.extend_from_slice(data_sha256);
    out
}

/// The first bytes of a rollup batch record.
pub const ROLLUP_BATCH_TAG: &[u8] = b"rollup-batch/v1";

/// A record's inclusion proof in a checkpoint (the RecordProof query's answer).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RecordProof {
    pub index: u64,
    /// The record, hex.
    pub record: String,
    pub proof: InclusionProof,
    /// The checkpoint's hash, hex (as stored).
    pub checkpoint_hash: String,
}

/// What the checkpoint query returns.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CheckpointResponse {
    pub checkpoint: Checkpoint,
    #[serde(with = "hex32")]
    pub hash: Hash,
    /// The height of the block that wrote the checkpoint.
    pub written_at: u64,
}

mod hex32 {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode_upper(v))
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
        let s = String::deserialize(d)?;
        let v = hex::decode(&s).map_err(serde::de::Error::custom)?;
        v.try_into()
            .map_err(|_| serde::de::Error::custom("expected 32 bytes"))
    }
}

mod hex_list {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[[u8; 32]], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(hex::encode_upper))
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<[u8; 32]>, D::Error> {
        let v = Vec::<String>::deserialize(d)?;
        v.iter()
            .map(|s| {
                hex::decode(s)
                    .map_err(serde::de::Error::custom)?
                    .try_into()
                    .map_err(|_| serde::de::Error::custom("expected 32 bytes"))
            })
            .collect()
    }
}

/// u128 as a decimal string in JSON (JavaScript numbers cannot hold it).
pub mod u128_str {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &u128, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&v.to_string())
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u128, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proofs_verify_for_every_leaf_and_size() {
        for n in 1..=17usize {
            let leaves: Vec<Hash> = (0..n).map(|i| leaf_hash(&[i as u8])).collect();
            let root = root_of_hashes(&leaves);
            for (i, l) in leaves.iter().enumerate() {
                let p = prove(&leaves, i).unwrap();
                assert_eq!(root_from_proof(*l, &p).unwrap(), root, "n={n} i={i}");
                // The wrong leaf or a tampered sibling fails.
                let other = leaf_hash(b"x");
                assert_ne!(root_from_proof(other, &p).unwrap(), root);
                if let Some(s) = p.siblings.first() {
                    let mut bad = p.clone();
                    bad.siblings[0] = node_hash(s, s);
                    assert_ne!(root_from_proof(*l, &bad).unwrap(), root);
                }
            }
            assert!(prove(&leaves, n).is_none());
        }
    }

    #[test]
    fn tree_shape_is_rfc9162() {
        let (a, b, c) = (leaf_hash(b"a"), leaf_hash(b"b"), leaf_hash(b"c"));
        assert_eq!(
            root_of_hashes(&[a, b, c]),
            node_hash(&node_hash(&a, &b), &c)
        );
        assert_eq!(merkle_root::<&[u8]>(&[]), empty_root());
        // A leaf is not confusable with an inner node over the same bytes.
        let inner = node_hash(&a, &b);
        let fake_leaf = leaf_hash(&[a.as_slice(), b.as_slice()].concat());
        assert_ne!(inner, fake_leaf);
    }

    #[test]
    fn wrong_length_proof_is_refused() {
        let leaves: Vec<Hash> = (0..5u8).map(|i| leaf_hash(&[i])).collect();
        let mut p = prove(&leaves, 4).unwrap();
        p.siblings.push([0; 32]);
        assert!(matches!(
            root_from_proof(leaves[4], &p),
            Err(VerifyError::WrongLength { .. })
        ));
    }
}
