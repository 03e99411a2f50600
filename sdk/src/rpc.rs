//! A small CometBFT JSON-RPC client (the subset the CLI, tests and load generator need).

use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use base64::Engine as _;
use serde_json::{json, Value};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

#[derive(Clone)]
pub struct RpcClient {
    url: String,
    http: reqwest::Client,
}

/// Result of `broadcast_tx_sync`: the CheckTx outcome.
#[derive(Debug, Clone)]
pub struct BroadcastResult {
    pub code: u32,
    pub log: String,
    pub hash: String,
    pub codespace: String,
}

/// A committed transaction as reported by `/tx`.
#[derive(Debug, Clone)]
pub struct TxResult {
    pub hash: String,
    pub height: u64,
    pub code: u32,
    pub log: String,
    pub gas_wanted: i64,
    pub gas_used: i64,
    pub raw: Value,
}

impl TxResult {
    /// The value of `key` in the first event of type `kind` the transaction emitted.
    pub fn event_attr(&self, kind: &str, key: &str) -> Option<String> {
        self.raw["tx_result"]["events"]
            .as_array()?
            .iter()
            .filter(|e| e["type"] == kind)
            .flat_map(|e| e["attributes"].as_array().into_iter().flatten())
            .find(|a| a["key"] == key)
            .and_then(|a| a["value"].as_str().map(str::to_string))
    }
}

/// The answer to an `abci_query`.
#[derive(Debug, Clone)]
pub struct QueryResult {
    pub code: u32,
    pub log: String,
    pub value: Vec<u8>,
    pub height: u64,
    pub proof_ops: Option<Value>,
}

fn as_u64(v: &Value) -> u64 {
    match v {
        Value::String(s) => s.parse().unwrap_or(0),
        Value::Number(n) => n.as_u64().unwrap_or(0),
        _ => 0,
    }
}

fn as_i64(v: &Value) -> i64 {
    match v {
        Value::String(s) => s.parse().unwrap_or(0),
        Value::Number(n) => n.as_i64().unwrap_or(0),
        _ => 0,
    }
}

impl RpcClient {
    /// `url` is the CometBFT RPC address, e.g. `http://127.0.0.1:26657`.
    pub fn new(url: &str) -> Result<Self> {
        let url = url.trim_end_matches('/').to_string();
        let url = if url.starts_with("http://") || url.starts_with("https://") {
            url
        } else if let Some(rest) = url.strip_prefix("tcp://") {
            format!("http://{rest}")
        } else {
            format!("http://{url}")
        };
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .pool_max_idle_per_host(256)
            .build()?;
        Ok(Self { url, http })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Calls a JSON-RPC method and returns its `result`, turning RPC errors into messages.
    pub async fn call(&self, method: &str, params: Value) -> Result<Value> {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        let resp = self
            .http
            .post(&self.url)
            .json(&body)
            .send()
            .await
            .with_context(|| {
                format!(
                    "cannot reach the node at {} (is it running? set --node)",
                    self.url
                )
            })?;
        let status = resp.status();
        let v: Value = resp
            .json()
            .await
            .with_context(|| format!("{method}: node sent a non-JSON reply ({status})"))?;
        if let Some(err) = v.get("error") {
            let data = err.get("data").and_then(Value::as_str).unwrap_or("");
            let msg = err
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("error");
            bail!("{method}: {msg} {data}");
        }
        v.get("result")
            .cloned()
            .ok_or_else(|| anyhow!("{method}: reply without result"))
    }

    pub async fn status(&self) -> Result<Value> {
        self.call("status", json!({})).await
    }

    pub async fn chain_id(&self) -> Result<String> {
        let s = self.status().await?;
        s["node_info"]["network"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| anyhow!("status has no network"))
    }

    pub async fn latest_height(&self) -> Result<u64> {
        Ok(as_u64(
            &self.status().await?["sync_info"]["latest_block_height"],
        ))
    }

    pub async fn broadcast_tx_sync(&self, tx: &[u8]) -> Result<BroadcastResult> {
        let r = self
            .call("broadcast_tx_sync", json!({"tx": B64.encode(tx)}))
            .await?;
        Ok(BroadcastResult {
            code: as_u64(&r["code"]) as u32,
            log: r["log"].as_str().unwrap_or_default().to_string(),
            hash: r["hash"].as_str().unwrap_or_default().to_string(),
            codespace: r["codespace"].as_str().unwrap_or_default().to_string(),
        })
    }

    /// Looks a committed transaction up by hash; `Ok(None)` if it is not (yet) indexed.
    pub async fn tx(&self, hash_hex: &str) -> Result<Option<TxResult>> {
        let hash = hex::decode(hash_hex).context("tx hash must be hex")?;
        match self
            .call("tx", json!({"hash": B64.encode(hash), "prove": false}))
            .await
        {
            Ok(r) => Ok(Some(TxResult {
                hash: r["hash"].as_str().unwrap_or_default().to_string(),
                height: as_u64(&r["height"]),
                code: as_u64(&r["tx_result"]["code"]) as u32,
                log: r["tx_result"]["log"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                gas_wanted: as_i64(&r["tx_result"]["gas_wanted"]),
                gas_used: as_i64(&r["tx_result"]["gas_used"]),
                raw: r,
            })),
            Err(e) if e.to_string().contains("not found") => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Polls until the transaction is committed or `timeout` passes. `on_tick` is called each poll.
    pub async fn wait_for_tx(
        &self,
        hash_hex: &str,
        timeout: Duration,
        mut on_tick: impl FnMut(),
    ) -> Result<TxResult> {
        let start = Instant::now();
        loop {
            if let Some(r) = self.tx(hash_hex).await? {
                return Ok(r);
            }
            if start.elapsed() > timeout {
                bail!("transaction {hash_hex} was not committed within {timeout:?}; it may still be in the mempool");
            }
            on_tick();
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    pub async fn block(&self, height: Option<u64>) -> Result<Value> {
        let params = match height {
            Some(h) => json!({"height": h.to_string()}),
            None => json!({}),
        };
        self.call("block", params).await
    }

    pub async fn block_results(&self, height: u64) -> Result<Value> {
        self.call("block_results", json!({"height": height.to_string()}))
            .await
    }

    pub async fn abci_query(
        &self,
        path: &str,
        data: &[u8],
        height: Option<u64>,
        prove: bool,
    ) -> Result<QueryResult> {
        let r = self
            .call(
                "abci_query",
                json!({"path": path, "data": hex::encode(data), "height": height.unwrap_or(0).to_string(), "prove": prove}),
            )
            .await?;
        let resp = &r["response"];
        let value = match resp["value"].as_str() {
            Some(s) if !s.is_empty() => B64.decode(s).context("query value is not base64")?,
            _ => Vec::new(),
        };
        Ok(QueryResult {
            code: as_u64(&resp["code"]) as u32,
            log: resp["log"].as_str().unwrap_or_default().to_string(),
            value,
            height: as_u64(&resp["height"]),
            proof_ops: resp.get("proofOps").filter(|v| !v.is_null()).cloned(),
        })
    }

    /// Runs a gRPC-style query (`/cosmos.bank.v1beta1.Query/Balance`, ...) and decodes the reply.
    pub async fn grpc_query<Req: prost::Message, Resp: prost::Message + Default>(
        &self,
        path: &str,
        req: &Req,
        height: Option<u64>,
    ) -> Result<Resp> {
        let r = self
            .abci_query(path, &req.encode_to_vec(), height, false)
            .await?;
        if r.code != 0 {
            bail!("{path} failed (code {}): {}", r.code, r.log);
        }
        Resp::decode(r.value.as_slice()).with_context(|| format!("{path}: cannot decode reply"))
    }

    /// Runs one of the chain's JSON queries (`/proof.*`) and decodes the reply.
    pub async fn json_query<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        body: Value,
        height: Option<u64>,
    ) -> Result<T> {
        let r = self
            .abci_query(path, body.to_string().as_bytes(), height, false)
            .await?;
        if r.code != 0 {
            bail!("{path} failed (code {}): {}", r.code, r.log);
        }
        serde_json::from_slice(&r.value).with_context(|| format!("{path}: cannot decode reply"))
    }

    /// Waits until the node reports at least `height`.
    pub async fn wait_for_height(&self, height: u64, timeout: Duration) -> Result<()> {
        let start = Instant::now();
        loop {
            if let Ok(h) = self.latest_height().await {
                if h >= height {
                    return Ok(());
                }
            }
            if start.elapsed() > timeout {
                bail!(
                    "node {} did not reach height {height} within {timeout:?}",
                    self.url
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_attributes_are_found_by_type_and_key() {
        let res = |events: Value| TxResult {
            hash: String::new(),
            height: 1,
            code: 0,
            log: String::new(),
            gas_wanted: 0,
            gas_used: 0,
            raw: json!({"tx_result": {"events": events}}),
        };
        let r = res(json!([
            {"type": "message", "attributes": [{"key": "code_id", "value": "wrong"}]},
            {"type": "store_code", "attributes": [
                {"key": "code_checksum", "value": "ab"}, {"key": "code_id", "value": "7"}
            ]}
        ]));
        assert_eq!(r.event_attr("store_code", "code_id").as_deref(), Some("7"));
        assert_eq!(
            r.event_attr("store_code", "code_checksum").as_deref(),
            Some("ab")
        );
        assert_eq!(r.event_attr("instantiate", "code_id"), None);
        assert_eq!(res(Value::Null).event_attr("store_code", "code_id"), None);
    }
}
