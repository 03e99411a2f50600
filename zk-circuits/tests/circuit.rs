//! Constraint-level soundness: for each attack, the native prover refuses the batch, and a
//! witness built without the native checks does not satisfy the circuit, so no proof of it can
//! verify. One slot per step keeps these fast.

use proof_zk::circuit::{
    check_step, initial_z, RollupStep, SlotWitness, Z_ACC, Z_COUNT, Z_FEES, Z_ROLLUP,
};
use proof_zk::ops::{PublicOp, KIND_NOOP};
use proof_zk::prover::build_steps;
use proof_zk::tree::{root_of_top, TOP_NODES};
use proof_zk::{AccountTree, Op, OpError, RollupId, SecretKey, ZkError, F};

const ALICE: u32 = 1;
const BOB: u32 = 2;
const ROLLUP: RollupId = RollupId(1);

fn keys() -> (SecretKey, SecretKey) {
    (
        SecretKey::from_seed(&[1; 32]),
        SecretKey::from_seed(&[2; 32]),
    )
}

/// Alice (index 1) with 1 000 000, Bob (index 2) with 50.
fn setup() -> AccountTree {
    let (a, b) = keys();
    let mut t = AccountTree::new();
    let ops = [
        Op::Deposit {
            to: ALICE,
            pubkey: a.public_key(),
            amount: 1_000_000,
        },
        Op::Deposit {
            to: BOB,
            pubkey: b.public_key(),
            amount: 50,
        },
    ];
    build_steps(1, ROLLUP, &mut t, &ops).unwrap();
    t
}

fn z(t: &AccountTree) -> Vec<F> {
    initial_z(t, ROLLUP)
}

/// A witness for `op` applied to `t` without native checks.
fn unchecked(t: &AccountTree, op: &Op) -> RollupStep {
    let mut w = t.clone();
    let p = op.public().unwrap();
    RollupStep {
        slots: vec![SlotWitness::apply(
            &mut w,
            ROLLUP,
            &p,
            op.signature().map(|s| s.0),
        )],
    }
}

fn satisfied(t: &AccountTree, step: &RollupStep) -> bool {
    check_step(step, &z(t)).0
}

fn op_error(t: &AccountTree, op: Op) -> OpError {
    match build_steps(1, ROLLUP, &mut t.clone(), &[op]) {
        Err(ZkError::Op { source, .. }) => source,
        other => panic!("expected an op error, got {other:?}"),
    }
}

#[test]
fn valid_operations_satisfy_and_match_native_state() {
    let (a, _) = keys();
    let mut t = setup();
    let start = t.clone();
    let ops = [
        Op::transfer(&a, ROLLUP, ALICE, BOB, 1_000, 7, 0).unwrap(),
        Op::transfer(&a, ROLLUP, ALICE, BOB, 20, 0, 1).unwrap(),
        Op::withdraw(&a, ROLLUP, ALICE, 500, 1, 2, F::from(0xfeedu64)).unwrap(),
    ];
    let (steps, data) = build_steps(1, ROLLUP, &mut t, &ops).unwrap();
    let mut zi = z(&start);
    let mut constraints = 0;
    for s in &steps {
        let (ok, n, out) = check_step(s, &zi);
        assert!(ok, "valid step unsatisfied");
        constraints = n;
        zi = out.unwrap();
    }
    assert_eq!(root_of_top(&zi[..TOP_NODES]), Some(t.root()));
    assert_eq!(zi[Z_ACC], data.data_hash());
    assert_eq!(zi[Z_COUNT], F::from(3u64));
    assert_eq!(zi[Z_FEES], F::from(8u64));
    assert_eq!(t.get(ALICE).balance, 1_000_000 - 1_007 - 20 - 501);
    assert_eq!(t.get(ALICE).nonce, 3);
    assert_eq!(t.get(BOB).balance, 1_070);
    eprintln!("constraints per slot (incl. 4 z allocations): {constraints}");
    assert!(
        constraints > 10_000 && constraints < 40_000,
        "{constraints}"
    );
}

#[test]
fn noop_padding_changes_nothing() {
    let mut t = setup();
    let mut zin = z(&t);
    zin[Z_ACC..Z_ROLLUP].copy_from_slice(&[F::from(5u64), F::from(2u64), F::from(9u64)]);
    let step = RollupStep {
        slots: vec![SlotWitness::noop(&mut t, ROLLUP)],
    };
    assert_eq!(step.slots[0].op.kind, KIND_NOOP);
    let (ok, _, out) = check_step(&step, &zin);
    assert!(ok);
    assert_eq!(out.unwrap(), zin);
}

#[test]
fn bad_signature_is_rejected() {
    let (a, b) = keys();
    let t = setup();
    // Bob signs a transfer out of Alice's account.
    let forged = Op::transfer(&b, ROLLUP, ALICE, BOB, 10, 0, 0).unwrap();
    assert_eq!(op_error(&t, forged.clone()), OpError::BadSignature);
    assert!(!satisfied(&t, &unchecked(&t, &forged)));
    // A valid signature with a perturbed response.
    let mut step = unchecked(&t, &Op::transfer(&a, ROLLUP, ALICE, BOB, 10, 0, 0).unwrap());
    assert!(satisfied(&t, &step));
    step.slots[0].sig.s += proof_zk::Fr::from(1u64);
    assert!(!satisfied(&t, &step));
}

#[test]
fn overdraft_is_rejected() {
    let (_, b) = keys();
    let t = setup();
    let op = Op::transfer(&b, ROLLUP, BOB, ALICE, 51, 0, 0).unwrap();
    assert!(matches!(
        op_error(&t, op.clone()),
        OpError::InsufficientBalance { .. }
    ));
    assert!(!satisfied(&t, &unchecked(&t, &op)));
    // the fee counts too
    let op = Op::transfer(&b, ROLLUP, BOB, ALICE, 50, 1, 0).unwrap();
    assert!(matches!(
        op_error(&t, op.clone()),
        OpError::InsufficientBalance { .. }
    ));
    assert!(!satisfied(&t, &unchecked(&t, &op)));
    // exactly the balance is fine
    let op = Op::transfer(&b, ROLLUP, BOB, ALICE, 49, 1, 0).unwrap();
    assert!(satisfied(&t, &unchecked(&t, &op)));
}

#[test]
fn replayed_nonce_is_rejected() {
    let (a, _) = keys();
    let mut t = setup();
    let op = Op::transfer(&a, ROLLUP, ALICE, BOB, 10, 0, 0).unwrap();
    build_steps(1, ROLLUP, &mut t, std::slice::from_ref(&op)).unwrap();
    assert_eq!(
        op_error(&t, op.clone()),
        OpError::BadNonce {
            expected: 1,
            got: 0
        }
    );
    assert!(!satisfied(&t, &unchecked(&t, &op)));
}

#[test]
fn signature_from_another_rollup_is_rejected() {
    let (a, _) = keys();
    let t = setup();
    // Alice signed this transfer for rollup 2, where she has the same key and nonce.
    let other = Op::transfer(&a, RollupId(2), ALICE, BOB, 10, 0, 0).unwrap();
    assert_eq!(op_error(&t, other.clone()), OpError::BadSignature);
    assert!(!satisfied(&t, &unchecked(&t, &other)));
    // the same witness in the state of rollup 2 satisfies: the id is what differs
    assert!(check_step(&unchecked(&t, &other), &initial_z(&t, RollupId(2))).0);
}

#[test]
fn wrong_old_root_is_rejected() {
    let (a, _) = keys();
    let t = setup();
    let step = unchecked(&t, &Op::transfer(&a, ROLLUP, ALICE, BOB, 10, 0, 0).unwrap());
    assert!(satisfied(&t, &step));
    // the top node above both accounts, and one that is not above them
    let mut zin = z(&t);
    zin[0] += F::from(1u64);
    assert!(!check_step(&step, &zin).0);
    let mut zin = z(&t);
    zin[TOP_NODES - 1] += F::from(1u64);
    assert!(check_step(&step, &zin).0);
}

#[test]
fn tampered_public_data_is_rejected() {
    let (a, _) = keys();
    let t = setup();
    let good = unchecked(&t, &Op::transfer(&a, ROLLUP, ALICE, BOB, 10, 0, 0).unwrap());
    // the operator changes the published amount, recipient or fee of a signed transfer
    let tamper = |f: &dyn Fn(&mut PublicOp)| {
        let mut s = good.clone();
        f(&mut s.slots[0].op);
        assert!(!satisfied(&t, &s));
    };
    tamper(&|o| o.amount_packed += 1);
    tamper(&|o| o.to = ALICE);
    tamper(&|o| o.fee_packed = 1);
    // ... or hides a signed transfer as a padding no-op that still moves money
    tamper(&|o| o.kind = KIND_NOOP);
    // a withdrawal's recipient is signed
    let w = unchecked(
        &t,
        &Op::withdraw(&a, ROLLUP, ALICE, 5, 0, 0, F::from(7u64)).unwrap(),
    );
    assert!(satisfied(&t, &w));
    let mut s = w.clone();
    s.slots[0].op.extra[0] = F::from(8u64);
    assert!(!satisfied(&t, &s));
}

#[test]
fn deposit_cannot_take_over_an_account() {
    let (_, b) = keys();
    let t = setup();
    let op = Op::Deposit {
        to: ALICE,
        pubkey: b.public_key(),
        amount: 1,
    };
    assert_eq!(op_error(&t, op.clone()), OpError::PubkeyMismatch);
    assert!(!satisfied(&t, &unchecked(&t, &op)));
}

#[test]
fn receiver_overflow_is_rejected() {
    let (a, _) = keys();
    let mut t = setup();
    let big = 18_000_000_000_000_000_000u64; // 18·10^18, packable, near u64::MAX
    build_steps(
        1,
        ROLLUP,
        &mut t,
        &[Op::Deposit {
            to: BOB,
            pubkey: keys().1.public_key(),
            amount: big,
        }],
    )
    .unwrap();
    let op = Op::Deposit {
        to: BOB,
        pubkey: keys().1.public_key(),
        amount: big,
    };
    assert_eq!(op_error(&t, op.clone()), OpError::BalanceOverflow);
    assert!(!satisfied(&t, &unchecked(&t, &op)));
    let _ = a;
}

#[test]
fn transfer_to_keyless_account_is_rejected() {
    let (a, _) = keys();
    let t = setup();
    let op = Op::transfer(&a, ROLLUP, ALICE, 3, 10, 0, 0).unwrap();
    assert_eq!(op_error(&t, op.clone()), OpError::EmptyReceiver(3));
    assert!(!satisfied(&t, &unchecked(&t, &op)));
}
