//! Transactions: decoding and stateless checks ([`decode`]), authentication and fees ([`ante`]),
//! message execution ([`exec`]), and the error codes clients see ([`error`]).

pub mod error;
pub mod events;
pub mod fields;
pub(crate) mod wire;

pub use error::TxError;

/// Standard base64, as events and contract JSON carry bytes.
pub(crate) fn b64(data: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(data)
}

/// Decodes the protobuf message `M` from `any`'s value; the error names the type URL.
pub(crate) fn decode_any<M: prost::Message + Default>(
    any: &cosmos_sdk_proto::Any,
) -> Result<M, TxError> {
    M::decode(any.value.as_slice()).map_err(|e| TxError::Decode(format!("{}: {e}", any.type_url)))
}
