//! The interface every module's messages implement, in the spirit of Penumbra's
//! `ActionHandler`: a stateless check when the transaction is decoded (before any state is
//! read, so junk is refused cheaply, in CheckTx as in a block), then the stateful checks and
//! the effect as one step against the transaction's metered state.
//!
//! Stateful checks and execution are one call on purpose: a check that passed is what the
//! effect relies on, and both must see the same state (a check run earlier, against another
//! transaction's view, could be stale).

use cosmos_sdk_proto::Any;
use proof_sdk::Address;
use tendermint::abci::Event;

use crate::modules::wasm::context::WasmCtx;
use crate::state::Metered;
use crate::tx::TxError;

/// What a message's handler sees besides state.
pub struct MsgCtx<'a, 'v> {
    /// The block (height, time), the VM and the compile room.
    pub wasm: &'a WasmCtx<'v>,
    /// The contract call depth the message runs at (0: a transaction's or a proposal's own).
    pub depth: u32,
    /// The message's place in its transaction (the SDK's `msg_index` event attribute).
    pub msg_index: usize,
}

/// One module's messages.
pub trait MsgHandler: Sized {
    /// Decodes `any` and runs every check that needs no state (the SDK's `ValidateBasic`).
    /// `Ok(None)`: `any` is not one of this module's messages.
    fn check_stateless(any: &Any) -> Result<Option<Self>, TxError>;

    /// The type URL it was decoded from.
    fn type_url(&self) -> String;

    /// The accounts whose signatures it needs, in order.
    fn signers(&self) -> Vec<Address>;

    /// The checks that read state, then the effect; returns the `Msg…Response`. On `Err` the
    /// caller drops every write of the transaction's messages.
    fn check_and_execute(
        &self,
        kv: &mut Metered<'_, '_>,
        ctx: &MsgCtx<'_, '_>,
        events: &mut Vec<Event>,
    ) -> Result<Any, TxError>;
}
