//! Balances and supply (`bank/`).

mod balances;
pub mod keys;
pub mod msgs;
pub mod query;

pub use balances::*;
