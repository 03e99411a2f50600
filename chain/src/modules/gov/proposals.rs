//! Proposals: submission with an initial deposit, deposits, votes, the deadline queues, and
//! closing them (tally, deposits refunded or burned, a passed proposal applied).

use super::changes::*;
use super::keys::*;
use super::params::*;
use super::tally::*;
use crate::modules::bank;
use crate::modules::epoch::EpochParams;
use crate::modules::staking::{self, StakingError};
use crate::state::codec::PosKv;
use crate::state::corrupt;
use crate::state::math::{mul_div, BPS};
use crate::state::StateError;
use borsh::{BorshDeserialize, BorshSerialize};
use proof_sdk::{Address, Coin};
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize)]
pub enum Status {
    DepositPeriod,
    VotingPeriod,
    Passed,
    Rejected,
    /// Passed, but applying a change failed validation: nothing was applied.
    Failed,
}

/// A message a proposal runs when it passes, as submitted (decoded and checked again then).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize)]
pub struct ProposalMsg {
    pub type_url: String,
    #[serde(serialize_with = "base64_bytes")]
    pub value: Vec<u8>,
}

pub(crate) fn base64_bytes<S: serde::Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
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
    dyn FnMut(&mut crate::state::Delta<'_>, &Proposal) -> Result<(), StakingError> + 'r;

pub fn proposal(kv: &mut dyn PosKv, id: u64) -> Result<Option<Proposal>, StateError> {
    match kv.kv_get(&proposal_key(id))? {
        Some(b) => Ok(Some(
            borsh::from_slice(&b).map_err(|e| corrupt(&proposal_key(id), e))?,
        )),
        None => Ok(None),
    }
}

pub(crate) fn save(kv: &mut dyn PosKv, p: &Proposal) -> Result<(), StateError> {
    let b = borsh::to_vec(p).map_err(|e| corrupt(b"gov/proposal", e))?;
    kv.kv_put(proposal_key(p.id), b)
}

/// Records a deposit; starts voting when the total reaches the minimum.
pub(crate) fn add_deposit(
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
        p.voting_end_ns = crate::state::after_secs(now_ns, gp.voting_secs);
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
        let mut scratch = crate::state::Delta::new(kv.as_read());
        apply_changes(&mut scratch, &changes, &crate::modules::params::SUBSPACES)?;
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
        deposit_end_ns: crate::state::after_secs(now_ns, gp.max_deposit_secs),
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

pub(crate) fn settle_deposits(
    kv: &mut dyn PosKv,
    id: u64,
    refund: bool,
) -> Result<(), StakingError> {
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
pub(crate) fn apply_proposal(
    kv: &mut dyn PosKv,
    p: &Proposal,
    run: &mut RunMessages<'_>,
) -> Result<(), StakingError> {
    let writes = {
        let mut child = crate::state::Delta::new(kv.as_read());
        apply_changes(&mut child, &p.changes, &crate::modules::params::SUBSPACES)?;
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
