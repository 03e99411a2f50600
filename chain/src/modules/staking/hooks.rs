//! Staking's block hooks. Staking runs twice at the end of a block: unbonding matures before
//! governance (a proposal's messages see the funds paid out), and the validator set is
//! recomputed after it (a passed parameter change applies to this block's set).

use tendermint::abci::Event;

use super::active_set::apply_validator_set;
use super::error::StakingError;
use super::unbonding::mature;
use crate::modules::component::{BlockCtx, Component, EndBlock};
use crate::state::{Delta, StateError};
use crate::tx::events;

/// Pays out unbondings whose completion time has passed.
pub struct Unbonding;

/// Sends CometBFT the diff of the active set.
pub struct ValidatorSet;

impl Component for Unbonding {
    fn name(&self) -> &'static str {
        "staking"
    }

    fn end_block(
        &self,
        block: &mut Delta<'_>,
        ctx: &BlockCtx<'_>,
        _out: &mut EndBlock<'_, '_>,
    ) -> Result<Vec<Event>, StateError> {
        let paid = mature(block, ctx.now_ns()).map_err(StakingError::into_state)?;
        Ok(paid
            .into_iter()
            .map(|(del, amount)| {
                events::event(
                    "complete_unbonding",
                    &[
                        ("delegator", del.to_string()),
                        ("amount", amount.to_string()),
                    ],
                )
            })
            .collect())
    }
}

impl Component for ValidatorSet {
    fn name(&self) -> &'static str {
        "staking"
    }

    fn end_block(
        &self,
        block: &mut Delta<'_>,
        _ctx: &BlockCtx<'_>,
        out: &mut EndBlock<'_, '_>,
    ) -> Result<Vec<Event>, StateError> {
        out.validator_updates = apply_validator_set(block).map_err(StakingError::into_state)?;
        Ok(Vec::new())
    }
}
