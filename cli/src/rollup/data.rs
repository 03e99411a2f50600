//! A rollup's state rebuilt from the chain alone: every verified batch's published bytes, found
//! in the event the verifier emitted for it (it records each batch's height and the SHA-256 of
//! its data), replayed from the empty tree (`proof_zk::replay`). No operator is
//! asked, so this works when the operator is gone.

use anyhow::{bail, Context, Result};
use base64::Engine as _;
use proof_sdk::rpc::RpcClient;
use proof_sdk::Address;
use proof_zk::AccountTree;
use rollup_msgs::verifier::{BatchInfo, QueryMsg, RollupInfo};
use sha2::{Digest, Sha256};

use super::contracts::smart;
use crate::progress::Progress;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// The published bytes of batch `info` of a rollup: from the `rollup_batch` event the verifier
/// emitted in the block at `info.height` (whoever posted the batch: an account or a contract),
/// checked against the recorded SHA-256.
async fn batch_data(rpc: &RpcClient, verifier: &Address, info: &BatchInfo) -> Result<Vec<u8>> {
    let results = rpc.block_results(info.height).await?;
    let txs = results["txs_results"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let verifier = verifier.to_string();
    for tx in &txs {
        for ev in tx["events"].as_array().into_iter().flatten() {
            if ev["type"] != "wasm-rollup_batch" {
                continue;
            }
            let attr = |k: &str| {
                ev["attributes"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .find(|a| a["key"] == k)
                    .and_then(|a| a["value"].as_str())
                    .map(str::to_string)
            };
            let ours = attr("_contract_address").as_deref() == Some(verifier.as_str())
                && attr("rollup") == Some(info.rollup.to_string())
                && attr("index") == Some(info.index.to_string());
            let Some(data) = attr("data")
                .filter(|_| ours)
                .and_then(|d| B64.decode(d).ok())
            else {
                continue;
            };
            let digest: [u8; 32] = Sha256::digest(&data).into();
            if digest == info.data_sha256.0 {
                return Ok(data);
            }
        }
    }
    bail!(
        "batch {} of rollup {} is recorded at height {}, but no event there carries its data (is this node pruned below that height?)",
        info.index,
        info.rollup,
        info.height
    )
}

/// The rollup's tree at its last verified root, rebuilt from the chain; checked against the
/// root the verifier holds.
pub async fn rebuild(
    rpc: &RpcClient,
    verifier: &Address,
    rollup: u32,
    progress: &mut Progress,
) -> Result<(RollupInfo, AccountTree)> {
    let info: RollupInfo = smart(rpc, verifier, &QueryMsg::Rollup { id: rollup }).await?;
    let mut tree = AccountTree::new();
    let bar = progress.count(
        "replaying the rollup's batches from the chain",
        info.batch_index,
    );
    for index in 0..info.batch_index {
        if let Some(b) = &bar {
            b.inc(1);
        }
        let b: BatchInfo = smart(rpc, verifier, &QueryMsg::Batch { rollup, index }).await?;
        let data = batch_data(rpc, verifier, &b).await?;
        proof_zk::replay::apply_batch(&mut tree, &data)
            .with_context(|| format!("batch {index} of rollup {rollup} does not apply"))?;
        if proof_zk::f_to_bytes(&tree.root()) != b.new_root.0 {
            bail!("replaying batch {index} of rollup {rollup} gives another root than the one verified");
        }
    }
    crate::progress::finish(bar);
    if proof_zk::f_to_bytes(&tree.root()) != info.state_root.0 {
        bail!("the rebuilt state of rollup {rollup} does not match its verified root");
    }
    Ok((info, tree))
}
