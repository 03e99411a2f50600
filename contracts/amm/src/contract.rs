//! Entry points and handlers.

use cosmwasm_std::{
    entry_point, to_json_binary, Addr, BankMsg, Binary, Coin, Deps, DepsMut, Env, Event,
    MessageInfo, Order, Response, StdResult, Storage, Uint128, Uint256,
};
use cw_storage_plus::Bound;

use crate::clearing::{clear, outside_band};
use crate::error::ContractError;
use crate::math::{add, initial_shares, mul_div, mul_div_up, price, product, BPS, LOCKED_SHARES};
use crate::msg::{
    ConfigResponse, ExecuteMsg, InstantiateMsg, Params, PendingResponse, PendingSwap, PoolResponse,
    PoolsResponse, QueryMsg, QuoteResponse, SharesResponse, SudoMsg, TwapResponse, U128,
};
use crate::state::{
    Config, Pool, Queued, CLEAR_CURSOR, CONFIG, DIRTY, LAST_ADD, NEXT_POOL, POOLS, POOL_BY_DENOM,
    QUEUE, SHARES,
};
use crate::twap::{accrue, record, twap};

/// Swaps queued in one pool per block at most: the end-of-block clearing of a pool is bounded.
pub const MAX_SWAPS_PER_POOL: usize = 256;
/// Pools cleared per block at most; the rest clear in the next blocks, in turn. Measured through
/// the chain, clearing costs about 80k gas a pool plus 18k a swap, so a block's worst case (this
/// many full pools) is about 19M gas: it must fit the end-block gas the chain gives the contract
/// (`clock.contracts`), or every block's clearing fails and the swaps only wait.
pub const MAX_POOLS_PER_BLOCK: usize = 4;
const MAX_LIMIT: u32 = 100;

fn check_params(p: &Params) -> Result<(), ContractError> {
    let bad = |s: &str| Err(ContractError::BadParams(s.to_string()));
    if p.swap_fee_bps >= 1_000 {
        return bad("swap_fee_bps must be below 1000 (10%)");
    }
    if p.max_swap_bps == 0 || p.max_swap_bps > 5_000 {
        return bad("max_swap_bps must be 1..=5000");
    }
    if p.max_block_bps < p.max_swap_bps || p.max_block_bps > 5_000 {
        return bad("max_block_bps must be max_swap_bps..=5000");
    }
    if p.band_bps == 0 || p.band_bps > 5_000 {
        return bad("band_bps must be 1..=5000");
    }
    if p.twap_blocks == 0 || p.twap_blocks > crate::twap::RETAIN_BLOCKS {
        return bad("twap_blocks must be 1..=200000");
    }
    Ok(())
}

#[entry_point]
pub fn instantiate(
    deps: DepsMut,
    _env: Env,
    _info: MessageInfo,
    msg: InstantiateMsg,
) -> Result<Response, ContractError> {
    check_params(&msg.params)?;
    if msg.base_denom.is_empty() {
        return Err(ContractError::BadParams("base_denom is empty".into()));
    }
    CONFIG.save(
        deps.storage,
        &Config {
            governance: deps.api.addr_validate(&msg.governance)?,
            base_denom: msg.base_denom,
            params: msg.params,
        },
    )?;
    NEXT_POOL.save(deps.storage, &1)?;
    Ok(Response::new().add_attribute("action", "instantiate"))
}

#[entry_point]
pub fn execute(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> Result<Response, ContractError> {
    let cfg = CONFIG.load(deps.storage)?;
    let height = env.block.height;
    match msg {
        ExecuteMsg::CreatePool {} => create_pool(deps, &cfg, &info, height),
        ExecuteMsg::AddLiquidity { pool, min_shares } => {
            add_liquidity(deps, &cfg, &info, height, pool, min_shares.0)
        }
        ExecuteMsg::RemoveLiquidity {
            pool,
            shares,
            min_base,
            min_quote,
        } => remove_liquidity(
            deps,
            &cfg,
            &info,
            height,
            pool,
            shares.0,
            (min_base.0, min_quote.0),
        ),
        ExecuteMsg::TransferShares {
            pool,
            recipient,
            amount,
        } => {
            no_funds(&info)?;
            let to = deps.api.addr_validate(&recipient)?;
            take_shares(deps.storage, pool, &info.sender, amount.0)?;
            // The receiver cannot withdraw them in this block either.
            give_shares(deps.storage, pool, &to, amount.0, height)?;
            Ok(Response::new().add_event(
                Event::new("amm_transfer_shares")
                    .add_attribute("pool", pool.to_string())
                    .add_attribute("from", info.sender)
                    .add_attribute("to", to)
                    .add_attribute("amount", amount.0.to_string()),
            ))
        }
        ExecuteMsg::Swap {
            pool,
            min_out,
            deadline,
        } => queue_swap(deps, &cfg, &info, height, pool, min_out.0, deadline),
        ExecuteMsg::UpdateParams { params } => {
            governance_only(&cfg, &info)?;
            check_params(&params)?;
            CONFIG.save(deps.storage, &Config { params, ..cfg })?;
            Ok(Response::new().add_attribute("action", "update_params"))
        }
        ExecuteMsg::ResumePool { pool } => {
            governance_only(&cfg, &info)?;
            let mut p = load_pool(deps.storage, pool)?;
            p.halted_until = 0;
            POOLS.save(deps.storage, pool, &p)?;
            Ok(Response::new()
                .add_attribute("action", "resume_pool")
                .add_attribute("pool", pool.to_string()))
        }
    }
}

fn governance_only(cfg: &Config, info: &MessageInfo) -> Result<(), ContractError> {
    if info.sender != cfg.governance {
        return Err(ContractError::NotGovernance);
    }
    no_funds(info)
}

fn no_funds(info: &MessageInfo) -> Result<(), ContractError> {
    if !info.funds.is_empty() {
        return Err(ContractError::WrongFunds("no coins".into()));
    }
    Ok(())
}

fn load_pool(storage: &dyn Storage, id: u64) -> Result<Pool, ContractError> {
    POOLS
        .may_load(storage, id)?
        .ok_or(ContractError::NoPool(id))
}

/// The attached base and quote amounts: exactly those two denoms, both non-zero.
fn pair_funds(info: &MessageInfo, base: &str, quote: &str) -> Result<(u128, u128), ContractError> {
    let wrong = || ContractError::WrongFunds(format!("two coins: {base} and {quote}"));
    if info.funds.len() != 2 {
        return Err(wrong());
    }
    let amount = |d: &str| info.funds.iter().find(|c| c.denom == d).map(coin_amount);
    match (amount(base), amount(quote)) {
        (Some(b), Some(q)) => match (b?, q?) {
            (b, q) if b > 0 && q > 0 => Ok((b, q)),
            _ => Err(wrong()),
        },
        _ => Err(wrong()),
    }
}

/// A coin's amount, which must fit the pool's u128 arithmetic.
fn coin_amount(c: &Coin) -> Result<u128, ContractError> {
    Uint128::try_from(c.amount)
        .map(|a| a.u128())
        .map_err(|_| ContractError::Overflow)
}

fn send(to: &Addr, denom: &str, amount: u128) -> Option<BankMsg> {
    (amount > 0).then(|| BankMsg::Send {
        to_address: to.to_string(),
        amount: vec![Coin::new(Uint128::new(amount), denom)],
    })
}

fn create_pool(
    deps: DepsMut,
    cfg: &Config,
    info: &MessageInfo,
    height: u64,
) -> Result<Response, ContractError> {
    let quote_denom = info
        .funds
        .iter()
        .find(|c| c.denom != cfg.base_denom)
        .map(|c| c.denom.clone())
        .ok_or_else(|| {
            ContractError::WrongFunds(format!("two coins: {} and another", cfg.base_denom))
        })?;
    let (base, quote) = pair_funds(info, &cfg.base_denom, &quote_denom)?;
    if POOL_BY_DENOM.has(deps.storage, &quote_denom) {
        return Err(ContractError::PoolExists(quote_denom));
    }
    let shares = initial_shares(base, quote)?;
    let id = NEXT_POOL.load(deps.storage)?;
    NEXT_POOL.save(deps.storage, &(id + 1))?;
    let pool = Pool {
        id,
        quote_denom: quote_denom.clone(),
        base,
        quote,
        shares,
        price: price(base, quote)?,
        cum: Uint256::zero(),
        cum_height: height,
        halted_until: 0,
        pending_base_in: 0,
        pending_quote_in: 0,
        next_seq: 0,
        queued: 0,
    };
    POOLS.save(deps.storage, id, &pool)?;
    POOL_BY_DENOM.save(deps.storage, &quote_denom, &id)?;
    let minted = shares - LOCKED_SHARES;
    give_shares(deps.storage, id, &info.sender, minted, height)?;
    record(deps.storage, &pool, height)?;
    Ok(Response::new()
        .add_event(
            Event::new("amm_create_pool")
                .add_attribute("pool", id.to_string())
                .add_attribute("quote_denom", quote_denom)
                .add_attribute("shares", minted.to_string()),
        )
        .set_data(to_json_binary(&id)?))
}

fn add_liquidity(
    deps: DepsMut,
    cfg: &Config,
    info: &MessageInfo,
    height: u64,
    id: u64,
    min_shares: u128,
) -> Result<Response, ContractError> {
    let mut pool = load_pool(deps.storage, id)?;
    let (b, q) = pair_funds(info, &cfg.base_denom, &pool.quote_denom)?;
    // Take the smaller side whole and the other at the pool's ratio, rounded up.
    let (base_in, quote_in, minted) = if product(b, pool.quote) <= product(q, pool.base) {
        let quote_in = mul_div_up(b, pool.quote, pool.base)?;
        (b, quote_in, mul_div(b, pool.shares, pool.base)?)
    } else {
        let base_in = mul_div_up(q, pool.base, pool.quote)?;
        (base_in, q, mul_div(q, pool.shares, pool.quote)?)
    };
    if minted == 0 || minted < min_shares {
        return Err(ContractError::TooFewShares {
            wanted: min_shares.max(1),
            got: minted,
        });
    }
    pool.base = add(pool.base, base_in)?;
    pool.quote = add(pool.quote, quote_in)?;
    pool.shares = add(pool.shares, minted)?;
    POOLS.save(deps.storage, id, &pool)?;
    give_shares(deps.storage, id, &info.sender, minted, height)?;
    let refunds = [
        send(&info.sender, &cfg.base_denom, b - base_in),
        send(&info.sender, &pool.quote_denom, q - quote_in),
    ];
    Ok(Response::new()
        .add_messages(refunds.into_iter().flatten())
        .add_event(
            Event::new("amm_add_liquidity")
                .add_attribute("pool", id.to_string())
                .add_attribute("base", base_in.to_string())
                .add_attribute("quote", quote_in.to_string())
                .add_attribute("shares", minted.to_string()),
        ))
}

/// Credits `amount` shares to `owner`, who cannot remove them in this block.
fn give_shares(
    storage: &mut dyn Storage,
    pool: u64,
    owner: &Addr,
    amount: u128,
    height: u64,
) -> Result<(), ContractError> {
    let held = SHARES.may_load(storage, (pool, owner))?.unwrap_or(0);
    SHARES.save(storage, (pool, owner), &add(held, amount)?)?;
    LAST_ADD.save(storage, (pool, owner), &height)?;
    Ok(())
}

fn take_shares(
    storage: &mut dyn Storage,
    pool: u64,
    owner: &Addr,
    amount: u128,
) -> Result<(), ContractError> {
    let held = SHARES.may_load(storage, (pool, owner))?.unwrap_or(0);
    if amount == 0 || held < amount {
        return Err(ContractError::NotEnoughShares {
            owner: owner.to_string(),
            pool,
            held,
            wanted: amount,
        });
    }
    if held == amount {
        SHARES.remove(storage, (pool, owner));
    } else {
        SHARES.save(storage, (pool, owner), &(held - amount))?;
    }
    Ok(())
}

fn remove_liquidity(
    deps: DepsMut,
    cfg: &Config,
    info: &MessageInfo,
    height: u64,
    id: u64,
    shares: u128,
    (min_base, min_quote): (u128, u128),
) -> Result<Response, ContractError> {
    no_funds(info)?;
    if LAST_ADD.may_load(deps.storage, (id, &info.sender))? == Some(height) {
        return Err(ContractError::SameBlockRemoval);
    }
    let mut pool = load_pool(deps.storage, id)?;
    take_shares(deps.storage, id, &info.sender, shares)?;
    let base = mul_div(shares, pool.base, pool.shares)?;
    let quote = mul_div(shares, pool.quote, pool.shares)?;
    if base < min_base || quote < min_quote {
        return Err(ContractError::BelowMinimum { base, quote });
    }
    // The locked shares keep both reserves above zero.
    pool.base -= base;
    pool.quote -= quote;
    pool.shares -= shares;
    POOLS.save(deps.storage, id, &pool)?;
    let pay = [
        send(&info.sender, &cfg.base_denom, base),
        send(&info.sender, &pool.quote_denom, quote),
    ];
    Ok(Response::new()
        .add_messages(pay.into_iter().flatten())
        .add_event(
            Event::new("amm_remove_liquidity")
                .add_attribute("pool", id.to_string())
                .add_attribute("base", base.to_string())
                .add_attribute("quote", quote.to_string())
                .add_attribute("shares", shares.to_string()),
        ))
}

fn queue_swap(
    deps: DepsMut,
    cfg: &Config,
    info: &MessageInfo,
    height: u64,
    id: u64,
    min_out: u128,
    deadline: Option<u64>,
) -> Result<Response, ContractError> {
    let mut pool = load_pool(deps.storage, id)?;
    if pool.halted_until > height {
        return Err(ContractError::Halted {
            pool: id,
            until: pool.halted_until,
        });
    }
    if let Some(d) = deadline.filter(|d| *d < height) {
        return Err(ContractError::DeadlinePassed(d));
    }
    let [coin] = info.funds.as_slice() else {
        return Err(ContractError::WrongFunds(format!(
            "one coin: {} or {}",
            cfg.base_denom, pool.quote_denom
        )));
    };
    let amount = coin_amount(coin)?;
    let offer_base = admit(cfg, &pool, &coin.denom, amount)?;
    let after = admit_to_batch(cfg, &pool, offer_base, amount)?;
    if offer_base {
        pool.pending_base_in = after;
    } else {
        pool.pending_quote_in = after;
    }
    let seq = pool.next_seq;
    pool.next_seq += 1;
    if pool.queued == 0 {
        DIRTY.save(deps.storage, id, &())?;
    }
    pool.queued += 1;
    QUEUE.save(
        deps.storage,
        (id, seq),
        &Queued {
            trader: info.sender.clone(),
            offer_base,
            amount,
            min_out,
            deadline,
        },
    )?;
    POOLS.save(deps.storage, id, &pool)?;
    Ok(Response::new().add_event(
        Event::new("amm_swap_queued")
            .add_attribute("pool", id.to_string())
            .add_attribute("seq", seq.to_string())
            .add_attribute("trader", info.sender.as_str())
            .add_attribute("offer", coin.to_string())
            .add_attribute("min_out", min_out.to_string()),
    ))
}

#[entry_point]
pub fn sudo(deps: DepsMut, env: Env, msg: SudoMsg) -> Result<Response, ContractError> {
    match msg {
        SudoMsg::EndBlock {} => end_block(deps, env.block.height),
    }
}

/// Clears the queued swaps of up to [`MAX_POOLS_PER_BLOCK`] pools, in turn from where the last
/// block stopped (so no pool waits behind lower-numbered busy ones for more than a few blocks).
fn end_block(deps: DepsMut, height: u64) -> Result<Response, ContractError> {
    let cfg = CONFIG.load(deps.storage)?;
    let cursor = CLEAR_CURSOR.may_load(deps.storage)?.unwrap_or(0);
    let mut dirty: Vec<u64> = DIRTY
        .keys(
            deps.storage,
            Some(Bound::inclusive(cursor)),
            None,
            Order::Ascending,
        )
        .take(MAX_POOLS_PER_BLOCK)
        .collect::<StdResult<_>>()?;
    if dirty.len() < MAX_POOLS_PER_BLOCK {
        let wrapped: Vec<u64> = DIRTY
            .keys(
                deps.storage,
                None,
                Some(Bound::exclusive(cursor)),
                Order::Ascending,
            )
            .take(MAX_POOLS_PER_BLOCK - dirty.len())
            .collect::<StdResult<_>>()?;
        dirty.extend(wrapped);
    }
    let mut resp = Response::new();
    for &id in &dirty {
        DIRTY.remove(deps.storage, id);
        let (msgs, event) = clear_pool(deps.storage, &cfg, id, height)?;
        resp = resp.add_messages(msgs).add_event(event);
    }
    if let Some(last) = dirty.last() {
        CLEAR_CURSOR.save(deps.storage, &(last + 1))?;
    }
    Ok(resp)
}

/// Clears pool `id`'s queued swaps. Nothing is written before every fallible step is done: if
/// clearing fails (an amount beyond the pool's arithmetic), the swaps are refunded instead, so
/// one pool can never stall the others' clearing or its own next block.
fn clear_pool(
    storage: &mut dyn Storage,
    cfg: &Config,
    id: u64,
    height: u64,
) -> Result<(Vec<BankMsg>, Event), ContractError> {
    let mut pool = load_pool(storage, id)?;
    let (seqs, swaps): (Vec<u64>, Vec<Queued>) = QUEUE
        .prefix(id)
        .range(storage, None, None, Order::Ascending)
        .collect::<StdResult<Vec<_>>>()?
        .into_iter()
        .unzip();
    accrue(&mut pool, height);
    // The coin a swap offered (its refund) is `denom(offer_base)`; what it gets, the other.
    let denom = |base: bool| {
        if base {
            cfg.base_denom.as_str()
        } else {
            pool.quote_denom.as_str()
        }
    };
    let refund = |s: &Queued| send(&s.trader, denom(s.offer_base), s.amount);
    let mut event = Event::new("amm_clear")
        .add_attribute("pool", id.to_string())
        .add_attribute("swaps", swaps.len().to_string());
    let mut msgs: Vec<BankMsg> = Vec::new();
    let mut moved = None;
    match plan(storage, cfg, &pool, &swaps, height) {
        Err(e) => {
            msgs.extend(swaps.iter().filter_map(refund));
            event = event.add_attribute("failed", e.to_string());
        }
        Ok(Plan::Tripped { clearing, twap }) => {
            // The circuit breaker: nothing trades, everything is returned, the pool rests.
            msgs.extend(swaps.iter().filter_map(refund));
            moved = Some((
                pool.base,
                pool.quote,
                pool.price,
                height + cfg.params.cooldown_blocks,
            ));
            event = event
                .add_attribute("breaker", "tripped")
                .add_attribute("clearing_price", clearing.to_string())
                .add_attribute("twap", twap.to_string())
                .add_attribute(
                    "halted_until",
                    (height + cfg.params.cooldown_blocks).to_string(),
                );
        }
        Ok(Plan::Clear {
            outcome,
            clearing,
            new_price,
        }) => {
            msgs.extend(outcome.refunds.iter().filter_map(|&i| refund(&swaps[i])));
            for &(i, out) in &outcome.fills {
                let s = &swaps[i];
                msgs.extend(send(&s.trader, denom(!s.offer_base), out));
            }
            if let Some(c) = clearing {
                event = event.add_attribute("clearing_price", c.to_string());
            }
            event = event
                .add_attribute("filled", outcome.fills.len().to_string())
                .add_attribute("refunded", outcome.refunds.len().to_string());
            moved = Some((outcome.base, outcome.quote, new_price, pool.halted_until));
        }
    }
    if let Some((base, quote, new_price, halted_until)) = moved {
        pool.base = base;
        pool.quote = quote;
        pool.halted_until = halted_until;
        if new_price != pool.price {
            pool.price = new_price;
            record(storage, &pool, height)?;
        }
    }
    for seq in seqs {
        QUEUE.remove(storage, (id, seq));
    }
    pool.queued = 0;
    pool.pending_base_in = 0;
    pool.pending_quote_in = 0;
    POOLS.save(storage, id, &pool)?;
    Ok((msgs, event))
}

enum Plan {
    Clear {
        outcome: crate::clearing::Outcome,
        /// The clearing price (scaled), when anything filled.
        clearing: Option<u128>,
        new_price: u128,
    },
    Tripped {
        clearing: u128,
        twap: u128,
    },
}

/// What clearing would do, computed without writing anything.
fn plan(
    storage: &dyn Storage,
    cfg: &Config,
    pool: &Pool,
    swaps: &[Queued],
    height: u64,
) -> Result<Plan, ContractError> {
    let p = &cfg.params;
    let outcome = clear(pool.base, pool.quote, p.swap_fee_bps, swaps, height)?;
    // P = num / den quote per base, scaled as every price here.
    let clearing = outcome
        .price
        .map(|(num, den)| price(den, num))
        .transpose()?;
    if let Some(c) = clearing {
        let (reference, covered) = twap(storage, pool, height, p.twap_blocks)?;
        if covered > 0 && outside_band(c, reference, p.band_bps) {
            return Ok(Plan::Tripped {
                clearing: c,
                twap: reference,
            });
        }
    }
    let new_price = price(outcome.base, outcome.quote)?;
    Ok(Plan::Clear {
        outcome,
        clearing,
        new_price,
    })
}

#[entry_point]
pub fn query(deps: Deps, env: Env, msg: QueryMsg) -> Result<Binary, ContractError> {
    let cfg = CONFIG.load(deps.storage)?;
    Ok(match msg {
        QueryMsg::Config {} => to_json_binary(&ConfigResponse {
            governance: cfg.governance.to_string(),
            base_denom: cfg.base_denom,
            params: cfg.params,
        })?,
        QueryMsg::Pool { pool } => {
            to_json_binary(&pool_response(&cfg, &load_pool(deps.storage, pool)?))?
        }
        QueryMsg::PoolByDenom { denom } => {
            let id = POOL_BY_DENOM
                .may_load(deps.storage, &denom)?
                .ok_or(ContractError::NoPoolOfDenom(denom))?;
            to_json_binary(&pool_response(&cfg, &load_pool(deps.storage, id)?))?
        }
        QueryMsg::Pools { start_after, limit } => {
            let limit = limit.unwrap_or(MAX_LIMIT).min(MAX_LIMIT) as usize;
            let pools = POOLS
                .range(
                    deps.storage,
                    start_after.map(Bound::exclusive),
                    None,
                    Order::Ascending,
                )
                .take(limit)
                .map(|r| r.map(|(_, p)| pool_response(&cfg, &p)))
                .collect::<StdResult<_>>()?;
            to_json_binary(&PoolsResponse { pools })?
        }
        QueryMsg::Shares { pool, owner } => {
            let owner = deps.api.addr_validate(&owner)?;
            let shares = SHARES.may_load(deps.storage, (pool, &owner))?.unwrap_or(0);
            to_json_binary(&SharesResponse {
                shares: U128(shares),
            })?
        }
        QueryMsg::Twap { pool, window } => {
            let p = load_pool(deps.storage, pool)?;
            let (price, window) = twap(deps.storage, &p, env.block.height, window)?;
            to_json_binary(&TwapResponse {
                price: U128(price),
                window,
            })?
        }
        QueryMsg::Pending { pool } => {
            let swaps = QUEUE
                .prefix(pool)
                .range(deps.storage, None, None, Order::Ascending)
                .take(MAX_SWAPS_PER_POOL)
                .map(|r| {
                    r.map(|(seq, s)| PendingSwap {
                        seq,
                        trader: s.trader.to_string(),
                        offer_base: s.offer_base,
                        amount: U128(s.amount),
                        min_out: U128(s.min_out),
                        deadline: s.deadline,
                    })
                })
                .collect::<StdResult<_>>()?;
            to_json_binary(&PendingResponse { swaps })?
        }
        QueryMsg::Quote {
            pool,
            offer_denom,
            amount,
        } => to_json_binary(&quote(deps, &env, &cfg, pool, &offer_denom, amount.0)?)?,
    })
}

/// The checks of one swap alone (its denom, a nonzero amount, `max_swap_bps`); whether it
/// offers the base.
fn admit(cfg: &Config, pool: &Pool, denom: &str, amount: u128) -> Result<bool, ContractError> {
    let offer_base = denom == cfg.base_denom;
    if (!offer_base && denom != pool.quote_denom) || amount == 0 {
        return Err(ContractError::WrongFunds(format!(
            "one coin: {} or {}",
            cfg.base_denom, pool.quote_denom
        )));
    }
    let reserve = if offer_base { pool.base } else { pool.quote };
    let max_swap = mul_div(reserve, u128::from(cfg.params.max_swap_bps), BPS)?;
    if amount > max_swap {
        return Err(ContractError::SwapTooLarge {
            max: max_swap,
            bps: cfg.params.max_swap_bps,
        });
    }
    Ok(offer_base)
}

/// The checks of one more swap in the pool's batch (`MAX_SWAPS_PER_POOL` swaps, `max_block_bps`
/// of the reserve per side); the side's queued input with it.
fn admit_to_batch(
    cfg: &Config,
    pool: &Pool,
    offer_base: bool,
    amount: u128,
) -> Result<u128, ContractError> {
    if pool.queued as usize >= MAX_SWAPS_PER_POOL {
        return Err(ContractError::BatchFull(MAX_SWAPS_PER_POOL));
    }
    let (reserve, pending) = if offer_base {
        (pool.base, pool.pending_base_in)
    } else {
        (pool.quote, pool.pending_quote_in)
    };
    let bps = cfg.params.max_block_bps;
    let max = mul_div(reserve, u128::from(bps), BPS)?;
    let after = add(pending, amount)?;
    if after > max {
        return Err(ContractError::BlockVolumeFull {
            pool: pool.id,
            max,
            bps,
        });
    }
    Ok(after)
}

/// Clears the pool's queued swaps with one more of `amount` `offer_denom`, on a copy, as the
/// next block would: the swap's admission checks first (the same errors a swap gets), then the
/// clearing with the circuit breaker.
fn quote(
    deps: Deps,
    env: &Env,
    cfg: &Config,
    id: u64,
    offer_denom: &str,
    amount: u128,
) -> Result<QuoteResponse, ContractError> {
    let pool = load_pool(deps.storage, id)?;
    // A query reads the last committed block; a swap sent now lands in the next one.
    let height = env.block.height + 1;
    let offer_base = admit(cfg, &pool, offer_denom, amount)?;
    admit_to_batch(cfg, &pool, offer_base, amount)?;
    let mut swaps: Vec<Queued> = QUEUE
        .prefix(id)
        .range(deps.storage, None, None, Order::Ascending)
        .take(MAX_SWAPS_PER_POOL)
        .map(|r| r.map(|(_, s)| s))
        .collect::<StdResult<_>>()?;
    let queued = swaps.len() as u32;
    let nothing = |price| QuoteResponse {
        out: U128(0),
        price: U128(price),
        queued,
    };
    if pool.halted_until > height {
        return Ok(nothing(pool.price));
    }
    swaps.push(Queued {
        trader: Addr::unchecked("quote"),
        offer_base,
        amount,
        min_out: 0,
        deadline: None,
    });
    let mine = swaps.len() - 1;
    Ok(match plan(deps.storage, cfg, &pool, &swaps, height)? {
        // The breaker would refund the whole batch.
        Plan::Tripped { .. } => nothing(pool.price),
        Plan::Clear {
            outcome, clearing, ..
        } => QuoteResponse {
            out: U128(
                outcome
                    .fills
                    .iter()
                    .find(|(i, _)| *i == mine)
                    .map_or(0, |(_, o)| *o),
            ),
            price: U128(clearing.unwrap_or(pool.price)),
            queued,
        },
    })
}

fn pool_response(cfg: &Config, p: &Pool) -> PoolResponse {
    PoolResponse {
        id: p.id,
        base_denom: cfg.base_denom.clone(),
        quote_denom: p.quote_denom.clone(),
        base_reserve: U128(p.base),
        quote_reserve: U128(p.quote),
        total_shares: U128(p.shares),
        price: U128(p.price),
        halted_until: p.halted_until,
    }
}
