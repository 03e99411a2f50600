//! The sequencer: checks each transfer and withdrawal against the operator's latest state,
//! orders it, journals it and answers with a signed receipt; takes the chain's deposits in queue
//! order; cuts batches by size or age.
//!
//! ## Order inside a batch
//! The circuit lays a batch out as deposits, then transfers, then withdrawals. The sequencer
//! confirms in arrival order and keeps the two orders equivalent: moving deposits to the front
//! and withdrawals to the back only credits accounts earlier or debits them later, except for a
//! transfer *from* an account with a withdrawal already in the open batch (its nonce would run
//! before the withdrawal's). Such a transfer closes the open batch and opens the next one.
//!
//! ## Groups
//! Requests are taken in groups: all of them are checked and applied, their entries written to
//! the journal with one `fdatasync`, and only then are receipts sent and the group's effects
//! (keys, transaction locations, closed batches) published. If the write fails (a full disk),
//! the group is answered `unavailable` and the sequencer rebuilds itself from the journal,
//! which holds none of it.

use crate::error::Rejection;
use crate::journal::{encode_record, Entry, Journal, JournalError};
use crate::receipt::{Receipt, ReceiptSigner};
use crate::status::Status;
use proof_zk::tree::{Account, CAPACITY};
use proof_zk::{Op, PublicKey};
use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How the sequencer cuts batches and prices operations.
#[derive(Clone, Debug)]
pub struct SeqConfig {
    pub rollup: u32,
    /// Operations per batch (deposits included).
    pub batch_size: usize,
    /// A non-empty batch closes this long after it took its first operation.
    pub batch_time: Duration,
    /// The least fee a transfer or withdrawal must pay the operator.
    pub min_fee: u64,
}

/// A closed batch, in the order the sequencer confirmed its operations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClosedBatch {
    pub index: u64,
    pub ops: Vec<Op>,
}

impl ClosedBatch {
    /// The circuit's layout: deposits, transfers, withdrawals, each in confirmation order.
    pub fn circuit_order(&self) -> Vec<Op> {
        let mut ops = self.ops.clone();
        ops.sort_by_key(Op::kind);
        ops
    }
}

/// What a group hands the sequencer.
pub enum Input {
    /// A transfer or withdrawal whose signature the caller checked ([`crate::sigcheck`]).
    Submit { op: Op, hash: [u8; 32] },
    /// Deposit `seq` of the `xx` queue.
    Deposit { seq: u64, op: Op },
    /// Deposit `seq` left the `xx` queue without a batch (rejected on the chain as one no batch
    /// can include, or refunded): the next one may go in.
    SkipDeposit { seq: u64 },
}

/// The answer to each [`Input::Submit`] of a group, in order (deposits get none).
pub type Answer = Result<Receipt, Rejection>;

pub struct Sequencer {
    cfg: SeqConfig,
    journal_path: PathBuf,
    journal: Journal,
    signer: Arc<ReceiptSigner>,
    status: Arc<Status>,
    /// Balances, nonces and keys after every confirmed operation (no Merkle tree: the batcher
    /// builds that).
    accounts: HashMap<u32, Account>,
    batch: u64,
    open: Vec<Op>,
    withdrawers: BTreeSet<u32>,
    /// Each account the open batch touched: its balance before the batch, and what the batch
    /// credited it. The circuit credits deposits first, so a balance in the batch can reach
    /// start + credits; that must fit in 64 bits.
    batch_start: HashMap<u32, u64>,
    batch_credits: HashMap<u32, u128>,
    opened_at: Option<Instant>,
    next_deposit_seq: u64,
    /// Why deposits stopped being taken (one that no batch can include), if they did.
    deposit_blocked: Option<String>,
    /// Set when a failed write could not be undone by reading the journal back: the in-memory
    /// state may hold what the journal does not, so nothing more is taken, cut or written.
    poisoned: Option<String>,
    #[cfg(test)]
    fail_reload: bool,
}

/// Effects of a group, published once its entries are on disk.
#[derive(Default)]
struct Effects {
    records: Vec<u8>,
    answers: Vec<Answer>,
    txs: Vec<([u8; 32], u64, u32)>,
    keys: Vec<(u32, PublicKey)>,
    closed: Vec<ClosedBatch>,
}

impl Sequencer {
    /// Opens the journal at `journal_path` and replays it. Returns the sequencer and every batch
    /// the journal closed, oldest first.
    pub fn open(
        cfg: SeqConfig,
        journal_path: PathBuf,
        signer: Arc<ReceiptSigner>,
        status: Arc<Status>,
    ) -> Result<(Sequencer, Vec<ClosedBatch>), JournalError> {
        let (journal, entries) = Journal::open(&journal_path)?;
        let mut s = Sequencer {
            cfg,
            journal_path,
            journal,
            signer,
            status,
            accounts: HashMap::new(),
            batch: 0,
            open: Vec::new(),
            withdrawers: BTreeSet::new(),
            batch_start: HashMap::new(),
            batch_credits: HashMap::new(),
            opened_at: None,
            next_deposit_seq: 0,
            deposit_blocked: None,
            poisoned: None,
            #[cfg(test)]
            fail_reload: false,
        };
        let mut fx = Effects::default();
        for (i, e) in entries.into_iter().enumerate() {
            let replayed = match e {
                Entry::Tx(op) => {
                    let hash = crate::wire::tx_hash(&op);
                    hash.and_then(|h| s.apply_submit(op, h, &mut fx, false).map(|_| ()))
                }
                Entry::Deposit { seq, op } => s.apply_deposit(seq, op, &mut fx, false),
                Entry::DepositSkipped { seq } => {
                    s.skip_deposit(seq, &mut fx, false);
                    Ok(())
                }
                Entry::Cut { batch } if batch == s.batch => {
                    s.cut(&mut fx, false);
                    Ok(())
                }
                Entry::Cut { batch } => Err(Rejection::Malformed(format!(
                    "cut of batch {batch} while batch {} is open",
                    s.batch
                ))),
            };
            if let Err(why) = replayed {
                return Err(JournalError::Replay {
                    path: s.journal_path.clone(),
                    index: i,
                    why: why.to_string(),
                });
            }
        }
        if !s.open.is_empty() {
            s.opened_at = Some(Instant::now());
        }
        s.publish(&mut fx);
        Ok((s, fx.closed))
    }

    pub fn open_batch(&self) -> u64 {
        self.batch
    }

    pub fn next_deposit_seq(&self) -> u64 {
        self.next_deposit_seq
    }

    /// The account after every confirmed operation.
    pub fn account(&self, index: u32) -> Account {
        self.accounts.get(&index).copied().unwrap_or(Account::EMPTY)
    }

    /// When the open batch must close by age, if it holds anything.
    pub fn deadline(&self) -> Option<Instant> {
        self.opened_at.map(|t| t + self.cfg.batch_time)
    }

    /// Processes one group at time `now`: returns one answer per [`Input::Submit`] and the
    /// batches that closed.
    pub fn process(&mut self, inputs: Vec<Input>, now: Instant) -> (Vec<Answer>, Vec<ClosedBatch>) {
        if let Some(why) = &self.poisoned {
            let answers = inputs
                .iter()
                .filter(|i| matches!(i, Input::Submit { .. }))
                .map(|_| Err(Rejection::Unavailable(why.clone())))
                .collect();
            return (answers, Vec::new());
        }
        let mut fx = Effects::default();
        if self.deadline().is_some_and(|d| d <= now) {
            self.cut(&mut fx, true);
        }
        let mut submits = 0;
        for input in inputs {
            match input {
                Input::Submit { op, hash } => {
                    submits += 1;
                    let a = self
                        .apply_submit(op, hash, &mut fx, true)
                        .map(|(batch, pos)| self.signer.sign(self.cfg.rollup, &hash, batch, pos));
                    fx.answers.push(a);
                }
                Input::SkipDeposit { seq } => self.skip_deposit(seq, &mut fx, true),
                Input::Deposit { seq, .. } if seq > self.next_deposit_seq => {
                    // The watcher resends the queue's page while a deposit blocks it.
                    tracing::debug!(
                        seq,
                        next = self.next_deposit_seq,
                        "deposit out of order, ignored"
                    );
                }
                Input::Deposit { seq, op } => {
                    if let Err(why) = self.apply_deposit(seq, op, &mut fx, true) {
                        if self.deposit_blocked.is_some() {
                            continue;
                        }
                        tracing::error!(seq, %why, "a deposit no batch can include: deposits stop here until it is rejected on the chain");
                        self.deposit_blocked = Some(format!("deposit {seq}: {why}"));
                    }
                }
            }
        }
        if let Err(e) = self.journal.append(&fx.records) {
            let why = format!("the journal cannot be written: {e}");
            tracing::error!(%why, "group refused; rebuilding from the journal");
            let answers = (0..submits)
                .map(|_| Err(Rejection::Unavailable(why.clone())))
                .collect();
            if let Err(e) = self.reload() {
                let why = format!("the journal cannot be read back after a failed write: {e}");
                self.status.halt(why.clone());
                self.poisoned = Some(why);
            }
            return (answers, Vec::new());
        }
        self.publish(&mut fx);
        (fx.answers, fx.closed)
    }

    /// Closes the open batch now if it holds anything (e.g. at shutdown).
    pub fn flush(&mut self) -> Result<Vec<ClosedBatch>, JournalError> {
        let mut fx = Effects::default();
        if !self.open.is_empty() {
            self.cut(&mut fx, true);
        }
        self.journal.append(&fx.records)?;
        self.publish(&mut fx);
        Ok(fx.closed)
    }

    /// Replaces this sequencer by one rebuilt from the journal (what is on disk is the truth).
    fn reload(&mut self) -> Result<(), JournalError> {
        #[cfg(test)]
        if self.fail_reload {
            return Err(JournalError::Io {
                path: self.journal_path.clone(),
                source: std::io::Error::other("unreadable"),
            });
        }
        let (fresh, _) = Sequencer::open(
            self.cfg.clone(),
            self.journal_path.clone(),
            self.signer.clone(),
            self.status.clone(),
        )?;
        *self = fresh;
        Ok(())
    }

    fn publish(&mut self, fx: &mut Effects) {
        if !fx.keys.is_empty() {
            self.status
                .keys
                .write()
                .expect("keys lock")
                .extend(fx.keys.drain(..));
        }
        if !fx.txs.is_empty() {
            let mut txs = self.status.txs.write().expect("txs lock");
            for (h, b, p) in fx.txs.drain(..) {
                txs.insert(h, (b, p));
            }
        }
        for c in &fx.closed {
            let deposits = c.ops.iter().filter(|o| o.signature().is_none()).count();
            self.status.set_batch(c.index, |r| {
                r.state.get_or_insert(crate::wire::TxState::InBatch);
                r.ops = c.ops.len() as u32;
                r.deposits = deposits as u32;
            });
        }
        self.status.open_batch.store(self.batch, Ordering::Release);
        self.status
            .open_batch_ops
            .store(self.open.len() as u64, Ordering::Release);
        self.status
            .next_deposit_seq
            .store(self.next_deposit_seq, Ordering::Release);
    }

    fn push(&mut self, op: Op, entry: Entry, fx: &mut Effects, journal: bool) -> u32 {
        if journal {
            encode_record(&entry, &mut fx.records);
        }
        if self.open.is_empty() {
            self.opened_at = Some(Instant::now());
        }
        let position = self.open.len() as u32;
        self.open.push(op);
        position
    }

    fn cut(&mut self, fx: &mut Effects, journal: bool) {
        if journal {
            encode_record(&Entry::Cut { batch: self.batch }, &mut fx.records);
        }
        fx.closed.push(ClosedBatch {
            index: self.batch,
            ops: std::mem::take(&mut self.open),
        });
        self.withdrawers.clear();
        self.batch_start.clear();
        self.batch_credits.clear();
        self.opened_at = None;
        self.batch += 1;
    }

    /// Records `index`'s balance before the open batch touches it first.
    fn note(&mut self, index: u32) {
        let before = self.account(index).balance;
        self.batch_start.entry(index).or_insert(before);
    }

    /// Whether crediting `amount` to `index` in the open batch keeps every balance the circuit's
    /// layout can reach within 64 bits.
    fn credit_fits(&self, index: u32, amount: u64) -> bool {
        let start = self
            .batch_start
            .get(&index)
            .copied()
            .unwrap_or(self.account(index).balance);
        let credited = self.batch_credits.get(&index).copied().unwrap_or(0);
        u128::from(start) + credited + u128::from(amount) <= u128::from(u64::MAX)
    }

    /// Live only: on replay, the journaled cuts say where batches end (the size may have been
    /// configured otherwise then).
    fn cut_if_full(&mut self, fx: &mut Effects, journal: bool) {
        if journal && self.open.len() >= self.cfg.batch_size {
            self.cut(fx, journal);
        }
    }

    fn apply_submit(
        &mut self,
        op: Op,
        hash: [u8; 32],
        fx: &mut Effects,
        journal: bool,
    ) -> Result<(u64, u32), Rejection> {
        let p = op.public().map_err(Rejection::NotRepresentable)?;
        let (amount, fee) = match op {
            Op::Transfer { amount, fee, .. } | Op::Withdraw { amount, fee, .. } => (amount, fee),
            Op::Deposit { .. } => {
                return Err(Rejection::Malformed(
                    "deposits come from the chain only".into(),
                ))
            }
        };
        let (_, nonce) = op
            .signature()
            .expect("transfers and withdrawals are signed");
        if journal && fee < self.cfg.min_fee {
            return Err(Rejection::FeeTooLow {
                fee,
                min: self.cfg.min_fee,
            });
        }
        let from = self.account(p.from);
        if from.pubkey.is_empty() {
            return Err(Rejection::UnknownAccount(p.from));
        }
        if nonce != from.nonce {
            return Err(Rejection::BadNonce {
                account: p.from,
                expected: from.nonce,
                got: nonce,
            });
        }
        let needed = u128::from(amount) + u128::from(fee);
        if needed > u128::from(from.balance) {
            return Err(Rejection::InsufficientBalance {
                account: p.from,
                balance: from.balance,
                needed,
            });
        }
        let mut sender = from;
        sender.balance -= needed as u64;
        sender.nonce += 1;
        let transfer = matches!(op, Op::Transfer { .. });
        let credited = if transfer {
            let to = if p.to == p.from {
                sender
            } else {
                self.account(p.to)
            };
            if to.pubkey.is_empty() {
                return Err(Rejection::UnknownRecipient(p.to));
            }
            let balance = to
                .balance
                .checked_add(amount)
                .ok_or(Rejection::BalanceOverflow)?;
            Some(Account { balance, ..to })
        } else {
            None
        };
        // accepted: place it (in the next batch if the circuit's layout of the open one could not
        // take it), then apply
        let reorder_breaks =
            transfer && (self.withdrawers.contains(&p.from) || !self.credit_fits(p.to, amount));
        if journal && reorder_breaks {
            self.cut(fx, journal);
        }
        self.note(p.from);
        if transfer {
            self.note(p.to);
        }
        self.accounts.insert(p.from, sender);
        if let Some(to) = credited {
            self.accounts.insert(p.to, to);
            *self.batch_credits.entry(p.to).or_default() += u128::from(amount);
        } else {
            self.withdrawers.insert(p.from);
        }
        let batch = self.batch;
        let position = self.push(op.clone(), Entry::Tx(op), fx, journal);
        fx.txs.push((hash, batch, position));
        self.cut_if_full(fx, journal);
        // The place only: receipts are signed for live requests, never for a replay.
        Ok((batch, position))
    }

    fn skip_deposit(&mut self, seq: u64, fx: &mut Effects, journal: bool) {
        if seq != self.next_deposit_seq {
            return; // not the one the queue waits on (seen twice, or not yet)
        }
        if journal {
            encode_record(&Entry::DepositSkipped { seq }, &mut fx.records);
        }
        tracing::warn!(
            seq,
            "deposit left the queue without a batch; taking the next"
        );
        self.next_deposit_seq += 1;
        self.deposit_blocked = None;
    }

    fn apply_deposit(
        &mut self,
        seq: u64,
        op: Op,
        fx: &mut Effects,
        journal: bool,
    ) -> Result<(), Rejection> {
        if seq < self.next_deposit_seq {
            return Ok(()); // taken already (the watcher saw it twice)
        }
        if let Some(why) = &self.deposit_blocked {
            return Err(Rejection::Unavailable(why.clone()));
        }
        if seq != self.next_deposit_seq {
            return Err(Rejection::Malformed(format!(
                "deposit {seq} before deposit {}",
                self.next_deposit_seq
            )));
        }
        let Op::Deposit { to, pubkey, amount } = op else {
            return Err(Rejection::Malformed("not a deposit".into()));
        };
        if to >= CAPACITY {
            return Err(Rejection::NotRepresentable(
                proof_zk::OpError::IndexOutOfRange(to),
            ));
        }
        op.public().map_err(Rejection::NotRepresentable)?;
        let mut a = self.account(to);
        if !a.pubkey.is_empty() && a.pubkey != pubkey {
            return Err(Rejection::Malformed(format!(
                "account {to} holds another key"
            )));
        }
        a.balance = a
            .balance
            .checked_add(amount)
            .ok_or(Rejection::BalanceOverflow)?;
        if a.pubkey.is_empty() {
            a.pubkey = pubkey;
            fx.keys.push((to, pubkey));
        }
        if journal && !self.open.is_empty() && !self.credit_fits(to, amount) {
            self.cut(fx, journal);
        }
        self.note(to);
        *self.batch_credits.entry(to).or_default() += u128::from(amount);
        self.accounts.insert(to, a);
        self.next_deposit_seq += 1;
        self.push(op.clone(), Entry::Deposit { seq, op }, fx, journal);
        self.cut_if_full(fx, journal);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::Batcher;
    use proof_zk::{RollupId, SecretKey, F};

    const R: u32 = 4;

    struct Fixture {
        dir: tempfile::TempDir,
        status: Arc<Status>,
        signer: Arc<ReceiptSigner>,
    }

    fn cfg(batch_size: usize) -> SeqConfig {
        SeqConfig {
            rollup: R,
            batch_size,
            batch_time: Duration::from_secs(3600),
            min_fee: 1,
        }
    }

    impl Fixture {
        fn new() -> Fixture {
            Fixture {
                dir: tempfile::tempdir().unwrap(),
                status: Arc::new(Status::default()),
                signer: Arc::new(ReceiptSigner::new(ed25519_dalek::SigningKey::from_bytes(
                    &[5; 32],
                ))),
            }
        }
        fn open(&self, batch_size: usize) -> (Sequencer, Vec<ClosedBatch>) {
            Sequencer::open(
                cfg(batch_size),
                self.dir.path().join("journal"),
                self.signer.clone(),
                self.status.clone(),
            )
            .unwrap()
        }
    }

    fn key(i: u8) -> SecretKey {
        SecretKey::from_seed(&[i; 32])
    }

    fn deposit(seq: u64, to: u32, amount: u64) -> Input {
        Input::Deposit {
            seq,
            op: Op::Deposit {
                to,
                pubkey: key(to as u8).public_key(),
                amount,
            },
        }
    }

    fn submit(op: Op) -> Input {
        let hash = crate::wire::tx_hash(&op).unwrap();
        Input::Submit { op, hash }
    }

    fn transfer(from: u32, to: u32, amount: u64, fee: u64, nonce: u64) -> Input {
        submit(Op::transfer(&key(from as u8), RollupId(R), from, to, amount, fee, nonce).unwrap())
    }

    fn withdraw(from: u32, amount: u64, nonce: u64) -> Input {
        submit(
            Op::withdraw(
                &key(from as u8),
                RollupId(R),
                from,
                amount,
                1,
                nonce,
                F::from(77u64),
            )
            .unwrap(),
        )
    }

    fn run(s: &mut Sequencer, inputs: Vec<Input>) -> (Vec<Answer>, Vec<ClosedBatch>) {
        s.process(inputs, Instant::now())
    }

    #[test]
    fn each_refusal_has_its_reason_and_leaves_no_trace() {
        let f = Fixture::new();
        let (mut s, _) = f.open(100);
        run(&mut s, vec![deposit(0, 1, 100), deposit(1, 2, 5)]);
        let journal_len = std::fs::metadata(f.dir.path().join("journal"))
            .unwrap()
            .len();
        let (answers, _) = run(
            &mut s,
            vec![
                transfer(3, 1, 1, 1, 0),   // sender never keyed
                transfer(1, 2, 10, 1, 1),  // nonce ahead
                transfer(1, 2, 100, 1, 0), // 101 > 100
                transfer(1, 2, 10, 0, 0),  // fee below the minimum
                transfer(1, 9, 10, 1, 0),  // recipient never keyed
            ],
        );
        let codes: Vec<_> = answers
            .iter()
            .map(|a| a.as_ref().unwrap_err().code())
            .collect();
        assert_eq!(
            codes,
            [
                "unknown_account",
                "bad_nonce",
                "insufficient_balance",
                "fee_too_low",
                "unknown_recipient"
            ]
        );
        assert_eq!(
            std::fs::metadata(f.dir.path().join("journal"))
                .unwrap()
                .len(),
            journal_len,
            "nothing refused is journaled"
        );
        assert_eq!(s.account(1).balance, 100);
        assert_eq!(s.account(1).nonce, 0);
        // a forged signature is caught before the sequencer
        let forged = Op::transfer(&key(2), RollupId(R), 1, 2, 10, 1, 0).unwrap();
        assert_eq!(
            crate::sigcheck::check_now(&f.status, R, &forged)
                .unwrap_err()
                .code(),
            "bad_signature"
        );
        let other_rollup = Op::transfer(&key(1), RollupId(R + 1), 1, 2, 10, 1, 0).unwrap();
        assert!(crate::sigcheck::check_now(&f.status, R, &other_rollup).is_err());
        let good = Op::transfer(&key(1), RollupId(R), 1, 2, 10, 1, 0).unwrap();
        crate::sigcheck::check_now(&f.status, R, &good).unwrap();
    }

    #[test]
    fn receipts_name_their_place_and_a_restart_replays_the_same_order() {
        let f = Fixture::new();
        let (mut s, _) = f.open(4);
        let (_, closed) = run(&mut s, vec![deposit(0, 1, 1000), deposit(1, 2, 10)]);
        assert!(closed.is_empty());
        let (answers, closed) = run(
            &mut s,
            vec![
                transfer(1, 2, 100, 1, 0),
                transfer(1, 2, 5, 1, 1),
                transfer(2, 1, 3, 1, 0),
            ],
        );
        let receipts: Vec<Receipt> = answers.into_iter().map(Result::unwrap).collect();
        let places: Vec<_> = receipts.iter().map(|r| (r.batch, r.position)).collect();
        assert_eq!(
            places,
            [(0, 2), (0, 3), (1, 0)],
            "batch 0 closed at 4 operations"
        );
        assert!(receipts.iter().all(|r| r.verify(f.signer.public_hex())));
        assert_eq!(closed.len(), 1);
        assert_eq!(closed[0].ops.len(), 4);
        let txs_before = f.status.txs.read().unwrap().clone();
        let account_before = (s.account(1), s.account(2));
        // the process dies without a word: the journal is all there is
        drop(s);
        let f2 = Fixture {
            dir: f.dir,
            status: Arc::new(Status::default()),
            signer: f.signer.clone(),
        };
        let (mut s, closed_again) = f2.open(4);
        assert_eq!(closed_again, closed, "the same batches, the same order");
        assert_eq!((s.account(1), s.account(2)), account_before);
        assert_eq!(*f2.status.txs.read().unwrap(), txs_before);
        assert_eq!(s.open_batch(), 1);
        assert_eq!(s.next_deposit_seq(), 2);
        // the open batch goes on where it was
        let (answers, _) = run(&mut s, vec![transfer(2, 1, 1, 1, 1), deposit(1, 2, 10)]);
        assert_eq!(answers[0].as_ref().unwrap().position, 1);
        assert_eq!(
            s.next_deposit_seq(),
            2,
            "a deposit seen twice is taken once"
        );
    }

    #[test]
    fn a_transfer_after_its_senders_withdrawal_opens_a_new_batch_and_every_batch_builds() {
        let f = Fixture::new();
        let (mut s, _) = f.open(100);
        run(&mut s, vec![deposit(0, 1, 1000), deposit(1, 2, 10)]);
        let (answers, closed) = run(
            &mut s,
            vec![
                withdraw(1, 50, 0),
                transfer(2, 1, 5, 1, 0), // into the withdrawer: no cut
                withdraw(2, 1, 1),
                deposit(2, 3, 7),        // laid out first by the circuit
                transfer(1, 2, 5, 1, 1), // from a withdrawer: batch 0 closes first
            ],
        );
        let places: Vec<_> = answers
            .iter()
            .map(|a| {
                let r = a.as_ref().unwrap();
                (r.batch, r.position)
            })
            .collect();
        assert_eq!(places, [(0, 2), (0, 3), (0, 4), (1, 0)]);
        assert_eq!(closed.len(), 1);
        let flushed = s.flush().unwrap();
        // both batches build in circuit order on the native rules, and end where the sequencer is
        let mut b = Batcher::new(R, 2);
        for c in closed.iter().chain(&flushed) {
            b.build(c).unwrap();
        }
        for i in 1..=3 {
            assert_eq!(b.tree().get(i), s.account(i), "account {i}");
        }
    }

    #[test]
    fn a_credit_the_circuit_would_apply_before_a_debit_goes_to_the_next_batch_if_it_could_overflow()
    {
        let f = Fixture::new();
        let (mut s, _) = f.open(100);
        let big = 18_000_000_000_000_000_000; // u64::MAX is ~18.45e18
        let (_, closed) = run(
            &mut s,
            vec![
                deposit(0, 1, big),
                deposit(1, 2, 10),
                withdraw(1, 1_000_000_000_000_000_000, 0),
                // fits after the withdrawal, but the circuit credits deposits first
                deposit(2, 1, 1_000_000_000_000_000_000),
            ],
        );
        assert_eq!(closed.len(), 1, "the second deposit opened batch 1");
        assert_eq!(closed[0].ops.len(), 3);
        let flushed = s.flush().unwrap();
        let mut b = Batcher::new(R, 2);
        for c in closed.iter().chain(&flushed) {
            b.build(c).unwrap();
        }
        assert_eq!(b.tree().get(1), s.account(1));
    }

    #[test]
    fn an_old_open_batch_closes_on_the_next_group() {
        let f = Fixture::new();
        let (mut s, _) = f.open(100);
        run(&mut s, vec![deposit(0, 1, 1000)]);
        let due = s.deadline().unwrap();
        let (_, closed) = s.process(vec![], due);
        assert_eq!(closed.len(), 1);
        assert_eq!(s.deadline(), None, "an empty batch never closes by age");
        assert_eq!(
            s.process(vec![], due + Duration::from_secs(7200)).1.len(),
            0
        );
    }

    #[test]
    fn a_deposit_no_batch_can_include_blocks_the_queue_until_the_chain_drops_it() {
        let f = Fixture::new();
        let (mut s, _) = f.open(100);
        run(&mut s, vec![deposit(0, 1, 18_000_000_000_000_000_000)]);
        // would overflow account 1: deposits stop there
        run(
            &mut s,
            vec![deposit(1, 1, 1_000_000_000_000_000_000), deposit(2, 2, 7)],
        );
        assert_eq!(s.next_deposit_seq(), 1);
        assert_eq!(s.account(2).balance, 0);
        // the chain rejected deposit 1 (xx refunded it): the queue moves on
        run(
            &mut s,
            vec![Input::SkipDeposit { seq: 1 }, deposit(2, 2, 7)],
        );
        assert_eq!(s.next_deposit_seq(), 3);
        assert_eq!(s.account(2).balance, 7);
        drop(s);
        let (s, _) = f.open(100);
        assert_eq!(
            (s.next_deposit_seq(), s.account(2).balance),
            (3, 7),
            "the skip is journaled"
        );
    }

    #[test]
    fn a_failed_write_that_cannot_be_undone_stops_the_sequencer_cold() {
        let f = Fixture::new();
        let (mut s, _) = f.open(100);
        run(&mut s, vec![deposit(0, 1, 1000), deposit(1, 2, 10)]);
        s.journal.fail_next = true;
        s.fail_reload = true;
        let (answers, _) = run(&mut s, vec![transfer(1, 2, 5, 1, 0)]);
        assert_eq!(answers[0].as_ref().unwrap_err().code(), "unavailable");
        assert!(f.status.halted().is_some());
        // nothing more is taken, cut or written, though the disk works again
        let len = std::fs::metadata(f.dir.path().join("journal"))
            .unwrap()
            .len();
        let later = s
            .deadline()
            .map(|d| d + Duration::from_secs(1))
            .unwrap_or_else(Instant::now);
        let (answers, closed) = s.process(vec![transfer(1, 2, 5, 1, 1), deposit(2, 3, 1)], later);
        assert_eq!(answers[0].as_ref().unwrap_err().code(), "unavailable");
        assert!(closed.is_empty());
        assert_eq!(
            std::fs::metadata(f.dir.path().join("journal"))
                .unwrap()
                .len(),
            len
        );
    }

    #[test]
    fn a_full_disk_refuses_the_group_and_loses_nothing_confirmed_before() {
        let f = Fixture::new();
        let (mut s, _) = f.open(100);
        run(&mut s, vec![deposit(0, 1, 1000), deposit(1, 2, 10)]);
        let (ok, _) = run(&mut s, vec![transfer(1, 2, 100, 1, 0)]);
        assert!(ok[0].is_ok());
        s.journal.fail_next = true;
        let (answers, closed) = run(&mut s, vec![transfer(1, 2, 5, 1, 1), deposit(2, 3, 9)]);
        assert_eq!(answers[0].as_ref().unwrap_err().code(), "unavailable");
        assert!(closed.is_empty());
        // the state is what the journal holds: the refused transfer and deposit are not in it
        assert_eq!(s.account(1).nonce, 1);
        assert_eq!(s.account(1).balance, 899);
        assert_eq!(s.next_deposit_seq(), 2);
        assert!(f.status.key(3).is_none());
        // the same transfer goes through once the disk has room again
        let (answers, _) = run(&mut s, vec![transfer(1, 2, 5, 1, 1), deposit(2, 3, 9)]);
        assert_eq!(answers[0].as_ref().unwrap().position, 3);
        drop(s);
        let (s, _) = f.open(100);
        assert_eq!(s.account(1).nonce, 2);
        assert_eq!(s.account(3).balance, 9);
    }
}
