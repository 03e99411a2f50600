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

/// Address handling (bech32 on Proof chain). Errors are messages returned to the contract.
pub trait Api: Send + Sync {
    fn addr_validate(&self, human: &str) -> Result<(), String>;
    fn addr_canonicalize(&self, human: &str) -> Result<Vec<u8>, String>;
    fn addr_humanize(&self, canonical: &[u8]) -> Result<String, String>;
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
