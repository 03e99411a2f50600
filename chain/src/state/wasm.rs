//! The wasm module's state: uploaded codes, contract instances and each contract's own store.
//!
//! Layout (see `keys.rs`): `wasm/next_code_id`, `wasm/next_instance_id` (u64 big-endian
//! sequences, first value 1), `wasm/code/<id be8>` (`cosmwasm.wasm.v1.CodeInfo` protobuf),
//! `wasm/bytes/<sha256>` (the uploaded wasm, uncompressed), `wasm/c/<addr>`
//! (`cosmwasm.wasm.v1.ContractInfo` protobuf) and `wasm/s/<addr>/<contract key>` (the contract's
//! storage).
//!
//! Contract addresses use wasmd's classic scheme (`BuildContractAddressClassic`), so a contract
//! gets the same address bytes it would on a wasmd chain with the same code id and instance id:
//! `sha256( sha256("module") ‖ "wasm" ‖ 0x00 ‖ code_id (u64 BE) ‖ instance_id (u64 BE) )`,
//! all 32 bytes (the Cosmos SDK's `address.Module("wasm", key)`). `instance_id` is the global
//! instance sequence, so addresses never repeat.

use cosmos_sdk_proto::cosmwasm::wasm::v1::{AccessConfig, AccessType, CodeInfo, ContractInfo};
use proof_sdk::Address;
use prost::Message;
use sha2::{Digest, Sha256};

use super::{keys, Kv, StateError, StateRead};

/// The contract address of instance `instance_id` of code `code_id` (wasmd's classic scheme).
pub fn contract_address(code_id: u64, instance_id: u64) -> Address {
    let th = Sha256::digest(b"module");
    let mut h = Sha256::new();
    h.update(th);
    h.update(b"wasm");
    h.update([0u8]);
    h.update(code_id.to_be_bytes());
    h.update(instance_id.to_be_bytes());
    Address::from_bytes(&h.finalize()).expect("32 bytes")
}

fn corrupt(key: &[u8], reason: impl ToString) -> StateError {
    StateError::Corrupt {
        key: String::from_utf8_lossy(key).into_owned(),
        reason: reason.to_string(),
    }
}

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

/// Everybody may instantiate (the only permission for now).
pub fn everybody() -> AccessConfig {
    AccessConfig {
        permission: AccessType::Everybody as i32,
        addresses: vec![],
    }
}

/// Records a new code and returns its id. `wasm` is stored as is under its checksum (once).
pub fn store_code(
    kv: &mut dyn Kv,
    creator: &Address,
    checksum: [u8; 32],
    wasm: &[u8],
) -> Result<u64, StateError> {
    let id = next_seq(kv, keys::WASM_NEXT_CODE_ID)?;
    let info = CodeInfo {
        code_hash: checksum.to_vec(),
        creator: creator.to_string(),
        instantiate_config: Some(everybody()),
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
}
