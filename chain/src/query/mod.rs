//! Query infrastructure every module's query service uses: errors with their gRPC codes,
//! request decoding, address parsing and paging.

pub mod paging;

use proof_sdk::Address;
use prost::Message;
use serde::Deserialize;

use crate::store::StoreError;

/// A query failure, rendered the way the Cosmos SDK's gRPC bridge does so cosmjs's
/// "rpc error: code = NotFound" checks work.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error("rpc error: code = InvalidArgument desc = {0}")]
    InvalidArgument(String),
    #[error("rpc error: code = NotFound desc = {0}")]
    NotFound(String),
    #[error("rpc error: code = Unimplemented desc = unknown query path {0}")]
    UnknownPath(String),
    #[error("{0}")]
    Failed(String, u32),
    #[error("{0}")]
    Internal(String),
}

impl QueryError {
    pub fn code(&self) -> u32 {
        match self {
            QueryError::InvalidArgument(_) => 3,
            QueryError::NotFound(_) => 38,
            QueryError::UnknownPath(_) => 6,
            QueryError::Failed(_, c) => *c,
            QueryError::Internal(_) => 1,
        }
    }
}

impl From<StoreError> for QueryError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::VersionUnavailable { .. } => QueryError::InvalidArgument(e.to_string()),
            other => QueryError::Internal(other.to_string()),
        }
    }
}

impl From<crate::state::StateError> for QueryError {
    fn from(e: crate::state::StateError) -> Self {
        QueryError::Internal(e.to_string())
    }
}

pub fn decode<M: Message + Default>(data: &[u8]) -> Result<M, QueryError> {
    M::decode(data).map_err(|e| QueryError::InvalidArgument(format!("cannot decode request: {e}")))
}

pub fn parse_addr(s: &str) -> Result<Address, QueryError> {
    s.parse()
        .map_err(|e: proof_sdk::address::AddressError| QueryError::InvalidArgument(e.to_string()))
}

/// A JSON request body (empty means `{}`).
pub fn json_req<'a, T: Deserialize<'a>>(data: &'a [u8]) -> Result<T, QueryError> {
    let data: &[u8] = if data.is_empty() { b"{}" } else { data };
    serde_json::from_slice(data)
        .map_err(|e| QueryError::InvalidArgument(format!("cannot decode JSON request: {e}")))
}

/// A JSON answer.
pub fn json<T: serde::Serialize>(v: &T) -> Result<Vec<u8>, QueryError> {
    serde_json::to_vec(v).map_err(|e| QueryError::Internal(e.to_string()))
}

/// A protobuf timestamp of Unix nanoseconds.
pub fn timestamp(ns: i64) -> tendermint_proto::google::protobuf::Timestamp {
    tendermint_proto::google::protobuf::Timestamp {
        seconds: ns.div_euclid(1_000_000_000),
        nanos: ns.rem_euclid(1_000_000_000) as i32,
    }
}
