//! Transaction errors with the Cosmos SDK's codes (codespace `sdk`), so wallets and cosmjs
//! recognise them (e.g. code 32 makes cosmjs refresh the sequence).

use thiserror::Error;

use crate::modules::bank::BankError;
use crate::state::gas::OutOfGas;
use crate::state::StateError;

pub const CODESPACE: &str = "sdk";
/// Codespace of the wasm module's errors (wasmd's codes, see [`TxError::Wasm`]).
pub const WASM_CODESPACE: &str = "wasm";
/// Codespace of IBC failures.
pub const IBC_CODESPACE: &str = "ibc";

#[derive(Debug, Error)]
pub enum TxError {
    #[error("tx parse error: {0}")]
    Decode(String),
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    #[error("{0}")]
    InsufficientFunds(String),
    #[error("unknown message type {0}")]
    UnknownRequest(String),
    #[error("invalid address: {0}")]
    InvalidAddress(String),
    #[error("invalid pubkey: {0}")]
    InvalidPubKey(String),
    #[error("unknown address: {0}")]
    UnknownAddress(String),
    #[error("invalid coins: {0}")]
    InvalidCoins(String),
    #[error("out of gas: {0}")]
    OutOfGas(String),
    #[error("memo too large: {0}")]
    MemoTooLarge(String),
    #[error("insufficient fee: {0}")]
    InsufficientFee(String),
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    #[error("tx too large: {0}")]
    TxTooLarge(String),
    #[error("tx timeout height: {0}")]
    TimeoutHeight(String),
    #[error("incorrect account sequence: {0}")]
    WrongSequence(String),
    #[error("invalid gas limit: {0}")]
    InvalidGasLimit(String),
    #[error("internal error: {0}")]
    Internal(String),
    /// A wasm module failure with wasmd's code (codespace `wasm`): 2 create (upload) failed,
    /// 3 account exists, 4 instantiate failed, 5 execute failed, 8 not found, 9 query failed,
    /// 10 invalid message, 13 limit exceeded, 17 unsupported.
    #[error("{msg}")]
    Wasm { code: u32, msg: String },
    /// An IBC message ibc-rs refused (codespace `ibc`): a bad proof, a frozen or expired
    /// client, a replayed packet, a handshake out of order.
    #[error("{0}")]
    Ibc(String),
    /// The transaction does not fit the rest of this block (its uploads exceed what the block
    /// may still compile). Not its fault: a proposer leaves it for a later block, and a block
    /// that includes it anyway is rejected.
    #[error("block full: {0}")]
    BlockFull(String),
    /// The node ran out of a local resource (e.g. the VM's instance pool). Not deterministic, so
    /// never recorded as a transaction result: the executor refuses to go on instead.
    #[error("node resource exhausted: {0}")]
    NodeResource(String),
    /// The node's storage failed or holds something that does not decode. Never a transaction
    /// result either: another node's storage did not fail, so recording it would fork.
    #[error("storage failure: {0}")]
    Storage(String),
}

impl TxError {
    pub fn code(&self) -> u32 {
        match self {
            TxError::Decode(_) => 2,
            TxError::Unauthorized(_) => 4,
            TxError::InsufficientFunds(_) => 5,
            TxError::UnknownRequest(_) => 6,
            TxError::InvalidAddress(_) => 7,
            TxError::InvalidPubKey(_) => 8,
            TxError::UnknownAddress(_) => 9,
            TxError::InvalidCoins(_) => 10,
            TxError::OutOfGas(_) => 11,
            TxError::MemoTooLarge(_) => 12,
            TxError::InsufficientFee(_) => 13,
            TxError::InvalidRequest(_) => 18,
            TxError::TxTooLarge(_) => 21,
            TxError::TimeoutHeight(_) => 30,
            TxError::WrongSequence(_) => 32,
            TxError::InvalidGasLimit(_) => 41,
            TxError::Internal(_) | TxError::NodeResource(_) | TxError::Storage(_) => 1,
            // The SDK's ErrOutOfGas-like "block gas meter" family has no code; this is the
            // nearest one clients already retry on.
            TxError::BlockFull(_) => 41,
            TxError::Wasm { code, .. } => *code,
            TxError::Ibc(_) => 1,
        }
    }

    pub fn codespace(&self) -> &'static str {
        match self {
            TxError::Wasm { .. } => WASM_CODESPACE,
            TxError::Ibc(_) => IBC_CODESPACE,
            _ => CODESPACE,
        }
    }
}

impl From<StateError> for TxError {
    fn from(e: StateError) -> Self {
        match e {
            StateError::OutOfGas(g) => g.into(),
            other => TxError::Storage(other.to_string()),
        }
    }
}

impl TxError {
    /// This node's condition rather than the transaction's outcome: it must never be recorded
    /// as a result (in a block the node stops instead).
    pub fn is_node_condition(&self) -> bool {
        matches!(self, TxError::NodeResource(_) | TxError::Storage(_))
    }
}

impl From<OutOfGas> for TxError {
    fn from(g: OutOfGas) -> Self {
        TxError::OutOfGas(format!(
            "gas limit {}, needed at least {}",
            g.limit, g.wanted
        ))
    }
}

impl From<BankError> for TxError {
    fn from(e: BankError) -> Self {
        match e {
            BankError::InsufficientFunds { .. } => TxError::InsufficientFunds(e.to_string()),
            BankError::Overflow(_) => TxError::InvalidCoins(e.to_string()),
            BankError::State(s) => s.into(),
        }
    }
}
