//! Epochs of the ZZ layer: the checkpoint written when an epoch's block time is up, the
//! emission minted and paid with it, and the activity that decides the "most active
//! participant".
//!
//! An epoch starts at a block (height `start`, time `t0`). The first block whose header time is
//! at least `t0 + epoch_secs` closes it: it writes the checkpoint over blocks `start..=h-1` (whose
//! app hashes are committed; its own cannot be in its own content) and starts the next epoch at
//! itself. Rewards: `emission_per_epoch >> halvings`, where `halvings` counts whole
//! `halving_secs` of block time since genesis; split by basis points into most-active,
//! validators (by stake, after commission, to delegators by shares; collected fees join this
//! pool), liquidity incentives and the development fund. Every floor-division remainder, and any
//! share nobody can claim (no fee-paying transaction, no bonded validator), goes to the
//! development fund, so exactly `emission + fees` is paid out: supply grows by the emission only.

use std::collections::BTreeMap;

use borsh::{BorshDeserialize, BorshSerialize};
use proof_sdk::checkpoint::{self, merkle_root, Checkpoint, Hash, Payout, RewardDistribution};
use proof_sdk::{Address, Coin};
use serde::{Deserialize, Serialize};

use super::staking::{self, mul_div, StakingError, BPS};
use super::{bank, Delta, Kv, StateError, StateRead};
use crate::state::corrupt;

pub const PARAMS_KEY: &[u8] = b"epoch/params";
const STATE_KEY: &[u8] = b"epoch/state";
const GENESIS_TIME_KEY: &[u8] = b"epoch/genesis_time";
const ACTIVITY_PREFIX: &[u8] = b"epoch/activity/";
const PENDING_RECORD_PREFIX: &[u8] = b"epoch/pending/";
/// How many records are pending (so adding one costs O(1), not a scan).
const PENDING_COUNT_KEY: &[u8] = b"epoch/pending_count";
const CHECKPOINT_PREFIX: &[u8] = b"epoch/checkpoint/";
/// App hashes of the current epoch's blocks, recorded one block later (`<height>` -> hash).
const BLOCK_HASH_PREFIX: &[u8] = b"epoch/block_hash/";
/// A closed epoch's block app hashes, concatenated (so proofs never depend on node pruning).
const EPOCH_BLOCKS_PREFIX: &[u8] = b"epoch/blocks/";
const LATEST_KEY: &[u8] = b"epoch/latest";
/// Where the store keeps the wasm substore's root (the main tree's value at the substore's
/// name, written at each commit).
pub const CONTRACTS_ROOT_KEY: &[u8] = b"wasm";
pub const DISTRIBUTION: &str = "distribution";
pub const LIQUIDITY: &str = "liquidity_incentives";
pub const DEVELOPMENT: &str = "development_fund";

const NS: i64 = 1_000_000_000;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct EpochParams {
    /// Epoch length in block time.
    pub epoch_secs: u64,
    /// uxyz minted per epoch before any halving.
    #[serde(with = "proof_sdk::checkpoint::u128_str")]
    pub emission_per_epoch: u128,
    /// The emission halves every `halving_secs` of block time since genesis (8760 h).
    pub halving_secs: u64,
    pub most_active_bps: u32,
    pub validators_bps: u32,
    pub liquidity_bps: u32,
    pub development_bps: u32,
    /// Bech32 accounts; empty = the module accounts `liquidity_incentives` / `development_fund`.
    pub liquidity_account: String,
    pub development_account: String,
}

impl Default for EpochParams {
    fn default() -> Self {
        Self {
            epoch_secs: 600,
            emission_per_epoch: 1_000_000_000,
            halving_secs: 8760 * 3600,
            most_active_bps: 4000,
            validators_bps: 4000,
            liquidity_bps: 1000,
            development_bps: 1000,
            liquidity_account: String::new(),
            development_account: String::new(),
        }
    }
}

fn account_or_module(s: &str, module: &str) -> Result<Address, String> {
    if s.is_empty() {
        Ok(Address::module(module))
    } else {
        s.parse()
            .map_err(|e: proof_sdk::address::AddressError| e.to_string())
    }
}

impl EpochParams {
    pub fn load(state: &dyn StateRead) -> Result<Self, StateError> {
        staking::load_json(state, PARAMS_KEY)
    }

    pub fn validate(&self) -> Result<(), String> {
        if self.epoch_secs == 0 || self.halving_secs == 0 {
            return Err("epoch_secs and halving_secs must be positive".into());
        }
        if i64::try_from(self.epoch_secs.max(self.halving_secs))
            .ok()
            .and_then(|s| s.checked_mul(NS))
            .is_none()
        {
            return Err("epoch_secs / halving_secs too large".into());
        }
        let sum = self.most_active_bps as u64
            + self.validators_bps as u64
            + self.liquidity_bps as u64
            + self.development_bps as u64;
        if sum != BPS as u64 {
            return Err(format!(
                "the four reward shares must add up to 10000 bps, got {sum}"
            ));
        }
        account_or_module(&self.liquidity_account, LIQUIDITY)?;
        account_or_module(&self.development_account, DEVELOPMENT)?;
        Ok(())
    }

    pub fn liquidity_address(&self) -> Result<Address, StateError> {
        account_or_module(&self.liquidity_account, LIQUIDITY).map_err(|e| StateError::Corrupt {
            key: "epoch/params".into(),
            reason: e,
        })
    }

    pub fn development_address(&self) -> Result<Address, StateError> {
        account_or_module(&self.development_account, DEVELOPMENT).map_err(|e| StateError::Corrupt {
            key: "epoch/params".into(),
            reason: e,
        })
    }

    /// The emission of an epoch closing at `now_ns`.
    pub fn emission_at(&self, genesis_ns: i64, now_ns: i64) -> u128 {
        let elapsed = now_ns.saturating_sub(genesis_ns).max(0) as u128;
        let period = self.halving_secs as u128 * NS as u128;
        let halvings = elapsed / period.max(1);
        if halvings >= 128 {
            0
        } else {
            self.emission_per_epoch >> halvings
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct EpochState {
    pub epoch: u64,
    pub start_height: u64,
    pub start_time_ns: i64,
    pub prev_hash: Hash,
}

/// A stored checkpoint: the record, its hash, the block that wrote it and the higher-layer
/// records it committed to (so their proofs can be served later).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StoredCheckpoint {
    pub checkpoint: Checkpoint,
    pub hash: String,
    pub written_at: u64,
    pub records: Vec<String>,
}

pub fn epoch_state(state: &dyn StateRead) -> Result<Option<EpochState>, StateError> {
    match state.get_raw(STATE_KEY)? {
        Some(b) => Ok(Some(
            borsh::from_slice(&b).map_err(|e| corrupt(STATE_KEY, e))?,
        )),
        None => Ok(None),
    }
}

fn set_epoch_state(kv: &mut dyn Kv, s: &EpochState) -> Result<(), StateError> {
    kv.kv_put(
        STATE_KEY.to_vec(),
        borsh::to_vec(s).map_err(|e| corrupt(STATE_KEY, e))?,
    )
}

pub fn genesis_time(state: &dyn StateRead) -> Result<i64, StateError> {
    match state.get_raw(GENESIS_TIME_KEY)? {
        Some(b) => Ok(i64::from_be_bytes(
            b.as_slice()
                .try_into()
                .map_err(|_| corrupt(GENESIS_TIME_KEY, "time"))?,
        )),
        None => Ok(0),
    }
}

/// Starts epoch 0 at the genesis time and the chain's first height.
pub fn init(kv: &mut dyn Kv, genesis_ns: i64, first_height: u64) -> Result<(), StateError> {
    kv.kv_put(GENESIS_TIME_KEY.to_vec(), genesis_ns.to_be_bytes().to_vec())?;
    set_epoch_state(
        kv,
        &EpochState {
            epoch: 0,
            start_height: first_height,
            start_time_ns: genesis_ns,
            prev_hash: [0; 32],
        },
    )
}

/// Activity of one account in the current epoch: its successful, fee-paying transactions.
#[derive(Clone, Debug, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Activity {
    pub txs: u64,
    pub fees: u128,
}

fn activity_key(a: &Address) -> Vec<u8> {
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

/// Queues a record a higher layer finalized (rollup batch root, bridge record) for the current
/// epoch's checkpoint. Records keep their arrival order.
pub fn add_record(kv: &mut dyn Kv, record: &[u8]) -> Result<(), StateError> {
    let n = match kv.kv_get(PENDING_COUNT_KEY)? {
        Some(b) => u64::from_be_bytes(
            b.as_slice()
                .try_into()
                .map_err(|_| corrupt(PENDING_COUNT_KEY, "count"))?,
        ),
        None => 0,
    };
    kv.kv_put(
        [PENDING_RECORD_PREFIX, &n.to_be_bytes()].concat(),
        record.to_vec(),
    )?;
    kv.kv_put(PENDING_COUNT_KEY.to_vec(), (n + 1).to_be_bytes().to_vec())
}

fn checkpoint_key(epoch: u64) -> Vec<u8> {
    [CHECKPOINT_PREFIX, &epoch.to_be_bytes()].concat()
}

pub fn checkpoint(
    state: &dyn StateRead,
    epoch: u64,
) -> Result<Option<StoredCheckpoint>, StateError> {
    let key = checkpoint_key(epoch);
    match state.get_raw(&key)? {
        Some(b) => Ok(Some(
            serde_json::from_slice(&b).map_err(|e| corrupt(&key, e))?,
        )),
        None => Ok(None),
    }
}

pub fn latest_epoch(state: &dyn StateRead) -> Result<Option<u64>, StateError> {
    match state.get_raw(LATEST_KEY)? {
        Some(b) => Ok(Some(u64::from_be_bytes(
            b.as_slice()
                .try_into()
                .map_err(|_| corrupt(LATEST_KEY, "epoch"))?,
        ))),
        None => Ok(None),
    }
}

/// The checkpoint covering block `height`, found by binary search over the stored epochs.
pub fn checkpoint_for_height(
    state: &dyn StateRead,
    height: u64,
) -> Result<Option<StoredCheckpoint>, StateError> {
    let Some(latest) = latest_epoch(state)? else {
        return Ok(None);
    };
    let (mut lo, mut hi) = (0u64, latest);
    while lo <= hi {
        let mid = lo + (hi - lo) / 2;
        let Some(c) = checkpoint(state, mid)? else {
            return Ok(None);
        };
        if height < c.checkpoint.start_height {
            if mid == 0 {
                return Ok(None);
            }
            hi = mid - 1;
        } else if height > c.checkpoint.end_height {
            lo = mid + 1;
        } else {
            return Ok(Some(c));
        }
    }
    Ok(None)
}

/// CometBFT's validator-set hash of a list of (ed25519 key, power).
pub fn validator_set_hash(set: &[([u8; 32], u64)]) -> Result<Hash, StateError> {
    let infos = set
        .iter()
        .map(|(pk, p)| {
            let key = tendermint::PublicKey::from_raw_ed25519(pk)
                .ok_or_else(|| corrupt(b"staking/val", "bad ed25519 key"))?;
            let power =
                tendermint::vote::Power::try_from(*p).map_err(|e| corrupt(b"staking/power", e))?;
            Ok(tendermint::validator::Info::new(key, power))
        })
        .collect::<Result<Vec<_>, StateError>>()?;
    match tendermint::validator::Set::without_proposer(infos).hash() {
        tendermint::Hash::Sha256(h) => Ok(h),
        tendermint::Hash::None => Ok(checkpoint::empty_root()),
    }
}

/// The root of the wasm module's substore (every contract's code, info and storage) as of the
/// last committed block: one read, however much contract state exists. Its keys are proven
/// against it with `store/wasm/key` queries at that height.
pub fn contracts_root(state: &dyn StateRead) -> Result<Hash, StateError> {
    match state.get_raw(CONTRACTS_ROOT_KEY)? {
        Some(root) => root
            .as_slice()
            .try_into()
            .map_err(|_| corrupt(CONTRACTS_ROOT_KEY, "root is not 32 bytes")),
        None => Ok(checkpoint::empty_root()),
    }
}

#[derive(PartialEq, Eq, PartialOrd, Ord, Clone, Copy)]
enum Kind {
    MostActive,
    Commission,
    Delegation,
    Liquidity,
    Development,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::MostActive => "most_active",
            Kind::Commission => "commission",
            Kind::Delegation => "delegation",
            Kind::Liquidity => "liquidity",
            Kind::Development => "development",
        }
    }
}

/// Mints the epoch's emission and pays it, with the collected fees, as the module doc says.
pub fn distribute_rewards(
    kv: &mut Delta<'_>,
    p: &EpochParams,
    now_ns: i64,
) -> Result<RewardDistribution, StakingError> {
    let denom = staking::params(kv)?.bond_denom;
    let genesis = genesis_time(kv)?;
    let emission = p.emission_at(genesis, now_ns);
    let dist = Address::module(DISTRIBUTION);
    if emission > 0 {
        bank::mint(kv, &dist, &[Coin::new(emission, denom.clone())])?;
    }
    let collector = crate::tx::ante::fee_collector();
    let fees = bank::balance(kv, &collector, &denom)?;
    if fees > 0 {
        bank::send(kv, &collector, &dist, &[Coin::new(fees, denom.clone())])?;
    }
    let part = |bps: u32| mul_div(emission, bps as u128, BPS);
    let ma_amount = part(p.most_active_bps)?;
    let val_amount = part(p.validators_bps)?;
    let liq_amount = part(p.liquidity_bps)?;
    // The development share is the rest: its own bps plus the three floor remainders.
    let mut dev_amount = emission - ma_amount - val_amount - liq_amount;

    let mut pay: BTreeMap<(Kind, Vec<u8>), u128> = BTreeMap::new();
    fn add(pay: &mut BTreeMap<(Kind, Vec<u8>), u128>, k: Kind, a: &Address, amt: u128) {
        if amt > 0 {
            *pay.entry((k, a.as_bytes().to_vec())).or_default() += amt;
        }
    }

    let acts = activity(kv)?;
    let winner = most_active(&acts);
    for (a, _) in &acts {
        kv.delete(activity_key(a));
    }
    match &winner {
        Some(w) => add(&mut pay, Kind::MostActive, w, ma_amount),
        None => dev_amount += ma_amount,
    }

    let pool = val_amount
        .checked_add(fees)
        .ok_or(StakingError::Overflow("validator pool"))?;
    let set = staking::last_set(kv)?;
    let total: u128 = set.iter().map(|(v, _)| v.tokens).sum();
    let mut distributed = 0u128;
    if total > 0 {
        for (v, _) in &set {
            let share = mul_div(pool, v.tokens, total)?;
            distributed += share;
            let commission = mul_div(share, v.commission_bps as u128, BPS)?;
            let rest = share - commission;
            let mut to_delegators = 0u128;
            if v.shares > 0 {
                for (d, s) in staking::delegations_to(kv, &v.operator())? {
                    let amt = mul_div(rest, s, v.shares)?;
                    to_delegators += amt;
                    add(&mut pay, Kind::Delegation, &d, amt);
                }
            }
            // The operator keeps the commission and the delegators' rounding remainder.
            add(
                &mut pay,
                Kind::Commission,
                &v.operator(),
                commission + rest - to_delegators,
            );
        }
    }
    dev_amount += pool - distributed;
    add(
        &mut pay,
        Kind::Liquidity,
        &p.liquidity_address()?,
        liq_amount,
    );
    add(
        &mut pay,
        Kind::Development,
        &p.development_address()?,
        dev_amount,
    );

    let mut payouts = Vec::with_capacity(pay.len());
    for ((kind, addr), amount) in pay {
        let to = Address::from_bytes(&addr).map_err(|e| corrupt(&addr, e))?;
        bank::send(kv, &dist, &to, &[Coin::new(amount, denom.clone())])?;
        payouts.push(Payout {
            address: to.to_string(),
            kind: kind.as_str().into(),
            amount,
        });
    }
    Ok(RewardDistribution {
        emission,
        fees,
        most_active: winner.as_ref().map(|w| w.to_string()),
        most_active_amount: if winner.is_some() { ma_amount } else { 0 },
        validators_amount: val_amount,
        liquidity_amount: liq_amount,
        development_amount: dev_amount,
        payouts,
    })
}

/// Records the app hash block `height` committed to (called at the start of block `height + 1`,
/// when every node has it). The checkpoint reads these from state, never from a node's store,
/// so the result cannot depend on how much history a node keeps.
pub fn record_block_hash(kv: &mut Delta<'_>, height: u64, app_hash: &Hash) {
    kv.put(
        [BLOCK_HASH_PREFIX, &height.to_be_bytes()].concat(),
        app_hash.to_vec(),
    );
}

/// The app hashes of the blocks epoch `epoch` covers, in height order.
pub fn epoch_block_hashes(state: &dyn StateRead, epoch: u64) -> Result<Vec<Hash>, StateError> {
    let key = [EPOCH_BLOCKS_PREFIX, &epoch.to_be_bytes()].concat();
    let raw = state.get_raw(&key)?.unwrap_or_default();
    raw.chunks(32)
        .map(|c| c.try_into().map_err(|_| corrupt(&key, "hash length")))
        .collect()
}

/// Closes the epoch if its time is up: pays rewards, writes and returns the checkpoint.
/// Call after the validator set update.
pub fn maybe_checkpoint(
    kv: &mut Delta<'_>,
    chain_id: &str,
    height: u64,
    now_ns: i64,
) -> Result<Option<StoredCheckpoint>, StakingError> {
    let Some(st) = epoch_state(kv)? else {
        return Ok(None);
    };
    let p = EpochParams::load(kv)?;
    let due = super::after_secs(st.start_time_ns, p.epoch_secs);
    if now_ns < due || height <= st.start_height {
        return Ok(None);
    }
    let end = height - 1;
    // One entry per block of the epoch: bounded by its length in block time.
    let recorded = kv.scan_prefix(BLOCK_HASH_PREFIX)?;
    let mut leaves = Vec::with_capacity((end - st.start_height + 1) as usize);
    let mut hashes = Vec::with_capacity(32 * leaves.capacity());
    for h in st.start_height..=end {
        let key = [BLOCK_HASH_PREFIX, &h.to_be_bytes()].concat();
        let ah: Hash = recorded
            .get(&key)
            .and_then(|v| v.as_slice().try_into().ok())
            .ok_or_else(|| corrupt(&key, format!("no recorded app hash for block {h}")))?;
        leaves.push(checkpoint::leaf_hash(&checkpoint::block_leaf(h, &ah)));
        hashes.extend_from_slice(&ah);
    }
    for k in recorded.into_keys() {
        kv.delete(k);
    }
    kv.put(
        [EPOCH_BLOCKS_PREFIX, &st.epoch.to_be_bytes()].concat(),
        hashes,
    );
    let blocks_root = checkpoint::root_of_hashes(&leaves);

    // Each record was added (and paid for) by the layer that produced it.
    let pending = kv.scan_prefix(PENDING_RECORD_PREFIX)?;
    let records: Vec<Vec<u8>> = pending.values().cloned().collect();
    for k in pending.into_keys() {
        kv.delete(k);
    }
    kv.delete(PENDING_COUNT_KEY.to_vec());

    let rewards = distribute_rewards(kv, &p, now_ns)?;
    let set: Vec<([u8; 32], u64)> = staking::last_set(kv)?
        .into_iter()
        .map(|(v, p)| (v.cons_pubkey, p))
        .collect();
    let cp = Checkpoint {
        chain_id: chain_id.to_string(),
        epoch: st.epoch,
        prev_hash: st.prev_hash,
        start_height: st.start_height,
        end_height: end,
        start_time_ns: st.start_time_ns,
        end_time_ns: now_ns,
        blocks_root,
        records_root: merkle_root(&records),
        record_count: records.len() as u64,
        validator_set_hash: validator_set_hash(&set)?,
        contracts_root: contracts_root(kv)?,
        rewards,
    };
    let hash = cp.hash();
    let stored = StoredCheckpoint {
        checkpoint: cp,
        hash: hex::encode_upper(hash),
        written_at: height,
        records: records.iter().map(hex::encode).collect(),
    };
    kv.put(
        checkpoint_key(st.epoch),
        serde_json::to_vec(&stored).map_err(|e| corrupt(b"epoch/checkpoint", e))?,
    );
    kv.put(LATEST_KEY.to_vec(), st.epoch.to_be_bytes().to_vec());
    set_epoch_state(
        kv,
        &EpochState {
            epoch: st.epoch + 1,
            start_height: height,
            start_time_ns: now_ns,
            prev_hash: hash,
        },
    )?;
    Ok(Some(stored))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emission_halves_every_period() {
        let p = EpochParams {
            emission_per_epoch: 1000,
            halving_secs: 10,
            ..Default::default()
        };
        assert_eq!(p.emission_at(0, 9 * NS), 1000);
        assert_eq!(p.emission_at(0, 10 * NS), 500);
        assert_eq!(p.emission_at(0, 25 * NS), 250);
        assert_eq!(p.emission_at(0, 10_000 * NS), 0);
    }

    #[test]
    fn most_active_ranks_by_fees_then_transactions_then_address() {
        let a = Address::from_bytes(&[1; 20]).unwrap();
        let b = Address::from_bytes(&[2; 20]).unwrap();
        let act = |txs, fees| Activity { txs, fees };
        // Many cheap transactions do not beat fewer that paid more.
        assert_eq!(
            most_active(&[(a.clone(), act(1, 5)), (b.clone(), act(2, 1))]),
            Some(a.clone())
        );
        assert_eq!(
            most_active(&[(a.clone(), act(1, 9)), (b.clone(), act(2, 9))]),
            Some(b.clone())
        );
        assert_eq!(
            most_active(&[(a.clone(), act(2, 9)), (b.clone(), act(2, 9))]),
            Some(a)
        );
        assert_eq!(most_active(&[]), None);
    }

    #[test]
    fn params_must_split_exactly() {
        assert!(EpochParams::default().validate().is_ok());
        let bad = EpochParams {
            liquidity_bps: 999,
            ..Default::default()
        };
        assert!(bad.validate().is_err());
    }
}
