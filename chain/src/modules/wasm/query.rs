//! `cosmwasm.wasm.v1.Query`: wasmd's query service, answered from the wasm module's state.
//! Listing queries page like the SDK's `PageRequest` (`paging.rs`: key or offset, limit 100 by
//! default, `next_key` to continue, `count_total`), reading only what the page needs.

use cosmos_sdk_proto::cosmwasm::wasm::v1::{CodeInfo, ContractCodeHistoryEntry};
use cosmos_sdk_proto::cosmwasm::wasm::v1::{
    CodeInfoResponse, Model, QueryAllContractStateRequest, QueryAllContractStateResponse,
    QueryCodeRequest, QueryCodeResponse, QueryCodesRequest, QueryCodesResponse,
    QueryContractHistoryRequest, QueryContractHistoryResponse, QueryContractInfoRequest,
    QueryContractInfoResponse, QueryContractsByCodeRequest, QueryContractsByCodeResponse,
    QueryRawContractStateRequest, QueryRawContractStateResponse, QuerySmartContractStateRequest,
    QuerySmartContractStateResponse,
};
use proof_sdk::Address;
use prost::Message;

use super::keys;
use crate::modules::wasm::contracts as wasm;
use crate::query::paging::page;
use crate::query::{decode, parse_addr, QueryError};
use crate::state::{corrupt, Delta, StateRead};
use crate::tx::TxError;

/// Answers `path` (a `/cosmwasm.wasm.v1.Query/…` method) against `view`.
pub fn answer(
    vm: &proof_vm::Vm,
    chain_id: &str,
    path: &str,
    data: &[u8],
    view: &dyn StateRead,
) -> Result<Vec<u8>, QueryError> {
    let method = path.trim_start_matches("/cosmwasm.wasm.v1.Query/");
    Ok(match method {
        "SmartContractState" => {
            let r: QuerySmartContractStateRequest = decode(data)?;
            let addr = parse_addr(&r.address)?;
            let data = super::smart_query::smart_query(view, vm, chain_id, &addr, &r.query_data)
                .map_err(|e| match e {
                    TxError::Wasm { code: 8, msg } => QueryError::NotFound(msg),
                    TxError::NodeResource(m) => QueryError::Internal(m),
                    other => QueryError::Failed(other.to_string(), other.code()),
                })?;
            QuerySmartContractStateResponse { data }.encode_to_vec()
        }
        "RawContractState" => {
            let r: QueryRawContractStateRequest = decode(data)?;
            let addr = existing_contract(view, &r.address)?;
            let key = [keys::wasm_store_prefix(&addr), r.query_data].concat();
            QueryRawContractStateResponse {
                data: view.get_raw(&key)?.unwrap_or_default(),
            }
            .encode_to_vec()
        }
        "AllContractState" => {
            let r: QueryAllContractStateRequest = decode(data)?;
            let addr = existing_contract(view, &r.address)?;
            let prefix = keys::wasm_store_prefix(&addr);
            let (models, pagination) = page(view, &prefix, r.pagination, |k, value| {
                Ok(Some(Model {
                    key: k.to_vec(),
                    value,
                }))
            })?;
            QueryAllContractStateResponse { models, pagination }.encode_to_vec()
        }
        "ContractInfo" => {
            let r: QueryContractInfoRequest = decode(data)?;
            let addr = parse_addr(&r.address)?;
            let info = wasm::contract_info(&mut Delta::new(view), &addr)?
                .ok_or_else(|| QueryError::NotFound(format!("no such contract: {addr}")))?;
            QueryContractInfoResponse {
                address: addr.to_string(),
                contract_info: Some(info),
            }
            .encode_to_vec()
        }
        "ContractHistory" => {
            let r: QueryContractHistoryRequest = decode(data)?;
            let addr = existing_contract(view, &r.address)?;
            let prefix = [keys::WASM_HISTORY_PREFIX, addr.as_bytes()].concat();
            let (entries, pagination) = page(view, &prefix, r.pagination, |k, v| {
                // A 20-byte address could prefix a 32-byte one: this contract's entries are
                // exactly 8 bytes past the prefix.
                if k.len() != 8 {
                    return Ok(None);
                }
                let entry = ContractCodeHistoryEntry::decode(v.as_slice())
                    .map_err(|e| corrupt(&[prefix.as_slice(), k].concat(), e))?;
                Ok(Some(entry))
            })?;
            QueryContractHistoryResponse {
                entries,
                pagination,
            }
            .encode_to_vec()
        }
        "ContractsByCode" => {
            let r: QueryContractsByCodeRequest = decode(data)?;
            let prefix = keys::wasm_by_code_prefix(r.code_id);
            let (contracts, pagination) = page(view, &prefix, r.pagination, |k, _| {
                let addr = k
                    .get(16..)
                    .and_then(|a| Address::from_bytes(a).ok())
                    .ok_or_else(|| corrupt(k, "malformed by-code index key"))?;
                Ok(Some(addr.to_string()))
            })?;
            QueryContractsByCodeResponse {
                contracts,
                pagination,
            }
            .encode_to_vec()
        }
        "Code" => {
            let r: QueryCodeRequest = decode(data)?;
            let info = wasm::code_info(&mut Delta::new(view), r.code_id)?
                .ok_or_else(|| QueryError::NotFound(format!("no such code: {}", r.code_id)))?;
            let wasm_bytes = wasm::code_bytes(view, &info.code_hash)?.unwrap_or_default();
            QueryCodeResponse {
                code_info: Some(code_info_response(r.code_id, info)),
                data: wasm_bytes,
            }
            .encode_to_vec()
        }
        "Codes" => {
            let r: QueryCodesRequest = decode(data)?;
            let (code_infos, pagination) =
                page(view, keys::WASM_CODE_PREFIX, r.pagination, |k, v| {
                    let id = <[u8; 8]>::try_from(k)
                        .map(u64::from_be_bytes)
                        .map_err(|_| corrupt(k, "code key is not 8 bytes"))?;
                    let info = CodeInfo::decode(v.as_slice()).map_err(|e| corrupt(k, e))?;
                    Ok(Some(code_info_response(id, info)))
                })?;
            QueryCodesResponse {
                code_infos,
                pagination,
            }
            .encode_to_vec()
        }
        _ => return Err(QueryError::UnknownPath(path.to_string())),
    })
}

fn code_info_response(code_id: u64, info: CodeInfo) -> CodeInfoResponse {
    CodeInfoResponse {
        code_id,
        creator: info.creator,
        data_hash: info.code_hash,
        instantiate_permission: info.instantiate_config,
    }
}

fn existing_contract(view: &dyn StateRead, address: &str) -> Result<Address, QueryError> {
    let addr = parse_addr(address)?;
    if wasm::contract_info(&mut Delta::new(view), &addr)?.is_none() {
        return Err(QueryError::NotFound(format!("no such contract: {addr}")));
    }
    Ok(addr)
}
