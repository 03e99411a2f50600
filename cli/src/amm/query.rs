//! `proof query amm ...`: config, pools, a pool, LP shares, the TWAP, queued swaps, a quote.

use amm_msgs::{
    ConfigResponse, PendingResponse, PoolResponse, PoolsResponse, QueryMsg, QuoteResponse,
    SharesResponse, TwapResponse, PRICE_SCALE, U128,
};
use anyhow::Result;
use clap::{Args, Subcommand};
use serde_json::json;

use super::contract::AmmContract;
use crate::output::{fields, table};
use crate::util::{parse_address, parse_one_coin};
use crate::Ctx;
use proof_rollup::chain::smart;

#[derive(Args)]
pub struct AmmQueryArgs {
    #[command(flatten)]
    contract: AmmContract,
    #[command(subcommand)]
    cmd: AmmQuery,
}

#[derive(Subcommand)]
pub enum AmmQuery {
    /// The market rules and who governs them
    Config,
    /// Every pool
    Pools,
    /// One pool, by id or by its quote denom
    Pool {
        /// Pool id, or the denom it trades against the base (e.g. uusd)
        pool: String,
    },
    /// The LP shares an address holds in a pool
    Shares { pool: u64, owner: String },
    /// The time-weighted average price over the last WINDOW blocks
    Twap {
        pool: u64,
        #[arg(long, default_value_t = 10)]
        window: u64,
    },
    /// The swaps queued in a pool for this block
    Pending { pool: u64 },
    /// What a swap of COIN would get if the block cleared now
    Quote {
        pool: u64,
        /// The coin offered, e.g. 1000000uusd
        offer: String,
    },
}

/// A price scaled by [`PRICE_SCALE`] as a decimal string with 18 places.
pub fn price_text(p: &U128) -> String {
    let (int, frac) = (p.0 / PRICE_SCALE, p.0 % PRICE_SCALE);
    format!("{int}.{frac:018}")
}

fn pool_rows(p: &PoolResponse) -> Vec<(&'static str, String)> {
    vec![
        ("pool", p.id.to_string()),
        ("pair", format!("{}/{}", p.base_denom, p.quote_denom)),
        ("base reserve", p.base_reserve.0.to_string()),
        ("quote reserve", p.quote_reserve.0.to_string()),
        ("LP shares", p.total_shares.0.to_string()),
        ("price (quote per base)", price_text(&p.price)),
        (
            "halted",
            if p.halted_until > 0 {
                format!("until height {}", p.halted_until)
            } else {
                "no".into()
            },
        ),
    ]
}

/// The pool named by id or by quote denom.
pub(super) async fn pool(
    rpc: &proof_sdk::rpc::RpcClient,
    amm: &proof_sdk::Address,
    pool: &str,
) -> Result<PoolResponse> {
    let q = match pool.parse::<u64>() {
        Ok(id) => QueryMsg::Pool { pool: id },
        Err(_) => QueryMsg::PoolByDenom {
            denom: pool.to_string(),
        },
    };
    smart(rpc, amm, &q).await
}

pub async fn run(ctx: &Ctx, args: AmmQueryArgs) -> Result<()> {
    let rpc = ctx.rpc()?;
    let amm = args.contract.address()?;
    match args.cmd {
        AmmQuery::Config => {
            let c: ConfigResponse = smart(&rpc, &amm, &QueryMsg::Config {}).await?;
            ctx.output.emit(&json!(c), || {
                let p = &c.params;
                fields(&[
                    ("governance", c.governance.clone()),
                    ("base denom", c.base_denom.clone()),
                    ("swap fee", format!("{} bps", p.swap_fee_bps)),
                    ("max swap", format!("{} bps of the reserve", p.max_swap_bps)),
                    (
                        "max per block",
                        format!("{} bps of the reserve", p.max_block_bps),
                    ),
                    (
                        "circuit breaker",
                        format!(
                            "{} bps from the {}-block TWAP, {} blocks' rest",
                            p.band_bps, p.twap_blocks, p.cooldown_blocks
                        ),
                    ),
                ])
            });
        }
        AmmQuery::Pools => {
            let mut all = Vec::new();
            let mut start_after = None;
            loop {
                let page: PoolsResponse = smart(
                    &rpc,
                    &amm,
                    &QueryMsg::Pools {
                        start_after,
                        limit: Some(100),
                    },
                )
                .await?;
                let n = page.pools.len();
                start_after = page.pools.last().map(|p| p.id);
                all.extend(page.pools);
                if n < 100 {
                    break;
                }
            }
            ctx.output.emit(&json!({"pools": all}), || {
                let rows: Vec<Vec<String>> = all
                    .iter()
                    .map(|p| {
                        vec![
                            p.id.to_string(),
                            format!("{}/{}", p.base_denom, p.quote_denom),
                            p.base_reserve.0.to_string(),
                            p.quote_reserve.0.to_string(),
                            price_text(&p.price),
                        ]
                    })
                    .collect();
                table(&["POOL", "PAIR", "BASE", "QUOTE", "PRICE"], &rows)
            });
        }
        AmmQuery::Pool { pool: which } => {
            let p = pool(&rpc, &amm, &which).await?;
            ctx.output.emit(&json!(p), || fields(&pool_rows(&p)));
        }
        AmmQuery::Shares { pool, owner } => {
            let owner = parse_address(&owner)?.to_string();
            let s: SharesResponse = smart(
                &rpc,
                &amm,
                &QueryMsg::Shares {
                    pool,
                    owner: owner.clone(),
                },
            )
            .await?;
            ctx.output.emit(
                &json!({"pool": pool, "owner": owner, "shares": s.shares}),
                || fields(&[("shares", s.shares.0.to_string())]),
            );
        }
        AmmQuery::Twap { pool, window } => {
            let t: TwapResponse = smart(&rpc, &amm, &QueryMsg::Twap { pool, window }).await?;
            ctx.output.emit(&json!(t), || {
                fields(&[
                    ("price (quote per base)", price_text(&t.price)),
                    ("blocks averaged", t.window.to_string()),
                ])
            });
        }
        AmmQuery::Pending { pool } => {
            let p: PendingResponse = smart(&rpc, &amm, &QueryMsg::Pending { pool }).await?;
            ctx.output.emit(&json!(p), || {
                let rows: Vec<Vec<String>> = p
                    .swaps
                    .iter()
                    .map(|s| {
                        vec![
                            s.seq.to_string(),
                            s.trader.clone(),
                            if s.offer_base {
                                "sell base"
                            } else {
                                "buy base"
                            }
                            .into(),
                            s.amount.0.to_string(),
                            s.min_out.0.to_string(),
                        ]
                    })
                    .collect();
                table(&["SEQ", "TRADER", "SIDE", "AMOUNT", "MIN OUT"], &rows)
            });
        }
        AmmQuery::Quote { pool, offer } => {
            let coin = parse_one_coin(&offer, "offer")?;
            let q: QuoteResponse = smart(
                &rpc,
                &amm,
                &QueryMsg::Quote {
                    pool,
                    offer_denom: coin.denom.clone(),
                    amount: U128(coin.amount),
                },
            )
            .await?;
            ctx.output.emit(&json!(q), || {
                fields(&[
                    ("out", q.out.0.to_string()),
                    ("clearing price (quote per base)", price_text(&q.price)),
                    ("swaps already queued", q.queued.to_string()),
                ])
            });
        }
    }
    Ok(())
}
