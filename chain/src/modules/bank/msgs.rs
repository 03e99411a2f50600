//! `cosmos.bank.v1beta1` MsgSend and MsgMultiSend: their handlers and the events the SDK emits
//! for them.

use cosmos_sdk_proto::cosmos::bank::v1beta1::{MsgMultiSendResponse, MsgSendResponse};
use cosmos_sdk_proto::Any;
use proof_sdk::{Address, Coin};
use tendermint::abci::Event;

use super::balances::{add_coins, send as transfer, sub_coins};
use crate::state::Kv;
use crate::tx::{events, TxError};

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
