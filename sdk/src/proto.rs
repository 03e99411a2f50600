//! Protobuf messages of our own (`proof.*`), defined with prost derives so no build step is needed.

use prost::Message;

/// `/proof.crypto.mldsa65.PubKey`: an encoded ML-DSA-65 verifying key (1952 bytes).
#[derive(Clone, PartialEq, Message)]
pub struct MlDsa65PubKey {
    #[prost(bytes = "vec", tag = "1")]
    pub key: Vec<u8>,
}

/// `/proof.crypto.hybrid.PubKey`: both halves of a hybrid key.
#[derive(Clone, PartialEq, Message)]
pub struct HybridPubKey {
    #[prost(bytes = "vec", tag = "1")]
    pub ed25519: Vec<u8>,
    #[prost(bytes = "vec", tag = "2")]
    pub mldsa65: Vec<u8>,
}
