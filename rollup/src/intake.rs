//! The sequencer thread: takes requests in arrival order, in groups (one journal sync per
//! group), answers each, and hands closed batches to the batcher.

use crate::metrics::Metrics;
use crate::sequencer::{Answer, ClosedBatch, Input, Sequencer};
use crate::status::Status;
use proof_zk::tree::Account;
use proof_zk::Op;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// Requests the sequencer thread serves, in arrival order.
pub enum Request {
    /// A deposit from the chain.
    Input(Input),
    /// A transfer or withdrawal whose signature the API checked.
    Submit {
        op: Op,
        hash: [u8; 32],
        received: Instant,
        reply: oneshot::Sender<Answer>,
    },
    /// The live state of one account.
    Account {
        index: u32,
        reply: oneshot::Sender<Account>,
    },
}

/// Requests taken into one group (one journal sync) at most.
const MAX_GROUP: usize = 4096;

/// Runs the sequencer until every sender is gone: groups requests, answers each, and forwards
/// closed batches from `sent` on.
pub fn run_sequencer(
    mut seq: Sequencer,
    requests: Receiver<Request>,
    closed: Sender<ClosedBatch>,
    mut sent: u64,
    status: Arc<Status>,
    metrics: Arc<Metrics>,
) {
    loop {
        let wait = seq
            .deadline()
            .map(|d| d.saturating_duration_since(Instant::now()))
            .unwrap_or(Duration::from_secs(1));
        let mut group = Vec::new();
        match requests.recv_timeout(wait) {
            Ok(r) => group.push(r),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
        while group.len() < MAX_GROUP {
            match requests.try_recv() {
                Ok(r) => group.push(r),
                Err(_) => break,
            }
        }
        let mut inputs = Vec::with_capacity(group.len());
        let mut replies = Vec::new();
        let mut reads = Vec::new();
        for r in group {
            match r {
                Request::Input(i) => inputs.push(i),
                Request::Submit {
                    op,
                    hash,
                    received,
                    reply,
                } => {
                    inputs.push(Input::Submit { op, hash });
                    replies.push((received, reply));
                }
                Request::Account { index, reply } => reads.push((index, reply)),
            }
        }
        status
            .queue_depth
            .fetch_sub(replies.len(), Ordering::Relaxed);
        let t = Instant::now();
        let (answers, batches) = seq.process(inputs, t);
        metrics
            .journal_sync_seconds
            .observe(t.elapsed().as_secs_f64());
        for (answer, (received, reply)) in answers.into_iter().zip(replies) {
            let outcome = match &answer {
                Ok(_) => "accepted",
                Err(e) => e.code(),
            };
            metrics.submissions.with_label_values(&[outcome]).inc();
            metrics
                .soft_confirm_seconds
                .observe(received.elapsed().as_secs_f64());
            let _ = reply.send(answer);
        }
        for (index, reply) in reads {
            let _ = reply.send(seq.account(index));
        }
        for b in batches {
            if b.index >= sent {
                sent = b.index + 1;
                if closed.send(b).is_err() {
                    return;
                }
            }
        }
    }
}
