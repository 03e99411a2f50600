//! The state key layout. Every key starts with its module name and `/`, which is what
//! `store/<module>/<rest>` raw queries address.

use proof_sdk::Address;

pub const ACCOUNT_PREFIX: &[u8] = b"auth/acc/";
pub const NEXT_ACCOUNT_NUMBER: &[u8] = b"auth/next_number";
pub const BALANCE_PREFIX: &[u8] = b"bank/bal/";
pub const SUPPLY_PREFIX: &[u8] = b"bank/supply/";
pub const PARAMS: &[u8] = b"params/chain";
pub const BLOCK_INFO: &[u8] = b"meta/block";
pub const CHAIN_ID: &[u8] = b"meta/chain_id";

pub fn account(addr: &Address) -> Vec<u8> {
    [ACCOUNT_PREFIX, addr.as_bytes()].concat()
}

/// Balances are keyed by length-prefixed address so one account's balances are one prefix.
pub fn balances_of(addr: &Address) -> Vec<u8> {
    let a = addr.as_bytes();
    [BALANCE_PREFIX, &[a.len() as u8], a, b"/"].concat()
}

pub fn balance(addr: &Address, denom: &str) -> Vec<u8> {
    [balances_of(addr).as_slice(), denom.as_bytes()].concat()
}

pub fn supply(denom: &str) -> Vec<u8> {
    [SUPPLY_PREFIX, denom.as_bytes()].concat()
}
