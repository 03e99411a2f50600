//! Signing info per consensus address (`slashing/info/`, borsh): the validator's window of
//! signed and missed blocks, how long it is jailed, whether it is tombstoned.

use borsh::{BorshDeserialize, BorshSerialize};

use crate::state::codec::{get_borsh, put_borsh};
use crate::state::{Kv, StateError};

pub(crate) const SIGNING_INFO_PREFIX: &[u8] = b"slashing/info/"; // <cons addr> -> SigningInfo

#[derive(Clone, Debug, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct SigningInfo {
    pub start_height: u64,
    pub index_offset: u64,
    pub missed_blocks_counter: u64,
    /// One bit per slot of the signed-blocks window; set = missed.
    pub missed_bitmap: Vec<u8>,
    pub jailed_until_ns: i64,
    pub tombstoned: bool,
}

pub fn signing_info(kv: &mut dyn Kv, cons: &[u8; 20]) -> Result<Option<SigningInfo>, StateError> {
    get_borsh(kv, &[SIGNING_INFO_PREFIX, cons.as_slice()].concat())
}

pub fn set_signing_info(
    kv: &mut dyn Kv,
    cons: &[u8; 20],
    info: &SigningInfo,
) -> Result<(), StateError> {
    put_borsh(kv, [SIGNING_INFO_PREFIX, cons.as_slice()].concat(), info)
}
