//! Rollups on the chain, in process, with real Nova proofs: the rollup-verifier and xx system
//! contracts, the chain's native verifier (`proof_zk_*` imports), deposits, a proven batch of
//! transfers and a withdrawal paid on verification, refused batches (forged proof, tampered
//! data, a stale start root) that change nothing, and the block's verification room.

mod common;

use common::wasm::{
    artifact, attr, contract_of, execute_msg, instantiate_msg, run, setup, smart, store_msg, User,
};
use common::App;
use proof_sdk::{Address, Coin};
use proof_zk::{
    f_to_bytes, prove_batch, AccountTree, BatchProof, Op, RollupId, SecretKey, ZkParams, F,
};
use rollup_msgs::verifier::{RollupInfo, EMPTY_ROOT};
use rollup_msgs::xx::RollupBalance;
use rollup_msgs::{Base64, Hex32};
use serde_json::{json, Value};
use sha2::Digest;

/// The step size of the test rollup (the zk crate's tests use the same, so CI derives its
/// parameters once).
const K: u32 = 2;
const GAS: u64 = 45_000_000;
/// Blocks without a batch (or a deposit left out) before anyone may freeze a rollup.
const LIVENESS: u64 = 5;

fn params() -> &'static ZkParams {
    static P: std::sync::OnceLock<ZkParams> = std::sync::OnceLock::new();
    P.get_or_init(|| {
        // The node's keys come from the same cache the prover fills.
        proof_chain::modules::zk::keys::init(&common::zk_dir());
        ZkParams::load_or_generate(&common::zk_dir(), K as usize).unwrap()
    })
}

fn hex32(x: &F) -> Hex32 {
    Hex32(f_to_bytes(x))
}

struct Chain {
    app: App,
    gov: User,
    user: User,
    verifier: Address,
    xx: Address,
}

fn exec(
    c: &mut Chain,
    as_gov: bool,
    contract: &Address,
    msg: Value,
    funds: &[Coin],
) -> tendermint::abci::types::ExecTxResult {
    let who = if as_gov { &mut c.gov } else { &mut c.user };
    let m = execute_msg(&who.addr(), contract, msg, funds);
    let tx = who.tx(vec![m], GAS);
    run(&mut c.app, tx)
}

fn deploy() -> Chain {
    let (mut app, mut gov, user) = setup();
    let mut ids = vec![];
    for name in ["rollup_verifier", "xx"] {
        let tx = gov.tx(vec![store_msg(&gov.addr(), artifact(name))], 30_000_000);
        let r = run(&mut app, tx);
        assert!(r.code.is_ok(), "store {name}: {}", r.log);
        ids.push(
            attr(&r, "store_code", "code_id")
                .unwrap()
                .parse::<u64>()
                .unwrap(),
        );
    }
    let init = json!({"governance": gov.addr().to_string(), "operator_bond": "1000",
        "bond_denom": "uxyz", "liveness_blocks": LIVENESS});
    let tx = gov.tx(
        vec![instantiate_msg(&gov.addr(), ids[0], init, &[])],
        5_000_000,
    );
    let verifier = contract_of(&run(&mut app, tx));
    // xx offers itself to the verifier when it is instantiated; one account created both, so
    // the verifier adopts it (no governance step at deployment)
    let init =
        json!({"verifier": verifier.to_string(), "denom": "uxyz", "inclusion_blocks": LIVENESS});
    let tx = gov.tx(
        vec![instantiate_msg(&gov.addr(), ids[1], init, &[])],
        5_000_000,
    );
    let r = run(&mut app, tx);
    assert!(r.code.is_ok(), "{}", r.log);
    let xx = contract_of(&r);
    let c = Chain {
        app,
        gov,
        user,
        verifier,
        xx,
    };
    let cfg = smart(&c.app, &c.verifier, json!({"config": {}})).unwrap();
    assert_eq!(cfg["settlement"], c.xx.to_string());
    c
}

/// A deposit that sets account `to`'s key to `key`'s, with the key's proof of possession for
/// `depositor`.
fn deposit_msg(key: &SecretKey, rollup: u32, to: u32, depositor: &Address) -> Value {
    let pk = key.public_key();
    let (word, extra) = proof_zk::schnorr::key_possession_message(rollup, to, depositor.as_bytes());
    let proof = key.sign(word, extra).to_bytes().to_vec();
    json!({"deposit": {"rollup": rollup, "to": to, "pubkey_x": hex32(&pk.x),
        "pubkey_y": hex32(&pk.y), "key_proof": Base64(proof)}})
}

fn rollup(c: &Chain, id: u32) -> RollupInfo {
    serde_json::from_value(smart(&c.app, &c.verifier, json!({"rollup": {"id": id}})).unwrap())
        .unwrap()
}

fn shard(c: &Chain, id: u32) -> RollupBalance {
    serde_json::from_value(smart(&c.app, &c.xx, json!({"rollup": {"rollup": id}})).unwrap())
        .unwrap()
}

fn submit(
    c: &mut Chain,
    id: u32,
    bp: &BatchProof,
    data: &[u8],
    proof: &[u8],
) -> tendermint::abci::types::ExecTxResult {
    let v = c.verifier.clone();
    let msg = json!({"submit_batch": {"rollup": id, "new_root": hex32(&bp.new_root),
        "data": Base64(data.to_vec()), "proof": Base64(proof.to_vec())}});
    exec(c, true, &v, msg, &[])
}

#[test]
fn the_empty_root_and_field_the_contracts_assume_are_the_circuits() {
    assert_eq!(EMPTY_ROOT, hex32(&AccountTree::new().root()));
    // the contracts' canonical-field check agrees with the circuit's decoder at the boundary
    let top = hex32(&(-F::from(1u64)));
    assert!(rollup_msgs::data::is_canonical_field(&top));
    let mut over = top;
    over.0[0] += 1;
    assert!(proof_zk::f_from_bytes(&over.0).is_none());
    assert!(!rollup_msgs::data::is_canonical_field(&over));
    // the possession message the contract builds is the one a rollup key signs
    for depositor in [vec![7u8; 20], vec![9u8; 32]] {
        let (w, e) = proof_zk::schnorr::key_possession_message(4, 77, &depositor);
        let bytes = rollup_msgs::curve::key_possession_message(4, 77, &depositor);
        assert_eq!(&bytes[..32], &f_to_bytes(&w));
        assert_eq!(&bytes[32..], &f_to_bytes(&e));
    }
}

#[test]
fn a_proven_batch_is_verified_pays_its_withdrawal_and_after_a_freeze_every_account_exits() {
    let p = params();
    let mut c = deploy();

    // register: an operator bonds (here the governance account registers for itself: no bond)
    let (v, xx) = (c.verifier.clone(), c.xx.clone());
    let r = exec(
        &mut c,
        false,
        &v,
        json!({"register": {"ops_per_step": 17}}),
        &[Coin::new(1000, "uxyz")],
    );
    assert!(
        r.code.is_err() && r.log.contains("17 operations per step"),
        "{}",
        r.log
    );
    let r = exec(
        &mut c,
        true,
        &v,
        json!({"register": {"ops_per_step": K}}),
        &[],
    );
    assert!(r.code.is_ok(), "{}", r.log);
    let id: u32 = attr(&r, "wasm-rollup_registered", "rollup")
        .unwrap()
        .parse()
        .unwrap();
    let info = rollup(&c, id);
    assert_eq!(
        info.vk_digest,
        Hex32(p.vk_digest()),
        "every node derives the prover's key"
    );
    assert_eq!(info.state_root, EMPTY_ROOT);
    let rid = RollupId(id);

    // deposits, paid into xx and queued
    let alice = SecretKey::from_seed(&[11; 32]);
    let bob = SecretKey::from_seed(&[12; 32]);
    // Without the key's proof of possession a first deposit is refused (it would let anyone
    // own an account keyed by someone else's key).
    let pk = alice.public_key();
    let msg = json!({"deposit": {"rollup": id, "to": 0, "pubkey_x": hex32(&pk.x), "pubkey_y": hex32(&pk.y)}});
    let r = exec(&mut c, false, &xx, msg, &[Coin::new(5, "uxyz")]);
    assert!(r.code.is_err() && r.log.contains("key_proof"), "{}", r.log);
    let mut forged = deposit_msg(&bob, id, 0, &c.user.addr()); // bob's proof, alice's key
    forged["deposit"]["pubkey_x"] = json!(hex32(&pk.x));
    forged["deposit"]["pubkey_y"] = json!(hex32(&pk.y));
    let r = exec(&mut c, false, &xx, forged, &[Coin::new(5, "uxyz")]);
    assert!(r.code.is_err() && r.log.contains("key_proof"), "{}", r.log);
    for (to, key, amount) in [(0u32, &alice, 1_000_000u128), (5, &bob, 10)] {
        let msg = deposit_msg(key, id, to, &c.user.addr());
        let r = exec(&mut c, false, &xx, msg, &[Coin::new(amount, "uxyz")]);
        assert!(r.code.is_ok(), "{}", r.log);
    }
    assert_eq!(shard(&c, id).pending.0, 1_000_010);

    // the batch: both deposits, two transfers, a withdrawal of 1000 to the user's chain address
    let recipient = rollup_msgs::data::recipient_field(c.user.addr().as_bytes()).unwrap();
    let recipient = proof_zk::f_from_bytes(&recipient.0).unwrap();
    let ops = vec![
        Op::Deposit {
            to: 0,
            pubkey: alice.public_key(),
            amount: 1_000_000,
        },
        Op::Deposit {
            to: 5,
            pubkey: bob.public_key(),
            amount: 10,
        },
        Op::transfer(&alice, rid, 0, 5, 250_000, 100, 0).unwrap(),
        Op::transfer(&bob, rid, 5, 0, 20, 0, 0).unwrap(),
        Op::withdraw(&alice, rid, 0, 1000, 1, 1, recipient).unwrap(),
    ];
    let mut tree = AccountTree::new();
    let bp = prove_batch(p, rid, &mut tree, &ops).unwrap();
    let user_before = c.app.balance(&c.user.addr());
    let xx_before = c.app.balance(&c.xx);

    // refused, and nothing changes: a forged proof, tampered data, another rollup's id
    let mut forged = bp.proof.clone();
    let mid = forged.len() / 2;
    forged[mid] ^= 1;
    let mut tampered = bp.data.clone();
    let last = tampered.len() - 1;
    tampered[last] ^= 1; // the recipient
    for (data, proof, why) in [
        (&bp.data, &forged, "forged proof"),
        (&tampered, &bp.proof, "tampered data"),
    ] {
        let r = submit(&mut c, id, &bp, data, proof);
        assert!(r.code.is_err(), "{why} accepted");
        assert!(
            r.log.contains("does not verify") || r.log.contains("malformed"),
            "{why}: {}",
            r.log
        );
        assert_eq!(rollup(&c, id).batch_index, 0, "{why}");
        assert_eq!(shard(&c, id).pending.0, 1_000_010, "{why}");
        assert_eq!(c.app.balance(&c.xx), xx_before, "{why}");
    }

    // the valid batch: verified, recorded, the withdrawal paid from xx
    let r = submit(&mut c, id, &bp, &bp.data, &bp.proof);
    assert!(r.code.is_ok(), "{}", r.log);
    eprintln!(
        "submit_batch: gas used {} for {} ops ({} data bytes, {} proof bytes)",
        r.gas_used,
        bp.num_ops,
        bp.data.len(),
        bp.proof.len()
    );
    assert_eq!(attr(&r, "wasm-rollup_batch", "index").as_deref(), Some("0"));
    // The L1 record, as the chain decoded the contract's hand-encoded message.
    let record = proof_sdk::checkpoint::rollup_batch_record(
        c.verifier.as_bytes(),
        id,
        0,
        &f_to_bytes(&bp.old_root),
        &f_to_bytes(&bp.new_root),
        &sha2::Sha256::digest(&bp.data).into(),
    );
    assert_eq!(
        attr(&r, "rollup_record", "record"),
        Some(hex::encode(record))
    );
    let info = rollup(&c, id);
    assert_eq!(
        (info.state_root, info.batch_index),
        (hex32(&bp.new_root), 1)
    );
    // (the operator, here the governance account, posted it: the user paid nothing)
    assert_eq!(c.app.balance(&c.user.addr()), user_before + 1000);
    let s = shard(&c, id);
    // the batch's fees (101) were paid to the operator: the rollup holds what its accounts hold
    assert_eq!(bp.fees, 101);
    assert_eq!(
        (s.held.0, s.pending.0, s.included_seq),
        (1_000_010 - 1000 - 101, 0, 2)
    );
    assert_eq!(
        s.held.0,
        u128::from(tree.get(0).balance + tree.get(5).balance)
    );
    // supply: what xx holds is what the rollup holds plus what is queued for it
    assert_eq!(c.app.balance(&c.xx), s.held.0 + s.pending.0);
    let batch = smart(
        &c.app,
        &c.verifier,
        json!({"batch": {"rollup": id, "index": 0}}),
    )
    .unwrap();
    assert_eq!(batch["withdrawn"], "1000");
    assert_eq!(batch["deposits"], 2);

    // the same batch again starts at a root that is no longer the rollup's: refused
    let r = submit(&mut c, id, &bp, &bp.data, &bp.proof);
    assert!(
        r.code.is_err() && r.log.contains("does not verify"),
        "{}",
        r.log
    );
    assert_eq!(rollup(&c, id).batch_index, 1);
    assert_eq!(c.app.balance(&c.xx), s.held.0);

    // The operator stops. A deposit that will never be included waits in the queue.
    let carol = SecretKey::from_seed(&[13; 32]);
    let msg = deposit_msg(&carol, id, 9, &c.user.addr());
    let r = exec(&mut c, false, &xx, msg, &[Coin::new(3_000, "uxyz")]);
    assert!(r.code.is_ok(), "{}", r.log);
    let r = exec(&mut c, false, &v, json!({"freeze": {"rollup": id}}), &[]);
    assert!(r.code.is_err() && r.log.contains("is live"), "{}", r.log);
    for _ in 0..LIVENESS {
        c.app.block(vec![]);
    }
    let r = exec(&mut c, false, &v, json!({"freeze": {"rollup": id}}), &[]);
    assert!(r.code.is_ok(), "{}", r.log);
    assert!(rollup(&c, id).frozen_at.is_some());

    // Every account exits once with a proof against the last verified root; no operator.
    let user_before = c.app.balance(&c.user.addr());
    let (mut exited, mut fees_paid) = (0u128, 0u128);
    for index in [0u32, 5] {
        let proof = proof_zk::exit_proof(&tree, index).unwrap().to_bytes();
        exited += u128::from(tree.get(index).balance);
        let msg = json!({"exit": {"rollup": id, "proof": Base64(proof)}});
        let r = exec(&mut c, false, &v, msg.clone(), &[]);
        assert!(r.code.is_ok(), "exit {index}: {}", r.log);
        // a double exit is refused
        let r = exec(&mut c, false, &v, msg, &[]);
        assert!(
            r.code.is_err() && r.log.contains("already exited"),
            "{}",
            r.log
        );
        fees_paid += 2 * common::wasm::fee(GAS);
    }
    // a forged balance does not verify
    let mut forged = proof_zk::exit_proof(&tree, 5).unwrap().to_bytes();
    forged[68] ^= 1;
    let msg = json!({"exit": {"rollup": id, "proof": Base64(forged)}});
    let r = exec(&mut c, false, &v, msg, &[]);
    assert!(
        r.code.is_err() && r.log.contains("does not match"),
        "{}",
        r.log
    );
    // the pending deposit goes back to its depositor
    let r = exec(
        &mut c,
        false,
        &xx,
        json!({"refund_pending": {"rollup": id}}),
        &[],
    );
    assert!(r.code.is_ok(), "{}", r.log);
    fees_paid += 2 * common::wasm::fee(GAS);
    // The sums match to the last uxyz: what the rollup held went to its accounts' owners (the
    // user made both deposits), the refund to its depositor, and xx holds nothing more.
    assert_eq!(exited, s.held.0);
    assert_eq!(
        c.app.balance(&c.user.addr()),
        user_before + exited + 3_000 - fees_paid
    );
    let s = shard(&c, id);
    assert_eq!(
        (s.held.0, s.pending.0, s.exited.0, s.refunded.0),
        (0, 0, exited, 3_000)
    );
    assert_eq!(c.app.balance(&c.xx), 0);
}

#[test]
fn a_block_verifies_no_more_proofs_than_its_room_and_leaves_the_rest_for_later() {
    let p = params();
    let mut c = deploy();
    let v = c.verifier.clone();
    let r = exec(
        &mut c,
        true,
        &v,
        json!({"register": {"ops_per_step": K}}),
        &[],
    );
    let id: u32 = attr(&r, "wasm-rollup_registered", "rollup")
        .unwrap()
        .parse()
        .unwrap();
    // proofs that do not verify still take room: the room bounds the work, whatever the answer
    let mut tree = AccountTree::new();
    let key = SecretKey::from_seed(&[1; 32]);
    let ops = vec![Op::Deposit {
        to: 1,
        pubkey: key.public_key(),
        amount: 5,
    }];
    let bp = prove_batch(p, RollupId(id), &mut tree, &ops).unwrap();
    let weight = proof_zk::keys::verify_cost_micros(K).unwrap();
    let room = proof_chain::modules::zk::params::ZkParams::default().max_block_verify_micros;
    let fit = (room / weight) as usize;
    // Forged proofs: each passes the cheap checks, so each takes its weight and is refused.
    let mut forged = bp.proof.clone();
    let mid = forged.len() / 2;
    forged[mid] ^= 1;
    let txs: Vec<Vec<u8>> = (0..fit + 1)
        .map(|_| {
            let msg = json!({"submit_batch": {"rollup": id, "new_root": hex32(&bp.new_root),
                "data": Base64(bp.data.clone()), "proof": Base64(forged.clone())}});
            let m = execute_msg(&c.gov.addr(), &v, msg, &[]);
            c.gov.tx(vec![m], GAS)
        })
        .collect();
    let included = c.app.prepare(txs.clone());
    assert_eq!(included.len(), fit, "the proposal holds what the room fits");
    let fb = c.app.block(included);
    for r in &fb.tx_results {
        // (Proving is randomised, so the flipped byte may also make the proof undecodable.)
        let refused = r.log.contains("does not verify") || r.log.contains("malformed");
        assert!(r.code.is_err() && refused, "{}", r.log);
    }
    // the one left out fits the next block
    let next = c.app.prepare(vec![txs[fit].clone()]);
    assert_eq!(next.len(), 1);
}
