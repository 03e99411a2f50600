//! A fake CometBFT JSON-RPC endpoint with just enough of the Proof chain behind it (accounts,
//! balances, broadcast, tx lookup) to drive the CLI end to end without a real node.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use cosmos_sdk_proto::cosmos::auth::v1beta1::{
    BaseAccount, QueryAccountRequest, QueryAccountResponse,
};
use cosmos_sdk_proto::cosmos::bank::v1beta1::{
    QueryAllBalancesRequest, QueryAllBalancesResponse, QueryBalanceRequest, QueryBalanceResponse,
    QueryTotalSupplyResponse,
};
use cosmos_sdk_proto::cosmos::base::query::v1beta1::PageResponse;
use cosmos_sdk_proto::cosmos::base::v1beta1::Coin;
use cosmos_sdk_proto::Any;
use prost::{Message, Name};
use serde_json::{json, Value};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

pub struct State {
    pub chain_id: String,
    pub height: u64,
    /// address -> (account number, sequence)
    pub accounts: HashMap<String, (u64, u64)>,
    /// address -> [(denom, amount)]
    pub balances: HashMap<String, Vec<(String, String)>>,
    pub supply: Vec<(String, String)>,
    pub check_code: u32,
    pub check_log: String,
    pub deliver_code: u32,
    pub deliver_log: String,
    /// Whether accepted transactions ever show up in a block.
    pub commit: bool,
    pub broadcast: Vec<Vec<u8>>,
    pub committed: HashMap<String, Vec<u8>>,
    /// (path, height parameter) of every abci_query, to check height pinning.
    pub queries: Vec<(String, String)>,
    /// (path, request bytes) of every abci_query, to check how requests are encoded.
    pub requests: Vec<(String, Vec<u8>)>,
    /// Canned answers (code, log, value) for query paths the mock does not model itself
    /// (wasm queries, Simulate).
    pub canned: HashMap<String, (u32, String, Vec<u8>)>,
    /// Events of committed txs (default: one bank `transfer` event).
    pub tx_events: Option<Value>,
    /// `tx_result.data` of committed txs (base64 `TxMsgData`).
    pub tx_data: String,
    /// Codespace of a failed delivery (default `sdk`).
    pub deliver_codespace: String,
}

impl State {
    /// The decoded requests sent to `path`, in order.
    pub fn requests_to<R: Message + Default>(&self, path: &str) -> Vec<R> {
        self.requests
            .iter()
            .filter(|(p, _)| p == path)
            .map(|(_, d)| R::decode(d.as_slice()).expect("request decodes"))
            .collect()
    }
}

impl Default for State {
    fn default() -> Self {
        Self {
            chain_id: "mock-1".into(),
            height: 42,
            accounts: HashMap::new(),
            balances: HashMap::new(),
            supply: vec![("uxyz".into(), "1000000000".into())],
            check_code: 0,
            check_log: String::new(),
            deliver_code: 0,
            deliver_log: String::new(),
            commit: true,
            broadcast: Vec::new(),
            committed: HashMap::new(),
            queries: Vec::new(),
            requests: Vec::new(),
            canned: HashMap::new(),
            tx_events: None,
            tx_data: String::new(),
            deliver_codespace: "sdk".into(),
        }
    }
}

pub struct MockNode {
    pub url: String,
    pub state: Arc<Mutex<State>>,
}

impl MockNode {
    pub fn start(state: State) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(state));
        let shared = state.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let st = shared.clone();
                std::thread::spawn(move || serve(conn, &st));
            }
        });
        Self { url, state }
    }
}

fn serve(mut conn: TcpStream, state: &Mutex<State>) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let header_end = loop {
        let n = match conn.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        buf.extend_from_slice(&chunk[..n]);
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..header_end]).to_ascii_lowercase();
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while buf.len() < header_end + len {
        let n = match conn.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        buf.extend_from_slice(&chunk[..n]);
    }
    let req: Value =
        serde_json::from_slice(&buf[header_end..header_end + len]).unwrap_or(Value::Null);
    let reply = {
        let mut st = state.lock().unwrap();
        match handle(
            &mut st,
            req["method"].as_str().unwrap_or(""),
            &req["params"],
        ) {
            Ok(result) => json!({"jsonrpc": "2.0", "id": req["id"], "result": result}),
            Err(data) => json!({"jsonrpc": "2.0", "id": req["id"],
                "error": {"code": -32603, "message": "Internal error", "data": data}}),
        }
    };
    let body = reply.to_string();
    let _ = write!(
        conn,
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
}

fn coin(d: &str, a: &str) -> Coin {
    Coin {
        denom: d.into(),
        amount: a.into(),
    }
}

fn handle(st: &mut State, method: &str, p: &Value) -> Result<Value, String> {
    match method {
        "status" => Ok(json!({
            "node_info": {"network": st.chain_id, "moniker": "mock", "version": "0.38.25"},
            "sync_info": {
                "latest_block_height": st.height.to_string(),
                "latest_block_hash": "AA".repeat(32),
                "latest_app_hash": "BB".repeat(32),
                "latest_block_time": "2025-01-01T00:00:00Z",
                "catching_up": false
            }
        })),
        "abci_query" => {
            let path = p["path"].as_str().unwrap_or("").to_string();
            let height = p["height"].as_str().unwrap_or("0").to_string();
            st.queries.push((path.clone(), height.clone()));
            let data = hex::decode(p["data"].as_str().unwrap_or("")).map_err(|e| e.to_string())?;
            st.requests.push((path.clone(), data.clone()));
            let at = match height.parse::<u64>() {
                Ok(h) if h > 0 => h,
                _ => st.height,
            };
            let (code, log, value) = abci(st, &path, &data);
            Ok(
                json!({"response": {"code": code, "log": log, "value": B64.encode(value), "height": at.to_string()}}),
            )
        }
        "broadcast_tx_sync" => {
            let tx = B64
                .decode(p["tx"].as_str().unwrap_or(""))
                .map_err(|e| e.to_string())?;
            let hash = proof_sdk::tx::tx_hash_hex(&tx);
            st.broadcast.push(tx.clone());
            if st.check_code == 0 && st.commit {
                st.committed.insert(hash.clone(), tx);
            }
            let codespace = if st.check_code == 0 { "" } else { "sdk" };
            Ok(
                json!({"code": st.check_code, "log": st.check_log, "hash": hash, "codespace": codespace, "data": ""}),
            )
        }
        "tx" => {
            let hash = hex::encode_upper(
                B64.decode(p["hash"].as_str().unwrap_or(""))
                    .map_err(|e| e.to_string())?,
            );
            let Some(tx) = st.committed.get(&hash) else {
                return Err(format!("tx ({hash}) not found"));
            };
            Ok(json!({
                "hash": hash,
                "height": (st.height + 1).to_string(),
                "index": 0,
                "tx_result": {
                    "code": st.deliver_code,
                    "codespace": if st.deliver_code == 0 { "" } else { st.deliver_codespace.as_str() },
                    "log": st.deliver_log,
                    "gas_wanted": "200000",
                    "gas_used": "61234",
                    "data": st.tx_data,
                    "events": st.tx_events.clone().unwrap_or_else(|| json!([{"type": "transfer", "attributes": [
                        {"key": "recipient", "value": "proof1recipient", "index": true},
                        {"key": "amount", "value": "1234uxyz", "index": true}
                    ]}]))
                },
                "tx": B64.encode(tx)
            }))
        }
        "block" => {
            let h = p["height"]
                .as_str()
                .and_then(|s| s.parse().ok())
                .unwrap_or(st.height);
            Ok(json!({
                "block_id": {"hash": "CC".repeat(32)},
                "block": {
                    "header": {"height": h.to_string(), "time": "2025-01-01T00:00:00Z", "chain_id": st.chain_id,
                               "proposer_address": "DD".repeat(20), "app_hash": "EE".repeat(32)},
                    "data": {"txs": [B64.encode(b"tx-one"), B64.encode(b"tx-two")]}
                }
            }))
        }
        other => Err(format!("method {other} not found")),
    }
}

/// Answers the gRPC-style ABCI queries; AllBalances returns one coin per page to exercise paging.
fn abci(st: &State, path: &str, data: &[u8]) -> (u32, String, Vec<u8>) {
    match path {
        "/cosmos.auth.v1beta1.Query/Account" => {
            let req = QueryAccountRequest::decode(data).unwrap_or_default();
            match st.accounts.get(&req.address) {
                Some(&(account_number, sequence)) => {
                    let acc = BaseAccount {
                        address: req.address.clone(),
                        pub_key: None,
                        account_number,
                        sequence,
                    };
                    let any = Any {
                        type_url: BaseAccount::type_url(),
                        value: acc.encode_to_vec(),
                    };
                    (
                        0,
                        String::new(),
                        QueryAccountResponse { account: Some(any) }.encode_to_vec(),
                    )
                }
                None => (
                    22,
                    format!(
                        "rpc error: code = NotFound desc = account {} not found: key not found",
                        req.address
                    ),
                    Vec::new(),
                ),
            }
        }
        "/cosmos.bank.v1beta1.Query/Balance" => {
            let req = QueryBalanceRequest::decode(data).unwrap_or_default();
            let amount = st
                .balances
                .get(&req.address)
                .and_then(|b| b.iter().find(|(d, _)| *d == req.denom))
                .map(|(_, a)| a.clone())
                .unwrap_or_else(|| "0".into());
            (
                0,
                String::new(),
                QueryBalanceResponse {
                    balance: Some(coin(&req.denom, &amount)),
                }
                .encode_to_vec(),
            )
        }
        "/cosmos.bank.v1beta1.Query/AllBalances" => {
            let req = QueryAllBalancesRequest::decode(data).unwrap_or_default();
            let all = st.balances.get(&req.address).cloned().unwrap_or_default();
            let start: usize = req
                .pagination
                .as_ref()
                .and_then(|p| String::from_utf8(p.key.clone()).ok())
                .and_then(|k| k.parse().ok())
                .unwrap_or(0);
            let page: Vec<Coin> = all
                .iter()
                .skip(start)
                .take(1)
                .map(|(d, a)| coin(d, a))
                .collect();
            let next_key = if start + 1 < all.len() {
                (start + 1).to_string().into_bytes()
            } else {
                Vec::new()
            };
            let resp = QueryAllBalancesResponse {
                balances: page,
                pagination: Some(PageResponse { next_key, total: 0 }),
            };
            (0, String::new(), resp.encode_to_vec())
        }
        "/cosmos.bank.v1beta1.Query/TotalSupply" => {
            let resp = QueryTotalSupplyResponse {
                supply: st.supply.iter().map(|(d, a)| coin(d, a)).collect(),
                pagination: Some(PageResponse {
                    next_key: Vec::new(),
                    total: 0,
                }),
            };
            (0, String::new(), resp.encode_to_vec())
        }
        other => match st.canned.get(other) {
            Some(answer) => answer.clone(),
            None => (
                6,
                format!("rpc error: code = Unimplemented desc = unknown query path {path}"),
                Vec::new(),
            ),
        },
    }
}
