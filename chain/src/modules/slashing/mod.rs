//! Slashing: double-sign evidence (slash and tombstone), liveness over a signing window (slash
//! and jail for downtime), unjailing, and the slash itself, which reaches stake that is
//! unbonding or redelegating since the infraction. Records are borsh under `slashing/`.

pub mod evidence;
pub mod hooks;
pub mod liveness;
pub mod params;
pub mod query;
pub mod signing_info;

pub use evidence::*;
pub use liveness::*;
pub use params::*;
pub use signing_info::*;
