//! The TWAP oracle: Uniswap v2's cumulative price, over block heights.
//!
//! Each pool keeps `cum = Σ price × blocks` up to `cum_height`, where `price` is the end-of-block
//! price: a clearing at height `h` sets the price that counts from `h` on, so a price moved and
//! restored within one block never enters the average, and a price held for one block enters it
//! with weight `1 / window`. An observation `(cum, price)` is stored at each height where the
//! price changed; the accumulator at any height is the last observation at or before it plus its
//! price times the blocks since, so a TWAP over any window reads two entries.

use cosmwasm_std::{Order, Storage, Uint256};

use crate::error::ContractError;
use crate::state::{Observation, Pool, OBSERVATIONS};

/// Observations older than this many blocks are pruned (a TWAP over a longer window starts at
/// the oldest one kept, and says so).
pub const RETAIN_BLOCKS: u64 = 200_000;
/// Observations pruned at most per new one (each is pruned once: bounded, amortised work).
const PRUNE_PER_RECORD: usize = 2;

fn cum_at(obs_height: u64, obs: &Observation, height: u64) -> Uint256 {
    obs.cum + Uint256::from(obs.price) * Uint256::from(height.saturating_sub(obs_height))
}

/// Brings the pool's accumulator up to `height`.
pub fn accrue(pool: &mut Pool, height: u64) {
    if height > pool.cum_height {
        pool.cum += Uint256::from(pool.price) * Uint256::from(height - pool.cum_height);
        pool.cum_height = height;
    }
}

/// Records the pool's accumulator and (new) price at `height`, after [`accrue`].
pub fn record(storage: &mut dyn Storage, pool: &Pool, height: u64) -> Result<(), ContractError> {
    OBSERVATIONS.save(
        storage,
        (pool.id, height),
        &Observation {
            cum: pool.cum,
            price: pool.price,
        },
    )?;
    // Keep the newest observation at or before the cutoff: a window starting there needs it.
    let cutoff = height.saturating_sub(RETAIN_BLOCKS);
    let old: Vec<u64> = OBSERVATIONS
        .prefix(pool.id)
        .keys(storage, None, None, Order::Ascending)
        .take(PRUNE_PER_RECORD + 1)
        .collect::<Result<_, _>>()?;
    for pair in old.windows(2) {
        if pair[1] <= cutoff {
            OBSERVATIONS.remove(storage, (pool.id, pair[0]));
        }
    }
    Ok(())
}

/// The average price over the `window` blocks before `now` and the window actually covered.
pub fn twap(
    storage: &dyn Storage,
    pool: &Pool,
    now: u64,
    window: u64,
) -> Result<(u128, u64), ContractError> {
    let start = now.saturating_sub(window);
    let mut cum_now = pool.cum;
    if now > pool.cum_height {
        cum_now += Uint256::from(pool.price) * Uint256::from(now - pool.cum_height);
    }
    let before = OBSERVATIONS
        .prefix(pool.id)
        .range(
            storage,
            None,
            Some(cw_storage_plus::Bound::inclusive(start)),
            Order::Descending,
        )
        .next()
        .transpose()?;
    let (from, cum_from) = match before {
        Some((h, obs)) => (start, cum_at(h, &obs, start)),
        // Younger than the window (or pruned): from the oldest observation.
        None => match OBSERVATIONS
            .prefix(pool.id)
            .range(storage, None, None, Order::Ascending)
            .next()
            .transpose()?
        {
            Some((h, obs)) => (h, obs.cum),
            None => return Ok((pool.price, 0)),
        },
    };
    let covered = now.saturating_sub(from);
    if covered == 0 {
        return Ok((pool.price, 0));
    }
    let avg = crate::math::narrow((cum_now - cum_from) / Uint256::from(covered))?;
    Ok((avg, covered))
}
