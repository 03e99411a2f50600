//! The CosmWasm ABI against the `tester` contract (cosmwasm-std 3): storage, iteration,
//! addresses, queries, debug/abort, and every entry point.

mod common;

use common::*;
use proof_vm::{IbcEntry, VmError};
use serde_json::{json, Value};

fn tester() -> Harness {
    let h = Harness::new("tester");
    let r = h.instantiate(&addr(1), json!({"greeting": "hello"}));
    assert_eq!(r.attr("action"), "instantiate");
    h
}

fn get(h: &Harness, key: &str) -> Value {
    h.query(json!({"get": {"key": key}})).query_json()
}

#[test]
fn instantiate_writes_storage_and_sees_env() {
    let h = Harness::new("tester");
    let r = h.instantiate(&addr(1), json!({"greeting": "hello"}));
    assert_eq!(r.attr("contract"), contract_addr());
    assert_eq!(r.attr("height"), "12345");
    assert!(r.gas_used > 0);
    assert_eq!(h.get(b"greeting").unwrap(), b"hello");
    assert_eq!(h.get(b"creator").unwrap(), addr(1).as_bytes());
    let env = h.query(json!({"env": {}})).query_json();
    assert_eq!(env["block"]["chain_id"], "proof-test-1");
    assert_eq!(env["transaction"]["index"], 3);
}

#[test]
fn db_read_write_remove() {
    let h = tester();
    assert_eq!(get(&h, "missing"), Value::Null);
    h.execute(&addr(2), json!({"set": {"key": "k", "value": "v1"}}))
        .ok();
    assert_eq!(get(&h, "k"), "v1");
    h.execute(&addr(2), json!({"set": {"key": "k", "value": "v2"}}))
        .ok();
    assert_eq!(get(&h, "k"), "v2");
    h.execute(&addr(2), json!({"remove": {"key": "k"}})).ok();
    assert_eq!(get(&h, "k"), Value::Null);
    // Removing a missing key is fine.
    h.execute(&addr(2), json!({"remove": {"key": "k"}})).ok();
}

#[test]
fn failed_call_reports_gas_and_its_writes_are_discarded() {
    let h = tester();
    let r = h.execute(&addr(2), json!({"set_then_fail": {"key": "ghost"}}));
    assert!(
        r.contract_err().contains("failed after write"),
        "{:?}",
        r.result
    );
    assert!(r.gas_used > 0);
    assert_eq!(h.get(b"ghost"), None);
    let r = h.execute(&addr(2), json!({"fail": {"msg": "nope"}}));
    assert!(r.contract_err().contains("nope"));
}

fn range(
    h: &Harness,
    start: Option<&str>,
    end: Option<&str>,
    desc: bool,
    mode: &str,
    skip: u32,
) -> Vec<String> {
    let v = h
        .query(json!({"range": {"start": start, "end": end, "desc": desc, "mode": mode, "skip": skip}}))
        .query_json();
    serde_json::from_value(v).unwrap()
}

#[test]
fn iterators_ascending_descending_bounds_keys_values() {
    let h = tester();
    h.execute(&addr(2), json!({"fill": {"prefix": "a", "count": 5}}))
        .ok();
    // Storage also holds "creator" and "greeting" (> "a-...").
    let all = range(&h, Some("a"), Some("b"), false, "all", 0);
    assert_eq!(
        all,
        vec![
            "a-00000=a-00000",
            "a-00001=a-00001",
            "a-00002=a-00002",
            "a-00003=a-00003",
            "a-00004=a-00004"
        ]
    );
    let desc = range(&h, Some("a"), Some("b"), true, "keys", 0);
    assert_eq!(
        desc,
        vec!["a-00004", "a-00003", "a-00002", "a-00001", "a-00000"]
    );
    // start inclusive, end exclusive
    let mid = range(&h, Some("a-00001"), Some("a-00003"), false, "values", 0);
    assert_eq!(mid, vec!["a-00001", "a-00002"]);
    let mid_desc = range(&h, Some("a-00001"), Some("a-00003"), true, "all", 0);
    assert_eq!(mid_desc, vec!["a-00002=a-00002", "a-00001=a-00001"]);
    // unbounded both ways, and skip (uses db_next_key to skip)
    let everything = range(&h, None, None, false, "keys", 0);
    assert_eq!(everything.len(), 7);
    assert_eq!(everything.last().unwrap(), "greeting");
    let skipped = range(&h, None, None, true, "keys", 5);
    assert_eq!(skipped, vec!["a-00001", "a-00000"]);
    // empty ranges
    assert!(range(&h, Some("x"), None, false, "all", 0).is_empty());
    assert!(range(&h, Some("b"), Some("a"), false, "all", 0).is_empty());
}

fn outcome(v: &Value) -> (Option<Vec<u8>>, Option<String>) {
    (
        v["ok"].as_str().map(unb64),
        v["err"].as_str().map(str::to_string),
    )
}

#[test]
fn addr_validate_canonicalize_humanize() {
    let h = tester();
    let a = addr(9);
    let (ok, err) = outcome(&h.query(json!({"addr_validate": {"addr": a}})).query_json());
    assert_eq!((ok.unwrap(), err), (a.as_bytes().to_vec(), None));
    let (_, err) = outcome(
        &h.query(json!({"addr_validate": {"addr": a.to_uppercase()}}))
            .query_json(),
    );
    assert!(err.unwrap().contains("not normalized"));
    let (_, err) = outcome(
        &h.query(json!({"addr_validate": {"addr": "cosmos1xyz"}}))
            .query_json(),
    );
    assert!(err.unwrap().contains("addr_validate errored"));
    let (_, err) = outcome(&h.query(json!({"addr_validate": {"addr": ""}})).query_json());
    assert!(err.unwrap().contains("Input is empty"));
    // Too long: cosmwasm-std stops before calling the host.
    let long = "p".repeat(300);
    let (_, err) = outcome(
        &h.query(json!({"addr_validate": {"addr": long}}))
            .query_json(),
    );
    assert!(err.unwrap().contains("too long"));

    let (ok, _) = outcome(
        &h.query(json!({"addr_canonicalize": {"addr": a}}))
            .query_json(),
    );
    assert_eq!(ok.unwrap(), vec![9u8; 20]);
    let contract = contract_addr();
    let (ok, _) = outcome(
        &h.query(json!({"addr_canonicalize": {"addr": contract}}))
            .query_json(),
    );
    assert_eq!(ok.unwrap(), vec![0xc0u8; 32]);
    let (_, err) = outcome(
        &h.query(json!({"addr_canonicalize": {"addr": "proof1notbech32"}}))
            .query_json(),
    );
    assert!(err.unwrap().contains("addr_canonicalize errored"));

    let (ok, _) = outcome(
        &h.query(json!({"addr_humanize": {"canonical": b64(&[9u8; 20])}}))
            .query_json(),
    );
    assert_eq!(ok.unwrap(), a.as_bytes());
    let (_, err) = outcome(
        &h.query(json!({"addr_humanize": {"canonical": ""}}))
            .query_json(),
    );
    assert!(err.unwrap().contains("addr_humanize errored"));
}

#[test]
fn debug_messages_are_captured() {
    let h = tester();
    let r = h.execute(&addr(2), json!({"debug": {"msg": "hello from wasm"}}));
    r.ok();
    assert_eq!(r.debug, vec!["hello from wasm".to_string()]);
}

#[test]
fn panic_aborts_with_message() {
    let h = tester();
    let r = h.execute(&addr(2), json!({"panic": {"msg": "boom 42"}}));
    match r.vm_err() {
        VmError::Aborted(m) => assert!(m.contains("boom 42"), "{m}"),
        e => panic!("unexpected {e:?}"),
    }
    assert!(r.gas_used > 0);
}

#[test]
fn query_chain_bank_balance_and_unsupported() {
    let mut h = tester();
    h.querier.balances.insert((addr(5), "uproof".into()), 777);
    h.querier.gas_per_query = 1_000_000;
    let req = json!({"bank": {"balance": {"address": addr(5), "denom": "uproof"}}});
    let r = h.query(json!({"raw": {"request": b64(req.to_string().as_bytes())}}));
    let sys = r.query_json();
    let inner = unb64(sys["ok"]["ok"].as_str().unwrap());
    let bal: Value = serde_json::from_slice(&inner).unwrap();
    assert_eq!(bal["amount"]["amount"], "777");
    let req = json!({"staking": {"bonded_denom": {}}});
    let sys = h
        .query(json!({"raw": {"request": b64(req.to_string().as_bytes())}}))
        .query_json();
    assert_eq!(sys["error"]["unsupported_request"]["kind"], "staking");
}

#[test]
fn querier_gas_is_charged() {
    let mut h = tester();
    let req = json!({"bank": {"balance": {"address": addr(5), "denom": "uproof"}}});
    let msg = json!({"raw": {"request": b64(req.to_string().as_bytes())}});
    let cheap = h.query(msg.clone()).gas_used;
    h.querier.gas_per_query = 50_000_000;
    let dear = h.query(msg.clone()).gas_used;
    assert!(dear >= cheap + 50_000_000, "{cheap} {dear}");
    // A querier refusing for lack of gas stops the call.
    h.querier.gas_per_query = u64::MAX;
    assert!(matches!(h.query(msg).vm_err(), VmError::Backend(_)));
}

#[test]
fn execute_receives_funds() {
    let h = tester();
    let r = h.execute_with_funds(
        &addr(2),
        &[("uproof", 5), ("uatom", 7)],
        json!({"echo": {"data": "xyz"}}),
    );
    assert_eq!(r.attr("funds"), "5uproof,7uatom");
    assert_eq!(unb64(r.ok()["data"].as_str().unwrap()), b"xyz");
}

#[test]
fn migrate_with_info_sudo_reply() {
    let h = tester();
    let r = h.migrate(&addr(3), json!({"new_greeting": "bye"}), Some(7));
    assert_eq!(r.attr("migrated_by"), addr(3));
    assert_eq!(r.attr("old_version"), "7");
    assert_eq!(h.get(b"greeting").unwrap(), b"bye");
    h.sudo(json!(b64(b"sudo payload"))).ok();
    assert_eq!(h.get(b"sudo").unwrap(), b"sudo payload");
    let reply = json!({"id": 42, "payload": "", "gas_used": 0,
        "result": {"ok": {"events": [], "msg_responses": []}}});
    let r = h.reply(reply);
    assert_eq!(r.attr("reply_id"), "42");
    assert_eq!(h.get(b"reply").unwrap(), b"42");
}

#[test]
fn migrate_two_arguments_and_missing_entry_points() {
    let h = Harness::new("token");
    let r = h.instantiate(&addr(1), json!({"name": "T", "symbol": "TKN", "decimals": 6, "initial_balances": [], "minter": null}));
    r.ok();
    assert_eq!(
        h.migrate(&addr(1), json!({}), None).attr("action"),
        "migrate"
    );
    match h.sudo(json!({})).vm_err() {
        VmError::MissingEntryPoint(e) => assert_eq!(e, "sudo"),
        e => panic!("{e:?}"),
    }
    assert!(matches!(
        h.reply(json!({})).vm_err(),
        VmError::MissingEntryPoint(_)
    ));
    assert!(matches!(
        h.ibc(IbcEntry::ChannelOpen, json!({})).vm_err(),
        VmError::MissingEntryPoint(_)
    ));
}

fn channel(version: &str) -> Value {
    json!({
        "endpoint": {"port_id": "wasm.x", "channel_id": "channel-0"},
        "counterparty_endpoint": {"port_id": "transfer", "channel_id": "channel-9"},
        "order": "ORDER_UNORDERED",
        "version": version,
        "connection_id": "connection-0"
    })
}

fn packet() -> Value {
    json!({
        "data": b64(b"payload"),
        "src": {"port_id": "transfer", "channel_id": "channel-9"},
        "dest": {"port_id": "wasm.x", "channel_id": "channel-0"},
        "sequence": 1,
        "timeout": {"block": null, "timestamp": "1800000000000000000"}
    })
}

#[test]
fn ibc_entry_points() {
    let h = tester();
    assert_eq!(
        h.ibc(
            IbcEntry::ChannelOpen,
            json!({"open_init": {"channel": channel("tester-1")}})
        )
        .ok(),
        &Value::Null
    );
    assert!(h
        .ibc(
            IbcEntry::ChannelOpen,
            json!({"open_init": {"channel": channel("v2")}})
        )
        .contract_err()
        .contains("bad version"));
    let connect = json!({"open_confirm": {"channel": channel("tester-1")}});
    assert_eq!(
        h.ibc(IbcEntry::ChannelConnect, connect).attr("entry"),
        "channel_connect"
    );
    let close = json!({"close_init": {"channel": channel("tester-1")}});
    assert_eq!(
        h.ibc(IbcEntry::ChannelClose, close).attr("entry"),
        "channel_close"
    );
    let recv = h.ibc(
        IbcEntry::PacketReceive,
        json!({"packet": packet(), "relayer": addr(4)}),
    );
    assert_eq!(
        unb64(recv.ok()["acknowledgement"].as_str().unwrap()),
        b"ack"
    );
    assert_eq!(h.get(b"ibc/packet_receive").unwrap(), b"payload");
    let ack = json!({"acknowledgement": {"data": b64(b"ok")}, "original_packet": packet(), "relayer": addr(4)});
    assert_eq!(
        h.ibc(IbcEntry::PacketAck, ack.clone()).attr("entry"),
        "packet_ack"
    );
    let timeout = json!({"packet": packet(), "relayer": addr(4)});
    assert_eq!(
        h.ibc(IbcEntry::PacketTimeout, timeout).attr("entry"),
        "packet_timeout"
    );
    let src_cb = json!({"acknowledgement": ack});
    assert_eq!(
        h.ibc(IbcEntry::SourceCallback, src_cb).attr("entry"),
        "source_callback"
    );
    let dst_cb = json!({"packet": packet(), "ack": {"data": b64(b"ok")}, "transfer": null});
    assert_eq!(
        h.ibc(IbcEntry::DestinationCallback, dst_cb).attr("entry"),
        "destination_callback"
    );
    let payload = json!({"source_port": "a", "destination_port": "b", "version": "v", "encoding": "json", "value": b64(b"v2")});
    let recv2 = json!({"payload": payload.clone(), "relayer": addr(4), "source_client": "c0", "destination_client": "c1", "packet_sequence": 5});
    let r = h.ibc(IbcEntry::Ibc2PacketReceive, recv2);
    assert_eq!(r.attr("entry"), "ibc2_packet_receive");
    assert_eq!(h.get(b"ibc/ibc2_packet_receive").unwrap(), b"v2");
    let ack2 = json!({"source_client": "c0", "destination_client": "c1", "data": payload.clone(),
        "acknowledgement": b64(b"a"), "relayer": addr(4)});
    assert_eq!(
        h.ibc(IbcEntry::Ibc2PacketAck, ack2).attr("entry"),
        "ibc2_packet_ack"
    );
    let timeout2 = json!({"payload": payload.clone(), "source_client": "c0", "destination_client": "c1",
        "packet_sequence": 6, "relayer": addr(4)});
    assert_eq!(
        h.ibc(IbcEntry::Ibc2PacketTimeout, timeout2).attr("entry"),
        "ibc2_packet_timeout"
    );
    let send2 = json!({"payload": payload, "source_client": "c0", "destination_client": "c1",
        "packet_sequence": 7, "signer": addr(4)});
    assert_eq!(
        h.ibc(IbcEntry::Ibc2PacketSend, send2).attr("entry"),
        "ibc2_packet_send"
    );
    for e in [
        "ibc2_packet_ack",
        "ibc2_packet_timeout",
        "ibc2_packet_send",
        "packet_ack",
    ] {
        assert_eq!(h.get(format!("ibc/{e}").as_bytes()).unwrap(), b"1", "{e}");
    }
    // A malformed message is a contract error (parse failure), not a VM error.
    let r = h.ibc(IbcEntry::Ibc2PacketAck, json!({"nope": 1}));
    assert!(r.contract_err().contains("Serialization"), "{:?}", r.result);
}

#[test]
fn malformed_message_is_a_contract_error() {
    let h = tester();
    let r = h.execute(&addr(2), json!({"no_such_variant": {}}));
    assert!(
        r.contract_err().contains("unknown variant"),
        "{:?}",
        r.result
    );
}

#[test]
fn gas_is_deterministic() {
    let a = tester();
    let b = tester();
    let g1 = a
        .execute(&addr(2), json!({"fill": {"prefix": "z", "count": 20}}))
        .gas_used;
    let g2 = b
        .execute(&addr(2), json!({"fill": {"prefix": "z", "count": 20}}))
        .gas_used;
    assert_eq!(g1, g2);
    let g3 = a
        .execute(&addr(2), json!({"fill": {"prefix": "y", "count": 40}}))
        .gas_used;
    assert!(g3 > g1);
}

#[test]
fn out_of_gas_is_clean_and_reports_all_gas_used() {
    let mut h = tester();
    h.opts.gas_limit = 2_000_000;
    let r = h.execute(&addr(2), json!({"fill": {"prefix": "q", "count": 1000}}));
    assert_eq!(r.vm_err(), &VmError::OutOfGas);
    assert_eq!(r.gas_used, 2_000_000);
    assert_eq!(h.get(b"q-00000"), None);
}
