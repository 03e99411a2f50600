//! `cosmos.bank.v1beta1.Query`: balances and supply, listings paged.

use cosmos_sdk_proto::cosmos::bank::v1beta1::{
    QueryAllBalancesRequest, QueryAllBalancesResponse, QueryBalanceRequest, QueryBalanceResponse,
    QuerySupplyOfRequest, QuerySupplyOfResponse, QueryTotalSupplyRequest, QueryTotalSupplyResponse,
};
use proof_sdk::Coin;

use super::keys;
use crate::modules::bank;
use crate::query::paging::page;
use prost::Message;

use crate::query::{decode, parse_addr, QueryError};
use crate::state::{Delta, StateRead};

/// Answers the module's query paths; `None` if `path` is not one of them.
pub fn route(view: &dyn StateRead, path: &str, data: &[u8]) -> Result<Option<Vec<u8>>, QueryError> {
    Ok(Some(match path {
        "/cosmos.bank.v1beta1.Query/Balance" => {
            let r: QueryBalanceRequest = decode(data)?;
            let addr = parse_addr(&r.address)?;
            proof_sdk::coin::validate_denom(&r.denom)
                .map_err(|e| QueryError::InvalidArgument(e.to_string()))?;
            let mut d = Delta::new(view);
            let amount = bank::balance(&mut d, &addr, &r.denom)?;
            QueryBalanceResponse {
                balance: Some(Coin::new(amount, r.denom).to_proto()),
            }
            .encode_to_vec()
        }
        "/cosmos.bank.v1beta1.Query/AllBalances" => {
            let r: QueryAllBalancesRequest = decode(data)?;
            let addr = parse_addr(&r.address)?;
            let (balances, pagination) =
                page(view, &keys::balances_of(&addr), r.pagination, |k, v| {
                    Ok(Some(bank::decode_coin(k, &v)?.to_proto()))
                })?;
            QueryAllBalancesResponse {
                balances,
                pagination,
            }
            .encode_to_vec()
        }
        "/cosmos.bank.v1beta1.Query/TotalSupply" => {
            let r: QueryTotalSupplyRequest = decode(data)?;
            let (supply, pagination) = page(view, keys::SUPPLY_PREFIX, r.pagination, |k, v| {
                Ok(Some(bank::decode_coin(k, &v)?.to_proto()))
            })?;
            QueryTotalSupplyResponse { supply, pagination }.encode_to_vec()
        }
        "/cosmos.bank.v1beta1.Query/SupplyOf" => {
            let r: QuerySupplyOfRequest = decode(data)?;
            let amount = bank::supply(view, &r.denom)?;
            QuerySupplyOfResponse {
                amount: Some(Coin::new(amount, r.denom).to_proto()),
            }
            .encode_to_vec()
        }
        _ => return Ok(None),
    }))
}
