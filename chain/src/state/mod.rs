//! Layered state for execution: committed store <- block delta <- tx delta.
//!
//! Writes go to the innermost [`Delta`]; a successful tx merges its delta into the block's, a
//! failed one drops it, so a failed message can never leave a partial write. Deltas are
//! `BTreeMap`s, so iteration (and therefore the JMT write set) is in key order: deterministic.

pub mod auth;
pub mod bank;
pub mod epoch;
pub mod fees;
pub mod gas;
pub mod gov;
pub mod keys;
pub mod params;
pub mod staking;
pub mod upgrade;
pub mod wasm;

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
    UpgradeNeeded(Box<upgrade::Plan>),
    /// This binary knows a scheduled upgrade whose height is still ahead: it was switched early.
    #[error("BINARY UPDATED BEFORE TRIGGER! upgrade {:?} is scheduled at height {}: run the old binary until then", .0.name, .0.height)]
    UpgradedTooEarly(Box<upgrade::Plan>),
}

/// Read access to some layer of state.
pub trait StateRead {
    fn get_raw(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StateError>;
    /// Entries under `prefix` merged across layers, in key order.
    fn scan_prefix(&self, prefix: &[u8]) -> Result<BTreeMap<Vec<u8>, Vec<u8>>, StateError>;
}

impl StateRead for Store {
    fn get_raw(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StateError> {
        Ok(self.get(key)?)
    }
    fn scan_prefix(&self, prefix: &[u8]) -> Result<BTreeMap<Vec<u8>, Vec<u8>>, StateError> {
        Ok(self.prefix_scan(prefix, usize::MAX)?.into_iter().collect())
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
}

impl StateRead for Delta<'_> {
    fn get_raw(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StateError> {
        overlay_get(&self.writes, self.parent, key)
    }
    fn scan_prefix(&self, prefix: &[u8]) -> Result<BTreeMap<Vec<u8>, Vec<u8>>, StateError> {
        overlay_scan(&self.writes, self.parent, prefix)
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

/// `parent`'s entries under `prefix` with pending `writes` applied, in key order.
pub fn overlay_scan(
    writes: &BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    parent: &dyn StateRead,
    prefix: &[u8],
) -> Result<BTreeMap<Vec<u8>, Vec<u8>>, StateError> {
    let mut out = parent.scan_prefix(prefix)?;
    for (k, v) in writes
        .range(prefix.to_vec()..)
        .take_while(|(k, _)| k.starts_with(prefix))
    {
        match v {
            Some(v) => out.insert(k.clone(), v.clone()),
            None => out.remove(k),
        };
    }
    Ok(out)
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
