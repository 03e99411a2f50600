//! Proof of stake: validators, delegations (as shares of a validator's tokens), unbonding and
//! redelegation entries, the validator set sent to CometBFT, and slashing's effect on stake.
//!
//! Tokens: every delegated uxyz sits in the `bonded_tokens_pool` module account (whether or not
//! its validator is in the active set); tokens that are unbonding sit in
//! `not_bonded_tokens_pool` until their completion time (block time) passes. A validator's
//! `tokens` are shared among its delegators pro rata to their `shares`, so a slash (which lowers
//! `tokens`) reduces every delegator's stake in proportion. Shares are exact integers: the first
//! delegation gets one share per uxyz, later ones `amount * shares / tokens` (rounded down, in
//! favour of the existing delegators). Slashed tokens and rounding dust go to the development
//! fund, so no uxyz is ever created or destroyed here.
//!
//! Records are borsh (canonical) under `staking/` and `slashing/`; params are JSON.

use std::collections::BTreeMap;

use borsh::{BorshDeserialize, BorshSerialize};
use proof_sdk::{Address, Coin};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use thiserror::Error;

use super::bank::{self, BankError};
use super::epoch::EpochParams;
use super::gas::GasMeter;
use super::{Delta, Kv, Metered, Order, StateError, StateRead};
use crate::state::corrupt;

/// uxyz per unit of CometBFT voting power.
pub const POWER_REDUCTION: u128 = 1_000_000;
/// Bech32 prefix of validator operator addresses (the operator's account bytes).
pub use proof_sdk::staking::{bps_dec as bps_to_dec, valoper, VALOPER_PREFIX};
pub const BONDED_POOL: &str = "bonded_tokens_pool";
pub const NOT_BONDED_POOL: &str = "not_bonded_tokens_pool";
/// Fractions are in basis points.
pub const BPS: u128 = 10_000;

pub const PARAMS_KEY: &[u8] = b"staking/params";
pub const SLASHING_PARAMS_KEY: &[u8] = b"slashing/params";
const VAL_PREFIX: &[u8] = b"staking/val/";
const CONS_PREFIX: &[u8] = b"staking/cons/";
const DEL_PREFIX: &[u8] = b"staking/del/"; // <op><del> -> shares
const DEL_INDEX_PREFIX: &[u8] = b"staking/deli/"; // <del><op> -> ()
const UBD_PREFIX: &[u8] = b"staking/ubd/"; // <del><op> -> entries
const UBD_BY_VAL_PREFIX: &[u8] = b"staking/ubdv/"; // <op><del> -> ()
const UBD_QUEUE_PREFIX: &[u8] = b"staking/ubdq/"; // <time><del><op> -> ()
const RED_PREFIX: &[u8] = b"staking/red/"; // <del><src><dst> -> entries
const RED_BY_SRC_PREFIX: &[u8] = b"staking/redv/"; // <src><del><dst> -> ()
const RED_QUEUE_PREFIX: &[u8] = b"staking/redq/"; // <time><del><src><dst> -> ()
const LAST_POWER_PREFIX: &[u8] = b"staking/power/"; // <op> -> u64 power sent to CometBFT
/// Candidates for the active set, best first: `<u64::MAX - power><operator bytes>` -> () for
/// every unjailed validator with power >= 1 (kept by [`set_validator`]), so choosing the set
/// reads `max_validators` entries however many validators exist.
const POWER_INDEX_PREFIX: &[u8] = b"staking/vp/";
const SIGNING_INFO_PREFIX: &[u8] = b"slashing/info/"; // <cons addr> -> SigningInfo

#[derive(Debug, Error)]
pub enum StakingError {
    #[error("validator {0} does not exist")]
    NoValidator(String),
    #[error("validator {0} already exists")]
    ValidatorExists(String),
    #[error("consensus key is already used by validator {0}")]
    PubkeyInUse(String),
    #[error("no delegation from {0} to {1}")]
    NoDelegation(String, String),
    #[error("invalid amount: {0}")]
    InvalidAmount(String),
    #[error("invalid commission: {0}")]
    Commission(String),
    #[error("too many unbonding or redelegation entries for this pair (max {0})")]
    MaxEntries(u32),
    #[error("cannot redelegate to the same validator")]
    SelfRedelegation,
    #[error("redelegation from {0} is blocked: it received a redelegation that has not matured")]
    TransitiveRedelegation(String),
    #[error("validator {0} is not jailed")]
    NotJailed(String),
    #[error("validator {0} is tombstoned and can never be unjailed")]
    Tombstoned(String),
    #[error("validator {0} is jailed until {1} ns (block time is {2})")]
    StillJailed(String, i64, i64),
    #[error("validator's self-delegation {0} is below its minimum {1}")]
    SelfDelegationTooLow(u128, u128),
    #[error("{0}")]
    Invalid(String),
    #[error("arithmetic overflow in {0}")]
    Overflow(&'static str),
    #[error(transparent)]
    Bank(#[from] BankError),
    #[error(transparent)]
    State(#[from] StateError),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct StakingParams {
    pub bond_denom: String,
    /// How long undelegated tokens stay locked (block time).
    pub unbonding_time_secs: u64,
    /// Size of the active set sent to CometBFT (highest power first).
    pub max_validators: u32,
    /// Unbonding / redelegation entries per (delegator, validator) pair.
    pub max_entries: u32,
    pub min_commission_bps: u32,
}

impl Default for StakingParams {
    fn default() -> Self {
        Self {
            bond_denom: proof_sdk::BASE_DENOM.into(),
            unbonding_time_secs: 21 * 24 * 3600,
            max_validators: 100,
            max_entries: 7,
            min_commission_bps: 0,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SlashingParams {
    /// Downtime is judged over the last `signed_blocks_window` blocks.
    pub signed_blocks_window: u64,
    /// A validator must sign at least this fraction of the window.
    pub min_signed_per_window_bps: u32,
    pub downtime_jail_secs: u64,
    pub slash_fraction_double_sign_bps: u32,
    pub slash_fraction_downtime_bps: u32,
}

impl Default for SlashingParams {
    fn default() -> Self {
        Self {
            signed_blocks_window: 100,
            min_signed_per_window_bps: 5000,
            downtime_jail_secs: 600,
            slash_fraction_double_sign_bps: 500,
            slash_fraction_downtime_bps: 100,
        }
    }
}

impl StakingParams {
    pub fn validate(&self) -> Result<(), String> {
        proof_sdk::coin::validate_denom(&self.bond_denom).map_err(|e| e.to_string())?;
        if self.max_validators == 0 || self.max_entries == 0 {
            return Err("max_validators and max_entries must be positive".into());
        }
        if self.min_commission_bps as u128 > BPS {
            return Err("min_commission_bps above 10000".into());
        }
        Ok(())
    }
}

impl SlashingParams {
    pub fn validate(&self) -> Result<(), String> {
        if self.signed_blocks_window == 0 || self.signed_blocks_window > 100_000 {
            return Err("signed_blocks_window must be 1..=100000".into());
        }
        for v in [
            self.min_signed_per_window_bps,
            self.slash_fraction_double_sign_bps,
            self.slash_fraction_downtime_bps,
        ] {
            if v as u128 > BPS {
                return Err("fractions are basis points, at most 10000".into());
            }
        }
        Ok(())
    }
}

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
        mul_div(shares, self.tokens, self.shares)
    }
}

/// CometBFT's validator address: the first 20 bytes of SHA-256 of the ed25519 key.
pub fn cons_address(pubkey: &[u8; 32]) -> [u8; 20] {
    let d = Sha256::digest(pubkey);
    let mut a = [0u8; 20];
    a.copy_from_slice(&d[..20]);
    a
}

/// `a * b / c` rounded down, without intermediate overflow going unnoticed.
pub fn mul_div(a: u128, b: u128, c: u128) -> Result<u128, StakingError> {
    if c == 0 {
        return Ok(0);
    }
    a.checked_mul(b)
        .map(|p| p / c)
        .ok_or(StakingError::Overflow("mul_div"))
}

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

#[derive(Clone, Debug, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct SigningInfo {
    pub start_height: u64,
    pub index_offset: u64,
    pub missed_blocks_counter: u64,
    /// One bit per slot of the signed-blocks window; set = missed.
    pub missed_bitmap: Vec<u8>,
    pub jailed_until_ns: i64,
    pub tombstoned: bool,
}

/// Key-value access that can also scan a prefix (scans are charged per entry when metered).
pub trait PosKv: Kv {
    fn scan(&mut self, prefix: &[u8]) -> Result<BTreeMap<Vec<u8>, Vec<u8>>, StateError>;
    fn as_read(&self) -> &dyn StateRead;
}

impl PosKv for Delta<'_> {
    fn scan(&mut self, prefix: &[u8]) -> Result<BTreeMap<Vec<u8>, Vec<u8>>, StateError> {
        self.scan_prefix(prefix)
    }
    fn as_read(&self) -> &dyn StateRead {
        self
    }
}

impl PosKv for Metered<'_, '_> {
    fn scan(&mut self, prefix: &[u8]) -> Result<BTreeMap<Vec<u8>, Vec<u8>>, StateError> {
        let out = self.delta.scan_prefix(prefix)?;
        charge_scan(self.gas, &out)?;
        Ok(out)
    }
    fn as_read(&self) -> &dyn StateRead {
        &self.delta
    }
}

fn charge_scan(gas: &mut GasMeter, out: &BTreeMap<Vec<u8>, Vec<u8>>) -> Result<(), StateError> {
    gas.charge_read(0)?;
    for (k, v) in out {
        gas.charge_read_bytes(k.len() + v.len())?;
    }
    Ok(())
}

fn lp(a: &Address) -> Vec<u8> {
    let b = a.as_bytes();
    [&[b.len() as u8], b].concat()
}

/// Splits `<len><bytes>` off the front of `rest`.
fn take_addr(rest: &[u8]) -> Option<(Address, &[u8])> {
    let (&n, rest) = rest.split_first()?;
    let n = n as usize;
    if rest.len() < n {
        return None;
    }
    Some((Address::from_bytes(&rest[..n]).ok()?, &rest[n..]))
}

fn get_borsh<T: BorshDeserialize>(kv: &mut dyn Kv, key: &[u8]) -> Result<Option<T>, StateError> {
    match kv.kv_get(key)? {
        Some(b) => Ok(Some(borsh::from_slice(&b).map_err(|e| corrupt(key, e))?)),
        None => Ok(None),
    }
}

fn put_borsh<T: BorshSerialize>(kv: &mut dyn Kv, key: Vec<u8>, v: &T) -> Result<(), StateError> {
    let bytes = borsh::to_vec(v).map_err(|e| corrupt(&key, e))?;
    kv.kv_put(key, bytes)
}

fn get_u128(kv: &mut dyn Kv, key: &[u8]) -> Result<u128, StateError> {
    match kv.kv_get(key)? {
        Some(b) => Ok(u128::from_be_bytes(
            b.as_slice().try_into().map_err(|_| corrupt(key, "u128"))?,
        )),
        None => Ok(0),
    }
}

pub fn load_json<T: serde::de::DeserializeOwned + Default>(
    state: &dyn StateRead,
    key: &[u8],
) -> Result<T, StateError> {
    match state.get_raw(key)? {
        Some(b) => serde_json::from_slice(&b).map_err(|e| corrupt(key, e)),
        None => Ok(T::default()),
    }
}

pub fn params(state: &dyn StateRead) -> Result<StakingParams, StateError> {
    load_json(state, PARAMS_KEY)
}

pub fn slashing_params(state: &dyn StateRead) -> Result<SlashingParams, StateError> {
    load_json(state, SLASHING_PARAMS_KEY)
}

pub fn bonded_pool() -> Address {
    Address::module(BONDED_POOL)
}

pub fn not_bonded_pool() -> Address {
    Address::module(NOT_BONDED_POOL)
}

pub fn parse_valoper(s: &str) -> Result<Address, proof_sdk::address::AddressError> {
    Address::from_bech32(s, VALOPER_PREFIX)
}

fn val_key(op: &Address) -> Vec<u8> {
    [VAL_PREFIX, &lp(op)].concat()
}

pub fn get_validator(kv: &mut dyn Kv, op: &Address) -> Result<Option<Validator>, StateError> {
    get_borsh(kv, &val_key(op))
}

fn must_validator(kv: &mut dyn Kv, op: &Address) -> Result<Validator, StakingError> {
    get_validator(kv, op)?.ok_or_else(|| StakingError::NoValidator(valoper(op)))
}

fn power_index_key(v: &Validator) -> Option<Vec<u8>> {
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

/// The prefix of every validator record (`<len><operator>` follows), for paged listings.
pub const VALIDATORS_PREFIX: &[u8] = VAL_PREFIX;

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

fn del_key(op: &Address, del: &Address) -> Vec<u8> {
    [DEL_PREFIX, &lp(op), &lp(del)].concat()
}

pub fn delegation_shares(kv: &mut dyn Kv, del: &Address, op: &Address) -> Result<u128, StateError> {
    get_u128(kv, &del_key(op, del))
}

fn set_delegation(
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

/// The prefix of the delegations to `op` (`<len><delegator>` -> shares follow).
pub fn delegations_to_prefix(op: &Address) -> Vec<u8> {
    [DEL_PREFIX, &lp(op)].concat()
}

/// The prefix of `del`'s delegation index (`<len><operator>` -> () follow).
pub fn delegations_of_prefix(del: &Address) -> Vec<u8> {
    [DEL_INDEX_PREFIX, &lp(del)].concat()
}

/// The address at the front of a key suffix `<len><bytes>...`.
pub fn leading_address(key: &[u8]) -> Result<Address, StateError> {
    take_addr(key)
        .map(|(a, _)| a)
        .ok_or_else(|| corrupt(key, "key does not start with an address"))
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

fn ubd_key(del: &Address, op: &Address) -> Vec<u8> {
    [UBD_PREFIX, &lp(del), &lp(op)].concat()
}

pub fn unbonding_entries(
    kv: &mut dyn Kv,
    del: &Address,
    op: &Address,
) -> Result<Vec<UnbondingEntry>, StateError> {
    Ok(get_borsh(kv, &ubd_key(del, op))?.unwrap_or_default())
}

fn set_unbonding_entries(
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

fn red_key(del: &Address, src: &Address, dst: &Address) -> Vec<u8> {
    [RED_PREFIX, &lp(del), &lp(src), &lp(dst)].concat()
}

pub fn redelegation_entries(
    kv: &mut dyn Kv,
    del: &Address,
    src: &Address,
    dst: &Address,
) -> Result<Vec<RedelegationEntry>, StateError> {
    Ok(get_borsh(kv, &red_key(del, src, dst))?.unwrap_or_default())
}

fn set_redelegation_entries(
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

fn time_key(ns: i64) -> [u8; 8] {
    // Block times are after 1970; clamp anything else to 0 so the queue order stays total.
    (ns.max(0) as u64).to_be_bytes()
}

pub fn signing_info(kv: &mut dyn Kv, cons: &[u8; 20]) -> Result<Option<SigningInfo>, StateError> {
    get_borsh(kv, &[SIGNING_INFO_PREFIX, cons.as_slice()].concat())
}

pub fn set_signing_info(
    kv: &mut dyn Kv,
    cons: &[u8; 20],
    info: &SigningInfo,
) -> Result<(), StateError> {
    put_borsh(kv, [SIGNING_INFO_PREFIX, cons.as_slice()].concat(), info)
}

fn dev_fund(state: &dyn StateRead) -> Result<Address, StateError> {
    EpochParams::load(state)?.development_address()
}

/// Adds `amount` tokens to a validator for `del` (the tokens must already be in the bonded
/// pool) and returns the shares issued.
fn add_stake(
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
fn remove_stake(
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

fn bond_denom(kv: &dyn PosKv) -> Result<String, StateError> {
    Ok(params(kv.as_read())?.bond_denom)
}

/// Shares needed to take `amount` tokens out (rounded up), capped at what the delegation has.
fn shares_for_amount(v: &Validator, amount: u128, have: u128) -> Result<u128, StakingError> {
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

/// What a new validator declares.
pub struct NewValidator {
    pub operator: Address,
    pub cons_pubkey: [u8; 32],
    pub moniker: String,
    pub commission_bps: u32,
    pub max_commission_bps: u32,
    pub max_change_bps: u32,
    pub min_self_delegation: u128,
    pub self_stake: u128,
}

/// Creates a validator with its operator's self-delegation. The self-stake moves from the
/// operator's balance to the bonded pool unless `minted` (genesis mints it there directly).
pub fn create_validator(
    kv: &mut dyn PosKv,
    (height, now_ns): (u64, i64),
    nv: NewValidator,
    minted: bool,
) -> Result<(), StakingError> {
    let p = params(kv.as_read())?;
    if get_validator(kv, &nv.operator)?.is_some() {
        return Err(StakingError::ValidatorExists(valoper(&nv.operator)));
    }
    let cons = cons_address(&nv.cons_pubkey);
    if let Some(other) = validator_by_cons(kv, &cons)? {
        return Err(StakingError::PubkeyInUse(valoper(&other)));
    }
    if nv.commission_bps > nv.max_commission_bps
        || nv.max_commission_bps as u128 > BPS
        || nv.max_change_bps > nv.max_commission_bps
    {
        return Err(StakingError::Commission(
            "need rate <= max_rate <= 1 and max_change_rate <= max_rate".into(),
        ));
    }
    if nv.commission_bps < p.min_commission_bps {
        return Err(StakingError::Commission(format!(
            "rate below the chain's minimum of {} bps",
            p.min_commission_bps
        )));
    }
    if nv.self_stake == 0 || nv.self_stake < nv.min_self_delegation {
        return Err(StakingError::SelfDelegationTooLow(
            nv.self_stake,
            nv.min_self_delegation,
        ));
    }
    let coin = [Coin::new(nv.self_stake, p.bond_denom.clone())];
    if minted {
        bank::mint(kv, &bonded_pool(), &coin)?;
    } else {
        bank::send(kv, &nv.operator, &bonded_pool(), &coin)?;
    }
    let mut v = Validator {
        operator: nv.operator.as_bytes().to_vec(),
        cons_pubkey: nv.cons_pubkey,
        moniker: nv.moniker,
        tokens: 0,
        shares: 0,
        commission_bps: nv.commission_bps,
        max_commission_bps: nv.max_commission_bps,
        max_change_bps: nv.max_change_bps,
        min_self_delegation: nv.min_self_delegation,
        jailed: false,
        bonded: false,
        creation_height: height,
        commission_updated_ns: now_ns,
    };
    add_stake(kv, &mut v, &nv.operator, nv.self_stake)?;
    set_validator(kv, &v)?;
    kv.kv_put(
        [CONS_PREFIX, cons.as_slice()].concat(),
        nv.operator.as_bytes().to_vec(),
    )?;
    let window = slashing_params(kv.as_read())?.signed_blocks_window;
    set_signing_info(
        kv,
        &cons,
        &SigningInfo {
            start_height: height,
            missed_bitmap: vec![0; window.div_ceil(8) as usize],
            ..Default::default()
        },
    )?;
    Ok(())
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
    let completion = super::after_secs(now_ns, p.unbonding_time_secs);
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
fn jail_below_min_self_delegation(
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
    let completion = super::after_secs(now_ns, p.unbonding_time_secs);
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

/// What `MsgEditValidator` changes; `None` keeps the current value.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ValidatorEdit {
    pub moniker: Option<String>,
    pub commission_bps: Option<u32>,
    pub min_self_delegation: Option<u128>,
}

/// A commission rate may change once per day (of block time), as in the Cosmos SDK.
pub const COMMISSION_CHANGE_SECS: u64 = 24 * 3600;

/// The SDK's `MsgEditValidator` rules: the commission stays within `[chain minimum, max_rate]`,
/// moves by at most `max_change_rate`, at most once per 24 h; the minimum self-delegation may only
/// rise, and never above what the operator has staked.
pub fn edit_validator(
    kv: &mut dyn PosKv,
    now_ns: i64,
    op: &Address,
    edit: &ValidatorEdit,
) -> Result<(), StakingError> {
    let mut v = must_validator(kv, op)?;
    if let Some(m) = &edit.moniker {
        v.moniker = m.clone();
    }
    if let Some(rate) = edit.commission_bps {
        let p = params(kv.as_read())?;
        let since = super::after_secs(v.commission_updated_ns, COMMISSION_CHANGE_SECS);
        if now_ns < since {
            return Err(StakingError::Commission(
                "the commission can change once per 24 hours".into(),
            ));
        }
        if rate > v.max_commission_bps || rate < p.min_commission_bps {
            return Err(StakingError::Commission(format!(
                "rate must be within [{}, {}] bps",
                p.min_commission_bps, v.max_commission_bps
            )));
        }
        if rate.abs_diff(v.commission_bps) > v.max_change_bps {
            return Err(StakingError::Commission(format!(
                "rate may change by at most {} bps at a time",
                v.max_change_bps
            )));
        }
        v.commission_bps = rate;
        v.commission_updated_ns = now_ns;
    }
    if let Some(min) = edit.min_self_delegation {
        if min <= v.min_self_delegation {
            return Err(StakingError::InvalidAmount(
                "the minimum self-delegation can only increase".into(),
            ));
        }
        let own = v.tokens_for(delegation_shares(kv, op, op)?)?;
        if min > own {
            return Err(StakingError::SelfDelegationTooLow(own, min));
        }
        v.min_self_delegation = min;
    }
    set_validator(kv, &v)?;
    Ok(())
}

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

pub fn jail(kv: &mut dyn PosKv, op: &Address) -> Result<(), StakingError> {
    let mut v = must_validator(kv, op)?;
    v.jailed = true;
    set_validator(kv, &v)?;
    Ok(())
}

/// A double-sign (or light-client attack) reported by CometBFT.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Evidence {
    pub cons_address: [u8; 20],
    pub height: u64,
    pub power: u64,
}

/// One entry of the last commit: did the validator sign?
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommitVote {
    pub cons_address: [u8; 20],
    pub power: u64,
    pub signed: bool,
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
            info.jailed_until_ns = super::after_secs(now_ns, sp.downtime_jail_secs);
            info.missed_blocks_counter = 0;
            info.index_offset = 0;
            info.missed_bitmap = vec![0; bytes];
            jailed.push(op);
        }
        set_signing_info(kv, &vote.cons_address, &info)?;
    }
    Ok(jailed)
}

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

/// Parses a Cosmos `Dec` as basis points: either a decimal ("0.05") or the 18-decimal atomics
/// integer protobuf carries ("50000000000000000"). Finer than one basis point is refused.
pub fn parse_dec_bps(s: &str) -> Result<u32, String> {
    const ATOMICS: u128 = 1_000_000_000_000_000_000;
    let atomics: u128 = if let Some((int, frac)) = s.split_once('.') {
        if frac.len() > 18 || !frac.chars().all(|c| c.is_ascii_digit()) {
            return Err(format!("invalid decimal {s:?}"));
        }
        let i: u128 = int.parse().map_err(|_| format!("invalid decimal {s:?}"))?;
        let f: u128 = format!("{frac:0<18}")
            .parse()
            .map_err(|_| format!("invalid decimal {s:?}"))?;
        i.checked_mul(ATOMICS)
            .and_then(|x| x.checked_add(f))
            .ok_or_else(|| format!("decimal {s:?} too large"))?
    } else {
        s.parse().map_err(|_| format!("invalid decimal {s:?}"))?
    };
    let per_bps = ATOMICS / BPS;
    if !atomics.is_multiple_of(per_bps) {
        return Err(format!("{s:?} is finer than one basis point"));
    }
    u32::try_from(atomics / per_bps).map_err(|_| format!("decimal {s:?} too large"))
}

/// Shares as a Cosmos `Dec` in atomics form (one share = 10^18 atomics).
pub fn shares_to_dec(shares: u128) -> String {
    format!("{shares}000000000000000000")
}

/// Parses shares given as `Dec` atomics (must be whole shares) or a plain decimal.
pub fn parse_dec_shares(s: &str) -> Result<u128, String> {
    if let Some((int, frac)) = s.split_once('.') {
        if !frac.chars().all(|c| c == '0') {
            return Err("fractional shares do not exist on this chain".into());
        }
        return int.parse().map_err(|_| format!("invalid shares {s:?}"));
    }
    let a: u128 = s.parse().map_err(|_| format!("invalid shares {s:?}"))?;
    if !a.is_multiple_of(1_000_000_000_000_000_000) {
        return Err("fractional shares do not exist on this chain".into());
    }
    Ok(a / 1_000_000_000_000_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dec_parsing() {
        assert_eq!(parse_dec_bps("0.05").unwrap(), 500);
        assert_eq!(parse_dec_bps("50000000000000000").unwrap(), 500);
        assert!(
            parse_dec_bps("1").is_err(),
            "atomics form: 10^-18 is finer than a basis point"
        );
        assert!(parse_dec_bps("0.00001").is_err());
        assert_eq!(parse_dec_bps("1.0").unwrap(), 10_000);
        assert_eq!(bps_to_dec(500), "50000000000000000");
        assert_eq!(parse_dec_shares(&shares_to_dec(42)).unwrap(), 42);
        assert!(parse_dec_shares("5").is_err());
    }

    #[test]
    fn mul_div_is_exact_and_checked() {
        assert_eq!(mul_div(10, 3, 4).unwrap(), 7);
        assert_eq!(mul_div(5, 5, 0).unwrap(), 0);
        assert!(mul_div(u128::MAX, 2, 1).is_err());
    }
}
