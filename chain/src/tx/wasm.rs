//! The wasm module: `MsgStoreCode`, `MsgInstantiateContract`, `MsgExecuteContract`, the chain
//! backend proof-vm calls run against, and smart queries.
//!
//! How a call reaches state: proof-vm wants a `'static` [`Backend`], while the transaction's state
//! is a borrowed [`Metered`] delta. So the call runs on a scoped helper thread whose backend only
//! holds a channel; this thread serves every storage access and query from that channel against
//! the `Metered` (charging the SDK's KV gas as it goes) until the call ends. Nested calls (a smart
//! query to another contract, a `WasmMsg::Execute`) do the same, recursively, depth-limited.
//! Execution is still strictly sequential and deterministic: the helper only runs while this
//! thread waits for it.
//!
//! Gas: VM gas is converted to chain (SDK) gas with ONE multiplier, [`VM_GAS_PER_SDK_GAS`]
//! (140 000 VM gas = 1 SDK gas, the figure `vm/GAS.md` documents). A call gets
//! `remaining chain gas × multiplier` VM gas; afterwards `ceil(vm gas used / multiplier)` is
//! charged to the tx's meter, on top of the KV gas its storage accesses already paid.
//! Running out (in the VM, in a storage access or at the final charge) is code 11 (out of gas);
//! the executor then drops the tx's writes and keeps its fee.

use std::io::Read;
use std::sync::mpsc;
use std::sync::Arc;

use base64::Engine as _;
use cosmos_sdk_proto::cosmwasm::wasm::v1::{
    ContractInfo, MsgExecuteContractResponse, MsgInstantiateContractResponse, MsgStoreCodeResponse,
};
use cosmos_sdk_proto::Any;
use proof_sdk::{Address, Coin};
use proof_vm::backend::{BackendResult, Record};
use proof_vm::types::{self as vmt, to_json};
use proof_vm::{Api, Backend, BackendError, CallOptions, Checksum, Order, Outcome, Querier};
use proof_vm::{Storage, Vm, VmError};
use serde_json::{json, Value};
use tendermint::abci::{Event, EventAttributeIndexExt};

use super::{events, TxError};
use crate::state::gas::{GasMeter, READ_FLAT, READ_PER_BYTE};
use crate::state::{bank, keys, wasm, Metered, StateRead};

/// VM gas per chain (SDK) gas: the one conversion between the two (see `vm/GAS.md`).
///
/// Chosen so a unit of gas buys the same CPU time in a contract as in the rest of the chain:
/// VM gas is calibrated at ~10^12 per CPU second, and chain gas at ~10^9 per second of node work
/// (a bank transfer: ~75k gas for ~90 us). So the per-tx cap (50M gas) bounds a contract call to
/// ~50 ms and the block cap (1e9 gas) a block's contract CPU to ~1 s. (wasmd's 140_000_000 relates
/// different units; a larger multiplier here would let one cheap tx burn seconds of every
/// validator's CPU.)
pub const VM_GAS_PER_SDK_GAS: u64 = 1_000;
/// Largest accepted wasm code, after un-gzipping (wasmd's default `MaxWasmSize`).
pub const MAX_WASM_SIZE: usize = 800 * 1024;
/// How deep calls may nest (smart queries and `WasmMsg::Execute` from contracts).
pub const MAX_CALL_DEPTH: u32 = 10;
/// Chain gas a smart query through ABCI may use (wasmd's default `SmartQueryGasLimit`).
pub const QUERY_GAS_LIMIT: u64 = 3_000_000;
/// Gas per record an iterator yields (the SDK's `IterNextCostFlat`), plus the read per-byte cost.
pub const ITER_NEXT_FLAT: u64 = 30;
/// How often a call is retried when the VM's instance pool is momentarily exhausted.
const RESOURCE_RETRIES: u32 = 5;

fn werr(code: u32, msg: impl Into<String>) -> TxError {
    TxError::Wasm {
        code,
        msg: msg.into(),
    }
}

/// Un-gzips `code` if it is gzipped; enforces [`MAX_WASM_SIZE`] either way.
pub fn uncompress(code: &[u8]) -> Result<Vec<u8>, TxError> {
    if code.is_empty() {
        return Err(werr(12, "empty wasm code"));
    }
    let wasm = if code.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(code)
            .take(MAX_WASM_SIZE as u64 + 1)
            .read_to_end(&mut out)
            .map_err(|e| werr(2, format!("cannot un-gzip wasm code: {e}")))?;
        out
    } else {
        code.to_vec()
    };
    if wasm.len() > MAX_WASM_SIZE {
        return Err(werr(
            13,
            format!("wasm code too large: more than {MAX_WASM_SIZE} bytes"),
        ));
    }
    Ok(wasm)
}

/// What every call of a transaction shares.
pub struct WasmCtx<'v> {
    pub vm: &'v Vm,
    pub api: Arc<dyn Api>,
    pub chain_id: String,
    pub height: u64,
    pub time_nanos: i128,
    pub tx_hash: Option<[u8; 32]>,
}

impl WasmCtx<'_> {
    /// Block height and time as the executor recorded them in `meta/block`.
    pub fn block_info(state: &dyn StateRead) -> (u64, i128) {
        match state.get_raw(keys::BLOCK_INFO) {
            Ok(Some(raw)) if raw.len() == 24 => (
                u64::from_be_bytes(raw[..8].try_into().expect("8 bytes")),
                i128::from_be_bytes(raw[8..].try_into().expect("16 bytes")),
            ),
            _ => (0, 0),
        }
    }

    fn env(&self, contract: &Address) -> Vec<u8> {
        to_json(&vmt::Env {
            block: vmt::BlockInfo {
                height: self.height,
                time: self.time_nanos.max(0).to_string(),
                chain_id: self.chain_id.clone(),
            },
            transaction: self.tx_hash.map(|h| vmt::TransactionInfo {
                index: 0,
                hash: Some(hex::encode_upper(h)),
            }),
            contract: vmt::ContractInfo {
                address: contract.to_string(),
            },
        })
    }
}

// ---------------------------------------------------------------------------------------------
// The channel backend.

enum Req {
    Get(Vec<u8>, mpsc::Sender<BackendResult<Option<Vec<u8>>>>),
    Set(Vec<u8>, Vec<u8>, mpsc::Sender<BackendResult<()>>),
    Remove(Vec<u8>, mpsc::Sender<BackendResult<()>>),
    Scan(
        Option<Vec<u8>>,
        Option<Vec<u8>>,
        Order,
        mpsc::Sender<BackendResult<Vec<Record>>>,
    ),
    Query(Vec<u8>, u64, mpsc::Sender<BackendResult<(Vec<u8>, u64)>>),
}

fn gone() -> BackendError {
    BackendError::Other("host is gone".into())
}

struct ChanStorage(mpsc::Sender<Req>);
struct ChanQuerier(mpsc::Sender<Req>);

impl Storage for ChanStorage {
    fn get(&self, key: &[u8]) -> BackendResult<Option<Vec<u8>>> {
        ask_r(&self.0, |s| Req::Get(key.to_vec(), s))
    }
    fn set(&mut self, key: &[u8], value: &[u8]) -> BackendResult<()> {
        ask_r(&self.0, |s| Req::Set(key.to_vec(), value.to_vec(), s))
    }
    fn remove(&mut self, key: &[u8]) -> BackendResult<()> {
        ask_r(&self.0, |s| Req::Remove(key.to_vec(), s))
    }
    fn scan(
        &self,
        start: Option<&[u8]>,
        end: Option<&[u8]>,
        order: Order,
    ) -> BackendResult<Box<dyn Iterator<Item = Record> + Send>> {
        let records = ask_r(&self.0, |s| {
            Req::Scan(start.map(<[u8]>::to_vec), end.map(<[u8]>::to_vec), order, s)
        })?;
        Ok(Box::new(records.into_iter()))
    }
}

impl Querier for ChanQuerier {
    fn query_raw(&self, request: &[u8], gas_limit: u64) -> BackendResult<(Vec<u8>, u64)> {
        ask_r(&self.0, |s| Req::Query(request.to_vec(), gas_limit, s))
    }
}

fn ask_r<T>(
    tx: &mpsc::Sender<Req>,
    make: impl FnOnce(mpsc::Sender<BackendResult<T>>) -> Req,
) -> BackendResult<T> {
    let (s, r) = mpsc::channel();
    tx.send(make(s)).map_err(|_| gone())?;
    r.recv().map_err(|_| gone())?
}

/// Serves one call's requests against `kv`.
struct Host<'c, 'v> {
    ctx: &'c WasmCtx<'v>,
    prefix: Vec<u8>,
    depth: u32,
    /// Set when a nested call hit `VmError::Resource`: the whole call then reports `Resource`
    /// (a node condition) instead of whatever the contract made of the failed query.
    resource: std::cell::RefCell<Option<String>>,
}

fn state_err(e: crate::state::StateError) -> BackendError {
    match e {
        crate::state::StateError::OutOfGas(_) => BackendError::OutOfGas,
        other => BackendError::Other(other.to_string()),
    }
}

impl Host<'_, '_> {
    fn key(&self, k: &[u8]) -> Vec<u8> {
        [self.prefix.as_slice(), k].concat()
    }

    fn serve(&self, kv: &mut Metered<'_, '_>, req: Req) {
        // A send fails only if the call thread is gone; nothing to do then.
        match req {
            Req::Get(k, reply) => {
                let _ = reply.send(kv.get(&self.key(&k)).map_err(state_err));
            }
            Req::Set(k, v, reply) => {
                let _ = reply.send(kv.put(self.key(&k), v).map_err(state_err));
            }
            Req::Remove(k, reply) => {
                let _ = reply.send(kv.delete(self.key(&k)).map_err(state_err));
            }
            Req::Scan(start, end, order, reply) => {
                let _ = reply.send(self.scan(kv, start, end, order));
            }
            Req::Query(request, gas_limit, reply) => {
                let _ = reply.send(self.query(kv, &request, gas_limit));
            }
        }
    }

    /// The contract's records in `[start, end)`, materialised (a snapshot, as the VM requires).
    /// Only the keys sharing the bounds' common prefix are read (cw-storage-plus ranges stay
    /// inside one namespace); every record read costs the SDK's iterator price, so a scan over a
    /// big store is paid for even when few records fall in the range.
    fn scan(
        &self,
        kv: &mut Metered<'_, '_>,
        start: Option<Vec<u8>>,
        end: Option<Vec<u8>>,
        order: Order,
    ) -> BackendResult<Vec<Record>> {
        let common: &[u8] = match (&start, &end) {
            (Some(s), Some(e)) => {
                let n = s.iter().zip(e.iter()).take_while(|(a, b)| a == b).count();
                &s[..n]
            }
            _ => &[],
        };
        let prefix = self.key(common);
        kv.gas
            .charge(READ_FLAT + READ_PER_BYTE * prefix.len() as u64)
            .map_err(|_| BackendError::OutOfGas)?;
        let all = kv.delta.scan_prefix(&prefix).map_err(state_err)?;
        let n = self.prefix.len();
        let mut out = Vec::new();
        for (k, v) in all {
            kv.gas
                .charge(ITER_NEXT_FLAT + READ_PER_BYTE * (k.len() + v.len()) as u64)
                .map_err(|_| BackendError::OutOfGas)?;
            let k = k[n..].to_vec();
            if start.as_deref().is_none_or(|s| k.as_slice() >= s)
                && end.as_deref().is_none_or(|e| k.as_slice() < e)
            {
                out.push((k, v));
            }
        }
        if order == Order::Descending {
            out.reverse();
        }
        Ok(out)
    }

    /// Answers a contract's `QueryRequest`: bank balance/all balances, wasm smart/raw. The
    /// returned gas is the VM gas of a nested contract query; KV reads are charged to the
    /// chain meter directly.
    fn query(
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
            let amount = bank::balance(kv, &addr, &denom).map_err(state_err)?;
            let resp = json!({"amount": {"denom": denom, "amount": amount.to_string()}});
            return ok_bin(resp.to_string().as_bytes(), 0);
        }
        if let Some(b) = req.pointer("/bank/all_balances") {
            let addr = match parse(&b["address"]) {
                Ok(a) => a,
                Err(e) => return sys_err(e),
            };
            kv.gas
                .charge_read(keys::balances_of(&addr).len())
                .map_err(|_| BackendError::OutOfGas)?;
            let coins = bank::all_balances(&kv.delta, &addr).map_err(state_err)?;
            let coins: Vec<Value> = coins
                .iter()
                .map(|c| json!({"denom": c.denom, "amount": c.amount.to_string()}))
                .collect();
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
            let v = kv.get(&full).map_err(state_err)?.unwrap_or_default();
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
            let Some(info) = wasm::contract_info(kv, &addr).map_err(state_err)? else {
                return sys_err(json!({"no_such_contract": {"addr": addr.to_string()}}));
            };
            let checksum = match code_checksum(kv, info.code_id) {
                Ok(c) => c,
                Err(e) => return Err(BackendError::Other(e.to_string())),
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
                Err(e) => Ok((
                    json!({"ok": {"error": e.to_string()}})
                        .to_string()
                        .into_bytes(),
                    gas_used,
                )),
            };
        }
        let kind = req
            .as_object()
            .and_then(|o| o.keys().next().cloned())
            .unwrap_or_default();
        sys_err(json!({"unsupported_request": {"kind": kind}}))
    }
}

fn b64(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(data)
}

/// Runs one VM call on a helper thread, serving its backend from `kv` on this one. Retries a
/// call refused for lack of instance slots (it did nothing yet); `Resource` after the retries is
/// returned as is and must not become a transaction result.
fn call_contract<F>(
    kv: &mut Metered<'_, '_>,
    ctx: &WasmCtx<'_>,
    contract: &Address,
    checksum: &Checksum,
    depth: u32,
    vm_gas_limit: u64,
    f: F,
) -> (Result<Vec<u8>, VmError>, u64)
where
    F: Fn(&Vm, Backend, &CallOptions) -> Outcome + Sync,
{
    if let Err(e) = ensure_code(kv, ctx.vm, checksum) {
        return (Err(e), 0);
    }
    let host = Host {
        ctx,
        prefix: keys::wasm_store_prefix(contract),
        depth,
        resource: std::cell::RefCell::new(None),
    };
    let opts = CallOptions {
        gas_limit: vm_gas_limit,
        capture_debug: false,
    };
    let mut attempt = 0;
    loop {
        let (tx, rx) = mpsc::channel::<Req>();
        let backend = Backend {
            storage: Box::new(ChanStorage(tx.clone())),
            api: ctx.api.clone(),
            querier: Box::new(ChanQuerier(tx)),
        };
        let vm = ctx.vm;
        let (f, opts) = (&f, &opts);
        let out = std::thread::scope(|s| {
            let handle = std::thread::Builder::new()
                .name("wasm-call".into())
                .stack_size(8 << 20)
                .spawn_scoped(s, move || {
                    let o = f(vm, backend, opts);
                    (o.result, o.gas_used)
                });
            let handle = match handle {
                Ok(h) => h,
                Err(e) => return ((Err(VmError::Resource(format!("spawn: {e}"))), 0), 0),
            };
            // Ends when the call drops its backend (both senders).
            let mut served = 0u64;
            for req in rx.iter() {
                served += 1;
                host.serve(kv, req);
            }
            let out = handle
                .join()
                .unwrap_or_else(|_| (Err(VmError::Trap("call thread panicked".into())), 0));
            match host.resource.borrow_mut().take() {
                Some(r) => ((Err(VmError::Resource(r)), out.1), served),
                None => (out, served),
            }
        });
        match out {
            // Only a call that touched nothing yet can be retried as if it never happened.
            ((Err(VmError::Resource(_)), _), 0) if attempt < RESOURCE_RETRIES => {
                attempt += 1;
                std::thread::sleep(std::time::Duration::from_millis(20 << attempt));
            }
            (other, _) => return other,
        }
    }
}

/// Makes sure the VM has `checksum` compiled, re-compiling from the wasm kept in state if its
/// cache lost it (new cache dir, state sync).
fn ensure_code(kv: &Metered<'_, '_>, vm: &Vm, checksum: &Checksum) -> Result<(), VmError> {
    match vm.cache().get(checksum) {
        Ok(_) => Ok(()),
        Err(VmError::CodeNotFound(_)) => {
            let wasm = wasm::code_bytes(&kv.delta, &checksum.0)
                .map_err(|e| VmError::Cache(e.to_string()))?
                .ok_or_else(|| VmError::CodeNotFound(checksum.to_hex()))?;
            vm.store_code(&wasm).map(|_| ())
        }
        Err(e) => Err(e),
    }
}

fn code_checksum(kv: &mut Metered<'_, '_>, code_id: u64) -> Result<Checksum, TxError> {
    let info =
        wasm::code_info(kv, code_id)?.ok_or_else(|| werr(8, format!("no such code: {code_id}")))?;
    let bytes: [u8; 32] = info
        .code_hash
        .as_slice()
        .try_into()
        .map_err(|_| TxError::Internal(format!("code {code_id} has a malformed checksum")))?;
    Ok(Checksum(bytes))
}

/// Maps a failed call to a tx error. `code` is the module error for a contract failure.
fn vm_failure(e: VmError, code: u32, what: &str) -> TxError {
    match e {
        VmError::OutOfGas | VmError::Backend(BackendError::OutOfGas) => {
            TxError::OutOfGas(format!("{what}: out of gas in the contract"))
        }
        VmError::Resource(r) => TxError::NodeResource(r),
        other => werr(code, format!("{what} failed: {other}")),
    }
}

/// Remaining chain gas as a VM gas limit.
fn vm_limit(gas: &GasMeter) -> u64 {
    gas.limit()
        .saturating_sub(gas.used())
        .saturating_mul(VM_GAS_PER_SDK_GAS)
}

/// Charges a call's VM gas (rounded up) to the chain meter.
fn charge_vm_gas(gas: &mut GasMeter, vm_gas: u64) -> Result<(), TxError> {
    gas.charge(vm_gas.div_ceil(VM_GAS_PER_SDK_GAS))
        .map_err(|g| {
            TxError::OutOfGas(format!(
                "charging the contract's VM gas: gas limit {}, needed at least {}",
                g.limit, g.wanted
            ))
        })
}

fn vm_coins(coins: &[Coin]) -> Vec<vmt::Coin> {
    coins
        .iter()
        .map(|c| vmt::Coin {
            denom: c.denom.clone(),
            amount: c.amount.to_string(),
        })
        .collect()
}

fn contract_event(kind: &str, contract: &Address, attrs: &[(String, String)]) -> Event {
    let addr = contract.to_string();
    let mut all = vec![("_contract_address", addr.as_str()).index()];
    all.extend(
        attrs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()).no_index()),
    );
    Event::new(kind, all)
}

// ---------------------------------------------------------------------------------------------
// Messages.

pub fn store_code(
    kv: &mut Metered<'_, '_>,
    ctx: &WasmCtx<'_>,
    sender: &Address,
    wasm_code: &[u8],
    events: &mut Vec<Event>,
) -> Result<Any, TxError> {
    let checksum = ctx.vm.store_code(wasm_code).map_err(|e| match e {
        VmError::Resource(r) => TxError::NodeResource(r),
        other => werr(2, format!("create wasm contract failed: {other}")),
    })?;
    let code_id = wasm::store_code(kv, sender, checksum.0, wasm_code)?;
    events.push(events::event(
        "store_code",
        &[
            ("code_checksum", checksum.to_hex()),
            ("code_id", code_id.to_string()),
        ],
    ));
    Ok(proof_sdk::msgs::to_any(&MsgStoreCodeResponse {
        code_id,
        checksum: checksum.0.to_vec(),
    }))
}

#[allow(clippy::too_many_arguments)]
pub fn instantiate(
    kv: &mut Metered<'_, '_>,
    ctx: &WasmCtx<'_>,
    sender: &Address,
    admin: Option<&Address>,
    code_id: u64,
    label: &str,
    msg: &[u8],
    funds: &[Coin],
    events: &mut Vec<Event>,
) -> Result<Any, TxError> {
    let checksum = code_checksum(kv, code_id)?;
    let contract = wasm::new_contract_address(kv, code_id)?;
    if wasm::contract_info(kv, &contract)?.is_some() {
        return Err(werr(3, format!("contract account exists: {contract}")));
    }
    wasm::set_contract_info(
        kv,
        &contract,
        &ContractInfo {
            code_id,
            creator: sender.to_string(),
            admin: admin.map(ToString::to_string).unwrap_or_default(),
            label: label.to_string(),
            created: None,
            ibc_port_id: String::new(),
            extension: None,
        },
    )?;
    if !funds.is_empty() {
        bank::send(kv, sender, &contract, funds)?;
        events.extend(events::transfer(sender, &contract, funds));
    }
    events.push(contract_event(
        "instantiate",
        &contract,
        &[("code_id".into(), code_id.to_string())],
    ));
    let env = ctx.env(&contract);
    let info = to_json(&vmt::MessageInfo {
        sender: sender.to_string(),
        funds: vm_coins(funds),
    });
    let limit = vm_limit(kv.gas);
    let (result, gas_used) = call_contract(kv, ctx, &contract, &checksum, 0, limit, |vm, b, o| {
        vm.instantiate(&checksum, b, &env, &info, msg, o)
    });
    charge_vm_gas(kv.gas, gas_used)?;
    let bytes = result.map_err(|e| vm_failure(e, 4, "instantiate wasm contract"))?;
    let data = handle_response(kv, ctx, &contract, &bytes, 0, 4, events)?;
    Ok(proof_sdk::msgs::to_any(&MsgInstantiateContractResponse {
        address: contract.to_string(),
        data: data.unwrap_or_default(),
    }))
}

#[allow(clippy::too_many_arguments)]
pub fn execute(
    kv: &mut Metered<'_, '_>,
    ctx: &WasmCtx<'_>,
    sender: &Address,
    contract: &Address,
    msg: &[u8],
    funds: &[Coin],
    depth: u32,
    events: &mut Vec<Event>,
) -> Result<Any, TxError> {
    let info = wasm::contract_info(kv, contract)?
        .ok_or_else(|| werr(8, format!("no such contract: {contract}")))?;
    let checksum = code_checksum(kv, info.code_id)?;
    if !funds.is_empty() {
        bank::send(kv, sender, contract, funds)?;
        events.extend(events::transfer(sender, contract, funds));
    }
    events.push(contract_event("execute", contract, &[]));
    let env = ctx.env(contract);
    let minfo = to_json(&vmt::MessageInfo {
        sender: sender.to_string(),
        funds: vm_coins(funds),
    });
    let limit = vm_limit(kv.gas);
    let (result, gas_used) =
        call_contract(kv, ctx, contract, &checksum, depth, limit, |vm, b, o| {
            vm.execute(&checksum, b, &env, &minfo, msg, o)
        });
    charge_vm_gas(kv.gas, gas_used)?;
    let bytes = result.map_err(|e| vm_failure(e, 5, "execute wasm contract"))?;
    let data = handle_response(kv, ctx, contract, &bytes, depth, 5, events)?;
    Ok(proof_sdk::msgs::to_any(&MsgExecuteContractResponse {
        data: data.unwrap_or_default(),
    }))
}

fn json_coins(v: &Value) -> Result<Vec<Coin>, TxError> {
    let mut out = Vec::new();
    for c in v.as_array().map(Vec::as_slice).unwrap_or_default() {
        let denom = c["denom"].as_str().unwrap_or_default();
        proof_sdk::coin::validate_denom(denom).map_err(|e| TxError::InvalidCoins(e.to_string()))?;
        let amount: u128 = c["amount"]
            .as_str()
            .unwrap_or_default()
            .parse()
            .map_err(|_| TxError::InvalidCoins(format!("bad amount in {c}")))?;
        if amount > 0 {
            out.push(Coin::new(amount, denom));
        }
    }
    Ok(bank::sum_coins(&out)?)
}

/// Applies a contract's `Response`: its events, then its messages in order (any failure fails
/// the whole transaction). Returns the response's `data`.
fn handle_response(
    kv: &mut Metered<'_, '_>,
    ctx: &WasmCtx<'_>,
    contract: &Address,
    result: &[u8],
    depth: u32,
    code: u32,
    events: &mut Vec<Event>,
) -> Result<Option<Vec<u8>>, TxError> {
    let resp = match vmt::parse_contract_result(result) {
        Ok(Ok(v)) => v,
        Ok(Err(msg)) => return Err(werr(code, format!("contract error: {msg}"))),
        Err(e) => return Err(werr(code, format!("malformed contract result: {e}"))),
    };
    let attrs = |v: &Value| -> Vec<(String, String)> {
        v.as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|a| {
                (
                    a["key"].as_str().unwrap_or_default().to_string(),
                    a["value"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect()
    };
    let top = attrs(&resp["attributes"]);
    if !top.is_empty() {
        events.push(contract_event("wasm", contract, &top));
    }
    for ev in resp["events"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
    {
        let kind = format!("wasm-{}", ev["type"].as_str().unwrap_or_default());
        events.push(contract_event(&kind, contract, &attrs(&ev["attributes"])));
    }
    for sub in resp["messages"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
    {
        if sub["reply_on"].as_str().unwrap_or("never") != "never" {
            return Err(werr(17, "sub-messages with replies are not supported yet"));
        }
        let msg = &sub["msg"];
        if let Some(send) = msg.pointer("/bank/send") {
            let to: Address = send["to_address"]
                .as_str()
                .unwrap_or_default()
                .parse()
                .map_err(|e: proof_sdk::address::AddressError| {
                    TxError::InvalidAddress(e.to_string())
                })?;
            let coins = json_coins(&send["amount"])?;
            if coins.is_empty() {
                return Err(TxError::InvalidCoins("bank send of no coins".into()));
            }
            bank::send(kv, contract, &to, &coins)?;
            events.extend(events::transfer(contract, &to, &coins));
        } else if let Some(exec) = msg.pointer("/wasm/execute") {
            if depth + 1 > MAX_CALL_DEPTH {
                return Err(werr(13, "contract call depth exceeded"));
            }
            let target: Address = exec["contract_addr"]
                .as_str()
                .unwrap_or_default()
                .parse()
                .map_err(|e: proof_sdk::address::AddressError| {
                    TxError::InvalidAddress(e.to_string())
                })?;
            let inner = base64::engine::general_purpose::STANDARD
                .decode(exec["msg"].as_str().unwrap_or_default())
                .map_err(|e| werr(10, format!("bad message: {e}")))?;
            let funds = json_coins(&exec["funds"])?;
            execute(
                kv,
                ctx,
                contract,
                &target,
                &inner,
                &funds,
                depth + 1,
                events,
            )?;
        } else {
            let kind = msg
                .as_object()
                .and_then(|o| o.keys().next().cloned())
                .unwrap_or_default();
            return Err(werr(
                17,
                format!("contract message {kind:?} is not supported yet"),
            ));
        }
    }
    match &resp["data"] {
        Value::String(s) => base64::engine::general_purpose::STANDARD
            .decode(s)
            .map(Some)
            .map_err(|e| werr(code, format!("malformed response data: {e}"))),
        _ => Ok(None),
    }
}

/// A smart query through ABCI (`QuerySmartContractState`): runs the contract's `query` with
/// [`QUERY_GAS_LIMIT`] chain gas against `state`. Returns the query's data or an error message
/// (contract error, out of gas, unknown contract).
pub fn smart_query(
    state: &dyn StateRead,
    vm: &Vm,
    chain_id: &str,
    contract: &Address,
    msg: &[u8],
) -> Result<Vec<u8>, TxError> {
    let (height, time_nanos) = WasmCtx::block_info(state);
    let ctx = WasmCtx {
        vm,
        api: Arc::new(proof_vm::addr::Bech32Api::new(proof_sdk::ACCOUNT_PREFIX)),
        chain_id: chain_id.to_string(),
        height,
        time_nanos,
        tx_hash: None,
    };
    let mut gas = GasMeter::new(QUERY_GAS_LIMIT);
    let mut kv = Metered::new(state, &mut gas);
    let info = wasm::contract_info(&mut kv, contract)?
        .ok_or_else(|| werr(8, format!("no such contract: {contract}")))?;
    let checksum = code_checksum(&mut kv, info.code_id)?;
    let env = ctx.env(contract);
    let limit = vm_limit(kv.gas);
    let (result, gas_used) =
        call_contract(&mut kv, &ctx, contract, &checksum, 0, limit, |vm, b, o| {
            vm.query(&checksum, b, &env, msg, o)
        });
    charge_vm_gas(kv.gas, gas_used)?;
    let bytes = result.map_err(|e| vm_failure(e, 9, "query wasm contract"))?;
    match vmt::parse_contract_result(&bytes) {
        Ok(Ok(Value::String(s))) => base64::engine::general_purpose::STANDARD
            .decode(s)
            .map_err(|e| werr(9, format!("malformed query result: {e}"))),
        Ok(Ok(other)) => Err(werr(9, format!("malformed query result: {other}"))),
        Ok(Err(msg)) => Err(werr(9, format!("query wasm contract failed: {msg}"))),
        Err(e) => Err(werr(9, format!("malformed query result: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    struct Empty;
    impl StateRead for Empty {
        fn get_raw(&self, _: &[u8]) -> Result<Option<Vec<u8>>, crate::state::StateError> {
            Ok(None)
        }
        fn scan_prefix(
            &self,
            _: &[u8],
        ) -> Result<BTreeMap<Vec<u8>, Vec<u8>>, crate::state::StateError> {
            Ok(BTreeMap::new())
        }
    }

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
        };
        let contract = wasm::contract_address(1, 1);
        let (x, y) = (
            Address::from_bytes(&[1; 20]).unwrap(),
            Address::from_bytes(&[2; 20]).unwrap(),
        );
        let mut gas = GasMeter::infinite();
        let mut kv = Metered::new(&Empty, &mut gas);
        bank::mint(&mut kv, &contract, &[Coin::new(100, "uxyz")]).unwrap();
        let resp = json!({"ok": {"messages": [send(&x, 30), send(&y, 70)],
            "attributes": [{"key": "k", "value": "v"}], "events": [], "data": "AQI="}});
        let mut events = Vec::new();
        let data = handle_response(
            &mut kv,
            &ctx,
            &contract,
            resp.to_string().as_bytes(),
            0,
            5,
            &mut events,
        )
        .unwrap();
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
        let resp = json!({"ok": {"messages": [send(&x, 5), send(&y, 6)], "attributes": [],
            "events": []}});
        let err = handle_response(
            &mut kv,
            &ctx,
            &contract,
            resp.to_string().as_bytes(),
            0,
            5,
            &mut events,
        )
        .unwrap_err();
        assert_eq!(err.code(), 5, "{err}");

        // Unsupported messages and replies are refused clearly.
        for msg in [
            json!({"id": 0, "gas_limit": null, "reply_on": "never", "msg": {"staking": {}}}),
            json!({"id": 1, "gas_limit": null, "reply_on": "always", "msg": {"bank": {}}}),
        ] {
            let resp = json!({"ok": {"messages": [msg], "attributes": [], "events": []}});
            let err = handle_response(
                &mut kv,
                &ctx,
                &contract,
                resp.to_string().as_bytes(),
                0,
                5,
                &mut events,
            )
            .unwrap_err();
            assert_eq!((err.code(), err.codespace()), (17, "wasm"), "{err}");
        }
    }
}
