//! The chain's verifiers (`rollup-host`), and their verdicts as this contract's errors.

use crate::error::ContractError;
pub use rollup_host::{
    hex, Host, ProofVerifier, INVALID, MALFORMED, NO_ROOM, UNKNOWN_KEY, UNSUPPORTED, VALID,
};

/// Maps a verdict other than valid to the contract's error.
pub fn verdict(code: u32, rollup: u32, digest: &[u8; 32]) -> Result<(), ContractError> {
    match code {
        VALID => Ok(()),
        INVALID => Err(ContractError::InvalidProof { rollup }),
        UNKNOWN_KEY => Err(ContractError::UnknownKey(hex(digest))),
        MALFORMED => Err(ContractError::MalformedProof),
        NO_ROOM => Err(ContractError::NoRoom),
        UNSUPPORTED => Err(ContractError::Unsupported),
        c => Err(ContractError::VerifierCode(c)),
    }
}
