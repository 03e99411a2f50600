//! `cosmos.auth.v1beta1.Query`: an account by address.

use cosmos_sdk_proto::cosmos::auth::v1beta1::{QueryAccountRequest, QueryAccountResponse};

use crate::modules::auth;
use prost::Message;

use crate::query::{decode, parse_addr, QueryError};
use crate::state::{Delta, StateRead};

/// Answers the module's query paths; `None` if `path` is not one of them.
pub fn route(view: &dyn StateRead, path: &str, data: &[u8]) -> Result<Option<Vec<u8>>, QueryError> {
    Ok(Some(match path {
        "/cosmos.auth.v1beta1.Query/Account" => {
            let r: QueryAccountRequest = decode(data)?;
            let addr = parse_addr(&r.address)?;
            let mut d = Delta::new(view);
            let acc = auth::get_account(&mut d, &addr)?
                .ok_or_else(|| QueryError::NotFound(format!("account {} not found", r.address)))?;
            QueryAccountResponse {
                account: Some(proof_sdk::msgs::to_any(&acc.to_proto())),
            }
            .encode_to_vec()
        }
        _ => return Ok(None),
    }))
}
