//! What a block, a query or a transaction may cost the node, and who pays: per-block work that
//! does not grow with how much state exists, listings that page, contract scans that read (and
//! charge) only what the contract consumes, uploads bounded per block and never compiled by a
//! simulation, activity that failed transactions cannot buy, and the smaller rules of the
//! hardening issue (self-delegation minimum, canonical transactions, storage failures).

mod common;

use bytes::Bytes;
use cosmos_sdk_proto::cosmos::base::query::v1beta1::PageRequest;
use cosmos_sdk_proto::cosmos::staking::v1beta1::{
    QueryDelegatorDelegationsRequest, QueryDelegatorDelegationsResponse, QueryValidatorRequest,
    QueryValidatorResponse, QueryValidatorsRequest, QueryValidatorsResponse,
};
use cosmos_sdk_proto::cosmos::tx::v1beta1::{SimulateRequest, SimulateResponse, TxRaw};
use cosmos_sdk_proto::cosmwasm::wasm::v1::{QueryCodesRequest, QueryCodesResponse};
use proof_chain::abci::genesis::AppGenesis;
use proof_chain::app::pos::{GenesisValidator, PosGenesis};
use proof_chain::state::params::Params;
use proof_sdk::checkpoint::CheckpointResponse;
use proof_sdk::{gov, msgs, staking as smsg, Address, Coin, KeyType, PrivateKey, PublicKey};
use prost::Message;
use serde_json::json;

use common::wasm::*;
use common::App;

const M: u128 = 1_000_000;

fn cons_key(i: u32) -> [u8; 32] {
    let k = PrivateKey::from_seed(KeyType::Ed25519, &i.to_be_bytes().repeat(16), 0).unwrap();
    let PublicKey::Ed25519(pk) = k.public_key() else {
        unreachable!()
    };
    pk
}

/// A chain with `validators` genesis validators (operators are fresh keys) and the given users.
fn chain(validators: u32, users: &[(&PrivateKey, u128)], staking: PosGenesis) -> App {
    let mut staking = staking;
    staking.validators = (0..validators)
        .map(|i| GenesisValidator {
            operator: PrivateKey::from_seed(KeyType::Ed25519, &[i as u8; 64], 1)
                .unwrap()
                .address()
                .to_string(),
            pubkey: b64(&cons_key(i)),
            self_stake: ((i as u128 + 1) * 10 * M).to_string(),
            commission_bps: 500,
            moniker: format!("v{i}"),
        })
        .collect();
    let genesis = AppGenesis {
        accounts: common::genesis_accounts(users),
        params: Params {
            max_tx_bytes: 4 << 20,
            max_tx_gas: 500_000_000,
            max_block_gas: 0,
            ..Default::default()
        },
        staking,
        ..Default::default()
    };
    App::with_genesis(&genesis).0
}

fn operator(i: u32) -> Address {
    PrivateKey::from_seed(KeyType::Ed25519, &[i as u8; 64], 1)
        .unwrap()
        .address()
}

fn ok(r: &tendermint::abci::types::ExecTxResult) {
    assert!(r.code.is_ok(), "{}", r.log);
}

/// Store entries an empty block reads (begin block, end block, commit).
fn empty_block_reads(app: &mut App) -> u64 {
    let before = app.store.reads();
    app.block(vec![]);
    app.store.reads() - before
}

#[test]
fn per_block_work_does_not_grow_with_open_proposals_queued_unbondings_or_validators() {
    let alice = PrivateKey::generate(KeyType::Secp256k1);
    let mut staking = PosGenesis::default();
    staking.params.max_validators = 10;
    staking.gov.min_deposit = 1000;
    let mut app = chain(120, &[(&alice, 1_000_000 * M)], staking);
    let mut a = app.user(alice);
    let baseline = empty_block_reads(&mut app);

    // 150 proposals in their deposit period (each brought its initial deposit)...
    let proposals: Vec<_> = (0..150)
        .map(|i| {
            gov::submit_param_change(
                &a.addr(),
                &format!("p{i}"),
                &[("staking", "max_validators", "11")],
                &Coin::new(300, "uxyz"),
            )
        })
        .collect();
    ok(&run(&mut app, a.tx(proposals, 400_000_000)));
    // ... and 100 unbondings that mature in three weeks.
    let delegations: Vec<_> = (0..100)
        .map(|i| smsg::delegate(&a.addr(), &operator(i), &Coin::new(10 * M, "uxyz")))
        .collect();
    ok(&run(&mut app, a.tx(delegations, 400_000_000)));
    let unbondings: Vec<_> = (0..100)
        .map(|i| smsg::undelegate(&a.addr(), &operator(i), &Coin::new(M, "uxyz")))
        .collect();
    ok(&run(&mut app, a.tx(unbondings, 400_000_000)));
    let loaded = empty_block_reads(&mut app);
    eprintln!("an empty block read {baseline} entries on a fresh chain, {loaded} with 150 open proposals, 100 queued unbondings and 120 validators");
    // 120 validators, 150 proposals and 100 queued unbondings exist; a block reads the top of
    // the power index (10 + a few), the due ends of the queues, and its own bookkeeping.
    assert!(
        loaded <= baseline + 20,
        "an empty block read {loaded} entries (it read {baseline} on a fresh chain)"
    );
}

#[test]
fn listings_page_instead_of_reading_everything() {
    let alice = PrivateKey::generate(KeyType::Secp256k1);
    let mut app = chain(60, &[(&alice, 1_000_000 * M)], PosGenesis::default());
    let mut a = app.user(alice);
    let delegations: Vec<_> = (0..40)
        .map(|i| smsg::delegate(&a.addr(), &operator(i), &Coin::new(M, "uxyz")))
        .collect();
    ok(&run(&mut app, a.tx(delegations, 400_000_000)));

    let page = |key: Vec<u8>| PageRequest {
        key,
        limit: 15,
        count_total: true,
        ..Default::default()
    };
    let mut seen = 0;
    let mut key = Vec::new();
    loop {
        let r: QueryDelegatorDelegationsResponse = app
            .grpc(
                "/cosmos.staking.v1beta1.Query/DelegatorDelegations",
                &QueryDelegatorDelegationsRequest {
                    delegator_addr: a.addr().to_string(),
                    pagination: Some(page(key.clone())),
                },
            )
            .unwrap();
        assert!(r.delegation_responses.len() <= 15);
        seen += r.delegation_responses.len();
        let p = r.pagination.unwrap();
        if key.is_empty() {
            assert_eq!(p.total, 40, "count_total on the first page");
        }
        if p.next_key.is_empty() {
            break;
        }
        key = p.next_key;
    }
    assert_eq!(seen, 40);
    let r: QueryValidatorsResponse = app
        .grpc(
            "/cosmos.staking.v1beta1.Query/Validators",
            &QueryValidatorsRequest {
                status: String::new(),
                pagination: Some(PageRequest {
                    limit: 7,
                    ..Default::default()
                }),
            },
        )
        .unwrap();
    assert_eq!(r.validators.len(), 7);
    assert!(!r.pagination.unwrap().next_key.is_empty());
    // An offset deeper than pages go is refused: follow next_key instead.
    let deep = app.grpc::<_, QueryValidatorsResponse>(
        "/cosmos.staking.v1beta1.Query/Validators",
        &QueryValidatorsRequest {
            status: String::new(),
            pagination: Some(PageRequest {
                offset: 1_000_000,
                ..Default::default()
            }),
        },
    );
    assert!(deep.unwrap_err().1.contains("offset"));
}

/// A chain with a tester contract instantiated by `a`.
fn with_tester() -> (App, User, Address) {
    let (mut app, mut a, _b) = setup();
    let code = upload(&mut app, &mut a, "tester");
    let msg = instantiate_msg(&a.addr(), code, json!({"greeting": "hi"}), &[]);
    let r = run(&mut app, a.tx(vec![msg], 5_000_000));
    let t = contract_of(&r);
    (app, a, t)
}

#[test]
fn a_contract_scan_reads_what_the_contract_consumes_not_its_whole_store() {
    let (mut app, mut a, t) = with_tester();
    // 20 000 keys: scanning them all costs more than a smart query's 3M gas.
    for round in 0..20 {
        let fill = json!({"fill": {"prefix": format!("a{round:02}"), "count": 1000}});
        ok(&run(
            &mut app,
            a.tx(vec![execute_msg(&a.addr(), &t, fill, &[])], 40_000_000),
        ));
    }
    // No start bound: the range begins at the store's first key and ends after one entry.
    let first = smart(
        &app,
        &t,
        json!({"range": {"start": null, "end": "a00-00001", "desc": false, "mode": "keys", "skip": 0}}),
    )
    .expect("a one-entry scan of a big store fits a query's gas");
    assert_eq!(first, json!(["a00-00000"]));
    // Descending from the store's last key down to a bound.
    let last = smart(
        &app,
        &t,
        json!({"range": {"start": "a19-00999", "end": null, "desc": true, "mode": "keys", "skip": 0}}),
    )
    .unwrap();
    assert_eq!(last, json!(["greeting", "creator", "a19-00999"]));
    // The whole store is still there, and scanning all of it is paid for: out of gas.
    let all = smart(
        &app,
        &t,
        json!({"range": {"start": null, "end": null, "desc": false, "mode": "keys", "skip": 0}}),
    );
    assert!(all.unwrap_err().1.to_lowercase().contains("gas"));
}

#[test]
fn a_scan_pays_for_the_deletions_it_steps_over() {
    let (mut app, mut a, t) = with_tester();
    let fill = json!({"fill": {"prefix": "a", "count": 1000}});
    ok(&run(
        &mut app,
        a.tx(vec![execute_msg(&a.addr(), &t, fill, &[])], 40_000_000),
    ));
    let count = |a: &mut User, start: &str, end: &str| {
        let msg = json!({"count": {"start": start, "end": end, "into": "n"}});
        a.tx(vec![execute_msg(&a.addr(), &t, msg, &[])], 5_000_000)
    };
    // An earlier transaction of the block deletes every key of the range; a later one scans
    // it, finds nothing, and pays for each deletion it stepped over.
    let drain = json!({"drain": {"prefix": "a", "count": 1000}});
    let drain = a.tx(vec![execute_msg(&a.addr(), &t, drain, &[])], 40_000_000);
    let over_deletions = count(&mut a, "a", "b");
    let fb = app.block(vec![drain.into(), over_deletions.into()]);
    ok(&fb.tx_results[0]);
    ok(&fb.tx_results[1]);
    assert_eq!(
        attr(&fb.tx_results[1], "wasm", "count").as_deref(),
        Some("0")
    );
    let crossed = fb.tx_results[1].gas_used;
    // The same scan over a range that never held anything.
    let fb = app.block(vec![count(&mut a, "x", "y").into()]);
    ok(&fb.tx_results[0]);
    assert_eq!(
        attr(&fb.tx_results[0], "wasm", "count").as_deref(),
        Some("0")
    );
    let empty = fb.tx_results[0].gas_used;
    // At least the SDK's per-step iterator price (30) for each of the 1000 deletions.
    assert!(
        crossed >= empty + 1000 * 30,
        "crossing 1000 deletions cost {crossed} gas, an empty range {empty}"
    );
}

/// A chain funding `k` whose blocks may compile `weight` of uploads.
fn with_compile_room(k: &PrivateKey, weight: u64) -> App {
    let genesis = AppGenesis {
        accounts: common::genesis_accounts(&[(k, 1_000_000 * M)]),
        params: Params {
            max_tx_bytes: 4 << 20,
            max_block_compile_weight: weight,
            ..Default::default()
        },
        ..Default::default()
    };
    App::with_genesis(&genesis).0
}

#[test]
fn uploads_beyond_the_blocks_compile_room_wait_for_a_later_block() {
    let k = PrivateKey::generate(KeyType::Ed25519);
    let tester = artifact("tester");
    let weight = compile_weight(&tester);
    // Room for one tester upload per block, not two.
    let mut app = with_compile_room(&k, weight + 1000);
    let mut a = app.user(k);
    let one = a.tx(vec![store_msg(&a.addr(), tester.clone())], 45_000_000);
    let two = a.tx(vec![store_msg(&a.addr(), tester.clone())], 45_000_000);
    let proposed = app.prepare(vec![one.clone(), two.clone()]);
    assert_eq!(proposed, vec![Bytes::from(one.clone())], "the second waits");
    // A proposer that puts both in is refused.
    let both = vec![Bytes::from(one.clone()), Bytes::from(two.clone())];
    assert!(matches!(
        app.process(&both, common::time(app.height + 1)),
        tendermint::abci::response::ProcessProposal::Reject
    ));
    let fb = app.block(proposed);
    ok(&fb.tx_results[0]);
    // The next block has room for the second (the same code: compiled once, paid twice).
    let fb = app.block(vec![Bytes::from(two)]);
    ok(&fb.tx_results[0]);
}

#[test]
fn a_transaction_whose_later_upload_overflows_the_room_pays_for_what_it_compiled() {
    let k = PrivateKey::generate(KeyType::Ed25519);
    let tester = artifact("tester");
    let weight = compile_weight(&tester);
    let mut app = with_compile_room(&k, weight + 1000);
    let mut a = app.user(k);
    let before = app.balance(&a.addr());
    // Two uploads in one transaction: the first is compiled, the second has no room left. The
    // block did the first's work, so the transaction is included as failed, fee paid, and
    // the room it used stays used (a later upload in the block waits).
    let both = a.tx(
        vec![
            store_msg(&a.addr(), gzip(&tester)),
            store_msg(&a.addr(), gzip(&tester)),
        ],
        50_000_000,
    );
    let later = a.tx(vec![store_msg(&a.addr(), tester.clone())], 45_000_000);
    let proposed = app.prepare(vec![both.clone(), later.clone()]);
    assert_eq!(
        proposed.len(),
        1,
        "only the first: {:?}",
        proposed.iter().map(|t| t.len()).collect::<Vec<_>>()
    );
    assert_eq!(proposed[0], Bytes::from(both));
    let fb = app.block(proposed);
    let r = &fb.tx_results[0];
    assert_eq!(
        (r.code.value(), r.codespace.as_str()),
        (13, "wasm"),
        "{}",
        r.log
    );
    assert!(r.log.contains("separate transactions"), "{}", r.log);
    assert!(app.balance(&a.addr()) < before, "the fee was paid");
    let codes: QueryCodesResponse = app
        .grpc(
            "/cosmwasm.wasm.v1.Query/Codes",
            &QueryCodesRequest { pagination: None },
        )
        .unwrap();
    assert!(codes.code_infos.is_empty(), "nothing of it was stored");
    // The next block has room for the one that waited.
    let fb = app.block(vec![Bytes::from(later)]);
    ok(&fb.tx_results[0]);
}

#[test]
fn code_heavier_than_a_blocks_compile_room_is_never_stored() {
    let k = PrivateKey::generate(KeyType::Ed25519);
    let mut app = with_compile_room(&k, 200_000);
    let mut a = app.user(k);
    let tx = a.tx(vec![store_msg(&a.addr(), artifact("tester"))], 45_000_000);
    let r = run(&mut app, tx);
    assert_eq!(
        (r.code.value(), r.codespace.as_str()),
        (13, "wasm"),
        "{}",
        r.log
    );
    assert!(r.log.contains("too costly to compile"), "{}", r.log);
}

/// Simulates `msgs` from `u` (a signed tx: simulation ignores the signature, not the rest).
fn simulate(
    app: &App,
    u: &mut User,
    msgs: Vec<cosmos_sdk_proto::Any>,
) -> Result<SimulateResponse, (u32, String)> {
    let raw = u.tx(msgs, 0);
    u.seq -= 1;
    app.grpc(
        "/cosmos.tx.v1beta1.Service/Simulate",
        &SimulateRequest {
            tx_bytes: raw,
            ..Default::default()
        },
    )
}

#[test]
fn simulated_uploads_compile_nothing_and_leave_nothing_behind() {
    let (app, mut a, _b) = setup();
    let cache = app.dir().join("wasm-cache");
    let before = (walk(&cache), app.query.exec.vm.cache_stats().compilations);
    let me = a.addr();
    let r =
        simulate(&app, &mut a, vec![store_msg(&me, artifact("tester"))]).expect("simulated upload");
    let gas = r.gas_info.unwrap().gas_used;
    assert!(
        gas > 5_000_000,
        "the upload's storage and compile gas: {gas}"
    );
    assert_eq!(
        (walk(&cache), app.query.exec.vm.cache_stats().compilations),
        before,
        "a simulation compiled or cached something"
    );
    // Running code uploaded in the same simulation is refused clearly, not compiled.
    let both = simulate(
        &app,
        &mut a,
        vec![
            store_msg(&me, artifact("tester")),
            instantiate_msg(&me, 1, json!({"greeting": "x"}), &[]),
        ],
    );
    assert!(
        both.as_ref()
            .unwrap_err()
            .1
            .contains("uploaded in this simulation"),
        "{both:?}"
    );
    assert_eq!(app.query.exec.vm.cache_stats().compilations, before.1);
}

fn walk(dir: &std::path::Path) -> Vec<(std::path::PathBuf, u64)> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let m = e.metadata().unwrap();
            if m.is_dir() {
                out.extend(walk(&e.path()));
            } else {
                out.push((e.path(), m.len()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn failed_transactions_buy_no_activity() {
    let (busy, honest) = (
        PrivateKey::generate(KeyType::Secp256k1),
        PrivateKey::generate(KeyType::Secp256k1),
    );
    let mut staking = PosGenesis::default();
    staking.epoch.epoch_secs = 8;
    let mut app = chain(1, &[(&busy, 100 * M), (&honest, 100 * M)], staking);
    let (mut b, mut h) = (app.user(busy), app.user(honest));
    let sink = PrivateKey::generate(KeyType::Ed25519).address();
    // Three failing transactions (overdrafts: fee paid, nothing done) against one that works.
    let overdraft = |u: &mut User| {
        u.tx(
            vec![msgs::bank_send(
                &u.addr(),
                &sink,
                &[Coin::new(1000 * M, "uxyz")],
            )],
            200_000,
        )
    };
    let txs: Vec<Bytes> = (0..3).map(|_| Bytes::from(overdraft(&mut b))).collect();
    let fb = app.block(txs);
    assert!(fb.tx_results.iter().all(|r| r.code.is_err()));
    let send = h.tx(
        vec![msgs::bank_send(&h.addr(), &sink, &[Coin::new(1, "uxyz")])],
        200_000,
    );
    ok(&app.block(vec![Bytes::from(send)]).tx_results[0]);
    while !app
        .block(vec![])
        .events
        .iter()
        .any(|e| e.kind == "checkpoint")
    {}
    let cp: CheckpointResponse = app
        .json_query("/proof.checkpoint.v1.Query/Checkpoint", json!({}))
        .unwrap();
    assert_eq!(
        cp.checkpoint.rewards.most_active.as_deref(),
        Some(h.addr().to_string().as_str()),
        "three failed transactions must not outrank one that succeeded"
    );
}

#[test]
fn undelegating_below_the_minimum_self_delegation_jails_the_validator() {
    let op = PrivateKey::generate(KeyType::Ed25519);
    let cons = cons_key(77);
    let mut app = chain(2, &[(&op, 1000 * M)], PosGenesis::default());
    let mut o = app.user(op);
    let create = smsg::create_validator(&smsg::CreateValidator {
        operator: &o.addr(),
        consensus_key: cons,
        moniker: "picky",
        commission_bps: 500,
        max_commission_bps: 2000,
        max_change_bps: 100,
        min_self_delegation: 15 * M,
        self_stake: Coin::new(20 * M, "uxyz"),
    });
    ok(&run(&mut app, o.tx(vec![create], 400_000)));
    let valoper = proof_sdk::staking::valoper(&o.addr());
    let jailed = |app: &App| {
        let r: QueryValidatorResponse = app
            .grpc(
                "/cosmos.staking.v1beta1.Query/Validator",
                &QueryValidatorRequest {
                    validator_addr: valoper.clone(),
                },
            )
            .unwrap();
        r.validator.unwrap().jailed
    };
    let undelegate = |o: &mut User, amount| {
        o.tx(
            vec![smsg::undelegate(
                &o.addr(),
                &o.addr(),
                &Coin::new(amount, "uxyz"),
            )],
            400_000,
        )
    };
    ok(&run(&mut app, undelegate(&mut o, 5 * M)));
    assert!(!jailed(&app), "15 XYZ left: at the minimum");
    ok(&run(&mut app, undelegate(&mut o, M)));
    assert!(jailed(&app), "14 XYZ left: below the minimum of 15");
}

#[test]
fn transactions_with_unknown_or_non_canonical_fields_are_refused() {
    let (app, mut a, b) = setup();
    let tx = a.tx(
        vec![msgs::bank_send(
            &a.addr(),
            &b.addr(),
            &[Coin::new(1, "uxyz")],
        )],
        200_000,
    );
    // An extra field outside the signed bytes: the same tx under another hash.
    let mut padded = tx.clone();
    padded.extend_from_slice(&[0x20, 0x01]);
    let r = app.check(&padded);
    assert_eq!(r.code.value(), 2, "{}", r.log);
    assert!(r.log.contains("canonical"), "{}", r.log);
    // The same fields out of order.
    let raw = TxRaw::decode(tx.as_slice()).unwrap();
    let mut reordered = Vec::new();
    prost::encoding::bytes::encode(2, &raw.auth_info_bytes, &mut reordered);
    prost::encoding::bytes::encode(1, &raw.body_bytes, &mut reordered);
    for s in &raw.signatures {
        prost::encoding::bytes::encode(3, s, &mut reordered);
    }
    assert_eq!(app.check(&reordered).code.value(), 2);
    // A signed body with a field this chain does not honour (a newer SDK's timeout_timestamp).
    let body =
        cosmos_sdk_proto::cosmos::tx::v1beta1::TxBody::decode(raw.body_bytes.as_slice()).unwrap();
    let mut body_bytes = body.encode_to_vec();
    body_bytes.extend_from_slice(&[0x2a, 0x00]);
    let sign_bytes =
        proof_sdk::tx::sign_doc_bytes(&body_bytes, &raw.auth_info_bytes, common::CHAIN, a.num);
    let signed = TxRaw {
        body_bytes,
        auth_info_bytes: raw.auth_info_bytes.clone(),
        signatures: vec![a.key.sign(&sign_bytes)],
    };
    let r = app.check(&signed.encode_to_vec());
    assert_eq!(r.code.value(), 2, "{}", r.log);
    assert!(r.log.contains("unknown field 5"), "{}", r.log);
    // The original is fine.
    assert_eq!(app.check(&tx).code.value(), 0);
}

#[test]
fn a_storage_failure_stops_the_node_instead_of_becoming_a_result() {
    let (mut app, mut a, b) = setup();
    // Corrupt the sender's account record behind the app's back.
    let key = proof_chain::modules::auth::keys::account(&a.addr());
    let mut w = std::collections::BTreeMap::new();
    w.insert(key, Some(b"not a protobuf account".to_vec()));
    let batch = app.store.prepare_commit(app.height + 1, w, vec![]).unwrap();
    app.store.commit(batch).unwrap();
    app.height += 1;
    let tx = a.tx(
        vec![msgs::bank_send(
            &a.addr(),
            &b.addr(),
            &[Coin::new(1, "uxyz")],
        )],
        200_000,
    );
    let req = App::finalize_request(
        app.height + 1,
        vec![Bytes::from(tx)],
        vec![],
        vec![],
        common::time(app.height + 1),
    );
    let err = app
        .try_consensus(req)
        .expect_err("a block over corrupt state must not finalize");
    assert!(
        format!("{err:#}").contains("cannot execute the block"),
        "{err:#}"
    );
}
