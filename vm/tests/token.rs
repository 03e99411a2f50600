//! The cw20-style `token` contract end to end.

mod common;

use common::*;
use serde_json::json;

fn token() -> Harness {
    let h = Harness::new("token");
    h.instantiate(
        &addr(1),
        json!({"name": "Proof Token", "symbol": "PRF", "decimals": 6,
            "initial_balances": [{"address": addr(1), "amount": "1000"}], "minter": addr(9)}),
    )
    .ok();
    h
}

fn balance(h: &Harness, who: &str) -> String {
    h.query(json!({"balance": {"address": who}})).query_json()["balance"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn transfer_moves_balances() {
    let h = token();
    let r = h.execute(
        &addr(1),
        json!({"transfer": {"recipient": addr(2), "amount": "250"}}),
    );
    assert_eq!(r.attr("action"), "transfer");
    assert_eq!(balance(&h, &addr(1)), "750");
    assert_eq!(balance(&h, &addr(2)), "250");
    let info = h.query(json!({"token_info": {}})).query_json();
    assert_eq!(info["total_supply"], "1000");
    let all = h.query(json!({"all_accounts": {}})).query_json();
    assert_eq!(all["accounts"].as_array().unwrap().len(), 2);
}

#[test]
fn failures_change_nothing() {
    let h = token();
    let r = h.execute(
        &addr(1),
        json!({"transfer": {"recipient": addr(2), "amount": "5000"}}),
    );
    assert!(r.contract_err().contains("insufficient funds"));
    let r = h.execute(
        &addr(1),
        json!({"transfer": {"recipient": "bogus", "amount": "1"}}),
    );
    assert!(r.contract_err().contains("addr_validate errored"));
    let r = h.execute(
        &addr(1),
        json!({"mint": {"recipient": addr(1), "amount": "1"}}),
    );
    assert_eq!(r.contract_err(), "unauthorized");
    assert_eq!(balance(&h, &addr(1)), "1000");
}

#[test]
fn mint_and_burn_track_supply() {
    let h = token();
    h.execute(
        &addr(9),
        json!({"mint": {"recipient": addr(3), "amount": "40"}}),
    )
    .ok();
    h.execute(&addr(3), json!({"burn": {"amount": "15"}})).ok();
    assert_eq!(balance(&h, &addr(3)), "25");
    let info = h.query(json!({"token_info": {}})).query_json();
    assert_eq!(info["total_supply"], "1025");
}
