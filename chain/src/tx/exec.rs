//! Message execution. Runs on its own delta: the caller keeps the writes only on success.

use cosmos_sdk_proto::cosmos::bank::v1beta1::{MsgMultiSendResponse, MsgSendResponse};
use cosmos_sdk_proto::Any;
use tendermint::abci::Event;

use super::decode::{DecodedTx, Msg};
use super::wasm::{self, WasmCtx};
use super::{events, TxError};
use crate::state::{bank, Metered};

pub struct MsgsOutcome {
    pub events: Vec<Event>,
    pub responses: Vec<Any>,
}

pub fn execute(
    kv: &mut Metered<'_, '_>,
    tx: &DecodedTx,
    wasm_ctx: &WasmCtx<'_>,
) -> Result<MsgsOutcome, TxError> {
    let mut out = MsgsOutcome {
        events: Vec::new(),
        responses: Vec::new(),
    };
    for (i, msg) in tx.msgs.iter().enumerate() {
        match msg {
            Msg::Send { from, to, amount } => {
                out.events
                    .push(events::message(&msg.type_url(), from, "bank", i));
                bank::send(kv, from, to, amount)?;
                out.events.extend(events::transfer(from, to, amount));
                out.responses
                    .push(proof_sdk::msgs::to_any(&MsgSendResponse {}));
            }
            Msg::MultiSend { input, outputs } => {
                out.events
                    .push(events::message(&msg.type_url(), &input.0, "bank", i));
                bank::sub_coins(kv, &input.0, &input.1)?;
                out.events.push(events::event(
                    "coin_spent",
                    &[
                        ("spender", input.0.to_string()),
                        ("amount", events::coins_str(&input.1)),
                    ],
                ));
                for (to, coins) in outputs {
                    bank::add_coins(kv, to, coins)?;
                    out.events.push(events::event(
                        "coin_received",
                        &[
                            ("receiver", to.to_string()),
                            ("amount", events::coins_str(coins)),
                        ],
                    ));
                    out.events.push(events::event(
                        "transfer",
                        &[
                            ("recipient", to.to_string()),
                            ("amount", events::coins_str(coins)),
                        ],
                    ));
                }
                out.events
                    .push(events::event("message", &[("sender", input.0.to_string())]));
                out.responses
                    .push(proof_sdk::msgs::to_any(&MsgMultiSendResponse {}));
            }
            Msg::StoreCode { sender, wasm } => {
                out.events
                    .push(events::message(&msg.type_url(), sender, "wasm", i));
                let r = wasm::store_code(kv, wasm_ctx, sender, wasm, &mut out.events)?;
                out.responses.push(r);
            }
            Msg::Instantiate {
                sender,
                admin,
                code_id,
                label,
                msg: m,
                funds,
            } => {
                out.events
                    .push(events::message(&msg.type_url(), sender, "wasm", i));
                let r = wasm::instantiate(
                    kv,
                    wasm_ctx,
                    sender,
                    admin.as_ref(),
                    *code_id,
                    label,
                    m,
                    funds,
                    &mut out.events,
                )?;
                out.responses.push(r);
            }
            Msg::Execute {
                sender,
                contract,
                msg: m,
                funds,
            } => {
                out.events
                    .push(events::message(&msg.type_url(), sender, "wasm", i));
                let r =
                    wasm::execute(kv, wasm_ctx, sender, contract, m, funds, 0, &mut out.events)?;
                out.responses.push(r);
            }
            Msg::Staking(m) => {
                let r = super::staking::execute(kv, m, i, &mut out.events)?;
                out.responses.push(r);
            }
            Msg::Gov(m, denom) => {
                let r = super::gov::execute(kv, m, denom, i, &mut out.events)?;
                out.responses.push(r);
            }
        }
    }
    Ok(out)
}
