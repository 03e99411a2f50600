//! Client helpers for proof of stake and checkpoints over CometBFT RPC: the consensus validator
//! set, checkpoint queries, and verifying a block's inclusion in a checkpoint against the block
//! headers the light client trusts.

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};

use crate::checkpoint::{BlockProof, CheckpointResponse, Hash};
use crate::rpc::RpcClient;

/// One entry of CometBFT's validator set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsensusValidator {
    /// Hex consensus address.
    pub address: String,
    /// Base64 ed25519 key.
    pub pub_key: String,
    pub power: u64,
}

fn num(v: &Value) -> u64 {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .or_else(|| v.as_u64())
        .unwrap_or(0)
}

/// CometBFT's validator set at `height` (latest if None), every page of it (CometBFT serves at
/// most 100 per page).
pub async fn consensus_validators(
    rpc: &RpcClient,
    height: Option<u64>,
) -> Result<Vec<ConsensusValidator>> {
    let mut out = Vec::new();
    for page in 1u64.. {
        let mut params = json!({"page": page.to_string(), "per_page": "100"});
        if let Some(h) = height {
            params["height"] = h.to_string().into();
        }
        let r = rpc.call("validators", params).await?;
        let list = r["validators"]
            .as_array()
            .context("validators: no list in reply")?;
        out.extend(list.iter().map(|v| {
            ConsensusValidator {
                address: v["address"].as_str().unwrap_or_default().to_string(),
                pub_key: v["pub_key"]["value"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                power: num(&v["voting_power"]),
            }
        }));
        if list.is_empty() || out.len() as u64 >= num(&r["total"]) {
            break;
        }
    }
    Ok(out)
}

async fn json_query<T: serde::de::DeserializeOwned>(
    rpc: &RpcClient,
    path: &str,
    body: Value,
    height: Option<u64>,
) -> Result<T> {
    let r = rpc
        .abci_query(path, body.to_string().as_bytes(), height, false)
        .await?;
    if r.code != 0 {
        bail!("{path} failed (code {}): {}", r.code, r.log);
    }
    serde_json::from_slice(&r.value).with_context(|| format!("{path}: cannot decode reply"))
}

/// The checkpoint of `epoch`, or the latest one.
pub async fn checkpoint(rpc: &RpcClient, epoch: Option<u64>) -> Result<CheckpointResponse> {
    let body = match epoch {
        Some(e) => json!({ "epoch": e }),
        None => json!({}),
    };
    json_query(rpc, "/proof.checkpoint.v1.Query/Checkpoint", body, None).await
}

/// The inclusion proof of block `height` in the checkpoint that covers it.
pub async fn block_proof(rpc: &RpcClient, height: u64) -> Result<BlockProof> {
    json_query(
        rpc,
        "/proof.checkpoint.v1.Query/BlockProof",
        json!({ "height": height }),
        None,
    )
    .await
}

/// The app hash block `height` committed to, as the next block's header carries it.
pub async fn header_app_hash(rpc: &RpcClient, height: u64) -> Result<Hash> {
    let b = rpc.block(Some(height + 1)).await?;
    let hex_hash = b["block"]["header"]["app_hash"]
        .as_str()
        .context("block without app_hash")?;
    hex::decode(hex_hash)?
        .try_into()
        .map_err(|_| anyhow::anyhow!("app hash is not 32 bytes"))
}

/// What `verify_checkpoint` checked.
#[derive(Clone, Debug)]
pub struct Verified {
    pub checkpoint: CheckpointResponse,
    pub linked_to_previous: bool,
    pub block: Option<BlockProof>,
}

/// Fetches a checkpoint and checks it: its hash and reward arithmetic, its link to the previous
/// checkpoint, and (if `height` is given) that the block is in it with the app hash the chain's
/// header at `height + 1` carries. Without `epoch`, the checkpoint covering `height` (or else
/// the latest) is checked.
pub async fn verify_checkpoint(
    rpc: &RpcClient,
    epoch: Option<u64>,
    height: Option<u64>,
) -> Result<Verified> {
    let proof = match height {
        Some(h) => Some((h, block_proof(rpc, h).await?)),
        None => None,
    };
    let epoch = epoch.or(proof.as_ref().map(|(_, p)| p.checkpoint.epoch));
    let cp = checkpoint(rpc, epoch).await?;
    let prev = if cp.checkpoint.epoch > 0 {
        Some(checkpoint(rpc, Some(cp.checkpoint.epoch - 1)).await?)
    } else {
        None
    };
    cp.checkpoint
        .verify(Some(&cp.hash), prev.as_ref().map(|p| &p.checkpoint))?;
    let block = match proof {
        None => None,
        Some((h, p)) => {
            if p.checkpoint_hash != cp.hash {
                bail!(
                    "block {h} is in epoch {}, not epoch {}",
                    p.checkpoint.epoch,
                    cp.checkpoint.epoch
                );
            }
            let header = header_app_hash(rpc, h).await?;
            if header != p.app_hash {
                bail!(
                    "the node's app hash for block {h} ({}) differs from the header's ({})",
                    hex::encode_upper(p.app_hash),
                    hex::encode_upper(header)
                );
            }
            cp.checkpoint.verify_block(h, &header, &p.proof)?;
            Some(p)
        }
    };
    Ok(Verified {
        checkpoint: cp,
        linked_to_previous: prev.is_some(),
        block,
    })
}
