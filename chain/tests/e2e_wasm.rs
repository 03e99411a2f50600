//! Contracts end to end on four real validators: store, instantiate, execute with funds, query,
//! migrate to v2 keeping state (refused for a non-admin), a failing submessage handled by the
//! contract's reply, an out-of-gas execution that changes nothing but the fee, and the same app
//! hash on every validator after all of it. Needs the contract artifacts.
//!
//! Ports: node i uses the ports of node 50+i.

mod common;

use common::localnet::{account, balance, submit, submit_and_wait, Localnet};
use common::wasm::{artifact, gzip};
use cosmos_sdk_proto::cosmwasm::wasm::v1::{
    MsgExecuteContract, MsgInstantiateContract, MsgMigrateContract, MsgStoreCode,
    QueryContractInfoRequest, QueryContractInfoResponse, QuerySmartContractStateRequest,
    QuerySmartContractStateResponse,
};
use cosmos_sdk_proto::Any;
use proof_sdk::rpc::RpcClient;
use proof_sdk::{msgs, Address, Coin, KeyType, PrivateKey};
use serde_json::{json, Value};

const OFFSET: u16 = 50;

fn b64(data: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(data)
}

/// The value of `key` in the first `kind` event of a committed tx.
fn exec(sender: &Address, contract: &Address, msg: Value, funds: &[Coin]) -> Any {
    msgs::to_any(&MsgExecuteContract {
        sender: sender.to_string(),
        contract: contract.to_string(),
        msg: msg.to_string().into_bytes(),
        funds: funds.iter().map(Coin::to_proto).collect(),
    })
}

async fn smart(rpc: &RpcClient, contract: &Address, q: Value) -> Value {
    let r: QuerySmartContractStateResponse = rpc
        .grpc_query(
            "/cosmwasm.wasm.v1.Query/SmartContractState",
            &QuerySmartContractStateRequest {
                address: contract.to_string(),
                query_data: q.to_string().into_bytes(),
            },
            None,
        )
        .await
        .unwrap();
    serde_json::from_slice(&r.data).unwrap()
}

async fn get(rpc: &RpcClient, contract: &Address, key: &str) -> Value {
    smart(rpc, contract, json!({"get": {"key": key}})).await
}

async fn store(net: &Localnet, key: &PrivateKey, name: &str) -> u64 {
    let msg = msgs::to_any(&MsgStoreCode {
        sender: key.address().to_string(),
        wasm_byte_code: gzip(&artifact(name)),
        instantiate_permission: None,
    });
    let tx = net.sign(key, vec![msg], 40_000_000).await;
    let r = submit(net.rpc(0), &tx).await;
    assert_eq!(r.code, 0, "store {name}: {}", r.log);
    r.event_attr("store_code", "code_id")
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contracts_on_four_validators() {
    let admin = PrivateKey::generate(KeyType::Secp256k1);
    let other = PrivateKey::generate(KeyType::Hybrid);
    let net = Localnet::start(
        4,
        OFFSET,
        "proof-e2e-wasm",
        &[
            (admin.address(), 100_000_000_000),
            (other.address(), 1_000_000_000),
        ],
        None,
    )
    .await;
    let rpc = net.rpc(0);

    // Store v1 and v2 (a second code) and a hostile contract.
    let v1 = store(&net, &admin, "tester").await;
    let v2 = store(&net, &admin, "tester").await;
    let hostile = store(&net, &admin, "hostile").await;

    // Instantiate v1 with an admin and funds (submitted to another node).
    let inst = msgs::to_any(&MsgInstantiateContract {
        sender: admin.address().to_string(),
        admin: admin.address().to_string(),
        code_id: v1,
        label: "e2e".into(),
        msg: br#"{"greeting":"v1"}"#.to_vec(),
        funds: vec![Coin::new(1000, "uxyz").to_proto()],
    });
    let tx = net.sign(&admin, vec![inst], 3_000_000).await;
    let r = submit(net.rpc(1), &tx).await;
    assert_eq!(r.code, 0, "{}", r.log);
    let t: Address = r
        .event_attr("instantiate", "_contract_address")
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(balance(rpc, &t, None).await, 1000);

    // Execute with funds, then query.
    let set = exec(
        &admin.address(),
        &t,
        json!({"set": {"key": "kept", "value": "42"}}),
        &[Coin::new(500, "uxyz")],
    );
    submit_and_wait(net.rpc(2), &net.sign(&admin, vec![set], 2_000_000).await).await;
    assert_eq!(balance(rpc, &t, None).await, 1500);
    assert_eq!(get(rpc, &t, "kept").await, "42");

    // A non-admin's migration is refused; the admin's keeps state and runs v2's migrate.
    let migrate = |who: &PrivateKey, greeting: &str| {
        msgs::to_any(&MsgMigrateContract {
            sender: who.address().to_string(),
            contract: t.to_string(),
            code_id: v2,
            msg: json!({ "new_greeting": greeting }).to_string().into_bytes(),
        })
    };
    let tx = net
        .sign(&other, vec![migrate(&other, "hijack")], 2_000_000)
        .await;
    let r = submit(rpc, &tx).await;
    assert_eq!(
        r.code, 4,
        "non-admin migration must be unauthorized: {}",
        r.log
    );
    let tx = net
        .sign(&admin, vec![migrate(&admin, "v2")], 2_000_000)
        .await;
    submit_and_wait(rpc, &tx).await;
    let info: QueryContractInfoResponse = rpc
        .grpc_query(
            "/cosmwasm.wasm.v1.Query/ContractInfo",
            &QueryContractInfoRequest {
                address: t.to_string(),
            },
            None,
        )
        .await
        .unwrap();
    assert_eq!(info.contract_info.unwrap().code_id, v2);
    assert_eq!(get(rpc, &t, "greeting").await, "v2");
    assert_eq!(get(rpc, &t, "kept").await, "42");

    // A failing submessage handled by reply: the parent's write stays, the child's is gone.
    let child = json!({"set_then_fail": {"key": "child"}});
    let sub = json!({"id": 5, "reply_on": "error", "gas_limit": null, "payload": "",
        "msg": {"wasm": {"execute": {"contract_addr": t.to_string(),
            "msg": b64(child.to_string().as_bytes()), "funds": []}}}});
    let d = exec(
        &admin.address(),
        &t,
        json!({"dispatch": {"mark": "parent", "msgs": [sub]}}),
        &[],
    );
    submit_and_wait(rpc, &net.sign(&admin, vec![d], 3_000_000).await).await;
    assert_eq!(get(rpc, &t, "parent").await, "1");
    assert_eq!(get(rpc, &t, "child").await, Value::Null);
    assert_eq!(get(rpc, &t, "reply").await, "5");

    // Out of gas: an infinite loop changes nothing but the fee and the sequence.
    let inst = msgs::to_any(&MsgInstantiateContract {
        sender: admin.address().to_string(),
        admin: String::new(),
        code_id: hostile,
        label: "hostile".into(),
        msg: b"\"\"".to_vec(),
        funds: vec![],
    });
    let r = submit(rpc, &net.sign(&admin, vec![inst], 1_000_000).await).await;
    let h: Address = r
        .event_attr("instantiate", "_contract_address")
        .unwrap()
        .parse()
        .unwrap();
    let before = balance(rpc, &admin.address(), None).await;
    let seq = account(rpc, &admin.address()).await.sequence;
    let looping = exec(
        &admin.address(),
        &h,
        json!({"infinite_loop": {}}),
        &[Coin::new(77, "uxyz")],
    );
    let r = submit(rpc, &net.sign(&admin, vec![looping], 400_000).await).await;
    assert_eq!(r.code, 11, "{}", r.log);
    assert_eq!(
        balance(rpc, &admin.address(), None).await,
        before - 10_000,
        "only the fee (400k gas at 0.025) is gone"
    );
    assert_eq!(balance(rpc, &h, None).await, 0);
    assert_eq!(account(rpc, &admin.address()).await.sequence, seq + 1);

    // Every validator computed the same state.
    let height = r.height + 1;
    let hashes = net.app_hashes(height).await;
    assert!(
        hashes.windows(2).all(|w| w[0] == w[1]),
        "app hashes differ: {hashes:?}"
    );
    for n in &net.nodes {
        assert_eq!(get(&n.rpc, &t, "kept").await, "42");
    }
}
