//! The gRPC server (`grpc_addr`, port 9090 + 100·i): every query service the ABCI query router
//! answers (`cosmos.*`, `ibc.*`, `cosmwasm.*` — one implementation for both), at the height in
//! the `x-cosmos-block-height` header (answers carry the height they were read at), plus
//! `BroadcastTx` and `GetNodeInfo`, which need this node's CometBFT.
//!
//! One service handles every method: requests are read as raw protobuf bytes and handed to
//! the router under their gRPC path, so a service the router learns is served here at once.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use anyhow::Result;
use bytes::{Buf, BufMut, Bytes};
use cosmos_sdk_proto::cosmos::base::abci::v1beta1::TxResponse;
use cosmos_sdk_proto::cosmos::base::tendermint::v1beta1::GetNodeInfoResponse;
use cosmos_sdk_proto::cosmos::tx::v1beta1::{BroadcastTxRequest, BroadcastTxResponse};
use proof_sdk::rpc::RpcClient;
use prost::Message;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::metadata::MetadataValue;
use tonic::{Code, Status};

use crate::abci::query::QueryHandler;
use crate::query::QueryError;

/// The header a caller asks a height with, and answers report it in.
const HEIGHT_HEADER: &str = "x-cosmos-block-height";

/// Messages as bytes: the router decodes them.
#[derive(Clone, Copy, Default)]
struct RawCodec;

struct Raw;

impl Encoder for Raw {
    type Item = Bytes;
    type Error = Status;
    fn encode(&mut self, item: Bytes, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put(item);
        Ok(())
    }
}

impl Decoder for Raw {
    type Item = Bytes;
    type Error = Status;
    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Bytes>, Status> {
        Ok(Some(src.copy_to_bytes(src.remaining())))
    }
}

impl Codec for RawCodec {
    type Encode = Bytes;
    type Decode = Bytes;
    type Encoder = Raw;
    type Decoder = Raw;
    fn encoder(&mut self) -> Raw {
        Raw
    }
    fn decoder(&mut self) -> Raw {
        Raw
    }
}

fn status(e: QueryError) -> Status {
    let code = match &e {
        QueryError::InvalidArgument(_) => Code::InvalidArgument,
        QueryError::NotFound(_) => Code::NotFound,
        QueryError::UnknownPath(_) => Code::Unimplemented,
        QueryError::Failed(..) => Code::Unknown,
        QueryError::Internal(_) => Code::Internal,
    };
    Status::new(code, e.to_string())
}

#[derive(Clone)]
pub struct GrpcQueries {
    pub handler: Arc<QueryHandler>,
    pub cometbft: RpcClient,
}

struct Method {
    path: String,
    q: GrpcQueries,
}

type BoxFut<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl tonic::server::UnaryService<Bytes> for Method {
    type Response = Bytes;
    type Future = BoxFut<Result<tonic::Response<Bytes>, Status>>;

    fn call(&mut self, req: tonic::Request<Bytes>) -> Self::Future {
        let height = req
            .metadata()
            .get(HEIGHT_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.parse::<u64>())
            .transpose();
        let path = std::mem::take(&mut self.path);
        let q = self.q.clone();
        let data = req.into_inner();
        Box::pin(async move {
            let height = height.map_err(|_| {
                Status::invalid_argument(format!("{HEIGHT_HEADER} must be a block height"))
            })?;
            let (value, at) = match path.as_str() {
                "/cosmos.tx.v1beta1.Service/BroadcastTx" => {
                    (broadcast(&q.cometbft, &data).await?, 0)
                }
                "/cosmos.base.tendermint.v1beta1.Service/GetNodeInfo" => {
                    (node_info(&q, data.to_vec()).await?, 0)
                }
                _ => {
                    let h = q.handler.clone();
                    tokio::task::spawn_blocking(move || {
                        h.grpc(&path, data.to_vec(), height.unwrap_or(0))
                    })
                    .await
                    .map_err(|e| Status::internal(e.to_string()))?
                    .map_err(status)?
                }
            };
            let mut resp = tonic::Response::new(Bytes::from(value));
            if let Ok(v) = MetadataValue::try_from(at.to_string()) {
                resp.metadata_mut().insert(HEIGHT_HEADER, v);
            }
            Ok(resp)
        })
    }
}

/// `BroadcastTx`: to this node's CometBFT (`broadcast_tx_sync`; the SDK's other modes are
/// deprecated or answered the same way).
async fn broadcast(cometbft: &RpcClient, data: &[u8]) -> Result<Vec<u8>, Status> {
    let req =
        BroadcastTxRequest::decode(data).map_err(|e| Status::invalid_argument(e.to_string()))?;
    let r = cometbft
        .broadcast_tx_sync(&req.tx_bytes)
        .await
        .map_err(|e| Status::unavailable(format!("CometBFT: {e:#}")))?;
    Ok(BroadcastTxResponse {
        tx_response: Some(TxResponse {
            txhash: r.hash,
            code: r.code,
            codespace: r.codespace,
            raw_log: r.log,
            ..Default::default()
        }),
    }
    .encode_to_vec())
}

/// `GetNodeInfo`: CometBFT's node info beside the application's version (from the router).
async fn node_info(q: &GrpcQueries, data: Vec<u8>) -> Result<Vec<u8>, Status> {
    let h = q.handler.clone();
    let path = "/cosmos.base.tendermint.v1beta1.Service/GetNodeInfo";
    let (app, _) = tokio::task::spawn_blocking(move || h.grpc(path, data, 0))
        .await
        .map_err(|e| Status::internal(e.to_string()))?
        .map_err(status)?;
    let mut resp =
        GetNodeInfoResponse::decode(app.as_slice()).map_err(|e| Status::internal(e.to_string()))?;
    let st = q
        .cometbft
        .status()
        .await
        .map_err(|e| Status::unavailable(format!("CometBFT: {e:#}")))?;
    let ni = &st["node_info"];
    let s = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_string();
    let n = |v: &serde_json::Value| v.as_str().and_then(|x| x.parse().ok()).unwrap_or(0u64);
    use cosmos_sdk_proto::tendermint::p2p::{
        DefaultNodeInfo, DefaultNodeInfoOther, ProtocolVersion,
    };
    resp.default_node_info = Some(DefaultNodeInfo {
        protocol_version: Some(ProtocolVersion {
            p2p: n(&ni["protocol_version"]["p2p"]),
            block: n(&ni["protocol_version"]["block"]),
            app: n(&ni["protocol_version"]["app"]),
        }),
        default_node_id: s(&ni["id"]),
        listen_addr: s(&ni["listen_addr"]),
        network: s(&ni["network"]),
        version: s(&ni["version"]),
        channels: hex::decode(s(&ni["channels"])).unwrap_or_default(),
        moniker: s(&ni["moniker"]),
        other: Some(DefaultNodeInfoOther {
            tx_index: s(&ni["other"]["tx_index"]),
            rpc_address: s(&ni["other"]["rpc_address"]),
        }),
    });
    Ok(resp.encode_to_vec())
}

impl<B> tower::Service<http::Request<B>> for GrpcQueries
where
    B: http_body::Body + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>> + Send,
{
    type Response = http::Response<tonic::body::BoxBody>;
    type Error = Infallible;
    type Future = BoxFut<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let method = Method {
            path: req.uri().path().to_string(),
            q: self.clone(),
        };
        Box::pin(async move {
            let mut grpc = tonic::server::Grpc::new(RawCodec);
            Ok(grpc.unary(method, req).await)
        })
    }
}

/// Serves gRPC on `addr` until the process ends.
pub async fn serve(addr: String, queries: GrpcQueries) -> Result<()> {
    let addr: std::net::SocketAddr = addr
        .parse()
        .map_err(|e| anyhow::anyhow!("grpc_addr {addr:?}: {e}"))?;
    let router = axum::Router::new().fallback_service(queries);
    tracing::info!(%addr, "gRPC server listening");
    tonic::transport::Server::builder()
        .add_routes(tonic::service::Routes::from(router))
        .serve(addr)
        .await
        .map_err(|e| anyhow::anyhow!("gRPC server on {addr}: {e}"))
}
