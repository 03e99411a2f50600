//! The transaction's metered state as ibc-rs's contexts see it. ibc-rs reads through `&self`
//! and returns its own `HostError`, so the state sits in a `RefCell`, and a failure of ours
//! (out of gas, storage) is kept aside: after the handler returns, the message fails with it,
//! whatever ibc-rs made of the `HostError` it got (an ICS-20 receive would otherwise turn an
//! out-of-gas into an error acknowledgement and carry on).

use std::cell::RefCell;
use std::collections::BTreeMap;

use ibc::core::host::types::error::HostError;

use crate::state::{Metered, Order, StateError, StateRead};

/// Gas per byte of the transaction's writes copied before an ICS-20 receive.
const COPY_GAS_PER_BYTE: u64 = 1;

/// Key-value pairs in key order.
pub type Entries = Vec<(Vec<u8>, Vec<u8>)>;

pub struct IbcState<'k, 'a, 'm> {
    kv: RefCell<&'k mut Metered<'a, 'm>>,
    fault: RefCell<Option<StateError>>,
}

impl<'k, 'a, 'm> IbcState<'k, 'a, 'm> {
    pub fn new(kv: &'k mut Metered<'a, 'm>) -> Self {
        Self {
            kv: RefCell::new(kv),
            fault: RefCell::new(None),
        }
    }

    /// Our failure, if one happened; it outranks any result ibc-rs produced.
    pub fn take_fault(&self) -> Option<StateError> {
        self.fault.borrow_mut().take()
    }

    /// Keeps `e` (the first one wins) and gives ibc-rs an error to stop on.
    pub fn fail(&self, e: StateError) -> HostError {
        let msg = e.to_string();
        let mut f = self.fault.borrow_mut();
        if f.is_none() {
            *f = Some(e);
        }
        HostError::failed_to_retrieve(msg)
    }

    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, HostError> {
        let r = self.kv.borrow_mut().get(key);
        r.map_err(|e| self.fail(e))
    }

    pub fn put(&self, key: Vec<u8>, value: Vec<u8>) -> Result<(), HostError> {
        let r = self.kv.borrow_mut().put(key, value);
        r.map_err(|e| self.fail(e))
    }

    pub fn delete(&self, key: Vec<u8>) -> Result<(), HostError> {
        let r = self.kv.borrow_mut().delete(key);
        r.map_err(|e| self.fail(e))
    }

    pub fn charge(&self, gas: u64) -> Result<(), HostError> {
        let r = self.kv.borrow_mut().gas.charge(gas);
        r.map_err(|e| self.fail(e.into()))
    }

    /// At most `limit` entries of `[start, end)` in `order`, each one read paid for, deletions
    /// stepped over included.
    pub fn first_in(
        &self,
        start: &[u8],
        end: &[u8],
        order: Order,
        limit: usize,
    ) -> Result<Entries, HostError> {
        let r = (|| {
            let mut kv = self.kv.borrow_mut();
            let Metered { delta, gas } = &mut **kv;
            gas.charge_read(0)?;
            let mut out = Vec::new();
            for item in delta.range_written(start, Some(end), order)? {
                let (k, v) = item?;
                gas.charge_read_bytes(k.len() + v.as_ref().map_or(0, Vec::len))?;
                if let Some(v) = v {
                    out.push((k, v));
                    if out.len() >= limit {
                        break;
                    }
                }
            }
            Ok(out)
        })();
        r.map_err(|e: StateError| self.fail(e))
    }

    /// Runs `f` on the state itself (bank transfers from the ICS-20 context).
    pub fn with_kv<R>(&self, f: impl FnOnce(&mut Metered<'a, 'm>) -> R) -> R {
        f(&mut self.kv.borrow_mut())
    }

    /// The transaction's writes so far, to go back to with [`IbcState::restore`]. The copy
    /// is paid for like a write of its bytes, so a transaction of many receives pays for
    /// what it makes the node copy.
    pub fn snapshot(&self) -> Result<BTreeMap<Vec<u8>, Option<Vec<u8>>>, HostError> {
        let writes = self.kv.borrow().delta.writes().clone();
        let bytes: usize = writes
            .iter()
            .map(|(k, v)| k.len() + v.as_ref().map_or(0, Vec::len))
            .sum();
        self.charge(bytes as u64 * COPY_GAS_PER_BYTE)?;
        Ok(writes)
    }

    pub fn restore(&self, writes: BTreeMap<Vec<u8>, Option<Vec<u8>>>) {
        self.kv.borrow_mut().delta.reset_writes(writes);
    }
}
