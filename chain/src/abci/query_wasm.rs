//! `cosmwasm.wasm.v1.Query`: wasmd's query service, answered from the wasm module's state.
//! Listing queries page like the SDK's `PageRequest` (key or offset, limit 100 by default,
//! `next_key` to continue, `count_total`).

use cosmos_sdk_proto::cosmos::base::query::v1beta1::{PageRequest, PageResponse};
use cosmos_sdk_proto::cosmwasm::wasm::v1::CodeInfo;
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

use super::executor::Executor;
use super::query::{decode, parse_addr, QueryError};
use crate::state::{keys, wasm, Delta, StateRead};
use crate::tx::TxError;

/// Default and largest page (the SDK's default limit; a cap keeps one query bounded).
const DEFAULT_LIMIT: u64 = 100;
const MAX_LIMIT: u64 = 1_000;

/// Answers `path` (a `/cosmwasm.wasm.v1.Query/…` method) against `view`.
pub(super) fn answer(
    exec: &Executor,
    path: &str,
    data: &[u8],
    view: &dyn StateRead,
) -> Result<Vec<u8>, QueryError> {
    let method = path.trim_start_matches("/cosmwasm.wasm.v1.Query/");
    Ok(match method {
        "SmartContractState" => {
            let r: QuerySmartContractStateRequest = decode(data)?;
            let addr = parse_addr(&r.address)?;
            let data =
                crate::tx::wasm::smart_query(view, &exec.vm, &exec.chain_id, &addr, &r.query_data)
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
            let all = view.scan_prefix(&prefix)?.into_iter().map(|(k, v)| {
                let key = k[prefix.len()..].to_vec();
                (key.clone(), Model { key, value: v })
            });
            let (models, pagination) = page(all, r.pagination)?;
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
            let all = wasm::history(view, &addr)?
                .into_iter()
                .enumerate()
                .map(|(i, e)| ((i as u64).to_be_bytes().to_vec(), e));
            let (entries, pagination) = page(all, r.pagination)?;
            QueryContractHistoryResponse {
                entries,
                pagination,
            }
            .encode_to_vec()
        }
        "ContractsByCode" => {
            let r: QueryContractsByCodeRequest = decode(data)?;
            let all = wasm::contracts_by_code(view, r.code_id)?
                .into_iter()
                .map(|(k, a)| (k, a.to_string()));
            let (contracts, pagination) = page(all, r.pagination)?;
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
            let all = wasm::codes(view)?
                .into_iter()
                .map(|(id, info)| (id.to_be_bytes().to_vec(), code_info_response(id, info)));
            let (code_infos, pagination) = page(all, r.pagination)?;
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

/// One page of `items` (in key order) as the SDK pages: from `key` if given, else after
/// `offset` items; `next_key` is the key of the first item not returned.
fn page<T>(
    items: impl Iterator<Item = (Vec<u8>, T)>,
    req: Option<PageRequest>,
) -> Result<(Vec<T>, Option<PageResponse>), QueryError> {
    let req = req.unwrap_or_default();
    if !req.key.is_empty() && req.offset > 0 {
        return Err(QueryError::InvalidArgument(
            "pagination: either key or offset, not both".into(),
        ));
    }
    let limit = match req.limit {
        0 => DEFAULT_LIMIT,
        n => n.min(MAX_LIMIT),
    } as usize;
    let mut items: Vec<(Vec<u8>, T)> = items.collect();
    if req.reverse {
        items.reverse();
    }
    let total = items.len() as u64;
    let start = if req.key.is_empty() {
        (req.offset as usize).min(items.len())
    } else if req.reverse {
        items
            .iter()
            .position(|(k, _)| *k <= req.key)
            .unwrap_or(items.len())
    } else {
        items
            .iter()
            .position(|(k, _)| *k >= req.key)
            .unwrap_or(items.len())
    };
    let mut rest = items.into_iter().skip(start);
    let out: Vec<T> = rest.by_ref().take(limit).map(|(_, v)| v).collect();
    let next_key = rest.next().map(|(k, _)| k).unwrap_or_default();
    Ok((
        out,
        Some(PageResponse {
            next_key,
            total: if req.count_total && req.key.is_empty() {
                total
            } else {
                0
            },
        }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(key: &[u8], offset: u64, limit: u64, reverse: bool) -> Option<PageRequest> {
        Some(PageRequest {
            key: key.to_vec(),
            offset,
            limit,
            count_total: true,
            reverse,
        })
    }

    #[test]
    fn pages_follow_next_key_offset_and_reverse() {
        let items = || (0u8..5).map(|i| (vec![i], i));
        let (a, p) = page(items(), req(b"", 0, 2, false)).unwrap();
        let p = p.unwrap();
        assert_eq!((a, p.next_key.clone(), p.total), (vec![0, 1], vec![2], 5));
        let (b, p) = page(items(), req(&p.next_key, 0, 2, false)).unwrap();
        assert_eq!((b, p.unwrap().next_key), (vec![2, 3], vec![4]));
        let (c, p) = page(items(), req(&[4], 0, 2, false)).unwrap();
        assert_eq!((c, p.unwrap().next_key), (vec![4], vec![]));
        let (d, _) = page(items(), req(b"", 3, 0, false)).unwrap();
        assert_eq!(d, vec![3, 4]);
        let (e, p) = page(items(), req(b"", 0, 2, true)).unwrap();
        assert_eq!((e, p.unwrap().next_key), (vec![4, 3], vec![2]));
        assert!(page(items(), req(&[1], 1, 2, false)).is_err());
    }
}
