//! The interface every module's block hooks implement, in the spirit of Penumbra's
//! `Component`: the executor (`app::components`) runs them in one fixed order, so a block's
//! result never depends on how modules were registered.
//!
//! A hook gets the block's own layer and returns the events it emitted. An `Err` is a
//! condition no node may paper over (storage failed, state is inconsistent): the node stops
//! rather than record a different result. Failures that are the block's (a proposal that fails)
//! are handled inside the hook.

use tendermint::abci::Event;

use crate::modules::epoch::checkpoint::StoredCheckpoint;
use crate::modules::epoch::schedule::EpochState;
use crate::modules::gov::proposals::RunMessages;
use crate::modules::slashing::evidence::Evidence;
use crate::modules::slashing::liveness::CommitVote;
use crate::modules::wasm::WasmCtx;
use crate::state::{Delta, StateError};

/// What every hook of one block sees.
pub struct BlockCtx<'a> {
    pub chain_id: &'a str,
    pub height: u64,
    /// Block time (the header's), in Unix nanoseconds.
    pub time_nanos: i128,
    /// The app hash the previous block committed to (`None` at the first block).
    pub prev_app_hash: Option<[u8; 32]>,
    /// Who signed the last commit, and with what power.
    pub votes: &'a [CommitVote],
    /// Misbehaviour CometBFT reports (double signs, light-client attacks).
    pub evidence: &'a [Evidence],
    /// The header's hash of the next block's validator set (empty where no header exists).
    pub next_validators_hash: &'a [u8],
}

impl BlockCtx<'_> {
    /// Block time as the `i64` nanoseconds state records use (saturating: year 2262).
    pub fn now_ns(&self) -> i64 {
        i64::try_from(self.time_nanos).unwrap_or(i64::MAX)
    }
}

/// What end-block hooks hand back to the executor besides events.
pub struct EndBlock<'a, 'r> {
    /// Runs a passed proposal's messages (the executor's message router).
    pub run_proposal: &'a mut RunMessages<'r>,
    /// Contract calls outside any transaction (the clock's end-block calls), at this block.
    pub wasm: &'a WasmCtx<'a>,
    /// Validator-set changes for CometBFT: (ed25519 key, new power; 0 removes).
    pub validator_updates: Vec<([u8; 32], u64)>,
    /// The epoch this block closes (set before the end-epoch hooks run).
    pub closing_epoch: Option<EpochState>,
    /// The checkpoint an epoch closed with, if one did.
    pub checkpoint: Option<StoredCheckpoint>,
}

/// A module's block hooks. Each defaults to doing nothing.
pub trait Component: Sync {
    /// The module's name (its state prefix), for logs.
    fn name(&self) -> &'static str;

    /// Before the block's transactions.
    fn begin_block(
        &self,
        _block: &mut Delta<'_>,
        _ctx: &BlockCtx<'_>,
    ) -> Result<Vec<Event>, StateError> {
        Ok(Vec::new())
    }

    /// After the block's transactions.
    fn end_block(
        &self,
        _block: &mut Delta<'_>,
        _ctx: &BlockCtx<'_>,
        _out: &mut EndBlock<'_, '_>,
    ) -> Result<Vec<Event>, StateError> {
        Ok(Vec::new())
    }

    /// At the end of the last block of an epoch, after every end-block hook.
    fn end_epoch(
        &self,
        _block: &mut Delta<'_>,
        _ctx: &BlockCtx<'_>,
        _out: &mut EndBlock<'_, '_>,
    ) -> Result<Vec<Event>, StateError> {
        Ok(Vec::new())
    }
}
