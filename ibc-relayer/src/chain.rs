//! One chain as the relayer sees it: its RPC, its key, proven reads of its IBC store, its
//! headers, its events, and the one path for sending it transactions (`proof_sdk::submit`).

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use ibc_proto::ibc::core::client::v1::Height;
use ibc_proto::ibc::core::commitment::v1::MerkleProof;
use proof_sdk::rpc::{RpcClient, TxResult};
use proof_sdk::submit::{self, GasLimit, SubmitOptions, Submitted};
use proof_sdk::{Address, PrivateKey};
use prost::Message;
use serde_json::Value;
use tendermint::block::signed_header::SignedHeader;
use tendermint::validator::Set;

use crate::config::{ChainConfig, ChainKind};

pub use cosmos_sdk_proto::Any;

/// An event of a block's transactions (or its begin/end block), attributes by key.
#[derive(Clone, Debug)]
pub struct BlockEvent {
    pub kind: String,
    pub attrs: BTreeMap<String, String>,
    pub height: u64,
}

impl BlockEvent {
    pub fn get(&self, key: &str) -> Result<&str> {
        self.attrs
            .get(key)
            .map(String::as_str)
            .with_context(|| format!("{} event without {key}", self.kind))
    }
}

pub struct Chain {
    pub cfg: ChainConfig,
    pub rpc: RpcClient,
    pub key: PrivateKey,
    pub address: Address,
}

impl Chain {
    pub fn new(cfg: ChainConfig, key: PrivateKey) -> Result<Chain> {
        let rpc = RpcClient::new(&cfg.rpc)?;
        let address = key.public_key().address();
        Ok(Chain {
            cfg,
            rpc,
            key,
            address,
        })
    }

    pub fn id(&self) -> &str {
        &self.cfg.id
    }

    /// The relayer's account as the chain spells it (its bech32 prefix).
    pub fn signer(&self) -> String {
        self.address.to_bech32(&self.cfg.prefix)
    }

    /// The chain id's revision (`name-N`: N; otherwise 0), as IBC heights carry it.
    pub fn revision(&self) -> u64 {
        revision_of(&self.cfg.id)
    }

    pub fn height(&self, h: u64) -> Height {
        Height {
            revision_number: self.revision(),
            revision_height: h,
        }
    }

    pub async fn latest_height(&self) -> Result<u64> {
        self.rpc.latest_height().await
    }

    /// The value at ICS-24 `path` in the IBC store after block `height`, and its proof
    /// against the app hash in header `height + 1` (absent value: a proof of absence).
    pub async fn query_proven(&self, path: &str, height: u64) -> Result<(Vec<u8>, Vec<u8>)> {
        let r = self
            .rpc
            .abci_query("store/ibc/key", path.as_bytes(), Some(height), true)
            .await?;
        if r.code != 0 {
            bail!("{}: store/ibc/key {path} at {height}: {}", self.id(), r.log);
        }
        let ops = r
            .proof_ops
            .as_ref()
            .and_then(|p| p["ops"].as_array())
            .ok_or_else(|| anyhow!("{}: no proof for {path} at {height}", self.id()))?;
        let mut proofs = Vec::with_capacity(ops.len());
        for op in ops {
            let data = B64
                .decode(op["data"].as_str().unwrap_or_default())
                .context("proof op data is not base64")?;
            proofs.push(
                ibc_proto::ics23::CommitmentProof::decode(data.as_slice())
                    .context("proof op is not an ICS-23 proof")?,
            );
        }
        if proofs.len() != 2 {
            bail!(
                "{}: {path} proved in {} steps, not 2",
                self.id(),
                proofs.len()
            );
        }
        Ok((r.value, MerkleProof { proofs }.encode_to_vec()))
    }

    /// A gRPC-style query through ABCI.
    pub async fn grpc<Req: Message, Resp: Message + Default>(
        &self,
        path: &str,
        req: &Req,
        height: Option<u64>,
    ) -> Result<Resp> {
        self.rpc.grpc_query(path, req, height).await
    }

    pub async fn signed_header(&self, height: u64) -> Result<SignedHeader> {
        proof_sdk::light::signed_header(&self.rpc, height).await
    }

    /// The validator set at `height` with `proposer` (IBC's header checks need one).
    pub async fn validators(&self, height: u64, proposer: tendermint::account::Id) -> Result<Set> {
        let set = proof_sdk::light::validators(&self.rpc, height).await?;
        Set::with_proposer(set.validators().clone(), proposer).or_else(|_| {
            let first = set
                .validators()
                .first()
                .map(|v| v.address)
                .ok_or_else(|| anyhow!("empty validator set at {height}"))?;
            Set::with_proposer(set.validators().clone(), first).map_err(|e| anyhow!("{e}"))
        })
    }

    /// Waits until the chain has committed block `height` (so header `height` exists).
    pub async fn wait_for(&self, height: u64) -> Result<()> {
        self.rpc
            .wait_for_height(height, Duration::from_secs(60))
            .await
    }

    /// The events of block `height`: its transactions' (successful ones only) and its
    /// finalize-block events.
    pub async fn block_events(&self, height: u64) -> Result<Vec<BlockEvent>> {
        let r = self.rpc.block_results(height).await?;
        let mut out = Vec::new();
        for tx in r["txs_results"].as_array().into_iter().flatten() {
            if tx["code"].as_u64().unwrap_or(0) != 0 {
                continue;
            }
            out.extend(events_of(&tx["events"], height));
        }
        out.extend(events_of(&r["finalize_block_events"], height));
        Ok(out)
    }

    /// The events of block `height`, or `None` while its results are not stored yet: CometBFT
    /// reports a block as the latest once it is saved, a moment before its results are.
    pub async fn block_events_when_stored(&self, height: u64) -> Result<Option<Vec<BlockEvent>>> {
        match self.block_events(height).await {
            Ok(ev) => Ok(Some(ev)),
            Err(e) if format!("{e:#}").contains("could not find results for height") => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Sends `msgs` in one transaction and waits for it to be committed; a transaction that
    /// was committed but failed is an error carrying the chain's log.
    pub async fn send(&self, msgs: Vec<Any>) -> Result<TxResult> {
        let opts = SubmitOptions {
            gas: GasLimit::Simulate { adjustment: 1.3 },
            fee: None,
            memo: "proof-relayer".into(),
            timeout_height: 0,
            chain_id: Some(self.cfg.id.clone()),
            wait: Some(Duration::from_secs(60)),
        };
        let key = &self.key;
        match submit::submit(&self.rpc, &self.address, || Ok(key), msgs, &opts, |_| {}).await? {
            Submitted::Committed { result, .. } if result.code == 0 => Ok(result),
            Submitted::Committed { result, .. } => bail!(
                "{}: transaction {} failed (code {}): {}",
                self.id(),
                result.hash,
                result.code,
                result.log
            ),
            Submitted::Mempool { hash, .. } => bail!("{}: {hash} not waited for", self.id()),
        }
    }

    pub fn kind(&self) -> ChainKind {
        self.cfg.kind
    }
}

/// `name-N` -> N, as ibc-go parses chain ids; anything else is revision 0.
pub fn revision_of(chain_id: &str) -> u64 {
    match chain_id.rsplit_once('-') {
        Some((name, n)) if !name.is_empty() && !n.starts_with('0') || n == "0" => {
            n.parse().unwrap_or(0)
        }
        _ => 0,
    }
}

/// The events of a CometBFT JSON event list (`block_results`, `tx_search`).
pub fn events_of(v: &Value, height: u64) -> Vec<BlockEvent> {
    v.as_array()
        .into_iter()
        .flatten()
        .map(|e| BlockEvent {
            kind: e["type"].as_str().unwrap_or_default().to_string(),
            attrs: e["attributes"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|a| {
                    (
                        a["key"].as_str().unwrap_or_default().to_string(),
                        a["value"].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect(),
            height,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revisions_as_ibc_go_reads_them() {
        assert_eq!(revision_of("proof-1"), 1);
        assert_eq!(revision_of("cosmoshub-4"), 4);
        assert_eq!(revision_of("proof-localnet"), 0);
        assert_eq!(revision_of("chain"), 0);
        assert_eq!(revision_of("a-01"), 0);
    }
}
