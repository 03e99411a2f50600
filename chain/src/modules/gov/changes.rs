//! Parameter changes: a proposal's edits to the modules' parameter subspaces, applied all
//! or nothing after each subspace's module validates its new value.

use crate::modules::staking::StakingError;
use crate::state::codec::PosKv;
use crate::state::params::Subspace;
use borsh::{BorshDeserialize, BorshSerialize};
use serde::Serialize;

/// One parameter change: `subspace` (`chain`, `staking`, `slashing`, `epoch`, `gov`), the field
/// name and its new value as JSON.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize)]
pub struct ParamChange {
    pub subspace: String,
    pub key: String,
    pub value: String,
}

/// Applies parameter changes to the subspaces in `subspaces` (all or nothing: every subspace
/// a change touches is re-validated by its module before any write).
pub fn apply_changes(
    kv: &mut dyn PosKv,
    changes: &[ParamChange],
    subspaces: &[&Subspace],
) -> Result<(), StakingError> {
    let mut writes = Vec::new();
    for space in subspaces {
        let name = space.name;
        let mine: Vec<&ParamChange> = changes.iter().filter(|c| c.subspace == name).collect();
        if mine.is_empty() {
            continue;
        }
        let mut obj = (space.current)(kv.as_read())?;
        for c in mine {
            if space.fixed_at_genesis.contains(&c.key.as_str()) {
                return Err(bad(format!("{}.{} is fixed at genesis", c.subspace, c.key)));
            }
            let slot = obj
                .get_mut(&c.key)
                .ok_or_else(|| bad(format!("{}.{}: no such parameter", c.subspace, c.key)))?;
            *slot = serde_json::from_str(&c.value)
                .map_err(|e| bad(format!("{}.{}: value is not JSON: {e}", c.subspace, c.key)))?;
        }
        let bytes = (space.encode)(obj).map_err(|e| bad(format!("{name}: {e}")))?;
        writes.push((space.key.to_vec(), bytes));
    }
    for c in changes {
        if !subspaces.iter().any(|s| s.name == c.subspace) {
            return Err(bad(format!("unknown parameter subspace {:?}", c.subspace)));
        }
    }
    for (k, v) in writes {
        kv.kv_put(k, v)?;
    }
    Ok(())
}

pub(crate) fn bad(msg: impl Into<String>) -> StakingError {
    StakingError::Invalid(msg.into())
}
