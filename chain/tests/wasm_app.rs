//! The wasm module driven through the ABCI handlers: upload, instantiate, execute, queries, and
//! the failure semantics (contract error, out of gas, malformed code). Needs the contract
//! artifacts (`bash contracts/build.sh`; `scripts/test.sh` runs it).

mod common;

use common::wasm::*;
use common::CHAIN;
use cosmos_sdk_proto::cosmwasm::wasm::v1::{
    QueryCodeRequest, QueryCodeResponse, QueryContractInfoRequest, QueryContractInfoResponse,
    QueryRawContractStateRequest, QueryRawContractStateResponse,
};
use proof_chain::modules::wasm::contract_address;
use proof_sdk::{Address, Coin};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

#[test]
fn store_instantiate_execute_query_token() {
    let (mut app, mut a, b) = setup();
    let token = instantiate_token(&mut app, &mut a);
    // wasmd's classic address of instance 1 of code 1.
    assert_eq!(token, contract_address(1, 1));
    assert_eq!(token.as_bytes().len(), 32);

    // Code and contract info queries.
    let code: QueryCodeResponse = app
        .grpc(
            "/cosmwasm.wasm.v1.Query/Code",
            &QueryCodeRequest { code_id: 1 },
        )
        .unwrap();
    let info = code.code_info.unwrap();
    assert_eq!(info.creator, a.addr().to_string());
    assert_eq!(info.data_hash, Sha256::digest(artifact("token")).to_vec());
    assert_eq!(code.data, artifact("token"));
    let ci: QueryContractInfoResponse = app
        .grpc(
            "/cosmwasm.wasm.v1.Query/ContractInfo",
            &QueryContractInfoRequest {
                address: token.to_string(),
            },
        )
        .unwrap();
    let ci = ci.contract_info.unwrap();
    assert_eq!((ci.code_id, ci.label.as_str()), (1, "test"));
    assert_eq!(ci.creator, a.addr().to_string());

    // Transfer 300 to b.
    let tx = a.tx(
        vec![execute_msg(
            &a.addr(),
            &token,
            json!({"transfer": {"recipient": b.addr().to_string(), "amount": "300"}}),
            &[],
        )],
        1_000_000,
    );
    let r = run(&mut app, tx);
    assert!(r.code.is_ok(), "{}", r.log);
    assert_eq!(
        attr(&r, "execute", "_contract_address").unwrap(),
        token.to_string()
    );
    assert!(r.gas_used > 0 && r.gas_used < 1_000_000);
    assert_eq!(token_balance(&app, &token, &a.addr()), 700);
    assert_eq!(token_balance(&app, &token, &b.addr()), 300);

    // Raw state: the Item "token_info".
    let raw: QueryRawContractStateResponse = app
        .grpc(
            "/cosmwasm.wasm.v1.Query/RawContractState",
            &QueryRawContractStateRequest {
                address: token.to_string(),
                query_data: b"token_info".to_vec(),
            },
        )
        .unwrap();
    let ti: Value = serde_json::from_slice(&raw.data).unwrap();
    assert_eq!(ti["symbol"], "TOK");
    assert_eq!(ti["total_supply"], "1000");

    // Unknown contract / bad query.
    let err = smart(&app, &contract_address(9, 9), json!({"token_info": {}})).unwrap_err();
    assert!(err.1.contains("no such contract"), "{err:?}");
    let err = smart(&app, &token, json!({"nonsense": {}})).unwrap_err();
    assert!(err.1.contains("query wasm contract failed"), "{err:?}");
}

#[test]
fn execute_with_funds_moves_coins_to_the_contract() {
    let (mut app, mut a, b) = setup();
    let token = instantiate_token(&mut app, &mut a);
    let before = app.balance(&a.addr());
    let tx = a.tx(
        vec![execute_msg(
            &a.addr(),
            &token,
            json!({"transfer": {"recipient": b.addr().to_string(), "amount": "1"}}),
            &[Coin::new(12_345, "uxyz")],
        )],
        1_000_000,
    );
    let r = run(&mut app, tx);
    assert!(r.code.is_ok(), "{}", r.log);
    assert_eq!(app.balance(&token), 12_345);
    assert_eq!(app.balance(&a.addr()), before - 12_345 - fee(1_000_000));
    assert_eq!(token_balance(&app, &token, &b.addr()), 1);
}

#[test]
fn failing_execute_reverts_state_and_funds_but_keeps_the_fee() {
    let (mut app, mut a, b) = setup();
    let token = instantiate_token(&mut app, &mut a);
    let before = app.balance(&a.addr());
    let seq = app.account(&a.addr()).unwrap().sequence;
    let tx = a.tx(
        vec![execute_msg(
            &a.addr(),
            &token,
            json!({"transfer": {"recipient": b.addr().to_string(), "amount": "5000"}}),
            &[Coin::new(777, "uxyz")],
        )],
        1_000_000,
    );
    let r = run(&mut app, tx);
    assert_eq!(r.code.value(), 5, "{}", r.log);
    assert_eq!(r.codespace, "wasm");
    assert!(r.log.contains("insufficient funds"), "{}", r.log);
    assert_eq!(app.balance(&a.addr()), before - fee(1_000_000));
    assert_eq!(app.balance(&token), 0);
    assert_eq!(app.account(&a.addr()).unwrap().sequence, seq + 1);
    assert_eq!(token_balance(&app, &token, &a.addr()), 1000);
    assert_eq!(token_balance(&app, &token, &b.addr()), 0);
}

#[test]
fn out_of_gas_in_a_contract_reverts_and_keeps_the_fee() {
    let (mut app, mut a, b) = setup();
    let token = instantiate_token(&mut app, &mut a);
    let transfer = |a: &mut User, gas: u64| {
        a.tx(
            vec![execute_msg(
                &a.addr(),
                &token,
                json!({"transfer": {"recipient": b.addr().to_string(), "amount": "10"}}),
                &[Coin::new(50, "uxyz")],
            )],
            gas,
        )
    };
    // The first transfer also creates the contract's bank account; the second costs the same as
    // the third below would.
    let mut needed = 0;
    for _ in 0..2 {
        let r = run(&mut app, transfer(&mut a, 1_000_000));
        assert!(r.code.is_ok(), "{}", r.log);
        needed = r.gas_used as u64;
    }
    // The same transfer with a little less gas than it needs: the ante handler and the funds
    // are paid for, the contract runs out. Nothing changes but the fee.
    let before = app.balance(&a.addr());
    let gas = needed - 500;
    let r = run(&mut app, transfer(&mut a, gas));
    assert_eq!(r.code.value(), 11, "{}", r.log);
    assert!(r.log.contains("contract"), "{}", r.log);
    assert_eq!(r.gas_used, r.gas_wanted);
    assert_eq!(app.balance(&a.addr()), before - fee(gas));
    assert_eq!(app.balance(&token), 100);
    assert_eq!(token_balance(&app, &token, &b.addr()), 20);

    // An infinite loop stops at the gas limit.
    let hostile = upload(&mut app, &mut a, "hostile");
    let tx = a.tx(
        vec![instantiate_msg(&a.addr(), hostile, json!(""), &[])],
        1_000_000,
    );
    let r = run(&mut app, tx);
    assert!(r.code.is_ok(), "{}", r.log);
    let h: Address = attr(&r, "instantiate", "_contract_address")
        .unwrap()
        .parse()
        .unwrap();
    let before = app.balance(&a.addr());
    let tx = a.tx(
        vec![execute_msg(
            &a.addr(),
            &h,
            json!({"infinite_loop": {}}),
            &[],
        )],
        500_000,
    );
    let r = run(&mut app, tx);
    assert_eq!(r.code.value(), 11, "{}", r.log);
    assert_eq!(r.gas_used, 500_000);
    assert_eq!(app.balance(&a.addr()), before - fee(500_000));
}

#[test]
fn malformed_wasm_is_rejected_with_a_wasm_code() {
    let (mut app, mut a, _b) = setup();
    let before = app.balance(&a.addr());
    let tx = a.tx(
        vec![store_msg(
            &a.addr(),
            b"\0asm\x01\0\0\0 definitely not wasm".to_vec(),
        )],
        2_000_000,
    );
    let r = run(&mut app, tx);
    assert_eq!(
        (r.code.value(), r.codespace.as_str()),
        (2, "wasm"),
        "{}",
        r.log
    );
    assert!(r.log.contains("create wasm contract failed"), "{}", r.log);
    assert_eq!(app.balance(&a.addr()), before - fee(2_000_000));
    // Nothing was stored.
    let err = app
        .grpc::<_, QueryCodeResponse>(
            "/cosmwasm.wasm.v1.Query/Code",
            &QueryCodeRequest { code_id: 1 },
        )
        .unwrap_err();
    assert!(err.1.contains("no such code"), "{err:?}");

    // Garbage that is not even gzip/wasm, and code that inflates past the limit. Nothing is
    // un-gzipped before the transaction has paid (CheckTx only checks the size as sent): the
    // oversized code fails when it runs, at the sender's expense, after inflating no more than
    // the limit.
    let tx = a.tx(vec![store_msg(&a.addr(), b"hello".to_vec())], 2_000_000);
    let r = run(&mut app, tx);
    assert_eq!(
        (r.code.value(), r.codespace.as_str()),
        (2, "wasm"),
        "{}",
        r.log
    );
    let big = gzip(&vec![0u8; 900 * 1024]);
    // (`run` requires CheckTx to admit it.)
    let tx = a.tx(vec![store_msg(&a.addr(), big)], 5_000_000);
    let r = run(&mut app, tx);
    assert_eq!(
        (r.code.value(), r.codespace.as_str()),
        (13, "wasm"),
        "{}",
        r.log
    );
    assert!(
        r.gas_used > 2_400_000,
        "the inflation was paid: {}",
        r.gas_used
    );
    // Code over the limit as sent is refused by CheckTx.
    let tx = a.tx(vec![store_msg(&a.addr(), vec![0u8; 801 * 1024])], 2_000_000);
    let c = app.check(&tx);
    assert_eq!(
        (c.code.value(), c.codespace.as_str()),
        (13, "wasm"),
        "{}",
        c.log
    );
    a.seq -= 1;

    // Instantiating a code that does not exist.
    let tx = a.tx(
        vec![instantiate_msg(&a.addr(), 42, json!({}), &[])],
        1_000_000,
    );
    let r = run(&mut app, tx);
    assert_eq!(
        (r.code.value(), r.codespace.as_str()),
        (8, "wasm"),
        "{}",
        r.log
    );
}

#[test]
fn contract_storage_scans_querier_and_env_go_through_the_chain() {
    let (mut app, mut a, _b) = setup();
    let token = instantiate_token(&mut app, &mut a);
    let code = upload(&mut app, &mut a, "tester");
    let tx = a.tx(
        vec![instantiate_msg(
            &a.addr(),
            code,
            json!({"greeting": "hi"}),
            &[],
        )],
        2_000_000,
    );
    let r = run(&mut app, tx);
    assert!(r.code.is_ok(), "{}", r.log);
    assert_eq!(attr(&r, "wasm", "height").unwrap(), app.height.to_string());
    let tester: Address = attr(&r, "instantiate", "_contract_address")
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(attr(&r, "wasm", "contract").unwrap(), tester.to_string());
    assert_eq!(tester, contract_address(code, 2));

    // Writes and a remove in one tx, then range scans through the chain's storage.
    let tx = a.tx(
        vec![
            execute_msg(
                &a.addr(),
                &tester,
                json!({"fill": {"prefix": "k", "count": 5}}),
                &[],
            ),
            execute_msg(
                &a.addr(),
                &tester,
                json!({"remove": {"key": "k-00002"}}),
                &[],
            ),
        ],
        2_000_000,
    );
    let r = run(&mut app, tx);
    assert!(r.code.is_ok(), "{}", r.log);
    let range = |start: Option<&str>, end: Option<&str>, desc: bool| -> Vec<String> {
        let q =
            json!({"range": {"start": start, "end": end, "desc": desc, "mode": "keys", "skip": 0}});
        serde_json::from_value(smart(&app, &tester, q).unwrap()).unwrap()
    };
    assert_eq!(
        range(None, None, false),
        ["creator", "greeting", "k-00000", "k-00001", "k-00003", "k-00004"]
    );
    assert_eq!(
        range(Some("k-00001"), Some("k-00004"), false),
        ["k-00001", "k-00003"]
    );
    assert_eq!(
        range(Some("k-00001"), Some("k-00004"), true),
        ["k-00003", "k-00001"]
    );
    assert_eq!(range(Some("k"), None, true).len(), 4);
    let got = smart(&app, &tester, json!({"get": {"key": "greeting"}})).unwrap();
    assert_eq!(got, "hi");

    // The querier: bank, another contract (smart and raw), and an unsupported request.
    let raw = |req: Value| -> Value {
        let q = json!({"raw": {"request": b64(req.to_string().as_bytes())}});
        smart(&app, &tester, q).unwrap()
    };
    let r = raw(json!({"bank": {"balance": {"address": a.addr().to_string(), "denom": "uxyz"}}}));
    let bal: Value = serde_json::from_slice(&unb64(&r["ok"]["ok"])).unwrap();
    assert_eq!(bal["amount"]["amount"], app.balance(&a.addr()).to_string());
    let r = raw(json!({"bank": {"all_balances": {"address": a.addr().to_string()}}}));
    let all: Value = serde_json::from_slice(&unb64(&r["ok"]["ok"])).unwrap();
    assert_eq!(all["amount"][0]["denom"], "uxyz");
    let inner = json!({"balance": {"address": a.addr().to_string()}}).to_string();
    let r = raw(
        json!({"wasm": {"smart": {"contract_addr": token.to_string(), "msg": b64(inner.as_bytes())}}}),
    );
    let tb: Value = serde_json::from_slice(&unb64(&r["ok"]["ok"])).unwrap();
    assert_eq!(tb["balance"], "1000");
    let r = raw(
        json!({"wasm": {"raw": {"contract_addr": token.to_string(), "key": b64(b"token_info")}}}),
    );
    let ti: Value = serde_json::from_slice(&unb64(&r["ok"]["ok"])).unwrap();
    assert_eq!(ti["symbol"], "TOK");
    let r = raw(json!({"staking": {"all_validators": {}}}));
    assert_eq!(r["error"]["unsupported_request"]["kind"], "staking", "{r}");

    // Env: the last committed block and the contract's own address.
    let env = smart(&app, &tester, json!({"env": {}})).unwrap();
    assert_eq!(env["block"]["height"], app.height);
    assert_eq!(env["block"]["chain_id"], CHAIN);
    assert_eq!(
        env["block"]["time"],
        format!("{}", common::time(app.height).unix_timestamp_nanos())
    );
    assert_eq!(env["contract"]["address"], tester.to_string());
}
