//! Balances and supply. Amounts are u128 (big-endian in state); zero balances are deleted so
//! state holds no dust entries and `AllBalances` lists only what an account has.

use std::collections::BTreeMap;

use proof_sdk::{Address, Coin};
use thiserror::Error;

use super::keys;
use crate::modules::auth;
use crate::state::{Kv, StateError, StateRead};

#[derive(Debug, Error)]
pub enum BankError {
    #[error("insufficient funds: {address} has {available}{denom}, needs {needed}{denom}")]
    InsufficientFunds {
        address: String,
        denom: String,
        available: u128,
        needed: u128,
    },
    #[error("supply of {0} would overflow")]
    Overflow(String),
    #[error(transparent)]
    State(#[from] StateError),
}

fn decode_amount(key: &str, raw: &[u8]) -> Result<u128, StateError> {
    Ok(u128::from_be_bytes(raw.try_into().map_err(|_| {
        StateError::Corrupt {
            key: key.into(),
            reason: "amount".into(),
        }
    })?))
}

pub fn balance(kv: &mut dyn Kv, addr: &Address, denom: &str) -> Result<u128, StateError> {
    match kv.kv_get(&keys::balance(addr, denom))? {
        Some(raw) => decode_amount(denom, &raw),
        None => Ok(0),
    }
}

fn set_balance(
    kv: &mut dyn Kv,
    addr: &Address,
    denom: &str,
    amount: u128,
) -> Result<(), StateError> {
    let key = keys::balance(addr, denom);
    if amount == 0 {
        kv.kv_delete(key)
    } else {
        kv.kv_put(key, amount.to_be_bytes().to_vec())
    }
}

/// A balance or supply entry: the denom is the key's rest after its prefix.
pub fn decode_coin(denom: &[u8], value: &[u8]) -> Result<Coin, StateError> {
    let denom = String::from_utf8_lossy(denom).to_string();
    let amount = decode_amount(&denom, value)?;
    Ok(Coin { denom, amount })
}

/// Every balance of `addr`, lazily in denom order.
pub fn balances_iter<'a>(
    state: &'a dyn StateRead,
    addr: &Address,
) -> Result<impl Iterator<Item = Result<Coin, StateError>> + 'a, StateError> {
    let prefix = keys::balances_of(addr);
    let n = prefix.len();
    Ok(state
        .prefix_iter(&prefix, crate::state::Order::Ascending)?
        .map(move |e| e.and_then(|(k, v)| decode_coin(&k[n..], &v))))
}

/// Every balance of `addr`. An account holds a denom only by receiving it, so this is bounded
/// by paid transfers; free readers (queries) page instead.
pub fn all_balances(state: &dyn StateRead, addr: &Address) -> Result<Vec<Coin>, StateError> {
    balances_iter(state, addr)?.collect()
}

pub fn supply(state: &dyn StateRead, denom: &str) -> Result<u128, StateError> {
    match state.get_raw(&keys::supply(denom))? {
        Some(raw) => decode_amount(denom, &raw),
        None => Ok(0),
    }
}

/// The supply of every denom (bounded by the denoms minted; queries page instead).
pub fn total_supply(state: &dyn StateRead) -> Result<Vec<Coin>, StateError> {
    state
        .prefix_iter(keys::SUPPLY_PREFIX, crate::state::Order::Ascending)?
        .map(|e| e.and_then(|(k, v)| decode_coin(&k[keys::SUPPLY_PREFIX.len()..], &v)))
        .collect()
}

pub fn sub_coins(kv: &mut dyn Kv, addr: &Address, coins: &[Coin]) -> Result<(), BankError> {
    for c in coins {
        let have = balance(kv, addr, &c.denom)?;
        if have < c.amount {
            return Err(BankError::InsufficientFunds {
                address: addr.to_string(),
                denom: c.denom.clone(),
                available: have,
                needed: c.amount,
            });
        }
        set_balance(kv, addr, &c.denom, have - c.amount)?;
    }
    Ok(())
}

/// Credits coins, creating the recipient's account if this is the first time it sees funds.
pub fn add_coins(kv: &mut dyn Kv, addr: &Address, coins: &[Coin]) -> Result<(), BankError> {
    auth::get_or_create_account(kv, addr)?;
    for c in coins {
        let have = balance(kv, addr, &c.denom)?;
        // Cannot overflow while total supply fits in u128, but never trust that silently.
        let new = have
            .checked_add(c.amount)
            .ok_or_else(|| BankError::Overflow(c.denom.clone()))?;
        set_balance(kv, addr, &c.denom, new)?;
    }
    Ok(())
}

pub fn send(
    kv: &mut dyn Kv,
    from: &Address,
    to: &Address,
    coins: &[Coin],
) -> Result<(), BankError> {
    sub_coins(kv, from, coins)?;
    add_coins(kv, to, coins)
}

/// A denom's supply key and amount.
fn supply_entry(kv: &mut dyn Kv, denom: &str) -> Result<(Vec<u8>, u128), StateError> {
    let key = keys::supply(denom);
    let cur = match kv.kv_get(&key)? {
        Some(raw) => decode_amount(denom, &raw)?,
        None => 0,
    };
    Ok((key, cur))
}

/// Creates new coins (genesis, and later emission). The only way supply grows.
pub fn mint(kv: &mut dyn Kv, to: &Address, coins: &[Coin]) -> Result<(), BankError> {
    for c in coins {
        let (key, cur) = supply_entry(kv, &c.denom)?;
        let new = cur
            .checked_add(c.amount)
            .ok_or_else(|| BankError::Overflow(c.denom.clone()))?;
        kv.kv_put(key, new.to_be_bytes().to_vec())?;
    }
    add_coins(kv, to, coins)
}

/// Destroys coins held by `from` (ICS-20 vouchers leaving the chain). The only way supply
/// shrinks.
pub fn burn(kv: &mut dyn Kv, from: &Address, coins: &[Coin]) -> Result<(), BankError> {
    sub_coins(kv, from, coins)?;
    for c in coins {
        let (key, cur) = supply_entry(kv, &c.denom)?;
        // The holder had them, so supply covers them; a shortfall is corrupt state.
        let new = cur
            .checked_sub(c.amount)
            .ok_or_else(|| StateError::Corrupt {
                key: c.denom.clone(),
                reason: "supply below a balance".into(),
            })?;
        if new == 0 {
            kv.kv_delete(key)?;
        } else {
            kv.kv_put(key, new.to_be_bytes().to_vec())?;
        }
    }
    Ok(())
}

/// Sums coin lists by denom (sorted by denom).
pub fn sum_coins<'a>(lists: impl IntoIterator<Item = &'a Coin>) -> Result<Vec<Coin>, BankError> {
    let mut acc: BTreeMap<String, u128> = BTreeMap::new();
    for c in lists {
        let e = acc.entry(c.denom.clone()).or_default();
        *e = e
            .checked_add(c.amount)
            .ok_or_else(|| BankError::Overflow(c.denom.clone()))?;
    }
    Ok(acc
        .into_iter()
        .map(|(denom, amount)| Coin { denom, amount })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::Delta;
    use crate::store::{Pruning, Store};

    #[test]
    fn send_moves_funds_and_creates_accounts() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), Pruning::default()).unwrap();
        let mut d = Delta::new(&store);
        let a = Address::from_bytes(&[1; 20]).unwrap();
        let b = Address::from_bytes(&[2; 20]).unwrap();
        mint(&mut d, &a, &[Coin::new(100, "uxyz")]).unwrap();
        send(&mut d, &a, &b, &[Coin::new(40, "uxyz")]).unwrap();
        assert_eq!(balance(&mut d, &a, "uxyz").unwrap(), 60);
        assert_eq!(balance(&mut d, &b, "uxyz").unwrap(), 40);
        assert_eq!(auth::get_account(&mut d, &b).unwrap().unwrap().number, 1);
        let err = send(&mut d, &b, &a, &[Coin::new(41, "uxyz")]).unwrap_err();
        assert!(matches!(
            err,
            BankError::InsufficientFunds {
                available: 40,
                needed: 41,
                ..
            }
        ));
        send(&mut d, &b, &a, &[Coin::new(40, "uxyz")]).unwrap();
        assert!(
            all_balances(&d, &b).unwrap().is_empty(),
            "zero balances are deleted"
        );
        assert_eq!(supply(&d, "uxyz").unwrap(), 100);
    }
}
