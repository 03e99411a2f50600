//! The auth state layout under `auth/`: accounts by address and the next account number.

use proof_sdk::Address;

pub const ACCOUNT_PREFIX: &[u8] = b"auth/acc/";

pub const NEXT_ACCOUNT_NUMBER: &[u8] = b"auth/next_number";

pub fn account(addr: &Address) -> Vec<u8> {
    [ACCOUNT_PREFIX, addr.as_bytes()].concat()
}
