//! The HTTP JSON API (`rollup/openapi.yaml` describes it).
//!
//! A submission is parsed, its signature checked on the request's own task (keys never change,
//! so this needs no sequencer), and only then queued; every refusal is answered with a code and
//! a message, and nothing of a refused request is kept.

use crate::answers::{batch_response, error, parse_tx_hash, rejection, tx_response, unknown_tx};
use crate::error::Rejection;
use crate::events::{EventsState, Keepalive};
use crate::intake::Request;
use crate::metrics::Metrics;
use crate::sigcheck::SigChecker;
use crate::status::Status;
use crate::wire::{
    AccountResponse, Amount, ExitProofResponse, StatusResponse, TransferBody, TxState, WithdrawBody,
};
use axum::body::Bytes;
use axum::extract::{FromRef, Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine as _;
use proof_zk::{f_to_bytes, Op};
use serde::de::DeserializeOwned;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::oneshot;

#[derive(Clone)]
pub struct ApiState {
    pub requests: std::sync::mpsc::Sender<Request>,
    pub status: Arc<Status>,
    pub metrics: Arc<Metrics>,
    pub rollup: u32,
    pub ops_per_step: u32,
    pub receipt_key: String,
    pub min_fee: u64,
    pub provers: usize,
    pub max_pending_batches: u64,
    pub sigs: SigChecker,
    pub keepalive: Keepalive,
}

/// What the events websocket needs of the state: the operator's progress and its keepalive.
impl FromRef<ApiState> for EventsState {
    fn from_ref(s: &ApiState) -> EventsState {
        EventsState {
            status: s.status.clone(),
            keepalive: s.keepalive,
        }
    }
}

pub fn router(state: ApiState) -> Router {
    Router::new()
        .route("/v1/transfers", post(transfer))
        .route("/v1/withdrawals", post(withdraw))
        .route("/v1/accounts/{index}", get(account))
        .route("/v1/accounts/{index}/exit-proof", get(exit_proof))
        .route("/v1/txs/{hash}", get(tx_status))
        .route("/v1/batches/{index}", get(batch_status))
        .route("/v1/status", get(status))
        .route("/v1/events", get(crate::events::subscribe))
        .route("/metrics", get(metrics))
        .fallback(|| async {
            error(
                StatusCode::NOT_FOUND,
                "not_found",
                "no such endpoint".into(),
            )
        })
        .with_state(state)
}

/// Serves the API on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: ApiState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}

fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, Rejection> {
    serde_json::from_slice(body).map_err(|e| Rejection::Malformed(e.to_string()))
}

async fn transfer(State(s): State<ApiState>, body: Bytes) -> Response {
    let received = Instant::now();
    match parse::<TransferBody>(&body).and_then(|b| b.to_op()) {
        Ok(op) => submit(s, op, received).await,
        Err(r) => refused(&s, r),
    }
}

async fn withdraw(State(s): State<ApiState>, body: Bytes) -> Response {
    let received = Instant::now();
    match parse::<WithdrawBody>(&body).and_then(|b| b.to_op()) {
        Ok(op) => submit(s, op, received).await,
        Err(r) => refused(&s, r),
    }
}

fn refused(s: &ApiState, r: Rejection) -> Response {
    s.metrics.submissions.with_label_values(&[r.code()]).inc();
    rejection(r)
}

async fn submit(s: ApiState, op: Op, received: Instant) -> Response {
    if let Some(why) = s.status.halted() {
        return refused(&s, Rejection::Unavailable(why));
    }
    let waiting = s
        .status
        .open_batch
        .load(Ordering::Acquire)
        .saturating_sub(s.status.verified_batches());
    if waiting > s.max_pending_batches {
        return refused(
            &s,
            Rejection::Unavailable(format!(
                "{waiting} batches wait for proofs or the chain; try again shortly"
            )),
        );
    }
    let hash = match crate::wire::tx_hash(&op) {
        Ok(h) => h,
        Err(r) => return refused(&s, r),
    };
    if let Err(r) = s.sigs.check(&s.status, s.rollup, &op).await {
        return refused(&s, r);
    }
    let (reply, answer) = oneshot::channel();
    s.status.queue_depth.fetch_add(1, Ordering::Relaxed);
    let req = Request::Submit {
        op,
        hash,
        received,
        reply,
    };
    if s.requests.send(req).is_err() {
        s.status.queue_depth.fetch_sub(1, Ordering::Relaxed);
        return refused(&s, Rejection::Unavailable("the sequencer stopped".into()));
    }
    match answer.await {
        Ok(Ok(receipt)) => Json(receipt).into_response(),
        Ok(Err(r)) => rejection(r),
        Err(_) => rejection(Rejection::Unavailable("the sequencer stopped".into())),
    }
}

fn index_arg(raw: &str) -> Result<u32, Rejection> {
    raw.parse()
        .map_err(|_| Rejection::Malformed(format!("account index {raw:?}: expected a number")))
}

async fn account(State(s): State<ApiState>, Path(raw): Path<String>) -> Response {
    let index = match index_arg(&raw) {
        Ok(i) => i,
        Err(r) => return rejection(r),
    };
    let (reply, answer) = oneshot::channel();
    if s.requests.send(Request::Account { index, reply }).is_err() {
        return rejection(Rejection::Unavailable("the sequencer stopped".into()));
    }
    let Ok(a) = answer.await else {
        return rejection(Rejection::Unavailable("the sequencer stopped".into()));
    };
    let verified = s
        .status
        .verified
        .lock()
        .expect("verified tree lock")
        .get(index);
    Json(AccountResponse {
        index,
        balance: Amount(a.balance),
        nonce: a.nonce,
        pubkey: (!a.pubkey.is_empty()).then(|| crate::wire::pubkey_hex(&a.pubkey)),
        verified_balance: Amount(verified.balance),
    })
    .into_response()
}

async fn exit_proof(State(s): State<ApiState>, Path(raw): Path<String>) -> Response {
    let index = match index_arg(&raw) {
        Ok(i) => i,
        Err(r) => return rejection(r),
    };
    let tree = s.status.verified.lock().expect("verified tree lock");
    match proof_zk::exit_proof(&tree, index) {
        Ok(p) => Json(ExitProofResponse {
            index,
            root: hex::encode(f_to_bytes(&tree.root())),
            verified_batches: s.status.verified_batches(),
            proof: base64::engine::general_purpose::STANDARD.encode(p.to_bytes()),
            balance: Amount(tree.get(index).balance),
        })
        .into_response(),
        Err(e) => error(StatusCode::BAD_REQUEST, "malformed", e.to_string()),
    }
}

async fn tx_status(State(s): State<ApiState>, Path(raw): Path<String>) -> Response {
    let hash = match parse_tx_hash(&raw) {
        Ok(h) => h,
        Err(r) => return rejection(r),
    };
    match tx_response(&s.status, &hash) {
        Some(t) => Json(t).into_response(),
        None => unknown_tx(&raw),
    }
}

async fn batch_status(State(s): State<ApiState>, Path(raw): Path<String>) -> Response {
    let Ok(index) = raw.parse::<u64>() else {
        return error(
            StatusCode::BAD_REQUEST,
            "malformed",
            format!("batch index {raw:?}: expected a number"),
        );
    };
    match batch_response(&s.status, index) {
        Some(b) => Json(b).into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            "unknown_batch",
            format!(
                "batch {index} is not open yet (batch {} is)",
                s.status.open_batch.load(Ordering::Acquire)
            ),
        ),
    }
}

async fn status(State(s): State<ApiState>) -> Response {
    let verified = s.status.verified_batches();
    let proven_waiting = s
        .status
        .batches
        .lock()
        .expect("status lock")
        .range(verified..)
        .filter(|(_, r)| r.state == Some(TxState::Proven))
        .count() as u64;
    Json(StatusResponse {
        rollup: s.rollup,
        receipt_key: s.receipt_key.clone(),
        ops_per_step: s.ops_per_step,
        open_batch: s.status.open_batch.load(Ordering::Acquire),
        open_batch_ops: s.status.open_batch_ops.load(Ordering::Acquire) as u32,
        verified_batches: verified,
        proven_waiting,
        next_deposit_seq: s.status.next_deposit_seq.load(Ordering::Acquire),
        min_fee: Amount(s.min_fee),
        provers: s.provers,
        halted: s.status.halted(),
        post_error: s.status.post_error.lock().expect("status lock").clone(),
    })
    .into_response()
}

async fn metrics(State(s): State<ApiState>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        s.metrics.render(&s.status),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proof_zk::{RollupId, SecretKey};

    fn state_with(status: Arc<Status>, requests: std::sync::mpsc::Sender<Request>) -> ApiState {
        ApiState {
            requests,
            status,
            metrics: Metrics::new(),
            rollup: 1,
            ops_per_step: 2,
            receipt_key: String::new(),
            min_fee: 1,
            provers: 1,
            max_pending_batches: 10,
            sigs: SigChecker::start(1),
            keepalive: Keepalive::default(),
        }
    }

    #[tokio::test]
    async fn a_submission_the_stopped_sequencer_never_takes_leaves_no_queue_depth() {
        let status = Arc::new(Status::default());
        let sk = SecretKey::from_seed(&[1; 32]);
        status.keys.write().unwrap().insert(1, sk.public_key());
        let (requests, gone) = std::sync::mpsc::channel();
        drop(gone);
        let state = state_with(status.clone(), requests);
        let op = Op::transfer(&sk, RollupId(1), 1, 2, 5, 1, 0).unwrap();
        let r = submit(state, op, Instant::now()).await;
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(status.queue_depth.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn the_openapi_description_names_every_route_and_error_code() {
        let spec = include_str!("../openapi.yaml");
        let src = include_str!("api.rs");
        for line in src.lines().filter(|l| l.contains(".route(\"")) {
            let path = line.split('"').nth(1).expect("a quoted path");
            assert!(
                spec.contains(&format!("  {path}:")),
                "{path} missing from openapi.yaml"
            );
        }
        let err = include_str!("error.rs");
        for line in err.lines().filter(|l| l.contains("=> \"")) {
            let code = line.split('"').nth(1).expect("a quoted code");
            assert!(
                spec.contains(code),
                "error code {code} missing from openapi.yaml"
            );
        }
    }

    #[tokio::test]
    async fn a_wallet_follows_its_transaction_to_verified_over_the_socket() {
        let status = Arc::new(Status::default());
        status.txs.write().unwrap().insert([7u8; 32], (2, 5));
        status.open_batch.store(3, Ordering::Release);
        let (requests, _keep) = std::sync::mpsc::channel();
        let state = state_with(status.clone(), requests);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(serve(listener, state, std::future::pending()));
        let client = crate::client::OperatorClient::new(&format!("http://{addr}"));
        let unknown = client.watch_tx(&hex::encode([8u8; 32])).await;
        assert_eq!(
            unknown
                .err()
                .and_then(|e| e.code().map(String::from))
                .as_deref(),
            Some("unknown_tx")
        );
        let mut watch = client.watch_tx(&hex::encode([7u8; 32])).await.unwrap();
        let first = watch.next().await.unwrap().unwrap();
        assert_eq!(first.state, TxState::SoftConfirmed);
        status.set_batch(1, |r| r.state = Some(TxState::Verified)); // another batch: silent
        status.set_batch(2, |r| r.state = Some(TxState::InBatch));
        assert_eq!(watch.next().await.unwrap().unwrap().state, TxState::InBatch);
        status.set_batch(2, |r| r.state = Some(TxState::Proven));
        assert_eq!(watch.next().await.unwrap().unwrap().state, TxState::Proven);
        // Two changes before the subscriber reads: it reports the state it reads, once final.
        status.set_batch(2, |r| r.state = Some(TxState::InBatch));
        status.set_batch(2, |r| {
            r.state = Some(TxState::Verified);
            r.chain_height = Some(40);
        });
        let last = watch.next().await.unwrap().unwrap();
        assert_eq!(
            (last.state, last.chain_height),
            (TxState::Verified, Some(40))
        );
        assert!(
            watch.next().await.unwrap().is_none(),
            "the server closes after verified"
        );
    }

    #[tokio::test]
    async fn a_subscriber_that_never_answers_is_pinged_then_dropped() {
        let status = Arc::new(Status::default());
        status.txs.write().unwrap().insert([7u8; 32], (0, 0));
        let (requests, _keep) = std::sync::mpsc::channel();
        let ms = std::time::Duration::from_millis;
        let state = ApiState {
            keepalive: Keepalive {
                ping_every: ms(100),
                idle: ms(350),
                send_timeout: ms(1_000),
            },
            ..state_with(status.clone(), requests)
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(serve(listener, state, std::future::pending()));
        let url = format!("ws://{addr}/v1/events?tx={}", hex::encode([7u8; 32]));
        let (mut ws, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
        // Not reading means not answering pings: after the idle limit the server lets go.
        tokio::time::sleep(ms(800)).await;
        let mut pings = 0;
        let ended = tokio::time::timeout(ms(10_000), async {
            use futures::StreamExt;
            while let Some(m) = ws.next().await {
                match m {
                    Ok(tokio_tungstenite::tungstenite::Message::Ping(_)) => pings += 1,
                    Ok(_) => {}
                    Err(_) => break,
                }
            }
        })
        .await;
        assert!(
            ended.is_ok(),
            "the server never dropped the silent subscriber"
        );
        assert!(pings >= 2, "pinged {pings} times before giving up");
        assert_eq!(status.events.0.receiver_count(), 0, "its slot is free");
    }
}
