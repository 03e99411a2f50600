//! Delegations as shares of a validator's tokens: the share arithmetic, adding and removing
//! stake, and the delegation indexes both ways.

use super::error::*;
use super::keys::*;
use super::params::*;
use super::validators::*;
use crate::modules::bank::{self};
use crate::state::codec::*;
use crate::state::corrupt;
use crate::state::math::*;
use crate::state::{Kv, StateError, StateRead};
use proof_sdk::{Address, Coin};

pub fn delegation_shares(kv: &mut dyn Kv, del: &Address, op: &Address) -> Result<u128, StateError> {
    get_u128(kv, &del_key(op, del))
}

pub(crate) fn set_delegation(
    kv: &mut dyn Kv,
    del: &Address,
    op: &Address,
    shares: u128,
) -> Result<(), StateError> {
    let index = [DEL_INDEX_PREFIX, &lp(del), &lp(op)].concat();
    if shares == 0 {
        kv.kv_delete(del_key(op, del))?;
        kv.kv_delete(index)
    } else {
        kv.kv_put(del_key(op, del), shares.to_be_bytes().to_vec())?;
        kv.kv_put(index, vec![])
    }
}

/// A delegation's shares as stored.
pub fn decode_shares(key: &[u8], value: &[u8]) -> Result<u128, StateError> {
    value
        .try_into()
        .map(u128::from_be_bytes)
        .map_err(|_| corrupt(key, "shares"))
}

/// Delegations to `op`: (delegator, shares), in delegator-address order.
pub fn delegations_to(
    state: &dyn StateRead,
    op: &Address,
) -> Result<Vec<(Address, u128)>, StateError> {
    let prefix = [DEL_PREFIX, &lp(op)].concat();
    state
        .scan_prefix(&prefix)?
        .into_iter()
        .map(|(k, v)| {
            let (del, _) = take_addr(&k[prefix.len()..]).ok_or_else(|| corrupt(&k, "key"))?;
            let shares =
                u128::from_be_bytes(v.as_slice().try_into().map_err(|_| corrupt(&k, "shares"))?);
            Ok((del, shares))
        })
        .collect()
}

/// Delegations of `del`: (validator operator, shares).
pub fn delegations_of(
    state: &dyn StateRead,
    del: &Address,
) -> Result<Vec<(Address, u128)>, StateError> {
    let prefix = [DEL_INDEX_PREFIX, &lp(del)].concat();
    let mut out = Vec::new();
    for k in state.scan_prefix(&prefix)?.into_keys() {
        let (op, _) = take_addr(&k[prefix.len()..]).ok_or_else(|| corrupt(&k, "key"))?;
        let shares = match state.get_raw(&del_key(&op, del))? {
            Some(v) => {
                u128::from_be_bytes(v.as_slice().try_into().map_err(|_| corrupt(&k, "shares"))?)
            }
            None => 0,
        };
        out.push((op, shares));
    }
    Ok(out)
}

/// Adds `amount` tokens to a validator for `del` (the tokens must already be in the bonded
/// pool) and returns the shares issued.
pub(crate) fn add_stake(
    kv: &mut dyn Kv,
    v: &mut Validator,
    del: &Address,
    amount: u128,
) -> Result<u128, StakingError> {
    let shares = if v.shares == 0 {
        // A validator with tokens but no shares (all delegators left, dust remained) is
        // impossible: dust is moved out when the last share goes.
        amount
    } else {
        if v.tokens == 0 {
            return Err(StakingError::InvalidAmount(
                "validator has shares but no tokens (fully slashed)".into(),
            ));
        }
        mul_div(amount, v.shares, v.tokens)?
    };
    if shares == 0 {
        return Err(StakingError::InvalidAmount(format!(
            "{amount} is worth less than one share"
        )));
    }
    v.tokens = v
        .tokens
        .checked_add(amount)
        .ok_or(StakingError::Overflow("tokens"))?;
    v.shares = v
        .shares
        .checked_add(shares)
        .ok_or(StakingError::Overflow("shares"))?;
    let have = delegation_shares(kv, del, &v.operator())?;
    set_delegation(kv, del, &v.operator(), have + shares)?;
    Ok(shares)
}

/// Removes `shares` of `del` from a validator and returns the tokens they were worth (still in
/// the bonded pool; the caller moves them). When the last share goes, leftover dust goes to the
/// development fund.
pub(crate) fn remove_stake(
    kv: &mut dyn PosKv,
    v: &mut Validator,
    del: &Address,
    shares: u128,
) -> Result<u128, StakingError> {
    let op = v.operator();
    let have = delegation_shares(kv, del, &op)?;
    if shares == 0 || shares > have {
        return Err(StakingError::InvalidAmount(format!(
            "cannot remove {shares} shares, delegation has {have}"
        )));
    }
    let tokens = v.tokens_for(shares)?;
    v.tokens -= tokens;
    v.shares -= shares;
    set_delegation(kv, del, &op, have - shares)?;
    if v.shares == 0 && v.tokens > 0 {
        let dust = v.tokens;
        v.tokens = 0;
        let to = dev_fund(kv.as_read())?;
        let denom = bond_denom(kv)?;
        bank::send(kv, &bonded_pool(), &to, &[Coin::new(dust, denom)])?;
    }
    Ok(tokens)
}

/// Shares needed to take `amount` tokens out (rounded up), capped at what the delegation has.
pub(crate) fn shares_for_amount(
    v: &Validator,
    amount: u128,
    have: u128,
) -> Result<u128, StakingError> {
    if v.tokens == 0 {
        return Err(StakingError::InvalidAmount(
            "validator has no tokens".into(),
        ));
    }
    let num = amount
        .checked_mul(v.shares)
        .ok_or(StakingError::Overflow("shares"))?;
    let shares = num.div_ceil(v.tokens);
    if shares > have {
        // Allow asking for the whole delegation's value even if rounding makes it one short.
        if v.tokens_for(have)? >= amount {
            return Ok(have);
        }
        return Err(StakingError::InvalidAmount(format!(
            "delegation is worth {} but {amount} was asked",
            v.tokens_for(have)?
        )));
    }
    Ok(shares)
}

pub fn delegate(
    kv: &mut dyn PosKv,
    del: &Address,
    op: &Address,
    amount: u128,
) -> Result<u128, StakingError> {
    let mut v = must_validator(kv, op)?;
    if amount == 0 {
        return Err(StakingError::InvalidAmount("zero delegation".into()));
    }
    let denom = bond_denom(kv)?;
    bank::send(kv, del, &bonded_pool(), &[Coin::new(amount, denom)])?;
    let shares = add_stake(kv, &mut v, del, amount)?;
    set_validator(kv, &v)?;
    Ok(shares)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn validator(tokens: u128, shares: u128) -> Validator {
        Validator {
            operator: vec![7; 20],
            cons_pubkey: [1; 32],
            moniker: "v".into(),
            tokens,
            shares,
            commission_bps: 0,
            max_commission_bps: 0,
            max_change_bps: 0,
            min_self_delegation: 1,
            jailed: false,
            bonded: true,
            creation_height: 1,
            commission_updated_ns: 0,
        }
    }

    #[test]
    fn shares_are_worth_their_fraction_of_tokens_rounded_down() {
        // After a 10% slash 1000 shares hold 900 tokens.
        let v = validator(900, 1000);
        assert_eq!(v.tokens_for(1000).unwrap(), 900);
        assert_eq!(v.tokens_for(333).unwrap(), 299, "299.7 rounds down");
        assert_eq!(validator(0, 0).tokens_for(5).unwrap(), 0);
    }

    #[test]
    fn withdrawing_takes_shares_rounded_up_so_the_rest_never_lose() {
        let v = validator(900, 1000);
        // 100 tokens are 111.1 shares: 112 are taken, never 111.
        assert_eq!(shares_for_amount(&v, 100, 1000).unwrap(), 112);
        // Asking for the whole delegation's value takes exactly its shares.
        assert_eq!(shares_for_amount(&v, 900, 1000).unwrap(), 1000);
        // More than it is worth is refused.
        assert!(matches!(
            shares_for_amount(&v, 901, 1000),
            Err(StakingError::InvalidAmount(_))
        ));
        assert!(shares_for_amount(&validator(0, 10), 1, 10).is_err());
    }

    #[test]
    fn share_arithmetic_overflow_is_an_error_not_a_wrap() {
        let v = validator(1, u128::MAX);
        assert!(matches!(
            shares_for_amount(&v, 2, u128::MAX),
            Err(StakingError::Overflow(_))
        ));
    }
}
