//! Governance: proposals with a deposit and stake-weighted voting. A proposal carries parameter
//! changes (`cosmos.gov.v1beta1` ParameterChangeProposal, or v1's MsgExecLegacyContent wrapping
//! one) and/or messages (`cosmos.gov.v1`) that run with the gov module account as their only
//! signer: migrating or re-administering contracts whose admin is governance, scheduling or
//! cancelling a software upgrade.
//!
//! A proposal enters voting once its deposits reach `min_deposit` (within `max_deposit_secs`, else
//! it is dropped and refunded). When `voting_secs` of block time have passed it is tallied: a
//! voter weighs the tokens its delegations to validators in the active set are worth. It passes
//! if the turnout reaches `quorum_bps` of the bonded stake, NoWithVeto stays at or below
//! `veto_bps` of the turnout and Yes exceeds `threshold_bps` of the non-abstaining votes; then its
//! changes are applied and its messages run, all or nothing: on a child state layer kept only if
//! every change validates and every message succeeds (else the proposal is `Failed` with the
//! reason, and nothing changed). Deposits are
//! refunded unless vetoed (then they go to the development fund: nothing is burned).
//! Deposits sit in the `gov` module account.

mod changes;
pub mod hooks;
mod keys;
pub mod msgs;
pub mod params;
pub mod proposals;
pub mod query;
mod tally;

pub use changes::*;
pub use params::*;
pub use proposals::*;
