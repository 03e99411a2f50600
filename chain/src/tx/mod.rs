//! Transactions: decoding and stateless checks ([`decode`]), authentication and fees ([`ante`]),
//! message execution ([`exec`]), and the error codes clients see ([`error`]).

pub mod ante;
pub mod decode;
pub mod error;
pub mod events;
pub mod exec;
pub mod gov;
pub mod staking;
pub mod wasm;

pub use decode::{DecodedTx, Msg};
pub use error::TxError;
