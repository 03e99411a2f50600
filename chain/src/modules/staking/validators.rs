//! Validators: their records, the power index that orders the active set, creation, edits
//! and jailing.

use super::error::*;
use super::keys::*;
use super::params::*;
use crate::state::codec::*;
use crate::state::corrupt;
use crate::state::math::*;
use crate::state::{Kv, StateError};
use borsh::{BorshDeserialize, BorshSerialize};
use proof_sdk::staking::{valoper, VALOPER_PREFIX};
use proof_sdk::Address;
use sha2::{Digest, Sha256};

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Validator {
    /// The operator's account address bytes (shown with the `proofvaloper` prefix).
    pub operator: Vec<u8>,
    /// ed25519 consensus public key.
    pub cons_pubkey: [u8; 32],
    pub moniker: String,
    pub tokens: u128,
    pub shares: u128,
    pub commission_bps: u32,
    pub max_commission_bps: u32,
    pub max_change_bps: u32,
    pub min_self_delegation: u128,
    pub jailed: bool,
    /// In the active set the app last sent to CometBFT.
    pub bonded: bool,
    pub creation_height: u64,
    /// Block time (ns) of the last commission change (creation counts as one).
    pub commission_updated_ns: i64,
}

impl Validator {
    pub fn power(&self) -> u64 {
        u64::try_from(self.tokens / POWER_REDUCTION).unwrap_or(i64::MAX as u64)
    }

    pub fn cons_address(&self) -> [u8; 20] {
        cons_address(&self.cons_pubkey)
    }

    pub fn operator(&self) -> Address {
        // Stored from a parsed address, so always 20 or 32 bytes.
        Address::from_bytes(&self.operator).unwrap_or_else(|_| Address::module("invalid"))
    }

    /// Tokens `shares` of this validator are worth (rounded down).
    pub fn tokens_for(&self, shares: u128) -> Result<u128, StakingError> {
        if self.shares == 0 {
            return Ok(0);
        }
        Ok(mul_div(shares, self.tokens, self.shares)?)
    }
}

/// CometBFT's validator address: the first 20 bytes of SHA-256 of the ed25519 key.
pub fn cons_address(pubkey: &[u8; 32]) -> [u8; 20] {
    let d = Sha256::digest(pubkey);
    let mut a = [0u8; 20];
    a.copy_from_slice(&d[..20]);
    a
}

pub fn parse_valoper(s: &str) -> Result<Address, proof_sdk::address::AddressError> {
    Address::from_bech32(s, VALOPER_PREFIX)
}

pub fn get_validator(kv: &mut dyn Kv, op: &Address) -> Result<Option<Validator>, StateError> {
    get_borsh(kv, &val_key(op))
}

pub(crate) fn must_validator(kv: &mut dyn Kv, op: &Address) -> Result<Validator, StakingError> {
    get_validator(kv, op)?.ok_or_else(|| StakingError::NoValidator(valoper(op)))
}

pub(crate) fn power_index_key(v: &Validator) -> Option<Vec<u8>> {
    (!v.jailed && v.power() > 0).then(|| {
        [
            POWER_INDEX_PREFIX,
            &(u64::MAX - v.power()).to_be_bytes(),
            v.operator.as_slice(),
        ]
        .concat()
    })
}

/// Stores `v` and keeps its place in the power index.
pub fn set_validator(kv: &mut dyn Kv, v: &Validator) -> Result<(), StateError> {
    let key = val_key(&v.operator());
    let old: Option<Validator> = get_borsh(kv, &key)?;
    let (was, now) = (old.as_ref().and_then(power_index_key), power_index_key(v));
    if was != now {
        if let Some(k) = was {
            kv.kv_delete(k)?;
        }
        if let Some(k) = now {
            kv.kv_put(k, vec![])?;
        }
    }
    put_borsh(kv, key, v)
}

/// A validator record as stored under [`VALIDATORS_PREFIX`].
pub fn decode_validator(key: &[u8], value: &[u8]) -> Result<Validator, StateError> {
    borsh::from_slice(value).map_err(|e| corrupt(key, e))
}

pub fn validator_by_cons(kv: &mut dyn Kv, cons: &[u8]) -> Result<Option<Address>, StateError> {
    let key = [CONS_PREFIX, cons].concat();
    match kv.kv_get(&key)? {
        Some(b) => Ok(Some(Address::from_bytes(&b).map_err(|e| corrupt(&key, e))?)),
        None => Ok(None),
    }
}

pub fn jail(kv: &mut dyn PosKv, op: &Address) -> Result<(), StakingError> {
    let mut v = must_validator(kv, op)?;
    v.jailed = true;
    set_validator(kv, &v)?;
    Ok(())
}
