//! Software upgrades: the scheduled plan (`upgrade/`), its messages, and the migrations this
//! binary can run.

pub mod migrations;
pub mod msgs;
mod plan;
pub mod query;

pub use plan::*;
