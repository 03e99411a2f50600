//! `proof query ...` and `proof tx ...` against an unreachable node and a fake JSON-RPC node.

mod common;

use common::mock::{MockNode, State};
use common::{stdout, Env};
use cosmos_sdk_proto::cosmos::bank::v1beta1::MsgSend;
use cosmos_sdk_proto::cosmos::tx::v1beta1::{AuthInfo, TxBody, TxRaw};
use proof_sdk::tx::sign_doc_bytes;
use proof_sdk::PublicKey;
use prost::{Message, Name};
use serde_json::Value;

const DEAD_NODE: &str = "http://127.0.0.1:1";

/// A valid address nobody in these tests holds a key for.
fn stranger() -> String {
    proof_sdk::Address::from_bytes(&[9u8; 20])
        .unwrap()
        .to_string()
}

fn key(env: &Env, name: &str, kind: &str) -> String {
    env.json(&["keys", "add", name, "--key-type", kind])["address"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn unreachable_node_fails_with_a_clear_message() {
    let env = Env::new();
    let (addr, hash) = (stranger(), "AB".repeat(32));
    for args in [
        vec!["query", "status"],
        vec!["query", "block"],
        vec!["query", "supply"],
        vec!["query", "tx", &hash],
        vec!["query", "bank", "balances", &addr],
    ] {
        let mut full = vec!["--node", DEAD_NODE];
        full.extend(args.iter().copied());
        let err = env.fails(&full);
        assert!(
            err.contains("cannot reach the node at http://127.0.0.1:1"),
            "{args:?}: {err}"
        );
        assert!(err.contains("--node"), "says how to fix it: {err}");
    }
    // PROOF_NODE is honoured like --node.
    let env = Env::with_node(DEAD_NODE);
    let err = env.fails(&["query", "status"]);
    assert!(err.contains("127.0.0.1:1"), "{err}");

    // A send fails the same way, after validating the key locally.
    key(&env, "alice", "ed25519");
    let err = env.fails(&["tx", "bank", "send", "alice", &stranger(), "1uxyz"]);
    assert!(err.contains("cannot reach the node"), "{err}");
}

#[test]
fn bad_arguments_fail_before_the_network() {
    let env = Env::with_node(DEAD_NODE);
    let err = env.fails(&["query", "bank", "balances", "nobody"]);
    assert!(
        err.contains("neither") && err.contains("proof keys list"),
        "{err}"
    );
    let err = env.fails(&["query", "tx", "xyz"]);
    assert!(err.contains("64 hex"), "{err}");
    let err = env.fails(&["tx", "bank", "send", "ghost", &stranger(), "1uxyz"]);
    assert!(err.contains("no key named \"ghost\""), "{err}");
    key(&env, "alice", "ed25519");
    let err = env.fails(&["tx", "bank", "send", "alice", "proof1notanaddress", "1uxyz"]);
    assert!(err.contains("not a valid proof1"), "{err}");
    let err = env.fails(&["tx", "bank", "send", "alice", &stranger(), "lots"]);
    assert!(err.contains("invalid amount"), "{err}");
    let err = env.fails(&["tx", "bank", "send", "alice", &stranger(), "0uxyz"]);
    assert!(err.contains("positive"), "{err}");
}

#[test]
fn status_block_and_supply() {
    let node = MockNode::start(State::default());
    let env = Env::with_node(&node.url);
    let s = env.json(&["query", "status"]);
    assert_eq!(s["chain_id"], "mock-1");
    assert_eq!(s["latest_block_height"], "42");
    assert_eq!(s["catching_up"], false);
    assert_eq!(s["latest_app_hash"], "BB".repeat(32));
    let text = env.ok(&["query", "status"]);
    assert!(text.contains("mock-1") && text.contains("42"), "{text}");

    let b = env.json(&["query", "block", "7"]);
    assert_eq!(b["height"], "7");
    assert_eq!(b["num_txs"], 2);
    assert_eq!(b["txs"][0], proof_sdk::tx::tx_hash_hex(b"tx-one"));
    assert_eq!(b["proposer"], "DD".repeat(20));
    let text = env.ok(&["query", "block"]);
    assert!(
        text.contains("42") && text.contains(&"CC".repeat(32)),
        "{text}"
    );

    let sup = env.json(&["query", "supply"]);
    assert_eq!(sup["supply"][0]["denom"], "uxyz");
    assert_eq!(sup["supply"][0]["amount"], "1000000000");
    let none = env.json(&["query", "supply", "--denom", "foo"]);
    assert_eq!(none["supply"][0]["amount"], "0");
}

#[test]
fn balances_follow_pagination_and_accept_key_names() {
    let env = Env::new();
    let addr = key(&env, "alice", "hybrid");
    let mut st = State::default();
    st.balances.insert(
        addr.clone(),
        vec![
            ("afoo".into(), "5".into()),
            ("bbar".into(), "6".into()),
            ("uxyz".into(), "1000".into()),
        ],
    );
    let node = MockNode::start(st);
    let env = Env {
        node: Some(node.url.clone()),
        ..env
    };

    let b = env.json(&["query", "bank", "balances", "alice"]);
    assert_eq!(b["address"], addr.as_str());
    let got: Vec<(String, String)> = b["balances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["denom"].as_str().unwrap().to_string(),
                c["amount"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("afoo".into(), "5".into()),
            ("bbar".into(), "6".into()),
            ("uxyz".into(), "1000".into())
        ]
    );
    // Pages after the first are pinned to the height the first one was answered at.
    let heights: Vec<String> = node
        .state
        .lock()
        .unwrap()
        .queries
        .iter()
        .map(|(_, h)| h.clone())
        .collect();
    assert_eq!(heights, ["0", "42", "42"]);

    let one = env.json(&[
        "query", "bank", "balances", &addr, "--denom", "uxyz", "--height", "40",
    ]);
    assert_eq!(one["balances"][0]["amount"], "1000");
    assert_eq!(one["height"], "40");
    let text = env.ok(&["query", "bank", "balances", &addr]);
    assert!(
        text.contains("1000") && text.contains("uxyz") && text.contains("bbar"),
        "{text}"
    );

    let empty = env.ok(&["query", "bank", "balances", &stranger()]);
    assert!(empty.contains("no balances"), "{empty}");
}

#[test]
fn account_query_shows_number_and_sequence() {
    let env = Env::new();
    let addr = key(&env, "alice", "secp256k1");
    let mut st = State::default();
    st.accounts.insert(addr.clone(), (7, 3));
    let node = MockNode::start(st);
    let env = Env {
        node: Some(node.url.clone()),
        ..env
    };

    let a = env.json(&["query", "account", &addr]);
    assert_eq!(a["address"], addr.as_str());
    assert_eq!(a["account_number"], "7");
    assert_eq!(a["sequence"], "3");
    assert_eq!(a["pub_key"], Value::Null);
    let text = env.ok(&["query", "account", "alice"]);
    assert!(
        text.contains("account number: 7") && text.contains("sequence:       3"),
        "{text}"
    );
    assert!(text.contains("pubkey type"), "{text}");

    let err = env.fails(&["query", "account", &stranger()]);
    assert!(
        err.contains("does not exist on chain") && err.contains("receive funds"),
        "{err}"
    );
}

/// Decodes what the CLI broadcast and checks it is a correctly signed MsgSend.
fn check_signed_send(
    tx: &[u8],
    from: &str,
    to: &str,
    amount: &str,
    account_number: u64,
    sequence: u64,
) -> TxBody {
    let raw = TxRaw::decode(tx).unwrap();
    let body = TxBody::decode(raw.body_bytes.as_slice()).unwrap();
    assert_eq!(body.messages.len(), 1);
    assert_eq!(body.messages[0].type_url, MsgSend::type_url());
    let msg = MsgSend::decode(body.messages[0].value.as_slice()).unwrap();
    assert_eq!(msg.from_address, from);
    assert_eq!(msg.to_address, to);
    let sent: Vec<String> = msg
        .amount
        .iter()
        .map(|c| format!("{}{}", c.amount, c.denom))
        .collect();
    assert_eq!(sent.join(","), amount);

    let auth = AuthInfo::decode(raw.auth_info_bytes.as_slice()).unwrap();
    assert_eq!(auth.signer_infos.len(), 1);
    assert_eq!(auth.signer_infos[0].sequence, sequence);
    let pk = PublicKey::from_any(
        auth.signer_infos[0]
            .public_key
            .as_ref()
            .expect("pubkey included"),
    )
    .unwrap();
    assert_eq!(
        pk.address().to_string(),
        from,
        "the included pubkey controls the sender"
    );
    let doc = sign_doc_bytes(
        &raw.body_bytes,
        &raw.auth_info_bytes,
        "mock-1",
        account_number,
    );
    pk.verify(&doc, &raw.signatures[0])
        .expect("signature verifies for chain mock-1 and the account number");
    assert!(pk
        .verify(
            &sign_doc_bytes(
                &raw.body_bytes,
                &raw.auth_info_bytes,
                "other",
                account_number
            ),
            &raw.signatures[0]
        )
        .is_err());
    body
}

#[test]
fn send_signs_broadcasts_and_waits() {
    for kind in ["hybrid", "secp256k1"] {
        let env = Env::new();
        let from = key(&env, "alice", kind);
        let to = key(&env, "bob", "ed25519");
        let mut st = State::default();
        st.accounts.insert(from.clone(), (7, 3));
        let node = MockNode::start(st);
        let env = Env {
            node: Some(node.url.clone()),
            ..env
        };

        let r = env.json(&[
            "tx",
            "bank",
            "send",
            "alice",
            &to,
            "1234uxyz,5afoo",
            "--memo",
            "hello",
            "--timeout-height",
            "99",
        ]);
        assert_eq!(r["code"], 0);
        assert_eq!(r["height"], "43");
        assert_eq!(r["gas_used"], "61234");
        let txs = node.state.lock().unwrap().broadcast.clone();
        assert_eq!(txs.len(), 1);
        assert_eq!(r["txhash"], proof_sdk::tx::tx_hash_hex(&txs[0]));
        // Sent sorted by denom, as the chain requires of a message's coins (given unsorted).
        let body = check_signed_send(&txs[0], &from, &to, "5afoo,1234uxyz", 7, 3);
        assert_eq!(body.memo, "hello");
        assert_eq!(body.timeout_height, 99);
        let auth = AuthInfo::decode(
            TxRaw::decode(txs[0].as_slice())
                .unwrap()
                .auth_info_bytes
                .as_slice(),
        )
        .unwrap();
        let fee = auth.fee.unwrap();
        assert_eq!(fee.gas_limit, 200_000);
        assert_eq!(
            (fee.amount[0].amount.as_str(), fee.amount[0].denom.as_str()),
            ("5000", "uxyz")
        );

        // Text output names hash, height, code and gas; the recipient may be a key name.
        let text = env.ok(&[
            "tx", "bank", "send", "alice", "bob", "1uxyz", "--fees", "6000uxyz", "--gas", "240000",
        ]);
        let hash = proof_sdk::tx::tx_hash_hex(&node.state.lock().unwrap().broadcast[1]);
        assert!(
            text.contains(&hash) && text.contains("43") && text.contains("61234"),
            "{text}"
        );

        // The committed tx can be looked up.
        let q = env.json(&["query", "tx", &hash.to_lowercase()]);
        assert_eq!(q["txhash"], hash.as_str());
        assert_eq!(q["height"], "43");
        assert_eq!(q["messages"][0], "/cosmos.bank.v1beta1.MsgSend");
        assert_eq!(q["events"][0]["type"], "transfer");
        let qt = env.ok(&["query", "tx", &hash]);
        assert!(
            qt.contains("transfer: recipient=proof1recipient, amount=1234uxyz"),
            "{qt}"
        );
    }
}

#[test]
fn send_uses_the_given_chain_id() {
    let env = Env::new();
    let from = key(&env, "alice", "ed25519");
    let mut st = State::default();
    st.accounts.insert(from.clone(), (1, 0));
    let node = MockNode::start(st);
    let env = Env {
        node: Some(node.url.clone()),
        ..env
    };
    env.ok(&[
        "tx",
        "bank",
        "send",
        "alice",
        &from,
        "1uxyz",
        "--chain-id",
        "other-chain",
        "--no-wait",
    ]);
    let tx = node.state.lock().unwrap().broadcast[0].clone();
    let raw = TxRaw::decode(tx.as_slice()).unwrap();
    let auth = AuthInfo::decode(raw.auth_info_bytes.as_slice()).unwrap();
    let pk = PublicKey::from_any(auth.signer_infos[0].public_key.as_ref().unwrap()).unwrap();
    pk.verify(
        &sign_doc_bytes(&raw.body_bytes, &raw.auth_info_bytes, "other-chain", 1),
        &raw.signatures[0],
    )
    .unwrap();
}

#[test]
fn send_from_an_unfunded_account_explains_what_to_do() {
    let env = Env::new();
    key(&env, "alice", "hybrid");
    let node = MockNode::start(State::default());
    let env = Env {
        node: Some(node.url.clone()),
        ..env
    };
    let err = env.fails(&["tx", "bank", "send", "alice", &stranger(), "1uxyz"]);
    assert!(
        err.contains("does not exist on chain mock-1") && err.contains("must receive funds first"),
        "{err}"
    );
    assert!(node.state.lock().unwrap().broadcast.is_empty());
}

#[test]
fn send_with_wrong_password_broadcasts_nothing() {
    let env = Env::new();
    let from = key(&env, "alice", "hybrid");
    let mut st = State::default();
    st.accounts.insert(from, (1, 0));
    let node = MockNode::start(st);
    let env = Env {
        node: Some(node.url.clone()),
        password: Some("nope".into()),
        ..env
    };
    let err = env.fails(&["tx", "bank", "send", "alice", &stranger(), "1uxyz"]);
    assert!(err.contains("wrong password for key \"alice\""), "{err}");
    assert!(node.state.lock().unwrap().broadcast.is_empty());
}

#[test]
fn checktx_rejection_exits_nonzero_with_a_hint() {
    let env = Env::new();
    let from = key(&env, "alice", "ed25519");
    let mut st = State::default();
    st.accounts.insert(from.clone(), (1, 0));
    st.check_code = 13;
    st.check_log = "insufficient fee: got 1uxyz required 10000uxyz".into();
    let node = MockNode::start(st);
    let env = Env {
        node: Some(node.url.clone()),
        ..env
    };
    let args = [
        "tx", "bank", "send", "alice", &from, "1uxyz", "--fees", "1uxyz", "--gas", "400000",
    ];
    let err = env.fails(&args);
    assert!(
        err.contains("CheckTx") && err.contains("code 13") && err.contains("insufficient fee"),
        "{err}"
    );
    assert!(
        err.contains("hint:") && err.contains("--fees 10000uxyz"),
        "{err}"
    );

    // JSON mode still writes one parseable document for scripts, and exits 1.
    let mut full = vec!["-o", "json"];
    full.extend_from_slice(&args);
    let out = env.run(&full);
    assert_eq!(out.status.code(), Some(1));
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(doc["code"], 13);
    assert_eq!(doc["stage"], "check_tx");
}

#[test]
fn failed_delivery_exits_nonzero() {
    let env = Env::new();
    let from = key(&env, "alice", "ed25519");
    let mut st = State::default();
    st.accounts.insert(from.clone(), (1, 0));
    st.deliver_code = 5;
    st.deliver_log = "spendable balance 0uxyz is smaller than 1uxyz: insufficient funds".into();
    let node = MockNode::start(st);
    let env = Env {
        node: Some(node.url.clone()),
        ..env
    };
    let out = env.run(&["-o", "json", "tx", "bank", "send", "alice", &from, "1uxyz"]);
    assert_eq!(out.status.code(), Some(1));
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(doc["code"], 5);
    assert_eq!(doc["height"], "43");
    let err = common::stderr(&out);
    assert!(
        err.contains("failed in block 43") && err.contains("insufficient funds"),
        "{err}"
    );
    assert!(err.contains("proof query bank balances"), "{err}");
}

#[test]
fn no_wait_and_wait_timeout() {
    let env = Env::new();
    let from = key(&env, "alice", "ed25519");
    let mut st = State::default();
    st.accounts.insert(from.clone(), (1, 0));
    st.commit = false;
    let node = MockNode::start(st);
    let env = Env {
        node: Some(node.url.clone()),
        ..env
    };

    let r = env.json(&["tx", "bank", "send", "alice", &from, "1uxyz", "--no-wait"]);
    assert_eq!(r["stage"], "mempool");
    assert_eq!(
        r["txhash"],
        proof_sdk::tx::tx_hash_hex(&node.state.lock().unwrap().broadcast[0])
    );

    let started = std::time::Instant::now();
    let err = env.fails(&[
        "tx",
        "bank",
        "send",
        "alice",
        &from,
        "1uxyz",
        "--wait-timeout",
        "1s",
    ]);
    assert!(
        err.contains("not committed within") && err.contains("proof query tx"),
        "{err}"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    let err = env.fails(&[
        "tx",
        "bank",
        "send",
        "alice",
        &from,
        "1uxyz",
        "--wait-timeout",
        "soon",
    ]);
    assert!(err.contains("invalid duration"), "{err}");
}
