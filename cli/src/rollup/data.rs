//! A rollup's state rebuilt from the chain alone: every verified batch's published bytes, found
//! in the transactions that posted them (the verifier records each batch's height and the
//! SHA-256 of its data), replayed from the empty tree (`proof_zk::replay`). No operator is
//! asked, so this works when the operator is gone.

use anyhow::{bail, Context, Result};
use base64::Engine as _;
use cosmos_sdk_proto::cosmos::tx::v1beta1::{TxBody, TxRaw};
use cosmos_sdk_proto::cosmwasm::wasm::v1::MsgExecuteContract;
use proof_sdk::rpc::RpcClient;
use proof_sdk::Address;
use proof_zk::AccountTree;
use prost::{Message, Name};
use rollup_msgs::verifier::{BatchInfo, ExecuteMsg, QueryMsg, RollupInfo};
use sha2::{Digest, Sha256};

use super::contracts::smart;
use crate::progress::Progress;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// The published bytes of batch `info` of a rollup: from the successful `submit_batch` in the
/// block at `info.height` whose data hashes to the recorded digest.
async fn batch_data(rpc: &RpcClient, verifier: &Address, info: &BatchInfo) -> Result<Vec<u8>> {
    let block = rpc.block(Some(info.height)).await?;
    let results = rpc.block_results(info.height).await?;
    let txs = block["block"]["data"]["txs"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for (i, tx) in txs.iter().enumerate() {
        let ok = results["txs_results"][i]["code"].as_u64().unwrap_or(0) == 0;
        let Some(raw) = tx.as_str().and_then(|s| B64.decode(s).ok()) else {
            continue;
        };
        if !ok {
            continue;
        }
        let Ok(body) =
            TxRaw::decode(raw.as_slice()).and_then(|r| TxBody::decode(r.body_bytes.as_slice()))
        else {
            continue;
        };
        for any in &body.messages {
            if any.type_url != MsgExecuteContract::type_url() {
                continue;
            }
            let Ok(m) = MsgExecuteContract::decode(any.value.as_slice()) else {
                continue;
            };
            if m.contract != verifier.to_string() {
                continue;
            }
            if let Ok(ExecuteMsg::SubmitBatch { rollup, data, .. }) = serde_json::from_slice(&m.msg)
            {
                let digest: [u8; 32] = Sha256::digest(&data.0).into();
                if rollup == info.rollup && digest == info.data_sha256.0 {
                    return Ok(data.0);
                }
            }
        }
    }
    bail!(
        "batch {} of rollup {} is recorded at height {}, but no transaction there carries its data (is this node pruned below that height?)",
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
