//! `cosmos.bank.v1beta1` MsgSend and MsgMultiSend: their handlers and the events the SDK emits
//! for them.

use cosmos_sdk_proto::cosmos::bank::v1beta1::{
    MsgMultiSend, MsgMultiSendResponse, MsgSend, MsgSendResponse,
};
use cosmos_sdk_proto::Any;
use proof_sdk::{Address, Coin};
use prost::Name;
use tendermint::abci::Event;

use super::balances::{add_coins, send as transfer, sub_coins, sum_coins};
use crate::modules::handler::{MsgCtx, MsgHandler};
use crate::state::{Kv, Metered};
use crate::tx::decode_any;
use crate::tx::fields::{parse_addr, parse_coins};
use crate::tx::{events, TxError};

/// A bank message, checked statelessly.
#[derive(Clone, Debug, PartialEq)]
pub enum BankMsg {
    Send {
        from: Address,
        to: Address,
        amount: Vec<Coin>,
    },
    MultiSend {
        input: (Address, Vec<Coin>),
        outputs: Vec<(Address, Vec<Coin>)>,
    },
}

impl BankMsg {
    pub fn type_url(&self) -> String {
        match self {
            BankMsg::Send { .. } => MsgSend::type_url(),
            BankMsg::MultiSend { .. } => MsgMultiSend::type_url(),
        }
    }

    /// The account whose signature it needs.
    pub fn signer(&self) -> Address {
        match self {
            BankMsg::Send { from, .. } => from.clone(),
            BankMsg::MultiSend { input, .. } => input.0.clone(),
        }
    }
}

/// Stateless checks (the SDK's `ValidateBasic`); `Ok(None)` if `any` is not a bank message.
pub fn decode(any: &Any) -> Result<Option<BankMsg>, TxError> {
    if any.type_url == MsgSend::type_url() {
        let m = decode_any::<MsgSend>(any)?;
        Ok(Some(BankMsg::Send {
            from: parse_addr(&m.from_address)?,
            to: parse_addr(&m.to_address)?,
            amount: parse_coins(&m.amount)?,
        }))
    } else if any.type_url == MsgMultiSend::type_url() {
        let m = decode_any::<MsgMultiSend>(any)?;
        // As in Cosmos SDK 0.47+: exactly one input, whose coins equal the sum of outputs.
        if m.inputs.len() != 1 {
            return Err(TxError::InvalidRequest(format!(
                "multi-send needs exactly one input, got {}",
                m.inputs.len()
            )));
        }
        if m.outputs.is_empty() {
            return Err(TxError::InvalidRequest("multi-send has no outputs".into()));
        }
        let input = (
            parse_addr(&m.inputs[0].address)?,
            parse_coins(&m.inputs[0].coins)?,
        );
        let outputs = m
            .outputs
            .iter()
            .map(|o| Ok((parse_addr(&o.address)?, parse_coins(&o.coins)?)))
            .collect::<Result<Vec<_>, TxError>>()?;
        let total = sum_coins(outputs.iter().flat_map(|(_, c)| c.iter()))?;
        if total != input.1 {
            return Err(TxError::InvalidCoins(
                "multi-send inputs and outputs do not balance".into(),
            ));
        }
        Ok(Some(BankMsg::MultiSend { input, outputs }))
    } else {
        Ok(None)
    }
}

impl MsgHandler for BankMsg {
    fn check_stateless(any: &Any) -> Result<Option<Self>, TxError> {
        decode(any)
    }

    fn type_url(&self) -> String {
        BankMsg::type_url(self)
    }

    fn signers(&self) -> Vec<Address> {
        vec![self.signer()]
    }

    fn check_and_execute(
        &self,
        kv: &mut Metered<'_, '_>,
        _ctx: &MsgCtx<'_, '_>,
        events: &mut Vec<Event>,
    ) -> Result<Any, TxError> {
        execute(kv, self, events)
    }
}

/// Executes a bank message and returns its `Msg…Response`.
pub fn execute(kv: &mut dyn Kv, msg: &BankMsg, events: &mut Vec<Event>) -> Result<Any, TxError> {
    match msg {
        BankMsg::Send { from, to, amount } => send(kv, from, to, amount, events),
        BankMsg::MultiSend { input, outputs } => multi_send(kv, input, outputs, events),
    }
}

/// MsgSend: `amount` from `from` to `to`.
pub fn send(
    kv: &mut dyn Kv,
    from: &Address,
    to: &Address,
    amount: &[Coin],
    events: &mut Vec<Event>,
) -> Result<Any, TxError> {
    transfer(kv, from, to, amount)?;
    events.extend(events::transfer(from, to, amount));
    Ok(proof_sdk::msgs::to_any(&MsgSendResponse {}))
}

/// MsgMultiSend: one input paid out to many outputs (the decoder checked the sums match).
pub fn multi_send(
    kv: &mut dyn Kv,
    input: &(Address, Vec<Coin>),
    outputs: &[(Address, Vec<Coin>)],
    events: &mut Vec<Event>,
) -> Result<Any, TxError> {
    sub_coins(kv, &input.0, &input.1)?;
    events.push(events::event(
        "coin_spent",
        &[
            ("spender", input.0.to_string()),
            ("amount", events::coins_str(&input.1)),
        ],
    ));
    for (to, coins) in outputs {
        add_coins(kv, to, coins)?;
        events.push(events::event(
            "coin_received",
            &[
                ("receiver", to.to_string()),
                ("amount", events::coins_str(coins)),
            ],
        ));
        events.push(events::event(
            "transfer",
            &[
                ("recipient", to.to_string()),
                ("amount", events::coins_str(coins)),
            ],
        ));
    }
    events.push(events::event("message", &[("sender", input.0.to_string())]));
    Ok(proof_sdk::msgs::to_any(&MsgMultiSendResponse {}))
}
