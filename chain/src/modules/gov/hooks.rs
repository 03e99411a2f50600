//! Governance's block hook: closing the proposals whose deposit or voting period ended.

use tendermint::abci::Event;

use super::proposals::end_block;
use crate::modules::component::{BlockCtx, Component, EndBlock};
use crate::modules::staking::StakingError;
use crate::state::{Delta, StateError};
use crate::tx::events;

/// Governance's hooks.
pub struct Gov;

impl Component for Gov {
    fn name(&self) -> &'static str {
        "gov"
    }

    fn end_block(
        &self,
        block: &mut Delta<'_>,
        ctx: &BlockCtx<'_>,
        out: &mut EndBlock<'_, '_>,
    ) -> Result<Vec<Event>, StateError> {
        let closed =
            end_block(block, ctx.now_ns(), out.run_proposal).map_err(StakingError::into_state)?;
        Ok(closed
            .into_iter()
            .map(|(id, status)| {
                events::event(
                    "proposal_result",
                    &[
                        ("proposal_id", id.to_string()),
                        ("status", format!("{status:?}")),
                    ],
                )
            })
            .collect())
    }
}
