//! Software upgrades (the Cosmos SDK's `x/upgrade`): at most one scheduled plan, and a record of
//! each applied one.
//!
//! A plan names an upgrade and the height it happens at. A governance proposal schedules it
//! (`MsgSoftwareUpgrade`, replacing any earlier plan) or cancels it (`MsgCancelUpgrade`). When
//! block `height` starts, a binary that knows the plan's name runs its migration and records it as
//! done; a binary that does not halts before executing anything of that block
//! (`migrations.rs`), so no node ever commits block `height` with the old state machine.

use crate::state::corrupt;
use crate::state::{Kv, StateError, StateRead};

const PLAN_KEY: &[u8] = b"upgrade/plan";
const DONE_PREFIX: &[u8] = b"upgrade/done/";
/// The SDK's limit on plan names (they become directory names for cosmovisor).
pub const MAX_NAME_LEN: usize = 140;
pub const MAX_INFO_LEN: usize = 10_240;

pub use crate::state::Plan;

#[derive(Debug, thiserror::Error)]
pub enum UpgradeError {
    #[error("invalid upgrade plan: {0}")]
    InvalidPlan(String),
    #[error("upgrade {0:?} was already applied")]
    AlreadyDone(String),
    #[error(transparent)]
    State(#[from] StateError),
}

impl Plan {
    /// The SDK's `Plan.ValidateBasic` plus "in the future": `current` is the executing height.
    pub fn validate(&self, current: u64) -> Result<(), UpgradeError> {
        let bad = |m: String| Err(UpgradeError::InvalidPlan(m));
        if self.name.trim().is_empty() {
            return bad("name cannot be empty".into());
        }
        if self.name.len() > MAX_NAME_LEN || self.info.len() > MAX_INFO_LEN {
            return bad(format!(
                "name is at most {MAX_NAME_LEN} bytes and info at most {MAX_INFO_LEN}"
            ));
        }
        // A name becomes a directory name (cosmovisor, upgrade-info.json readers).
        if self.name.contains(['/', '\\', '\0']) || self.name == "." || self.name == ".." {
            return bad(format!(
                "name {:?} cannot be used as a directory name",
                self.name
            ));
        }
        if self.height <= current {
            return bad(format!(
                "height {} is not after the current height {current}",
                self.height
            ));
        }
        Ok(())
    }
}

fn done_key(name: &str) -> Vec<u8> {
    [DONE_PREFIX, name.as_bytes()].concat()
}

pub fn plan(state: &dyn StateRead) -> Result<Option<Plan>, StateError> {
    match state.get_raw(PLAN_KEY)? {
        Some(b) => Ok(Some(
            borsh::from_slice(&b).map_err(|e| corrupt(PLAN_KEY, e))?,
        )),
        None => Ok(None),
    }
}

/// The height an upgrade was applied at, if it was.
pub fn applied(state: &dyn StateRead, name: &str) -> Result<Option<u64>, StateError> {
    match state.get_raw(&done_key(name))? {
        Some(b) => Ok(Some(u64::from_be_bytes(
            b.as_slice()
                .try_into()
                .map_err(|_| corrupt(&done_key(name), "height"))?,
        ))),
        None => Ok(None),
    }
}

/// Schedules `plan` (replacing any earlier plan, as the SDK does). `current` is the height of the
/// block executing the governance decision.
pub fn schedule(kv: &mut dyn Kv, plan: &Plan, current: u64) -> Result<(), UpgradeError> {
    plan.validate(current)?;
    if kv.kv_get(&done_key(&plan.name))?.is_some() {
        return Err(UpgradeError::AlreadyDone(plan.name.clone()));
    }
    let bytes = borsh::to_vec(plan).map_err(|e| corrupt(PLAN_KEY, e))?;
    kv.kv_put(PLAN_KEY.to_vec(), bytes)?;
    Ok(())
}

pub fn cancel(kv: &mut dyn Kv) -> Result<(), StateError> {
    kv.kv_delete(PLAN_KEY.to_vec())
}

/// Records `plan` as applied at its height and clears it.
pub fn mark_done(kv: &mut dyn Kv, plan: &Plan) -> Result<(), StateError> {
    kv.kv_put(done_key(&plan.name), plan.height.to_be_bytes().to_vec())?;
    kv.kv_delete(PLAN_KEY.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::Delta;

    fn plan(name: &str, height: u64) -> Plan {
        Plan {
            name: name.into(),
            height,
            info: String::new(),
        }
    }

    #[test]
    fn plans_must_be_named_and_in_the_future() {
        assert!(plan("v2", 11).validate(10).is_ok());
        assert!(plan("v2", 10).validate(10).is_err());
        assert!(plan(" ", 11).validate(10).is_err());
        assert!(plan("../x", 11).validate(10).is_err());
        assert!(plan(&"n".repeat(141), 11).validate(10).is_err());
    }

    #[test]
    fn schedule_replace_apply_and_refuse_a_repeat() {
        let base = crate::state::EmptyState;
        let mut d = Delta::new(&base);
        schedule(&mut d, &plan("v2", 20), 10).unwrap();
        assert_eq!(super::plan(&d).unwrap().unwrap().height, 20);
        // A later plan replaces the earlier one.
        schedule(&mut d, &plan("v3", 30), 10).unwrap();
        assert_eq!(super::plan(&d).unwrap().unwrap().name, "v3");
        mark_done(&mut d, &plan("v3", 30)).unwrap();
        assert_eq!(super::plan(&d).unwrap(), None);
        assert_eq!(applied(&d, "v3").unwrap(), Some(30));
        assert!(matches!(
            schedule(&mut d, &plan("v3", 40), 31),
            Err(UpgradeError::AlreadyDone(_))
        ));
    }
}
