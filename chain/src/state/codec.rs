//! How modules store records: borsh and JSON values, big-endian counters, and prefix scans
//! that are charged per entry when metered.

use crate::state::corrupt;
use crate::state::gas::GasMeter;
use crate::state::{Delta, Kv, Metered, StateError, StateRead};
use borsh::{BorshDeserialize, BorshSerialize};
use std::collections::BTreeMap;

/// Key-value access that can also scan a prefix (scans are charged per entry when metered).
pub trait PosKv: Kv {
    fn scan(&mut self, prefix: &[u8]) -> Result<BTreeMap<Vec<u8>, Vec<u8>>, StateError>;
    fn as_read(&self) -> &dyn StateRead;
}

impl PosKv for Delta<'_> {
    fn scan(&mut self, prefix: &[u8]) -> Result<BTreeMap<Vec<u8>, Vec<u8>>, StateError> {
        self.scan_prefix(prefix)
    }
    fn as_read(&self) -> &dyn StateRead {
        self
    }
}

impl PosKv for Metered<'_, '_> {
    fn scan(&mut self, prefix: &[u8]) -> Result<BTreeMap<Vec<u8>, Vec<u8>>, StateError> {
        let out = self.delta.scan_prefix(prefix)?;
        charge_scan(self.gas, &out)?;
        Ok(out)
    }
    fn as_read(&self) -> &dyn StateRead {
        &self.delta
    }
}

pub(crate) fn charge_scan(
    gas: &mut GasMeter,
    out: &BTreeMap<Vec<u8>, Vec<u8>>,
) -> Result<(), StateError> {
    gas.charge_read(0)?;
    for (k, v) in out {
        gas.charge_read_bytes(k.len() + v.len())?;
    }
    Ok(())
}

pub(crate) fn get_borsh<T: BorshDeserialize>(
    kv: &mut dyn Kv,
    key: &[u8],
) -> Result<Option<T>, StateError> {
    match kv.kv_get(key)? {
        Some(b) => Ok(Some(borsh::from_slice(&b).map_err(|e| corrupt(key, e))?)),
        None => Ok(None),
    }
}

pub(crate) fn put_borsh<T: BorshSerialize>(
    kv: &mut dyn Kv,
    key: Vec<u8>,
    v: &T,
) -> Result<(), StateError> {
    let bytes = borsh::to_vec(v).map_err(|e| corrupt(&key, e))?;
    kv.kv_put(key, bytes)
}

pub(crate) fn get_u128(kv: &mut dyn Kv, key: &[u8]) -> Result<u128, StateError> {
    match kv.kv_get(key)? {
        Some(b) => Ok(u128::from_be_bytes(
            b.as_slice().try_into().map_err(|_| corrupt(key, "u128"))?,
        )),
        None => Ok(0),
    }
}

pub fn load_json<T: serde::de::DeserializeOwned + Default>(
    state: &dyn StateRead,
    key: &[u8],
) -> Result<T, StateError> {
    match state.get_raw(key)? {
        Some(b) => serde_json::from_slice(&b).map_err(|e| corrupt(key, e)),
        None => Ok(T::default()),
    }
}
