//! Accounts: numbers, sequences and public keys (`auth/`).

mod accounts;
pub mod query;

pub use accounts::*;
