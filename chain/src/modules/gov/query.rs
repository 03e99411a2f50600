//! `proof.gov.v1.Query`: a proposal by id, as JSON.

use serde::Deserialize;

use crate::query::{json, json_req, QueryError};
use crate::state::{Delta, StateRead};

/// Answers the module's query paths; `None` if `path` is not one of them.
pub fn route(view: &dyn StateRead, path: &str, data: &[u8]) -> Result<Option<Vec<u8>>, QueryError> {
    Ok(Some(match path {
        "/proof.gov.v1.Query/Proposal" => {
            #[derive(Deserialize)]
            struct Req {
                id: u64,
            }
            let r: Req = json_req(data)?;
            let mut d = Delta::new(view);
            let p = crate::modules::gov::proposal(&mut d, r.id)?
                .ok_or_else(|| QueryError::NotFound(format!("proposal {} not found", r.id)))?;
            json(&p)?
        }
        _ => return Ok(None),
    }))
}
