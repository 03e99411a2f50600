//! Applying a contract's `Response`: its events, then its messages in order, as wasmd does.
//!
//! Every message runs in a child state layer over its caller's: on success the child's writes
//! and events join the caller's, on failure they are dropped. What happens then depends on the
//! submessage's `reply_on`: with `error`/`always` the contract's `reply` gets the (redacted)
//! error and the caller carries on with its own state intact; otherwise the error fails the
//! caller, and so the whole transaction. A submessage with a `gas_limit` runs on its own meter:
//! running out of it is an error the reply can handle, and the gas it used is then charged to
//! the caller (which may run the caller out of gas: that is never handled). Without a limit the
//! child shares the caller's meter, so running out fails the transaction.
//!
//! Messages reach the chain through the same decoding and handlers as a transaction's
//! (`Msg::from_any` + `exec::run_msg`), with the contract as the only allowed signer: `bank send`,
//! wasm `execute`, `instantiate`, `instantiate2`, `migrate`, `update_admin`, `clear_admin`, and
//! `any`/`stargate` messages the contract may sign.

use base64::Engine as _;
use cosmos_sdk_proto::cosmos::bank::v1beta1::MsgSend;
use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmos_sdk_proto::cosmwasm::wasm::v1::{
    MsgClearAdmin, MsgExecuteContract, MsgInstantiateContract, MsgInstantiateContract2,
    MsgMigrateContract, MsgUpdateAdmin,
};
use cosmos_sdk_proto::Any;
use proof_sdk::msgs::to_any;
use proof_sdk::Address;
use serde_json::{json, Value};
use tendermint::abci::Event;

use crate::app::decode::Msg;
use crate::modules::wasm::context::{werr, WasmCtx, MAX_CALL_DEPTH};
use crate::modules::wasm::contracts as wasm;
use crate::modules::wasm::host::{code_checksum, contract_event};
use crate::modules::wasm::msgs::{run_entry, Entry};
use crate::state::gas::GasMeter;
use crate::state::{Delta, Metered};
use crate::tx::{b64, TxError};

/// When a submessage's result goes back to the contract's `reply`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ReplyOn {
    Always,
    Success,
    Error,
    Never,
}

struct SubMsg {
    id: u64,
    payload: String,
    gas_limit: Option<u64>,
    reply_on: ReplyOn,
    msg: Value,
}

impl SubMsg {
    fn parse(v: &Value) -> Result<Self, TxError> {
        let reply_on = match v["reply_on"].as_str().unwrap_or("never") {
            "always" => ReplyOn::Always,
            "success" => ReplyOn::Success,
            "error" => ReplyOn::Error,
            "never" => ReplyOn::Never,
            other => return Err(werr(10, format!("unknown reply_on {other:?}"))),
        };
        Ok(SubMsg {
            id: v["id"].as_u64().unwrap_or_default(),
            payload: v["payload"].as_str().unwrap_or_default().to_string(),
            gas_limit: v["gas_limit"].as_u64(),
            reply_on,
            msg: v["msg"].clone(),
        })
    }
}

/// Applies a contract's `Response` (the `ok` JSON of its result) and returns its `data`,
/// replaced by a reply's data when a reply returns some.
pub(super) fn handle_response(
    kv: &mut Metered<'_, '_>,
    ctx: &WasmCtx<'_>,
    contract: &Address,
    resp: &Value,
    depth: u32,
    events: &mut Vec<Event>,
) -> Result<Option<Vec<u8>>, TxError> {
    emit_events(kv.gas, contract, resp, events)?;
    let mut data = match &resp["data"] {
        Value::String(s) => Some(
            base64::engine::general_purpose::STANDARD
                .decode(s)
                .map_err(|e| werr(5, format!("malformed response data: {e}")))?,
        ),
        _ => None,
    };
    for sub in resp["messages"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
    {
        let sub = SubMsg::parse(sub)?;
        if let Some(reply_data) = dispatch_submsg(kv, ctx, contract, &sub, depth, events)? {
            data = Some(reply_data);
        }
    }
    Ok(data)
}

/// Gas for a contract's events, wasmd's defaults: they are stored in block results and indexed,
/// so every attribute, every byte of them and every custom event costs.
pub const GAS_PER_EVENT_ATTRIBUTE: u64 = 10;
pub const GAS_PER_EVENT_ATTRIBUTE_BYTE: u64 = 1;
pub const GAS_PER_CUSTOM_EVENT: u64 = 20;

/// The response's attributes as a `wasm` event and its custom events as `wasm-<type>`, checked
/// as wasmd checks them (no empty keys, no keys reserved with a leading `_`) and paid for.
fn emit_events(
    gas: &mut GasMeter,
    contract: &Address,
    resp: &Value,
    events: &mut Vec<Event>,
) -> Result<(), TxError> {
    let mut charge = |attrs: &[(String, String)], base: u64| -> Result<(), TxError> {
        let bytes: usize = attrs.iter().map(|(k, v)| k.len() + v.len()).sum();
        gas.charge(
            base + GAS_PER_EVENT_ATTRIBUTE * attrs.len() as u64
                + GAS_PER_EVENT_ATTRIBUTE_BYTE * bytes as u64,
        )?;
        Ok(())
    };
    let attrs = |v: &Value| -> Result<Vec<(String, String)>, TxError> {
        v.as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|a| {
                let key = a["key"].as_str().unwrap_or_default().trim().to_string();
                if key.is_empty() || key.starts_with('_') {
                    return Err(werr(
                        21,
                        format!("invalid event attribute key {key:?}: empty or reserved"),
                    ));
                }
                Ok((key, a["value"].as_str().unwrap_or_default().to_string()))
            })
            .collect()
    };
    let top = attrs(&resp["attributes"])?;
    charge(&top, 0)?;
    if !top.is_empty() {
        events.push(contract_event("wasm", contract, &top));
    }
    for ev in resp["events"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
    {
        let kind = ev["type"].as_str().unwrap_or_default().trim();
        if kind.len() < 2 {
            return Err(werr(21, format!("event type {kind:?} too short")));
        }
        let ev_attrs = attrs(&ev["attributes"])?;
        charge(&ev_attrs, GAS_PER_CUSTOM_EVENT)?;
        events.push(contract_event(&format!("wasm-{kind}"), contract, &ev_attrs));
    }
    Ok(())
}

/// Runs one submessage in a child layer and, if asked, the contract's `reply`. Returns the
/// reply's data, if it set some.
fn dispatch_submsg(
    kv: &mut Metered<'_, '_>,
    ctx: &WasmCtx<'_>,
    contract: &Address,
    sub: &SubMsg,
    depth: u32,
    events: &mut Vec<Event>,
) -> Result<Option<Vec<u8>>, TxError> {
    if depth + 1 > MAX_CALL_DEPTH {
        return Err(werr(13, "contract call depth exceeded"));
    }
    let mut sub_events = Vec::new();
    // As wasmd: a limit only applies below what the caller has left, so a child can never burn
    // more than the transaction paid for before the caller is charged.
    let remaining = kv.gas.limit().saturating_sub(kv.gas.used());
    let own_limit = sub.gas_limit.filter(|&limit| limit < remaining);
    let (result, gas_used, writes) = match own_limit {
        Some(limit) => {
            let mut meter = GasMeter::new(limit);
            let mut child = Metered {
                delta: Delta::new(&kv.delta),
                gas: &mut meter,
            };
            let result =
                run_contract_msg(&mut child, ctx, contract, &sub.msg, depth, &mut sub_events);
            let writes = child.delta.into_writes();
            // What the child used is the caller's cost; running the caller out is fatal.
            kv.gas.charge(meter.used())?;
            (result, meter.used(), writes)
        }
        None => {
            let before = kv.gas.used();
            let mut child = Metered {
                delta: Delta::new(&kv.delta),
                gas: &mut *kv.gas,
            };
            let result =
                run_contract_msg(&mut child, ctx, contract, &sub.msg, depth, &mut sub_events);
            let writes = child.delta.into_writes();
            (result, kv.gas.used() - before, writes)
        }
    };
    let reply_result = match result {
        Ok(response) => {
            kv.delta.absorb(writes);
            let reply = json!({"ok": {
                "events": reply_events(&sub_events),
                "data": b64(&response.value),
                "msg_responses": [{"type_url": response.type_url, "value": b64(&response.value)}],
            }});
            events.extend(sub_events);
            if !matches!(sub.reply_on, ReplyOn::Always | ReplyOn::Success) {
                return Ok(None);
            }
            reply
        }
        Err(e) => {
            let handled = matches!(sub.reply_on, ReplyOn::Always | ReplyOn::Error)
                && handleable(&e, own_limit.is_some());
            if !handled {
                return Err(e);
            }
            // Redacted like wasmd: the code is deterministic, the message need not be.
            json!({"error": format!("codespace: {}, code: {}", e.codespace(), e.code())})
        }
    };
    let reply = json!({
        "id": sub.id,
        "payload": sub.payload,
        "gas_used": gas_used,
        "result": reply_result,
    });
    let info = wasm::contract_info(kv, contract)?
        .ok_or_else(|| werr(8, format!("no such contract: {contract}")))?;
    let checksum = code_checksum(kv, info.code_id)?;
    events.push(contract_event("reply", contract, &[]));
    let entry = Entry::Reply {
        msg: reply.to_string().into_bytes(),
    };
    // The reply is one call deeper than the contract that sent the submessage, as the
    // submessage was: a chain of replies that each send another submessage ends at
    // `MAX_CALL_DEPTH` (gas alone would let governance's gas limits decide how deep this
    // thread's stack goes).
    let resp = run_entry(kv, ctx, contract, &checksum, depth + 1, &entry)?;
    handle_response(kv, ctx, contract, &resp, depth + 1, events)
}

/// Whether a failed submessage may be handed to `reply`: never a node condition or an internal
/// error, and out of gas only when it ran on its own limit (otherwise the tx's gas is gone).
fn handleable(e: &TxError, own_gas_limit: bool) -> bool {
    match e {
        TxError::NodeResource(_)
        | TxError::Storage(_)
        | TxError::Internal(_)
        | TxError::BlockFull(_) => false,
        TxError::OutOfGas(_) => own_gas_limit,
        _ => true,
    }
}

/// A sub call's events as CosmWasm `Event`s for its reply (without the tx-level `message`).
fn reply_events(events: &[Event]) -> Vec<Value> {
    events
        .iter()
        .filter(|e| e.kind != "message")
        .map(|e| {
            let attributes: Vec<Value> = e
                .attributes
                .iter()
                .map(|a| {
                    json!({"key": a.key_str().unwrap_or_default(),
                        "value": a.value_str().unwrap_or_default()})
                })
                .collect();
            json!({"type": e.kind, "attributes": attributes})
        })
        .collect()
}

/// Runs a `CosmosMsg` a contract sent, with the contract as sender, through the chain's own
/// message decoding and handlers.
fn run_contract_msg(
    kv: &mut Metered<'_, '_>,
    ctx: &WasmCtx<'_>,
    contract: &Address,
    msg: &Value,
    depth: u32,
    events: &mut Vec<Event>,
) -> Result<Any, TxError> {
    let any = to_proto(contract, msg)?;
    let msg = Msg::from_any(&any)?;
    if msg.signers() != [contract.clone()] {
        return Err(TxError::Unauthorized(format!(
            "a contract may only send messages it signs: {} needs {:?}",
            any.type_url,
            msg.signers()
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
        )));
    }
    crate::app::exec::run_msg(kv, ctx, &msg, depth + 1, 0, events)
}

/// A contract's `CosmosMsg` JSON as the SDK message it stands for.
fn to_proto(contract: &Address, msg: &Value) -> Result<Any, TxError> {
    let sender = contract.to_string();
    let str_of = |v: &Value| v.as_str().unwrap_or_default().to_string();
    let bin = |v: &Value| -> Result<Vec<u8>, TxError> {
        match v {
            Value::Null => Ok(Vec::new()),
            v => base64::engine::general_purpose::STANDARD
                .decode(v.as_str().unwrap_or_default())
                .map_err(|e| werr(10, format!("bad base64 in contract message: {e}"))),
        }
    };
    let coins = |v: &Value| -> Vec<ProtoCoin> {
        v.as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|c| ProtoCoin {
                denom: str_of(&c["denom"]),
                amount: str_of(&c["amount"]),
            })
            .collect()
    };
    let (kind, body) = msg
        .as_object()
        .and_then(|o| o.iter().next())
        .ok_or_else(|| werr(10, format!("malformed contract message: {msg}")))?;
    let (sub, inner) = body
        .as_object()
        .and_then(|o| o.iter().next())
        .map(|(k, v)| (k.as_str(), v))
        .unwrap_or(("", &Value::Null));
    Ok(match (kind.as_str(), sub) {
        ("bank", "send") => to_any(&MsgSend {
            from_address: sender,
            to_address: str_of(&inner["to_address"]),
            amount: coins(&inner["amount"]),
        }),
        ("wasm", "execute") => to_any(&MsgExecuteContract {
            sender,
            contract: str_of(&inner["contract_addr"]),
            msg: bin(&inner["msg"])?,
            funds: coins(&inner["funds"]),
        }),
        ("wasm", "instantiate") => to_any(&MsgInstantiateContract {
            sender,
            admin: str_of(&inner["admin"]),
            code_id: inner["code_id"].as_u64().unwrap_or_default(),
            label: str_of(&inner["label"]),
            msg: bin(&inner["msg"])?,
            funds: coins(&inner["funds"]),
        }),
        ("wasm", "instantiate2") => to_any(&MsgInstantiateContract2 {
            sender,
            admin: str_of(&inner["admin"]),
            code_id: inner["code_id"].as_u64().unwrap_or_default(),
            label: str_of(&inner["label"]),
            msg: bin(&inner["msg"])?,
            funds: coins(&inner["funds"]),
            salt: bin(&inner["salt"])?,
            fix_msg: false,
        }),
        ("wasm", "migrate") => to_any(&MsgMigrateContract {
            sender,
            contract: str_of(&inner["contract_addr"]),
            code_id: inner["new_code_id"].as_u64().unwrap_or_default(),
            msg: bin(&inner["msg"])?,
        }),
        ("wasm", "update_admin") => to_any(&MsgUpdateAdmin {
            sender,
            new_admin: str_of(&inner["admin"]),
            contract: str_of(&inner["contract_addr"]),
        }),
        ("wasm", "clear_admin") => to_any(&MsgClearAdmin {
            sender,
            contract: str_of(&inner["contract_addr"]),
        }),
        ("any" | "stargate", _) => Any {
            type_url: str_of(&body["type_url"]),
            value: bin(&body["value"])?,
        },
        _ => {
            return Err(werr(
                17,
                format!("contract message {kind}/{sub} is not supported"),
            ))
        }
    })
}
#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    use proof_sdk::Coin;
    use proof_vm::Vm;

    use crate::modules::bank;

    fn send(to: &Address, amount: u128) -> Value {
        json!({"id": 0, "gas_limit": null, "reply_on": "never", "msg": {"bank": {"send": {
            "to_address": to.to_string(), "amount": [{"denom": "uxyz", "amount": amount.to_string()}]}}}})
    }

    #[test]
    fn bank_sends_from_a_contract_run_in_order_and_any_failure_fails_the_call() {
        let vm = Vm::new(Default::default()).unwrap();
        let ctx = WasmCtx {
            vm: &vm,
            api: Arc::new(proof_vm::addr::Bech32Api::new("proof")),
            chain_id: "t".into(),
            height: 1,
            time_nanos: 0,
            tx_hash: None,
            tx_index: 0,
            compile: None,
        };
        let contract = wasm::contract_address(1, 1);
        let (x, y) = (
            Address::from_bytes(&[1; 20]).unwrap(),
            Address::from_bytes(&[2; 20]).unwrap(),
        );
        let mut gas = GasMeter::infinite();
        let mut kv = Metered::new(&crate::state::EmptyState, &mut gas);
        bank::mint(&mut kv, &contract, &[Coin::new(100, "uxyz")]).unwrap();
        let resp = json!({"messages": [send(&x, 30), send(&y, 70)],
            "attributes": [{"key": "k", "value": "v"}], "events": [], "data": "AQI="});
        let mut events = Vec::new();
        let data = handle_response(&mut kv, &ctx, &contract, &resp, 0, &mut events).unwrap();
        assert_eq!(data, Some(vec![1, 2]));
        assert_eq!(bank::balance(&mut kv, &x, "uxyz").unwrap(), 30);
        assert_eq!(bank::balance(&mut kv, &y, "uxyz").unwrap(), 70);
        assert_eq!(bank::balance(&mut kv, &contract, "uxyz").unwrap(), 0);
        assert_eq!(events[0].kind, "wasm");
        let spent: Vec<_> = events.iter().filter(|e| e.kind == "coin_spent").collect();
        assert_eq!(spent.len(), 2);

        // Overdrawing: the first send goes through, the second fails the whole response (the
        // executor then drops every write of the transaction).
        bank::mint(&mut kv, &contract, &[Coin::new(10, "uxyz")]).unwrap();
        let resp = json!({"messages": [send(&x, 5), send(&y, 6)], "attributes": [],
            "events": []});
        let err = handle_response(&mut kv, &ctx, &contract, &resp, 0, &mut events).unwrap_err();
        assert_eq!((err.code(), err.codespace()), (5, "sdk"), "{err}");

        // Unsupported messages, messages the contract cannot sign and reserved event keys are
        // refused clearly.
        let other = Address::from_bytes(&[9; 20]).unwrap();
        let foreign_send = cosmos_sdk_proto::cosmos::bank::v1beta1::MsgSend {
            from_address: other.to_string(),
            to_address: x.to_string(),
            amount: vec![Coin::new(1, "uxyz").to_proto()],
        };
        let any = proof_sdk::msgs::to_any(&foreign_send);
        let cases = [
            (
                json!({"messages": [{"id": 0, "reply_on": "never", "msg": {"staking": {"delegate": {}}}}]}),
                (17, "wasm"),
            ),
            (
                json!({"messages": [{"id": 0, "reply_on": "never", "msg": {"any": {
                    "type_url": any.type_url, "value": b64(&any.value)}}}]}),
                (4, "sdk"),
            ),
            (
                json!({"attributes": [{"key": "_contract_address", "value": "spoof"}]}),
                (21, "wasm"),
            ),
        ];
        for (resp, want) in cases {
            let err = handle_response(&mut kv, &ctx, &contract, &resp, 0, &mut events).unwrap_err();
            assert_eq!((err.code(), err.codespace()), want, "{err}");
        }
    }

    #[test]
    fn events_are_paid_for_per_attribute_byte_and_custom_event() {
        let contract = wasm::contract_address(1, 1);
        let mut gas = GasMeter::infinite();
        let resp = json!({"attributes": [{"key": "ab", "value": "cde"}],
            "events": [{"type": "xfer", "attributes": [{"key": "k", "value": "v"}]}]});
        let mut events = Vec::new();
        emit_events(&mut gas, &contract, &resp, &mut events).unwrap();
        let want = (GAS_PER_EVENT_ATTRIBUTE + 5 * GAS_PER_EVENT_ATTRIBUTE_BYTE)
            + (GAS_PER_CUSTOM_EVENT + GAS_PER_EVENT_ATTRIBUTE + 2 * GAS_PER_EVENT_ATTRIBUTE_BYTE);
        assert_eq!(gas.used(), want);
        assert_eq!(
            events.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>(),
            ["wasm", "wasm-xfer"]
        );
        // Out of gas while emitting is an out-of-gas error.
        let mut gas = GasMeter::new(want - 1);
        let err = emit_events(&mut gas, &contract, &resp, &mut Vec::new()).unwrap_err();
        assert_eq!(err.code(), 11);
    }
}
