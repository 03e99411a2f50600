//! Smart queries through ABCI (`QuerySmartContractState`).

use base64::Engine as _;
use proof_sdk::Address;
use proof_vm::types as vmt;
use proof_vm::Vm;
use serde_json::Value;

use crate::modules::wasm::context::{werr, WasmCtx, QUERY_GAS_LIMIT};
use crate::modules::wasm::contracts as wasm;
use crate::modules::wasm::host::{
    call_contract, charge_vm_gas, code_checksum, vm_failure, vm_limit,
};
use crate::state::gas::GasMeter;
use crate::state::{Metered, StateRead};
use crate::tx::TxError;

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
    let ctx = WasmCtx::outside_tx(vm, chain_id, height, time_nanos);
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
