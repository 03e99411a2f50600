//! The bank state layout under `bank/`: balances by length-prefixed address then denom (one
//! account's balances are one prefix), and supply by denom.

use proof_sdk::Address;

pub const BALANCE_PREFIX: &[u8] = b"bank/bal/";

pub const SUPPLY_PREFIX: &[u8] = b"bank/supply/";

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
