//! An in-process app governed by one validator operator (so its vote carries all the stake),
//! with 3-second votes, and proposals passed through real blocks.

use cosmos_sdk_proto::Any;
use proof_chain::abci::genesis::{AppGenesis, GenesisAccount};
use proof_chain::app::pos::{GenesisValidator, PosGenesis};
use proof_chain::modules::clock::ClockParams;
use proof_chain::state::params::Params;
use proof_sdk::{gov, Address, Coin, KeyType, PrivateKey, PublicKey};
use serde_json::{json, Value};

use super::wasm::{attr, contract_of, instantiate_with_admin, run, upload, User};
use super::App;

pub const M: u128 = 1_000_000;
/// The whole deposit a proposal needs.
pub const DEPOSIT: u128 = 1000;

/// An app whose only validator is operated by the first user returned (10 XYZ self-stake), with
/// `accounts` as the other genesis accounts (each `(key, coins)`, e.g. `"5uxyz,7uusd"`); the
/// operator also holds 1,000,000 XYZ.
pub fn governed_app(params: Params, accounts: &[(&PrivateKey, &str)]) -> (App, User) {
    governed_app_with(params, accounts, ClockParams::default())
}

/// [`governed_app`] with contracts called at end block from genesis.
pub fn governed_app_with(
    params: Params,
    accounts: &[(&PrivateKey, &str)],
    clock: ClockParams,
) -> (App, User) {
    let a = PrivateKey::generate(KeyType::Ed25519);
    let cons = PrivateKey::generate(KeyType::Ed25519);
    let PublicKey::Ed25519(cons_pk) = cons.public_key() else {
        unreachable!()
    };
    let mut staking = PosGenesis::default();
    staking.gov.min_deposit = DEPOSIT;
    staking.gov.voting_secs = 3;
    staking.validators = vec![GenesisValidator {
        operator: a.address().to_string(),
        pubkey: super::wasm::b64(&cons_pk),
        self_stake: (10 * M).to_string(),
        commission_bps: 1000,
        moniker: "v0".into(),
    }];
    let mut all = super::genesis_accounts(&[(&a, 1_000_000 * M)]);
    all.extend(accounts.iter().map(|(k, coins)| GenesisAccount {
        address: k.address().to_string(),
        coins: coins.to_string(),
    }));
    let genesis = AppGenesis {
        accounts: all,
        params,
        staking,
        clock,
    };
    let (app, _) = App::with_genesis(&genesis);
    let a = app.user(a);
    (app, a)
}

pub fn proposal(app: &App, id: u64) -> Value {
    app.json_query("/proof.gov.v1.Query/Proposal", json!({ "id": id }))
        .unwrap()
}

/// Submits a v1 proposal running `messages` with the full deposit, `a` votes yes, and blocks run
/// until it is tallied. Returns the proposal.
pub fn pass(app: &mut App, a: &mut User, messages: Vec<Any>) -> Value {
    let submit = gov::submit_proposal(
        &a.addr(),
        "proposal",
        "by the tests",
        messages,
        &Coin::new(DEPOSIT, "uxyz"),
    );
    pass_submitted(app, a, submit)
}

/// Like [`pass`] for a parameter-change proposal: `(subspace, key, JSON value)` triples.
pub fn pass_param_changes(app: &mut App, a: &mut User, changes: &[(&str, &str, &str)]) -> Value {
    let submit =
        gov::submit_param_change(&a.addr(), "params", changes, &Coin::new(DEPOSIT, "uxyz"));
    pass_submitted(app, a, submit)
}

fn pass_submitted(app: &mut App, a: &mut User, submit: Any) -> Value {
    let r = run(app, a.tx(vec![submit], 2_000_000));
    assert!(r.code.is_ok(), "submit: {}", r.log);
    let id: u64 = attr(&r, "submit_proposal", "proposal_id")
        .unwrap()
        .parse()
        .unwrap();
    // 1M gas pays 25,000 uxyz: above a 2-cent fixed fee at any XYZ price over $0.80.
    let r = run(
        app,
        a.tx(vec![gov::vote(&a.addr(), id, gov::YES)], 1_000_000),
    );
    assert!(r.code.is_ok(), "vote: {}", r.log);
    for _ in 0..6 {
        let fb = app.block(vec![]);
        if fb.events.iter().any(|e| e.kind == "proposal_result") {
            return proposal(app, id);
        }
    }
    panic!("proposal {id} was never tallied");
}

/// Uploads artifact `name` and instantiates it with `init`, governance as its admin (a system
/// contract, as the localnet deploys them).
pub fn deploy_governed(app: &mut App, by: &mut User, name: &str, init: Value) -> Address {
    let code = upload(app, by, name);
    let gov_addr = gov::module_address();
    let msg = instantiate_with_admin(&by.addr(), Some(&gov_addr), code, init);
    let r = run(app, by.tx(vec![msg], 5_000_000));
    assert!(r.code.is_ok(), "instantiating {name}: {}", r.log);
    contract_of(&r)
}
