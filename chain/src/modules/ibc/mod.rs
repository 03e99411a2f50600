//! IBC (`ibc/`): this chain as an IBC host, with ibc-rs (0.57) doing the protocol: ICS-02
//! clients (07-tendermint: create, update, misbehaviour, upgrade, expiry and freezing), ICS-03
//! connections, ICS-04 channels and packets, and ICS-20 transfers on port `transfer`.
//!
//! Invariants:
//! - All IBC state lives in the `ibc` substore at ibc-go's ICS-24 paths and encodings, so a
//!   counterparty proves it with the two-step `MerklePath ["ibc", path]` against our app hash,
//!   with proof specs `[jmt, jmt]` (`host::proof_specs`, which `validate_self_client` demands).
//! - A message's state accesses are metered like any other; header verification pays per byte
//!   of the header; a storage failure or out-of-gas fails the message whatever ibc-rs answered.
//! - ICS-20 conserves supply: native coins move to and from the channel's escrow account;
//!   vouchers are minted on receipt and burnt on sending, nothing else creates or destroys them.
//!   A receive that fails leaves nothing behind and answers with an error acknowledgement.
//! - This chain's consensus state is recorded at every height for [`hooks::HOST_HISTORY`] blocks.

pub mod clients;
pub mod events;
pub mod hooks;
pub mod host;
pub mod keys;
pub mod msgs;
pub mod query;
pub mod router;
pub mod store;
pub mod transfer;

pub use msgs::IbcMsg;
