//! The wasm module's operations, each as wasmd does it: store code, instantiate (classic and
//! predictable addresses), execute, migrate (admin only), set/clear admin, and sudo for chain
//! modules. Every operation that calls a contract dispatches the contract's response
//! (`dispatch.rs`) before returning.

use cosmos_sdk_proto::cosmwasm::wasm::v1::{
    AccessConfig, ContractCodeHistoryEntry, ContractCodeHistoryOperationType as HistoryOp,
    ContractInfo, MsgClearAdminResponse, MsgExecuteContractResponse,
    MsgInstantiateContract2Response, MsgInstantiateContractResponse, MsgMigrateContractResponse,
    MsgStoreCodeResponse, MsgUpdateAdminResponse,
};
use cosmos_sdk_proto::Any;
use proof_sdk::msgs::to_any;
use proof_sdk::{Address, Coin};
use proof_vm::types::{self as vmt, to_json};
use proof_vm::{Checksum, VmError};
use serde_json::Value;
use tendermint::abci::Event;

use crate::modules::bank;
use crate::modules::handler::{MsgCtx, MsgHandler};
use crate::modules::wasm::context::{werr, WasmCtx};
use crate::modules::wasm::contracts as wasm;
use crate::modules::wasm::decode::{AddressScheme, WasmMsg};
use crate::modules::wasm::dispatch::handle_response;
use crate::modules::wasm::host::{
    call_contract, charge_vm_gas, checksum_of, code_checksum, contract_event, vm_coins, vm_failure,
    vm_limit,
};
use crate::state::Metered;
use crate::tx::{events, TxError};

/// A contract entry point with its arguments (JSON).
pub(super) enum Entry<'a> {
    Instantiate { info: Vec<u8>, msg: &'a [u8] },
    Execute { info: Vec<u8>, msg: &'a [u8] },
    Migrate { msg: &'a [u8], info: Vec<u8> },
    Sudo { msg: &'a [u8] },
    Reply { msg: Vec<u8> },
}

impl Entry<'_> {
    /// wasmd's error code for a failure of this entry point, and what it was doing.
    fn failure(&self) -> (u32, &'static str) {
        match self {
            Entry::Instantiate { .. } => (4, "instantiate wasm contract"),
            Entry::Execute { .. } => (5, "execute wasm contract"),
            Entry::Migrate { .. } => (11, "migrate wasm contract"),
            Entry::Sudo { .. } => (5, "sudo wasm contract"),
            Entry::Reply { .. } => (5, "reply wasm contract"),
        }
    }
}

/// Runs `entry` of `contract` (code `checksum`) with the gas left, charges its VM gas and
/// returns the `Response` it produced (the `ok` JSON).
pub(super) fn run_entry(
    kv: &mut Metered<'_, '_>,
    ctx: &WasmCtx<'_>,
    contract: &Address,
    checksum: &Checksum,
    depth: u32,
    entry: &Entry<'_>,
) -> Result<Value, TxError> {
    let (code, what) = entry.failure();
    let env = ctx.env(contract);
    let limit = vm_limit(kv.gas);
    let (result, gas_used) = call_contract(
        kv,
        ctx,
        contract,
        checksum,
        depth,
        limit,
        |vm, b, o| match entry {
            Entry::Instantiate { info, msg } => vm.instantiate(checksum, b, &env, info, msg, o),
            Entry::Execute { info, msg } => vm.execute(checksum, b, &env, info, msg, o),
            Entry::Migrate { msg, info } => vm.migrate(checksum, b, &env, msg, info, o),
            Entry::Sudo { msg } => vm.sudo(checksum, b, &env, msg, o),
            Entry::Reply { msg } => vm.reply(checksum, b, &env, msg, o),
        },
    );
    charge_vm_gas(kv.gas, gas_used)?;
    let bytes = result.map_err(|e| vm_failure(e, code, what))?;
    match vmt::parse_contract_result(&bytes) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(msg)) => Err(werr(code, format!("contract error: {msg}"))),
        Err(e) => Err(werr(code, format!("malformed contract result: {e}"))),
    }
}

/// Runs one wasm message sent by `sender` (a tx signer at depth 0, a contract deeper) and
/// returns its `Msg…Response`.
pub(crate) fn run_msg(
    kv: &mut Metered<'_, '_>,
    ctx: &WasmCtx<'_>,
    msg: &WasmMsg,
    depth: u32,
    events: &mut Vec<Event>,
) -> Result<Any, TxError> {
    match msg {
        WasmMsg::StoreCode {
            sender,
            code,
            permission,
        } => store_code(kv, ctx, sender, code, permission.clone(), events),
        WasmMsg::Instantiate {
            sender,
            admin,
            code_id,
            label,
            msg,
            funds,
            scheme,
        } => {
            let (address, data) = instantiate(
                kv,
                ctx,
                &Instantiate {
                    sender,
                    admin: admin.as_ref(),
                    code_id: *code_id,
                    label,
                    msg,
                    funds,
                    scheme,
                },
                depth,
                events,
            )?;
            let (address, data) = (address.to_string(), data.unwrap_or_default());
            Ok(match scheme {
                AddressScheme::Classic => to_any(&MsgInstantiateContractResponse { address, data }),
                AddressScheme::Predictable { .. } => {
                    to_any(&MsgInstantiateContract2Response { address, data })
                }
            })
        }
        WasmMsg::Execute {
            sender,
            contract,
            msg,
            funds,
        } => {
            let data = execute(kv, ctx, sender, contract, msg, funds, depth, events)?;
            Ok(to_any(&MsgExecuteContractResponse {
                data: data.unwrap_or_default(),
            }))
        }
        WasmMsg::Migrate {
            sender,
            contract,
            code_id,
            msg,
        } => {
            let data = migrate(kv, ctx, sender, contract, *code_id, msg, depth, events)?;
            Ok(to_any(&MsgMigrateContractResponse {
                data: data.unwrap_or_default(),
            }))
        }
        WasmMsg::SetAdmin {
            sender,
            contract,
            new_admin,
        } => {
            set_admin(kv, sender, contract, new_admin.as_ref(), events)?;
            Ok(match new_admin {
                Some(_) => to_any(&MsgUpdateAdminResponse {}),
                None => to_any(&MsgClearAdminResponse {}),
            })
        }
    }
}

fn store_code(
    kv: &mut Metered<'_, '_>,
    ctx: &WasmCtx<'_>,
    sender: &Address,
    code: &[u8],
    permission: AccessConfig,
    events: &mut Vec<Event>,
) -> Result<Any, TxError> {
    let budget = ctx
        .compile
        .ok_or_else(|| werr(17, "code cannot be uploaded here"))?;
    let wasm_code = crate::modules::wasm::context::uncompress(code, kv.gas)?;
    // State (and its gas) first: an upload that cannot pay for storing its bytes is refused
    // before the node spends time compiling it. A compile failure reverts these writes.
    let checksum = Checksum::of(&wasm_code);
    let code_id = wasm::store_code(kv, sender, checksum.0, &wasm_code, permission)?;
    let invalid = |e: VmError| werr(2, format!("create wasm contract failed: {e}"));
    let weight = ctx.vm.analyze(&wasm_code).map_err(invalid)?.compile_weight;
    kv.gas
        .charge(crate::modules::wasm::context::COMPILE_GAS_PER_UNIT.saturating_mul(weight))?;
    budget.take(weight)?;
    let checked = if budget.compile {
        ctx.vm.store_code(&wasm_code)
    } else {
        budget.uncompiled.borrow_mut().insert(checksum);
        ctx.vm.check_code(&wasm_code)
    };
    checked.map_err(|e| match e {
        VmError::Resource(r) | VmError::Cache(r) => TxError::NodeResource(r),
        other => werr(2, format!("create wasm contract failed: {other}")),
    })?;
    events.push(events::event(
        "store_code",
        &[
            ("code_checksum", checksum.to_hex()),
            ("code_id", code_id.to_string()),
        ],
    ));
    Ok(to_any(&MsgStoreCodeResponse {
        code_id,
        checksum: checksum.0.to_vec(),
    }))
}

pub(super) struct Instantiate<'a> {
    pub sender: &'a Address,
    pub admin: Option<&'a Address>,
    pub code_id: u64,
    pub label: &'a str,
    pub msg: &'a [u8],
    pub funds: &'a [Coin],
    pub scheme: &'a AddressScheme,
}

/// Creates a contract: address, info, history, funds, then its `instantiate` and response.
pub(super) fn instantiate(
    kv: &mut Metered<'_, '_>,
    ctx: &WasmCtx<'_>,
    a: &Instantiate<'_>,
    depth: u32,
    events: &mut Vec<Event>,
) -> Result<(Address, Option<Vec<u8>>), TxError> {
    let code = wasm::code_info(kv, a.code_id)?
        .ok_or_else(|| werr(8, format!("no such code: {}", a.code_id)))?;
    if !wasm::may_instantiate(&code, a.sender) {
        return Err(TxError::Unauthorized(format!(
            "can not instantiate code {}: not permitted for {}",
            a.code_id, a.sender
        )));
    }
    let checksum = checksum_of(&code, a.code_id)?;
    let contract = match a.scheme {
        AddressScheme::Classic => wasm::new_contract_address(kv, a.code_id)?,
        AddressScheme::Predictable { salt, fix_msg } => {
            let init_msg: &[u8] = if *fix_msg { a.msg } else { &[] };
            wasm::predictable_address(&checksum.0, a.sender, salt, init_msg)
        }
    };
    if wasm::contract_info(kv, &contract)?.is_some() {
        return Err(werr(
            15,
            format!("contract address already exists: {contract} (try a different salt)"),
        ));
    }
    let created = wasm::position(ctx.height, ctx.tx_index);
    wasm::set_contract_info(
        kv,
        &contract,
        &ContractInfo {
            code_id: a.code_id,
            creator: a.sender.to_string(),
            admin: a.admin.map(ToString::to_string).unwrap_or_default(),
            label: a.label.to_string(),
            created: Some(created.clone()),
            ibc_port_id: String::new(),
            extension: None,
        },
    )?;
    wasm::record_code_change(
        kv,
        &contract,
        ContractCodeHistoryEntry {
            operation: HistoryOp::Init as i32,
            code_id: a.code_id,
            updated: Some(created),
            msg: a.msg.to_vec(),
        },
    )?;
    if !a.funds.is_empty() {
        bank::send(kv, a.sender, &contract, a.funds)?;
        events.extend(events::transfer(a.sender, &contract, a.funds));
    }
    events.push(contract_event(
        "instantiate",
        &contract,
        &[("code_id".into(), a.code_id.to_string())],
    ));
    let info = to_json(&vmt::MessageInfo {
        sender: a.sender.to_string(),
        funds: vm_coins(a.funds),
    });
    let entry = Entry::Instantiate { info, msg: a.msg };
    let resp = run_entry(kv, ctx, &contract, &checksum, depth, &entry)?;
    let data = handle_response(kv, ctx, &contract, &resp, depth, events)?;
    Ok((contract, data))
}

#[allow(clippy::too_many_arguments)]
pub(super) fn execute(
    kv: &mut Metered<'_, '_>,
    ctx: &WasmCtx<'_>,
    sender: &Address,
    contract: &Address,
    msg: &[u8],
    funds: &[Coin],
    depth: u32,
    events: &mut Vec<Event>,
) -> Result<Option<Vec<u8>>, TxError> {
    let info = existing(kv, contract)?;
    let checksum = code_checksum(kv, info.code_id)?;
    if !funds.is_empty() {
        bank::send(kv, sender, contract, funds)?;
        events.extend(events::transfer(sender, contract, funds));
    }
    events.push(contract_event("execute", contract, &[]));
    let minfo = to_json(&vmt::MessageInfo {
        sender: sender.to_string(),
        funds: vm_coins(funds),
    });
    let entry = Entry::Execute { info: minfo, msg };
    let resp = run_entry(kv, ctx, contract, &checksum, depth, &entry)?;
    handle_response(kv, ctx, contract, &resp, depth, events)
}

/// Moves a contract to another code (its admin only) and runs the new code's `migrate`.
#[allow(clippy::too_many_arguments)]
fn migrate(
    kv: &mut Metered<'_, '_>,
    ctx: &WasmCtx<'_>,
    sender: &Address,
    contract: &Address,
    new_code_id: u64,
    msg: &[u8],
    depth: u32,
    events: &mut Vec<Event>,
) -> Result<Option<Vec<u8>>, TxError> {
    let mut info = existing(kv, contract)?;
    if info.admin.is_empty() || info.admin != sender.to_string() {
        return Err(TxError::Unauthorized(format!(
            "can not migrate {contract}: {sender} is not its admin"
        )));
    }
    // As wasmd: the admin must also be allowed to use the new code.
    let code = wasm::code_info(kv, new_code_id)?
        .ok_or_else(|| werr(8, format!("no such code: {new_code_id}")))?;
    if !wasm::may_instantiate(&code, sender) {
        return Err(TxError::Unauthorized(format!(
            "can not migrate {contract} to code {new_code_id}: not permitted for {sender}"
        )));
    }
    let checksum = checksum_of(&code, new_code_id)?;
    info.code_id = new_code_id;
    wasm::set_contract_info(kv, contract, &info)?;
    wasm::record_code_change(
        kv,
        contract,
        ContractCodeHistoryEntry {
            operation: HistoryOp::Migrate as i32,
            code_id: new_code_id,
            updated: Some(wasm::position(ctx.height, ctx.tx_index)),
            msg: msg.to_vec(),
        },
    )?;
    events.push(contract_event(
        "migrate",
        contract,
        &[("code_id".into(), new_code_id.to_string())],
    ));
    let minfo = to_json(&vmt::MigrateInfo {
        sender: sender.to_string(),
        old_migrate_version: None,
    });
    let entry = Entry::Migrate { msg, info: minfo };
    let resp = run_entry(kv, ctx, contract, &checksum, depth, &entry)?;
    handle_response(kv, ctx, contract, &resp, depth, events)
}

/// `MsgUpdateAdmin` / `MsgClearAdmin`: only the current admin may change it.
fn set_admin(
    kv: &mut Metered<'_, '_>,
    sender: &Address,
    contract: &Address,
    new_admin: Option<&Address>,
    events: &mut Vec<Event>,
) -> Result<(), TxError> {
    let mut info = existing(kv, contract)?;
    if info.admin.is_empty() || info.admin != sender.to_string() {
        return Err(TxError::Unauthorized(format!(
            "can not modify contract {contract}: {sender} is not its admin"
        )));
    }
    info.admin = new_admin.map(ToString::to_string).unwrap_or_default();
    wasm::set_contract_info(kv, contract, &info)?;
    events.push(contract_event(
        "update_contract_admin",
        contract,
        &[("new_admin_address".into(), info.admin.clone())],
    ));
    Ok(())
}

/// Calls a contract's `sudo` entry point: how chain modules (governance) command contracts.
/// Runs with the meter's remaining gas; the response is dispatched like any other.
pub fn sudo(
    kv: &mut Metered<'_, '_>,
    ctx: &WasmCtx<'_>,
    contract: &Address,
    msg: &[u8],
    events: &mut Vec<Event>,
) -> Result<Option<Vec<u8>>, TxError> {
    let info = existing(kv, contract)?;
    let checksum = code_checksum(kv, info.code_id)?;
    events.push(contract_event("sudo", contract, &[]));
    let resp = run_entry(kv, ctx, contract, &checksum, 0, &Entry::Sudo { msg })?;
    handle_response(kv, ctx, contract, &resp, 0, events)
}

fn existing(kv: &mut Metered<'_, '_>, contract: &Address) -> Result<ContractInfo, TxError> {
    wasm::contract_info(kv, contract)?
        .ok_or_else(|| werr(8, format!("no such contract: {contract}")))
}

impl MsgHandler for WasmMsg {
    fn check_stateless(any: &Any) -> Result<Option<Self>, TxError> {
        WasmMsg::from_any(any)
    }

    fn type_url(&self) -> String {
        WasmMsg::type_url(self)
    }

    fn signers(&self) -> Vec<Address> {
        vec![self.sender().clone()]
    }

    fn check_and_execute(
        &self,
        kv: &mut Metered<'_, '_>,
        ctx: &MsgCtx<'_, '_>,
        events: &mut Vec<Event>,
    ) -> Result<Any, TxError> {
        run_msg(kv, ctx.wasm, self, ctx.depth, events)
    }
}
