//! Prometheus metrics of the operator (`GET /metrics`); the alerts worth setting on them are
//! listed in `rollup/README.md`.

use crate::status::Status;
use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts,
    Registry, TextEncoder,
};
use std::sync::atomic::Ordering;
use std::sync::Arc;

pub struct Metrics {
    registry: Registry,
    pub queue_depth: IntGauge,
    pub soft_confirm_seconds: Histogram,
    pub submissions: IntCounterVec,
    pub journal_sync_seconds: Histogram,
    pub batch_ops: Histogram,
    pub prove_seconds: HistogramVec,
    pub open_batch: IntGauge,
    pub verified_batches: IntGauge,
    pub lag_batches: IntGauge,
    pub fees_verified: IntCounter,
    pub post_failures: IntCounter,
    pub halted: IntGauge,
}

fn buckets(from: f64, factor: f64, n: usize) -> Vec<f64> {
    prometheus::exponential_buckets(from, factor, n).expect("valid buckets")
}

impl Metrics {
    pub fn new() -> Arc<Metrics> {
        let h = |name: &str, help: &str, b: Vec<f64>| {
            Histogram::with_opts(HistogramOpts::new(name, help).buckets(b)).expect("metric")
        };
        let g = |name: &str, help: &str| IntGauge::new(name, help).expect("metric");
        let m = Metrics {
            registry: Registry::new(),
            queue_depth: g("rollup_queue_depth", "operations waiting for the sequencer"),
            soft_confirm_seconds: h(
                "rollup_soft_confirm_seconds",
                "from receiving a transfer to answering its receipt",
                buckets(0.0001, 2.0, 16),
            ),
            submissions: IntCounterVec::new(
                Opts::new(
                    "rollup_submissions_total",
                    "transfers and withdrawals by outcome",
                ),
                &["result"],
            )
            .expect("metric"),
            journal_sync_seconds: h(
                "rollup_journal_sync_seconds",
                "writing and syncing one group of journal entries",
                buckets(0.00005, 2.0, 16),
            ),
            batch_ops: h(
                "rollup_batch_ops",
                "operations per closed batch",
                buckets(1.0, 2.0, 14),
            ),
            prove_seconds: HistogramVec::new(
                HistogramOpts::new("rollup_prove_seconds", "proving one batch, per worker")
                    .buckets(buckets(0.25, 2.0, 12)),
                &["worker"],
            )
            .expect("metric"),
            open_batch: g("rollup_open_batch", "index of the batch taking operations"),
            verified_batches: g("rollup_verified_batches", "batches the chain verified"),
            lag_batches: g(
                "rollup_lag_batches",
                "batches sequenced but not yet verified on the chain",
            ),
            fees_verified: IntCounter::new(
                "rollup_fees_verified_total",
                "fees of verified batches (paid to the operator on the chain)",
            )
            .expect("metric"),
            post_failures: IntCounter::new(
                "rollup_post_failures_total",
                "failed attempts to post a proven batch",
            )
            .expect("metric"),
            halted: g("rollup_halted", "1 while the operator takes no operations"),
        };
        for c in [
            Box::new(m.queue_depth.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(m.soft_confirm_seconds.clone()),
            Box::new(m.submissions.clone()),
            Box::new(m.journal_sync_seconds.clone()),
            Box::new(m.batch_ops.clone()),
            Box::new(m.prove_seconds.clone()),
            Box::new(m.open_batch.clone()),
            Box::new(m.verified_batches.clone()),
            Box::new(m.lag_batches.clone()),
            Box::new(m.fees_verified.clone()),
            Box::new(m.post_failures.clone()),
            Box::new(m.halted.clone()),
        ] {
            m.registry.register(c).expect("unique metric names");
        }
        Arc::new(m)
    }

    pub fn observe_proof(&self, worker: usize, secs: f64) {
        self.prove_seconds
            .with_label_values(&[&worker.to_string()])
            .observe(secs);
    }

    /// The text exposition, with the gauges read from `status` now.
    pub fn render(&self, status: &Status) -> Vec<u8> {
        let open = status.open_batch.load(Ordering::Acquire);
        let verified = status.verified_batches();
        self.queue_depth
            .set(status.queue_depth.load(Ordering::Relaxed) as i64);
        self.open_batch.set(open as i64);
        self.verified_batches.set(verified as i64);
        self.lag_batches.set(open.saturating_sub(verified) as i64);
        self.halted.set(i64::from(status.halted().is_some()));
        let mut buf = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut buf)
            .expect("text encoding");
        buf
    }
}
