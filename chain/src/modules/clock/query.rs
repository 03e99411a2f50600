//! `proof.clock.v1.Query`: the contracts called at end block.

use super::params::ClockParams;
use crate::query::{json, QueryError};
use crate::state::StateRead;

/// Answers the module's query paths; `None` if `path` is not one of them.
pub fn route(
    view: &dyn StateRead,
    path: &str,
    _data: &[u8],
) -> Result<Option<Vec<u8>>, QueryError> {
    Ok(Some(match path {
        "/proof.clock.v1.Query/Params" => json(&ClockParams::load(view)?)?,
        _ => return Ok(None),
    }))
}
