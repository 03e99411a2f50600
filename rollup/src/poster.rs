//! Posting proofs to the verifier contract, strictly in batch order.
//!
//! Before each attempt the poster asks the chain where the rollup is, so it never posts a batch
//! twice: a batch the chain verified already (posted before a restart, or an earlier attempt
//! that was committed after it timed out) is taken as verified, once its recorded root matches.
//! A chain root other than the batch's old root means this operator and the chain disagree:
//! it halts rather than post anything. Failed attempts are retried with a growing pause; a
//! transaction that ran out of gas is retried with a larger gas margin (the simulation it was
//! sized by ran against an earlier state). Why the last attempt failed is in `/v1/status`.

use crate::chain::ChainClient;
use crate::metrics::Metrics;
use crate::pipeline::Proven;
use crate::status::Status;
use crate::wire::TxState;
use proof_sdk::submit::{SubmitError, Submitted};
use proof_sdk::PrivateKey;
use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc::UnboundedReceiver;

pub struct Poster {
    pub chain: ChainClient,
    pub key: PrivateKey,
    pub status: Arc<Status>,
    pub metrics: Arc<Metrics>,
    pub gas_adjustment: f64,
    /// The batch to post next (the chain's batch index at start).
    pub next: u64,
}

/// How one attempt ended.
enum Attempt {
    Verified {
        tx: Option<String>,
        height: u64,
    },
    /// Never retried: the operator halts.
    Fatal(String),
    Retry(String),
    /// Committed but out of gas: retried with a larger gas margin.
    OutOfGas(String),
}

/// The gas margin over the simulation grows by half on each out-of-gas attempt, up to this.
const MAX_GAS_ADJUSTMENT: f64 = 5.0;

/// The next gas margin: never lower than the one just tried.
fn raise(adjustment: f64) -> f64 {
    (adjustment * 1.5).min(MAX_GAS_ADJUSTMENT).max(adjustment)
}

/// How a submission of batch `index` ended.
fn judge(index: u64, sent: Result<Submitted, SubmitError>) -> Attempt {
    match sent {
        Ok(Submitted::Committed { result, .. }) if result.code == 0 => Attempt::Verified {
            tx: Some(result.hash.clone()),
            height: result.height,
        },
        Ok(Submitted::Committed { result, .. }) if proof_sdk::submit::is_out_of_gas(&result) => {
            Attempt::OutOfGas(format!(
                "batch {index} ran out of gas ({} used): {}",
                result.gas_used, result.log
            ))
        }
        Ok(Submitted::Committed { result, .. }) => Attempt::Retry(format!(
            "the chain refused batch {index} (code {}): {}",
            result.code, result.log
        )),
        Ok(Submitted::Mempool { hash, .. }) => {
            Attempt::Retry(format!("transaction {hash} not yet committed"))
        }
        Err(SubmitError::NotCommitted { hash, .. }) => {
            Attempt::Retry(format!("transaction {hash} was not committed in time"))
        }
        Err(e) => Attempt::Retry(e.to_string()),
    }
}

impl Poster {
    pub async fn run(mut self, mut proven: UnboundedReceiver<Proven>) {
        let mut waiting = BTreeMap::new();
        while let Some(p) = proven.recv().await {
            if p.index >= self.next {
                waiting.insert(p.index, p);
            }
            while let Some(p) = waiting.remove(&self.next) {
                if !self.post(p).await {
                    return;
                }
                self.next += 1;
            }
        }
    }

    /// Posts `p` until the chain verified it; `false` if the operator halted instead.
    async fn post(&self, p: Proven) -> bool {
        let mut pause = Duration::from_millis(500);
        let mut adjustment = self.gas_adjustment;
        let mut attempts = 0u32;
        loop {
            attempts += 1;
            let why = match self.attempt(&p, adjustment).await {
                Attempt::Verified { tx, height } => {
                    *self.status.post_error.lock().expect("status lock") = None;
                    self.verified(&p, tx, height);
                    return true;
                }
                Attempt::Fatal(why) => {
                    self.status.halt(why);
                    return false;
                }
                Attempt::OutOfGas(why) => {
                    adjustment = raise(adjustment);
                    format!("{why}; next attempt with gas adjustment {adjustment:.2}")
                }
                Attempt::Retry(why) => why,
            };
            self.metrics.post_failures.inc();
            tracing::warn!(batch = p.index, attempts, %why, retry_in = ?pause, "posting failed");
            *self.status.post_error.lock().expect("status lock") =
                Some(format!("batch {}, attempt {attempts}: {why}", p.index));
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_secs(30));
        }
    }

    async fn attempt(&self, p: &Proven, adjustment: f64) -> Attempt {
        let info = match self.chain.rollup_info().await {
            Ok(i) => i,
            Err(e) => return Attempt::Retry(format!("reading the rollup: {e:#}")),
        };
        if info.frozen_at.is_some() {
            return Attempt::Fatal(format!(
                "rollup {} is frozen on the chain: users exit with proofs against its last verified root",
                info.id
            ));
        }
        if info.batch_index > p.index {
            return match self.chain.batch(p.index).await {
                Ok(b) if b.new_root.0 == p.new_root => Attempt::Verified {
                    tx: None,
                    height: b.height,
                },
                Ok(_) => Attempt::Fatal(format!(
                    "the chain verified another batch {} than this operator's: its journal does not match the chain",
                    p.index
                )),
                Err(e) => Attempt::Retry(format!("reading batch {}: {e:#}", p.index)),
            };
        }
        if info.batch_index < p.index {
            return Attempt::Retry(format!(
                "the chain has verified {} batches, waiting for batch {}",
                info.batch_index,
                p.index - 1
            ));
        }
        if info.state_root.0 != p.old_root {
            return Attempt::Fatal(format!(
                "the chain's root of rollup {} is not the root batch {} starts from",
                info.id, p.index
            ));
        }
        let sent = self
            .chain
            .submit_batch(&self.key, p.new_root, &p.data, &p.proof, adjustment)
            .await;
        judge(p.index, sent)
    }

    fn verified(&self, p: &Proven, tx: Option<String>, height: u64) {
        {
            let mut tree = self.status.verified.lock().expect("verified tree lock");
            if let Err(e) = proof_zk::replay::apply_batch(&mut tree, &p.data) {
                self.status
                    .halt(format!("verified batch {} does not apply: {e}", p.index));
            }
        }
        self.status.set_batch(p.index, |r| {
            r.state = Some(TxState::Verified);
            r.chain_tx = tx.clone();
            r.chain_height = Some(height);
        });
        self.status
            .verified_batches
            .store(p.index + 1, Ordering::Release);
        self.metrics.fees_verified.inc_by(p.fees as u64);
        self.metrics.batch_ops.observe(p.ops as f64);
        tracing::info!(batch = p.index, height, tx = ?tx, ops = p.ops, "batch verified on the chain");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proof_sdk::rpc::TxResult;

    fn committed(code: u32) -> Result<Submitted, SubmitError> {
        committed_in(code, "sdk")
    }

    fn committed_in(code: u32, codespace: &str) -> Result<Submitted, SubmitError> {
        Ok(Submitted::Committed {
            result: TxResult {
                hash: "AB".into(),
                height: 9,
                code,
                log: "why".into(),
                gas_wanted: 100,
                gas_used: 70,
                raw: serde_json::json!({"tx_result": {"codespace": codespace}}),
            },
            gas: 100,
        })
    }

    #[test]
    fn out_of_gas_is_retried_with_a_growing_margin_and_other_refusals_as_they_are() {
        assert!(matches!(
            judge(3, committed(0)),
            Attempt::Verified { height: 9, .. }
        ));
        assert!(matches!(judge(3, committed(11)), Attempt::OutOfGas(_)));
        assert!(matches!(judge(3, committed(5)), Attempt::Retry(_)));
        // A contract's own code 11 is not the SDK's out of gas: no bigger margin would help.
        assert!(matches!(
            judge(3, committed_in(11, "wasm")),
            Attempt::Retry(_)
        ));
        let mut a = 1.3;
        let mut seen = vec![];
        for _ in 0..6 {
            a = raise(a);
            seen.push(a);
        }
        assert!(seen.windows(2).all(|w| w[1] >= w[0]));
        assert_eq!(seen.last(), Some(&MAX_GAS_ADJUSTMENT));
        assert_eq!(raise(7.0), 7.0, "a configured margin above the cap is kept");
    }
}
