//! What a contract may query while it runs (`QueryRequest`): bank balances, other contracts
//! (smart, raw) and contract/code info. Queries see the caller's pending writes.

use base64::Engine as _;
use proof_sdk::Address;
use proof_vm::backend::BackendResult;
use proof_vm::{BackendError, VmError};
use serde_json::{json, Value};

use super::keys;
use crate::modules::bank;
use crate::modules::wasm::context::MAX_CALL_DEPTH;
use crate::modules::wasm::contracts as wasm;
use crate::modules::wasm::host::{call_contract, code_checksum, Host};
use crate::state::gas::READ_PER_BYTE;
use crate::state::Metered;
use crate::tx::b64;

impl Host<'_, '_> {
    /// Answers a contract's `QueryRequest`: bank balance/all balances, wasm smart/raw/contract
    /// info/code info. The
    /// returned gas is the VM gas of a nested contract query; KV reads are charged to the
    /// chain meter directly.
    pub(super) fn query(
        &self,
        kv: &mut Metered<'_, '_>,
        request: &[u8],
        gas_limit: u64,
    ) -> BackendResult<(Vec<u8>, u64)> {
        let sys_err = |v: Value| Ok((json!({ "error": v }).to_string().into_bytes(), 0));
        let req: Value = match serde_json::from_slice(request) {
            Ok(v) => v,
            Err(e) => {
                return sys_err(json!({"invalid_request": {
                    "error": e.to_string(), "request": b64(request)}}))
            }
        };
        let ok_bin = |data: &[u8], gas: u64| {
            Ok((
                json!({"ok": {"ok": b64(data)}}).to_string().into_bytes(),
                gas,
            ))
        };
        let parse = |s: &Value| -> Result<Address, Value> {
            let s = s.as_str().unwrap_or_default();
            s.parse::<Address>().map_err(
                |e| json!({"invalid_request": {"error": e.to_string(), "request": b64(request)}}),
            )
        };
        if let Some(b) = req.pointer("/bank/balance") {
            let addr = match parse(&b["address"]) {
                Ok(a) => a,
                Err(e) => return sys_err(e),
            };
            let denom = b["denom"].as_str().unwrap_or_default().to_string();
            let amount = bank::balance(kv, &addr, &denom).map_err(|e| self.state_err(e))?;
            let resp = json!({"amount": {"denom": denom, "amount": amount.to_string()}});
            return ok_bin(resp.to_string().as_bytes(), 0);
        }
        if let Some(b) = req.pointer("/bank/all_balances") {
            let addr = match parse(&b["address"]) {
                Ok(a) => a,
                Err(e) => return sys_err(e),
            };
            kv.gas
                .charge_read(crate::modules::bank::keys::balances_of(&addr).len())
                .map_err(|_| BackendError::OutOfGas)?;
            // Charged per balance as it is read, like any iterator.
            let mut coins = Vec::new();
            for c in bank::balances_iter(&kv.delta, &addr).map_err(|e| self.state_err(e))? {
                let c = c.map_err(|e| self.state_err(e))?;
                kv.gas
                    .charge(
                        crate::modules::wasm::ITER_NEXT_FLAT
                            + READ_PER_BYTE * (c.denom.len() + 16) as u64,
                    )
                    .map_err(|_| BackendError::OutOfGas)?;
                coins.push(json!({"denom": c.denom, "amount": c.amount.to_string()}));
            }
            return ok_bin(json!({ "amount": coins }).to_string().as_bytes(), 0);
        }
        if let Some(w) = req.pointer("/wasm/raw") {
            let addr = match parse(&w["contract_addr"]) {
                Ok(a) => a,
                Err(e) => return sys_err(e),
            };
            let key = base64::engine::general_purpose::STANDARD
                .decode(w["key"].as_str().unwrap_or_default())
                .unwrap_or_default();
            let full = [keys::wasm_store_prefix(&addr), key].concat();
            let v = kv
                .get(&full)
                .map_err(|e| self.state_err(e))?
                .unwrap_or_default();
            return ok_bin(&v, 0);
        }
        if let Some(w) = req.pointer("/wasm/smart") {
            let addr = match parse(&w["contract_addr"]) {
                Ok(a) => a,
                Err(e) => return sys_err(e),
            };
            let msg = base64::engine::general_purpose::STANDARD
                .decode(w["msg"].as_str().unwrap_or_default())
                .unwrap_or_default();
            if self.depth + 1 > MAX_CALL_DEPTH {
                let e = json!({"ok": {"error": "query call depth exceeded"}});
                return Ok((e.to_string().into_bytes(), 0));
            }
            let Some(info) = wasm::contract_info(kv, &addr).map_err(|e| self.state_err(e))? else {
                return sys_err(json!({"no_such_contract": {"addr": addr.to_string()}}));
            };
            let checksum = match code_checksum(kv, info.code_id) {
                Ok(c) => c,
                Err(e) => {
                    if e.is_node_condition() {
                        self.resource.borrow_mut().get_or_insert(e.to_string());
                    }
                    return Err(BackendError::Other(e.to_string()));
                }
            };
            let env = self.ctx.env(&addr);
            let (result, gas_used) = call_contract(
                kv,
                self.ctx,
                &addr,
                &checksum,
                self.depth + 1,
                gas_limit,
                |vm, b, o| vm.query(&checksum, b, &env, &msg, o),
            );
            return match result {
                Ok(bytes) => {
                    // The contract's ContractResult<Binary> JSON goes back as is.
                    let inner: Value = serde_json::from_slice(&bytes)
                        .map_err(|e| BackendError::Other(e.to_string()))?;
                    Ok((json!({ "ok": inner }).to_string().into_bytes(), gas_used))
                }
                Err(VmError::OutOfGas) | Err(VmError::Backend(BackendError::OutOfGas)) => {
                    Err(BackendError::OutOfGas)
                }
                Err(VmError::Resource(r)) => {
                    *self.resource.borrow_mut() = Some(r.clone());
                    Err(BackendError::Other(format!("node resource exhausted: {r}")))
                }
                Err(VmError::Cache(r)) => {
                    *self.resource.borrow_mut() = Some(r.clone());
                    Err(BackendError::Other(format!("node cache failure: {r}")))
                }
                // Redacted as wasmd does: a VM error's text (traps, backtraces) may differ
                // between nodes or versions, and the calling contract could store it.
                Err(_) => Ok((
                    json!({"ok": {"error": "codespace: wasm, code: 9"}})
                        .to_string()
                        .into_bytes(),
                    gas_used,
                )),
            };
        }
        if let Some(w) = req.pointer("/wasm/contract_info") {
            let addr = match parse(&w["contract_addr"]) {
                Ok(a) => a,
                Err(e) => return sys_err(e),
            };
            let Some(info) = wasm::contract_info(kv, &addr).map_err(|e| self.state_err(e))? else {
                return sys_err(json!({"no_such_contract": {"addr": addr.to_string()}}));
            };
            let admin = (!info.admin.is_empty()).then_some(info.admin);
            let resp = json!({"code_id": info.code_id, "creator": info.creator, "admin": admin,
                "pinned": false, "ibc_port": null, "ibc2_port": null});
            return ok_bin(resp.to_string().as_bytes(), 0);
        }
        if let Some(w) = req.pointer("/wasm/code_info") {
            let code_id = w["code_id"].as_u64().unwrap_or_default();
            let Some(info) = wasm::code_info(kv, code_id).map_err(|e| self.state_err(e))? else {
                return sys_err(json!({"no_such_code": {"code_id": code_id}}));
            };
            let resp = json!({"code_id": code_id, "creator": info.creator,
                "checksum": hex::encode(&info.code_hash)});
            return ok_bin(resp.to_string().as_bytes(), 0);
        }
        let kind = req
            .as_object()
            .and_then(|o| o.keys().next().cloned())
            .unwrap_or_default();
        sys_err(json!({"unsupported_request": {"kind": kind}}))
    }
}
