//! `proof.fee_price.v1.Query`: where the fixed fee's XYZ/USD price comes from, and what it is.

use super::params::FeePriceParams;
use crate::query::{json, QueryError};
use crate::state::params::Params;
use crate::state::StateRead;

/// Answers the module's query paths; `None` if `path` is not one of them.
pub fn route(
    view: &dyn StateRead,
    path: &str,
    _data: &[u8],
) -> Result<Option<Vec<u8>>, QueryError> {
    Ok(Some(match path {
        "/proof.fee_price.v1.Query/Params" => json(&FeePriceParams::load(view)?)?,
        "/proof.fee_price.v1.Query/Price" => {
            let p = Params::load(view)?;
            json(&serde_json::json!({
                "micro_usd_per_xyz": p.xyz_price(),
                "from": if p.oracle_xyz_price_micro_usd.is_some() { "amm" } else { "chain.xyz_price_micro_usd" },
                "fixed_fee_uxyz": crate::state::fees::fixed_fee(&p).to_string(),
            }))?
        }
        _ => return Ok(None),
    }))
}
