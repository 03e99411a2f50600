//! Wiring: the operator's threads and tasks, started from one configuration.
//!
//! ```text
//! API (tokio) --Request--> sequencer thread --ClosedBatch--> batcher thread --ProveJob--> N prover threads
//!      ^                        ^  (journal, fsync per group)                 (bounded queue)       |
//!      |                        +-- deposit watcher (xx queue)                                     v
//!      +------------------------------ Status <------------------------------------------- poster (in order)
//! ```

use crate::api::{self, ApiState};
use crate::chain::ChainClient;
use crate::intake::run_sequencer;
use crate::metrics::Metrics;
use crate::pipeline::{run_batcher, spawn_workers, Batcher};
use crate::receipt::ReceiptSigner;
use crate::sequencer::{SeqConfig, Sequencer};
use crate::status::Status;
use crate::wire::TxState;
use anyhow::{bail, Context, Result};
use proof_sdk::rpc::RpcClient;
use proof_sdk::{Address, PrivateKey};
use proof_zk::ZkParams;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

/// Everything `proof-rollup start` needs.
pub struct OperatorConfig {
    /// Journal and receipt key live here.
    pub home: PathBuf,
    pub node: String,
    pub verifier: Address,
    /// `None`: the verifier's settlement contract.
    pub xx: Option<Address>,
    pub rollup: u32,
    /// The rollup's operator account on the chain (posts the batches).
    pub key: PrivateKey,
    pub listen: SocketAddr,
    pub provers: usize,
    pub batch_size: usize,
    pub batch_time: Duration,
    pub min_fee: u64,
    pub params_dir: PathBuf,
    pub gas_adjustment: f64,
    pub deposit_poll: Duration,
    /// Closed batches allowed to wait for proofs before transfers are refused (`unavailable`).
    pub max_pending_batches: u64,
}

/// Starts the operator and serves until the API server stops (SIGINT or SIGTERM).
pub async fn run(cfg: OperatorConfig) -> Result<()> {
    let rpc = RpcClient::new(&cfg.node)?;
    let xx = match &cfg.xx {
        Some(x) => x.clone(),
        None => crate::chain::settlement_of(&rpc, &cfg.verifier).await?,
    };
    let chain = ChainClient {
        rpc,
        verifier: cfg.verifier.clone(),
        xx,
        rollup: cfg.rollup,
    };
    let info = chain
        .rollup_info()
        .await
        .with_context(|| format!("reading rollup {} from {}", cfg.rollup, cfg.node))?;
    if info.operator != cfg.key.address().to_string() {
        bail!(
            "rollup {} is operated by {}, not by this key's account {}",
            cfg.rollup,
            info.operator,
            cfg.key.address()
        );
    }
    if info.frozen_at.is_some() {
        bail!("rollup {} is frozen: it takes no more batches", cfg.rollup);
    }
    let k = info.ops_per_step as usize;
    tracing::info!(k, dir = %cfg.params_dir.display(), "loading the proving parameters (generated once, minutes for large K)");
    let dir = cfg.params_dir.clone();
    let params = tokio::task::spawn_blocking(move || ZkParams::load_or_generate(&dir, k))
        .await?
        .context("proving parameters")?;
    if params.vk_digest() != info.vk_digest.0 {
        bail!(
            "these proving parameters give verifier key {}, the rollup's is {}",
            hex::encode(params.vk_digest()),
            hex::encode(info.vk_digest.0)
        );
    }
    let params = Arc::new(params);

    let status = Arc::new(Status::default());
    let metrics = Metrics::new();
    let signer = Arc::new(ReceiptSigner::load_or_create(
        &cfg.home.join("receipt_key"),
    )?);
    let seq_cfg = SeqConfig {
        rollup: cfg.rollup,
        batch_size: cfg.batch_size,
        batch_time: cfg.batch_time,
        min_fee: cfg.min_fee,
    };
    let (seq, closed) = Sequencer::open(
        seq_cfg,
        cfg.home.join("journal"),
        signer.clone(),
        status.clone(),
    )?;

    // Catch up with the chain: batches it verified need no proof.
    let verified = info.batch_index;
    if (closed.len() as u64) < verified {
        bail!(
            "the chain verified {verified} batches of rollup {} but this home's journal closed only {}: it is another operator's, or was lost",
            cfg.rollup,
            closed.len()
        );
    }
    let mut batcher = Batcher::new(cfg.rollup, k);
    for b in &closed[..verified as usize] {
        batcher
            .skip(b)
            .with_context(|| format!("replaying batch {}", b.index))?;
        status.set_batch(b.index, |r| r.state = Some(TxState::Verified));
    }
    if batcher.root() != info.state_root.0 {
        bail!("the journal's state after {verified} batches is not the root the chain verified: this home does not match rollup {}", cfg.rollup);
    }
    *status.verified.lock().expect("verified tree lock") = batcher.tree().clone();
    status.verified_batches.store(verified, Ordering::Release);
    tracing::info!(
        verified,
        closed = closed.len(),
        open = seq.open_batch(),
        "journal replayed"
    );

    let (closed_tx, closed_rx) = std::sync::mpsc::channel();
    let sent = closed.len() as u64;
    for b in closed.into_iter().skip(verified as usize) {
        closed_tx.send(b).expect("the batcher holds the receiver");
    }
    let (jobs_tx, jobs_rx) = std::sync::mpsc::sync_channel(cfg.provers.max(1));
    let (proven_tx, proven_rx) = tokio::sync::mpsc::unbounded_channel();
    {
        let status = status.clone();
        std::thread::Builder::new()
            .name("batcher".into())
            .spawn(move || run_batcher(batcher, closed_rx, jobs_tx, status))?;
    }
    spawn_workers(
        cfg.provers.max(1),
        params,
        cfg.rollup,
        jobs_rx,
        proven_tx,
        status.clone(),
        metrics.clone(),
    );
    let poster = crate::poster::Poster {
        chain: chain.clone(),
        key: cfg.key,
        status: status.clone(),
        metrics: metrics.clone(),
        gas_adjustment: cfg.gas_adjustment,
        next: verified,
    };
    tokio::spawn(poster.run(proven_rx));

    let (req_tx, req_rx) = std::sync::mpsc::channel();
    {
        let (status, metrics) = (status.clone(), metrics.clone());
        std::thread::Builder::new()
            .name("sequencer".into())
            .spawn(move || run_sequencer(seq, req_rx, closed_tx, sent, status, metrics))?;
    }
    tokio::spawn(crate::deposits::watch(
        chain,
        status.clone(),
        req_tx.clone(),
        cfg.deposit_poll,
    ));

    let state = ApiState {
        requests: req_tx,
        status,
        metrics,
        rollup: cfg.rollup,
        ops_per_step: info.ops_per_step,
        receipt_key: signer.public_hex().to_string(),
        min_fee: cfg.min_fee,
        provers: cfg.provers.max(1),
        max_pending_batches: cfg.max_pending_batches,
        // One checking thread per core: idle they cost nothing, under load they are the API.
        keepalive: crate::events::Keepalive::default(),
        sigs: crate::sigcheck::SigChecker::start(
            std::thread::available_parallelism().map_or(2, |n| n.get()),
        ),
    };
    let listener = tokio::net::TcpListener::bind(cfg.listen)
        .await
        .with_context(|| format!("listening on {}", cfg.listen))?;
    tracing::info!(addr = %cfg.listen, rollup = cfg.rollup, receipt_key = %signer.public_hex(), "operator API listening");
    api::serve(listener, state, shutdown()).await?;
    Ok(())
}

async fn shutdown() {
    let term = async {
        #[cfg(unix)]
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
            return;
        }
        std::future::pending::<()>().await
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term => {}
    }
    tracing::info!("shutting down: every confirmed operation is in the journal");
}
