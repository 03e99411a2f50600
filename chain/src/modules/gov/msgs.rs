//! Governance messages, in both of the Cosmos SDK's versions:
//! - `cosmos.gov.v1beta1` MsgSubmitProposal with a `cosmos.params.v1beta1.ParameterChangeProposal`
//!   content, MsgDeposit and MsgVote;
//! - `cosmos.gov.v1` MsgSubmitProposal with messages, MsgDeposit and MsgVote. A proposal's
//!   messages must name the gov module account as their only signer, and may not move the gov
//!   account's funds (it holds every open proposal's deposits): allowed are wasm messages without
//!   funds (store, instantiate, execute, migrate, update/clear admin), `MsgSoftwareUpgrade`,
//!   `MsgCancelUpgrade`, and `MsgExecLegacyContent` wrapping a parameter change.

use cosmos_sdk_proto::cosmos::gov::v1 as gov1;
use cosmos_sdk_proto::cosmos::gov::v1beta1::{
    MsgDeposit, MsgDepositResponse, MsgSubmitProposal, MsgSubmitProposalResponse, MsgVote,
    MsgVoteResponse,
};
use cosmos_sdk_proto::cosmos::params::v1beta1::ParameterChangeProposal;
use cosmos_sdk_proto::Any;
use proof_sdk::{Address, Coin};
use prost::Name;
use tendermint::abci::Event;

use crate::app::decode::Msg;
use crate::modules::gov::{self, Content, ParamChange, ProposalMsg};
use crate::modules::handler::{MsgCtx, MsgHandler};
use crate::modules::staking;
use crate::modules::wasm::decode::WasmMsg;
use crate::state::Metered;
use crate::tx::decode_any;
use crate::tx::fields::parse_addr;
use crate::tx::{events, TxError};

#[derive(Clone, Debug, PartialEq)]
pub enum GovMsg {
    Submit {
        proposer: Address,
        title: String,
        changes: Vec<ParamChange>,
        messages: Vec<ProposalMsg>,
        deposit: u128,
        /// Which `MsgSubmitProposal` it came as (the response type follows it).
        v1: bool,
    },
    Deposit {
        depositor: Address,
        id: u64,
        amount: u128,
        v1: bool,
    },
    Vote {
        voter: Address,
        id: u64,
        option: i32,
        v1: bool,
    },
}

impl GovMsg {
    pub fn type_url(&self) -> String {
        match self {
            GovMsg::Submit { v1: true, .. } => gov1::MsgSubmitProposal::type_url(),
            GovMsg::Submit { .. } => MsgSubmitProposal::type_url(),
            GovMsg::Deposit { v1: true, .. } => gov1::MsgDeposit::type_url(),
            GovMsg::Deposit { .. } => MsgDeposit::type_url(),
            GovMsg::Vote { v1: true, .. } => gov1::MsgVote::type_url(),
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

fn param_changes(content: &Any) -> Result<(String, Vec<ParamChange>), TxError> {
    if content.type_url != ParameterChangeProposal::type_url() {
        return Err(TxError::InvalidRequest(format!(
            "unsupported proposal content {} (only parameter changes; use gov v1 messages for the rest)",
            content.type_url
        )));
    }
    let c: ParameterChangeProposal = decode_any(content)?;
    let changes = c
        .changes
        .into_iter()
        .map(|p| ParamChange {
            subspace: p.subspace,
            key: p.key,
            value: p.value,
        })
        .collect();
    Ok((c.title, changes))
}

/// A gov v1 proposal message: decoded and checked as it would be in a transaction, signed by the
/// gov account only, and not spending the gov account's funds.
pub fn check_proposal_msg(any: &Any) -> Result<Msg, TxError> {
    let msg = Msg::from_any(any)?;
    let gov = gov::gov_account();
    if msg.signers() != [gov.clone()] {
        return Err(TxError::Unauthorized(format!(
            "proposal message {}: its signer must be the gov module account {gov}",
            any.type_url
        )));
    }
    let allowed = match &msg {
        Msg::Wasm(WasmMsg::Instantiate { funds, .. } | WasmMsg::Execute { funds, .. }) => {
            funds.is_empty()
        }
        Msg::Wasm(_) | Msg::Upgrade(_) => true,
        // Recovering a frozen or expired client is governance's; nothing else of IBC spends
        // or needs the gov account.
        Msg::Ibc(m) => m.is_recover_client(),
        Msg::Bank(_) | Msg::Staking(_) | Msg::Gov(_) | Msg::Zk(_) => false,
    };
    if !allowed {
        return Err(TxError::InvalidRequest(format!(
            "{} cannot be a proposal message: the gov account holds proposal deposits, which \
             proposals may not spend",
            any.type_url
        )));
    }
    Ok(msg)
}

/// The content of a gov v1 proposal: legacy parameter changes and messages to run.
fn v1_content(m: &gov1::MsgSubmitProposal) -> Result<ProposalContent, TxError> {
    let (mut changes, mut messages) = (Vec::new(), Vec::new());
    for any in &m.messages {
        if any.type_url == gov1::MsgExecLegacyContent::type_url() {
            let legacy: gov1::MsgExecLegacyContent = decode_any(any)?;
            if parse_addr(&legacy.authority)? != gov::gov_account() {
                return Err(TxError::Unauthorized(
                    "MsgExecLegacyContent's authority must be the gov module account".into(),
                ));
            }
            let content = legacy
                .content
                .ok_or_else(|| TxError::InvalidRequest("legacy content is required".into()))?;
            changes.extend(param_changes(&content)?.1);
        } else {
            check_proposal_msg(any)?;
            messages.push(ProposalMsg {
                type_url: any.type_url.clone(),
                value: any.value.clone(),
            });
        }
    }
    if changes.is_empty() && messages.is_empty() {
        return Err(TxError::InvalidRequest(
            "a proposal needs at least one message".into(),
        ));
    }
    Ok((m.title.clone(), changes, messages))
}

/// Title, parameter changes and messages of a proposal.
type ProposalContent = (String, Vec<ParamChange>, Vec<ProposalMsg>);

/// `GovMsg::Submit` (with its deposit denom) from either version's fields.
fn submit_msg(
    proposer: &str,
    initial_deposit: &[cosmos_sdk_proto::cosmos::base::v1beta1::Coin],
    (title, changes, messages): ProposalContent,
    v1: bool,
) -> Result<(GovMsg, String), TxError> {
    let (denom, deposit) = amount(initial_deposit)?;
    let msg = GovMsg::Submit {
        proposer: parse_addr(proposer)?,
        title,
        changes,
        messages,
        deposit,
        v1,
    };
    Ok((msg, denom))
}

pub fn decode(any: &Any) -> Result<Option<(GovMsg, String)>, TxError> {
    let url = any.type_url.as_str();
    Ok(Some(if url == MsgSubmitProposal::type_url() {
        let m = decode_any::<MsgSubmitProposal>(any)?;
        let content = m
            .content
            .ok_or_else(|| TxError::InvalidRequest("proposal content is required".into()))?;
        let (title, changes) = param_changes(&content)?;
        let content = (title, changes, Vec::new());
        submit_msg(&m.proposer, &m.initial_deposit, content, false)?
    } else if url == gov1::MsgSubmitProposal::type_url() {
        let m = decode_any::<gov1::MsgSubmitProposal>(any)?;
        if m.expedited {
            return Err(TxError::InvalidRequest(
                "expedited proposals are not supported".into(),
            ));
        }
        let content = v1_content(&m)?;
        submit_msg(&m.proposer, &m.initial_deposit, content, true)?
    } else if url == MsgDeposit::type_url() || url == gov1::MsgDeposit::type_url() {
        // The two versions' MsgDeposit and MsgVote share field numbers and types.
        let m = decode_any::<MsgDeposit>(any)?;
        let (denom, amount) = amount(&m.amount)?;
        let depositor = parse_addr(&m.depositor)?;
        let v1 = url == gov1::MsgDeposit::type_url();
        (
            GovMsg::Deposit {
                depositor,
                id: m.proposal_id,
                amount,
                v1,
            },
            denom,
        )
    } else if url == MsgVote::type_url() || url == gov1::MsgVote::type_url() {
        let m = decode_any::<MsgVote>(any)?;
        let voter = parse_addr(&m.voter)?;
        let v1 = url == gov1::MsgVote::type_url();
        (
            GovMsg::Vote {
                voter,
                id: m.proposal_id,
                option: m.option,
                v1,
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
            messages,
            deposit,
            v1,
        } => {
            let content = Content {
                title: title.clone(),
                changes: changes.clone(),
                messages: messages.clone(),
            };
            let id = gov::submit(kv, proposer, content, *deposit, t)?;
            evs.push(events::event(
                "submit_proposal",
                &[("proposal_id", id.to_string())],
            ));
            if *v1 {
                proof_sdk::msgs::to_any(&gov1::MsgSubmitProposalResponse { proposal_id: id })
            } else {
                proof_sdk::msgs::to_any(&MsgSubmitProposalResponse { proposal_id: id })
            }
        }
        GovMsg::Deposit {
            depositor,
            id,
            amount,
            v1,
        } => {
            gov::deposit(kv, *id, depositor, *amount, t)?;
            evs.push(events::event(
                "proposal_deposit",
                &[("proposal_id", id.to_string())],
            ));
            if *v1 {
                proof_sdk::msgs::to_any(&gov1::MsgDepositResponse {})
            } else {
                proof_sdk::msgs::to_any(&MsgDepositResponse {})
            }
        }
        GovMsg::Vote {
            voter,
            id,
            option,
            v1,
        } => {
            gov::vote(kv, *id, voter, *option)?;
            evs.push(events::event(
                "proposal_vote",
                &[
                    ("proposal_id", id.to_string()),
                    ("option", option.to_string()),
                ],
            ));
            if *v1 {
                proof_sdk::msgs::to_any(&gov1::MsgVoteResponse {})
            } else {
                proof_sdk::msgs::to_any(&MsgVoteResponse {})
            }
        }
    })
}

/// A governance message with the denom its deposit was given in (checked against the bond
/// denom when it runs: the stateless check cannot read the staking parameters).
#[derive(Clone, Debug, PartialEq)]
pub struct GovMessage {
    pub msg: GovMsg,
    pub deposit_denom: String,
}

impl MsgHandler for GovMessage {
    fn check_stateless(any: &Any) -> Result<Option<Self>, TxError> {
        Ok(decode(any)?.map(|(msg, deposit_denom)| GovMessage { msg, deposit_denom }))
    }

    fn type_url(&self) -> String {
        self.msg.type_url()
    }

    fn signers(&self) -> Vec<Address> {
        vec![self.msg.signer()]
    }

    fn check_and_execute(
        &self,
        kv: &mut Metered<'_, '_>,
        ctx: &MsgCtx<'_, '_>,
        events: &mut Vec<Event>,
    ) -> Result<Any, TxError> {
        execute(
            kv,
            &self.msg,
            &self.deposit_denom,
            ctx.wasm.now_ns(),
            ctx.msg_index,
            events,
        )
    }
}
