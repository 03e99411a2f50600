//! Governance proposals carrying messages (`cosmos.gov.v1`), through the app's ABCI handlers:
//! migrating a contract whose admin is governance, refusing proposals that could spend the gov
//! account's deposits or name another signer, a proposal whose message fails changing nothing,
//! and a software upgrade: the old binary halts at the plan's height without executing anything
//! of that block, the new one (with the migration) carries on from the same state.

mod common;

use cosmos_sdk_proto::cosmos::upgrade::v1beta1::{
    QueryAppliedPlanRequest, QueryAppliedPlanResponse, QueryCurrentPlanRequest,
    QueryCurrentPlanResponse,
};
use cosmos_sdk_proto::Any;
use proof_chain::modules::upgrade::migrations::Upgrades;
use proof_chain::state::params::Params;
use proof_sdk::{gov, msgs, Address, Coin, KeyType, PrivateKey};
use serde_json::json;
use tendermint::v0_38::abci::ConsensusRequest;

use common::gov::{governed_app, pass, proposal, DEPOSIT, M};
use common::wasm::{
    attr, code_and_admin, contract_of, get, instantiate_with_admin, run, upload, User,
};
use common::{time, App};

/// An app whose only validator is operated by `a` (so `a`'s vote carries all the stake), with
/// 3-second votes; `b` has funds but no stake.
fn setup() -> (App, User, User) {
    setup_with(Params {
        max_tx_bytes: 2 * 1024 * 1024,
        ..Default::default()
    })
}

fn setup_with(params: Params) -> (App, User, User) {
    let b = PrivateKey::generate(KeyType::Secp256k1);
    let b_coins = format!("{}uxyz", 1_000 * M);
    let (app, a) = governed_app(params, &[(&b, &b_coins)]);
    let b = app.user(b);
    (app, a, b)
}

fn instantiate(app: &mut App, who: &mut User, code_id: u64, admin: &Address) -> Address {
    let msg = instantiate_with_admin(&who.addr(), Some(admin), code_id, json!({"greeting": "v1"}));
    let r = run(app, who.tx(vec![msg], 2_000_000));
    assert!(r.code.is_ok(), "{}", r.log);
    contract_of(&r)
}

fn greeting(app: &App, contract: &Address) -> String {
    get(app, contract, "greeting").unwrap()
}

#[test]
fn governance_migrates_the_contracts_it_administers_and_nothing_else() {
    let (mut app, mut a, mut b) = setup();
    let gov_addr = gov::module_address();
    let v1 = upload(&mut app, &mut a, "tester");
    let v2 = upload(&mut app, &mut a, "tester");
    let system = instantiate(&mut app, &mut a, v1, &gov_addr);
    let b_addr = b.addr();
    let users = instantiate(&mut app, &mut b, v1, &b_addr);

    // The admin (governance) cannot be bypassed by a transaction: nobody can sign for it.
    let direct = gov::migrate_contract(&system, v2, br#"{"new_greeting":"v2"}"#);
    let c = app.check(&a.tx(vec![direct], 2_000_000));
    assert!(
        c.code.is_err(),
        "a tx signed for the gov account passed CheckTx"
    );
    a.seq -= 1;

    // A passed proposal migrates the system contract, with the gov account as the sender.
    let p = pass(
        &mut app,
        &mut a,
        vec![gov::migrate_contract(
            &system,
            v2,
            br#"{"new_greeting":"v2"}"#,
        )],
    );
    assert_eq!(p["status"], "Passed", "{p}");
    assert_eq!(code_and_admin(&app, &system), (v2, gov_addr.to_string()));
    assert_eq!(greeting(&app, &system), "v2");

    // A contract governance does not administer: the proposal passes the vote but fails, and
    // changes nothing (the deposit still comes back).
    let before = app.balance(&a.addr());
    let p = pass(
        &mut app,
        &mut a,
        vec![gov::migrate_contract(
            &users,
            v2,
            br#"{"new_greeting":"hijacked"}"#,
        )],
    );
    assert_eq!(p["status"], "Failed", "{p}");
    assert!(
        p["failed_reason"]
            .as_str()
            .unwrap()
            .contains("unauthorized"),
        "{p}"
    );
    assert_eq!(code_and_admin(&app, &users), (v1, b.addr().to_string()));
    assert_eq!(greeting(&app, &users), "v1");
    // Two fees were paid (submit, vote); the deposit came back.
    let fees = common::wasm::fee(2_000_000) + common::wasm::fee(1_000_000);
    assert_eq!(app.balance(&a.addr()), before - fees);

    // All or nothing: the first message would succeed, the second fails, so neither applies.
    let p = pass(
        &mut app,
        &mut a,
        vec![
            gov::migrate_contract(&system, v1, br#"{"new_greeting":"back"}"#),
            gov::migrate_contract(&users, v2, br#"{"new_greeting":"x"}"#),
        ],
    );
    assert_eq!(p["status"], "Failed", "{p}");
    assert_eq!(code_and_admin(&app, &system).0, v2);
    assert_eq!(greeting(&app, &system), "v2");
}

#[test]
fn a_passed_upload_runs_whatever_the_blocks_transactions_compiled() {
    let tester = common::wasm::artifact("tester");
    let weight = common::wasm::compile_weight(&tester);
    // Room for one tester upload per block.
    let (mut app, mut a, mut b) = setup_with(Params {
        max_tx_bytes: 2 * 1024 * 1024,
        max_block_compile_weight: weight + 1000,
        ..Default::default()
    });
    let upload = common::wasm::store_msg(&gov::module_address(), common::wasm::gzip(&tester));
    let submit = gov::submit_proposal(
        &a.addr(),
        "upload",
        "by the tests",
        vec![upload],
        &Coin::new(DEPOSIT, "uxyz"),
    );
    let r = run(&mut app, a.tx(vec![submit], 40_000_000));
    assert!(r.code.is_ok(), "submit: {}", r.log);
    let id: u64 = attr(&r, "submit_proposal", "proposal_id")
        .unwrap()
        .parse()
        .unwrap();
    let r = run(
        &mut app,
        a.tx(vec![gov::vote(&a.addr(), id, gov::YES)], 2_000_000),
    );
    assert!(r.code.is_ok(), "vote: {}", r.log);
    // Every block until the tally fills its room with a transaction's upload.
    for _ in 0..6 {
        let tx = b.tx(
            vec![common::wasm::store_msg(
                &b.addr(),
                common::wasm::gzip(&tester),
            )],
            45_000_000,
        );
        let fb = app.block(vec![tx.into()]);
        assert!(fb.tx_results[0].code.is_ok(), "{}", fb.tx_results[0].log);
        if fb.events.iter().any(|e| e.kind == "proposal_result") {
            let p = proposal(&app, id);
            assert_eq!(p["status"], "Passed", "{p}");
            return;
        }
    }
    panic!("proposal {id} was never tallied");
}

#[test]
fn proposals_may_not_spend_the_gov_account_or_speak_for_others() {
    let (mut app, mut a, b) = setup();
    let gov_addr = gov::module_address();
    let submit = |a: &User, messages: Vec<Any>| {
        gov::submit_proposal(&a.addr(), "t", "", messages, &Coin::new(DEPOSIT, "uxyz"))
    };
    let cases: Vec<(Vec<Any>, &str)> = vec![
        // The gov account holds every proposal's deposits.
        (
            vec![msgs::bank_send(
                &gov_addr,
                &b.addr(),
                &[Coin::new(1, "uxyz")],
            )],
            "cannot be a proposal message",
        ),
        // A message signed by someone else.
        (
            vec![msgs::bank_send(
                &b.addr(),
                &a.addr(),
                &[Coin::new(1, "uxyz")],
            )],
            "signer must be the gov module account",
        ),
        (vec![], "at least one message"),
        (
            vec![Any {
                type_url: "/cosmos.unknown.v1.MsgNothing".into(),
                value: vec![],
            }],
            "unknown message type",
        ),
        (
            vec![gov::software_upgrade("", 100, "")],
            "name cannot be empty",
        ),
    ];
    // All refused statelessly: CheckTx keeps them out of the mempool, and a block carrying
    // one is invalid.
    for (messages, expected) in cases {
        let tx = a.tx(vec![submit(&a, messages)], 2_000_000);
        a.seq -= 1;
        let c = app.check(&tx);
        assert!(
            c.code.is_err(),
            "accepted a proposal that should fail with {expected}"
        );
        assert!(c.log.contains(expected), "{expected}: {}", c.log);
        let fb = app.block(vec![tx.into()]);
        assert!(fb.tx_results[0].code.is_err());
    }
    assert_eq!(app.balance(&gov_addr), 0);
}

fn current_plan(app: &App) -> Option<(String, i64)> {
    let r: QueryCurrentPlanResponse = app
        .grpc(
            "/cosmos.upgrade.v1beta1.Query/CurrentPlan",
            &QueryCurrentPlanRequest {},
        )
        .unwrap();
    r.plan.map(|p| (p.name, p.height))
}

fn applied_at(app: &App, name: &str) -> i64 {
    let r: QueryAppliedPlanResponse = app
        .grpc(
            "/cosmos.upgrade.v1beta1.Query/AppliedPlan",
            &QueryAppliedPlanRequest { name: name.into() },
        )
        .unwrap();
    r.height
}

#[test]
fn software_upgrade_halts_the_old_binary_and_the_new_one_carries_on() {
    let (mut app, mut a, _b) = setup();
    let at = app.height + 20;
    let p = pass(
        &mut app,
        &mut a,
        vec![gov::software_upgrade("v2", at, "binary: v2")],
    );
    assert_eq!(p["status"], "Passed", "{p}");
    assert_eq!(current_plan(&app), Some(("v2".into(), at as i64)));

    // A binary that already has the upgrade refuses to run blocks before its height.
    app.restart_with(Upgrades::builtin().with_drill("v2"));
    let next = App::finalize_request(app.height + 1, vec![], vec![], vec![], time(app.height + 1));
    let err = app.try_consensus(next).unwrap_err().to_string();
    assert!(err.contains("BINARY UPDATED BEFORE TRIGGER"), "{err}");
    app.restart_with(Upgrades::builtin());

    // The old binary runs up to the block before the upgrade...
    while app.height + 1 < at {
        app.block(vec![]);
    }
    let hash_before = app.store.app_hash(app.height).unwrap();
    // ...still builds and accepts the upgrade's block (so consensus decides it and every node
    // receives it), but refuses to finalize it, committing nothing.
    let h = app.height + 1;
    let prepare = ConsensusRequest::PrepareProposal(tendermint::abci::request::PrepareProposal {
        max_tx_bytes: 1 << 20,
        txs: vec![],
        local_last_commit: None,
        misbehavior: vec![],
        height: h.try_into().unwrap(),
        time: time(h),
        next_validators_hash: Default::default(),
        proposer_address: common::proposer(),
    });
    assert!(app.try_consensus(prepare).is_ok());
    let err = app
        .try_consensus(App::finalize_request(h, vec![], vec![], vec![], time(h)))
        .unwrap_err()
        .to_string();
    assert!(err.contains(r#"UPGRADE "v2" NEEDED at height: "#), "{err}");
    assert!(err.contains("binary: v2"), "{err}");
    assert_eq!(app.store.latest_version(), Some(app.height));
    assert_eq!(app.store.app_hash(app.height).unwrap(), hash_before);

    // Restarted on the new binary: the upgrade's block runs the migration and the chain goes on.
    app.restart_with(Upgrades::builtin().with_drill("v2"));
    let fb = app.block(vec![]);
    let upgrade = fb
        .events
        .iter()
        .find(|e| e.kind == "upgrade")
        .expect("upgrade event");
    assert_eq!(upgrade.attributes[0].value_str().unwrap(), "v2");
    assert_eq!(current_plan(&app), None);
    assert_eq!(applied_at(&app, "v2"), at as i64);
    let r = run(
        &mut app,
        a.tx(
            vec![msgs::bank_send(
                &a.addr(),
                &a.addr(),
                &[Coin::new(1, "uxyz")],
            )],
            200_000,
        ),
    );
    assert!(r.code.is_ok(), "{}", r.log);

    // The same name cannot be scheduled twice; a plan can be cancelled.
    let later = app.height + 50;
    let p = pass(
        &mut app,
        &mut a,
        vec![gov::software_upgrade("v2", later, "")],
    );
    assert_eq!(p["status"], "Failed", "{p}");
    assert!(
        p["failed_reason"]
            .as_str()
            .unwrap()
            .contains("already applied"),
        "{p}"
    );
    let p = pass(
        &mut app,
        &mut a,
        vec![gov::software_upgrade("v3", later, "")],
    );
    assert_eq!(p["status"], "Passed", "{p}");
    assert!(current_plan(&app).is_some());
    let p = pass(&mut app, &mut a, vec![gov::cancel_upgrade()]);
    assert_eq!(p["status"], "Passed", "{p}");
    assert_eq!(current_plan(&app), None);
}
