//! The fee price's block hook: the named pool's TWAP, read after the AMM cleared, becomes the
//! price of the next blocks' fixed fee; anything less than a sound price removes it.

use proof_sdk::Address;
use serde::Deserialize;
use tendermint::abci::Event;

use super::params::{micro_usd_per_xyz, FeePriceParams, PriceSource};
use crate::modules::component::{BlockCtx, Component, EndBlock};
use crate::modules::wasm::{self, WasmCtx};
use crate::state::params::oracle_xyz_price;
use crate::state::{keys, Delta, StateError};
use crate::tx::events::event;

/// Gas of each of the two smart queries a block makes (the ABCI smart-query limit).
pub const QUERY_GAS: u64 = crate::modules::wasm::QUERY_GAS_LIMIT;

#[derive(Deserialize)]
struct Pool {
    quote_reserve: String,
}

#[derive(Deserialize)]
struct Twap {
    price: String,
    window: u64,
}

/// The fee price's hooks.
pub struct FeePrice;

impl Component for FeePrice {
    fn name(&self) -> &'static str {
        "fee_price"
    }

    fn end_block(
        &self,
        block: &mut Delta<'_>,
        _ctx: &BlockCtx<'_>,
        out: &mut EndBlock<'_, '_>,
    ) -> Result<Vec<Event>, StateError> {
        let Some(source) = FeePriceParams::load(&*block)?.source else {
            return Ok(Vec::new());
        };
        let read = read_price(block, out.wasm, &source)?;
        let old = oracle_xyz_price(&*block)?;
        let mut events = Vec::new();
        match read {
            Ok(price) => {
                if old != Some(price) {
                    block.put(
                        keys::ORACLE_XYZ_PRICE.to_vec(),
                        price.to_be_bytes().to_vec(),
                    );
                    events.push(event(
                        "fee_price",
                        &[("micro_usd_per_xyz", price.to_string())],
                    ));
                }
            }
            Err(why) => {
                if old.is_some() {
                    block.delete(keys::ORACLE_XYZ_PRICE.to_vec());
                    tracing::warn!(%why, "fee price falls back to the chain parameter");
                    events.push(event("fee_price", &[("fallback", why)]));
                }
            }
        }
        Ok(events)
    }
}

/// Reads the source pool's TWAP as micro-USD per XYZ; `Ok(Err(why))` when it gives no sound
/// price. Only this node's own failure is an `Err`.
fn read_price(
    block: &Delta<'_>,
    ctx: &WasmCtx<'_>,
    s: &PriceSource,
) -> Result<Result<u64, String>, StateError> {
    let contract: Address = match s.contract.parse() {
        Ok(a) => a,
        Err(e) => return Ok(Err(format!("source contract: {e}"))),
    };
    let ask = |msg: serde_json::Value| -> Result<Result<Vec<u8>, String>, StateError> {
        let bytes = serde_json::to_vec(&msg).unwrap_or_default();
        match wasm::smart_query(block, ctx.vm, &ctx.chain_id, &contract, &bytes) {
            Ok(data) => Ok(Ok(data)),
            Err(e) if e.is_node_condition() => Err(StateError::NodeCondition(format!(
                "reading the fee price from {contract}: {e}"
            ))),
            Err(e) => Ok(Err(e.to_string())),
        }
    };
    let pool = match ask(serde_json::json!({"pool": {"pool": s.pool}}))? {
        Ok(d) => d,
        Err(e) => return Ok(Err(format!("pool {}: {e}", s.pool))),
    };
    let Ok(pool) = serde_json::from_slice::<Pool>(&pool) else {
        return Ok(Err(format!("pool {}: not an amm pool", s.pool)));
    };
    let reserve: u128 = pool.quote_reserve.parse().unwrap_or(0);
    if reserve < s.min_quote_reserve {
        return Ok(Err(format!(
            "pool {} holds {reserve} of its quote, less than {}",
            s.pool, s.min_quote_reserve
        )));
    }
    let twap = match ask(serde_json::json!({"twap": {"pool": s.pool, "window": s.window_blocks}}))?
    {
        Ok(d) => d,
        Err(e) => return Ok(Err(format!("twap of pool {}: {e}", s.pool))),
    };
    let Ok(twap) = serde_json::from_slice::<Twap>(&twap) else {
        return Ok(Err(format!("twap of pool {}: not an amm twap", s.pool)));
    };
    if twap.window < s.window_blocks {
        return Ok(Err(format!(
            "pool {} has {} blocks of history, less than the {}-block window",
            s.pool, twap.window, s.window_blocks
        )));
    }
    let price: u128 = twap.price.parse().unwrap_or(0);
    match micro_usd_per_xyz(price, s.quote_decimals) {
        Some(p) if p > 0 => Ok(Ok(p)),
        _ => Ok(Err(format!(
            "pool {} prices XYZ at {price}: no usable price",
            s.pool
        ))),
    }
}
