//! Governance messages: the Cosmos SDK's `cosmos.gov.v1beta1` MsgSubmitProposal (with a
//! `cosmos.params.v1beta1.ParameterChangeProposal` content), MsgDeposit and MsgVote.

use cosmos_sdk_proto::cosmos::gov::v1beta1::{
    MsgDeposit, MsgDepositResponse, MsgSubmitProposal, MsgSubmitProposalResponse, MsgVote,
    MsgVoteResponse,
};
use cosmos_sdk_proto::cosmos::params::v1beta1::ParameterChangeProposal;
use cosmos_sdk_proto::Any;
use proof_sdk::{Address, Coin};
use prost::{Message, Name};
use tendermint::abci::Event;

use super::decode::parse_addr;
use super::{events, TxError};
use crate::state::gov::{self, ParamChange};
use crate::state::{staking, Metered};

#[derive(Clone, Debug, PartialEq)]
pub enum GovMsg {
    Submit {
        proposer: Address,
        title: String,
        changes: Vec<ParamChange>,
        deposit: u128,
    },
    Deposit {
        depositor: Address,
        id: u64,
        amount: u128,
    },
    Vote {
        voter: Address,
        id: u64,
        option: i32,
    },
}

impl GovMsg {
    pub fn type_url(&self) -> String {
        match self {
            GovMsg::Submit { .. } => MsgSubmitProposal::type_url(),
            GovMsg::Deposit { .. } => MsgDeposit::type_url(),
            GovMsg::Vote { .. } => MsgVote::type_url(),
        }
    }
    pub fn signer(&self) -> Address {
        match self {
            GovMsg::Submit { proposer: a, .. }
            | GovMsg::Deposit { depositor: a, .. }
            | GovMsg::Vote { voter: a, .. } => a.clone(),
        }
    }
}

/// Deposits are in the bond denom only (checked at execution against the params).
fn amount(
    coins: &[cosmos_sdk_proto::cosmos::base::v1beta1::Coin],
) -> Result<(String, u128), TxError> {
    match coins {
        [] => Ok((String::new(), 0)),
        [c] => {
            let c = Coin::from_proto(c).map_err(|e| TxError::InvalidCoins(e.to_string()))?;
            Ok((c.denom, c.amount))
        }
        _ => Err(TxError::InvalidCoins("deposit one denom".into())),
    }
}

pub fn decode(any: &Any) -> Result<Option<(GovMsg, String)>, TxError> {
    let url = any.type_url.as_str();
    let de = |e: prost::DecodeError| TxError::Decode(format!("{url}: {e}"));
    Ok(Some(if url == MsgSubmitProposal::type_url() {
        let m = MsgSubmitProposal::decode(any.value.as_slice()).map_err(de)?;
        let content = m
            .content
            .ok_or_else(|| TxError::InvalidRequest("proposal content is required".into()))?;
        if content.type_url != ParameterChangeProposal::type_url() {
            return Err(TxError::InvalidRequest(format!(
                "unsupported proposal content {} (only parameter changes so far)",
                content.type_url
            )));
        }
        let c = ParameterChangeProposal::decode(content.value.as_slice()).map_err(de)?;
        let (denom, deposit) = amount(&m.initial_deposit)?;
        (
            GovMsg::Submit {
                proposer: parse_addr(&m.proposer)?,
                title: c.title,
                changes: c
                    .changes
                    .into_iter()
                    .map(|p| ParamChange {
                        subspace: p.subspace,
                        key: p.key,
                        value: p.value,
                    })
                    .collect(),
                deposit,
            },
            denom,
        )
    } else if url == MsgDeposit::type_url() {
        let m = MsgDeposit::decode(any.value.as_slice()).map_err(de)?;
        let (denom, amount) = amount(&m.amount)?;
        (
            GovMsg::Deposit {
                depositor: parse_addr(&m.depositor)?,
                id: m.proposal_id,
                amount,
            },
            denom,
        )
    } else if url == MsgVote::type_url() {
        let m = MsgVote::decode(any.value.as_slice()).map_err(de)?;
        (
            GovMsg::Vote {
                voter: parse_addr(&m.voter)?,
                id: m.proposal_id,
                option: m.option,
            },
            String::new(),
        )
    } else {
        return Ok(None);
    }))
}

pub fn execute(
    kv: &mut Metered<'_, '_>,
    msg: &GovMsg,
    denom: &str,
    t: i64,
    index: usize,
    evs: &mut Vec<Event>,
) -> Result<Any, TxError> {
    evs.push(events::message(
        &msg.type_url(),
        &msg.signer(),
        "gov",
        index,
    ));
    if !denom.is_empty() && denom != staking::params(&kv.delta)?.bond_denom {
        return Err(TxError::InvalidCoins(format!(
            "deposits are in the bond denom, not {denom}"
        )));
    }
    Ok(match msg {
        GovMsg::Submit {
            proposer,
            title,
            changes,
            deposit,
        } => {
            let id = gov::submit(kv, proposer, title.clone(), changes.clone(), *deposit, t)?;
            evs.push(events::event(
                "submit_proposal",
                &[("proposal_id", id.to_string())],
            ));
            proof_sdk::msgs::to_any(&MsgSubmitProposalResponse { proposal_id: id })
        }
        GovMsg::Deposit {
            depositor,
            id,
            amount,
        } => {
            gov::deposit(kv, *id, depositor, *amount, t)?;
            evs.push(events::event(
                "proposal_deposit",
                &[("proposal_id", id.to_string())],
            ));
            proof_sdk::msgs::to_any(&MsgDepositResponse {})
        }
        GovMsg::Vote { voter, id, option } => {
            gov::vote(kv, *id, voter, *option)?;
            evs.push(events::event(
                "proposal_vote",
                &[
                    ("proposal_id", id.to_string()),
                    ("option", option.to_string()),
                ],
            ));
            proof_sdk::msgs::to_any(&MsgVoteResponse {})
        }
    })
}
