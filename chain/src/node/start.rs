//! `proofd start`: open the store, serve ABCI, start and supervise CometBFT, stop cleanly.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use parking_lot::Mutex;
use tracing::{error, info};

use super::cometbft::{self, Supervisor};
use super::config::AppConfig;
use super::metrics::Metrics;
use crate::abci::consensus::ConsensusState;
use crate::abci::executor::Executor;
use crate::abci::mempool::MempoolState;
use crate::abci::query::QueryHandler;
use crate::abci::server::{ConsensusService, InfoService, MempoolService, SnapshotService};
use crate::app::ante::SigCache;
use crate::modules::upgrade::migrations::Upgrades;
use crate::modules::upgrade::Plan;
use crate::store::Store;

/// How long a node halting for an upgrade keeps CometBFT's networking up (see `run`).
const HALT_GRACE: Duration = Duration::from_secs(5);

pub async fn run(home: &Path, cometbft_bin: Option<&Path>) -> Result<()> {
    let cfg = AppConfig::load(home)?;
    let bin = cometbft::find_binary(cometbft_bin)?;
    cometbft::check_version(&bin)?;
    let store = Arc::new(
        Store::open(&home.join("data/app.db"), cfg.pruning)
            .context("cannot open the state store")?,
    );
    info!(home = %home.display(), chain_id = %cfg.chain_id, height = ?store.latest_version(), "opened state");

    let metrics = Metrics::new();
    if let Some(v) = store.latest_version() {
        metrics.height.set(v as i64);
    }
    let vm = proof_vm::Vm::new(proof_vm::VmConfig {
        cache_dir: Some(home.join("data/wasm-cache")),
        cache_disk_bytes: cfg.wasm_cache_bytes,
        ..Default::default()
    })
    .map_err(|e| anyhow::anyhow!("cannot start the contract VM: {e}"))?;
    // Rollup verifier keys live beside the data; those this node used before load now, in the
    // background, so the first proof after a restart does not wait for a decode.
    crate::modules::zk::keys::init(&home.join("data/zk")).preload_cached();
    let exec = Arc::new(Executor {
        store,
        chain_id: cfg.chain_id.clone(),
        sig_cache: Arc::new(SigCache::new(cfg.sig_cache_entries)),
        vm: Arc::new(vm),
        upgrades: Upgrades::from_env(),
    });
    let mempool = Arc::new(MempoolState::new(exec.clone(), metrics.clone()));
    // A block that needs an upgrade this binary lacks: record it for cosmovisor, then stop.
    let (halt_tx, mut halt_rx) = tokio::sync::mpsc::unbounded_channel::<Plan>();
    let data_dir = home.join("data");
    let consensus = ConsensusService(Arc::new(Mutex::new(
        ConsensusState::new(exec.clone(), mempool.clone(), metrics.clone()).on_upgrade_needed(
            move |plan| {
                if let Err(e) = write_upgrade_info(&data_dir, plan) {
                    error!(error = %e, "cannot write upgrade-info.json");
                }
                let _ = halt_tx.send(plan.clone());
                // Never answer the request. An error would break the ABCI connection, which
                // CometBFT treats as fatal: it would exit at once, before its peers have this
                // block's last votes. Unanswered, it keeps gossiping until `run` stops it.
                // (`block_in_place` hands this worker's duties to another thread, so timers and
                // I/O keep running.)
                tokio::task::block_in_place(|| loop {
                    std::thread::park();
                });
            },
        ),
    )));
    let queries = Arc::new(QueryHandler {
        exec: exec.clone(),
        moniker: cfg.moniker.clone(),
    });
    let info = InfoService(queries.clone());
    let server = tower_abci::v038::Server::builder()
        .consensus(consensus)
        .mempool(MempoolService(mempool))
        .info(info)
        .snapshot(SnapshotService)
        .finish()
        .context("ABCI server is missing a service")?;

    let abci_addr = cfg.abci_addr.clone();
    let listener = tokio::net::TcpListener::bind(&abci_addr)
        .await
        .with_context(|| {
            format!("cannot listen for ABCI on {abci_addr} (another node running?)")
        })?;
    drop(listener); // bound once to fail early with a clear message; tower-abci binds again below.
    let abci = tokio::spawn(async move {
        server
            .listen_tcp(abci_addr)
            .await
            .map_err(|e| anyhow::anyhow!("ABCI server: {e}"))
    });
    tokio::spawn(metrics.clone().serve(cfg.metrics_addr.clone()));
    if let Some(addr) = cfg.grpc_addr.clone() {
        let grpc = super::grpc::GrpcQueries {
            handler: queries,
            cometbft: proof_sdk::rpc::RpcClient::new(&cfg.cometbft_rpc)?,
        };
        tokio::spawn(async move {
            if let Err(e) = super::grpc::serve(addr, grpc).await {
                error!(error = %format!("{e:#}"), "gRPC server stopped");
            }
        });
    }
    wait_for_port(&cfg.abci_addr).await?;

    let (give_up_tx, mut give_up_rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let supervisor = Supervisor::spawn(
        bin,
        home.join("cometbft"),
        home.join("logs/cometbft.log"),
        move |why| {
            let _ = give_up_tx.send(why);
        },
    );

    let mut sigterm = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let outcome = tokio::select! {
        _ = tokio::signal::ctrl_c() => { info!("interrupt: shutting down"); Ok(()) }
        _ = sigterm.recv() => { info!("SIGTERM: shutting down"); Ok(()) }
        Some(plan) = halt_rx.recv() => {
            // CometBFT has stopped consensus, but its peers may still lack this block's last
            // precommits: keep gossiping a moment so they can decide the block and halt too.
            info!(grace_secs = HALT_GRACE.as_secs(), "upgrade halt: letting peers receive the block's votes");
            tokio::time::sleep(HALT_GRACE).await;
            Err(anyhow::anyhow!("UPGRADE {:?} NEEDED at height {}: {} (halted; restart on the new binary)", plan.name, plan.height, plan.info))
        }
        why = give_up_rx.recv() => { let why = why.unwrap_or_default(); error!(%why, "giving up"); Err(anyhow::anyhow!(why)) }
        r = abci => { let e = r.map_err(anyhow::Error::from).and_then(|x| x).err(); Err(e.unwrap_or_else(|| anyhow::anyhow!("ABCI server stopped"))) }
    };
    // Commit is atomic, so stopping between blocks or mid-block loses nothing either way.
    tokio::task::spawn_blocking(move || supervisor.shutdown(Duration::from_secs(10))).await?;
    outcome
}

async fn wait_for_port(addr: &str) -> Result<()> {
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    anyhow::bail!("ABCI server did not come up on {addr}")
}

/// The file cosmovisor reads when a node halts for an upgrade (`{"name", "height", "info"}`).
fn write_upgrade_info(data_dir: &Path, plan: &Plan) -> std::io::Result<()> {
    std::fs::create_dir_all(data_dir)?;
    std::fs::write(
        data_dir.join("upgrade-info.json"),
        serde_json::to_vec(plan)?,
    )
}
