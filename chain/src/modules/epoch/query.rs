//! `proof.epoch.v1.Query` and `proof.checkpoint.v1.Query`: epoch parameters and state,
//! checkpoints, and Merkle proofs of a block or a record in one.

use proof_sdk::checkpoint::{self, BlockProof, CheckpointResponse};

use crate::modules::epoch::{self, EpochParams, StoredCheckpoint};
use serde::Deserialize;

use crate::query::{json, json_req, QueryError};
use crate::state::StateRead;

#[derive(Deserialize)]
struct EpochReq {
    epoch: Option<u64>,
}

#[derive(Deserialize)]
struct HeightReq {
    height: u64,
}

#[derive(Deserialize)]
struct RecordReq {
    epoch: u64,
    /// The record's position, or (`record`) its bytes in hex: the first record equal to them.
    #[serde(default)]
    index: Option<u64>,
    #[serde(default)]
    record: Option<String>,
}

fn stored_response(s: StoredCheckpoint) -> Result<CheckpointResponse, QueryError> {
    let hash = hex::decode(&s.hash)
        .ok()
        .and_then(|h| <[u8; 32]>::try_from(h).ok())
        .ok_or_else(|| QueryError::Internal("corrupt checkpoint hash".into()))?;
    Ok(CheckpointResponse {
        checkpoint: s.checkpoint,
        hash,
        written_at: s.written_at,
    })
}

/// Answers the module's query paths; `None` if `path` is not one of them.
pub fn route(view: &dyn StateRead, path: &str, data: &[u8]) -> Result<Option<Vec<u8>>, QueryError> {
    Ok(Some(match path {
        "/proof.epoch.v1.Query/Params" => json(&EpochParams::load(view)?)?,
        "/proof.epoch.v1.Query/Current" => {
            let s = epoch::epoch_state(view)?
                .ok_or_else(|| QueryError::NotFound("epochs not initialised".into()))?;
            json(&serde_json::json!({
                "epoch": s.epoch,
                "start_height": s.start_height,
                "start_time_ns": s.start_time_ns,
                "prev_hash": hex::encode_upper(s.prev_hash),
            }))?
        }
        "/proof.checkpoint.v1.Query/Checkpoint" => {
            let r: EpochReq = json_req(data)?;
            let e = match r.epoch {
                Some(e) => e,
                None => epoch::latest_epoch(view)?
                    .ok_or_else(|| QueryError::NotFound("no checkpoint yet".into()))?,
            };
            let s = epoch::checkpoint(view, e)?
                .ok_or_else(|| QueryError::NotFound(format!("no checkpoint for epoch {e}")))?;
            json(&stored_response(s)?)?
        }
        "/proof.checkpoint.v1.Query/BlockProof" => {
            let r: HeightReq = json_req(data)?;
            let s = epoch::checkpoint_for_height(view, r.height)?.ok_or_else(|| {
                QueryError::NotFound(format!("no checkpoint covers block {}", r.height))
            })?;
            let cp = &s.checkpoint;
            let hashes = epoch::epoch_block_hashes(view, cp.epoch)?;
            let index = (r.height - cp.start_height) as usize;
            let app_hash = *hashes
                .get(index)
                .ok_or_else(|| QueryError::Internal("checkpoint block hashes missing".into()))?;
            let leaves: Vec<_> = hashes
                .iter()
                .zip(cp.start_height..)
                .map(|(ah, h)| checkpoint::leaf_hash(&checkpoint::block_leaf(h, ah)))
                .collect();
            let proof = checkpoint::prove(&leaves, index)
                .ok_or_else(|| QueryError::Internal("height outside the checkpoint".into()))?;
            let resp = stored_response(s.clone())?;
            json(&BlockProof {
                checkpoint: resp.checkpoint,
                checkpoint_hash: resp.hash,
                height: r.height,
                app_hash,
                proof,
            })?
        }
        "/proof.checkpoint.v1.Query/RecordProof" => {
            let r: RecordReq = json_req(data)?;
            let s = epoch::checkpoint(view, r.epoch)?.ok_or_else(|| {
                QueryError::NotFound(format!("no checkpoint for epoch {}", r.epoch))
            })?;
            let leaves = s
                .records
                .iter()
                .map(|h| {
                    hex::decode(h)
                        .map(|b| checkpoint::leaf_hash(&b))
                        .map_err(|e| QueryError::Internal(e.to_string()))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let index = match (r.index, &r.record) {
                (Some(i), None) => i as usize,
                (None, Some(hex)) => {
                    let want = hex.to_ascii_lowercase();
                    s.records.iter().position(|h| *h == want).ok_or_else(|| {
                        QueryError::NotFound(format!(
                            "epoch {} committed no such record ({} records)",
                            r.epoch,
                            s.records.len()
                        ))
                    })?
                }
                _ => {
                    return Err(QueryError::InvalidArgument(
                        "give the record's index or its bytes (record), not both".into(),
                    ))
                }
            };
            let proof = checkpoint::prove(&leaves, index).ok_or_else(|| {
                QueryError::NotFound(format!(
                    "epoch {} has {} records, no index {index}",
                    r.epoch,
                    leaves.len(),
                ))
            })?;
            json(&serde_json::json!({
                "index": index,
                "record": s.records[index],
                "proof": proof,
                "checkpoint_hash": s.hash,
            }))?
        }
        _ => return Ok(None),
    }))
}
