//! Unbonding and redelegation entries, their time-ordered queues, and maturing them.

use super::delegations::*;
use super::error::*;
use super::keys::*;
use super::params::*;
use super::validators::*;
use crate::modules::bank::{self};
use crate::state::codec::*;
use crate::state::corrupt;
use crate::state::{Kv, Order, StateError, StateRead};
use borsh::{BorshDeserialize, BorshSerialize};
use proof_sdk::staking::valoper;
use proof_sdk::{Address, Coin};

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct UnbondingEntry {
    pub creation_height: u64,
    pub completion_ns: i64,
    pub initial_balance: u128,
    pub balance: u128,
}

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct RedelegationEntry {
    pub creation_height: u64,
    pub completion_ns: i64,
    pub initial_balance: u128,
    pub shares_dst: u128,
}

pub fn unbonding_entries(
    kv: &mut dyn Kv,
    del: &Address,
    op: &Address,
) -> Result<Vec<UnbondingEntry>, StateError> {
    Ok(get_borsh(kv, &ubd_key(del, op))?.unwrap_or_default())
}

pub(crate) fn set_unbonding_entries(
    kv: &mut dyn Kv,
    del: &Address,
    op: &Address,
    entries: &[UnbondingEntry],
) -> Result<(), StateError> {
    let by_val = [UBD_BY_VAL_PREFIX, &lp(op), &lp(del)].concat();
    if entries.is_empty() {
        kv.kv_delete(ubd_key(del, op))?;
        kv.kv_delete(by_val)
    } else {
        put_borsh(kv, ubd_key(del, op), &entries.to_vec())?;
        kv.kv_put(by_val, vec![])
    }
}

pub fn redelegation_entries(
    kv: &mut dyn Kv,
    del: &Address,
    src: &Address,
    dst: &Address,
) -> Result<Vec<RedelegationEntry>, StateError> {
    Ok(get_borsh(kv, &red_key(del, src, dst))?.unwrap_or_default())
}

pub(crate) fn set_redelegation_entries(
    kv: &mut dyn Kv,
    del: &Address,
    src: &Address,
    dst: &Address,
    entries: &[RedelegationEntry],
) -> Result<(), StateError> {
    let by_src = [RED_BY_SRC_PREFIX, &lp(src), &lp(del), &lp(dst)].concat();
    if entries.is_empty() {
        kv.kv_delete(red_key(del, src, dst))?;
        kv.kv_delete(by_src)
    } else {
        put_borsh(kv, red_key(del, src, dst), &entries.to_vec())?;
        kv.kv_put(by_src, vec![])
    }
}

/// Starts unbonding `amount` tokens of `del`'s delegation to `op`. Returns the completion time
/// and the tokens actually unbonding (the shares' worth, rounded down).
pub fn undelegate(
    kv: &mut dyn PosKv,
    height: u64,
    now_ns: i64,
    del: &Address,
    op: &Address,
    amount: u128,
) -> Result<(i64, u128), StakingError> {
    let p = params(kv.as_read())?;
    let mut v = must_validator(kv, op)?;
    let have = delegation_shares(kv, del, op)?;
    if have == 0 {
        return Err(StakingError::NoDelegation(del.to_string(), valoper(op)));
    }
    if amount == 0 {
        return Err(StakingError::InvalidAmount("zero amount".into()));
    }
    let mut entries = unbonding_entries(kv, del, op)?;
    if entries.len() >= p.max_entries as usize {
        return Err(StakingError::MaxEntries(p.max_entries));
    }
    let shares = shares_for_amount(&v, amount, have)?;
    let tokens = remove_stake(kv, &mut v, del, shares)?;
    jail_below_min_self_delegation(kv, &mut v, del)?;
    set_validator(kv, &v)?;
    let completion = crate::state::after_secs(now_ns, p.unbonding_time_secs);
    if tokens > 0 {
        bank::send(
            kv,
            &bonded_pool(),
            &not_bonded_pool(),
            &[Coin::new(tokens, p.bond_denom)],
        )?;
        entries.push(UnbondingEntry {
            creation_height: height,
            completion_ns: completion,
            initial_balance: tokens,
            balance: tokens,
        });
        set_unbonding_entries(kv, del, op, &entries)?;
        kv.kv_put(
            [UBD_QUEUE_PREFIX, &time_key(completion), &lp(del), &lp(op)].concat(),
            vec![],
        )?;
    }
    Ok((completion, tokens))
}

/// As the SDK: an operator taking its own stake below its `min_self_delegation` is jailed (it
/// stays out of the active set until it tops up and unjails).
pub(crate) fn jail_below_min_self_delegation(
    kv: &mut dyn PosKv,
    v: &mut Validator,
    del: &Address,
) -> Result<(), StakingError> {
    if v.jailed || del.as_bytes() != v.operator.as_slice() {
        return Ok(());
    }
    let own = v.tokens_for(delegation_shares(kv, del, &v.operator())?)?;
    if own < v.min_self_delegation {
        v.jailed = true;
    }
    Ok(())
}

/// Moves `amount` of `del`'s stake from `src` to `dst` at once; the record lets a slash for an
/// infraction of `src` committed before now reach the moved stake until it matures.
pub fn redelegate(
    kv: &mut dyn PosKv,
    height: u64,
    now_ns: i64,
    del: &Address,
    src: &Address,
    dst: &Address,
    amount: u128,
) -> Result<i64, StakingError> {
    if src == dst {
        return Err(StakingError::SelfRedelegation);
    }
    let p = params(kv.as_read())?;
    let mut vs = must_validator(kv, src)?;
    let mut vd = must_validator(kv, dst)?;
    // Stake that arrived at `src` by an immature redelegation cannot hop again (it would escape
    // a slash for the first validator's misbehaviour).
    let prefix = [RED_PREFIX, &lp(del)].concat();
    for k in kv.scan(&prefix)?.into_keys() {
        let rest = &k[prefix.len()..];
        let (_, rest) = take_addr(rest).ok_or_else(|| corrupt(&k, "key"))?;
        let (to, _) = take_addr(rest).ok_or_else(|| corrupt(&k, "key"))?;
        if &to == src {
            return Err(StakingError::TransitiveRedelegation(valoper(src)));
        }
    }
    let have = delegation_shares(kv, del, src)?;
    if have == 0 {
        return Err(StakingError::NoDelegation(del.to_string(), valoper(src)));
    }
    if amount == 0 {
        return Err(StakingError::InvalidAmount("zero amount".into()));
    }
    let mut entries = redelegation_entries(kv, del, src, dst)?;
    if entries.len() >= p.max_entries as usize {
        return Err(StakingError::MaxEntries(p.max_entries));
    }
    let shares = shares_for_amount(&vs, amount, have)?;
    let tokens = remove_stake(kv, &mut vs, del, shares)?;
    jail_below_min_self_delegation(kv, &mut vs, del)?;
    set_validator(kv, &vs)?;
    let shares_dst = add_stake(kv, &mut vd, del, tokens)?;
    set_validator(kv, &vd)?;
    let completion = crate::state::after_secs(now_ns, p.unbonding_time_secs);
    entries.push(RedelegationEntry {
        creation_height: height,
        completion_ns: completion,
        initial_balance: tokens,
        shares_dst,
    });
    set_redelegation_entries(kv, del, src, dst, &entries)?;
    kv.kv_put(
        [
            RED_QUEUE_PREFIX,
            &time_key(completion),
            &lp(del),
            &lp(src),
            &lp(dst),
        ]
        .concat(),
        vec![],
    )?;
    Ok(completion)
}

/// Keys of a `<time><...>` queue whose time is at or before `now_ns`: only those are read, so a
/// long queue of future entries costs a block nothing.
pub(crate) fn due(
    state: &dyn StateRead,
    queue: &[u8],
    now_ns: i64,
) -> Result<Vec<Vec<u8>>, StateError> {
    let after_now = (now_ns.max(0) as u64 + 1).to_be_bytes();
    let end = [queue, after_now.as_slice()].concat();
    state
        .range(queue, Some(&end), Order::Ascending)?
        .map(|e| e.map(|(k, _)| k))
        .collect()
}

/// Pays out unbonding entries and forgets redelegation records whose completion time has come.
pub fn mature(kv: &mut dyn PosKv, now_ns: i64) -> Result<Vec<(Address, u128)>, StakingError> {
    let denom = bond_denom(kv)?;
    let mut paid = Vec::new();
    for k in due(kv.as_read(), UBD_QUEUE_PREFIX, now_ns)? {
        let rest = &k[UBD_QUEUE_PREFIX.len()..];
        let (del, rest2) = take_addr(&rest[8..]).ok_or_else(|| corrupt(&k, "key"))?;
        let (op, _) = take_addr(rest2).ok_or_else(|| corrupt(&k, "key"))?;
        kv.kv_delete(k.clone())?;
        let entries = unbonding_entries(kv, &del, &op)?;
        let (done, left): (Vec<_>, Vec<_>) =
            entries.into_iter().partition(|e| e.completion_ns <= now_ns);
        let total: u128 = done.iter().map(|e| e.balance).sum();
        if total > 0 {
            bank::send(
                kv,
                &not_bonded_pool(),
                &del,
                &[Coin::new(total, denom.clone())],
            )?;
            paid.push((del.clone(), total));
        }
        set_unbonding_entries(kv, &del, &op, &left)?;
    }
    for k in due(kv.as_read(), RED_QUEUE_PREFIX, now_ns)? {
        let rest = &k[RED_QUEUE_PREFIX.len()..];
        let (del, r) = take_addr(&rest[8..]).ok_or_else(|| corrupt(&k, "key"))?;
        let (src, r) = take_addr(r).ok_or_else(|| corrupt(&k, "key"))?;
        let (dst, _) = take_addr(r).ok_or_else(|| corrupt(&k, "key"))?;
        kv.kv_delete(k.clone())?;
        let left: Vec<_> = redelegation_entries(kv, &del, &src, &dst)?
            .into_iter()
            .filter(|e| e.completion_ns > now_ns)
            .collect();
        set_redelegation_entries(kv, &del, &src, &dst, &left)?;
    }
    Ok(paid)
}

/// Unbonding delegations of one (delegator, validator) pair, read-only.
pub fn unbonding_of(
    state: &dyn StateRead,
    del: &Address,
    op: &Address,
) -> Result<Vec<UnbondingEntry>, StateError> {
    match state.get_raw(&ubd_key(del, op))? {
        Some(b) => borsh::from_slice(&b).map_err(|e| corrupt(&ubd_key(del, op), e)),
        None => Ok(vec![]),
    }
}
