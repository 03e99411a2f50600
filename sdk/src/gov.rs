//! Constructors for governance messages: `cosmos.gov.v1beta1` with parameter-change content, and
//! `cosmos.gov.v1` proposals carrying messages (contract migrations, software upgrades).

use cosmos_sdk_proto::cosmos::gov::v1;
use cosmos_sdk_proto::cosmos::gov::v1beta1::{MsgDeposit, MsgSubmitProposal, MsgVote};
use cosmos_sdk_proto::cosmos::params::v1beta1::{ParamChange, ParameterChangeProposal};
use cosmos_sdk_proto::cosmos::upgrade::v1beta1::{MsgCancelUpgrade, MsgSoftwareUpgrade, Plan};
use cosmos_sdk_proto::cosmwasm::wasm::v1::MsgMigrateContract;
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

/// The governance module's account: it holds deposits, and proposals' messages name it as their
/// signer (e.g. as a contract's admin, or as the authority of an upgrade).
pub fn module_address() -> Address {
    Address::module("gov")
}

/// A `cosmos.gov.v1` proposal running `messages` (each signed by [`module_address`]) if it passes.
pub fn submit_proposal(
    proposer: &Address,
    title: &str,
    summary: &str,
    messages: Vec<Any>,
    deposit: &Coin,
) -> Any {
    to_any(&v1::MsgSubmitProposal {
        messages,
        initial_deposit: vec![deposit.to_proto()],
        proposer: proposer.to_string(),
        metadata: String::new(),
        title: title.to_string(),
        summary: summary.to_string(),
        expedited: false,
    })
}

/// A proposal message executing `contract` (e.g. a system contract's governed messages) with the
/// gov account as the sender and no funds.
pub fn execute_contract(contract: &Address, msg: &[u8]) -> Any {
    crate::msgs::wasm_execute(&module_address(), contract, msg.to_vec(), &[])
}

/// A proposal message migrating `contract` (whose admin must be governance) to `code_id`.
pub fn migrate_contract(contract: &Address, code_id: u64, msg: &[u8]) -> Any {
    to_any(&MsgMigrateContract {
        sender: module_address().to_string(),
        contract: contract.to_string(),
        code_id,
        msg: msg.to_vec(),
    })
}

/// A proposal message scheduling the software upgrade `name` at `height`: nodes halt there
/// unless their binary has the upgrade.
pub fn software_upgrade(name: &str, height: u64, info: &str) -> Any {
    #[allow(deprecated)]
    let plan = Plan {
        name: name.to_string(),
        time: None,
        height: height as i64,
        info: info.to_string(),
        upgraded_client_state: None,
    };
    to_any(&MsgSoftwareUpgrade {
        authority: module_address().to_string(),
        plan: Some(plan),
    })
}

/// A proposal message cancelling the scheduled upgrade.
pub fn cancel_upgrade() -> Any {
    to_any(&MsgCancelUpgrade {
        authority: module_address().to_string(),
    })
}
