//! What this binary does when a scheduled software upgrade's height arrives.
//!
//! As in the Cosmos SDK, block `plan.height` is agreed on by the old binaries and executed by the
//! new ones:
//! - a binary with a migration registered under the plan's name runs it at the start of the block,
//!   before anything else, records the upgrade as applied and clears the plan;
//! - a binary without one still builds and votes on the block (PrepareProposal and
//!   ProcessProposal: their execution is only a forecast, nothing of it is committed), so
//!   consensus decides it and every node receives it; FinalizeBlock then refuses it
//!   ([`StateError::UpgradeNeeded`]): the node halts with block `height - 1` as its last committed
//!   state, writes `data/upgrade-info.json` (`node::start`; the file cosmovisor watches) and exits. Restarted on
//!   the new binary, CometBFT replays the decided block `height` to it;
//! - a binary that knows the plan's name while its height is still ahead refuses to finalize
//!   blocks ([`StateError::UpgradedTooEarly`]): it would execute old blocks with new rules.
//!
//! (Halting already in PrepareProposal would strand the others: when the proposer halts, the rest
//! wait at the height for a proposal and never learn they must stop.)
//!
//! Migrations are compiled in ([`Upgrades::builtin`]). For halt-and-restart drills (and the
//! tests), `PROOFD_UPGRADE_DRILL=name[,name...]` registers migrations that change nothing but the
//! upgrade record: every validator of a drill must set it when restarting, exactly as every
//! validator must switch to a new binary.

use std::collections::BTreeMap;

use tendermint::abci::Event;

use crate::modules::upgrade;
use crate::state::{Delta, StateError, StateRead};
use crate::tx::events;

/// A state migration run at the start of the upgrade's block.
pub type Migration = fn(&mut Delta<'_>) -> Result<(), StateError>;

/// Environment variable naming drill upgrades (see the module docs).
pub const DRILL_ENV: &str = "PROOFD_UPGRADE_DRILL";

#[derive(Clone, Default)]
pub struct Upgrades {
    migrations: BTreeMap<String, Migration>,
}

fn no_migration(_: &mut Delta<'_>) -> Result<(), StateError> {
    Ok(())
}

impl Upgrades {
    /// The upgrades this binary was built to perform (none yet: the first release).
    pub fn builtin() -> Self {
        Self::default()
    }

    /// Adds a migration that changes nothing (a drill).
    pub fn with_drill(mut self, name: &str) -> Self {
        self.migrations.insert(name.to_string(), no_migration);
        self
    }

    /// [`Self::builtin`] plus the drills named in [`DRILL_ENV`].
    pub fn from_env() -> Self {
        let mut u = Self::builtin();
        if let Ok(names) = std::env::var(DRILL_ENV) {
            for name in names.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                tracing::warn!(name, "upgrade drill registered: a no-op migration");
                u = u.with_drill(name);
            }
        }
        u
    }

    pub fn knows(&self, name: &str) -> bool {
        self.migrations.contains_key(name)
    }

    /// Whether this binary may finalize block `height` (see the module docs).
    pub fn check_finalize(&self, state: &dyn StateRead, height: u64) -> Result<(), StateError> {
        let Some(plan) = upgrade::plan(state)? else {
            return Ok(());
        };
        match (self.knows(&plan.name), plan.height > height) {
            (true, true) => Err(StateError::UpgradedTooEarly(Box::new(plan))),
            (false, false) => Err(StateError::UpgradeNeeded(Box::new(plan))),
            _ => Ok(()),
        }
    }

    /// Runs the scheduled upgrade's migration if block `height` is its height and this binary
    /// has it (a binary without it is stopped by [`Self::check_finalize`]).
    pub fn begin_block(
        &self,
        block: &mut Delta<'_>,
        height: u64,
    ) -> Result<Vec<Event>, StateError> {
        let Some(plan) = upgrade::plan(&*block)? else {
            return Ok(Vec::new());
        };
        let migrate = match self.migrations.get(&plan.name) {
            Some(m) if plan.height <= height => m,
            _ => return Ok(Vec::new()),
        };
        tracing::info!(name = %plan.name, height, "applying upgrade");
        migrate(block)?;
        upgrade::mark_done(block, &plan)?;
        Ok(vec![events::event(
            "upgrade",
            &[
                ("name", plan.name.clone()),
                ("height", plan.height.to_string()),
            ],
        )])
    }
}
