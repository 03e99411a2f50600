//! The wasm state layout under `wasm/` (the `wasm` substore). Code ids and contract instance ids
//! are global sequences starting at 1.

use proof_sdk::Address;

// wasm module. Code ids and contract instance ids are global sequences starting at 1.
pub const WASM_NEXT_CODE_ID: &[u8] = b"wasm/next_code_id";

pub const WASM_NEXT_INSTANCE_ID: &[u8] = b"wasm/next_instance_id";

pub const WASM_CODE_PREFIX: &[u8] = b"wasm/code/";

pub const WASM_BYTES_PREFIX: &[u8] = b"wasm/bytes/";

pub const WASM_CONTRACT_PREFIX: &[u8] = b"wasm/c/";

pub const WASM_STORE_PREFIX: &[u8] = b"wasm/s/";

pub const WASM_HISTORY_PREFIX: &[u8] = b"wasm/h/";

pub const WASM_HISTORY_LEN_PREFIX: &[u8] = b"wasm/hn/";

pub const WASM_BY_CODE_PREFIX: &[u8] = b"wasm/bc/";

/// `CodeInfo` of a code id (big-endian, so codes iterate in id order).
pub fn wasm_code(code_id: u64) -> Vec<u8> {
    [WASM_CODE_PREFIX, &code_id.to_be_bytes()].concat()
}

/// The original (uncompressed) wasm of a code, keyed by its sha256 checksum.
pub fn wasm_bytes(checksum: &[u8; 32]) -> Vec<u8> {
    [WASM_BYTES_PREFIX, checksum.as_slice()].concat()
}

/// `ContractInfo` of a contract.
pub fn wasm_contract(addr: &Address) -> Vec<u8> {
    [WASM_CONTRACT_PREFIX, addr.as_bytes()].concat()
}

/// The prefix under which a contract's own key-value store lives: `wasm/s/<addr bytes>/`.
/// Contract addresses are always 32 bytes, so no contract's prefix is a prefix of another's.
pub fn wasm_store_prefix(addr: &Address) -> Vec<u8> {
    [WASM_STORE_PREFIX, addr.as_bytes(), b"/"].concat()
}

/// Entry `seq` (big-endian, so entries iterate in order) of a contract's code history.
pub fn wasm_history(addr: &Address, seq: u64) -> Vec<u8> {
    [WASM_HISTORY_PREFIX, addr.as_bytes(), &seq.to_be_bytes()].concat()
}

/// How many code-history entries a contract has.
pub fn wasm_history_len(addr: &Address) -> Vec<u8> {
    [WASM_HISTORY_LEN_PREFIX, addr.as_bytes()].concat()
}

/// Secondary index of contracts by code id, ordered by the position (height, tx index) at which
/// the contract got that code: `wasm/bc/<code id be8><height be8><tx index be8><addr>`.
pub fn wasm_by_code(code_id: u64, height: u64, tx_index: u64, addr: &Address) -> Vec<u8> {
    [
        WASM_BY_CODE_PREFIX,
        &code_id.to_be_bytes(),
        &height.to_be_bytes(),
        &tx_index.to_be_bytes(),
        addr.as_bytes(),
    ]
    .concat()
}

/// The prefix of [`wasm_by_code`] entries of one code.
pub fn wasm_by_code_prefix(code_id: u64) -> Vec<u8> {
    [WASM_BY_CODE_PREFIX, &code_id.to_be_bytes()].concat()
}
