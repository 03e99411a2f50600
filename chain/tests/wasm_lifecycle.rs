//! The rest of a contract's life through the ABCI handlers: predictable addresses
//! (instantiate2), migration and admins, instantiate permissions, submessages with replies and
//! nested rollback, contract-info queries from contracts, and the listing queries.
//! Needs the contract artifacts (`bash contracts/build.sh`).

mod common;

use common::wasm::*;
use common::App;
use cosmos_sdk_proto::cosmos::base::abci::v1beta1::TxMsgData;
use cosmos_sdk_proto::cosmos::base::query::v1beta1::PageRequest;
use cosmos_sdk_proto::cosmwasm::wasm::v1::{
    AccessConfig, AccessType, ContractCodeHistoryOperationType as Op, MsgClearAdmin,
    MsgExecuteContractResponse, MsgInstantiateContract2, MsgMigrateContract, MsgStoreCode,
    MsgUpdateAdmin, QueryAllContractStateRequest, QueryAllContractStateResponse, QueryCodesRequest,
    QueryCodesResponse, QueryContractHistoryRequest, QueryContractHistoryResponse,
    QueryContractsByCodeRequest, QueryContractsByCodeResponse,
};
use cosmos_sdk_proto::Any;
use proof_chain::modules::wasm::predictable_address;
use proof_sdk::{msgs, Address};
use prost::Message;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tendermint::abci::types::ExecTxResult;

fn migrate_msg(sender: &Address, contract: &Address, code_id: u64, msg: Value) -> Any {
    msgs::to_any(&MsgMigrateContract {
        sender: sender.to_string(),
        contract: contract.to_string(),
        code_id,
        msg: msg.to_string().into_bytes(),
    })
}

/// Uploads tester and instantiates it with `admin`; returns (code id, contract).
fn tester(app: &mut App, who: &mut User, admin: Option<&Address>) -> (u64, Address) {
    let code = upload(app, who, "tester");
    let msg = instantiate_with_admin(&who.addr(), admin, code, json!({"greeting": "v1"}));
    let r = run(app, who.tx(vec![msg], 2_000_000));
    assert!(r.code.is_ok(), "{}", r.log);
    (code, contract_of(&r))
}

/// Uploads and instantiates the hostile contract (no admin).
fn hostile_contract(app: &mut App, who: &mut User) -> Address {
    let code = upload(app, who, "hostile");
    let msg = instantiate_with_admin(&who.addr(), None, code, json!(""));
    let r = run(app, who.tx(vec![msg], 1_000_000));
    contract_of(&r)
}

fn codespace_code(r: &ExecTxResult) -> (String, u32) {
    (r.codespace.clone(), r.code.value())
}

#[test]
fn instantiate2_addresses_are_predictable_and_unique() {
    let (mut app, mut a, _b) = setup();
    let code = upload(&mut app, &mut a, "tester");
    let checksum = Sha256::digest(artifact("tester")).to_vec();
    let inst2 = |a: &User, salt: &[u8], fix_msg: bool| {
        msgs::to_any(&MsgInstantiateContract2 {
            sender: a.addr().to_string(),
            admin: String::new(),
            code_id: code,
            label: "predictable".into(),
            msg: br#"{"greeting":"hi"}"#.to_vec(),
            funds: vec![],
            salt: salt.to_vec(),
            fix_msg,
        })
    };
    let r = run(&mut app, a.tx(vec![inst2(&a, b"salt-1", false)], 2_000_000));
    assert!(r.code.is_ok(), "{}", r.log);
    let expected = predictable_address(&checksum, &a.addr(), b"salt-1", b"");
    assert_eq!(contract_of(&r), expected);
    assert_eq!(get(&app, &expected, "greeting").as_deref(), Some("hi"));

    // The same salt again collides; fixing the message gives another address.
    let r = run(&mut app, a.tx(vec![inst2(&a, b"salt-1", false)], 2_000_000));
    assert_eq!(codespace_code(&r), ("wasm".into(), 15), "{}", r.log);
    let r = run(&mut app, a.tx(vec![inst2(&a, b"salt-1", true)], 2_000_000));
    assert!(r.code.is_ok(), "{}", r.log);
    let fixed = predictable_address(&checksum, &a.addr(), b"salt-1", br#"{"greeting":"hi"}"#);
    assert_eq!(contract_of(&r), fixed);

    // An empty or oversized salt never gets past CheckTx.
    for salt in [vec![], vec![7u8; 65]] {
        let c = app.check(&a.tx(vec![inst2(&a, &salt, false)], 2_000_000));
        assert_eq!(
            (c.codespace.as_str(), c.code.value()),
            ("wasm", 14),
            "{}",
            c.log
        );
        a.seq -= 1;
    }
}

#[test]
fn migration_keeps_state_and_only_the_admin_may_migrate_or_change_admin() {
    let (mut app, mut a, mut b) = setup();
    let admin = a.addr();
    let (v1, t) = tester(&mut app, &mut a, Some(&admin));
    let set = execute_msg(
        &a.addr(),
        &t,
        json!({"set": {"key": "kept", "value": "42"}}),
        &[],
    );
    assert!(run(&mut app, a.tx(vec![set], 1_000_000)).code.is_ok());
    // v2: a second upload (its own code id).
    let v2 = upload(&mut app, &mut a, "tester");
    assert_ne!(v1, v2);

    // Not the admin: refused, nothing changes.
    let m = migrate_msg(&b.addr(), &t, v2, json!({"new_greeting": "v2"}));
    let r = run(&mut app, b.tx(vec![m], 2_000_000));
    assert_eq!(codespace_code(&r), ("sdk".into(), 4), "{}", r.log);
    assert_eq!(code_and_admin(&app, &t).0, v1);
    assert_eq!(get(&app, &t, "greeting").as_deref(), Some("v1"));

    // The admin migrates: new code, migrate ran, old state kept.
    let m = migrate_msg(&a.addr(), &t, v2, json!({"new_greeting": "v2"}));
    let r = run(&mut app, a.tx(vec![m], 2_000_000));
    assert!(r.code.is_ok(), "{}", r.log);
    assert_eq!(attr(&r, "migrate", "code_id").unwrap(), v2.to_string());
    assert_eq!(
        attr(&r, "wasm", "migrated_by").unwrap(),
        a.addr().to_string()
    );
    assert_eq!(code_and_admin(&app, &t), (v2, a.addr().to_string()));
    assert_eq!(get(&app, &t, "greeting").as_deref(), Some("v2"));
    assert_eq!(get(&app, &t, "kept").as_deref(), Some("42"));

    // History and the by-code index follow.
    let h: QueryContractHistoryResponse = app
        .grpc(
            "/cosmwasm.wasm.v1.Query/ContractHistory",
            &QueryContractHistoryRequest {
                address: t.to_string(),
                pagination: None,
            },
        )
        .unwrap();
    let ops: Vec<_> = h.entries.iter().map(|e| (e.operation, e.code_id)).collect();
    assert_eq!(ops, vec![(Op::Init as i32, v1), (Op::Migrate as i32, v2)]);
    assert_eq!(h.entries[1].msg, br#"{"new_greeting":"v2"}"#.to_vec());
    assert!(h.entries[1].updated.as_ref().unwrap().block_height > 0);
    let by_code = |app: &App, code_id| -> Vec<String> {
        let r: QueryContractsByCodeResponse = app
            .grpc(
                "/cosmwasm.wasm.v1.Query/ContractsByCode",
                &QueryContractsByCodeRequest {
                    code_id,
                    pagination: None,
                },
            )
            .unwrap();
        r.contracts
    };
    assert!(by_code(&app, v1).is_empty());
    assert_eq!(by_code(&app, v2), vec![t.to_string()]);

    // A code without a `migrate` export: the migration fails and changes nothing.
    let hostile = upload(&mut app, &mut a, "hostile");
    let m = migrate_msg(&a.addr(), &t, hostile, json!({}));
    let r = run(&mut app, a.tx(vec![m], 2_000_000));
    assert_eq!(codespace_code(&r), ("wasm".into(), 11), "{}", r.log);
    assert_eq!(code_and_admin(&app, &t).0, v2);

    // Admin handover: a gives it to b, then b clears it; nobody can migrate after that.
    let up = msgs::to_any(&MsgUpdateAdmin {
        sender: b.addr().to_string(),
        new_admin: b.addr().to_string(),
        contract: t.to_string(),
    });
    let r = run(&mut app, b.tx(vec![up], 1_000_000));
    assert_eq!(
        codespace_code(&r),
        ("sdk".into(), 4),
        "b is not the admin yet: {}",
        r.log
    );
    let up = msgs::to_any(&MsgUpdateAdmin {
        sender: a.addr().to_string(),
        new_admin: b.addr().to_string(),
        contract: t.to_string(),
    });
    let r = run(&mut app, a.tx(vec![up], 1_000_000));
    assert!(r.code.is_ok(), "{}", r.log);
    assert_eq!(
        attr(&r, "update_contract_admin", "new_admin_address").unwrap(),
        b.addr().to_string()
    );
    let m = migrate_msg(&b.addr(), &t, v1, json!({"new_greeting": "back"}));
    assert!(run(&mut app, b.tx(vec![m], 2_000_000)).code.is_ok());
    let clear = msgs::to_any(&MsgClearAdmin {
        sender: b.addr().to_string(),
        contract: t.to_string(),
    });
    assert!(run(&mut app, b.tx(vec![clear], 1_000_000)).code.is_ok());
    assert_eq!(code_and_admin(&app, &t), (v1, String::new()));
    for who in [&mut a, &mut b] {
        let m = migrate_msg(&who.addr(), &t, v2, json!({"new_greeting": "no"}));
        let r = run(&mut app, who.tx(vec![m], 2_000_000));
        assert_eq!(codespace_code(&r), ("sdk".into(), 4), "{}", r.log);
    }
}

#[test]
fn instantiate_permissions_are_enforced() {
    let (mut app, mut a, mut b) = setup();
    let store = |who: &User, permission: AccessType, addresses: Vec<String>| {
        msgs::to_any(&MsgStoreCode {
            sender: who.addr().to_string(),
            wasm_byte_code: gzip(&artifact("tester")),
            instantiate_permission: Some(AccessConfig {
                permission: permission as i32,
                addresses,
            }),
        })
    };
    let r = run(
        &mut app,
        a.tx(vec![store(&a, AccessType::Nobody, vec![])], 40_000_000),
    );
    assert!(r.code.is_ok(), "{}", r.log);
    let nobody: u64 = attr(&r, "store_code", "code_id").unwrap().parse().unwrap();
    let only_b = vec![b.addr().to_string()];
    let r = run(
        &mut app,
        a.tx(
            vec![store(&a, AccessType::AnyOfAddresses, only_b)],
            40_000_000,
        ),
    );
    assert!(r.code.is_ok(), "{}", r.log);
    let for_b: u64 = attr(&r, "store_code", "code_id").unwrap().parse().unwrap();

    let init = |who: &User, code| {
        instantiate_with_admin(&who.addr(), None, code, json!({"greeting": "x"}))
    };
    let r = run(&mut app, a.tx(vec![init(&a, nobody)], 2_000_000));
    assert_eq!(codespace_code(&r), ("sdk".into(), 4), "{}", r.log);
    let r = run(&mut app, a.tx(vec![init(&a, for_b)], 2_000_000));
    assert_eq!(codespace_code(&r), ("sdk".into(), 4), "{}", r.log);
    let r = run(&mut app, b.tx(vec![init(&b, for_b)], 2_000_000));
    assert!(r.code.is_ok(), "{}", r.log);

    // Migrating onto a code one may not instantiate is refused too (wasmd's rule).
    let admin_b = b.addr();
    let inst = instantiate_with_admin(&admin_b, Some(&admin_b), for_b, json!({"greeting": "x"}));
    let t = contract_of(&run(&mut app, b.tx(vec![inst], 2_000_000)));
    let m = migrate_msg(&admin_b, &t, nobody, json!({"new_greeting": "y"}));
    let r = run(&mut app, b.tx(vec![m], 2_000_000));
    assert_eq!(codespace_code(&r), ("sdk".into(), 4), "{}", r.log);

    // A malformed permission never gets into a block.
    let c = app.check(&a.tx(
        vec![store(&a, AccessType::AnyOfAddresses, vec![])],
        40_000_000,
    ));
    assert_eq!(
        (c.codespace.as_str(), c.code.value()),
        ("wasm", 14),
        "{}",
        c.log
    );
}

/// A `SubMsg` executing `msg` on `contract`.
fn sub_exec(id: u64, reply_on: &str, contract: &Address, msg: Value, payload: &str) -> Value {
    json!({"id": id, "reply_on": reply_on, "gas_limit": null, "payload": b64(payload.as_bytes()),
        "msg": {"wasm": {"execute": {"contract_addr": contract.to_string(),
            "msg": b64(msg.to_string().as_bytes()), "funds": []}}}})
}

fn dispatch(who: &User, t: &Address, mark: &str, subs: Vec<Value>) -> Any {
    execute_msg(
        &who.addr(),
        t,
        json!({"dispatch": {"mark": mark, "msgs": subs}}),
        &[],
    )
}

fn reply_result(app: &App, t: &Address, id: u64) -> Value {
    serde_json::from_str(&get(app, t, &format!("reply/{id}")).expect("reply recorded")).unwrap()
}

#[test]
fn submessages_reply_and_roll_back_as_wasmd() {
    let (mut app, mut a, _b) = setup();
    let (_, t) = tester(&mut app, &mut a, None);
    let fail = json!({"set_then_fail": {"key": "child"}});

    // reply_on error: the failed child's write is gone, the parent's stays, reply saw the
    // redacted error.
    let r = run(
        &mut app,
        a.tx(
            vec![dispatch(
                &a,
                &t,
                "p1",
                vec![sub_exec(7, "error", &t, fail.clone(), "")],
            )],
            3_000_000,
        ),
    );
    assert!(r.code.is_ok(), "{}", r.log);
    assert_eq!(get(&app, &t, "p1").as_deref(), Some("1"));
    assert_eq!(get(&app, &t, "child"), None);
    assert_eq!(
        reply_result(&app, &t, 7),
        json!({"error": "codespace: wasm, code: 5"})
    );
    assert_eq!(attr(&r, "wasm", "reply_id").unwrap(), "7");

    // reply_on never / success: the failure fails the whole tx (parent's mark reverted too),
    // the fee is still paid.
    for (i, on) in ["never", "success"].into_iter().enumerate() {
        let before = app.balance(&a.addr());
        let mark = format!("p-{on}");
        let r = run(
            &mut app,
            a.tx(
                vec![dispatch(
                    &a,
                    &t,
                    &mark,
                    vec![sub_exec(20 + i as u64, on, &t, fail.clone(), "")],
                )],
                3_000_000,
            ),
        );
        assert_eq!(codespace_code(&r), ("wasm".into(), 5), "{}", r.log);
        assert_eq!(get(&app, &t, &mark), None);
        assert_eq!(app.balance(&a.addr()), before - fee(3_000_000));
    }

    // reply_on success: the child's write and events land, the reply gets its response, and
    // the reply's data becomes the tx's response data.
    let ok = json!({"set": {"key": "child-ok", "value": "yes"}});
    let r = run(
        &mut app,
        a.tx(
            vec![dispatch(
                &a,
                &t,
                "p2",
                vec![sub_exec(8, "success", &t, ok, "data")],
            )],
            3_000_000,
        ),
    );
    assert!(r.code.is_ok(), "{}", r.log);
    assert_eq!(get(&app, &t, "child-ok").as_deref(), Some("yes"));
    let res = reply_result(&app, &t, 8);
    assert_eq!(
        res["ok"]["msg_responses"][0]["type_url"],
        "/cosmwasm.wasm.v1.MsgExecuteContractResponse"
    );
    let kinds: Vec<&str> = res["ok"]["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"execute"), "{kinds:?}");
    let gas: u64 = get(&app, &t, "reply/8/gas").unwrap().parse().unwrap();
    assert!(gas > 0 && gas < r.gas_used as u64);
    let data = TxMsgData::decode(r.data.as_ref()).unwrap();
    let resp = MsgExecuteContractResponse::decode(data.msg_responses[0].value.as_slice()).unwrap();
    assert_eq!(resp.data, b"from-reply");

    // A gas-limited child that runs out: handled by the reply; its gas is still charged.
    let h = hostile_contract(&mut app, &mut a);
    let mut sub = sub_exec(9, "error", &h, json!({"infinite_loop": {}}), "");
    sub["gas_limit"] = json!(200_000);
    let r = run(
        &mut app,
        a.tx(vec![dispatch(&a, &t, "p3", vec![sub])], 3_000_000),
    );
    assert!(r.code.is_ok(), "{}", r.log);
    assert_eq!(
        reply_result(&app, &t, 9),
        json!({"error": "codespace: sdk, code: 11"})
    );
    assert!(r.gas_used > 200_000, "{}", r.gas_used);
    assert_eq!(get(&app, &t, "p3").as_deref(), Some("1"));

    // A limit above what the tx has left is no limit (as in wasmd): the loop exhausts the tx
    // instead of burning the larger limit, and that is never handled.
    let mut sub = sub_exec(13, "error", &h, json!({"infinite_loop": {}}), "");
    sub["gas_limit"] = json!(1_000_000_000_000u64);
    let r = run(
        &mut app,
        a.tx(vec![dispatch(&a, &t, "p-big", vec![sub])], 1_000_000),
    );
    assert_eq!(codespace_code(&r), ("sdk".into(), 11), "{}", r.log);
    assert_eq!(r.gas_used, 1_000_000);
    assert_eq!(get(&app, &t, "p-big"), None);

    // Without a limit the same loop exhausts the tx: never handled.
    let sub = sub_exec(10, "always", &h, json!({"infinite_loop": {}}), "");
    let r = run(
        &mut app,
        a.tx(vec![dispatch(&a, &t, "p4", vec![sub])], 1_000_000),
    );
    assert_eq!(codespace_code(&r), ("sdk".into(), 11), "{}", r.log);
    assert_eq!(get(&app, &t, "p4"), None);

    // A reply that fails fails everything, including the child that succeeded.
    let ok = json!({"set": {"key": "child-2", "value": "yes"}});
    let r = run(
        &mut app,
        a.tx(
            vec![dispatch(
                &a,
                &t,
                "p5",
                vec![sub_exec(11, "always", &t, ok, "fail")],
            )],
            3_000_000,
        ),
    );
    assert_eq!(codespace_code(&r), ("wasm".into(), 5), "{}", r.log);
    assert_eq!(get(&app, &t, "child-2"), None);
    assert_eq!(get(&app, &t, "p5"), None);

    // Bank sends from the contract as submessages: an overdraft is handled by the reply.
    let send = json!({"id": 12, "reply_on": "error", "gas_limit": null, "payload": "",
        "msg": {"bank": {"send": {"to_address": a.addr().to_string(),
            "amount": [{"denom": "uxyz", "amount": "5"}]}}}});
    let r = run(
        &mut app,
        a.tx(vec![dispatch(&a, &t, "p6", vec![send])], 3_000_000),
    );
    assert!(r.code.is_ok(), "{}", r.log);
    assert_eq!(
        reply_result(&app, &t, 12),
        json!({"error": "codespace: sdk, code: 5"})
    );
}

#[test]
fn a_chain_of_replies_stops_at_the_call_depth_limit() {
    let (mut app, mut a, _b) = setup();
    let (_, t) = tester(&mut app, &mut a, None);
    // Each reply sends another failing submessage with reply_on error (the tester's "chain"
    // payload): before replies counted into the call depth, only gas ended this.
    let bad_send = json!({"id": 1, "reply_on": "error", "gas_limit": null,
        "payload": b64(b"chain"),
        "msg": {"bank": {"send": {"to_address": "not-an-address",
            "amount": [{"denom": "uxyz", "amount": "1"}]}}}});
    let r = run(
        &mut app,
        a.tx(vec![dispatch(&a, &t, "chain", vec![bad_send])], 50_000_000),
    );
    assert_eq!(codespace_code(&r), ("wasm".into(), 13), "{}", r.log);
    assert!(r.log.contains("call depth"), "{}", r.log);
    // The depth limit, not the gas, ended it.
    assert!(r.gas_used < 20_000_000, "gas used {}", r.gas_used);
    assert_eq!(get(&app, &t, "chain"), None, "the whole tx was reverted");
}

#[test]
fn contracts_see_contract_info_and_the_listing_queries_page() {
    let (mut app, mut a, _b) = setup();
    let admin = a.addr();
    let (code, t) = tester(&mut app, &mut a, Some(&admin));
    let q = json!({"raw": {"request": b64(json!({"wasm": {"contract_info": {"contract_addr": t.to_string()}}}).to_string().as_bytes())}});
    let v = smart(&app, &t, q).unwrap();
    let info: Value = serde_json::from_slice(&unb64(&v["ok"]["ok"])).unwrap();
    assert_eq!(info["code_id"], code);
    assert_eq!(info["creator"], a.addr().to_string());
    assert_eq!(info["admin"], a.addr().to_string());
    let q = json!({"raw": {"request": b64(json!({"wasm": {"code_info": {"code_id": code}}}).to_string().as_bytes())}});
    let v = smart(&app, &t, q).unwrap();
    let info: Value = serde_json::from_slice(&unb64(&v["ok"]["ok"])).unwrap();
    assert_eq!(
        info["checksum"],
        hex::encode(Sha256::digest(artifact("tester")))
    );

    // Codes.
    upload(&mut app, &mut a, "token");
    let codes: QueryCodesResponse = app
        .grpc(
            "/cosmwasm.wasm.v1.Query/Codes",
            &QueryCodesRequest { pagination: None },
        )
        .unwrap();
    let ids: Vec<u64> = codes.code_infos.iter().map(|c| c.code_id).collect();
    assert_eq!(ids, vec![code, code + 1]);

    // AllContractState in pages of 2.
    let fill = execute_msg(
        &a.addr(),
        &t,
        json!({"fill": {"prefix": "k", "count": 5}}),
        &[],
    );
    assert!(run(&mut app, a.tx(vec![fill], 2_000_000)).code.is_ok());
    let mut keys = Vec::new();
    let mut next = Vec::new();
    loop {
        let r: QueryAllContractStateResponse = app
            .grpc(
                "/cosmwasm.wasm.v1.Query/AllContractState",
                &QueryAllContractStateRequest {
                    address: t.to_string(),
                    pagination: Some(PageRequest {
                        key: next.clone(),
                        limit: 2,
                        ..Default::default()
                    }),
                },
            )
            .unwrap();
        assert!(r.models.len() <= 2);
        keys.extend(
            r.models
                .iter()
                .map(|m| String::from_utf8(m.key.clone()).unwrap()),
        );
        next = r.pagination.unwrap().next_key;
        if next.is_empty() {
            break;
        }
    }
    assert_eq!(
        keys,
        ["creator", "greeting", "k-00000", "k-00001", "k-00002", "k-00003", "k-00004"]
    );
}

#[test]
fn hostile_contracts_fail_cleanly_in_blocks_and_the_chain_goes_on() {
    let (mut app, mut a, b) = setup();
    let h = hostile_contract(&mut app, &mut a);
    // Top-level calls run on the block-executing thread: deep recursion and memory abuse must
    // end in a clean failure there too (wasm stack and memory limits, gas), never a crash.
    for msg in [
        json!({"recurse": {"depth": 1_000_000}}),
        json!({"memory_bomb": {}}),
        json!({"huge_alloc": {"bytes": 1u64 << 30}}),
        json!({"fill_loop": {"len": 1 << 20, "times": u64::MAX}}),
        json!({"copy_loop": {"len": 1 << 20}}),
        json!({"storage_loop": {}}),
    ] {
        let before = app.balance(&a.addr());
        let r = run(
            &mut app,
            a.tx(
                vec![execute_msg(&a.addr(), &h, msg.clone(), &[])],
                5_000_000,
            ),
        );
        assert!(!r.code.is_ok(), "{msg} succeeded");
        assert_eq!(
            app.balance(&a.addr()),
            before - fee(5_000_000),
            "{msg}: only the fee"
        );
    }
    // The chain still executes ordinary transactions.
    let send = proof_sdk::msgs::bank_send(&a.addr(), &b.addr(), &[proof_sdk::Coin::new(1, "uxyz")]);
    assert!(run(&mut app, a.tx(vec![send], 200_000)).code.is_ok());
}

#[test]
fn sudo_from_a_chain_module_runs_the_contract_and_dispatches_its_response() {
    use proof_chain::modules::wasm::keys;
    use proof_chain::modules::wasm::{sudo, WasmCtx};
    use proof_chain::state::gas::GasMeter;
    use proof_chain::state::{Metered, StateRead};

    let (mut app, mut a, _b) = setup();
    let (_, t) = tester(&mut app, &mut a, None);
    // A module's view: the committed state, its own VM (which compiles the code from state).
    let vm = proof_vm::Vm::new(Default::default()).unwrap();
    let ctx = WasmCtx {
        vm: &vm,
        api: std::sync::Arc::new(proof_vm::addr::Bech32Api::new("proof")),
        chain_id: common::CHAIN.into(),
        height: app.height,
        time_nanos: 0,
        tx_hash: None,
        tx_index: 0,
        compile: None,
    };
    let mut gas = GasMeter::new(10_000_000);
    let mut kv = Metered::new(&*app.store, &mut gas);
    let mut events = Vec::new();
    // tester's `sudo` takes a `Binary` (a base64 JSON string) and stores it under "sudo".
    sudo(&mut kv, &ctx, &t, br#""aGk=""#, &mut events).unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["sudo", "wasm"]);
    let key = [keys::wasm_store_prefix(&t), b"sudo".to_vec()].concat();
    assert_eq!(kv.delta.get_raw(&key).unwrap().as_deref(), Some(&b"hi"[..]));
    assert!(kv.gas.used() > 0);
    // A message the contract rejects is its error; an unknown contract is a clean error.
    let err = sudo(&mut kv, &ctx, &t, b"{}", &mut Vec::new()).unwrap_err();
    assert_eq!((err.codespace(), err.code()), ("wasm", 5), "{err}");
    let err = sudo(
        &mut kv,
        &ctx,
        &proof_chain::modules::wasm::contract_address(99, 99),
        b"{}",
        &mut Vec::new(),
    )
    .unwrap_err();
    assert_eq!((err.codespace(), err.code()), ("wasm", 8));
}

#[test]
fn contract_state_reads_through_store_wasm_with_proofs_against_the_app_hash() {
    use proof_chain::modules::wasm::keys;
    use proof_chain::store::verify_steps;
    use tendermint::abci::request;

    let (mut app, mut a, _b) = setup();
    let (_, t) = tester(&mut app, &mut a, None);
    let set = execute_msg(
        &a.addr(),
        &t,
        json!({"set": {"key": "kept", "value": "42"}}),
        &[],
    );
    assert!(run(&mut app, a.tx(vec![set], 1_000_000)).code.is_ok());
    let height = app.height;
    let root = app.store.app_hash(height).unwrap().unwrap();
    let raw = |key: &[u8]| {
        app.query.query(request::Query {
            // `store/wasm/key` addresses keys inside the module's namespace (`wasm/`).
            data: key[b"wasm/".len()..].to_vec().into(),
            path: "store/wasm/key".into(),
            height: (height as u32).into(),
            prove: true,
        })
    };
    // Two levels, as ibc-go verifies a `MerklePath`: the key in the wasm substore, then the
    // substore's root under "wasm" in the main tree, whose root is the app hash.
    let steps = |r: &tendermint::abci::response::Query| -> Vec<(Vec<u8>, ics23::CommitmentProof)> {
        r.proof
            .as_ref()
            .unwrap()
            .ops
            .iter()
            .map(|op| {
                (
                    op.key.clone(),
                    ics23::CommitmentProof::decode(op.data.as_slice()).unwrap(),
                )
            })
            .collect()
    };
    let key = [keys::wasm_store_prefix(&t), b"kept".to_vec()].concat();
    let r = raw(&key);
    assert_eq!(r.code.value(), 0, "{}", r.log);
    assert_eq!(r.value.as_ref(), b"42");
    let proof = steps(&r);
    assert_eq!(proof.len(), 2);
    assert_eq!(proof[0].0, key[b"wasm/".len()..].to_vec());
    assert_eq!(proof[1].0, b"wasm".to_vec());
    assert!(verify_steps(&proof, &root, Some(b"42")));
    assert!(!verify_steps(&proof, &root, Some(b"43")));
    let missing = [keys::wasm_store_prefix(&t), b"absent".to_vec()].concat();
    let r = raw(&missing);
    assert!(verify_steps(&steps(&r), &root, None));
    assert!(!verify_steps(&steps(&r), &root, Some(b"")));
}
