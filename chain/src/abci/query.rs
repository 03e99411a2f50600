//! The info connection: `Info` and `Query`. Queries use gRPC method paths with protobuf bodies,
//! as cosmjs sends them, plus `store/<module>/<key>` raw reads with ICS-23 proofs.

use std::sync::Arc;

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
use prost::Message;
use tendermint::abci::{request, response, Code};
use tendermint::merkle::proof::{ProofOp, ProofOps};

use super::executor::Executor;
use crate::app::ante::Mode;
use crate::query::{decode, QueryError};
use crate::state::params::Params;
use crate::state::{Delta, StateRead};
use crate::store::{StoreError, PROOF_OP_TYPE};

/// A module's query service: its answer, or `None` if `path` is not one of its methods.
type ModuleQuery = fn(&dyn StateRead, &str, &[u8]) -> Result<Option<Vec<u8>>, QueryError>;

/// The modules' query services, tried in turn (their paths are disjoint).
const MODULE_QUERIES: [ModuleQuery; 9] = [
    crate::modules::auth::query::route,
    crate::modules::bank::query::route,
    crate::modules::staking::query::route,
    crate::modules::slashing::query::route,
    crate::modules::gov::query::route,
    crate::modules::upgrade::query::route,
    crate::modules::epoch::query::route,
    crate::modules::clock::query::route,
    crate::modules::fee_price::query::route,
];

/// A successful query: value, the key it was read at (raw store queries), and a proof if asked.
type Answer = (Vec<u8>, Vec<u8>, Option<ProofOps>);

/// The protocol levels this chain speaks, as Go module versions in `build_deps`, where
/// relayers read them (Hermes requires a CometBFT or Tendermint entry, and checks the SDK and
/// ibc-go ones against the ranges it supports): the SDK's transaction and query formats of 0.50,
/// ibc-go v8's IBC, the CometBFT the set-up installs.
const SDK_PROTOCOL: (&str, &str) = ("github.com/cosmos/cosmos-sdk", "v0.50.10");
const PROTOCOL_LEVELS: [(&str, &str); 3] = [
    SDK_PROTOCOL,
    ("github.com/cosmos/ibc-go/v8", "v8.8.0"),
    ("github.com/cometbft/cometbft", "v0.38.25"),
];

fn protocol_levels() -> Vec<cosmos_sdk_proto::cosmos::base::tendermint::v1beta1::Module> {
    PROTOCOL_LEVELS
        .iter()
        .map(
            |(path, version)| cosmos_sdk_proto::cosmos::base::tendermint::v1beta1::Module {
                path: (*path).into(),
                version: (*version).into(),
                sum: String::new(),
            },
        )
        .collect()
}

/// `num / den` as the SDK's 18-decimal `Dec` (`0.025000000000000000`), rounded down.
fn dec18(num: u64, den: u64) -> String {
    let den = u128::from(den.max(1));
    let num = u128::from(num);
    let frac = (num % den) * 1_000_000_000_000_000_000 / den;
    format!("{}.{frac:018}", num / den)
}

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

    /// A gRPC method's answer and the height it was read at (`height` 0: the latest), through
    /// the same router as ABCI queries.
    pub fn grpc(
        &self,
        path: &str,
        data: Vec<u8>,
        height: u64,
    ) -> Result<(Vec<u8>, u64), QueryError> {
        let latest = self.exec.store.latest_version().unwrap_or(0);
        let height = if height == 0 { latest } else { height };
        let req = request::Query {
            data: data.into(),
            path: path.to_string(),
            height: height.try_into().unwrap_or_default(),
            prove: false,
        };
        let (value, _, _) = self.route(&req, height, latest)?;
        Ok((value, height))
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
                        build_deps: protocol_levels(),
                        cosmos_sdk_version: SDK_PROTOCOL.1.into(),
                        ..Default::default()
                    }),
                }
                .encode_to_vec()
            }
            // The SDK node service's `Config`: the minimum gas price as an 18-decimal `DecCoin`
            // (relayers and wallets price their fees from it) and this node's pruning.
            "/cosmos.base.node.v1beta1.Service/Config" => {
                let p = Params::load(view)?;
                let pruning = self.exec.store.pruning();
                cosmos_sdk_proto::cosmos::base::node::v1beta1::ConfigResponse {
                    minimum_gas_price: format!(
                        "{}{}",
                        dec18(p.min_gas_price_num, p.min_gas_price_den),
                        p.fee_denom
                    ),
                    pruning_keep_recent: pruning.keep_recent.to_string(),
                    pruning_interval: pruning.interval.to_string(),
                    halt_height: 0,
                }
                .encode_to_vec()
            }
            "/proof.node.v1/Params" => serde_json::to_vec(&Params::load(view)?)
                .map_err(|e| QueryError::Internal(e.to_string()))?,
            p if p.starts_with("/ibc.") => crate::modules::ibc::query::answer(
                view,
                p,
                data,
                crate::modules::ibc::host::revision_of(&self.exec.chain_id),
                height,
            )?
            .ok_or_else(|| QueryError::UnknownPath(p.to_string()))?,
            p if p.starts_with("/cosmwasm.wasm.v1.Query/") => crate::modules::wasm::query::answer(
                &self.exec.vm,
                &self.exec.chain_id,
                p,
                data,
                view,
            )?,
            other => {
                let mut answered = None;
                for route in MODULE_QUERIES {
                    answered = route(view, other, data)?;
                    if answered.is_some() {
                        break;
                    }
                }
                answered.ok_or_else(|| QueryError::UnknownPath(other.to_string()))?
            }
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
        let compile =
            crate::modules::wasm::CompileBudget::simulation(params.max_block_compile_weight);
        // The same proof verification room as a block: a simulation verifies what it is asked
        // to (its result must be the block's), and no more than a block would, nor more than
        // the node's allowance for simulated verification.
        let verify = std::sync::Arc::new(crate::modules::zk::VerifyRoom::simulation(
            &crate::modules::zk::params::params(store)?,
        ));
        let room = super::executor::TxRoom {
            gas: None,
            compile: &compile,
            verify: &verify,
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

#[cfg(test)]
mod tests {
    use super::dec18;

    #[test]
    fn gas_prices_as_sdk_decimals() {
        assert_eq!(dec18(25, 1000), "0.025000000000000000");
        assert_eq!(dec18(3, 2), "1.500000000000000000");
        assert_eq!(dec18(1, 3), "0.333333333333333333");
        assert_eq!(dec18(0, 0), "0.000000000000000000");
    }
}
