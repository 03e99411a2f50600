//! Checkpoints: the record an epoch closes with (its blocks, records, validator set,
//! contracts root and rewards), written by the first block past its end.

use super::params::*;
use super::rewards::*;
use super::schedule::*;
use crate::modules::staking::{self, StakingError};
use crate::state::corrupt;
use crate::state::{Delta, Kv, StateError, StateRead};
use proof_sdk::checkpoint::{self, merkle_root, Checkpoint, Hash};
use serde::{Deserialize, Serialize};

pub(crate) const PENDING_RECORD_PREFIX: &[u8] = b"epoch/pending/";

/// How many records are pending (so adding one costs O(1), not a scan).
pub(crate) const PENDING_COUNT_KEY: &[u8] = b"epoch/pending_count";

/// How many were pending when the current block began (written only while some are): the
/// checkpoint a block closes takes those, and the ones the block itself added wait for the next,
/// so a record is always in the checkpoint of the epoch that holds the block which added it.
pub(crate) const PENDING_AT_BLOCK_START_KEY: &[u8] = b"epoch/pending_at_block_start";

fn pending_count(state: &dyn StateRead, key: &[u8]) -> Result<u64, StateError> {
    match state.get_raw(key)? {
        Some(b) => Ok(u64::from_be_bytes(
            b.as_slice().try_into().map_err(|_| corrupt(key, "count"))?,
        )),
        None => Ok(0),
    }
}

/// Notes, at the start of a block, how many records earlier blocks left pending (nothing is
/// written while there are none, so a chain without records keeps its state as it was).
pub fn mark_block_start(block: &mut Delta<'_>) -> Result<(), StateError> {
    match pending_count(block, PENDING_COUNT_KEY)? {
        0 => {
            if block.get_raw(PENDING_AT_BLOCK_START_KEY)?.is_some() {
                block.delete(PENDING_AT_BLOCK_START_KEY.to_vec());
            }
        }
        n => block.put(
            PENDING_AT_BLOCK_START_KEY.to_vec(),
            n.to_be_bytes().to_vec(),
        ),
    }
    Ok(())
}

pub(crate) const CHECKPOINT_PREFIX: &[u8] = b"epoch/checkpoint/";

/// App hashes of the current epoch's blocks, recorded one block later (`<height>` -> hash).
pub(crate) const BLOCK_HASH_PREFIX: &[u8] = b"epoch/block_hash/";

/// A closed epoch's block app hashes, concatenated (so proofs never depend on node pruning).
pub(crate) const EPOCH_BLOCKS_PREFIX: &[u8] = b"epoch/blocks/";

pub(crate) const LATEST_KEY: &[u8] = b"epoch/latest";

/// Where the store keeps the wasm substore's root (the main tree's value at the substore's
/// name, written at each commit).
pub const CONTRACTS_ROOT_KEY: &[u8] = b"wasm";

/// A stored checkpoint: the record, its hash, the block that wrote it and the higher-layer
/// records it committed to (so their proofs can be served later).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StoredCheckpoint {
    pub checkpoint: Checkpoint,
    pub hash: String,
    pub written_at: u64,
    pub records: Vec<String>,
}

/// Queues a record a higher layer finalized (rollup batch root, bridge record) for the current
/// epoch's checkpoint. Records keep their arrival order.
pub fn add_record(kv: &mut dyn Kv, record: &[u8]) -> Result<(), StateError> {
    let n = match kv.kv_get(PENDING_COUNT_KEY)? {
        Some(b) => u64::from_be_bytes(
            b.as_slice()
                .try_into()
                .map_err(|_| corrupt(PENDING_COUNT_KEY, "count"))?,
        ),
        None => 0,
    };
    kv.kv_put(
        [PENDING_RECORD_PREFIX, &n.to_be_bytes()].concat(),
        record.to_vec(),
    )?;
    kv.kv_put(PENDING_COUNT_KEY.to_vec(), (n + 1).to_be_bytes().to_vec())
}

pub(crate) fn checkpoint_key(epoch: u64) -> Vec<u8> {
    [CHECKPOINT_PREFIX, &epoch.to_be_bytes()].concat()
}

pub fn checkpoint(
    state: &dyn StateRead,
    epoch: u64,
) -> Result<Option<StoredCheckpoint>, StateError> {
    let key = checkpoint_key(epoch);
    match state.get_raw(&key)? {
        Some(b) => Ok(Some(
            serde_json::from_slice(&b).map_err(|e| corrupt(&key, e))?,
        )),
        None => Ok(None),
    }
}

pub fn latest_epoch(state: &dyn StateRead) -> Result<Option<u64>, StateError> {
    match state.get_raw(LATEST_KEY)? {
        Some(b) => Ok(Some(u64::from_be_bytes(
            b.as_slice()
                .try_into()
                .map_err(|_| corrupt(LATEST_KEY, "epoch"))?,
        ))),
        None => Ok(None),
    }
}

/// The checkpoint covering block `height`, found by binary search over the stored epochs.
pub fn checkpoint_for_height(
    state: &dyn StateRead,
    height: u64,
) -> Result<Option<StoredCheckpoint>, StateError> {
    let Some(latest) = latest_epoch(state)? else {
        return Ok(None);
    };
    let (mut lo, mut hi) = (0u64, latest);
    while lo <= hi {
        let mid = lo + (hi - lo) / 2;
        let Some(c) = checkpoint(state, mid)? else {
            return Ok(None);
        };
        if height < c.checkpoint.start_height {
            if mid == 0 {
                return Ok(None);
            }
            hi = mid - 1;
        } else if height > c.checkpoint.end_height {
            lo = mid + 1;
        } else {
            return Ok(Some(c));
        }
    }
    Ok(None)
}

/// CometBFT's validator-set hash of a list of (ed25519 key, power).
pub fn validator_set_hash(set: &[([u8; 32], u64)]) -> Result<Hash, StateError> {
    let infos = set
        .iter()
        .map(|(pk, p)| {
            let key = tendermint::PublicKey::from_raw_ed25519(pk)
                .ok_or_else(|| corrupt(b"staking/val", "bad ed25519 key"))?;
            let power =
                tendermint::vote::Power::try_from(*p).map_err(|e| corrupt(b"staking/power", e))?;
            Ok(tendermint::validator::Info::new(key, power))
        })
        .collect::<Result<Vec<_>, StateError>>()?;
    match tendermint::validator::Set::without_proposer(infos).hash() {
        tendermint::Hash::Sha256(h) => Ok(h),
        tendermint::Hash::None => Ok(checkpoint::empty_root()),
    }
}

/// The root of the wasm module's substore (every contract's code, info and storage) as of the
/// last committed block: one read, however much contract state exists. Its keys are proven
/// against it with `store/wasm/key` queries at that height.
pub fn contracts_root(state: &dyn StateRead) -> Result<Hash, StateError> {
    match state.get_raw(CONTRACTS_ROOT_KEY)? {
        Some(root) => root
            .as_slice()
            .try_into()
            .map_err(|_| corrupt(CONTRACTS_ROOT_KEY, "root is not 32 bytes")),
        None => Ok(checkpoint::empty_root()),
    }
}

/// Records the app hash block `height` committed to (called at the start of block `height + 1`,
/// when every node has it). The checkpoint reads these from state, never from a node's store,
/// so the result cannot depend on how much history a node keeps.
pub fn record_block_hash(kv: &mut Delta<'_>, height: u64, app_hash: &Hash) {
    kv.put(
        [BLOCK_HASH_PREFIX, &height.to_be_bytes()].concat(),
        app_hash.to_vec(),
    );
}

/// The app hashes of the blocks epoch `epoch` covers, in height order.
pub fn epoch_block_hashes(state: &dyn StateRead, epoch: u64) -> Result<Vec<Hash>, StateError> {
    let key = [EPOCH_BLOCKS_PREFIX, &epoch.to_be_bytes()].concat();
    let raw = state.get_raw(&key)?.unwrap_or_default();
    raw.chunks(32)
        .map(|c| c.try_into().map_err(|_| corrupt(&key, "hash length")))
        .collect()
}

/// The open epoch, if block `height` at `now_ns` closes it (its block time is up and it holds
/// at least one block).
pub fn epoch_due(
    state: &dyn StateRead,
    height: u64,
    now_ns: i64,
) -> Result<Option<EpochState>, StateError> {
    let Some(st) = epoch_state(state)? else {
        return Ok(None);
    };
    let p = EpochParams::load(state)?;
    let due = crate::state::after_secs(st.start_time_ns, p.epoch_secs);
    if now_ns < due || height <= st.start_height {
        return Ok(None);
    }
    Ok(Some(st))
}

/// The records of the closing epoch, taken out of the queue: those pending when this block
/// began. Each was added (and paid for) by the layer that produced it. Those this block added
/// belong to the next epoch, with the block: they move to the front of the queue.
fn take_epoch_records(kv: &mut Delta<'_>) -> Result<Vec<Vec<u8>>, StateError> {
    let cutoff = pending_count(kv, PENDING_AT_BLOCK_START_KEY)? as usize;
    let pending = kv.scan_prefix(PENDING_RECORD_PREFIX)?;
    let mut records: Vec<Vec<u8>> = Vec::with_capacity(cutoff.min(pending.len()));
    let mut later: Vec<Vec<u8>> = Vec::new();
    for (i, (k, v)) in pending.into_iter().enumerate() {
        kv.delete(k);
        if i < cutoff {
            records.push(v);
        } else {
            later.push(v);
        }
    }
    kv.delete(PENDING_AT_BLOCK_START_KEY.to_vec());
    if later.is_empty() {
        kv.delete(PENDING_COUNT_KEY.to_vec());
    } else {
        for (i, v) in later.iter().enumerate() {
            kv.put(
                [PENDING_RECORD_PREFIX, &(i as u64).to_be_bytes()].concat(),
                v.clone(),
            );
        }
        kv.put(
            PENDING_COUNT_KEY.to_vec(),
            (later.len() as u64).to_be_bytes().to_vec(),
        );
    }
    Ok(records)
}

/// Closes epoch `st` at block `height`: pays rewards, writes and returns the checkpoint. Call
/// after the validator set update ([`epoch_due`] said it is time).
pub fn close_epoch(
    kv: &mut Delta<'_>,
    chain_id: &str,
    height: u64,
    now_ns: i64,
    st: EpochState,
) -> Result<StoredCheckpoint, StakingError> {
    let p = EpochParams::load(kv)?;
    let end = height - 1;
    // One entry per block of the epoch: bounded by its length in block time.
    let recorded = kv.scan_prefix(BLOCK_HASH_PREFIX)?;
    let mut leaves = Vec::with_capacity((end - st.start_height + 1) as usize);
    let mut hashes = Vec::with_capacity(32 * leaves.capacity());
    for h in st.start_height..=end {
        let key = [BLOCK_HASH_PREFIX, &h.to_be_bytes()].concat();
        let ah: Hash = recorded
            .get(&key)
            .and_then(|v| v.as_slice().try_into().ok())
            .ok_or_else(|| corrupt(&key, format!("no recorded app hash for block {h}")))?;
        leaves.push(checkpoint::leaf_hash(&checkpoint::block_leaf(h, &ah)));
        hashes.extend_from_slice(&ah);
    }
    for k in recorded.into_keys() {
        kv.delete(k);
    }
    kv.put(
        [EPOCH_BLOCKS_PREFIX, &st.epoch.to_be_bytes()].concat(),
        hashes,
    );
    let blocks_root = checkpoint::root_of_hashes(&leaves);

    let records = take_epoch_records(kv)?;

    let rewards = distribute_rewards(kv, &p, now_ns)?;
    let set: Vec<([u8; 32], u64)> = staking::last_set(kv)?
        .into_iter()
        .map(|(v, p)| (v.cons_pubkey, p))
        .collect();
    let cp = Checkpoint {
        chain_id: chain_id.to_string(),
        epoch: st.epoch,
        prev_hash: st.prev_hash,
        start_height: st.start_height,
        end_height: end,
        start_time_ns: st.start_time_ns,
        end_time_ns: now_ns,
        blocks_root,
        records_root: merkle_root(&records),
        record_count: records.len() as u64,
        validator_set_hash: validator_set_hash(&set)?,
        contracts_root: contracts_root(kv)?,
        rewards,
    };
    let hash = cp.hash();
    let stored = StoredCheckpoint {
        checkpoint: cp,
        hash: hex::encode_upper(hash),
        written_at: height,
        records: records.iter().map(hex::encode).collect(),
    };
    kv.put(
        checkpoint_key(st.epoch),
        serde_json::to_vec(&stored).map_err(|e| corrupt(b"epoch/checkpoint", e))?,
    );
    kv.put(LATEST_KEY.to_vec(), st.epoch.to_be_bytes().to_vec());
    set_epoch_state(
        kv,
        &EpochState {
            epoch: st.epoch + 1,
            start_height: height,
            start_time_ns: now_ns,
            prev_hash: hash,
        },
    )?;
    Ok(stored)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_belongs_to_the_epoch_of_the_block_that_added_it() {
        let base = crate::state::EmptyState;
        let mut kv = Delta::new(&base);
        // no records: nothing is written
        mark_block_start(&mut kv).unwrap();
        assert!(kv.get_raw(PENDING_AT_BLOCK_START_KEY).unwrap().is_none());
        // two records in earlier blocks, one in the block that closes the epoch
        add_record(&mut kv, b"r0").unwrap();
        add_record(&mut kv, b"r1").unwrap();
        mark_block_start(&mut kv).unwrap();
        add_record(&mut kv, b"r2").unwrap();
        assert_eq!(
            take_epoch_records(&mut kv).unwrap(),
            vec![b"r0".to_vec(), b"r1".to_vec()]
        );
        // the closing block's record opens the next epoch's queue, and more join it in order
        add_record(&mut kv, b"r3").unwrap();
        mark_block_start(&mut kv).unwrap();
        assert_eq!(
            take_epoch_records(&mut kv).unwrap(),
            vec![b"r2".to_vec(), b"r3".to_vec()]
        );
        assert!(kv.get_raw(PENDING_COUNT_KEY).unwrap().is_none());
        mark_block_start(&mut kv).unwrap();
        assert!(kv.get_raw(PENDING_AT_BLOCK_START_KEY).unwrap().is_none());
        assert!(take_epoch_records(&mut kv).unwrap().is_empty());
    }
}
