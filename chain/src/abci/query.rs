//! The info connection: `Info` and `Query`. Queries use gRPC method paths with protobuf bodies,
//! as cosmjs sends them, plus `store/<module>/<key>` raw reads with ICS-23 proofs.

use std::sync::Arc;

use cosmos_sdk_proto::cosmos::auth::v1beta1::{QueryAccountRequest, QueryAccountResponse};
use cosmos_sdk_proto::cosmos::bank::v1beta1::{
    QueryAllBalancesRequest, QueryAllBalancesResponse, QueryBalanceRequest, QueryBalanceResponse,
    QuerySupplyOfRequest, QuerySupplyOfResponse, QueryTotalSupplyRequest, QueryTotalSupplyResponse,
};
use cosmos_sdk_proto::cosmos::base::abci::v1beta1::{
    GasInfo, Result as AbciResult, TxMsgData, TxResponse,
};
use cosmos_sdk_proto::cosmos::base::tendermint::v1beta1::{
    GetNodeInfoRequest, GetNodeInfoResponse, VersionInfo,
};
use cosmos_sdk_proto::cosmos::tx::v1beta1::{
    GetTxRequest, GetTxResponse, SimulateRequest, SimulateResponse, Tx, TxRaw,
};
use cosmos_sdk_proto::Any;
use proof_sdk::{Address, Coin};
use prost::Message;
use tendermint::abci::{request, response, Code};
use tendermint::merkle::proof::{ProofOp, ProofOps};

use super::executor::Executor;
use super::paging::page;
use crate::state::auth;
use crate::state::bank;
use crate::state::params::Params;
use crate::state::{keys, Delta, StateRead};
use crate::store::{StoreError, PROOF_OP_TYPE};
use crate::tx::ante::Mode;

/// A query failure, rendered the way the Cosmos SDK's gRPC bridge does so cosmjs's
/// "rpc error: code = NotFound" checks work.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error("rpc error: code = InvalidArgument desc = {0}")]
    InvalidArgument(String),
    #[error("rpc error: code = NotFound desc = {0}")]
    NotFound(String),
    #[error("rpc error: code = Unimplemented desc = unknown query path {0}")]
    UnknownPath(String),
    #[error("{0}")]
    Failed(String, u32),
    #[error("{0}")]
    Internal(String),
}

impl QueryError {
    fn code(&self) -> u32 {
        match self {
            QueryError::InvalidArgument(_) => 3,
            QueryError::NotFound(_) => 38,
            QueryError::UnknownPath(_) => 6,
            QueryError::Failed(_, c) => *c,
            QueryError::Internal(_) => 1,
        }
    }
}

impl From<StoreError> for QueryError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::VersionUnavailable { .. } => QueryError::InvalidArgument(e.to_string()),
            other => QueryError::Internal(other.to_string()),
        }
    }
}

impl From<crate::state::StateError> for QueryError {
    fn from(e: crate::state::StateError) -> Self {
        QueryError::Internal(e.to_string())
    }
}

/// A successful query: value, the key it was read at (raw store queries), and a proof if asked.
type Answer = (Vec<u8>, Vec<u8>, Option<ProofOps>);

pub struct QueryHandler {
    pub exec: Arc<Executor>,
    pub moniker: String,
}

/// State as of a past version, for point reads (prefix scans need the latest version).
struct HistoricalView<'a> {
    exec: &'a Executor,
    version: u64,
}

impl StateRead for HistoricalView<'_> {
    fn get_raw(&self, key: &[u8]) -> Result<Option<Vec<u8>>, crate::state::StateError> {
        Ok(self.exec.store.get_at(key, self.version)?)
    }
    fn range_written<'a>(
        &'a self,
        _start: &[u8],
        _end: Option<&[u8]>,
        _order: crate::state::Order,
    ) -> Result<crate::state::WrittenIter<'a>, crate::state::StateError> {
        Err(StoreError::VersionUnavailable {
            requested: self.version,
            earliest: self.exec.store.latest_version().unwrap_or(0),
            latest: self.exec.store.latest_version().unwrap_or(0),
        }
        .into())
    }
}

pub(super) fn decode<M: Message + Default>(data: &[u8]) -> Result<M, QueryError> {
    M::decode(data).map_err(|e| QueryError::InvalidArgument(format!("cannot decode request: {e}")))
}

pub(super) fn parse_addr(s: &str) -> Result<Address, QueryError> {
    s.parse()
        .map_err(|e: proof_sdk::address::AddressError| QueryError::InvalidArgument(e.to_string()))
}

impl QueryHandler {
    pub fn info(&self, _req: request::Info) -> response::Info {
        let (height, hash) = match self.exec.store.latest_version() {
            Some(v) => (
                v,
                self.exec
                    .store
                    .app_hash(v)
                    .ok()
                    .flatten()
                    .unwrap_or_default()
                    .to_vec(),
            ),
            None => (0, vec![]),
        };
        response::Info {
            data: "proof-chain".to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            app_version: 1,
            last_block_height: height.try_into().unwrap_or_default(),
            last_block_app_hash: hash.try_into().unwrap_or_default(),
        }
    }

    pub fn query(&self, req: request::Query) -> response::Query {
        let latest = self.exec.store.latest_version().unwrap_or(0);
        let height = match req.height.value() {
            0 => latest,
            h => h,
        };
        match self.route(&req, height, latest) {
            Ok((value, key, proof)) => response::Query {
                code: Code::Ok,
                value: value.into(),
                key: key.into(),
                proof,
                height: height.try_into().unwrap_or_default(),
                ..Default::default()
            },
            Err(e) => response::Query {
                code: Code::from(e.code()),
                log: e.to_string(),
                codespace: "sdk".into(),
                height: height.try_into().unwrap_or_default(),
                ..Default::default()
            },
        }
    }

    fn route(&self, req: &request::Query, height: u64, latest: u64) -> Result<Answer, QueryError> {
        if let Some(rest) = req.path.strip_prefix("store/") {
            return self.raw_store(rest, &req.data, height, req.prove);
        }
        let hist;
        let view: &dyn StateRead = if height == latest {
            &*self.exec.store
        } else {
            hist = HistoricalView {
                exec: &self.exec,
                version: height,
            };
            &hist
        };
        let data = &req.data;
        let value = match req.path.as_str() {
            "/cosmos.auth.v1beta1.Query/Account" => {
                let r: QueryAccountRequest = decode(data)?;
                let addr = parse_addr(&r.address)?;
                let mut d = Delta::new(view);
                let acc = auth::get_account(&mut d, &addr)?.ok_or_else(|| {
                    QueryError::NotFound(format!("account {} not found", r.address))
                })?;
                QueryAccountResponse {
                    account: Some(proof_sdk::msgs::to_any(&acc.to_proto())),
                }
                .encode_to_vec()
            }
            "/cosmos.bank.v1beta1.Query/Balance" => {
                let r: QueryBalanceRequest = decode(data)?;
                let addr = parse_addr(&r.address)?;
                proof_sdk::coin::validate_denom(&r.denom)
                    .map_err(|e| QueryError::InvalidArgument(e.to_string()))?;
                let mut d = Delta::new(view);
                let amount = bank::balance(&mut d, &addr, &r.denom)?;
                QueryBalanceResponse {
                    balance: Some(Coin::new(amount, r.denom).to_proto()),
                }
                .encode_to_vec()
            }
            "/cosmos.bank.v1beta1.Query/AllBalances" => {
                let r: QueryAllBalancesRequest = decode(data)?;
                let addr = parse_addr(&r.address)?;
                let (balances, pagination) =
                    page(view, &keys::balances_of(&addr), r.pagination, |k, v| {
                        Ok(Some(bank::decode_coin(k, &v)?.to_proto()))
                    })?;
                QueryAllBalancesResponse {
                    balances,
                    pagination,
                }
                .encode_to_vec()
            }
            "/cosmos.bank.v1beta1.Query/TotalSupply" => {
                let r: QueryTotalSupplyRequest = decode(data)?;
                let (supply, pagination) =
                    page(view, keys::SUPPLY_PREFIX, r.pagination, |k, v| {
                        Ok(Some(bank::decode_coin(k, &v)?.to_proto()))
                    })?;
                QueryTotalSupplyResponse { supply, pagination }.encode_to_vec()
            }
            "/cosmos.bank.v1beta1.Query/SupplyOf" => {
                let r: QuerySupplyOfRequest = decode(data)?;
                let amount = bank::supply(view, &r.denom)?;
                QuerySupplyOfResponse {
                    amount: Some(Coin::new(amount, r.denom).to_proto()),
                }
                .encode_to_vec()
            }
            "/cosmos.tx.v1beta1.Service/Simulate" => self.simulate(data, latest)?,
            "/cosmos.tx.v1beta1.Service/GetTx" => self.get_tx(data)?,
            "/cosmos.base.tendermint.v1beta1.Service/GetNodeInfo" => {
                let _: GetNodeInfoRequest = decode(data)?;
                GetNodeInfoResponse {
                    default_node_info: None,
                    application_version: Some(VersionInfo {
                        name: "proof-chain".into(),
                        app_name: "proofd".into(),
                        version: env!("CARGO_PKG_VERSION").into(),
                        ..Default::default()
                    }),
                }
                .encode_to_vec()
            }
            "/proof.node.v1/Params" => serde_json::to_vec(&Params::load(view)?)
                .map_err(|e| QueryError::Internal(e.to_string()))?,
            p if p.starts_with("/cosmwasm.wasm.v1.Query/") => {
                super::query_wasm::answer(&self.exec, p, data, view)?
            }
            // Proof of stake and checkpoints (`pos_query`).
            other => match super::pos_query::route(view, other, data)? {
                Some(v) => v,
                None => return Err(QueryError::UnknownPath(other.to_string())),
            },
        };
        Ok((value, vec![], None))
    }

    fn raw_store(
        &self,
        rest: &str,
        data: &[u8],
        height: u64,
        prove: bool,
    ) -> Result<Answer, QueryError> {
        // `store/<module>/key`: data is the key inside the module's namespace.
        let module = rest
            .strip_suffix("/key")
            .ok_or_else(|| QueryError::UnknownPath(format!("store/{rest}")))?;
        if module.is_empty() || module.contains('/') {
            return Err(QueryError::InvalidArgument(format!(
                "bad store name {module:?}"
            )));
        }
        let key = [module.as_bytes(), b"/", data].concat();
        if prove {
            // Innermost first, as ibc-go's `MerklePath` verification takes them: for a
            // substore's key its proof in the substore, then the substore root in the main tree.
            let (value, steps) = self.exec.store.get_with_proof(&key, height)?;
            let ops = steps
                .into_iter()
                .map(|st| ProofOp {
                    field_type: PROOF_OP_TYPE.to_string(),
                    key: st.key,
                    data: st.proof.encode_to_vec(),
                })
                .collect();
            Ok((value.unwrap_or_default(), key, Some(ProofOps { ops })))
        } else {
            Ok((
                self.exec.store.get_at(&key, height)?.unwrap_or_default(),
                key,
                None,
            ))
        }
    }

    fn simulate(&self, data: &[u8], latest: u64) -> Result<Vec<u8>, QueryError> {
        let r: SimulateRequest = decode(data)?;
        #[allow(deprecated)]
        let raw = if !r.tx_bytes.is_empty() {
            r.tx_bytes
        } else if let Some(tx) = r.tx {
            TxRaw {
                body_bytes: tx.body.map(|b| b.encode_to_vec()).unwrap_or_default(),
                auth_info_bytes: tx.auth_info.map(|a| a.encode_to_vec()).unwrap_or_default(),
                signatures: tx.signatures,
            }
            .encode_to_vec()
        } else {
            return Err(QueryError::InvalidArgument("empty simulate request".into()));
        };
        let store: &dyn StateRead = &*self.exec.store;
        let params = Params::load(store)?;
        let mut block = Delta::new(store);
        // A simulation checks uploads but compiles nothing, and its writes are dropped: it
        // leaves nothing behind on this node.
        let compile = crate::tx::wasm::CompileBudget::simulation(params.max_block_compile_weight);
        let room = super::executor::TxRoom {
            gas: None,
            compile: &compile,
        };
        let out = self.exec.deliver_tx(
            &mut block,
            &params,
            latest + 1,
            &raw,
            0,
            Mode::Simulate,
            room,
        )?;
        if out.result.code.is_err() {
            return Err(QueryError::Failed(out.result.log, out.result.code.value()));
        }
        let msg_responses = TxMsgData::decode(out.result.data.as_ref())
            .map(|d| d.msg_responses)
            .unwrap_or_default();
        #[allow(deprecated)]
        let resp = SimulateResponse {
            gas_info: Some(GasInfo {
                gas_wanted: out.result.gas_wanted as u64,
                gas_used: out.result.gas_used as u64,
            }),
            result: Some(AbciResult {
                data: out.result.data.to_vec(),
                log: out.result.log,
                events: out.result.events.into_iter().map(Into::into).collect(),
                msg_responses,
            }),
        };
        Ok(resp.encode_to_vec())
    }

    fn get_tx(&self, data: &[u8]) -> Result<Vec<u8>, QueryError> {
        let r: GetTxRequest = decode(data)?;
        let hash = hex::decode(&r.hash)
            .map_err(|_| QueryError::InvalidArgument("tx hash must be hex".into()))?;
        let rec = self
            .exec
            .store
            .get_tx(&hash)?
            .ok_or_else(|| QueryError::NotFound(format!("tx not found: {}", r.hash)))?;
        let raw =
            TxRaw::decode(rec.tx.as_slice()).map_err(|e| QueryError::Internal(e.to_string()))?;
        let tx = Tx {
            body: Some(
                Message::decode(raw.body_bytes.as_slice())
                    .map_err(|e: prost::DecodeError| QueryError::Internal(e.to_string()))?,
            ),
            auth_info: Some(
                Message::decode(raw.auth_info_bytes.as_slice())
                    .map_err(|e: prost::DecodeError| QueryError::Internal(e.to_string()))?,
            ),
            signatures: raw.signatures,
        };
        let mut resp = TxResponse::decode(rec.response.as_slice())
            .map_err(|e| QueryError::Internal(e.to_string()))?;
        resp.tx = Some(Any {
            type_url: "/cosmos.tx.v1beta1.Tx".into(),
            value: tx.encode_to_vec(),
        });
        Ok(GetTxResponse {
            tx: Some(tx),
            tx_response: Some(resp),
        }
        .encode_to_vec())
    }
}
