//! `cosmos.slashing.v1beta1.Query`: signing info by consensus address.

use cosmos_sdk_proto::cosmos::slashing::v1beta1::{
    QuerySigningInfoRequest, QuerySigningInfoResponse, ValidatorSigningInfo,
};
use proof_sdk::Address;

use crate::modules::staking::query::VALCONS_PREFIX;
use crate::query::timestamp;
use prost::Message;

use crate::query::{decode, QueryError};
use crate::state::{Delta, StateRead};

/// Answers the module's query paths; `None` if `path` is not one of them.
pub fn route(view: &dyn StateRead, path: &str, data: &[u8]) -> Result<Option<Vec<u8>>, QueryError> {
    Ok(Some(match path {
        "/cosmos.slashing.v1beta1.Query/SigningInfo" => {
            let r: QuerySigningInfoRequest = decode(data)?;
            let a = Address::from_bech32(&r.cons_address, VALCONS_PREFIX)
                .map_err(|e| QueryError::InvalidArgument(e.to_string()))?;
            let cons: [u8; 20] = a
                .as_bytes()
                .try_into()
                .map_err(|_| QueryError::InvalidArgument("consensus address is 20 bytes".into()))?;
            let mut d = Delta::new(view);
            let info = crate::modules::slashing::signing_info(&mut d, &cons)?.ok_or_else(|| {
                QueryError::NotFound(format!("signing info of {} not found", r.cons_address))
            })?;
            QuerySigningInfoResponse {
                val_signing_info: Some(ValidatorSigningInfo {
                    address: r.cons_address,
                    start_height: info.start_height as i64,
                    index_offset: info.index_offset as i64,
                    jailed_until: Some(timestamp(info.jailed_until_ns)),
                    tombstoned: info.tombstoned,
                    missed_blocks_counter: info.missed_blocks_counter as i64,
                }),
            }
            .encode_to_vec()
        }
        _ => return Ok(None),
    }))
}
