//! wasmd's contract addresses, so clients can know an address before the contract exists (the
//! chain derives them with these same functions).

use sha2::{Digest, Sha256};

use crate::Address;

/// The Cosmos SDK's `address.Module("wasm", key)`: `sha256(sha256("module") ‖ "wasm" ‖ 0 ‖ key)`.
fn module_address(key: &[&[u8]]) -> Address {
    let mut h = Sha256::new();
    h.update(Sha256::digest(b"module"));
    h.update(b"wasm\0");
    for part in key {
        h.update(part);
    }
    Address::from_bytes(&h.finalize()).expect("32 bytes")
}

/// The address of instance `instance_id` of code `code_id` (wasmd's classic scheme;
/// `instance_id` counts every instantiation on the chain, from 1).
pub fn classic(code_id: u64, instance_id: u64) -> Address {
    module_address(&[&code_id.to_be_bytes(), &instance_id.to_be_bytes()])
}

/// The predictable (instantiate2) address: every part length-prefixed (u64 BE). `init_msg` is
/// empty unless the creator asked for `fix_msg`.
pub fn predictable(checksum: &[u8], creator: &Address, salt: &[u8], init_msg: &[u8]) -> Address {
    let len = |b: &[u8]| (b.len() as u64).to_be_bytes();
    let creator = creator.as_bytes();
    module_address(&[
        &len(checksum),
        checksum,
        &len(creator),
        creator,
        &len(salt),
        salt,
        &len(init_msg),
        init_msg,
    ])
}
