//! Activity per fee payer in the open epoch: what the "most active participant" is chosen by.

use crate::state::corrupt;
use crate::state::{Kv, StateError, StateRead};
use borsh::{BorshDeserialize, BorshSerialize};
use proof_sdk::Address;

pub(crate) const ACTIVITY_PREFIX: &[u8] = b"epoch/activity/";

/// Activity of one account in the current epoch: its successful, fee-paying transactions.
#[derive(Clone, Debug, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Activity {
    pub txs: u64,
    pub fees: u128,
}

pub(crate) fn activity_key(a: &Address) -> Vec<u8> {
    [ACTIVITY_PREFIX, a.as_bytes()].concat()
}

/// Counts one successful fee-paying transaction of `payer` (block-level bookkeeping, not
/// charged gas; the executor calls it only for transactions whose messages succeeded).
pub fn record_activity(kv: &mut dyn Kv, payer: &Address, fee: u128) -> Result<(), StateError> {
    if fee == 0 {
        return Ok(());
    }
    let key = activity_key(payer);
    let mut a: Activity = match kv.kv_get(&key)? {
        Some(b) => borsh::from_slice(&b).map_err(|e| corrupt(&key, e))?,
        None => Activity::default(),
    };
    a.txs += 1;
    a.fees = a.fees.saturating_add(fee);
    kv.kv_put(
        key.clone(),
        borsh::to_vec(&a).map_err(|e| corrupt(&key, e))?,
    )
}

/// Activity so far this epoch, by address.
pub fn activity(state: &dyn StateRead) -> Result<Vec<(Address, Activity)>, StateError> {
    state
        .scan_prefix(ACTIVITY_PREFIX)?
        .into_iter()
        .map(|(k, v)| {
            let a = Address::from_bytes(&k[ACTIVITY_PREFIX.len()..]).map_err(|e| corrupt(&k, e))?;
            Ok((a, borsh::from_slice(&v).map_err(|e| corrupt(&k, e))?))
        })
        .collect()
}

/// The most active participant: the most fees paid for successful transactions (the seed's
/// "by volume"), then the most such transactions, then the lowest address bytes.
///
/// Why fees: they are the one measure that costs what it counts. Transfer volume can be faked
/// for free (the same coins back and forth), transaction counts for the minimum fee each, and
/// failed transactions are not activity at all (the executor counts only successes). To win by
/// spending, one must pay more fees than the most active honest account did that epoch; those
/// fees go to validators and delegators, so buying the reward only pays when the reward (40% of
/// the epoch's emission) exceeds that account's fees. `docs/ECONOMICS.md` works the numbers.
pub fn most_active(list: &[(Address, Activity)]) -> Option<Address> {
    list.iter()
        .max_by(|(a, x), (b, y)| {
            x.fees
                .cmp(&y.fees)
                .then(x.txs.cmp(&y.txs))
                .then(b.as_bytes().cmp(a.as_bytes()))
        })
        .map(|(a, _)| a.clone())
}
