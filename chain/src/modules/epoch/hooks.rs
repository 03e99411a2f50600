//! The epoch module's hooks: recording each block's app hash as the next block begins, and
//! closing the epoch (rewards, checkpoint) when its time is up.

use tendermint::abci::Event;

use super::checkpoint::{close_epoch, mark_block_start, record_block_hash};
use crate::modules::component::{BlockCtx, Component, EndBlock};
use crate::modules::staking::StakingError;
use crate::state::{Delta, StateError};
use crate::tx::events;

/// The epoch module's hooks.
pub struct Epoch;

impl Component for Epoch {
    fn name(&self) -> &'static str {
        "epoch"
    }

    fn begin_block(
        &self,
        block: &mut Delta<'_>,
        ctx: &BlockCtx<'_>,
    ) -> Result<Vec<Event>, StateError> {
        // The previous block's app hash is committed, so every node has it; the checkpoint
        // reads these from state, never from a node's store.
        if let (true, Some(prev)) = (ctx.height > 1, ctx.prev_app_hash) {
            record_block_hash(block, ctx.height - 1, &prev);
        }
        mark_block_start(block)?;
        Ok(Vec::new())
    }

    fn end_epoch(
        &self,
        block: &mut Delta<'_>,
        ctx: &BlockCtx<'_>,
        out: &mut EndBlock<'_, '_>,
    ) -> Result<Vec<Event>, StateError> {
        let Some(st) = out.closing_epoch.clone() else {
            return Ok(Vec::new());
        };
        let c = close_epoch(block, ctx.chain_id, ctx.height, ctx.now_ns(), st)
            .map_err(StakingError::into_state)?;
        let ev = events::event(
            "checkpoint",
            &[
                ("epoch", c.checkpoint.epoch.to_string()),
                ("hash", c.hash.clone()),
                ("start_height", c.checkpoint.start_height.to_string()),
                ("end_height", c.checkpoint.end_height.to_string()),
                ("emission", c.checkpoint.rewards.emission.to_string()),
            ],
        );
        out.checkpoint = Some(c);
        Ok(vec![ev])
    }
}
