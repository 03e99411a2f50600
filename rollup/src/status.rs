//! What the operator's parts tell the API about each other's progress (never consensus: plain
//! maps and locks).

use crate::wire::TxState;
use proof_zk::{AccountTree, PublicKey};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, RwLock};

/// One batch's progress.
#[derive(Clone, Debug, Default)]
pub struct BatchRecord {
    pub state: Option<TxState>,
    pub ops: u32,
    pub deposits: u32,
    pub old_root: Option<[u8; 32]>,
    pub new_root: Option<[u8; 32]>,
    pub prove_millis: Option<u64>,
    pub worker: Option<usize>,
    pub chain_tx: Option<String>,
    pub chain_height: Option<u64>,
}

/// Batch indices whose state changed, for the API's websocket subscribers. A lagging
/// subscriber loses events, never blocks the operator: it reads the state again.
pub struct BatchEvents(pub tokio::sync::broadcast::Sender<u64>);

impl Default for BatchEvents {
    fn default() -> Self {
        BatchEvents(tokio::sync::broadcast::channel(1024).0)
    }
}

/// Shared progress of the sequencer, pipeline and poster.
#[derive(Default)]
pub struct Status {
    /// Account keys (a key, once set, never changes: the signature check needs no sequencer).
    pub keys: RwLock<HashMap<u32, PublicKey>>,
    /// Where each confirmed transaction is: hash -> (batch, position).
    pub txs: RwLock<HashMap<[u8; 32], (u64, u32)>>,
    pub batches: Mutex<BTreeMap<u64, BatchRecord>>,
    /// The state at the last root the chain verified (exit proofs, verified balances).
    pub verified: Mutex<AccountTree>,
    pub verified_batches: AtomicU64,
    pub open_batch: AtomicU64,
    pub open_batch_ops: AtomicU64,
    pub next_deposit_seq: AtomicU64,
    /// Requests waiting for the sequencer.
    pub queue_depth: AtomicUsize,
    /// Why the operator takes no operations (a journal it cannot write, a divergence from the
    /// chain), if it does not.
    pub halted: Mutex<Option<String>>,
    /// Why the last attempt to post the next batch failed, while it is being retried.
    pub post_error: Mutex<Option<String>>,
    pub events: BatchEvents,
}

impl Status {
    pub fn halt(&self, why: String) {
        tracing::error!(%why, "operator halted");
        *self.halted.lock().expect("status lock") = Some(why);
    }

    pub fn halted(&self) -> Option<String> {
        self.halted.lock().expect("status lock").clone()
    }

    pub fn key(&self, index: u32) -> Option<PublicKey> {
        self.keys.read().expect("keys lock").get(&index).copied()
    }

    pub fn set_batch(&self, index: u64, f: impl FnOnce(&mut BatchRecord)) {
        let changed = {
            let mut batches = self.batches.lock().expect("status lock");
            let r = batches.entry(index).or_default();
            let before = r.state;
            f(r);
            r.state != before
        };
        if changed {
            // No subscriber is no error.
            let _ = self.events.0.send(index);
        }
    }

    pub fn batch(&self, index: u64) -> Option<BatchRecord> {
        self.batches
            .lock()
            .expect("status lock")
            .get(&index)
            .cloned()
    }

    pub fn verified_batches(&self) -> u64 {
        self.verified_batches.load(Ordering::Acquire)
    }
}
