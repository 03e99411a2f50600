//! Reading and writing the rollup's contracts on the chain: the verifier's and `xx`'s queries,
//! posting a proven batch, and rebuilding a rollup's state from the chain alone.
//!
//! Rebuilding needs no operator: every verified batch's published bytes are in the
//! `rollup_batch` event the verifier emitted for it (the verifier records each batch's height
//! and the SHA-256 of its data), and replaying them from the empty tree (`proof_zk::replay`)
//! gives the state the proofs attest to. That is what lets a user build an exit proof when the
//! operator is gone, and what `proof-rollup rebuild` checks an operator against.

use anyhow::{bail, Context, Result};
use base64::Engine as _;
use cosmos_sdk_proto::cosmwasm::wasm::v1::{
    QuerySmartContractStateRequest, QuerySmartContractStateResponse,
};
use proof_sdk::rpc::RpcClient;
use proof_sdk::submit::{submit, GasLimit, SubmitError, SubmitOptions, Submitted};
use proof_sdk::{msgs, Address, PrivateKey};
use proof_zk::AccountTree;
use rollup_msgs::verifier::{BatchInfo, ExecuteMsg, QueryMsg, RollupInfo};
use rollup_msgs::xx::{PendingDeposit, PendingResponse, QueryMsg as XxQuery, RollupBalance};
use rollup_msgs::{Base64, Hex32};
use serde::de::DeserializeOwned;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::time::Duration;

const PATH_SMART: &str = "/cosmwasm.wasm.v1.Query/SmartContractState";
const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// The settlement (`xx`) contract the verifier names.
pub async fn settlement_of(rpc: &RpcClient, verifier: &Address) -> Result<Address> {
    let c: rollup_msgs::verifier::ConfigResponse =
        smart(rpc, verifier, &QueryMsg::Config {}).await?;
    let x = c
        .settlement
        .context("the verifier has no settlement contract yet")?;
    x.parse()
        .map_err(|e| anyhow::anyhow!("the verifier's settlement address {x:?}: {e}"))
}

/// A smart query of `contract`, typed both ways.
pub async fn smart<Q: Serialize, R: DeserializeOwned>(
    rpc: &RpcClient,
    contract: &Address,
    msg: &Q,
) -> Result<R> {
    let req = QuerySmartContractStateRequest {
        address: contract.to_string(),
        query_data: serde_json::to_vec(msg)?,
    };
    let resp: QuerySmartContractStateResponse = rpc.grpc_query(PATH_SMART, &req, None).await?;
    serde_json::from_slice(&resp.data)
        .with_context(|| format!("contract {contract} answered something unexpected"))
}

/// One rollup's contracts.
#[derive(Clone)]
pub struct ChainClient {
    pub rpc: RpcClient,
    pub verifier: Address,
    pub xx: Address,
    pub rollup: u32,
}

impl ChainClient {
    pub async fn rollup_info(&self) -> Result<RollupInfo> {
        smart(
            &self.rpc,
            &self.verifier,
            &QueryMsg::Rollup { id: self.rollup },
        )
        .await
    }

    pub async fn batch(&self, index: u64) -> Result<BatchInfo> {
        smart(
            &self.rpc,
            &self.verifier,
            &QueryMsg::Batch {
                rollup: self.rollup,
                index,
            },
        )
        .await
    }

    /// What `xx` holds and owes for the rollup, and its deposit sequence numbers.
    pub async fn settlement(&self) -> Result<RollupBalance> {
        smart(
            &self.rpc,
            &self.xx,
            &XxQuery::Rollup {
                rollup: self.rollup,
            },
        )
        .await
    }

    /// Queued deposits after `start_after` (all of them from the front if `None`), oldest first.
    pub async fn pending_deposits(
        &self,
        start_after: Option<u64>,
        limit: u32,
    ) -> Result<Vec<PendingDeposit>> {
        let r: PendingResponse = smart(
            &self.rpc,
            &self.xx,
            &XxQuery::Pending {
                rollup: self.rollup,
                start_after,
                limit: Some(limit),
            },
        )
        .await?;
        Ok(r.deposits)
    }

    /// Posts a proven batch signed by `key` (the rollup's operator) and waits for its block.
    pub async fn submit_batch(
        &self,
        key: &PrivateKey,
        new_root: [u8; 32],
        data: &[u8],
        proof: &[u8],
        gas_adjustment: f64,
    ) -> Result<Submitted, SubmitError> {
        let msg = ExecuteMsg::SubmitBatch {
            rollup: self.rollup,
            new_root: Hex32(new_root),
            data: Base64(data.to_vec()),
            proof: Base64(proof.to_vec()),
        };
        let bytes = serde_json::to_vec(&msg).map_err(|e| SubmitError::Rpc(e.into()))?;
        let any = msgs::wasm_execute(&key.address(), &self.verifier, bytes, &[]);
        let opts = SubmitOptions {
            gas: GasLimit::Simulate {
                adjustment: gas_adjustment,
            },
            fee: None,
            memo: String::new(),
            timeout_height: 0,
            chain_id: None,
            wait: Some(Duration::from_secs(30)),
        };
        submit(
            &self.rpc,
            &key.address(),
            || Ok(key),
            vec![any],
            &opts,
            |_| {},
        )
        .await
    }
}

/// The published bytes of batch `info`: from the `rollup_batch` event the verifier emitted in the
/// block at `info.height` (whoever posted the batch: an account or a contract), checked against
/// the recorded SHA-256.
pub async fn batch_data(rpc: &RpcClient, verifier: &Address, info: &BatchInfo) -> Result<Vec<u8>> {
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

/// The rollup's tree at its last verified root, rebuilt from the chain; checked against every
/// batch's recorded root and the root the verifier holds. `on_batch(done, total)` reports
/// progress.
pub async fn rebuild(
    rpc: &RpcClient,
    verifier: &Address,
    rollup: u32,
    mut on_batch: impl FnMut(u64, u64),
) -> Result<(RollupInfo, AccountTree)> {
    let info: RollupInfo = smart(rpc, verifier, &QueryMsg::Rollup { id: rollup }).await?;
    let mut tree = AccountTree::new();
    for index in 0..info.batch_index {
        let b: BatchInfo = smart(rpc, verifier, &QueryMsg::Batch { rollup, index }).await?;
        let data = batch_data(rpc, verifier, &b).await?;
        proof_zk::replay::apply_batch(&mut tree, &data)
            .with_context(|| format!("batch {index} of rollup {rollup} does not apply"))?;
        if proof_zk::f_to_bytes(&tree.root()) != b.new_root.0 {
            bail!("replaying batch {index} of rollup {rollup} gives another root than the one verified");
        }
        on_batch(index + 1, info.batch_index);
    }
    if proof_zk::f_to_bytes(&tree.root()) != info.state_root.0 {
        bail!("the rebuilt state of rollup {rollup} does not match its verified root");
    }
    Ok((info, tree))
}
