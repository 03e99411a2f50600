//! Balances and supply (`bank/`).

mod balances;
pub mod msgs;
pub mod query;

pub use balances::*;
