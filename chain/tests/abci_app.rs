//! The application driven in-process through its ABCI handlers, without CometBFT: every
//! rejection path of CheckTx, PrepareProposal and ProcessProposal, and execution semantics.

use bytes::Bytes;
use cosmos_sdk_proto::cosmos::auth::v1beta1::{QueryAccountRequest, QueryAccountResponse};
use cosmos_sdk_proto::cosmos::bank::v1beta1::{
    QueryBalanceRequest, QueryBalanceResponse, QueryTotalSupplyRequest, QueryTotalSupplyResponse,
};
use cosmos_sdk_proto::cosmos::tx::v1beta1::{SimulateRequest, SimulateResponse};
use proof_chain::store::{verify_membership, verify_non_membership};
use proof_sdk::tx::{sign_tx, Signer, TxParams};
use proof_sdk::{msgs, Address, Coin, KeyType, PrivateKey};
use prost::Message;
use tendermint::abci::{request, response};

mod common;

use common::{time, App, CHAIN};

fn params() -> TxParams {
    TxParams {
        gas_limit: 200_000,
        fee: vec![Coin::new(5000, "uxyz")],
        include_pubkey: true,
        ..Default::default()
    }
}

fn send(
    key: &PrivateKey,
    num: u64,
    seq: u64,
    to: &Address,
    amount: u128,
    p: &TxParams,
    chain: &str,
) -> Vec<u8> {
    sign_tx(
        vec![msgs::bank_send(
            &key.address(),
            to,
            &[Coin::new(amount, "uxyz")],
        )],
        &[Signer {
            key,
            account_number: num,
            sequence: seq,
        }],
        p,
        chain,
    )
}

#[test]
fn every_key_type_transfers_and_state_is_consistent() {
    let keys: Vec<PrivateKey> = [
        KeyType::Secp256k1,
        KeyType::Ed25519,
        KeyType::Mldsa65,
        KeyType::Hybrid,
    ]
    .into_iter()
    .map(PrivateKey::generate)
    .collect();
    let funded: Vec<(&PrivateKey, u128)> = keys.iter().map(|k| (k, 1_000_000u128)).collect();
    let mut app = App::new(&funded);
    let dest = PrivateKey::generate(KeyType::Ed25519).address();
    let txs: Vec<Vec<u8>> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| send(k, i as u64, 0, &dest, 100, &params(), CHAIN))
        .collect();
    for tx in &txs {
        let r = app.check(tx);
        assert_eq!(r.code.value(), 0, "{}", r.log);
    }
    let proposal = app.prepare(txs.clone());
    assert_eq!(proposal.len(), 4);
    assert_eq!(
        app.process(&proposal, time(1)),
        response::ProcessProposal::Accept
    );
    let fb = app.block(proposal);
    assert!(
        fb.tx_results.iter().all(|r| r.code.is_ok()),
        "{:?}",
        fb.tx_results.iter().map(|r| &r.log).collect::<Vec<_>>()
    );
    assert_eq!(app.balance(&dest), 400);
    for k in &keys {
        assert_eq!(app.balance(&k.address()), 1_000_000 - 100 - 5000);
        assert_eq!(app.account(&k.address()).unwrap().sequence, 1);
    }
    // Supply is unchanged by transfers and fees.
    let s: QueryTotalSupplyResponse = app
        .grpc(
            "/cosmos.bank.v1beta1.Query/TotalSupply",
            &QueryTotalSupplyRequest { pagination: None },
        )
        .unwrap();
    assert_eq!(s.supply[0].amount, "4000000");
    // The app hash is the store root, and a raw store proof verifies against it.
    let root = app.store.app_hash(1).unwrap().unwrap();
    assert_eq!(fb.app_hash.as_bytes(), root);
    let key = [b"bank/bal/".as_slice(), &[20], dest.as_bytes(), b"/uxyz"].concat();
    let r = app.query.query(request::Query {
        data: key[5..].to_vec().into(),
        path: "store/bank/key".into(),
        height: 1u32.into(),
        prove: true,
    });
    assert_eq!(r.code.value(), 0, "{}", r.log);
    let op = &r.proof.unwrap().ops[0];
    let proof = ics23::CommitmentProof::decode(op.data.as_slice()).unwrap();
    assert!(verify_membership(
        &proof,
        &root,
        &key,
        &400u128.to_be_bytes()
    ));
    let missing = b"bal/nobody".to_vec();
    let r = app.query.query(request::Query {
        data: missing.clone().into(),
        path: "store/bank/key".into(),
        height: 1u32.into(),
        prove: true,
    });
    let proof = ics23::CommitmentProof::decode(r.proof.unwrap().ops[0].data.as_slice()).unwrap();
    assert!(verify_non_membership(
        &proof,
        &root,
        &[b"bank/".as_slice(), &missing].concat()
    ));
}

#[test]
fn check_tx_rejects_each_kind_of_bad_transaction_with_its_code() {
    let alice = PrivateKey::generate(KeyType::Secp256k1);
    let poor = PrivateKey::generate(KeyType::Ed25519);
    let app = App::new(&[(&alice, 1_000_000), (&poor, 10)]);
    let bob = PrivateKey::generate(KeyType::Hybrid).address();
    let code = |tx: &[u8]| {
        let r = app.check(tx);
        (r.code.value(), r.log)
    };
    assert_eq!(code(b"not a transaction").0, 2, "malformed bytes");
    let good = send(&alice, 0, 0, &bob, 1, &params(), CHAIN);
    let mut missigned =
        cosmos_sdk_proto::cosmos::tx::v1beta1::TxRaw::decode(good.as_slice()).unwrap();
    missigned.signatures[0][5] ^= 0xff;
    let (c, log) = code(&missigned.encode_to_vec());
    assert_eq!(c, 4, "mis-signed: {log}");
    assert!(log.contains("signature verification failed"), "{log}");
    assert_eq!(
        code(&send(&alice, 0, 0, &bob, 1, &params(), "other-chain")).0,
        4,
        "signed for another chain"
    );
    assert_eq!(
        code(&send(&alice, 0, 5, &bob, 1, &params(), CHAIN)).0,
        32,
        "future sequence"
    );
    assert_eq!(
        code(&send(&alice, 9, 0, &bob, 1, &params(), CHAIN)).0,
        4,
        "wrong account number"
    );
    let cheap = TxParams {
        fee: vec![Coin::new(4999, "uxyz")],
        ..params()
    };
    let (c, log) = code(&send(&alice, 0, 0, &bob, 1, &cheap, CHAIN));
    assert_eq!(c, 13, "under-fee: {log}");
    let foreign_fee = TxParams {
        fee: vec![Coin::new(5000, "uatom")],
        ..params()
    };
    assert_eq!(
        code(&send(&alice, 0, 0, &bob, 1, &foreign_fee, CHAIN)).0,
        13,
        "fee in another denom"
    );
    let overflow = TxParams {
        fee: vec![Coin::new(u128::MAX, "uxyz"), Coin::new(u128::MAX, "uxyz")],
        ..params()
    };
    assert_eq!(
        code(&send(&alice, 0, 0, &bob, 1, &overflow, CHAIN)).0,
        10,
        "fee coins that overflow u128"
    );
    let memo = TxParams {
        memo: "x".repeat(300),
        ..params()
    };
    assert_eq!(
        code(&send(&alice, 0, 0, &bob, 1, &memo, CHAIN)).0,
        12,
        "memo too long"
    );
    let big = TxParams {
        memo: "y".repeat(200),
        ..params()
    };
    let huge = sign_tx(
        vec![msgs::bank_send(&alice.address(), &bob, &[Coin::new(1, "uxyz")]); 10_000],
        &[Signer {
            key: &alice,
            account_number: 0,
            sequence: 0,
        }],
        &big,
        CHAIN,
    );
    assert_eq!(code(&huge).0, 21, "over-size");
    let expired = TxParams {
        timeout_height: 0,
        ..params()
    };
    assert_eq!(
        code(&send(&alice, 0, 0, &bob, 1, &expired, CHAIN)).0,
        0,
        "timeout 0 means none"
    );
    let zero_gas = TxParams {
        gas_limit: 0,
        ..params()
    };
    assert_eq!(
        code(&send(&alice, 0, 1, &bob, 1, &zero_gas, CHAIN)).0,
        41,
        "zero gas limit"
    );
    let (c, log) = code(&send(&poor, 1, 0, &bob, 1, &params(), CHAIN));
    assert_eq!(c, 5, "cannot pay fee: {log}");
    let stranger = PrivateKey::generate(KeyType::Ed25519);
    assert_eq!(
        code(&send(&stranger, 0, 0, &bob, 1, &params(), CHAIN)).0,
        9,
        "unknown account"
    );
    // Someone else's key on alice's message.
    let forged = sign_tx(
        vec![msgs::bank_send(
            &alice.address(),
            &bob,
            &[Coin::new(1, "uxyz")],
        )],
        &[Signer {
            key: &stranger,
            account_number: 0,
            sequence: 1,
        }],
        &params(),
        CHAIN,
    );
    assert_eq!(code(&forged).0, 8, "pubkey of another account");
    // Sequence 0 was taken by the admitted timeout-0 tx, so `good` (also sequence 0) is now stale.
    assert_eq!(code(&good).0, 32, "second tx for the same sequence");
}

#[test]
fn expired_timeout_height_rejected() {
    let alice = PrivateKey::generate(KeyType::Ed25519);
    let mut app = App::new(&[(&alice, 1_000_000)]);
    app.block(vec![]);
    app.block(vec![]);
    let p = TxParams {
        timeout_height: 2,
        ..params()
    };
    let r = app.check(&send(&alice, 0, 0, &alice.address(), 1, &p, CHAIN));
    assert_eq!(r.code.value(), 30, "{}", r.log);
}

#[test]
fn proposals_never_contain_invalid_transactions() {
    let alice = PrivateKey::generate(KeyType::Ed25519);
    let mut app = App::new(&[(&alice, 1_000_000)]);
    let bob = PrivateKey::generate(KeyType::Ed25519).address();
    let ok0 = send(&alice, 0, 0, &bob, 10, &params(), CHAIN);
    let bad_seq = send(&alice, 0, 7, &bob, 10, &params(), CHAIN);
    let garbage = b"\x0a\x03abc".to_vec();
    let ok1 = send(&alice, 0, 1, &bob, 10, &params(), CHAIN);
    let replay = ok0.clone();
    let proposal = app.prepare(vec![
        ok0.clone(),
        bad_seq.clone(),
        garbage.clone(),
        ok1.clone(),
        replay,
    ]);
    assert_eq!(
        proposal,
        vec![Bytes::from(ok0.clone()), Bytes::from(ok1.clone())],
        "PrepareProposal keeps only valid txs, in order"
    );
    // A byzantine proposer's block with an invalid tx is rejected; a different time forces re-execution.
    for bad in [bad_seq, garbage] {
        let txs = vec![Bytes::from(ok0.clone()), Bytes::from(bad)];
        assert_eq!(
            app.process(&txs, time(99)),
            response::ProcessProposal::Reject
        );
    }
    let dup = vec![Bytes::from(ok0.clone()), Bytes::from(ok0.clone())];
    assert_eq!(
        app.process(&dup, time(98)),
        response::ProcessProposal::Reject,
        "same tx twice"
    );
    assert_eq!(
        app.process(&proposal, time(97)),
        response::ProcessProposal::Accept
    );
    let fb = app.block(proposal);
    assert!(fb.tx_results.iter().all(|r| r.code.is_ok()));
    assert_eq!(app.balance(&bob), 20);
    // After commit the replay is stale.
    assert_eq!(app.check(&ok0).code.value(), 32);
}

#[test]
fn failed_message_still_pays_fee_and_bumps_sequence_out_of_gas_changes_nothing_else() {
    let alice = PrivateKey::generate(KeyType::Secp256k1);
    let mut app = App::new(&[(&alice, 100_000)]);
    let bob = PrivateKey::generate(KeyType::Ed25519).address();
    // First block creates bob and the fee collector, so the simulation below prices the same work.
    let warm = app.block(vec![send(&alice, 0, 0, &bob, 1, &params(), CHAIN).into()]);
    assert!(warm.tx_results[0].code.is_ok());
    // Overdraft: valid tx (fee payable) whose message fails.
    let overdraft = send(&alice, 0, 1, &bob, 1_000_000, &params(), CHAIN);
    // Enough gas for the ante handler but not for the transfer: simulate, then ask for less.
    let probe = send(&alice, 0, 1, &bob, 10, &params(), CHAIN);
    let mut sim = cosmos_sdk_proto::cosmos::tx::v1beta1::TxRaw::decode(probe.as_slice()).unwrap();
    sim.signatures = vec![vec![]];
    #[allow(deprecated)]
    let r: SimulateResponse = app
        .grpc(
            "/cosmos.tx.v1beta1.Service/Simulate",
            &SimulateRequest {
                tx: None,
                tx_bytes: sim.encode_to_vec(),
            },
        )
        .unwrap();
    let limit = r.gas_info.unwrap().gas_used - 3000;
    let fee = proof_sdk::tx::min_gas_fee(limit);
    let tight = TxParams {
        gas_limit: limit,
        fee: vec![Coin::new(fee, "uxyz")],
        ..params()
    };
    let oog = send(&alice, 0, 2, &bob, 10, &tight, CHAIN);
    let fb = app.block(vec![overdraft.into(), oog.into()]);
    assert_eq!(fb.tx_results[0].code.value(), 5, "{}", fb.tx_results[0].log);
    assert_eq!(
        fb.tx_results[1].code.value(),
        11,
        "{}",
        fb.tx_results[1].log
    );
    assert_eq!(fb.tx_results[1].gas_used as u64, limit);
    assert_eq!(
        app.balance(&alice.address()),
        100_000 - 5001 - 5000 - fee,
        "both fees paid, nothing else moved"
    );
    assert_eq!(app.balance(&bob), 1);
    assert_eq!(app.account(&alice.address()).unwrap().sequence, 3);
}

#[test]
fn simulate_accepts_a_sequence_ahead_of_the_committed_one() {
    // A relayer pipelining transactions simulates the next one while its previous ones wait in
    // the mempool: its sequence is ahead of the committed account's. Delivery still demands the
    // exact sequence.
    let alice = PrivateKey::generate(KeyType::Ed25519);
    let mut app = App::new(&[(&alice, 1_000_000)]);
    let to = PrivateKey::generate(KeyType::Ed25519).address();
    app.block(vec![]);
    let at = |sequence| {
        sign_tx(
            vec![msgs::bank_send(
                &alice.address(),
                &to,
                &[Coin::new(1, "uxyz")],
            )],
            &[Signer {
                key: &alice,
                account_number: 0,
                sequence,
            }],
            &params(),
            CHAIN,
        )
    };
    let simulate = |app: &App, tx: Vec<u8>| {
        #[allow(deprecated)]
        app.grpc::<_, SimulateResponse>(
            "/cosmos.tx.v1beta1.Service/Simulate",
            &SimulateRequest {
                tx: None,
                tx_bytes: tx,
            },
        )
    };
    assert!(simulate(&app, at(2)).is_ok(), "two ahead");
    assert!(simulate(&app, at(0)).is_ok(), "the committed one");
    assert!(
        !app.check(&at(2)).code.is_ok(),
        "CheckTx demands the exact sequence"
    );
    let r = app.block(vec![at(2).into()]);
    assert!(!r.tx_results[0].code.is_ok(), "so does delivery");
}

#[test]
fn multisend_and_simulate() {
    let alice = PrivateKey::generate(KeyType::Hybrid);
    let mut app = App::new(&[(&alice, 1_000_000)]);
    let (b, c) = (
        PrivateKey::generate(KeyType::Ed25519).address(),
        PrivateKey::generate(KeyType::Ed25519).address(),
    );
    let msg = msgs::bank_multi_send(
        &alice.address(),
        &[Coin::new(30, "uxyz")],
        &[
            (b.clone(), vec![Coin::new(10, "uxyz")]),
            (c.clone(), vec![Coin::new(20, "uxyz")]),
        ],
    );
    // Simulate with an empty signature, as cosmjs does for gas estimation.
    let mut sim = cosmos_sdk_proto::cosmos::tx::v1beta1::TxRaw::decode(
        sign_tx(
            vec![msg.clone()],
            &[Signer {
                key: &alice,
                account_number: 0,
                sequence: 0,
            }],
            &params(),
            CHAIN,
        )
        .as_slice(),
    )
    .unwrap();
    sim.signatures = vec![vec![]];
    // cosmjs also leaves the sign mode unspecified and the fee empty when simulating.
    let mut auth =
        cosmos_sdk_proto::cosmos::tx::v1beta1::AuthInfo::decode(sim.auth_info_bytes.as_slice())
            .unwrap();
    auth.signer_infos[0].mode_info = Some(cosmos_sdk_proto::cosmos::tx::v1beta1::ModeInfo {
        sum: Some(
            cosmos_sdk_proto::cosmos::tx::v1beta1::mode_info::Sum::Single(
                cosmos_sdk_proto::cosmos::tx::v1beta1::mode_info::Single { mode: 0 },
            ),
        ),
    });
    auth.fee.as_mut().unwrap().amount.clear();
    sim.auth_info_bytes = auth.encode_to_vec();
    #[allow(deprecated)]
    let r: SimulateResponse = app
        .grpc(
            "/cosmos.tx.v1beta1.Service/Simulate",
            &SimulateRequest {
                tx: None,
                tx_bytes: sim.encode_to_vec(),
            },
        )
        .unwrap();
    let used = r.gas_info.unwrap().gas_used;
    assert!(used > 10_000 && used < 200_000, "{used}");
    assert_eq!(
        app.balance(&alice.address()),
        1_000_000,
        "simulation changes nothing"
    );
    let tx = sign_tx(
        vec![msg],
        &[Signer {
            key: &alice,
            account_number: 0,
            sequence: 0,
        }],
        &params(),
        CHAIN,
    );
    let fb = app.block(vec![tx.into()]);
    assert!(fb.tx_results[0].code.is_ok(), "{}", fb.tx_results[0].log);
    let real = fb.tx_results[0].gas_used as u64;
    // Only the fee coin's bytes (left out of the simulated tx) are unpriced; clients' gas margin
    // (cosmjs: 1.4x) covers that, so the estimate must be within 1% of the real cost.
    assert!(
        used * 100 >= real * 99,
        "simulation ({used}) underestimates execution ({real})"
    );
    assert_eq!((app.balance(&b), app.balance(&c)), (10, 20));
    // Unbalanced multi-send is rejected statelessly.
    let bad = msgs::bank_multi_send(
        &alice.address(),
        &[Coin::new(31, "uxyz")],
        &[(b, vec![Coin::new(10, "uxyz")])],
    );
    let r = app.check(&sign_tx(
        vec![bad],
        &[Signer {
            key: &alice,
            account_number: 0,
            sequence: 1,
        }],
        &params(),
        CHAIN,
    ));
    assert_eq!(r.code.value(), 10, "{}", r.log);
}

#[test]
fn queries_report_not_found_like_cosmos_and_past_heights() {
    let alice = PrivateKey::generate(KeyType::Ed25519);
    let mut app = App::new(&[(&alice, 500)]);
    let nobody = PrivateKey::generate(KeyType::Ed25519).address();
    let err = app
        .grpc::<_, QueryAccountResponse>(
            "/cosmos.auth.v1beta1.Query/Account",
            &QueryAccountRequest {
                address: nobody.to_string(),
            },
        )
        .unwrap_err();
    assert!(err.1.contains("rpc error: code = NotFound"), "{err:?}");
    let err = app
        .grpc::<_, QueryAccountResponse>(
            "/cosmos.auth.v1beta1.Query/Account",
            &QueryAccountRequest {
                address: "cosmos1xyz".into(),
            },
        )
        .unwrap_err();
    assert!(err.1.contains("InvalidArgument"), "{err:?}");
    let err = app
        .grpc::<_, QueryAccountResponse>("/no.such.Query/Thing", &QueryAccountRequest::default())
        .unwrap_err();
    assert!(err.1.contains("Unimplemented"), "{err:?}");
    let r = app.query.query(request::Query {
        data: QueryBalanceRequest {
            address: alice.address().to_string(),
            denom: "uxyz".into(),
        }
        .encode_to_vec()
        .into(),
        path: "/cosmos.bank.v1beta1.Query/Balance".into(),
        height: 0u32.into(),
        prove: false,
    });
    assert_eq!(r.code.value(), 0);
    app.block(vec![]);
    let past = app.query.query(request::Query {
        data: QueryBalanceRequest {
            address: alice.address().to_string(),
            denom: "uxyz".into(),
        }
        .encode_to_vec()
        .into(),
        path: "/cosmos.bank.v1beta1.Query/Balance".into(),
        height: 0u32.into(),
        prove: false,
    });
    assert_eq!(
        QueryBalanceResponse::decode(past.value.as_ref())
            .unwrap()
            .balance
            .unwrap()
            .amount,
        "500"
    );
    let future = app.query.query(request::Query {
        data: vec![].into(),
        path: "store/bank/key".into(),
        height: 99u32.into(),
        prove: false,
    });
    assert!(
        future.code.is_err() && future.log.contains("not available"),
        "{}",
        future.log
    );
}

#[test]
fn block_gas_cap_bounds_proposals() {
    let alice = PrivateKey::generate(KeyType::Ed25519);
    let chain_params = proof_chain::state::params::Params {
        max_block_gas: 450_000,
        ..Default::default()
    };
    let app = App::with_params(&[(&alice, 1_000_000)], chain_params);
    let bob = PrivateKey::generate(KeyType::Ed25519).address();
    let txs: Vec<Vec<u8>> = (0..3)
        .map(|seq| send(&alice, 0, seq, &bob, 1, &params(), CHAIN))
        .collect();
    let proposal = app.prepare(txs.clone());
    assert_eq!(
        proposal.len(),
        2,
        "two 200k-gas txs fit under 450k, the third waits"
    );
    let all: Vec<Bytes> = txs.into_iter().map(Bytes::from).collect();
    assert_eq!(
        app.process(&all, time(50)),
        response::ProcessProposal::Reject,
        "a block over the gas cap is rejected"
    );
    assert_eq!(
        app.process(&proposal, time(51)),
        response::ProcessProposal::Accept
    );
}
