//! The IBC module's state layout. Everything lives in the `ibc` substore (state keys `ibc/...`),
//! whose root is a leaf of the main tree: a counterparty proves `ibc/<path>` with the two-step
//! `MerklePath ["ibc", <path>]` that ibc-go verifies.
//!
//! Under `ibc/` the keys are ibc-go's ICS-24 paths, with ibc-go's encodings (see `host.rs`).
//! The chain's own records sit under `ibc/proof/`, a prefix no ICS-24 path starts with.

use std::fmt::Display;

/// The commitment prefix counterparties use for our chain (the substore's name).
pub const COMMITMENT_PREFIX: &[u8] = b"ibc";

/// The state key of an ICS-24 path.
pub fn path(p: &impl Display) -> Vec<u8> {
    format!("ibc/{p}").into_bytes()
}

/// ibc-go's counters (`nextClientSequence`, ...): big-endian u64 at these paths.
pub const NEXT_CLIENT_SEQUENCE: &[u8] = b"ibc/nextClientSequence";
pub const NEXT_CONNECTION_SEQUENCE: &[u8] = b"ibc/nextConnectionSequence";
pub const NEXT_CHANNEL_SEQUENCE: &[u8] = b"ibc/nextChannelSequence";

const OWN: &str = "ibc/proof/";

/// This chain's consensus state at a height (the window counterparties' handshakes check
/// against): `ibc/proof/host/<height be8>`.
pub fn host_consensus(height: u64) -> Vec<u8> {
    [format!("{OWN}host/").as_bytes(), &height.to_be_bytes()].concat()
}

/// The index of a client's consensus states by height, in numeric order (ICS-24 paths sort as
/// strings, `1-10` before `1-9`): `ibc/proof/csh/<client>/<revision be8><height be8>`.
pub fn consensus_heights(client: &str) -> Vec<u8> {
    format!("{OWN}csh/{client}/").into_bytes()
}

pub fn consensus_height(client: &str, revision: u64, height: u64) -> Vec<u8> {
    [
        consensus_heights(client).as_slice(),
        &revision.to_be_bytes(),
        &height.to_be_bytes(),
    ]
    .concat()
}

/// Every client's id, so listings page over clients rather than over all their consensus
/// states: `ibc/proof/clients/<client>`.
pub const CLIENT_IDS: &str = "ibc/proof/clients/";

pub fn client_id(client: &str) -> Vec<u8> {
    format!("{CLIENT_IDS}{client}").into_bytes()
}

/// ICS-20 voucher traces: `ibc/proof/denom/<HASH>` (the hex of `ibc/<HASH>`) -> the full
/// denom `port/channel/.../base`.
pub const DENOM_TRACES: &str = "ibc/proof/denom/";

pub fn denom_trace(hash_hex: &str) -> Vec<u8> {
    format!("{DENOM_TRACES}{hash_hex}").into_bytes()
}

/// ICS-20 escrowed totals per native denom (ibc-go's `TotalEscrowForDenom`):
/// `ibc/proof/escrow/<denom>` -> u128 big-endian.
pub fn total_escrow(denom: &str) -> Vec<u8> {
    format!("{OWN}escrow/{denom}").into_bytes()
}
