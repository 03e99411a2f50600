//! The YY system contract on the chain, through the app's ABCI handlers: a cross-chain atomic
//! swap between two chains (each with its own yy): Alice locks on chain A under a hash only she
//! knows the secret of, Bob locks on chain B under the same hash with an earlier expiry, Alice
//! claims on B (revealing the secret on chain), Bob reads it from B and claims on A. Then the
//! refund path, a wrong secret, a double claim, and the altcoin registry, which only a passed
//! governance proposal can write.

mod common;

use proof_sdk::{gov as sdk_gov, Address, Coin, KeyType, PrivateKey};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use common::gov::{deploy_governed, governed_app, pass, M};
use common::wasm::{execute_msg, fee, run, smart, User};
use common::App;

const GAS: u64 = 1_000_000;

/// A chain with yy deployed (admin and governance: the gov module) and `users` funded with
/// 1,000 XYZ each.
fn chain(users: &[&PrivateKey]) -> (App, User, Address) {
    let coins = format!("{}uxyz", 1_000 * M);
    let accounts: Vec<(&PrivateKey, &str)> = users.iter().map(|k| (*k, coins.as_str())).collect();
    let (mut app, mut gov) = governed_app(
        proof_chain::state::params::Params {
            max_tx_bytes: 2 * 1024 * 1024,
            ..Default::default()
        },
        &accounts,
    );
    let init = json!({"governance": sdk_gov::module_address().to_string(), "native_denom": "uxyz"});
    let yy = deploy_governed(&mut app, &mut gov, "yy", init);
    (app, gov, yy)
}

fn exec(
    app: &mut App,
    who: &mut User,
    yy: &Address,
    msg: Value,
    funds: &[Coin],
) -> Result<Value, String> {
    let r = run(
        app,
        who.tx(vec![execute_msg(&who.addr(), yy, msg, funds)], GAS),
    );
    if r.code.is_err() {
        return Err(r.log);
    }
    Ok(json!(r
        .events
        .iter()
        .map(|e| {
            let attrs: serde_json::Map<String, Value> = e
                .attributes
                .iter()
                .map(|a| {
                    (
                        a.key_str().unwrap().to_string(),
                        Value::String(a.value_str().unwrap().to_string()),
                    )
                })
                .collect();
            json!({"type": e.kind, "attributes": attrs})
        })
        .collect::<Vec<_>>()))
}

fn lock(id: &str, hash: &str, recipient: &Address, height: u64) -> Value {
    json!({"lock": {"id": id, "hash": hash, "recipient": recipient.to_string(),
        "expires": {"at_height": height}}})
}

#[test]
fn a_cross_chain_atomic_swap_settles_both_sides_and_refunds_what_expires() {
    // The same two people on both chains: one key each, derived twice.
    let key = |seed: u8| PrivateKey::from_seed(KeyType::Secp256k1, &[seed; 64], 0).unwrap();
    let (mut a, _, yy_a) = chain(&[&key(1), &key(2)]);
    let (mut b, _, yy_b) = chain(&[&key(1), &key(2)]);
    let (mut alice_a, mut bob_a) = (a.user(key(1)), a.user(key(2)));
    let (mut alice_b, mut bob_b) = (b.user(key(1)), b.user(key(2)));
    let secret = [7u8; 32];
    let hash = hex::encode(Sha256::digest(secret));

    // Alice starts: 100 XYZ on A for Bob, for 40 blocks. Bob answers on B: 50 XYZ for Alice,
    // expiring first (20 blocks), so he always has time to claim on A once she claims on B.
    let ha = a.height;
    exec(
        &mut a,
        &mut alice_a,
        &yy_a,
        lock("swap-1", &hash, &bob_a.addr(), ha + 40),
        &[Coin::new(100 * M, "uxyz")],
    )
    .unwrap();
    let hb = b.height;
    exec(
        &mut b,
        &mut bob_b,
        &yy_b,
        lock("swap-1", &hash, &alice_b.addr(), hb + 20),
        &[Coin::new(50 * M, "uxyz")],
    )
    .unwrap();
    let swap_b = smart(&b, &yy_b, json!({"swap": {"id": "swap-1"}})).unwrap();
    assert_eq!(swap_b["hash"], hash);
    assert_eq!(swap_b["recipient"], alice_b.addr().to_string());

    // A wrong secret pays nobody.
    let wrong = exec(
        &mut b,
        &mut alice_b,
        &yy_b,
        json!({"claim": {"id": "swap-1", "preimage": hex::encode([8u8; 32])}}),
        &[],
    );
    assert!(wrong.is_err(), "a wrong secret claimed");

    // Alice claims on B: she is paid, and the secret is now on chain B.
    let alice_before = b.balance(&alice_b.addr());
    let events = exec(
        &mut b,
        &mut alice_b,
        &yy_b,
        json!({"claim": {"id": "swap-1", "preimage": hex::encode(secret)}}),
        &[],
    )
    .unwrap();
    assert_eq!(b.balance(&alice_b.addr()), alice_before + 50 * M - fee(GAS));
    let claim = events
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "wasm-yy_claim")
        .expect("a yy_claim event");
    assert_eq!(claim["attributes"]["preimage"], hex::encode(secret));
    // ... and in the settled record, for a Bob who missed the event.
    let settled = smart(&b, &yy_b, json!({"settled": {"id": "swap-1"}})).unwrap();
    assert_eq!(settled["outcome"], "claimed");
    let revealed = settled["preimage"].as_str().unwrap().to_string();

    // Bob claims on A with the secret B revealed.
    let bob_before = a.balance(&bob_a.addr());
    exec(
        &mut a,
        &mut bob_a,
        &yy_a,
        json!({"claim": {"id": "swap-1", "preimage": revealed}}),
        &[],
    )
    .unwrap();
    assert_eq!(a.balance(&bob_a.addr()), bob_before + 100 * M - fee(GAS));
    // Nothing can be claimed twice, nor the id reused.
    let again = exec(
        &mut a,
        &mut bob_a,
        &yy_a,
        json!({"claim": {"id": "swap-1", "preimage": hex::encode(secret)}}),
        &[],
    );
    assert!(again.unwrap_err().contains("claimed"));
    let later = a.height + 40;
    let reuse = exec(
        &mut a,
        &mut alice_a,
        &yy_a,
        lock("swap-1", &hash, &bob_a.addr(), later),
        &[Coin::new(M, "uxyz")],
    );
    assert!(reuse.is_err(), "a settled id was reused");

    // A swap nobody claims: no refund before its expiry, the whole amount back after it.
    let h = a.height;
    exec(
        &mut a,
        &mut alice_a,
        &yy_a,
        lock("swap-2", &hash, &bob_a.addr(), h + 5),
        &[Coin::new(30 * M, "uxyz")],
    )
    .unwrap();
    let early = exec(
        &mut a,
        &mut bob_a,
        &yy_a,
        json!({"refund": {"id": "swap-2"}}),
        &[],
    );
    assert!(early.is_err(), "refunded before expiry");
    while a.height < h + 5 {
        a.block(vec![]);
    }
    let alice_before = a.balance(&alice_a.addr());
    // Anyone may trigger the refund; it goes to the sender.
    exec(
        &mut a,
        &mut bob_a,
        &yy_a,
        json!({"refund": {"id": "swap-2"}}),
        &[],
    )
    .unwrap();
    assert_eq!(a.balance(&alice_a.addr()), alice_before + 30 * M);
    let late = exec(
        &mut a,
        &mut bob_a,
        &yy_a,
        json!({"claim": {"id": "swap-2", "preimage": hex::encode(secret)}}),
        &[],
    );
    assert!(late.is_err(), "claimed after the refund");
}

#[test]
fn only_governance_registers_an_altcoin() {
    let user = PrivateKey::generate(KeyType::Secp256k1);
    let (mut app, mut gov, yy) = chain(&[&user]);
    let mut user = app.user(user);
    // The ICS-20 voucher of uatom arriving on channel-0: sha256("transfer/channel-0/uatom").
    let denom = format!(
        "ibc/{}",
        hex::encode_upper(Sha256::digest(b"transfer/channel-0/uatom"))
    );
    let register = json!({"register": {"altcoin": {
        "denom": denom, "base_denom": "uatom", "trace_path": "transfer/channel-0",
        "source_chain": "cosmoshub-4", "channel": "channel-0", "decimals": 6, "display": "ATOM",
        "limits": {"quotas": [{"name": "day", "window_seconds": 86400,
            "max_inflow": "1000000000", "max_outflow": "1000000000"}]}
    }}});
    let direct = exec(&mut app, &mut user, &yy, register.clone(), &[]);
    assert!(
        direct.unwrap_err().contains("only governance"),
        "a user registered an altcoin"
    );
    let msg = execute_msg(&sdk_gov::module_address(), &yy, register, &[]);
    let p = pass(&mut app, &mut gov, vec![msg]);
    assert_eq!(p["status"], "Passed", "{p}");
    let a = smart(&app, &yy, json!({"altcoin": {"denom": denom}})).unwrap();
    assert_eq!(a["altcoin"]["display"], "ATOM");
    assert_eq!(a["status"], "active");
    let by_trace = smart(
        &app,
        &yy,
        json!({"altcoin_by_trace": {"trace_path": "transfer/channel-0", "base_denom": "uatom"}}),
    )
    .unwrap();
    assert_eq!(by_trace["altcoin"]["denom"], denom);
}
