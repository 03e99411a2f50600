//! `proof tx amm ...`: create a pool, add and remove liquidity, move LP shares, swap.

use amm_msgs::{ExecuteMsg, QueryMsg, QuoteResponse, U128};
use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use proof_sdk::rpc::RpcClient;
use proof_sdk::Address;
use serde_json::Value;

use super::contract::AmmContract;
use super::query::{pool, price_text};
use crate::progress::Progress;
use crate::submit::{print_committed, submit, submit_one, Extra, TxFlags, TxSpec};
use crate::util::{parse_address, parse_amount, parse_one_coin};
use crate::wasm_tx::execute_json;
use crate::Ctx;
use proof_rollup::chain::smart;

#[derive(Args)]
pub struct AmmTxArgs {
    #[command(flatten)]
    contract: AmmContract,
    #[command(subcommand)]
    cmd: AmmTx,
}

#[derive(Subcommand)]
pub enum AmmTx {
    /// Open a pool of the base denom against another: both coins, e.g. 1000000uxyz,1000000uusd
    /// (you get sqrt(base x quote) - 1000 LP shares; 1000 stay locked for good)
    CreatePool {
        coins: String,
        #[command(flatten)]
        tx: TxFlags,
    },
    /// Add both coins at the pool's ratio (the excess of one side is returned)
    AddLiquidity {
        /// Pool id, or its quote denom
        pool: String,
        /// Both coins, e.g. 1000uxyz,1000uusd
        coins: String,
        /// Refuse to add for fewer shares than this
        #[arg(long, default_value_t = 0)]
        min_shares: u128,
        #[command(flatten)]
        tx: TxFlags,
    },
    /// Burn LP shares for their part of both reserves
    RemoveLiquidity {
        /// Pool id, or its quote denom
        pool: String,
        shares: u128,
        #[arg(long, default_value_t = 0)]
        min_base: u128,
        #[arg(long, default_value_t = 0)]
        min_quote: u128,
        #[command(flatten)]
        tx: TxFlags,
    },
    /// Move LP shares to another address
    TransferShares {
        /// Pool id, or its quote denom
        pool: String,
        recipient: String,
        amount: u128,
        #[command(flatten)]
        tx: TxFlags,
    },
    /// Swap COIN for the pool's other coin. The swap clears at the end of its block at the one
    /// price every swap of the block gets; below --min-out, or past the deadline, it is refunded
    Swap {
        /// Pool id, or the quote denom of the pool (e.g. uusd)
        pool: String,
        /// The coin offered, e.g. 1000000uusd
        offer: String,
        /// The least you accept [default: the current quote less --slippage-bps]
        #[arg(long)]
        min_out: Option<u128>,
        /// With no --min-out: how far below the quote the fill may be, in basis points
        #[arg(long, default_value_t = 100)]
        slippage_bps: u32,
        /// Refund the swap if it is not cleared within this many blocks
        #[arg(long, default_value_t = 10)]
        deadline_blocks: u64,
        #[command(flatten)]
        tx: TxFlags,
    },
}

/// A pool id, looking a quote denom up.
async fn pool_id(rpc: &RpcClient, amm: &Address, which: &str) -> Result<u64> {
    match which.parse::<u64>() {
        Ok(id) => Ok(id),
        Err(_) => Ok(pool(rpc, amm, which).await?.id),
    }
}

/// `min_out` for a swap: the quote less `slippage_bps`.
async fn min_out_from_quote(
    rpc: &RpcClient,
    amm: &Address,
    pool: u64,
    offer: &proof_sdk::Coin,
    slippage_bps: u32,
) -> Result<(u128, QuoteResponse)> {
    if slippage_bps > 10_000 {
        bail!("--slippage-bps must be at most 10000");
    }
    let q: QuoteResponse = smart(
        rpc,
        amm,
        &QueryMsg::Quote {
            pool,
            offer_denom: offer.denom.clone(),
            amount: U128(offer.amount),
        },
    )
    .await?;
    if q.out.0 == 0 {
        bail!("pool {pool} would refund this swap now (it is halted, or the swap is too small to get anything)");
    }
    let min = q.out.0 / 10_000 * u128::from(10_000 - slippage_bps)
        + q.out.0 % 10_000 * u128::from(10_000 - slippage_bps) / 10_000;
    Ok((min, q))
}

/// How a swap's block ended for it, from the block's end-block events.
struct Fill {
    /// Whether the pool was cleared in that block at all.
    cleared: bool,
    /// Coins of the other denom the AMM paid the trader.
    received: Vec<String>,
    /// Coins of the offered denom it gave back (below min-out, past the deadline, the breaker).
    refunded: Vec<String>,
    price: Option<String>,
}

/// Reads `trader`'s fill in `pool` from the end-block events of block `height`.
async fn fill_of(
    rpc: &RpcClient,
    amm: &Address,
    trader: &Address,
    pool: u64,
    offer_denom: &str,
    height: u64,
) -> Result<Fill> {
    let r = rpc
        .block_results(height)
        .await
        .with_context(|| format!("reading the end-block events of block {height}"))?;
    let attr = |e: &Value, key: &str| -> Option<String> {
        e["attributes"]
            .as_array()?
            .iter()
            .find(|a| a["key"] == key)
            .and_then(|a| a["value"].as_str().map(str::to_string))
    };
    let events = r["finalize_block_events"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let clear = events
        .iter()
        .filter(|e| e["type"] == "wasm-amm_clear")
        .find(|e| attr(e, "pool").as_deref() == Some(&pool.to_string()));
    let (mut received, mut refunded) = (Vec::new(), Vec::new());
    for e in events.iter().filter(|e| e["type"] == "transfer") {
        if attr(e, "sender").as_deref() != Some(&amm.to_string())
            || attr(e, "recipient").as_deref() != Some(&trader.to_string())
        {
            continue;
        }
        let coins = proof_sdk::coin::parse_coins(&attr(e, "amount").unwrap_or_default())
            .context("the block's transfer event names no coins")?;
        for coin in coins {
            if coin.denom == offer_denom {
                refunded.push(coin.to_string());
            } else {
                received.push(coin.to_string());
            }
        }
    }
    Ok(Fill {
        cleared: clear.is_some(),
        price: clear.and_then(|e| attr(e, "clearing_price")),
        received,
        refunded,
    })
}

pub async fn run(ctx: &Ctx, args: AmmTxArgs) -> Result<()> {
    let rpc = ctx.rpc()?;
    let amm = args.contract.address()?;
    let exec = |spec: &TxSpec, msg: &ExecuteMsg, funds: &[proof_sdk::Coin]| {
        execute_json(&spec.from, &amm, msg, funds)
    };
    match args.cmd {
        AmmTx::CreatePool { coins, tx } => {
            let spec = TxSpec::from_flags(ctx, &tx)?;
            let funds = parse_amount(&coins, "coins")?;
            if funds.len() != 2 {
                bail!("give both coins of the pool, e.g. 1000000uxyz,1000000uusd");
            }
            let msg = exec(&spec, &ExecuteMsg::CreatePool {}, &funds)?;
            submit_one(ctx, &spec, msg, true).await
        }
        AmmTx::AddLiquidity {
            pool,
            coins,
            min_shares,
            tx,
        } => {
            let spec = TxSpec::from_flags(ctx, &tx)?;
            let funds = parse_amount(&coins, "coins")?;
            let msg = ExecuteMsg::AddLiquidity {
                pool: pool_id(&rpc, &amm, &pool).await?,
                min_shares: U128(min_shares),
            };
            submit_one(ctx, &spec, exec(&spec, &msg, &funds)?, true).await
        }
        AmmTx::RemoveLiquidity {
            pool,
            shares,
            min_base,
            min_quote,
            tx,
        } => {
            let spec = TxSpec::from_flags(ctx, &tx)?;
            let msg = ExecuteMsg::RemoveLiquidity {
                pool: pool_id(&rpc, &amm, &pool).await?,
                shares: U128(shares),
                min_base: U128(min_base),
                min_quote: U128(min_quote),
            };
            submit_one(ctx, &spec, exec(&spec, &msg, &[])?, true).await
        }
        AmmTx::TransferShares {
            pool,
            recipient,
            amount,
            tx,
        } => {
            let spec = TxSpec::from_flags(ctx, &tx)?;
            let msg = ExecuteMsg::TransferShares {
                pool: pool_id(&rpc, &amm, &pool).await?,
                recipient: parse_address(&recipient)?.to_string(),
                amount: U128(amount),
            };
            submit_one(ctx, &spec, exec(&spec, &msg, &[])?, true).await
        }
        AmmTx::Swap {
            pool,
            offer,
            min_out,
            slippage_bps,
            deadline_blocks,
            tx,
        } => {
            let spec = TxSpec::from_flags(ctx, &tx)?;
            let id = pool_id(&rpc, &amm, &pool).await?;
            let coin = parse_one_coin(&offer, "offer")?;
            let (min_out, quote) = match min_out {
                Some(m) => (m, None),
                None => {
                    let (m, q) = min_out_from_quote(&rpc, &amm, id, &coin, slippage_bps).await?;
                    (m, Some(q))
                }
            };
            let deadline = rpc.latest_height().await? + deadline_blocks.max(1);
            let msg = ExecuteMsg::Swap {
                pool: id,
                min_out: U128(min_out),
                deadline: Some(deadline),
            };
            let any = exec(&spec, &msg, std::slice::from_ref(&coin))?;
            let mut progress = Progress::new(ctx, 1);
            let Some(c) = submit(ctx, &spec, vec![any], &mut progress).await? else {
                return Ok(());
            };
            let mut extras: Vec<Extra> = vec![("min_out", "min out", min_out.to_string())];
            if let Some(q) = &quote {
                extras.push(("quoted", "quoted", q.out.0.to_string()));
            }
            if c.res.code == 0 {
                let f = fill_of(&rpc, &amm, &spec.from, id, &coin.denom, c.res.height).await?;
                let outcome = match (f.cleared, f.received.is_empty()) {
                    (false, _) => "still queued (the pool was not cleared in this block)",
                    (true, false) => "filled",
                    (true, true) => "refunded",
                };
                let price = f
                    .price
                    .and_then(|p| p.parse::<u128>().ok())
                    .map(|p| price_text(&U128(p)))
                    .unwrap_or_default();
                extras.push(("outcome", "outcome", outcome.into()));
                extras.push(("received", "received", f.received.join(",")));
                extras.push(("refunded", "refunded", f.refunded.join(",")));
                extras.push(("clearing_price", "clearing price", price));
            }
            print_committed(ctx, &c, &extras, false);
            Ok(())
        }
    }
}
