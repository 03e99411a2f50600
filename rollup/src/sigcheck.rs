//! Signature checks for the API, batched across requests.
//!
//! Requests hand their signature to a small pool of threads and wait. A thread takes whatever
//! is queued (up to [`MAX_BATCH`]) and checks it with one multi-scalar multiplication
//! (`proof_zk::schnorr_batch`, weights from the OS's random source: a bad signature passes with
//! probability 2^-128). Under load the batches fill and the cost per signature falls to a
//! fraction of a single check; idle, a batch is one request and costs what it did before. A
//! failed batch is split to name the bad signatures, so only their senders are refused.
//!
//! Keys never change once set, so a check needs no sequencer: what it reads is the key table.

use crate::error::Rejection;
use crate::status::Status;
use proof_zk::schnorr_batch::{find_invalid, BatchItem};
use proof_zk::{Op, RollupId};
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError, TrySendError};
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

/// Signatures checked together at most (a batch of 256 costs ~20 ms on one core here).
pub const MAX_BATCH: usize = 256;
/// Signatures waiting at most; beyond it a request is answered `unavailable`.
const QUEUE: usize = 16 * 1024;

struct Job {
    item: BatchItem,
    reply: oneshot::Sender<bool>,
}

/// The handle the API holds; cheap to clone.
#[derive(Clone)]
pub struct SigChecker {
    jobs: SyncSender<Job>,
}

impl SigChecker {
    /// Starts `threads` checking threads; they stop when every handle is dropped.
    pub fn start(threads: usize) -> SigChecker {
        let (jobs, rx) = std::sync::mpsc::sync_channel(QUEUE);
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..threads.max(1) {
            let rx = rx.clone();
            std::thread::Builder::new()
                .name(format!("sigcheck-{i}"))
                .spawn(move || run(&rx))
                .expect("a signature-check thread starts");
        }
        SigChecker { jobs }
    }

    /// Checks `op`'s signature under its sender's key (its nonce and the rollup id are signed).
    pub async fn check(&self, status: &Status, rollup: u32, op: &Op) -> Result<(), Rejection> {
        let item = item(status, rollup, op)?;
        let from = op.public().map_err(Rejection::NotRepresentable)?.from;
        let (reply, answer) = oneshot::channel();
        match self.jobs.try_send(Job { item, reply }) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                return Err(Rejection::Unavailable(
                    "too many signatures wait to be checked; try again shortly".into(),
                ))
            }
            Err(TrySendError::Disconnected(_)) => {
                return Err(Rejection::Unavailable(
                    "the signature checkers stopped".into(),
                ))
            }
        }
        match answer.await {
            Ok(true) => Ok(()),
            Ok(false) => Err(Rejection::BadSignature(from)),
            Err(_) => Err(Rejection::Unavailable(
                "the signature checkers stopped".into(),
            )),
        }
    }
}

/// What a check needs of `op`: the sender's key, the signature and the signed message.
fn item(status: &Status, rollup: u32, op: &Op) -> Result<BatchItem, Rejection> {
    let p = op.public().map_err(Rejection::NotRepresentable)?;
    let (sig, nonce) = op
        .signature()
        .ok_or_else(|| Rejection::Malformed("deposits come from the chain only".into()))?;
    let pk = status
        .key(p.from)
        .ok_or(Rejection::UnknownAccount(p.from))?;
    Ok(BatchItem {
        pk,
        sig,
        word: p.sig_word(RollupId(rollup), nonce),
        extra: p.extra[0],
    })
}

/// Checks one signature now, on the caller's thread (what the batch replaces; the benchmark
/// compares the two).
pub fn check_now(status: &Status, rollup: u32, op: &Op) -> Result<(), Rejection> {
    let i = item(status, rollup, op)?;
    if i.sig.verify(&i.pk, i.word, i.extra) {
        Ok(())
    } else {
        Err(Rejection::BadSignature(
            op.public().map_err(Rejection::NotRepresentable)?.from,
        ))
    }
}

fn run(rx: &Mutex<Receiver<Job>>) {
    let mut rng = rand_core::OsRng;
    loop {
        let batch = {
            // One thread collects while the others check.
            let Ok(rx) = rx.lock() else { return };
            let Ok(first) = rx.recv() else { return };
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(j) => batch.push(j),
                    Err(TryRecvError::Empty | TryRecvError::Disconnected) => break,
                }
            }
            batch
        };
        let items: Vec<BatchItem> = batch.iter().map(|j| j.item).collect();
        let bad = find_invalid(&items, &mut rng);
        for (i, j) in batch.into_iter().enumerate() {
            // A request that gave up waiting is no error.
            let _ = j.reply.send(bad.binary_search(&i).is_err());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proof_zk::SecretKey;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_checks_refuse_exactly_the_bad_signatures() {
        let status = Arc::new(Status::default());
        let keys: Vec<SecretKey> = (0..8u8)
            .map(|i| SecretKey::from_seed(&[i + 1; 32]))
            .collect();
        for (i, k) in keys.iter().enumerate() {
            status
                .keys
                .write()
                .unwrap()
                .insert(i as u32, k.public_key());
        }
        let checker = SigChecker::start(2);
        let mut tasks = Vec::new();
        for n in 0..200u64 {
            let from = (n % 8) as u32;
            // every 7th is signed by the wrong key
            let signer = if n % 7 == 0 { (from + 1) % 8 } else { from };
            let op = Op::transfer(&keys[signer as usize], RollupId(4), from, 0, 1, 1, n).unwrap();
            let (checker, status) = (checker.clone(), status.clone());
            tasks.push(tokio::spawn(async move {
                (n, checker.check(&status, 4, &op).await)
            }));
        }
        for t in tasks {
            let (n, r) = t.await.unwrap();
            if n % 7 == 0 {
                assert_eq!(r, Err(Rejection::BadSignature((n % 8) as u32)), "{n}");
            } else {
                assert_eq!(r, Ok(()), "{n}");
            }
        }
        // Another rollup's signature does not verify here.
        let op = Op::transfer(&keys[1], RollupId(5), 1, 0, 1, 1, 0).unwrap();
        assert_eq!(
            checker.check(&status, 4, &op).await,
            Err(Rejection::BadSignature(1))
        );
        assert_eq!(check_now(&status, 5, &op), Ok(()));
        let unknown = Op::transfer(&keys[1], RollupId(4), 99, 0, 1, 1, 0).unwrap();
        assert_eq!(
            checker.check(&status, 4, &unknown).await,
            Err(Rejection::UnknownAccount(99))
        );
    }
}
