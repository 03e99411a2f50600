//! In-memory backend for tests and benchmarks: a `BTreeMap` storage, the bech32 API and a
//! querier answering bank balance queries.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use base64::Engine as _;

use crate::addr::Bech32Api;
use crate::backend::{Backend, BackendResult, Order, Querier, Record, RecordIter, Storage};
use crate::error::BackendError;

/// A shared handle to an in-memory store (clones see the same data).
#[derive(Clone, Default)]
pub struct MockStorage {
    pub data: Arc<Mutex<BTreeMap<Vec<u8>, Vec<u8>>>>,
}

impl MockStorage {
    pub fn snapshot(&self) -> BTreeMap<Vec<u8>, Vec<u8>> {
        self.data.lock().unwrap().clone()
    }
    pub fn restore(&self, snap: BTreeMap<Vec<u8>, Vec<u8>>) {
        *self.data.lock().unwrap() = snap;
    }
}

impl Storage for MockStorage {
    fn get(&self, key: &[u8]) -> BackendResult<Option<Vec<u8>>> {
        Ok(self.data.lock().unwrap().get(key).cloned())
    }
    fn set(&mut self, key: &[u8], value: &[u8]) -> BackendResult<()> {
        self.data
            .lock()
            .unwrap()
            .insert(key.to_vec(), value.to_vec());
        Ok(())
    }
    fn remove(&mut self, key: &[u8]) -> BackendResult<()> {
        self.data.lock().unwrap().remove(key);
        Ok(())
    }
    fn scan(
        &self,
        start: Option<&[u8]>,
        end: Option<&[u8]>,
        order: Order,
    ) -> BackendResult<RecordIter> {
        use std::ops::Bound;
        let lo = start.map_or(Bound::Unbounded, |s| Bound::Included(s.to_vec()));
        let hi = end.map_or(Bound::Unbounded, |e| Bound::Excluded(e.to_vec()));
        if let (Some(s), Some(e)) = (start, end) {
            if s >= e {
                return Ok(Box::new(std::iter::empty()));
            }
        }
        let data = self.data.lock().unwrap();
        let mut items: Vec<Record> = data
            .range((lo, hi))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if order == Order::Descending {
            items.reverse();
        }
        Ok(Box::new(items.into_iter().map(Ok)))
    }
}

/// Answers `{"bank":{"balance":{"address","denom"}}}`; every other request is unsupported.
#[derive(Clone, Default)]
pub struct MockQuerier {
    pub balances: BTreeMap<(String, String), u128>,
    /// Gas charged per query.
    pub gas_per_query: u64,
}

impl Querier for MockQuerier {
    fn query_raw(&self, request: &[u8], gas_limit: u64) -> BackendResult<(Vec<u8>, u64)> {
        if self.gas_per_query > gas_limit {
            return Err(BackendError::OutOfGas);
        }
        let req: serde_json::Value = match serde_json::from_slice(request) {
            Ok(v) => v,
            Err(e) => {
                let err = serde_json::json!({"error": {"invalid_request": {
                    "error": e.to_string(),
                    "request": base64::engine::general_purpose::STANDARD.encode(request)}}});
                return Ok((err.to_string().into_bytes(), self.gas_per_query));
            }
        };
        let answer = if let Some(b) = req.pointer("/bank/balance") {
            let addr = b["address"].as_str().unwrap_or_default().to_string();
            let denom = b["denom"].as_str().unwrap_or_default().to_string();
            let amount = self
                .balances
                .get(&(addr, denom.clone()))
                .copied()
                .unwrap_or(0);
            let resp =
                serde_json::json!({"amount": {"denom": denom, "amount": amount.to_string()}});
            let bin = base64::engine::general_purpose::STANDARD.encode(resp.to_string());
            serde_json::json!({"ok": {"ok": bin}})
        } else {
            let kind = req
                .as_object()
                .and_then(|o| o.keys().next().cloned())
                .unwrap_or_default();
            serde_json::json!({"error": {"unsupported_request": {"kind": kind}}})
        };
        Ok((answer.to_string().into_bytes(), self.gas_per_query))
    }
}

/// A backend over `storage` with the `proof` bech32 prefix and `querier`.
pub fn mock_backend(storage: MockStorage, querier: MockQuerier) -> Backend {
    Backend {
        storage: Box::new(storage),
        api: Arc::new(Bech32Api::new("proof")),
        querier: Box::new(querier),
    }
}
