//! Transactions: decoding and stateless checks ([`decode`]), authentication and fees ([`ante`]),
//! message execution ([`exec`]), and the error codes clients see ([`error`]).

pub mod ante;
pub mod decode;
pub mod error;
pub mod events;
pub mod exec;
pub mod gov;
pub mod staking;
pub mod upgrade;
pub mod wasm;
mod wire;

pub use decode::{DecodedTx, Msg};
pub use error::TxError;

/// Standard base64, as events and contract JSON carry bytes.
pub(crate) fn b64(data: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(data)
}
