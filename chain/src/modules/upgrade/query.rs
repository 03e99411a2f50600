//! `cosmos.upgrade.v1beta1.Query`: the scheduled plan and when a named one was applied.

use cosmos_sdk_proto::cosmos::upgrade::v1beta1::{
    Plan as ProtoPlan, QueryAppliedPlanRequest, QueryAppliedPlanResponse, QueryCurrentPlanResponse,
};

use crate::modules::upgrade;
use prost::Message;

use crate::query::{decode, QueryError};
use crate::state::StateRead;

/// Answers the module's query paths; `None` if `path` is not one of them.
pub fn route(view: &dyn StateRead, path: &str, data: &[u8]) -> Result<Option<Vec<u8>>, QueryError> {
    Ok(Some(match path {
        "/cosmos.upgrade.v1beta1.Query/CurrentPlan" => {
            #[allow(deprecated)]
            let plan = upgrade::plan(view)?.map(|p| ProtoPlan {
                name: p.name,
                time: None,
                height: p.height as i64,
                info: p.info,
                upgraded_client_state: None,
            });
            QueryCurrentPlanResponse { plan }.encode_to_vec()
        }
        "/cosmos.upgrade.v1beta1.Query/AppliedPlan" => {
            let r: QueryAppliedPlanRequest = decode(data)?;
            let height = upgrade::applied(view, &r.name)?.unwrap_or(0) as i64;
            QueryAppliedPlanResponse { height }.encode_to_vec()
        }
        _ => return Ok(None),
    }))
}
