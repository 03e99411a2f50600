//! Message execution. Runs on its own delta: the caller keeps the writes only on success.
//! [`run_msg`] is the one handler of each message, whether a transaction or a contract sent it.

use cosmos_sdk_proto::Any;
use tendermint::abci::Event;

use crate::app::decode::{with_handler, DecodedTx, Msg};
use crate::modules::handler::{MsgCtx, MsgHandler};
use crate::modules::wasm::context::WasmCtx;
use crate::state::Metered;
use crate::tx::{events, TxError};

pub struct MsgsOutcome {
    pub events: Vec<Event>,
    pub responses: Vec<Any>,
}

/// Runs a transaction's messages in order; the first failure fails them all.
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
        // Staking, governance and IBC handlers emit their own `message` event.
        let module = match msg {
            Msg::Bank(_) => Some("bank"),
            Msg::Wasm(_) => Some("wasm"),
            Msg::Upgrade(_) => Some("upgrade"),
            Msg::Zk(_) => Some("zk"),
            Msg::Staking(_) | Msg::Gov(..) | Msg::Ibc(_) => None,
        };
        if let (Some(module), Some(signer)) = (module, msg.signers().first()) {
            out.events
                .push(events::message(&msg.type_url(), signer, module, i));
        }
        let r = run_msg(kv, wasm_ctx, msg, 0, i, &mut out.events)?;
        out.responses.push(r);
    }
    Ok(out)
}

/// Runs one message (at contract call depth `depth`; `msg_index` is its place in the tx) and
/// returns its `Msg…Response`.
pub(crate) fn run_msg(
    kv: &mut Metered<'_, '_>,
    wasm_ctx: &WasmCtx<'_>,
    msg: &Msg,
    depth: u32,
    msg_index: usize,
    events: &mut Vec<Event>,
) -> Result<Any, TxError> {
    let ctx = MsgCtx {
        wasm: wasm_ctx,
        depth,
        msg_index,
    };
    with_handler!(msg, m => m.check_and_execute(kv, &ctx, events))
}
