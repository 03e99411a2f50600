//! What the API answers, built from the operator's [`Status`]: shared by the HTTP handlers
//! (`api.rs`) and the events websocket (`events.rs`).

use crate::error::Rejection;
use crate::status::Status;
use crate::wire::{BatchStatusResponse, ErrorBody, ErrorDetail, TxState, TxStatusResponse};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use std::sync::atomic::Ordering;

pub(crate) fn error(code: StatusCode, kind: &str, message: String) -> Response {
    (
        code,
        Json(ErrorBody {
            error: ErrorDetail {
                code: kind.to_string(),
                message,
            },
        }),
    )
        .into_response()
}

pub(crate) fn rejection(r: Rejection) -> Response {
    let code = StatusCode::from_u16(r.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
    error(code, r.code(), r.to_string())
}

/// The transaction's status, if this operator confirmed it.
pub(crate) fn tx_response(s: &Status, hash: &[u8; 32]) -> Option<TxStatusResponse> {
    let (batch, position) = s.txs.read().expect("txs lock").get(hash).copied()?;
    let rec = s.batch(batch).unwrap_or_default();
    Some(TxStatusResponse {
        hash: hex::encode(hash),
        batch,
        position,
        state: rec.state.unwrap_or(TxState::SoftConfirmed),
        chain_tx: rec.chain_tx,
        chain_height: rec.chain_height,
    })
}

pub(crate) fn parse_tx_hash(raw: &str) -> Result<[u8; 32], Rejection> {
    let mut hash = [0u8; 32];
    hex::decode_to_slice(raw, &mut hash)
        .map_err(|_| Rejection::Malformed("a transaction hash is 64 hex characters".into()))?;
    Ok(hash)
}

pub(crate) fn unknown_tx(raw: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        "unknown_tx",
        format!("this operator confirmed no transaction {raw}"),
    )
}

/// Batch `index`'s status (the open batch's too); `None` for a batch not open yet.
pub(crate) fn batch_response(s: &Status, index: u64) -> Option<BatchStatusResponse> {
    let open = s.open_batch.load(Ordering::Acquire);
    if index > open {
        return None;
    }
    let rec = s.batch(index).unwrap_or_default();
    let ops = if index == open {
        s.open_batch_ops.load(Ordering::Acquire) as u32
    } else {
        rec.ops
    };
    Some(BatchStatusResponse {
        index,
        state: rec.state.unwrap_or(TxState::SoftConfirmed),
        ops,
        deposits: rec.deposits,
        old_root: rec.old_root.map(hex::encode),
        new_root: rec.new_root.map(hex::encode),
        prove_millis: rec.prove_millis,
        worker: rec.worker,
        chain_tx: rec.chain_tx,
        chain_height: rec.chain_height,
    })
}
