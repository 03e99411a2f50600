//! The transaction pipeline over the modules: decoding a transaction into the closed [`Msg`]
//! set, the ante checks (signatures, sequences, fees), routing each message to its module's
//! handler, and the modules' block hooks in their fixed order.

pub mod ante;
pub mod components;
pub mod decode;
pub mod exec;
pub mod pos;

pub use decode::{DecodedTx, Msg};
