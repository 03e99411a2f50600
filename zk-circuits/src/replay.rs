//! Rebuilding a rollup's state from its published data alone (data availability): each verified
//! batch's bytes, applied in order from the empty tree, give the tree the proofs attest to. Anyone
//! can do it from the chain, with no operator database: that is what lets a user build an exit
//! proof when the operator is gone.
//!
//! The rules are the circuit's, for operations the circuit accepted: a deposit credits its account
//! (keying it if empty), a transfer or withdrawal debits amount + fee from the sender and bumps its
//! nonce, a transfer credits the receiver. Fees leave the rollup (the chain pays them to the
//! operator when the batch is verified). Data that breaks a rule cannot have verified, so it is an
//! error here, never silently applied.

use crate::error::ZkError;
use crate::ops::{BatchData, PublicOp, KIND_DEPOSIT, KIND_TRANSFER, KIND_WITHDRAW};
use crate::schnorr::PublicKey;
use crate::tree::{AccountTree, CAPACITY};

fn bad(what: &'static str) -> ZkError {
    ZkError::Encoding(what)
}

/// Applies one published operation to `tree`.
pub fn apply_public(tree: &mut AccountTree, op: &PublicOp) -> Result<(), ZkError> {
    let amount = op.amount().ok_or(bad("amount"))?;
    let fee = op.fee().ok_or(bad("fee"))?;
    if op.from >= CAPACITY || op.to >= CAPACITY {
        return Err(bad("account index outside the tree"));
    }
    match op.kind {
        KIND_DEPOSIT => {
            let mut a = tree.get(op.to);
            let key = PublicKey {
                x: op.extra[0],
                y: op.extra[1],
            };
            if a.pubkey.is_empty() {
                a.pubkey = key;
            } else if a.pubkey != key {
                return Err(bad("deposit to an account keyed otherwise"));
            }
            a.balance = a
                .balance
                .checked_add(amount)
                .ok_or(bad("balance overflow"))?;
            tree.set(op.to, a);
        }
        KIND_TRANSFER | KIND_WITHDRAW => {
            let mut from = tree.get(op.from);
            let debit = amount.checked_add(fee).ok_or(bad("amount + fee"))?;
            from.balance = from.balance.checked_sub(debit).ok_or(bad("overdraft"))?;
            from.nonce += 1;
            tree.set(op.from, from);
            if op.kind == KIND_TRANSFER {
                let mut to = tree.get(op.to);
                if to.pubkey.is_empty() {
                    return Err(bad("transfer to an account with no key"));
                }
                to.balance = to
                    .balance
                    .checked_add(amount)
                    .ok_or(bad("balance overflow"))?;
                tree.set(op.to, to);
            }
        }
        _ => return Err(bad("operation kind")),
    }
    Ok(())
}

/// Applies a batch's published bytes to `tree` (all or nothing). What a failing batch changed
/// is put back from an undo log of the accounts it touched: the cost is the batch's, never the
/// tree's (no copy of the whole state per batch).
pub fn apply_batch(tree: &mut AccountTree, data: &[u8]) -> Result<(), ZkError> {
    apply_data(tree, &BatchData::decode(data)?)
}

/// [`apply_batch`] on an already decoded batch.
pub fn apply_data(tree: &mut AccountTree, batch: &BatchData) -> Result<(), ZkError> {
    let mut undo: Vec<(u32, crate::tree::Account)> = Vec::with_capacity(2 * batch.ops.len());
    for op in &batch.ops {
        for i in [op.from, op.to] {
            if i < CAPACITY {
                undo.push((i, tree.get(i)));
            }
        }
        if let Err(e) = apply_public(tree, op) {
            for (i, a) in undo.into_iter().rev() {
                tree.set(i, a);
            }
            return Err(e);
        }
    }
    Ok(())
}

/// The state after `batches` (each one's published bytes, in order) from the empty tree.
pub fn replay<'a>(batches: impl IntoIterator<Item = &'a [u8]>) -> Result<AccountTree, ZkError> {
    let mut tree = AccountTree::new();
    for data in batches {
        apply_batch(&mut tree, data)?;
    }
    Ok(tree)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::{Op, RollupId};
    use crate::prover::build_steps;
    use crate::schnorr::SecretKey;
    use crate::F;

    #[test]
    fn replaying_published_data_rebuilds_the_provers_state() {
        let r = RollupId(3);
        let (a, b) = (
            SecretKey::from_seed(&[1; 32]),
            SecretKey::from_seed(&[2; 32]),
        );
        let mut prover = AccountTree::new();
        let first = vec![
            Op::Deposit {
                to: 1,
                pubkey: a.public_key(),
                amount: 1_000,
            },
            Op::Deposit {
                to: 9,
                pubkey: b.public_key(),
                amount: 5,
            },
            Op::transfer(&a, r, 1, 9, 300, 2, 0).unwrap(),
        ];
        let (_, d1) = build_steps(2, r, &mut prover, &first).unwrap();
        let second = vec![
            Op::Deposit {
                to: 1,
                pubkey: a.public_key(),
                amount: 7,
            },
            Op::transfer(&b, r, 9, 1, 100, 1, 0).unwrap(),
            Op::withdraw(&a, r, 1, 50, 3, 1, F::from(77u64)).unwrap(),
        ];
        let (_, d2) = build_steps(2, r, &mut prover, &second).unwrap();
        let (d1, d2) = (d1.encode(), d2.encode());
        let tree = replay([d1.as_slice(), d2.as_slice()]).unwrap();
        assert_eq!(tree.root(), prover.root());
        assert_eq!(tree.get(1).balance, 1_000 - 302 + 7 + 100 - 53);
        assert_eq!(tree.get(1).nonce, 2);
        // out of order, the data does not apply (9 sends before it has the funds)
        assert!(replay([d2.as_slice(), d1.as_slice()]).is_err());
        // a batch that breaks a rule leaves the tree as it was
        let mut t = replay([d1.as_slice()]).unwrap();
        let before = t.root();
        let overdraw =
            crate::ops::BatchData::from_ops(&[Op::transfer(&b, r, 9, 1, 10_000, 0, 1).unwrap()])
                .unwrap();
        assert!(apply_batch(&mut t, &overdraw.encode()).is_err());
        assert_eq!(t.root(), before);
        // ... also when operations before the bad one applied (they are undone)
        let (a1, a9) = (t.get(1), t.get(9));
        let partly = crate::ops::BatchData::from_ops(&[
            Op::Deposit {
                to: 4,
                pubkey: b.public_key(),
                amount: 3,
            },
            Op::transfer(&a, r, 1, 9, 10, 1, 1).unwrap(),
            Op::transfer(&b, r, 9, 1, 10_000, 0, 1).unwrap(),
        ])
        .unwrap();
        assert!(apply_batch(&mut t, &partly.encode()).is_err());
        assert_eq!(t.root(), before);
        assert_eq!(
            (t.get(1), t.get(9), t.get(4)),
            (a1, a9, crate::tree::Account::EMPTY)
        );
        assert_eq!(t.len(), 2, "the new account is gone again");
    }
}
