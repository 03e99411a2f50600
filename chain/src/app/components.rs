//! The modules' block hooks, in the one fixed order every node runs them.
//!
//! Each phase runs the components in [`COMPONENTS`] order:
//! - begin block: IBC (this chain's consensus state at this height), slashing (evidence, then
//!   the last commit's signatures), then the epoch module (records the previous block's app
//!   hash);
//! - end block: staking's unbonding queue, governance (closes proposals, runs passed ones),
//!   the clock (the system contracts' end-block calls: after governance, so a contract it just
//!   listed or migrated runs in this block; before the validator set, so stake a contract moves
//!   counts in it), the fee price (the AMM's TWAP, read after the AMM cleared), staking's
//!   validator set (after governance, so a passed parameter change
//!   applies to this block's set), then the epoch module (nothing at end block);
//! - end epoch, when this block closes the epoch, after every end-block hook: the epoch
//!   module's rewards and checkpoint (it reads the validator set just sent).
//!
//! A scheduled upgrade's migration runs before all of them (`modules::upgrade::migrations`),
//! and each transaction's fee is recorded as activity by the executor as it runs.

use tendermint::abci::Event;
use tendermint::validator::Update;

use crate::modules::clock::hooks::Clock;
use crate::modules::component::{BlockCtx, Component, EndBlock};
use crate::modules::epoch::hooks::Epoch;
use crate::modules::epoch::{self, StoredCheckpoint};
use crate::modules::fee_price::hooks::FeePrice;
use crate::modules::gov::hooks::Gov;
use crate::modules::gov::RunMessages;
use crate::modules::ibc::hooks::Ibc;
use crate::modules::slashing::hooks::Slashing;
use crate::modules::staking::hooks::{Unbonding, ValidatorSet};
use crate::modules::wasm::WasmCtx;
use crate::state::{Delta, StateError};

/// Every module with block hooks, in the order each phase runs them.
pub const COMPONENTS: [&dyn Component; 8] = [
    &Ibc,
    &Slashing,
    &Unbonding,
    &Gov,
    &Clock,
    &FeePrice,
    &ValidatorSet,
    &Epoch,
];

/// Runs every begin-block hook.
pub fn begin_block(block: &mut Delta<'_>, ctx: &BlockCtx<'_>) -> Result<Vec<Event>, StateError> {
    let mut events = Vec::new();
    for c in COMPONENTS {
        events.extend(c.begin_block(block, ctx)?);
    }
    Ok(events)
}

/// What the end of a block produced.
pub struct EndOfBlock {
    pub validator_updates: Vec<Update>,
    pub events: Vec<Event>,
    pub checkpoint: Option<StoredCheckpoint>,
}

/// Runs every end-block hook, then, if this block closes the epoch, every end-epoch hook.
pub fn end_block(
    block: &mut Delta<'_>,
    ctx: &BlockCtx<'_>,
    run_proposal: &mut RunMessages<'_>,
    wasm: &WasmCtx<'_>,
) -> Result<EndOfBlock, StateError> {
    let mut out = EndBlock {
        run_proposal,
        wasm,
        validator_updates: Vec::new(),
        closing_epoch: None,
        checkpoint: None,
    };
    let mut events = Vec::new();
    for c in COMPONENTS {
        events.extend(c.end_block(block, ctx, &mut out)?);
    }
    out.closing_epoch = epoch::epoch_due(block, ctx.height, ctx.now_ns())?;
    if out.closing_epoch.is_some() {
        for c in COMPONENTS {
            events.extend(c.end_epoch(block, ctx, &mut out)?);
        }
    }
    Ok(EndOfBlock {
        validator_updates: super::pos::to_updates(std::mem::take(&mut out.validator_updates)),
        events,
        checkpoint: out.checkpoint,
    })
}
