//! Upgrade messages (`cosmos.upgrade.v1beta1`): `MsgSoftwareUpgrade` and `MsgCancelUpgrade`.
//! Their authority is the governance module account, so only a passed proposal can send them.

use cosmos_sdk_proto::cosmos::upgrade::v1beta1::{
    MsgCancelUpgrade, MsgCancelUpgradeResponse, MsgSoftwareUpgrade, MsgSoftwareUpgradeResponse,
};
use cosmos_sdk_proto::Any;
use proof_sdk::Address;
use prost::Name;
use tendermint::abci::Event;

use crate::modules::gov;
use crate::modules::handler::{MsgCtx, MsgHandler};
use crate::modules::upgrade::{self, Plan, UpgradeError};
use crate::state::Metered;
use crate::tx::decode_any;
use crate::tx::fields::parse_addr;
use crate::tx::{events, TxError};

#[derive(Clone, Debug, PartialEq)]
pub enum UpgradeMsg {
    Schedule { authority: Address, plan: Plan },
    Cancel { authority: Address },
}

impl UpgradeMsg {
    pub fn type_url(&self) -> String {
        match self {
            UpgradeMsg::Schedule { .. } => MsgSoftwareUpgrade::type_url(),
            UpgradeMsg::Cancel { .. } => MsgCancelUpgrade::type_url(),
        }
    }

    pub fn signer(&self) -> Address {
        match self {
            UpgradeMsg::Schedule { authority, .. } | UpgradeMsg::Cancel { authority } => {
                authority.clone()
            }
        }
    }
}

/// Stateless checks, as the SDK's `ValidateBasic` (the plan's height is checked at execution).
pub fn decode(any: &Any) -> Result<Option<UpgradeMsg>, TxError> {
    let url = any.type_url.as_str();
    Ok(Some(if url == MsgSoftwareUpgrade::type_url() {
        let m = decode_any::<MsgSoftwareUpgrade>(any)?;
        let p = m
            .plan
            .ok_or_else(|| TxError::InvalidRequest("an upgrade needs a plan".into()))?;
        #[allow(deprecated)]
        if p.time.is_some() || p.upgraded_client_state.is_some() {
            return Err(TxError::InvalidRequest(
                "time-based upgrades and upgraded client states are not supported".into(),
            ));
        }
        let height = u64::try_from(p.height)
            .ok()
            .filter(|h| *h > 0)
            .ok_or_else(|| TxError::InvalidRequest("plan height must be positive".into()))?;
        let plan = Plan {
            name: p.name,
            height,
            info: p.info,
        };
        plan.validate(0)
            .map_err(|e| TxError::InvalidRequest(e.to_string()))?;
        UpgradeMsg::Schedule {
            authority: parse_addr(&m.authority)?,
            plan,
        }
    } else if url == MsgCancelUpgrade::type_url() {
        let m = decode_any::<MsgCancelUpgrade>(any)?;
        UpgradeMsg::Cancel {
            authority: parse_addr(&m.authority)?,
        }
    } else {
        return Ok(None);
    }))
}

pub fn execute(
    kv: &mut Metered<'_, '_>,
    msg: &UpgradeMsg,
    height: u64,
    evs: &mut Vec<Event>,
) -> Result<Any, TxError> {
    let gov = gov::gov_account();
    if msg.signer() != gov {
        return Err(TxError::Unauthorized(format!(
            "expected the gov module account {gov} as authority, got {}",
            msg.signer()
        )));
    }
    match msg {
        UpgradeMsg::Schedule { plan, .. } => {
            upgrade::schedule(kv, plan, height)?;
            evs.push(events::event(
                "schedule_upgrade",
                &[
                    ("name", plan.name.clone()),
                    ("height", plan.height.to_string()),
                ],
            ));
            Ok(proof_sdk::msgs::to_any(&MsgSoftwareUpgradeResponse {}))
        }
        UpgradeMsg::Cancel { .. } => {
            upgrade::cancel(kv)?;
            evs.push(events::event("cancel_upgrade", &[]));
            Ok(proof_sdk::msgs::to_any(&MsgCancelUpgradeResponse {}))
        }
    }
}

impl From<UpgradeError> for TxError {
    fn from(e: UpgradeError) -> Self {
        match e {
            UpgradeError::State(s) => s.into(),
            other => TxError::InvalidRequest(other.to_string()),
        }
    }
}

impl MsgHandler for UpgradeMsg {
    fn check_stateless(any: &Any) -> Result<Option<Self>, TxError> {
        decode(any)
    }

    fn type_url(&self) -> String {
        UpgradeMsg::type_url(self)
    }

    fn signers(&self) -> Vec<Address> {
        vec![self.signer()]
    }

    fn check_and_execute(
        &self,
        kv: &mut Metered<'_, '_>,
        ctx: &MsgCtx<'_, '_>,
        events: &mut Vec<Event>,
    ) -> Result<Any, TxError> {
        execute(kv, self, ctx.wasm.height, events)
    }
}
