//! Client helpers for proof of stake and checkpoints over CometBFT RPC: the consensus validator
//! set, checkpoint queries, and verifying a block's inclusion in a checkpoint against the block
//! headers the light client trusts.

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};

use serde::Deserialize;

use crate::checkpoint::{BlockProof, CheckpointResponse, Hash, RecordProof};
use crate::light::{LightClient, TrustRoot};
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

/// The checkpoint of `epoch`, or the latest one.
pub async fn checkpoint(rpc: &RpcClient, epoch: Option<u64>) -> Result<CheckpointResponse> {
    let body = match epoch {
        Some(e) => json!({ "epoch": e }),
        None => json!({}),
    };
    rpc.json_query("/proof.checkpoint.v1.Query/Checkpoint", body, None)
        .await
}

/// The inclusion proof of `record` in epoch `epoch`'s checkpoint (found by its bytes).
pub async fn record_proof(rpc: &RpcClient, epoch: u64, record: &[u8]) -> Result<RecordProof> {
    rpc.json_query(
        "/proof.checkpoint.v1.Query/RecordProof",
        json!({ "epoch": epoch, "record": hex::encode(record) }),
        None,
    )
    .await
}

/// The inclusion proof of block `height` in the checkpoint that covers it.
pub async fn block_proof(rpc: &RpcClient, height: u64) -> Result<BlockProof> {
    rpc.json_query(
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
    /// The header whose app hash the checkpoint was proven against.
    pub proven_at: u64,
    /// What the light client started from.
    pub trust: TrustRoot,
}

/// A checkpoint as the chain stores it (`epoch/checkpoint/<epoch>`), read with its proof.
#[derive(Deserialize)]
struct Stored {
    checkpoint: crate::checkpoint::Checkpoint,
    hash: String,
    written_at: u64,
}

/// The ICS-23 proof steps of a `store/...` answer (`proofOps` of CometBFT's JSON).
fn proof_steps(ops: &Value) -> Result<Vec<(Vec<u8>, ics23::CommitmentProof)>> {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    ops["ops"]
        .as_array()
        .context("no proof in the answer")?
        .iter()
        .map(|op| {
            let key = b64.decode(op["key"].as_str().unwrap_or_default())?;
            let data = b64.decode(op["data"].as_str().unwrap_or_default())?;
            let proof = <ics23::CommitmentProof as prost::Message>::decode(data.as_slice())?;
            Ok((key, proof))
        })
        .collect()
}

/// Checkpoint `epoch` read from the chain's state with a proof, checked against the app hash of
/// block `written_at` as a header the light client verified carries it: nothing of it is
/// taken on the node's word.
async fn proven_checkpoint(
    rpc: &RpcClient,
    light: &mut LightClient<'_>,
    epoch: u64,
    written_at: u64,
) -> Result<CheckpointResponse> {
    let key = [b"checkpoint/".as_slice(), &epoch.to_be_bytes()].concat();
    let r = rpc
        .abci_query("store/epoch/key", &key, Some(written_at), true)
        .await?;
    if r.code != 0 {
        bail!(
            "reading checkpoint {epoch} with its proof failed: {}",
            r.log
        );
    }
    let steps = proof_steps(r.proof_ops.as_ref().unwrap_or(&Value::Null))?;
    let header = light.verify(written_at + 1).await?;
    let root = crate::light::app_hash(&header)?;
    let full_key = [b"epoch/".as_slice(), &key].concat();
    if !crate::proof::verify_key(&steps, &root, &full_key, Some(&r.value)) {
        bail!("checkpoint {epoch}: the node's proof does not match block {written_at}'s verified app hash");
    }
    let stored: Stored = serde_json::from_slice(&r.value).context("stored checkpoint")?;
    // The proof binds the key, so this holds for an honest chain; checked so that a stored
    // record is never taken for another epoch's or height's.
    if stored.checkpoint.epoch != epoch || stored.written_at != written_at {
        bail!(
            "checkpoint {epoch}: the proven record is epoch {} written at {}, not epoch {epoch} at {written_at}",
            stored.checkpoint.epoch,
            stored.written_at
        );
    }
    let hash = hex::decode(&stored.hash)
        .ok()
        .and_then(|h| <[u8; 32]>::try_from(h).ok())
        .context("stored checkpoint hash")?;
    Ok(CheckpointResponse {
        checkpoint: stored.checkpoint,
        hash,
        written_at: stored.written_at,
    })
}

/// Fetches a checkpoint and checks it as a light client: its content is read with a state proof
/// against the app hash of a header whose commit signatures were verified from a trusted
/// header (`light`), then its hash and reward arithmetic and its link to the previous
/// checkpoint; with `height`, that the block is in it with the app hash of its verified
/// successor header. Without `epoch`, the checkpoint covering `height` (or else the latest).
pub async fn verify_checkpoint(
    rpc: &RpcClient,
    light: &mut LightClient<'_>,
    epoch: Option<u64>,
    height: Option<u64>,
) -> Result<Verified> {
    let proof = match height {
        Some(h) => Some((h, block_proof(rpc, h).await?)),
        None => None,
    };
    let epoch = epoch.or(proof.as_ref().map(|(_, p)| p.checkpoint.epoch));
    let claimed = checkpoint(rpc, epoch).await?;
    let epoch = claimed.checkpoint.epoch;
    let cp = proven_checkpoint(rpc, light, epoch, claimed.written_at).await?;
    let prev = if epoch > 0 {
        Some(checkpoint(rpc, Some(epoch - 1)).await?)
    } else {
        None
    };
    // The link needs only the previous checkpoint's content: its hash is in this (proven) one.
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
            let header = light.verify(h + 1).await?;
            let app_hash = crate::light::app_hash(&header)?;
            if app_hash != p.app_hash {
                bail!(
                    "the node's app hash for block {h} ({}) differs from the verified header's ({})",
                    hex::encode_upper(p.app_hash),
                    hex::encode_upper(app_hash)
                );
            }
            cp.checkpoint.verify_block(h, &app_hash, &p.proof)?;
            Some(p)
        }
    };
    Ok(Verified {
        proven_at: cp.written_at + 1,
        checkpoint: cp,
        linked_to_previous: prev.is_some(),
        block,
        trust: light.root.clone(),
    })
}
