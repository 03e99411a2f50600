//! BIP-39 phrases: new ones, and the seed of an existing one.

use rand_core::RngCore;
use zeroize::Zeroizing;

use super::error::KeystoreError;

/// A fresh 24-word mnemonic.
pub fn new_mnemonic() -> Result<Zeroizing<String>, KeystoreError> {
    let mut entropy = Zeroizing::new([0u8; 32]);
    rand_core::OsRng.fill_bytes(entropy.as_mut());
    let mnemonic = bip39::Mnemonic::from_entropy(entropy.as_ref())
        .map_err(|e| KeystoreError::BadMnemonic(e.to_string()))?;
    Ok(Zeroizing::new(mnemonic.to_string()))
}

/// The normalized phrase and its BIP-39 seed (no passphrase).
pub(super) fn parse_mnemonic(
    phrase: &str,
) -> Result<(Zeroizing<String>, Zeroizing<[u8; 64]>), KeystoreError> {
    let mnemonic = bip39::Mnemonic::parse_normalized(phrase.trim())
        .map_err(|e| KeystoreError::BadMnemonic(e.to_string()))?;
    Ok((
        Zeroizing::new(mnemonic.to_string()),
        Zeroizing::new(mnemonic.to_seed("")),
    ))
}
