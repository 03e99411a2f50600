//! The JSON shapes the VM passes to contracts (cosmwasm-std's `Env`, `MessageInfo`,
//! `MigrateInfo`) and the `ContractResult` it gets back. The VM itself treats arguments as bytes;
//! these are conveniences for callers.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct BlockInfo {
    pub height: u64,
    /// Nanoseconds since the Unix epoch, as a decimal string (cosmwasm `Timestamp`).
    pub time: String,
    pub chain_id: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct TransactionInfo {
    pub index: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ContractInfo {
    pub address: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Env {
    pub block: BlockInfo,
    pub transaction: Option<TransactionInfo>,
    pub contract: ContractInfo,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Coin {
    pub denom: String,
    /// Uint256 as a decimal string.
    pub amount: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct MessageInfo {
    pub sender: String,
    pub funds: Vec<Coin>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct MigrateInfo {
    pub sender: String,
    pub old_migrate_version: Option<u64>,
}

pub fn to_json<T: Serialize>(v: &T) -> Vec<u8> {
    serde_json::to_vec(v).expect("serializable")
}

/// Splits a contract's `ContractResult` JSON into `Ok(value)` / `Err(message)`.
pub fn parse_contract_result(bytes: &[u8]) -> Result<Result<serde_json::Value, String>, String> {
    let v: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    match (v.get("ok"), v.get("error")) {
        (Some(ok), None) => Ok(Ok(ok.clone())),
        (None, Some(serde_json::Value::String(e))) => Ok(Err(e.clone())),
        _ => Err(format!("not a ContractResult: {v}")),
    }
}
