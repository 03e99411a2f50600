//! Where the chain is in its epochs: genesis time and the open epoch (number, first block,
//! start time, previous checkpoint hash).

use crate::state::corrupt;
use crate::state::{Kv, StateError, StateRead};
use borsh::{BorshDeserialize, BorshSerialize};
use proof_sdk::checkpoint::Hash;

pub(crate) const STATE_KEY: &[u8] = b"epoch/state";

pub(crate) const GENESIS_TIME_KEY: &[u8] = b"epoch/genesis_time";

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct EpochState {
    pub epoch: u64,
    pub start_height: u64,
    pub start_time_ns: i64,
    pub prev_hash: Hash,
}

pub fn epoch_state(state: &dyn StateRead) -> Result<Option<EpochState>, StateError> {
    match state.get_raw(STATE_KEY)? {
        Some(b) => Ok(Some(
            borsh::from_slice(&b).map_err(|e| corrupt(STATE_KEY, e))?,
        )),
        None => Ok(None),
    }
}

pub(crate) fn set_epoch_state(kv: &mut dyn Kv, s: &EpochState) -> Result<(), StateError> {
    kv.kv_put(
        STATE_KEY.to_vec(),
        borsh::to_vec(s).map_err(|e| corrupt(STATE_KEY, e))?,
    )
}

pub fn genesis_time(state: &dyn StateRead) -> Result<i64, StateError> {
    match state.get_raw(GENESIS_TIME_KEY)? {
        Some(b) => Ok(i64::from_be_bytes(
            b.as_slice()
                .try_into()
                .map_err(|_| corrupt(GENESIS_TIME_KEY, "time"))?,
        )),
        None => Ok(0),
    }
}

/// Starts epoch 0 at the genesis time and the chain's first height.
pub fn init(kv: &mut dyn Kv, genesis_ns: i64, first_height: u64) -> Result<(), StateError> {
    kv.kv_put(GENESIS_TIME_KEY.to_vec(), genesis_ns.to_be_bytes().to_vec())?;
    set_epoch_state(
        kv,
        &EpochState {
            epoch: 0,
            start_height: first_height,
            start_time_ns: genesis_ns,
            prev_hash: [0; 32],
        },
    )
}
