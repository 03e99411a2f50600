//! Prometheus metrics of the application, served at `http://<metrics_addr>/metrics`.

use std::sync::Arc;

use prometheus::{
    Encoder, Histogram, HistogramOpts, IntCounter, IntCounterVec, IntGauge, Opts, Registry,
    TextEncoder,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub struct Metrics {
    registry: Registry,
    pub height: IntGauge,
    pub block_txs: IntCounter,
    pub block_txs_failed: IntCounter,
    pub check_tx: IntCounterVec,
    pub prepare_seconds: Histogram,
    pub process_seconds: Histogram,
    pub finalize_seconds: Histogram,
    pub commit_seconds: Histogram,
    /// Entries read from the latest state since start (`Store::reads`).
    pub store_reads: IntGauge,
}

fn histogram(name: &str, help: &str) -> Histogram {
    let buckets = vec![
        0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
    ];
    Histogram::with_opts(HistogramOpts::new(name, help).buckets(buckets)).expect("valid histogram")
}

impl Metrics {
    pub fn new() -> Arc<Self> {
        let registry = Registry::new_custom(Some("proofd".into()), None).expect("registry");
        let m = Self {
            height: IntGauge::new("height", "last committed block height").expect("metric"),
            block_txs: IntCounter::new("block_txs_total", "transactions executed in blocks")
                .expect("metric"),
            block_txs_failed: IntCounter::new(
                "block_txs_failed_total",
                "transactions in blocks with a non-zero code",
            )
            .expect("metric"),
            check_tx: IntCounterVec::new(
                Opts::new("check_tx_total", "CheckTx calls by kind and result code"),
                &["kind", "code"],
            )
            .expect("metric"),
            prepare_seconds: histogram("prepare_proposal_seconds", "PrepareProposal duration"),
            process_seconds: histogram("process_proposal_seconds", "ProcessProposal duration"),
            finalize_seconds: histogram("finalize_block_seconds", "FinalizeBlock duration"),
            commit_seconds: histogram("commit_seconds", "Commit duration"),
            store_reads: IntGauge::new(
                "store_reads_total",
                "entries read from the latest state since start",
            )
            .expect("metric"),
            registry,
        };
        for c in [
            Box::new(m.height.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(m.block_txs.clone()),
            Box::new(m.block_txs_failed.clone()),
            Box::new(m.check_tx.clone()),
            Box::new(m.prepare_seconds.clone()),
            Box::new(m.process_seconds.clone()),
            Box::new(m.finalize_seconds.clone()),
            Box::new(m.commit_seconds.clone()),
            Box::new(m.store_reads.clone()),
        ] {
            m.registry.register(c).expect("unique metric names");
        }
        Arc::new(m)
    }

    pub fn render(&self) -> Vec<u8> {
        let mut buf = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut buf)
            .expect("text encoding");
        buf
    }

    /// A minimal HTTP endpoint: every request gets the current metrics.
    pub async fn serve(self: Arc<Self>, addr: String) -> anyhow::Result<()> {
        let listener = tokio::net::TcpListener::bind(&addr).await?;
        tracing::info!(%addr, "metrics listening");
        loop {
            let (mut sock, _) = listener.accept().await?;
            let me = self.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 1024];
                let _ = sock.read(&mut buf).await;
                let body = me.render();
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = sock.write_all(head.as_bytes()).await;
                let _ = sock.write_all(&body).await;
            });
        }
    }
}
