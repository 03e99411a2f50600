//! tower `Service` glue for the four ABCI connections.
//!
//! Every service answers synchronously inside `call`, so requests on one connection are handled
//! in exactly the order CometBFT sent them (tower-abci calls `call` in arrival order).

use std::future::{ready, Ready};
use std::sync::Arc;
use std::task::{Context, Poll};

use parking_lot::Mutex;
use tendermint::abci::response;
use tendermint::v0_38::abci::{
    ConsensusRequest, ConsensusResponse, InfoRequest, InfoResponse, MempoolRequest,
    MempoolResponse, SnapshotRequest, SnapshotResponse,
};
use tower::Service;
use tower_abci::BoxError;

use super::consensus::ConsensusState;
use super::mempool::MempoolState;
use super::query::QueryHandler;

#[derive(Clone)]
pub struct ConsensusService(pub Arc<Mutex<ConsensusState>>);
#[derive(Clone)]
pub struct MempoolService(pub Arc<MempoolState>);
#[derive(Clone)]
pub struct InfoService(pub Arc<QueryHandler>);
#[derive(Clone)]
pub struct SnapshotService;

impl Service<ConsensusRequest> for ConsensusService {
    type Response = ConsensusResponse;
    type Error = BoxError;
    type Future = Ready<Result<ConsensusResponse, BoxError>>;
    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }
    fn call(&mut self, req: ConsensusRequest) -> Self::Future {
        let result = self.0.lock().handle(req).map_err(|e| {
            // A consensus failure means this node cannot follow the chain; CometBFT stops on it.
            tracing::error!(error = %format!("{e:#}"), "consensus request failed");
            BoxError::from(format!("{e:#}"))
        });
        ready(result)
    }
}

impl Service<MempoolRequest> for MempoolService {
    type Response = MempoolResponse;
    type Error = BoxError;
    type Future = Ready<Result<MempoolResponse, BoxError>>;
    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }
    fn call(&mut self, req: MempoolRequest) -> Self::Future {
        let MempoolRequest::CheckTx(r) = req;
        ready(Ok(MempoolResponse::CheckTx(self.0.check_tx(r))))
    }
}

impl Service<InfoRequest> for InfoService {
    type Response = InfoResponse;
    type Error = BoxError;
    type Future = Ready<Result<InfoResponse, BoxError>>;
    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }
    fn call(&mut self, req: InfoRequest) -> Self::Future {
        ready(Ok(match req {
            InfoRequest::Info(r) => InfoResponse::Info(self.0.info(r)),
            InfoRequest::Query(r) => InfoResponse::Query(self.0.query(r)),
            InfoRequest::Echo(e) => InfoResponse::Echo(response::Echo { message: e.message }),
        }))
    }
}

impl Service<SnapshotRequest> for SnapshotService {
    type Response = SnapshotResponse;
    type Error = BoxError;
    type Future = Ready<Result<SnapshotResponse, BoxError>>;
    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }
    /// State sync is not offered: nodes join by replaying blocks.
    fn call(&mut self, req: SnapshotRequest) -> Self::Future {
        ready(Ok(match req {
            SnapshotRequest::ListSnapshots => SnapshotResponse::ListSnapshots(Default::default()),
            SnapshotRequest::OfferSnapshot(_) => {
                SnapshotResponse::OfferSnapshot(response::OfferSnapshot::Reject)
            }
            SnapshotRequest::LoadSnapshotChunk(_) => {
                SnapshotResponse::LoadSnapshotChunk(Default::default())
            }
            SnapshotRequest::ApplySnapshotChunk(_) => {
                SnapshotResponse::ApplySnapshotChunk(response::ApplySnapshotChunk {
                    result: response::ApplySnapshotChunkResult::Abort,
                    refetch_chunks: vec![],
                    reject_senders: vec![],
                })
            }
        }))
    }
}
