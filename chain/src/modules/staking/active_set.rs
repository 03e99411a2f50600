//! The active set: the top validators by power, and the diff sent to CometBFT each block.

use super::error::*;
use super::keys::*;
use super::params::*;
use super::validators::*;
use crate::state::codec::*;
use crate::state::corrupt;
use crate::state::{Delta, Order, StateError, StateRead};
use proof_sdk::Address;
use std::collections::BTreeMap;

/// The active set: unjailed validators with power >= 1, highest power first (operator address
/// breaking ties), at most `max_validators`. Reads only that many entries of the power index.
pub fn active_set(state: &dyn StateRead) -> Result<Vec<Validator>, StateError> {
    let p = params(state)?;
    let mut out = Vec::new();
    for entry in state
        .prefix_iter(POWER_INDEX_PREFIX, Order::Ascending)?
        .take(p.max_validators as usize)
    {
        let (k, _) = entry?;
        let op = k
            .get(POWER_INDEX_PREFIX.len() + 8..)
            .and_then(|b| Address::from_bytes(b).ok())
            .ok_or_else(|| corrupt(&k, "power index key"))?;
        let v = get_borsh(&mut Delta::new(state), &val_key(&op))?
            .ok_or_else(|| corrupt(&k, "indexed validator missing"))?;
        out.push(v);
    }
    Ok(out)
}

/// Recomputes the active set and returns what changed since the last call, as
/// (consensus pubkey, new power) in operator-address order (power 0 = removed).
pub fn apply_validator_set(kv: &mut dyn PosKv) -> Result<Vec<([u8; 32], u64)>, StakingError> {
    let active = active_set(kv.as_read())?;
    let new: BTreeMap<Vec<u8>, u64> = active
        .iter()
        .map(|v| (v.operator.clone(), v.power()))
        .collect();
    let mut old: BTreeMap<Vec<u8>, u64> = BTreeMap::new();
    for (k, v) in kv.scan(LAST_POWER_PREFIX)? {
        let (op, _) = take_addr(&k[LAST_POWER_PREFIX.len()..]).ok_or_else(|| corrupt(&k, "key"))?;
        let p = u64::from_be_bytes(v.as_slice().try_into().map_err(|_| corrupt(&k, "power"))?);
        old.insert(op.as_bytes().to_vec(), p);
    }
    let mut keys: Vec<Vec<u8>> = old.keys().chain(new.keys()).cloned().collect();
    keys.sort();
    keys.dedup();
    let mut updates = Vec::new();
    for op_bytes in keys {
        let (o, n) = (old.get(&op_bytes).copied(), new.get(&op_bytes).copied());
        if o == n {
            continue;
        }
        let op = Address::from_bytes(&op_bytes).map_err(|e| corrupt(&op_bytes, e))?;
        let mut v = must_validator(kv, &op)?;
        let key = [LAST_POWER_PREFIX, &lp(&op)].concat();
        match n {
            Some(p) => {
                kv.kv_put(key, p.to_be_bytes().to_vec())?;
                v.bonded = true;
                updates.push((v.cons_pubkey, p));
            }
            None => {
                kv.kv_delete(key)?;
                v.bonded = false;
                updates.push((v.cons_pubkey, 0));
            }
        }
        set_validator(kv, &v)?;
    }
    Ok(updates)
}

/// The set last sent to CometBFT: (operator, consensus key, power), operator order.
pub fn last_set(state: &dyn StateRead) -> Result<Vec<(Validator, u64)>, StateError> {
    let mut out = Vec::new();
    for (k, v) in state.scan_prefix(LAST_POWER_PREFIX)? {
        let (op, _) = take_addr(&k[LAST_POWER_PREFIX.len()..]).ok_or_else(|| corrupt(&k, "key"))?;
        let p = u64::from_be_bytes(v.as_slice().try_into().map_err(|_| corrupt(&k, "power"))?);
        let val: Validator = match state.get_raw(&val_key(&op))? {
            Some(b) => borsh::from_slice(&b).map_err(|e| corrupt(&k, e))?,
            None => return Err(corrupt(&k, "validator missing")),
        };
        out.push((val, p));
    }
    Ok(out)
}
