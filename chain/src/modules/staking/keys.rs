//! The staking state layout under `staking/`: record keys and their length-prefixed address parts.

use crate::state::corrupt;
use crate::state::StateError;
use proof_sdk::Address;

pub(crate) const VAL_PREFIX: &[u8] = b"staking/val/";

pub(crate) const CONS_PREFIX: &[u8] = b"staking/cons/";

pub(crate) const DEL_PREFIX: &[u8] = b"staking/del/"; // <op><del> -> shares

pub(crate) const DEL_INDEX_PREFIX: &[u8] = b"staking/deli/"; // <del><op> -> ()

pub(crate) const UBD_PREFIX: &[u8] = b"staking/ubd/"; // <del><op> -> entries

pub(crate) const UBD_BY_VAL_PREFIX: &[u8] = b"staking/ubdv/"; // <op><del> -> ()

pub(crate) const UBD_QUEUE_PREFIX: &[u8] = b"staking/ubdq/"; // <time><del><op> -> ()

pub(crate) const RED_PREFIX: &[u8] = b"staking/red/"; // <del><src><dst> -> entries

pub(crate) const RED_BY_SRC_PREFIX: &[u8] = b"staking/redv/"; // <src><del><dst> -> ()

pub(crate) const RED_QUEUE_PREFIX: &[u8] = b"staking/redq/"; // <time><del><src><dst> -> ()

pub(crate) const LAST_POWER_PREFIX: &[u8] = b"staking/power/"; // <op> -> u64 power sent to CometBFT

/// Candidates for the active set, best first: `<u64::MAX - power><operator bytes>` -> () for
/// every unjailed validator with power >= 1 (kept by [`set_validator`]), so choosing the set
/// reads `max_validators` entries however many validators exist.
pub(crate) const POWER_INDEX_PREFIX: &[u8] = b"staking/vp/";

pub(crate) fn lp(a: &Address) -> Vec<u8> {
    let b = a.as_bytes();
    [&[b.len() as u8], b].concat()
}

/// Splits `<len><bytes>` off the front of `rest`.
pub(crate) fn take_addr(rest: &[u8]) -> Option<(Address, &[u8])> {
    let (&n, rest) = rest.split_first()?;
    let n = n as usize;
    if rest.len() < n {
        return None;
    }
    Some((Address::from_bytes(&rest[..n]).ok()?, &rest[n..]))
}

pub(crate) fn val_key(op: &Address) -> Vec<u8> {
    [VAL_PREFIX, &lp(op)].concat()
}

/// The prefix of every validator record (`<len><operator>` follows), for paged listings.
pub const VALIDATORS_PREFIX: &[u8] = VAL_PREFIX;

pub(crate) fn del_key(op: &Address, del: &Address) -> Vec<u8> {
    [DEL_PREFIX, &lp(op), &lp(del)].concat()
}

/// The prefix of the delegations to `op` (`<len><delegator>` -> shares follow).
pub fn delegations_to_prefix(op: &Address) -> Vec<u8> {
    [DEL_PREFIX, &lp(op)].concat()
}

/// The prefix of `del`'s delegation index (`<len><operator>` -> () follow).
pub fn delegations_of_prefix(del: &Address) -> Vec<u8> {
    [DEL_INDEX_PREFIX, &lp(del)].concat()
}

/// The address at the front of a key suffix `<len><bytes>...`.
pub fn leading_address(key: &[u8]) -> Result<Address, StateError> {
    take_addr(key)
        .map(|(a, _)| a)
        .ok_or_else(|| corrupt(key, "key does not start with an address"))
}

pub(crate) fn ubd_key(del: &Address, op: &Address) -> Vec<u8> {
    [UBD_PREFIX, &lp(del), &lp(op)].concat()
}

pub(crate) fn red_key(del: &Address, src: &Address, dst: &Address) -> Vec<u8> {
    [RED_PREFIX, &lp(del), &lp(src), &lp(dst)].concat()
}

pub(crate) fn time_key(ns: i64) -> [u8; 8] {
    // Block times are after 1970; clamp anything else to 0 so the queue order stays total.
    (ns.max(0) as u64).to_be_bytes()
}
