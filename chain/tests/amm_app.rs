//! The AMM system contract on the chain, through the app's ABCI handlers: its swaps wait in the
//! pool until the chain's end-block hook (the clock module, `clock.contracts`, set by
//! governance) clears them; a sandwich inside one block earns nothing and the order of a block's
//! swaps changes nobody's fill; a failing or starved end-block contract is an event, the chain
//! and the contracts after it go on.

mod common;

use bytes::Bytes;
use proof_sdk::{gov as sdk_gov, Address, Coin, KeyType, PrivateKey};
use serde_json::{json, Value};
use tendermint::abci::response::FinalizeBlock;

use common::gov::{deploy_governed, governed_app_with, pass_param_changes, M};
use common::wasm::{
    contract_of, execute_msg, fee, instantiate_with_admin, run, smart, upload, User,
};
use common::App;
use proof_chain::modules::clock::{ClockParams, HookContract};

const USD: &str = "uusd";
/// Gas of every test transaction.
const GAS: u64 = 1_000_000;

struct Market {
    app: App,
    gov: User,
    amm: Address,
}

/// An AMM instance administered by governance with one pool of 1,000,000 XYZ against
/// 1,000,000 USD, and `traders` funded with 100,000 of each. Not yet called at end block.
fn market(traders: &[&PrivateKey]) -> Market {
    market_with(traders, ClockParams::default())
}

/// [`market`] on a chain whose genesis lists `clock` at end block.
fn market_with(traders: &[&PrivateKey], clock: ClockParams) -> Market {
    let lp = PrivateKey::generate(KeyType::Secp256k1);
    let rich = format!("{}uxyz,{}{USD}", 10_000_000 * M, 10_000_000 * M);
    let funded = format!("{}uxyz,{}{USD}", 100_000 * M, 100_000 * M);
    let mut accounts = vec![(&lp, rich.as_str())];
    accounts.extend(traders.iter().map(|k| (*k, funded.as_str())));
    let (mut app, mut gov) = governed_app_with(
        proof_chain::state::params::Params {
            max_tx_bytes: 2 * 1024 * 1024,
            ..Default::default()
        },
        &accounts,
        clock,
    );
    let mut lp = app.user(lp);
    let gov_addr = sdk_gov::module_address();
    let init = json!({
        "governance": gov_addr.to_string(),
        "base_denom": "uxyz",
        "params": {
            "swap_fee_bps": 30, "max_swap_bps": 1000, "max_block_bps": 2000,
            "band_bps": 1500, "twap_blocks": 10, "cooldown_blocks": 5
        }
    });
    let amm = deploy_governed(&mut app, &mut gov, "amm", init);
    let create = execute_msg(
        &lp.addr(),
        &amm,
        json!({"create_pool": {}}),
        &[
            Coin::new(1_000_000 * M, USD),
            Coin::new(1_000_000 * M, "uxyz"),
        ],
    );
    let r = run(&mut app, lp.tx(vec![create], GAS));
    assert!(r.code.is_ok(), "create_pool: {}", r.log);
    Market { app, gov, amm }
}

impl Market {
    fn list_hooks(&mut self, hooks: &[(&Address, u64)]) {
        let list: Vec<Value> = hooks
            .iter()
            .map(|(a, g)| json!({"address": a.to_string(), "gas_limit": g}))
            .collect();
        let value = serde_json::to_string(&list).unwrap();
        let p = pass_param_changes(
            &mut self.app,
            &mut self.gov,
            &[("clock", "contracts", &value)],
        );
        assert_eq!(p["status"], "Passed", "{p}");
    }

    fn swap(&self, who: &mut User, coin: Coin) -> Bytes {
        let msg = execute_msg(
            &who.addr(),
            &self.amm,
            json!({"swap": {"pool": 1, "min_out": "0"}}),
            &[coin],
        );
        Bytes::from(who.tx(vec![msg], GAS))
    }

    fn pending(&self) -> usize {
        let r = smart(&self.app, &self.amm, json!({"pending": {"pool": 1}})).unwrap();
        r["swaps"].as_array().unwrap().len()
    }

    fn pool(&self) -> Value {
        smart(&self.app, &self.amm, json!({"pool": {"pool": 1}})).unwrap()
    }
}

fn events<'a>(
    fb: &'a FinalizeBlock,
    kind: &'a str,
) -> impl Iterator<Item = Vec<(String, String)>> + 'a {
    fb.events.iter().filter(move |e| e.kind == kind).map(|e| {
        e.attributes
            .iter()
            .map(|a| {
                (
                    a.key_str().unwrap().to_string(),
                    a.value_str().unwrap().to_string(),
                )
            })
            .collect()
    })
}

fn attr_of(ev: &[(String, String)], key: &str) -> String {
    ev.iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
        .unwrap_or_else(|| panic!("no {key} in {ev:?}"))
}

/// The `end_block_hook` events of a block, as (contract, result, error).
fn hook_results(fb: &FinalizeBlock) -> Vec<(String, String, String)> {
    events(fb, "end_block_hook")
        .map(|ev| {
            let error = ev
                .iter()
                .find(|(k, _)| k == "error")
                .map(|(_, v)| v.clone())
                .unwrap_or_default();
            (attr_of(&ev, "contract"), attr_of(&ev, "result"), error)
        })
        .collect()
}

/// The gas each end-block call of a block used.
fn hook_gas(fb: &FinalizeBlock) -> Vec<u64> {
    events(fb, "end_block_hook")
        .map(|ev| attr_of(&ev, "gas_used").parse().unwrap())
        .collect()
}

#[test]
fn swaps_wait_for_the_end_block_hook_governance_turns_on() {
    let t = PrivateKey::generate(KeyType::Secp256k1);
    let mut m = market(&[&t]);
    let mut t = m.app.user(t);
    assert_eq!(
        m.app
            .json_query::<Value>("/proof.clock.v1.Query/Params", json!({}))
            .unwrap(),
        json!({"contracts": []})
    );

    // Nothing calls the AMM at end block yet: the swap stays queued, block after block.
    let swap = m.swap(&mut t, Coin::new(1_000 * M, USD));
    let fb = m.app.block(vec![swap]);
    assert!(fb.tx_results[0].code.is_ok(), "{}", fb.tx_results[0].log);
    m.app.block(vec![]);
    assert_eq!(m.pending(), 1);
    assert!(hook_results(&fb).is_empty());

    // Governance lists it; the block in which the proposal passes already clears the swap.
    let usd_before = m.app.balance_of(&t.addr(), USD);
    let xyz_before = m.app.balance(&t.addr());
    m.list_hooks(&[(&m.amm.clone(), 20_000_000)]);
    assert_eq!(m.pending(), 0);
    assert_eq!(m.app.balance_of(&t.addr(), USD), usd_before);
    // 1,000 USD in at a price of about 1, less the 0.3% fee: between 990 and 997 XYZ out.
    let got = m.app.balance(&t.addr()) - xyz_before;
    assert!((990 * M..997 * M).contains(&got), "{got}");
    let listed: Value = m
        .app
        .json_query("/proof.clock.v1.Query/Params", json!({}))
        .unwrap();
    assert_eq!(listed["contracts"][0]["address"], m.amm.to_string());

    // From now on every block with swaps clears them, with the hook's event and the AMM's.
    let swap = m.swap(&mut t, Coin::new(500 * M, "uxyz"));
    let fb = m.app.block(vec![swap]);
    assert_eq!(
        hook_results(&fb),
        vec![(m.amm.to_string(), "ok".into(), String::new())]
    );
    let clear: Vec<_> = events(&fb, "wasm-amm_clear").collect();
    assert_eq!(clear.len(), 1, "{:?}", fb.events);
    assert_eq!(attr_of(&clear[0], "swaps"), "1");
    assert_eq!(m.pending(), 0);
}

/// Balances of `who` in both denoms, with the uxyz the transactions' fees took added back.
fn holdings(app: &App, who: &Address, txs: u128) -> (u128, u128) {
    (app.balance(who) + txs * fee(GAS), app.balance_of(who, USD))
}

/// One block: the attacker buys USD from one account, the victim buys USD, the attacker sells
/// USD back from another account, in `order`. Returns the victim's and the attacker's change in
/// each denom, and the price.
fn sandwich(order: [usize; 3]) -> ((i128, i128), (i128, i128), u128) {
    let keys: Vec<PrivateKey> = (0..3)
        .map(|_| PrivateKey::generate(KeyType::Secp256k1))
        .collect();
    let mut m = market(&keys.iter().collect::<Vec<_>>());
    m.list_hooks(&[(&m.amm.clone(), 20_000_000)]);
    let mut users: Vec<User> = keys.into_iter().map(|k| m.app.user(k)).collect();
    let before: Vec<_> = users
        .iter()
        .map(|u| holdings(&m.app, &u.addr(), 0))
        .collect();
    let coins = [
        Coin::new(50_000 * M, "uxyz"),
        Coin::new(20_000 * M, "uxyz"),
        Coin::new(50_000 * M, USD),
    ];
    let txs: Vec<Bytes> = users
        .iter_mut()
        .zip(coins)
        .map(|(u, c)| m.swap(u, c))
        .collect();
    let fb = m.app.block(order.iter().map(|&i| txs[i].clone()).collect());
    assert!(
        fb.tx_results.iter().all(|r| r.code.is_ok()),
        "{:?}",
        fb.tx_results
    );
    let clear: Vec<_> = events(&fb, "wasm-amm_clear").collect();
    assert_eq!(attr_of(&clear[0], "swaps"), "3");
    let d: Vec<(i128, i128)> = users
        .iter()
        .zip(&before)
        .map(|(u, b)| {
            let a = holdings(&m.app, &u.addr(), 1);
            (a.0 as i128 - b.0 as i128, a.1 as i128 - b.1 as i128)
        })
        .collect();
    let price: u128 = attr_of(&clear[0], "clearing_price").parse().unwrap();
    let attacker = (d[0].0 + d[2].0, d[0].1 + d[2].1);
    (d[1], attacker, price)
}

#[test]
fn a_sandwich_in_one_block_earns_nothing_and_order_changes_no_fill() {
    let scale = amm_price_scale();
    let (victim, attacker, price) = sandwich([0, 1, 2]);
    // The attacker's round trip, valued in XYZ at the one price everything cleared at (the
    // batch's): a loss (the fees), never a profit.
    let attacker_value = attacker.0 + attacker.1 * scale as i128 / price as i128;
    assert!(
        attacker_value < 0,
        "the sandwich earned {attacker_value} uxyz"
    );
    // Any order of the same three transactions gives everyone the same fill.
    for order in [[2, 1, 0], [1, 0, 2], [1, 2, 0]] {
        let (v, x, p) = sandwich(order);
        assert_eq!((v, x, p), (victim, attacker, price), "order {order:?}");
    }
}

fn amm_price_scale() -> u128 {
    1_000_000_000_000_000_000
}

#[test]
fn a_failing_or_starved_end_block_contract_is_an_event_and_the_chain_goes_on() {
    let t = PrivateKey::generate(KeyType::Secp256k1);
    let mut m = market(&[&t]);
    let mut t = m.app.user(t);
    // A contract without a sudo entry point listed first: it fails every block, the AMM after it
    // still clears.
    let hostile_code = upload(&mut m.app, &mut m.gov, "hostile");
    let r = run(
        &mut m.app,
        m.gov.tx(
            vec![instantiate_with_admin(
                &m.gov.addr(),
                None,
                hostile_code,
                json!(""),
            )],
            5_000_000,
        ),
    );
    assert!(r.code.is_ok(), "{}", r.log);
    let hostile = contract_of(&r);
    m.list_hooks(&[(&hostile, 1_000_000), (&m.amm.clone(), 20_000_000)]);
    let swap = m.swap(&mut t, Coin::new(1_000 * M, USD));
    let fb = m.app.block(vec![swap]);
    let results = hook_results(&fb);
    assert_eq!(results.len(), 2, "{results:?}");
    assert_eq!(
        (results[0].0.as_str(), results[0].1.as_str()),
        (hostile.to_string().as_str(), "failed")
    );
    assert!(!results[0].2.is_empty());
    assert_eq!(results[1].1, "ok");
    assert_eq!(m.pending(), 0);
    let full = hook_gas(&fb)[1];

    // The AMM starved of gas half-way through clearing one swap: its call fails, every write it
    // made is dropped, the swap waits; the chain goes on, and the swap clears once governance
    // gives the call its gas back.
    m.list_hooks(&[(&m.amm.clone(), full / 2)]);
    let reserves = m.pool();
    let swap = m.swap(&mut t, Coin::new(1_000 * M, USD));
    let fb = m.app.block(vec![swap]);
    let results = hook_results(&fb);
    assert_eq!(results[0].1, "failed", "{results:?}");
    assert!(results[0].2.contains("out of gas"), "{results:?}");
    let before = m.app.balance(&t.addr());
    for _ in 0..3 {
        m.app.block(vec![]);
    }
    assert_eq!(m.pending(), 1);
    assert_eq!(m.app.balance(&t.addr()), before);
    assert_eq!(m.pool(), reserves, "a failed call moved the pool");
    m.list_hooks(&[(&m.amm.clone(), 20_000_000)]);
    assert_eq!(m.pending(), 0);
    assert!(m.app.balance(&t.addr()) > before);
}

#[test]
fn clock_parameters_refuse_unbounded_work() {
    let mut m = market(&[]);
    let amm = m.amm.to_string();
    for (value, why) in [
        (
            json!([{"address": amm, "gas_limit": 50_000_001u64}]),
            "gas_limit",
        ),
        (
            json!([{"address": amm, "gas_limit": 1}, {"address": amm, "gas_limit": 1}]),
            "twice",
        ),
        (
            json!([{"address": "proof1junk", "gas_limit": 1}]),
            "proof1junk",
        ),
    ] {
        let submit = sdk_gov::submit_param_change(
            &m.gov.addr(),
            "bad",
            &[("clock", "contracts", &value.to_string())],
            &Coin::new(common::gov::DEPOSIT, "uxyz"),
        );
        let r = run(&mut m.app, m.gov.tx(vec![submit], 2_000_000));
        assert!(r.code.is_err() && r.log.contains(why), "{value}: {}", r.log);
    }
}

#[test]
fn a_genesis_can_list_the_amm_at_its_predicted_address() {
    // The first contract of a fresh chain is instance 1 of code 1: a network that deploys its
    // system contracts first lists them at genesis (as the localnet does).
    let predicted = proof_sdk::contract_address::classic(1, 1);
    let clock = ClockParams {
        contracts: vec![HookContract {
            address: predicted.to_string(),
            gas_limit: 20_000_000,
        }],
    };
    let t = PrivateKey::generate(KeyType::Secp256k1);
    let m = market_with(&[&t], clock);
    assert_eq!(m.amm, predicted);
    let mut m = m;
    let mut t = m.app.user(t);
    let swap = m.swap(&mut t, Coin::new(1_000 * M, USD));
    let fb = m.app.block(vec![swap]);
    assert_eq!(
        hook_results(&fb),
        vec![(predicted.to_string(), "ok".into(), String::new())]
    );
    assert_eq!(m.pending(), 0);
}

#[test]
fn a_full_batch_clears_within_a_quarter_of_the_localnets_end_block_gas() {
    // 256 swaps (the most one pool queues in a block) from 8 traders. The contract clears at
    // most 4 pools a block, so one full pool must fit a quarter of the gas the localnet lists
    // the AMM with (40M): else a busy block would fail every time. (Measured: 4.6M.)
    let keys: Vec<PrivateKey> = (0..8)
        .map(|_| PrivateKey::generate(KeyType::Secp256k1))
        .collect();
    let mut m = market(&keys.iter().collect::<Vec<_>>());
    m.list_hooks(&[(&m.amm.clone(), 40_000_000)]);
    let mut traders: Vec<User> = keys.into_iter().map(|k| m.app.user(k)).collect();
    let mut txs = Vec::new();
    for i in 0..256 {
        let coin = if i % 2 == 0 {
            Coin::new(M + i as u128, USD)
        } else {
            Coin::new(M + i as u128, "uxyz")
        };
        let t = &mut traders[i % 8];
        txs.push(m.swap(t, coin));
    }
    let fb = m.app.block(txs);
    assert!(fb.tx_results.iter().all(|r| r.code.is_ok()));
    assert_eq!(hook_results(&fb)[0].1, "ok", "{:?}", hook_results(&fb));
    let clear: Vec<_> = events(&fb, "wasm-amm_clear").collect();
    assert_eq!(attr_of(&clear[0], "filled"), "256");
    let gas = hook_gas(&fb)[0];
    assert!(gas <= 40_000_000 / 4, "a full pool took {gas} gas");
    assert_eq!(m.pending(), 0);
}

#[test]
fn the_fixed_fee_follows_the_amms_twap_and_falls_back_when_the_pool_is_thin() {
    let t = PrivateKey::generate(KeyType::Secp256k1);
    let mut m = market(&[&t]);
    let mut t = m.app.user(t);
    m.list_hooks(&[(&m.amm.clone(), 20_000_000)]);
    let price = |m: &Market| -> Value {
        m.app
            .json_query("/proof.fee_price.v1.Query/Price", json!({}))
            .unwrap()
    };
    // No source: the genesis parameter (0: no fixed fee, the gas price alone).
    assert_eq!(price(&m)["from"], "chain.xyz_price_micro_usd");
    assert_eq!(price(&m)["fixed_fee_uxyz"], "0");
    let source = |min_quote_reserve: u128| {
        json!({"contract": m.amm.to_string(), "pool": 1, "window_blocks": 5,
            "min_quote_reserve": min_quote_reserve.to_string(), "quote_decimals": 6})
        .to_string()
    };
    let deep = source(1_000 * M);
    let p = pass_param_changes(&mut m.app, &mut m.gov, &[("fee_price", "source", &deep)]);
    assert_eq!(p["status"], "Passed", "{p}");
    m.app.block(vec![]);
    // The pool stands at 1 USD per XYZ: 2 cents are 20,000 uxyz.
    let p = price(&m);
    assert_eq!(
        (p["from"].as_str(), p["micro_usd_per_xyz"].as_u64()),
        (Some("amm"), Some(1_000_000))
    );
    assert_eq!(p["fixed_fee_uxyz"], "20000");
    // An unchanged price is not written again (no write, no event, block after block).
    let quiet = m.app.block(vec![]);
    assert!(
        !quiet.events.iter().any(|e| e.kind == "fee_price"),
        "{:?}",
        quiet.events
    );
    // A transaction paying the gas price alone (5,000 uxyz at 200k gas) no longer pays enough.
    let cheap = proof_sdk::msgs::bank_send(&t.addr(), &m.gov.addr(), &[Coin::new(1, "uxyz")]);
    let c = m.app.check(&t.tx(vec![cheap], 200_000));
    assert!(
        c.code.is_err() && c.log.contains("fixed fee of 20000uxyz"),
        "{}",
        c.log
    );
    t.seq -= 1;

    // Buying XYZ for three blocks lifts the price; the fee price follows the 5-block TWAP (read
    // after each block's clearing), so 2 cents cost fewer uxyz.
    for _ in 0..3 {
        let swap = m.swap(&mut t, Coin::new(20_000 * M, USD));
        m.app.block(vec![swap]);
    }
    let twap = smart(&m.app, &m.amm, json!({"twap": {"pool": 1, "window": 5}})).unwrap();
    let twap: u128 = twap["price"].as_str().unwrap().parse().unwrap();
    let expect = (twap / 1_000_000_000_000) as u64;
    let p = price(&m);
    assert_eq!(p["micro_usd_per_xyz"].as_u64(), Some(expect));
    assert!(expect > 1_000_000, "the TWAP did not rise: {expect}");
    let fee: u128 = p["fixed_fee_uxyz"].as_str().unwrap().parse().unwrap();
    assert_eq!(fee, (20_000u128 * 1_000_000).div_ceil(u128::from(expect)));
    assert!(fee < 20_000);

    // A pool thinner than the source asks: no price from it, fees fall back to the parameter.
    let thin = source(10_000_000 * M);
    let p = pass_param_changes(&mut m.app, &mut m.gov, &[("fee_price", "source", &thin)]);
    assert_eq!(p["status"], "Passed", "{p}");
    m.app.block(vec![]);
    assert_eq!(price(&m)["from"], "chain.xyz_price_micro_usd");
    assert_eq!(price(&m)["fixed_fee_uxyz"], "0");
}
