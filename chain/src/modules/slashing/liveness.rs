//! Liveness: each validator's signing window, jailing for downtime, and unjailing.

use super::evidence::*;
use super::params::*;
use super::signing_info::*;
use crate::modules::staking::*;
use crate::state::codec::*;
use crate::state::math::*;
use proof_sdk::Address;

/// Lets a jailed (not tombstoned) validator back once its jail time is over. Its downtime window
/// restarts now, so blocks it missed while jailed or catching up do not count against it.
pub fn unjail(
    kv: &mut dyn PosKv,
    height: u64,
    now_ns: i64,
    op: &Address,
) -> Result<(), StakingError> {
    let mut v = must_validator(kv, op)?;
    if !v.jailed {
        return Err(StakingError::NotJailed(valoper(op)));
    }
    let mut info = signing_info(kv, &v.cons_address())?.unwrap_or_default();
    if info.tombstoned {
        return Err(StakingError::Tombstoned(valoper(op)));
    }
    if now_ns < info.jailed_until_ns {
        return Err(StakingError::StillJailed(
            valoper(op),
            info.jailed_until_ns,
            now_ns,
        ));
    }
    let own = v.tokens_for(delegation_shares(kv, op, op)?)?;
    if own < v.min_self_delegation.max(1) {
        return Err(StakingError::SelfDelegationTooLow(
            own,
            v.min_self_delegation,
        ));
    }
    v.jailed = false;
    set_validator(kv, &v)?;
    info.start_height = height;
    info.index_offset = 0;
    info.missed_blocks_counter = 0;
    info.missed_bitmap.iter_mut().for_each(|b| *b = 0);
    set_signing_info(kv, &v.cons_address(), &info)?;
    Ok(())
}

/// One entry of the last commit: did the validator sign?
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommitVote {
    pub cons_address: [u8; 20],
    pub power: u64,
    pub signed: bool,
}

/// Tracks who signed the last block; a validator that missed too many of the window is slashed
/// the downtime fraction and jailed for `downtime_jail_secs`.
pub fn handle_votes(
    kv: &mut dyn PosKv,
    height: u64,
    now_ns: i64,
    votes: &[CommitVote],
) -> Result<Vec<Address>, StakingError> {
    let sp = slashing_params(kv.as_read())?;
    let window = sp.signed_blocks_window;
    let max_missed =
        window - mul_div(window as u128, sp.min_signed_per_window_bps as u128, BPS)? as u64;
    let mut jailed = Vec::new();
    for vote in votes {
        let Some(op) = validator_by_cons(kv, &vote.cons_address)? else {
            continue;
        };
        let mut info = signing_info(kv, &vote.cons_address)?.unwrap_or_default();
        let bytes = window.div_ceil(8) as usize;
        if info.missed_bitmap.len() != bytes {
            info.missed_bitmap = vec![0; bytes];
            info.missed_blocks_counter = 0;
        }
        let idx = info.index_offset % window;
        info.index_offset += 1;
        let (byte, bit) = ((idx / 8) as usize, 1u8 << (idx % 8));
        let was = info.missed_bitmap[byte] & bit != 0;
        let missed = !vote.signed;
        match (was, missed) {
            (false, true) => {
                info.missed_bitmap[byte] |= bit;
                info.missed_blocks_counter += 1;
            }
            (true, false) => {
                info.missed_bitmap[byte] &= !bit;
                info.missed_blocks_counter = info.missed_blocks_counter.saturating_sub(1);
            }
            _ => {}
        }
        let v = must_validator(kv, &op)?;
        if height > info.start_height + window
            && info.missed_blocks_counter > max_missed
            && !v.jailed
            && !info.tombstoned
        {
            // The missed blocks were signed (or not) by the set two blocks back.
            let infraction = height.saturating_sub(2);
            slash(
                kv,
                &op,
                infraction,
                vote.power,
                sp.slash_fraction_downtime_bps,
            )?;
            jail(kv, &op)?;
            info.jailed_until_ns = crate::state::after_secs(now_ns, sp.downtime_jail_secs);
            info.missed_blocks_counter = 0;
            info.index_offset = 0;
            info.missed_bitmap = vec![0; bytes];
            jailed.push(op);
        }
        set_signing_info(kv, &vote.cons_address, &info)?;
    }
    Ok(jailed)
}
