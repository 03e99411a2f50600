//! The wasm module's state: uploaded codes, contract instances and each contract's own store.
//!
//! Layout (see `keys.rs`): `wasm/next_code_id`, `wasm/next_instance_id` (u64 big-endian
//! sequences, first value 1), `wasm/code/<id be8>` (`cosmwasm.wasm.v1.CodeInfo` protobuf),
//! `wasm/bytes/<sha256>` (the uploaded wasm, uncompressed), `wasm/c/<addr>`
//! (`cosmwasm.wasm.v1.ContractInfo` protobuf), `wasm/s/<addr>/<contract key>` (the contract's
//! storage), `wasm/h/<addr><seq>` + `wasm/hn/<addr>` (its code history, wasmd's
//! `ContractCodeHistoryEntry`) and `wasm/bc/<code><position><addr>` (contracts by code id).
//!
//! Contract addresses are wasmd's, so a contract gets the address bytes it would get on a wasmd
//! chain: the classic scheme (`BuildContractAddressClassic`) for `MsgInstantiateContract`,
//! `address.Module("wasm", code_id ‖ instance_id)` with `instance_id` the global instance
//! sequence (so addresses never repeat), and the predictable scheme
//! (`BuildContractAddressPredictable`, cosmwasm-std's `instantiate2_address`) for
//! `MsgInstantiateContract2`. Both are 32 bytes.

use cosmos_sdk_proto::cosmwasm::wasm::v1::{
    AbsoluteTxPosition, AccessConfig, AccessType, CodeInfo, ContractCodeHistoryEntry, ContractInfo,
};
use proof_sdk::Address;
use prost::Message;

use super::keys;
use crate::state::corrupt;
use crate::state::{Kv, StateError, StateRead};

/// The contract address of instance `instance_id` of code `code_id` (wasmd's classic scheme).
pub use proof_sdk::contract_address::classic as contract_address;
/// The predictable (instantiate2) address.
pub use proof_sdk::contract_address::predictable as predictable_address;

fn next_seq(kv: &mut dyn Kv, key: &[u8]) -> Result<u64, StateError> {
    let cur = match kv.kv_get(key)? {
        Some(raw) => u64::from_be_bytes(
            raw.as_slice()
                .try_into()
                .map_err(|_| corrupt(key, "sequence is not 8 bytes"))?,
        ),
        None => 1,
    };
    kv.kv_put(key.to_vec(), (cur + 1).to_be_bytes().to_vec())?;
    Ok(cur)
}

/// Everybody may instantiate (the default permission of an upload).
pub fn everybody() -> AccessConfig {
    AccessConfig {
        permission: AccessType::Everybody as i32,
        addresses: vec![],
    }
}

/// Whether `actor` may instantiate a code with this permission (wasmd's `AccessConfig.Allowed`).
/// A code without a recorded permission is open to everybody.
pub fn may_instantiate(info: &CodeInfo, actor: &Address) -> bool {
    let Some(cfg) = &info.instantiate_config else {
        return true;
    };
    match AccessType::try_from(cfg.permission) {
        Ok(AccessType::Everybody) => true,
        Ok(AccessType::AnyOfAddresses) => {
            let actor = actor.to_string();
            cfg.addresses.contains(&actor)
        }
        _ => false,
    }
}

/// Records a new code and returns its id. `wasm` is stored as is under its checksum (once).
pub fn store_code(
    kv: &mut dyn Kv,
    creator: &Address,
    checksum: [u8; 32],
    wasm: &[u8],
    permission: AccessConfig,
) -> Result<u64, StateError> {
    let id = next_seq(kv, keys::WASM_NEXT_CODE_ID)?;
    let info = CodeInfo {
        code_hash: checksum.to_vec(),
        creator: creator.to_string(),
        instantiate_config: Some(permission),
    };
    kv.kv_put(keys::wasm_code(id), info.encode_to_vec())?;
    let bytes_key = keys::wasm_bytes(&checksum);
    if kv.kv_get(&bytes_key)?.is_none() {
        kv.kv_put(bytes_key, wasm.to_vec())?;
    }
    Ok(id)
}

pub fn code_info(kv: &mut dyn Kv, code_id: u64) -> Result<Option<CodeInfo>, StateError> {
    let key = keys::wasm_code(code_id);
    kv.kv_get(&key)?
        .map(|raw| CodeInfo::decode(raw.as_slice()).map_err(|e| corrupt(&key, e)))
        .transpose()
}

pub fn code_bytes(state: &dyn StateRead, checksum: &[u8]) -> Result<Option<Vec<u8>>, StateError> {
    state.get_raw(&[keys::WASM_BYTES_PREFIX, checksum].concat())
}

/// Allocates the next instance id and returns the new contract's address.
pub fn new_contract_address(kv: &mut dyn Kv, code_id: u64) -> Result<Address, StateError> {
    let instance = next_seq(kv, keys::WASM_NEXT_INSTANCE_ID)?;
    Ok(contract_address(code_id, instance))
}

pub fn set_contract_info(
    kv: &mut dyn Kv,
    addr: &Address,
    info: &ContractInfo,
) -> Result<(), StateError> {
    kv.kv_put(keys::wasm_contract(addr), info.encode_to_vec())
}

pub fn contract_info(kv: &mut dyn Kv, addr: &Address) -> Result<Option<ContractInfo>, StateError> {
    let key = keys::wasm_contract(addr);
    kv.kv_get(&key)?
        .map(|raw| ContractInfo::decode(raw.as_slice()).map_err(|e| corrupt(&key, e)))
        .transpose()
}

/// Where in the chain something happened: (height, index of the tx in its block).
pub fn position(height: u64, tx_index: u64) -> AbsoluteTxPosition {
    AbsoluteTxPosition {
        block_height: height,
        tx_index,
    }
}

/// Appends an entry to a contract's code history and files the contract under the entry's code
/// id (removing it from the code it had before). This is how a contract gets or changes code.
pub fn record_code_change(
    kv: &mut dyn Kv,
    addr: &Address,
    entry: ContractCodeHistoryEntry,
) -> Result<(), StateError> {
    if let Some(last) = last_history_entry(kv, addr)? {
        let at = last.updated.unwrap_or_default();
        kv.kv_delete(keys::wasm_by_code(
            last.code_id,
            at.block_height,
            at.tx_index,
            addr,
        ))?;
    }
    let at = entry.updated.clone().unwrap_or_default();
    kv.kv_put(
        keys::wasm_by_code(entry.code_id, at.block_height, at.tx_index, addr),
        vec![1],
    )?;
    let n = history_len(kv, addr)?;
    kv.kv_put(keys::wasm_history(addr, n), entry.encode_to_vec())?;
    kv.kv_put(keys::wasm_history_len(addr), (n + 1).to_be_bytes().to_vec())
}

fn history_len(kv: &mut dyn Kv, addr: &Address) -> Result<u64, StateError> {
    let key = keys::wasm_history_len(addr);
    match kv.kv_get(&key)? {
        None => Ok(0),
        Some(raw) => {
            Ok(u64::from_be_bytes(raw.as_slice().try_into().map_err(
                |_| corrupt(&key, "history length is not 8 bytes"),
            )?))
        }
    }
}

fn last_history_entry(
    kv: &mut dyn Kv,
    addr: &Address,
) -> Result<Option<ContractCodeHistoryEntry>, StateError> {
    let n = history_len(kv, addr)?;
    if n == 0 {
        return Ok(None);
    }
    let key = keys::wasm_history(addr, n - 1);
    kv.kv_get(&key)?
        .map(|raw| ContractCodeHistoryEntry::decode(raw.as_slice()).map_err(|e| corrupt(&key, e)))
        .transpose()
}

/// A contract's code history, oldest first.
pub fn history(
    state: &dyn StateRead,
    addr: &Address,
) -> Result<Vec<ContractCodeHistoryEntry>, StateError> {
    let prefix = [keys::WASM_HISTORY_PREFIX, addr.as_bytes()].concat();
    state
        .scan_prefix(&prefix)?
        .into_iter()
        // A 20-byte address could prefix a 32-byte one; entries of this contract are exactly
        // prefix + 8 bytes long.
        .filter(|(k, _)| k.len() == prefix.len() + 8)
        .map(|(k, v)| ContractCodeHistoryEntry::decode(v.as_slice()).map_err(|e| corrupt(&k, e)))
        .collect()
}

/// The contracts currently running `code_id`, in the order they got it.
pub fn contracts_by_code(
    state: &dyn StateRead,
    code_id: u64,
) -> Result<Vec<(Vec<u8>, Address)>, StateError> {
    let prefix = keys::wasm_by_code_prefix(code_id);
    state
        .scan_prefix(&prefix)?
        .into_keys()
        .map(|k| {
            let rest = &k[prefix.len()..];
            let addr = rest
                .get(16..)
                .and_then(|a| Address::from_bytes(a).ok())
                .ok_or_else(|| corrupt(&k, "malformed by-code index key"))?;
            Ok((rest.to_vec(), addr))
        })
        .collect()
}

/// Every code, in id order.
pub fn codes(state: &dyn StateRead) -> Result<Vec<(u64, CodeInfo)>, StateError> {
    state
        .scan_prefix(keys::WASM_CODE_PREFIX)?
        .into_iter()
        .map(|(k, v)| {
            let id = k[keys::WASM_CODE_PREFIX.len()..]
                .try_into()
                .map(u64::from_be_bytes)
                .map_err(|_| corrupt(&k, "code key is not 8 bytes"))?;
            let info = CodeInfo::decode(v.as_slice()).map_err(|e| corrupt(&k, e))?;
            Ok((id, info))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classic_contract_addresses_are_32_bytes_and_distinct() {
        let a = contract_address(1, 1);
        assert_eq!(a.as_bytes().len(), 32);
        assert_ne!(a, contract_address(1, 2));
        assert_ne!(a, contract_address(2, 1));
        // The well-known address of wasmd's first contract (code 1, instance 1).
        assert_eq!(
            a.to_bech32("wasm"),
            "wasm14hj2tavq8fpesdwxxcu44rty3hh90vhujrvcmstl4zr3txmfvw9s0phg4d"
        );
    }

    #[test]
    fn predictable_addresses_match_cosmwasm_std_vectors() {
        let checksum =
            hex::decode("13a1fc994cc6d1c81b746ee0c0ff6f90043875e0bf1d9be6b7d779fc978dc2a5")
                .unwrap();
        let creator =
            Address::from_bytes(&hex::decode("9999999999aaaaaaaaaabbbbbbbbbbcccccccccc").unwrap())
                .unwrap();
        // Vectors of cosmwasm-std's `instantiate2_address_impl` tests (salt "a").
        assert_eq!(
            hex::encode(predictable_address(&checksum, &creator, b"a", b"").as_bytes()),
            "5e865d3e45ad3e961f77fd77d46543417ced44d924dc3e079b5415ff6775f847"
        );
        assert_eq!(
            hex::encode(predictable_address(&checksum, &creator, b"a", b"{}").as_bytes()),
            "0995499608947a5281e2c7ebd71bdb26a1ad981946dad57f6c4d3ee35de77835"
        );
    }

    #[test]
    fn history_and_by_code_index_follow_migrations() {
        let mut d = crate::state::Delta::new(&crate::state::EmptyState);
        let (a, b) = (contract_address(1, 1), contract_address(1, 2));
        let entry = |code_id, h, op| ContractCodeHistoryEntry {
            operation: op as i32,
            code_id,
            updated: Some(position(h, 0)),
            msg: b"{}".to_vec(),
        };
        use cosmos_sdk_proto::cosmwasm::wasm::v1::ContractCodeHistoryOperationType as Op;
        record_code_change(&mut d, &a, entry(1, 5, Op::Init)).unwrap();
        record_code_change(&mut d, &b, entry(1, 6, Op::Init)).unwrap();
        record_code_change(&mut d, &a, entry(2, 7, Op::Migrate)).unwrap();
        let by1: Vec<_> = contracts_by_code(&d, 1)
            .unwrap()
            .into_iter()
            .map(|x| x.1)
            .collect();
        let by2: Vec<_> = contracts_by_code(&d, 2)
            .unwrap()
            .into_iter()
            .map(|x| x.1)
            .collect();
        assert_eq!((by1, by2), (vec![b.clone()], vec![a.clone()]));
        let h = history(&d, &a).unwrap();
        assert_eq!(h.iter().map(|e| e.code_id).collect::<Vec<_>>(), vec![1, 2]);
        assert_eq!(h[1].operation, Op::Migrate as i32);
        assert_eq!(history(&d, &b).unwrap().len(), 1);
    }
}
