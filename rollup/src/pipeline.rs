//! From closed batches to proofs: the batcher and the prover workers.
//!
//! The batcher owns the rollup's Merkle tree. It lays each closed batch out in circuit order,
//! checks every rule natively and builds the Nova step witnesses on the state the previous batch
//! left (`proof_zk::prover::build_steps`), so batch i+1 is ready while batch i is still being
//! proven. A job is self-contained: the old tree's top nodes and the steps are all a worker
//! needs. `N` worker threads take jobs from one queue and prove them in parallel; the poster
//! puts their proofs back in order. The job queue is bounded, so a slow prover holds the batcher
//! back instead of piling witnesses up in memory.

use crate::sequencer::ClosedBatch;
use crate::status::Status;
use crate::wire::TxState;
use proof_zk::circuit::RollupStep;
use proof_zk::prover::{build_steps, ProveTimes};
use proof_zk::{f_to_bytes, AccountTree, BatchData, RollupId, ZkError, ZkParams, F};
use std::sync::mpsc::{Receiver, SyncSender};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// One batch to prove.
pub struct ProveJob {
    pub index: u64,
    pub old_root: [u8; 32],
    pub new_root: [u8; 32],
    pub old_top: Vec<F>,
    pub steps: Vec<RollupStep>,
    /// The published bytes (what the verifier contract takes as `data`).
    pub data: Vec<u8>,
    pub ops: usize,
    pub fees: u128,
}

/// A proven batch, ready to post.
#[derive(Clone, Debug)]
pub struct Proven {
    pub index: u64,
    pub old_root: [u8; 32],
    pub new_root: [u8; 32],
    pub data: Vec<u8>,
    pub proof: Vec<u8>,
    pub ops: usize,
    pub fees: u128,
    pub worker: usize,
    pub times: ProveTimes,
}

/// The rollup's tree, advanced batch by batch.
pub struct Batcher {
    rollup: RollupId,
    ops_per_step: usize,
    tree: AccountTree,
    next: u64,
}

impl Batcher {
    pub fn new(rollup: u32, ops_per_step: usize) -> Batcher {
        Batcher {
            rollup: RollupId(rollup),
            ops_per_step,
            tree: AccountTree::new(),
            next: 0,
        }
    }

    pub fn root(&self) -> [u8; 32] {
        f_to_bytes(&self.tree.root())
    }

    pub fn tree(&self) -> &AccountTree {
        &self.tree
    }

    /// The batch this batcher takes next.
    pub fn next(&self) -> u64 {
        self.next
    }

    fn expect(&self, b: &ClosedBatch) -> Result<(), ZkError> {
        if b.index != self.next {
            return Err(ZkError::Encoding("batches must reach the batcher in order"));
        }
        Ok(())
    }

    /// Advances over a batch the chain verified already: no witnesses, no proof.
    pub fn skip(&mut self, b: &ClosedBatch) -> Result<(), ZkError> {
        self.expect(b)?;
        let data = BatchData::from_ops(&b.circuit_order())?;
        proof_zk::replay::apply_data(&mut self.tree, &data)?;
        self.next += 1;
        Ok(())
    }

    /// Builds the proving job of the next batch and advances the tree past it.
    pub fn build(&mut self, b: &ClosedBatch) -> Result<ProveJob, ZkError> {
        self.expect(b)?;
        let old_root = self.root();
        let old_top = self.tree.top();
        let ops = b.circuit_order();
        let (steps, data) = build_steps(self.ops_per_step, self.rollup, &mut self.tree, &ops)?;
        self.next += 1;
        Ok(ProveJob {
            index: b.index,
            old_root,
            new_root: self.root(),
            old_top,
            steps,
            fees: data.total_fees().ok_or(ZkError::Encoding("fees"))?,
            data: data.encode(),
            ops: ops.len(),
        })
    }
}

/// Runs the batcher: closed batches in, jobs out (blocking when every worker is busy and the
/// queue is full). Stops when either channel closes; a batch that does not build halts the
/// operator (the sequencer confirmed something the circuit refuses: a bug, never user input).
pub fn run_batcher(
    mut batcher: Batcher,
    closed: Receiver<ClosedBatch>,
    jobs: SyncSender<ProveJob>,
    status: Arc<Status>,
) {
    for b in closed {
        let t = Instant::now();
        match batcher.build(&b) {
            Ok(job) => {
                tracing::info!(
                    batch = job.index,
                    ops = job.ops,
                    millis = t.elapsed().as_millis() as u64,
                    "batch built"
                );
                status.set_batch(job.index, |r| {
                    r.old_root = Some(job.old_root);
                    r.new_root = Some(job.new_root);
                });
                if jobs.send(job).is_err() {
                    return;
                }
            }
            Err(e) => {
                status.halt(format!("batch {} does not build: {e}", b.index));
                return;
            }
        }
    }
}

/// Starts `n` prover threads on one job queue; each proof goes to `done`.
pub fn spawn_workers(
    n: usize,
    params: Arc<ZkParams>,
    rollup: u32,
    jobs: Receiver<ProveJob>,
    done: tokio::sync::mpsc::UnboundedSender<Proven>,
    status: Arc<Status>,
    metrics: Arc<crate::metrics::Metrics>,
) -> Vec<std::thread::JoinHandle<()>> {
    let jobs = Arc::new(Mutex::new(jobs));
    (0..n)
        .map(|worker| {
            let (jobs, done, params, status, metrics) = (
                jobs.clone(),
                done.clone(),
                params.clone(),
                status.clone(),
                metrics.clone(),
            );
            std::thread::Builder::new()
                .name(format!("prover-{worker}"))
                .spawn(move || loop {
                    let job = match jobs.lock().expect("job queue lock").recv() {
                        Ok(j) => j,
                        Err(_) => return,
                    };
                    let t = Instant::now();
                    match proof_zk::prove_steps_from_top(
                        &params,
                        RollupId(rollup),
                        job.old_top,
                        &job.steps,
                    ) {
                        Ok((proof, _, times)) => {
                            let secs = t.elapsed().as_secs_f64();
                            metrics.observe_proof(worker, secs);
                            tracing::info!(
                                batch = job.index,
                                worker,
                                ops = job.ops,
                                secs,
                                "batch proven"
                            );
                            status.set_batch(job.index, |r| {
                                r.state = Some(TxState::Proven);
                                r.prove_millis = Some((secs * 1000.0) as u64);
                                r.worker = Some(worker);
                            });
                            let p = Proven {
                                index: job.index,
                                old_root: job.old_root,
                                new_root: job.new_root,
                                data: job.data,
                                proof,
                                ops: job.ops,
                                fees: job.fees,
                                worker,
                                times,
                            };
                            if done.send(p).is_err() {
                                return;
                            }
                        }
                        Err(e) => {
                            status.halt(format!(
                                "worker {worker} cannot prove batch {}: {e}",
                                job.index
                            ));
                            return;
                        }
                    }
                })
                .expect("spawn a prover thread")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proof_zk::{Op, SecretKey};

    #[test]
    fn jobs_chain_roots_and_a_skipped_batch_lands_where_its_proof_would() {
        let sk = SecretKey::from_seed(&[3; 32]);
        let batches = [
            ClosedBatch {
                index: 0,
                ops: vec![
                    Op::Deposit {
                        to: 1,
                        pubkey: sk.public_key(),
                        amount: 100,
                    },
                    Op::transfer(&sk, RollupId(0), 1, 1, 10, 1, 0).unwrap(),
                ],
            },
            ClosedBatch {
                index: 1,
                // confirmed as withdrawal then deposit: built as deposit then withdrawal
                ops: vec![
                    Op::withdraw(&sk, RollupId(0), 1, 5, 1, 1, F::from(9u64)).unwrap(),
                    Op::Deposit {
                        to: 1,
                        pubkey: sk.public_key(),
                        amount: 7,
                    },
                ],
            },
        ];
        let mut a = Batcher::new(0, 2);
        let j0 = a.build(&batches[0]).unwrap();
        let j1 = a.build(&batches[1]).unwrap();
        assert_eq!(j0.new_root, j1.old_root);
        assert_eq!(j0.fees, 1);
        let mut b = Batcher::new(0, 2);
        b.skip(&batches[0]).unwrap();
        assert_eq!(b.root(), j0.new_root);
        assert!(b.skip(&batches[0]).is_err(), "out of order");
        let j1b = b.build(&batches[1]).unwrap();
        assert_eq!(j1b.new_root, a.root());
        assert_eq!(a.tree().get(1).balance, 100 - 1 - 6 + 7);
    }
}
