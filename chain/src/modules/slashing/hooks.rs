//! Slashing's block hook: at the start of a block, evidence first, then the last commit's
//! signatures.

use tendermint::abci::Event;

use super::evidence::handle_evidence;
use super::liveness::handle_votes;
use crate::modules::component::{BlockCtx, Component};
use crate::modules::staking::{valoper, StakingError};
use crate::state::{Delta, StateError};
use crate::tx::events;

/// Slashing's hooks.
pub struct Slashing;

impl Component for Slashing {
    fn name(&self) -> &'static str {
        "slashing"
    }

    fn begin_block(
        &self,
        block: &mut Delta<'_>,
        ctx: &BlockCtx<'_>,
    ) -> Result<Vec<Event>, StateError> {
        let mut evs = Vec::new();
        for (op, amount) in
            handle_evidence(block, ctx.evidence).map_err(StakingError::into_state)?
        {
            evs.push(events::event(
                "slash",
                &[
                    ("address", valoper(&op)),
                    ("reason", "double_sign".into()),
                    ("burned", amount.to_string()),
                    ("jailed", "forever".into()),
                ],
            ));
        }
        let jailed = handle_votes(block, ctx.height, ctx.now_ns(), ctx.votes)
            .map_err(StakingError::into_state)?;
        for op in jailed {
            evs.push(events::event(
                "slash",
                &[
                    ("address", valoper(&op)),
                    ("reason", "missing_signature".into()),
                    ("jailed", "true".into()),
                ],
            ));
        }
        Ok(evs)
    }
}
