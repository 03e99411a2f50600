//! Shared Proof chain types used by the node, the CLI, the relayer and the load generator.
//!
//! Light on purpose: no VM and no database. Everything here is deterministic and
//! usable from consensus code (addresses, key types, signature verification, tx encoding)
//! except [`rpc`], [`submit`] and [`keystore`], which are client-side helpers.

pub mod address;
pub mod checkpoint;
pub mod coin;
pub mod contract_address;
pub mod crypto;
pub mod gov;
pub mod keystore;
pub mod light;
pub mod msgs;
pub mod pos_client;
pub mod proof;
pub mod proto;
pub mod rpc;
pub mod staking;
pub mod submit;
pub mod tx;

/// Bech32 human-readable prefix of account addresses.
pub const ACCOUNT_PREFIX: &str = "proof";
/// Base denomination of the native token XYZ (10^6 uxyz = 1 XYZ).
pub const BASE_DENOM: &str = "uxyz";

pub use address::Address;
pub use coin::Coin;
pub use crypto::{KeyType, PrivateKey, PublicKey};
