//! Counting a proposal's votes: validators' power, overridden by their delegators' own votes.

use super::keys::*;
use super::params::*;
use crate::modules::staking::{self, StakingError};
use crate::state::codec::PosKv;
use crate::state::corrupt;
use crate::state::math::{mul_div, BPS};
use proof_sdk::Address;

/// Weighs proposal `id`'s votes by the voters' stake in the active set (and deletes them):
/// (tally, passed, vetoed). A voter's power is looked up through its own delegation index, not
/// every validator per vote.
pub(crate) fn tally(
    kv: &mut dyn PosKv,
    id: u64,
    gp: &GovParams,
) -> Result<([u128; 4], bool, bool), StakingError> {
    let set = staking::last_set(kv.as_read())?;
    let bonded: u128 = set.iter().map(|(v, _)| v.tokens).sum();
    let active: std::collections::BTreeMap<Address, &staking::Validator> =
        set.iter().map(|(v, _)| (v.operator(), v)).collect();
    let prefix = [VOTE_PREFIX, &id.to_be_bytes()].concat();
    // Every vote was a paid transaction.
    let votes = kv.scan(&prefix)?;
    let mut tally = [0u128; 4];
    for (vk, opt) in &votes {
        let voter = Address::from_bytes(&vk[prefix.len()..]).map_err(|e| corrupt(vk, e))?;
        let mut power = 0u128;
        for (op, shares) in staking::delegations_of(kv.as_read(), &voter)? {
            if let Some(v) = active.get(&op) {
                power += v.tokens_for(shares)?;
            }
        }
        let i = (opt.first().copied().unwrap_or(1).clamp(1, 4) - 1) as usize;
        tally[i] += power;
        kv.kv_delete(vk.clone())?;
    }
    let [yes, abstain, no, veto] = tally;
    let turnout = yes + abstain + no + veto;
    let quorum = turnout * BPS >= bonded * gp.quorum_bps as u128 && turnout > 0;
    let vetoed = quorum && veto * BPS > turnout * gp.veto_bps as u128;
    let passed =
        quorum && !vetoed && yes * BPS > mul_div(yes + no + veto, gp.threshold_bps as u128, 1)?;
    Ok((tally, passed, vetoed))
}
