//! Constructors for governance messages (`cosmos.gov.v1beta1` with parameter-change content).

use cosmos_sdk_proto::cosmos::gov::v1beta1::{MsgDeposit, MsgSubmitProposal, MsgVote};
use cosmos_sdk_proto::cosmos::params::v1beta1::{ParamChange, ParameterChangeProposal};
use cosmos_sdk_proto::Any;

use crate::address::Address;
use crate::coin::Coin;
use crate::msgs::to_any;

/// Vote options as in Cosmos.
pub const YES: i32 = 1;
pub const ABSTAIN: i32 = 2;
pub const NO: i32 = 3;
pub const NO_WITH_VETO: i32 = 4;

/// A proposal to change parameters: (subspace, key, JSON value) triples, e.g.
/// `("staking", "max_validators", "50")`.
pub fn submit_param_change(
    proposer: &Address,
    title: &str,
    changes: &[(&str, &str, &str)],
    deposit: &Coin,
) -> Any {
    let content = to_any(&ParameterChangeProposal {
        title: title.to_string(),
        description: String::new(),
        changes: changes
            .iter()
            .map(|(s, k, v)| ParamChange {
                subspace: s.to_string(),
                key: k.to_string(),
                value: v.to_string(),
            })
            .collect(),
    });
    to_any(&MsgSubmitProposal {
        content: Some(content),
        initial_deposit: vec![deposit.to_proto()],
        proposer: proposer.to_string(),
    })
}

pub fn deposit(depositor: &Address, id: u64, amount: &Coin) -> Any {
    to_any(&MsgDeposit {
        proposal_id: id,
        depositor: depositor.to_string(),
        amount: vec![amount.to_proto()],
    })
}

pub fn vote(voter: &Address, id: u64, option: i32) -> Any {
    to_any(&MsgVote {
        proposal_id: id,
        voter: voter.to_string(),
        option,
    })
}
