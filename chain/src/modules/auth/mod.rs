//! Accounts: numbers, sequences and public keys (`auth/`).

mod accounts;
pub mod keys;
pub mod query;

pub use accounts::*;
