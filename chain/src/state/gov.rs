//! Governance: proposals with a deposit and stake-weighted voting. A proposal carries parameter
//! changes (`cosmos.gov.v1beta1` ParameterChangeProposal, or v1's MsgExecLegacyContent wrapping
//! one) and/or messages (`cosmos.gov.v1`) that run with the gov module account as their only
//! signer: migrating or re-administering contracts whose admin is governance, scheduling or
//! cancelling a software upgrade.
//!
//! A proposal enters voting once its deposits reach `min_deposit` (within `max_deposit_secs`, else
//! it is dropped and refunded). When `voting_secs` of block time have passed it is tallied: a
//! voter weighs the tokens its delegations to validators in the active set are worth. It passes
//! if the turnout reaches `quorum_bps` of the bonded stake, NoWithVeto stays at or below
//! `veto_bps` of the turnout and Yes exceeds `threshold_bps` of the non-abstaining votes; then its
//! changes are applied and its messages run, all or nothing: on a child state layer kept only if
//! every change validates and every message succeeds (else the proposal is `Failed` with the
//! reason, and nothing changed). Deposits are
//! refunded unless vetoed (then they go to the development fund: nothing is burned).
//! Deposits sit in the `gov` module account.

use borsh::{BorshDeserialize, BorshSerialize};
use proof_sdk::{Address, Coin};
use serde::{Deserialize, Serialize};

use super::epoch::EpochParams;
use super::staking::{self, mul_div, PosKv, SlashingParams, StakingError, StakingParams, BPS};
use super::{bank, keys, params::Params, StateError};
use crate::state::corrupt;

pub const PARAMS_KEY: &[u8] = b"gov/params";
const NEXT_ID_KEY: &[u8] = b"gov/next_id";
const PROPOSAL_PREFIX: &[u8] = b"gov/proposal/";
/// Proposals in their deposit period by its end: `<deposit_end_ns be8><id be8>` -> ().
const DEPOSIT_QUEUE_PREFIX: &[u8] = b"gov/dq/";
/// Proposals in their voting period by its end: `<voting_end_ns be8><id be8>` -> ().
const VOTING_QUEUE_PREFIX: &[u8] = b"gov/vq/";
const DEPOSIT_PREFIX: &[u8] = b"gov/deposit/";
const VOTE_PREFIX: &[u8] = b"gov/vote/";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct GovParams {
    #[serde(with = "proof_sdk::checkpoint::u128_str")]
    pub min_deposit: u128,
    /// What a proposal must bring at submission, in basis points of `min_deposit` (the SDK's
    /// `min_initial_deposit_ratio`): every open proposal costs the chain state until it closes,
    /// so none is free to open.
    pub min_initial_deposit_bps: u32,
    pub max_deposit_secs: u64,
    pub voting_secs: u64,
    pub quorum_bps: u32,
    pub threshold_bps: u32,
    pub veto_bps: u32,
    /// Gas a passed proposal's messages may use together (contract migrations run on it).
    pub max_execution_gas: u64,
}

impl Default for GovParams {
    fn default() -> Self {
        Self {
            min_deposit: 10_000_000_000,
            min_initial_deposit_bps: 2500,
            max_deposit_secs: 2 * 24 * 3600,
            voting_secs: 2 * 24 * 3600,
            quorum_bps: 3340,
            threshold_bps: 5000,
            veto_bps: 3340,
            max_execution_gas: 100_000_000,
        }
    }
}

impl GovParams {
    pub fn validate(&self) -> Result<(), String> {
        if self.voting_secs == 0 || self.max_deposit_secs == 0 {
            return Err("gov periods must be positive".into());
        }
        if self.max_execution_gas == 0 {
            return Err("max_execution_gas must be positive".into());
        }
        for b in [
            self.quorum_bps,
            self.threshold_bps,
            self.veto_bps,
            self.min_initial_deposit_bps,
        ] {
            if b as u128 > BPS {
                return Err("gov fractions are basis points, at most 10000".into());
            }
        }
        Ok(())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize)]
pub enum Status {
    DepositPeriod,
    VotingPeriod,
    Passed,
    Rejected,
    /// Passed, but applying a change failed validation: nothing was applied.
    Failed,
}

/// One parameter change: `subspace` (`chain`, `staking`, `slashing`, `epoch`, `gov`), the field
/// name and its new value as JSON.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize)]
pub struct ParamChange {
    pub subspace: String,
    pub key: String,
    pub value: String,
}

/// A message a proposal runs when it passes, as submitted (decoded and checked again then).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize)]
pub struct ProposalMsg {
    pub type_url: String,
    #[serde(serialize_with = "base64_bytes")]
    pub value: Vec<u8>,
}

fn base64_bytes<S: serde::Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
    use base64::Engine as _;
    s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(v))
}

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize)]
pub struct Proposal {
    pub id: u64,
    pub proposer: String,
    pub title: String,
    pub changes: Vec<ParamChange>,
    pub messages: Vec<ProposalMsg>,
    pub deposit: u128,
    pub status: Status,
    pub deposit_end_ns: i64,
    pub voting_end_ns: i64,
    /// Yes, abstain, no, no-with-veto (uxyz of stake), filled in at the tally.
    pub tally: [u128; 4],
    /// Why a passed proposal could not be applied (status `Failed`).
    pub failed_reason: String,
}

/// Runs a passed proposal's messages on the given layer (which already holds its parameter
/// changes). `Err(StakingError::State)` stops the node; any other error fails the proposal.
pub type RunMessages<'r> =
    dyn FnMut(&mut super::Delta<'_>, &Proposal) -> Result<(), StakingError> + 'r;

fn bad(msg: impl Into<String>) -> StakingError {
    StakingError::Invalid(msg.into())
}

pub fn params(kv: &dyn PosKv) -> Result<GovParams, StateError> {
    staking::load_json(kv.as_read(), PARAMS_KEY)
}

fn proposal_key(id: u64) -> Vec<u8> {
    [PROPOSAL_PREFIX, &id.to_be_bytes()].concat()
}

pub fn proposal(kv: &mut dyn PosKv, id: u64) -> Result<Option<Proposal>, StateError> {
    match kv.kv_get(&proposal_key(id))? {
        Some(b) => Ok(Some(
            borsh::from_slice(&b).map_err(|e| corrupt(&proposal_key(id), e))?,
        )),
        None => Ok(None),
    }
}

fn queue_key(queue: &[u8], end_ns: i64, id: u64) -> Vec<u8> {
    [
        queue,
        &(end_ns.max(0) as u64).to_be_bytes(),
        &id.to_be_bytes(),
    ]
    .concat()
}

fn queued_id(key: &[u8]) -> Result<u64, StateError> {
    key.len()
        .checked_sub(8)
        .and_then(|at| key[at..].try_into().ok())
        .map(u64::from_be_bytes)
        .ok_or_else(|| corrupt(key, "queue key"))
}

fn save(kv: &mut dyn PosKv, p: &Proposal) -> Result<(), StateError> {
    let b = borsh::to_vec(p).map_err(|e| corrupt(b"gov/proposal", e))?;
    kv.kv_put(proposal_key(p.id), b)
}

/// The governance module's account: holds deposits, and is the authority proposals act as.
pub fn gov_account() -> Address {
    proof_sdk::gov::module_address()
}

/// Parameters only genesis sets: the denom the pools and fees are held in (a change would strand
/// them, or halt the chain at the next pool transfer) and the block gas cap, which CometBFT
/// learned from its genesis and is not sent updates.
const FIXED_AT_GENESIS: [(&str, &str); 3] = [
    ("chain", "fee_denom"),
    ("chain", "max_block_gas"),
    ("staking", "bond_denom"),
];

/// Applies parameter changes (all or nothing: every section is re-validated before any write).
pub fn apply_changes(kv: &mut dyn PosKv, changes: &[ParamChange]) -> Result<(), StakingError> {
    let sections: [(&str, &[u8]); 5] = [
        ("chain", keys::PARAMS),
        ("staking", staking::PARAMS_KEY),
        ("slashing", staking::SLASHING_PARAMS_KEY),
        ("epoch", super::epoch::PARAMS_KEY),
        ("gov", PARAMS_KEY),
    ];
    let mut writes = Vec::new();
    for (name, key) in sections {
        let mine: Vec<&ParamChange> = changes.iter().filter(|c| c.subspace == name).collect();
        if mine.is_empty() {
            continue;
        }
        let current: serde_json::Value = match name {
            "chain" => serde_json::to_value(Params::load(kv.as_read())?),
            "staking" => serde_json::to_value(staking::params(kv.as_read())?),
            "slashing" => serde_json::to_value(staking::slashing_params(kv.as_read())?),
            "epoch" => serde_json::to_value(EpochParams::load(kv.as_read())?),
            _ => serde_json::to_value(params(kv)?),
        }
        .map_err(|e| bad(e.to_string()))?;
        let mut obj = current;
        for c in mine {
            if FIXED_AT_GENESIS.contains(&(c.subspace.as_str(), c.key.as_str())) {
                return Err(bad(format!("{}.{} is fixed at genesis", c.subspace, c.key)));
            }
            let slot = obj
                .get_mut(&c.key)
                .ok_or_else(|| bad(format!("{}.{}: no such parameter", c.subspace, c.key)))?;
            *slot = serde_json::from_str(&c.value)
                .map_err(|e| bad(format!("{}.{}: value is not JSON: {e}", c.subspace, c.key)))?;
        }
        let check = |r: Result<(), String>| r.map_err(|e| bad(format!("{name}: {e}")));
        let de = |e: serde_json::Error| bad(format!("{name}: {e}"));
        let bytes = match name {
            "chain" => {
                let p: Params = serde_json::from_value(obj).map_err(de)?;
                if p.min_gas_price_den == 0 {
                    return Err(bad("chain: min_gas_price_den must be positive"));
                }
                p.encode()
            }
            "staking" => {
                let p: StakingParams = serde_json::from_value(obj).map_err(de)?;
                check(p.validate())?;
                serde_json::to_vec(&p).map_err(de)?
            }
            "slashing" => {
                let p: SlashingParams = serde_json::from_value(obj).map_err(de)?;
                check(p.validate())?;
                serde_json::to_vec(&p).map_err(de)?
            }
            "epoch" => {
                let p: EpochParams = serde_json::from_value(obj).map_err(de)?;
                check(p.validate())?;
                serde_json::to_vec(&p).map_err(de)?
            }
            _ => {
                let p: GovParams = serde_json::from_value(obj).map_err(de)?;
                check(p.validate())?;
                serde_json::to_vec(&p).map_err(de)?
            }
        };
        writes.push((key.to_vec(), bytes));
    }
    for c in changes {
        if !sections.iter().any(|(n, _)| *n == c.subspace) {
            return Err(bad(format!("unknown parameter subspace {:?}", c.subspace)));
        }
    }
    for (k, v) in writes {
        kv.kv_put(k, v)?;
    }
    Ok(())
}

/// Records a deposit; starts voting when the total reaches the minimum.
fn add_deposit(
    kv: &mut dyn PosKv,
    p: &mut Proposal,
    from: &Address,
    amount: u128,
    now_ns: i64,
    gp: &GovParams,
) -> Result<(), StakingError> {
    if amount > 0 {
        let denom = staking::params(kv.as_read())?.bond_denom;
        bank::send(kv, from, &gov_account(), &[Coin::new(amount, denom)])?;
        let key = [DEPOSIT_PREFIX, &p.id.to_be_bytes(), from.as_bytes()].concat();
        let have = match kv.kv_get(&key)? {
            Some(b) => u128::from_be_bytes(b.try_into().map_err(|_| corrupt(&key, "deposit"))?),
            None => 0,
        };
        kv.kv_put(key, (have + amount).to_be_bytes().to_vec())?;
        p.deposit += amount;
    }
    if p.status == Status::DepositPeriod && p.deposit >= gp.min_deposit {
        p.status = Status::VotingPeriod;
        p.voting_end_ns = super::after_secs(now_ns, gp.voting_secs);
        kv.kv_delete(queue_key(DEPOSIT_QUEUE_PREFIX, p.deposit_end_ns, p.id))?;
        kv.kv_put(
            queue_key(VOTING_QUEUE_PREFIX, p.voting_end_ns, p.id),
            vec![],
        )?;
    }
    Ok(())
}

/// What a proposal asks for.
pub struct Content {
    pub title: String,
    pub changes: Vec<ParamChange>,
    pub messages: Vec<ProposalMsg>,
}

pub fn submit(
    kv: &mut dyn PosKv,
    proposer: &Address,
    content: Content,
    deposit: u128,
    now_ns: i64,
) -> Result<u64, StakingError> {
    let Content {
        title,
        changes,
        messages,
    } = content;
    if changes.is_empty() && messages.is_empty() {
        return Err(bad("a proposal needs at least one change or message"));
    }
    // Refuse changes that could never apply (unknown field, wrong type, invalid value) now, on a
    // scratch layer, rather than after a vote.
    {
        let mut scratch = super::Delta::new(kv.as_read());
        apply_changes(&mut scratch, &changes)?;
    }
    let gp = params(kv)?;
    let initial = mul_div(gp.min_deposit, gp.min_initial_deposit_bps as u128, BPS)?;
    if deposit < initial {
        return Err(bad(format!(
            "initial deposit {deposit} is below the minimum {initial} ({} bps of {})",
            gp.min_initial_deposit_bps, gp.min_deposit
        )));
    }
    let id = match kv.kv_get(NEXT_ID_KEY)? {
        Some(b) => u64::from_be_bytes(b.try_into().map_err(|_| corrupt(NEXT_ID_KEY, "id"))?),
        None => 1,
    };
    kv.kv_put(NEXT_ID_KEY.to_vec(), (id + 1).to_be_bytes().to_vec())?;
    let mut p = Proposal {
        id,
        proposer: proposer.to_string(),
        title,
        changes,
        messages,
        deposit: 0,
        status: Status::DepositPeriod,
        deposit_end_ns: super::after_secs(now_ns, gp.max_deposit_secs),
        voting_end_ns: 0,
        tally: [0; 4],
        failed_reason: String::new(),
    };
    kv.kv_put(
        queue_key(DEPOSIT_QUEUE_PREFIX, p.deposit_end_ns, id),
        vec![],
    )?;
    add_deposit(kv, &mut p, proposer, deposit, now_ns, &gp)?;
    save(kv, &p)?;
    Ok(id)
}

pub fn deposit(
    kv: &mut dyn PosKv,
    id: u64,
    from: &Address,
    amount: u128,
    now_ns: i64,
) -> Result<(), StakingError> {
    let gp = params(kv)?;
    let mut p = proposal(kv, id)?.ok_or_else(|| bad(format!("no proposal {id}")))?;
    if p.status != Status::DepositPeriod && p.status != Status::VotingPeriod {
        return Err(bad(format!("proposal {id} is closed")));
    }
    add_deposit(kv, &mut p, from, amount, now_ns, &gp)?;
    save(kv, &p)?;
    Ok(())
}

/// Options as in Cosmos: 1 yes, 2 abstain, 3 no, 4 no with veto. A later vote replaces an earlier.
pub fn vote(kv: &mut dyn PosKv, id: u64, voter: &Address, option: i32) -> Result<(), StakingError> {
    if !(1..=4).contains(&option) {
        return Err(bad(format!("invalid vote option {option}")));
    }
    let p = proposal(kv, id)?.ok_or_else(|| bad(format!("no proposal {id}")))?;
    if p.status != Status::VotingPeriod {
        return Err(bad(format!("proposal {id} is not in its voting period")));
    }
    kv.kv_put(
        [VOTE_PREFIX, &id.to_be_bytes(), voter.as_bytes()].concat(),
        vec![option as u8],
    )?;
    Ok(())
}

fn settle_deposits(kv: &mut dyn PosKv, id: u64, refund: bool) -> Result<(), StakingError> {
    let denom = staking::params(kv.as_read())?.bond_denom;
    let dev = EpochParams::load(kv.as_read())?.development_address()?;
    let prefix = [DEPOSIT_PREFIX, &id.to_be_bytes()].concat();
    for (k, v) in kv.scan(&prefix)? {
        let from = Address::from_bytes(&k[prefix.len()..]).map_err(|e| corrupt(&k, e))?;
        let amount = u128::from_be_bytes(
            v.as_slice()
                .try_into()
                .map_err(|_| corrupt(&k, "deposit"))?,
        );
        let to = if refund { from } else { dev.clone() };
        bank::send(kv, &gov_account(), &to, &[Coin::new(amount, denom.clone())])?;
        kv.kv_delete(k)?;
    }
    Ok(())
}

/// Applies a passed proposal on a child layer, written back only if everything succeeds.
fn apply_proposal(
    kv: &mut dyn PosKv,
    p: &Proposal,
    run: &mut RunMessages<'_>,
) -> Result<(), StakingError> {
    let writes = {
        let mut child = super::Delta::new(kv.as_read());
        apply_changes(&mut child, &p.changes)?;
        if !p.messages.is_empty() {
            run(&mut child, p)?;
        }
        child.into_writes()
    };
    for (k, v) in writes {
        match v {
            Some(v) => kv.kv_put(k, v)?,
            None => kv.kv_delete(k)?,
        }
    }
    Ok(())
}

/// Closes proposals whose deposit or voting period is over. Returns (id, status) of each.
/// Only the queue entries due by `now_ns` are read: open proposals cost a block nothing.
pub fn end_block(
    kv: &mut dyn PosKv,
    now_ns: i64,
    run: &mut RunMessages<'_>,
) -> Result<Vec<(u64, Status)>, StakingError> {
    let gp = params(kv)?;
    let mut out = Vec::new();
    for k in staking::due(kv.as_read(), DEPOSIT_QUEUE_PREFIX, now_ns)? {
        let id = queued_id(&k)?;
        kv.kv_delete(k.clone())?;
        let mut p = proposal(kv, id)?.ok_or_else(|| corrupt(&k, "proposal missing"))?;
        if p.status != Status::DepositPeriod {
            continue;
        }
        settle_deposits(kv, id, true)?;
        p.status = Status::Rejected;
        save(kv, &p)?;
        out.push((id, p.status));
    }
    for k in staking::due(kv.as_read(), VOTING_QUEUE_PREFIX, now_ns)? {
        let id = queued_id(&k)?;
        kv.kv_delete(k.clone())?;
        let mut p = proposal(kv, id)?.ok_or_else(|| corrupt(&k, "proposal missing"))?;
        if p.status != Status::VotingPeriod {
            continue;
        }
        let (tally, passed, vetoed) = tally(kv, id, &gp)?;
        p.tally = tally;
        settle_deposits(kv, id, !vetoed)?;
        p.status = if passed {
            match apply_proposal(kv, &p, run) {
                Ok(()) => Status::Passed,
                Err(StakingError::State(e)) => return Err(StakingError::State(e)),
                Err(e) => {
                    p.failed_reason = e.to_string();
                    Status::Failed
                }
            }
        } else {
            Status::Rejected
        };
        save(kv, &p)?;
        out.push((id, p.status));
    }
    Ok(out)
}

/// Weighs proposal `id`'s votes by the voters' stake in the active set (and deletes them):
/// (tally, passed, vetoed). A voter's power is looked up through its own delegation index, not
/// every validator per vote.
fn tally(
    kv: &mut dyn PosKv,
    id: u64,
    gp: &GovParams,
) -> Result<([u128; 4], bool, bool), StakingError> {
    let set = staking::last_set(kv.as_read())?;
    let bonded: u128 = set.iter().map(|(v, _)| v.tokens).sum();
    let active: std::collections::BTreeMap<Address, &staking::Validator> =
        set.iter().map(|(v, _)| (v.operator(), v)).collect();
    let prefix = [VOTE_PREFIX, &id.to_be_bytes()].concat();
    // Every vote was a paid transaction.
    let votes = kv.scan(&prefix)?;
    let mut tally = [0u128; 4];
    for (vk, opt) in &votes {
        let voter = Address::from_bytes(&vk[prefix.len()..]).map_err(|e| corrupt(vk, e))?;
        let mut power = 0u128;
        for (op, shares) in staking::delegations_of(kv.as_read(), &voter)? {
            if let Some(v) = active.get(&op) {
                power += v.tokens_for(shares)?;
            }
        }
        let i = (opt.first().copied().unwrap_or(1).clamp(1, 4) - 1) as usize;
        tally[i] += power;
        kv.kv_delete(vk.clone())?;
    }
    let [yes, abstain, no, veto] = tally;
    let turnout = yes + abstain + no + veto;
    let quorum = turnout * BPS >= bonded * gp.quorum_bps as u128 && turnout > 0;
    let vetoed = quorum && veto * BPS > turnout * gp.veto_bps as u128;
    let passed =
        quorum && !vetoed && yes * BPS > mul_div(yes + no + veto, gp.threshold_bps as u128, 1)?;
    Ok((tally, passed, vetoed))
}
