//! `proof tx wasm ...` and `proof query wasm ...` against the fake node: the exact messages each
//! transaction command signs and broadcasts, gas estimation through Simulate, how results are read
//! from events, and how each query is encoded and its answer printed (text and JSON).

mod common;

use std::io::{Read, Write};

use base64::Engine as _;
use common::mock::{MockNode, State};
use common::tx::{broadcast_msg, decode_msg, funded, key};
use common::Env;
use cosmos_sdk_proto::cosmos::base::abci::v1beta1::{GasInfo, TxMsgData};
use cosmos_sdk_proto::cosmos::base::query::v1beta1::{PageRequest, PageResponse};
use cosmos_sdk_proto::cosmos::base::v1beta1::Coin;
use cosmos_sdk_proto::cosmos::tx::v1beta1::{
    AuthInfo, SimulateRequest, SimulateResponse, TxBody, TxRaw,
};
use cosmos_sdk_proto::cosmwasm::wasm::v1::{
    AbsoluteTxPosition, CodeInfoResponse, ContractCodeHistoryEntry, ContractInfo, Model,
    MsgClearAdmin, MsgExecuteContract, MsgInstantiateContract, MsgInstantiateContract2,
    MsgInstantiateContractResponse, MsgMigrateContract, MsgStoreCode, MsgStoreCodeResponse,
    MsgUpdateAdmin, QueryAllContractStateRequest, QueryAllContractStateResponse, QueryCodeRequest,
    QueryCodeResponse, QueryCodesRequest, QueryCodesResponse, QueryContractHistoryRequest,
    QueryContractHistoryResponse, QueryContractInfoRequest, QueryContractInfoResponse,
    QueryContractsByCodeRequest, QueryContractsByCodeResponse, QueryRawContractStateRequest,
    QueryRawContractStateResponse, QuerySmartContractStateRequest, QuerySmartContractStateResponse,
};
use cosmos_sdk_proto::Any;
use prost::{Message, Name};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;
const SIMULATE: &str = "/cosmos.tx.v1beta1.Service/Simulate";

/// A 32-byte contract address (wasmd's classic addresses are 32 bytes).
fn contract() -> String {
    proof_sdk::Address::from_bytes(&[7u8; 32])
        .unwrap()
        .to_string()
}

fn event(kind: &str, attrs: &[(&str, &str)]) -> Value {
    json!({"type": kind, "attributes": attrs.iter().map(|(k, v)| json!({"key": k, "value": v, "index": true})).collect::<Vec<_>>()})
}

fn simulate_answer(gas_used: u64) -> (u32, String, Vec<u8>) {
    #[allow(deprecated)]
    let resp = SimulateResponse {
        gas_info: Some(GasInfo {
            gas_wanted: 0,
            gas_used,
        }),
        result: None,
    };
    (0, String::new(), resp.encode_to_vec())
}

fn ok(v: impl Message) -> (u32, String, Vec<u8>) {
    (0, String::new(), v.encode_to_vec())
}

fn fee(auth: &AuthInfo) -> (u64, String) {
    let f = auth.fee.as_ref().unwrap();
    let amount = f
        .amount
        .iter()
        .map(|c| format!("{}{}", c.amount, c.denom))
        .collect::<Vec<_>>()
        .join(",");
    (f.gas_limit, amount)
}

fn coins(c: &[Coin]) -> String {
    c.iter()
        .map(|c| format!("{}{}", c.amount, c.denom))
        .collect::<Vec<_>>()
        .join(",")
}

fn fake_wasm(len: usize) -> Vec<u8> {
    let mut w = b"\0asm\x01\0\0\0".to_vec();
    w.extend((0..len).map(|i| (i % 13) as u8));
    w
}

fn gunzip(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(b)
        .read_to_end(&mut out)
        .unwrap();
    out
}

#[test]
fn store_gzips_estimates_gas_and_reports_the_code_id() {
    let wasm = fake_wasm(150_000);
    let checksum = hex::encode(Sha256::digest(&wasm));
    let sum = checksum.clone();
    let (env, node, alice, _) = funded(|st| {
        st.canned.insert(SIMULATE.into(), simulate_answer(100_000));
        st.tx_events = Some(json!([
            event("message", &[("action", "/cosmwasm.wasm.v1.MsgStoreCode")]),
            event("store_code", &[("code_checksum", &sum), ("code_id", "5")]),
        ]));
    });
    let file = env.home().join("counter.wasm");
    std::fs::write(&file, &wasm).unwrap();

    let r = env.json(&[
        "tx",
        "wasm",
        "store",
        file.to_str().unwrap(),
        "--from",
        "alice",
    ]);
    assert_eq!(r["code"], 0);
    assert_eq!(r["code_id"], "5");
    assert_eq!(r["checksum"], checksum.as_str());
    assert_eq!(r["wasm_size"], wasm.len().to_string());

    let (any, _, auth) = broadcast_msg(&node, &alice);
    let msg: MsgStoreCode = decode_msg(&any);
    assert_eq!(msg.sender, alice);
    assert!(
        msg.wasm_byte_code.starts_with(&[0x1f, 0x8b]),
        "sent gzipped"
    );
    assert!(msg.wasm_byte_code.len() < wasm.len());
    assert_eq!(gunzip(&msg.wasm_byte_code), wasm);
    assert_eq!(msg.instantiate_permission, None);
    // --gas auto: simulated 100000 * 1.3, and the minimum fee for that (0.025uxyz per gas).
    assert_eq!(fee(&auth), (130_000, "3250uxyz".into()));

    // The simulation carried the same message, unsigned (an empty signature) and with no fee.
    let sims: Vec<SimulateRequest> = node.state.lock().unwrap().requests_to(SIMULATE);
    assert_eq!(sims.len(), 1);
    let sim = TxRaw::decode(sims[0].tx_bytes.as_slice()).unwrap();
    assert_eq!(sim.signatures, vec![Vec::<u8>::new()]);
    let sim_body = TxBody::decode(sim.body_bytes.as_slice()).unwrap();
    assert_eq!(sim_body.messages, vec![any]);
    let sim_auth = AuthInfo::decode(sim.auth_info_bytes.as_slice()).unwrap();
    assert!(sim_auth.fee.unwrap().amount.is_empty());
    assert!(sim_auth.signer_infos[0].public_key.is_some());

    // Text output names the code id and checksum.
    let text = env.ok(&[
        "tx",
        "wasm",
        "store",
        file.to_str().unwrap(),
        "--from",
        "alice",
        "--gas",
        "2000000",
        "--gas-adjustment",
        "2",
    ]);
    assert!(
        text.contains("code id:") && text.contains(" 5\n") && text.contains(&checksum),
        "{text}"
    );
    // A fixed --gas skips the simulation and is used as given.
    let st = node.state.lock().unwrap();
    assert_eq!(st.requests_to::<SimulateRequest>(SIMULATE).len(), 1);
    let raw = TxRaw::decode(st.broadcast[1].as_slice()).unwrap();
    let auth = AuthInfo::decode(raw.auth_info_bytes.as_slice()).unwrap();
    assert_eq!(fee(&auth), (2_000_000, "50000uxyz".into()));
}

#[test]
fn store_reads_the_code_id_from_the_msg_response_without_events() {
    let data = TxMsgData {
        msg_responses: vec![Any {
            type_url: MsgStoreCodeResponse::type_url(),
            value: MsgStoreCodeResponse {
                code_id: 9,
                checksum: vec![0xab; 32],
            }
            .encode_to_vec(),
        }],
        ..Default::default()
    };
    let (env, node, alice, _) = funded(|st| {
        st.tx_events = Some(json!([]));
        st.tx_data = B64.encode(data.encode_to_vec());
    });
    // An already gzipped file is sent unchanged.
    let wasm = fake_wasm(100);
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(&wasm).unwrap();
    let gz = enc.finish().unwrap();
    let file = env.home().join("c.wasm.gz");
    std::fs::write(&file, &gz).unwrap();
    let r = env.json(&[
        "tx",
        "wasm",
        "store",
        file.to_str().unwrap(),
        "--from",
        "alice",
        "--gas",
        "900000",
        "--fees",
        "30000uxyz",
    ]);
    assert_eq!(r["code_id"], "9");
    assert_eq!(r["checksum"], "ab".repeat(32));
    let (any, _, auth) = broadcast_msg(&node, &alice);
    assert_eq!(decode_msg::<MsgStoreCode>(&any).wasm_byte_code, gz);
    assert_eq!(fee(&auth), (900_000, "30000uxyz".into()));
}

#[test]
fn store_refuses_files_that_are_not_wasm_before_the_network() {
    let env = Env::with_node("http://127.0.0.1:1");
    key(&env, "alice", "ed25519");
    let file = env.home().join("notes.txt");
    std::fs::write(&file, "hello").unwrap();
    let err = env.fails(&[
        "tx",
        "wasm",
        "store",
        file.to_str().unwrap(),
        "--from",
        "alice",
    ]);
    assert!(err.contains("neither a wasm module nor gzipped"), "{err}");
    let err = env.fails(&[
        "tx",
        "wasm",
        "store",
        "/nonexistent.wasm",
        "--from",
        "alice",
    ]);
    assert!(err.contains("cannot open the wasm file"), "{err}");
}

#[test]
fn a_failing_simulation_broadcasts_nothing() {
    let (env, node, _, _) = funded(|st| {
        st.canned.insert(
            SIMULATE.into(),
            (
                5,
                "execute wasm contract failed: Unauthorized: only the owner can reset".into(),
                Vec::new(),
            ),
        );
    });
    let err = env.fails(&[
        "tx",
        "wasm",
        "execute",
        &contract(),
        r#"{"reset":{"count":0}}"#,
        "--from",
        "alice",
    ]);
    assert!(
        err.contains("would fail (simulation, code 5)") && err.contains("only the owner"),
        "{err}"
    );
    assert!(node.state.lock().unwrap().broadcast.is_empty());
}

#[test]
fn instantiate_builds_the_message_and_prints_the_contract_address() {
    let addr = contract();
    let a = addr.clone();
    let (env, node, alice, bob) = funded(|st| {
        st.tx_events = Some(json!([
            event("transfer", &[("recipient", &a), ("amount", "1000uxyz")]),
            event(
                "instantiate",
                &[("_contract_address", &a), ("code_id", "5")]
            ),
            event(
                "wasm",
                &[("_contract_address", &a), ("action", "instantiate")]
            ),
        ]));
    });
    let r = env.json(&[
        "tx",
        "wasm",
        "instantiate",
        "5",
        r#"{"count":3}"#,
        "--label",
        "my counter",
        "--admin",
        "bob",
        "--amount",
        "1000uxyz",
        "--from",
        "alice",
        "--gas",
        "300000",
        "--memo",
        "hi",
    ]);
    assert_eq!(r["contract_address"], addr.as_str());
    assert_eq!(r["code_id"], "5");
    assert_eq!(r["events"][1]["type"], "instantiate");
    let (any, body, auth) = broadcast_msg(&node, &alice);
    let msg: MsgInstantiateContract = decode_msg(&any);
    assert_eq!(msg.sender, alice);
    assert_eq!(msg.admin, bob, "--admin accepts a key name");
    assert_eq!(msg.code_id, 5);
    assert_eq!(msg.label, "my counter");
    assert_eq!(msg.msg, br#"{"count":3}"#);
    assert_eq!(coins(&msg.funds), "1000uxyz");
    assert_eq!(body.memo, "hi");
    assert_eq!(fee(&auth), (300_000, "7500uxyz".into()));

    // Text output: the address, and the contract's own events.
    let text = env.ok(&[
        "tx",
        "wasm",
        "instantiate",
        "5",
        "{}",
        "--label",
        "x",
        "--no-admin",
        "--from",
        "alice",
        "--gas",
        "300000",
    ]);
    assert!(
        text.contains(&format!("contract address: {addr}")),
        "{text}"
    );
    assert!(
        text.contains("contract events:") && text.contains("action=instantiate"),
        "{text}"
    );
    let raw = TxRaw::decode(node.state.lock().unwrap().broadcast[1].as_slice()).unwrap();
    let body = TxBody::decode(raw.body_bytes.as_slice()).unwrap();
    let msg: MsgInstantiateContract = decode_msg(&body.messages[0]);
    assert_eq!(msg.admin, "", "--no-admin");
    assert!(msg.funds.is_empty());
}

#[test]
fn instantiate_flags_are_checked_before_the_network() {
    let env = Env::with_node("http://127.0.0.1:1");
    key(&env, "alice", "ed25519");
    let base = ["tx", "wasm", "instantiate", "1", "{}", "--from", "alice"];
    let with = |extra: &[&str]| {
        let mut v = base.to_vec();
        v.extend_from_slice(extra);
        env.fails(&v)
    };
    let err = with(&["--label", "x"]);
    assert!(
        err.contains("--admin") && err.contains("--no-admin"),
        "{err}"
    );
    let err = with(&["--label", "x", "--admin", "alice", "--no-admin"]);
    assert!(err.contains("cannot be used with"), "{err}");
    let err = with(&["--no-admin"]);
    assert!(err.contains("--label"), "{err}");
    let err = with(&["--label", " ", "--no-admin"]);
    assert!(err.contains("--label must not be empty"), "{err}");
    let err = env.fails(&[
        "tx",
        "wasm",
        "instantiate",
        "1",
        "{count:1}",
        "--label",
        "x",
        "--no-admin",
        "--from",
        "alice",
    ]);
    assert!(err.contains("not valid JSON"), "{err}");
    let err = with(&["--label", "x", "--no-admin", "--amount", "0uxyz"]);
    assert!(err.contains("positive"), "{err}");
    let err = with(&["--label", "x", "--no-admin", "--gas", "lots"]);
    assert!(err.contains("invalid gas"), "{err}");
    let err = env.fails(&[
        "tx",
        "wasm",
        "instantiate",
        "1",
        "{}",
        "--label",
        "x",
        "--no-admin",
        "--from",
        "ghost",
    ]);
    assert!(err.contains("no key named \"ghost\""), "{err}");
}

#[test]
fn instantiate2_sends_salt_and_fix_msg() {
    let addr = contract();
    let a = addr.clone();
    let (env, node, alice, _) = funded(|st| {
        st.tx_events = Some(json!([event(
            "instantiate",
            &[("_contract_address", &a), ("code_id", "2")]
        )]));
    });
    let r = env.json(&[
        "tx",
        "wasm",
        "instantiate2",
        "2",
        "{}",
        "--label",
        "l",
        "--admin",
        &alice,
        "--salt",
        "my-salt",
        "--from",
        "alice",
        "--gas",
        "250000",
    ]);
    assert_eq!(r["contract_address"], addr.as_str());
    let (any, _, _) = broadcast_msg(&node, &alice);
    let msg: MsgInstantiateContract2 = decode_msg(&any);
    assert_eq!(msg.salt, b"my-salt");
    assert!(!msg.fix_msg);
    assert_eq!(msg.admin, alice);
    assert_eq!((msg.code_id, msg.label.as_str()), (2, "l"));

    node.state.lock().unwrap().broadcast.clear();
    env.json(&[
        "tx",
        "wasm",
        "instantiate2",
        "2",
        "{}",
        "--label",
        "l",
        "--no-admin",
        "--salt",
        "00ff10",
        "--hex",
        "--fix-msg",
        "true",
        "--from",
        "alice",
        "--gas",
        "250000",
    ]);
    let (any, _, _) = broadcast_msg(&node, &alice);
    let msg: MsgInstantiateContract2 = decode_msg(&any);
    assert_eq!(msg.salt, vec![0x00, 0xff, 0x10]);
    assert!(msg.fix_msg);

    let err = env.fails(&[
        "tx",
        "wasm",
        "instantiate2",
        "2",
        "{}",
        "--label",
        "l",
        "--no-admin",
        "--salt",
        "xyz",
        "--hex",
        "--from",
        "alice",
    ]);
    assert!(err.contains("--salt is not valid hex"), "{err}");
}

#[test]
fn instantiate_falls_back_to_the_msg_response() {
    let addr = contract();
    let data = TxMsgData {
        msg_responses: vec![Any {
            type_url: MsgInstantiateContractResponse::type_url(),
            value: MsgInstantiateContractResponse {
                address: addr.clone(),
                data: Vec::new(),
            }
            .encode_to_vec(),
        }],
        ..Default::default()
    };
    let (env, _node, _, _) = funded(|st| {
        st.tx_events = Some(json!([]));
        st.tx_data = B64.encode(data.encode_to_vec());
    });
    let r = env.json(&[
        "tx",
        "wasm",
        "instantiate",
        "1",
        "{}",
        "--label",
        "x",
        "--no-admin",
        "--from",
        "alice",
        "--gas",
        "200000",
    ]);
    assert_eq!(r["contract_address"], addr.as_str());
}

#[test]
fn execute_sends_funds_and_shows_contract_events() {
    let addr = contract();
    let a = addr.clone();
    let (env, node, alice, _) = funded(|st| {
        st.canned.insert(SIMULATE.into(), simulate_answer(80_000));
        st.tx_events = Some(json!([
            event("execute", &[("_contract_address", &a)]),
            event(
                "wasm",
                &[
                    ("_contract_address", &a),
                    ("action", "increment"),
                    ("count", "4")
                ]
            ),
        ]));
    });
    let r = env.json(&[
        "tx",
        "wasm",
        "execute",
        &addr,
        r#"{"increment":{}}"#,
        "--amount",
        "10uxyz,5afoo",
        "--from",
        "alice",
        "--gas-adjustment",
        "1.5",
    ]);
    assert_eq!(r["code"], 0);
    assert_eq!(r["events"][1]["attributes"][2]["value"], "4");
    let (any, _, auth) = broadcast_msg(&node, &alice);
    let msg: MsgExecuteContract = decode_msg(&any);
    assert_eq!(msg.sender, alice);
    assert_eq!(msg.contract, addr);
    assert_eq!(msg.msg, br#"{"increment":{}}"#);
    // Funds go out sorted by denom (wasmd refuses unsorted funds), whatever order they were given in.
    assert_eq!(coins(&msg.funds), "5afoo,10uxyz");
    assert_eq!(fee(&auth), (120_000, "3000uxyz".into()));

    let text = env.ok(&[
        "tx",
        "wasm",
        "execute",
        &addr,
        r#"{"increment":{}}"#,
        "--from",
        "alice",
    ]);
    assert!(
        text.contains("contract events:") && text.contains("action=increment, count=4"),
        "{text}"
    );
    let err = env.fails(&[
        "tx",
        "wasm",
        "execute",
        "proof1bad",
        "{}",
        "--from",
        "alice",
    ]);
    assert!(err.contains("invalid contract address"), "{err}");
}

#[test]
fn a_contract_error_in_the_block_exits_nonzero_with_a_hint() {
    let (env, _node, _, _) = funded(|st| {
        st.deliver_code = 5;
        st.deliver_codespace = "wasm".into();
        st.deliver_log = "execute wasm contract failed: Unauthorized".into();
    });
    let out = env.run(&[
        "-o",
        "json",
        "tx",
        "wasm",
        "execute",
        &contract(),
        "{}",
        "--from",
        "alice",
        "--gas",
        "100000",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let doc: Value = serde_json::from_str(&common::stdout(&out)).unwrap();
    assert_eq!(doc["code"], 5);
    assert_eq!(doc["codespace"], "wasm");
    let err = common::stderr(&out);
    assert!(
        err.contains("codespace wasm") && err.contains("Unauthorized"),
        "{err}"
    );
    assert!(
        err.contains("hint: the contract returned an error"),
        "{err}"
    );
}

#[test]
fn migrate_and_admin_messages() {
    let addr = contract();
    let (env, node, alice, bob) = funded(|_| {});
    let gas = ["--from", "alice", "--gas", "200000"];
    let run = |args: &[&str]| {
        node.state.lock().unwrap().broadcast.clear();
        let mut v = args.to_vec();
        v.extend_from_slice(&gas);
        let r = env.json(&v);
        assert_eq!(r["code"], 0);
        broadcast_msg(&node, &alice).0
    };

    let m: MsgMigrateContract = decode_msg(&run(&[
        "tx",
        "wasm",
        "migrate",
        &addr,
        "8",
        r#"{"version":"2"}"#,
    ]));
    assert_eq!(m.sender, alice);
    assert_eq!(m.contract, addr);
    assert_eq!(m.code_id, 8);
    assert_eq!(m.msg, br#"{"version":"2"}"#);

    let m: MsgUpdateAdmin = decode_msg(&run(&["tx", "wasm", "set-admin", &addr, "bob"]));
    assert_eq!(
        (m.sender.as_str(), m.new_admin.as_str(), m.contract.as_str()),
        (alice.as_str(), bob.as_str(), addr.as_str())
    );

    let m: MsgClearAdmin = decode_msg(&run(&["tx", "wasm", "clear-admin", &addr]));
    assert_eq!((m.sender, m.contract), (alice.clone(), addr.clone()));

    let err = env.fails(&["tx", "wasm", "migrate", &addr, "0", "{}", "--from", "alice"]);
    assert!(err.contains("code ids start at 1"), "{err}");
    let err = env.fails(&[
        "tx",
        "wasm",
        "set-admin",
        &addr,
        "nobody",
        "--from",
        "alice",
    ]);
    assert!(err.contains("invalid new admin"), "{err}");
}

// ------------------------------------------------------------------------------------------
// Queries

const PATH_CODE: &str = "/cosmwasm.wasm.v1.Query/Code";
const PATH_CODES: &str = "/cosmwasm.wasm.v1.Query/Codes";
const PATH_CONTRACT: &str = "/cosmwasm.wasm.v1.Query/ContractInfo";
const PATH_HISTORY: &str = "/cosmwasm.wasm.v1.Query/ContractHistory";
const PATH_BY_CODE: &str = "/cosmwasm.wasm.v1.Query/ContractsByCode";
const PATH_SMART: &str = "/cosmwasm.wasm.v1.Query/SmartContractState";
const PATH_RAW: &str = "/cosmwasm.wasm.v1.Query/RawContractState";
const PATH_ALL: &str = "/cosmwasm.wasm.v1.Query/AllContractState";

fn query_node(setup: impl FnOnce(&mut State)) -> (Env, MockNode) {
    let mut st = State::default();
    setup(&mut st);
    let node = MockNode::start(st);
    (Env::with_node(&node.url), node)
}

fn code_info(id: u64, creator: &str) -> CodeInfoResponse {
    CodeInfoResponse {
        code_id: id,
        creator: creator.into(),
        data_hash: vec![id as u8; 32],
        instantiate_permission: None,
    }
}

#[test]
fn query_code_prints_info_and_saves_the_wasm() {
    let creator = contract();
    let c = creator.clone();
    let (env, node) = query_node(|st| {
        st.canned.insert(
            PATH_CODE.into(),
            ok(QueryCodeResponse {
                code_info: Some(code_info(3, &c)),
                data: b"\0asm-code".to_vec(),
            }),
        );
    });
    let out = env.home().join("saved.wasm");
    let r = env.json(&[
        "query",
        "wasm",
        "code",
        "3",
        "--save",
        out.to_str().unwrap(),
        "--height",
        "40",
    ]);
    assert_eq!(r["code_id"], "3");
    assert_eq!(r["creator"], creator.as_str());
    assert_eq!(r["checksum"], "03".repeat(32));
    assert_eq!(r["wasm_size"], 9);
    assert_eq!(r["height"], "40");
    assert_eq!(std::fs::read(&out).unwrap(), b"\0asm-code");
    {
        let st = node.state.lock().unwrap();
        let reqs: Vec<QueryCodeRequest> = st.requests_to(PATH_CODE);
        assert_eq!(reqs[0].code_id, 3);
        assert_eq!(st.queries[0], (PATH_CODE.to_string(), "40".to_string()));
    }
    let text = env.ok(&["query", "wasm", "code", "3"]);
    assert!(
        text.contains("code id:") && text.contains(&"03".repeat(32)) && text.contains("9 bytes"),
        "{text}"
    );
}

#[test]
fn query_codes_pages() {
    let (env, node) = query_node(|st| {
        st.canned.insert(
            PATH_CODES.into(),
            ok(QueryCodesResponse {
                code_infos: vec![code_info(1, "proof1a"), code_info(2, "proof1b")],
                pagination: Some(PageResponse {
                    next_key: b"next".to_vec(),
                    total: 0,
                }),
            }),
        );
    });
    let r = env.json(&[
        "query",
        "wasm",
        "codes",
        "--limit",
        "2",
        "--page-key",
        &B64.encode(b"start"),
    ]);
    assert_eq!(r["code_infos"][1]["code_id"], "2");
    assert_eq!(r["code_infos"][0]["checksum"], "01".repeat(32));
    assert_eq!(r["next_key"], B64.encode(b"next"));
    let reqs: Vec<QueryCodesRequest> = node.state.lock().unwrap().requests_to(PATH_CODES);
    assert_eq!(
        reqs[0].pagination,
        Some(PageRequest {
            key: b"start".to_vec(),
            limit: 2,
            ..Default::default()
        })
    );
    let text = env.ok(&["query", "wasm", "codes"]);
    assert!(
        text.contains("CODE ID") && text.contains("proof1b"),
        "{text}"
    );
    assert!(
        text.contains(&format!("--page-key {}", B64.encode(b"next"))),
        "{text}"
    );
    let reqs: Vec<QueryCodesRequest> = node.state.lock().unwrap().requests_to(PATH_CODES);
    assert_eq!(reqs[1].pagination.as_ref().unwrap().limit, 100);
    assert!(reqs[1].pagination.as_ref().unwrap().key.is_empty());
}

#[test]
fn query_contract_info() {
    let addr = contract();
    let a = addr.clone();
    let (env, node) = query_node(|st| {
        st.canned.insert(
            PATH_CONTRACT.into(),
            ok(QueryContractInfoResponse {
                address: a.clone(),
                contract_info: Some(ContractInfo {
                    code_id: 4,
                    creator: "proof1creator".into(),
                    admin: String::new(),
                    label: "counter".into(),
                    created: Some(AbsoluteTxPosition {
                        block_height: 12,
                        tx_index: 1,
                    }),
                    ibc_port_id: String::new(),
                    extension: None,
                }),
            }),
        );
    });
    let r = env.json(&["query", "wasm", "contract", &addr]);
    assert_eq!(r["address"], addr.as_str());
    assert_eq!(r["code_id"], "4");
    assert_eq!(r["admin"], "");
    assert_eq!(r["label"], "counter");
    assert_eq!(r["created"]["block_height"], "12");
    let reqs: Vec<QueryContractInfoRequest> = node.state.lock().unwrap().requests_to(PATH_CONTRACT);
    assert_eq!(reqs[0].address, addr);
    let text = env.ok(&["query", "wasm", "contract", &addr]);
    assert!(
        text.contains("none (immutable)") && text.contains("block 12, tx 1"),
        "{text}"
    );
    let err = env.fails(&["query", "wasm", "contract", "notanaddress"]);
    assert!(err.contains("invalid contract address"), "{err}");
}

#[test]
fn query_contract_history_and_contracts_by_code() {
    let addr = contract();
    let (env, node) = query_node(|st| {
        st.canned.insert(
            PATH_HISTORY.into(),
            ok(QueryContractHistoryResponse {
                entries: vec![
                    ContractCodeHistoryEntry {
                        operation: 1,
                        code_id: 1,
                        updated: Some(AbsoluteTxPosition {
                            block_height: 10,
                            tx_index: 0,
                        }),
                        msg: br#"{"count":1}"#.to_vec(),
                    },
                    ContractCodeHistoryEntry {
                        operation: 2,
                        code_id: 2,
                        updated: Some(AbsoluteTxPosition {
                            block_height: 20,
                            tx_index: 3,
                        }),
                        msg: b"{}".to_vec(),
                    },
                ],
                pagination: Some(PageResponse::default()),
            }),
        );
        st.canned.insert(
            PATH_BY_CODE.into(),
            ok(QueryContractsByCodeResponse {
                contracts: vec!["proof1one".into(), "proof1two".into()],
                pagination: None,
            }),
        );
    });
    let r = env.json(&["query", "wasm", "contract-history", &addr, "--limit", "5"]);
    assert_eq!(r["entries"][0]["operation"], "init");
    assert_eq!(r["entries"][0]["msg"], json!({"count": 1}));
    assert_eq!(r["entries"][1]["operation"], "migrate");
    assert_eq!(r["entries"][1]["code_id"], "2");
    assert_eq!(r["entries"][1]["updated"]["block_height"], "20");
    assert_eq!(r["next_key"], "");
    let text = env.ok(&["query", "wasm", "contract-history", &addr]);
    assert!(
        text.contains("OPERATION") && text.contains("migrate") && text.contains(r#"{"count":1}"#),
        "{text}"
    );
    let hist: Vec<QueryContractHistoryRequest> =
        node.state.lock().unwrap().requests_to(PATH_HISTORY);
    assert_eq!(hist[0].address, addr);
    assert_eq!(hist[0].pagination.as_ref().unwrap().limit, 5);

    let r = env.json(&["query", "wasm", "list-contracts", "3"]);
    assert_eq!(r["contracts"], json!(["proof1one", "proof1two"]));
    assert_eq!(r["code_id"], "3");
    let text = env.ok(&["query", "wasm", "list-contracts", "3"]);
    assert_eq!(text, "proof1one\nproof1two\n");
    let by_code: Vec<QueryContractsByCodeRequest> =
        node.state.lock().unwrap().requests_to(PATH_BY_CODE);
    assert_eq!(by_code[0].code_id, 3);
}

#[test]
fn query_smart_state() {
    let addr = contract();
    let (env, node) = query_node(|st| {
        st.canned.insert(
            PATH_SMART.into(),
            ok(QuerySmartContractStateResponse {
                data: br#"{"count":4,"owner":"proof1owner"}"#.to_vec(),
            }),
        );
    });
    let r = env.json(&[
        "query",
        "wasm",
        "state",
        "smart",
        &addr,
        r#"{"get_count":{}}"#,
    ]);
    assert_eq!(r["data"], json!({"count": 4, "owner": "proof1owner"}));
    let reqs: Vec<QuerySmartContractStateRequest> =
        node.state.lock().unwrap().requests_to(PATH_SMART);
    assert_eq!(reqs[0].address, addr);
    assert_eq!(reqs[0].query_data, br#"{"get_count":{}}"#);
    let text = env.ok(&[
        "query",
        "wasm",
        "state",
        "smart",
        &addr,
        r#"{"get_count":{}}"#,
    ]);
    assert!(text.contains("\"count\": 4"), "{text}");
    let err = env.fails(&["query", "wasm", "state", "smart", &addr, "get_count"]);
    assert!(err.contains("not valid JSON"), "{err}");
}

#[test]
fn query_raw_state_in_each_key_encoding() {
    let addr = contract();
    let (env, node) = query_node(|st| {
        st.canned.insert(
            PATH_RAW.into(),
            ok(QueryRawContractStateResponse {
                data: br#"{"count":4}"#.to_vec(),
            }),
        );
    });
    let r = env.json(&["query", "wasm", "state", "raw", &addr, "7374617465"]);
    assert_eq!(r["found"], true);
    assert_eq!(r["data"], B64.encode(br#"{"count":4}"#));
    assert_eq!(r["data_json"], json!({"count": 4}));
    assert_eq!(r["key_hex"], "7374617465");
    env.json(&[
        "query",
        "wasm",
        "state",
        "raw",
        &addr,
        "state",
        "--encoding",
        "ascii",
    ]);
    env.json(&[
        "query",
        "wasm",
        "state",
        "raw",
        &addr,
        "c3RhdGU=",
        "--encoding",
        "base64",
    ]);
    let reqs: Vec<QueryRawContractStateRequest> = node.state.lock().unwrap().requests_to(PATH_RAW);
    assert_eq!(reqs.len(), 3);
    for r in &reqs {
        assert_eq!(
            (r.address.as_str(), r.query_data.as_slice()),
            (addr.as_str(), &b"state"[..])
        );
    }
    let text = env.ok(&["query", "wasm", "state", "raw", &addr, "7374617465"]);
    assert_eq!(text, "{\"count\":4}\n");

    // An absent key is an empty value.
    node.state.lock().unwrap().canned.insert(
        PATH_RAW.into(),
        ok(QueryRawContractStateResponse { data: vec![] }),
    );
    let r = env.json(&["query", "wasm", "state", "raw", &addr, "00ff"]);
    assert_eq!(r["found"], false);
    let text = env.ok(&["query", "wasm", "state", "raw", &addr, "00ff"]);
    assert!(text.contains("no value at key 0x00ff"), "{text}");
    let err = env.fails(&["query", "wasm", "state", "raw", &addr, "state"]);
    assert!(err.contains("not hex"), "{err}");
}

#[test]
fn query_all_state() {
    let addr = contract();
    let (env, node) = query_node(|st| {
        st.canned.insert(
            PATH_ALL.into(),
            ok(QueryAllContractStateResponse {
                models: vec![
                    Model {
                        key: b"contract_info".to_vec(),
                        value: br#"{"contract":"counter"}"#.to_vec(),
                    },
                    Model {
                        key: vec![0, 1, 2],
                        value: vec![0xff],
                    },
                ],
                pagination: Some(PageResponse {
                    next_key: vec![9],
                    total: 0,
                }),
            }),
        );
    });
    let r = env.json(&["query", "wasm", "state", "all", &addr, "--limit", "2"]);
    assert_eq!(r["models"][0]["key_hex"], hex::encode("contract_info"));
    assert_eq!(r["models"][0]["value_json"], json!({"contract": "counter"}));
    assert_eq!(r["models"][1]["value"], "/w==");
    assert_eq!(r["models"][1]["value_json"], Value::Null);
    assert_eq!(r["next_key"], "CQ==");
    let reqs: Vec<QueryAllContractStateRequest> = node.state.lock().unwrap().requests_to(PATH_ALL);
    assert_eq!(reqs[0].address, addr);
    assert_eq!(reqs[0].pagination.as_ref().unwrap().limit, 2);
    let text = env.ok(&["query", "wasm", "state", "all", &addr]);
    assert!(
        text.contains("contract_info") && text.contains("0x000102") && text.contains("base64:/w=="),
        "{text}"
    );
    assert!(text.contains("--page-key CQ=="), "{text}");
}

#[test]
fn a_query_the_node_does_not_answer_says_so() {
    // The mock answers unknown paths like the chain: `Unimplemented ... unknown query path`.
    let (env, _node) = query_node(|_| {});
    let err = env.fails(&["query", "wasm", "codes"]);
    assert!(
        err.contains("/cosmwasm.wasm.v1.Query/Codes failed (code 6)")
            && err.contains("unknown query path"),
        "{err}"
    );
    assert!(err.contains("does not answer this query"), "{err}");
    let (env, _node) = query_node(|st| {
        st.canned.insert(
            PATH_CONTRACT.into(),
            (
                22,
                "rpc error: code = NotFound desc = no such contract".into(),
                vec![],
            ),
        );
    });
    let err = env.fails(&["query", "wasm", "contract", &contract()]);
    assert!(
        err.contains("NotFound") && err.contains("no such contract"),
        "{err}"
    );
}
