//! The clock's block hook: each listed contract's `sudo {"end_block":{}}`, on its own meter and
//! layer, its failure an event.

use proof_sdk::Address;
use tendermint::abci::Event;

use super::params::{ClockParams, HookContract};
use crate::modules::component::{BlockCtx, Component, EndBlock};
use crate::modules::wasm::{self, WasmCtx};
use crate::state::gas::GasMeter;
use crate::state::{Delta, Metered, StateError};
use crate::tx::events::event;
use crate::tx::TxError;

/// What every listed contract is sent (the AMM's `SudoMsg::EndBlock`).
pub const END_BLOCK_MSG: &[u8] = br#"{"end_block":{}}"#;

/// The clock's hooks.
pub struct Clock;

impl Component for Clock {
    fn name(&self) -> &'static str {
        "clock"
    }

    fn end_block(
        &self,
        block: &mut Delta<'_>,
        _ctx: &BlockCtx<'_>,
        out: &mut EndBlock<'_, '_>,
    ) -> Result<Vec<Event>, StateError> {
        let params = ClockParams::load(&*block)?;
        let mut events = Vec::new();
        for hook in &params.contracts {
            call(block, out.wasm, hook, &mut events)?;
        }
        Ok(events)
    }
}

/// One contract's call: its writes and events are kept only if it succeeds.
fn call(
    block: &mut Delta<'_>,
    ctx: &WasmCtx<'_>,
    hook: &HookContract,
    events: &mut Vec<Event>,
) -> Result<(), StateError> {
    let mut gas = GasMeter::new(hook.gas_limit);
    let mut evs = Vec::new();
    let ran = match hook.address.parse::<Address>() {
        // The parameters were validated when set; a stored list is trusted no further.
        Err(e) => Err(TxError::InvalidAddress(format!("{}: {e}", hook.address))),
        Ok(addr) => {
            let mut m = Metered::new(&*block, &mut gas);
            wasm::sudo(&mut m, ctx, &addr, END_BLOCK_MSG, &mut evs).map(|_| m.delta.into_writes())
        }
    };
    let mut attrs = vec![
        ("contract", hook.address.clone()),
        ("gas_used", gas.used().to_string()),
    ];
    match ran {
        Ok(writes) => {
            block.absorb(writes);
            events.extend(evs);
            attrs.push(("result", "ok".into()));
        }
        Err(e) if e.is_node_condition() => {
            return Err(StateError::NodeCondition(format!(
                "end-block call of {}: {e}",
                hook.address
            )))
        }
        Err(e) => {
            tracing::warn!(contract = %hook.address, error = %e, "end-block contract call failed");
            attrs.push(("result", "failed".into()));
            attrs.push(("error", e.to_string()));
        }
    }
    events.push(event("end_block_hook", &attrs));
    Ok(())
}
