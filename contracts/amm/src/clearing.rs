//! One block's swaps of a pool, cleared together at one price.
//!
//! With reserves `x` (base) and `y` (quote) and the block's inputs after the fee, `B` base and
//! `Q` quote, every swap clears at `P = (y + 2Q) / (x + 2B)` quote per base: a base seller with
//! input `b` gets `b·P` quote, a quote seller with input `q` gets `q / P` base (both rounded
//! down). `P` is the one price at which the sides match each other and the pool, taking the net
//! imbalance, ends at marginal price `P` itself: with `Δx = B − Q/P` the new reserves are
//! `x + Δx` and `y − P·Δx`, and `(y − P·Δx) / (x + Δx) = P`. So:
//!
//! * ordering inside a block is worth nothing: every swap of the pool gets `P`;
//! * a sandwich cannot profit, not even across blocks: joining a victim's batch buys at the
//!   price the batch leaves, and selling back later (or in the batch) gets less than that;
//! * `x·y` grows by `P·Δx²` (plus the fee and the rounding): a swap pays its price impact at the
//!   batch's final marginal price rather than on average, about twice a constant-product
//!   trade's, and the difference stays with the LPs (it offsets their impermanent loss).
//!
//! A swap whose limit (`min_out`) the price does not meet is refunded and the price recomputed
//! without it, until every remaining swap is satisfied (each round removes one at least, so at
//! most as many rounds as swaps). Swaps past their deadline are refunded first.

use cosmwasm_std::Uint256;

use crate::error::ContractError;
use crate::math::{add, after_fee, mul_div, product};
use crate::state::Queued;

/// What clearing a block's swaps does to a pool.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// `(index into the swaps, output)` of each filled swap.
    pub fills: Vec<(usize, u128)>,
    /// Indices of the swaps refunded whole.
    pub refunds: Vec<usize>,
    pub base: u128,
    pub quote: u128,
    /// The clearing price as a fraction `num / den` (quote per base); `None` when nothing filled.
    pub price: Option<(u128, u128)>,
}

/// The output of one swap at price `num / den` (quote per base).
fn output(s: &Queued, input: u128, num: u128, den: u128) -> Result<u128, ContractError> {
    if s.offer_base {
        mul_div(input, num, den)
    } else {
        mul_div(input, den, num)
    }
}

/// Pricing rounds at most: each refunds the swaps whose limits the price missed, which moves the
/// price; an adversary can stage limits so that each round drops one, so past this many rounds
/// every swap still live is refunded and the block's clearing stays bounded.
pub const MAX_ROUNDS: usize = 8;

/// Clears `swaps` against reserves `(base, quote)` at `height`.
pub fn clear(
    base: u128,
    quote: u128,
    fee_bps: u32,
    swaps: &[Queued],
    height: u64,
) -> Result<Outcome, ContractError> {
    clear_within(base, quote, fee_bps, swaps, height, MAX_ROUNDS)
}

fn clear_within(
    base: u128,
    quote: u128,
    fee_bps: u32,
    swaps: &[Queued],
    height: u64,
    max_rounds: usize,
) -> Result<Outcome, ContractError> {
    let mut live: Vec<usize> = Vec::with_capacity(swaps.len());
    let mut refunds = Vec::new();
    for (i, s) in swaps.iter().enumerate() {
        if s.deadline.is_some_and(|d| height > d) {
            refunds.push(i);
        } else {
            live.push(i);
        }
    }
    let inputs: Vec<u128> = swaps
        .iter()
        .map(|s| after_fee(s.amount, fee_bps))
        .collect::<Result<_, _>>()?;
    for round in 1.. {
        if round > max_rounds {
            refunds.append(&mut live);
        }
        let (mut b, mut q) = (0u128, 0u128);
        for &i in &live {
            if swaps[i].offer_base {
                b = add(b, inputs[i])?;
            } else {
                q = add(q, inputs[i])?;
            }
        }
        if live.is_empty() {
            refunds.sort_unstable();
            return Ok(Outcome {
                fills: vec![],
                refunds,
                base,
                quote,
                price: None,
            });
        }
        let (num, den) = (add(quote, add(q, q)?)?, add(base, add(b, b)?)?);
        let mut fills = Vec::with_capacity(live.len());
        let mut unmet = Vec::new();
        for &i in &live {
            let out = output(&swaps[i], inputs[i], num, den)?;
            if out == 0 || out < swaps[i].min_out {
                unmet.push(i);
            } else {
                fills.push((i, out));
            }
        }
        if !unmet.is_empty() {
            // Both lists are in index order: the live ones are the fills.
            live = fills.iter().map(|&(i, _)| i).collect();
            refunds.extend(unmet);
            continue;
        }
        let (mut new_base, mut new_quote) = (base, quote);
        for &(i, out) in &fills {
            let s = &swaps[i];
            if s.offer_base {
                new_base = add(new_base, s.amount)?;
                new_quote = new_quote.checked_sub(out).ok_or(ContractError::Overflow)?;
            } else {
                new_quote = add(new_quote, s.amount)?;
                new_base = new_base.checked_sub(out).ok_or(ContractError::Overflow)?;
            }
        }
        if new_base == 0 || new_quote == 0 || product(new_base, new_quote) < product(base, quote) {
            // The algebra above rules this out; refuse rather than let value leave the pool.
            return Err(ContractError::InvariantBroken);
        }
        refunds.sort_unstable();
        return Ok(Outcome {
            fills,
            refunds,
            base: new_base,
            quote: new_quote,
            price: Some((num, den)),
        });
    }
    unreachable!("the rounds end by returning")
}

/// Whether `price` is more than `band_bps` away from `reference`.
pub fn outside_band(price: u128, reference: u128, band_bps: u32) -> bool {
    let diff = Uint256::from(price.abs_diff(reference)) * Uint256::from(crate::math::BPS);
    diff > Uint256::from(reference) * Uint256::from(band_bps)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::Addr;

    fn swap(offer_base: bool, amount: u128, min_out: u128) -> Queued {
        Queued {
            trader: Addr::unchecked("t"),
            offer_base,
            amount,
            min_out,
            deadline: None,
        }
    }

    #[test]
    fn a_lone_swap_pays_its_impact_at_the_final_marginal_price() {
        // 10_000 base in at 0.3%: 9_970 priced, P = 2e6 / (1e6 + 2·9_970), so
        // 9_970 · 2_000_000 / 1_019_940 = 19_550.17 -> 19_550 quote. Uniswap v2's getAmountOut
        // gives 9_970 · 2e6 / 1_009_970 = 19_743: the batch charges the impact twice.
        let o = clear(1_000_000, 2_000_000, 30, &[swap(true, 10_000, 0)], 1).unwrap();
        assert_eq!(o.fills, [(0, 19_550)]);
        assert_eq!((o.base, o.quote), (1_010_000, 1_980_450));
        // The pool ends near the clearing price: 1_980_450 / 1_010_000 = 1.96084 against
        // P = 1.96090 (the fee's 30 base stay in the pool and are not priced).
        let (num, den) = o.price.unwrap();
        assert_eq!((num, den), (2_000_000, 1_019_940));
        // The other way: 20_000 quote -> 19_940 · (1e6) / (2e6 + 2 · 19_940).
        let o = clear(1_000_000, 2_000_000, 30, &[swap(false, 20_000, 0)], 1).unwrap();
        assert_eq!(o.fills, [(0, 19_940 * 1_000_000 / 2_039_880)]);
    }

    #[test]
    fn opposite_swaps_match_at_one_price_and_only_the_net_moves_the_pool() {
        let swaps = [swap(true, 10_000, 0), swap(false, 20_000, 0)];
        let o = clear(1_000_000, 2_000_000, 0, &swaps, 1).unwrap();
        // P = (2e6 + 4e4) / (1e6 + 2e4) = 2 exactly: they cross at the pool's price.
        assert_eq!(o.price, Some((2_040_000, 1_020_000)));
        assert_eq!(o.fills, [(0, 20_000), (1, 10_000)]);
        assert_eq!((o.base, o.quote), (1_000_000, 2_000_000));
    }

    #[test]
    fn a_sandwich_earns_nothing_in_the_block_or_after_it() {
        let (x, y) = (1_000_000u128, 1_000_000u128);
        let front = swap(false, 50_000, 0); // the attacker buys base beside the victim
        let victim = swap(false, 50_000, 0);
        let o = clear(x, y, 30, &[front.clone(), victim], 1).unwrap();
        let bought = o.fills[0].1;
        // ... and sells it back in the next block: less than it paid.
        let back = clear(o.base, o.quote, 30, &[swap(true, bought, 0)], 2).unwrap();
        assert!(
            back.fills[0].1 < 50_000,
            "sold back for {}",
            back.fills[0].1
        );
        // Without any fee, too: the batch's price is the price it leaves.
        let o = clear(x, y, 0, &[front.clone(), swap(false, 50_000, 0)], 1).unwrap();
        let back = clear(o.base, o.quote, 0, &[swap(true, o.fills[0].1, 0)], 2).unwrap();
        assert!(
            back.fills[0].1 < 50_000,
            "sold back for {}",
            back.fills[0].1
        );
        // In one block the attacker buys and sells around the victim: both legs clear at the
        // victim's price, so valued at that price its position only lost the fees.
        let o = clear(
            x,
            y,
            30,
            &[front, swap(false, 50_000, 0), swap(true, 47_000, 0)],
            1,
        )
        .unwrap();
        let (num, den) = o.price.unwrap();
        let base_bought = o.fills[0].1 as i128;
        let quote_back = o.fills[2].1 as i128;
        let delta = quote_back - 50_000 + (base_bought - 47_000) * num as i128 / den as i128;
        assert!(delta < 0, "the sandwich gained {delta}");
    }

    #[test]
    fn an_unmet_limit_is_refunded_and_the_rest_clears_without_it() {
        let swaps = [
            swap(true, 10_000, 0),
            swap(true, 10_000, 30_000), // asks more than any price here gives
            swap(false, 5_000, 0),
        ];
        let o = clear(1_000_000, 2_000_000, 30, &swaps, 1).unwrap();
        assert_eq!(o.refunds, [1]);
        assert_eq!(o.fills.len(), 2);
        let alone = clear(
            1_000_000,
            2_000_000,
            30,
            &[swaps[0].clone(), swaps[2].clone()],
            1,
        )
        .unwrap();
        assert_eq!(o.price, alone.price);
        // Within one round only: the round that found the unmet limit is the last, so every
        // swap is refunded.
        let capped = clear_within(1_000_000, 2_000_000, 30, &swaps, 1, 1).unwrap();
        assert_eq!((capped.refunds, capped.price), (vec![0, 1, 2], None));
        let mut late = swap(true, 10_000, 0);
        late.deadline = Some(4);
        let o = clear(1_000_000, 2_000_000, 30, &[late], 5).unwrap();
        assert_eq!((o.refunds, o.price), (vec![0], None));
    }

    #[test]
    fn the_band_is_measured_from_the_reference() {
        assert!(!outside_band(105, 100, 500));
        assert!(outside_band(106, 100, 500));
        assert!(outside_band(94, 100, 500));
        assert!(!outside_band(95, 100, 500));
    }
}
