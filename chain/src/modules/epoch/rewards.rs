//! Paying an epoch's rewards: the halving emission plus collected fees, split 40/40/10/10,
//! every remainder to the development fund.

use super::activity::*;
use super::params::*;
use super::schedule::*;
use crate::modules::bank;
use crate::modules::staking::{self, StakingError};
use crate::state::corrupt;
use crate::state::math::{mul_div, BPS};
use crate::state::Delta;
use proof_sdk::checkpoint::{Payout, RewardDistribution};
use proof_sdk::{Address, Coin};
use std::collections::BTreeMap;

#[derive(PartialEq, Eq, PartialOrd, Ord, Clone, Copy)]
pub(crate) enum Kind {
    MostActive,
    Commission,
    Delegation,
    Liquidity,
    Development,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::MostActive => "most_active",
            Kind::Commission => "commission",
            Kind::Delegation => "delegation",
            Kind::Liquidity => "liquidity",
            Kind::Development => "development",
        }
    }
}

/// Mints the epoch's emission and pays it, with the collected fees, as the module doc says.
pub fn distribute_rewards(
    kv: &mut Delta<'_>,
    p: &EpochParams,
    now_ns: i64,
) -> Result<RewardDistribution, StakingError> {
    let denom = staking::params(kv)?.bond_denom;
    let genesis = genesis_time(kv)?;
    let emission = p.emission_at(genesis, now_ns);
    let dist = Address::module(DISTRIBUTION);
    if emission > 0 {
        bank::mint(kv, &dist, &[Coin::new(emission, denom.clone())])?;
    }
    let collector = crate::state::accounts::fee_collector();
    let fees = bank::balance(kv, &collector, &denom)?;
    if fees > 0 {
        bank::send(kv, &collector, &dist, &[Coin::new(fees, denom.clone())])?;
    }
    let part = |bps: u32| mul_div(emission, bps as u128, BPS);
    let ma_amount = part(p.most_active_bps)?;
    let val_amount = part(p.validators_bps)?;
    let liq_amount = part(p.liquidity_bps)?;
    // The development share is the rest: its own bps plus the three floor remainders.
    let mut dev_amount = emission - ma_amount - val_amount - liq_amount;

    let mut pay: BTreeMap<(Kind, Vec<u8>), u128> = BTreeMap::new();
    fn add(pay: &mut BTreeMap<(Kind, Vec<u8>), u128>, k: Kind, a: &Address, amt: u128) {
        if amt > 0 {
            *pay.entry((k, a.as_bytes().to_vec())).or_default() += amt;
        }
    }

    let acts = activity(kv)?;
    let winner = most_active(&acts);
    for (a, _) in &acts {
        kv.delete(activity_key(a));
    }
    match &winner {
        Some(w) => add(&mut pay, Kind::MostActive, w, ma_amount),
        None => dev_amount += ma_amount,
    }

    let pool = val_amount
        .checked_add(fees)
        .ok_or(StakingError::Overflow("validator pool"))?;
    let set = staking::last_set(kv)?;
    let total: u128 = set.iter().map(|(v, _)| v.tokens).sum();
    let mut distributed = 0u128;
    if total > 0 {
        for (v, _) in &set {
            let share = mul_div(pool, v.tokens, total)?;
            distributed += share;
            let commission = mul_div(share, v.commission_bps as u128, BPS)?;
            let rest = share - commission;
            let mut to_delegators = 0u128;
            if v.shares > 0 {
                for (d, s) in staking::delegations_to(kv, &v.operator())? {
                    let amt = mul_div(rest, s, v.shares)?;
                    to_delegators += amt;
                    add(&mut pay, Kind::Delegation, &d, amt);
                }
            }
            // The operator keeps the commission and the delegators' rounding remainder.
            add(
                &mut pay,
                Kind::Commission,
                &v.operator(),
                commission + rest - to_delegators,
            );
        }
    }
    dev_amount += pool - distributed;
    add(
        &mut pay,
        Kind::Liquidity,
        &p.liquidity_address()?,
        liq_amount,
    );
    add(
        &mut pay,
        Kind::Development,
        &p.development_address()?,
        dev_amount,
    );

    let mut payouts = Vec::with_capacity(pay.len());
    for ((kind, addr), amount) in pay {
        let to = Address::from_bytes(&addr).map_err(|e| corrupt(&addr, e))?;
        bank::send(kv, &dist, &to, &[Coin::new(amount, denom.clone())])?;
        payouts.push(Payout {
            address: to.to_string(),
            kind: kind.as_str().into(),
            amount,
        });
    }
    Ok(RewardDistribution {
        emission,
        fees,
        most_active: winner.as_ref().map(|w| w.to_string()),
        most_active_amount: if winner.is_some() { ma_amount } else { 0 },
        validators_amount: val_amount,
        liquidity_amount: liq_amount,
        development_amount: dev_amount,
        payouts,
    })
}
