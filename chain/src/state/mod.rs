//! Layered state for execution: committed store <- block delta <- tx delta.
//!
//! Writes go to the innermost [`Delta`]; a successful tx merges its delta into the block's, a
//! failed one drops it, so a failed message can never leave a partial write. Deltas are
//! `BTreeMap`s, so iteration (and therefore the JMT write set) is in key order: deterministic.

pub mod accounts;
pub mod codec;
pub mod fees;
pub mod gas;
pub mod keys;
pub mod math;
pub mod params;

use std::collections::BTreeMap;

use thiserror::Error;

use crate::store::{Store, StoreError};
use gas::{GasMeter, OutOfGas};

/// A stored value that does not decode: the key (lossy UTF-8) and why.
pub(crate) fn corrupt(key: &[u8], reason: impl ToString) -> StateError {
    StateError::Corrupt {
        key: String::from_utf8_lossy(key).into_owned(),
        reason: reason.to_string(),
    }
}

/// A scheduled software upgrade (the upgrade module's record, `modules::upgrade`). It is
/// defined here because halting for one is a condition every layer may have to report.
#[derive(
    Clone,
    Debug,
    PartialEq,
    Eq,
    serde::Serialize,
    serde::Deserialize,
    borsh::BorshSerialize,
    borsh::BorshDeserialize,
)]
pub struct Plan {
    pub name: String,
    /// The first height the new binary executes.
    pub height: u64,
    /// Free text for operators (e.g. where to download the binary).
    pub info: String,
}

#[derive(Debug, Error)]
pub enum StateError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    OutOfGas(#[from] OutOfGas),
    #[error("corrupt state at {key}: {reason}")]
    Corrupt { key: String, reason: String },
    /// The block is a scheduled upgrade's and this binary has no migration for it: halt.
    #[error("UPGRADE {:?} NEEDED at height: {}: {}", .0.name, .0.height, .0.info)]
    UpgradeNeeded(Box<Plan>),
    /// Executing the block hit a condition of this node (its storage failed, a local resource
    /// ran out): other nodes did not, so it stops rather than record a different result.
    #[error("this node cannot execute the block: {0}")]
    NodeCondition(String),
    /// This binary knows a scheduled upgrade whose height is still ahead: it was switched early.
    #[error("BINARY UPDATED BEFORE TRIGGER! upgrade {:?} is scheduled at height {}: run the old binary until then", .0.name, .0.height)]
    UpgradedTooEarly(Box<Plan>),
}

/// Key order of a range read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    Ascending,
    Descending,
}

/// One stored entry.
pub type Entry = (Vec<u8>, Vec<u8>);
/// Entries produced one at a time, so a reader pays (and works) only for what it consumes.
pub type EntryIter<'a> = Box<dyn Iterator<Item = Result<Entry, StateError>> + 'a>;
/// A layer's view of a key: its entry, or (`None`) a pending deletion that hides what is below.
pub type Written = (Vec<u8>, Option<Vec<u8>>);
/// Entries and the pending deletions met among them, one at a time: what a metered reader
/// walks, so every deletion stepped over is work it can be charged for (a range that a
/// block's earlier transactions emptied is not free to cross again and again).
pub type WrittenIter<'a> = Box<dyn Iterator<Item = Result<Written, StateError>> + 'a>;

/// The smallest key above every key that starts with `prefix` (`None`: no such key, the prefix
/// is all `0xff`).
pub fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// Read access to some layer of state.
pub trait StateRead {
    fn get_raw(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StateError>;

    /// Keys with `start <= key < end` (no `end`: to the end of the key space) merged across
    /// layers, produced lazily in `order`, with the pending deletions among them.
    fn range_written<'a>(
        &'a self,
        start: &[u8],
        end: Option<&[u8]>,
        order: Order,
    ) -> Result<WrittenIter<'a>, StateError>;

    /// Entries with `start <= key < end` merged across layers, produced lazily in `order`.
    fn range<'a>(
        &'a self,
        start: &[u8],
        end: Option<&[u8]>,
        order: Order,
    ) -> Result<EntryIter<'a>, StateError> {
        Ok(Box::new(self.range_written(start, end, order)?.filter_map(
            |r| r.map(|(k, v)| v.map(|v| (k, v))).transpose(),
        )))
    }

    /// Entries under `prefix`, lazily, in `order`.
    fn prefix_iter<'a>(&'a self, prefix: &[u8], order: Order) -> Result<EntryIter<'a>, StateError> {
        self.range(prefix, prefix_end(prefix).as_deref(), order)
    }

    /// Every entry under `prefix`, in key order. Reads the whole prefix: only for prefixes whose
    /// size is bounded by something already paid for (the call site says what bounds it).
    fn scan_prefix(&self, prefix: &[u8]) -> Result<BTreeMap<Vec<u8>, Vec<u8>>, StateError> {
        self.prefix_iter(prefix, Order::Ascending)?.collect()
    }
}

/// A state with nothing in it: the bottom layer of scratch computations and tests.
pub struct EmptyState;

impl StateRead for EmptyState {
    fn get_raw(&self, _: &[u8]) -> Result<Option<Vec<u8>>, StateError> {
        Ok(None)
    }
    fn range_written<'a>(
        &'a self,
        _: &[u8],
        _: Option<&[u8]>,
        _: Order,
    ) -> Result<WrittenIter<'a>, StateError> {
        Ok(Box::new(std::iter::empty()))
    }
}

impl StateRead for Store {
    fn get_raw(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StateError> {
        Ok(self.get(key)?)
    }
    fn range_written<'a>(
        &'a self,
        start: &[u8],
        end: Option<&[u8]>,
        order: Order,
    ) -> Result<WrittenIter<'a>, StateError> {
        Ok(Box::new(
            self.range_latest(start, end, order == Order::Descending)
                .map(|r| r.map(|(k, v)| (k, Some(v))).map_err(StateError::from)),
        ))
    }
}

/// Block time `secs` seconds after `now_ns` (nanoseconds), saturating: a duration too large
/// for the clock (e.g. a parameter set to 2^63 s) means "never", not a wrap into the past.
pub fn after_secs(now_ns: i64, secs: u64) -> i64 {
    now_ns.saturating_add(
        i64::try_from(secs)
            .unwrap_or(i64::MAX)
            .saturating_mul(1_000_000_000),
    )
}

/// Pending writes over a parent layer.
pub struct Delta<'a> {
    parent: &'a dyn StateRead,
    writes: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
}

impl<'a> Delta<'a> {
    pub fn new(parent: &'a dyn StateRead) -> Self {
        Self {
            parent,
            writes: BTreeMap::new(),
        }
    }

    pub fn put(&mut self, key: Vec<u8>, value: Vec<u8>) {
        self.writes.insert(key, Some(value));
    }

    pub fn delete(&mut self, key: Vec<u8>) {
        self.writes.insert(key, None);
    }

    /// The layer this one writes over.
    pub fn parent(&self) -> &'a dyn StateRead {
        self.parent
    }

    /// This layer's own pending writes (`None` = deletion), in key order.
    pub fn writes(&self) -> &BTreeMap<Vec<u8>, Option<Vec<u8>>> {
        &self.writes
    }

    pub fn into_writes(self) -> BTreeMap<Vec<u8>, Option<Vec<u8>>> {
        self.writes
    }

    /// Applies writes taken from a child delta.
    pub fn absorb(&mut self, writes: BTreeMap<Vec<u8>, Option<Vec<u8>>>) {
        self.writes.extend(writes);
    }

    pub fn is_empty(&self) -> bool {
        self.writes.is_empty()
    }

    /// Goes back to writes copied earlier from [`Delta::writes`] (an application callback that
    /// failed leaves nothing behind, the way ibc-go discards its cached context).
    pub fn reset_writes(&mut self, writes: BTreeMap<Vec<u8>, Option<Vec<u8>>>) {
        self.writes = writes;
    }
}

impl StateRead for Delta<'_> {
    fn get_raw(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StateError> {
        overlay_get(&self.writes, self.parent, key)
    }
    fn range_written<'a>(
        &'a self,
        start: &[u8],
        end: Option<&[u8]>,
        order: Order,
    ) -> Result<WrittenIter<'a>, StateError> {
        overlay_range(&self.writes, self.parent, start, end, order)
    }
}

/// Reads `key` through pending `writes` (a `None` is a deletion) down to `parent`.
pub fn overlay_get(
    writes: &BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    parent: &dyn StateRead,
    key: &[u8],
) -> Result<Option<Vec<u8>>, StateError> {
    match writes.get(key) {
        Some(v) => Ok(v.clone()),
        None => parent.get_raw(key),
    }
}

/// `parent`'s keys in `[start, end)` with pending `writes` applied, lazily, in `order`.
pub fn overlay_range<'a>(
    writes: &'a BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    parent: &'a dyn StateRead,
    start: &[u8],
    end: Option<&[u8]>,
    order: Order,
) -> Result<WrittenIter<'a>, StateError> {
    if end.is_some_and(|e| e <= start) {
        return Ok(Box::new(std::iter::empty()));
    }
    let pending = pending_range(writes, start, end, order).map(|(k, v)| (k.clone(), v.clone()));
    Ok(merge(
        parent.range_written(start, end, order)?,
        Box::new(pending),
        order,
    ))
}

/// A layer's pending writes by reference (`None` = deletion).
pub type PendingRefs<'a> = Box<dyn Iterator<Item = (&'a Vec<u8>, &'a Option<Vec<u8>>)> + 'a>;

/// Pending writes (`None` = deletion) in `[start, end)`, in `order`.
pub fn pending_range<'a>(
    writes: &'a BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    start: &[u8],
    end: Option<&[u8]>,
    order: Order,
) -> PendingRefs<'a> {
    use std::ops::Bound;
    if end.is_some_and(|e| e <= start) {
        return Box::new(std::iter::empty());
    }
    let bounds = (
        Bound::Included(start),
        end.map_or(Bound::Unbounded, Bound::Excluded),
    );
    match order {
        Order::Ascending => Box::new(writes.range::<[u8], _>(bounds)),
        Order::Descending => Box::new(writes.range::<[u8], _>(bounds).rev()),
    }
}

/// Pending writes, already in `order`.
pub type PendingIter<'a> = Box<dyn Iterator<Item = (Vec<u8>, Option<Vec<u8>>)> + 'a>;

/// `pending` writes merged over the keys `below` (both in `order`): a write replaces the entry
/// of its key, a deletion hides it and is produced in its place.
pub fn merge<'a>(
    below: WrittenIter<'a>,
    pending: PendingIter<'a>,
    order: Order,
) -> WrittenIter<'a> {
    Box::new(Merge {
        below: below.peekable(),
        pending: pending.peekable(),
        order,
    })
}

struct Merge<'a> {
    below: std::iter::Peekable<WrittenIter<'a>>,
    pending: std::iter::Peekable<PendingIter<'a>>,
    order: Order,
}

impl Iterator for Merge<'_> {
    type Item = Result<Written, StateError>;

    fn next(&mut self) -> Option<Self::Item> {
        use std::cmp::Ordering;
        let first = match (self.below.peek(), self.pending.peek()) {
            (None, None) => return None,
            (Some(Err(_)), _) | (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (Some(Ok((b, _))), Some((p, _))) => match self.order {
                Order::Ascending => b.as_slice().cmp(p.as_slice()),
                Order::Descending => p.as_slice().cmp(b.as_slice()),
            },
        };
        if first == Ordering::Less {
            return self.below.next();
        }
        if first == Ordering::Equal {
            self.below.next();
        }
        self.pending.next().map(Ok)
    }
}

/// A delta whose every access is charged to a gas meter: what transactions execute against.
pub struct Metered<'a, 'm> {
    pub delta: Delta<'a>,
    pub gas: &'m mut GasMeter,
}

impl<'a, 'm> Metered<'a, 'm> {
    pub fn new(parent: &'a dyn StateRead, gas: &'m mut GasMeter) -> Self {
        Self {
            delta: Delta::new(parent),
            gas,
        }
    }

    pub fn get(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>, StateError> {
        self.gas.charge_read(key.len())?;
        let v = self.delta.get_raw(key)?;
        if let Some(v) = &v {
            self.gas.charge_read_bytes(v.len())?;
        }
        Ok(v)
    }

    pub fn put(&mut self, key: Vec<u8>, value: Vec<u8>) -> Result<(), StateError> {
        self.gas.charge_write(key.len() + value.len())?;
        self.delta.put(key, value);
        Ok(())
    }

    pub fn delete(&mut self, key: Vec<u8>) -> Result<(), StateError> {
        self.gas.charge_delete()?;
        self.delta.delete(key);
        Ok(())
    }
}

/// Read-write access used by modules; implemented by [`Delta`] (free) and [`Metered`] (charged).
pub trait Kv {
    fn kv_get(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>, StateError>;
    fn kv_put(&mut self, key: Vec<u8>, value: Vec<u8>) -> Result<(), StateError>;
    fn kv_delete(&mut self, key: Vec<u8>) -> Result<(), StateError>;
}

impl Kv for Delta<'_> {
    fn kv_get(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>, StateError> {
        self.get_raw(key)
    }
    fn kv_put(&mut self, key: Vec<u8>, value: Vec<u8>) -> Result<(), StateError> {
        self.put(key, value);
        Ok(())
    }
    fn kv_delete(&mut self, key: Vec<u8>) -> Result<(), StateError> {
        self.delete(key);
        Ok(())
    }
}

impl Kv for Metered<'_, '_> {
    fn kv_get(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>, StateError> {
        self.get(key)
    }
    fn kv_put(&mut self, key: Vec<u8>, value: Vec<u8>) -> Result<(), StateError> {
        self.put(key, value)
    }
    fn kv_delete(&mut self, key: Vec<u8>) -> Result<(), StateError> {
        self.delete(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// Three layers of random writes and deletions over a committed store: every range, in both
    /// orders, reads exactly what applying the layers to a plain map gives.
    #[test]
    fn ranges_merge_every_layer_in_both_orders() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), Default::default()).unwrap();
        let key = |rng: &mut rand::rngs::StdRng| vec![b'k', rng.gen_range(0..40u8)];
        let mut expect: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
        let mut base = BTreeMap::new();
        for _ in 0..30 {
            let (k, v) = (key(&mut rng), vec![rng.gen()]);
            expect.insert(k.clone(), v.clone());
            base.insert(k, Some(v));
        }
        store
            .commit(store.prepare_commit(0, base, vec![]).unwrap())
            .unwrap();
        let mut layer = |parent: &dyn StateRead, expect: &mut BTreeMap<Vec<u8>, Vec<u8>>| {
            let mut d = Delta::new(parent);
            for _ in 0..25 {
                let k = key(&mut rng);
                if rng.gen_bool(0.4) {
                    d.delete(k.clone());
                    expect.remove(&k);
                } else {
                    let v = vec![rng.gen()];
                    d.put(k.clone(), v.clone());
                    expect.insert(k, v);
                }
            }
            d.into_writes()
        };
        let w1 = layer(&store, &mut expect);
        let mut d1 = Delta::new(&store);
        d1.absorb(w1);
        let w2 = layer(&d1, &mut expect);
        let mut d2 = Delta::new(&d1);
        d2.absorb(w2);
        let w3 = layer(&d2, &mut expect);
        let mut d3 = Delta::new(&d2);
        d3.absorb(w3);
        for (lo, hi) in [(0u8, 40u8), (5, 6), (10, 30), (39, 40), (20, 10)] {
            let (start, end) = (vec![b'k', lo], vec![b'k', hi]);
            let want: Vec<Entry> = expect
                .range(start.clone()..)
                .take_while(|(k, _)| *k < &end)
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            let got: Vec<Entry> = d3
                .range(&start, Some(&end), Order::Ascending)
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            assert_eq!(got, want, "ascending [{lo}, {hi})");
            let got: Vec<Entry> = d3
                .range(&start, Some(&end), Order::Descending)
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            let mut want_desc = want.clone();
            want_desc.reverse();
            assert_eq!(got, want_desc, "descending [{lo}, {hi})");
            // The deletions met on the way come out too, each once, in order, and only for
            // keys that are gone.
            let written: Vec<Written> = d3
                .range_written(&start, Some(&end), Order::Ascending)
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            assert!(written.windows(2).all(|w| w[0].0 < w[1].0));
            for (k, v) in &written {
                assert_eq!(v.as_ref(), expect.get(k), "{k:?}");
            }
        }
        assert_eq!(d3.scan_prefix(b"k").unwrap(), expect);
        assert!(d3
            .prefix_iter(b"x", Order::Ascending)
            .unwrap()
            .next()
            .is_none());
    }

    #[test]
    fn prefix_ends() {
        assert_eq!(prefix_end(b"ab"), Some(b"ac".to_vec()));
        assert_eq!(prefix_end(b"a\xff"), Some(b"b".to_vec()));
        assert_eq!(prefix_end(b"\xff\xff"), None);
    }
}
