//! Double-sign evidence and the slash itself: burning a share of a validator's stake,
//! including what is unbonding or redelegating from it since the infraction.

use super::params::*;
use super::signing_info::*;
use crate::modules::bank::{self};
use crate::modules::staking::keys::*;
use crate::modules::staking::*;
use crate::state::codec::*;
use crate::state::corrupt;
use crate::state::math::*;
use proof_sdk::{Address, Coin};

/// Slashes validator `op` for an infraction at `infraction_height` when it had `power`:
/// `power * POWER_REDUCTION * bps / 10000` uxyz in total, taken first from unbonding entries and
/// redelegations that began at or after the infraction (that stake was at fault too), the rest
/// from the validator's tokens (and so from every delegator pro rata). Returns the amount taken.
pub fn slash(
    kv: &mut dyn PosKv,
    op: &Address,
    infraction_height: u64,
    power: u64,
    bps: u32,
) -> Result<u128, StakingError> {
    let mut v = must_validator(kv, op)?;
    let denom = bond_denom(kv)?;
    let to = dev_fund(kv.as_read())?;
    let bps = bps as u128;
    let mut remaining = mul_div(power as u128 * POWER_REDUCTION, bps, BPS)?;
    let mut taken = 0u128;

    // Unbonding entries from this validator created at or after the infraction.
    let prefix = [UBD_BY_VAL_PREFIX, &lp(op)].concat();
    for k in kv.scan(&prefix)?.into_keys() {
        let (del, _) = take_addr(&k[prefix.len()..]).ok_or_else(|| corrupt(&k, "key"))?;
        let mut entries = unbonding_entries(kv, &del, op)?;
        for e in entries.iter_mut() {
            if e.creation_height < infraction_height || remaining == 0 {
                continue;
            }
            let cut = mul_div(e.initial_balance, bps, BPS)?
                .min(e.balance)
                .min(remaining);
            e.balance -= cut;
            remaining -= cut;
            taken += cut;
            if cut > 0 {
                bank::send(
                    kv,
                    &not_bonded_pool(),
                    &to,
                    &[Coin::new(cut, denom.clone())],
                )?;
            }
        }
        set_unbonding_entries(kv, &del, op, &entries)?;
    }

    // Redelegations away from this validator created at or after the infraction: the moved
    // stake is cut at its new validator.
    let prefix = [RED_BY_SRC_PREFIX, &lp(op)].concat();
    for k in kv.scan(&prefix)?.into_keys() {
        let (del, r) = take_addr(&k[prefix.len()..]).ok_or_else(|| corrupt(&k, "key"))?;
        let (dst, _) = take_addr(r).ok_or_else(|| corrupt(&k, "key"))?;
        let entries = redelegation_entries(kv, &del, op, &dst)?;
        for e in &entries {
            if e.creation_height < infraction_height || remaining == 0 {
                continue;
            }
            let mut vd = must_validator(kv, &dst)?;
            let want = mul_div(e.initial_balance, bps, BPS)?.min(remaining);
            let have = delegation_shares(kv, &del, &dst)?;
            if vd.tokens == 0 || have == 0 || want == 0 {
                continue;
            }
            let shares = mul_div(want, vd.shares, vd.tokens)?
                .min(have)
                .min(e.shares_dst);
            if shares == 0 {
                continue;
            }
            let cut = remove_stake(kv, &mut vd, &del, shares)?;
            set_validator(kv, &vd)?;
            remaining = remaining.saturating_sub(cut);
            taken += cut;
            if cut > 0 {
                bank::send(kv, &bonded_pool(), &to, &[Coin::new(cut, denom.clone())])?;
            }
        }
    }

    // The rest from the validator's own tokens.
    v.tokens = get_validator(kv, op)?.map(|x| x.tokens).unwrap_or(v.tokens);
    let cut = remaining.min(v.tokens);
    if cut > 0 {
        v.tokens -= cut;
        taken += cut;
        bank::send(kv, &bonded_pool(), &to, &[Coin::new(cut, denom)])?;
    }
    set_validator(kv, &v)?;
    Ok(taken)
}

/// A double-sign (or light-client attack) reported by CometBFT.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Evidence {
    pub cons_address: [u8; 20],
    pub height: u64,
    pub power: u64,
}

/// Applies double-sign evidence: slash, jail forever, tombstone. Unknown or already tombstoned
/// validators are skipped (the same evidence can only count once).
pub fn handle_evidence(
    kv: &mut dyn PosKv,
    evidence: &[Evidence],
) -> Result<Vec<(Address, u128)>, StakingError> {
    let sp = slashing_params(kv.as_read())?;
    let mut out = Vec::new();
    for ev in evidence {
        let Some(op) = validator_by_cons(kv, &ev.cons_address)? else {
            continue;
        };
        let mut info = signing_info(kv, &ev.cons_address)?.unwrap_or_default();
        if info.tombstoned {
            continue;
        }
        let cut = slash(
            kv,
            &op,
            ev.height,
            ev.power,
            sp.slash_fraction_double_sign_bps,
        )?;
        jail(kv, &op)?;
        info.tombstoned = true;
        info.jailed_until_ns = i64::MAX;
        set_signing_info(kv, &ev.cons_address, &info)?;
        out.push((op, cut));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::modules::staking::NewValidator;
    use crate::state::{Delta, EmptyState};

    const M: u128 = 1_000_000;

    fn addr(b: u8) -> Address {
        Address::from_bytes(&[b; 20]).unwrap()
    }

    /// A validator with `stake` self-delegated and `del` delegating `delegated`, of which
    /// `unbond` is unbonding since height 5.
    fn setup(kv: &mut Delta<'_>, stake: u128, delegated: u128, unbond: u128) -> (Address, Address) {
        let (op, del) = (addr(1), addr(2));
        crate::modules::auth::get_or_create_account(kv, &op).unwrap();
        crate::modules::staking::create_validator(
            kv,
            (1, 0),
            NewValidator {
                operator: op.clone(),
                cons_pubkey: [9; 32],
                moniker: "v".into(),
                commission_bps: 500,
                max_commission_bps: 2000,
                max_change_bps: 100,
                min_self_delegation: 1,
                self_stake: stake,
            },
            true,
        )
        .unwrap();
        crate::modules::bank::mint(kv, &del, &[Coin::new(delegated, "uxyz")]).unwrap();
        crate::modules::staking::delegate(kv, &del, &op, delegated).unwrap();
        if unbond > 0 {
            crate::modules::staking::undelegate(kv, 5, 0, &del, &op, unbond).unwrap();
        }
        (op, del)
    }

    #[test]
    fn a_slash_takes_the_fraction_from_entries_since_the_infraction_then_from_tokens() {
        let mut kv = Delta::new(&EmptyState);
        let (op, del) = setup(&mut kv, 900 * M, 100 * M, 40 * M);
        let before = must_validator(&mut kv, &op).unwrap();
        assert_eq!(before.tokens, 960 * M);
        // 10% of the 1000 power at height 4: 100 XYZ, 4 of them from the entry created at 5.
        let burned = slash(&mut kv, &op, 4, 1000, 1000).unwrap();
        assert_eq!(burned, 100 * M);
        let entries = unbonding_entries(&mut kv, &del, &op).unwrap();
        assert_eq!(
            entries[0].balance,
            36 * M,
            "10% of the entry's initial balance"
        );
        let after = must_validator(&mut kv, &op).unwrap();
        assert_eq!(after.tokens, 960 * M - 96 * M, "the rest from the tokens");
        assert_eq!(
            after.shares, before.shares,
            "shares stay: each is worth 10% less"
        );
    }

    #[test]
    fn entries_from_before_the_infraction_are_not_slashed() {
        let mut kv = Delta::new(&EmptyState);
        let (op, del) = setup(&mut kv, 900 * M, 100 * M, 40 * M);
        slash(&mut kv, &op, 6, 1000, 1000).unwrap();
        let entries = unbonding_entries(&mut kv, &del, &op).unwrap();
        assert_eq!(entries[0].balance, 40 * M);
        assert_eq!(must_validator(&mut kv, &op).unwrap().tokens, 860 * M);
    }

    #[test]
    fn a_slash_never_takes_more_than_there_is() {
        let mut kv = Delta::new(&EmptyState);
        let (op, _) = setup(&mut kv, 9 * M, M, 0);
        // Power at the infraction claimed far above the stake: capped at the tokens.
        let burned = slash(&mut kv, &op, 4, 1_000_000, 10_000).unwrap();
        assert_eq!(burned, 10 * M);
        assert_eq!(must_validator(&mut kv, &op).unwrap().tokens, 0);
    }
}
