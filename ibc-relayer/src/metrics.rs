//! Prometheus metrics and the `/metrics` endpoint.

use std::sync::Arc;

use anyhow::Result;
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry, TextEncoder,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[derive(Clone)]
pub struct Metrics {
    pub registry: Registry,
    /// Packet messages delivered, by path and kind (`recv`, `ack`, `timeout`).
    pub relayed: IntCounterVec,
    /// Packets sent and not yet acknowledged or timed out, by path and direction.
    pub pending: IntGaugeVec,
    /// Transactions sent and their gas, by chain.
    pub txs: IntCounterVec,
    pub gas: IntCounterVec,
    /// Seconds from seeing a packet's `send_packet` to delivering its acknowledgement.
    pub latency: HistogramVec,
    /// Failed relay steps (retried with backoff), by path.
    pub errors: IntCounterVec,
    /// Conflicting headers found in a client of ours, by the chain holding the client.
    pub misbehaviour: IntCounterVec,
}

impl Metrics {
    pub fn new() -> Arc<Metrics> {
        let registry = Registry::new();
        let relayed = IntCounterVec::new(
            Opts::new(
                "proof_relayer_packets_relayed_total",
                "packet messages delivered",
            ),
            &["path", "kind"],
        )
        .expect("valid metric");
        let pending = IntGaugeVec::new(
            Opts::new("proof_relayer_pending_packets", "packets awaiting relay"),
            &["path", "direction"],
        )
        .expect("valid metric");
        let txs = IntCounterVec::new(
            Opts::new("proof_relayer_txs_total", "transactions sent"),
            &["chain"],
        )
        .expect("valid metric");
        let gas = IntCounterVec::new(
            Opts::new(
                "proof_relayer_gas_used_total",
                "gas used by the relayer's transactions",
            ),
            &["chain"],
        )
        .expect("valid metric");
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "proof_relayer_packet_latency_seconds",
                "send_packet seen to acknowledgement delivered",
            )
            .buckets(vec![0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 30.0, 60.0]),
            &["path"],
        )
        .expect("valid metric");
        let errors = IntCounterVec::new(
            Opts::new("proof_relayer_errors_total", "failed relay steps"),
            &["path"],
        )
        .expect("valid metric");
        let misbehaviour = IntCounterVec::new(
            Opts::new(
                "proof_relayer_misbehaviour_total",
                "conflicting headers found in a client and submitted as evidence",
            ),
            &["chain"],
        )
        .expect("valid metric");
        for c in [&relayed, &txs, &gas, &errors, &misbehaviour] {
            registry
                .register(Box::new(c.clone()))
                .expect("registered once");
        }
        registry
            .register(Box::new(pending.clone()))
            .expect("registered once");
        registry
            .register(Box::new(latency.clone()))
            .expect("registered once");
        Arc::new(Metrics {
            registry,
            relayed,
            pending,
            txs,
            gas,
            latency,
            errors,
            misbehaviour,
        })
    }

    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut buf)
            .expect("text encoding");
        String::from_utf8(buf).unwrap_or_default()
    }
}

/// Serves `GET /metrics` on `addr` until the process ends.
pub async fn serve(addr: &str, metrics: Arc<Metrics>) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!(%addr, "metrics on /metrics");
    loop {
        let (mut sock, _) = listener.accept().await?;
        let m = metrics.clone();
        tokio::spawn(async move {
            let mut req = [0u8; 1024];
            let n = sock.read(&mut req).await.unwrap_or(0);
            let ok = req[..n].starts_with(b"GET /metrics");
            let (status, body) = if ok {
                ("200 OK", m.render())
            } else {
                ("404 Not Found", "not found\n".to_string())
            };
            let resp = format!(
                "HTTP/1.1 {status}\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = sock.write_all(resp.as_bytes()).await;
        });
    }
}
