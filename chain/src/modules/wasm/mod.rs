//! The wasm module (wasmd's `cosmwasm.wasm.v1`): messages, contract calls on proof-vm, the
//! dispatch of contracts' responses (messages, submessages and replies) and smart queries.
//!
//! Rooms: `api.rs` (the address API and proof verifiers contracts get), `decode.rs` (stateless message checks), `host.rs` (running one VM call against the
//! transaction's state), `querier.rs` (what contracts may query), `msgs.rs` (store, instantiate,
//! execute, migrate, admin, sudo), `dispatch.rs` (a response's messages, submessages with
//! nested rollback, replies), `query.rs` (ABCI smart queries).
//!
//! How a call reaches state: proof-vm wants a `'static` [`proof_vm::Backend`], while the
//! transaction's state is a borrowed [`crate::state::Metered`] delta. A top-level call runs on
//! this thread with a backend that reaches the `Metered` through a pointer valid for exactly the
//! call (`host.rs` argues why that is sound). A nested call (a smart query to another contract, a
//! message from a contract) runs on a scoped helper thread with its own stack, whose backend is
//! a channel this thread serves, recursively and depth-limited. Either way the KV gas of the SDK
//! is charged on each access, and execution stays strictly sequential and deterministic.
//!
//! Gas: VM gas is converted to chain (SDK) gas with ONE multiplier, [`VM_GAS_PER_SDK_GAS`].
//! A call gets `remaining chain gas × multiplier` VM gas; afterwards
//! `ceil(vm gas used / multiplier)` is charged to the tx's meter, on top of the KV gas its
//! storage accesses already paid. Running out (in the VM, in a storage access or at the final
//! charge) is code 11 (out of gas); the executor then drops the tx's writes and keeps its fee.
//! A submessage with a gas limit runs on its own meter of that limit; what it used is then
//! charged to its parent.

mod api;
pub mod context;
pub mod contracts;
pub mod decode;
mod dispatch;
mod host;
pub mod keys;
pub mod msgs;
mod querier;
pub mod query;
mod smart_query;

pub use api::ContractApi;
pub use context::*;
pub use contracts::*;
pub use decode::{AddressScheme, WasmMsg};
pub use msgs::sudo;
pub use smart_query::smart_query;
