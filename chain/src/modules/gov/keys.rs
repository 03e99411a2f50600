//! The governance state layout under `gov/`: proposals, their deadline queues, deposits and
//! votes.

use crate::state::corrupt;
use crate::state::StateError;

pub(crate) const NEXT_ID_KEY: &[u8] = b"gov/next_id";

pub(crate) const PROPOSAL_PREFIX: &[u8] = b"gov/proposal/";

/// Proposals in their deposit period by its end: `<deposit_end_ns be8><id be8>` -> ().
pub(crate) const DEPOSIT_QUEUE_PREFIX: &[u8] = b"gov/dq/";

/// Proposals in their voting period by its end: `<voting_end_ns be8><id be8>` -> ().
pub(crate) const VOTING_QUEUE_PREFIX: &[u8] = b"gov/vq/";

pub(crate) const DEPOSIT_PREFIX: &[u8] = b"gov/deposit/";

pub(crate) const VOTE_PREFIX: &[u8] = b"gov/vote/";

pub(crate) fn proposal_key(id: u64) -> Vec<u8> {
    [PROPOSAL_PREFIX, &id.to_be_bytes()].concat()
}

pub(crate) fn queue_key(queue: &[u8], end_ns: i64, id: u64) -> Vec<u8> {
    [
        queue,
        &(end_ns.max(0) as u64).to_be_bytes(),
        &id.to_be_bytes(),
    ]
    .concat()
}

pub(crate) fn queued_id(key: &[u8]) -> Result<u64, StateError> {
    key.len()
        .checked_sub(8)
        .and_then(|at| key[at..].try_into().ok())
        .map(u64::from_be_bytes)
        .ok_or_else(|| corrupt(key, "queue key"))
}
